"""The results workbook: matrix, matrix per group, quotes, coded segments, per-case table and more.

A rendering of one :class:`~qualcode.analysis.results.Analysis` (read through its
accessors, worded by :mod:`qualcode.outputs.i18n`), made to open cleanly in Excel and
LibreOffice: one header row per table (frozen, with a filter), wrapped
text, sensible widths. Every string goes through :mod:`qualcode.xlsx_safe`, so a
transcript line such as ``=HYPERLINK(...)`` stays text. Respondents appear by
pseudonym only: no speaker labels, no case ids (both may hold real names).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from qualcode.atomic import atomic_path
from qualcode.analysis import matrix as mx
from qualcode.errors import UsageError
from qualcode.outputs.i18n import Words, words
from qualcode.xlsx_safe import write_text_cell, write_value_cell

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

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
    """
    from openpyxl import Workbook

    path = check_path(path, overwrite=overwrite)
    w = words(analysis.codebook)
    warnings = check_size(path, len(analysis.codings), w.sheet("segments"))
    reason = analysis.comparison_left_out
    compare_note = w("no_compare_sheet", reason=reason) if reason else None

    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the default empty sheet
    matrix_ws = wb.create_sheet(w.sheet("matrix"))
    _group_sheet(wb.create_sheet(w.sheet("groups")), analysis, w)
    _quotes_sheet(wb.create_sheet(w.sheet("quotes")), analysis, w)
    links = _segments_sheet(wb.create_sheet(w.sheet("segments")), analysis, w)
    _matrix_sheet(matrix_ws, analysis, w, links)
    _co_occurrence_sheet(wb.create_sheet(w.sheet("co_occurrence")), analysis, w)
    if analysis.presence is not None:
        _presence_sheet(wb.create_sheet(w.sheet("presence")), analysis, w)
    _codebook_sheet(wb.create_sheet(w.sheet("codebook")), analysis.codebook, w)
    _cases_sheet(wb.create_sheet(w.sheet("cases")), analysis, w)
    if analysis.comparison is not None:
        _compare_sheet(wb.create_sheet(w.sheet("compare")), analysis.comparison, w)
    if analysis.agreement is not None:
        _agreement_sheet(wb.create_sheet(w.sheet("agreement")), analysis, w)
    _about_sheet(wb.create_sheet(w.sheet("about")), analysis, w, compare_note)
    wb.properties.creator = "qualcode"
    wb.properties.title = w("title")
    try:
        with atomic_path(path) as tmp:  # a killed export leaves the old workbook or the whole new one
            wb.save(tmp)
    except PermissionError:
        raise UsageError(f"{path}: cannot write (is it open in Excel?); close it or choose another name") from None
    return WorkbookReport(path, tuple(wb.sheetnames), len(analysis.codings), compare_note, tuple(warnings))


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


# -- writing helpers --------------------------------------------------------------------------
def _styles():
    from openpyxl.styles import Alignment, Font, PatternFill

    return {
        "header": Font(bold=True),
        "fill": PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center", vertical="top", wrap_text=True),
        "title": Font(bold=True, size=12),
        "note": Font(italic=True, color="555555"),
    }


def _header(ws: "Worksheet", row: int, headers: Sequence[str], col: int = 1) -> None:
    st = _styles()
    for i, h in enumerate(headers):
        c = write_text_cell(ws, row, col + i, h)
        c.font, c.fill, c.alignment = st["header"], st["fill"], st["center"]


def _rows(ws: "Worksheet", start_row: int, rows: Iterable[Sequence[Any]], wrap_cols: Iterable[int] = ()) -> int:
    """Write rows from ``start_row``; return the last row written."""
    from openpyxl.styles import Alignment

    st = _styles()
    top = Alignment(vertical="top")
    wrap = set(wrap_cols)
    r = start_row - 1
    for r, values in enumerate(rows, start=start_row):
        for c, v in enumerate(values, start=1):
            cell = write_value_cell(ws, r, c, v)
            cell.alignment = st["wrap"] if c in wrap else top
    return r


