"""Write imported documents, segments and cases into the store (one transaction per import).

The importers are pure readers; this module decides which case each segment belongs
to (from a cases file, a table's case column, or one case per document and speaker)
and which turns are the interviewer's and so not to be coded.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from qualcode.batches import fewer_collections
from qualcode.errors import CasesFileError, ImportFormatError, ProjectBusyError, UsageError
from qualcode.ingest.case_map import DEFAULT_INTERVIEWERS, CaseMap, auto_case_id
from qualcode.ingest.segmentation import UNITS, segment_turns, word_count
from qualcode.records import ParsedDocument
from qualcode.store import cases as stored_cases
from qualcode.store import documents as stored_documents

if TYPE_CHECKING:
    from qualcode.ingest.importers.cases import CaseRow
    from qualcode.store import Store

LONG_SEGMENT_WORDS = 1000  # a segment longer than this is warned about
SEGMENT_BATCH = 20_000  # segment rows written at once
TABLE_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ImportedFile:
    """What happened to one file in an import; ``name`` is the document's name in the project."""

    path: str
    document_id: int | None
    segments: int
    skipped_reason: str | None = None
    name: str = ""


@dataclass
class ImportReport:
    """What an import did: every file (imported or skipped), the cases created or updated,
    and what the user should know (``notes``) or look at (``warnings``)."""

    files: list[ImportedFile] = field(default_factory=list)
    cases_created: int = 0
    cases_updated: int = 0
    exchange: Any = None  # a REFI-QDA import (qualcode.exchange.qdpx_import.QdpxImport), when a .qdpx was imported
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def imported(self) -> list[ImportedFile]:
        return [f for f in self.files if f.skipped_reason is None]

    @property
    def skipped(self) -> list[ImportedFile]:
        return [f for f in self.files if f.skipped_reason is not None]


