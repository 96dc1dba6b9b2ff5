"""The Excel round trip of the review: export a workbook, a coder fills it in, import it back.

The workbook has three sheets with stable English names: ``Review`` (one row per
segment, one drop-down column per code), ``Instructions``, and a hidden ``_meta``
that ties it to its project, codebook version and coder and keeps, per segment,
the SHA-256 of its text and the values the export put in each cell. The import
compares against those exported values, so only what the coder changed (and, on
rows marked decided, what they left standing) becomes a decision.

Transcript text is written as text cells (never a formula, see :class:`qualcode.xlsx_safe.StreamedCells`) with
Excel's quote prefix and the Text number format, so ``=SUM(A1)`` or ``- minder werk``
stays exactly those characters in Excel and LibreOffice, also after the cell is edited,
and comes back unchanged on import (no marker to strip). The export streams (XlsxWriter's
constant-memory mode) and the import reads with openpyxl's read-only mode.

The import checks everything before it applies anything, and then applies all
decisions in one transaction through :func:`qualcode.store.codings.apply_decisions`.
"""
from __future__ import annotations

import difflib
import hashlib
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from qualcode.batches import batched
from qualcode.atomic import atomic_path
from qualcode.version import __version__
from qualcode.store import now
from qualcode.store import codings, documents
from qualcode.store.codings import Decision
from qualcode.errors import ReviewImportError, UsageError
from qualcode.records import DIRECTIONS
from qualcode.xlsx_safe import StreamedCells, safe_cell_value, streamed_workbook
from qualcode.review.queue import ReviewItem, check_code, evidence_words, review_items, segment_when
from qualcode.coding.codebook import stored_codebook

if TYPE_CHECKING:
    from qualcode.store import Store

REVIEW_SHEET, INSTRUCTIONS_SHEET, META_SHEET = "Review", "Instructions", "_meta"
FORMAT, FORMAT_VERSION = "qualcode-review", "1"
FIXED_BEFORE = ("segment_id", "case", "speaker", "document", "time", "text")
OTHERS_COLUMN = "other coders"
FIXED_AFTER = ("evidence", "memo", "decided")
REQUIRED = ("segment_id", "text", "memo", "decided")
WIDTHS = {"segment_id": 11, "case": 14, "speaker": 14, "document": 20, "time": 18, "text": 80, OTHERS_COLUMN: 30,
          "evidence": 36, "memo": 36, "decided": 10}
CODE_WIDTH = 16
MAX_PROBLEMS_SHOWN = 20
_YES = {"nl": "ja", "en": "yes"}
_YES_WORDS = {"ja", "j", "yes", "y", "x", "1", "true", "waar", "✓"}
_NO_WORDS = {"", "nee", "n", "no", "0", "false", "onwaar"}
_BOTH_WORDS = {"both", "beide", "beiden"}
_NONE_CELL = "-"


