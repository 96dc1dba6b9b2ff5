"""The public :func:`suggest`: keyword suggestions for a stream of segments."""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from qualcode.coding.codebook import Codebook
from qualcode.coding.keywords.aggregate import SuggestionRow
from qualcode.coding.keywords.parallel import suggest_parallel, suggestion_rows_parallel
from qualcode.coding.keywords.rules import check_pipeline, compile_rules
from qualcode.coding.keywords.stream import suggest_texts, suggestion_rows_of_texts
from qualcode.errors import UsageError
from qualcode.records import Segment, Suggestion


def suggest(
    codebook: Codebook,
    segments: Iterable[Segment],
    *,
    nlp: Any = None,
    batch_size: int = 256,
    jobs: int = 1,
) -> Iterator[Suggestion]:
    """Keyword suggestions for every segment with ``to_code`` set, in segment order.

    Yields one :class:`Suggestion` per (segment, code, direction) with
    ``origin='keyword'``, ``strategy='keywords.v1'`` and evidence as a mapping that holds
    its JSON text (read it with :meth:`qualcode.records.Evidence.from_json`; the text is
    ``qualcode.records.evidence_text(evidence)``): ``matches``
    (text, start, end, rule, kind [, note]) with offsets into the segment text,
    ``sentence`` (the first supporting sentence as [start, end]), ``sentences`` (all
    of them) and ``cancelled`` (hits voided by an exclusion or a negation, with
    ``reason``). Results are identical for any ``batch_size`` and ``jobs``;
    segments longer than ``nlp.max_length`` are processed in pieces. Segments are
    read lazily, so a corpus never has to fit in memory.
    """
    nlp = _pipeline(codebook, nlp, batch_size, jobs)
    items = ((segment.id, segment.text) for segment in segments if segment.to_code)
    if jobs > 1:
        return suggest_parallel(codebook, nlp, items, batch_size, jobs)
    return suggest_texts(compile_rules(codebook, nlp), nlp, items, batch_size)


def suggestion_rows(codebook: Codebook, items: Iterable[tuple[int, str]], *, nlp: Any = None, batch_size: int = 256,
                    jobs: int = 1) -> Iterator[SuggestionRow]:
    """What :func:`suggest` yields for (segment id, text) pairs, as the store writes it: (segment id,
    code, direction, evidence JSON), the strategy ``keywords.v1``. What `qualcode code` runs: from
    worker processes the rows go to the store as they come, without a Suggestion made of each."""
    nlp = _pipeline(codebook, nlp, batch_size, jobs)
    if jobs > 1:
        return suggestion_rows_parallel(codebook, nlp, iter(items), batch_size, jobs)
    return suggestion_rows_of_texts(compile_rules(codebook, nlp), nlp, items, batch_size)


def _pipeline(codebook: Codebook, nlp: Any, batch_size: int, jobs: int) -> Any:
    """The pipeline to run (the default one for the codebook's language when none is given), checked."""
    if batch_size < 1:
        raise UsageError(f"batch size must be at least 1, got {batch_size}")
    if jobs < 1:
        raise UsageError(f"jobs must be at least 1, got {jobs}")
    if nlp is None:
        from qualcode.coding.nlp import build_pipeline

        nlp = build_pipeline(codebook.language)
    check_pipeline(codebook, nlp)
    return nlp
