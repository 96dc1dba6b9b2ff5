"""matrix, export xlsx, report, compare: the outputs, as thin commands over ``qualcode.Project``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from qualcode.cli.app import CONTEXT_SETTINGS
from qualcode.cli.options import (allow_codebook_change_option, by_option, format_option, layout_options,
                                  project_option, pseudonymise_option, selection_options)
from qualcode.cli.output import csv_text, format_table
from qualcode.errors import UsageError


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    return csv_text(rows, columns)  # formula-like text cells neutralised (OWASP), for Excel


def _records(frame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (NaN as null, numpy numbers as Python numbers)."""
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def _matrix_rows(analysis, w, group: str | None) -> list[dict[str, str]]:
    return [{w("aspect"): w.code(code), **{w.direction(d): w.cell(analysis.cell(code, d, group))
                                           for d in analysis.directions}}
            for code in analysis.codes]


def _matrix_text(analysis, w, title: str, group: str | None) -> str:
    headers = [w("aspect"), *[w.direction(d) for d in analysis.directions]]
    return f"{title} (n = {analysis.n_cases(group)}{' ' + w('cases') if group is None else ''})\n" + format_table(
        _matrix_rows(analysis, w, group), headers, headers)


def _quote_line(q, w) -> str:
    mark = f" ({w('suggestion')})" if q.status == "suggested" else ""
    return f"“{q.text}” — {w.source(q.passage)}{mark}"


@click.command(context_settings=CONTEXT_SETTINGS)
@by_option()
@selection_options
@click.option("--quotes", "quotes_per_cell", type=click.IntRange(1, 50), default=None, is_flag=False, flag_value=3,
              metavar="[N]", help="Also show N quotes per cell (3 when N is left out), as `report --quotes N`.")
@click.option("--with-quotes", "with_quotes", is_flag=True, hidden=True, help="The old name of --quotes.")
@click.option("--per-cell", default=None, type=click.IntRange(1, 50), hidden=True,
              help="The old way to give the number of quotes (with --with-quotes).")
@format_option()
@pseudonymise_option
@project_option
def matrix(project, by, selection, quotes_per_cell, with_quotes, per_cell, fmt, pseudonymise) -> None:
    """Show the opportunity/risk matrix per aspect: segments (cases of n, share) per cell, per study.

    \b
    Examples:
      qualcode matrix
      qualcode matrix --by role --quotes 2
      qualcode matrix --coder anna --format csv > matrix.csv
    """
    from qualcode.outputs.i18n import words
    from qualcode.outputs.report import group_table, matrix_table, md_table

    if quotes_per_cell is None and (with_quotes or per_cell is not None):
        quotes_per_cell = per_cell or 3
    with_quotes = quotes_per_cell is not None
    analysis = project.analyse(by=by, per_cell=quotes_per_cell, auto_compare=False,
                               presence=False, **selection)
    if with_quotes and pseudonymise:  # quotes piped into a file leave the project like any export
        analysis = project.pseudonymise(analysis)
    codebook = analysis.codebook
    w = words(codebook)
    quotes = analysis.quotes_table if with_quotes else None
    if fmt == "csv":  # one table: the scope (study, or empty when pooled) first, then the pooled layout
        frames = []
        for part in analysis.scopes():
            table = part.quotes_table if quotes is not None else part.long_table()
            if quotes is None:
                table.insert(table.columns.get_loc("direction") + 1, "direction_label",
                             [w.direction(d) for d in table["direction"]])
            if "study" in table.columns:
                table = table.drop(columns=["study"])
            table.insert(0, "study", part.study if part.study is not None else "")
            frames.append(table)
        rows = [r for frame in frames for r in _records(frame)]
        click.echo(_csv(rows, list(frames[0].columns)))
        return
    if fmt == "json":
        def scope(part) -> dict[str, Any]:
            out = {"study": part.study, "scope": w.scope(part), "n_cases": part.n_cases(),
                   "groups": {g: part.n_cases(g) for g in part.groups}, "matrix": _records(part.long_table())}
            if quotes is not None and part.quotes_table is not None:
                out["quotes"] = _records(part.quotes_table)
            return out

        payload = {"codebook": codebook.name, "codebook_version": codebook.version, "by": by,
                   "counted": w.selection(analysis.selection), "pooled": analysis.pooled,
                   "scopes": [scope(part) for part in analysis.scopes()],
                   # all studies pooled (what earlier versions gave as the only matrix)
                   "n_cases": analysis.n_cases(), "groups": {g: analysis.n_cases(g) for g in analysis.groups},
                   "matrix": _records(analysis.long_table())}
        if quotes is not None:
            payload["quotes"] = _records(quotes)
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    legend = w("cell_legend").split(". ")[0] + "."
    if fmt == "markdown":
        out: list[str] = []
        for part in analysis.scopes():
            out += [f"## {w.scope_title(part)}", "", f"_{w.scope_line(part)}_", "", md_table(*matrix_table(part))]
            if by:
                out += ["", f"### {w('by_group')}: {w.attribute(by)}", "", md_table(*group_table(part))]
            if quotes is not None:
                out += ["", f"### {w('quotes')}", ""]
                out += [f"- **{w.code(q.code)} — {w.direction(q.direction)}**: {_quote_line(q, w)}"
                        for q in part.quotes]
            out.append("")
        out += [f"_{legend}_"]
        click.echo("\n".join(out))
        return
    for k, part in enumerate(analysis.scopes()):
        click.echo(("\n" if k else "") + _matrix_text(part, w, w.scope_title(part), None))
        for group in part.groups:
            click.echo(_matrix_text(part, w, f"\n{w.attribute(by)}: {group}", group))
        if quotes is not None:
            click.echo(f"\n{w('quotes')}")
            current = None
            for q in part.quotes:
                heading = f"{w.code(q.code)} — {w.direction(q.direction)}"
                if heading != current:
                    click.echo(f"\n  {heading}")
                    current = heading
                click.echo(f"    {_quote_line(q, w)}")
    click.echo(f"\n{legend}")
    if analysis.has_suggested:
        click.echo(w("suggested_legend"))
    click.echo(f"{w('counted')}: {w.selection(analysis.selection)}")


