"""roll.toml: the photographer's own notes about a roll, placed in the scan folder.

Keys: code, stock, ei, format, camera, lens, developed, shot (a date or "from..to"), lab,
developer, scanner, notes, project, tags, title. Unknown keys are reported (a typo should
not silently lose a note); invalid TOML refuses the folder, so nothing is filed wrong.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import tomllib
from pathlib import Path
from typing import Any

from filmflow import fsutil
from filmflow.errors import ConfigError, InputError
from filmflow.query.refs import parse_roll_code

log = logging.getLogger(__name__)

KEYS = ("code", "stock", "ei", "format", "camera", "lens", "developed", "shot", "lab", "developer",
        "scanner", "notes", "project", "tags", "title")


def parse_date(value: Any, where: str) -> str:
    """A TOML date or 'YYYY-MM-DD' / 'YYYY-MM' text → ISO text; ConfigError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    s = str(value).strip().replace(".", "-").replace("/", "-").replace("_", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            pass
    try:
        return dt.datetime.strptime(s, "%Y-%m").strftime("%Y-%m")
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a date; write it as YYYY-MM-DD.") from None


def parse_shot(value: Any, where: str) -> tuple[str, str]:
    """'2023-06-01..2023-06-05' or a single date → (from, to)."""
    if isinstance(value, str) and ".." in value:
        a, b = value.split("..", 1)
        lo, hi = parse_date(a, where), parse_date(b, where)
        if lo > hi:
            raise ConfigError(f"{where}: shot range {value!r} ends before it starts; swap the dates.")
        return lo, hi
    d = parse_date(value, where)
    return d, d


def load_sidecar(path: Path, text: str | None = None, *, warn: bool = True) -> dict[str, Any]:
    """Read and check roll.toml (or its `text`, read elsewhere, e.g. from a zip); values normalised.

    `warn=False` reads it quietly (a neighbour's code peeked at): its unknown keys are
    reported once, when its own folder is ingested, not at every other folder's.
    """
    try:
        if text is None:
            with fsutil.open_regular(path) as f:  # never blocks on a FIFO nor reads a device
                text = f.read().decode("utf-8")
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path} is not valid TOML ({e}); fix the sidecar and ingest the folder again.") from None
    except OSError as e:
        raise ConfigError(f"{path} cannot be read ({e.strerror or e}); fix its permissions (chmod +r) "
                          "and ingest the folder again.") from None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in KEYS:
            if not warn:
                continue
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            log.warning("%s: unknown key %r ignored%s; valid keys: %s", path, key, hint, ", ".join(KEYS))
            continue
        where = f"{path} [{key}]"
        if key == "developed":
            out[key] = parse_date(value, where)
        elif key == "shot":
            out["shot_from"], out["shot_to"] = parse_shot(value, where)
        elif key == "ei":
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100_000:
                raise ConfigError(f"{where}: ei must be a whole number such as 1600, not {value!r}.")
            out[key] = value
        elif key == "code":
            try:  # one grammar for codes: a code filmflow prints as R042/12 must read back
                out[key] = parse_roll_code(value, where)
            except InputError as e:
                raise ConfigError(f"{e.message} Fix the roll.toml and ingest the folder again.") from None
        elif key == "tags":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                raise ConfigError(f"{where}: tags must be a list of words, e.g. tags = [\"night\", \"seoul\"].")
            out[key] = [t.strip() for t in value if t.strip()]
        else:
            if isinstance(value, (dict, list)):
                raise ConfigError(f"{where}: expected text, not {type(value).__name__}.")
            out[key] = str(value).strip()
    return out
