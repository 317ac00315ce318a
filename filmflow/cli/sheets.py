"""`roll sheet` and `project sheet`: contact sheets of a roll or a project.

The `roll` and `project` groups (cli/rolls.py, cli/projects.py) add these commands.
"""

from __future__ import annotations

from pathlib import Path

import click

from filmflow.cli.completion import complete_project, complete_roll_code

PAPER = click.Choice(["A4", "letter", "A3"], case_sensitive=False)
STYLE = click.Choice(["dark", "light"])


def sheet_options(f):
    """-o/--paper/--dpi/--style/--force, shared by both sheet commands."""
    f = click.option("--force", is_flag=True,
                     help="Replace existing files at the output names even if filmflow did not write them.")(f)
    f = click.option("--style", type=STYLE, default=None, help="dark (default) or light (paper proof).")(f)
    f = click.option("--dpi", type=click.IntRange(72, 1200), default=None, help="Resolution (default 300).")(f)
    f = click.option("--paper", type=PAPER, default=None, help="Paper size (default A4).")(f)
    f = click.option("-o", "--output", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="Output file: .jpg, .png or .pdf (default exports/sheets/NAME.pdf).")(f)
    return f


def _paper(p: str | None) -> str | None:
    return {"a4": "A4", "a3": "A3", "letter": "letter"}.get(p.lower()) if p else None


def _done(result, as_json: bool = False) -> None:
    pages = f", {result.pages} pages" if result.pages > 1 else ""
    click.echo(f"{result.path} ({result.frames} frames{pages})")


@click.command("sheet")
@click.argument("code", shell_complete=complete_roll_code)
@sheet_options
@click.pass_obj
def roll_sheet(app, code, out, paper, dpi, style, force) -> None:
    """A darkroom-style contact sheet of one roll."""
    from filmflow.outputs.make import roll_sheet as render

    _done(render(app.library(), code, out, paper=_paper(paper), dpi=dpi, style=style, force=force))


@click.command("sheet")
@click.argument("name", shell_complete=complete_project)
@sheet_options
@click.pass_obj
def project_sheet(app, name, out, paper, dpi, style, force) -> None:
    """A contact sheet of a project's frames, in project order."""
    from filmflow.outputs.make import project_sheet as render

    _done(render(app.library(), name, out, paper=_paper(paper), dpi=dpi, style=style, force=force))
