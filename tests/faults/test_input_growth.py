"""Reading and importing a transcript grows linearly with its length (issue 18: a .docx of 2,000 paragraphs
took seconds; a .txt of 54,000 turns 40 s, since every line took the smallest of all speaker lines again).

Time is measured by benchmarks/bench_import_growth.py; this test counts operations instead, so that it does not
depend on the machine's load: every line of qualcode's own code that runs (a trace function), plus every item
that ``min``, ``max``, ``sorted``, ``sum``, ``any`` and ``all`` go through in the modules of the import (those
loops run inside the builtins, where no trace sees them). Four times the input may cost at most 4.5 times the
operations.
"""
from __future__ import annotations

import builtins
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

import qualcode
from qualcode.project import Project

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_import_growth import docx_bytes, txt_bytes  # the transcripts the benchmark times

QUALCODE = str(Path(qualcode.__file__).parent)
_AGGREGATES = ("min", "max", "sorted", "sum", "any", "all")
_MODULES = ("qualcode.ingest.importers.turns", "qualcode.ingest.importers.docx",
            "qualcode.ingest.importers.paragraphs", "qualcode.ingest.importers.text",
            "qualcode.ingest.importers.subtitles", "qualcode.ingest.segmentation", "qualcode.ingest.run",
            "qualcode.ingest.case_map")


class Operations:
    """Counts the lines of qualcode that run and the items the aggregate builtins consume in ``_MODULES``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.count = 0
        for name in _MODULES:
            module = sys.modules.get(name) or __import__(name, fromlist=["_"])
            for aggregate in _AGGREGATES:
                monkeypatch.setattr(module, aggregate, self._counting(getattr(builtins, aggregate)), raising=False)

    def _counting(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            if len(args) == 1:
                items = list(args[0])
                self.count += len(items)
                return function(items, **kwargs)
            self.count += len(args)
            return function(*args, **kwargs)
        return counted

    def _line(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.count += 1
        return self._line

    def _call(self, frame: Any, event: str, arg: Any) -> Any:
        return self._line if frame.f_code.co_filename.startswith(QUALCODE) else None

    def of(self, action: Callable[[], Any]) -> int:
        before = self.count
        sys.settrace(self._call)
        try:
            action()
        finally:
            sys.settrace(None)
        return self.count - before


@pytest.mark.parametrize(("suffix", "make", "small"), [(".docx", docx_bytes, 300), (".txt", txt_bytes, 1000)])
def test_import_operations_grow_linearly_with_the_transcript(tmp_path, monkeypatch, suffix, make, small):
    counter = Operations(monkeypatch)
    counts = []
    for size in (small, 4 * small):
        path = tmp_path / f"interview-{size}{suffix}"
        path.write_bytes(make(size))
        with Project.init(tmp_path / f"p{size}.qualcode") as project:
            counts.append(counter.of(lambda project=project, path=path: project.import_files([path])))
            assert len(project.segments()) == size  # every turn is a segment: the import did its work
    assert counts[1] <= 4.5 * counts[0], f"{suffix}: {counts[0]} operations for {small}, {counts[1]} for 4 times that"
