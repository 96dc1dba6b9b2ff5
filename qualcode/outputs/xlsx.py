"""The results workbook: matrix, matrix per group, quotes, coded segments, per-case table and more.

A rendering of the DataFrames in :mod:`qualcode.matrix`, made to open cleanly in
Excel and LibreOffice: one header row per table (frozen, with a filter), wrapped
text, sensible widths. Every string goes through :mod:`qualcode.xlsx_safe`, so a
transcript line such as ``=HYPERLINK(...)`` stays text. Respondents appear by
pseudonym only: no speaker labels, no case ids (both may hold real names).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import pandas as pd

from qualcode.analysis import matrix as mx
from qualcode.errors import UsageError
from qualcode.analysis.selection import check_attribute, provenance, select_codings
from qualcode.xlsx_safe import write_text_cell, write_value_cell
from qualcode.coding.codebook import stored_codebook

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from qualcode.store import Store

SHEETS = ("Matrix", "Matrix by group", "Quotes", "Coded segments", "Code presence per case", "Codebook", "Cases",
          "Compare", "About")
HEADER_FILL = "DDE4EE"
SCALE_END = "E8743B"  # warm orange: many segments
MAX_WIDTH = 60
TEXT_WIDTH = 80


@dataclass(frozen=True)
class WorkbookReport:
    path: Path
    sheets: tuple[str, ...]
    codings: int
    compare_note: str | None = None  # why there is no Compare sheet, or a warning about it


def export_workbook(
    store: "Store",
    path: str | Path,
    *,
    coder: str | None = None,
    reconciled: bool = False,
    include_suggested: bool = False,
    study: str | None = None,
    by: str | None = None,
    compare_by: str | None = None,
    allow_codebook_change: bool = False,
    per_cell: int = 3,
    agreement: tuple[str, str] | None = None,
    overwrite: bool = False,
) -> WorkbookReport:
    """Write the results workbook to ``path``; ``by`` splits the group sheet (default: role).

    ``agreement=(coder_a, coder_b)`` adds an Agreement sheet (kappa, alpha per code).

    A Compare sheet is written when ``compare_by`` is given, or, by study, when the
    selection covers two or more studies.
    """
    from openpyxl import Workbook

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"{path}: the workbook must end in .xlsx")
    if not path.parent.exists():
        raise UsageError(f"{path}: folder {path.parent} does not exist; create it first")
    if path.exists() and not overwrite:
        raise UsageError(f"{path}: already exists; pass --force to replace it, or choose another name")
    check_attribute(store, by)
    check_attribute(store, compare_by, "--compare-by")
    codebook = stored_codebook(store)
    df = select_codings(store, coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study)
    group_by = by or "role"
    result = mx.opportunity_risk_matrix(df, codebook, by=group_by)
    comparison, compare_note = mx.chosen_comparison(store, df, codebook, compare_by=compare_by,
                                               allow_codebook_change=allow_codebook_change)
    compare_note = f"no Compare sheet: {compare_note}" if compare_note else None
    info = provenance(store, df, codebook, by=group_by, compare_by=comparison.by if comparison else None,
                      per_cell=per_cell)

    wb = Workbook()
    wb.remove(wb.active)
    _matrix_sheet(wb.create_sheet("Matrix"), result, codebook, info)
    _group_sheet(wb.create_sheet("Matrix by group"), result, codebook)
    _quotes_sheet(wb.create_sheet("Quotes"), mx.quotes(df, codebook, per_cell=per_cell), codebook)
    _segments_sheet(wb.create_sheet("Coded segments"), df, codebook)
    _frame_sheet(wb.create_sheet("Code presence per case"), mx.code_presence_per_case(df, store, codebook))
    _codebook_sheet(wb.create_sheet("Codebook"), codebook)
    _cases_sheet(wb.create_sheet("Cases"), store, study)
    if comparison is not None:
        _compare_sheet(wb.create_sheet("Compare"), comparison, codebook)
    if agreement is not None:
        _agreement_sheet(wb.create_sheet("Agreement"), store, agreement, by)
    _about_sheet(wb.create_sheet("About"), info, codebook, compare_note)
    wb.properties.creator = "qualcode"
    wb.properties.title = mx.ui(codebook, "title")
    try:
        wb.save(path)
    except PermissionError:
        raise UsageError(f"{path}: cannot write (is it open in Excel?); close it or choose another name") from None
    return WorkbookReport(path, tuple(wb.sheetnames), len(df), compare_note)


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

    ws.freeze_panes = freeze or f"A{header_row + 1}"
    # printing: landscape, all columns on one page width, the header repeated on every page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
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
        if lines > 1:
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


def _color_scale(ws: "Worksheet", ranges: Sequence[str], max_value: int) -> None:
    """One white-to-orange scale over all given ranges, so colours compare across columns."""
    from openpyxl.formatting.rule import ColorScaleRule

    if not ranges:
        return
    rule = ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF",
                          end_type="num", end_value=max(1, max_value), end_color=SCALE_END)
    ws.conditional_formatting.add(" ".join(ranges), rule)


def _matrix_headers(result: mx.MatrixResult, codebook, with_suggested: bool) -> list[str]:
    headers = []
    for d in result.directions:
        dl = mx.direction_label(codebook, d)
        headers += [f"{dl}: {mx.ui(codebook, 'segments')}", f"{dl}: {mx.ui(codebook, 'cases')}"]
        if with_suggested:
            headers.append(f"{dl}: {mx.ui(codebook, 'suggested')}")
    return headers


def _matrix_values(result: mx.MatrixResult, frame: pd.DataFrame, sugg: pd.DataFrame, label: str,
                   with_suggested: bool) -> list[int]:
    values = []
    for d in result.directions:
        values += [int(frame.loc[label, (d, "segments")]), int(frame.loc[label, (d, "cases")])]
        if with_suggested:
            values.append(int(sugg.loc[label, d]))
    return values


def _segment_ranges(first_col: int, first_row: int, last_row: int, ndirections: int, step: int) -> list[str]:
    from openpyxl.utils import get_column_letter

    return [f"{get_column_letter(first_col + i * step)}{first_row}:{get_column_letter(first_col + i * step)}{last_row}"
            for i in range(ndirections)]


# -- the sheets -------------------------------------------------------------------------------
def _matrix_sheet(ws: "Worksheet", result: mx.MatrixResult, codebook, info: dict[str, Any]) -> None:
    with_sugg = bool(result.selection.get("include_suggested"))
    step = 3 if with_sugg else 2
    _header(ws, 1, [mx.ui(codebook, "aspect"), *_matrix_headers(result, codebook, with_sugg)])
    rows = [[label, *_matrix_values(result, result.matrix, result.suggested, label, with_sugg)]
            for label in result.matrix.index]
    last = _rows(ws, 2, rows)
    seg_max = int(result.matrix.xs("segments", axis=1, level="measure").to_numpy().max()) if len(rows) else 0
    _color_scale(ws, _segment_ranges(2, 2, last, len(result.directions), step), seg_max)
    ncols = 1 + step * len(result.directions)
    r = last + 2
    write_text_cell(ws, r, 1, "n cases")
    write_value_cell(ws, r, 2, result.n_cases)
    _note(ws, r, mx.ui(codebook, "n_cases"), col=3)
    _note(ws, r + 1, mx.ui(codebook, "legend_sheet"))
    _note(ws, r + 2, f"{mx.ui(codebook, 'counted')}: {info['counted']}")
    if with_sugg:
        _note(ws, r + 3, mx.ui(codebook, "suggested_legend").lstrip("* "))
    _finish(ws, 1, last, ncols, freeze="B2", widths={1: 26})


def _group_sheet(ws: "Worksheet", result: mx.MatrixResult, codebook) -> None:
    """One block of columns per group value, side by side, under a title naming the group and its n."""
    from openpyxl.utils import get_column_letter

    st = _styles()
    with_sugg = bool(result.selection.get("include_suggested"))
    step = 3 if with_sugg else 2
    headers = _matrix_headers(result, codebook, with_sugg)
    write_text_cell(ws, 1, 1, f"{mx.ui(codebook, 'group')}: {result.by}").font = st["title"]
    _header(ws, 2, [mx.ui(codebook, "aspect")])
    col = 2
    ranges: list[str] = []
    seg_max = 0
    last = 2 + len(result.matrix.index)
    for label_row, label in enumerate(result.matrix.index, start=3):
        write_text_cell(ws, label_row, 1, label)
    for group, frame in result.groups.items():
        title = f"{group} (n = {result.group_n_cases[group]})"
        c = write_text_cell(ws, 1, col, title)
        c.font, c.alignment = st["title"], st["center"]
        ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + len(headers) - 1)
        _header(ws, 2, headers, col=col)
        for r, label in enumerate(frame.index, start=3):
            for i, v in enumerate(_matrix_values(result, frame, result.group_suggested[group], label, with_sugg)):
                write_value_cell(ws, r, col + i, v)
        ranges += _segment_ranges(col, 3, last, len(result.directions), step)
        if len(frame):
            seg_max = max(seg_max, int(frame.xs("segments", axis=1, level="measure").to_numpy().max()))
        col += len(headers)
    _color_scale(ws, ranges, seg_max)
    _note(ws, last + 2, mx.ui(codebook, "legend_sheet"))
    _finish(ws, 2, last, col - 1, freeze="B3", widths={1: 26})
    for c in range(2, col):
        ws.column_dimensions[get_column_letter(c)].width = 14


def _quotes_sheet(ws: "Worksheet", q: pd.DataFrame, codebook) -> None:
    u = lambda k: mx.ui(codebook, k)  # noqa: E731
    headers = [u("aspect"), u("direction"), u("rank"), u("case"), u("segment"), u("quote"), u("status"), u("study")]
    _header(ws, 1, headers)
    status = {"accepted": u("accepted"), "suggested": u("suggestion")}
    rows = [[r.aspect, r.direction_label, r.rank, r.pseudonym, r.segment_id, r.text, status.get(r.status, r.status),
             r.study] for r in q.itertuples()]
    last = _rows(ws, 2, rows, wrap_cols=[6])
    _finish(ws, 1, last, len(headers), widths={6: TEXT_WIDTH})


def _segments_sheet(ws: "Worksheet", df: pd.DataFrame, codebook) -> None:
    """One row per segment × code, with the case's pseudonym and attributes (never case id or speaker label)."""
    attr_cols = [c for c in df.columns if c not in (*_SEGMENT_FIXED, "case_id")]
    headers = ["study", "document", "case", "role", *attr_cols, "speaker", "text", "code", "aspect", "code path",
               "direction", "direction label", "origin", "status", "coder", "segment id", "source row"]
    _header(ws, 1, headers)

    def path(code: str) -> str:
        try:
            return codebook.code_path(code)
        except (KeyError, LookupError):
            return code

    rows = [[r["study"], r["document"], r["pseudonym"], r["role"], *[r[c] for c in attr_cols], r["speaker"],
             r["text"], r["code"], mx.code_label(codebook, r["code"]), path(r["code"]), r["direction"],
             mx.direction_label(codebook, r["direction"]), r["origin"], r["status"], r["coder"],
             int(r["segment_id"]), r["source_row"]] for r in df.to_dict("records")]
    text_col = headers.index("text") + 1
    last = _rows(ws, 2, rows, wrap_cols=[text_col])
    _finish(ws, 1, last, len(headers), widths={text_col: TEXT_WIDTH})


