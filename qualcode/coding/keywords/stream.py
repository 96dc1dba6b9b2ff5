"""The sequential core of :func:`suggest`: (segment id, text) pairs through ``nlp.pipe``
(a text too long for the pipeline in pieces), scanned and aggregated, in order.

With the default pipeline only the windows :mod:`.prefilter` finds go through the pipeline
(the same suggestions and evidence as the whole text, see there); ``windows=False`` runs
every text whole, the reference the tests compare with."""
from __future__ import annotations

from collections import deque
from typing import Any, Iterable, Iterator

from qualcode.coding.keywords.aggregate import aggregate
from qualcode.coding.keywords.hits import SentenceResult
from qualcode.coding.keywords.prefilter import Prefilter, prefilter_for
from qualcode.coding.keywords.rules import CompiledRules
from qualcode.coding.keywords.scan import analyse_doc, pieces
from qualcode.records import Suggestion


def _segment_pieces(items: Iterable[tuple[int, str]], max_length: int, pending: deque) -> Iterator[str]:
    """The texts to feed nlp.pipe; each piece's (segment id, offset, last piece?,
    text, names the staff?) goes into ``pending`` as it is handed out, to be read back in order."""
    for segment_id, text in items:
        if len(text) <= max_length:
            pending.append((segment_id, 0, True, text, None))
            yield text
            continue
        split = pieces(text, max_length)
        for number, (offset, piece) in enumerate(split):
            pending.append((segment_id, offset, number == len(split) - 1, piece, None))
            yield piece


def _segment_windows(prefilter: Prefilter, items: Iterable[tuple[int, str]], max_length: int,
                     pending: deque) -> Iterator[str]:
    """As :func:`_segment_pieces`, but only the windows of each piece that can yield a suggestion
    (a segment with none feeds nothing); a window's offset is its place in the segment."""
    for segment_id, text in items:
        split = pieces(text, max_length) if len(text) > max_length else ((0, text),)
        wanted = []
        for offset, piece in split:
            windows, names_staff = prefilter.windows(piece)
            for start, end in windows:
                wanted.append((offset + start, piece[start:end], names_staff))
        for number, (offset, window, names_staff) in enumerate(wanted, 1):
            pending.append((segment_id, offset, number == len(wanted), window, names_staff))
            yield window


def suggest_texts(rules: CompiledRules, nlp: Any, items: Iterable[tuple[int, str]], batch_size: int,
                  windows: bool = True) -> Iterator[Suggestion]:
    """(segment id, text) pairs in, suggestions out, in order."""
    # nlp.pipe yields docs in input order; a queue of what was fed in is cheaper
    # than as_tuples=True, which tees the input stream
    fed: deque = deque()
    sentences: list[SentenceResult] = []
    prefilter = prefilter_for(rules, nlp) if windows else None
    texts = (_segment_windows(prefilter, items, nlp.max_length, fed) if prefilter is not None
             else _segment_pieces(items, nlp.max_length, fed))
    for doc in nlp.pipe(texts, batch_size=batch_size):
        segment_id, offset, last, piece, names_staff = fed.popleft()
        found = analyse_doc(rules, doc, piece, offset, trace=False, names_staff=names_staff)
        if found:
            sentences.extend(found)
        if last and sentences:
            yield from aggregate(rules, segment_id, sentences)
            sentences = []
