"""Split imported turns into the units that get coded: turn, paragraph or sentence.

Pure functions of (text, turns); every span stays inside its turn, so a
segment's text is always ``document.text[start:end]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from qualcode.records import ParsedTurn

UNITS = ("turn", "paragraph", "sentence")

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A sentence ends at . ! ? … followed by whitespace and an upper-case letter, digit or quote.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-ZÀ-Ý0-9])")
# Dutch and English abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = {
    "bijv", "bv", "o.a", "d.w.z", "m.a.w", "i.p.v", "t.a.v", "m.b.t", "z.g.a.n", "e.d", "enz", "etc",
    "dr", "drs", "prof", "mr", "ir", "ing", "mw", "dhr", "mevr", "nr", "blz", "vgl", "ca", "evt",
    "e.g", "i.e", "vs", "mrs", "ms", "st", "jr", "sr",
}


@dataclass(frozen=True)
class Span:
    """A unit found inside a turn: offsets into the document text."""

    start: int
    end: int
    turn: ParsedTurn
    kind: str


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split(text: str, start: int, end: int, pattern: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    pos = start
    for match in pattern.finditer(text, start, end):
        yield _strip(text, pos, match.start())
        pos = match.end()
    yield _strip(text, pos, end)


def paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Paragraph spans (separated by a blank line) within ``text[start:end]``."""
    return [(s, e) for s, e in _split(text, start, end, _PARAGRAPH_BREAK) if e > s]


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans within ``text[start:end]``; abbreviations such as 'bijv.' do not split."""
    spans: list[tuple[int, int]] = []
    for p_start, p_end in paragraphs(text, start, end):
        pending: int | None = None
        for s, e in _split(text, p_start, p_end, _SENTENCE_END):
            if e <= s:
                continue
            if pending is not None:
                s = pending
            last_word = text[s:e].rsplit(None, 1)[-1].rstrip(".").lower() if text[s:e].split() else ""
            if text[s:e].endswith(".") and last_word in _ABBREVIATIONS and e < p_end:
                pending = s
                continue
            pending = None
            spans.append((s, e))
        if pending is not None:
            spans.append(_strip(text, pending, p_end))
    return spans


_COUNT_CHUNK = 1 << 20


def word_count(text: str, start: int, end: int) -> int:
    """The number of words in ``text[start:end]``, in bounded memory: a long span (a 50 MB cell) is
    counted a megabyte at a time (splitting it at once makes a string per word, 20 times its size)."""
    if end - start <= _COUNT_CHUNK:
        return len(text[start:end].split())
    count, position = 0, start
    while position < end:
        stop = min(position + _COUNT_CHUNK, end)
        while stop < end and not text[stop].isspace():  # never cut a word in two
            stop += 1
        count += len(text[position:stop].split())
        position = stop
    return count


_word_count = word_count


def sentence_groups(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Consecutive sentences grouped so that each group has at most ``max_words`` words
    (a single longer sentence stays whole)."""
    groups: list[tuple[int, int]] = []
    group_start: int | None = None
    group_end = start
    words = 0
    for s, e in sentences(text, start, end):
        n = _word_count(text, s, e)
        if group_start is not None and words + n > max_words:
            groups.append((group_start, group_end))
            group_start, words = None, 0
        if group_start is None:
            group_start = s
        group_end = e
        words += n
    if group_start is not None:
        groups.append((group_start, group_end))
    return groups


def segment_turns(
    text: str, turns: Iterable[ParsedTurn], unit: str = "turn", max_words: int | None = None
) -> Iterator[Span]:
    """Cut the turns of a document into coding units, one turn at a time (a table's 200,000
    answers are not all held as spans at once).

    ``unit='turn'`` keeps a turn whole (table cells are kind 'row'); ``'paragraph'`` and
    ``'sentence'`` split inside the turn. ``max_words`` splits turns (or paragraphs) longer
    than that into groups of whole sentences.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}")
    return _spans(text, turns, unit, max_words)


def _spans(text: str, turns: Iterable[ParsedTurn], unit: str, max_words: int | None) -> Iterator[Span]:
    for turn in turns:
        s0, e0 = _strip(text, turn.start, turn.end)
        if e0 <= s0:
            continue
        base_kind = "row" if turn.source_row is not None else "turn"
        if unit == "turn":
            pieces = [(s0, e0)]
            kind = base_kind
        elif unit == "paragraph":
            pieces = paragraphs(text, s0, e0)
            kind = "paragraph"
        else:
            pieces = sentences(text, s0, e0)
            kind = "sentence"
        for s, e in pieces:
            if max_words and unit != "sentence" and _word_count(text, s, e) > max_words:
                yield from (Span(gs, ge, turn, "sentences") for gs, ge in sentence_groups(text, s, e, max_words))
            elif e > s:
                yield Span(s, e, turn, kind)
