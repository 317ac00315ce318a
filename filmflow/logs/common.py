"""What every reader shares: turning a bad value into a LogError that names file and line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from filmflow.logs.model import LogError

T = TypeVar("T")


def where(path: Path, line: int | None = None, frame: str | None = None) -> str:
    """'log.csv, line 14' / 'log.json, frame 12' / 'log.xml'."""
    if line:
        return f"{path}, line {line}"
    if frame is not None:
        return f"{path}, frame {frame}"
    return str(path)


def checked(path: Path, line: int | None, fn: Callable[..., T], *args: Any, frame: str | None = None) -> T:
    """Call a value parser; its ValueError becomes a LogError naming the place in the file."""
    try:
        return fn(*args)
    except (ValueError, TypeError, ArithmeticError) as e:
        raise LogError(f"{where(path, line, frame)}: {e}; correct it in the app (or the file) and import again.") from None


FORMAT_WORDS = {  # what the apps call a format (folded) -> filmflow's format names (config/formats.toml)
    "35mm": "135", "135": "135", "mm35": "135", "120": "120", "mediumformat120": "120",
    "110": "110", "aps110": "110", "sheet": "4x5", "sheet4x5": "4x5", "mediumformat645": "645",
    "mediumformat66": "6x6", "mediumformat67": "6x7", "mediumformat69": "6x9",
}


def format_name(text: Any) -> str | None:
    """An app's format word ('35 mm', 'MM35', 'MEDIUM_FORMAT_120') as a filmflow format, or None."""
    if text is None:
        return None
    return FORMAT_WORDS.get(str(text).strip().lower().replace("_", "").replace(" ", ""))
