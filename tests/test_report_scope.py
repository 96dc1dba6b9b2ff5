"""Issue 13: outputs per study, shares of cases, quotes with their source, memos, co-occurrence.

The numbers are checked against the project file with SQL written here, not against the
code that made them.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import openpyxl
import pytest

from qualcode import Project
from qualcode.demo import run_demo

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # the whole demo (module fixture)

ACCEPTED = """
    SELECT c.segment_id, c.code, c.direction, g.case_id, s.name AS study
      FROM codings c JOIN segments g ON g.id = c.segment_id JOIN documents d ON d.id = g.document_id
      JOIN studies s ON s.id = d.study_id
     WHERE c.coder = 'anna' AND c.status = 'accepted' AND g.to_code = 1
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("scope-demo")
    return run_demo(out, sample_dir=ROOT / "transcripts_sample", codebook=ROOT / "codebooks" / "werkbeleving.yaml",
                    echo=lambda line: None)


@pytest.fixture(scope="module")
def analysis(demo):
    with Project.open(demo.project) as project:
        yield project.analyse(coder="anna", by="role")


def _n_cases(con, study):
    return con.execute(
        "SELECT COUNT(DISTINCT g.case_id) FROM segments g JOIN documents d ON d.id = g.document_id "
        "JOIN studies s ON s.id = d.study_id WHERE g.to_code = 1 AND s.name = ?", (study,)).fetchone()[0]


def test_the_default_analysis_is_per_study_with_shares_from_the_store(demo, analysis):
    con = sqlite3.connect(demo.project)
    assert [p.study for p in analysis.scopes()] == ["po-2019", "vo-2025"]
    for part in analysis.scopes():
        n = _n_cases(con, part.study)
        assert part.n_cases() == n
        for code, direction, segments, cases in con.execute(
                f"SELECT code, direction, COUNT(DISTINCT segment_id), COUNT(DISTINCT case_id) FROM ({ACCEPTED}) "
                "WHERE study = ? GROUP BY code, direction", (part.study,)):
            cell = part.cell(code, direction)
            assert (cell.segments, cell.cases, cell.n_cases) == (segments, cases, n)
            assert cell.percent == int(100 * cases / n + 0.5 + 1e-9)  # half-way values up


def test_half_way_percentages_round_up():
    from qualcode.analysis.results import Cell

    assert Cell(1, 1, n_cases=8).percent == 13  # 12.5 %, not 12
    assert Cell(3, 3, n_cases=8).percent == 38  # 37.5 %


def test_co_occurrence_equals_a_self_join_in_sql(demo, analysis):
    con = sqlite3.connect(demo.project)
    for part in analysis.scopes():
        expected = {}
        for a_code, a_dir, b_code, b_dir, segments, cases in con.execute(
                f"WITH x AS ({ACCEPTED}) SELECT a.code, a.direction, b.code, b.direction, "
                "COUNT(DISTINCT a.segment_id), COUNT(DISTINCT a.case_id) FROM x a JOIN x b "
                "ON a.segment_id = b.segment_id AND (a.code, a.direction) < (b.code, b.direction) "
                "WHERE a.study = ? GROUP BY 1, 2, 3, 4", (part.study,)):
            expected[frozenset({(a_code, a_dir), (b_code, b_dir)})] = (segments, cases)
        got = {frozenset({p.first, p.second}): (p.segments, p.cases) for p in part.co_occurrence}
        assert got == expected and got


def test_vo_quotes_come_from_experts_and_school_leaders_with_their_source(analysis):
    vo = next(p for p in analysis.scopes() if p.study == "vo-2025")
    for code in vo.codes:
        for direction in ("opportunity", "risk"):
            roles_with_passages = {p.role for p in vo.passages_for(code, direction)}
            quoted = vo.quotes_for(code, direction)
            for role in ("expert", "schoolleider"):
                if role in roles_with_passages:
                    assert role in {q.passage.role for q in quoted}, (code, direction, role)
            for q in quoted:
                p = q.passage
                assert p.study == "vo-2025" and p.document and p.pseudonym and p.role
                assert all(part.strip("… ") in p.text for part in q.text.split(" … "))


def test_quotes_keep_the_evidence_whole(demo, analysis):
    import json

    con = sqlite3.connect(demo.project)
    checked = 0
    for part in analysis.scopes():
        for q in part.quotes:
            row = con.execute("SELECT evidence FROM codings WHERE segment_id = ? AND code = ? AND direction = ? "
                              "AND evidence IS NOT NULL ORDER BY origin = 'keyword' DESC, id LIMIT 1",
                              (q.segment_id, q.code, q.direction)).fetchone()
            for match in json.loads(row[0])["matches"] if row else []:
                assert " ".join(match["text"].split()) in q.text, (q.segment_id, match["text"])
                checked += 1
    assert checked > 20


def test_memos_reach_the_workbook_and_the_report(demo):
    con = sqlite3.connect(demo.project)
    memo = con.execute("SELECT text FROM memos m JOIN codings c ON c.segment_id = m.segment_id "
                       "WHERE m.coder = 'anna' AND c.coder = 'anna' AND c.status = 'accepted' LIMIT 1").fetchone()[0]
    ws = openpyxl.load_workbook(demo.workbook)["Gecodeerde fragmenten"]
    headers = [c.value for c in ws[1]]
    memos = {ws.cell(r, headers.index("Memo") + 1).value for r in range(2, ws.max_row + 1)}
    assert any(m and memo in m for m in memos)
    html = (demo.report.parent / "report.html").read_text(encoding="utf-8")
    import html as h

    assert h.escape(memo, quote=True) in html


def test_workbook_matrix_links_to_the_cells_segments(demo):
    wb = openpyxl.load_workbook(demo.workbook)
    ws, segs = wb["Matrix"], wb["Gecodeerde fragmenten"]
    headers = [c.value for c in segs[1]]
    cell = ws["C2"]  # po-2019, autonomie, kans: segments
    assert cell.hyperlink is not None
    row = int(cell.hyperlink.location.split("!A")[1])
    values = {h: segs.cell(row, i + 1).value for i, h in enumerate(headers)}
    assert (values["Studie"], values["Code-id"], values["Richting"]) == ("po-2019", "autonomy", "kans")


def test_with_several_studies_the_report_says_why_quotes_are_per_study_and_all_studies_pools_them(demo):
    report = (demo.report.parent / "report.md").read_text(encoding="utf-8")
    head = report[:report.index("## ")]
    assert "De studies (po-2019, vo-2025) zijn apart geanalyseerd" in head and "--all-studies" in head
    with Project.open(demo.project) as project:
        pooled = project.analyse(coder="anna", by="role", all_studies=True)
        assert not pooled.parts
        assert {q.passage.study for q in pooled.quotes} == {"po-2019", "vo-2025"}
        tmp = demo.report.parent.parent / "pooled-report"
        project.write_report(tmp, coder="anna", by="role", all_studies=True)
    pooled_md = (tmp / "report.md").read_text(encoding="utf-8")
    assert "apart geanalyseerd" not in pooled_md and "alle studies samen (po-2019, vo-2025)" in pooled_md
