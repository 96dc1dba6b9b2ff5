"""The results workbook: matrix, matrix per group, quotes, coded segments, per-case table and more.

A rendering of one :class:`~qualcode.analysis.results.Analysis` (read through its
accessors, worded by :mod:`qualcode.outputs.i18n`), made to open cleanly in Excel and
LibreOffice: one header row per table (frozen, with a filter), wrapped
text, sensible widths. Every string goes through :mod:`qualcode.xlsx_safe`, so a
transcript line such as ``=HYPERLINK(...)`` stays text. Respondents appear by
pseudonym only: no speaker labels, no case ids (both may hold real names).

The workbook is streamed (XlsxWriter's constant-memory mode, :func:`qualcode.xlsx_safe.streamed_workbook`):
each row goes to disk when the next begins, so everything that depends on a sheet's
contents is worked out before its rows are written. The small sheets are laid out in
memory first (a :class:`_Grid`); the Coded segments sheet, one row per coding, is written
straight from the codings frame, its widths taken from the frame's distinct values
beforehand (:class:`_SegmentsPlan`), which also gives the Matrix sheet the rows its links
point to.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from qualcode.atomic import atomic_path
from qualcode.analysis import matrix as mx
from qualcode.errors import UsageError
from qualcode.outputs.i18n import Words, words
from qualcode.xlsx_safe import StreamedCells, is_missing, safe_cell_value, streamed_workbook

if TYPE_CHECKING:
    import numpy as np

    from qualcode.analysis.results import Analysis, ComparisonResult

# The sheets in their order, as keys of :mod:`qualcode.outputs.i18n` (``sheet_<key>``): their names follow the
# codebook's language ('Gecodeerde fragmenten' / 'Coded segments').
SHEETS = ("matrix", "groups", "quotes", "segments", "co_occurrence", "presence", "codebook", "cases", "compare",
          "agreement", "about")
HEADER_FILL = "DDE4EE"
SCALE_END = "E8743B"  # warm orange: many segments
# the share columns: the heatmap's two colour-blind-safe hues (ColorBrewer Blues, Oranges), grey for no direction
SHARE_COLOURS = {"opportunity": "3182BD", "risk": "E6550D", "none": "969696"}
MAX_WIDTH = 60
TEXT_WIDTH = 80
EXCEL_MAX_ROWS = 1_048_576  # Excel's row limit, the header row included
LARGE_SHEET_ROWS = 100_000  # above this Excel and LibreOffice are slow: a warning
DEFAULT_BY = "role"  # the 'Matrix by group' sheet's attribute when none is given
HEADER_WIDTH = 18  # a wrapped header may take two lines: it widens its column by at most this
DEFAULT_WIDTH = 13  # a column nothing set the width of (openpyxl's default)
DIGIT_PIXELS = 7  # Calibri 11's digit width: a width of w characters is w * 7 pixels in the file
PAGE_MARGINS = (0.75, 0.75, 1, 1)  # left, right, top, bottom (inches), and the header's and footer's: as
HEADER_MARGIN = 0.5                # the workbook always had them (openpyxl's defaults)


@dataclass(frozen=True)
class WorkbookReport:
    path: Path
    sheets: tuple[str, ...]
    codings: int
    compare_note: str | None = None  # why there is no Compare sheet, or a warning about it
    warnings: tuple[str, ...] = ()


def check_path(path: str | Path, *, overwrite: bool = False) -> Path:
    """The workbook's path, checked before anything is computed: .xlsx, an existing folder, not replaced unasked."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"{path}: the workbook must end in .xlsx")
    if not path.parent.exists():
        raise UsageError(f"{path}: folder {path.parent} does not exist; create it first")
    if path.exists() and not overwrite:
        raise UsageError(f"{path}: already exists; pass --force to replace it, or choose another name")
    return path


def export_workbook(analysis: "Analysis", path: str | Path, *, overwrite: bool = False) -> WorkbookReport:
    """Write the results workbook of ``analysis`` to ``path``.

    The 'Matrix by group' sheet splits by ``analysis.by``; a Compare sheet is written
    when the analysis holds a comparison, an Agreement sheet when it holds agreement
    figures. Every word in the codebook's language (:mod:`qualcode.outputs.i18n`).
    The rows are streamed: memory grows with the number of codings by a few bytes per row.
    """
    from xlsxwriter.exceptions import FileCreateError

    path = check_path(path, overwrite=overwrite)
    w = words(analysis.codebook)
    warnings = check_size(path, len(analysis.codings), w.sheet("segments"))
    reason = analysis.comparison_left_out
    compare_note = w("no_compare_sheet", reason=reason) if reason else None
    segments = _SegmentsPlan(analysis, w)  # before any sheet: the Matrix sheet links to its rows

    try:
        # a killed or failed export leaves the old workbook or the whole new one, and no temporary file
        with atomic_path(path) as tmp, streamed_workbook(tmp) as wb:
            sheets = _write_sheets(wb, analysis, w, segments, compare_note)
    except PermissionError:
        raise UsageError(f"{path}: cannot write (is it open in Excel?); close it or choose another name") from None
    except FileCreateError as exc:
        raise UsageError(f"{path}: cannot write the workbook ({exc}); close it or choose another name") from None
    return WorkbookReport(path, sheets, len(analysis.codings), compare_note, tuple(warnings))


