"""The demo pipeline on the sample study, checked against the store."""
from __future__ import annotations

import sqlite3

import openpyxl
import pytest

from qualcode.demo import run_demo

# The whole demo runs once for the module, ~3.5 s.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo with its defaults: the sample study and the Dutch codebook found by qualcode.resources."""
    out = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    result = run_demo(out, echo=lines.append)
    return result, lines


def test_the_demo_applies_the_committed_reviews(demo):
    result, lines = demo
    assert [coder for coder, _ in result.reviews] == ["anna", "bob"]
    con = sqlite3.connect(result.project)
    to_code = con.execute("SELECT count(*) FROM segments WHERE to_code = 1").fetchone()[0]
    decided = con.execute("SELECT count(DISTINCT segment_id) FROM decision_log WHERE coder = 'anna'").fetchone()[0]
    assert decided == to_code, "anna's review covers every segment to be coded"
    assert any("Applied the review of anna" in line for line in lines)


def test_the_workbook_matrix_equals_the_counts_in_the_store(demo):
    result, _ = demo
    con = sqlite3.connect(result.project)
    expected = {}
    for study, code, direction, segments, cases in con.execute(
        "SELECT s.name, c.code, c.direction, count(DISTINCT c.segment_id), count(DISTINCT g.case_id) FROM codings c "
        "JOIN segments g ON g.id = c.segment_id JOIN documents d ON d.id = g.document_id "
        "JOIN studies s ON s.id = d.study_id WHERE c.coder = 'anna' AND c.status = 'accepted' AND g.to_code = 1 "
        "GROUP BY s.name, c.code, c.direction"
    ):
        expected[(study, code, direction)] = (segments, cases)  # the workbook shows one matrix per study
    labels = {"autonomie": "autonomy", "werkdruk": "workload", "menselijke interactie": "interaction",
              "werkplezier": "enjoyment"}
    directions = {"kans": "opportunity", "risico": "risk", "geen richting": "none"}
    ws = openpyxl.load_workbook(result.workbook)["Matrix"]
    header = [c.value for c in ws[1]]
    seen = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[1] not in labels:
            continue
        for label, direction in directions.items():
            if f"{label}: fragmenten" in header:
                n = row[header.index(f"{label}: fragmenten")]
                k = row[header.index(f"{label}: cases")]
                seen[(row[0], labels[row[1]], direction)] = (n, k)
    assert len(seen) >= 16 and {key[0] for key in seen} == {"po-2019", "vo-2025"}
    for key, value in seen.items():
        assert value == expected.get(key, (0, 0)), key
    assert sum(n for n, _ in expected.values()) == sum(n for n, _ in seen.values())
    # every cell the researcher publishes rests on human decisions: kans and risico on all four aspects
    for study in ("po-2019", "vo-2025"):
        for code in labels.values():
            assert expected[(study, code, "opportunity")][0] > 0 and expected[(study, code, "risk")][0] > 0


def test_the_demo_writes_the_report_and_the_heatmap(demo):
    result, _ = demo
    assert result.report.exists() and result.heatmap.exists()
    assert result.heatmap.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = result.report.read_text(encoding="utf-8")
    assert "werkdruk" in html and "Expert 1" in html
    for real_name in ("Marieke de Vries", "Jeroen Bakker", "Peter van Dijk", "Fatima Ouali"):
        assert real_name not in html, "a respondent's real name leaked into the report"


def test_the_workbook_names_no_respondent(demo):
    result, _ = demo
    wb = openpyxl.load_workbook(result.workbook)
    for name in ("Gecodeerde fragmenten", "Cases", "Citaten"):
        for row in wb[name].iter_rows(values_only=True):
            for value in row:
                assert value not in ("Marieke de Vries", "Peter van Dijk", "R6"), (name, value)
