"""Plain-text transcripts: .txt and .md (Markdown is read as text; headings become paragraphs).

A text whose lines are timed like subtitles (Whisper's ``[00:43.810 --> 00:47.850]  text``,
the old Teams layout of timing line / name line / text, an .srt pasted into a .txt) is
read as cues, as a .vtt would be: see :func:`subtitles.timed_text_document`.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from qualcode.ingest.importers.encoding import decode_bytes, encoding_note
from qualcode.ingest.importers.subtitles import timed_text_document
from qualcode.ingest.importers.turns import find_turns
from qualcode.records import ParsedDocument


def read_text(path: Path, data: bytes, *, encoding: str | None = None,
              speaker_pattern: str | None = None) -> list[ParsedDocument]:
    """One document whose turns are the speaker turns (or paragraphs) of the file."""
    text = decode_bytes(data, path, encoding=encoding)
    doc_format = "md" if path.suffix.lower() in {".md", ".markdown"} else "txt"
    note = encoding_note(data, path.name, encoding)
    notes = (note,) if note else ()
    if speaker_pattern is None:
        timed = timed_text_document(path.name, doc_format, text)
        if timed is not None:
            return [replace(timed, notes=timed.notes + notes)]
    return [ParsedDocument(name=path.name, format=doc_format, text=text,
                           turns=find_turns(text, speaker_pattern=speaker_pattern), notes=notes)]
