"""Plain-text transcripts: .txt and .md (Markdown is read as text; headings become paragraphs)."""
from __future__ import annotations

from pathlib import Path

from qualcode.ingest.importers.encoding import decode_bytes
from qualcode.ingest.importers.turns import find_turns
from qualcode.records import ParsedDocument


def read_text(path: Path, data: bytes) -> list[ParsedDocument]:
    """One document whose turns are the speaker turns (or paragraphs) of the file."""
    text = decode_bytes(data, path)
    doc_format = "md" if path.suffix.lower() in {".md", ".markdown"} else "txt"
    return [ParsedDocument(name=path.name, format=doc_format, text=text, turns=find_turns(text))]
