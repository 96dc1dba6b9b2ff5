"""A segment's sentence results as suggestions: one per (code, direction), with the
evidence of all its mentions merged."""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from qualcode.coding.keywords.hits import SentenceResult
from qualcode.coding.keywords.rules import CompiledRules
from qualcode.coding.strategies import KEYWORDS
from qualcode.records import DIRECTIONS, EncodedEvidence, Suggestion, evidence_text_of

ORIGIN = "keyword"
_DIRECTION_ORDER = {direction: index for index, direction in enumerate(DIRECTIONS)}


# A suggestion as the store writes it: (segment id, code, direction, evidence JSON); origin 'keyword',
# strategy keywords.v1, no score
SuggestionRow = tuple[int, str, str, str]


def suggestions_of(rows: Iterable[SuggestionRow]) -> Iterator[Suggestion]:
    """The Suggestion of each row."""
    for segment_id, code, direction, evidence in rows:
        yield Suggestion(segment_id=segment_id, code=code, direction=direction, origin=ORIGIN, strategy=KEYWORDS,
                         evidence=EncodedEvidence(evidence))


def aggregate(rules: CompiledRules, segment_id: int, sentences: list[SentenceResult]) -> list[Suggestion]:
    """One Suggestion per (code, direction), evidence of all its mentions merged (see :func:`aggregate_rows`)."""
    return list(suggestions_of(aggregate_rows(rules, segment_id, sentences)))


def aggregate_rows(rules: CompiledRules, segment_id: int, sentences: list[SentenceResult]) -> list[SuggestionRow]:
    """One suggestion per (code, direction), evidence of all its mentions merged, as the store writes it.

    A code's 'none' suggestion is dropped when the segment has a directed one for
    that code: it adds nothing a coder needs."""
    # (code, direction) -> [matches by (start, end, rule), sentence spans, cancelled by (start, end, rule)]
    groups: dict[tuple[str, str], list[Any]] = {}
    for sentence in sentences:
        span = (sentence.start, sentence.end)
        sentence_cancelled = sentence.cancelled
        for code, aspect, directions, cues in sentence.mentions:
            for direction in directions:
                key = (code, direction)
                group = groups.get(key)
                if group is None:
                    group = groups[key] = [{}, [span], {}]
                elif group[1][-1] != span:  # a sentence's mentions come together
                    group[1].append(span)
                matches = group[0]
                matches[aspect[:3]] = aspect  # Found[:3] is (start, end, rule)
                for cue in cues:
                    if cue.kind == direction:
                        matches[cue[:3]] = cue
                if sentence_cancelled:
                    for item, reason in sentence_cancelled:
                        if item.code is None or item.code == code:
                            group[2][item[:3]] = (item, reason)
    if not groups:
        return []
    order = rules.code_order
    if len(groups) == 1:
        keys = list(groups)
        directed: set[str] = set()
    else:
        directed = {code for code, direction in groups if direction != "none"}
        keys = sorted(groups, key=lambda key: (order[key[0]], _DIRECTION_ORDER[key[1]]))
    suggestions = []
    for key in keys:
        code, direction = key
        if direction == "none" and code in directed:
            continue
        matches, spans, cancelled = groups[key]
        dropped = []
        if cancelled:
            for cancelled_key in sorted(cancelled):
                item, reason = cancelled[cancelled_key]
                start, end, rule, kind, text, item_code, note = item
                dropped.append(((text, start, end, rule, kind, note), reason, item_code))
        shown = []
        for match_key in sorted(matches):
            start, end, rule, kind, text, _, note = matches[match_key]
            shown.append((text, start, end, rule, kind, note))
        suggestions.append((segment_id, code, direction, evidence_text_of(shown, spans, dropped)))
    return suggestions