def _write_sheets(wb: Any, analysis: "Analysis", w: Words, segments: "_SegmentsPlan",
                  compare_note: str | None) -> tuple[str, ...]:
    """Every sheet in its order, each written whole before the next begins."""
    cells = StreamedCells(wb)
    _write_grid(wb.add_worksheet(w.sheet("matrix")), cells, _matrix_sheet(analysis, w, segments.links))
    _write_grid(wb.add_worksheet(w.sheet("groups")), cells, _group_sheet(analysis, w))
    _write_grid(wb.add_worksheet(w.sheet("quotes")), cells, _quotes_sheet(analysis, w))
    segments.write(wb.add_worksheet(w.sheet("segments")), cells)
    _write_grid(wb.add_worksheet(w.sheet("co_occurrence")), cells, _co_occurrence_sheet(analysis, w))
    if analysis.presence is not None:
        _write_grid(wb.add_worksheet(w.sheet("presence")), cells, _presence_sheet(analysis, w))
    _write_grid(wb.add_worksheet(w.sheet("codebook")), cells, _codebook_sheet(analysis.codebook, w))
    _write_grid(wb.add_worksheet(w.sheet("cases")), cells, _cases_sheet(analysis, w))
    if analysis.comparison is not None:
        _write_grid(wb.add_worksheet(w.sheet("compare")), cells, _compare_sheet(analysis.comparison, w))
    if analysis.agreement is not None:
        _write_grid(wb.add_worksheet(w.sheet("agreement")), cells, _agreement_sheet(analysis, w))
    _write_grid(wb.add_worksheet(w.sheet("about")), cells, _about_sheet(analysis, w, compare_note))
    wb.set_properties({"title": w("title"), "author": "qualcode"})
    return tuple(ws.name for ws in wb.worksheets())


def check_size(path: Path, rows: int, sheet: str) -> list[str]:
    """Refuse a workbook whose coded-segments sheet Excel cannot open; warn about a very large one."""
    helps = "--study NAME, or without --include-suggested (the decisions only)"
    if rows + 1 > EXCEL_MAX_ROWS:
        raise UsageError(f"{path}: {rows:,} coded segments do not fit in the sheet '{sheet}' (Excel holds at most "
                         f"{EXCEL_MAX_ROWS - 1:,} rows); export part of them: {helps}")
    if rows > LARGE_SHEET_ROWS:
        return [f"{path}: {rows:,} rows in the sheet '{sheet}': Excel and LibreOffice are slow at this size; "
                f"for a smaller workbook: {helps}"]
    return []


# -- how cells look, and the sizes that follow from it ------------------------------------------
@dataclass(frozen=True)
class _Style:
    """How a cell looks. Bold, italic and wrap also decide widths and row heights (see :func:`_widths`)."""

    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None
    fill: str | None = None
    wrap: bool = False
    align: str | None = None
    valign: str | None = None
    num_format: str | None = None
    link: bool = False

    def properties(self) -> dict[str, Any]:
        """The XlsxWriter format."""
        p: dict[str, Any] = {"hyperlink": True} if self.link else {}
        for name, value in (("bold", self.bold), ("italic", self.italic), ("font_size", self.size),
                            ("text_wrap", self.wrap), ("align", self.align), ("valign", self.valign),
                            ("num_format", self.num_format)):
            if value:
                p[name] = value
        if self.color:
            p["font_color"] = f"#{self.color}"
        if self.fill:
            p.update(pattern=1, bg_color=f"#{self.fill}")
        return p


PLAIN = _Style()
TOP = _Style(valign="top")
WRAP = _Style(wrap=True, valign="top")
HEADER = _Style(bold=True, fill=HEADER_FILL, wrap=True, align="center", valign="top")
TITLE = _Style(bold=True, size=12)
NOTE = _Style(italic=True, color="555555")
BOLD = _Style(bold=True)


def _size_of(value: Any, style: _Style) -> int | None:
    """How many characters of its column a cell asks for: None for empty cells and notes (italic),
    which run over empty cells; a wrapped header at most :data:`HEADER_WIDTH`."""
    if value is None or (style.italic and not style.bold):
        return None
    size = max((len(line) for line in str(value).splitlines()), default=0)
    return min(size, HEADER_WIDTH) if style.bold and style.wrap else size


def _width(longest: int) -> int:
    return min(MAX_WIDTH, max(8, longest + 2))


def _per_line(width: float) -> int:
    return max(1, int(width * 1.1) - 2)


def _lines(text: str, per_line: int) -> int:
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _height(lines: int) -> float | None:
    """The height of a row of wrapped text (LibreOffice does not recompute them when it opens the file)."""
    return min(409, 15 * lines) if lines > 1 else None


def _set_width(ws: Any, col: int, width: float) -> None:
    """Column ``col`` (from 1) ``width`` characters wide, as Excel's file format counts them (with the
    cell padding: what openpyxl writes; XlsxWriter's set_column would add the padding)."""
    ws.set_column_pixels(col - 1, col - 1, round(width * DIGIT_PIXELS))


def _set_height(ws: Any, row: int, height: float) -> None:
    """Row ``row`` (from 1) ``height`` points high, exactly (set_row rounds to whole pixels)."""
    ws.set_row_pixels(row - 1, height * 4 / 3)


def _defined(cells: StreamedCells, style: _Style) -> _Style:
    if style not in cells:
        cells.define(style, style.properties())
    return style


def _put(cells: StreamedCells, ws: Any, row: int, col: int, value: Any, style: _Style) -> None:
    """One cell, at ``row`` and ``col`` counted from 1 as in Excel."""
    cells.value(ws, row - 1, col - 1, value, _defined(cells, style))


