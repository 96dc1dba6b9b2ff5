"""`qualcode serve`: the review in the browser, on this machine only."""
from __future__ import annotations

import click

from qualcode.cli.options import coder_option, project_path_option, study_option

DEFAULT_PORT = 8765


@click.command()
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free port).")
@coder_option(required=False, help="Your coder name (also from QUALCODE_CODER); else you type it on the first page.")
@study_option("Start the review with only this study (the page can change it).")
@project_path_option()
def serve(port, coder, study, project_path) -> None:
    """Review, reconcile and see results in your browser, served from this machine only.

    Listens on 127.0.0.1 (never another interface) and prints a link with a random
    token; open it in your browser. Nothing is sent anywhere. Decisions are stored as
    you make them, in the same decision log as `qualcode review` (source 'web'), so
    `qualcode history`, `qualcode undo` and the outputs see them. Stop with Ctrl-C.

    \b
    Example:
      qualcode serve --coder anna
      qualcode serve --port 0 --project demo.qualcode
    """
    from qualcode.web.server import start

    running = start(project_path, port=port, coder=coder, study=study)
    click.echo("qualcode is serving this project in your browser (on this machine only). Open:")
    click.echo(f"  {running.url}")
    click.echo("Stop with Ctrl-C; every decision is saved when it is made.")
    try:
        running.run()  # returns on Ctrl-C (waitress stops its threads first)
    finally:
        running.close()
    click.echo("Stopped. Every decision made in the browser is saved.")


COMMANDS = (serve,)
