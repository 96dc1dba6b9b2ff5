"""The table import gives what it gave before it was made to read a table in one pass.

Generated tables (``table_samples.py``: plain tables and survey layouts, .csv and .xlsx, with
faults, often several at once) are read and imported, and what comes out is compared with the
golden files, written by the code before the change:

* ``table-reads.jsonl``: per table its input, the document (text, turns with their rows, cases
  and attributes, notes, warnings) or the error, and the grid that :func:`read_grid` makes of it
  (with and without survey layouts), or that error;
* ``table-stores.jsonl``: per table what an import writes into a new project (documents, cases,
  attributes and segments, row for row in the order written) and reports, or the error.

Regenerate only for an intended change:
``QUALCODE_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_table_equality.py``
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from table_samples import COMBINATIONS, TableSample, grid_output, read_output, store_output, table_sample

from conftest import check_golden

SAMPLES = 400


def _samples() -> list[tuple[str, TableSample]]:
    return [(str(seed), table_sample(seed)) for seed in range(SAMPLES)] + [(s.name, s) for s in COMBINATIONS]


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def test_generated_tables_read_as_before(tmp_path: Path) -> None:
    lines = []
    for seed, sample in _samples():
        path = sample.write(tmp_path)
        grid_options = {k: v for k, v in sample.options.items() if k in ("sheet", "encoding")}
        lines.append(_line({"seed": seed, "input": sample.described(), "read": read_output(sample, path),
                            "grid": grid_output(path, **grid_options),
                            "plain grid": grid_output(path, survey=False, **grid_options)}))
    check_golden("table-reads.jsonl", "".join(lines))


def _stored_lines(tmp_path: Path) -> str:
    lines = []
    for seed, sample in _samples():
        path = sample.write(tmp_path)
        lines.append(_line({"seed": seed, "store": store_output(sample, path, tmp_path / f"p{seed}.qualcode")}))
        path.unlink()
    return "".join(lines)


@pytest.mark.slow
def test_generated_tables_are_stored_as_before(tmp_path: Path) -> None:
    check_golden("table-stores.jsonl", _stored_lines(tmp_path))


@pytest.mark.slow
def test_writing_in_batches_stores_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments, cases and attributes are written in batches: batches of two store what one batch does."""
    from qualcode.ingest import run
    from qualcode.store.cases import CaseWriter

    monkeypatch.setattr(run, "SEGMENT_BATCH", 2)
    monkeypatch.setattr(CaseWriter, "BATCH", 2)
    assert _stored_lines(tmp_path) == (Path(__file__).parent / "golden" / "table-stores.jsonl").read_text("utf-8")
