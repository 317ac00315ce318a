"""The root click group: --library / -v / --debug, and the single error -> exit-code handler.

Commands live in the sibling modules; each has `register(root)`. Nothing outside
`filmflow.cli` imports click or this package.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import sqlite3
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import click

from filmflow import __version__
from filmflow.config import DB_NAME, find_library
from filmflow.errors import ExitStatus, FilmflowError, input_error
from filmflow.library import Library

log = logging.getLogger("filmflow")


@dataclass
class AppContext:
    """What every command gets: the library (opened lazily) and the debug flag."""

    library_arg: Path | None = None
    debug: bool = False
    _library: Library | None = field(default=None, repr=False)

    @property
    def library_path(self) -> Path:
        return find_library(self.library_arg)

    def library(self) -> Library:
        """The opened library (ConfigError when it was never initialised)."""
        if self._library is None:
            self._library = Library.open(self.library_path)
        return self._library


class FilmflowClickError(click.ClickException):
    """A FilmflowError shown as one line with its own exit code."""

    def __init__(self, err: FilmflowError) -> None:
        super().__init__(err.message)
        self.exit_code = int(err.exit_code)

    def show(self, file=None) -> None:  # noqa: D102 - click API
        click.echo(f"filmflow: {self.format_message()}", err=True)


# command -> the module that registers it; imported only when that command runs, so
# `filmflow stocks` does not pay for Pillow and `filmflow rolls` not for the ingest pipeline
LAZY_COMMANDS = {
    "init": "admin", "status": "admin", "ingest": "ingest", "watch": "watch", "roll": "rolls",
    "rolls": "listing", "frames": "listing", "rate": "curation", "pick": "curation", "reject": "curation",
    "unflag": "curation", "tag": "curation", "project": "projects", "stats": "stats", "verify": "verify",
    "stocks": "stocks", "xmp": "xmp", "log": "logs", "version": "versions",
    "serve": "serve",
}


class FilmflowGroup(click.Group):
    """Root group: loads command modules on demand; turns expected errors into one line and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: D102 - click API
        return sorted(set(self.commands) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:  # noqa: D102 - click API
        if name not in self.commands and name in LAZY_COMMANDS:
            importlib.import_module(f"filmflow.cli.{LAZY_COMMANDS[name]}").register(self)
        return self.commands.get(name)

    def resolve_command(self, ctx: click.Context, args: list[str]):  # noqa: D102 - click API
        name = click.utils.make_str(args[0])
        if not ctx.resilient_parsing and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=2)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint} `filmflow --help` lists them.")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context):  # noqa: D102 - click API
        try:
            return super().invoke(ctx)
        except FilmflowError as e:
            if _debug(ctx):
                traceback.print_exc()
            raise FilmflowClickError(e) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(ExitStatus.INTERRUPTED)
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(0)
        except Exception as e:  # the one place an unexpected error is caught
            known = _known_error(ctx, e)
            if known is not None:
                if _debug(ctx):
                    traceback.print_exc()
                raise FilmflowClickError(known) from None
            if _debug(ctx):
                raise
            _log_internal(ctx, e)
            click.echo(f"filmflow: internal error ({type(e).__name__}: {e}); rerun with --debug "
                       "and report it.", err=True)
            ctx.exit(ExitStatus.FAILED)


def _known_error(ctx: click.Context, e: Exception) -> FilmflowError | None:
    """An exception that is not a bug: the catalog's state (damaged, read-only, disk full) or bad input."""
    if isinstance(e, sqlite3.Error):
        from filmflow.catalog.db import catalog_error

        obj = ctx.find_object(AppContext)
        return catalog_error(e, obj.library_path / DB_NAME) if obj else None
    return input_error(e)


def _debug(ctx: click.Context) -> bool:
    obj = ctx.find_object(AppContext)
    return bool(obj and obj.debug)


def _log_internal(ctx: click.Context, e: Exception) -> None:
    obj = ctx.find_object(AppContext)
    try:
        lib = obj.library() if obj else None
        if lib is not None:
            lib.logs.mkdir(exist_ok=True)
            with open(lib.logs / "errors.log", "a", encoding="utf-8") as f:
                f.write("".join(traceback.format_exception(e)))
    except Exception:  # noqa: BLE001 - logging the error must not raise another
        pass


def setup_logging(verbose: int, debug: bool) -> None:
    """Warnings by default, -v info, --debug debug; messages to stderr."""
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_filmflow", False):
            root.removeHandler(h)
    h = logging.StreamHandler(sys.stderr)
    h._filmflow = True  # type: ignore[attr-defined]
    h.setLevel(level)  # a module may lower its logger's level for a file log; stderr stays as asked
    h.setFormatter(logging.Formatter("filmflow: %(message)s" if not debug else "%(levelname)s %(name)s: %(message)s"))
    root.addHandler(h)
    root.setLevel(level)
    logging.getLogger("filmflow").setLevel(logging.NOTSET)
    logging.getLogger("PIL").setLevel(logging.WARNING)
    logging.getLogger("exifread").setLevel(logging.ERROR)
    logging.getLogger("watchdog").setLevel(logging.WARNING)


@click.group(cls=FilmflowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--library", "library", type=click.Path(path_type=Path, file_okay=False),
              help="Library folder (default: $FILMFLOW_LIBRARY, a parent holding filmflow.toml, "
                   "~/Pictures/filmflow).")
@click.option("-v", "--verbose", count=True, help="More messages (info).")
@click.option("--debug", is_flag=True, help="Debug messages and tracebacks.")
@click.version_option(__version__, prog_name="filmflow")
@click.pass_context
def cli(ctx: click.Context, library: Path | None, verbose: int, debug: bool) -> None:
    """filmflow: ingest film scans, catalog rolls, curate projects, export portfolios."""
    setup_logging(verbose, debug)
    ctx.obj = AppContext(library_arg=library, debug=debug)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="filmflow")
