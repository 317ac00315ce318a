"""Names a user types: roll codes and project names starting with some text (shell completion)."""

from __future__ import annotations

import sqlite3


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def roll_codes_starting(conn: sqlite3.Connection, prefix: str, limit: int = 200) -> list[str]:
    """Roll codes beginning with `prefix` (case-insensitive), in code order."""
    rows = conn.execute("SELECT code FROM rolls WHERE code LIKE ? ESCAPE '\\' ORDER BY code LIMIT ?",
                        (_like_prefix(prefix), limit))
    return [r[0] for r in rows]


def project_names_starting(conn: sqlite3.Connection, prefix: str, limit: int = 200) -> list[str]:
    """Project names beginning with `prefix` (case-insensitive for ASCII), in name order."""
    rows = conn.execute("SELECT name FROM projects WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
                        (_like_prefix(prefix), limit))
    return [r[0] for r in rows]
