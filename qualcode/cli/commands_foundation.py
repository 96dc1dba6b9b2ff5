"""init, import, status, show."""
from __future__ import annotations

import json
from pathlib import Path

import click

from qualcode.cli.options import format_option, project_option, study_option
from qualcode.cli.output import echo_table


@click.command()
@click.argument("path", default="project.qualcode", type=click.Path(dir_okay=False))
def init(path: str) -> None:
    """Create an empty project file (one SQLite file that holds everything).

    \b
    Example:
      qualcode init                      # project.qualcode in this folder
      qualcode init studies/ai-vo.qualcode
    """
    from qualcode.project import Project

    with Project.init(path) as project:
        click.echo(f"Created project {project.path}. Next: qualcode import FILES --project {project.path}")


@click.command("import")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@study_option(help="Study these files belong to (vo-2025, po-2019, ...).")
@click.option("--cases", type=click.Path(dir_okay=False, path_type=Path),
              help="cases.csv/.xlsx mapping documents and speakers to cases and attributes.")
@click.option("--unit", type=click.Choice(["turn", "paragraph", "sentence"]), default="turn", show_default=True,
              help="What one coded segment is.")
@click.option("--max-words", type=int, default=None,
              help="Split turns longer than this into groups of whole sentences.")
@click.option("--text-column", "text_columns", multiple=True,
              help="Table imports: the column(s) holding text, by name or (surveys) question text.")
@click.option("--id-column", help="Table imports: the column with the row id (default: the row number; "
                                  "kept in every export).")
@click.option("--case-column", help="Table imports: the column naming the case, to group rows "
                                    "(default: every row is its own case).")
@click.option("--keep-column", "keep_columns", multiple=True,
              help="Table imports: keep this personal-data column (e-mail, IP address, names, phone, "
                   "location) as a case attribute; left out otherwise (repeatable).")
@click.option("--speaker-pattern", metavar="REGEX",
              help="Transcripts: a regular expression matched at the start of each line, with a group "
                   "(?P<speaker>...) and optionally (?P<time>...); replaces the built-in speaker rules.")
@click.option("--encoding", help="Text files: the encoding (cp1252, latin-1, utf-16, ...) when it cannot be decided.")
@click.option("--role", help="Role of the cases this import creates; 'literature' makes each document one case "
                             "(a publication).")
@click.option("--strict", is_flag=True, help="A cases-file row that matches no segment is an error, not a warning.")
@click.option("--max-unpacked-mb", type=click.IntRange(min=1), default=None, metavar="N",
              help="A .docx/.xlsx/.odt (each member of a .qdpx) may unpack to N MB (default 256, with a zip-bomb "
                   "check of its compression; a .pdf stream: 50); raise it only for a file you trust.")
@click.option("--interviewer", "interviewers", multiple=True,
              help="Speaker label of the interviewer (repeatable); its turns are kept but not coded. "
                   "Default: Interviewer, I, Int, Onderzoeker, Gespreksleider, Moderator.")
@project_option
def import_(project, paths, study, cases, unit, max_words, text_columns, id_column, case_column, keep_columns,
            speaker_pattern, encoding, role, strict, max_unpacked_mb, interviewers) -> None:
    """Import transcripts (.txt .md .docx .odt .rtf .pdf .vtt .srt) and tables (.csv .xlsx), or a REFI-QDA project (.qdpx).

    Folders are searched for supported files; every other file is listed as skipped,
    with the reason. Documents are named by their path in the folder. All files are
    imported in one transaction: if one fails, nothing is imported. A file imported
    before (same content) is skipped. Warnings (no speakers found, very long
    segments, personal-data columns left out) name the file and the option that helps.

    \b
    Examples:
      qualcode import interviews/ --study vo-2025 --cases cases.csv
      qualcode import workshop.xlsx --text-column notitie --id-column id --case-column groep
      qualcode import wave0-nvivo.qdpx --study wave-0
      qualcode import qualtrics.csv --text-column Q2_TEXT
      qualcode import notes.txt --speaker-pattern '(?P<speaker>[A-Z]{2,4}) >'
      qualcode import literatuur/ --role literature --study vo-2025
    """
    from qualcode.ingest.case_map import DEFAULT_INTERVIEWERS

    report = project.import_files(
        paths, study=study, cases=cases, unit=unit, max_words=max_words, text_columns=text_columns or None,
        id_column=id_column, case_column=case_column, interviewers=interviewers or DEFAULT_INTERVIEWERS,
        keep_columns=keep_columns or None, encoding=encoding, speaker_pattern=speaker_pattern, role=role,
        strict=strict, max_unpacked_mb=max_unpacked_mb,
    )
    if report.exchange is not None:  # a REFI-QDA project (.qdpx)
        from qualcode.cli.commands_exchange import echo_qdpx_import

        echo_qdpx_import(report.exchange)
        return
    for item in report.files:
        name = item.name or Path(item.path).name
        if item.skipped_reason:
            click.echo(f"skipped  {name}: {item.skipped_reason}")
        else:
            click.echo(f"imported {name}: {item.segments} segments")
    for note in report.notes:
        click.echo(f"note: {note}")
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(
        f"{len(report.imported)} imported, {len(report.skipped)} skipped; "
        f"cases: {report.cases_created} new, {report.cases_updated} updated. Next: qualcode code --codebook FILE"
    )


