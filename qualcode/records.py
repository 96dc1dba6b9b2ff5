"""Frozen records that cross module borders.

Importers produce :class:`ParsedDocument` objects (pure data, no store access);
the project store turns them into rows. Offsets are Unicode code points into
``ParsedDocument.text``, end exclusive, so ``text[start:end]`` is always the span.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class ParsedTurn:
    """One speaker turn (or paragraph, or table cell) found by an importer.

    ``start``/``end`` delimit the *content* of the turn in the document text,
    without the speaker prefix or timestamp, so a segment never contains the
    label ``Interviewer:``.
    """

    start: int
    end: int
    speaker: str | None = None
    start_time: float | None = None  # seconds, from .vtt/.srt or a [00:01:23] stamp
    end_time: float | None = None
    source_row: str | None = None  # the row id of a table import (--id-column)
    case_id: str | None = None  # a case named by the file itself (table imports)
    attributes: Mapping[str, Any] = field(default_factory=dict)  # case attributes from a table row
    boilerplate: bool = False  # a tool's header or footer line ("Transcribed by https://otter.ai"): kept, not coded


@dataclass(frozen=True)
class ParsedDocument:
    """The exact text of one imported document and the turns found in it."""

    name: str  # file name; the import run renames it to the path relative to the import root
    format: str  # 'txt', 'md', 'docx', 'vtt', 'srt', 'csv', 'xlsx', 'odt', 'rtf', 'pdf'
    text: str
    turns: tuple[ParsedTurn, ...]
    notes: tuple[str, ...] = ()  # what the reader recognised ("read as a Qualtrics export ...")
    warnings: tuple[str, ...] = ()  # what the user must look at (columns left out, no speakers, ...)


@dataclass(frozen=True)
class Segment:
    """A coded unit: a span of a document's text, with its speaker and case."""

    id: int
    document_id: int
    start: int
    end: int
    text: str
    speaker: str | None
    case_id: str | None
    kind: str  # 'turn', 'paragraph', 'sentence', 'row'
    to_code: bool = True  # False for interviewer turns
    document_name: str = ""
    study: str | None = None
    source_row: str | None = None
    position: int = 0  # order within the document
    start_time: float | None = None  # seconds from the start of the recording (or clock time of day)
    end_time: float | None = None


@dataclass(frozen=True)
class Case:
    """A respondent or a group, with its pseudonym (what leaves the project) and typed attributes."""

    case_id: str
    pseudonym: str  # falls back to the case id when the cases file gave none
    role: str | None
    study: str | None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentInfo:
    """A stored document without its text: what `qualcode status --documents` lists."""

    id: int
    name: str
    format: str
    unit: str
    sha256: str
    imported_at: str
    study: str | None
    chars: int
    segments: int


@dataclass(frozen=True)
class Suggestion:
    """A code suggested by a machine (keyword rules or a model) for one segment."""

    segment_id: int
    code: str
    direction: str  # 'opportunity', 'risk' or 'none'
    origin: str  # 'keyword' or 'model'
    strategy: str  # e.g. 'keywords.v1', 'tfidf-logreg.v1'
    evidence: Mapping[str, Any]  # JSON-serialisable: matched words, offsets, rules
    score: float | None = None


DIRECTIONS = ("opportunity", "risk", "none")


def format_time(seconds: float | None) -> str:
    """``00:12:34`` for 754.2 seconds (hours always shown, fractions dropped); "" for None."""
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"
