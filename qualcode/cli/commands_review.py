"""review (in the terminal, or as an Excel round trip), history, undo, reconcile."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from qualcode.review.queue import QUEUE_ORDER
from qualcode.cli.options import coder_option, format_option, project_option, project_path_option, study_option
from qualcode.cli.output import echo_table


def _refuse_group_options(ctx: click.Context) -> None:
    given = [f"--{name.replace('_', '-')}" for name in ("code", "study", "show_others", "coder", "project_path")
             if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if given:
        from qualcode.errors import UsageError

        given = [g.replace("--project-path", "--project") for g in given]
        raise UsageError(f"put {', '.join(given)} after `{ctx.invoked_subcommand}`: "
                         f"qualcode review {ctx.invoked_subcommand} FILE {' '.join(given)} ...")


@click.group("review", invoke_without_command=True, help=f"""Decide the suggested codes, one segment at a time.

Without a subcommand, the review runs in the terminal: each segment with the turn
before and after it, the matched words highlighted and the suggested codes
numbered with their evidence. Keys: a accept all, 1-9 tick/untick one, Enter
confirm (unticked suggestions are rejected), r reject all, d change a direction,
c add a code, m memo, s skip, b back, q quit. Each confirmed segment is saved at
once, so quitting or Ctrl-C never loses a decision.

{QUEUE_ORDER}

Other coders' decisions stay hidden (blind double coding) unless --show-others.
The subcommands `export` and `import` do the same review in an Excel workbook.

\b
Examples:
  qualcode review --coder anna
  qualcode review --coder anna --code workload
  qualcode review export review-anna.xlsx --coder anna
  qualcode review import review-anna.xlsx --coder anna
