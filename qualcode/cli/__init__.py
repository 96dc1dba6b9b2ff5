"""The `qualcode` command: thin click commands over ``qualcode.Project``.

Errors are turned into one ``Error: ...`` line here and nowhere else. Each
``commands_*`` module registers its commands on :data:`main`.
"""
from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import click

from qualcode.errors import QualcodeError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class QualcodeGroup(click.Group):
    """A click group that shows QualcodeError as one line and exits non-zero, without traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QualcodeError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted; decisions made so far are saved, nothing else was changed.", err=True)
            sys.exit(130)


@click.group(cls=QualcodeGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="qualcode")
def main() -> None:
    """qualcode: code interview and workshop transcripts into opportunity/risk matrices.

    \b
    Typical session:
      qualcode init
      qualcode import transcripts/ --study vo-2025 --cases cases.csv
      qualcode code --codebook codebooks/werkbeleving.yaml
      qualcode review --coder anna          (or: qualcode review export review.xlsx)
      qualcode matrix --by role
      qualcode export xlsx results.xlsx

    Every command takes --project PATH (or the QUALCODE_PROJECT environment variable);
    the default is project.qualcode in the current folder.
    """


def project_option(func: Callable) -> Callable:
    """Add --project and pass an open ``Project`` as ``project``; closes it afterwards."""

    @click.option(
        "--project", "project_path", default="project.qualcode", envvar="QUALCODE_PROJECT",
        show_default=True, type=click.Path(dir_okay=False),
        help="Project file (also from the QUALCODE_PROJECT environment variable).",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, project_path: str, **kwargs: Any) -> Any:
        from qualcode.project import Project

        with Project.open(project_path) as project:
            return func(*args, project=project, **kwargs)

    return wrapper


def coder_option(required: bool = True, help: str = "Your coder name (also from QUALCODE_CODER).") -> Callable:
    """Add --coder (from QUALCODE_CODER); when required and missing, say how to give it."""

    def decorate(func: Callable) -> Callable:
        @click.option("--coder", envvar="QUALCODE_CODER", default=None, help=help)
        @functools.wraps(func)
        def wrapper(*args: Any, coder: str | None, **kwargs: Any) -> Any:
            from qualcode.errors import UsageError

            if required and not (coder and coder.strip()):
                raise UsageError("who is deciding? pass --coder NAME or set QUALCODE_CODER=NAME")
            return func(*args, coder=coder.strip() if coder else None, **kwargs)

        return wrapper

    return decorate


def format_option(choices: tuple[str, ...] = ("table", "csv", "json", "markdown")) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True,
                        help="Output format: a readable table, or csv/json/markdown for scripts.")


# Register the commands (each module adds its own to `main`).
from qualcode.cli import commands_code, commands_demo, commands_foundation  # noqa: E402,F401
from qualcode.cli import commands_agree  # noqa: E402,F401
from qualcode.cli import commands_review  # noqa: E402,F401
from qualcode.cli import commands_report  # noqa: E402,F401
