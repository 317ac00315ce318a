"""`project export`: a project's frames as sRGB JPEGs in order, with manifest.json,
index.html, the blog post and a contact sheet (filmflow.export does the work).

The `project` group (cli/projects.py) adds this command.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from filmflow.cli import output
from filmflow.cli.completion import complete_project
from filmflow.errors import ExitStatus


def _language(tag: str) -> str:
    from filmflow.errors import ConfigError
    from filmflow.outputs.gallery import check_language

    try:
        return check_language(tag)
    except ValueError:
        raise ConfigError(f"filmflow.toml: [export] language {tag!r} is not a language tag; "
                          'use e.g. "en", "ko", "ja" or "pt-BR".') from None


@click.command("export")
@click.argument("name", shell_complete=complete_project)
@click.option("--to", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Output folder (default exports/<project-slug>/).")
@click.option("--long-edge", type=int, default=None, help="Long edge in pixels (default 2048; never upscales).")
@click.option("--quality", type=int, default=None, help="JPEG quality 1-100 (default 90).")
@click.option("--picks-only", is_flag=True, help="Only frames marked as picks.")
@click.option("--min-rating", type=int, default=0, help="Only frames rated at least N stars.")
@click.option("--gallery/--no-gallery", default=True, help="Write a self-contained index.html (default on).")
@click.option("--post", "post", type=click.Choice(["plain", "hugo", "jekyll"]), default="plain", show_default=True,
              help="Layout of the Markdown post: post.md, a Hugo page bundle (index.md) or Jekyll _posts/.")
@click.option("--version", "version", type=click.Choice(["preferred", "original"]), default="preferred",
              show_default=True, help="Export each frame's preferred version (an edit, a better scan) or the "
                                      "original scan.")
@click.option("--keep-gps", is_flag=True, help="Keep GPS tags (device serial numbers are always removed).")
@click.option("--json", "as_json", is_flag=True, help="Print the export report as JSON.")
@click.pass_obj
def project_export(app, name, to, long_edge, quality, picks_only, min_rating, gallery, post, version, keep_gps,
                   as_json) -> None:
    """Export a project: sRGB JPEGs in order, manifest.json, index.html, post.md, contact sheet."""
    from filmflow.export import ExportSettings
    from filmflow.export.source import export_from_catalog as export

    lib = app.library()
    s = lib.settings
    # ExportSettings checks the options (InputError naming each); the config's language after them
    settings = ExportSettings(long_edge=s.long_edge if long_edge is None else long_edge,
                              quality=s.quality if quality is None else quality, picks_only=picks_only,
                              min_rating=min_rating, gallery=gallery, keep_gps=keep_gps, artist=s.artist or None,
                              copyright=s.copyright or None, workers=s.workers or 2, post=post, version=version)
    settings = dataclasses.replace(settings, language=_language(s.language))
    report = export(lib, name, to, settings)
    if as_json:
        output.emit_json({
            "project": name, "to": str(report.out_dir), "written": report.written, "unchanged": report.unchanged,
            "renamed": report.renamed, "removed": report.removed, "failed": report.failed,
            "manifest": str(report.manifest), "gallery": str(report.gallery) if report.gallery else None,
            "post": str(report.post) if report.post else None, "sheet": str(report.sheet) if report.sheet else None,
        })
    else:
        click.echo(f"{report.out_dir}: {len(report.written)} written, {len(report.renamed)} renamed, "
                   f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, {len(report.failed)} failed")
        for f in report.failed:
            click.echo(f"    failed: {f['file']}: {f['error']}", err=True)
        for extra in (report.gallery, report.post, report.sheet):
            if extra:
                click.echo(f"  {extra}")
    if report.failed:
        sys.exit(ExitStatus.FAILED)
