"""Every SQL statement lives in filmflow/catalog/ (issue 13): a SQL-shaped string anywhere else fails.

The check parses each module with `ast` and looks at its string constants (f-string parts
included), skipping docstrings; comments are not constants. A string counts as SQL when
it has a statement's shape (`SELECT ... FROM`, `INSERT INTO`, `UPDATE t SET`, `DELETE
FROM`, `CREATE TABLE/INDEX/...`, `PRAGMA x`), so user-facing text that merely says
"select" or "update" passes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "filmflow"

SQL_SHAPE = re.compile(
    r"\b(SELECT\b.+?\bFROM\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|REPLACE\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b"
    r"|CREATE\s+(UNIQUE\s+|VIRTUAL\s+)?(TABLE|INDEX|TRIGGER|VIEW)\b|DROP\s+(TABLE|INDEX|TRIGGER|VIEW)\b"
    r"|PRAGMA\s+\w+|ALTER\s+TABLE\b)", re.S)

# Files that still hold SQL, and why. Each entry is a debt: move the statements behind
# catalog/ functions and delete the line.
ALLOWED: dict[str, str] = {}  # none: the query compiler is catalog/querysql.py and querykeys.py


def _docstrings(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def sql_strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each SQL-shaped string constant of a module, docstrings excepted."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    return sorted((node.lineno, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and id(node) not in docs and SQL_SHAPE.search(node.value))


def _outside_catalog() -> list[Path]:
    return [p for p in sorted(PKG.rglob("*.py")) if p.relative_to(PKG).parts[0] != "catalog"]


def test_the_check_sees_sql_and_lets_prose_pass(tmp_path):
    src = tmp_path / "m.py"
    src.write_text('"""We SELECT rows FROM the catalog (a docstring)."""\n'
                   'A = "SELECT id FROM rolls WHERE code = ?"\n'
                   'B = f"UPDATE frames SET rating = {1}"\n'
                   'C = "PRAGMA user_version"\n'
                   'D = "select a frame from the list, then update the roll"\n'
                   'E = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"\n'
                   '# SELECT x FROM y in a comment\n', encoding="utf-8")
    assert [line for line, _ in sql_strings(src)] == [2, 3, 4, 6]


def test_no_sql_outside_the_catalog():
    found = {p.relative_to(PKG).as_posix(): sql_strings(p) for p in _outside_catalog()}
    offenders = {name: [f"line {line}: {text.strip()[:70]}" for line, text in hits]
                 for name, hits in found.items() if hits and name not in ALLOWED}
    assert offenders == {}, ("SQL outside filmflow/catalog/: move each statement behind a catalog function "
                             f"named for what it does: {offenders}")


def test_the_allow_list_holds_only_files_that_still_need_it():
    stale = [name for name in ALLOWED if not (PKG / name).is_file() or not sql_strings(PKG / name)]
    assert stale == [], f"these files hold no SQL any more; delete their ALLOWED entries: {stale}"


def test_the_catalog_does_hold_sql():
    assert sum(len(sql_strings(p)) for p in (PKG / "catalog").glob("*.py")) > 50
