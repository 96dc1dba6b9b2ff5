"""Write transcript text into workbook cells so that Excel never reads it as a formula.

Transcripts are untrusted text: a turn such as ``=HYPERLINK(...)`` or ``- en dan...``
must reach the researcher as the words that were said. openpyxl turns any string
that starts with ``=`` into a formula, and Excel re-parses ``= + - @`` when a cell
is edited. :func:`write_text_cell` stores such text as a plain string (``t="s"``)
and sets ``quotePrefix`` so Excel and LibreOffice keep showing it as text.

Workbooks written row by row (XlsxWriter's constant-memory mode) do the same through
:func:`streamed_workbook` and :class:`StreamedCells`.
"""
from __future__ import annotations

import functools
import io
import numbers
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from typing import Any, Callable, Hashable, Iterator, Mapping

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


def is_missing(value: Any) -> bool:
    """None, NaN and pandas' NA: written as an empty cell."""
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
    if is_missing(value):  # NaN / pandas NA: an empty cell, not the text 'nan'
        value = None
    cell = ws.cell(row=row, column=col)
    cell.value = value
    return cell


# -- XlsxWriter: workbooks streamed row by row --------------------------------------------------
# Strings stay strings (never formulas, numbers or links), and rows go to disk as they are written.
STREAMING_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                     "strings_to_urls": False}
RECURRING_TEXT = 64  # a text cell up to this long may recur (a code, a status, a case): its XML is kept
RECURRING_CELLS = 50_000  # at most this many cells' XML is kept per worksheet


_ROWS_PREFIX = "qualcode-xlsx-"  # + the writing process's id + "-": a folder of streamed rows
_ROWS_FOLDER = re.compile(re.escape(_ROWS_PREFIX) + r"(\d+)-")


