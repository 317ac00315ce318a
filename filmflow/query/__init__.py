"""The query language: command-line terms -> typed terms (`parse`), and the one grammar of roll
codes and frame references (`refs`, also used by the catalog and ingest). No SQL and no I/O.

Turning terms into SQL is the catalog's (every SQL statement lives in `filmflow/catalog/`):
`catalog/querysql.py` compiles a parsed query into a parameterised WHERE clause plus its
plain-English description, through one compiler per key (`catalog/querykeys.py`); the catalog
look-ups it needs are `catalog/resolver.py`'s. Typical use (what the CLI and the light table do)::

    resolver = CatalogResolver(db.conn, library.stocks, library.formats)
    compiled = compile_args(["stock:portra400", "rating:>=4"], resolver, "frames")
    read_frames(db, compiled, sort, limit)   # filmflow.catalog.frames

See docs/query.md for the grammar.
"""

from filmflow.query.parse import KEYS, DateSpan, FrameRef, Interval, Query, Term, parse_query, parse_term

__all__ = ["KEYS", "DateSpan", "FrameRef", "Interval", "Query", "Term", "parse_query", "parse_term"]
