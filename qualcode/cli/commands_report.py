"""matrix, export xlsx, report, compare: the outputs, as thin commands over ``qualcode.Project``."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click

from qualcode.cli.app import CONTEXT_SETTINGS
from qualcode.cli.options import (allow_codebook_change_option, by_option, format_option, layout_options,
                                  project_option, selection_options)
from qualcode.cli.output import format_table
from qualcode.errors import UsageError


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().rstrip("\n")


def _records(frame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (NaN as null, numpy numbers as Python numbers)."""
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def _matrix_text(result, codebook, title: str, n: int) -> str:
    from qualcode.analysis import matrix as mx

    headers = [mx.ui(codebook, "aspect"), *[mx.direction_label(codebook, d) for d in result.directions]]
    return title + f" (n = {n} {mx.ui(codebook, 'cases')})\n" + format_table(
        _rows_as_dicts(result, codebook, result.matrix, result.suggested), headers, headers)


def _rows_as_dicts(result, codebook, frame, sugg) -> list[dict[str, str]]:
    from qualcode.analysis import matrix as mx

    out = []
    for label in frame.index:
        row = {mx.ui(codebook, "aspect"): label}
        for d in result.directions:
            row[mx.direction_label(codebook, d)] = mx.cell_text(
                int(frame.loc[label, (d, "segments")]), int(frame.loc[label, (d, "cases")]), int(sugg.loc[label, d]),
                mark="*")
        out.append(row)
    return out


