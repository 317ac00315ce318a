"""`project create/list/show/add/remove/move/caption/rename/delete` end to end: order kept and
stable, duplicates kept once, Unicode names, project: in queries, delete leaves frames alone,
and every refused command leaves the catalog unchanged."""

from __future__ import annotations

import pytest

from filmflow.library import Library
from tests.conftest import Cli, add_roll
from tests.test_cli_listing import FRAME_KEYS, snapshot

NAME = "서울 2023 · été"


@pytest.fixture
def lib(library: Library) -> Library:
    add_roll(library, "R001", 5)
    add_roll(library, "R002", 3)
    return library


def order(cli: Cli, name: str = NAME) -> list[str]:
    return [f["ref"] for f in cli.json("project", "show", name)["frames"]]


def test_create_add_show_json(cli: Cli, lib: Library) -> None:
    assert cli("project", "create", NAME, "--title", "Seoul", "--description", "a year").stdout.strip() == \
        f"created project {NAME}"
    r = cli("project", "add", NAME, "R002/1", "R001/1", "R001/2", "R001/3", "R001/4")   # refs are a list
    assert r.stdout.strip() == f"added 5 frames to {NAME}; it holds 5"
    r = cli("project", "add", NAME, "R002/1", "R002/2")
    assert r.stdout.strip() == f"added 1 frame to {NAME} (1 already in it); it holds 6"
    data = cli.json("project", "show", NAME)
    assert (data["name"], data["title"], data["description"]) == (NAME, "Seoul", "a year")
    assert [f["ref"] for f in data["frames"]] == ["R001/1", "R001/2", "R001/3", "R001/4", "R002/1", "R002/2"]
    assert [f["position"] for f in data["frames"]] == [1, 2, 3, 4, 5, 6]
    assert FRAME_KEYS | {"position", "caption"} <= set(data["frames"][0])
    assert data["frames"][0]["projects"] == [NAME]
    table = cli("project", "show", NAME).stdout
    assert "R002/2" in table and "title        Seoul" in table


def test_project_names_match_case_and_normalisation_insensitively(cli: Cli, lib: Library) -> None:
    import unicodedata

    cli("project", "create", "Été")
    cli("project", "add", unicodedata.normalize("NFD", "ÉTÉ"), "R001/1")
    assert order(cli, "été") == ["R001/1"]
    assert [f["ref"] for f in cli.json("frames", "project:ÉTÉ")] == ["R001/1"]
    assert [r["code"] for r in cli.json("rolls", "project:été")] == ["R001"]
    r = cli("project", "create", "ÉTÉ", code=2)
    assert "already exists" in r.stderr


def test_move_keeps_the_other_frames_in_order(cli: Cli, lib: Library) -> None:
    cli("project", "create", NAME)
    cli("project", "add", NAME, "roll:R001")
    assert cli("project", "move", NAME, "R001/5", "1").stdout.strip() == "moved R001/5 from position 5 to 1"
    assert order(cli) == ["R001/5", "R001/1", "R001/2", "R001/3", "R001/4"]
    cli("project", "move", NAME, "R001/1", "4")
    assert order(cli) == ["R001/5", "R001/2", "R001/3", "R001/1", "R001/4"]
    cli("project", "move", NAME, "R001/4", "4")
    assert order(cli) == ["R001/5", "R001/2", "R001/3", "R001/4", "R001/1"]
    cli("project", "move", NAME, "R001/2", "2")          # no-op
    assert order(cli) == ["R001/5", "R001/2", "R001/3", "R001/4", "R001/1"]
    # adding later appends; removing closes the gap; positions stay 1..N
    cli("project", "add", NAME, "R002/1", "R001/3")
    cli("project", "remove", NAME, "R001/2")
    data = cli.json("project", "show", NAME)["frames"]
    assert [f["ref"] for f in data] == ["R001/5", "R001/3", "R001/4", "R001/1", "R002/1"]
    assert [f["position"] for f in data] == [1, 2, 3, 4, 5]


def test_a_frame_can_be_in_several_projects(cli: Cli, lib: Library) -> None:
    cli("project", "create", "A")
    cli("project", "create", "B")
    cli("project", "add", "A", "R001/1", "R001/2")
    cli("project", "add", "B", "R001/2")
    assert cli.json("frames", "R001/2")[0]["projects"] == ["A", "B"]
    assert [f["ref"] for f in cli.json("frames", "project:A", "project:B")] == ["R001/2"]
    assert [f["ref"] for f in cli.json("frames", "project:A", "^project:B")] == ["R001/1"]


