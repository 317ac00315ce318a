"""Query keys as a table (issue 13 item 5): every key has a value parser (query/parse.py VALUES)
and a compiler (catalog/querykeys.py COMPILERS), and a new key is one entry in each."""

from __future__ import annotations

import pytest

from filmflow.catalog import curation
from filmflow.library import Library
from filmflow.catalog.resolver import CatalogResolver
from filmflow.catalog.querysql import compile_args
from filmflow.catalog import querykeys as key_table
from filmflow.query import parse
from filmflow.catalog.querykeys import Pred
from filmflow.opencatalog import open_catalog
from tests.conftest import add_roll


def test_every_key_has_a_parser_and_a_compiler() -> None:
    assert set(key_table.COMPILERS) == set(parse.VALUES) | {"text", "ref"}
    assert parse.KEYS == {k: v.example for k, v in parse.VALUES.items()}
    for key, value in parse.VALUES.items():
        assert value.example.startswith(f"{key}:"), key


def test_the_compiler_has_no_if_chain_over_keys() -> None:
    import inspect

    from filmflow.catalog import querysql as sql

    source = inspect.getsource(sql._predicate)
    assert "key ==" not in source and "key in (" not in source and len(source.splitlines()) < 10


def test_a_new_key_is_one_entry_in_each_table(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    add_roll(library, "R001", 2, notes="rain all day")
    add_roll(library, "R002", 1, notes="sun")
    monkeypatch.setitem(parse.VALUES, "note", parse.KeyValue("note:rain", lambda value, raw, key: value.strip()))
    monkeypatch.setitem(parse.KEYS, "note", "note:rain")
    monkeypatch.setitem(key_table.COMPILERS, "note", lambda v, res: Pred(
        "instr(r.notes, ?) > 0", "instr(r.notes, ?) > 0", (v,), None, f"notes contain {v!r}"))
    db = open_catalog(library)
    res = CatalogResolver(db.conn, library.stocks, library.formats)
    c = compile_args(["note:rain"], res, "frames")
    assert [f.ref for f in curation.list_frames(db, c)] == ["R001/1", "R001/2"]
    assert c.description == "notes contain 'rain'"
    c = compile_args(["^note:rain"], res, "rolls")
    assert [r.code for r in curation.list_rolls(db, c)] == ["R002"]
    db.conn.close()
