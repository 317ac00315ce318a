"""Rough edges a user trips on: LICENSE, shell completion, "did you mean", help texts, plurals."""

from __future__ import annotations

import click
import pytest
from click.shell_completion import ShellComplete

from conftest import REPO, add_roll
from filmflow.cli import cli as root
from filmflow.wording import count, noun, stops
from filmflow.opencatalog import open_catalog


def test_license_is_the_mit_text_pyproject_names():
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) 2026 filmflow contributors" in text
    assert 'license = { text = "MIT" }' in (REPO / "pyproject.toml").read_text()


# ---- shell completion, through click's completion API ------------------------------------------

def complete(library, *words: str) -> list[str]:
    args, incomplete = ["--library", str(library.root), *words[:-1]], words[-1]
    comp = ShellComplete(root, {}, "filmflow", "_FILMFLOW_COMPLETE")
    return [c.value for c in comp.get_completions(args, incomplete)]


def test_completes_roll_codes(library, cli):
    for code in ("R001", "R002", "R042"):
        add_roll(library, code)
    assert complete(library, "roll", "show", "R0") == ["R001", "R002", "R042"]
    assert complete(library, "roll", "sheet", "R04") == ["R042"]
    assert complete(library, "ingest", "--roll", "R00") == ["R001", "R002"]


def test_completes_project_names(library, cli):
    cli("project", "create", "Seoul 2023")
    cli("project", "create", "서울 2024")
    cli("project", "create", "Kyoto")
    assert complete(library, "project", "show", "S") == ["Seoul 2023"]
    assert complete(library, "project", "add", "서") == ["서울 2024"]
    assert complete(library, "project", "export", "") == ["Kyoto", "Seoul 2023", "서울 2024"]


def test_completes_query_keys_and_their_values(library, cli):
    add_roll(library, "R042")
    cli("project", "create", "Seoul 2023")
    assert complete(library, "rolls", "st") == ["stock:"]
    assert "^tag:" in complete(library, "frames", "^t")
    assert complete(library, "frames", "roll:R0") == ["roll:R042"]
    assert complete(library, "pick", "project:Se") == ["project:Seoul 2023"]
    keys = complete(library, "frames", "")
    assert {"roll:", "stock:", "rating:", "year:", "path:"} <= set(keys)


def test_completes_sort_fields_per_command(library):
    from filmflow.catalog.querysql import FRAME_SORTS, ROLL_SORTS

    assert set(complete(library, "rolls", "--sort", "")) == set(ROLL_SORTS)
    assert set(complete(library, "frames", "--sort", "")) == set(FRAME_SORTS)
    assert all(v.startswith("-") for v in complete(library, "frames", "--sort", "-"))


def test_completion_without_a_library_offers_nothing_and_says_nothing(tmp_path):
    comp = ShellComplete(root, {}, "filmflow", "_FILMFLOW_COMPLETE")
    got = comp.get_completions(["--library", str(tmp_path / "none"), "roll", "show"], "R")
    assert got == []


def test_readme_documents_shell_completion():
    readme = (REPO / "README.md").read_text()
    for shell in ("bash", "zsh", "fish"):
        assert f"_FILMFLOW_COMPLETE={shell}_source filmflow" in readme


# ---- did you mean ------------------------------------------------------------------------------

def test_mistyped_command_gets_did_you_mean(cli):
    r = cli("rols", code=2)
    assert "No such command 'rols'" in r.stderr and "Did you mean 'rolls'" in r.stderr
    r = cli("stauts", code=2)
    assert "'status'" in r.stderr
    r = cli("xyzzy", code=2)
    assert "Did you mean" not in r.stderr


# ---- help texts --------------------------------------------------------------------------------

def walk(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from walk(cmd, ctx, (*prefix, name))


def test_help_says_what_the_json_is(cli):
    ctx = click.Context(root)
    for path, _ in walk(root, ctx):
        out = cli(*path, "--help").stdout
        assert "SPEC" not in out, path
        if "--json" in out:  # says what is printed, in a few words at least
            assert len(out.split("--json", 1)[1].split("\n  -", 1)[0].split()) >= 4, path


def test_short_help_is_never_cut_mid_sentence():
    ctx = click.Context(root)
    for path, cmd in walk(root, ctx):
        short = cmd.get_short_help_str(limit=45)
        assert short.endswith("...") or short.count("(") == short.count(")"), (path, short)
        assert not short.endswith("e.g."), (path, short)


def test_project_help_shows_move_whole(cli):
    out = cli("project", "--help").stdout
    move = next(line for line in out.splitlines() if line.strip().startswith("move "))
    assert "(e.g." not in move and "POSITION" in move


# ---- plurals -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n, word, expected", [
    (0, "roll", "0 rolls"), (1, "roll", "1 roll"), (2, "roll", "2 rolls"), (1204, "frame", "1,204 frames"),
    (1, "day", "1 day"), (1.0, "day", "1 day"), (2.5, "day", "2.5 days"), (1, "copy", "1 copy"),
    (3, "copy", "3 copies"),
])
def test_count(n, word, expected):
    assert count(n, word) == expected


@pytest.mark.parametrize("text, expected", [
    ("+1", "+1 stop"), ("-1", "-1 stop"), ("+1/3", "+1/3 stop"), ("-2/3", "-2/3 stop"),
    ("+2", "+2 stops"), ("+1 2/3", "+1 2/3 stops"), ("0", "0 stops"),
])
def test_stops(text, expected):
    assert stops(text) == expected


def test_noun_takes_the_singular_up_to_one():
    assert [noun(x, "stop") for x in (0, 1 / 3, 1, 4 / 3)] == ["stops", "stop", "stop", "stops"]


def test_status_and_query_descriptions_use_singulars(library, cli):
    add_roll(library, "R001", n_frames=1)
    out = cli("status").stdout
    assert "1 roll, 1 frame, 0 picks, 0 projects" in out
    from filmflow.catalog.resolver import CatalogResolver
    from filmflow.catalog.querysql import compile_args

    db = open_catalog(library)
    try:
        res = CatalogResolver(db.conn, library.stocks, library.formats)
        assert compile_args(["push:+1"], res, "rolls").description == "push 1 stop"
        assert compile_args(["push:+2"], res, "rolls").description == "push 2 stops"
        assert compile_args(["push:1..2"], res, "rolls").description.endswith(" stops")
    finally:
        db.conn.close()
