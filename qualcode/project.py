"""``qualcode.Project``: the Python API under the CLI, usable from a notebook.

A facade, wiring only: it opens a :class:`~qualcode.store.Store` and hands it to the
stages below (ingest, coding, review, analysis, outputs), which never import this
module. Each method that writes runs in one transaction, so a failure leaves the
project file as it was. No SQL here.
"""
from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Iterable, Mapping, Sequence

from qualcode.ingest.case_map import DEFAULT_INTERVIEWERS
from qualcode.records import Case, DocumentInfo, Segment
from qualcode.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.analysis.agreement import AgreementResult
    from qualcode.analysis.codebook_stats import CodebookStats
    from qualcode.analysis.matrix import Comparison, MatrixResult
    from qualcode.analysis.results import Analysis
    from qualcode.coding.codebook import Codebook
    from qualcode.coding.learn import TrainingReport
    from qualcode.exchange.qdc import CodebookImport, QdcExport
    from qualcode.exchange.qdpx_import import QdpxImport
    from qualcode.exchange.qdpx_write import QdpxExport
    from qualcode.coding.run import CodeReport
    from qualcode.ingest.run import ImportReport
    from qualcode.outputs.report import ReportFiles
    from qualcode.outputs.xlsx import WorkbookReport
    from qualcode.privacy import PrivacyCheck, Replacer
    from qualcode.records import Suggestion
    from qualcode.review.decisions_import import DecisionsImportSummary
    from qualcode.review.excel import ReviewExportSummary, ReviewImportSummary
    from qualcode.review.queue import ReviewItem
    from qualcode.review.reconcile import Dispute
    from qualcode.review.terminal import ReconcileSummary, ReviewSummary
    from qualcode.store.codings import Decision, LogEntry
    from qualcode.store.privacy import KeyEntry

DEFAULT_PROJECT = "project.qualcode"
__all__ = ["DEFAULT_INTERVIEWERS", "DEFAULT_PROJECT", "Project"]


