"""agree, learn, codebook stats."""
from __future__ import annotations

import json
from typing import Any

import click

from qualcode.cli.options import by_option, coder_option, format_option, project_option
from qualcode.cli.output import csv_frame, echo_table, number_text as _num, percent_text as _pct



@click.command()
@click.option("--coders", required=True, metavar="A,B",
              help="Two coders separated by a comma; 'keyword' or 'model' stands for the machine's suggestions.")
@by_option(help="Also give the figures per value of a case attribute (study, role, ...).")
@format_option(("table", "json", "csv"))
@project_option
def agree(project, coders: str, by: str | None, fmt: str) -> None:
    """Agreement between two coders: percent agreement, Cohen's kappa, Krippendorff's alpha.

    Per code, per code and direction, and pooled over all codes, on the segments
    both coders decided (the others are left out and counted). Against `keyword`
    or `model` also precision, recall and F1 of the machine, with the human as truth.

    \b
    Examples:
      qualcode agree --coders anna,bob
      qualcode agree --coders anna,keyword --by study --format csv > agreement.csv
    """
    from qualcode.analysis.agreement import ALL_CODES, ALL_GROUPS, agreement_frame
    from qualcode.errors import UsageError

    names = [c.strip() for c in coders.split(",") if c.strip()]
    if len(names) != 2:
        raise UsageError(f"--coders needs two names separated by a comma (e.g. anna,bob), not {coders!r}")
    result = project.agreement(names[0], names[1], by=by)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        click.echo(csv_frame(agreement_frame(result)), nl=False)
        return

    a, b = result.coder_a, result.coder_b
    machine = result.truth is not None
    for group in result.groups:
        rows = [r for r in result.rows if r.group == group.group]
        where = "" if result.by is None else f" — {result.by}: {ALL_GROUPS if group.group is None else group.group}"
        common = ["n", "agree", "kappa", "alpha", "only_a", "only_b"]
        headers = ["n", "% agree", "kappa", "alpha", f"only {a}", f"only {b}"]
        extra = ["precision", "recall", "f1"] if machine else []
        per_code = [_row_cells(r, r.label if r.code != ALL_CODES else "all codes (pooled)") for r in rows
                    if r.direction is None]
        echo_table(per_code, ["what", *common, *extra, "note"], title=f"Per code: {a} × {b}{where}",
                   headers=["code", *headers, *(["P", "R", "F1"] if machine else []), "note"])
        per_direction = [_row_cells(r, (r.label + " · " + r.direction_label) if r.code != ALL_CODES
                                    else "all codes × directions (pooled)")
                         for r in rows if r.direction is not None]
        echo_table(per_direction, ["what", *common, "other", *extra, "note"],
                   title=f"Per code and direction{where}",
                   headers=["code · direction", *headers, "other dir.", *(["P", "R", "F1"] if machine else []), "note"])
    click.echo("")
    for line in result.summary():
        click.echo(line)
    if machine:
        click.echo(f"Precision/recall/F1: {b if result.truth == a else a} against {result.truth} as the truth.")


def _row_cells(r: Any, what: str) -> dict[str, Any]:
    return {"what": what, "n": r.n, "agree": _pct(r.percent), "kappa": _num(r.kappa), "alpha": _num(r.alpha),
            "only_a": r.only_a, "only_b": r.only_b, "other": r.other_direction,
            "precision": _num(r.precision), "recall": _num(r.recall), "f1": _num(r.f1), "note": r.note}


@click.command()
@coder_option(help="Learn from this coder's decisions (also from QUALCODE_CODER); e.g. 'reconciled'.")
@click.option("--min-positive", type=int, default=8, show_default=True,
              help="Fewest examples of each class a code needs before a model is trained.")
@click.option("--folds", type=int, default=5, show_default=True, help="Folds of the outer cross-validation.")
@format_option(("table", "json"))
@project_option
def learn(project, coder: str, min_positive: int, folds: int, fmt: str) -> None:
    """Train a model per code from a coder's decisions and report honest cross-validated scores.

    Per code a model of presence (code or not) and of direction (opportunity or
    risk). Precision, recall and F1 come from nested cross-validation: no segment is
    scored by a model that saw it. The models are stored in the project; use them
    with `qualcode code --with-model`.

    \b
    Example:
      qualcode learn --coder anna --min-positive 8
    """
    click.echo("Training with nested cross-validation; this can take a few minutes.", err=True)
    report = project.learn(coder, min_positive=min_positive, folds=folds,
                           progress=lambda what: click.echo(f"  {what}...", err=True))
    if fmt == "json":
        from dataclasses import asdict

        payload = {"coder": report.coder, "codebook_version": report.codebook_version,
                   "results": [{k: v for k, v in asdict(r).items() if k != "folds"} for r in report.results]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    rows = []
    for r in report.results:
        kw = r.baseline or {}
        rows.append({
            "code": r.code, "target": r.target, "n": r.n, "pos": r.n_positive, "neg": r.n_negative,
            "precision": _num(r.precision) if r.skipped is None else "", "recall": _num(r.recall) if r.skipped is None else "",
            "f1": _num(r.f1) if r.skipped is None else "", "kw_f1": _num(kw.get("f1")) if kw else "",
            "C": r.params.get("C", "") if r.skipped is None else "", "note": r.skipped or "",
        })
    echo_table(rows, ["code", "target", "n", "pos", "neg", "precision", "recall", "f1", "kw_f1", "C", "note"],
               title=f"Models learned from {report.coder}'s decisions (cross-validated)",
               headers=["code", "model", "n", "positive", "negative", "precision", "recall", "F1", "keyword F1", "C",
                        "note"])
    click.echo("\npositive/negative: presence = with/without the code; direction = opportunity/risk "
               "(direction scores are averaged over both).")
    if report.trained:
        click.echo(f"Stored {len(report.trained)} models. Next: qualcode code --with-model")
    else:
        click.echo("No model trained; review more segments and run qualcode learn again.")


COMMANDS = (agree, learn)