def _finish(ws: "Worksheet", header_row: int, last_row: int, ncols: int, *, freeze: str | None = None,
            widths: dict[int, float] | None = None) -> None:
    """Freeze the header, filter the table, set widths from content."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.freeze_panes = freeze or f"A{header_row + 1}"
    # printing: landscape, all columns on one page width, the header repeated on every page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{header_row}:{header_row}"
    if ncols:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(ncols)}{max(last_row, header_row)}"
    _autowidth(ws, widths or {})
    _fit_row_heights(ws, header_row)


def _fit_row_heights(ws: "Worksheet", header_row: int) -> None:
    """Row heights for wrapped text (LibreOffice does not recompute them when it opens the file)."""
    import math

    from openpyxl.utils import get_column_letter

    for row in ws.iter_rows(min_row=header_row):
        lines = 1
        for cell in row:
            if cell.value is None or not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            width = ws.column_dimensions[get_column_letter(cell.column)].width or 10
            per_line = max(1, int(width * 1.1) - 2)
            lines = max(lines, sum(max(1, math.ceil(len(part) / per_line)) for part in cell.value.split("\n")))
        if lines > 1 and row[0].row is not None:
            ws.row_dimensions[row[0].row].height = min(409, 15 * lines)


def _autowidth(ws: "Worksheet", fixed: dict[int, float]) -> None:
    from openpyxl.utils import get_column_letter

    longest: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or type(cell).__name__ == "MergedCell" or (cell.font is not None and cell.font.i
                                                                              and not cell.font.b):
                continue  # notes (italic) run over empty cells; they do not set widths
            text = str(cell.value)
            size = max((len(line) for line in text.splitlines()), default=0)
            if cell.font is not None and cell.font.b and cell.alignment is not None and cell.alignment.wrap_text:
                size = min(size, 18)  # wrapped headers may take two lines
            longest[cell.column] = max(longest.get(cell.column, 0), size)
    for col, size in longest.items():
        ws.column_dimensions[get_column_letter(col)].width = fixed.get(col, min(MAX_WIDTH, max(8, size + 2)))
    for col, width in fixed.items():
        ws.column_dimensions[get_column_letter(col)].width = width


def _note(ws: "Worksheet", row: int, text: str, col: int = 1) -> None:
    c = write_text_cell(ws, row, col, text)
    c.font = _styles()["note"]


def _color_scale(ws: "Worksheet", ranges: Sequence[str], max_value: int, end_color: str = SCALE_END) -> None:
    """One white-to-``end_color`` scale over all given ranges, so colours compare across columns."""
    from openpyxl.formatting.rule import ColorScaleRule

    if not ranges:
        return
    rule = ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF",
                          end_type="num", end_value=max(1, max_value), end_color=end_color)
    ws.conditional_formatting.add(" ".join(ranges), rule)


def _share_scales(ws: "Worksheet", analysis: "Analysis", first_col: int, first_row: int, last_row: int,
                  step: int) -> None:
    """0-100 % per direction in the heatmap's hue for it (blue opportunity, orange risk, grey none)."""
    ranges = _share_ranges(first_col, first_row, last_row, len(analysis.directions), step)
    for d, cells in zip(analysis.directions, ranges):
        _color_scale(ws, [cells], 100, SHARE_COLOURS.get(d, SHARE_COLOURS["none"]))


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


def _share_ranges(first_col: int, first_row: int, last_row: int, ndirections: int, step: int) -> list[str]:
    """The % columns: the colour scale is over shares of cases, comparable across groups of any size."""
    from openpyxl.utils import get_column_letter

    return [f"{get_column_letter(first_col + 2 + i * step)}{first_row}:"
            f"{get_column_letter(first_col + 2 + i * step)}{last_row}" for i in range(ndirections)]


