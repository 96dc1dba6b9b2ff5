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
    """Train a model per code from a coder's decisions; use it only where it beats the keywords.

    Per code a model of presence (code or not) and of direction (opportunity or
    risk). Per code, the model's suggestions are added to the keywords' only where,
    in cross-validation, the suggestions it adds are at least as precise as the
    keywords' own (and right at least half the time). The report gives, per code,
    the keywords alone and keywords + model on the same folds (nested
    cross-validation: no segment is scored by a model that saw it). The models are
    stored in the project; use them with `qualcode code --with-model`.

    \b
    Example:
      qualcode learn --coder anna --min-positive 8
    """
    project.check_not_busy()  # a busy project is said before the training, not after it
    click.echo("Training with nested cross-validation...", err=True)
    report = project.learn(coder, min_positive=min_positive, folds=folds,
                           progress=lambda what: click.echo(f"  {what}...", err=True))
    for note in report.notes:
        click.echo(f"Warning: {note}", err=True)
    if fmt == "json":
        from dataclasses import asdict

        payload = {"coder": report.coder, "codebook_version": report.codebook_version, "used": report.used,
                   "notes": list(report.notes),
                   "results": [{k: v for k, v in asdict(r).items() if k not in ("folds", "scores")}
                               for r in report.results]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    presence = [r for r in report.results if r.target == "presence"]
    rows = []
    for r in presence:
        kw, both, added = r.keywords or {}, r.combined or {}, r.added or {}
        rows.append({
            "code": r.code, "n": r.n, "pos": r.n_positive,
            "kw_p": _num(kw.get("precision")), "kw_r": _num(kw.get("recall")), "kw_f1": _num(kw.get("f1")),
            "kw_a": _num(kw.get("alpha")),
            "added": f"{added['right']}/{added['suggested']}" if added else "",
            "p": _num(both.get("precision")), "r": _num(both.get("recall")), "f1": _num(both.get("f1")),
            "a": _num(both.get("alpha")),
            "used": ("yes" if r.used else "no"), "t": _num(r.threshold) if r.used else "",
        })
    echo_table(rows, ["code", "n", "pos", "kw_p", "kw_r", "kw_f1", "kw_a", "added", "p", "r", "f1", "a", "used", "t"],
               title=f"Keywords alone and keywords + model, cross-validated on {report.coder}'s decisions",
               headers=["code", "n", "coded", "kw P", "kw R", "kw F1", "kw alpha", "added right/all",
                        "kw+model P", "R", "F1", "alpha", "used", "threshold"])
    click.echo("")
    for r in presence:
        click.echo(f"  {r.code}: {r.verdict or r.skipped}")
    direction = [r for r in report.results if r.target == "direction"]
    rows = [{"code": r.code, "n": r.n, "pos": r.n_positive, "neg": r.n_negative,
             "precision": _num(r.precision) if r.skipped is None else "",
             "recall": _num(r.recall) if r.skipped is None else "", "f1": _num(r.f1) if r.skipped is None else "",
             "note": r.skipped or ""} for r in direction]
    click.echo("")
    echo_table(rows, ["code", "n", "pos", "neg", "precision", "recall", "f1", "note"],
               title="Direction models (opportunity vs risk, macro average over both), cross-validated",
               headers=["code", "n", "opportunity", "risk", "P", "R", "F1", "note"])
    click.echo("\nadded right/all: suggestions the model adds where the keywords are silent, and how many of them "
               f"{report.coder} coded.")
    if report.used:
        click.echo(f"The model adds suggestions for: {', '.join(report.used)}. Next: qualcode code --with-model")
    elif report.trained:
        click.echo("The model beats the keywords for no code; `qualcode code --with-model` adds nothing. "
                   "Review more segments and run qualcode learn again.")
    else:
        click.echo("No model trained; review more segments and run qualcode learn again.")


COMMANDS = (agree, learn)
