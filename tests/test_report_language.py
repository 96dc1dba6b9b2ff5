"""Issue 13 part 2: one language per output, readable provenance, an honest --reconciled, agreement in the
report, the scenario draft and the Word report.

The demo project is built once (slow); the English outputs are the same project rendered
with the English edition of the codebook (same code ids).
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from qualcode import Project
from qualcode.analysis.results import analyse
from qualcode.coding.codebook import load_codebook
from qualcode.demo import run_demo
from qualcode.outputs import i18n
from qualcode.outputs.xlsx import export_workbook

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # the whole demo (module fixture)

# Words that give away an English header, sheet name or status in a Dutch workbook, and the reverse.
ENGLISH = {"segments", "segment", "coded", "quote", "quotes", "accepted", "suggested", "suggestion",
           "about", "agreement", "codebook", "compare", "study", "role", "group", "text", "speaker", "direction",
           "opportunity", "risk", "origin", "coder", "position", "time", "both", "neither",
           "only", "note", "documents", "parent", "includes", "excludes", "words", "phrases", "valence", "color",
           "colour", "reviewed", "presence", "present", "item", "value", "title", "date", "provenance"}
DUTCH = {"fragmenten", "fragment", "gecodeerde", "citaat", "citaten", "beoordeeld", "suggestie", "herkomst",
         "overeenstemming", "codeboek", "vergelijking", "studie", "rol", "groep", "tekst", "spreker", "richting",
         "kans", "risico", "codeur", "positie", "tijd", "beiden", "alleen", "toelichting", "documenten", "waarde",
         "titel", "datum", "omvat", "woorden", "kleur", "aanwezig", "onderdeel", "aandeel", "geen", "van"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("language-demo")
    return run_demo(out, sample_dir=ROOT / "transcripts_sample", codebook=ROOT / "codebooks" / "werkbeleving.yaml",
                    echo=lambda line: None)


def _words(text: object) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-zÀ-ÿ]+", str(text))}


def _labels(wb) -> list[tuple[str, str]]:
    """(sheet, text) of every sheet name, header cell (rows 1-2) and status/origin value."""
    out = [(ws.title, ws.title) for ws in wb.worksheets]
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=1, max_row=2):
            for c in row:
                if isinstance(c.value, str) and c.font is not None and c.font.b:
                    out.append((ws.title, c.value))
        headers = [c.value for c in ws[1]]
        for name in ("Status", "Gecodeerd door", "Coded by", "Richting", "Direction"):
            if name in headers:
                col = headers.index(name) + 1
                out += [(ws.title, ws.cell(r, col).value) for r in range(2, ws.max_row + 1) if ws.cell(r, col).value]
    return out


def test_the_dutch_workbook_has_no_english_sheet_header_or_status(demo):
    wb = openpyxl.load_workbook(demo.workbook)
    assert "Gecodeerde fragmenten" in wb.sheetnames and "Overeenstemming" in wb.sheetnames
    found = [(sheet, text) for sheet, text in _labels(wb) if _words(text) & ENGLISH]
    assert not found, found
    statuses = {v for s, v in _labels(wb) if s in ("Citaten", "Gecodeerde fragmenten") and v in
                ("beoordeeld", "suggestie", "accepted", "suggested")}
    assert statuses == {"beoordeeld"}  # one word for one status, in every sheet


def test_the_english_codebook_gives_an_english_workbook(demo, tmp_path):
    codebook = load_codebook(ROOT / "codebooks" / "werkbeleving.en.yaml")
    with Project.open(demo.project) as project:
        analysis = analyse(project.store, codebook, coder="anna", by="role", agreement=("anna", "bob"),
                           agreement_by="role")
        export_workbook(analysis, tmp_path / "en.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "en.xlsx")
    assert "Coded segments" in wb.sheetnames and "Agreement" in wb.sheetnames
    found = [(sheet, text) for sheet, text in _labels(wb) if _words(text) & DUTCH]
    assert not found, found


MONTHS_NL = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"


def test_provenance_is_readable(demo):
    con = sqlite3.connect(demo.project)
    version = con.execute("SELECT value FROM meta WHERE key = 'codebook_version'").fetchone()[0]
    about = {row[0]: row[1] for row in openpyxl.load_workbook(demo.workbook)["Herkomst"].iter_rows(values_only=True)}
    assert about["Project"] == "demo.qualcode"  # the file's name, not the folders it is in
    assert re.fullmatch(rf"\d{{1,2}} ({MONTHS_NL}) 20\d\d, \d\d:\d\d", about["Datum"]), about["Datum"]
    assert about["Codeboek"] == f"werkbeleving (nl), versie {version[:8]}"
    assert about["Wat telt"] == "geaccepteerde beslissingen van codeur anna"
    report = (demo.report.parent / "report.md").read_text(encoding="utf-8")
    assert f"versie {version[:8]}" in report and version not in report
    assert str(demo.project.parent) not in report


def _decided(con, coder):
    """Segments a coder decided: a coding, or 'done' without codes (the demo has no undone decisions)."""
    assert not con.execute("SELECT 1 FROM decision_log WHERE undoes IS NOT NULL").fetchone()
    return {r[0] for r in con.execute("SELECT segment_id FROM codings WHERE coder = ? UNION SELECT segment_id "
                                      "FROM decision_log WHERE coder = ? AND action = 'segment_done'",
                                      (coder, coder))}


def test_reconciled_without_reconciling_says_what_it_counted(demo):
    con = sqlite3.connect(demo.project)
    assert not con.execute("SELECT 1 FROM codings WHERE coder = 'reconciled'").fetchone()
    with Project.open(demo.project) as project:
        analysis = project.analyse(reconciled=True, per_cell=None, presence=False, all_studies=True)
    selection = analysis.selection
    coded = set(analysis.codings["segment_id"])
    both = _decided(con, "anna") & _decided(con, "bob")
    assert selection.nothing_reconciled
    assert (selection.agreed_segments, selection.single_coder_segments) == (len(coded & both), len(coded - both))
    line = i18n.words(analysis.codebook).selection(selection)
    assert line.startswith("niets afgestemd") and "afgestemde beslissingen" not in line
    assert f"{len(coded & both)} fragmenten door twee of meer codeurs" in line
    assert f"{len(coded - both)} door één codeur" in line


def _kappa(units, a, b):
    n = len(units)
    both = len(units & a & b)
    neither = len(units - a - b)
    po = (both + neither) / n
    pa, pb = len(units & a) / n, len(units & b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return (po - pe) / (1 - pe)


def test_the_report_gives_agreement_per_code_computed_from_the_store(demo):
    con = sqlite3.connect(demo.project)
    to_code = {r[0] for r in con.execute("SELECT id FROM segments WHERE to_code = 1")}
    units = _decided(con, "anna") & _decided(con, "bob") & to_code
    md = (demo.report.parent / "report.md").read_text(encoding="utf-8")
    assert "## Overeenstemming tussen codeurs: anna en bob" in md
    assert "Cohen's kappa" in md  # what the figures mean
    for code, label in (("workload", "werkdruk"), ("interaction", "menselijke interactie")):
        coded = {c: {r[0] for r in con.execute("SELECT segment_id FROM codings WHERE coder = ? AND code = ? "
                                               "AND status = 'accepted'", (c, code))} for c in ("anna", "bob")}
        kappa = f"{_kappa(units, coded['anna'], coded['bob']):.2f}".replace(".", ",")
        row = next(line for line in md.splitlines() if line.startswith(f"| {label} | {len(units)} |"))
        assert f"| {kappa} |" in row, (row, kappa)


SEGMENTS_OF_ROLE = """
    SELECT COUNT(DISTINCT c.segment_id), COUNT(DISTINCT g.case_id)
      FROM codings c JOIN segments g ON g.id = c.segment_id JOIN documents d ON d.id = g.document_id
      JOIN studies s ON s.id = d.study_id JOIN cases k ON k.id = g.case_id
     WHERE c.coder = 'anna' AND c.status = 'accepted' AND g.to_code = 1 AND s.name = ? AND c.code = ?
       AND c.direction = ? AND k.role = ?
