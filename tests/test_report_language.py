"""Issue 13 part 2: one language per output, readable provenance, an honest --reconciled, agreement in the report.

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
