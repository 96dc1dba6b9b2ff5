"""Write imported documents, segments and cases into the store (one transaction per import).

The importers are pure readers; this module decides which case each segment belongs
to (from a cases file, a table's case column, or one case per document and speaker)
and which turns are the interviewer's and so not to be coded.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from qualcode.errors import CasesFileError, ImportFormatError, UsageError
from qualcode.ingest.case_map import DEFAULT_INTERVIEWERS, CaseMap, auto_case_id
from qualcode.ingest.segmentation import UNITS, segment_turns
from qualcode.records import ParsedDocument
from qualcode.store import cases as stored_cases
from qualcode.store import documents as stored_documents

if TYPE_CHECKING:
    from qualcode.store import Store


@dataclass(frozen=True)
class ImportedFile:
    """What happened to one file in an import."""

    path: str
    document_id: int | None
    segments: int
    skipped_reason: str | None = None


@dataclass
class ImportReport:
    """What an import did: every file (imported or skipped) and the cases created or updated."""

    files: list[ImportedFile] = field(default_factory=list)
    cases_created: int = 0
    cases_updated: int = 0
    exchange: Any = None  # a REFI-QDA import (qualcode.exchange.qdpx_import.QdpxImport), when a .qdpx was imported

    @property
    def imported(self) -> list[ImportedFile]:
        return [f for f in self.files if f.skipped_reason is None]

    @property
    def skipped(self) -> list[ImportedFile]:
        return [f for f in self.files if f.skipped_reason is not None]


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
) -> ImportReport:
    """Import transcripts and tables (and a cases file) in one transaction.

    A file already in the project (same SHA-256) is skipped and reported. Any error
    rolls back the whole import: the project stays as it was.
    """
    from qualcode.ingest.importers import read_bytes, read_document
    from qualcode.ingest.importers.cases import read_cases_file

    if unit not in UNITS:
        raise UsageError(f"--unit must be one of {', '.join(UNITS)}, not {unit!r}")
    if not paths and cases is None:
        raise UsageError("nothing to import; name one or more files (or a folder), or pass --cases FILE")
    files = _expand(paths)
    case_rows = read_cases_file(cases) if cases else []
    if study is not None:
        # One cases file often covers several studies: with --study, use the rows of that study.
        case_rows = [r for r in case_rows if r.attributes.get("study") is None or str(r.attributes["study"]) == study]
    case_map = CaseMap(case_rows, interviewers, cases.name if cases else "cases file")
    con = store.con
    report = ImportReport()

    # Read and parse everything before writing anything: a bad file stops the import
    # with the store untouched (and the transaction below is the second guard).
    parsed: list[tuple[Path, str, list[ParsedDocument]]] = []
    seen_hashes: dict[str, Path] = {}
    for path in files:
        data = read_bytes(path)
        digest = hashlib.sha256(data).hexdigest()
        existing = stored_documents.document_with_hash(con, digest)
        if existing is not None or digest in seen_hashes:
            other = existing if existing is not None else seen_hashes[digest].name
            report.files.append(ImportedFile(str(path), None, 0, f"already imported (same content as {other})"))
            continue
        seen_hashes[digest] = path
        docs = read_document(path, text_columns=text_columns, id_column=id_column, case_column=case_column,
                             data=data)
        parsed.append((path, digest, docs))
        if progress is not None:
            progress(path)

    known_docs = {name.casefold() for name in stored_documents.document_names(con)}
    known_docs |= {d.name.casefold() for _, _, docs in parsed for d in docs}
    known_docs |= {p.name.casefold() for p in files}
    if cases is not None:
        for name, row in case_map.documents_named().items():
            if name not in known_docs:
                raise CasesFileError(
                    f"{cases.name}, row {row.row}: case {row.case_id!r} names document {row.document!r}, "
                    "which is not in the project or this import; import it first or fix the name"
                )

    with store.transaction():
        study_id = stored_documents.study_id(con, study) if study else None
        for row in case_rows:
            created = stored_cases.upsert_case(con, row.case_id, row.pseudonym, row.role, row.attributes, study_id)
            if created:
                report.cases_created += 1
            else:
                report.cases_updated += 1
        for path, digest, docs in parsed:
            for i, doc in enumerate(docs):
                doc_digest = digest if i == 0 else hashlib.sha256(f"{digest}:{i}".encode()).hexdigest()
                doc_study = study_id if study_id is not None else _study_from_cases(con, case_map, doc)
                doc_id, n = _write_document(con, doc, doc_digest, doc_study, unit, max_words, case_map, report)
                report.files.append(ImportedFile(str(path), doc_id, n))
    return report


def _expand(paths: list[Path]) -> list[Path]:
    from qualcode.ingest.importers import SUPPORTED_EXTENSIONS

    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS
                           and not p.name.startswith(("~$", ".")))
            if not found:
                raise ImportFormatError(
                    f"{path}: folder holds no transcripts ({', '.join(sorted(SUPPORTED_EXTENSIONS))}); name the files instead"
                )
            out.extend(found)
        else:
            out.append(path)
    # Sorted and de-duplicated: the same files give the same documents and segment ids,
    # whatever order they were named in (a review workbook refers to segment ids).
    return sorted(dict.fromkeys(out), key=lambda p: str(p))


def _study_from_cases(con, case_map: CaseMap, doc: ParsedDocument) -> int | None:
    """Without --study, a document takes the study its cases agree on (from the cases file)."""
    studies = set()
    for row in case_map.rows:
        if row.document and row.document.casefold() == doc.name.casefold() and not row.is_interviewer:
            value = row.attributes.get("study")
            if value is not None:
                studies.add(str(value))
    if len(studies) == 1:
        return stored_documents.study_id(con, studies.pop())
    return None


def _write_document(con, doc: ParsedDocument, digest: str, study_id: int | None, unit: str,
                    max_words: int | None, case_map: CaseMap, report: ImportReport) -> tuple[int, int]:
    doc_id = stored_documents.add_document(con, name=doc.name, format=doc.format, text=doc.text, sha256=digest,
                                           unit=unit, study_id=study_id)
    study_name = stored_documents.study_name(con, study_id) if study_id is not None else None
    auto_cases: dict[str | None, str] = {}
    written: set[tuple[str, str]] = set()
    rows: list[stored_documents.SegmentRow] = []
    # In a transcript with speakers, unlabelled paragraphs before the first speaker are a
    # title or metadata block ("Interview expert 3 – 4 februari"): kept, not coded.
    first_spoken = next((i for i, t in enumerate(doc.turns) if t.speaker is not None), None)
    preamble = {id(t) for t in doc.turns[:first_spoken]} if first_spoken else set()
    for position, span in enumerate(segment_turns(doc.text, doc.turns, unit, max_words)):
        turn = span.turn
        if id(turn) in preamble:
            rows.append((doc_id, position, span.start, span.end, None, None, "preamble", 0,
                         turn.start_time, turn.end_time, turn.source_row))
            continue
        assignment = case_map.assign(doc.name, turn.speaker, turn.case_id)
        case_id = assignment.case_id
        if case_id is None and assignment.to_code:
            # No cases file entry: one case per speaker of this document, pseudonymised.
            if turn.speaker not in auto_cases:
                auto_cases[turn.speaker] = auto_case_id(doc.name, turn.speaker)
            case_id = auto_cases[turn.speaker]
        attrs = dict(turn.attributes)
        if study_name and "study" not in attrs:
            attrs["study"] = study_name
        # A case is written once per distinct set of attributes, not once per segment.
        if case_id is not None and (case_id, repr(sorted(attrs.items()))) not in written:
            written.add((case_id, repr(sorted(attrs.items()))))
            if not stored_cases.case_exists(con, case_id):
                n = stored_cases.count_cases(con) + 1
                pseudonym = None if turn.case_id is not None else f"Respondent {n}"
                stored_cases.upsert_case(con, case_id, pseudonym, None, attrs, study_id)
                report.cases_created += 1
            elif attrs:
                stored_cases.upsert_case(con, case_id, None, None, attrs, None)
        rows.append((doc_id, position, span.start, span.end, turn.speaker, case_id, span.kind,
                     int(assignment.to_code), turn.start_time, turn.end_time, turn.source_row))
    stored_documents.add_segments(con, rows)
    return doc_id, len(rows)