def _sheet_setup(ws: Any, header_row: int, last_row: int, ncols: int, freeze: str, *, autofilter: bool = True) -> None:
    """Freeze the header, filter the table; print landscape, one page wide, the header on every page."""
    ws.freeze_panes(freeze)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(*PAGE_MARGINS)
    ws.set_header("", {"margin": HEADER_MARGIN})
    ws.set_footer("", {"margin": HEADER_MARGIN})
    ws.repeat_rows(header_row - 1)
    if autofilter and ncols:
        ws.autofilter(header_row - 1, 0, max(last_row, header_row) - 1, ncols - 1)


# -- the small sheets: laid out in memory, then streamed ------------------------------------------
@dataclass
class _Grid:
    """A sheet laid out before it is written: cells by row and column (counted from 1), merged
    ranges, links, and what :func:`_finish` sets (freeze, filter, widths)."""

    cells: dict[int, dict[int, tuple[Any, _Style]]] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    scales: list[tuple[list[str], int, str]] = field(default_factory=list)
    header_row: int = 1
    last_row: int = 1
    ncols: int = 0
    freeze: str = "A2"
    fixed: dict[int, float] = field(default_factory=dict)
    autofilter: bool = True
    widths_after_heights: dict[int, float] = field(default_factory=dict)  # set after the heights are fitted

    def put(self, row: int, col: int, value: Any, style: _Style = PLAIN) -> None:
        if isinstance(value, str):
            value = safe_cell_value(value)
        elif is_missing(value):
            value = None
        self.cells.setdefault(row, {})[col] = (value, style)

    def restyle(self, row: int, col: int, **changes: Any) -> None:
        value, style = self.cells.get(row, {}).get(col, (None, PLAIN))
        self.cells.setdefault(row, {})[col] = (value, replace(style, **changes))

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """One cell over the range: the first cell's value and look; the others are emptied."""
        for r in range(first_row, last_row + 1):
            for c in range(first_col, last_col + 1):
                if (r, c) != (first_row, first_col):
                    self.cells.get(r, {}).pop(c, None)
        self.merges.append((first_row, first_col, last_row, last_col))

    def widths(self) -> dict[int, float]:
        """Each column as wide as its longest cell (within bounds), unless its width is fixed."""
        longest: dict[int, int] = {}
        for row in self.cells.values():
            for col, (value, style) in row.items():
                size = _size_of(value, style)
                if size is not None:
                    longest[col] = max(longest.get(col, 0), size)
        widths: dict[int, float] = {col: _width(size) for col, size in longest.items()}
        widths.update(self.fixed)
        return widths

    def heights(self, widths: dict[int, float]) -> dict[int, float]:
        """From the header row down: rows whose wrapped text takes more than one line."""
        heights = {}
        for r, row in self.cells.items():
            if r < self.header_row:
                continue
            lines = 1
            for col, (value, style) in row.items():
                if isinstance(value, str) and style.wrap:
                    lines = max(lines, _lines(value, _per_line(widths.get(col, DEFAULT_WIDTH))))
            height = _height(lines)
            if height is not None:
                heights[r] = height
        return heights


def _write_grid(ws: Any, cells: StreamedCells, grid: _Grid) -> None:
    """Stream ``grid`` into ``ws`` row by row, in order, with everything worked out beforehand."""
    widths = grid.widths()
    heights = grid.heights(widths)
    widths.update(grid.widths_after_heights)
    _sheet_setup(ws, grid.header_row, grid.last_row, grid.ncols, grid.freeze, autofilter=grid.autofilter)
    for col, width in sorted(widths.items()):
        _set_width(ws, col, width)
    for ranges, max_value, colour in grid.scales:
        _color_scale(ws, ranges, max_value, colour)
    merges: dict[int, list[tuple[int, int, int, int]]] = {}
    for m in sorted(grid.merges, key=lambda m: (m[0], m[2] > m[0], m[1])):  # one over several rows last
        merges.setdefault(m[0], []).append(m)
    for r in sorted(set(grid.cells) | set(merges)):
        if r in heights:
            _set_height(ws, r, heights[r])
        anchors = {m[1]: m for m in merges.get(r, ())}
        if sum(m[2] > r for m in anchors.values()) > 1:
            raise ValueError(f"row {r}: at most one range over several rows may begin in a row when streaming")
        row = grid.cells.get(r, {})
        for c in sorted(row):
            if c in anchors:
                continue
            value, style = row[c]
            if (r, c) in grid.links:
                # the link first, then its number over the link's text: the cell stays a number
                ws.write_url(r - 1, c - 1, f"internal:{grid.links[r, c]}", cells.format(_defined(cells, style)),
                             str(value))
            _put(cells, ws, r, c, value, style)
        for first_row, first_col, last_row, last_col in merges.get(r, ()):
            value, style = row.get(first_col, (None, PLAIN))
            cells.merged(ws, first_row - 1, first_col - 1, last_row - 1, last_col - 1, value, _defined(cells, style))


def _color_scale(ws: Any, ranges: Sequence[str], max_value: int, end_color: str = SCALE_END) -> None:
    """One white-to-``end_color`` scale over all given ranges, so colours compare across columns."""
    if not ranges:
        return
    options: dict[str, Any] = {"type": "2_color_scale", "min_type": "num", "min_value": 0, "min_color": "#FFFFFF",
                               "max_type": "num", "max_value": max(1, max_value), "max_color": f"#{end_color}"}
    if len(ranges) > 1:
        options["multi_range"] = " ".join(ranges)
    ws.conditional_format(ranges[0], options)


def _header(grid: _Grid, row: int, headers: Sequence[str], col: int = 1) -> None:
    for i, h in enumerate(headers):
        grid.put(row, col + i, h, HEADER)


