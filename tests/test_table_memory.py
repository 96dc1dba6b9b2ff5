"""A table import holds one row at a time while it reads, and a few bytes a row while it writes.

Reading a survey table once held it three times over (the records as lists, the grid's rows as
tuples, then the turns), and writing it held every segment row, every span and a key string per
row to the end of the document: 200,000 answers took 2.2-2.5 times as long as 100,000. These
tests measure what Python allocates (tracemalloc), not time.
"""
from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import pytest

from qualcode.ingest import run
from qualcode.ingest.importers import read_document
from qualcode.project import Project
from qualcode.store.cases import CaseWriter


def _table(rows: int, left_out: int = 0) -> bytes:
    """Respondents with an answer, a sector and ``left_out`` e-mail columns (personal data: not imported)."""
    lines = ["id,antwoord,sector" + "".join(f",e-mail {c}" for c in range(left_out))]
    lines += [f"R{i},Het scheelt tijd bij het nakijken ({i}).,{'po' if i % 2 else 'vo'}"
              + "".join(f",r{i}.{c}@school.nl" for c in range(left_out)) for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _peak(action: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        action()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_reading_a_table_holds_one_row_at_a_time(tmp_path: Path) -> None:
    """Columns that are not imported cost their text while the file is read, not a cell object each for
    the whole table: the reading holds one row at a time."""
    narrow, wide = _table(4000), _table(4000, left_out=20)
    (tmp_path / "narrow.csv").write_bytes(narrow)
    (tmp_path / "wide.csv").write_bytes(wide)
    read_document(tmp_path / "narrow.csv", data=narrow, id_column="id")  # imports outside the measurement
    small = _peak(lambda: read_document(tmp_path / "narrow.csv", data=narrow, id_column="id"))
    large = _peak(lambda: read_document(tmp_path / "wide.csv", data=wide, id_column="id"))
    # one row at a time: the wide file's extra text once (decoded), ~1.1 times its bytes; holding the
    # rows took ~5 times (a string, a list slot and a tuple slot per cell)
    assert large - small < 1.5 * (len(wide) - len(narrow)), (small, large, len(wide) - len(narrow))


def test_writing_a_table_takes_a_few_bytes_a_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The segments and cases of a table are written in batches as they are made: what the writing holds
    for the whole document is the case ids it has seen, not the rows."""
    monkeypatch.setattr(run, "SEGMENT_BATCH", 500)  # a table of many batches, as 200,000 answers are
    monkeypatch.setattr(CaseWriter, "BATCH", 500)
    peaks: list[int] = []
    write_document = run._write_document

    def measured(*args: Any, **kwargs: Any) -> Any:
        result: list[Any] = []
        peaks.append(_peak(lambda: result.append(write_document(*args, **kwargs))))
        return result[0]

    monkeypatch.setattr(run, "_write_document", measured)
    for rows in (1000, 4000):
        (tmp_path / f"t{rows}.csv").write_bytes(_table(rows))
        with Project.init(tmp_path / f"p{rows}.qualcode") as project:
            project.import_files([tmp_path / f"t{rows}.csv"], id_column="id")
            assert len(project.segments()) == rows
    per_row = (peaks[1] - peaks[0]) / 3000
    # ~100 bytes a row (the case ids seen); holding every segment row, span and attributes key took ~530
    assert per_row < 250, (peaks, per_row)
