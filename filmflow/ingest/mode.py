"""How ingest treats the source files: IngestMode (copy, move, in place)."""

from __future__ import annotations

from enum import Enum


class IngestMode(str, Enum):
    """How ingest treats the source files."""

    COPY = "copy"
    MOVE = "move"
    IN_PLACE = "in-place"