# -- the sheets -------------------------------------------------------------------------------
def _matrix_sheet(ws: "Worksheet", analysis: "Analysis", w: Words, links: dict | None = None) -> None:
    """One row per study × aspect (one matrix per study, or all pooled), filterable by study.

    Each segment count links to the first of its segments on the Coded segments sheet.
    """
    with_sugg = analysis.include_suggested
    step = 4 if with_sugg else 3
    headers = [w("study"), w("aspect"), *_matrix_headers(analysis, w, with_sugg), w("n_cases_row")]
    _header(ws, 1, headers)
    rows = []
    for part in analysis.scopes():
        scope = part.study or w.scope(part) or w("all")
        for code in part.codes:
            rows.append([scope, w.code(code), *_matrix_values(part, code, None, with_sugg, analysis.directions),
                         part.n_cases()])
    last = _rows(ws, 2, rows)
    if links:
        r = 2
        for part in analysis.scopes():
            for code in part.codes:
                for i, d in enumerate(analysis.directions):
                    target = links.get((part.study, code, d))
                    if target:
                        from openpyxl.worksheet.hyperlink import Hyperlink

                        cell = ws.cell(r, 3 + i * step)
                        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{w.sheet('segments')}'!A{target}")
                        cell.style = "Hyperlink"
                r += 1
    _share_scales(ws, analysis, 3, 2, last, step)
    ncols = len(headers)
    r = last + 2
    _note(ws, r, w("legend_sheet") + " % = " + w("share") + ".")
    _note(ws, r + 1, f"{w('counted')}: {w.selection(analysis.selection)}")
    if with_sugg:
        _note(ws, r + 2, w("suggested_legend").lstrip("* "))
    _finish(ws, 1, last, ncols, freeze="C2", widths={2: 26})


def _group_sheet(ws: "Worksheet", analysis: "Analysis", w: Words) -> None:
    """Per study × group × aspect a row; per direction segments, cases and share under one merged heading.

    Two header rows (the direction over its short measure names), so that the table fits a
    landscape page without four-line headers.
    """
    st = _styles()
    with_sugg = analysis.include_suggested
    step = 4 if with_sugg else 3
    measures = [w("h_segments_short"), w("cases"), "%"] + ([w("suggested")] if with_sugg else [])
    headers = [w("study"), w.attribute(analysis.by).capitalize() or w("group"), w("aspect")]
    headers += measures * len(analysis.directions)
    headers.append(w("n_cases_row"))
    _header(ws, 2, headers)
    for i, d in enumerate(analysis.directions):
        col = 4 + i * step
        c = write_text_cell(ws, 1, col, w.direction(d))
        c.font, c.fill, c.alignment = st["header"], st["fill"], st["center"]
        ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + step - 1)
    rows = []
    for part in analysis.scopes():
        scope = part.study or w.scope(part) or w("all")
        for group in part.groups:
            for code in part.codes:
                rows.append([scope, group, w.code(code),
                             *_matrix_values(part, code, group, with_sugg, analysis.directions), part.n_cases(group)])
    last = _rows(ws, 3, rows)
    _share_scales(ws, analysis, 4, 3, last, step)
    _note(ws, last + 2, w("legend_sheet") + " % = " + w("share") + ".")
    widths: dict[int, float] = {1: 10, 2: 16, 3: 22, len(headers): 8}
    widths.update({4 + i: 7 for i in range(len(analysis.directions) * step)})
    _finish(ws, 2, last, len(headers), freeze="D3", widths=widths)


def _quotes_sheet(ws: "Worksheet", analysis: "Analysis", w: Words) -> None:
    """Per study and cell the quotes, each with its source and the interviewer's question before it."""
    headers = [w("study"), w("aspect"), w("direction"), w("rank"), w("case"), w("role"), w("document"), w("time"),
               w("segment"), w("question"), w("quote"), w("memo"), w("status")]
    _header(ws, 1, headers)
    rows = []
    for part in analysis.scopes():
        for q in part.quotes:
            p = q.passage
            rows.append([p.study, w.code(q.code), w.direction(q.direction), q.rank, p.pseudonym, p.role, p.document,
                         w.place(p), p.segment_id,
                         p.question, q.text, "\n".join(f"{c}: {t}" for c, t in p.memos),
                         w.status(q.status)])
    last = _rows(ws, 2, rows, wrap_cols=[10, 11, 12])
    _finish(ws, 1, last, len(headers), widths={10: 40, 11: TEXT_WIDTH, 12: 30})


