"""The code stage's memory does not grow with the corpus (suggestions are staged outside Python as they come);
code and import collect garbage in larger steps."""
from __future__ import annotations

import gc
import tracemalloc

import pytest

from conftest import SAMPLE_TURNS, add_document

from qualcode.coding import run
from qualcode.coding.keywords import stream
from qualcode.coding.codebook import load_codebook
from qualcode.project import Project
from qualcode.resources import default_codebook_path


def _peak_of_code_run(project: Project, codebook) -> tuple[int, run.CodeReport]:
    """Peak of the memory Python allocates during a `code` run (tracemalloc), above what was there before."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        report = run.code_segments(project.store, codebook)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak, report


@pytest.mark.slow
def test_peak_memory_of_a_code_run_does_not_grow_with_the_corpus(tmp_path, monkeypatch):
    # the buffers small (segments read, windows joined into one doc) so that these corpora are many of them
    monkeypatch.setattr(run, "CHUNK", 100)
    monkeypatch.setattr(stream, "_JOINED_CHARS", 5_000)
    codebook = load_codebook(default_codebook_path("nl"))
    projects = {}
    for files in (1, 5, 15):  # documents of 150 segments (120 to code) each, as a folder of transcripts
        projects[files] = Project.init(tmp_path / f"p{files}.qualcode")
        for i in range(files):
            add_document(projects[files], turns=SAMPLE_TURNS * 30, name=f"int-{i:02d}.txt")
    run.code_segments(projects[1].store, codebook)  # the pipeline is built (and cached) outside the measurement
    small, small_report = _peak_of_code_run(projects[5], codebook)
    large, large_report = _peak_of_code_run(projects[15], codebook)
    # the runs did code everything: three times the segments, three times the suggestions, all in the store
    assert large_report.segments == 3 * small_report.segments == 3 * 600
    assert large_report.added == 3 * small_report.added > 1000
    for project, report in ((projects[5], small_report), (projects[15], large_report)):
        stored = project.con.execute("SELECT count(*) FROM codings WHERE coder IS NULL").fetchone()[0]
        assert stored == report.added == sum(report.per_code.values())
    # holding the suggestions (or the segments) would make the larger run's peak about three times the
    # smaller one's; staged a chunk at a time it stays nearly the same
    assert large < 1.3 * small, (small, large)


@pytest.mark.slow
def test_two_jobs_store_the_same_codings_and_evidence_text_as_one(tmp_path):
    """With --jobs 2 the workers' evidence goes to the store as the JSON text they made (not decoded and
    encoded again in the main process): the codings table is the same, to the byte, as with one job."""
    codebook = load_codebook(default_codebook_path("nl"))
    rows = {}
    for jobs in (1, 2):
        project = Project.init(tmp_path / f"jobs{jobs}.qualcode")
        for i in range(3):
            add_document(project, turns=SAMPLE_TURNS * 10, name=f"int-{i:02d}.txt")
        report = run.code_segments(project.store, codebook, jobs=jobs)
        rows[jobs] = project.con.execute(
            "SELECT segment_id, code, direction, origin, strategy, evidence FROM codings WHERE coder IS NULL "
            "ORDER BY segment_id, code, direction").fetchall()
        assert len(rows[jobs]) == report.added > 100
    assert rows[2] == rows[1]


def test_encoded_evidence_reads_as_the_evidence_it_holds():
    import json

    from qualcode.records import EncodedEvidence, evidence_text

    evidence = {"matches": [{"text": "één", "start": 0, "end": 3}], "sentence": [0, 10]}
    text = json.dumps(evidence, ensure_ascii=False)
    encoded = EncodedEvidence(text)
    assert evidence_text(encoded) is text  # written as it came, not encoded again
    assert evidence_text(evidence) == text
    assert encoded == evidence and evidence == encoded and dict(encoded) == evidence
    assert encoded["matches"][0]["text"] == "één" and len(encoded) == 2 and list(encoded) == list(evidence)


def test_a_run_collects_garbage_in_larger_steps_and_leaves_the_collector_as_it_was(tmp_path, monkeypatch):
    """The run raises the collector's first threshold while it works (each collection walks the long-lived
    pipeline and rule caches) and puts back what was set before, also when the run fails."""
    codebook = load_codebook(default_codebook_path("nl"))
    project = Project.init(tmp_path / "p.qualcode")
    add_document(project, turns=SAMPLE_TURNS, name="int.txt")
    seen = []
    real_add = run.codings.SuggestionStage.add_rows

    def add(self, batch, strategy):
        seen.append(gc.get_threshold())
        return real_add(self, batch, strategy)

    monkeypatch.setattr(run.codings.SuggestionStage, "add_rows", add)
    before = gc.get_threshold()
    try:
        gc.set_threshold(900, 11, 12)
        run.code_segments(project.store, codebook)
        assert seen and all(threshold == (50_000, 11, 12) for threshold in seen)
        assert gc.get_threshold() == (900, 11, 12)

        def broken(self, batch, strategy):
            raise RuntimeError("disk full")

        monkeypatch.setattr(run.codings.SuggestionStage, "add_rows", broken)
        with pytest.raises(RuntimeError):
            run.code_segments(project.store, codebook)
        assert gc.get_threshold() == (900, 11, 12)
    finally:
        gc.set_threshold(*before)


def test_an_import_collects_garbage_in_larger_steps_and_leaves_the_collector_as_it_was(tmp_path, monkeypatch):
    """A survey table's rows are many young objects: the import raises the first threshold while it
    writes them (a full collection walks them all, and grew faster than the table) and puts back
    what was set before, also when the import fails."""
    from qualcode.ingest import run as ingest_run

    table = tmp_path / "survey.csv"
    table.write_text("respondent;toelichting\nR1;Ik heb meer tijd voor de leerlingen.\n"
                     "R2;De werkdruk is hoger.\n", encoding="utf-8")
    seen = []
    real_write = ingest_run._write_document

    def write(*args, **kwargs):
        seen.append(gc.get_threshold())
        return real_write(*args, **kwargs)

    monkeypatch.setattr(ingest_run, "_write_document", write)
    before = gc.get_threshold()
    try:
        gc.set_threshold(900, 11, 12)
        with Project.init(tmp_path / "p.qualcode") as project:
            report = project.import_files([table], text_columns=["toelichting"], id_column="respondent")
            assert report.imported and seen and all(threshold == (50_000, 11, 12) for threshold in seen)
            assert gc.get_threshold() == (900, 11, 12)
            with pytest.raises(Exception, match="missing.csv"):
                project.import_files([tmp_path / "missing.csv"])
            assert gc.get_threshold() == (900, 11, 12)
    finally:
        gc.set_threshold(*before)
