"""The explanation of one segment: every rule that fired, every one cancelled and why,
per sentence, and the suggestions made. Records only; ``qualcode.outputs.explanation``
formats them for the terminal."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qualcode.coding.codebook import Codebook
from qualcode.coding.keywords.aggregate import aggregate
from qualcode.coding.keywords.hits import SentenceResult
from qualcode.coding.keywords.rules import check_pipeline, compile_rules
from qualcode.coding.keywords.scan import analyse_doc, pieces
from qualcode.coding.strategies import KEYWORDS
from qualcode.records import CancelledMatch, EvidenceMatch, Segment, Suggestion


@dataclass(frozen=True)
class Mention:
    """One aspect hit with the directions its clause gives it."""

    code: str
    aspect: EvidenceMatch
    directions: tuple[str, ...]  # ('opportunity',), ('opportunity', 'risk') or ('none',)
    cues: tuple[EvidenceMatch, ...]  # the cues behind the directions, kind = direction given


@dataclass(frozen=True)
class SentenceExplanation:
    """Everything the rules did in one sentence."""

    start: int
    end: int
    text: str
    matches: tuple[EvidenceMatch, ...]  # every rule that fired, in text order
    mentions: tuple[Mention, ...]
    cancelled: tuple[CancelledMatch, ...]


@dataclass(frozen=True)
class Explanation:
    """Why the keyword coder suggested what it did for one segment."""

    segment: Segment
    sentences: tuple[SentenceExplanation, ...]
    suggestions: tuple[Suggestion, ...]
    strategy: str = KEYWORDS


def explain(codebook: Codebook, segment: Segment, *, nlp: Any = None) -> Explanation:
    """Every rule that fired on ``segment``, every one cancelled and why, per
    sentence, and the suggestions :func:`suggest` makes for it (even when the
    segment has ``to_code=False``: explaining is asking)."""
    if nlp is None:
        from qualcode.coding.nlp import build_pipeline

        nlp = build_pipeline(codebook.language)
    check_pipeline(codebook, nlp)
    rules = compile_rules(codebook, nlp)
    sentences: list[SentenceResult] = []
    for offset, piece in pieces(segment.text, nlp.max_length):
        sentences.extend(analyse_doc(rules, nlp(piece), piece, offset, trace=True))
    suggestions = aggregate(rules, segment.id, [s for s in sentences if s.mentions])
    explained = tuple(
        SentenceExplanation(
            start=s.start,
            end=s.end,
            text=segment.text[s.start:s.end],
            matches=tuple(found.public() for found in s.matches),
            mentions=tuple(
                Mention(code=code, aspect=aspect.public(), directions=directions, cues=tuple(cue.public() for cue in cues))
                for code, aspect, directions, cues in s.mentions
            ),
            cancelled=tuple(CancelledMatch(found.public(), reason) for found, reason in s.cancelled),
        )
        for s in sentences
    )
    return Explanation(segment=segment, sentences=explained, suggestions=tuple(suggestions))
