"""Find speaker turns (or paragraphs) in plain lines of text; shared by .txt/.md and .docx.

Recognised speaker lines::

    Interviewer: tekst              R1: tekst          I: tekst
    [00:01:23] Marieke: tekst       00:01:23 Marieke: tekst
    Marieke (00:01:23): tekst       **Marieke:** tekst (Markdown bold)
    00:01:23 Marieke                Marieke   0:03     (text on the following lines)

A label counts as a speaker only if it is a known form (Interviewer, I, R, R1,
Respondent 2, Onderzoeker, ...), carries a timestamp, or is used as a label at
least twice in the file, so "Let op: ..." once in prose is not a speaker. A turn
runs until the next speaker line; lines without a label (and blank lines) inside
it belong to it. With no speaker lines at all, paragraphs become turns with
speaker None.

Offsets refer to the text as given; the span of a turn is its content only
(no label, no timestamp), trimmed of surrounding whitespace.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Collection, Iterator, Mapping

from qualcode.records import ParsedTurn

_TS = r"[\[(]?(?:\d{1,2}:)?\d{1,3}:\d{2}(?:[.,]\d{1,3})?[\])]?"
_TS_PARTS = re.compile(r"[\[(]?(?:(\d{1,2}):)?(\d{1,3}):(\d{2})(?:[.,](\d{1,3}))?[\])]?")
_BOLD = r"(?:\*\*|__)?"

# "[ts] Label [ts]: content" -- applied to the first characters of a line only,
# so a line of 200,000 characters costs nothing.
_LABEL_LINE = re.compile(
    rf"[ \t]*(?:(?P<ts1>{_TS})[ \t]*)?{_BOLD}(?P<label>[^:\n]{{1,60}}?)[ \t]*"
    rf"(?:(?P<ts2>{_TS})[ \t]*)?{_BOLD}:{_BOLD}[ \t]*"
)
_TS_THEN_LABEL = re.compile(rf"[ \t]*(?P<ts>{_TS})[ \t]+(?P<label>[^\W\d_][^:\n]*?)[ \t]*")
_LABEL_THEN_TS = re.compile(rf"[ \t]*(?P<label>[^\W\d_][^:\n]*?)[ \t]+(?P<ts>{_TS})[ \t]*")
_LABEL_PREFIX = 200  # characters of a line that may hold a label
_HEADER_LINE_MAX = 80  # a "Naam 00:01:23" line is short

_KNOWN_SPEAKER = re.compile(
    r"(?:interviewer|int|i|i ?\d+|r|r ?\d+|resp|respondent(?: ?\d+)?|onderzoeker(?: ?\d+)?"
    r"|interviewee|geïnterviewde|spreker ?\d+|speaker ?\d+|deelnemer(?: ?\d+)?"
    r"|gespreksleider|moderator|facilitator|p ?\d+|v|a|q|vraag|antwoord)",
    re.IGNORECASE,
)
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
_NOT_SPEAKERS = {"http", "https", "ftp", "mailto", "www"}
_LABEL_MAX_CHARS = 40
_LABEL_MAX_WORDS = 5
_LABEL_CHARS = set(" .-'’/()")


@dataclass(frozen=True)
class LineLabel:
    """A speaker label an importer already knows for a line (a bold run, a table row).

    ``content_start`` is the absolute offset where the spoken text begins; it may
    be the end of the line when the text follows on the next lines.
    """

    speaker: str
    content_start: int
    start_time: float | None = None


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # exclusive, before the "\n"


@dataclass(frozen=True)
class _Candidate:
    speaker: str
    content_start: int
    start_time: float | None
    trusted: bool  # a known form, a timestamp or given by the importer


def find_turns(
    text: str,
    *,
    labels: Mapping[int, LineLabel] | None = None,
    block_starts: Collection[int] | None = None,
) -> tuple[ParsedTurn, ...]:
    """Split ``text`` into speaker turns, or into paragraphs when it has no speakers.

    ``labels`` maps a line's start offset to a label the caller already found
    (trusted as a speaker). ``block_starts`` are offsets where a new paragraph
    begins even without a blank line (Word paragraphs); by default only blank
    lines separate paragraphs.
    """
    lines = list(_lines(text))
    candidates = _candidates(text, lines, labels or {})
    if not candidates:
        return tuple(_paragraphs(text, lines, set(block_starts or ())))
    return tuple(_speaker_turns(text, lines, candidates, set(block_starts or ())))


def parse_timestamp(value: str) -> float | None:
    """Seconds in ``[00:01:23]``, ``00:01:23``, ``1:23`` (m:ss), ``(00:01:23,5)``; else None."""
    match = _TS_PARTS.fullmatch(value.strip())
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        total += int(fraction) / 10 ** len(fraction)
    return float(total)


def looks_like_label(label: str) -> bool:
    """A speaker name: 1-5 words, at most 40 characters, starting with a letter, no sentence marks.

    Letters, digits, spaces and . - ' ’ / ( ) only: "Marieke de Vries", "R1 (schoolleider)".
    """
    label = label.strip()
    if not label or len(label) > _LABEL_MAX_CHARS or not label[0].isalpha():
        return False
    if len(label.split()) > _LABEL_MAX_WORDS or label.casefold() in _NOT_SPEAKERS:
        return False
    return all(char.isalnum() or char in _LABEL_CHARS for char in label)


def is_known_speaker(label: str) -> bool:
    """Interviewer, I, R, R1, Respondent 2, Onderzoeker, Spreker 1, ... (any case).

    A remark in parentheses does not count: "R1 (schoolleider)" is known.
    """
    return _KNOWN_SPEAKER.fullmatch(_PARENTHESES.sub("", label).strip()) is not None


def clean_speaker(label: str) -> str:
    """The label as written, with runs of whitespace made single spaces."""
    return " ".join(label.split())


def _lines(text: str) -> Iterator[_Line]:
    position = 0
    for line in text.split("\n"):
        yield _Line(position, position + len(line))
        position += len(line) + 1


def _candidates(
    text: str, lines: list[_Line], given: Mapping[int, LineLabel]
) -> dict[int, _Candidate]:
    """Speaker lines by line index, after the "known, timestamped or repeated" rule."""
    found: dict[int, _Candidate] = {}
    for index, line in enumerate(lines):
        if line.start in given:
            label = given[line.start]
            found[index] = _Candidate(
                clean_speaker(label.speaker), label.content_start, label.start_time, True
            )
        else:
            candidate = _label_in_line(text, line)
            if candidate is not None:
                found[index] = candidate
    counts = Counter(candidate.speaker.casefold() for candidate in found.values())
    trusted_names = {c.speaker.casefold() for c in found.values() if c.trusted}
    return {
        index: candidate
        for index, candidate in found.items()
        if candidate.trusted
        or counts[candidate.speaker.casefold()] >= 2
        or candidate.speaker.casefold() in trusted_names
    }


def _label_in_line(text: str, line: _Line) -> _Candidate | None:
    head = text[line.start : min(line.end, line.start + _LABEL_PREFIX)]
    # Header lines first: in "Marieke   0:03" the colon belongs to the time.
    if line.end - line.start <= _HEADER_LINE_MAX:
        for pattern in (_TS_THEN_LABEL, _LABEL_THEN_TS):
            match = pattern.fullmatch(head)
            if match is None or not looks_like_label(match["label"]):
                continue
            start_time = parse_timestamp(match["ts"])
            if start_time is not None:
                return _Candidate(clean_speaker(match["label"]), line.end, start_time, True)
    match = _LABEL_LINE.match(head)
    if match is None or not looks_like_label(match["label"]):
        return None
    label = clean_speaker(match["label"])
    stamp = match["ts1"] or match["ts2"]
    start_time = parse_timestamp(stamp) if stamp else None
    trusted = start_time is not None or is_known_speaker(label)
    return _Candidate(label, line.start + match.end(), start_time, trusted)


def _speaker_turns(
    text: str, lines: list[_Line], candidates: dict[int, _Candidate], block_starts: set[int]
) -> Iterator[ParsedTurn]:
    first = min(candidates)
    if first > 0:  # a preamble (title, date) before the first speaker
        yield from _paragraphs(text, lines[:first], block_starts)
    indices = sorted(candidates)
    for index, next_index in zip(indices, indices[1:] + [len(lines)]):
        candidate = candidates[index]
        end = lines[next_index - 1].end
        span = _trim(text, candidate.content_start, end)
        if span is not None:
            yield ParsedTurn(
                start=span[0], end=span[1], speaker=candidate.speaker,
                start_time=candidate.start_time,
            )


def _paragraphs(text: str, lines: list[_Line], block_starts: set[int]) -> Iterator[ParsedTurn]:
    start: int | None = None
    end = 0
    for line in lines:
        blank = text[line.start : line.end].strip() == ""
        if start is not None and (blank or line.start in block_starts):
            yield from _paragraph(text, start, end)
            start = None
        if not blank:
            if start is None:
                start = line.start
            end = line.end
    if start is not None:
        yield from _paragraph(text, start, end)


def _paragraph(text: str, start: int, end: int) -> Iterator[ParsedTurn]:
    span = _trim(text, start, end)
    if span is not None:
        yield ParsedTurn(start=span[0], end=span[1])


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without surrounding whitespace, or None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
