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
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import atomic
from qualcode.errors import UsageError
from qualcode.outputs import heatmap
from qualcode.outputs.i18n import ENGLISH, Words, words

if TYPE_CHECKING:
    from qualcode.analysis.passages import Passage
    from qualcode.analysis.results import Analysis, ComparisonResult


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    heatmap: Path
    compare_heatmap: Path | None = None
    heatmap_svg: Path | None = None
    compare_note: str | None = None  # why there is no comparison section (for the terminal, in English)
    docx: Path | None = None  # report.docx, when asked for (qualcode.outputs.word)


def check_folder(out_dir: str | Path) -> Path:
    """The report's folder, checked before anything is computed."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: is a file; give a folder for the report")
    return out


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"


def heatmap_panels(analysis: "Analysis", w: Words) -> list:
    """One panel per scope (study), side by side: the report's heatmap."""
    return [(w.scope(part) or f"n = {part.n_cases()}", part.matrix, None) for part in analysis.scopes()]


def write_report(analysis: "Analysis", out_dir: str | Path) -> ReportFiles:
    """Write report.html, report.md, heatmap.png/.svg (and heatmap-compare.png) of ``analysis`` into ``out_dir``.

    The scenario draft is in them when the analysis holds one (``scenarios=True``); the Word
    report is :func:`qualcode.outputs.word.write_docx`.
    """
    out = check_folder(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    w = words(analysis.codebook)
    panels = heatmap_panels(analysis, w)
    png = heatmap.panels_image(panels, analysis.codebook, title=w("title"))
    heatmap_path = out / "heatmap.png"
    atomic.write_bytes(heatmap_path, png)
    svg_path = out / "heatmap.svg"
    atomic.write_bytes(svg_path, heatmap.panels_image(panels, analysis.codebook, title=w("title"), fmt="svg"))
    compare_png, compare_path = None, None
    c = analysis.comparison
    if c is not None and not (analysis.parts and c.by == "study"):  # per study, heatmap.png already compares
        compare_png = heatmap.compare_heatmap_png(c.matrix, analysis.codebook)
        compare_path = out / "heatmap-compare.png"
        atomic.write_bytes(compare_path, compare_png)
    html_path, md_path = out / "report.html", out / "report.md"
    atomic.write_text(html_path, _html(analysis, png, compare_png))
    atomic.write_text(md_path, _markdown(analysis, compare_path is not None))
    reason = analysis.comparison_left_out
    return ReportFiles(html_path, md_path, heatmap_path, compare_path, svg_path,
                       ENGLISH("no_comparison", reason=reason) if reason else None)


# -- shared pieces (also the CLI's markdown and terminal tables) ---------------------------------
def _matrix_row(analysis: "Analysis", w: Words, code: str, group: str | None) -> list[str]:
    return [w.cell(analysis.cell(code, d, group)) for d in analysis.directions]


def matrix_table(analysis: "Analysis") -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the matrix as text: aspect, then '12 (5 van 6, 83%)' per direction."""
    w = words(analysis.codebook)
    headers = [w("aspect"), *[w.direction(d) for d in analysis.directions]]
    return headers, [[w.code(code), *_matrix_row(analysis, w, code, None)] for code in analysis.codes]


def group_tables(analysis: "Analysis") -> list[tuple[str, list[str], list[list[str]]]]:
    """Per direction a table: aspects × groups (few columns, so it fits a page)."""
    w = words(analysis.codebook)
    out = []
    for d in analysis.directions:
        headers = [w("aspect"), *[w.group_heading(g, analysis.n_cases(g)) for g in analysis.groups]]
        rows = [[w.code(code), *[w.cell(analysis.cell(code, d, g)) for g in analysis.groups]] for code in analysis.codes]
        out.append((w.direction(d), headers, rows))
    return out


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
            row += _matrix_row(analysis, w, code, name)
        rows.append(row)
    return headers, rows


def compare_blocks(c: "ComparisonResult", w: Words) -> list[tuple[str, str, bool]]:
    """(group, block name, is a difference) for the groups, then each difference to the baseline."""
    return ([(g, g, False) for g in c.groups]
            + [(g, w.difference_name(g, c.baseline), True) for g in c.compared])


def compare_cell_text(c: "ComparisonResult", code: str, direction: str, group: str, is_diff: bool,
                      sep: str = "; ", w: Words | None = None) -> str:
    """'3 (3 van 4, 75%)' for a group, '+33 pp' (percentage points of cases) for a difference."""
    w = w or Words(None)
    if is_diff:
        return w.points(c.difference(code, direction, group))
    return w.cell(c.cell(code, direction, group))


def compare_table(analysis: "Analysis") -> tuple[list[str], list[list[str]]]:
    """The comparison as text: '3 (3 van 4, 75%)' per group, '+33 pp' per difference."""
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
                row.append(compare_cell_text(c, code, d, group, diff, w=w))
    return headers, rows


def co_occurrence_table(analysis: "Analysis") -> tuple[list[str], list[list[str]]]:
    """The pairs of aspect × direction coded on the same segment: 'werkdruk — kans' + '...', '7 (5)'."""
    w = words(analysis.codebook)
    rows = [[_cell_name(p.first, w), _cell_name(p.second, w), str(p.segments), str(p.cases)]
            for p in analysis.co_occurrence]
    return [w("first"), w("second"), w("segments"), w("cases")], rows


def agreement_table(analysis: "Analysis") -> tuple[list[str], list[list[str]]]:
    """Per aspect (any direction) and all codes together: n, % agreement, kappa, alpha (the whole project)."""
    from qualcode.analysis.agreement import ALL_CODES

    result = analysis.agreement
    if result is None:
        raise ValueError("no agreement in this analysis; make it with agreement=(A, B) or auto_agreement")
    w = words(analysis.codebook)
    headers = [w("aspect"), w("h_n"), w("h_percent_agreement"), w("h_kappa"), w("h_alpha")]
    rows = []
    for r in result.rows:
        if r.group is not None or r.direction is not None:
            continue
        name = w("all_codes") if r.code == ALL_CODES else w.code(r.code)
        rows.append([name, str(r.n), w.number(r.percent, 1), w.number(r.kappa), w.number(r.alpha)])
    return headers, rows


def agreement_lines(analysis: "Analysis") -> tuple[str, str, list[str]]:
    """The agreement section's heading, the units compared (one sentence) and what the figures mean."""
    result = analysis.agreement
    if result is None:
        raise ValueError("no agreement in this analysis")
    w = words(analysis.codebook)
    g = result.groups[0]
    units = w("agreement_units", units=g.units, a=result.coder_a, b=result.coder_b, where="", only_a=g.only_a,
              only_b=g.only_b)
    notes = sorted({w.agreement_note(r.note) for r in result.rows if r.group is None and r.direction is None
                    and r.note})
    return w("agreement_heading", a=result.coder_a, b=result.coder_b), units, [w("agreement_meaning"), *notes]


@dataclass(frozen=True)
class ScenarioText:
    """One scenario of the draft in words: heading, the skeleton's sentences, its quotes (passages to cite)."""

    heading: str
    sentences: tuple[str, ...]
    quotes: tuple["Passage", ...]

    def lead(self) -> tuple[str, str]:
        """('Werkdruk, kans:', the rest): the paragraph's opening words (set in bold) and the skeleton after them."""
        text = " ".join(self.sentences)
        head, sep, rest = text.partition(": ")
        return (head + ":", rest) if sep else ("", text)


def scenario_texts(part: "Analysis") -> list[tuple[str, list[ScenarioText]]]:
    """Per aspect (heading) its scenarios in words, from ``part.scenarios``: the paragraph skeletons."""
    w = words(part.codebook)
    out: list[tuple[str, list[ScenarioText]]] = []
    for code in part.codes:
        texts = []
        for sc in (s for s in part.scenarios if s.code == code):
            aspect, direction = w.code(sc.code), w.direction(sc.direction)
            c = sc.cell
            if not c.segments:
                none = w("scenario_none", aspect=aspect, direction=direction)
                texts.append(ScenarioText(f"{aspect} — {direction}", (none[:1].upper() + none[1:],), ()))
                continue
            sentences = [w("scenario_count", aspect=aspect, direction=direction, cases=c.cases, n=c.n_cases,
                           percent=c.percent, segments=c.segments)]
            if sc.groups and len(sc.groups) > 1:
                items = "; ".join(w("scenario_group", group=g, cases=gc.cases, n=gc.n_cases, percent=gc.percent)
                                  for g, gc in sc.groups)
                sentences.append(w("scenario_groups", attribute=w.attribute(sc.by), items=items))
            if sc.themes and sc.themes[0].kind == "subcode":
                sentences.append(w("scenario_subcodes", items=", ".join(
                    w("scenario_theme", text=w.code(t.text), n=t.segments) for t in sc.themes)))
            elif sc.themes:
                sentences.append(w("scenario_themes", k=sc.keyword_segments, segments=c.segments, items=", ".join(
                    w("scenario_theme", text=t.text, n=t.segments) for t in sc.themes)))
            else:
                sentences.append(w("scenario_no_themes"))
            if sc.together:
                sentences.append(w("scenario_together", items=", ".join(
                    w("scenario_together_item", cell=_cell_name((t.code, t.direction), w), n=t.segments)
                    for t in sc.together)))
            sentences.append(w("scenario_todo"))
            sentences[0] = sentences[0][:1].upper() + sentences[0][1:]
            texts.append(ScenarioText(f"{aspect} — {direction}", tuple(sentences), sc.quotes))
        if texts:
            out.append((w.code(code), texts))
    return out


def has_scenarios(analysis: "Analysis") -> bool:
    return any(part.scenarios for part in analysis.scopes())


def _cell_name(cell: tuple[str, str], w: Words) -> str:
    return f"{w.code(cell[0])} — {w.direction(cell[1])}"


def _provenance_items(analysis: "Analysis", w: Words) -> list[tuple[str, str]]:
    reason = analysis.comparison_left_out
    return w.provenance(analysis.provenance, w("no_comparison", reason=reason) if reason else None)


def _cells(analysis: "Analysis", w: Words):
    """(heading, anchor, code, direction) per cell in matrix order."""
    prefix = _slug(analysis.study or "all")
    for code in analysis.codes:
        for d in analysis.directions:
            yield f"{w.code(code)} — {w.direction(d)}", f"{prefix}-{_slug(code)}-{d}", code, d


def _legend(analysis: "Analysis", w: Words) -> str:
    text = w("cell_legend")
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


def _md_quote(p: "Passage", w: Words) -> list[str]:
    out = []
    if p.question:
        out += [f"> _{w('question')}: {_md_cell(p.question)}_", ">"]
    out += [f"> {_md_cell(p.excerpt)}", ">", f"> — {_md_cell(w.source(p))}"
            + (f" ({w('suggestion')})" if p.status == "suggested" else "")]
    out += [f">\n> {w('memo')} ({coder}): {_md_cell(text)}" for coder, text in p.memos]
    return out + [""]


def _markdown(analysis: "Analysis", has_compare_png: bool) -> str:
    w = words(analysis.codebook)
    out = [f"# {w('title')}", "", "![heatmap](heatmap.png)", ""]
    if analysis.parts:
        out += [f"_{w('per_study_note', studies=', '.join(p.study or '' for p in analysis.parts))}_", ""]
    for part in analysis.scopes():
        out += [f"## {w.scope_title(part)}", "", f"_{w.scope_line(part)}_", "",
                md_table(*matrix_table(part)), "", f"_{_legend(part, w)}_", ""]
        if part.by is not None:
            out += [f"### {w('by_group')}: {w.attribute(part.by)}", ""]
            for direction, headers, rows in group_tables(part):
                out += [f"**{direction}**", "", md_table(headers, rows), ""]
        out += [f"### {w('quotes')} — {w.scope(part)}".rstrip(" —"), ""]
        for heading, _, code, d in _cells(part, w):
            quotes = part.quotes_for(code, d)
            out += [f"#### {heading}", ""]
            if not quotes:
                out += [f"_{w('no_quotes')}_", ""]
            for q in quotes:
                out += _md_quote(q.passage, w)
        out += [f"### {w('co_occurrence')} — {w.scope(part)}".rstrip(" —"), ""]
        if part.co_occurrence:
            out += [md_table(*co_occurrence_table(part)), "", f"_{w('co_occurrence_legend')}_", ""]
        else:
            out += [f"_{w('no_co_occurrence')}_", ""]
        if part.scenarios:
            out += [f"### {w('scenarios')} — {w.scope(part)}".rstrip(" —"), "", f"_{w('scenario_intro')}_", ""]
            for aspect, texts in scenario_texts(part):
                out += [f"#### {aspect}", ""]
                for t in texts:
                    lead, rest = t.lead()
                    out += [f"**{_md_cell(lead)}** {_md_cell(rest)}", ""]
                    for p in t.quotes:
                        out += _md_quote(p, w)
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
    if analysis.agreement is not None:
        heading, units, meaning = agreement_lines(analysis)
        out += [f"## {heading}", "", units, "", md_table(*agreement_table(analysis)), ""]
        out += [f"_{line}_" for line in meaning] + [""]
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
code { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.legend, .note { color: #555; font-size: .9rem; }
img { max-width: 100%; height: auto; margin: 1rem 0; }
blockquote { margin: .5rem 0 .8rem; padding: .3rem .9rem; border-left: 4px solid #e8743b; background: #fbf6f2; }
blockquote .who { display: block; color: #555; font-size: .85rem; margin-top: .2rem; }
dl.provenance { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.provenance dt { font-weight: bold; } dl.provenance dd { margin: 0; word-break: break-all; }
details { margin: .3rem 0 1rem; } summary { cursor: pointer; color: #335; }
.question { color: #555; font-style: italic; display: block; margin-bottom: .2rem; }
.memo { display: block; color: #364; font-size: .85rem; margin-top: .2rem; }
td.num a { color: inherit; text-decoration: none; border-bottom: 1px dotted #888; }
ol.passages li { margin-bottom: .6rem; }
div.wide { overflow-x: auto; max-width: 100%; }
p.scenario .lead { font-weight: bold; }
.warning { background: #fff4d6; padding: .5rem .8rem; border-left: 4px solid #e0a800; }
"""


def _h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _hc(text: Any) -> str:
    """:func:`_h`, with `command` (as the Markdown has it) as code that does not break over lines."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _h(text))


_NUMBER = re.compile(r"[-+−]?\d")


def _html_table(headers: list[str], rows: list[list[str]], links: list[list[str | None]] | None = None) -> str:
    head = "".join(f"<th>{_h(h)}</th>" for h in headers)
    body = []
    for r, row in enumerate(rows):
        cells = []
        for i, v in enumerate(row):
            if i == 0:
                cells.append(f"<th scope=\"row\">{_h(v)}</th>")
                continue
            link = links[r][i - 1] if links else None
            inner = f"<a href=\"#{_h(link)}\">{_h(v)}</a>" if link else _h(v)
            cells.append(f"<td class=\"num\">{inner}</td>" if _NUMBER.match(str(v)) else f"<td>{inner}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class=\"wide\"><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{_h(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _html_passage(p: "Passage", w: Words, tag: str = "blockquote") -> str:
    question = f"<span class=\"question\">{_h(w('question'))}: {_h(p.question)}</span>" if p.question else ""
    mark = f" ({_h(w('suggestion'))})" if p.status == "suggested" else ""
    memos = "".join(f"<span class=\"memo\">{_h(w('memo'))} ({_h(c)}): {_h(t)}</span>" for c, t in p.memos)
    return (f"<{tag}>{question}{_h(p.excerpt)}<span class=\"who\">— {_h(w.source(p))}{mark}</span>{memos}</{tag}>")


def _html_scope(part: "Analysis", w: Words) -> list[str]:
    anchors = {(code, d): anchor for _, anchor, code, d in _cells(part, w)}
    headers, rows = matrix_table(part)
    links = [[anchors[(code, d)] for d in part.directions] for code in part.codes]
    parts = [f"<h2>{_h(w.scope_title(part))}</h2>", f"<p class=\"legend\">{_hc(w.scope_line(part))}</p>",
             _html_table(headers, rows, links), f"<p class=\"legend\">{_h(_legend(part, w))}</p>"]
    if part.by is not None:
        parts.append(f"<h3>{_h(w('by_group'))}: {_h(w.attribute(part.by))}</h3>")
        for direction, headers, rows in group_tables(part):
            parts += [f"<p><strong>{_h(direction)}</strong></p>", _html_table(headers, rows)]
    parts.append(f"<h3>{_h(w('quotes'))}</h3>")
    for heading, anchor, code, d in _cells(part, w):
        parts.append(f"<h4 id=\"{_h(anchor)}\">{_h(heading)}</h4>")
        quotes = part.quotes_for(code, d)
        if not quotes:
            parts.append(f"<p class=\"note\">{_h(w('no_quotes'))}</p>")
        parts += [_html_passage(q.passage, w) for q in quotes]
        passages = part.passages_for(code, d)
        if passages:
            items = "".join(_html_passage(p, w, "li") for p in passages)
            parts.append(f"<details><summary>{_h(w('passages_of', n=len(passages)) if len(passages) > 1 else w('passages_of_one'))}"
                         "</summary>"
                         f"<ol class=\"passages\">{items}</ol></details>")
    parts.append(f"<h3>{_h(w('co_occurrence'))}</h3>")
    if part.co_occurrence:
        parts += [_html_table(*co_occurrence_table(part)), f"<p class=\"legend\">{_h(w('co_occurrence_legend'))}</p>"]
    else:
        parts.append(f"<p class=\"note\">{_h(w('no_co_occurrence'))}</p>")
    if part.scenarios:
        parts += [f"<h3>{_h(w('scenarios'))}</h3>", f"<p class=\"legend\">{_h(w('scenario_intro'))}</p>"]
        for aspect, texts in scenario_texts(part):
            parts.append(f"<h4>{_h(aspect)}</h4>")
            for t in texts:
                lead, rest = t.lead()
                parts.append(f"<p class=\"scenario\"><span class=\"lead\">{_h(lead)}</span> {_h(rest)}</p>")
                parts += [_html_passage(p, w) for p in t.quotes]
    return parts


def _html(analysis: "Analysis", png: bytes, compare_png: bytes | None) -> str:
    w = words(analysis.codebook)
    parts = [f"<!DOCTYPE html><html lang=\"{_h(analysis.language)}\"><head><meta charset=\"utf-8\">",
             f"<title>{_h(w('title'))}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_h(w('title'))}</h1>", _img(png, w("title"))]
    if analysis.parts:
        note = w("per_study_note", studies=", ".join(p.study or "" for p in analysis.parts))
        parts.append(f"<p class=\"legend\">{_hc(note)}</p>")
    for part in analysis.scopes():
        parts += _html_scope(part, w)
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
    if analysis.agreement is not None:
        heading, units, meaning = agreement_lines(analysis)
        parts += [f"<h2>{_h(heading)}</h2>", f"<p>{_h(units)}</p>", _html_table(*agreement_table(analysis))]
        parts += [f"<p class=\"legend\">{_h(line)}</p>" for line in meaning]
    parts.append(f"<h2>{_h(w('provenance'))}</h2><dl class=\"provenance\">")
    parts += [f"<dt>{_h(k)}</dt><dd>{_h(v)}</dd>" for k, v in _provenance_items(analysis, w)]
    parts.append("</dl></body></html>")
    return "\n".join(parts)