@fewer_collections()
def import_files(
    store: "Store",
    paths: list[Path],
    *,
    study: str | None = None,
    cases: Path | None = None,
    unit: str = "turn",
    max_words: int | None = None,
    text_columns: Sequence[str] | None = None,
    id_column: str | None = None,
    case_column: str | None = None,
    interviewers: Sequence[str] = DEFAULT_INTERVIEWERS,
    progress: Any = None,
    keep_columns: Sequence[str] | None = None,
    encoding: str | None = None,
    speaker_pattern: str | None = None,
    role: str | None = None,
    strict: bool = False,
    max_unpacked_mb: int | None = None,
) -> ImportReport:
    """Import transcripts and tables (and a cases file) in one transaction.

    A file already in the project (same SHA-256) is skipped and reported. Any error
    rolls back the whole import: the project stays as it was. Documents are named by
    their path relative to the folder named (``school-a/interview.txt`` when two
    folders hold an ``interview.txt``). ``role`` is the role of the cases this import
    creates; ``literature`` makes each document one case (a publication). With
    ``strict`` a cases-file row that matches no segment is an error, else a warning.
    ``max_unpacked_mb`` raises the zip-bomb limit of .docx/.xlsx/.odt files for trusted files.
    """
    from qualcode.ingest.importers import read_bytes, read_document
    from qualcode.ingest.importers.cases import read_cases_file
    from qualcode.ingest.importers.turns import compile_speaker_pattern

    if unit not in UNITS:
        raise UsageError(f"--unit must be one of {', '.join(UNITS)}, not {unit!r}")
    if not paths and cases is None:
        raise UsageError("nothing to import; name one or more files (or a folder), or pass --cases FILE")
    if speaker_pattern is not None:
        compile_speaker_pattern(speaker_pattern)  # a bad pattern is refused before anything is read
    report = ImportReport()
    files, skipped = _expand(paths, cases)
    for _, name in files:
        _check_file_name(name)
    report.files.extend(skipped)
    from qualcode.zipsafe import DOCUMENT_LIMITS

    case_rows = read_cases_file(cases, DOCUMENT_LIMITS.raised_to(max_unpacked_mb)) if cases else []
    if study is not None:
        # One cases file often covers several studies: with --study, use the rows of that study.
        case_rows = [r for r in case_rows if r.attributes.get("study") is None or str(r.attributes["study"]) == study]
    case_map = CaseMap(case_rows, interviewers, cases.name if cases else "cases file")
    con = store.con

    # Read and parse everything before writing anything: a bad file stops the import
    # with the store untouched (and the transaction below is the second guard).
    parsed: list[tuple[Path, str, list[ParsedDocument]]] = []
    seen_hashes: dict[str, str] = {}
    new_files = []
    for path, _ in files:
        data = read_bytes(path)
        digest = hashlib.sha256(data).hexdigest()
        existing = stored_documents.document_with_hash(con, digest)
        if existing is not None or digest in seen_hashes:
            other = existing if existing is not None else seen_hashes[digest]
            report.files.append(ImportedFile(str(path), None, 0, f"already imported (same content as {other})",
                                             name=path.name))
            continue
        seen_hashes[digest] = path.name
        new_files.append((path, data, digest))
    given_names = dict(files)
    names = _document_names([(path, given_names[path]) for path, _, _ in new_files],
                            stored_documents.document_names(con))
    for path, given in given_names.items():
        if path in names and names[path] != given:
            report.notes.append(f"{given}: another document is called that (in this import or the project); "
                                f"imported as {names[path]}")
    new_files.reverse()
    while new_files:  # each file's bytes are let go once it is read (a table's are not held while it is written)
        path, data, digest = new_files.pop()
        docs = read_document(path, text_columns=text_columns, id_column=id_column, case_column=case_column,
                             keep_columns=keep_columns, encoding=encoding, speaker_pattern=speaker_pattern,
                             data=data, max_unpacked_mb=max_unpacked_mb)
        del data
        docs = [replace(doc, name=names[path]) for doc in docs]
        parsed.append((path, digest, docs))
        if progress is not None:
            progress(path)

    all_names = list(stored_documents.document_names(con)) + [d.name for _, _, docs in parsed for d in docs]
    if cases is not None:
        for row, message in _check_case_documents(cases.name, case_map, all_names):
            if strict:
                raise CasesFileError(message + " (or leave out --strict to import anyway)")
            report.warnings.append(message + "; the row is kept for a later import (pass --strict to refuse it)")
            case_map.used.add(row.row)  # reported once, not again as matching no segment

    with store.transaction():
        _check_unchanged_since_read(store, parsed)
        study_id = stored_documents.study_id(con, study) if study else None
        writer = stored_cases.CaseWriter(con)
        for row in case_rows:
            created = writer.upsert(row.case_id, row.pseudonym, row.role, row.attributes, study_id)
            if created:
                report.cases_created += 1
            else:
                report.cases_updated += 1
        writer.flush()
        for path, digest, docs in parsed:
            for i, doc in enumerate(docs):
                doc_digest = digest if i == 0 else hashlib.sha256(f"{digest}:{i}".encode()).hexdigest()
                doc_study = study_id if study_id is not None else _study_from_cases(con, case_map, doc)
                report.notes.extend(doc.notes)
                report.warnings.extend(doc.warnings)
                doc_id, n = _write_document(con, writer, doc, doc_digest, doc_study, unit, max_words, case_map,
                                            report, role)
                report.files.append(ImportedFile(str(path), doc_id, n, name=doc.name))
                if doc.format not in TABLE_FORMATS and role != "literature" and speaker_pattern is None \
                        and doc.turns and all(t.speaker is None for t in doc.turns):
                    report.warnings.append(
                        f"{doc.name}: no speakers found, so its {len(doc.turns)} paragraph(s) are the segments; "
                        "if it has speakers in a layout qualcode does not know, pass --speaker-pattern REGEX "
                        "(a regular expression with a group (?P<speaker>...))"
                    )
        for row in _unmatched_rows(con, case_map):
            message = (f"{case_map.source}, row {row.row}: case {row.case_id!r} ({_row_what(row)}) matches no "
                       "segment in the project; check the spelling of document and speaker")
            if strict:
                raise CasesFileError(message + " (or leave out --strict to import anyway)")
            report.warnings.append(message + ", or pass --strict to refuse such rows")
    return report


