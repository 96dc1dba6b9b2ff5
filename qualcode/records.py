"""Frozen records that cross module borders.

Importers produce :class:`ParsedDocument` objects (pure data, no store access);
the project store turns them into rows. Offsets are Unicode code points into
``ParsedDocument.text``, end exclusive, so ``text[start:end]`` is always the span.
"""
from __future__ import annotations

import json
from json.encoder import encode_basestring
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)  # slots: a table import makes one a row (no __dict__ each)
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


class EncodedEvidence(Mapping[str, Any]):
    """Evidence kept as the JSON text it came as, decoded only when read.

    Suggestions from worker processes arrive with their evidence as JSON and go to the store
    as such: decoding it to write it out again cost the main process more than the workers'
    time saved (about a second per million words).
    """

    __slots__ = ("text", "_decoded")

    def __init__(self, text: str):
        self.text = text
        self._decoded: dict[str, Any] | None = None

    def _value(self) -> dict[str, Any]:
        if self._decoded is None:
            self._decoded = json.loads(self.text)
        return self._decoded

    def __getitem__(self, key: str) -> Any:
        return self._value()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._value())

    def __len__(self) -> int:
        return len(self._value())

    def __repr__(self) -> str:
        return f"EncodedEvidence({self.text!r})"


_EVIDENCE_ENCODER = json.JSONEncoder(ensure_ascii=False)  # json.dumps(..., ensure_ascii=False) makes one per call


def evidence_text(evidence: Mapping[str, Any]) -> str:
    """The evidence as stored: JSON, non-ASCII letters as they are."""
    if isinstance(evidence, EncodedEvidence):
        return evidence.text
    return _EVIDENCE_ENCODER.encode(evidence)


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


# --------------------------------------------------------------------------- keyword evidence
#
# The evidence of a keyword suggestion, as stored (JSON, in ``Suggestion.evidence``):
#
#   {"matches": [{"text", "start", "end", "rule", "kind"[, "note"]}, ...],
#    "sentence": [start, end], "sentences": [[start, end], ...],
#    "cancelled": [{"text", "start", "end", "rule", "kind"[, "note"], "reason"[, "code"]}, ...]}
#
# ``rule`` is '<rule kind>:<pattern>' ('word:werkdruk', 'compound:samenwerk*'); ``kind`` is
# what the match did. These are every kind the keyword coder writes, defined here only.

RULE_KINDS = ("word", "compound", "phrase", "separable", "cue", "increase", "decrease", "exclude")
ASPECT_RULE_KINDS = RULE_KINDS[:4]  # a code's own keywords ('separable': 'kijk ... na' for 'nakijken')
# 'aspect': names the code's aspect; 'opportunity'/'risk': a cue, with the direction it gave;
# 'increase'/'decrease': a quantity cue that gave no direction (so only when cancelled or explained);
# 'exclusion': an exclude rule (only explained, never stored).
MATCH_KINDS = ("aspect", "opportunity", "risk", "increase", "decrease", "exclusion")
CUE_KINDS = MATCH_KINDS[1:5]


def split_rule(rule: str) -> tuple[str, str]:
    """('compound', 'nakijk*') from 'compound:nakijk*'; ('', rule) for a rule without a kind."""
    kind, colon, pattern = rule.partition(":")
    return (kind, pattern) if colon else ("", rule)


def match_json(text: str, start: int, end: int, rule: str, kind: str, note: str = "") -> dict[str, Any]:
    """One stored match. The keyword coder writes its evidence with these three functions."""
    item: dict[str, Any] = {"text": text, "start": start, "end": end, "rule": rule, "kind": kind}
    if note:
        item["note"] = note
    return item


def cancelled_json(match: dict[str, Any], reason: str, code: str | None) -> dict[str, Any]:
    """One stored cancelled match: the match (from :func:`match_json`), why, and its code if it has one."""
    match["reason"] = reason
    if code:
        match["code"] = code
    return match


_string = encode_basestring  # what JSONEncoder(ensure_ascii=False) writes a string with (C)

# A match as the keyword coder holds it: (text, start, end, rule, kind, note); a cancelled one adds (reason, code).
MatchRow = tuple[str, int, int, str, str, str]


def _match_text(text: str, start: int, end: int, rule: str, kind: str, note: str) -> str:
    item = f'{{"text": {_string(text)}, "start": {start}, "end": {end}, "rule": {_string(rule)}, "kind": {_string(kind)}'
    return item + f', "note": {_string(note)}' if note else item