def _rows(grid: _Grid, start_row: int, rows: Iterable[Sequence[Any]], wrap_cols: Iterable[int] = ()) -> int:
    """Write rows from ``start_row``; return the last row written."""
    wrap = set(wrap_cols)
    r = start_row - 1
    for r, values in enumerate(rows, start=start_row):
        for c, v in enumerate(values, start=1):
            grid.put(r, c, v, WRAP if c in wrap else TOP)
    return r


def _finish(grid: _Grid, header_row: int, last_row: int, ncols: int, *, freeze: str | None = None,
            widths: dict[int, float] | None = None) -> _Grid:
    """Freeze the header, filter the table, widths from content (those in ``widths`` fixed)."""
    grid.header_row, grid.last_row, grid.ncols = header_row, last_row, ncols
    grid.freeze = freeze or f"A{header_row + 1}"
    grid.fixed = dict(widths or {})
    return grid


def _note(grid: _Grid, row: int, text: str, col: int = 1) -> None:
    grid.put(row, col, text, NOTE)


def _share_scales(grid: _Grid, analysis: "Analysis", first_col: int, first_row: int, last_row: int,
                  step: int) -> None:
    """0-100 % per direction in the heatmap's hue for it (blue opportunity, orange risk, grey none)."""
    if last_row < first_row:
        return  # no rows to colour
    ranges = _share_ranges(first_col, first_row, last_row, len(analysis.directions), step)
    for d, cells in zip(analysis.directions, ranges):
        grid.scales.append(([cells], 100, SHARE_COLOURS.get(d, SHARE_COLOURS["none"])))


def _matrix_headers(analysis: "Analysis", w: Words, with_suggested: bool) -> list[str]:
    headers = []
    for d in analysis.directions:
        dl = w.direction(d)
        headers += [f"{dl}: {w('segments')}", f"{dl}: {w('cases')}", f"{dl}: %"]
        if with_suggested:
            headers.append(f"{dl}: {w('suggested')}")
    return headers


def _matrix_values(analysis: "Analysis", code: str, group: str | None, with_suggested: bool,
                   directions: Sequence[str] | None = None) -> list[int]:
    """The figures of a row, in the columns of ``directions`` (the whole workbook's: all studies have them)."""
    values = []
    for d in directions or analysis.directions:
        cell = analysis.cell(code, d, group)
        values += [cell.segments, cell.cases, cell.percent]
        if with_suggested:
            values.append(cell.suggested)
    return values


