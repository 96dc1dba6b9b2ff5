"""The sequential core of :func:`suggest`: (segment id, text) pairs through ``nlp.pipe``
(a text too long for the pipeline in pieces), scanned and aggregated, in order."""
from __future__ import annotations

from collections import deque
from typing import Any, Iterable, Iterator

from qualcode.coding.keywords.aggregate import aggregate
from qualcode.coding.keywords.hits import SentenceResult
from qualcode.coding.keywords.rules import CompiledRules
from qualcode.coding.keywords.scan import analyse_doc, pieces
from qualcode.records import Suggestion


def _segment_pieces(items: Iterable[tuple[int, str]], max_length: int, pending: deque) -> Iterator[str]:
    """The texts to feed nlp.pipe; each piece's (segment id, offset, last piece?,
    text) goes into ``pending`` as it is handed out, to be read back in order."""
    for segment_id, text in items:
        if len(text) <= max_length:
            pending.append((segment_id, 0, True, text))
            yield text
            continue
        split = pieces(text, max_length)
        for number, (offset, piece) in enumerate(split):
            pending.append((segment_id, offset, number == len(split) - 1, piece))
            yield piece


def suggest_texts(rules: CompiledRules, nlp: Any, items: Iterable[tuple[int, str]], batch_size: int) -> Iterator[Suggestion]:
    """(segment id, text) pairs in, suggestions out, in order."""
    # nlp.pipe yields docs in input order; a queue of what was fed in is cheaper
    # than as_tuples=True, which tees the input stream
    fed: deque = deque()
    sentences: list[SentenceResult] = []
    for doc in nlp.pipe(_segment_pieces(items, nlp.max_length, fed), batch_size=batch_size):
        segment_id, offset, last, piece = fed.popleft()
        found = analyse_doc(rules, doc, piece, offset, trace=False)
        if found:
            sentences.extend(found)
        if last and sentences:
            yield from aggregate(rules, segment_id, sentences)
            sentences = []
