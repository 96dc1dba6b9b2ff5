"""Write transcript text into openpyxl cells so that Excel never reads it as a formula.

Transcripts are untrusted text: a turn such as ``=HYPERLINK(...)`` or ``- en dan...``
must reach the researcher as the words that were said. openpyxl turns any string
that starts with ``=`` into a formula, and Excel re-parses ``= + - @`` when a cell
is edited. :func:`write_text_cell` stores such text as a plain string (``t="s"``)
and sets ``quotePrefix`` so Excel and LibreOffice keep showing it as text.
"""
from __future__ import annotations

import re
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

EXCEL_MAX_CHARS = 32767  # Excel refuses longer cell values
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Control characters that are illegal in XML 1.0 (openpyxl raises on them); \t \n \r are kept.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TRUNCATED = " […]"


def safe_cell_value(text: Any) -> str:
    """``text`` as a string Excel accepts: illegal control characters removed, cut to Excel's cell limit."""
    value = _ILLEGAL.sub("", str(text))
    if len(value) > EXCEL_MAX_CHARS:
        value = value[: EXCEL_MAX_CHARS - len(_TRUNCATED)] + _TRUNCATED
    return value


def looks_like_formula(text: str) -> bool:
    """True when Excel would (re)interpret the text as a formula."""
    return text.startswith(FORMULA_PREFIXES)


def write_text_cell(ws: Worksheet, row: int, col: int, text: Any):
    """Write ``text`` as a text cell (never a formula) and return the cell; None writes an empty cell."""
    cell = ws.cell(row=row, column=col)
    if text is None:
        cell.value = None
        return cell
    value = safe_cell_value(text)
    cell.value = value
    cell.data_type = "s"  # openpyxl marks '=...' as a formula ('f'); force a string
    if looks_like_formula(value):
        cell.quotePrefix = True  # Excel keeps it text when the cell is edited
    return cell


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def write_value_cell(ws: Worksheet, row: int, col: int, value: Any):
    """Numbers, booleans and dates as they are (NaN as empty); every string through :func:`write_text_cell`."""
    if isinstance(value, str):
        return write_text_cell(ws, row, col, value)
    if _is_missing(value):  # NaN / pandas NA: an empty cell, not the text 'nan'
        value = None
    cell = ws.cell(row=row, column=col)
    cell.value = value
    return cell
