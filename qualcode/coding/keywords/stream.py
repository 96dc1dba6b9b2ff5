"""The sequential core of :func:`suggest`: (segment id, text) pairs through ``nlp.pipe``
(a text too long for the pipeline in pieces), scanned and aggregated, in order.

With the default pipeline only the windows :mod:`.prefilter` finds go through the pipeline,
many joined into one doc (the same suggestions and evidence as each text whole, see there);
``windows=False`` runs every text whole, the reference the tests compare with."""
from __future__ import annotations

from collections import deque
from typing import Any, Iterable, Iterator

from qualcode.coding.keywords.aggregate import SuggestionRow, aggregate_rows, suggestions_of
from qualcode.coding.keywords.hits import SentenceResult
from qualcode.coding.keywords.prefilter import Prefilter, prefilter_for
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


_JOINED_CHARS = 100_000  # about the size of a doc of joined windows


def _joined_windows(prefilter: Prefilter, items: Iterable[tuple[int, str]], max_length: int,
                    pending: deque) -> Iterator[str]:
    """The windows of many segments joined into docs of about ``_JOINED_CHARS`` characters, for nlp.pipe.

    Windows are joined with one space where the first ends with a sentence-final token and the next
    starts with a token that opens a sentence: the next sentence then starts there, as in its own text
    (see :mod:`.prefilter`). Each doc's windows, as (first character in the doc, segment id, offset in
    the segment, names the staff?) and its text go into ``pending``; a window that must be the doc of its own text
    (the prefilter could not cut it) is a doc alone, with names-the-staff None.
    """
    joined: list[str] = []
    table: list[tuple[int, int, int, bool | None]] = []
    size = 0
    last_run = ""
    for segment_id, text in items:
        split = pieces(text, max_length) if len(text) > max_length else ((0, text),)
        for offset, piece in split:
            windows, names_staff = prefilter.windows(piece)
            for start, end in windows:
                window = piece[start:end]
                if names_staff is None:  # the whole text, which the doc itself must tell about
                    if joined:
                        yield _handed_out(pending, table, joined)
                        joined, table, size = [], [], 0
                    pending.append(([(0, segment_id, offset + start, None)], window))
                    yield window
                    continue
                first_run = window.split(None, 1)[0] if window else ""
                if joined and not (size + len(window) < min(_JOINED_CHARS, max_length)
                                   and prefilter.joinable(last_run, first_run, window)):
                    yield _handed_out(pending, table, joined)
                    joined, table, size = [], [], 0
                if joined:
                    size += 1  # the space between
                table.append((size, segment_id, offset + start, names_staff))
                joined.append(window)
                size += len(window)
                # (a window ending in whitespace cannot be followed: its last run is then none)
                last_run = window.rsplit(None, 1)[-1] if window and not window[-1].isspace() else ""
    if joined:
        yield _handed_out(pending, table, joined)


def _handed_out(pending: deque, table: list, joined: list[str]) -> str:
    text = " ".join(joined)
    pending.append((table, text))
    return text


def _suggest_joined(rules: CompiledRules, nlp: Any, prefilter: Prefilter, items: Iterable[tuple[int, str]],
                    batch_size: int) -> Iterator[SuggestionRow]:
    fed: deque = deque()
    sentences: list[SentenceResult] = []
    current = None  # the segment the sentences belong to
    for doc in nlp.pipe(_joined_windows(prefilter, items, nlp.max_length, fed), batch_size=max(1, batch_size // 64)):
        table, text = fed.popleft()  # (doc.text would rebuild the text token by token)
        where: list[int] = []
        if len(table) == 1 and table[0][3] is None:  # a whole text of its own
            found = analyse_doc(rules, doc, text, table[0][2], trace=False)
            where = [0] * len(found)
        else:
            windows = [(start, offset - start, bool(names_staff)) for start, _, offset, names_staff in table]
            found = analyse_doc(rules, doc, text, 0, trace=False, windows=windows, where=where)
        for window, result in zip(where, found):
            segment_id = table[window][1]
            if segment_id != current:
                if sentences and current is not None:
                    yield from aggregate_rows(rules, current, sentences)
                sentences = []
                current = segment_id
            sentences.append(result)
    if sentences and current is not None:
        yield from aggregate_rows(rules, current, sentences)


def suggest_texts(rules: CompiledRules, nlp: Any, items: Iterable[tuple[int, str]], batch_size: int,
                  windows: bool = True) -> Iterator[Suggestion]:
    """(segment id, text) pairs in, suggestions out, in order."""
    return suggestions_of(suggestion_rows_of_texts(rules, nlp, items, batch_size, windows))


def suggestion_rows_of_texts(rules: CompiledRules, nlp: Any, items: Iterable[tuple[int, str]], batch_size: int,
                             windows: bool = True) -> Iterator[SuggestionRow]:
    """(segment id, text) pairs in, suggestions out as the store writes them, in order."""
    # nlp.pipe yields docs in input order; a queue of what was fed in is cheaper
    # than as_tuples=True, which tees the input stream
    prefilter = prefilter_for(rules, nlp) if windows else None
    if prefilter is not None:
        yield from _suggest_joined(rules, nlp, prefilter, items, batch_size)
        return
    fed: deque = deque()
    sentences: list[SentenceResult] = []
    for doc in nlp.pipe(_segment_pieces(items, nlp.max_length, fed), batch_size=batch_size):
        segment_id, offset, last, piece = fed.popleft()
        found = analyse_doc(rules, doc, piece, offset, trace=False)
        if found:
            sentences.extend(found)
        if last and sentences:
            yield from aggregate_rows(rules, segment_id, sentences)
            sentences = []