@dataclass(frozen=True)
class ReviewExportSummary:
    path: Path
    rows: int
    decided: int  # rows the coder had decided before (prefilled with their decisions)
    codes: tuple[str, ...]
    total: int = 0  # segments in the review before --only-suggested, --sample and --limit
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewImportSummary:
    """What one imported workbook changed (counts of changes; a repeated import changes nothing)."""

    accepted: int
    rejected: int
    changed: int  # direction changed
    added: int
    memos: int
    rows_decided: int
    rows_skipped: int

    def __str__(self) -> str:
        return (f"{self.rows_decided} rows decided, {self.rows_skipped} skipped; {self.accepted} accepted, "
                f"{self.rejected} rejected, {self.changed} direction changed, {self.added} added, "
                f"{self.memos} memo{'s' if self.memos != 1 else ''}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workbook, located by sheet, row and column where it has one."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Vocabulary:
    """What a code cell may say, in the codebook's language: 'kans', 'risico', 'kans+risico', '-'."""

    def __init__(self, codebook: Any):
        self.labels = {d: codebook.direction_label(d) for d in DIRECTIONS}
        self.yes = _YES.get(codebook.language, "yes")
        both = f"{self.labels['opportunity']}+{self.labels['risk']}"
        self.choices = [self.labels["opportunity"], self.labels["risk"], both, self.labels["none"], _NONE_CELL]
        self._words = {}
        for d in DIRECTIONS:
            self._words[self.labels[d].lower()] = d
            self._words[d] = d
        self._words["no direction"] = "none"

    def cell(self, directions: Iterable[str]) -> str:
        chosen = [d for d in DIRECTIONS if d in set(directions)]
        return "+".join(self.labels[d] for d in chosen) if chosen else _NONE_CELL

    def parse(self, value: Any) -> set[str] | None:
        """The directions a cell names; None when it names something else."""
        text = "" if value is None else " ".join(str(value).split()).lower()
        if text in ("", _NONE_CELL):
            return set()
        if text in _BOTH_WORDS:
            return {"opportunity", "risk"}
        out = set()
        for part in text.replace(",", "+").split("+"):
            direction = self._words.get(part.strip())
            if direction is None:
                return None
            out.add(direction)
        return out

    def describe_choices(self) -> str:
        return ", ".join(self.choices[:-1]) + f" or {self.choices[-1]}"


def _stored(directions: Iterable[str]) -> str:
    """Directions as kept in _meta: language-independent, '+'-joined, '' for none."""
    return "+".join(d for d in DIRECTIONS if d in set(directions))


def _shown_directions_by_code(item: ReviewItem, codes: Sequence[str]) -> dict[str, set[str]]:
    """What the export shows for each code in ``codes``: the coder's accepted directions, plus suggestions
    they did not reject (their last decision on a direction counts), from one pass over the item's codings."""
    own: dict[str, dict[str, str]] = {}
    for r in item.decisions:
        own.setdefault(r.code, {})[r.direction] = r.status
    suggested: dict[str, set[str]] = {}
    for s in item.suggestions:
        suggested.setdefault(s.code, set()).add(s.direction)
    out = {}
    for code in codes:
        mine = own.get(code, {})
        out[code] = ({d for d in suggested.get(code, ()) if mine.get(d) != "rejected"}
                     | {d for d, st in mine.items() if st == "accepted"})
    return out


def _evidence_text(item: ReviewItem, codebook: Any, codes: Sequence[str]) -> str:
    parts = []
    for code in codes:
        sugs = [s for s in item.suggestions if s.code == code]
        if not sugs:
            continue
        words, cues = evidence_words(sugs)
        text = ", ".join(words)
        if cues:
            text += f" (cue: {', '.join(cues)})"
        scores = [s.score for s in sugs if s.origin == "model" and s.score is not None]
        if scores:
            text += ("; " if text else "") + f"model {max(scores):.2f}"
        parts.append(f"{codebook.label(code)}: {text or 'suggested'}")
    return "; ".join(parts)


def _others_text(item: ReviewItem, codebook: Any, vocab: _Vocabulary) -> str:
    by_coder: dict[str, list[str]] = {}
    for r in item.others:
        if r.status == "accepted":
            by_coder.setdefault(r.coder or "?", []).append(f"{codebook.label(r.code)} {vocab.labels[r.direction]}")
    return "; ".join(f"{c}: {', '.join(v)}" for c, v in sorted(by_coder.items()))


def _instructions(language: str, coder: str, vocab: _Vocabulary, code_labels: Sequence[str]) -> list[str]:
    codes = ", ".join(code_labels)
    if language == "nl":
        return [
            f"Beoordeling voor codeur {coder}",
            "",
            "Eén rij per fragment, in de volgorde van de transcripten. Per aspect (kolommen "
            f"{codes}) staat de suggestie al ingevuld (of je eerdere beslissing).",
            f"Kies per aspect uit de lijst: {vocab.describe_choices()}. '-' of leeg: het aspect komt niet voor.",
            f"Zet 'decided' op '{vocab.yes}' als je een rij hebt beoordeeld. Alleen die rijen worden ingelezen: "
            "wat er dan in de aspectkolommen staat, geldt (een laten staan suggestie is geaccepteerd, "
            "een leeggemaakte afgewezen).",
            "Een memo wordt altijd bewaard, ook op rijen die nog niet beoordeeld zijn.",
            "Verander de tekst, segment_id en het blad _meta niet; voeg geen kolommen toe. "
            "Rijen sorteren of filteren mag.",
            "Tekst die met = + - of @ begint, is als tekst opgeslagen (geen formule).",
            "Inlezen: qualcode review import BESTAND.xlsx --coder " + coder,
        ]
    return [
        f"Review for coder {coder}",
        "",
        f"One row per segment, in transcript order. For each aspect (columns {codes}) the suggestion "
        "(or your earlier decision) is filled in.",
        f"Choose per aspect from the list: {vocab.describe_choices()}. '-' or empty: the aspect does not apply.",
        f"Set 'decided' to '{vocab.yes}' on every row you have reviewed. Only those rows are read, as they "
        "stand: a suggestion left in place is accepted, one you cleared is rejected.",
        "A memo is always kept, also on rows not yet decided.",
        "Do not change the text, the segment_id or the _meta sheet, and do not add columns. "
        "Sorting and filtering are fine.",
        "Text starting with = + - or @ is stored as text (never a formula).",
        "Import: qualcode review import FILE.xlsx --coder " + coder,
    ]


# -- export ------------------------------------------------------------------------------
EXCEL_MAX_ROWS = 1_048_576  # Excel's row limit, the header row included
LARGE_REVIEW_ROWS = 100_000  # above this a review by hand is unlikely to be meant: a warning


def select_segments(segment_ids: Sequence[int], suggested: set[int], *, only_suggested: bool = False,
                    limit: int | None = None, sample: int | None = None, seed: int = 0) -> list[int]:
    """The rows of a review workbook, from ``segment_ids`` in transcript order: ``only_suggested``
    keeps the segments in ``suggested`` (those with a machine suggestion), ``sample`` draws that
    many at random (the same ones for the same ``seed``), and ``limit`` keeps the first
    ``limit`` of what is left. The order stays the transcript order."""
    import random

    chosen = list(segment_ids)
    if only_suggested:
        chosen = [i for i in chosen if i in suggested]
    if sample is not None:
        if sample < 1:
            raise UsageError(f"--sample must be at least 1, not {sample}")
        if sample < len(chosen):
            picked = set(random.Random(seed).sample(range(len(chosen)), sample))
            chosen = [sid for n, sid in enumerate(chosen) if n in picked]
    if limit is not None:
        if limit < 1:
            raise UsageError(f"--limit must be at least 1, not {limit}")
        chosen = chosen[:limit]
    return chosen


def _check_size(rows: int, of: int) -> list[str]:
    """Refuse a sheet Excel cannot open; warn about one too big to review by hand."""
    if rows + 1 > EXCEL_MAX_ROWS:
        raise UsageError(
            f"{rows:,} segments do not fit in one Excel sheet (at most {EXCEL_MAX_ROWS - 1:,} rows); "
            "export part of them: --study NAME, --only-suggested, --sample N --seed S or --limit N"
        )
    if rows > LARGE_REVIEW_ROWS:
        return [f"{rows:,} rows in one review workbook (of {of:,} segments): Excel and LibreOffice are slow at "
                "this size and nobody reviews it all; consider --only-suggested, --sample N --seed S or --limit N"]
    return []


# The review workbook's formats (XlsxWriter properties), for :class:`qualcode.xlsx_safe.StreamedCells`.
_TOP: dict[str, Any] = {"valign": "top"}
_STYLES: dict[str, dict[str, Any]] = {
    "header": {"bold": True, "bg_color": "#DDDDDD", "text_wrap": True, "valign": "vcenter"},
    "top": _TOP,
    "wrap": {**_TOP, "text_wrap": True},
    # The Text number format ('@') keeps what is typed or edited in the cell text in Excel
    # and LibreOffice; quotePrefix alone does not survive a save by LibreOffice.
    "text": {**_TOP, "text_wrap": True, "num_format": "@"},
    "bold": {"bold": True, "text_wrap": True, "valign": "top"},
}


def export_review(
    store: "Store",
    path: str | Path,
    coder: str,
    *,
    codes: Sequence[str] | None = None,
    study: str | None = None,
    show_others: bool = False,
    only_suggested: bool = False,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
    replacer: Any = None,
) -> ReviewExportSummary:
    """Write the review workbook of ``coder``: every segment to code (or those chosen with
    ``only_suggested``, ``sample`` and ``limit``; see :func:`select_segments`), suggestions and
    decisions prefilled. The rows are read 2,000 segments at a time and written row by row
    (XlsxWriter's constant-memory mode), so memory does not grow with the project.

    A ``replacer`` (an object with ``replace(text) -> text``, such as the pseudonymiser of
    the privacy issue) is applied to every transcript-derived value as it is written: case,
    speaker, document, text and memo (the _meta memo too, so an unchanged memo is no decision).
    """
    if not coder or not coder.strip():
        raise UsageError("who is reviewing? pass --coder NAME or set QUALCODE_CODER=NAME")
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"{path}: the review workbook must be an .xlsx file; name it e.g. review-{coder}.xlsx")
    codebook = stored_codebook(store)
    code_ids = list(dict.fromkeys(codes)) if codes else list(codebook.code_ids)
    for code in code_ids:
        check_code(codebook, code)
    vocab = _Vocabulary(codebook)
    if study is not None:
        store.check_study(study)
    in_order = documents.segment_ids_in_order(store.con, study=study, only_to_code=True)
    if not in_order:
        raise UsageError("no segments to review; import transcripts first with `qualcode import FILES`")
    selected = select_segments(in_order, codings.segments_with_suggestions(store.con) if only_suggested else set(),
                               only_suggested=only_suggested, limit=limit, sample=sample, seed=seed)
    if not selected:
        raise UsageError("no segment has a suggestion to review; run `qualcode code` first, or leave out "
                         "--only-suggested")
    warnings = _check_size(len(selected), len(in_order))
    chosen = ("all" if len(selected) == len(in_order) else
              ", ".join(part for part in (
                  "only suggested" if only_suggested else "",
                  f"sample {sample} seed {seed}" if sample is not None else "",
                  f"limit {limit}" if limit is not None else "") if part))
    meta_rows = [
        ("format", FORMAT), ("format_version", FORMAT_VERSION), ("project_id", store.project_id),
        ("codebook_version", store.meta("codebook_version") or ""), ("coder", coder),
        ("exported_at", now()), ("language", codebook.language), ("codes", ",".join(code_ids)),
        ("qualcode", __version__), ("pseudonymised", "yes" if replacer is not None else "no"),
        ("rows", f"{len(selected)} of {len(in_order)} ({chosen})"),
    ]
    items = review_items(store, coder, selected, show_others=show_others)
    try:
        with atomic_path(path) as target:  # a killed export leaves the old workbook or the whole new one
            decided = _write_review_workbook(target, items, codebook, vocab, code_ids, coder, show_others, meta_rows,
                                             replacer)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the workbook ({exc.strerror or exc}); "
                         "is it open in Excel? Close it or choose another name") from None
    return ReviewExportSummary(path, len(selected), decided, tuple(code_ids), total=len(in_order),
                               warnings=tuple(warnings))