@click.command(context_settings=CONTEXT_SETTINGS)
@by_option()
@selection_options
@click.option("--quotes", "with_quotes", is_flag=True, help="Also show the most telling quotes per cell.")
@click.option("--per-cell", default=3, show_default=True, type=click.IntRange(1, 50), help="Quotes per cell.")
@format_option()
@project_option
def matrix(project, by, selection, with_quotes, per_cell, fmt) -> None:
    """Show the opportunity/risk matrix per aspect: segments (distinct cases) per cell.

    \b
    Examples:
      qualcode matrix
      qualcode matrix --by role --quotes
      qualcode matrix --coder anna --format csv > matrix.csv
    """
    from qualcode.analysis import matrix as mx
    from qualcode.outputs.report import group_table, matrix_table, md_table
    from qualcode.analysis.selection import selection_text

    result = project.matrix(by=by, **selection)
    codebook = project.codebook()
    quotes = project.quotes(per_cell=per_cell, **selection) if with_quotes else None
    if fmt == "csv":
        if quotes is not None:
            click.echo(_csv(_records(quotes), list(quotes.columns)))
            return
        long = result.long()
        long.insert(long.columns.get_loc("direction") + 1, "direction_label",
                    [mx.direction_label(codebook, d) for d in long["direction"]])
        click.echo(_csv(_records(long), list(long.columns)))
        return
    if fmt == "json":
        payload = {"codebook": codebook.name, "codebook_version": codebook.version, "by": by,
                   "n_cases": result.n_cases, "groups": result.group_n_cases,
                   "counted": selection_text(result.selection), "matrix": _records(result.long())}
        if quotes is not None:
            payload["quotes"] = _records(quotes)
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    legend = mx.ui(codebook, "cell_legend").split(". ")[0] + "."
    if fmt == "markdown":
        out = [f"## {mx.ui(codebook, 'title')} (n = {result.n_cases} {mx.ui(codebook, 'cases')})", "",
               md_table(*matrix_table(codebook, result))]
        if by:
            out += ["", f"### {mx.ui(codebook, 'by_group')}: {mx.attribute_label(codebook, by)}", "",
                    md_table(*group_table(codebook, result))]
        out += ["", f"_{legend}_"]
        if quotes is not None:
            out += ["", f"### {mx.ui(codebook, 'quotes')}", ""]
            for q in quotes.itertuples():
                out.append(f"- **{q.aspect} — {q.direction_label}**: {q.text} — {q.pseudonym}, #{q.segment_id}")
        click.echo("\n".join(out))
        return
    click.echo(_matrix_text(result, codebook, mx.ui(codebook, "title"), result.n_cases))
    for group in result.groups:
        title = f"\n{mx.attribute_label(codebook, by)}: {group}"
        frame, sugg = result.groups[group], result.group_suggested[group]
        headers = [mx.ui(codebook, "aspect"), *[mx.direction_label(codebook, d) for d in result.directions]]
        click.echo(title + f" (n = {result.group_n_cases[group]})\n"
                   + format_table(_rows_as_dicts(result, codebook, frame, sugg), headers, headers))
    click.echo(f"\n{legend}")
    if result.has_suggested:
        click.echo(mx.ui(codebook, "suggested_legend"))
    click.echo(f"{mx.ui(codebook, 'counted')}: {selection_text(result.selection, codebook.language)}")
    if quotes is not None:
        click.echo(f"\n{mx.ui(codebook, 'quotes')}")
        current = None
        for q in quotes.itertuples():
            heading = f"{q.aspect} — {q.direction_label}"
            if heading != current:
                click.echo(f"\n  {heading}")
                current = heading
            mark = f" ({mx.ui(codebook, 'suggestion')})" if q.status == "suggested" else ""
            click.echo(f"    “{q.text}” — {q.pseudonym}, #{q.segment_id}{mark}")


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
@project_option
def export_xlsx(project, out, selection, by, compare_by, allow_codebook_change, per_cell, agreement_coders,
                force) -> None:
    """Write the results workbook (.xlsx) for Excel and LibreOffice.

    Sheets: Matrix, Matrix by group, Quotes, Coded segments, Code presence per case,
    Codebook, Cases, Compare (two or more studies, or --compare-by) and About.
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
                             per_cell=per_cell, agreement=pair, overwrite=force, **selection)
    click.echo(f"Wrote {report.path}: {report.codings} codings; sheets: {', '.join(report.sheets)}")
    if report.compare_note:
        click.echo(f"Note: {report.compare_note}", err=True)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@selection_options
@layout_options("report", "Also the matrix per value of this case attribute (role, study, ...).")
@project_option
def report(project, out_dir, selection, by, compare_by, allow_codebook_change, per_cell) -> None:
    """Write report.html (self-contained), report.md and heatmap.png into a folder.

    \b
    Examples:
      qualcode report results/
      qualcode report results/ --by role --reconciled
    """

    files = project.write_report(out_dir, by=by, compare_by=compare_by,
                         allow_codebook_change=allow_codebook_change, per_cell=per_cell, **selection)
    written = [files.html, files.markdown, files.heatmap] + ([files.compare_heatmap] if files.compare_heatmap else [])
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
    from qualcode.analysis import matrix as mx
    from qualcode.outputs.report import compare_table, md_table

    comparison = project.compare(by=by, allow_codebook_change=allow_codebook_change, **selection)
    codebook = project.codebook()
    table = comparison.table
    if fmt in ("csv", "json"):
        rows = []
        for label, code in zip(table.index, table.attrs["codes"]):
            for block in dict.fromkeys(table.columns.get_level_values(0)):
                for d in comparison.result.directions:
                    rows.append({"code": code, "aspect": label, "direction": d,
                                 "direction_label": mx.direction_label(codebook, d), by: block,
                                 "n_cases": comparison.n_cases.get(block),
                                 **{m: table.loc[label, (block, d, m)].item() for m in ("segments", "cases", "share")}})
        columns = ["code", "aspect", "direction", "direction_label", by, "n_cases", "segments", "cases", "share"]
        if fmt == "csv":
            click.echo(_csv(rows, columns))
        else:
            click.echo(json.dumps({"by": by, "groups": comparison.groups, "baseline": comparison.baseline,
                                   "n_cases": comparison.n_cases, "codebook_versions": comparison.versions,
                                   "codebook_changes": comparison.codebook_changes, "cells": rows},
                                  ensure_ascii=False, indent=2))
        return
    if fmt == "markdown":
        click.echo(md_table(*compare_table(codebook, comparison)))
    else:
        blocks = list(dict.fromkeys(table.columns.get_level_values(0)))
        for d in comparison.result.directions:
            headers = [mx.ui(codebook, "aspect")]
            rows = []
            for label in table.index:
                row = {mx.ui(codebook, "aspect"): label}
                for block in blocks:
                    diff = block not in comparison.n_cases
                    name = block if diff else f"{block} (n = {comparison.n_cases[block]})"
                    segs, cases, share = (table.loc[label, (block, d, m)] for m in ("segments", "cases", "share"))
                    mark = "" if diff or not comparison.result.group_suggested[block].loc[label, d] else "*"
                    row[name] = (f"{int(segs):+d} ({int(cases):+d}) {share * 100:+.0f} pp" if diff
                                 else f"{int(segs)}{mark} ({int(cases)}) {share * 100:.0f}%")
                    if name not in headers:
                        headers.append(name)
                rows.append(row)
            click.echo(f"\n{mx.direction_label(codebook, d)}\n" + format_table(rows, headers, headers))
        click.echo(f"\n{mx.ui(codebook, 'cell_legend').split('. ')[0]}; % = {mx.ui(codebook, 'share')}.")
        if comparison.result.has_suggested:
            click.echo(mx.ui(codebook, "suggested_legend"))
    if comparison.codebook_changed:
        click.echo(f"\n{mx.ui(codebook, 'codebook_changes')}:")
        for line in comparison.codebook_changes:
            click.echo(f"  {line}")


COMMANDS = (matrix, export, report, compare)
