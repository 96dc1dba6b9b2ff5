"""The results workbook is streamed: its memory grows by a few bytes per coded-segment row, not by the row."""
from __future__ import annotations

import gc
import tracemalloc

import pytest

from conftest import SAMPLE_TURNS, add_document, store_codebook

from qualcode.outputs.xlsx import export_workbook
from qualcode.project import Project
from qualcode.store.codings import Decision

CODES = (("workload", "risk"), ("autonomy", "opportunity"))


def _project(path, documents: int) -> tuple[Project, int]:
    """``documents`` interviews of 1,000 segments to code, each coded twice by anna."""
    project = Project.init(path)
    store_codebook(project)
    decisions = []
    for i in range(documents):
        ids = add_document(project, turns=SAMPLE_TURNS * 250, name=f"int-{i:02d}.txt")
        to_code = {s.id for s in project.segments(ids=ids) if s.case_id}
        decisions += [Decision(sid, "add", code, direction) for sid in sorted(to_code) for code, direction in CODES]
    project.decide("anna", decisions)
    return project, len(decisions)


def _peak_of_export(project: Project, out) -> tuple[int, int]:
    """Peak of the memory Python allocates while the workbook is written (the analysis made before), and its rows."""
    analysis = project.analyse(coder="anna", by="role")  # as `export xlsx` does
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        report = export_workbook(analysis, out)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak, report.codings


def _bytes_per_coding(tmp_path, peak_of) -> tuple[float, int, int]:
    """What ``peak_of`` (project, out) -> (peak, codings) takes per coding more on a project of 6,000
    codings than on one of 2,000 (imports and caches warmed outside the measurement)."""
    small_project, _ = _project(tmp_path / "small.qualcode", 1)
    large_project, _ = _project(tmp_path / "large.qualcode", 3)
    peak_of(small_project, tmp_path / "warm.xlsx")
    small, small_rows = peak_of(small_project, tmp_path / "small.xlsx")
    large, large_rows = peak_of(large_project, tmp_path / "large.xlsx")
    assert (small_rows, large_rows) == (2_000, 6_000)
    return (large - small) / (large_rows - small_rows), small, large


@pytest.mark.slow  # ~10 s: two projects of 2,000 and 6,000 codings
def test_the_results_workbook_takes_a_few_bytes_per_coded_segment_row(tmp_path):
    per_row, small, large = _bytes_per_coding(tmp_path, _peak_of_export)
    # streamed ~150 bytes a row (the sort order, the segments' sources, the co-occurrence lists); openpyxl's
    # workbook in memory took ~7,000 (a cell object per value)
    assert per_row < 1_000, (small, large, per_row)


def _peak_of_whole_export(project: Project, out) -> tuple[int, int]:
    """Peak of the memory Python allocates for `export xlsx`: the analysis, its pseudonymised copy and the writing."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        report = project.export_workbook(out, coder="anna", by="role")
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak, report.codings


@pytest.mark.slow  # ~10 s: two projects of 2,000 and 6,000 codings
def test_the_whole_export_takes_a_bounded_amount_of_memory_per_coding(tmp_path):
    per_row, small, large = _bytes_per_coding(tmp_path, _peak_of_whole_export)
    # ~1,000 bytes a coding (the codings frame and its pseudonymised copy, the segments' texts and places, the
    # sheet's order and distinct values); with a passage made of every coding and a dict per row while the
    # frame was made it was ~1,500, and with 300-character turns ~2,300 (now ~1,400)
    assert per_row < 1_250, (small, large, per_row)
