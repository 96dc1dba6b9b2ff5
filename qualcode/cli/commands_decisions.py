"""decisions import: a coder's existing codings from a table."""
from __future__ import annotations

import json
from pathlib import Path

import click

from qualcode.cli.options import coder_option, format_option, project_option


@click.group("decisions")
def decisions() -> None:
    """Decisions made outside qualcode: import a coder's codings from a table."""


@decisions.command("import", short_help="Store a coder's codings from a .csv/.xlsx table as their decisions.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@coder_option(help="Whose codings these are (also from QUALCODE_CODER); not 'keyword' or 'model'.")
@click.option("--id-column", required=True,
              help="The column with each row's id: the --id-column the segments were imported with.")
@click.option("--labels-column", help="One column of code:direction pairs separated by ';' (or 'none').")
@click.option("--code-columns", help="Instead: one column per code, comma-separated (cells empty/0, 1/x, "
                                     "or a direction).")
@click.option("--map", "mapping", multiple=True, metavar="NAME=CODE",
              help="The table's name for a code, when it is not the code's id or label (repeatable).")
@click.option("--document", help="Only segments of this imported document (when several tables share ids).")
@click.option("--sheet", help="The .xlsx sheet (default: the first).")
@click.option("--encoding", help="The .csv encoding when it cannot be decided.")
@click.option("--replace", is_flag=True,
              help="Where the coder already decided a segment differently, make the table's codes theirs.")
@format_option(("table", "json"))
@project_option
def decisions_import(project, path: Path, coder: str, id_column: str, labels_column: str | None,
                     code_columns: str | None, mapping: tuple[str, ...], document: str | None, sheet: str | None,
                     encoding: str | None, replace: bool, fmt: str) -> None:
    """Store a coder's codings from a table as their decisions, matched to segments by row id.

    The table has one row per segment, with the id column the segments were
    imported with (`qualcode import TABLE --id-column ID`). Labels are
    `code:direction` pairs separated by ';' (direction opportunity/risk, kans/risico,
    or none/neutral for no direction), or 'none' when no code applies; an empty
    cell leaves the row undecided. Code names are matched on the codebook's ids and
    labels (any language), or with --map. Everything is checked first: on any
    problem nothing is stored. One import is one batch: `qualcode undo --coder NAME`
    takes it back.

    \b
    Examples:
      qualcode decisions import segments.csv --coder gold --id-column id --labels-column labels
      qualcode decisions import wave0.xlsx --coder anna --id-column nr --code-columns autonomie,werkdruk
      qualcode decisions import wave0.csv --coder anna --id-column nr --labels-column codes --map druk=workload
    """
    from qualcode.review.decisions_import import parse_mapping

    summary = project.import_decisions(
        path, coder, id_column=id_column, labels_column=labels_column,
        code_columns=[c.strip() for c in code_columns.split(",") if c.strip()] if code_columns else (),
        mapping=parse_mapping(mapping), document=document, sheet=sheet, encoding=encoding, replace=replace)
    if fmt == "json":
        from dataclasses import asdict

        click.echo(json.dumps(asdict(summary), ensure_ascii=False, indent=2))
        return
    click.echo(summary.line())
    for name, code in summary.matched_by.items():
        click.echo(f"  {name!r} read as code {code}")
    click.echo(f"Next: qualcode agree --coders {summary.coder},keyword")


COMMANDS = (decisions,)