def _write_review_workbook(path: Path, items: Iterable[ReviewItem], codebook: Any, vocab: _Vocabulary,
                           code_ids: Sequence[str], coder: str, show_others: bool,
                           meta_rows: Sequence[tuple[str, str]], replacer: Any = None) -> int:
    """The three sheets, streamed into ``path``: Review (a row per item), Instructions, and the
    hidden _meta; returns how many of the rows the coder had decided before."""
    labels = [codebook.label(c) for c in code_ids]
    headers = [*FIXED_BEFORE, *labels, *([OTHERS_COLUMN] if show_others else []), *FIXED_AFTER]
    col = {h: i for i, h in enumerate(headers)}
    with streamed_workbook(path) as wb:
        ws = wb.add_worksheet(REVIEW_SHEET)
        info = wb.add_worksheet(INSTRUCTIONS_SHEET)
        meta = wb.add_worksheet(META_SHEET)
        cells = StreamedCells(wb, _STYLES)
        for header, i in col.items():
            ws.set_column(i, i, WIDTHS.get(header, CODE_WIDTH))
            cells.text(ws, 0, i, header, "header")
        ws.freeze_panes(1, 1)
        info.set_column(0, 0, 110)
        meta.hide()

        # _meta: the settings in columns A-B, the segments from column D, sharing the first rows.
        segment_headers = ["segment_id", "text_sha256", "memo", *(f"code:{c}" for c in code_ids)]
        cells.text(meta, 0, 0, meta_rows[0][0])
        cells.text(meta, 0, 1, meta_rows[0][1])
        for i, header in enumerate(segment_headers, start=3):
            cells.text(meta, 0, i, header)
        last = decided = 0
        shown = _Shown(replacer)
        code_columns = [(code, col[codebook.label(code)]) for code in code_ids]
        for r, item in enumerate(items, start=1):
            if r < len(meta_rows):
                cells.text(meta, r, 0, meta_rows[r][0])
                cells.text(meta, r, 1, meta_rows[r][1])
            row = shown.row(item, code_ids)
            _review_row(ws, cells, r, item, row, codebook, vocab, code_ids, code_columns, col, show_others)
            _meta_row(meta, cells, r, item, row, code_ids)
            last, decided = r, decided + item.decided
        for r in range(max(1, last + 1), len(meta_rows)):  # fewer segments than settings
            cells.text(meta, r, 0, meta_rows[r][0])
            cells.text(meta, r, 1, meta_rows[r][1])

        choices = {"validate": "list", "source": vocab.choices, "ignore_blank": True, "show_error": True,
                   "error_title": "Not a direction", "error_message": f"Choose {vocab.describe_choices()}."}
        first_code = col[labels[0]]
        ws.data_validation(1, first_code, last, first_code + len(labels) - 1, choices)
        ws.data_validation(1, col["decided"], last, col["decided"],
                           {"validate": "list", "source": [vocab.yes], "ignore_blank": True, "show_error": True,
                            "error_title": "Decided?",
                            "error_message": f"'{vocab.yes}' when you have reviewed the row, else empty."})
        ws.autofilter(0, 0, last, len(headers) - 1)

        for r, line in enumerate(_instructions(codebook.language, coder, vocab, labels)):
            cells.text(info, r, 0, line, "bold" if r == 0 else "wrap")
        ws.activate()
    return decided


