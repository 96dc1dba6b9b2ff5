"""Word transcripts (.docx), read with python-docx.

The document text is the body in reading order, one line per item, joined by
``\\n``: each paragraph as it reads (a manual line break is a ``\\n`` too), and
each row of a table on its own line. A two-column table ``speaker | text`` (or
``time | speaker | text``) is rendered ``Speaker: text``; any other table row is
rendered as its cells joined by `` | ``. Headers, footers, footnotes, comments
and text boxes are not part of the text.

Speakers are found as in :mod:`qualcode.ingest.importers.turns`, plus a bold run at the
start of a paragraph (**Marieke:** tekst, or **Marieke** tekst).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import ImportFormatError
from qualcode.ingest.importers.subtitles import timed_text_document
from qualcode.ingest.importers.turns import LineLabel, find_turns, looks_like_label, parse_timestamp
from qualcode.records import ParsedDocument
from qualcode.zipsafe import DOCUMENT_LIMITS, ZipLimits, check_container

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .doc, or any password-protected Office file
_SPEAKER_HEADERS = {"spreker", "speaker", "naam", "name", "wie", "persoon", "deelnemer"}
_TIME_HEADERS = {"tijd", "time", "tijdstip", "timestamp", "tijdcode"}
_TEXT_HEADERS = {"tekst", "text", "transcript", "transcriptie", "uitspraak", "inhoud"}
_TABLE_SEPARATOR = " | "


@dataclass
class _Builder:
    """The document text as it grows, with what turns.py needs to know about its lines."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    labels: dict[int, LineLabel] = field(default_factory=dict)
    block_starts: set[int] = field(default_factory=set)
    # Whether a run without its own bold setting is bold, per character style id (None: the default
    # style). python-docx looks a style up by walking every style of the document, per run.
    bold_styles: dict[str | None, bool] = field(default_factory=dict)

    def add_line(self, line: str) -> int:
        """Append one block (it may contain ``\\n``); return its start offset."""
        if self.parts:
            self.parts.append("\n")
            self.length += 1
        start = self.length
        self.parts.append(line)
        self.length += len(line)
        self.block_starts.add(start)
        return start

    def text(self) -> str:
        return "".join(self.parts)


def read_docx(path: Path, data: bytes, *, encoding: str | None = None,
              speaker_pattern: str | None = None, limits: ZipLimits = DOCUMENT_LIMITS) -> list[ParsedDocument]:
    """One document: the body text of the Word file, with its speaker turns or paragraphs.

    The archive is checked against ``limits`` (zip bombs, unsafe members) before python-docx opens it.
    """
    document = _open(path.name, data, limits)
    builder = _Builder()
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            _add_table(builder, item)
        else:
            _add_paragraph(builder, item)
    text = builder.text()
    if not text.strip():
        raise ImportFormatError(
            f"{path.name}: the Word document has no text in its body; "
            "check that you exported the right file"
        )
    if speaker_pattern is None and not builder.labels:
        timed = timed_text_document(path.name, "docx", text)  # the old Teams .docx transcript
        if timed is not None:
            return [timed]
    turns = find_turns(text, labels=builder.labels, block_starts=builder.block_starts,
                       speaker_pattern=speaker_pattern)
    return [ParsedDocument(name=path.name, format="docx", text=text, turns=turns)]


def _open(name: str, data: bytes, limits: ZipLimits = DOCUMENT_LIMITS) -> Any:
    if data.startswith(_OLE_MAGIC):
        raise ImportFormatError(
            f"{name}: not a Word .docx file (it is an old .doc or a password-protected file); "
            "open it in Word and save it as .docx without a password"
        )
    if not data.startswith(_ZIP_MAGIC):
        raise ImportFormatError(
            f"{name}: not a Word .docx file (it is not a zip archive); "
            "save it again as .docx from Word"
        )
    check_container(data, name, error=ImportFormatError, limits=limits, not_a_zip=(
        f"{name}: not a readable Word .docx file (a damaged zip archive); save it again as .docx from Word"))
    import docx  # heavy: imported only when a .docx is read

    try:
        return docx.Document(io.BytesIO(data))
    except Exception as error:  # BadZipFile, KeyError, ValueError, lxml errors, ...
        raise ImportFormatError(
            f"{name}: not a readable Word .docx file ({type(error).__name__}); "
            "save it again as .docx from Word"
        ) from None


