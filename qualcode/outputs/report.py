"""The results report: ``report.html`` (self-contained) and ``report.md``, with the heatmap PNG.

Both hold the matrix as a table, the quotes per cell, the comparison between studies
(when there are two or more, or when asked for) and a provenance block saying which
codebook version, project and codings the numbers come from. Respondents appear by
pseudonym only. Both render one :class:`~qualcode.analysis.results.Analysis` through its
accessors, in the words of :mod:`qualcode.outputs.i18n`.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import UsageError
from qualcode.outputs import heatmap
from qualcode.outputs.i18n import ENGLISH, Words, cell_of, words

if TYPE_CHECKING:
    from qualcode.analysis.results import Analysis, ComparisonResult, Quote


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    heatmap: Path
    compare_heatmap: Path | None = None
    compare_note: str | None = None  # why there is no comparison section (for the terminal, in English)


def check_folder(out_dir: str | Path) -> Path:
    """The report's folder, checked before anything is computed."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: is a file; give a folder for the report")
    return out


def write_report(analysis: "Analysis", out_dir: str | Path) -> ReportFiles:
    """Write report.html, report.md and heatmap.png (and heatmap-compare.png) of ``analysis`` into ``out_dir``."""
    out = check_folder(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = heatmap.heatmap_png(analysis.matrix, analysis.codebook)
    heatmap_path = out / "heatmap.png"
    heatmap_path.write_bytes(png)
    compare_png, compare_path = None, None
    if analysis.comparison is not None:
        compare_png = heatmap.compare_heatmap_png(analysis.comparison.matrix, analysis.codebook)
        compare_path = out / "heatmap-compare.png"
        compare_path.write_bytes(compare_png)
    html_path, md_path = out / "report.html", out / "report.md"
    html_path.write_text(_html(analysis, png, compare_png), encoding="utf-8")
    md_path.write_text(_markdown(analysis, compare_path is not None), encoding="utf-8")
    reason = analysis.comparison_left_out
    return ReportFiles(html_path, md_path, heatmap_path, compare_path,
                       ENGLISH("no_comparison", reason=reason) if reason else None)


# -- shared pieces (also the CLI's markdown and terminal tables) ---------------------------------
def _matrix_row(analysis: "Analysis", code: str, group: str | None) -> list[str]:
    return [cell_of(analysis.cell(code, d, group)) for d in analysis.directions]


def matrix_table(analysis: "Analysis") -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the matrix as text: aspect, then '12 (5)' per direction."""
    w = words(analysis.codebook)
    headers = [w("aspect"), *[w.direction(d) for d in analysis.directions]]
    return headers, [[w.code(code), *_matrix_row(analysis, code, None)] for code in analysis.codes]


def group_table(analysis: "Analysis") -> tuple[list[str], list[list[str]]]:
    """The matrices per group side by side: one column per group × direction."""
    w = words(analysis.codebook)
    headers = [w("aspect")]
    for name in analysis.groups:
        headers += [f"{w.group_heading(name, analysis.n_cases(name))}: {w.direction(d)}" for d in analysis.directions]
    rows = []
    for code in analysis.codes:
        row = [w.code(code)]
        for name in analysis.groups:
            row += _matrix_row(analysis, code, name)
        rows.append(row)
    return headers, rows


def compare_blocks(c: "ComparisonResult", w: Words) -> list[tuple[str, str, bool]]:
    """(group, block name, is a difference) for the groups, then each difference to the baseline."""
    return ([(g, g, False) for g in c.groups]
            + [(g, w.difference_name(g, c.baseline), True) for g in c.compared])


def compare_cell_text(c: "ComparisonResult", code: str, direction: str, group: str, is_diff: bool,
                      sep: str = "; ") -> str:
    """'3 (3); 100%' for a group, '+2 (+2); +50 pp' for a difference (``sep`` between the two)."""
    if is_diff:
        d = c.difference(code, direction, group)
        return f"{d.segments:+d} ({d.cases:+d}){sep}{d.share_of_cases * 100:+.0f} pp"
    cell = c.cell(code, direction, group)
    mark = "*" if cell.suggested else ""
    return f"{cell.segments}{mark} ({cell.cases}){sep}{cell.share_of_cases * 100:.0f}%"


def compare_table(analysis: "Analysis") -> tuple[list[str], list[list[str]]]:
    """The comparison as text: '3 (3); 100%' per group, '+2 (+2); +50 pp' per difference."""
    c = analysis.comparison
    if c is None:
        raise ValueError("no comparison in this analysis; make it with compare_by")
    w = words(analysis.codebook)
    headers = [w("aspect")]
    rows: list[list[str]] = [[w.code(code)] for code in c.codes]
    for group, name, diff in compare_blocks(c, w):
        for d in c.directions:
            headers.append(f"{name if diff else w.group_heading(name, c.n_cases(group))}: {w.direction(d)}")
            for row, code in zip(rows, c.codes):
                row.append(compare_cell_text(c, code, d, group, diff))
    return headers, rows


def _provenance_items(analysis: "Analysis", w: Words) -> list[tuple[str, str]]:
    reason = analysis.comparison_left_out
    return w.provenance(analysis.provenance, w("no_comparison", reason=reason) if reason else None)


def _quote_cells(analysis: "Analysis", w: Words):
    """(heading, quotes) per cell in matrix order, empty cells included."""
    for code in analysis.codes:
        for d in analysis.directions:
            yield f"{w.code(code)} — {w.direction(d)}", analysis.quotes_for(code, d)


def _who(q: "Quote", w: Words) -> tuple[str, str]:
    """'Expert 1, fragment 125' and ' (suggestie)' when the quote is a machine suggestion."""
    mark = f" ({w('suggestion')})" if q.status == "suggested" else ""
    return f"{q.pseudonym}, {w('segment').lower()} {q.segment_id}", mark


def _legend(analysis: "Analysis", w: Words) -> str:
    text = f"{w('cell_legend')} n = {analysis.n_cases()} {w('cases')}."
    if analysis.has_suggested:
        text += " " + w("suggested_legend")
    return text


# -- Markdown -----------------------------------------------------------------------------------
def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in headers) + " |",
             "|" + "|".join([" --- "] + [" ---: "] * (len(headers) - 1)) + "|"]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _markdown(analysis: "Analysis", has_compare_png: bool) -> str:
    w = words(analysis.codebook)
    out = [f"# {w('title')}", ""]
    out += [md_table(*matrix_table(analysis)), "", f"_{_legend(analysis, w)}_", "", "![heatmap](heatmap.png)", ""]
    if analysis.by is not None:
        out += [f"## {w('by_group')}: {w.attribute(analysis.by)}", "", md_table(*group_table(analysis)), ""]
    out += [f"## {w('quotes')}", ""]
    for heading, quotes in _quote_cells(analysis, w):
        out += [f"### {heading}", ""]
        if not quotes:
            out += [f"_{w('no_quotes')}_", ""]
        for q in quotes:
            who, mark = _who(q, w)
            out += [f"> {_md_cell(q.text)}", ">", f"> — {who}{mark}", ""]
    if analysis.comparison is not None:
        c = analysis.comparison
        out += [f"## {w('compare')}: {w.attribute(c.by)}", "", md_table(*compare_table(analysis)), "",
                f"_{w('share')} = {w('cases')} / n; pp = {w('difference')} × 100_", ""]
        if c.has_suggested:
            out += [f"_{w('suggested_legend')}_", ""]
        if has_compare_png:
            out += ["![heatmap compare](heatmap-compare.png)", ""]
        if c.codebook_changed:
            out += [f"**{w('codebook_changes')}**", ""] + [f"- {_md_cell(line)}" for line in c.codebook_changes] + [""]
    out += [f"## {w('provenance')}", ""] + [f"- **{k}**: {_md_cell(v)}" for k, v in _provenance_items(analysis, w)]
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


def _html(analysis: "Analysis", png: bytes, compare_png: bytes | None) -> str:
    w = words(analysis.codebook)
    parts = [f"<!DOCTYPE html><html lang=\"{_h(analysis.language)}\"><head><meta charset=\"utf-8\">",
             f"<title>{_h(w('title'))}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_h(w('title'))}</h1>", _html_table(*matrix_table(analysis)),
             f"<p class=\"legend\">{_h(_legend(analysis, w))}</p>", _img(png, w("title"))]
    if analysis.by is not None:
        parts += [f"<h2>{_h(w('by_group'))}: {_h(w.attribute(analysis.by))}</h2>",
                  _html_table(*group_table(analysis))]
    parts.append(f"<h2>{_h(w('quotes'))}</h2>")
    for heading, quotes in _quote_cells(analysis, w):
        parts.append(f"<h3>{_h(heading)}</h3>")
        if not quotes:
            parts.append(f"<p class=\"note\">{_h(w('no_quotes'))}</p>")
        for q in quotes:
            who, mark = _who(q, w)
            parts.append(f"<blockquote>{_h(q.text)}<span class=\"who\">— {_h(who)}{_h(mark)}</span></blockquote>")
    if analysis.comparison is not None:
        c = analysis.comparison
        parts += [f"<h2>{_h(w('compare'))}: {_h(w.attribute(c.by))}</h2>",
                  _html_table(*compare_table(analysis)),
                  f"<p class=\"legend\">{_h(w('share'))} = {_h(w('cases'))} / n; pp = {_h(w('difference'))} × 100"
                  + (f"<br>{_h(w('suggested_legend'))}" if c.has_suggested else "") + "</p>"]
        if compare_png is not None:
            parts.append(_img(compare_png, f"{w('compare')}: {c.by}"))
        if c.codebook_changed:
            items = "".join(f"<li>{_h(line)}</li>" for line in c.codebook_changes)
            parts.append(f"<div class=\"warning\"><strong>{_h(w('codebook_changes'))}</strong><ul>{items}</ul></div>")
    parts.append(f"<h2>{_h(w('provenance'))}</h2><dl class=\"provenance\">")
    parts += [f"<dt>{_h(k)}</dt><dd>{_h(v)}</dd>" for k, v in _provenance_items(analysis, w)]
    parts.append("</dl></body></html>")
    return "\n".join(parts)
