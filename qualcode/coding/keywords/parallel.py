""":func:`suggest` over a process pool: each worker has the same pipeline and rules, chunks
of segments go out and their suggestions come back in order.

A forked worker (Linux) uses the pipeline, compiled rules and prefilter of the process that
started it, as they were at the fork: nothing is built twice. Elsewhere each worker builds
them once from the codebook's text and the pipeline's spec."""
from __future__ import annotations

from collections import deque
from typing import Any, Iterator

from qualcode.coding.codebook import Codebook
from qualcode.coding.keywords.aggregate import SuggestionRow, suggestions_of
from qualcode.coding.keywords.prefilter import prefilter_for
from qualcode.coding.keywords.rules import compile_rules
from qualcode.coding.keywords.stream import suggestion_rows_of_texts
from qualcode.records import Suggestion

# segments a worker gets at a time: fewer, larger chunks cost the main process and the workers less
# (--jobs 2 at 3 M words: 3.5-3.7 s wall with 256, 3.3 s with 1,000); a smaller project keeps one worker busy
_CHUNK = 1000
_WORKER: dict[str, Any] = {}
_INHERITED: dict[str, Any] = {}  # set just before a pool of forked workers starts: what they use as is


def _init_worker(source_text: str, source_name: str, raw: bytes, spec: Any, max_length: int, batch_size: int) -> None:
    if _INHERITED:
        _WORKER.update(_INHERITED, batch_size=batch_size)
        return
    from qualcode.coding.codebook import _parse
    from qualcode.coding.nlp import build_pipeline

    codebook = _parse(source_text, source_name, raw)
    nlp = build_pipeline(spec["language"], spec["model"]) if isinstance(spec, dict) else spec
    nlp.max_length = max_length
    _WORKER.update(rules=compile_rules(codebook, nlp), nlp=nlp, batch_size=batch_size)


def _work(chunk: list[tuple[int, str]]) -> list[SuggestionRow]:
    """A chunk's suggestions as (segment id, code, direction, evidence as JSON): a string pickles
    and unpickles at a tenth of the cost of the nested dicts, and goes to the store as it is."""
    return list(suggestion_rows_of_texts(_WORKER["rules"], _WORKER["nlp"], chunk, _WORKER["batch_size"]))


def suggest_parallel(codebook: Codebook, nlp: Any, items: Iterator[tuple[int, str]], batch_size: int,
                     jobs: int) -> Iterator[Suggestion]:
    """The suggestions for (segment id, text) pairs from ``jobs`` worker processes, in order."""
    return suggestions_of(suggestion_rows_parallel(codebook, nlp, items, batch_size, jobs))


def suggestion_rows_parallel(codebook: Codebook, nlp: Any, items: Iterator[tuple[int, str]], batch_size: int,
                             jobs: int) -> Iterator[SuggestionRow]:
    """The suggestions for (segment id, text) pairs from ``jobs`` worker processes, in order, as
    (segment id, code, direction, evidence JSON) rows, as they came from the workers."""
    import multiprocessing

    from qualcode.coding.nlp import pipeline_spec

    spec = pipeline_spec(nlp) or nlp  # a pipeline not made by build_pipeline is pickled
    # the workers only need to rebuild the same rules; the version is not used there
    raw = codebook.source_text.encode("utf-8")
    chunk_size = max(batch_size, _CHUNK)
    context = multiprocessing.get_context()
    if context.get_start_method() == "fork":
        rules = compile_rules(codebook, nlp)
        prefilter_for(rules, nlp)  # built once, before the fork
        _INHERITED.update(rules=rules, nlp=nlp)
    try:
        yield from _run_pool(context, jobs, items, chunk_size,
                             (codebook.source_text, codebook.source_name, raw, spec, nlp.max_length, batch_size))
    finally:
        _INHERITED.clear()


def _run_pool(context: Any, jobs: int, items: Iterator[tuple[int, str]], chunk_size: int,
              initargs: tuple) -> Iterator[SuggestionRow]:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                             initargs=initargs) as pool:
        in_flight: deque = deque()
        chunk: list[tuple[int, str]] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= chunk_size:
                in_flight.append(pool.submit(_work, chunk))
                chunk = []
                # keep a bounded number of chunks in flight: memory stays flat
                while len(in_flight) > 2 * jobs:
                    yield from in_flight.popleft().result()
        if chunk:
            in_flight.append(pool.submit(_work, chunk))
        while in_flight:
            yield from in_flight.popleft().result()