def _row_what(row) -> str:
    if row.document and row.speaker:
        return f"speaker {row.speaker!r} in {row.document!r}"
    if row.document:
        return f"document {row.document!r}"
    if row.speaker:
        return f"speaker {row.speaker!r}"
    return "no document or speaker"


def _unmatched_rows(con, case_map: CaseMap) -> list:
    """Rows of the cases file that no segment belongs to, now or from an earlier import.

    A row's document matches by its name or file name and its speaker by name, both ignoring case."""
    rows = [row for row in case_map.rows if row.row not in case_map.used]
    places = stored_documents.case_segment_places(con, {row.case_id for row in rows}) if rows else {}
    out = []
    for row in rows:
        doc = row.document.replace("\\", "/").lower() if row.document else None
        speaker = row.speaker.lower() if row.speaker else None
        if not any((doc is None or name == doc or name.endswith("/" + doc)) and (speaker is None or said == speaker)
                   for name, said in places.get(row.case_id, ())):
            out.append(row)
    return out


def _check_case_documents(source: str, case_map: CaseMap, names: list[str]) -> list[tuple["CaseRow", str]]:
    """Rows naming a document that is not in the project or this import, with the message.

    A file name that several documents share (school-a/interview.txt, school-b/interview.txt)
    is refused: the row could belong to either.
    """
    exact = {name.casefold() for name in names}
    by_base: dict[str, list[str]] = {}
    for name in names:
        by_base.setdefault(name.rsplit("/", 1)[-1].casefold(), []).append(name)
    unknown: list[tuple["CaseRow", str]] = []
    for row in case_map.rows:
        if not row.document:
            continue
        wanted = row.document.replace("\\", "/").casefold()
        if wanted in exact:
            continue
        matches = by_base.get(wanted.rsplit("/", 1)[-1], []) if "/" not in wanted else []
        if not matches:
            unknown.append((row, f"{source}, row {row.row}: case {row.case_id!r} names document {row.document!r}, "
                                 "which is not in the project or this import; import it first or fix the name"))
        elif len(matches) > 1:
            raise CasesFileError(
                f"{source}, row {row.row}: document {row.document!r} could be any of {', '.join(sorted(matches))}; "
                "write the document as the project names it (see qualcode status --documents)"
            )
    return unknown


def _check_unchanged_since_read(store: "Store", parsed: list[tuple[Path, str, list[ParsedDocument]]]) -> None:
    """Inside the write transaction: refuse when another import added these files or names since they were read."""
    con = store.con
    names = set(stored_documents.document_names(con))
    for path, digest, docs in parsed:
        if stored_documents.document_with_hash(con, digest) is not None or any(d.name in names for d in docs):
            raise ProjectBusyError(
                f"{store.path}: another import added {path.name} (or a document of that name) while this import "
                "was reading its files; nothing was imported: run the import again (what is in already is skipped)")


def _expand(paths: list[Path], cases: Path | None) -> tuple[list[tuple[Path, str]], list[ImportedFile]]:
    """The files to import, each with its name relative to the folder named, and the files skipped.

    Hidden files (``.DS_Store``) are passed over without a word; every other file a
    folder holds that is not imported is reported with the reason and the fix.
    """
    from qualcode.ingest.importers import SUPPORTED_EXTENSIONS, skip_reason

    out: dict[Path, str] = {}
    skipped: list[ImportedFile] = []
    cases_file = cases.resolve() if cases is not None else None
    for path in paths:
        if path.is_dir():
            found = []
            for file in _files_in(path):
                relative = file.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                reason = skip_reason(file)
                if reason is None and cases_file is not None and file.resolve() == cases_file:
                    reason = "the cases file of this import (--cases), not material"
                if reason is not None:
                    skipped.append(ImportedFile(str(file), None, 0, reason, name=relative.as_posix()))
                else:
                    found.append((file, relative.as_posix()))
            if not found:
                raise ImportFormatError(
                    f"{path}: folder holds no transcripts or tables ({', '.join(sorted(SUPPORTED_EXTENSIONS))})"
                    + (f"; {len(skipped)} file(s) skipped, e.g. {skipped[0].name}: {skipped[0].skipped_reason}"
                       if skipped else "; name the files instead")
                )
            for file, name in found:
                out.setdefault(file, name)
        else:
            out.setdefault(path, path.name)
    # Sorted and de-duplicated: the same files give the same documents and segment ids,
    # whatever order they were named in (a review workbook refers to segment ids).
    return sorted(out.items(), key=lambda item: str(item[0])), skipped


