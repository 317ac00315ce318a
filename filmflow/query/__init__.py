"""The query language: command-line terms -> typed terms (`parse`) -> parameterised SQL (`sql`).

`refs` owns the grammar of roll codes and frame references (also used by the catalog and
ingest); `keys` holds one compiler per query key.

Typical use (what the CLI and the catalog's curation/projects modules do; the resolver
runs the catalog look-ups, so it lives in `filmflow.catalog.resolver`)::

    resolver = CatalogResolver(db.conn, library.stocks, library.formats)
    compiled = compile_args(["stock:portra400", "rating:>=4"], resolver, "frames")
    read_frames(db, compiled, sort, limit)   # filmflow.catalog.frames

See docs/query.md for the grammar.
"""

from filmflow.query.parse import KEYS, DateSpan, FrameRef, Interval, Query, Term, parse_query, parse_term
from filmflow.query.sql import (
    FRAME_SORTS,
    ROLL_SORTS,
    Compiled,
    Resolver,
    compile_args,
    compile_query,
    order_by,
)

__all__ = [
    "KEYS", "DateSpan", "FrameRef", "Interval", "Query", "Term", "parse_query", "parse_term",
    "FRAME_SORTS", "ROLL_SORTS", "Compiled", "Resolver", "compile_args",
    "compile_query", "order_by",
]