_SEGMENT_FIXED = ("segment_id", "document", "study", "pseudonym", "role", "speaker", "text", "code", "direction",
                  "origin", "status", "coder", "source_row", "codebook_version")


def _frame_sheet(ws: "Worksheet", frame: pd.DataFrame) -> None:
    _header(ws, 1, [str(c) for c in frame.columns])
    last = _rows(ws, 2, frame.itertuples(index=False))
    _finish(ws, 1, last, len(frame.columns), freeze="B2")


def _agreement_sheet(ws: "Worksheet", store: "Store", coders: tuple[str, str], by: str | None) -> None:
    from qualcode.analysis.agreement import agreement, agreement_frame

    frame = agreement_frame(agreement(store, coders[0], coders[1], by=by))
    _frame_sheet(ws, frame)
    row = ws.max_row + 2
    for line in frame.attrs.get("summary", []):
        _note(ws, row, str(line))
        row += 1


def _codebook_sheet(ws: "Worksheet", codebook) -> None:
    from openpyxl.styles import PatternFill

    headers = ["code", "label", "parent", "code path", "includes", "excludes", "example", "words", "compounds",
               "phrases", "exclude", "opposite valence", "valence", "color"]
    _header(ws, 1, headers)
    rows = []
    for code in codebook.codes:
        d = code.definition
        kw = dict.fromkeys(mx.KEYWORD_KINDS, "")
        for kind in mx.KEYWORD_KINDS:
            kw[kind] = ", ".join(p for k, p in mx.keyword_items(code) if k == kind)
        rows.append([code.id, code.label, code.parent, codebook.code_path(code.id), getattr(d, "includes", ""),
                     getattr(d, "excludes", ""), getattr(d, "example", ""), kw["words"], kw["compounds"],
                     kw["phrases"], kw["exclude"], kw["opposite_valence"], getattr(code, "valence", ""), code.color])
    last = _rows(ws, 2, rows, wrap_cols=range(5, 12))
    for r, code in enumerate(codebook.codes, start=2):
        if code.color and len(code.color) == 7:
            ws.cell(r, len(headers)).fill = PatternFill("solid", start_color=code.color[1:], end_color=code.color[1:])
    _note(ws, last + 2, f"{codebook.name} ({codebook.language}), version {codebook.version}")
    _finish(ws, 1, last, len(headers), freeze="B2", widths={5: 40, 6: 40, 7: 40, 8: 30, 9: 30, 10: 30})