def _segments_sheet(ws: "Worksheet", analysis: "Analysis", w: Words) -> dict[tuple[Any, str, str], int]:
    """One row per segment × code, with the case's pseudonym and attributes (never case id or speaker label).

    Sorted by study, code, direction and segment, so a matrix cell's segments are one block;
    returns the first row of each (study, code, direction) block, for the Matrix sheet's links.
    """
    codebook = analysis.codebook
    order = {c: i for i, c in enumerate(analysis.codes)}
    dorder = {d: i for i, d in enumerate(analysis.directions)}
    df = analysis.codings.copy()
    df["_o"] = [(str(s), order.get(c, 99), dorder.get(d, 9), i) for s, c, d, i in
                zip(df["study"], df["code"], df["direction"], df["segment_id"])]
    df = df.sort_values("_o", kind="mergesort").drop(columns=["_o"])
    memos = {(p.segment_id, p.code, p.direction): "\n".join(f"{c}: {t}" for c, t in p.memos)
             for p in analysis.passages}
    sources = {p.segment_id: p for p in analysis.passages}
    attr_cols = [c for c in df.columns if c not in (*_SEGMENT_FIXED, "case_id")]
    headers = [w("study"), w("document"), w("case"), w("role"), *[w.attribute(c) for c in attr_cols], w("h_speaker"),
               w("h_text"), w("h_code_id"), w("aspect"), w("h_code_path"), w("direction"), w("h_origin"),
               w("status"), w("h_coder"), w("h_segment_id"), w("h_source_row"), w("h_position"), w("time"), w("memo")]
    _header(ws, 1, headers)

    def path(code: str) -> str:
        try:
            return codebook.code_path(code)
        except (KeyError, LookupError):
            return code

    rows = [[r["study"], r["document"], r["pseudonym"], r["role"], *[r[c] for c in attr_cols], r["speaker"],
             r["text"], r["code"], w.code(r["code"]), path(r["code"]),
             w.direction(r["direction"]), w.origin(r["origin"]), w.status(r["status"]), r["coder"],
             int(r["segment_id"]), r["source_row"], _position(sources, r), _time(sources, r, w),
             memos.get((int(r["segment_id"]), r["code"], r["direction"]), "")] for r in df.to_dict("records")]
    text_col = headers.index(w("h_text")) + 1
    last = _rows(ws, 2, rows, wrap_cols=[text_col, len(headers)])
    _finish(ws, 1, last, len(headers), widths={text_col: TEXT_WIDTH, len(headers): 40})
    links: dict[tuple[Any, str, str], int] = {}
    for row_number, r in enumerate(df.to_dict("records"), start=2):
        links.setdefault((r["study"], r["code"], r["direction"]), row_number)
        links.setdefault((None, r["code"], r["direction"]), row_number)
    return links


def _position(sources: dict, r: dict) -> Any:
    p = sources.get(int(r["segment_id"]))
    return p.position if p is not None else None


def _time(sources: dict, r: dict, w: Words) -> str:
    p = sources.get(int(r["segment_id"]))
    return w.timestamp(p.start_time) if p is not None else ""


_SEGMENT_FIXED = ("segment_id", "document", "study", "pseudonym", "role", "speaker", "text", "code", "direction",
                  "origin", "status", "coder", "source_row", "codebook_version")


def _co_occurrence_sheet(ws: "Worksheet", analysis: "Analysis", w: Words) -> None:
    """Per study the pairs of aspect × direction coded on the same segment, with segments and cases."""
    headers = [w("study"), w("first"), w("second"), w("segments"), w("cases"), w("segment")]
    _header(ws, 1, headers)
    rows = []
    for part in analysis.scopes():
        scope = part.study or w.scope(part) or w("all")
        for pair in part.co_occurrence:
            rows.append([scope, f"{w.code(pair.first[0])} — {w.direction(pair.first[1])}",
                         f"{w.code(pair.second[0])} — {w.direction(pair.second[1])}", pair.segments, pair.cases,
                         ", ".join(str(i) for i in pair.segment_ids)])
    last = _rows(ws, 2, rows, wrap_cols=[6])
    _note(ws, last + 2, w("co_occurrence_legend"))
    _finish(ws, 1, last, len(headers), widths={2: 30, 3: 30, 6: 40})


