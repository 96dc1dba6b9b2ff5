"""Write imported documents, segments and cases into the store (one transaction per import).

The importers are pure readers; this module decides which case each segment belongs
to (from a cases file, a table's case column, or one case per document and speaker)
and which turns are the interviewer's and so not to be coded.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from qualcode import store
from qualcode.errors import CasesFileError, ImportFormatError, UsageError
from qualcode.records import ParsedDocument
from qualcode.ingest.segmentation import UNITS, segment_turns

if TYPE_CHECKING:
    from qualcode.ingest.importers.cases import CaseRow
    from qualcode.project import ImportReport, Project


@dataclass(frozen=True)
class _Assignment:
    case_id: str | None
    to_code: bool


class CaseMap:
    """Which case a (document, speaker) belongs to, from the rows of a cases file.

    The most specific row wins: document + speaker, then document only, then speaker only.
    """

    def __init__(self, rows: Sequence["CaseRow"], interviewers: Sequence[str], source: str = "cases file"):
        self.rows = list(rows)
        self.source = source
        self.interviewers = {s.casefold() for s in interviewers}
        self.by_doc_speaker: dict[tuple[str, str], "CaseRow"] = {}
        self.by_doc: dict[str, list["CaseRow"]] = {}
        self.by_speaker: dict[str, "CaseRow"] = {}
        for row in self.rows:
            doc = row.document.casefold() if row.document else None
            spk = row.speaker.casefold() if row.speaker else None
            if doc and spk:
                self.by_doc_speaker[(doc, spk)] = row
            elif doc:
                self.by_doc.setdefault(doc, []).append(row)
            elif spk:
                self.by_speaker[spk] = row

    def documents_named(self) -> dict[str, "CaseRow"]:
        named: dict[str, CaseRow] = {}
        for row in self.rows:
            if row.document:
                named.setdefault(row.document.casefold(), row)
        return named

    def assign(self, document: str, speaker: str | None, table_case: str | None) -> _Assignment:
        doc = document.casefold()
        spk = speaker.casefold() if speaker else None
        row = None
        if spk is not None:
            row = self.by_doc_speaker.get((doc, spk))
        if row is None and table_case is not None:
            return _Assignment(table_case, True)
        if row is None:
            if spk is not None and spk in self.interviewers:
                return _Assignment(None, False)
            whole = self.by_doc.get(doc, [])
            if len({r.case_id for r in whole}) > 1:
                rows = ", ".join(str(r.row) for r in whole)
                raise CasesFileError(
                    f"{self.source}, rows {rows}: document {whole[0].document!r} is mapped as a whole to several cases "
                    f"({', '.join(r.case_id for r in whole)}); add a speaker column to those rows, or, for a table, "
                    "pass --case-column"
                )
            row = (whole[0] if whole else None) or (self.by_speaker.get(spk) if spk else None)
        if row is None:
            return _Assignment(None, True)
        return _Assignment(row.case_id, not row.is_interviewer)


def _auto_case_id(document: str, speaker: str | None) -> str:
    stem = Path(document).stem
    return f"{stem}:{speaker}" if speaker else stem


def import_files(
    project: "Project",
    paths: list[Path],
    *,
    study: str | None,
    cases: Path | None,
    unit: str,
    max_words: int | None,
    text_columns: Sequence[str] | None,
    id_column: str | None,
    case_column: str | None,
    interviewers: Sequence[str],
    progress: Any = None,
) -> "ImportReport":
    from qualcode.ingest.importers import read_bytes, read_document
    from qualcode.ingest.importers.cases import read_cases_file
    from qualcode.project import ImportedFile, ImportReport

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
    con = project.con
    report = ImportReport()

    # Read and parse everything before writing anything: a bad file stops the import
    # with the store untouched (and the transaction below is the second guard).
    parsed: list[tuple[Path, str, list[ParsedDocument]]] = []
    seen_hashes: dict[str, Path] = {}
    for path in files:
        data = read_bytes(path)
        digest = hashlib.sha256(data).hexdigest()
        existing = con.execute("SELECT name FROM documents WHERE sha256 = ?", (digest,)).fetchone()
        if existing is not None or digest in seen_hashes:
            other = existing["name"] if existing is not None else seen_hashes[digest].name
            report.files.append(ImportedFile(str(path), None, 0, f"already imported (same content as {other})"))
            continue
        seen_hashes[digest] = path
        docs = read_document(path, text_columns=text_columns, id_column=id_column, case_column=case_column,
                             data=data)
        parsed.append((path, digest, docs))
        if progress is not None:
            progress(path)

    known_docs = {r["name"].casefold() for r in con.execute("SELECT name FROM documents")}
    known_docs |= {d.name.casefold() for _, _, docs in parsed for d in docs}
    known_docs |= {p.name.casefold() for p in files}
    if cases is not None:
        for name, row in case_map.documents_named().items():
            if name not in known_docs:
                raise CasesFileError(
                    f"{cases.name}, row {row.row}: case {row.case_id!r} names document {row.document!r}, "
                    "which is not in the project or this import; import it first or fix the name"
                )

    with store.transaction(con):
        study_id = _study_id(con, study) if study else None
        for row in case_rows:
            created = _upsert_case(con, row.case_id, row.pseudonym, row.role, row.attributes, study_id)
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


def _last_id(con) -> int:
    return con.execute("SELECT last_insert_rowid()").fetchone()[0]


def _study_id(con, name: str) -> int:
    con.execute("INSERT OR IGNORE INTO studies(name) VALUES (?)", (name,))
    return con.execute("SELECT id FROM studies WHERE name = ?", (name,)).fetchone()[0]


def _study_from_cases(con, case_map: CaseMap, doc: ParsedDocument) -> int | None:
    """Without --study, a document takes the study its cases agree on (from the cases file)."""
    studies = set()
    for row in case_map.rows:
        if row.document and row.document.casefold() == doc.name.casefold() and not row.is_interviewer:
            value = row.attributes.get("study")
            if value is not None:
                studies.add(str(value))
    if len(studies) == 1:
        return _study_id(con, studies.pop())
    return None


def _upsert_case(con, case_id: str, pseudonym: str | None, role: str | None,
                 attributes: dict[str, Any], study_id: int | None) -> bool:
    from qualcode.project import _typed

    if "study" in attributes and attributes["study"] is not None:
        study_id = _study_id(con, str(attributes["study"]))
    exists = con.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is not None
    if exists:
        con.execute(
            "UPDATE cases SET pseudonym = coalesce(?, pseudonym), role = coalesce(?, role), "
            "study_id = coalesce(?, study_id) WHERE id = ?",
            (pseudonym, role, study_id, case_id),
        )
    else:
        con.execute("INSERT INTO cases(id, pseudonym, role, study_id) VALUES (?, ?, ?, ?)",
                    (case_id, pseudonym, role, study_id))
    for name, value in attributes.items():
        text, kind = _typed(value)
        con.execute(
            "INSERT INTO case_attributes(case_id, name, value, type) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(case_id, name) DO UPDATE SET value = excluded.value, type = excluded.type",
            (case_id, name, text, kind),
        )
    return not exists


def _write_document(con, doc: ParsedDocument, digest: str, study_id: int | None, unit: str,
                    max_words: int | None, case_map: CaseMap, report: "ImportReport") -> tuple[int, int]:
    con.execute(
        "INSERT INTO documents(study_id, name, format, text, sha256, unit, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (study_id, doc.name, doc.format, doc.text, digest, unit, store.now()),
    )
    doc_id = _last_id(con)
    study_name = None
    if study_id is not None:
        study_name = con.execute("SELECT name FROM studies WHERE id = ?", (study_id,)).fetchone()[0]
    auto_cases: dict[str | None, str] = {}
    written: set[tuple[str, str]] = set()
    rows = []
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
                auto_cases[turn.speaker] = _auto_case_id(doc.name, turn.speaker)
            case_id = auto_cases[turn.speaker]
        attrs = dict(turn.attributes)
        if study_name and "study" not in attrs:
            attrs["study"] = study_name
        # A case is written once per distinct set of attributes, not once per segment.
        if case_id is not None and (case_id, repr(sorted(attrs.items()))) not in written:
            written.add((case_id, repr(sorted(attrs.items()))))
            exists = con.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone()
            if not exists:
                n = con.execute("SELECT count(*) FROM cases").fetchone()[0] + 1
                pseudonym = None if turn.case_id is not None else f"Respondent {n}"
                _upsert_case(con, case_id, pseudonym, None, attrs, study_id)
                report.cases_created += 1
            elif attrs:
                _upsert_case(con, case_id, None, None, attrs, None)
        rows.append((doc_id, position, span.start, span.end, turn.speaker, case_id, span.kind,
                     int(assignment.to_code), turn.start_time, turn.end_time, turn.source_row))
    con.executemany(
        'INSERT INTO segments(document_id, position, start, "end", speaker, case_id, kind, to_code, '
        "start_time, end_time, source_row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return doc_id, len(rows)
