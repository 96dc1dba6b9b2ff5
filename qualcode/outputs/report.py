"""The results report: ``report.html`` (self-contained) and ``report.md``, with the heatmap PNG.

Both hold the matrix as a table, the quotes per cell, the comparison between studies
(when there are two or more, or when asked for) and a provenance block saying which
codebook version, project and codings the numbers come from. Respondents appear by
pseudonym only.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qualcode.outputs import heatmap
from qualcode.analysis import matrix as mx
from qualcode.errors import UsageError
from qualcode.analysis.selection import check_attribute, provenance, select_codings
from qualcode.coding.codebook import stored_codebook

if TYPE_CHECKING:
    from qualcode.store import Store


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    heatmap: Path
    compare_heatmap: Path | None = None
    compare_note: str | None = None  # why there is no comparison section


@dataclass(frozen=True)
class _Content:
    """Everything the two renderings show, computed once."""

    codebook: Any
    result: mx.MatrixResult
    grouped: mx.MatrixResult | None
    quotes: pd.DataFrame
    comparison: mx.Comparison | None
    compare_note: str | None
    info: dict[str, Any]


def write_report(
    store: "Store",
    out_dir: str | Path,
    *,
    coder: str | None = None,
    reconciled: bool = False,
    include_suggested: bool = False,
    study: str | None = None,
    by: str | None = None,
    compare_by: str | None = None,
    allow_codebook_change: bool = False,
    per_cell: int = 3,
    max_chars: int = 300,
) -> ReportFiles:
    """Write report.html, report.md and heatmap.png (and heatmap-compare.png) into ``out_dir``."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: is a file; give a folder for the report")
    check_attribute(store, by)
    check_attribute(store, compare_by, "--compare-by")
    codebook = stored_codebook(store)
    df = select_codings(store, coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study)
    result = mx.opportunity_risk_matrix(df, codebook)
    grouped = mx.opportunity_risk_matrix(df, codebook, by=by) if by else None
    comparison, note = mx.chosen_comparison(store, df, codebook, compare_by=compare_by,
                                               allow_codebook_change=allow_codebook_change)
    note = f"no comparison of studies: {note}" if note else None
    info = provenance(store, df, codebook, by=by, compare_by=comparison.by if comparison else compare_by,
                      per_cell=per_cell)
    content = _Content(codebook, result, grouped, mx.quotes(df, codebook, per_cell=per_cell, max_chars=max_chars),
                       comparison, note, info)

    out.mkdir(parents=True, exist_ok=True)
    png = heatmap.heatmap_png(grouped or result, codebook)
    heatmap_path = out / "heatmap.png"
    heatmap_path.write_bytes(png)
    compare_png, compare_path = None, None
    if comparison is not None:
        compare_png = heatmap.compare_heatmap_png(comparison.result, codebook)
        compare_path = out / "heatmap-compare.png"
        compare_path.write_bytes(compare_png)
    html_path, md_path = out / "report.html", out / "report.md"
    html_path.write_text(_html(content, png, compare_png), encoding="utf-8")
    md_path.write_text(_markdown(content, compare_path is not None), encoding="utf-8")
    return ReportFiles(html_path, md_path, heatmap_path, compare_path, note)


# -- shared pieces ------------------------------------------------------------------------------
def _matrix_rows(result: mx.MatrixResult, frame: pd.DataFrame, sugg: pd.DataFrame) -> list[list[str]]:
    return [[label, *[mx.cell_text(int(frame.loc[label, (d, "segments")]), int(frame.loc[label, (d, "cases")]),
                                   int(sugg.loc[label, d]), mark="*") for d in result.directions]]
            for label in frame.index]