def _shown(replacer: Any, text: str | None) -> str | None:
    """A transcript-derived value as the workbook shows it (with the replacer's placeholders)."""
    return replacer.replace(text) if replacer is not None and text else text


@dataclass(frozen=True)
class _Row:
    """What one segment's row shows, worked out once for both sheets: the transcript-derived values as
    :func:`_shown` gives them, and the directions shown per code."""

    case: str | None
    document: str | None
    text: str | None
    memo: str | None
    directions: dict[str, set[str]]


class _Shown:
    """The rows' shown values; case labels and document names recur row after row and are replaced once each."""

    def __init__(self, replacer: Any):
        self.replacer = replacer
        self._recurring: dict[str | None, str | None] = {}

    def _recurring_value(self, text: str | None) -> str | None:
        if text not in self._recurring:
            self._recurring[text] = _shown(self.replacer, text)
        return self._recurring[text]

    def row(self, item: ReviewItem, code_ids: Sequence[str]) -> _Row:
        return _Row(self._recurring_value(item.case_label), self._recurring_value(item.segment.document_name),
                    _shown(self.replacer, item.segment.text), _shown(self.replacer, item.memo),
                    _shown_directions_by_code(item, code_ids))


def _review_row(ws: Any, cells: StreamedCells, r: int, item: ReviewItem, row: _Row, codebook: Any, vocab: _Vocabulary,
                code_ids: Sequence[str], code_columns: Sequence[tuple[str, int]], col: dict[str, int],
                show_others: bool) -> None:
    """Row ``r`` of the Review sheet. Every transcript-derived value is written here (case, speaker,
    document, text, memo), as :class:`_Shown` gives it (through :func:`_shown`), by :meth:`StreamedCells.text`."""
    seg = item.segment
    cells.number(ws, r, col["segment_id"], seg.id)
    cells.text(ws, r, col["case"], row.case)
    cells.text(ws, r, col["speaker"], row.case if seg.speaker else None)
    cells.text(ws, r, col["document"], row.document)
    cells.text(ws, r, col["time"], segment_when(seg, codebook.language))
    cells.text(ws, r, col["text"], row.text, "text")
    for code, column in code_columns:
        cells.text(ws, r, column, vocab.cell(row.directions[code]))
    if show_others:
        cells.text(ws, r, col[OTHERS_COLUMN], _others_text(item, codebook, vocab) or None, "wrap")
    cells.text(ws, r, col["evidence"], _evidence_text(item, codebook, code_ids) or None, "wrap")
    cells.text(ws, r, col["memo"], row.memo, "text")
    cells.text(ws, r, col["decided"], vocab.yes if item.decided else None)