def _check_file_name(name: str) -> None:
    """A document name must be text that every output can show: valid UTF-8, no control characters
    (a line break in a name would split every one-line message and cell that names it)."""
    shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if shown != name:
        raise ImportFormatError(f"{shown}: the file name is not valid UTF-8 (made on another system?); rename the "
                                "file and import it again")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        escaped = name.encode("unicode_escape").decode("ascii")
        raise ImportFormatError(f"{escaped}: the file name holds a control character (a line break or tab); rename "
                                "the file and import it again")


def _files_in(folder: Path) -> list[Path]:
    """Every file under ``folder`` (hidden folders passed over, symbolic links to folders not
    followed), sorted. A subfolder that cannot be read stops the import, as a file that cannot be
    read does: silently leaving out its transcripts would change every result."""

    def refuse(error: OSError) -> None:
        raise ImportFormatError(
            f"{error.filename}: cannot read this folder ({error.strerror}), so its files would be left out of "
            "the import; give yourself read permission (chmod -R u+rX), or name the other files and folders "
            "to import without it"
        )

    found: list[Path] = []
    for root, folders, names in os.walk(folder, onerror=refuse):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found.extend(Path(root) / name for name in names)
    return sorted(file for file in found if file.is_file())


def _document_names(files: list[tuple[Path, str]], existing: list[str]) -> dict[Path, str]:
    """Each file's document name: its path relative to the folder named (the file name for a file
    named itself), with as many parent folders as it takes to differ from the other files'
    names and from the documents already in the project."""
    taken = {name.casefold() for name in existing}
    names = dict(files)
    for _ in range(32):
        counts: dict[str, int] = {}
        for name in names.values():
            counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
        clashing = [path for path, name in names.items() if counts[name.casefold()] > 1 or name.casefold() in taken]
        changed = False
        for path in clashing:
            longer = _with_parent(path, names[path])
            if longer != names[path]:
                names[path] = longer
                changed = True
        if not changed:
            break
    return names


def _with_parent(path: Path, name: str) -> str:
    """``name`` (a tail of ``path``) with one more folder in front, when there is one."""
    parts = path.resolve().parts
    depth = len(name.split("/"))
    if depth >= len(parts) - 1:
        return name
    return "/".join(parts[-(depth + 1):])


def _study_from_cases(con, case_map: CaseMap, doc: ParsedDocument) -> int | None:
    """Without --study, a document takes the study its cases agree on (from the cases file)."""
    studies = set()
    for row in case_map.rows:
        names = (doc.name.casefold(), doc.name.rsplit("/", 1)[-1].casefold())
        if row.document and row.document.replace("\\", "/").casefold() in names and not row.is_interviewer:
            value = row.attributes.get("study")
            if value is not None:
                studies.add(str(value))
    if len(studies) == 1:
        return stored_documents.study_id(con, studies.pop())
    return None


