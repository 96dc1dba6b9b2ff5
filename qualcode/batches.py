"""Working through many items: lists of a fixed size (itertools.batched from Python 3.12 on), and
the cyclic garbage collector in larger steps while a long run makes its many short-lived objects."""
from __future__ import annotations

import contextlib
import gc
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size``; the last may be shorter, none is empty."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@contextlib.contextmanager
def fewer_collections(threshold: int = 50_000) -> Iterator[None]:
    """Collect cyclic garbage in larger steps inside the block (or the function it decorates).

    Each collection walks every tracked object that is still young, and a full one the whole
    heap: the long-lived pipeline and rule caches of ``code``, the rows of a large table being
    imported. At Python's default threshold (700 new objects) that was about a sixth of a
    ``code`` run's CPU and grew faster than an import's size. Cycles are still collected, only
    less often (forked workers inherit the setting). What was set before is put back."""
    old = gc.get_threshold()
    gc.set_threshold(max(threshold, old[0]), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
