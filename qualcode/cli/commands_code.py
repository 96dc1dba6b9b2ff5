"""code, explain, and the codebook group (check, show, stats)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from qualcode.cli.app import CONTEXT_SETTINGS
from qualcode.cli.options import coder_option, format_option, project_option, project_path_option, study_option
from qualcode.cli.output import echo_table
from qualcode.cli.output import number_text as _num


@click.command()
@click.option("--codebook", "codebook_path", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML codebook; becomes the project's current codebook. Default: the current one (in a new "
              "project: the default Dutch codebook).")
@study_option(help="Code only this study.")
@click.option("--model", help="An installed spaCy pipeline (e.g. nl_core_news_md); default: blank + lookup lemmas.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Processes for the NLP pipeline.")
@click.option("--with-model", is_flag=True, help="Also add suggestions of the model trained with `qualcode learn`, "
              "for the codes where it beat the keywords in cross-validation.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Minimum probability for a model suggestion. Default: the threshold `qualcode learn` chose per code.")
@project_option
def code(project, codebook_path, study, model, jobs, with_model, threshold) -> None:
    """Suggest codes for every segment from the codebook's keyword rules.

    Re-running refreshes or withdraws only earlier suggestions: every decision a
    coder made stays exactly as it is.

    Without --codebook the project's current codebook is used; a project that has none
    yet gets the default Dutch codebook (`qualcode codebook show --default` shows it).

    \b
    Examples:
      qualcode code
      qualcode code --codebook my-codebook.yaml
    """
    default = codebook_path is None and project.meta("codebook_version") is None
    if default:
        from qualcode.resources import default_codebook_path

        codebook_path = default_codebook_path("nl")
    total = project.count_segments_to_code(study)
    if total == 0:  # let the API say what to do, before a progress bar is drawn
        project.code(codebook_path, study=study, model=model, jobs=jobs)
    project.check_not_busy()  # a busy project is said before the progress bar, not after the coding
    if default:
        click.echo(f"No codebook in this project yet: coding with the default Dutch codebook ({codebook_path}).")
    with click.progressbar(length=max(total, 1), label="Coding segments", file=sys.stderr) as bar:
        done = [0]

        def progress(n: int) -> None:
            bar.update(n - done[0])
            done[0] = n

        report = project.code(codebook_path, study=study, model=model, jobs=jobs, with_model=with_model,
                              threshold=threshold, progress=progress)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    codebook = project.codebook()
    click.echo(f"Coded {report.segments} segments with codebook {codebook.name} ({report.codebook_version[:12]}).")
    click.echo(f"Suggestions: {report.added} new, {report.refreshed} refreshed, {report.withdrawn} withdrawn.")
    if report.model_added:
        click.echo(f"Model suggestions: {report.model_added} new.")
    for c in codebook.codes:
        click.echo(f"  {codebook.label(c.id):<24} {report.per_code.get(c.id, 0):>5} suggestions")
    click.echo("Next: qualcode review --coder NAME  (or qualcode review export review.xlsx --coder NAME)")


@click.command()
@click.argument("segment_id", type=int)
@click.option("--model", help="The spaCy pipeline used when coding, if not the default.")
@project_option
def explain(project, segment_id, model) -> None:
    """Show why codes were suggested for a segment: matched words and each rule that fired or was cancelled.

    \b
    Example:
      qualcode explain 42
    """
    click.echo(project.explain(segment_id, color=sys.stdout.isatty(), model=model))
    lines = project.explain_model(segment_id)
    if lines:
        click.echo(lines if isinstance(lines, str) else "\n".join(map(str, lines)))


@click.group("codebook", context_settings=CONTEXT_SETTINGS)
def codebook_group() -> None:
    """Check and show codebooks (and, once decisions exist, their statistics)."""


@codebook_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def codebook_check(path: Path) -> None:
    """Validate a YAML codebook; every problem is listed with its line.

    \b
    Example:
      qualcode codebook check my-codebook.yaml
    """
    from qualcode.coding.codebook import load_codebook

    cb = load_codebook(path)
    for warning in cb.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"{path}: valid codebook {cb.name!r} ({cb.language}), {len(cb.codes)} codes, version {cb.version[:12]}")


@codebook_group.command("show")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--default", "default_language", type=click.Choice(["nl", "en"]), is_flag=False, flag_value="nl",
              default=None, help="Show the default codebook that comes with qualcode (nl or en; nl if no value) "
              "and where its file is.")
@project_path_option(help="Project whose current codebook to show (when no PATH is given).")
def codebook_show(path: Path | None, default_language: str | None, project_path: str) -> None:
    """List the codes with their labels and definitions (from a file or the project's codebook).

    \b
    Examples:
      qualcode codebook show my-codebook.yaml
      qualcode codebook show --project study.qualcode
      qualcode codebook show --default          (the default Dutch codebook; --default en: English)
    """
    from qualcode.coding.codebook import load_codebook
    from qualcode.errors import UsageError
    from qualcode.project import Project

    if path is not None and default_language is not None:
        raise UsageError("give a codebook FILE or --default, not both")
    if default_language is not None:
        from qualcode.resources import LANGUAGE_NAMES, default_codebook_path

        path = default_codebook_path(default_language)
        cb = load_codebook(path)
        click.echo(f"The default {LANGUAGE_NAMES[default_language]} codebook: {path}")
        click.echo("To adapt it, copy that file, edit the copy and code with `qualcode code --codebook COPY`.\n")
    elif path is not None:
        cb = load_codebook(path)
    else:
        with Project.open(project_path) as project:
            cb = project.codebook()
    click.echo(f"{cb.name} ({cb.language}) version {cb.version[:12]}")
    for c in cb.codes:
        click.echo(f"\n{cb.label(c.id)} [{c.id}]" + (f"  (under {c.parent})" if c.parent else ""))
        definition = c.definition
        if isinstance(definition, dict):
            for key, value in definition.items():
                click.echo(f"  {key}: {value}")
        elif definition:
            click.echo(f"  {definition}")


@codebook_group.command("stats")
@coder_option(required=False, help="Only this coder's decisions (default: every human coder's).")
@format_option(("table", "json"))
@project_option
def codebook_stats(project, coder: str | None, fmt: str) -> None:
    """How well the keyword rules work: precision per rule, recall gaps, candidate keywords.

    A rule's precision is how often the coder kept the code it suggested. A recall
    gap is a segment a coder coded where no rule fired; the candidate keywords are
    words frequent in those segments and rare elsewhere (log-odds, Monroe et al. 2008).

    \b
    Example:
      qualcode codebook stats --coder anna
    """
    stats = project.codebook_stats(coder)
    if fmt == "json":
        from dataclasses import asdict

        payload = {"coders": list(stats.coders),
                   "rules": [dict(asdict(r), precision=r.precision) for r in stats.rules],
                   "gaps": [dict(asdict(g), keyword_recall=g.keyword_recall) for g in stats.gaps]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    who = ", ".join(stats.coders) or "no coder"
    if stats.rules:
        echo_table([{"code": r.code, "rule": r.rule, "kind": r.kind, "fired": r.fired, "decided": r.decided,
                     "accepted": r.accepted, "rejected": r.rejected, "precision": _num(r.precision)}
                    for r in stats.rules],
                   ["code", "rule", "kind", "fired", "decided", "accepted", "rejected", "precision"],
                   title=f"Keyword rules (decisions of {who})")
    else:
        click.echo("No keyword suggestions yet; run qualcode code first.")
    if stats.gaps:
        echo_table([{"code": g.code, "coded": g.coded, "missed": g.without_keyword,
                     "recall": _num(g.keyword_recall), "examples": " ".join(map(str, g.examples)),
                     "candidates": ", ".join(f"{c.lemma} ({c.gap_segments}/{c.other_segments})" for c in g.candidates)}
                    for g in stats.gaps],
                   ["code", "coded", "missed", "recall", "examples", "candidates"],
                   title="Coded by hand where no keyword fired",
                   headers=["code", "coded", "no keyword", "keyword recall", "example segments",
                            "candidate keywords (gap/other segments)"])
    else:
        click.echo("No accepted codes yet; review some segments first (qualcode review --coder NAME).")


COMMANDS = (code, explain, codebook_group)