@click.command()
@click.option("--documents", is_flag=True, help="List every document.")
@click.option("--cases", "show_cases", is_flag=True, help="List every case.")
@format_option(("table", "json"))
@project_option
def status(project, documents, show_cases, fmt) -> None:
    """Counts per study, document and case, and codings per status.

    --format json lists everything, the cases with their attributes and segment counts.

    \b
    Example:
      qualcode status --documents
      qualcode status --cases --format json
    """
    info = project.status()
    if fmt == "json":
        click.echo(json.dumps(info, indent=2, ensure_ascii=False, default=str))
        return
    click.echo(f"Project {info['project']}  codebook {str(info['codebook'] or 'none')[:12]}")
    echo_table(info["studies"], ["study", "documents", "segments", "to_code", "cases"], title="Studies")
    if documents:
        echo_table(info["documents"], ["id", "name", "format", "study", "segments", "chars"], title="Documents")
    if show_cases:
        echo_table(info["cases"], ["case_id", "pseudonym", "role", "study", "documents", "segments", "to_code"],
                   title="Cases")
    if info["codings"]:
        echo_table(info["codings"], ["status", "who", "n"], title="Codings")


@click.command()
@click.argument("document")
@click.option("--width", default=90, show_default=True, help="Characters of text shown per segment.")
@format_option(("table", "json"))
@project_option
def show(project, document, width, fmt) -> None:
    """Show a document's segments with id, offsets, time, speaker and case.

    DOCUMENT is a document id or name (see `qualcode status --documents`); a file
    name is enough when only one document has it. --format json gives every segment
    (id, document, start, end, speaker, case, to_code, start_time, end_time, text)
    for scripts; times are in seconds.

    \b
    Example:
      qualcode show expert-01.vtt
      qualcode show expert-01.vtt --format json > expert-01.json
    """
    from qualcode.records import format_time

    doc = project.document(document)
    segments = project.segments(document=doc.id)
    if fmt == "json":
        click.echo(json.dumps([
            {"id": seg.id, "document": doc.name, "start": seg.start, "end": seg.end, "speaker": seg.speaker,
             "case": seg.case_id, "to_code": seg.to_code, "start_time": seg.start_time, "end_time": seg.end_time,
             "source_row": seg.source_row, "text": seg.text}
            for seg in segments
        ], indent=2, ensure_ascii=False))
        return
    click.echo(f"{doc.name} ({doc.format}, {doc.chars} characters, unit {doc.unit})")
    for seg in segments:
        flag = "" if seg.to_code else "  (not coded)"
        text = " ".join(seg.text.split())
        if len(text) > width:
            text = text[: width - 1] + "…"
        when = ""
        if seg.start_time is not None or seg.end_time is not None:
            when = f" {format_time(seg.start_time) or '?'}" + (f"–{format_time(seg.end_time)}" if seg.end_time is not None else "")
        row = f" row {seg.source_row}" if seg.source_row is not None else ""
        click.echo(f"#{seg.id:<5} [{seg.start}:{seg.end}]{when}{row} {seg.speaker or '-'} / {seg.case_id or '-'}{flag}")
        click.echo(f"       {text}")


COMMANDS = (init, import_, status, show)
