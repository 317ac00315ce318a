"""Each CLI module registers exactly the commands the root group says it owns (LAZY_COMMANDS),
so `filmflow X` loads only X's module, and a command added to the wrong module fails here."""

from __future__ import annotations

import importlib

import click

from filmflow.cli import LAZY_COMMANDS


def test_each_cli_module_registers_exactly_its_commands():
    for module in sorted(set(LAZY_COMMANDS.values())):
        group = click.Group("probe")
        importlib.import_module(f"filmflow.cli.{module}").register(group)
        owned = sorted(name for name, m in LAZY_COMMANDS.items() if m == module)
        assert sorted(group.commands) == owned, module


def test_no_cli_module_is_named_for_commands_it_does_not_own():
    # the module names that are not a command's name say what the commands share
    shared = {"admin": {"init", "status"}, "listing": {"rolls", "frames"},
              "curation": {"rate", "pick", "reject", "unflag", "tag"}, "rolls": {"roll"},
              "projects": {"project"}, "logs": {"log"}, "versions": {"version"}}
    for module in set(LAZY_COMMANDS.values()):
        owned = {name for name, m in LAZY_COMMANDS.items() if m == module}
        assert owned == shared.get(module, {module}), module
