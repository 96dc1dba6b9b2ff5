"""Every option shared by several commands, defined once."""
from __future__ import annotations

import functools
from typing import Any, Callable

import click

from qualcode.errors import UsageError

DEFAULT_PROJECT = "project.qualcode"
PROJECT_HELP = "Project file (also from the QUALCODE_PROJECT environment variable)."
CODER_HELP = "Your coder name (also from QUALCODE_CODER)."

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _set_wait(ctx: click.Context, param: click.Parameter, value: float | None) -> None:
    from qualcode.store.connection import set_default_wait

    set_default_wait(value)


def project_path_option(help: str = PROJECT_HELP) -> Decorator:
    """--project as a path (``project_path``), for commands that open the project themselves or not at all.

    With it comes --wait SECONDS (also QUALCODE_WAIT): how long to wait while another
    qualcode command is writing to the project before saying it is busy.
    """
    project = click.option("--project", "project_path", default=DEFAULT_PROJECT, envvar="QUALCODE_PROJECT",
                           show_default=True, type=click.Path(dir_okay=False), help=help)
    wait = click.option("--wait", type=click.FloatRange(min=0), default=None, envvar="QUALCODE_WAIT",
                        expose_value=False, callback=_set_wait, metavar="SECONDS",
                        help="How long to wait while another qualcode command is using the project "
                             "(default 10; also QUALCODE_WAIT).")

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return project(wait(func))

    return decorate


def project_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--project, passing an open ``Project`` as ``project``; closes it afterwards."""

    @project_path_option()
    @functools.wraps(func)
    def wrapper(*args: Any, project_path: str, **kwargs: Any) -> Any:
        from qualcode.project import Project

        with Project.open(project_path) as project:
            return func(*args, project=project, **kwargs)

    return wrapper


def coder_option(required: bool = True, help: str = CODER_HELP) -> Decorator:
    """--coder (also from QUALCODE_CODER), stripped; when required and missing, say how to give it."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @click.option("--coder", envvar="QUALCODE_CODER", default=None, help=help)
        @functools.wraps(func)
        def wrapper(*args: Any, coder: str | None, **kwargs: Any) -> Any:
            if required and not (coder and coder.strip()):
                raise UsageError("who is deciding? pass --coder NAME or set QUALCODE_CODER=NAME")
            return func(*args, coder=coder.strip() if coder else None, **kwargs)

        return wrapper

    return decorate


def format_option(choices: tuple[str, ...] = ("table", "csv", "json", "markdown")) -> Decorator:
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True,
                        help="Output format: a readable table, or csv/json/markdown for scripts.")


def study_option(help: str = "Only this study (see `qualcode status`).") -> Decorator:
    return click.option("--study", default=None, help=help)


def by_option(default: str | None = None,
              help: str = "Also one matrix per value of this case attribute (role, study, ...).") -> Decorator:
    return click.option("--by", default=default, show_default=default is not None, metavar="ATTR", help=help)


def selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--coder / --reconciled / --include-suggested / --study / --all-studies: which codings count and how.

    Passed on as one ``selection`` dict. This --coder does not read QUALCODE_CODER: which
    codings a table counts is chosen on the command line, never by the environment.
    """

    @click.option("--coder", default=None,
                  help="Count this coder's accepted decisions (default: the only coder; required when there are several).")
    @click.option("--reconciled", is_flag=True,
                  help="Count reconciled decisions, else what all coders of a segment accepted.")
    @click.option("--include-suggested", is_flag=True,
                  help="Also count machine suggestions on segments nobody has decided yet (marked as suggested).")
    @study_option()
    @click.option("--all-studies", is_flag=True,
                  help="Pool all studies in one matrix (default: one matrix per study, side by side).")
    @functools.wraps(func)
    def wrapper(*args: Any, coder: str | None, reconciled: bool, include_suggested: bool, study: str | None,
                all_studies: bool, **kwargs: Any) -> Any:
        if coder and reconciled:
            raise UsageError("--coder and --reconciled cannot be used together; pass one of them")
        if study and all_studies:
            raise UsageError("--study and --all-studies cannot be used together; pass one of them")
        selection = {"coder": coder.strip() if coder else None, "reconciled": reconciled,
                     "include_suggested": include_suggested, "study": study, "all_studies": all_studies}
        return func(*args, selection=selection, **kwargs)

    return wrapper


def layout_options(what: str, by_help: str) -> Decorator:
    """--by / --compare-by / --allow-codebook-change / --per-cell, shared by the workbook and the report."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        options: list[Decorator] = [
            by_option(help=by_help),
            click.option("--compare-by", default=None, metavar="ATTR",
                         help=f"Add a comparison by this attribute to the {what} "
                              "(by default: by study, when there are two or more)."),
            allow_codebook_change_option(what),
            click.option("--quotes", "--per-cell", "per_cell", default=3, show_default=True,
                         type=click.IntRange(1, 50), metavar="N",
                         help="Quotes per cell, spread over roles and cases (--per-cell is the old name)."),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def allow_codebook_change_option(what: str = "output") -> Decorator:
    return click.option("--allow-codebook-change", is_flag=True,
                        help=f"Compare codings made with different codebook versions (the {what} lists what changed).")


def pseudonymise_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--pseudonymise/--no-pseudonymise (on): names replaced by the project's placeholders."""
    return click.option("--pseudonymise/--no-pseudonymise", "pseudonymise", default=True, show_default=True,
                        help="Replace names (cases file, `qualcode privacy add`, found in the text) by placeholders; "
                             "--no-pseudonymise only for readers inside the team (see `qualcode privacy check`).")(func)