def test_caption_is_stored_verbatim_and_searchable(cli: Cli, lib: Library) -> None:
    cli("project", "create", NAME)
    cli("project", "add", NAME, "R001/1", "R001/2")
    evil = "'; DROP TABLE frames; --"
    cli("project", "caption", NAME, "R001/2", evil)
    cli("project", "caption", NAME, "R001/1", "남산 타워 at dusk")
    data = cli.json("project", "show", NAME)["frames"]
    assert [f["caption"] for f in data] == ["남산 타워 at dusk", evil]
    assert [f["ref"] for f in cli.json("frames", "남산")] == ["R001/1"]
    assert [f["ref"] for f in cli.json("frames", "DROP TABLE")] == ["R001/2"]
    assert len(cli.json("frames")) == 8
    assert cli("project", "caption", NAME, "R001/2", "").stdout.strip() == "cleared the caption of R001/2"
    assert cli.json("project", "show", NAME)["frames"][1]["caption"] is None


def test_rename_list_and_delete_leave_frames_alone(cli: Cli, lib: Library) -> None:
    cli("project", "create", NAME)
    cli("project", "add", NAME, "roll:R002")
    cli("project", "rename", NAME, "Portfolio 포트폴리오")
    assert [p["name"] for p in cli.json("project", "list")] == ["Portfolio 포트폴리오"]
    assert cli.json("project", "list")[0]["frames"] == 3
    cli("project", "rename", "portfolio 포트폴리오", "PORTFOLIO 포트폴리오")   # a change of case only
    cli("rate", "5", "roll:R002")
    frames_before = snapshot(lib)["frames"]
    r = cli("project", "delete", "PORTFOLIO 포트폴리오")
    assert "3 frames left in the catalog" in r.stdout
    assert cli.json("project", "list") == []
    after = snapshot(lib)
    assert after["frames"] == frames_before and after["project_frames"] == []
    assert [f["rating"] for f in cli.json("frames", "roll:R002")] == [5, 5, 5]
    assert "no projects yet" in cli("project", "list").stderr


@pytest.mark.parametrize("args,message", [
    (["project", "show", "nope"], "no project named 'nope'"),
    (["project", "add", "nope", "R001/1"], "no project named 'nope'"),
    (["project", "add", "P", "R001/99"], "no frame R001/99"),
    (["project", "add", "P", "R009/1"], "no roll with code 'R009'"),
    (["project", "add", "P"], "needs a QUERY"),
    (["project", "add", "P", "rating:9"], "rating must be 0 to 5"),
    (["project", "add", "P", "'; DROP TABLE frames; --"], "unbalanced quote"),
    (["project", "remove", "P", "foo:bar"], "unknown query key"),
    (["project", "move", "P", "R001/3", "1"], "R001/3 is not in project 'P'"),
    (["project", "move", "P", "R001/1", "3"], "give 1 to 2"),
    (["project", "move", "P", "R001/1", "0"], "give 1 to 2"),
    (["project", "move", "P", "R001/1", "two"], "is not a valid integer"),
    (["project", "move", "P", "R001", "1"], "not a frame reference"),
    (["project", "caption", "P", "R002/1", "x"], "not in project"),
    (["project", "caption", "'; DROP TABLE frames; --", "R001/1", "x"], "no project named"),
    (["project", "caption", "P", "R001/1", "a\x00b"], "control character"),
    (["project", "create", "p"], "already exists"),
    (["project", "create", "  "], "cannot be empty"),
    (["project", "rename", "P", "Q"], "already exists"),
    (["project", "rename", "nope", "Z"], "no project named"),
    (["project", "delete", "nope"], "no project named"),
])
def test_bad_input_exits_2_and_changes_nothing(cli: Cli, lib: Library, args: list[str], message: str) -> None:
    cli("project", "create", "P")
    cli("project", "create", "Q")
    cli("project", "add", "P", "R001/1", "R001/2")
    before = snapshot(lib)
    r = cli(*args, code=2)
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot(lib) == before


def test_project_group_is_exported_for_other_commands() -> None:
    from filmflow.cli.projects import project_group

    assert {"create", "list", "show", "add", "remove", "move", "caption", "rename", "delete"} <= set(
        project_group.commands)
