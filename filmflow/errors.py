"""The FilmflowError hierarchy: every error knows its exit code and says one sentence.

A message names the file or value at fault and what to do about it. The CLI catches
FilmflowError once and turns it into that sentence on stderr plus `exit_code`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Every exit code filmflow uses (SPEC: 0 ok, 1 something failed, 2 bad input)."""

    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    INTERRUPTED = 130


class FilmflowError(Exception):
    """Base of all expected errors: one sentence, exit 1."""

    exit_code: int = ExitStatus.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(FilmflowError):
    """Bad usage or bad input: exit 2."""

    exit_code = ExitStatus.BAD_INPUT


class QueryError(InputError):
    """A query term that cannot be understood."""


class NotFoundError(InputError):
    """An unknown roll, frame, project or stock."""


class ConfigError(InputError):
    """A broken filmflow.toml, sidecar or missing library."""


class OperationError(FilmflowError):
    """The command ran but an operation failed: exit 1."""


class LibraryLockedError(InputError):
    """Another watcher holds the library lock (exit 2, as a second watcher is bad usage)."""


class CatalogMissingError(ConfigError):
    """A library whose filmflow.db vanished or is empty (only `init` creates a catalog)."""


class CatalogDamagedError(OperationError):
    """The catalog file is damaged (SQLite reports corruption); the archive is untouched."""


class ReadOnlyLibraryError(OperationError):
    """A command that must change the catalog was given a library it cannot write."""


class ArchiveError(OperationError):
    """A copy, move or verification in the archive failed."""


class UnreadableImageError(OperationError):
    """A scan file that cannot be decoded (zero bytes, truncated, not an image)."""


class MissingExtraError(InputError):
    """An optional dependency is not installed."""


def input_error(e: BaseException) -> InputError | None:
    """The InputError (exit 2) that a low-level error raised by bad input means, or None.

    Text from the command line that is not valid UTF-8 reaches SQLite or a file name as
    surrogate escapes (UnicodeEncodeError); a number beyond 64 bits reaches SQLite as
    OverflowError. Both are the user's input, not a bug.
    """
    if isinstance(e, UnicodeEncodeError) and "surrogates not allowed" in str(e):
        text = e.object if isinstance(e.object, str) else ""
        raw = text[e.start:e.end].encode("utf-8", "surrogateescape")
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return InputError(f"{shown!r} holds bytes that are not valid UTF-8 text ({raw.hex(' ')}); "
                          "retype it in UTF-8 (or set a UTF-8 locale).")
    if isinstance(e, OverflowError) and ("too large" in str(e) or "out of range" in str(e)):
        return InputError(f"a number is too large ({e}); numbers must fit in 64 bits (at most "
                          "9223372036854775807).")
    return None
