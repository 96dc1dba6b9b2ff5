"""``Store``: one open project file, and the reads every stage needs.

Stages below the facade take a ``Store`` (never the ``Project``). Writes live in the
modules of this package (``documents``, ``cases``, ``codings``, ``models``) and run inside
``Store.transaction()``.
"""
from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Iterable

from qualcode.errors import NotFoundError, ProjectBusyError, UsageError
from qualcode.records import Case, DocumentInfo, Segment
from qualcode.store import cases as _cases
from qualcode.store import codings as _codings
from qualcode.store import documents as _documents
from qualcode.store.connection import (backup_before_change, backups, create_store, integrity_check, open_store,
                                       transaction)


class Store:
    """An open qualcode project file."""

    def __init__(self, path: Path, con: sqlite3.Connection):
        self.path = Path(path)
        self.con = con

    @classmethod
    def create(cls, path: str | Path, *, wait: float | None = None) -> "Store":
        """A new, empty project file (refuses to overwrite one)."""
        return cls(Path(path), create_store(Path(path), wait))

    @classmethod
    def open(cls, path: str | Path, *, wait: float | None = None) -> "Store":
        """An existing project file, an older schema migrated.

        ``wait``: seconds to wait for another command's write lock before a
        :class:`~qualcode.errors.ProjectBusyError` (default ``connection.DEFAULT_WAIT``).
        """
        return cls(Path(path), open_store(Path(path), wait))

    def close(self) -> None:
        self.con.close()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One atomic unit of work: everything inside commits together or not at all."""
        return transaction(self.con)

    def check_not_busy(self) -> None:
        """ProjectBusyError (after waiting as the project was opened with) when another command holds the write
        lock: for a long command, to say so before it starts rather than after its work."""
        with transaction(self.con):
            pass

    def data_version(self) -> int:
        """A number that changes whenever another connection commits a change to the project."""
        return int(self.con.execute("PRAGMA data_version").fetchone()[0])

    def check_unchanged(self, since: int, while_doing: str) -> None:
        """Inside the write transaction: refuse when another command changed the project since ``data_version()``.

        For a command that plans its changes from the project outside the write transaction
        (reading and planning a large import takes seconds; the write lock should not).
        """
        if self.data_version() != since:
            raise ProjectBusyError(
                f"{self.path}: another qualcode command changed the project while this one was {while_doing}; "
                "nothing was changed: run the command again")

    def backup_before_change(self) -> Path | None:
        """Keep an automatic backup before decisions change (once per open project); its path, or None."""
        return backup_before_change(self.con)

    def backups(self) -> list[Path]:
        """The automatic backups of this project, oldest first."""
        return backups(self.path)

    def integrity_check(self) -> list[str]:
        """``["ok"]``, or what ``PRAGMA integrity_check`` finds wrong with the project file."""
        return integrity_check(self.path)

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    @property
    def project_id(self) -> str:
        return self.meta("project_id") or ""

    # -- studies and documents -------------------------------------------------------------
    def studies(self) -> list[str]:
        return _documents.studies(self.con)

    def check_study(self, study: str | None) -> None:
        """NotFoundError naming the studies there are, when ``study`` is not one of them."""
        if study is not None and study not in self.studies():
            raise NotFoundError(
                f"no study {study!r} in {self.path}; the studies are: {', '.join(self.studies()) or 'none'}"
            )

    def documents(self) -> list[DocumentInfo]:
        return _documents.document_infos(self.con)

    def document(self, ref: str | int) -> DocumentInfo:
        """A document by id or by file name; the errors name the ways to find one."""
        found = _documents.documents_by_ref(self.con, ref)
        if len(found) > 1:
            raise UsageError(f"{len(found)} documents are named {ref}; give the document id (see `qualcode status`)")
        if not found:
            raise NotFoundError(f"no document {ref!r} in {self.path}; `qualcode status --documents` lists them")
        return found[0]

    def document_text(self, document_id: int) -> str:
        return _documents.document_text(self.con, document_id)

    # -- segments --------------------------------------------------------------------------
    def segments(self, *, study: str | None = None, document: str | int | None = None, only_to_code: bool = False,
                 ids: Iterable[int] | None = None) -> list[Segment]:
        """Segments in document order, with their text sliced from the stored document."""
        self.check_study(study)
        document_id = self.document(document).id if document is not None else None
        return _documents.segments(self.con, study=study, document_id=document_id, only_to_code=only_to_code,
                                   ids=ids)

    def count_segments_to_code(self, study: str | None = None) -> int:
        self.check_study(study)
        return _documents.count_segments_to_code(self.con, study)

    def segment(self, segment_id: int) -> Segment:
        found = _documents.segment(self.con, segment_id)
        if found is None:
            raise NotFoundError(f"no segment {segment_id} in {self.path}; `qualcode show DOC` lists segment ids")
        return found

    def neighbours(self, segment: Segment) -> tuple[Segment | None, Segment | None]:
        """The segments just before and after ``segment`` in its document (context for review)."""
        return _documents.neighbours(self.con, segment)

    # -- cases -----------------------------------------------------------------------------
    def cases(self) -> list[Case]:
        return _cases.cases(self.con)

    def case_attribute_names(self) -> list[str]:
        return _cases.attribute_names(self.con)

    # -- codebooks -------------------------------------------------------------------------
    def codebook_source(self, version: str | None = None) -> tuple[str, str] | None:
        """(source name, YAML text) of the current codebook, or of ``version``; None when there is none."""
        return _codings.stored_codebook_text(self.con, version)

    def _cases_with_attributes(self) -> list[dict[str, Any]]:
        attributes = {case.case_id: dict(case.attributes) for case in _cases.cases(self.con)}
        return [{**row, "attributes": attributes.get(str(row["case_id"]), {})}
                for row in _documents.counts_per_case(self.con)]

    def status(self) -> dict[str, Any]:
        """Counts per study, document and case (with its attributes), for `qualcode status`."""
        return {
            "project": str(self.path),
            "studies": _documents.counts_per_study(self.con),
            "documents": [vars(d) for d in self.documents()],
            "cases": self._cases_with_attributes(),
            "codings": _codings.counts_per_status(self.con),
            "codebook": self.meta("codebook_version"),
        }
