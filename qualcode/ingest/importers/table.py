"""Tables of answers or notes (.csv, .xlsx): one turn per non-empty text cell.

Typical inputs: survey answers with one row per respondent, or workshop notes
with one row per group. The document text is every text cell, trimmed, in row
order (and, within a row, in the order the text columns were given), separated
by a blank line. Each turn carries its row id (``source_row``), its case and the
row's other columns as case attributes.

:func:`read_grid` (header + rows of a .csv or .xlsx) is shared with the cases file reader.
:func:`read_table` does not hold the rows: it reads the file in one pass, each row becoming its
turns as it is read, and the checks that need the whole table (rows without text, preview
responses, unnamed columns with values, the width of every row) are made along the way.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from itertools import chain, islice
from typing import Any, Iterable, Iterator, Mapping, Sequence

from qualcode.errors import ImportFormatError
from qualcode.ingest.importers.encoding import decode_bytes, encoding_note, normalise_newlines
from qualcode.ingest.importers.survey import Header, personal_data, read_header
from qualcode.records import ParsedDocument, ParsedTurn
from qualcode.zipsafe import DOCUMENT_LIMITS, SafeZip, ZipLimits, check_container

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls, or any password-protected Office file
_DELIMITERS = (";", ",", "\t")
_TEXT_COLUMN_STEMS = ("text", "tekst", "antwoord", "notitie", "opmerking")
_INT = re.compile(r"[-+]?(?:0|[1-9]\d*)")  # "0123" stays text: a code, not a number
_FLOAT = re.compile(r"[-+]?\d+\.\d+")
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")
_SEPARATOR = "\n\n"
_SEP_HINT = re.compile(r'"?sep=(.)"?', re.IGNORECASE)


@dataclass(frozen=True)
class Grid:
    """The header and data rows of the first (or chosen) sheet of a table file.

    ``rows`` hold (spreadsheet row number, values) with values padded to the
    header's width; rows with no value at all are left out. ``labels`` are the
    question texts of a survey export (one per column, "" when none) and
    ``layout`` the survey tool whose extra header rows were skipped.
    """

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, tuple[Any, ...]], ...]
    decimal_comma: bool = False  # a ';' or tab separated CSV: "3,5" is 3.5
    labels: tuple[str, ...] = ()
    layout: str | None = None
    header_rows: tuple[int, ...] = (1,)  # spreadsheet row numbers of the header
    merged: tuple[str, ...] = ()  # merged cell ranges of an .xlsx sheet ("C2:C5"): only the first cell has the value


class _OpenTable:
    """A table being read: its header (a :class:`Grid` without rows) and its data rows, one at a time.

    The rows are read from the file as they are asked for, and only the row at hand is held. A fault
    anywhere in the file (a quote, a row of the wrong width) is reported before a fault of the header
    or of a row, as when the whole table was read before anything was checked: whoever finds a fault
    asks :meth:`fault_in_rest` first.
    """

    def __init__(self, grid: Grid, rows: Iterator[tuple[int, list[Any]]]):
        self.grid = grid
        self.rows = rows  # (spreadsheet row number, values padded to the header's width)

    def fault_in_rest(self) -> ImportFormatError | None:
        """The fault of the rows not read yet, if any (they are read to the end, and dropped)."""
        return _fault_in(self.rows)


def _fault_in(rows: Iterator[Any]) -> ImportFormatError | None:
    try:
        for _ in rows:
            pass
    except ImportFormatError as error:
        return error
    return None


def read_table(
    path: Path,
    data: bytes,
    *,
    text_columns: Sequence[str] | None = None,
    id_column: str | None = None,
    case_column: str | None = None,
    sheet: str | None = None,
    keep_columns: Sequence[str] | None = None,
    encoding: str | None = None,
    limits: ZipLimits = DOCUMENT_LIMITS,
) -> list[ParsedDocument]:
    """One document from a .csv or .xlsx file; see the module docstring.

    Every row is its own case: the ``case_column`` value, else the ``id_column``
    value, else (``case_id`` None) the import run makes one case per row number.
    The file is read in one pass: each row becomes its turns as it is read.
    """
    if isinstance(text_columns, str):  # one name given where a list was meant
        text_columns = [text_columns]
    table = _open_table(path, data, sheet=sheet, encoding=encoding, limits=limits)
    grid = table.grid
    kept: set[int] = set()
    missing_kept: list[str] = []
    try:
        texts = _text_columns(grid, text_columns)
        row_id = find_column(grid, id_column, "--id-column") if id_column else None
        case = find_column(grid, case_column, "--case-column") if case_column else row_id
        for column in keep_columns or ():  # one --keep-column for a folder of tables: not every table has it
            try:
                kept.add(find_column(grid, column, "--keep-column"))
            except ImportFormatError:
                missing_kept.append(column)
        for index, option in ((row_id, "--id-column"), (case, "--case-column")):
            reason = personal_data(grid.columns[index], _label(grid, index)) if index is not None else None
            if index is not None and reason is not None and index not in kept:
                name = grid.columns[index]
                raise ImportFormatError(
                    f"{grid.name}: {option} {name!r} holds personal data ({reason}); its values would name rows and "
                    f"cases in every export; use a respondent number column instead (or leave out {option}: the "
                    f"row number is the id), or add --keep-column {name!r} to use it on purpose"
                )
    except ImportFormatError as error:
        raise table.fault_in_rest() or error from None
    guessed = not text_columns
    others = [
        index for index, column in enumerate(grid.columns)
        if column and index not in texts and index not in (row_id, case)
    ]
    personal = {
        index: reason for index in others
        if index not in kept and (reason := personal_data(grid.columns[index], _label(grid, index))) is not None
    }
    others = [index for index in others if index not in personal]
    document = _TableDocument(grid, texts, row_id, case, others, text_cells=path.suffix.lower() != ".xlsx")
    for number, values in table.rows:
        fault = document.add(number, values)
        if fault is not None:
            raise table.fault_in_rest() or fault from None
    turns = document.turns
    if not turns:
        names = ", ".join(repr(grid.columns[index]) for index in texts)
        raise ImportFormatError(
            f"{grid.name}: no text in column {names} in any row; "
            "pass --text-column with the column that holds the answers or notes"
        )
    notes: list[str] = []
    warnings: list[str] = []
    if path.suffix.lower() == ".csv" and (note := encoding_note(data, path.name, encoding)):
        notes.append(note)
    if guessed:
        notes.append(f"{grid.name}: no --text-column given; the text is column {grid.columns[texts[0]]!r} "
                     "(the only one whose name says text/tekst/antwoord/notitie/opmerking); pass --text-column "
                     "to choose another")
    if grid.layout is not None:
        rows = grid.header_rows
        which = f"row {rows[0]}" if len(rows) == 1 else f"rows {rows[0]}-{rows[-1]}"
        notes.append(f"{grid.name}: read as a {grid.layout} export (header {which}; data from row "
                     f"{document.first_row if document.first_row is not None else rows[-1] + 1})")
    if document.empty_rows:
        notes.append(f"{grid.name}: {len(document.empty_rows)} row(s) without text in the text column(s) not "
                     f"imported (row {_row_list(document.empty_rows)})")
    if document.preview:
        warnings.append(
            f"{grid.name}: row {_row_list(document.preview)} hold(s) responses from the survey preview or a test "
            "(Status = Survey Preview / Spam, or DistributionChannel = preview/test), imported as respondents; "
            "delete those rows (or filter them out in the survey tool) and import again"
        )
    if grid.merged:
        shown = ", ".join(grid.merged[:5]) + (f" and {len(grid.merged) - 5} more" if len(grid.merged) > 5 else "")
        warnings.append(
            f"{grid.name}: merged cells ({shown}): only the first row of each has the value, the other rows are "
            "imported without it; unmerge them and fill the value down (Excel: Merge & Center off, then Fill Down) "
            "and import again"
        )
    unnamed = sorted(document.unnamed.items())
    if unnamed:
        shown = ", ".join(f"{index + 1} (row {number}: {value[:30]!r})" for index, (number, value) in unnamed[:5])
        warnings.append(
            f"{grid.name}: column {shown} has no name in the header row but holds values, so it is not imported; "
            "give it a name in the header row to keep it as a case attribute (or delete the column)"
        )
    if missing_kept:
        warnings.append(f"{grid.name}: no column {', '.join(map(repr, missing_kept))} to keep (--keep-column); "
                        f"the columns are: {_listing(grid)}")
    if personal:
        listed = ", ".join(f"{grid.columns[index]} ({reason})" for index, reason in personal.items())
        warnings.append(
            f"{grid.name}: left out {len(personal)} column(s) that hold personal data: {listed}; "
            "they are not in the project or any export; pass --keep-column NAME to keep one as a case attribute"
        )
    doc_format = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    return [ParsedDocument(name=path.name, format=doc_format, text="".join(document.parts), turns=tuple(turns),
                           notes=tuple(notes), warnings=tuple(warnings))]


_PREVIEW = {"survey preview", "survey test", "preview", "test", "spam", "surveypreview", "surveytest"}
_SHARED_VALUES = 4096  # distinct attribute cells (and sets of them) kept to be shared by the rows that repeat them


class _TableDocument:
    """The text and turns of a table, made one data row at a time, and what its notes and warnings say
    about the whole table (rows without text, preview responses, values in columns without a name)."""

    def __init__(self, grid: Grid, texts: list[int], row_id: int | None, case: int | None, others: list[int],
                 text_cells: bool):
        self.grid = grid
        self.row_id = row_id
        self.case = case
        self.texts = [(index, grid.columns[index] if len(texts) > 1 else None) for index in texts]  # with speaker
        self.others = [(index, grid.columns[index]) for index in others]
        self.parts: list[str] = []
        self.turns: list[ParsedTurn] = []
        self.length = 0
        self.first_row: int | None = None
        self.empty_rows: list[int] = []
        # Rows of a Qualtrics export that are preview or test responses, not respondents.
        self.preview: list[int] = []
        self.preview_columns = [i for i, c in enumerate(grid.columns) if c.casefold() in (
            "status", "distributionchannel")] if (grid.layout or "").startswith("Qualtrics") else []
        # column index -> (first row number, its value) of every column without a name that holds a value
        self.unnamed: dict[int, tuple[int, str]] = {}
        self.unnamed_unseen = [index for index, column in enumerate(grid.columns) if not column]
        self.ids: dict[str, int] = {}  # id -> row number
        # A survey's attribute columns repeat a few values ("vo", "noord"): the rows share one typed value
        # (and one string) for each, rather than each keeping the string its cell was read as, and the
        # rows of a CSV with the same cells share one attributes dict (never changed: a Mapping).
        self.typed: dict[str, Any] = {}
        self.text_cells = text_cells
        self.shared: dict[tuple[Any, ...], Mapping[str, Any]] = {}

    def add(self, number: int, values: Sequence[Any]) -> ImportFormatError | None:
        """Take in one data row; the fault that stops the reading (an id missing or repeated), if any."""
        grid = self.grid
        if self.first_row is None:
            self.first_row = number
        if self.row_id is None:
            source_row = str(number)
        else:
            source_row = cell_text(values[self.row_id])
            if not source_row:
                return ImportFormatError(
                    f"{grid.name}, row {number}: no id in column {grid.columns[self.row_id]!r}; "
                    "fill it in or pass another --id-column"
                )
            if source_row in self.ids:
                return ImportFormatError(
                    f"{grid.name}: rows {self.ids[source_row]} and {number} have the same id {source_row!r} "
                    f"in column {grid.columns[self.row_id]!r}; make the ids unique or pass another --id-column"
                )
            self.ids[source_row] = number
        if self.preview_columns and any(cell_text(values[i]).casefold() in _PREVIEW for i in self.preview_columns):
            self.preview.append(number)
        if self.unnamed_unseen:
            for index in self.unnamed_unseen:
                if value := cell_text(values[index]):
                    self.unnamed[index] = (number, value)
            self.unnamed_unseen = [index for index in self.unnamed_unseen if index not in self.unnamed]
        case_id = (cell_text(values[self.case]) or None) if self.case is not None else None
        attributes: Mapping[str, Any] | None = None
        parts, turns = self.parts, self.turns
        for index, speaker in self.texts:
            content = normalise_newlines(cell_text(values[index]))
            if not content:
                continue
            if attributes is None:
                attributes = self._attributes(values)
            if parts:
                parts.append(_SEPARATOR)
                self.length += len(_SEPARATOR)
            parts.append(content)
            turns.append(ParsedTurn(
                start=self.length, end=self.length + len(content), speaker=speaker,
                source_row=source_row, case_id=case_id, attributes=attributes,
            ))
            self.length += len(content)
        if attributes is None:
            self.empty_rows.append(number)
        return None

    def _attributes(self, values: Sequence[Any]) -> Mapping[str, Any]:
        """The row's other columns with a value, typed (shared by the row's turns, and by the rows of a
        CSV whose other cells are the same: a survey's few attribute values make few distinct sets)."""
        key: tuple[Any, ...] | None = None
        if self.text_cells:  # every cell a str: equal cells are equal typed values (no 1 == 1.0 == True)
            key = tuple([values[index] for index, _ in self.others])
            shared = self.shared.get(key)
            if shared is not None:
                return shared
        decimal_comma = self.grid.decimal_comma
        typed = self.typed
        attributes: dict[str, Any] = {}
        for index, column in self.others:
            cell = values[index]
            if type(cell) is str:  # exactly str: as keys 1, 1.0 and True would be one
                value = typed.get(cell)
                if value is None:
                    value = typed_value(cell, decimal_comma=decimal_comma)
                    if len(typed) < _SHARED_VALUES:
                        typed[cell] = value
            else:
                value = typed_value(cell, decimal_comma=decimal_comma)
            if value != "":  # typed_value gives "" for an empty cell only (a number is never "")
                attributes[column] = value
        if key is not None and len(self.shared) < _SHARED_VALUES:
            self.shared[key] = attributes
        return attributes