@click.group(context_settings=CONTEXT_SETTINGS)
def export() -> None:
    """Export results to files other programs open (xlsx; more formats to come).

    \b
    Example:
      qualcode export xlsx results.xlsx --by role
    """


@export.command("xlsx", context_settings=CONTEXT_SETTINGS)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@selection_options
@layout_options("workbook", "Case attribute for the 'Matrix by group' sheet (default: role).")
@click.option("--agreement", "agreement_coders", default=None, metavar="A,B",
              help="Add an Agreement sheet for two coders (or A,keyword / A,model).")
@click.option("--force", is_flag=True, help="Replace the workbook if it exists.")
@pseudonymise_option
@project_option
def export_xlsx(project, out, selection, by, compare_by, allow_codebook_change, per_cell, agreement_coders,
                force, pseudonymise) -> None:
    """Write the results workbook (.xlsx) for Excel and LibreOffice.

    Sheets: Matrix, Matrix by group, Quotes, Coded segments, Co-occurrence, Code presence
    per case, Codebook, Cases, Compare (two or more studies, or --compare-by), Agreement
    (--agreement) and About; every name, header and value in the codebook's language
    (Dutch: Matrix per groep, Citaten, Gecodeerde fragmenten, ...).
    Respondents appear by pseudonym only; transcript text never becomes an Excel formula.

    \b
    Examples:
      qualcode export xlsx results.xlsx
      qualcode export xlsx results.xlsx --reconciled --by role --compare-by study
    """

    pair = None
    if agreement_coders:
        pair = tuple(c.strip() for c in agreement_coders.split(","))
        if len(pair) != 2 or not all(pair):
            raise UsageError("--agreement takes two coders separated by a comma, e.g. --agreement anna,bob")
    report = project.export_workbook(out, by=by, compare_by=compare_by, allow_codebook_change=allow_codebook_change,
                             per_cell=per_cell, agreement=pair, overwrite=force, pseudonymise=pseudonymise,
                             **selection)
    click.echo(f"Wrote {report.path}: {report.codings} codings; sheets: {', '.join(report.sheets)}")
    if report.compare_note:
        click.echo(f"Note: {report.compare_note}", err=True)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@selection_options
@layout_options("report", "Also the matrix per value of this case attribute (role, study, ...).")
@click.option("--scenarios", is_flag=True,
              help="Add the scenario draft: per aspect and direction the counts per group, recurring themes and "
                   "quotes from different cases.")
