"""Golden files pin what a user reads: keyword suggestions on the sample, `explain`, the demo's
report.md and the workbook's Matrix sheet. A change to any of them must be intended.

Regenerate (only for an intended change, in the same commit, with the reason in its message):
    QUALCODE_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from conftest import check_golden

from qualcode import Project
from qualcode.demo import run_demo

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("golden-demo")
    return run_demo(out, sample_dir=ROOT / "transcripts_sample", codebook=ROOT / "codebooks" / "werkbeleving.yaml",
                    echo=lambda line: None)


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    """The sample imported and auto-coded, before any review: every keyword suggestion is still there."""
    from qualcode.demo import TABLE_OPTIONS

    path = tmp_path_factory.mktemp("golden-coded") / "coded.qualcode"
    sample = ROOT / "transcripts_sample"
    with Project.init(path) as project:
        project.import_files([sample / "po-2019", sample / "vo-2025"], cases=sample / "cases.csv", **TABLE_OPTIONS)
        project.code(ROOT / "codebooks" / "werkbeleving.yaml")
    return path


def test_keyword_suggestions_on_the_sample(coded):
    con = sqlite3.connect(coded)
    rows = con.execute(
        "SELECT d.name, g.position, c.code, c.direction, c.strategy, c.score, c.evidence FROM codings c "
        "JOIN segments g ON g.id = c.segment_id JOIN documents d ON d.id = g.document_id "
        "WHERE c.origin = 'keyword' AND c.coder IS NULL ORDER BY d.name, g.position, c.code, c.direction"
    ).fetchall()
    assert len(rows) > 200
    lines = [json.dumps({"document": d, "position": p, "code": c, "direction": dr, "strategy": s, "score": sc,
                         "evidence": json.loads(ev)}, ensure_ascii=False, sort_keys=True)
             for d, p, c, dr, s, sc, ev in rows]
    check_golden("suggestions-sample.jsonl", "\n".join(lines) + "\n")


@pytest.mark.slow  # the whole demo (module fixture), ~3 s
def test_explain_for_a_dozen_segments(demo):
    with Project.open(demo.project) as project:
        segments = project.segments(only_to_code=True)
        chosen = segments[:: max(1, len(segments) // 12)][:12]
        text = "\n\n".join(project.explain(s.id) for s in chosen)
    check_golden("explain-12.txt", text + "\n")


def _normalised(text: str, demo) -> str:
    text = text.replace(str(demo.project.parent), "<OUT>")
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<UUID>", text)
    text = re.sub(r"\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
                  r"december) \d{4}, \d\d:\d\d", "<TIME>", text)  # the local date and time of the provenance
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", "<TIME>", text)


@pytest.mark.slow  # the whole demo (module fixture), ~3 s
def test_demo_report_markdown(demo):
    check_golden("report.md", _normalised((demo.report.parent / "report.md").read_text(encoding="utf-8"), demo))


@pytest.mark.slow  # the whole demo (module fixture), ~3 s
def test_demo_workbook_matrix_sheet(demo):
    sheet = openpyxl.load_workbook(demo.workbook, read_only=True)["Matrix"]
    rows = ["\t".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)]
    check_golden("matrix-sheet.tsv", _normalised("\n".join(rows) + "\n", demo))