""")
@click.option("--code", help="Review only the segments with a suggestion of this code (its id, e.g. workload).")
@study_option(help="Review only this study.")
@click.option("--show-others", is_flag=True, help="Show other coders' decisions (off: blind double coding).")
@coder_option(required=False)
@project_path_option()
@click.pass_context
def review(ctx: click.Context, code: str | None, study: str | None, show_others: bool, coder: str | None,
           project_path: str) -> None:
    # --project is declared here rather than with project_option: that would open the
    # project even when a subcommand (with its own --project) is run.
    if ctx.invoked_subcommand is not None:
        _refuse_group_options(ctx)
        return
    from qualcode.errors import UsageError
    from qualcode.project import Project

    if not coder:
        raise UsageError("who is deciding? pass --coder NAME or set QUALCODE_CODER=NAME")
    with Project.open(project_path) as project:
        summary = project.review_in_terminal(coder, code=code, study=study, show_others=show_others)
    click.echo(summary.line())
    if summary.interrupted:
        click.echo("Interrupted; every segment you confirmed is saved.", err=True)
        sys.exit(130)


@review.command("export", short_help="Write a review workbook to fill in with Excel.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--code", "codes", multiple=True, help="Only this code's column (repeatable); default: every code.")
@study_option(help="Only the segments of this study.")
@click.option("--show-others", is_flag=True, help="Add a column with other coders' decisions (off: blind coding).")
@click.option("--only-suggested", is_flag=True, help="Only the segments with a machine suggestion.")
@click.option("--sample", type=click.IntRange(min=1), default=None, metavar="N",
              help="A random sample of N segments (the same ones again for the same --seed).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
              help="At most N rows: the first N in transcript order (after the other filters).")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.option("--no-pseudonymise", "no_pseudonymise", is_flag=True,
              help="Names as in the transcripts, for a coder inside the team (default: placeholders).")
@coder_option(required=True)
@project_option
def review_export(project, path: Path, codes, study, show_others, only_suggested, sample, seed, limit, force,
                  no_pseudonymise, coder) -> None:
    """Write a review workbook: one row per segment, a drop-down per code, suggestions prefilled.

    Fill it in (in Excel or LibreOffice), mark reviewed rows 'decided', then read it
    back with `qualcode review import`. Rows are in transcript order; segments you
    decided before are included, prefilled with your decisions. A large project is
    exported in part on purpose: --only-suggested, --sample N --seed S, --limit N
    (a sheet holds at most 1,048,575 rows; past that the export is refused).

    \b
    Examples:
      qualcode review export review-anna.xlsx --coder anna
      qualcode review export sample-anna.xlsx --coder anna --only-suggested --sample 500 --seed 1
    """
    from qualcode.errors import UsageError

    if path.exists() and not force:
        raise UsageError(f"{path} exists (a filled-in review?); import it first with `qualcode review import {path} "
                         f"--coder {coder}`, or pass --force to overwrite it")
    result = project.export_review(path, coder, codes=codes or None, study=study, show_others=show_others,
                                   only_suggested=only_suggested, sample=sample, seed=seed, limit=limit,
                                   pseudonymise=not no_pseudonymise)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    of = f" of {result.total}" if result.total != result.rows else ""
    click.echo(f"Wrote {result.path}: {result.rows}{of} segments ({result.decided} decided before), "
               f"{len(result.codes)} code columns. Next: fill it in, then "
               f"qualcode review import {result.path} --coder {coder}")


@review.command("import", short_help="Apply a filled-in review workbook (all or nothing).")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from-other-project", is_flag=True,
              help="Accept a workbook exported from another project built from the same transcripts "
                   "(every row's text is still checked).")
@coder_option(required=True)
@project_option
def review_import(project, path: Path, from_other_project, coder) -> None:
    """Apply a filled-in review workbook: all of it, or (if anything is wrong) nothing.

    Every problem is listed with its sheet, row and column before anything is applied.
    On rows marked decided the code cells count as they stand: a prefilled direction
    left in place is accepted, a cleared one rejected, a typed one added, an
    overwritten one changed. Importing the same workbook twice changes nothing.

    \b
    Example:
      qualcode review import review-anna.xlsx --coder anna
    """

    summary = project.import_review(path, coder, from_other_project=from_other_project)
    click.echo(f"Imported {path.name} for {coder}: {summary}.")


def _state_text(state: Any) -> str:
    if state is None:
        return "-"
    if not isinstance(state, dict):
        return str(state)
    if "memo" in state:
        memo = " ".join(str(state["memo"]).split())
        return f"memo '{memo[:40]}{'…' if len(memo) > 40 else ''}'"
    if state.get("done"):
        return "done"
    return f"{state.get('status')} ({state.get('origin')})"


@click.command()
@click.argument("segment_id", type=int, required=False)
@coder_option(required=False, help="Only this coder's decisions.")
@format_option(("table", "json"))
@project_option
def history(project, segment_id, coder, fmt) -> None:
    """Who decided what, and when: every change with its state before and after.

    The log is append-only: an undo is a new line that names the line it undoes.

    \b
    Examples:
      qualcode history 42
      qualcode history --coder anna
    """
    entries = project.history(segment_id, coder=coder)
    if fmt == "json":
        click.echo(json.dumps([e.__dict__ for e in entries], indent=2, ensure_ascii=False))
        return
    if not entries:
        click.echo("No decisions yet" + (f" by {coder}" if coder else "") + (f" on segment {segment_id}" if segment_id
                                                                             else "") + ".")
        return
    rows = [{"id": e.id, "at": e.at.replace("T", " ")[:19], "coder": e.coder, "segment": e.segment_id,
             "action": "done" if e.action == "segment_done" else (f"undo #{e.undoes}" if e.action == "undo" else e.action),
             "code": e.code or "", "direction": e.direction or "",
             "change": f"{_state_text(e.before)} → {_state_text(e.after)}" if e.action != "segment_done" else "",
             "source": e.source} for e in entries]
    echo_table(rows, ["id", "at", "coder", "segment", "action", "code", "direction", "change", "source"])


@click.command()
@coder_option(required=True)
@click.option("--count", default=1, show_default=True, type=click.IntRange(min=1),
              help="How many steps to take back (one step: one confirmed segment, or one imported workbook).")
@project_option
def undo(project, coder, count) -> None:
    """Take back your last decisions (one confirmed segment or one imported workbook per step).

    The undo is logged too, so `qualcode history` still shows what was decided and undone.

    \b
    Example:
      qualcode undo --coder anna --count 2
    """
    undone = project.undo(coder, batches=count)
    segments = sorted({e.segment_id for e in undone})
    changes = [e for e in undone if e.action != "segment_done"]
    shown = ", ".join(f"#{s}" for s in segments[:10]) + (f" and {len(segments) - 10} more" if len(segments) > 10 else "")
    click.echo(f"Undid {len(changes)} change{'s' if len(changes) != 1 else ''} by {coder} on "
               f"{len(segments)} segment{'s' if len(segments) != 1 else ''}: {shown}. "
               "They are back in your review queue.")


@click.command()
@click.option("--coders", required=True, help="The two coders to compare, as A,B.")
@coder_option(required=False, help="Who settles the differences (named in each settled segment's memo).")
@study_option()
@click.option("--list", "list_only", is_flag=True, help="Only list where the two coders differ.")
@project_option
def reconcile(project, coders, coder, study, list_only) -> None:
    """Settle the segments on which two coders' codes differ.

    For each segment both coders decided and coded differently, shows both codings;
    keys: 1 take A's, 2 take B's, e edit (tick the codes to keep, c to add one),
    s skip, q quit. The settled set of codes is recorded under the coder
    'reconciled', with a memo saying how and by whom; settled segments are not asked again.

    \b
    Examples:
      qualcode reconcile --coders anna,bob --list
      qualcode reconcile --coders anna,bob --coder carla
    """
    from qualcode.review.terminal import codings_text

    first, second = project.check_coders(coders.split(","))
    if list_only:
        codebook = project.codebook()
        found = project.disputes(first, second, study=study)
        if not found:
            click.echo(f"{first} and {second} agree on every segment they both decided.")
            return
        rows = [{"segment": d.segment.id, "case": d.case_label, first: codings_text(codebook, d.only_first),
                 second: codings_text(codebook, d.only_second),
                 "settled": "open" if d.settled is None else codings_text(codebook, d.settled)} for d in found]
        echo_table(rows, ["segment", "case", first, second, "settled"],
                   headers=["segment", "case", f"only {first}", f"only {second}", "settled"])
        open_count = sum(d.settled is None for d in found)
        click.echo(f"\n{len(found)} segments differ, {open_count} not settled. "
                   f"Settle them with: qualcode reconcile --coders {first},{second}")
        return
    summary = project.reconcile_in_terminal(first, second, settled_by=coder, study=study)
    click.echo(summary.line())
    if summary.interrupted:
        click.echo("Interrupted; every segment you settled is saved.", err=True)
        sys.exit(130)


COMMANDS = (review, history, undo, reconcile)