"""
CASES_OF_ROLE = """
    SELECT COUNT(DISTINCT g.case_id) FROM segments g JOIN documents d ON d.id = g.document_id
      JOIN studies s ON s.id = d.study_id JOIN cases k ON k.id = g.case_id
     WHERE g.to_code = 1 AND s.name = ? AND k.role = ?
"""


@pytest.fixture(scope="module")
def drafted(demo):
    with Project.open(demo.project) as project:
        yield project.analyse(coder="anna", scenarios=True, presence=False)


def test_the_scenario_draft_counts_per_group_from_the_store(demo, drafted):
    con = sqlite3.connect(demo.project)
    vo = next(p for p in drafted.scopes() if p.study == "vo-2025")
    assert [(s.code, s.direction) for s in vo.scenarios] == [(c, d) for c in vo.codes for d in ("opportunity", "risk")]
    checked = 0
    for sc in vo.scenarios:
        assert sc.cell == vo.cell(sc.code, sc.direction)  # the matrix's own cell
        assert sc.by == "role" and {g for g, _ in sc.groups} == {"expert", "schoolleider", "workshopgroep"}
        for role, cell in sc.groups:
            segments, cases = con.execute(SEGMENTS_OF_ROLE, ("vo-2025", sc.code, sc.direction, role)).fetchone()
            n = con.execute(CASES_OF_ROLE, ("vo-2025", role)).fetchone()[0]
            assert (cell.segments, cell.cases, cell.n_cases) == (segments, cases, n)
            checked += 1
    assert checked == 24


def test_scenario_themes_and_quotes(drafted):
    for part in drafted.scopes():
        for sc in part.scenarios:
            texts = [p.text.lower() for p in part.passages_for(sc.code, sc.direction)]
            counts = [t.segments for t in sc.themes]
            assert counts == sorted(counts, reverse=True)
            for theme in sc.themes:
                assert 2 <= theme.segments <= sc.keyword_segments <= sc.cell.segments
                assert sum(theme.text in t for t in texts) >= 1, theme
            cases = [q.case_key for q in sc.quotes]
            assert len(set(cases)) == len(cases)  # each quote from another case
            assert len(sc.quotes) == min(3, sc.cell.cases)
            assert all((q.code, q.direction) == (sc.code, sc.direction) for q in sc.quotes)
    vo = next(p for p in drafted.scopes() if p.study == "vo-2025")
    workload = next(s for s in vo.scenarios if (s.code, s.direction) == ("workload", "opportunity"))
    assert {q.role for q in workload.quotes} == {"expert", "schoolleider", "workshopgroep"}
    assert ("interaction", "opportunity") in {(t.code, t.direction) for t in workload.together}


def test_the_report_writes_the_scenario_skeletons_with_the_matrix_numbers(demo):
    md = (demo.report.parent / "report.md").read_text(encoding="utf-8")
    with Project.open(demo.project) as project:
        # as the report shows it: names (also in document names) replaced
        analysis = project.pseudonymise(project.analyse(coder="anna", by="role", presence=False, scenarios=True))
    for part in analysis.scopes():
        assert f"### Scenario's per aspect (opzet) — studie {part.study}" in md
        for sc in part.scenarios:
            c = sc.cell
            if c.segments:
                unit = "fragment" if c.segments == 1 else "fragmenten"
                assert (f"genoemd door {c.cases} van de {c.n_cases} cases ({c.percent}%), in {c.segments} "
                        f"{unit}.") in md
            for role, g in sc.groups if len(sc.groups) > 1 else ():  # one group: the sentence is left out
                assert f"{role} {g.cases} van {g.n_cases} ({g.percent}%)" in md
            for q in sc.quotes:
                assert i18n.words(analysis.codebook).source(q) in md


def test_the_report_has_no_scenarios_unless_asked(demo, tmp_path):
    with Project.open(demo.project) as project:
        files = project.write_report(tmp_path / "plain", coder="anna")
    assert "Scenario's" not in files.markdown.read_text(encoding="utf-8") and files.docx is None


def test_the_word_report_converts_with_libreoffice_and_holds_the_numbers(demo, tmp_path):
    import subprocess

    from pypdf import PdfReader

    from conftest import libreoffice

    office = libreoffice()
    assert demo.docx is not None and demo.docx.exists()
    proc = subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(demo.docx)],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    pdf = tmp_path / "report.pdf"
    assert pdf.exists(), proc.stdout + proc.stderr
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages)
    with Project.open(demo.project) as project:
        analysis = project.analyse(coder="anna", by="role", presence=False)
    w = i18n.words(analysis.codebook)
    for part in analysis.scopes():
        assert w.scope_title(part).replace("—", "").split()[-1] in text
        for code in part.codes:
            for d in part.directions:
                assert w.cell(part.cell(code, d)) in text, (part.study, code, d)
    assert "Scenario's per aspect (opzet)" in text and "Overeenstemming tussen codeurs: anna en bob" in text
    assert "studie po-2019; studie vo-2025" in text and "alle studies samen" not in text  # per study, not pooled
    assert "demo.qualcode" in text
    for name in ("Marieke de Vries", "Peter van Dijk"):
        assert name not in text
    # no word broken over two lines ('% overeenstemm|ing' in a narrow column, 'po-|2019' at its hyphen):
    # every word LibreOffice laid out is a word of the document (the list bullets aside)
    from docx import Document

    doc = Document(str(demo.docx))
    written = {word for p in doc.paragraphs for word in p.text.split()}
    written |= {word for t in doc.tables for row in t.rows for c in row.cells for word in c.text.split()}
    laid_out = {word for page in PdfReader(pdf).pages for word in (page.extract_text() or "").split()}
    assert not {word for word in laid_out - written if word.isprintable() and word != "\uf0b7"}


def test_the_heatmap_labels_of_the_demo_keep_clear_of_the_cell_edges(drafted):
    from test_outputs import heatmap_labels_checked

    assert heatmap_labels_checked(drafted) == 4 * 2 + 4 * 3  # po-2019 without 'geen richting', vo-2025 with it


def test_the_demo_with_the_english_codebook_applies_the_dutch_review_and_speaks_english(demo, tmp_path):
    """`qualcode demo --codebook werkbeleving.en.yaml` stopped at the review workbooks (exported with the Dutch
    codebook's version). Now they are applied under the codebook they were made with, the English edition
    is loaded after them: the same decisions, English words in every output of that run."""
    english = run_demo(tmp_path, sample_dir=ROOT / "transcripts_sample",
                       codebook=ROOT / "codebooks" / "werkbeleving.en.yaml", echo=lambda line: None)
    decided = "SELECT segment_id, code, direction, coder FROM codings WHERE coder IN ('anna', 'bob') AND status = " \
              "'accepted' ORDER BY 1, 2, 3, 4"
    assert sqlite3.connect(english.project).execute(decided).fetchall() == \
        sqlite3.connect(demo.project).execute(decided).fetchall()
    wb = openpyxl.load_workbook(english.workbook)
    assert "Coded segments" in wb.sheetnames
    assert not [(sheet, text) for sheet, text in _labels(wb) if _words(text) & DUTCH]
    report = (english.report.parent / "report.md").read_text(encoding="utf-8")
    assert "Opportunities and risks per aspect of work" in report and "Kansen en risico" not in report
    assert "human interaction" in report and "menselijke interactie" not in report


def test_the_agreement_sheet_gives_a_group_without_common_decisions_one_row(demo):
    """Groups that only one coder reviewed (bob did not review the school leaders) filled the Agreement sheet
    with a row per code and direction, each saying there was nothing to compare: now one row per such group."""
    con = sqlite3.connect(demo.project)
    both = _decided(con, "anna") & _decided(con, "bob")
    roles = {r[0]: r[1] for r in con.execute("SELECT g.id, c.role FROM segments g JOIN cases c ON c.id = g.case_id")}
    compared = {roles[s] for s in both if s in roles}
    ws = openpyxl.load_workbook(demo.workbook)["Overeenstemming"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2) if row[0].value]
    per_group: dict = {}
    for row in rows:
        if isinstance(row[3], int):
            per_group.setdefault(row[0], []).append(row)
    empty = set(per_group) - compared - {"alle"}
    assert empty, per_group.keys()  # the demo has such groups
    for group in empty:
        assert len(per_group[group]) == 1 and per_group[group][0][3] == 0
    for group in compared:
        assert len(per_group[group]) > 1
    kappa = [c.value for c in ws[1]].index("kappa") + 1
    assert ws.cell(2, kappa).number_format == "0.000"