def _remove_rows_of_ended_processes() -> None:
    """Remove the row folders that processes killed while writing a workbook left (no ``finally`` runs
    on SIGKILL or power loss): their files hold the cells' text, transcript quotes among them. A folder
    goes only when its process no longer runs and it is this user's (POSIX; elsewhere nothing is removed)."""
    if os.name != "posix":
        return
    folder = tempfile.gettempdir()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _ROWS_FOLDER.match(entry.name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            os.kill(int(match.group(1)), 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:  # another user's process (PermissionError), or the entry went away
            continue


@contextmanager
def streamed_workbook(path: str | os.PathLike[str]) -> Iterator[Any]:
    """An XlsxWriter workbook for ``path`` in ``constant_memory`` mode (each row goes to disk
    when the next begins), saved when the block ends.

    Its rows wait in temporary files of a folder of its own, which is removed however the block
    ends: a block that fails leaves no temporary file and saves nothing (write to the temporary
    path of :func:`qualcode.atomic.atomic_path`, so no partial workbook is left either). The
    folder of a process that was killed is removed by the next workbook written.
    """
    from xlsxwriter import Workbook

    _remove_rows_of_ended_processes()
    with tempfile.TemporaryDirectory(prefix=f"{_ROWS_PREFIX}{os.getpid()}-") as rows_folder:
        wb = Workbook(os.fspath(path), {**STREAMING_OPTIONS, "tmpdir": rows_folder})
        wb.worksheet_class = recurring_cells_worksheet()
        try:
            yield wb
        except BaseException:
            for ws in wb.worksheets():  # closed before their folder is removed (Windows keeps open files)
                fh = getattr(ws, "row_data_fh", None)
                if fh is not None and not fh.closed:
                    fh.close()
            raise
        wb.close()


@functools.lru_cache(maxsize=None)
def recurring_cells_worksheet() -> type:
    """XlsxWriter's worksheet, but a cell that it wrote before (the same blank or short text in the same
    format: codes, statuses, cases and documents recur row after row) gets a copy of the XML that
    XlsxWriter made for it, instead of being escaped and put together again: the same file, in about
    half the time for a sheet of such cells.

    Only the cell's reference differs between the copies, so the XML is kept without it; a cell is
    copied only when XlsxWriter's XML for it begins with that reference (and so can be told apart),
    and only cells with a format of their own (without one, the row's or column's format applies).
    """
    from xlsxwriter.utility import xl_col_to_name
    from xlsxwriter.worksheet import Worksheet

    class RecurringCellsWorksheet(Worksheet):
        fh: Any  # where XlsxWriter writes the sheet's XML

        def __init__(self) -> None:
            super().__init__()
            self._cell_xml: dict[Any, str] = {}  # per cell (kind, value, format) its XML after the reference
            self._column_names: dict[int, str] = {}

        def _write_cell(self, row: int, col: int, cell: Any, *args: Any, **kwargs: Any) -> None:
            kind = type(cell).__name__
            if args or kwargs or getattr(cell, "format", None) is None or not (
                    kind == "Blank" or (kind == "String" and isinstance(cell.string, str)
                                        and len(cell.string) <= RECURRING_TEXT)):
                super()._write_cell(row, col, cell, *args, **kwargs)
                return
            name = self._column_names.get(col)
            if name is None:
                name = self._column_names[col] = xl_col_to_name(col)
            key = (kind, cell)
            xml = self._cell_xml.get(key)
            if xml is not None:
                self.fh.write(f'<c r="{name}{row + 1}"{xml}')
                return
            real, self.fh = self.fh, io.StringIO()
            try:
                super()._write_cell(row, col, cell)
                made = self.fh.getvalue()
            finally:
                self.fh = real
            real.write(made)
            start = f'<c r="{name}{row + 1}"'
            if made.startswith(start) and len(self._cell_xml) < RECURRING_CELLS:
                self._cell_xml[key] = made[len(start):]

    return RecurringCellsWorksheet


class StreamedCells:
    """Cells of a :func:`streamed_workbook`, in formats named by any hashable key.

    Text is written with ``write_string``: a text cell, never a formula, with Excel's quote
    prefix when it starts with ``= + - @`` (as :func:`write_text_cell` does for openpyxl
    sheets), so it stays those characters when the cell is edited. A format is defined once
    (its XlsxWriter properties) and made when first used, with and without the quote prefix.
    """

    def __init__(self, wb: Any, styles: Mapping[Any, Mapping[str, Any]] | None = None):
        self.wb = wb
        self._styles: dict[Hashable, dict[str, Any]] = {k: dict(v) for k, v in (styles or {}).items()}
        self._formats: dict[tuple[Hashable, bool], Any] = {}
        self._writers: dict[Hashable, Callable[[Any, int, int, Any], None]] = {}

    def define(self, style: Hashable, properties: Mapping[str, Any]) -> None:
        """Name the format ``style`` (a second definition of the same name is ignored)."""
        self._styles.setdefault(style, dict(properties))

    def __contains__(self, style: Hashable) -> bool:
        return style in self._styles

    def format(self, style: Hashable, quoted: bool = False) -> Any:
        fmt = self._formats.get((style, quoted))
        if fmt is None:
            fmt = self._formats[style, quoted] = self.wb.add_format(
                {**self._styles[style], **({"quote_prefix": True} if quoted else {})})
        return fmt

    def text(self, ws: Any, row: int, col: int, value: Any, style: Hashable = "top", *,
             empty: bool = False) -> None:
        """A text cell at (row, col), counted from 0. None and '' write nothing, or with ``empty``
        an empty cell in the format."""
        text = None if value is None else safe_cell_value(value)
        if not text:
            if empty:
                ws.write_blank(row, col, None, self.format(style))
            return
        ws.write_string(row, col, text, self.format(style, looks_like_formula(text)))

    def number(self, ws: Any, row: int, col: int, value: Any, style: Hashable = "top") -> None:
        ws.write_number(row, col, value, self.format(style))

    def value(self, ws: Any, row: int, col: int, value: Any, style: Hashable = "top") -> None:
        """As :func:`write_value_cell`: numbers and booleans as they are, NaN and None as an empty
        cell in the format, every string (and anything else, as its text) as :meth:`text` writes it."""
        writer = self._writers.get(style)
        if writer is None:
            writer = self._writers[style] = self.writer(style)
        writer(ws, row, col, value)

    def writer(self, style: Hashable) -> Callable[[Any, int, int, Any], None]:
        """:meth:`value` in ``style`` as a function of (ws, row, col, value): for the cells of a column."""
        def write(ws: Any, row: int, col: int, value: Any) -> None:
            method, shown, fmt = self.cell(ws, value, style)
            method(row, col, shown, fmt)
        return write

    def cell(self, ws: Any, value: Any, style: Hashable = "top") -> tuple[Callable[[int, int, Any, Any], Any], Any, Any]:
        """How :meth:`value` writes ``value`` in ``style`` on ``ws``: the worksheet's method, the value
        it is given and the format, to write the same value in many cells as ``method(row, col, value, fmt)``."""
        plain = self.format(style)
        if not isinstance(value, str):
            if is_missing(value):
                return ws.write_blank, None, plain
            if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
                return ws.write_boolean, bool(value), plain  # numpy's booleans too
            if isinstance(value, numbers.Number):
                return ws.write_number, value, plain
        text = safe_cell_value(value)  # strings, and anything else as its text
        if not text:
            return ws.write_blank, None, plain
        return ws.write_string, text, self.format(style, True) if looks_like_formula(text) else plain

    def merged(self, ws: Any, first_row: int, first_col: int, last_row: int, last_col: int, value: Any,
               style: Hashable) -> None:
        """One merged cell over the range, holding ``value`` as text. In constant-memory mode a
        range over several rows must be the last thing written in its first row."""
        text = "" if value is None else safe_cell_value(value)
        ws.merge_range(first_row, first_col, last_row, last_col, text,
                       self.format(style, looks_like_formula(text)))
