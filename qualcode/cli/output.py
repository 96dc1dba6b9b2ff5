"""Plain-text tables for the terminal (no dependency, aligned columns)."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import click

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
