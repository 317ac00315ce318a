"""`filmflow stocks [TEXT]`: list and search the film stock catalog (built-in + filmflow.toml)."""

from __future__ import annotations

from dataclasses import asdict

import click

from filmflow.cli import output
from filmflow.config import find_library, load_settings
from filmflow.stocks import StockCatalog, did_you_mean


@click.command("stocks")
@click.argument("text", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Every matching stock with all its fields.")
@click.pass_obj
def stocks(app, text: tuple[str, ...], as_json: bool) -> None:
    """List film stocks, or search them by name, maker or alias (포트라, ポートラ, hp5+)."""
    # works without a library too (the built-in catalog), with the library's additions when there is one
    root = find_library(app.library_arg)
    settings = load_settings(root / "filmflow.toml")
    catalog = StockCatalog.load(settings.stocks)
    query = " ".join(text)
    found = catalog.search(query) if query else catalog.all()
    if as_json:
        output.emit_json([{**asdict(s), "formats": list(s.formats), "aliases": list(s.aliases)} for s in found])
        return
    if not found:
        hint = did_you_mean(catalog, query)
        click.echo(f"no stock matches {query!r}" + (f"; {hint}" if hint else ""), err=True)
        return
    output.table([(s.name, s.iso, s.process, s.type, " ".join(s.formats),
                   ("discontinued" if s.discontinued else "") + (" respooled" if s.respooled else ""),
                   ", ".join(s.aliases[:4]) + (" ..." if len(s.aliases) > 4 else ""))
                  for s in found],
                 ["STOCK", "ISO", "PROCESS", "TYPE", "FORMATS", "NOTE", "ALIASES"], right=(1,))


def register(root: click.Group) -> None:
    """Add `stocks`."""
    root.add_command(stocks)
