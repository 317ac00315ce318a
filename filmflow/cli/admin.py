"""`filmflow init` and `filmflow status`."""

from __future__ import annotations

from pathlib import Path

import click

from filmflow.cli import output
from filmflow.library import Library
from filmflow.opencatalog import open_catalog
from filmflow.wording import count


@click.command("init")
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.pass_obj
def init(app, directory: Path | None) -> None:
    """Create a library (filmflow.toml, filmflow.db, inbox/, archive/, exports/, cache/, logs/)."""
    root = directory or app.library_path
    lib, created = Library.init(root)
    open_catalog(lib).conn.close()  # as every command does: finish a roll edit a killed process left half-done
    if created:
        click.echo(f"created library {lib.root}")
        click.echo(f"  settings: {lib.root / 'filmflow.toml'} (commented defaults)")
        click.echo(f"  drop scan folders in {lib.inbox} and run `filmflow watch`, or `filmflow ingest FOLDER`")
    else:
        click.echo(f"library {lib.root} already exists; nothing changed")


@click.command("status")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON object: rolls, frames, watcher, waiting, held_back, failures, failed...")
@click.pass_obj
def status(app, as_json: bool) -> None:
    """Catalog size, watcher state, last roll ingested, failures."""
    from filmflow.fixity.status import library_status

    lib = app.library()
    st = library_status(lib)
    if as_json:
        output.emit_json(st)
        return
    w = st["watcher"]
    pairs = [
        ("library", st["library"]),
        ("catalog", ", ".join([count(st["rolls"], "roll"), count(st["frames"], "frame"), count(st["picks"], "pick"),
                               count(st["projects"], "project")])),
        ("archive", f"{st['bytes'] / 1e9:.2f} GB"),
        ("watcher", f"running (pid {w['pid']}, since {w.get('since', '?')})" if w["running"] else "not running"),
        ("last roll", st["last_roll"] or "-"),
        ("waiting", ", ".join(_waiting(st)) or "-"),
        ("roll edits", "; ".join(_refiling(r) for r in st["refiling"]) or "-"),
        ("failed", f"{st['failures']} (files and folders; each below with what to do)" if st["failures"] else "0"),
        ("xmp sidecars", f"{st['xmp']['sidecars']}" + (f", {len(st['xmp']['unreadable'])} unreadable (not taken in): "
                         + ", ".join(st["xmp"]["unreadable"][:5]) if st["xmp"]["unreadable"] else "")),
        *([("loose images", ", ".join(st["loose"]) + " (left alone: put each in a folder named after its roll)")]
          if st.get("loose") else []),
        ("light table", ", ".join(f"http://{t.get('host')}:{t.get('port')} (pid {t.get('pid')}"
                                  f"{', read-only' if t.get('read_only') else ''})" for t in st["light_table"])
         or "not running"),
        ("schema", st["schema"]),
    ]
    output.kv(pairs)
    for f in st["failed"][:10]:
        click.echo(f"  {f['error']}")  # the error names the file or folder and the fix
    if st["failures"] > 10:
        click.echo(f"  ... and {st['failures'] - 10} more (`filmflow status --json` lists the newest 20)")


def _refiling(r: dict) -> str:
    """One unfinished roll edit: which roll, where to, how far."""
    step = "copying" if r["state"] == "copying" else "removing the old files"
    return f"{r['roll']} moving to {r['to']} ({step}, {r['files']} files, pid {r['pid']})"


def _waiting(st: dict) -> list[str]:
    """Sources waiting to settle; one held back by a partial file names the file."""
    held = {h["source"]: h["waits_for"] for h in st.get("held_back", [])}
    return [f"{name} (waits for {held[name]})" if name in held else name for name in st["waiting"]]


def register(root: click.Group) -> None:
    """Add `init` and `status`."""
    root.add_command(init)
    root.add_command(status)
