"""The Word report (``report.docx``): the matrices per study, the heatmap, the scenario draft, quotes, agreement.

A rendering of one :class:`~qualcode.analysis.results.Analysis` with python-docx, in the
words of :mod:`qualcode.outputs.i18n` and from the same tables as the Markdown and HTML
report (:mod:`qualcode.outputs.report`), so every output shows the same numbers. Only
python-docx's own styles (Title, Heading n, Quote, Table Grid) are used, so the file opens
cleanly in Word and LibreOffice. Respondents appear by pseudonym only.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.atomic import atomic_path
from qualcode.errors import UsageError
from qualcode.outputs.i18n import Words, words

if TYPE_CHECKING:
    from qualcode.analysis.passages import Passage
    from qualcode.analysis.results import Analysis

HEATMAP_WIDTH_CM = 16.0
LANGUAGE_TAGS = {"nl": "nl-NL", "en": "en-GB"}


def _table(doc, headers: list[str], rows: list[list[str]]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = "Table Grid"
    _repeat_header(table.rows[0])
    for i, text in enumerate(headers):
        cell = table.rows[0].cells[i]
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
        run.font.size = Pt(9)
    for r, row in enumerate(rows, start=1):
        for i, text in enumerate(row):
            cell = table.rows[r].cells[i]
            cell.text = ""
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(str(text))
            run.font.size = Pt(9)
            if i:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph()


def _repeat_header(row) -> None:
    """Repeat the header row on every page a table runs over, and keep each row on one page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        properties.append(element)


def _note(doc, text: str) -> None:
    from docx.shared import Pt, RGBColor

    run = doc.add_paragraph().add_run(text)
    run.italic = True
    run.font.size = Pt(9)
    run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)


def _quote(doc, p: "Passage", w: Words) -> None:
    from docx.shared import Pt

    paragraph = doc.add_paragraph(style="Quote")
    if p.question:
        question = paragraph.add_run(f"{w('question')}: {p.question}\n")
        question.font.size = Pt(9)
    paragraph.add_run(p.excerpt)
    mark = f" ({w('suggestion')})" if p.status == "suggested" else ""
    source = paragraph.add_run(f"\n— {w.source(p)}{mark}")
    source.font.size = Pt(9)
    for coder, text in p.memos:
        memo = paragraph.add_run(f"\n{w('memo')} ({coder}): {text}")
        memo.font.size = Pt(8)


def write_docx(analysis: "Analysis", path: str | Path, heatmap_png: bytes) -> Path:
    """Write the Word report of ``analysis`` to ``path`` (the heatmap as a picture); return the path."""
    from docx import Document
    from docx.shared import Cm

    from qualcode.outputs.report import (agreement_lines, agreement_table, compare_blocks, compare_cell_text,
                                         group_tables, matrix_table, scenario_texts)

    path = Path(path)
    w = words(analysis.codebook)
    doc = Document()
    doc.core_properties.title = w("title")
    doc.core_properties.author = "qualcode"
    doc.core_properties.language = LANGUAGE_TAGS.get(analysis.language, analysis.language)
    # per study (the parts) or one scope: the title names what the document shows, never 'pooled' when it is not
    scope = "; ".join(w.scope(p) for p in analysis.parts) if analysis.parts else w.scope(analysis)
    doc.add_heading(w("title"), level=0)
    if scope:
        doc.add_paragraph(scope)
    _note(doc, f"{w('counted')}: {w.selection(analysis.selection)}")
    doc.add_picture(io.BytesIO(heatmap_png), width=Cm(HEATMAP_WIDTH_CM))

    for part in analysis.scopes():
        doc.add_heading(w.scope_title(part), level=1)
        _note(doc, w.scope_line(part))
        _table(doc, *matrix_table(part))
        _note(doc, w("cell_legend") + (" " + w("suggested_legend") if part.has_suggested else ""))
        if part.by is not None:
            doc.add_heading(f"{w('by_group')}: {w.attribute(part.by)}", level=2)
            for direction, headers, rows in group_tables(part):
                doc.add_paragraph().add_run(direction).bold = True
                _table(doc, headers, rows)
        if part.scenarios:
            doc.add_heading(w("scenarios"), level=2)
            _note(doc, w("scenario_intro"))
            for aspect, texts in scenario_texts(part):
                doc.add_heading(aspect, level=3)
                for t in texts:
                    lead, rest = t.lead()
                    paragraph = doc.add_paragraph()
                    paragraph.add_run(lead).bold = True
                    paragraph.add_run(" " + rest)
                    for p in t.quotes:
                        _quote(doc, p, w)
        doc.add_heading(w("quotes"), level=2)
        for code in part.codes:
            for d in part.directions:
                quotes = part.quotes_for(code, d)
                if not quotes:
                    continue
                doc.add_paragraph().add_run(f"{w.code(code)} — {w.direction(d)}").bold = True
                for q in quotes:
                    _quote(doc, q.passage, w)

    c = analysis.comparison
    if c is not None:  # per direction a table of few columns: the groups, then the differences
        doc.add_heading(f"{w('compare')}: {w.attribute(c.by)}", level=1)
        blocks = compare_blocks(c, w)
        for d in c.directions:
            doc.add_paragraph().add_run(w.direction(d)).bold = True
            headers = [w("aspect")] + [name if diff else w.group_heading(name, c.n_cases(group))
                                       for group, name, diff in blocks]
            rows = [[w.code(code)] + [compare_cell_text(c, code, d, group, diff, w=w) for group, _, diff in blocks]
                    for code in c.codes]
            _table(doc, headers, rows)
        _note(doc, f"{w('share')} = {w('cases')} / n; pp = {w('difference')} × 100")
    if analysis.agreement is not None:
        heading, units, meaning = agreement_lines(analysis)
        doc.add_heading(heading, level=1)
        doc.add_paragraph(units)
        _table(doc, *agreement_table(analysis))
        for line in meaning:
            _note(doc, line)
    doc.add_heading(w("provenance"), level=1)
    reason = analysis.comparison_left_out
    for label, value in w.provenance(analysis.provenance, w("no_comparison", reason=reason) if reason else None):
        paragraph = doc.add_paragraph(style="List Bullet")
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(str(value))
    try:
        with atomic_path(path) as temporary:  # a killed report leaves the old .docx or the whole new one
            tmp = str(temporary)  # python-docx takes a str or a file
            doc.save(tmp)
    except PermissionError:
        raise UsageError(f"{path}: cannot write (is it open in Word?); close it or choose another folder") from None
    return path