def _row_list(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def _label(grid: Grid, index: int) -> str:
    return grid.labels[index] if index < len(grid.labels) else ""


def read_grid(path: Path, data: bytes, *, sheet: str | None = None, encoding: str | None = None,
              survey: bool = True, limits: ZipLimits = DOCUMENT_LIMITS) -> Grid:
    """Header and rows of a .csv (any of ; , tab) or .xlsx file (first sheet unless ``sheet``).

    With ``survey`` the extra header rows of survey tools are recognised (see survey.py).
    """
    table = _open_table(path, data, sheet=sheet, encoding=encoding, survey=survey, limits=limits)
    return replace(table.grid, rows=tuple((number, tuple(values)) for number, values in table.rows))


def _open_table(path: Path, data: bytes, *, sheet: str | None = None, encoding: str | None = None,
                survey: bool = True, limits: ZipLimits = DOCUMENT_LIMITS) -> _OpenTable:
    """The header of a .csv or .xlsx file, read from its first rows with a value, and its data rows to come.

    A fault of the header (no rows, two columns of one name) is reported once the rest of the file
    has been read without a fault of its own."""
    name = path.name
    merged: list[str] = []
    delimiter: str | None = None
    if path.suffix.lower() == ".xlsx":
        records = _xlsx_rows(name, data, sheet, limits, merged)
    else:
        text = decode_bytes(data, path, encoding=encoding, locate=lambda line: _row_of_line(data, line))
        first_line = next(_lines(text), "")
        hint = _SEP_HINT.fullmatch(first_line.strip())
        if hint:  # Excel's "sep=;" first line: the separator, not a row (the rows keep their numbers)
            text = "\n" + text[len(first_line):]
        delimiter = hint.group(1) if hint else _sniff_delimiter(text)
        # Cells may be long (a whole interview in one cell), but not without end: a cell of more than
        # MAX_CELL_CHARS is refused (Excel itself holds 32,767 characters a cell). The limit is process-wide.
        csv.field_size_limit(MAX_CELL_CHARS)
        records = _csv_rows(name, text, delimiter)
    filled = _filled_rows(name, records, delimiter)
    first = list(islice(filled, 3 if survey else 1))
    if not first:
        raise ImportFormatError(f"{name}: the table is empty; check that you exported the right file")
    if survey:
        header = read_header([[cell_text(v) for v in values] for _, values in first])
    else:
        header = Header(tuple(cell_text(v) for v in first[0][1]), (), 1, None)
    header_rows = tuple(number for number, _ in first[: header.data_from])
    columns = list(header.columns)
    seen: dict[str, int] = {}
    for index, column in enumerate(columns):
        if column and column.casefold() in seen:
            raise _fault_in(filled) or ImportFormatError(
                f"{name}, row {header_rows[0]}: two columns are called {column!r}; rename one of them"
            )
        seen[column.casefold()] = index
    width = len(columns)
    labels = tuple(header.labels[:width]) + ("",) * (width - len(header.labels))
    # Merged header cells (a survey question over its option columns) are fine; merged data cells are not.
    last_header = max(header_rows, default=1)
    in_data = [ref for ref in merged if int(re.sub(r"[A-Z]+", "", ref.split(":")[0])) > last_header]
    grid = Grid(name=name, columns=tuple(columns), rows=(), decimal_comma=delimiter not in (None, ","),
                labels=labels, layout=header.layout, header_rows=header_rows, merged=tuple(in_data))
    return _OpenTable(grid, _padded(chain(first[header.data_from:], filled), width))


def _padded(rows: Iterable[tuple[int, list[Any]]], width: int) -> Iterator[tuple[int, list[Any]]]:
    """The rows with their values cut or padded (None) to ``width``."""
    for number, values in rows:
        if len(values) > width:
            del values[width:]
        elif len(values) < width:
            values.extend([None] * (width - len(values)))
        yield number, values


def _csv_rows(name: str, text: str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    """The records of a CSV text, read strictly: a quote that is never closed, or text after a
    closing quote, is refused (a lenient reader takes the rows after it into one cell, silently)."""
    # strict: '"abc" def' and an unclosed quote at the end are errors, not guesses.
    # Lines handed over one by one (a StringIO of the text would hold four bytes a character).
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    count = 0
    while True:
        start_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            where = f"{name}, row {count + 1} (line {start_line})"
            if "end of data" in str(error) or "EOF" in str(error):
                raise ImportFormatError(
                    f"{where}: a quote (\") opens a cell that is never closed, so every line after it would be "
                    "read as that cell's text; close the quote, or write a quote inside a cell twice (\"\"), "
                    "or save the table again as CSV from Excel"
                ) from None
            if "expected after" in str(error):
                raise ImportFormatError(
                    f"{where}: text follows the closing quote of a cell (line {reader.line_num}), so the cell "
                    "cannot be read unambiguously (a quote left open in an earlier cell, or one inside a cell "
                    "not written twice); fix the quotes (a quote inside a cell is written \"\") or save the "
                    "table again as CSV from Excel"
                ) from None
            if "field larger than field limit" in str(error):
                raise ImportFormatError(
                    f"{where}: a cell holds more than {MAX_CELL_CHARS // 1024**2} MB of text (a quote left open, or "
                    "not a table of answers); check the quotes in this row, or import a long text as .txt or .docx"
                ) from None
            raise ImportFormatError(
                f"{where}: not valid CSV ({error}); save it again as CSV from Excel, or as .xlsx"
            ) from None
        count += 1
        yield count, row  # the reader makes a new list for every record


def _filled_rows(name: str, records: Iterator[tuple[int, list[Any]]],
                 delimiter: str | None) -> Iterator[tuple[int, list[Any]]]:
    """The records that hold a value; a CSV's checked for their width against the first (the header).

    A row of the wrong width ends the rows given, but the file is read to its end before the row is
    reported: a fault of the CSV itself further down is reported first."""
    header: list[Any] | None = None
    header_row = 0
    fault: ImportFormatError | None = None
    for number, values in records:
        if delimiter is not None:  # CSV: every value is a str
            if not any(map(str.strip, values)):
                continue
            if header is None:
                header, header_row = values[:], number
            elif fault is None and len(values) != len(header):
                fault = _width_fault(name, header_row, header, number, values, delimiter)
        elif not any(cell_text(v) for v in values):
            continue
        if fault is None:
            yield number, values
    if fault is not None:
        raise fault


def _width_fault(name: str, header_row: int, header: list[Any], number: int, values: list[Any],
                 delimiter: str) -> ImportFormatError | None:
    """Why row ``number`` cannot be read with the header's width, or None when it can: a row with more or
    fewer cells cannot be read without guessing which cell is missing or extra (a separator in an unquoted
    text shifts every column after it). Extra empty cells at the end, and missing cells under an empty
    header, are fine."""
    width = len(header)
    if len(values) > width and not any(cell_text(v) for v in values[width:]):
        return None
    if len(values) < width and not any(cell_text(v) for v in header[len(values):]):
        return None
    if len(values) == width:
        return None
    shown = {"\t": "tab", ";": "';'", ",": "','"}[delimiter] if delimiter in "\t;," else repr(delimiter)
    multiline = any("\n" in str(v) for v in values)
    if width == 1 and len(values) > width:
        return ImportFormatError(
            f"{name}, row {header_row}: {header[0]!r} is taken as the header, but it has one cell and row "
            f"{number} has {len(values)}; if it is a title above the table, delete the lines above the header "
            "row; if the table has one column, put every cell that holds a separator in quotes (\"...\")"
        )
    if len(values) > width:
        why = (f"a {shown} inside a text cell that is not in quotes splits it, and shifts every column "
               f"after it; put that cell in quotes (\"...\")")
    elif multiline:
        why = ("a cell in quotes runs over several lines: a quote that is not closed takes in the rows "
               "after it; check the quotes in this row")
    else:
        why = f"a cell is missing; add the missing {shown} so that every row has {width} cells (an empty cell " \
              "is nothing between two separators)"
    return ImportFormatError(
        f"{name}, row {number}: {len(values)} cells, but the header (row {header_row}) has {width}; "
        f"{why}, or save the table again as CSV from Excel (the row cannot be read without guessing)"
    )


def _row_of_line(data: bytes, line: int) -> str:
    """\"row R (line L)\" for line ``line`` of a CSV file: the record it is part of (a cell may span
    lines). Read as Latin-1, which decodes any byte, since the file's real encoding is what failed."""
    text = data.decode("latin-1").replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    record = 0
    try:
        for _ in reader:
            record += 1
            if reader.line_num >= line:
                break
    except csv.Error:
        return f"line {line}"
    return f"row {record} (line {line})" if record else f"line {line}"


def find_column(grid: Grid, wanted: str, option: str) -> int:
    """The index of column ``wanted``: its name or (survey exports) its question text.

    Exact first, else the one that matches ignoring case and surrounding spaces.
    """
    if wanted in grid.columns:
        return grid.columns.index(wanted)
    loose = [i for i, column in enumerate(grid.columns) if column.casefold() == wanted.strip().casefold()]
    if len(loose) == 1:
        return loose[0]
    by_label = [i for i, label in enumerate(grid.labels) if label and " ".join(label.split()).casefold()
                == " ".join(wanted.split()).casefold()]
    if len(by_label) == 1:
        return by_label[0]
    if len(by_label) > 1:
        names = ", ".join(grid.columns[i] for i in by_label)
        raise ImportFormatError(
            f"{grid.name}: the question text {wanted!r} heads several columns ({names}); "
            f"pass {option} with one of those column names"
        )
    raise ImportFormatError(
        f"{grid.name}: no column {wanted!r}; the columns are: {_listing(grid)}; "
        f"pass {option} with one of them"
    )


def cell_text(value: Any) -> str:
    """A cell as trimmed text: 17.0 → "17", a date → ISO 8601, empty → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def typed_value(value: Any, *, decimal_comma: bool = False) -> Any:
    """An attribute value: int and float stay numbers ("2025" → 2025), all else is text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = cell_text(value)
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if decimal_comma and _DECIMAL_COMMA.fullmatch(text):
        return float(text.replace(",", "."))
    return text


def _text_columns(grid: Grid, wanted: Sequence[str] | None) -> list[int]:
    if wanted:
        found = [find_column(grid, column, "--text-column") for column in wanted]
        return list(dict.fromkeys(found))
    likely = [
        index for index, column in enumerate(grid.columns)
        if any(stem in column.casefold() for stem in _TEXT_COLUMN_STEMS)
    ]
    if len(likely) == 1:
        return likely
    if likely:
        names = ", ".join(grid.columns[index] for index in likely)
        what = f"several columns could hold the text ({names})"
    else:
        what = "cannot tell which column holds the text"
    raise ImportFormatError(
        f"{grid.name}: {what}; the columns are: {_listing(grid)}; "
        "pass --text-column with one (or more) of them"
    )


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
MAX_CELL_CHARS = 16 * 1024**2


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their line ends (``\\r\\n``, ``\\r`` or ``\\n``), as ``newline=""`` reads them."""
    return map(re.Match.group, _LINE.finditer(text))


def _sniff_delimiter(text: str) -> str:
    """The separator of the header line: ';' (Dutch Excel), ',' or tab; ',' for one column."""
    header = next((line for line in _lines(text) if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {delimiter: unquoted.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _xlsx_rows(name: str, data: bytes, sheet: str | None, limits: ZipLimits,
               merged: list[str]) -> Iterator[tuple[int, list[Any]]]:
    """The rows of the sheet, one at a time; its merged cell ranges are appended to ``merged`` before the first."""
    if data.startswith(_OLE_MAGIC):
        raise ImportFormatError(
            f"{name}: not an Excel .xlsx file (it is an old .xls or a password-protected file); "
            "open it in Excel and save it as .xlsx without a password"
        )
    if not data.startswith(_ZIP_MAGIC):
        raise ImportFormatError(
            f"{name}: not an Excel .xlsx file (it is not a zip archive); "
            "save it again as .xlsx from Excel"
        )
    # The archive is checked (zip bombs, unsafe members, DTDs) before openpyxl opens it (read-only: it
    # streams the sheet rather than building it in memory).
    check_container(data, name, error=ImportFormatError, limits=limits, not_a_zip=(
        f"{name}: not a readable Excel .xlsx file (a damaged zip archive); save it again as .xlsx from Excel"))
    import openpyxl  # heavy: imported only when a workbook is read

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # InvalidFileException, BadZipFile, KeyError, XML errors, ...
        raise ImportFormatError(
            f"{name}: not a readable Excel .xlsx file ({type(error).__name__}); "
            "save it again as .xlsx from Excel"
        ) from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise ImportFormatError(
                f"{name}: no sheet {sheet!r}; the sheets are: {', '.join(workbook.sheetnames)}; "
                "pass --sheet with one of them"
            )
        worksheet.reset_dimensions()  # some writers store a wrong sheet size
        merged.extend(_merged_ranges(name, data, getattr(worksheet, "_worksheet_path", None), limits))
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, list(values)
        except Exception as error:  # a damaged sheet
            raise ImportFormatError(
                f"{name}: the sheet {worksheet.title!r} cannot be read ({type(error).__name__}); "
                "save it again as .xlsx from Excel"
            ) from None
    finally:
        workbook.close()


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _merged_ranges(name: str, data: bytes, member: str | None, limits: ZipLimits) -> list[str]:
    """The merged cell ranges of one sheet (read-only openpyxl does not report them)."""
    if not member:
        return []
    archive = SafeZip(data, name, error=ImportFormatError, limits=limits)
    if member not in archive.names:
        return []
    return [match.decode() for match in _MERGE.findall(archive.read(member))]


def _listing(grid: Grid) -> str:
    """The column names, each with the start of its question text in a survey export."""
    def named(index: int, column: str) -> str:
        label = " ".join(_label(grid, index).split())
        if not label or label.casefold() == column.casefold():
            return column
        return f"{column} ({label[:40]}{'…' if len(label) > 40 else ''})"

    return ", ".join(named(index, column) for index, column in enumerate(grid.columns) if column)