def matrix_table(cb, r: mx.MatrixResult) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the matrix as text: aspect, then '12 (5)' per direction."""
    headers = [mx.ui(cb, "aspect"), *[mx.direction_label(cb, d) for d in r.directions]]
    return headers, _matrix_rows(r, r.matrix, r.suggested)


def group_table(cb, g: mx.MatrixResult) -> tuple[list[str], list[list[str]]]:
    """The matrices per group side by side: one column per group × direction."""
    headers = [mx.ui(cb, "aspect")]
    for name in g.groups:
        headers += [f"{name} (n = {g.group_n_cases[name]}): {mx.direction_label(cb, d)}" for d in g.directions]
    rows = []
    for label in g.matrix.index:
        row = [label]
        for name, frame in g.groups.items():
            row += _matrix_rows(g, frame.loc[[label]], g.group_suggested[name].loc[[label]])[0][1:]
        rows.append(row)
    return headers, rows


def compare_table(cb, c: mx.Comparison) -> tuple[list[str], list[list[str]]]:
    """The comparison as text: '3 (3); 100%' per group, '+2 (+2); +50 pp' per difference."""
    t = c.table
    headers = [mx.ui(cb, "aspect")]
    rows: list[list[str]] = [[label] for label in t.index]
    blocks = list(dict.fromkeys(t.columns.get_level_values(0)))
    for block in blocks:
        diff = block not in c.n_cases
        for d in c.result.directions:
            headers.append(f"{block}{'' if diff else f' (n = {c.n_cases[block]})'}: {mx.direction_label(cb, d)}")
            for row, label in zip(rows, t.index):
                segs, cases, share = (t.loc[label, (block, d, m)] for m in ("segments", "cases", "share"))
                if diff:
                    row.append(f"{int(segs):+d} ({int(cases):+d}); {share * 100:+.0f} pp")
                else:
                    mark = "*" if c.result.group_suggested[block].loc[label, d] else ""
                    row.append(f"{int(segs)}{mark} ({int(cases)}); {share * 100:.0f}%")
    return headers, rows


def _provenance_items(content: _Content) -> list[tuple[str, str]]:
    cb, info = content.codebook, content.info
    u = lambda k: mx.ui(cb, k)  # noqa: E731
    items = [
        (u("codebook"), f"{info['codebook']} ({info['codebook_language']}), {u('version')} {info['codebook_version']}"),
        (u("project"), info["project_file"]),
        (u("project_id"), info["project_id"]),
        (u("date"), info["date"]),
        (u("counted"), info["counted"]),
        (u("filters"), info["filters"]),
        ("n", u("counts_line").format(coded=info["coded_segments"], total=info["segments_to_code"],
                                      cases=info["cases"], codings=info["codings"],
                                      suggested=info["suggested_codings"])),
        ("qualcode", info["qualcode_version"]),
    ]
    if content.compare_note:
        items.append((u("compare"), content.compare_note))
    return items


def _quote_cells(content: _Content):
    """(heading, list of quote rows) per cell in matrix order, empty cells included."""
    cb, q, r = content.codebook, content.quotes, content.result
    for code in r.codes:
        for d in r.directions:
            rows = q[(q["code"] == code) & (q["direction"] == d)]
            yield f"{mx.code_label(cb, code)} — {mx.direction_label(cb, d)}", rows


def _legend(content: _Content) -> str:
    cb = content.codebook
    text = f"{mx.ui(cb, 'cell_legend')} n = {content.result.n_cases} {mx.ui(cb, 'cases')}."
    if content.result.has_suggested:
        text += " " + mx.ui(cb, "suggested_legend")
    return text


# -- Markdown -----------------------------------------------------------------------------------
def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in headers) + " |",
             "|" + "|".join([" --- "] + [" ---: "] * (len(headers) - 1)) + "|"]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _markdown(content: _Content, has_compare_png: bool) -> str:
    cb = content.codebook
    u = lambda k: mx.ui(cb, k)  # noqa: E731
    out = [f"# {u('title')}", ""]
    out += [md_table(*matrix_table(cb, content.result)), "", f"_{_legend(content)}_", "", "![heatmap](heatmap.png)", ""]
    if content.grouped is not None:
        out += [f"## {u('by_group')}: {mx.attribute_label(cb, content.grouped.by)}", "",
                md_table(*group_table(cb, content.grouped)), ""]
    out += [f"## {u('quotes')}", ""]
    for heading, rows in _quote_cells(content):
        out += [f"### {heading}", ""]
        if not len(rows):
            out += [f"_{u('no_quotes')}_", ""]
        for r in rows.itertuples():
            mark = f" ({u('suggestion')})" if r.status == "suggested" else ""
            out += [f"> {_md_cell(r.text)}", ">", f"> — {r.pseudonym}, {u('segment').lower()} {r.segment_id}{mark}", ""]
    if content.comparison is not None:
        c = content.comparison
        out += [f"## {u('compare')}: {mx.attribute_label(cb, c.by)}", "", md_table(*compare_table(cb, c)), "",
                f"_{u('share')} = {u('cases')} / n; pp = {u('difference')} × 100_", ""]
        if c.result.has_suggested:
            out += [f"_{u('suggested_legend')}_", ""]
        if has_compare_png:
            out += ["![heatmap compare](heatmap-compare.png)", ""]
        if c.codebook_changed:
            out += [f"**{u('codebook_changes')}**", ""] + [f"- {_md_cell(line)}" for line in c.codebook_changes] + [""]
    out += [f"## {u('provenance')}", ""] + [f"- **{k}**: {_md_cell(v)}" for k, v in _provenance_items(content)]
    return "\n".join(out) + "\n"


# -- HTML ---------------------------------------------------------------------------------------
_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; max-width: 70rem;
       margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
table { border-collapse: collapse; margin: .8rem 0; }
th, td { border: 1px solid #ccc; padding: .35rem .7rem; }
th { background: #dde4ee; text-align: center; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.legend, .note { color: #555; font-size: .9rem; }
img { max-width: 100%; height: auto; margin: 1rem 0; }
blockquote { margin: .5rem 0 .8rem; padding: .3rem .9rem; border-left: 4px solid #e8743b; background: #fbf6f2; }
blockquote .who { display: block; color: #555; font-size: .85rem; margin-top: .2rem; }
dl.provenance { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.provenance dt { font-weight: bold; } dl.provenance dd { margin: 0; word-break: break-all; }
.warning { background: #fff4d6; padding: .5rem .8rem; border-left: 4px solid #e0a800; }
"""