def _cases_sheet(ws: "Worksheet", store: "Store", study: str | None) -> None:
    """Pseudonym and attributes of each case (no case id: automatic ids hold the speaker label)."""
    from qualcode.analysis.selection import attribute_columns, case_rows
    from qualcode.store.documents import counts_per_case_to_code

    counts = counts_per_case_to_code(store.con)
    cases = case_rows(store)
    attrs = attribute_columns(store)
    headers = ["case", "role", "study", *attrs, "segments to code", "documents"]
    _header(ws, 1, headers)
    rows = []
    for case_id, c in sorted(cases.items(), key=lambda kv: (str(kv[1]["pseudonym"]), kv[0])):
        if study is not None and c.get("case_study") != study:
            continue
        n, docs = counts.get(case_id, (0, 0))
        rows.append([c["pseudonym"], c["role"], c["case_study"], *[c.get(a) for a in attrs], int(n or 0), int(docs)])
    last = _rows(ws, 2, rows)
    _finish(ws, 1, last, len(headers), freeze="B2")


def _compare_sheet(ws: "Worksheet", comparison: mx.Comparison, codebook) -> None:
    from openpyxl.styles import Font

    st = _styles()
    table = comparison.table
    blocks = list(dict.fromkeys(table.columns.get_level_values(0)))
    write_text_cell(ws, 1, 1, f"{mx.ui(codebook, 'compare')}: {comparison.by}").font = st["title"]
    _header(ws, 2, [mx.ui(codebook, "aspect")])
    measure_word = {"segments": mx.ui(codebook, "segments"), "cases": mx.ui(codebook, "cases"),
                    "share": mx.ui(codebook, "share")}
    col = 2
    for block in blocks:
        sub = table[block]
        title = f"{block} (n = {comparison.n_cases[block]})" if block in comparison.n_cases else block
        c = write_text_cell(ws, 1, col, title)
        c.font, c.alignment = st["title"], st["center"]
        ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + len(sub.columns) - 1)
        headers = [f"{mx.direction_label(codebook, d)}: {measure_word[m]}" for d, m in sub.columns]
        _header(ws, 2, headers, col=col)
        is_diff = block not in comparison.n_cases
        for r, label in enumerate(table.index, start=3):
            write_text_cell(ws, r, 1, label)
            for i, (d, m) in enumerate(sub.columns):
                v = sub.loc[label, (d, m)]
                cell = write_value_cell(ws, r, col + i, float(v) if m == "share" else int(v))
                if not is_diff and m == "segments" and comparison.result.group_suggested[block].loc[label, d]:
                    cell.font = Font(italic=True, bold=True)
                if m == "share":
                    cell.number_format = "+0%;-0%;0%" if is_diff else "0%"
                elif is_diff:
                    cell.number_format = "+0;-0;0"
        col += len(sub.columns)
    last = 2 + len(table.index)
    r = last + 2
    _note(ws, r, mx.ui(codebook, "legend_sheet"))
    _note(ws, r + 1, f"{mx.ui(codebook, 'share')} = {mx.ui(codebook, 'cases')} / n")
    if comparison.result.has_suggested:
        r += 1
        _note(ws, r + 1, mx.ui(codebook, "suggested_italic"))
    if comparison.codebook_changed:
        r += 2
        versions = "; ".join(f"{g}: {', '.join(mx.short_version(v) for v in vs)}" for g, vs in comparison.versions.items())
        c = write_text_cell(ws, r, 1, f"{mx.ui(codebook, 'codebook_warning')} ({versions})")
        c.font = st["header"]
        for i, line in enumerate(comparison.codebook_changes, start=1):
            write_text_cell(ws, r + i, 1, line)
    _finish(ws, 2, last, col - 1, freeze="B3", widths={1: 26})
    from openpyxl.utils import get_column_letter

    for c in range(2, col):
        ws.column_dimensions[get_column_letter(c)].width = 14


def _about_sheet(ws: "Worksheet", info: dict[str, Any], codebook, compare_note: str | None) -> None:
    _header(ws, 1, ["item", "value"])
    rows = [
        ["title", mx.ui(codebook, "title")],
        ["codebook", info["codebook"]],
        ["codebook version", info["codebook_version"]],
        ["codebook language", info["codebook_language"]],
        ["project file", info["project_file"]],
        ["project id", info["project_id"]],
        ["date (UTC)", info["date"]],
        ["qualcode version", info["qualcode_version"]],
        ["codings counted", info["counted"]],
        ["filters and options", info["filters"]],
        ["segments to code", info["segments_to_code"]],
        ["coded segments", info["coded_segments"]],
        ["codings (segment × code × direction)", info["codings"]],
        ["of which machine suggestions", info["suggested_codings"]],
        ["cases with segments to code", info["cases"]],
        ["privacy", "cases appear by pseudonym only; speaker labels and case ids are left out"],
    ]
    if compare_note:
        rows.append(["compare", compare_note])
    last = _rows(ws, 2, rows, wrap_cols=[2])
    _finish(ws, 1, last, 2, widths={1: 36, 2: 90})
