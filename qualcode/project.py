"""``qualcode.Project``: the Python API under the CLI, usable from a notebook.

A Project owns one SQLite connection to one project file. Each public method that
writes runs in one transaction, so a failure leaves the file as it was. The
methods are thin: the work is done in the modules they call.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from qualcode import store
from qualcode.errors import NotFoundError, UsageError
from qualcode.records import Segment

DEFAULT_PROJECT = "project.qualcode"
# Speaker labels that are the interviewer unless a cases file says otherwise.
DEFAULT_INTERVIEWERS = ("interviewer", "interviewster", "i", "int", "onderzoeker", "gespreksleider", "moderator", "q")


@dataclass(frozen=True)
class ImportedFile:
    """What happened to one file in an import."""

    path: str
    document_id: int | None
    segments: int
    skipped_reason: str | None = None


@dataclass(frozen=True)
class CodeReport:
    """What a run of the auto-coder did."""

    segments: int
    added: int
    refreshed: int
    withdrawn: int
    per_code: dict[str, int]
    codebook_version: str
    warnings: tuple[str, ...] = ()
    model_added: int = 0


@dataclass
class ImportReport:
    files: list[ImportedFile] = field(default_factory=list)
    cases_created: int = 0
    cases_updated: int = 0

    @property
    def imported(self) -> list[ImportedFile]:
        return [f for f in self.files if f.skipped_reason is None]

    @property
    def skipped(self) -> list[ImportedFile]:
        return [f for f in self.files if f.skipped_reason is not None]


def _typed(value: Any) -> tuple[str | None, str]:
    if isinstance(value, bool):
        return ("1" if value else "0"), "bool"
    if isinstance(value, int):
        return str(value), "int"
    if isinstance(value, float):
        return repr(value), "float"
    return (None if value is None else str(value)), "text"


def _untyped(value: str | None, kind: str) -> Any:
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return value == "1"
    return value


class Project:
    """An open qualcode project file."""

    def __init__(self, path: Path, con: sqlite3.Connection):
        self.path = Path(path)
        self.con = con

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | Path = DEFAULT_PROJECT) -> "Project":
        """Create a new, empty project file (refuses to overwrite one)."""
        path = Path(path)
        return cls(path, store.create_store(path))

    @classmethod
    def open(cls, path: str | Path = DEFAULT_PROJECT) -> "Project":
        """Open an existing project file, migrating an older schema."""
        path = Path(path)
        return cls(path, store.open_store(path))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self):
        """Context manager: one atomic unit of work on the store."""
        return store.transaction(self.con)

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def project_id(self) -> str:
        return self.meta("project_id") or ""

    # -- import --------------------------------------------------------------------------
    def import_files(
        self,
        paths: Sequence[str | Path],
        *,
        study: str | None = None,
        cases: str | Path | None = None,
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
        from qualcode.ingest import run as importing

        return importing.import_files(
            self, [Path(p) for p in paths], study=study, cases=Path(cases) if cases else None,
            unit=unit, max_words=max_words, text_columns=text_columns, id_column=id_column,
            case_column=case_column, interviewers=interviewers, progress=progress,
        )

    # -- reading -------------------------------------------------------------------------
    def studies(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT name FROM studies ORDER BY name")]

    def documents(self) -> list[sqlite3.Row]:
        return self.con.execute(
            "SELECT d.id, d.name, d.format, d.unit, d.sha256, d.imported_at, s.name AS study, "
            "length(d.text) AS chars, (SELECT count(*) FROM segments g WHERE g.document_id = d.id) AS segments "
            "FROM documents d LEFT JOIN studies s ON s.id = d.study_id ORDER BY d.id"
        ).fetchall()

    def document(self, ref: str | int) -> sqlite3.Row:
        """A document by id or by file name; NotFoundError names the ways to find one."""
        row = None
        if isinstance(ref, int) or str(ref).isdigit():
            row = self.con.execute("SELECT * FROM documents WHERE id = ?", (int(ref),)).fetchone()
        if row is None:
            rows = self.con.execute("SELECT * FROM documents WHERE name = ?", (str(ref),)).fetchall()
            if len(rows) > 1:
                raise UsageError(f"{len(rows)} documents are named {ref}; give the document id (see `qualcode status`)")
            row = rows[0] if rows else None
        if row is None:
            raise NotFoundError(f"no document {ref!r} in {self.path}; `qualcode status --documents` lists them")
        return row

    _SEGMENT_SQL = (
        "SELECT g.*, d.name AS document_name, s.name AS study "
        "FROM segments g JOIN documents d ON d.id = g.document_id LEFT JOIN studies s ON s.id = d.study_id"
    )

    def _document_text(self, document_id: int, cache: dict[int, str]) -> str:
        # A document's text is read once per call, not once per segment row.
        if document_id not in cache:
            cache[document_id] = self.con.execute("SELECT text FROM documents WHERE id = ?", (document_id,)).fetchone()[0]
        return cache[document_id]

    def _segments_from(self, rows: Iterable[sqlite3.Row]) -> list[Segment]:
        texts: dict[int, str] = {}
        out = []
        for row in rows:
            text = self._document_text(row["document_id"], texts)
            out.append(Segment(
                id=row["id"], document_id=row["document_id"], start=row["start"], end=row["end"],
                text=text[row["start"]:row["end"]], speaker=row["speaker"], case_id=row["case_id"],
                kind=row["kind"], to_code=bool(row["to_code"]), document_name=row["document_name"],
                study=row["study"], source_row=row["source_row"], position=row["position"],
            ))
        return out

    def segments(
        self,
        *,
        study: str | None = None,
        document: str | int | None = None,
        only_to_code: bool = False,
        ids: Iterable[int] | None = None,
    ) -> list[Segment]:
        """Segments in document order, with their text sliced from the stored document."""
        where, args = [], []
        if study is not None:
            if study not in self.studies():
                raise NotFoundError(f"no study {study!r} in {self.path}; the studies are: {', '.join(self.studies()) or 'none'}")
            where.append("s.name = ?")
            args.append(study)
        if document is not None:
            where.append("g.document_id = ?")
            args.append(self.document(document)["id"])
        if only_to_code:
            where.append("g.to_code = 1")
        if ids is not None:
            id_list = list(ids)
            if not id_list:
                return []
            # a temporary table instead of IN (...): no limit on the number of ids
            self.con.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_ids (id INTEGER PRIMARY KEY)")
            self.con.execute("DELETE FROM wanted_ids")
            self.con.executemany("INSERT OR IGNORE INTO wanted_ids(id) VALUES (?)", [(i,) for i in id_list])
            where.append("g.id IN (SELECT id FROM wanted_ids)")
        sql = self._SEGMENT_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY g.document_id, g.position"
        return self._segments_from(self.con.execute(sql, args).fetchall())

    def segment(self, segment_id: int) -> Segment:
        rows = self.con.execute(self._SEGMENT_SQL + " WHERE g.id = ?", (segment_id,)).fetchall()
        if not rows:
            raise NotFoundError(f"no segment {segment_id} in {self.path}; `qualcode show DOC` lists segment ids")
        return self._segments_from(rows)[0]

    def neighbours(self, segment: Segment) -> tuple[Segment | None, Segment | None]:
        """The segments just before and after ``segment`` in its document (context for review)."""
        rows = self.con.execute(
            self._SEGMENT_SQL + " WHERE g.document_id = ? AND g.position IN (?, ?) ORDER BY g.position",
            (segment.document_id, segment.position - 1, segment.position + 1),
        ).fetchall()
        by_pos = {s.position: s for s in self._segments_from(rows)}
        return by_pos.get(segment.position - 1), by_pos.get(segment.position + 1)

    def cases(self) -> list[dict[str, Any]]:
        """Every case with its pseudonym, role, study and attributes (as typed values)."""
        attrs: dict[str, dict[str, Any]] = {}
        for r in self.con.execute("SELECT case_id, name, value, type FROM case_attributes ORDER BY case_id, name"):
            attrs.setdefault(r["case_id"], {})[r["name"]] = _untyped(r["value"], r["type"])
        out = []
        for r in self.con.execute(
            "SELECT c.id, c.pseudonym, c.role, s.name AS study FROM cases c LEFT JOIN studies s ON s.id = c.study_id ORDER BY c.id"
        ):
            out.append({"case_id": r["id"], "pseudonym": r["pseudonym"] or r["id"], "role": r["role"],
                        "study": r["study"], "attributes": attrs.get(r["id"], {})})
        return out

    def case_attribute_names(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT DISTINCT name FROM case_attributes ORDER BY name")]

    def status(self) -> dict[str, Any]:
        """Counts per study, document and case, for `qualcode status`."""
        per_study = [
            dict(r) for r in self.con.execute(
                "SELECT coalesce(s.name, '(no study)') AS study, count(DISTINCT d.id) AS documents, "
                "count(g.id) AS segments, sum(g.to_code) AS to_code, "
                "count(DISTINCT CASE WHEN g.to_code = 1 THEN g.case_id END) AS cases "
                "FROM documents d LEFT JOIN studies s ON s.id = d.study_id LEFT JOIN segments g ON g.document_id = d.id "
                "GROUP BY s.name ORDER BY s.name"
            )
        ]
        per_case = [
            dict(r) for r in self.con.execute(
                "SELECT c.id AS case_id, coalesce(c.pseudonym, c.id) AS pseudonym, c.role, count(g.id) AS segments, "
                "count(DISTINCT g.document_id) AS documents FROM cases c LEFT JOIN segments g ON g.case_id = c.id "
                "GROUP BY c.id ORDER BY c.id"
            )
        ]
        codings = [
            dict(r) for r in self.con.execute(
                "SELECT status, coalesce(coder, origin) AS who, count(*) AS n FROM codings GROUP BY status, who ORDER BY status, who"
            )
        ]
        return {
            "project": str(self.path),
            "studies": per_study,
            "documents": [dict(r) for r in self.documents()],
            "cases": per_case,
            "codings": codings,
            "codebook": self.meta("codebook_version"),
        }

    # -- codebook and auto-coding --------------------------------------------------------
    def codebook(self, version: str | None = None):
        """The project's current codebook (or a stored older version), parsed."""
        from qualcode.coding.codebook import Codebook
        from qualcode.store.codings import stored_codebook_text

        stored = stored_codebook_text(self.con, version)
        if stored is None:
            if version is not None:
                raise NotFoundError(f"no codebook version {version[:12]} in {self.path}")
            raise UsageError(
                "no codebook in this project yet; run `qualcode code --codebook codebooks/werkbeleving.yaml`"
            )
        return Codebook.from_text(stored[1], stored[0])

    def code(
        self,
        codebook_path: str | Path | None = None,
        *,
        study: str | None = None,
        model: str | None = None,
        jobs: int = 1,
        with_model: bool = False,
        threshold: float = 0.5,
        progress: Any = None,
    ) -> CodeReport:
        """Suggest codes for every segment to be coded (keyword rules, optionally a trained model).

        Refreshes or withdraws only earlier machine suggestions; human decisions stay exactly
        as decided. ``progress`` is called with the number of segments done so far.
        """
        from qualcode.coding import keywords
        from qualcode.store import codings
        from qualcode.coding.codebook import load_codebook

        codebook = load_codebook(Path(codebook_path)) if codebook_path else self.codebook()
        segments = self.segments(study=study, only_to_code=True)
        if not segments:
            raise UsageError(
                "no segments to code in this project; import transcripts first with `qualcode import FILES`"
            )
        warnings: list[str] = []
        language = keywords.detect_language(s.text for s in segments[:200])
        if language and language != codebook.language:
            warnings.append(
                f"the codebook is in {codebook.language!r} but the transcripts look {language!r}; "
                "use the codebook of their language (e.g. codebooks/werkbeleving.en.yaml) for useful suggestions"
            )

        def counted(items):
            for i, item in enumerate(items, 1):
                yield item
                if progress is not None and (i % 50 == 0 or i == len(segments)):
                    progress(i)

        nlp = None
        if model:
            from qualcode.coding.nlp import build_pipeline

            nlp = build_pipeline(codebook.language, model)
        suggestions = list(keywords.suggest(codebook, counted(segments), nlp=nlp, jobs=jobs))
        model_suggestions = self.model_suggestions(threshold=threshold, segment_ids=[s.id for s in segments]) \
            if with_model else []
        ids = [s.id for s in segments]
        with self.transaction():
            codings.store_codebook(self.con, codebook)
            result = codings.write_suggestions(self.con, suggestions, origin="keyword", segment_ids=ids,
                                               codebook_version=codebook.version)
            model_added = 0
            if with_model:
                model_added = codings.write_suggestions(self.con, model_suggestions, origin="model", segment_ids=ids,
                                                        codebook_version=codebook.version).added
        per_code: dict[str, int] = {}
        for s in suggestions:
            per_code[s.code] = per_code.get(s.code, 0) + 1
        return CodeReport(len(segments), result.added, result.refreshed, result.withdrawn, per_code,
                          codebook.version, tuple(warnings), model_added)

    def explain(self, segment_id: int, *, color: bool = False, model: str | None = None) -> str:
        """Why each code was (or was not) suggested for one segment, as text for the terminal."""
        from qualcode.coding import keywords
        from qualcode.outputs.explanation import format_explanation

        codebook = self.codebook()
        segment = self.segment(segment_id)
        nlp = None
        if model:
            from qualcode.coding.nlp import build_pipeline

            nlp = build_pipeline(codebook.language, model)
        text = format_explanation(keywords.explain(codebook, segment, nlp=nlp), codebook, color=color)
        if not segment.to_code:
            text += "\n(this is an interviewer turn or a title block: it is not coded)"
        return text

    # -- outputs: which codings count, the matrix, quotes, comparisons (selection.py, matrix.py) --
    def codings_table(self, *, coder: str | None = None, reconciled: bool = False,
                      include_suggested: bool = False, study: str | None = None):
        """The codings that count, one row per (segment, code, direction): see ``selection.select_codings``."""
        from qualcode.analysis.selection import select_codings

        return select_codings(self, coder=coder, reconciled=reconciled, include_suggested=include_suggested,
                              study=study)

    def matrix(self, *, by: str | None = None, coder: str | None = None, reconciled: bool = False,
               include_suggested: bool = False, study: str | None = None):
        """The opportunity/risk matrix per aspect (and per value of ``by``): a ``matrix.MatrixResult``."""
        from qualcode.analysis import matrix, selection

        selection.check_attribute(self, by)
        table = self.codings_table(coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study)
        return matrix.opportunity_risk_matrix(table, self.codebook(), by=by)

    def quotes(self, *, per_cell: int = 3, max_chars: int = 300, coder: str | None = None, reconciled: bool = False,
               include_suggested: bool = False, study: str | None = None):
        """The most telling quotes per matrix cell, with case pseudonym and segment id (a DataFrame)."""
        from qualcode.analysis import matrix

        table = self.codings_table(coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study)
        return matrix.quotes(table, self.codebook(), per_cell=per_cell, max_chars=max_chars)

    def code_presence(self, *, coder: str | None = None, reconciled: bool = False,
                      include_suggested: bool = False, study: str | None = None):
        """Per case 0/1 and counts per code × direction, with case attributes (for R/SPSS)."""
        from qualcode.analysis import matrix

        table = self.codings_table(coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study)
        return matrix.code_presence_per_case(table, self, self.codebook())

    def compare(self, by: str = "study", *, allow_codebook_change: bool = False, coder: str | None = None,
                reconciled: bool = False, include_suggested: bool = False, study: str | None = None):
        """Matrices per value of ``by`` side by side with differences: a ``matrix.Comparison``.

        Refuses codings made with different codebook versions unless ``allow_codebook_change``.
        """
        from qualcode.analysis import matrix, selection

        selection.check_attribute(self, by)
        table = self.codings_table(coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study)
        return matrix.compare_codings(self, table, self.codebook(), by=by,
                                      allow_codebook_change=allow_codebook_change)

    # -- agreement and learning (agreement.py, codebook_stats.py, learn.py) ---------------
    def agreement(self, coder_a: str, coder_b: str, *, by: str | None = None):
        """Kappa, alpha and percent agreement of two coders (or a coder and ``keyword``/``model``)."""
        from qualcode.analysis.agreement import agreement

        return agreement(self, coder_a, coder_b, by=by)

    def codebook_stats(self, coder: str | None = None):
        """Keyword rule precision, recall gaps and candidate keywords from the coders' decisions."""
        from qualcode.analysis.codebook_stats import codebook_stats

        return codebook_stats(self, coder)

    def learn(self, coder: str, *, min_positive: int = 8, folds: int = 5, progress: Any = None):
        """Train and store models from ``coder``'s decisions; a ``learn.TrainingReport`` with CV scores."""
        from qualcode.coding.learn import train_models

        return train_models(self, coder, min_positive=min_positive, folds=folds, progress=progress)

    def model_suggestions(self, *, threshold: float = 0.5, segment_ids: Iterable[int] | None = None):
        """Suggestions of the stored models (origin 'model'); nothing is written."""
        from qualcode.coding.learn import model_suggestions

        return model_suggestions(self, threshold=threshold, segment_ids=segment_ids)

    # -- decisions and review ------------------------------------------------------------
    def decide(self, coder: str, decisions, *, source: str = "api") -> dict[str, int]:
        """Apply a coder's decisions (``codings.Decision``) in one transaction; counts per action."""
        from qualcode.store import codings

        return codings.apply_decisions(self.con, coder, decisions, source=source,
                                       valid_codes=self.codebook().code_ids)

    def history(self, segment_id: int | None = None, coder: str | None = None):
        """The decision log (who decided what, when, before → after), oldest first."""
        from qualcode.store import codings

        return codings.history(self.con, segment_id=segment_id, coder=coder)

    def undo(self, coder: str, batches: int = 1):
        """Take back the coder's last ``batches`` groups of decisions (the undo is logged too)."""
        from qualcode.store import codings

        return codings.undo(self.con, coder, batches)

    def review_queue(self, coder: str, **options):
        """The segments this coder has still to decide, most informative first."""
        from qualcode.review.queue import review_queue

        return review_queue(self, coder, **options)

    def export_review(self, path: str | Path, coder: str, **options):
        """Write the Excel review workbook for ``coder``."""
        from qualcode.review.excel import export_review

        return export_review(self, path, coder, **options)

    def import_review(self, path: str | Path, coder: str, **options):
        """Apply a filled-in review workbook as ``coder``'s decisions: all of it or nothing."""
        from qualcode.review.excel import import_review

        return import_review(self, path, coder, **options)