def _h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_h(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<th scope=\"row\">{_h(v)}</th>" if i == 0 else f"<td class=\"num\">{_h(v)}</td>"
                                    for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{_h(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _html(content: _Content, png: bytes, compare_png: bytes | None) -> str:
    cb = content.codebook
    u = lambda k: mx.ui(cb, k)  # noqa: E731
    lang = getattr(cb, "language", "en")
    parts = [f"<!DOCTYPE html><html lang=\"{_h(lang)}\"><head><meta charset=\"utf-8\">",
             f"<title>{_h(u('title'))}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_h(u('title'))}</h1>", _html_table(*matrix_table(cb, content.result)),
             f"<p class=\"legend\">{_h(_legend(content))}</p>", _img(png, u("title"))]
    if content.grouped is not None:
        parts += [f"<h2>{_h(u('by_group'))}: {_h(mx.attribute_label(cb, content.grouped.by))}</h2>",
                  _html_table(*group_table(cb, content.grouped))]
    parts.append(f"<h2>{_h(u('quotes'))}</h2>")
    for heading, rows in _quote_cells(content):
        parts.append(f"<h3>{_h(heading)}</h3>")
        if not len(rows):
            parts.append(f"<p class=\"note\">{_h(u('no_quotes'))}</p>")
        for r in rows.itertuples():
            mark = f" ({u('suggestion')})" if r.status == "suggested" else ""
            parts.append(f"<blockquote>{_h(r.text)}<span class=\"who\">— {_h(r.pseudonym)}, "
                         f"{_h(u('segment').lower())} {int(r.segment_id)}{_h(mark)}</span></blockquote>")
    if content.comparison is not None:
        c = content.comparison
        parts += [f"<h2>{_h(u('compare'))}: {_h(mx.attribute_label(cb, c.by))}</h2>",
                  _html_table(*compare_table(cb, c)),
                  f"<p class=\"legend\">{_h(u('share'))} = {_h(u('cases'))} / n; pp = {_h(u('difference'))} × 100"
                  + (f"<br>{_h(u('suggested_legend'))}" if c.result.has_suggested else "") + "</p>"]
        if compare_png is not None:
            parts.append(_img(compare_png, f"{u('compare')}: {c.by}"))
        if c.codebook_changed:
            items = "".join(f"<li>{_h(line)}</li>" for line in c.codebook_changes)
            parts.append(f"<div class=\"warning\"><strong>{_h(u('codebook_changes'))}</strong><ul>{items}</ul></div>")
    parts.append(f"<h2>{_h(u('provenance'))}</h2><dl class=\"provenance\">")
    parts += [f"<dt>{_h(k)}</dt><dd>{_h(v)}</dd>" for k, v in _provenance_items(content)]
    parts.append("</dl></body></html>")
    return "\n".join(parts)