def _presence_sheet(ws: "Worksheet", analysis: "Analysis", w: Words) -> None:
    """Per case 0/1 and counts per aspect × direction; the variable names in the codebook's words (R/SPSS-safe)."""
    frame = analysis.presence
    if frame is None:
        raise ValueError("a presence sheet needs the analysis made with presence=True")
    names = {"case": w("case"), "role": w("role"), "study": w("study"),
             "segments": w("h_segments_to_code"), "suggested_codings": w("suggested")}
    for code in analysis.codes:
        for d in ("opportunity", "risk", "none"):
            label = f"{w.code(code)}_{w.direction(d)}"
            names[mx.variable_name(f"{code}_{d}")] = mx.variable_name(label)
            names[mx.variable_name(f"n_{code}_{d}")] = mx.variable_name(f"n_{label}")
    header = [names.get(str(c), w.attribute(str(c))) for c in frame.columns]
    _header(ws, 1, header)
    last = _rows(ws, 2, frame.itertuples(index=False))
    _finish(ws, 1, last, len(header), freeze="B2")


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


def _agreement_sheet(ws: "Worksheet", analysis: "Analysis", w: Words) -> None:
    headers, rows = agreement_rows(analysis, w)
    _header(ws, 1, headers)
    last = _rows(ws, 2, rows, wrap_cols=[len(headers)])
    formats = {w("h_percent_agreement"): "0.0", w("h_kappa"): "0.000", w("h_alpha"): "0.000",
               "precision": "0.000", "recall": "0.000", "F1": "0.000"}
    for col, header in enumerate(headers, start=1):  # 1 and 0.951 alike: 1.000
        if header in formats:
            for row in range(2, last + 1):
                ws.cell(row, col).number_format = formats[header]
    row = last + 2
    for line in agreement_summary(analysis, w):
        _note(ws, row, line)
        row += 1
    _finish(ws, 1, last, len(headers), freeze="B2", widths={len(headers): 50})


def _codebook_sheet(ws: "Worksheet", codebook, w: Words) -> None:
    from openpyxl.styles import PatternFill

    headers = [w("h_code_id"), w("h_label"), w("h_parent"), w("h_code_path"), w("h_includes"), w("h_excludes"),
               w("h_example"), w("h_words"), w("h_compounds"), w("h_phrases"), w("h_exclude"), w("h_opposite"),
               w("h_valence"), w("h_color")]
    _header(ws, 1, headers)
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
    last = _rows(ws, 2, rows, wrap_cols=range(5, 12))
    for r, code in enumerate(codebook.codes, start=2):
        if code.color and len(code.color) == 7:
            ws.cell(r, len(headers)).fill = PatternFill("solid", start_color=code.color[1:], end_color=code.color[1:])
    _note(ws, last + 2, f"{codebook.name} ({codebook.language}), {w('version')} {codebook.version}")
    _finish(ws, 1, last, len(headers), freeze="B2", widths={5: 40, 6: 40, 7: 40, 8: 30, 9: 30, 10: 30})


def _cases_sheet(ws: "Worksheet", analysis: "Analysis", w: Words) -> None:
    """Pseudonym and attributes of each case (no case id: automatic ids hold the speaker label)."""
    headers = [w("case"), w("role"), w("study"), *[w.attribute(a) for a in analysis.case_attributes],
               w("h_segments_to_code"), w("h_documents")]
    _header(ws, 1, headers)
    rows = [[c.pseudonym, c.role, c.study, *c.attributes, c.segments_to_code, c.documents] for c in analysis.cases]
    last = _rows(ws, 2, rows)
    _finish(ws, 1, last, len(headers), freeze="B2")