def _write_document(con, writer: stored_cases.CaseWriter, doc: ParsedDocument, digest: str, study_id: int | None, unit: str,
                    max_words: int | None, case_map: CaseMap, report: ImportReport,
                    role: str | None = None) -> tuple[int, int]:
    doc_id = stored_documents.add_document(con, name=doc.name, format=doc.format, text=doc.text, sha256=digest,
                                           unit=unit, study_id=study_id)
    study_name = stored_documents.study_name(con, study_id) if study_id is not None else None
    auto_cases: dict[object, str] = {}
    # case id -> the attributes first written for it, or the set of all written (as _attributes_key):
    # a case is written once per distinct set of attributes, not once per segment.
    written: dict[str, Mapping[str, Any] | set[str]] = {}
    rows: list[stored_documents.SegmentRow] = []
    count = 0
    # In a transcript with speakers, unlabelled paragraphs before the first speaker are a
    # title or metadata block ("Interview expert 3 – 4 februari"): kept, not coded.
    first_spoken = next((i for i, t in enumerate(doc.turns) if t.speaker is not None), None)
    preamble = {id(t) for t in doc.turns[:first_spoken]} if first_spoken else set()
    for position, span in enumerate(segment_turns(doc.text, doc.turns, unit, max_words)):
        if len(rows) >= SEGMENT_BATCH:  # written as they come: a table of 200,000 answers is not held twice
            writer.flush()  # the cases before the segments that refer to them
            stored_documents.add_segments(con, rows)
            count += len(rows)
            rows = []
        turn = span.turn
        words = word_count(doc.text, span.start, span.end)
        if words > LONG_SEGMENT_WORDS:
            first_words = " ".join(doc.text[span.start:min(span.end, span.start + 400)].split()[:6])
            has_paragraphs = unit == "turn" and "\n\n" in doc.text[span.start:span.end].strip()
            report.warnings.append(
                f"{doc.name}: segment {position + 1} ({first_words!r} ...) has {words:,} words; pass "
                + ("--unit paragraph or --max-words 300" if has_paragraphs else "--max-words 300")
                + " to split it"
                + (", or --speaker-pattern REGEX if speakers were missed" if turn.source_row is None else "")
            )
        if id(turn) in preamble or turn.boilerplate:
            rows.append((doc_id, position, span.start, span.end, None, None, "preamble", 0,
                         turn.start_time, turn.end_time, turn.source_row))
            continue
        assignment = case_map.assign(doc.name, turn.speaker, turn.case_id)
        case_id = assignment.case_id
        # A publication is coded whole: a quoted "Interviewer:" in it is not an interviewer.
        to_code = assignment.to_code or (role == "literature" and case_id is None)
        if case_id is None and to_code:
            # No cases file entry: one case per table row, per publication (--role literature),
            # or per speaker of this document; pseudonymised.
            if turn.source_row is not None:  # not kept: a table has a key for every row
                case_id = auto_case_id(doc.name, f"row {turn.source_row}")
            else:
                key = None if role == "literature" else turn.speaker
                if key not in auto_cases:
                    auto_cases[key] = auto_case_id(doc.name, key)
                case_id = auto_cases[key]
        attrs = turn.attributes
        if study_name and "study" not in attrs:
            attrs = {**attrs, "study": study_name}
        if case_id is not None and _first_written(written, case_id, attrs):
            if not writer.exists(case_id):
                n = writer.count() + 1
                pseudonym = None if turn.case_id is not None else f"Respondent {n}"
                writer.upsert(case_id, pseudonym, role, attrs, study_id)
                report.cases_created += 1
            elif attrs:
                writer.upsert(case_id, None, None, attrs, None)
        rows.append((doc_id, position, span.start, span.end, turn.speaker, case_id, span.kind,
                     int(to_code), turn.start_time, turn.end_time, turn.source_row))
    writer.flush()  # the cases before the segments that refer to them
    stored_documents.add_segments(con, rows)
    return doc_id, count + len(rows)


def _attributes_key(attributes: Mapping[str, Any]) -> str:
    """What tells two sets of attributes apart (repr: 1, 1.0 and True differ, as they are stored)."""
    return repr(sorted(attributes.items()))


def _first_written(written: dict[str, Mapping[str, Any] | set[str]], case_id: str,
                   attributes: Mapping[str, Any]) -> bool:
    """Whether case ``case_id`` is to be written with ``attributes``: not yet with these (then noted).

    The key of a set of attributes is made only for a case seen before (a table has one case a row)."""
    seen = written.get(case_id)
    if seen is None:
        written[case_id] = attributes
        return True
    if seen is attributes:  # the turns of one row share their attributes
        return False
    if not isinstance(seen, set):
        seen = written[case_id] = {_attributes_key(seen)}
    key = _attributes_key(attributes)
    if key in seen:
        return False
    seen.add(key)
    return True
