"""The Word report (``report.docx``): the matrices per study, the heatmap, the scenario draft, quotes, agreement.

A rendering of one :class:`~qualcode.analysis.results.Analysis` with python-docx, in the
words of :mod:`qualcode.outputs.i18n` and from the same tables as the Markdown and HTML
report (:mod:`qualcode.outputs.report`), so every output shows the same numbers. Only
python-docx's own styles (Title, Heading n, Quote, Table Grid) are used, so the file opens
cleanly in Word and LibreOffice. Respondents appear by pseudonym only.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.atomic import atomic_path
from qualcode.errors import UsageError
from qualcode.outputs.i18n import Words, words

if TYPE_CHECKING:
    from qualcode.analysis.passages import Passage
    from qualcode.analysis.results import Analysis

HEATMAP_WIDTH_CM = 16.0
_NUMBER = re.compile(r"[-+−]?\d")  # a cell that reads as a number: right-aligned
TEXT_WIDTH_CM = 16.0  # A4 (21 cm) less margins of 2.5 cm
CELL_PADDING_CM = 0.45  # a cell's left and right margins and the grid line
LANGUAGE_TAGS = {"nl": "nl-NL", "en": "en-GB"}


def _text_cm(text: str, bold: bool = False) -> float:
    """About how wide ``text`` is at 9 pt, in centimetres (LibreOffice's and Word's default fonts, rounded up)."""
    return len(text) * (0.22 if bold else 0.2)


def _words(text: str) -> list[str]:
    """The pieces a line may break between: words apart at ordinary spaces (not at non-breaking ones)."""
    return [word for word in re.split(r"[ \t\n]+", text) if word]


def keep_together(text: str) -> str:
    """'workshopgroep (n = 8)' with non-breaking spaces around '=', so that '(n = 8)' stays on one line."""
    return text.replace(" = ", "\u00a0=\u00a0")


def column_widths(headers: list[str], rows: list[list[str]], available: float = TEXT_WIDTH_CM) -> list[float]:
    """Column widths (cm) that break no word: every column as wide as its widest cell (cells stay on one
    line) and its header's longest word; what is left of the page goes to headers that would wrap. When the
    cells do not fit on one line, every column gets its longest word and the rest is shared out by how much
    more each column needs."""
    columns = list(zip(headers, *rows)) if rows else [(h,) for h in headers]
    least, cells, header = [], [], []
    for head, *body in columns:
        words = [_text_cm(word, True) for word in _words(str(head))] + \
                [_text_cm(word) for c in body for word in _words(str(c))]
        least.append(max(words, default=0.0) + CELL_PADDING_CM)
        cells.append(max([least[-1], *(_text_cm(str(c)) + CELL_PADDING_CM for c in body)]))
        header.append(max(cells[-1], _text_cm(str(head), True) + CELL_PADDING_CM))
    if sum(cells) <= available:
        spare, more = available - sum(cells), [h - c for h, c in zip(header, cells)]
        if not sum(more):
            return cells
        return [c + min(extra, spare * extra / sum(more)) for c, extra in zip(cells, more)]
    spare, more = available - sum(least), [c - m for c, m in zip(cells, least)]
    if spare <= 0 or not sum(more):
        return least
    return [m + spare * extra / sum(more) for m, extra in zip(least, more)]


def _unbroken_run(paragraph, text: str):
    """A run of ``text`` whose hyphens do not break a line ('vo-2025' stays whole in a narrow column):
    Word's non-breaking hyphen, which reads and searches as '-'."""
    from docx.oxml import OxmlElement

    run = paragraph.add_run()
    for i, piece in enumerate(text.split("-")):
        if i:
            run._r.append(OxmlElement("w:noBreakHyphen"))
        if piece:
            t = OxmlElement("w:t")
            t.text = piece
            if piece != piece.strip():
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            run._r.append(t)
    return run


def _table(doc, headers: list[str], rows: list[list[str]]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    headers = [keep_together(str(h)) for h in headers]
    rows = [[keep_together(str(c)) for c in row] for row in rows]
    widths = column_widths(headers, rows)
    for i, width in enumerate(widths):  # the grid (LibreOffice) and every cell (Word)
        table.columns[i].width = Cm(width)
        for cell in table.columns[i].cells:
            cell.width = Cm(width)
    _repeat_header(table.rows[0])
    numeric = [bool(i) and all(_NUMBER.match(str(row[i])) for row in rows) for i in range(len(headers))]
    for r, row in enumerate([headers, *rows]):
        for i, text in enumerate(row):
            cell = table.rows[r].cells[i]
            cell.text = ""
            paragraph = cell.paragraphs[0]
            run = _unbroken_run(paragraph, str(text))
            run.font.size = Pt(9)
            run.bold = r == 0
            if numeric[i]:  # numbers, and their headers, to the right
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

    run = _unbroken_run(doc.add_paragraph(), text)  # '--all-studies', 'po-2019' stay on one line
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
    for section in doc.sections:  # A4, as a report in the Netherlands is printed (python-docx's default is Letter)
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm((21.0 - TEXT_WIDTH_CM) / 2)
    doc.core_properties.title = w("title")
    doc.core_properties.author = "qualcode"
    doc.core_properties.language = LANGUAGE_TAGS.get(analysis.language, analysis.language)
    # per study (the parts) or one scope: the title names what the document shows, never 'pooled' when it is not
    scope = "; ".join(w.scope(p) for p in analysis.parts) if analysis.parts else w.scope(analysis)
    doc.add_heading(w("title"), level=0)
    if scope:
        doc.add_paragraph(scope)
    _note(doc, f"{w('counted')}: {w.selection(analysis.selection)}")
    if analysis.parts:
        _note(doc, w("per_study_note", studies=", ".join(p.study or "" for p in analysis.parts)).replace("`", ""))
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
