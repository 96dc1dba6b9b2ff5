""":func:`suggest` over a process pool: each worker builds the same pipeline and rules
once, chunks of segments go out and their suggestions come back in order."""
from __future__ import annotations

from collections import deque
from typing import Any, Iterator

from qualcode.coding.codebook import Codebook
from qualcode.coding.keywords.rules import compile_rules
from qualcode.coding.keywords.stream import suggest_texts
from qualcode.records import Suggestion

_WORKER: dict[str, Any] = {}


def _init_worker(source_text: str, source_name: str, raw: bytes, spec: Any, max_length: int, batch_size: int) -> None:
    from qualcode.coding.codebook import _parse
    from qualcode.coding.nlp import build_pipeline

    codebook = _parse(source_text, source_name, raw)
    nlp = build_pipeline(spec["language"], spec["model"]) if isinstance(spec, dict) else spec
    nlp.max_length = max_length
    _WORKER.update(rules=compile_rules(codebook, nlp), nlp=nlp, batch_size=batch_size)


def _work(chunk: list[tuple[int, str]]) -> list[Suggestion]:
    return list(suggest_texts(_WORKER["rules"], _WORKER["nlp"], chunk, _WORKER["batch_size"]))


def suggest_parallel(codebook: Codebook, nlp: Any, items: Iterator[tuple[int, str]], batch_size: int,
                     jobs: int) -> Iterator[Suggestion]:
    """The suggestions for (segment id, text) pairs from ``jobs`` worker processes, in order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from qualcode.coding.nlp import pipeline_spec

    spec = pipeline_spec(nlp) or nlp  # a pipeline not made by build_pipeline is pickled
    # the workers only need to rebuild the same rules; the version is not used there
    raw = codebook.source_text.encode("utf-8")
    chunk_size = max(batch_size, 64)
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(),
        initializer=_init_worker,
        initargs=(codebook.source_text, codebook.source_name, raw, spec, nlp.max_length, batch_size),
    ) as pool:
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
