"""CLI: `filmflow serve`, the light table (filmflow/web), started and stopped here."""

from __future__ import annotations

import click

from filmflow.errors import ExitStatus


@click.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default 8765, or a free one when it is taken; 0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback lets others on that network in.")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.option("--read-only", is_flag=True, help="Look only: every change is refused.")
@click.pass_context
def serve(ctx: click.Context, port: int | None, host: str, no_browser: bool, read_only: bool) -> None:
    """The light table: cull, rate and order frames in the browser (prints its address with a token)."""
    from filmflow.web.server import is_loopback, make_server

    lib = ctx.obj.library()
    if not is_loopback(host):
        click.echo(f"filmflow: warning: listening on {host}: anyone on that network who gets the URL "
                   "can change the catalog.", err=True)
    server = make_server(lib, host, port, read_only=read_only)
    click.echo(server.url)
    if not no_browser:
        import webbrowser

        webbrowser.open(server.url)
    server.run()
    ctx.exit(ExitStatus.INTERRUPTED)


def register(root: click.Group) -> None:
    """Add this module's commands to the root group."""
    root.add_command(serve)
