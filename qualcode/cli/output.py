"""Plain-text tables for the terminal (no dependency, aligned columns), and CSV safe for spreadsheets."""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Mapping, Sequence

import click

from qualcode.xlsx_safe import looks_like_formula

UNDEFINED = "n/a"


def number_text(value: float | None, digits: int = 2) -> str:
    """A figure with ``digits`` decimals, or n/a where it is undefined."""
    return UNDEFINED if value is None else f"{value:.{digits}f}"


def percent_text(value: float | None) -> str:
    return UNDEFINED if value is None else f"{value:.1f}%"


def format_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str] | None = None) -> str:
    rows = list(rows)
    headers = list(headers or columns)
    cells = [["" if r.get(c) is None else str(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if v.replace(".", "").replace("-", "").isdigit() else v.ljust(w)
                         for v, w in zip(values, widths)).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out)


def echo_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], title: str | None = None,
               headers: Sequence[str] | None = None) -> None:
    if title:
        click.echo(f"\n{title}")
    click.echo(format_table(rows, columns, headers))


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell Excel and LibreOffice will not run: text starting with = + - @ tab or CR gets a ``'`` in front.

    The OWASP rule for CSV injection. Numbers stay numbers (a negative difference is not text).
    """
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV (header first), every text cell and header through :func:`spreadsheet_safe`."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([spreadsheet_safe(c) for c in columns])
    for row in rows:
        writer.writerow([spreadsheet_safe(row.get(c)) for c in columns])
    return buf.getvalue().rstrip("\n")


def csv_frame(frame: Any) -> str:
    """A pandas DataFrame as CSV (no index), text cells and headers through :func:`spreadsheet_safe`."""
    from pandas.api.types import is_numeric_dtype

    safe = frame.copy()
    for column in safe.columns:
        if not is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(spreadsheet_safe)
    safe.columns = [spreadsheet_safe(str(c)) for c in safe.columns]
    return str(safe.to_csv(index=False))
