"""Every command has help text and appears in the README; the README opens with the two commands."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from filmflow.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def all_commands(group: click.Group, prefix: str = ""):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        full = f"{prefix}{name}"
        yield full, cmd
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, full + " ")


def test_every_command_has_help_and_is_documented():
    names = list(all_commands(cli))
    assert len(names) >= 30
    runner = CliRunner()
    missing = []
    for full, cmd in names:
        assert cmd.help, f"{full} has no help text"
        r = runner.invoke(cli, [*full.split(), "--help"])
        assert r.exit_code == 0 and "Usage:" in r.output
        if f"filmflow {full}" not in README:
            missing.append(full)
    assert missing == []


def test_readme_opens_with_install_run_and_test_commands():
    head = README[:2500]
    assert "sample_scans" in head and "pytest" in head
    assert head.index("sample_scans") < head.index("pytest")