def _compare_sheet(ws: "Worksheet", comparison: "ComparisonResult", w: Words) -> None:
    """Per direction one table (stacked, so that it prints readably on a landscape page): per aspect the
    segments, cases and share of cases of every group, then the differences with the baseline group."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from qualcode.analysis.results import Cell, Difference

    st = _styles()
    write_text_cell(ws, 1, 1, f"{w('compare')}: {w.attribute(comparison.by)}").font = st["title"]
    measure_word = {"segments": w("segments"), "cases": w("cases"), "share": w("share")}
    measures = ("segments", "cases", "share")
    blocks = [(g, w.group_heading(g, comparison.n_cases(g)), False) for g in comparison.groups]
    blocks += [(g, w.difference_name(g, comparison.baseline), True) for g in comparison.compared]
    ncols = 1 + len(blocks) * len(measures)
    r = 3
    for d in comparison.directions:
        write_text_cell(ws, r, 1, w.direction(d)).font = st["title"]
        _header(ws, r + 1, [w("aspect")])
        _header(ws, r + 2, [""])
        ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 2, end_column=1)
        col = 2
        for group, title, is_diff in blocks:
            _header(ws, r + 1, [title] + [""] * (len(measures) - 1), col=col)
            ws.merge_cells(start_row=r + 1, start_column=col, end_row=r + 1, end_column=col + len(measures) - 1)
            _header(ws, r + 2, [measure_word[m] if m != "share" else ("pp" if is_diff else "%") for m in measures],
                    col=col)
            for i, code in enumerate(comparison.codes):
                row = r + 3 + i
                write_text_cell(ws, row, 1, w.code(code))
                figures = comparison.difference(code, d, group) if is_diff else comparison.cell(code, d, group)
                for k, m in enumerate(measures):
                    if m == "share" and isinstance(figures, Difference):  # percentage points, as in the report
                        cell = write_value_cell(ws, row, col + k, figures.points)
                        cell.number_format = '+0" pp";-0" pp";0" pp"'
                        continue
                    v = figures.share_of_cases if m == "share" else getattr(figures, m)
                    cell = write_value_cell(ws, row, col + k, float(v) if m == "share" else int(v))
                    if isinstance(figures, Cell) and m == "segments" and figures.suggested:
                        cell.font = Font(italic=True, bold=True)
                    if m == "share":
                        cell.number_format = "0%"
                    elif is_diff:
                        cell.number_format = "+0;-0;0"
            col += len(measures)
        r += 3 + len(comparison.codes) + 1
    last = r - 2
    r = last + 2
    _note(ws, r, w("legend_sheet"))
    _note(ws, r + 1, f"% = {w('share')} = {w('cases')} / n; pp = {w('difference')} × 100")
    if comparison.has_suggested:
        r += 1
        _note(ws, r + 1, w("suggested_italic"))
    if comparison.codebook_changed:
        r += 2
        versions = "; ".join(f"{g}: {', '.join(mx.short_version(v) for v in vs)}" for g, vs in comparison.versions.items())
        c = write_text_cell(ws, r, 1, f"{w('codebook_warning')} ({versions})")
        c.font = st["header"]
        for i, line in enumerate(comparison.codebook_changes, start=1):
            write_text_cell(ws, r + i, 1, line)
    _finish(ws, 4, last, ncols, freeze="B1", widths={1: 24})
    ws.auto_filter.ref = None  # stacked tables: a filter would cover only the first
    ws.print_title_rows = None
    for c in range(2, ncols + 1):
        ws.column_dimensions[get_column_letter(c)].width = 11


def _about_sheet(ws: "Worksheet", analysis: "Analysis", w: Words, compare_note: str | None) -> None:
    """The provenance, in the same lines and words as the report's."""
    _header(ws, 1, [w("item"), w("value")])
    rows = [[w("title_item"), w("title")]]
    rows += [[label, value] for label, value in w.provenance(analysis.provenance, compare_note)]
    rows.append([w("privacy"), w("privacy_note")])
    last = _rows(ws, 2, rows, wrap_cols=[2])
    _finish(ws, 1, last, 2, widths={1: 36, 2: 90})