def _meta_row(meta: Any, cells: StreamedCells, r: int, item: ReviewItem, row: _Row, code_ids: Sequence[str]) -> None:
    """Per segment in _meta (columns D on): its id, the SHA-256 of its text, the memo and the
    directions exported per code."""
    cells.number(meta, r, 3, item.segment.id)
    cells.text(meta, r, 4, text_hash(item.segment.text))
    cells.text(meta, r, 5, row.memo)  # the memo as shown: an unchanged one is no decision
    for i, code in enumerate(code_ids, start=6):
        cells.text(meta, r, i, _stored(row.directions[code]))


# -- import ------------------------------------------------------------------------------
class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.items.append(Problem(sheet, row, column, message))

    def raise_if_any(self, path: Path) -> None:
        if not self.items:
            return
        n = len(self.items)
        lines = [f"  - {p}" for p in self.items[:MAX_PROBLEMS_SHOWN]]
        if n > MAX_PROBLEMS_SHOWN:
            lines.append(f"  ... and {n - MAX_PROBLEMS_SHOWN} more")
        error = ReviewImportError(
            f"{path.name}: {n} problem{'s' if n > 1 else ''}, nothing was applied; fix "
            f"{'them' if n > 1 else 'it'} and import again:\n" + "\n".join(lines)
        )
        error.problems = tuple(self.items)  # type: ignore[attr-defined]
        raise error


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _segment_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _load(path: Path):
    """The workbook in openpyxl's read-only mode: rows are parsed as they are read, not held."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.exists():
        raise ReviewImportError(f"{path}: no such file; write one with `qualcode review export {path} --coder NAME`")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about Excel extensions it does not read
            wb = load_workbook(path, read_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError):
        raise ReviewImportError(
            f"{path}: not an Excel workbook (.xlsx); import the file written by `qualcode review export` "
            "(saved as .xlsx, not .xls, .ods or .csv)"
        ) from None
    for ws in wb.worksheets:
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # read every row there is, whatever size the file claims
    return wb


def import_review(store: "Store", path: str | Path, coder: str, *,
                  from_other_project: bool = False) -> ReviewImportSummary:
    """Apply a filled-in review workbook as ``coder``'s decisions: all of it, or (on any problem) nothing.

    Every problem (sheet, row, column, what is wrong) is collected before anything is
    applied; :class:`ReviewImportError` lists them. On a row marked decided, each code
    cell is recorded as it stands: a prefilled direction left in place is accepted, a
    cleared one rejected, a typed one added, a replaced one changed. A memo that differs
    from the exported one is saved on any row.

    ``from_other_project`` accepts a workbook exported from another project built from
    the same transcripts (such as a fresh demo project): rows are matched by segment id
    and every row's text must still be exactly the exported text.
    """
    path = Path(path)
    if not coder or not coder.strip():
        raise UsageError("who is deciding? pass --coder NAME or set QUALCODE_CODER=NAME")
    wb = _load(path)
    try:
        # Checked and applied in one write transaction, after a backup: a `code` run cannot store a
        # new codebook version between the check against the project and the decisions it allows.
        store.backup_before_change()
        with store.transaction():
            return _import_workbook(store, wb, path, coder, from_other_project)
    finally:
        wb.close()  # read-only mode keeps the file open until closed


def _import_workbook(store: "Store", wb: Any, path: Path, coder: str,
                     from_other_project: bool) -> ReviewImportSummary:
    problems = _Problems()
    for name in (REVIEW_SHEET, META_SHEET):
        if name not in wb.sheetnames:
            problems.add(name, None, None, f"sheet {name!r} is missing (the sheets are: {', '.join(wb.sheetnames)}); "
                         "import a workbook written by `qualcode review export`, with its sheets unchanged")
    problems.raise_if_any(path)
    ws, meta_ws = wb[REVIEW_SHEET], wb[META_SHEET]

    meta = {}
    for key, value in meta_ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if key is not None:
            meta[str(key)] = _text(value)
    codebook = stored_codebook(store)
    vocab = _Vocabulary(codebook)
    _check_meta(store, meta, coder, codebook, problems, from_other_project)
    problems.raise_if_any(path)
    code_ids = [c for c in meta["codes"].split(",") if c]

    exported = _exported_rows(meta_ws, code_ids, problems)
    columns = _columns(ws, [codebook.label(c) for c in code_ids], codebook, problems)
    problems.raise_if_any(path)
    label_of = {c: codebook.label(c) for c in code_ids}

    # The rows are checked a chunk at a time against the segments of that chunk, and only
    # what becomes a decision is kept: memory does not grow with the unchanged rows.
    # How the text went out: as stored, or with placeholders when the export was pseudonymised
    # (meta["pseudonymised"]); rows are compared as they went out.
    as_exported: Callable[[str], str] = str
    if meta.get("pseudonymised") == "yes":
        from qualcode.privacy import pseudonymiser

        as_exported = pseudonymiser(store).replace
    known_ids = documents.segment_ids(store.con)
    seen: dict[int, int] = {}
    decisions: list[Decision] = []
    done: list[int] = []
    checked = 0
    texts: dict[int, str] = {}  # document texts, shared by the chunks of one document
    for chunk in batched(_filled_rows(ws, columns), IMPORT_CHUNK_ROWS):
        ids = [sid for _, cell in chunk if (sid := _segment_id(cell["segment_id"])) is not None and sid in exported]
        if len(texts) > 64:  # a sorted workbook visits documents in any order: keep the cache bounded
            texts.clear()
        current = {seg.id: seg for seg in documents.segments(store.con, only_to_code=True, ids=ids, texts=texts)}
        for r, cell in chunk:
            row = _check_row(store, r, cell, code_ids, label_of, vocab, exported, current, known_ids, seen, problems,
                             as_exported)
            if row is None:
                continue
            sid, wanted, memo, is_decided = row
            checked += 1
            if problems.items:  # nothing will be applied: check the rest, build no decisions
                continue
            exported_hash, exported_memo, exported_codes = exported[sid]
            if memo.strip() != exported_memo.strip():
                decisions.append(Decision(sid, "memo", memo=memo.strip() or None))
            if not is_decided:
                continue
            done.append(sid)
            for code, shown in zip(code_ids, exported_codes):
                decisions.extend(_code_decisions(sid, code, _directions(shown), wanted[code]))
    problems.raise_if_any(path)

    counts = codings.apply_decisions(store.con, coder, decisions, source="excel",
                                     valid_codes=codebook.code_ids, done_segments=done)
    return ReviewImportSummary(
        accepted=counts["accept"], rejected=counts["reject"] + counts["remove"], changed=counts["change_direction"],
        added=counts["add"], memos=counts["memo"], rows_decided=len(done), rows_skipped=checked - len(done),
    )


IMPORT_CHUNK_ROWS = 2000


def _filled_rows(ws: Any, columns: dict[str, int]) -> Iterable[tuple[int, dict[str, Any]]]:
    """(row number, header -> value) for every row of the Review sheet that is not empty."""
    for r, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        yield r, {h: (values[i - 1] if i - 1 < len(values) else None) for h, i in columns.items()}


def _check_row(store: "Store", r: int, cell: dict[str, Any], code_ids: Sequence[str], label_of: dict[str, str],
               vocab: _Vocabulary, exported: dict[int, tuple[str, str, tuple[str, ...]]], current: dict[int, Any],
               known_ids: set[int], seen: dict[int, int], problems: _Problems,
               as_exported: Callable[[str], str] = str) -> tuple[int, dict[str, set[str]], str, bool] | None:
    """One row of the Review sheet checked: (segment id, directions per code, memo, decided), or
    None when the row cannot be read at all; every problem goes to ``problems``."""
    raw_id = cell["segment_id"]
    sid = _segment_id(raw_id)
    if sid is None:
        problems.add(REVIEW_SHEET, r, "segment_id",
                     ("empty" if raw_id is None else f"{raw_id!r} is not a segment id") + "; restore the exported value")
        return None
    if sid in seen:
        problems.add(REVIEW_SHEET, r, "segment_id", f"segment {sid} is also in row {seen[sid]}; "
                     "keep one of the two rows")
        return None
    seen[sid] = r
    if sid not in known_ids:
        problems.add(REVIEW_SHEET, r, "segment_id", f"there is no segment {sid} in {store.path.name}; "
                     "restore the exported value")
        return None
    if sid not in exported or sid not in current:
        problems.add(REVIEW_SHEET, r, "segment_id", f"segment {sid} was not in this workbook when it was "
                     "exported; remove the row (export again to review it)")
        return None
    segment_text = current[sid].text
    if text_hash(segment_text) != exported[sid][0]:
        problems.add(REVIEW_SHEET, r, "text", f"segment {sid} has changed in the project since the export; "
                     "export the review again")
    elif _text(cell["text"]) != safe_cell_value(as_exported(segment_text)):
        problems.add(REVIEW_SHEET, r, "text", f"the transcript text of segment {sid} was edited; the review "
                     "cannot change a transcript: undo the edit (or copy the text from `qualcode show`)"
                     + ("; if nobody edited it, the names key changed since the export (`qualcode privacy "
                        "add`/`allow`): export the review again" if as_exported is not str else ""))
    decided_value = " ".join(_text(cell["decided"]).split()).lower()
    if decided_value not in _YES_WORDS | _NO_WORDS:
        problems.add(REVIEW_SHEET, r, "decided", f"{cell['decided']!r} is not '{vocab.yes}'; "
                     f"put '{vocab.yes}' on rows you reviewed and leave the others empty")
    wanted: dict[str, set[str]] = {}
    for code in code_ids:
        parsed = vocab.parse(cell[label_of[code]])
        if parsed is None:
            problems.add(REVIEW_SHEET, r, label_of[code], f"{cell[label_of[code]]!r} is not a direction; "
                         f"choose {vocab.describe_choices()}")
        else:
            wanted[code] = parsed
    return sid, wanted, _text(cell["memo"]), decided_value in _YES_WORDS


def _directions(stored: str) -> set[str]:
    """The directions of a code cell as _meta keeps them ('opportunity+risk')."""
    return {d for d in stored.split("+") if d in DIRECTIONS}


def _code_decisions(segment_id: int, code: str, shown: set[str], wanted: set[str]) -> list[Decision]:
    """One code cell as it stands, against what the export showed in it."""
    removed, added = sorted(shown - wanted), sorted(wanted - shown)
    if len(removed) == 1 and len(added) == 1:  # 'kans' overwritten with 'risico'
        return [Decision(segment_id, "change_direction", code, removed[0], new_direction=added[0])]
    return ([Decision(segment_id, "accept", code, d) for d in sorted(shown & wanted)]
            + [Decision(segment_id, "add", code, d) for d in added]
            + [Decision(segment_id, "reject", code, d) for d in removed])


def _check_meta(store: "Store", meta: dict[str, str], coder: str, codebook: Any, problems: _Problems,
                from_other_project: bool) -> None:
    if meta.get("format") != FORMAT:
        problems.add(META_SHEET, None, None, "not a qualcode review workbook (no format mark); "
                     "import a workbook written by `qualcode review export`")
        return
    if meta.get("format_version") != FORMAT_VERSION:
        problems.add(META_SHEET, None, None, f"written in review format {meta.get('format_version')!r}, this "
                     f"qualcode reads format {FORMAT_VERSION}; export the review again")
    if meta.get("project_id") != store.project_id and not from_other_project:
        problems.add(META_SHEET, None, None, f"this workbook belongs to another project; import it into the "
                     f"project it was exported from (--project), or export one from {store.path.name} "
                     "(--from-other-project accepts it if that project was built from the same transcripts)")
    current = store.meta("codebook_version") or ""
    if meta.get("codebook_version") != current:
        problems.add(META_SHEET, None, None, f"exported with codebook version {meta.get('codebook_version', '')[:12]}, "
                     f"but the project now uses {current[:12]}; export the review again (your decisions "
                     "imported so far are kept and prefilled)")
    exported_coder = meta.get("coder", "").strip()
    if not exported_coder:
        problems.add(META_SHEET, None, "coder", "the coder is missing; export the review again with --coder NAME")
    elif exported_coder != coder:
        problems.add(META_SHEET, None, "coder", f"this workbook was exported for coder {exported_coder!r}, not "
                     f"{coder!r}; import it with --coder {exported_coder}")
    codes = [c for c in meta.get("codes", "").split(",") if c]
    unknown = [c for c in codes if c not in codebook.code_ids]
    if not codes or unknown:
        problems.add(META_SHEET, None, "codes", f"codes {', '.join(unknown) or '(none)'} are not in the codebook; "
                     "export the review again")


def _exported_rows(meta_ws: Any, code_ids: Sequence[str],
                   problems: _Problems) -> dict[int, tuple[str, str, tuple[str, ...]]]:
    """segment id -> (text hash, memo, the exported directions per code as stored), from the hidden sheet."""
    expected = ["segment_id", "text_sha256", "memo", *(f"code:{c}" for c in code_ids)]
    header = [_text(v) for v in next(meta_ws.iter_rows(min_row=1, max_row=1, min_col=4,
                                                      max_col=3 + len(expected), values_only=True), ())]
    if header != expected:
        problems.add(META_SHEET, 1, None, "the segment table was changed; export the review again")
        return {}
    out = {}
    for values in meta_ws.iter_rows(min_row=2, min_col=4, max_col=3 + len(expected), values_only=True):
        sid = _segment_id(values[0])
        if sid is None:
            continue
        codes = tuple(_text(v) for v in values[3:3 + len(code_ids)])
        out[sid] = (_text(values[1]), _text(values[2]), codes + ("",) * (len(code_ids) - len(codes)))
    return out


def _columns(ws: Any, code_labels: Sequence[str], codebook: Any, problems: _Problems) -> dict[str, int]:
    """Header -> column number; every fixed and code column must be there, nothing unknown."""
    from openpyxl.utils import get_column_letter

    header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    found: dict[str, int] = {}
    allowed = {*FIXED_BEFORE, OTHERS_COLUMN, *FIXED_AFTER, *code_labels}
    all_labels = [codebook.label(c) for c in codebook.code_ids]
    for i, value in enumerate(header, start=1):
        name = " ".join(_text(value).split())
        if not name:
            continue
        letter = get_column_letter(i)
        if name in found:
            problems.add(REVIEW_SHEET, 1, f"{name} ({letter})", f"column {name!r} appears twice; delete one")
        elif name not in allowed:
            hint = difflib.get_close_matches(name, [*code_labels, *all_labels, *FIXED_AFTER], n=1)
            problems.add(REVIEW_SHEET, 1, f"{name} ({letter})",
                         f"unknown column; the code columns are: {', '.join(code_labels)}"
                         + (f" (did you mean {hint[0]!r}?)" if hint else "") + "; remove or rename it")
        else:
            found[name] = i
    for name in [*REQUIRED, *code_labels]:
        if name not in found:
            problems.add(REVIEW_SHEET, 1, name, f"column {name!r} is missing; restore it (export again for a fresh copy)")
    return found
