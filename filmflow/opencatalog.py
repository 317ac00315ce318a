"""Opening a library's catalog for use: connect (WAL, busy timeout, foreign keys), migrate, and,
when it is writable, finish or undo a re-filing that a killed `roll edit` left half-done.

`Library` holds the paths and settings; every command opens the catalog here, so a half-done
`roll edit` is repaired by whichever command next writes (filmflow.refile). Only `init` creates
a catalog (`Library.init`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from filmflow.catalog.db import connect
from filmflow.refile import recover_refiles

if TYPE_CHECKING:
    from filmflow.catalog.db import Catalog
    from filmflow.library import Library


def open_catalog(lib: Library, *, durable: bool = False, create: bool = False) -> Catalog:
    """Open `lib`'s catalog, migrating it when needed; the caller closes `.conn`.

    `durable=True` commits with synchronous=FULL (a move-mode ingest); only `init` passes
    `create`. A writable catalog first finishes or undoes any re-filing whose owner died.
    """
    db = connect(lib.db_path, durable=durable, create=create)
    if not db.readonly:
        try:
            recover_refiles(lib, db)
        except BaseException:
            db.conn.close()
            raise
    return db
