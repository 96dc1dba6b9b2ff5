"""REFI-QDA exchange: export qdc, export qdpx, codebook import; `qualcode import FILE.qdpx` prints with
:func:`echo_qdpx_import`. Attached to the export and codebook groups from ``cli/__init__.py``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from qualcode.cli.app import CONTEXT_SETTINGS
from qualcode.cli.options import project_option, pseudonymise_option


def _echo_lines(prefix: str, lines: Any, err: bool = False) -> None:
    for line in lines:
        click.echo(f"{prefix}{line}", err=err)


@click.command("qdc", context_settings=CONTEXT_SETTINGS)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@project_option
def export_qdc(project, out: Path, force: bool) -> None:
    """The project's codebook as a REFI-QDA codebook (.qdc) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

    Every aspect is a code with its directions as child codes (werkdruk > kans, risico);
    definitions become descriptions. Keyword rules do not travel.

    \b
    Example:
      qualcode export qdc werkbeleving.qdc
    """
    report = project.export_qdc(out, force=force)
    click.echo(f"Wrote {report.path}: {report.aspects} aspects with their directions, {report.codes} codes in all.")


@click.command("qdpx", context_settings=CONTEXT_SETTINGS)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--coder", default=None, help="Only this coder's accepted decisions.")
@click.option("--reconciled", is_flag=True, help="The reconciled decisions (else what all coders of a segment accepted).")
@click.option("--all-coders", is_flag=True, help="Every coder, one user each.")
@click.option("--include-suggested", is_flag=True,
              help="Also machine suggestions on segments nobody decided (as user qualcode-keyword/-model).")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@pseudonymise_option
@project_option
def export_qdpx(project, out: Path, coder: str | None, reconciled: bool, all_coders: bool, include_suggested: bool,
                force: bool, pseudonymise: bool) -> None:
    """The project as a REFI-QDA project (.qdpx): texts, cases, coders, codings, memos.

    \b
    Examples:
      qualcode export qdpx wave1.qdpx --all-coders
      qualcode export qdpx wave1.qdpx --reconciled
    """
    report = project.export_qdpx(out, coder=coder.strip() if coder else None, reconciled=reconciled,
                                 all_coders=all_coders, include_suggested=include_suggested, force=force,
                                 pseudonymise=pseudonymise)
    click.echo(f"Wrote {report.path}: {report.sources} sources, {report.cases} cases, {report.codes} codes, "
               f"{report.codings} codings by {', '.join(report.users) or 'nobody'}, {report.memos} memos.")
    _echo_lines("Not in the file: ", report.left_out)
    if report.sources and not pseudonymise:
        click.echo("Note: the texts go out exactly as imported; names said in them (and speaker labels) are not "
                   "pseudonymised: check them before you share the file.")


@click.command("import", context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the YAML codebook here (default: print it).")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
def codebook_import(path: Path, out: Path | None, force: bool) -> None:
    """A YAML codebook from a REFI-QDA codebook (.qdc) or project (.qdpx); the keywords are left to write.

    Codes whose children are the directions (kans + risico, opportunity + risk) become one
    aspect; every other code is a code of its own.

    \b
    Example:
      qualcode codebook import nvivo-codes.qdc -o codebook.yaml
    """
    from qualcode.project import Project

    report = Project.import_codebook(path, out, force=force)
    _echo_lines("Repaired: ", report.repairs, err=True)
    if out is None:
        click.echo(report.yaml_text, nl=False)
        return
    click.echo(f"Wrote {report.out}: {report.codes} codes ({report.aspects} with directions). "
               f"Next: write their keywords, then qualcode code --codebook {report.out}")


def echo_qdpx_import(report: Any) -> None:
    """What `qualcode import FILE.qdpx` prints."""
    if report.already_imported:
        click.echo(f"skipped  {report.file}: already imported ({report.already_imported.split(' ')[0]})")
        return
    _echo_lines("Repaired: ", report.repairs)
    _echo_lines("Warning: ", report.warnings, err=True)
    if report.codebook_created:
        click.echo(f"Codebook {report.codebook_created!r} made from the file's codes (keywords empty; "
                   "`qualcode codebook show` lists it).")
    coders = ", ".join(f"{c} {n}" for c, n in sorted(report.codings.items())) or "none"
    click.echo(f"imported {report.file}: {report.documents_new} new documents"
               + (f", {report.documents_reused} already in the project" if report.documents_reused else "")
               + f", {report.segments} segments, {report.cases_created} cases, {report.codings_added} codings "
                 f"(per coder: {coders}), {report.memos} memos.")
    if report.codings_kept:
        click.echo(f"Kept {report.codings_kept} decisions the project had already (not changed by the file).")
    if report.unmatched_codes:
        click.echo(f"Codes not in the project's codebook, kept as imported codes ({len(report.unmatched_codes)}): "
                   + ", ".join(report.unmatched_codes))


COMMANDS = ()