def _add_paragraph(builder: _Builder, paragraph: Paragraph) -> None:
    text = paragraph.text
    start = builder.add_line(text)
    label = _bold_label(paragraph, text, builder.bold_styles)
    if label is not None:
        speaker, content_offset = label
        builder.labels[start] = LineLabel(speaker, start + content_offset)


def _bold_label(paragraph: Paragraph, text: str,
                bold_styles: dict[str | None, bool] | None = None) -> tuple[str, int] | None:
    """(speaker, offset of the content in the paragraph) when it starts with a bold name."""
    bold: list[str] = []
    all_bold = True
    styles = {} if bold_styles is None else bold_styles
    for run in paragraph.runs:
        if not run.text:
            continue
        if not _is_bold(run, styles):
            all_bold = False
            break
        bold.append(run.text)
    prefix = "".join(bold)
    if not prefix.strip() or not text.startswith(prefix):
        return None
    if ":" in prefix:
        colon = prefix.index(":")
        name, after = prefix[:colon], colon + 1
    elif all_bold:
        return None  # a bold line without a colon is a heading, not a speaker
    else:
        name, after = prefix, len(prefix)
        if text[after:].lstrip(" \t").startswith(":"):
            after = text.index(":", after) + 1
    name = name.strip()
    if not looks_like_label(name):
        return None
    return " ".join(name.split()), after


def _is_bold(run: Any, styles: dict[str | None, bool]) -> bool:
    """The run's own bold setting, else its character style's (looked up once per style in ``styles``)."""
    if run.bold is not None:
        return bool(run.bold)
    style_id = run._r.style  # the w:rStyle id, None for the default style (python-docx has no public getter)
    if style_id not in styles:
        style = run.style
        styles[style_id] = bool(style is not None and style.font.bold)
    return styles[style_id]


def _add_table(builder: _Builder, table: Table) -> None:
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return
    layout = _speaker_layout(rows)
    if layout is None:
        for row in rows:
            builder.add_line(_TABLE_SEPARATOR.join(cell.strip() for cell in row))
        return
    time_column, speaker_column = layout
    for row in rows:
        speaker = " ".join(row[speaker_column].split())
        content = row[speaker_column + 1].strip()
        if not speaker:  # a row that continues the previous speaker's turn
            builder.add_line(content)
            continue
        prefix = f"{speaker}: "
        start = builder.add_line(prefix + content)
        start_time = parse_timestamp(row[time_column]) if time_column is not None else None
        builder.labels[start] = LineLabel(speaker, start + len(prefix), start_time)


def _speaker_layout(rows: list[list[str]]) -> tuple[int | None, int] | None:
    """(time column or None, speaker column) for a transcript table; None for another table.

    A header row (Spreker | Tekst) is removed from ``rows``.
    """
    width = len(rows[0])
    if width not in (2, 3) or any(len(row) != width for row in rows):
        return None
    if _is_header(rows[0]):
        del rows[0]
        if not rows:
            return None
    time_column = 0 if width == 3 else None
    speaker_column = width - 2
    if time_column is not None and not all(
        parse_timestamp(row[0]) is not None or not row[0].strip() for row in rows
    ):
        return None
    speakers = [row[speaker_column].strip() for row in rows if row[speaker_column].strip()]
    if not speakers or not all(looks_like_label(speaker) for speaker in speakers):
        return None
    return time_column, speaker_column


def _is_header(row: list[str]) -> bool:
    first, last = row[0].strip().casefold(), row[-1].strip().casefold()
    return last in _TEXT_HEADERS or first in _SPEAKER_HEADERS | _TIME_HEADERS
