"""A document built from paragraphs (a Word processor's or a PDF's): one line per paragraph.

Shared by .odt, .rtf and .pdf: the text is the paragraphs joined by ``\\n``, each a
block of its own, and the turns are found as in :mod:`turns` (speaker turns, or
paragraphs as segments when there are no speakers); a body timed like subtitles
(the old Teams layout) is read as cues.
"""
from __future__ import annotations

from typing import Sequence

from qualcode.errors import ImportFormatError
from qualcode.ingest.importers.subtitles import timed_text_document
from qualcode.ingest.importers.turns import find_turns
from qualcode.records import ParsedDocument


def paragraphs_document(name: str, doc_format: str, paragraphs: Sequence[str], *,
                        speaker_pattern: str | None = None, what: str = "document") -> ParsedDocument:
    """One document whose text is ``paragraphs``, one per line."""
    text = "\n".join(paragraph.replace("\r\n", "\n").replace("\r", "\n") for paragraph in paragraphs)
    if not text.strip():
        raise ImportFormatError(f"{name}: the {what} has no text; check that you exported the right file")
    if speaker_pattern is None:
        timed = timed_text_document(name, doc_format, text)
        if timed is not None:
            return timed
    starts = set()
    position = 0
    for paragraph in paragraphs:
        starts.add(position)
        position += len(paragraph) + 1
    turns = find_turns(text, block_starts=starts, speaker_pattern=speaker_pattern)
    return ParsedDocument(name=name, format=doc_format, text=text, turns=turns)
