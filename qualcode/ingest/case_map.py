"""Which case each (document, speaker) belongs to, and which turns are the interviewer's.

From a cases file, a table's case column, or one case per document and speaker.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Sequence

from qualcode.errors import CasesFileError

if TYPE_CHECKING:
    from qualcode.ingest.importers.cases import CaseRow

# Speaker labels that are the interviewer unless a cases file says otherwise.
DEFAULT_INTERVIEWERS = ("interviewer", "interviewster", "i", "int", "onderzoeker", "gespreksleider", "moderator", "q")


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
        self.used: set[int] = set()  # row numbers that a segment of this import was assigned by
        for row in self.rows:
            doc = row.document.replace("\\", "/").casefold() if row.document else None
            spk = row.speaker.casefold() if row.speaker else None
            if doc and spk:
                self.by_doc_speaker[(doc, spk)] = row
            elif doc:
                self.by_doc.setdefault(doc, []).append(row)
            elif spk:
                self.by_speaker[spk] = row
        # documents named with a speaker, for a lookup per segment that does not scan every row
        self._speaker_documents = {doc for doc, _ in self.by_doc_speaker}

    def documents_named(self) -> dict[str, "CaseRow"]:
        named: dict[str, CaseRow] = {}
        for row in self.rows:
            if row.document:
                named.setdefault(row.document.casefold(), row)
        return named

    def _document_key(self, document: str) -> str:
        """The key rows use for ``document``: its full name, else its file name (a row written
        ``interview.txt`` for the document ``school-a/interview.txt``; ambiguity is refused
        before the import writes anything)."""
        doc = document.casefold()
        if doc in self.by_doc or doc in self._speaker_documents:
            return doc
        return doc.rsplit("/", 1)[-1]

    def assign(self, document: str, speaker: str | None, table_case: str | None) -> _Assignment:
        doc = self._document_key(document)
        spk = speaker.casefold() if speaker else None
        row = None
        if spk is not None:
            row = self.by_doc_speaker.get((doc, spk))
        if row is None and table_case is not None:
            for candidate in self.by_doc.get(doc, []):
                if candidate.case_id == table_case:
                    self.used.add(candidate.row)
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
        self.used.add(row.row)
        return _Assignment(row.case_id, not row.is_interviewer)


def auto_case_id(document: str, speaker: str | None) -> str:
    """``interview-01:R1``; a document in a folder keeps the folder (``school-a/interview:R1``)."""
    stem = _stem(document)
    return f"{stem}:{speaker}" if speaker else stem


@functools.lru_cache(maxsize=64)  # a table without an id column asks once a row
def _stem(document: str) -> str:
    return str(PurePosixPath(document).with_suffix("")) if "." in PurePosixPath(document).name else document