def evidence_text_of(matches: Iterable[MatchRow], sentences: list[tuple[int, int]],
                     cancelled: Iterable[tuple[MatchRow, str, str | None]]) -> str:
    """The stored JSON of :func:`evidence_json` (of :func:`match_json` and :func:`cancelled_json` items),
    character for character, written straight from the keyword coder's rows: a quarter of the cost of
    building the dicts and encoding them (tests/test_evidence.py holds the two equal)."""
    shown = ", ".join([_match_text(*match) + "}" for match in matches])
    dropped = ", ".join([
        _match_text(*match) + f', "reason": {_string(reason)}' + (f', "code": {_string(code)}}}' if code else "}")
        for match, reason, code in cancelled])
    first = f"[{sentences[0][0]}, {sentences[0][1]}]" if sentences else "null"
    spans = ", ".join([f"[{start}, {end}]" for start, end in sentences])
    return f'{{"matches": [{shown}], "sentence": {first}, "sentences": [{spans}], "cancelled": [{dropped}]}}'


def evidence_json(matches: list[dict[str, Any]], sentences: list[tuple[int, int]],
                  cancelled: list[dict[str, Any]]) -> dict[str, Any]:
    """A keyword suggestion's stored evidence; ``sentence`` is the first of ``sentences``."""
    return {
        "matches": matches,
        "sentence": list(sentences[0]) if sentences else None,
        "sentences": [list(span) for span in sentences],
        "cancelled": cancelled,
    }


@dataclass(frozen=True)
class EvidenceMatch:
    """One keyword rule that fired on a span of a segment's text (offsets into the segment)."""

    text: str
    start: int
    end: int
    rule_kind: str  # one of RULE_KINDS ('' for a rule written without one)
    pattern: str  # as in the codebook: 'werkdruk', 'samenwerk*', 'extra werk'
    kind: str  # one of MATCH_KINDS
    note: str = ""  # how it got its direction: "negated by 'geen'", "with 'na'", ...
    # the code of an aspect or exclusion rule; a suggestion's own matches are of its code,
    # so it is stored only with a cancelled match
    code: str | None = None

    @property
    def rule(self) -> str:
        """The rule as stored: 'word:werkdruk'."""
        return f"{self.rule_kind}:{self.pattern}" if self.rule_kind else self.pattern

    @property
    def is_cue(self) -> bool:
        """True for a match that gives (or would give) a direction."""
        return self.kind in CUE_KINDS

    @property
    def is_aspect(self) -> bool:
        """True for a match of the aspect's own keywords."""
        return self.kind == "aspect"

    def to_json(self) -> dict[str, Any]:
        return match_json(self.text, self.start, self.end, self.rule, self.kind, self.note)

    @classmethod
    def from_json(cls, item: Mapping[str, Any], code: str | None = None) -> "EvidenceMatch":
        rule_kind, pattern = split_rule(item.get("rule", ""))
        return cls(item["text"], item["start"], item["end"], rule_kind, pattern, item["kind"], item.get("note", ""), code)


@dataclass(frozen=True)
class CancelledMatch:
    """A rule that fired but does not count, and why."""

    match: EvidenceMatch
    reason: str

    def to_json(self) -> dict[str, Any]:
        return cancelled_json(self.match.to_json(), self.reason, self.match.code)

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> "CancelledMatch":
        return cls(EvidenceMatch.from_json(item, item.get("code")), item["reason"])


@dataclass(frozen=True)
class Evidence:
    """The evidence of a keyword suggestion: its matches, the sentences they are in
    (segment offsets, in text order) and the matches cancelled there."""

    matches: tuple[EvidenceMatch, ...] = ()
    sentences: tuple[tuple[int, int], ...] = ()
    cancelled: tuple[CancelledMatch, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON stored for it: ``Evidence.from_json(stored).to_json() == stored``."""
        return evidence_json([m.to_json() for m in self.matches], list(self.sentences),
                             [c.to_json() for c in self.cancelled])

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Evidence":
        """The record of stored evidence. Evidence without matches (none, or a model's
        terms and probability) reads as empty."""
        if not data:
            return cls()
        return cls(
            tuple(EvidenceMatch.from_json(item) for item in data.get("matches") or ()),
            tuple((start, end) for start, end in data.get("sentences") or ()),
            tuple(CancelledMatch.from_json(item) for item in data.get("cancelled") or ()),
        )


def format_time(seconds: float | None) -> str:
    """``00:12:34`` for 754.2 seconds (hours always shown, fractions dropped); "" for None."""
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"