class Project:
    """An open qualcode project file."""

    def __init__(self, store: Store):
        self.store = store

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | Path = DEFAULT_PROJECT) -> "Project":
        """Create a new, empty project file (refuses to overwrite one)."""
        return cls(Store.create(path))

    @classmethod
    def open(cls, path: str | Path = DEFAULT_PROJECT, *, wait: float | None = None) -> "Project":
        """Open an existing project file, migrating an older schema.

        ``wait``: seconds to wait for another command using the project before saying it is busy.
        """
        return cls(Store.open(path, wait=wait))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def con(self) -> sqlite3.Connection:
        """The SQLite connection, for notebooks that want to query the store directly."""
        return self.store.con

    @property
    def project_id(self) -> str:
        return self.store.project_id

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """Context manager: one atomic unit of work on the store."""
        return self.store.transaction()

    def meta(self, key: str, default: str | None = None) -> str | None:
        return self.store.meta(key, default)

    def check_not_busy(self) -> None:
        """ProjectBusyError when another command holds the project's write lock (after the wait allowed)."""
        self.store.check_not_busy()

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
        progress: Callable[[Path], None] | None = None,
        keep_columns: Sequence[str] | None = None,
        encoding: str | None = None,
        speaker_pattern: str | None = None,
        role: str | None = None,
        strict: bool = False,
        max_unpacked_mb: int | None = None,
    ) -> "ImportReport":
        """Import transcripts and tables (and a cases file) in one transaction: see ``ingest.run.import_files``.

        One ``.qdpx`` file (a REFI-QDA project) is handed to :meth:`import_qdpx`; its report is
        the ``exchange`` of the returned report.
        """
        from qualcode.ingest.run import ImportedFile, ImportReport, import_files

        qdpx = [Path(p) for p in paths if Path(p).suffix.lower() == ".qdpx"]
        if qdpx:
            from qualcode.errors import UsageError

            if (len(qdpx) != len(paths) or len(qdpx) > 1 or cases or text_columns or id_column or case_column
                    or unit != "turn" or max_words):
                raise UsageError("import a .qdpx file on its own (one per command; of the options only --study, "
                                 "--interviewer and --max-unpacked-mb apply)")
            done = self.import_qdpx(qdpx[0], study=study, interviewers=interviewers, max_unpacked_mb=max_unpacked_mb)
            skipped = f"already imported ({done.already_imported})" if done.already_imported else None
            return ImportReport(files=[ImportedFile(str(qdpx[0]), None, done.segments, skipped)],
                                cases_created=done.cases_created, exchange=done)

        return import_files(
            self.store, [Path(p) for p in paths], study=study, cases=Path(cases) if cases else None,
            unit=unit, max_words=max_words, text_columns=text_columns, id_column=id_column,
            case_column=case_column, interviewers=interviewers, progress=progress,
            keep_columns=keep_columns, encoding=encoding, speaker_pattern=speaker_pattern, role=role,
            strict=strict, max_unpacked_mb=max_unpacked_mb,
        )

    def import_qdpx(self, path: str | Path, *, study: str | None = None,
                    interviewers: Sequence[str] = DEFAULT_INTERVIEWERS,
                    max_unpacked_mb: int | None = None) -> "QdpxImport":
        """Import a REFI-QDA project (NVivo, ATLAS.ti, MAXQDA, QualCoder) in one transaction;
        ``max_unpacked_mb`` raises its zip limits for a trusted file."""
        from qualcode.exchange.qdpx_import import import_qdpx

        return import_qdpx(self.store, Path(path), study=study, interviewers=interviewers,
                           max_unpacked_mb=max_unpacked_mb)

    # -- exchange (REFI-QDA) -------------------------------------------------------------
    def export_qdc(self, path: str | Path, *, force: bool = False) -> "QdcExport":
        """The project's codebook as a REFI-QDA codebook (.qdc)."""
        from qualcode.exchange.qdc import export_qdc

        return export_qdc(self.codebook(), Path(path), self.project_id, force=force)

    def export_qdpx(self, path: str | Path, *, coder: str | None = None, reconciled: bool = False,
                    all_coders: bool = False, include_suggested: bool = False, force: bool = False,
                    pseudonymise: bool = True) -> "QdpxExport":
        """The project as a REFI-QDA project (.qdpx): see ``exchange.qdpx_write.export_qdpx``.

        With ``pseudonymise`` (the default) sources carry the pseudonymised text, positions recomputed.
        """
        from qualcode.exchange.qdpx_write import export_qdpx

        return export_qdpx(self.store, Path(path), coder=coder, reconciled=reconciled, all_coders=all_coders,
                           include_suggested=include_suggested, force=force,
                           replacer=self.pseudonymiser() if pseudonymise else None)

    @staticmethod
    def import_codebook(path: str | Path, out: str | Path | None = None, *, force: bool = False) -> "CodebookImport":
        """A YAML codebook (keywords empty) from a REFI-QDA codebook (.qdc) or project (.qdpx)."""
        from qualcode.exchange.qdc import import_codebook

        return import_codebook(Path(path), Path(out) if out else None, force=force)

    # -- reading -------------------------------------------------------------------------
    def studies(self) -> list[str]:
        return self.store.studies()

    def documents(self) -> list[DocumentInfo]:
        return self.store.documents()

    def document(self, ref: str | int) -> DocumentInfo:
        """A document by id or by file name."""
        return self.store.document(ref)

    def segments(self, *, study: str | None = None, document: str | int | None = None, only_to_code: bool = False,
                 ids: Iterable[int] | None = None) -> list[Segment]:
        """Segments in document order, with their text sliced from the stored document."""
        return self.store.segments(study=study, document=document, only_to_code=only_to_code, ids=ids)

    def count_segments_to_code(self, study: str | None = None) -> int:
        """How many segments a `code` run codes (without reading them)."""
        return self.store.count_segments_to_code(study)

    def segment(self, segment_id: int) -> Segment:
        return self.store.segment(segment_id)

    def neighbours(self, segment: Segment) -> tuple[Segment | None, Segment | None]:
        return self.store.neighbours(segment)

    def cases(self) -> list[Case]:
        """Every case with its pseudonym, role, study and typed attributes."""
        return self.store.cases()

    def case_attribute_names(self) -> list[str]:
        return self.store.case_attribute_names()

    def status(self) -> dict[str, Any]:
        """Counts per study, document and case, for `qualcode status`."""
        return self.store.status()

    # -- codebook and auto-coding --------------------------------------------------------
    def codebook(self, version: str | None = None) -> "Codebook":
        """The project's current codebook (or a stored older version), parsed."""
        from qualcode.coding.codebook import stored_codebook

        return stored_codebook(self.store, version)

    def code(self, codebook_path: str | Path | None = None, *, study: str | None = None, model: str | None = None,
             jobs: int = 1, with_model: bool = False, threshold: float | None = None,
             progress: Callable[[int], None] | None = None) -> "CodeReport":
        """Suggest codes for every segment to be coded: see ``coding.run.code_segments``.

        Without ``codebook_path``, the project's current codebook.
        """
        from qualcode.coding.codebook import load_codebook
        from qualcode.coding.run import code_segments

        codebook = load_codebook(Path(codebook_path)) if codebook_path else self.codebook()
        return code_segments(self.store, codebook, study=study, model=model, jobs=jobs, with_model=with_model,
                             threshold=threshold, progress=progress)

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

    # -- outputs: which codings count, the matrix, quotes, comparisons ---------------------
    def codings_table(self, *, coder: str | None = None, reconciled: bool = False,
                      include_suggested: bool = False, study: str | None = None) -> "pd.DataFrame":
        """The codings that count, one row per (segment, code, direction): see ``selection.select_codings``."""
        from qualcode.analysis.selection import select_codings

        return select_codings(self.store, coder=coder, reconciled=reconciled, include_suggested=include_suggested,
                              study=study)

    def matrix(self, *, by: str | None = None, coder: str | None = None, reconciled: bool = False,
               include_suggested: bool = False, study: str | None = None) -> "MatrixResult":
        """The opportunity/risk matrix per aspect (and per value of ``by``)."""
        from qualcode.analysis import matrix, selection

        selection.check_attribute(self.store, by)
        table = self.codings_table(coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study)
        return matrix.opportunity_risk_matrix(table, self.codebook(), by=by)

    def quotes(self, *, per_cell: int = 3, max_chars: int = 300, coder: str | None = None, reconciled: bool = False,
               include_suggested: bool = False, study: str | None = None) -> "pd.DataFrame":
        """The quotes per matrix cell with their source (pseudonym, role, document, position/time, question)."""
        quotes = self.analyse(coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study,
                              per_cell=per_cell, max_chars=max_chars, presence=False, auto_compare=False,
                              all_studies=True).quotes_table
        assert quotes is not None  # per_cell >= 1
        return quotes

    def code_presence(self, *, coder: str | None = None, reconciled: bool = False,
                      include_suggested: bool = False, study: str | None = None) -> "pd.DataFrame":
        """Per case 0/1 and counts per code × direction, with case attributes (for R/SPSS)."""
        from qualcode.analysis import matrix

        table = self.codings_table(coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study)
        return matrix.code_presence_per_case(table, self.store, self.codebook())

    def compare(self, by: str = "study", *, allow_codebook_change: bool = False, coder: str | None = None,
                reconciled: bool = False, include_suggested: bool = False, study: str | None = None) -> "Comparison":
        """Matrices per value of ``by`` side by side with differences.

        Refuses codings made with different codebook versions unless ``allow_codebook_change``.
        """
        from qualcode.analysis import matrix, selection

        selection.check_attribute(self.store, by)
        table = self.codings_table(coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study)
        return matrix.compare_codings(self.store, table, self.codebook(), by=by,
                                      allow_codebook_change=allow_codebook_change)

    def analyse(self, *, coder: str | None = None, reconciled: bool = False, include_suggested: bool = False,
                study: str | None = None, by: str | None = None, compare_by: str | None = None,
                auto_compare: bool = True, allow_codebook_change: bool = False, per_cell: int | None = 3,
                max_chars: int = 300, presence: bool = True, agreement: tuple[str, str] | None = None,
                agreement_by: str | None = None, all_studies: bool = False, auto_agreement: bool = False,
                scenarios: bool = False, passages: bool = True) -> "Analysis":
        """Everything the outputs show, computed once: see ``analysis.results.analyse``."""
        from qualcode.analysis.results import analyse

        return analyse(self.store, coder=coder, reconciled=reconciled,
                       include_suggested=include_suggested, study=study, by=by, compare_by=compare_by,
                       auto_compare=auto_compare, allow_codebook_change=allow_codebook_change, per_cell=per_cell,
                       max_chars=max_chars, presence=presence, agreement=agreement, agreement_by=agreement_by,
                       all_studies=all_studies, auto_agreement=auto_agreement, scenarios=scenarios,
                       passages=passages)

    def export_workbook(self, path: str | Path, *, coder: str | None = None, reconciled: bool = False,
                        include_suggested: bool = False, study: str | None = None, by: str | None = None,
                        compare_by: str | None = None, allow_codebook_change: bool = False, per_cell: int = 3,
                        agreement: tuple[str, str] | None = None, overwrite: bool = False,
                        all_studies: bool = False, pseudonymise: bool = True,
                        keep_columns: Sequence[str] = ()) -> "WorkbookReport":
        """Write the results workbook; ``by`` splits the group sheet (default: role).

        ``agreement=(coder_a, coder_b)`` adds an Agreement sheet (kappa, alpha per code, per
        value of ``by`` when given). A Compare sheet is written when ``compare_by`` is given,
        or, by study, when the selection covers two or more studies. Names are replaced by
        their placeholders (see :meth:`privacy_check`) unless ``pseudonymise`` is False.
        """
        from qualcode.outputs import xlsx

        path = xlsx.check_path(path, overwrite=overwrite)
        analysis = self.analyse(coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study,
                                by=by or xlsx.DEFAULT_BY, compare_by=compare_by,
                                allow_codebook_change=allow_codebook_change, per_cell=per_cell, agreement=agreement,
                                agreement_by=by, all_studies=all_studies, passages=False)  # the sheets cite no more
        if pseudonymise:
            analysis = self.pseudonymise(analysis, keep_columns)
        return xlsx.export_workbook(analysis, path, overwrite=overwrite)

    def write_report(self, out_dir: str | Path, *, coder: str | None = None, reconciled: bool = False,
                     include_suggested: bool = False, study: str | None = None, by: str | None = None,
                     compare_by: str | None = None, allow_codebook_change: bool = False, per_cell: int = 3,
                     max_chars: int = 300, all_studies: bool = False, scenarios: bool = False,
                     docx: bool = False, pseudonymise: bool = True, keep_columns: Sequence[str] = ()) -> "ReportFiles":
        """Write report.html, report.md and heatmap.png (and heatmap-compare.png) into ``out_dir``.

        ``scenarios``: with the scenario draft per aspect; ``docx``: also report.docx (Word), which
        always holds the scenario draft. ``pseudonymise`` (default): names replaced as in every export.
        """
        from qualcode.outputs import report

        out = report.check_folder(out_dir)
        analysis = self.analyse(coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study,
                                by=by, compare_by=compare_by, allow_codebook_change=allow_codebook_change,
                                per_cell=per_cell, max_chars=max_chars, presence=False, all_studies=all_studies,
                                auto_agreement=True, scenarios=scenarios or docx)
        if pseudonymise:
            analysis = self.pseudonymise(analysis, keep_columns)
        files = report.write_report(analysis, out)
        if docx:
            from dataclasses import replace

            from qualcode.outputs.word import write_docx

            files = replace(files, docx=write_docx(analysis, out / "report.docx", files.heatmap.read_bytes()))
        return files

    # -- privacy: pseudonymised exports ------------------------------------------------------
    def pseudonymise(self, analysis: "Analysis", keep_columns: Sequence[str] = ()) -> "Analysis":
        """A copy of ``analysis`` with names replaced and personal-data attributes left out (as exports show it)."""
        from qualcode.analysis.pseudonymise import pseudonymise

        return pseudonymise(analysis, self.pseudonymiser(), keep_columns=keep_columns)

    def pseudonymiser(self) -> "Replacer":
        """The key brought up to date (cases file, detector) as a replacer: what exports run their text through."""
        from qualcode.privacy import pseudonymiser

        return pseudonymiser(self.store)

    def privacy_check(self, study: str | None = None) -> "PrivacyCheck":
        """What the exports would replace, what the detector is unsure of, and capitalised words it left alone."""
        from qualcode.privacy import check

        return check(self.store, study=study)

    def privacy_add(self, terms: Iterable[str], *, placeholder: str | None = None,
                    kind: str = "person") -> "list[KeyEntry]":
        """Add names to the key: each with ``placeholder``, or the next free one of ``kind``."""
        from qualcode.privacy.key import add_terms

        return add_terms(self.store, terms, placeholder=placeholder, kind=kind)

    def privacy_allow(self, terms: Iterable[str]) -> list[str]:
        """Let words through that are no names (the detector then leaves them alone)."""
        from qualcode.privacy.key import allow

        return allow(self.store, terms)

    def privacy_key(self) -> "list[KeyEntry]":
        """The key (term, placeholder, kind, source): for the screen, never for an export."""
        from qualcode.privacy.key import key

        return key(self.store)

    def privacy_allowed(self) -> list[str]:
        from qualcode.store.privacy import allowed_terms

        return allowed_terms(self.store.con)

    # -- agreement and learning ------------------------------------------------------------
    def agreement(self, coder_a: str, coder_b: str, *, by: str | None = None) -> "AgreementResult":
        """Kappa, alpha and percent agreement of two coders (or a coder and ``keyword``/``model``)."""
        from qualcode.analysis.agreement import agreement

        return agreement(self.store, coder_a, coder_b, by=by)

    def codebook_stats(self, coder: str | None = None) -> "CodebookStats":
        """Keyword rule precision, recall gaps and candidate keywords from the coders' decisions."""
        from qualcode.analysis.codebook_stats import codebook_stats

        return codebook_stats(self.store, coder)

    def learn(self, coder: str, *, min_positive: int = 8, folds: int = 5,
              progress: Callable[[str], None] | None = None) -> "TrainingReport":
        """Train and store models from ``coder``'s decisions, with cross-validated scores."""
        from qualcode.coding.learn import train_models

        return train_models(self.store, coder, min_positive=min_positive, folds=folds, progress=progress)

    def model_suggestions(self, *, threshold: float | None = None,
                          segment_ids: Iterable[int] | None = None) -> "list[Suggestion]":
        """Suggestions of the stored models (origin 'model'); nothing is written."""
        from qualcode.coding.learn import model_suggestions

        return model_suggestions(self.store, threshold=threshold, segment_ids=segment_ids)

    def explain_model(self, segment_id: int, *, threshold: float | None = None) -> list[Any]:
        """Per code, the model's probability for one segment and the words that weighed most."""
        from qualcode.coding.learn import explain_model

        return explain_model(self.store, segment_id, threshold=threshold)

    # -- decisions and review ------------------------------------------------------------
    def decide(self, coder: str, decisions: "Iterable[Decision]", *, source: str = "api",
               done_segments: Iterable[int] = (), valid_codes: Iterable[str] | None = None) -> dict[str, int]:
        """Apply a coder's decisions in one transaction; counts per action.

        ``done_segments`` are recorded as decided in the same batch (one undo takes back
        both), also when no code applies to them. ``valid_codes``: the current codebook's
        codes, when the caller has them parsed already (else the codebook is read).
        """
        from qualcode.store import codings

        codes = list(valid_codes) if valid_codes is not None else self.codebook().code_ids
        return codings.apply_decisions(self.store.con, coder, decisions, source=source,
                                       valid_codes=codes, done_segments=done_segments)

    def coders(self) -> list[str]:
        """The human coders who decided anything (with ``reconciled`` once anything was settled)."""
        from qualcode.store import codings

        return codings.coders(self.store.con)

    def decided_segments(self, coder: str) -> set[int]:
        """The segments ``coder`` has decided (and not undone)."""
        from qualcode.store import codings

        return codings.decided_segments(self.store.con, coder)

    def import_decisions(self, path: str | Path, coder: str, *, id_column: str, labels_column: str | None = None,
                         code_columns: Sequence[str] = (), mapping: Mapping[str, str] | None = None,
                         document: str | None = None, sheet: str | None = None, encoding: str | None = None,
                         replace: bool = False) -> "DecisionsImportSummary":
        """Store a coder's codings from a table (matched by row id) as their decisions: all or nothing."""
        from qualcode.review.decisions_import import import_decisions

        return import_decisions(self.store, path, coder, id_column=id_column, labels_column=labels_column,
                                code_columns=code_columns, mapping=mapping, document=document, sheet=sheet,
                                encoding=encoding, replace=replace)

    def history(self, segment_id: int | None = None, coder: str | None = None) -> "list[LogEntry]":
        """The decision log (who decided what, when, before → after), oldest first."""
        from qualcode.store import codings

        if segment_id is not None:
            self.segment(segment_id)  # NotFoundError for an unknown id
        return codings.history(self.store.con, segment_id=segment_id, coder=coder)

    def undo(self, coder: str, batches: int = 1) -> "list[LogEntry]":
        """Take back the coder's last ``batches`` groups of decisions (the undo is logged too)."""
        from qualcode.store import codings

        return codings.undo(self.store.con, coder, batches)

    def review_queue(self, coder: str, **options: Any) -> "list[ReviewItem]":
        """The segments this coder has still to decide, most informative first."""
        from qualcode.review.queue import review_queue

        return review_queue(self.store, coder, **options)

    def review_item(self, coder: str, segment_id: int, **options: Any) -> "ReviewItem":
        """One segment of the review as it stands now (after a decision, or going back)."""
        from qualcode.review.queue import review_item

        return review_item(self.store, coder, segment_id, **options)

    def review_in_terminal(self, coder: str, **options: Any) -> "ReviewSummary":
        """Review the coder's queue in the terminal until it ends or the coder quits."""
        from qualcode.review.terminal import run_review

        return run_review(self.store, coder, **options)

    def export_review(self, path: str | Path, coder: str, **options: Any) -> "ReviewExportSummary":
        """Write the Excel review workbook for ``coder`` (names replaced unless ``pseudonymise=False``)."""
        from qualcode.review.excel import export_review

        replacer = self.pseudonymiser() if options.pop("pseudonymise", True) else None
        return export_review(self.store, path, coder, replacer=replacer, **options)

    def import_review(self, path: str | Path, coder: str, **options: Any) -> "ReviewImportSummary":
        """Apply a filled-in review workbook as ``coder``'s decisions: all of it or nothing."""
        from qualcode.review.excel import import_review

        return import_review(self.store, path, coder, **options)

    def check_coders(self, coders: Sequence[str]) -> tuple[str, str]:
        """The two coders to reconcile, checked against those who decided anything."""
        from qualcode.review.reconcile import check_coders

        return check_coders(self.store, coders)

    def disputes(self, first: str, second: str, *, study: str | None = None) -> "list[Dispute]":
        """Segments both coders decided whose accepted codings differ, in document order."""
        from qualcode.review.reconcile import disputes

        return disputes(self.store, first, second, study=study)

    def settle(self, dispute: "Dispute", chosen: "AbstractSet[tuple[str, str]]", *, how: str,
               settled_by: str | None = None) -> dict[str, int]:
        """Record ``chosen`` (code, direction) as the settled codings of a dispute: see ``reconcile.settle``."""
        from qualcode.review.reconcile import settle

        return settle(self.store, dispute, chosen, how=how, settled_by=settled_by)

    def reconcile_in_terminal(self, first: str, second: str, **options: Any) -> "ReconcileSummary":
        """Settle, one segment at a time in the terminal, where two coders differ."""
        from qualcode.review.terminal import run_reconcile

        return run_reconcile(self.store, first, second, **options)