def _column_letter(col: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(col - 1)


def _share_ranges(first_col: int, first_row: int, last_row: int, ndirections: int, step: int) -> list[str]:
    """The % columns: the colour scale is over shares of cases, comparable across groups of any size."""
    return [f"{_column_letter(first_col + 2 + i * step)}{first_row}:"
            f"{_column_letter(first_col + 2 + i * step)}{last_row}" for i in range(ndirections)]


# -- the sheets -------------------------------------------------------------------------------
def _matrix_sheet(analysis: "Analysis", w: Words, links: dict | None = None) -> _Grid:
    """One row per study × aspect (one matrix per study, or all pooled), filterable by study.

    Each segment count links to the first of its segments on the Coded segments sheet.
    """
    grid = _Grid()
    with_sugg = analysis.include_suggested
    step = 4 if with_sugg else 3
    headers = [w("study"), w("aspect"), *_matrix_headers(analysis, w, with_sugg), w("n_cases_row")]
    _header(grid, 1, headers)
    rows = []
    for part in analysis.scopes():
        scope = part.study or w.scope(part) or w("all")
        for code in part.codes:
            rows.append([scope, w.code(code), *_matrix_values(part, code, None, with_sugg, analysis.directions),
                         part.n_cases()])
    last = _rows(grid, 2, rows)
    if links:
        r = 2
        for part in analysis.scopes():
            for code in part.codes:
                for i, d in enumerate(analysis.directions):
                    target = links.get((part.study, code, d))
                    if target:
                        grid.links[r, 3 + i * step] = f"'{w.sheet('segments')}'!A{target}"
                        grid.restyle(r, 3 + i * step, valign=None, link=True)
                r += 1
    _share_scales(grid, analysis, 3, 2, last, step)
    ncols = len(headers)
    r = last + 2
    _note(grid, r, w("legend_sheet") + " % = " + w("share") + ".")
    _note(grid, r + 1, f"{w('counted')}: {w.selection(analysis.selection)}")
    if with_sugg:
        _note(grid, r + 2, w("suggested_legend").lstrip("* "))
    return _finish(grid, 1, last, ncols, freeze="C2", widths={2: 26})


def _group_sheet(analysis: "Analysis", w: Words) -> _Grid:
    """Per study × group × aspect a row; per direction segments, cases and share under one merged heading.

    Two header rows (the direction over its short measure names), so that the table fits a
    landscape page without four-line headers.
    """
    grid = _Grid()
    with_sugg = analysis.include_suggested
    step = 4 if with_sugg else 3
    measures = [w("h_segments_short"), w("cases"), "%"] + ([w("suggested")] if with_sugg else [])
    headers = [w("study"), w.attribute(analysis.by).capitalize() or w("group"), w("aspect")]
    headers += measures * len(analysis.directions)
    headers.append(w("n_cases_row"))
    _header(grid, 2, headers)
    for i, d in enumerate(analysis.directions):
        col = 4 + i * step
        grid.put(1, col, w.direction(d), HEADER)
        grid.merge(1, col, 1, col + step - 1)
    rows = []
    for part in analysis.scopes():
        scope = part.study or w.scope(part) or w("all")
        for group in part.groups:
            for code in part.codes:
                rows.append([scope, group, w.code(code),
                             *_matrix_values(part, code, group, with_sugg, analysis.directions), part.n_cases(group)])
    last = _rows(grid, 3, rows)
    _share_scales(grid, analysis, 4, 3, last, step)
    _note(grid, last + 2, w("legend_sheet") + " % = " + w("share") + ".")
    widths: dict[int, float] = {1: 10, 2: 16, 3: 22, len(headers): 8}
    widths.update({4 + i: 7 for i in range(len(analysis.directions) * step)})
    return _finish(grid, 2, last, len(headers), freeze="D3", widths=widths)


def _quotes_sheet(analysis: "Analysis", w: Words) -> _Grid:
    """Per study and cell the quotes, each with its source and the interviewer's question before it."""
    grid = _Grid()
    headers = [w("study"), w("aspect"), w("direction"), w("rank"), w("case"), w("role"), w("document"), w("time"),
               w("segment"), w("question"), w("quote"), w("memo"), w("status")]
    _header(grid, 1, headers)
    rows = []
    for part in analysis.scopes():
        for q in part.quotes:
            p = q.passage
            rows.append([p.study, w.code(q.code), w.direction(q.direction), q.rank, p.pseudonym, p.role, p.document,
                         w.place(p), p.segment_id,
                         p.question, q.text, "\n".join(f"{c}: {t}" for c, t in p.memos),
                         w.status(q.status)])
    last = _rows(grid, 2, rows, wrap_cols=[10, 11, 12])
    return _finish(grid, 1, last, len(headers), widths={10: 40, 11: TEXT_WIDTH, 12: 30})


_SEGMENT_FIXED = ("segment_id", "document", "study", "pseudonym", "role", "speaker", "text", "code", "direction",
                  "origin", "status", "coder", "source_row", "codebook_version")


@dataclass(frozen=True)
class _Column:
    """A column of the Coded segments sheet: its header, the codings frame's column it shows (``show``
    turns a value into the cell's), and a fixed width or None (from the values)."""

    header: str
    field: str
    show: Callable[[Any], Any] | None = None
    width: float | None = None
    wrap: bool = False


@dataclass(frozen=True)
class _Distinct:
    """A column's values as the cells show them, once each: ``codes`` gives per row of the frame (in its
    order) the index of its value in ``shown``; a missing value (None, NaN) has -1, the last one."""

    codes: "np.ndarray"
    shown: list[Any]


SEGMENT_ROWS_AT_ONCE = 4096  # rows of the Coded segments sheet made ready at a time (bounded memory)


class _SegmentsPlan:
    """The Coded segments sheet, worked out before anything is written: one row per segment × code,
    with the case's pseudonym and attributes (never case id or speaker label).

    Sorted by study, code, direction and segment, so a matrix cell's segments are one block;
    :attr:`links` holds the first row of each (study, code, direction) block, for the Matrix
    sheet's links. The rows are read from the codings frame as they are written, in the sorted
    order (an index, not a sorted copy). Each column's distinct values are shown (and made safe,
    and given their format) once, and the widths come from them: codes, directions, cases and
    documents recur row after row.
    """

    def __init__(self, analysis: "Analysis", w: Words):
        df = analysis.codings
        self.frame = df
        codebook = analysis.codebook
        places = analysis.places
        # a segment's memos, on each of its codings (most segments have none)
        memos = {sid: "\n".join(f"{c}: {t}" for c, t in m) for sid, m in analysis.memos.items()}

        def path(code: str) -> str:
            try:
                return codebook.code_path(code)
            except (KeyError, LookupError):
                return code

        def position(segment_id: Any) -> Any:
            p = places.get(int(segment_id))
            return p.position if p is not None else None

        def time(segment_id: Any) -> str:
            p = places.get(int(segment_id))
            return w.timestamp(p.start_time) if p is not None else ""

        def memo(segment_id: Any) -> str:
            return memos.get(int(segment_id), "")

        attr_cols = [c for c in df.columns if c not in (*_SEGMENT_FIXED, "case_id")]
        self.columns = [
            _Column(w("study"), "study"), _Column(w("document"), "document"),
            _Column(w("case"), "pseudonym"), _Column(w("role"), "role"),
            *[_Column(w.attribute(c), c) for c in attr_cols],
            _Column(w("h_speaker"), "speaker"), _Column(w("h_text"), "text", width=TEXT_WIDTH, wrap=True),
            _Column(w("h_code_id"), "code"), _Column(w("aspect"), "code", w.code),
            _Column(w("h_code_path"), "code", path), _Column(w("direction"), "direction", w.direction),
            _Column(w("h_origin"), "origin", w.origin), _Column(w("status"), "status", w.status),
            _Column(w("h_coder"), "coder"), _Column(w("h_segment_id"), "segment_id", int),
            _Column(w("h_source_row"), "source_row"), _Column(w("h_position"), "segment_id", position),
            _Column(w("time"), "segment_id", time),
            _Column(w("memo"), "segment_id", memo, width=40, wrap=True),
        ]
        self.order = self._order(analysis)
        self.links = self._links()
        self.distinct = [self._distinct(column) for column in self.columns]
        self.widths = self._widths()

    def _order(self, analysis: "Analysis") -> "np.ndarray":
        """Row positions sorted (stably) by study (as text), code and direction (codebook order), segment id."""
        import numpy as np
        import pandas as pd

        df = self.frame
        if not len(df):
            return np.zeros(0, dtype=np.int64)
        order = {c: i for i, c in enumerate(analysis.codes)}
        dorder = {d: i for i, d in enumerate(analysis.directions)}

        def rank(column: str, key: Callable[[Any], Any]) -> "np.ndarray":
            """Per row the rank of its value's ``key`` (values with equal keys tie)."""
            codes, uniques = pd.factorize(df[column].to_numpy(), use_na_sentinel=False)
            keys = [key(u) for u in uniques]
            rank_of = {k: i for i, k in enumerate(sorted(set(keys)))}
            return np.array([rank_of[k] for k in keys], dtype=np.int64)[codes]

        study = rank("study", str)
        code = rank("code", lambda c: order.get(c, 99))
        direction = rank("direction", lambda d: dorder.get(d, 9))
        return np.lexsort((df["segment_id"].to_numpy(dtype=np.int64), direction, code, study))

    def _links(self) -> dict[tuple[Any, str, str], int]:
        """The sheet row of the first coding of each (study, code, direction) and each (None, code, direction)."""
        import numpy as np

        links: dict[tuple[Any, str, str], int] = {}
        if not len(self.order):
            return links
        df = self.frame
        keys = [df[c].to_numpy()[self.order] for c in ("study", "code", "direction")]
        changed = np.zeros(len(self.order), dtype=bool)
        changed[0] = True
        for k in keys:
            changed[1:] |= k[1:] != k[:-1]
        for i in np.flatnonzero(changed):  # the first row of each run of one (study, code, direction)
            study, code, direction = (k[i] for k in keys)
            links.setdefault((study, code, direction), int(i) + 2)
            links.setdefault((None, code, direction), int(i) + 2)
        return links

    def _distinct(self, column: _Column) -> _Distinct:
        import pandas as pd

        values = self.frame[column.field].to_numpy()
        codes, uniques = pd.factorize(values)  # None and NaN: -1
        shown = [column.show(u) for u in uniques] if column.show else list(uniques)
        missing = values[codes < 0][:1]
        shown.append(column.show(missing[0]) if column.show and len(missing) else None)
        return _Distinct(codes.astype("int32"), shown)  # half the memory of the codes (a column has < 2**31 rows)

    def _widths(self) -> dict[int, float]:
        """Each column as wide as its longest value (over the distinct values), unless fixed."""
        widths: dict[int, float] = {}
        for col, (column, distinct) in enumerate(zip(self.columns, self.distinct), start=1):
            if column.width is not None:
                widths[col] = column.width
                continue
            longest = _size_of(column.header, HEADER) or 0
            for shown in distinct.shown:
                if not is_missing(shown):
                    longest = max(longest, _size_of(safe_cell_value(shown) if isinstance(shown, str) else shown,
                                                    TOP) or 0)
            widths[col] = _width(longest)
        return widths

    def write(self, ws: Any, cells: StreamedCells) -> None:
        """Stream the sheet: header, then a row per coding, each row's height from its wrapped text."""
        headers = [c.header for c in self.columns]
        last = len(self.order) + 1
        _sheet_setup(ws, 1, last, len(headers), "A2")
        for col, width in self.widths.items():
            _set_width(ws, col, width)
        height = _height(max((_lines(h, _per_line(self.widths[c])) for c, h in enumerate(headers, start=1)),
                             default=1))
        if height is not None:
            _set_height(ws, 1, height)
        for c, h in enumerate(headers, start=1):
            _put(cells, ws, 1, c, h, HEADER)
        # per column and distinct value how its cells are written, once: the value, and the worksheet's
        # write method with the format (a pair shared by the column's values, not one per value)
        writes: list[list[tuple[Callable[[int, int, Any, Any], Any], Any]]] = []
        values: list[list[Any]] = []
        lines: list[list[int] | None] = []  # wrapped columns: per distinct value its lines at the width
        for col, (column, distinct) in enumerate(zip(self.columns, self.distinct), start=1):
            style = _defined(cells, WRAP if column.wrap else TOP)
            pairs: dict[tuple[str, int], tuple[Callable[[int, int, Any, Any], Any], Any]] = {}
            writes.append([])
            values.append([])
            for shown in distinct.shown:
                method, value, fmt = cells.cell(ws, shown, style)
                writes[-1].append(pairs.setdefault((method.__name__, id(fmt)), (method, fmt)))
                values[-1].append(value)
            per_line = _per_line(self.widths[col])
            lines.append([_lines(safe_cell_value(shown), per_line)
                          if isinstance(shown, str) and (len(shown) > per_line or "\n" in shown) else 1
                          for shown in distinct.shown] if column.wrap else None)
        for start in range(0, len(self.order), SEGMENT_ROWS_AT_ONCE):
            rows = self.order[start:start + SEGMENT_ROWS_AT_ONCE]
            at = [d.codes[rows].tolist() for d in self.distinct]  # per column the rows' distinct values
            wrapped = ([of[k] for k in ks] for of, ks in zip(lines, at) if of is not None)
            heights = [_height(max(n)) for n in zip(*wrapped, [1] * len(rows))]  # a row's most lines
            row_writes = zip(*([of[k] for k in ks] for of, ks in zip(writes, at)))
            row_values = zip(*([of[k] for k in ks] for of, ks in zip(values, at)))
            for r, height, writes_of_row, values_of_row in zip(range(start + 1, start + 1 + len(rows)), heights,
                                                             row_writes, row_values):
                if height is not None:
                    _set_height(ws, r + 1, height)
                for c, ((write, fmt), value) in enumerate(zip(writes_of_row, values_of_row)):
                    write(r, c, value, fmt)


def _co_occurrence_sheet(analysis: "Analysis", w: Words) -> _Grid:
    """Per study the pairs of aspect × direction coded on the same segment, with segments and cases."""
    grid = _Grid()
    headers = [w("study"), w("first"), w("second"), w("segments"), w("cases"), w("segment")]
    _header(grid, 1, headers)
    rows = []
    for part in analysis.scopes():
        scope = part.study or w.scope(part) or w("all")
        for pair in part.co_occurrence:
            rows.append([scope, f"{w.code(pair.first[0])} — {w.direction(pair.first[1])}",
                         f"{w.code(pair.second[0])} — {w.direction(pair.second[1])}", pair.segments, pair.cases,
                         ", ".join(str(i) for i in pair.segment_ids)])
    last = _rows(grid, 2, rows, wrap_cols=[6])
    _note(grid, last + 2, w("co_occurrence_legend"))
    return _finish(grid, 1, last, len(headers), widths={2: 30, 3: 30, 6: 40})


def _presence_sheet(analysis: "Analysis", w: Words) -> _Grid:
    """Per case 0/1 and counts per aspect × direction; the variable names in the codebook's words (R/SPSS-safe)."""
    frame = analysis.presence
    if frame is None:
        raise ValueError("a presence sheet needs the analysis made with presence=True")
    grid = _Grid()
    names = {"case": w("case"), "role": w("role"), "study": w("study"),
             "segments": w("h_segments_to_code"), "suggested_codings": w("suggested")}
    for code in analysis.codes:
        for d in ("opportunity", "risk", "none"):
            label = f"{w.code(code)}_{w.direction(d)}"
            names[mx.variable_name(f"{code}_{d}")] = mx.variable_name(label)
            names[mx.variable_name(f"n_{code}_{d}")] = mx.variable_name(f"n_{label}")
    header = [names.get(str(c), w.attribute(str(c))) for c in frame.columns]
    _header(grid, 1, header)
    last = _rows(grid, 2, frame.itertuples(index=False))
    return _finish(grid, 1, last, len(header), freeze="B2")


def agreement_rows(analysis: "Analysis", w: Words) -> tuple[list[str], list[list[Any]]]:
    """The Agreement sheet's table (also the report's): per group, code and direction n, counts, kappa, alpha."""
    from qualcode.analysis.agreement import ALL_CODES, ALL_DIRECTIONS

    result = analysis.agreement
    if result is None:
        raise ValueError("an Agreement sheet needs the analysis made with agreement=(A, B)")
    a, b = result.coder_a, result.coder_b
    headers = ([w.attribute(result.by).capitalize()] if result.by is not None else []) + [
        w("aspect"), w("direction"), w("h_n"), w("h_both"), w("h_neither"), w("h_only", coder=a),
        w("h_only", coder=b), w("h_other_direction"), w("h_percent_agreement"), w("h_kappa"), w("h_alpha")]
    if result.truth is not None:
        headers += ["precision", "recall", "F1"]
    headers.append(w("h_note"))
    rows = []
    empty_groups = {g.group for g in result.groups if not g.units}
    for r in result.rows:
        if r.group in empty_groups and not (r.code == ALL_CODES and r.direction is None):
            continue  # a group neither coder decided anything in: one row saying so, not one per code
        row: list[Any] = [w("all") if r.group is None else r.group] if result.by is not None else []
        code = w("all_codes") if r.code == ALL_CODES else (r.label or w.code(r.code))
        direction = "" if r.direction is None else (w("all_directions") if r.direction == ALL_DIRECTIONS
                                                     else w.direction(r.direction))
        row += [code, direction, r.n, r.both, r.neither, r.only_a, r.only_b, r.other_direction,
                _round(r.percent, 1), _round(r.kappa, 3), _round(r.alpha, 3)]
        if result.truth is not None:
            row += [_round(r.precision, 3), _round(r.recall, 3), _round(r.f1, 3)]
        row.append(w.agreement_note(r.note))
        rows.append(row)
    return headers, rows


def agreement_summary(analysis: "Analysis", w: Words) -> list[str]:
    """Per group: how many segments both coders decided, and how many were left out."""
    result = analysis.agreement
    if result is None:
        return []
    lines = []
    for g in result.groups:
        where = "" if g.group is None else w("agreement_where", attribute=w.attribute(result.by), group=g.group)
        lines.append(w("agreement_units", units=g.units, a=result.coder_a, b=result.coder_b, where=where,
                       only_a=g.only_a, only_b=g.only_b))
    return lines


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _agreement_sheet(analysis: "Analysis", w: Words) -> _Grid:
    grid = _Grid()
    headers, rows = agreement_rows(analysis, w)
    _header(grid, 1, headers)
    last = _rows(grid, 2, rows, wrap_cols=[len(headers)])
    formats = {w("h_percent_agreement"): "0.0", w("h_kappa"): "0.000", w("h_alpha"): "0.000",
               "precision": "0.000", "recall": "0.000", "F1": "0.000"}
    for col, header in enumerate(headers, start=1):  # 1 and 0.951 alike: 1.000
        if header in formats:
            for row in range(2, last + 1):
                grid.restyle(row, col, num_format=formats[header])
    row = last + 2
    for line in agreement_summary(analysis, w):
        _note(grid, row, line)
        row += 1
    return _finish(grid, 1, last, len(headers), freeze="B2", widths={len(headers): 50})


def _codebook_sheet(codebook, w: Words) -> _Grid:
    grid = _Grid()
    headers = [w("h_code_id"), w("h_label"), w("h_parent"), w("h_code_path"), w("h_includes"), w("h_excludes"),
               w("h_example"), w("h_words"), w("h_compounds"), w("h_phrases"), w("h_exclude"), w("h_opposite"),
               w("h_valence"), w("h_color")]
    _header(grid, 1, headers)
    rows = []
    for code in codebook.codes:
        d = code.definition
        kw = dict.fromkeys(mx.KEYWORD_KINDS, "")
        for kind in mx.KEYWORD_KINDS:
            kw[kind] = ", ".join(p for k, p in mx.keyword_items(code) if k == kind)
        rows.append([code.id, code.label, code.parent, codebook.code_path(code.id), getattr(d, "includes", ""),
                     getattr(d, "excludes", ""), getattr(d, "example", ""), kw["words"], kw["compounds"],
                     kw["phrases"], kw["exclude"], kw["opposite_valence"], w.valence(getattr(code, "valence", "")),
                     code.color])
    last = _rows(grid, 2, rows, wrap_cols=range(5, 12))
    for r, code in enumerate(codebook.codes, start=2):
        if code.color and len(code.color) == 7:
            grid.restyle(r, len(headers), fill=code.color[1:])
    _note(grid, last + 2, f"{codebook.name} ({codebook.language}), {w('version')} {codebook.version}")
    return _finish(grid, 1, last, len(headers), freeze="B2", widths={5: 40, 6: 40, 7: 40, 8: 30, 9: 30, 10: 30})


def _cases_sheet(analysis: "Analysis", w: Words) -> _Grid:
    """Pseudonym and attributes of each case (no case id: automatic ids hold the speaker label)."""
    grid = _Grid()
    headers = [w("case"), w("role"), w("study"), *[w.attribute(a) for a in analysis.case_attributes],
               w("h_segments_to_code"), w("h_documents")]
    _header(grid, 1, headers)
    rows = [[c.pseudonym, c.role, c.study, *c.attributes, c.segments_to_code, c.documents] for c in analysis.cases]
    last = _rows(grid, 2, rows)
    return _finish(grid, 1, last, len(headers), freeze="B2")


def _compare_sheet(comparison: "ComparisonResult", w: Words) -> _Grid:
    """Per direction one table (stacked, so that it prints readably on a landscape page): per aspect the
    segments, cases and share of cases of every group, then the differences with the baseline group."""
    from qualcode.analysis.results import Cell, Difference

    grid = _Grid()
    grid.put(1, 1, f"{w('compare')}: {w.attribute(comparison.by)}", TITLE)
    measure_word = {"segments": w("segments"), "cases": w("cases"), "share": w("share")}
    measures = ("segments", "cases", "share")
    blocks = [(g, w.group_heading(g, comparison.n_cases(g)), False) for g in comparison.groups]
    blocks += [(g, w.difference_name(g, comparison.baseline), True) for g in comparison.compared]
    ncols = 1 + len(blocks) * len(measures)
    r = 3
    for d in comparison.directions:
        grid.put(r, 1, w.direction(d), TITLE)
        _header(grid, r + 1, [w("aspect")])
        _header(grid, r + 2, [""])
        grid.merge(r + 1, 1, r + 2, 1)
        col = 2
        for group, title, is_diff in blocks:
            _header(grid, r + 1, [title] + [""] * (len(measures) - 1), col=col)
            grid.merge(r + 1, col, r + 1, col + len(measures) - 1)
            _header(grid, r + 2, [measure_word[m] if m != "share" else ("pp" if is_diff else "%") for m in measures],
                    col=col)
            for i, code in enumerate(comparison.codes):
                row = r + 3 + i
                grid.put(row, 1, w.code(code))
                figures = comparison.difference(code, d, group) if is_diff else comparison.cell(code, d, group)
                for k, m in enumerate(measures):
                    if m == "share" and isinstance(figures, Difference):  # percentage points, as in the report
                        grid.put(row, col + k, figures.points, _Style(num_format='+0" pp";-0" pp";0" pp"'))
                        continue
                    v = figures.share_of_cases if m == "share" else getattr(figures, m)
                    style = PLAIN
                    if isinstance(figures, Cell) and m == "segments" and figures.suggested:
                        style = _Style(bold=True, italic=True)
                    if m == "share":
                        style = replace(style, num_format="0%")
                    elif is_diff:
                        style = replace(style, num_format="+0;-0;0")
                    grid.put(row, col + k, float(v) if m == "share" else int(v), style)
            col += len(measures)
        r += 3 + len(comparison.codes) + 1
    last = r - 2
    r = last + 2
    _note(grid, r, w("legend_sheet"))
    _note(grid, r + 1, f"% = {w('share')} = {w('cases')} / n; pp = {w('difference')} × 100")
    if comparison.has_suggested:
        r += 1
        _note(grid, r + 1, w("suggested_italic"))
    if comparison.codebook_changed:
        r += 2
        versions = "; ".join(f"{g}: {', '.join(mx.short_version(v) for v in vs)}" for g, vs in comparison.versions.items())
        grid.put(r, 1, f"{w('codebook_warning')} ({versions})", BOLD)
        for i, line in enumerate(comparison.codebook_changes, start=1):
            grid.put(r + i, 1, line)
    _finish(grid, 4, last, ncols, freeze="B1", widths={1: 24})
    grid.autofilter = False  # stacked tables: a filter would cover only the first
    # (printed, row 4 repeats on every page, as it always did: openpyxl kept the print titles it was told to drop)
    grid.widths_after_heights = dict.fromkeys(range(2, ncols + 1), 11)
    return grid


def _about_sheet(analysis: "Analysis", w: Words, compare_note: str | None) -> _Grid:
    """The provenance, in the same lines and words as the report's."""
    grid = _Grid()
    _header(grid, 1, [w("item"), w("value")])
    rows = [[w("title_item"), w("title")]]
    rows += [[label, value] for label, value in w.provenance(analysis.provenance, compare_note)]
    rows.append([w("privacy"), w("privacy_note")])
    last = _rows(grid, 2, rows, wrap_cols=[2])
    return _finish(grid, 1, last, 2, widths={1: 36, 2: 90})