@click.option("--docx", is_flag=True, help="Also write report.docx (Word), with the scenario draft.")
@pseudonymise_option
@project_option
def report(project, out_dir, selection, by, compare_by, allow_codebook_change, per_cell, scenarios, docx,
           pseudonymise) -> None:
    """Write report.html (self-contained), report.md and heatmap.png into a folder.

    With two or more coders the report gives their agreement (kappa, alpha per aspect).

    \b
    Examples:
      qualcode report results/
      qualcode report results/ --by role --reconciled
      qualcode report results/ --scenarios --docx
    """

    files = project.write_report(out_dir, by=by, compare_by=compare_by,
                                 allow_codebook_change=allow_codebook_change, per_cell=per_cell,
                                 scenarios=scenarios, docx=docx, pseudonymise=pseudonymise, **selection)
    written = [files.html, files.markdown, files.heatmap] + ([files.compare_heatmap] if files.compare_heatmap else [])
    written += [files.docx] if files.docx else []
    click.echo("Wrote " + ", ".join(str(p) for p in written))
    if files.compare_note:
        click.echo(f"Note: {files.compare_note}", err=True)


@click.command(context_settings=CONTEXT_SETTINGS)
@by_option(default="study", help="Case attribute whose values are compared.")
@allow_codebook_change_option("comparison")
@selection_options
@format_option()
@project_option
def compare(project, by, allow_codebook_change, selection, fmt) -> None:
    """Compare matrices side by side (per study by default), with differences per cell.

    A cell: segments (cases) and the share of the group's cases; a difference is the
    later group minus the first, the share in percentage points.

    \b
    Examples:
      qualcode compare --by study
      qualcode compare --by study --allow-codebook-change --format markdown
    """
    from qualcode.outputs.i18n import words
    from qualcode.outputs.report import compare_blocks, compare_cell_text, compare_table, md_table

    analysis = project.analyse(by=by, compare_by=by, allow_codebook_change=allow_codebook_change, per_cell=None,
                               presence=False, **selection)
    comparison = analysis.comparison
    w = words(analysis.codebook)
    blocks = compare_blocks(comparison, w)
    if fmt in ("csv", "json"):
        rows = []
        for code in comparison.codes:
            for group, name, diff in blocks:
                for d in comparison.directions:
                    figures = comparison.difference(code, d, group) if diff else comparison.cell(code, d, group)
                    rows.append({"code": code, "aspect": w.code(code), "direction": d,
                                 "direction_label": w.direction(d), by: name,
                                 "n_cases": None if diff else comparison.n_cases(group),
                                 "segments": figures.segments, "cases": figures.cases,
                                 "share": figures.share_of_cases,
                                 "percent": figures.points if diff else figures.percent})
        columns = ["code", "aspect", "direction", "direction_label", by, "n_cases", "segments", "cases", "share",
                   "percent"]
        if fmt == "csv":
            click.echo(_csv(rows, columns))
        else:
            click.echo(json.dumps({"by": by, "groups": list(comparison.groups), "baseline": comparison.baseline,
                                   "n_cases": {g: comparison.n_cases(g) for g in comparison.groups},
                                   "codebook_versions": {g: list(vs) for g, vs in comparison.versions.items()},
                                   "codebook_changes": list(comparison.codebook_changes), "cells": rows},
                                  ensure_ascii=False, indent=2))
        return
    if fmt == "markdown":
        click.echo(md_table(*compare_table(analysis)))
    else:
        for d in comparison.directions:
            headers = [w("aspect")]
            rows = []
            for code in comparison.codes:
                row = {w("aspect"): w.code(code)}
                for group, name, diff in blocks:
                    column = name if diff else w.group_heading(name, comparison.n_cases(group))
                    row[column] = compare_cell_text(comparison, code, d, group, diff, sep=" ", w=w)
                    if column not in headers:
                        headers.append(column)
                rows.append(row)
            click.echo(f"\n{w.direction(d)}\n" + format_table(rows, headers, headers))
        click.echo(f"\n{w('cell_legend').split('. ')[0]}.")
        if comparison.has_suggested:
            click.echo(w("suggested_legend"))
    if comparison.codebook_changed:
        click.echo(f"\n{w('codebook_changes')}:")
        for line in comparison.codebook_changes:
            click.echo(f"  {line}")


COMMANDS = (matrix, export, report, compare)
