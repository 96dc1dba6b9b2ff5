"""code, explain, and the codebook group (check, show)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from qualcode.cli import main, project_option


@main.command()
@click.option("--codebook", "codebook_path", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML codebook; becomes the project's current codebook. Default: the current one.")
@click.option("--study", help="Code only this study.")
@click.option("--model", help="An installed spaCy pipeline (e.g. nl_core_news_md); default: blank + lookup lemmas.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Processes for the NLP pipeline.")
@click.option("--with-model", is_flag=True, help="Also add suggestions of the model trained with `qualcode learn`.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Minimum probability for a model suggestion.")
@project_option
def code(project, codebook_path, study, model, jobs, with_model, threshold) -> None:
    """Suggest codes for every segment from the codebook's keyword rules.

    Re-running refreshes or withdraws only earlier suggestions: every decision a
    coder made stays exactly as it is.

    \b
    Example:
      qualcode code --codebook codebooks/werkbeleving.yaml
    """
    total = len(project.segments(study=study, only_to_code=True))
    if total == 0:  # let the API say what to do, before a progress bar is drawn
        project.code(codebook_path, study=study, model=model, jobs=jobs)
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


@main.command()
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


@main.group("codebook", context_settings={"help_option_names": ["-h", "--help"]})
def codebook_group() -> None:
    """Check and show codebooks (and, once decisions exist, their statistics)."""


@codebook_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def codebook_check(path: Path) -> None:
    """Validate a YAML codebook; every problem is listed with its line.

    \b
    Example:
      qualcode codebook check codebooks/werkbeleving.yaml
    """
    from qualcode.coding.codebook import load_codebook

    cb = load_codebook(path)
    click.echo(f"{path}: valid codebook {cb.name!r} ({cb.language}), {len(cb.codes)} codes, version {cb.version[:12]}")


@codebook_group.command("show")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--project", "project_path", default="project.qualcode", envvar="QUALCODE_PROJECT",
              help="Project whose current codebook to show (when no PATH is given).")
def codebook_show(path: Path | None, project_path: str) -> None:
    """List the codes with their labels and definitions (from a file or the project's codebook).

    \b
    Examples:
      qualcode codebook show codebooks/werkbeleving.yaml
      qualcode codebook show --project study.qualcode
    """
    from qualcode.coding.codebook import load_codebook
    from qualcode.project import Project

    if path is not None:
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
