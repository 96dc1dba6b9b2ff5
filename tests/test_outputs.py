"""Outputs: which codings count, the matrix, quotes, per-case table, comparison, workbook, report, CLI."""
from __future__ import annotations

import base64
import json
import re
import subprocess
import zipfile

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.store import codings
from qualcode import store
from qualcode.cli import main
from qualcode.coding.codebook import Codebook
from qualcode.store.codings import Decision
from qualcode.errors import CodebookError, NotFoundError, UsageError
from qualcode.analysis.matrix import compare, opportunity_risk_matrix, quotes
from qualcode.records import Suggestion
from qualcode.analysis.selection import select_codings
from qualcode.outputs.i18n import words

from conftest import add_document, libreoffice

CODEBOOK_NL = """\
codebook: werkbeleving
language: nl
codes:
  - id: autonomy
    label: autonomie
    definition: {includes: "regie over het eigen werk"}
    keywords: {words: [regie, autonomie]}
  - id: workload
    label: werkdruk
    definition: {includes: "tijd, hoeveelheid en tempo van het werk"}
    keywords: {words: [werkdruk, tijd], compounds: ["nakijk*"]}
  - id: interaction
    label: menselijke interactie
    keywords: {words: [contact, leerling]}
  - id: work_enjoyment
    label: werkplezier
    keywords: {words: [werkplezier, plezier]}
"""

FORMULA_TEXT = '=HYPERLINK("http://example.org","klik") docenten verliezen de regie als het algoritme bepaalt wat ze doen.'

# (speaker label as in the transcript: real names, case id, text)
DOC_VO_1 = [
    ("Interviewer", None, "Wat betekent AI voor uw werk?"),
    ("Jan Jansen", "R1", "Het nakijkwerk gaat veel sneller met AI, dat scheelt docenten echt een paar uur per week."),
    ("Jan Jansen", "R1", "Maar de vrijgekomen tijd wordt weer opgevuld met het controleren van wat de AI heeft gemaakt."),
    ("Piet de Vries", "R2", FORMULA_TEXT),
    ("Piet de Vries", "R2", "Lesvoorbereiding kost minder tijd."),
]
DOC_VO_2 = [
    ("Interviewer", None, "En het contact met leerlingen?"),
    ("Karin Bos", "SL1", "Ik ben bang dat het contact met leerlingen minder wordt als alles via een scherm en een chatbot gaat."),
    ("Karin Bos", "SL1", "Met AI hebben docenten meer tijd voor een-op-een begeleiding, en dat geeft ze werkplezier terug."),
    ("Karin Bos", "SL1", "We hebben het gebouw vorig jaar verbouwd en de kantine is nu veel lichter dan vroeger."),
]
DOC_PO = [
    ("Interviewer", None, "Hoe is dat in het basisonderwijs?"),
    ("Els Smit", "P1", "In het basisonderwijs gaat de administratie sneller met AI, dat scheelt werkdruk voor leerkrachten."),
    ("Els Smit", "P1", "-leerkrachten moeten wel alles controleren wat het systeem voorstelt, dat is gewoon extra werk."),
    ("Tom Wit", "P2", "Ik merk vooral dat AI de administratie overneemt, en daardoor houden leerkrachten meer tijd over."),
]
REAL_NAMES = ("Jan Jansen", "Piet de Vries", "Karin Bos", "Els Smit", "Tom Wit")


def _set_cases(project) -> None:
    con = project.con
    with store.transaction(con):
        con.execute("UPDATE cases SET role = 'schoolleider', pseudonym = 'Schoolleider 1' WHERE id = 'SL1'")
        con.execute("UPDATE cases SET role = 'leerkracht', pseudonym = 'Leerkracht 1' WHERE id = 'P1'")
        con.execute("UPDATE cases SET role = 'leerkracht', pseudonym = 'Leerkracht 2' WHERE id = 'P2'")
        for case, schooltype in (("R1", "vo"), ("R2", "vo"), ("SL1", "vo"), ("P1", "po"), ("P2", "po")):
            con.execute("INSERT INTO case_attributes(case_id, name, value, type) VALUES (?, 'schooltype', ?, 'text')",
                        (case, schooltype))
        con.execute("INSERT INTO case_attributes(case_id, name, value, type) VALUES ('R1', 'years', '12', 'int')")


def _store_codebook(project, text: str = CODEBOOK_NL, name: str = "werkbeleving.yaml") -> Codebook:
    cb = Codebook.from_text(text, name)
    with store.transaction(project.con):
        codings.store_codebook(project.con, cb)
    return cb


def accept(project, coder: str, *items: tuple[int, str, str]) -> None:
    codings.apply_decisions(project.con, coder, [Decision(s, "accept", c, d) for s, c, d in items])


def reject(project, coder: str, *items: tuple[int, str, str]) -> None:
    codings.apply_decisions(project.con, coder, [Decision(s, "reject", c, d) for s, c, d in items])


def suggest(project, cb: Codebook, *items: tuple[int, str, str], origin: str = "keyword") -> None:
    sugg = [Suggestion(s, c, d, origin, "keywords.v1", {"words": [c]}) for s, c, d in items]
    with store.transaction(project.con):
        codings.write_suggestions(project.con, sugg, origin=origin, segment_ids=sorted({s for s, _, _ in items}),
                                  codebook_version=cb.version)


@pytest.fixture
def built(project):
    """Two vo interviews and one po interview, coded by anna; returns (project, codebook, segment ids)."""
    return build_project(project)


def build_project(project):
    vo1 = add_document(project, DOC_VO_1, name="int-01.txt", study="vo-2025")
    vo2 = add_document(project, DOC_VO_2, name="int-02.txt", study="vo-2025")
    po = add_document(project, DOC_PO, name="po-01.txt", study="po-2019")
    _set_cases(project)
    cb = _store_codebook(project)
    ids = {"vo1": vo1, "vo2": vo2, "po": po}
    accept(project, "anna",
           (vo1[1], "workload", "opportunity"),
           (vo1[2], "workload", "risk"),
           (vo1[3], "autonomy", "risk"),
           (vo1[4], "workload", "opportunity"),
           (vo2[1], "interaction", "risk"),
           (vo2[2], "interaction", "opportunity"),
           (vo2[2], "work_enjoyment", "opportunity"),
           (vo2[2], "workload", "opportunity"),
           (po[1], "workload", "opportunity"),
           (po[2], "workload", "risk"))
    reject(project, "anna", (vo2[3], "work_enjoyment", "opportunity"))
    return project, cb, ids


def cell(result, label: str, direction: str, measure: str = "segments", group: str | None = None) -> int:
    frame = result.matrix if group is None else result.groups[group]
    return int(frame.loc[label, (direction, measure)])


# -- selection ------------------------------------------------------------------------------
def test_selection_counts_only_accepted_decisions_of_segments_to_code(built):
    project, cb, ids = built
    df = select_codings(project.store)
    assert len(df) == 10
    assert set(df["status"]) == {"accepted"}
    assert set(df["coder"]) == {"anna"}
    assert ids["vo1"][0] not in set(df["segment_id"])  # interviewer
    assert {"segment_id", "document", "study", "case_id", "pseudonym", "role", "schooltype", "years", "speaker",
            "text", "code", "direction", "origin", "status", "coder", "source_row"} <= set(df.columns)
    assert not set(df["speaker"]) & set(REAL_NAMES)
    assert set(df.loc[df["case_id"] == "SL1", "speaker"]) == {"Schoolleider 1"}


def test_selection_study_filter_and_unknown_study(built):
    project, _, _ = built
    assert set(select_codings(project.store, study="po-2019")["study"]) == {"po-2019"}
    with pytest.raises(NotFoundError, match="no study 'x'"):
        select_codings(project.store, study="x")


def test_several_coders_need_a_choice(built):
    project, _, ids = built
    accept(project, "ben", (ids["vo1"][1], "workload", "opportunity"))
    with pytest.raises(UsageError) as err:
        select_codings(project.store)
    assert str(err.value) == ("2 coders have decisions (anna, ben); count one coder's with --coder NAME, "
                              "or what they agree on with --reconciled")
    assert len(select_codings(project.store, coder="ben")) == 1
    with pytest.raises(UsageError, match="--coder and --reconciled cannot be used together"):
        select_codings(project.store, coder="ben", reconciled=True)
    with pytest.raises(NotFoundError, match="no decisions by coder 'carl'; the coders are: anna, ben"):
        select_codings(project.store, coder="carl")


def test_reconciled_takes_settled_decisions_else_what_all_coders_accepted(built):
    project, _, ids = built
    vo1, vo2 = ids["vo1"], ids["vo2"]
    # ben agrees on vo1[1], disagrees on vo1[2] (other direction), decides vo2[1] differently
    accept(project, "ben", (vo1[1], "workload", "opportunity"), (vo1[2], "workload", "opportunity"),
           (vo2[1], "interaction", "risk"), (vo2[1], "work_enjoyment", "risk"))
    # the reconciled pseudo-coder settled vo1[2]
    accept(project, codings.RECONCILED, (vo1[2], "workload", "risk"), (vo1[2], "work_enjoyment", "risk"))
    df = select_codings(project.store, reconciled=True)
    got = {(r.segment_id, r.code, r.direction) for r in df.itertuples()}
    assert (vo1[1], "workload", "opportunity") in got  # both accepted
    assert (vo1[2], "workload", "risk") in got and (vo1[2], "work_enjoyment", "risk") in got  # reconciled
    assert (vo1[2], "workload", "opportunity") not in got  # only ben, and reconciled decided this segment
    assert (vo2[1], "interaction", "risk") in got  # both accepted
    assert (vo2[1], "work_enjoyment", "risk") not in got  # only ben
    assert (vo1[3], "autonomy", "risk") in got  # only anna decided this segment
    assert set(df.loc[df["segment_id"] == vo1[2], "coder"]) == {codings.RECONCILED}
    assert set(df.loc[df["segment_id"] == vo1[1], "coder"]) == {"anna+ben"}
    # the label says where the counted segments come from: settled, agreed by two coders, one coder only
    from qualcode.analysis.results import selection_of

    selection = selection_of(df)
    coded = set(df["segment_id"])
    both = codings.decided_segments(project.store.con, "anna") & codings.decided_segments(project.store.con, "ben")
    assert selection.settled_segments == 1 and not selection.nothing_reconciled
    assert selection.agreed_segments == len((coded & both) - {vo1[2]})
    assert selection.single_coder_segments == len(coded - both - {vo1[2]})
    line = words(project.codebook()).selection(selection)
    assert line.startswith("afgestemde beslissingen (codeur 'reconciled', 1 fragment), elders")


def test_include_suggested_adds_only_undecided_segments_marked_suggested(built):
    project, cb, ids = built
    vo2 = ids["vo2"]
    po = ids["po"]
    # po[3] is undecided: its suggestions count; vo2[3] was decided (rejected): its suggestion does not
    suggest(project, cb, (po[3], "workload", "opportunity"), (vo2[3], "work_enjoyment", "opportunity"))
    suggest(project, cb, (po[3], "workload", "opportunity"), origin="model")
    df = select_codings(project.store, include_suggested=True)
    sugg = df[df["status"] == "suggested"]
    assert list(sugg["segment_id"]) == [po[3]]
    assert list(sugg["origin"]) == ["keyword"] and sugg["coder"].isna().all()
    result = opportunity_risk_matrix(df, cb)
    assert cell(result, "werkdruk", "opportunity") == 5
    assert int(result.suggested.loc["werkdruk", "opportunity"]) == 1
    assert result.has_suggested
    assert not opportunity_risk_matrix(select_codings(project.store), cb).has_suggested


def test_no_codings_yet_says_what_to_do(seeded):
    project, _ = seeded
    with pytest.raises(UsageError) as err:
        select_codings(project.store)
    assert str(err.value) == ("no codings yet: run `qualcode code --codebook FILE` and review the suggestions "
                              "(`qualcode review --coder NAME`), or pass --include-suggested")


# -- the matrix -----------------------------------------------------------------------------
def test_matrix_counts_segments_and_distinct_cases(built):
    project, cb, _ = built
    result = opportunity_risk_matrix(select_codings(project.store), cb)
    m = result.matrix
    assert list(m.index) == ["autonomie", "werkdruk", "menselijke interactie", "werkplezier"]
    assert list(m.columns) == [("opportunity", "segments"), ("opportunity", "cases"),
                               ("risk", "segments"), ("risk", "cases")]
    # werkdruk kans: R1 (1), R2 (1), SL1 (1), P1 (1) -> 4 segments, 4 cases
    assert cell(result, "werkdruk", "opportunity") == 4
    assert cell(result, "werkdruk", "opportunity", "cases") == 4
    # werkdruk risico: R1 and P1
    assert (cell(result, "werkdruk", "risk"), cell(result, "werkdruk", "risk", "cases")) == (2, 2)
    assert (cell(result, "autonomie", "risk"), cell(result, "autonomie", "opportunity")) == (1, 0)
    assert result.n_cases == 5  # every case with segments to code, also P2 without codings
    assert result.directions == ["opportunity", "risk"]


def test_distinct_cases_count_a_case_once(built):
    project, cb, ids = built
    accept(project, "anna", (ids["vo1"][2], "workload", "opportunity"))  # R1 again
    result = project.matrix()
    assert cell(result, "werkdruk", "opportunity") == 5
    assert cell(result, "werkdruk", "opportunity", "cases") == 4


def test_direction_none_column_only_when_present(built):
    project, cb, ids = built
    assert "none" not in project.matrix().directions
    accept(project, "anna", (ids["vo2"][3], "work_enjoyment", "none"))
    result = project.matrix()
    assert result.directions == ["opportunity", "risk", "none"]
    assert cell(result, "werkplezier", "none") == 1


def test_matrix_by_role(built):
    project, cb, _ = built
    result = project.matrix(by="role")
    assert list(result.groups) == ["expert", "leerkracht", "schoolleider"]
    assert cell(result, "werkdruk", "opportunity", group="expert") == 2
    assert cell(result, "werkdruk", "opportunity", "cases", group="expert") == 2
    assert cell(result, "werkdruk", "opportunity", group="leerkracht") == 1
    assert cell(result, "menselijke interactie", "risk", group="schoolleider") == 1
    assert result.group_n_cases == {"expert": 2, "leerkracht": 2, "schoolleider": 1}
    total = sum(cell(result, "werkdruk", "opportunity", group=g) for g in result.groups)
    assert total == cell(result, "werkdruk", "opportunity")


def test_unknown_attribute_for_by(built):
    project, _, _ = built
    with pytest.raises(UsageError) as err:
        project.matrix(by="gender")
    assert str(err.value) == "unknown attribute 'gender' for --by; the attributes are: role, schooltype, study, years"


# -- quotes ---------------------------------------------------------------------------------
def test_quotes_prefer_different_cases_and_never_name_the_speaker(built):
    project, cb, ids = built
    accept(project, "anna", (ids["vo1"][2], "workload", "opportunity"))  # a second R1 quote
    q = quotes(select_codings(project.store), cb, per_cell=3)
    cellq = q[(q["code"] == "workload") & (q["direction"] == "opportunity")]
    assert len(cellq) == 3
    assert cellq["pseudonym"].nunique() == 3  # three different cases before a second quote of R1
    # R2's quote is short (<60 chars): SL1, P1 and R1 (one of them) come first
    assert "Expert 2" not in set(cellq["pseudonym"])
    assert list(cellq["rank"]) == [1, 2, 3]
    assert (cellq["aspect"] == "werkdruk").all() and (cellq["direction_label"] == "kans").all()
    text = q.to_csv()
    assert not any(name in text for name in REAL_NAMES)


def test_quotes_prefer_clear_segments_and_truncate(built):
    project, cb, ids = built
    df = select_codings(project.store)
    q = quotes(df, cb, per_cell=1, max_chars=50)
    first = q[(q["code"] == "workload") & (q["direction"] == "opportunity")].iloc[0]
    assert len(first["text"]) <= 50 and first["text"].endswith("…")
    # vo2[2] carries three codes: a clear segment of another case is preferred
    q1 = quotes(df, cb, per_cell=1)
    first = q1[(q1["code"] == "workload") & (q1["direction"] == "opportunity")].iloc[0]
    assert first["segment_id"] != ids["vo2"][2]
    assert first["segment_id"] == ids["vo1"][1]  # clear, long enough, lowest id


# -- code presence per case -----------------------------------------------------------------
def test_code_presence_per_case(built):
    project, cb, _ = built
    table = project.code_presence()
    assert list(table["case"]) == ["Leerkracht 1", "Leerkracht 2", "Expert 1", "Expert 2", "Schoolleider 1"]
    row = table.set_index("case").loc["Expert 1"]
    assert row["workload_opportunity"] == 1 and row["workload_risk"] == 1 and row["autonomy_risk"] == 0
    assert row["n_workload_opportunity"] == 1 and row["schooltype"] == "vo" and row["segments"] == 2
    assert table.set_index("case").loc["Leerkracht 2", "n_workload_opportunity"] == 0
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", c) for c in table.columns)
    assert "case_id" not in table.columns


# -- compare --------------------------------------------------------------------------------
def test_compare_by_study_counts_and_shares(built):
    project, cb, _ = built
    table = compare(select_codings(project.store), cb, by="study")
    assert table.attrs["groups"] == ["po-2019", "vo-2025"]
    assert table.attrs["n_cases"] == {"po-2019": 2, "vo-2025": 3}
    assert table.loc["werkdruk", ("po-2019", "opportunity", "segments")] == 1
    assert table.loc["werkdruk", ("vo-2025", "opportunity", "segments")] == 3
    assert table.loc["werkdruk", ("po-2019", "opportunity", "share")] == pytest.approx(0.5)
    assert table.loc["werkdruk", ("vo-2025", "opportunity", "share")] == pytest.approx(1.0)
    diff = "verschil vo-2025 − po-2019"
    assert table.loc["werkdruk", (diff, "opportunity", "segments")] == 2
    assert table.loc["werkdruk", (diff, "opportunity", "cases")] == 2
    assert table.loc["werkdruk", (diff, "opportunity", "share")] == pytest.approx(0.5)
    assert table.loc["werkdruk", (diff, "risk", "share")] == pytest.approx(1 / 3 - 1 / 2)


def test_compare_refuses_different_codebook_versions(built):
    project, cb, ids = built
    changed = CODEBOOK_NL.replace("[werkdruk, tijd]", "[werkdruk, tijd, uren]").replace(
        "label: werkplezier", "label: plezier in het werk")
    _store_codebook(project, changed)
    accept(project, "anna", (ids["po"][3], "workload", "opportunity"))  # made with the new version
    with pytest.raises(CodebookError) as err:
        project.compare(by="study")
    msg = str(err.value)
    assert "different codebook versions" in msg and "--allow-codebook-change" in msg
    assert cb.version[:12] in msg
    comparison = project.compare(by="study", allow_codebook_change=True)
    assert comparison.codebook_changed
    changes = "\n".join(comparison.codebook_changes)
    assert "code workload: keywords added words 'uren'" in changes
    assert "code work_enjoyment: label 'werkplezier' → 'plezier in het werk'" in changes


def test_compare_needs_two_groups(built):
    project, _, _ = built
    with pytest.raises(UsageError, match="compare needs two or more values of 'study'"):
        project.compare(by="study", study="vo-2025")


# -- the workbook ---------------------------------------------------------------------------
@pytest.fixture
def workbook(built, tmp_path):
    project, cb, ids = built
    out = tmp_path / "results.xlsx"
    report = project_export(project, out)
    return project, cb, ids, out, report


def project_export(project, out, **kw):
    return project.export_workbook(out, **kw)


def test_workbook_has_every_sheet_with_frozen_headers_and_filters(workbook):
    project, cb, ids, out, report = workbook
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Matrix", "Matrix per groep", "Citaten", "Gecodeerde fragmenten", "Samen gecodeerd",
                             "Codes per case", "Codeboek", "Cases", "Vergelijking", "Herkomst"]
    for ws in wb.worksheets:
        assert ws.freeze_panes is not None, ws.title
        assert ws.auto_filter.ref or ws.title == "Vergelijking", ws.title  # stacked tables, one per direction
    assert wb["Matrix"]["A1"].value == "Studie" and wb["Matrix"]["B1"].value == "Aspect"
    assert wb["Matrix"]["C1"].value == "kans: fragmenten" and wb["Matrix"]["E1"].value == "kans: %"
    assert wb["Matrix"].conditional_formatting  # the colour scale
    # the share columns (E kans %, H risico %) in the heatmap's hues: blue for kans, orange for risico
    ends = {str(cf.sqref).split(":")[0][0]: cf.rules[0].colorScale.color[-1].rgb[-6:]
            for cf in wb["Matrix"].conditional_formatting}
    assert ends == {"E": "3182BD", "H": "E6550D"}


def test_workbook_matrix_sheet_is_per_study_and_equals_the_dataframe(workbook):
    project, cb, ids, out, report = workbook
    ws = openpyxl.load_workbook(out)["Matrix"]
    r = 2
    for study in ("po-2019", "vo-2025"):  # one matrix per study by default, not pooled
        result = project.matrix(study=study)
        for label in result.matrix.index:
            assert (ws.cell(r, 1).value, ws.cell(r, 2).value) == (study, label)
            values = [ws.cell(r, c).value for c in range(3, 9)]
            expected = []
            for d in ("opportunity", "risk"):
                segs, cases = (int(result.matrix.loc[label, (d, m)]) for m in ("segments", "cases"))
                expected += [segs, cases, (200 * cases + result.n_cases) // (2 * result.n_cases)]
            assert values == expected
            assert ws.cell(r, 9).value == result.n_cases
            r += 1


def test_workbook_formula_like_text_is_stored_as_a_string(workbook, tmp_path):
    project, cb, ids, _, report = workbook
    out = tmp_path / "exact.xlsx"  # the text as stored (a pseudonymised export replaces the web address)
    project_export(project, out, pseudonymise=False)
    with zipfile.ZipFile(out) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = {name: z.read(name).decode("utf-8") for name in sheets}
        strings = z.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in z.namelist() else ""
    for name, text in xml.items():
        assert "<f>" not in text and "<f " not in text, name
    # the cell holding the formula-like text is a string cell (inline or shared), never a formula
    cells = re.findall(r'<c r="[A-Z]+\d+"[^>]*>(?:(?!</c>).)*HYPERLINK(?:(?!</c>).)*</c>', "".join(xml.values()))
    assert cells or "HYPERLINK" in strings
    for c in cells:
        assert 't="inlineStr"' in c or 't="s"' in c
    ws = openpyxl.load_workbook(out)["Gecodeerde fragmenten"]
    texts = {ws.cell(r, 1 + [c.value for c in ws[1]].index("Tekst")).value: r for r in range(2, ws.max_row + 1)}
    assert FORMULA_TEXT in texts
    row = texts[FORMULA_TEXT]
    c = ws.cell(row, 1 + [c.value for c in ws[1]].index("Tekst"))
    assert c.data_type == "s" and c.quotePrefix
    minus = [t for t in texts if t and t.startswith("-leerkrachten")]
    assert minus


def test_workbook_never_holds_real_names_or_case_ids(workbook):
    project, cb, ids, out, report = workbook
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    for name in REAL_NAMES:
        assert name not in xml


def test_workbook_marks_suggestions(built, tmp_path):
    project, cb, ids = built
    suggest(project, cb, (ids["po"][3], "workload", "opportunity"))
    out = tmp_path / "s.xlsx"
    project_export(project, out, include_suggested=True)
    wb = openpyxl.load_workbook(out)
    headers = [c.value for c in wb["Matrix"][1]]
    assert "kans: waarvan suggestie" in headers
    col = headers.index("kans: waarvan suggestie") + 1
    row = [(wb["Matrix"].cell(r, 1).value, wb["Matrix"].cell(r, 2).value) for r in range(1, 12)].index(
        ("po-2019", "werkdruk")) + 1
    assert wb["Matrix"].cell(row, col).value == 1
    segments = wb["Gecodeerde fragmenten"]
    statuses = {segments.cell(r, 1 + [c.value for c in segments[1]].index("Status")).value
                for r in range(2, segments.max_row + 1)}
    assert statuses == {"beoordeeld", "suggestie"}


def test_workbook_without_second_study_has_no_compare_sheet(built, tmp_path):
    project, cb, ids = built
    out = tmp_path / "vo.xlsx"
    report = project_export(project, out, study="vo-2025", by="schooltype")
    assert "Vergelijking" not in report.sheets
    ws = openpyxl.load_workbook(out)["Matrix per groep"]
    assert ws["B2"].value == "Schooltype"  # the attribute heads the group column; the values are the groups
    assert (ws["A3"].value, ws["B3"].value, ws.cell(3, ws.max_column).value) == ("vo-2025", "vo", 3)


@pytest.mark.slow  # starts LibreOffice, ~2 s
def test_libreoffice_opens_the_workbook_and_shows_formula_text_as_text(workbook, tmp_path):
    project, cb, ids, out, report = workbook
    office = libreoffice()
    outdir = tmp_path / "lo"
    # sheet 4 (Coded segments) as CSV: the formula-like text must come out verbatim, not evaluated
    proc = subprocess.run(
        [office, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--convert-to",
         'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,4', "--outdir", str(outdir),
         str(out)], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    csv_files = list(outdir.glob("*.csv"))
    assert csv_files, proc.stdout + proc.stderr
    text = csv_files[0].read_text(encoding="utf-8")
    assert "HYPERLINK" in text and "klik" in text
    assert "-leerkrachten moeten wel alles controleren" in text


# -- the report and the heatmap -------------------------------------------------------------
def test_report_files_hold_the_matrix_the_png_and_provenance(built, tmp_path):
    from PIL import Image

    project, cb, ids = built
    files = project.write_report(tmp_path / "rep", by="role")
    for path in (files.html, files.markdown, files.heatmap, files.heatmap_svg):
        assert path.exists() and path.stat().st_size > 0
    assert files.compare_heatmap is None  # per study, heatmap.png already shows the studies side by side
    assert files.heatmap_svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    page = files.html.read_text(encoding="utf-8")
    md = files.markdown.read_text(encoding="utf-8")
    for text in (page, md):
        assert "werkdruk" in text and "kans" in text and "risico" in text
        assert "1 (1 van 2, 50%)" in text and "3 (3 van 3, 100%)" in text  # werkdruk kans: po-2019, vo-2025
        assert "studie po-2019" in text and "studie vo-2025" in text
        assert f"versie {cb.version[:8]}" in text and cb.version not in text and project.project_id in text
        assert "Vergelijking" in text  # two studies: the comparison section
        assert "Expert 1" in text
        assert not any(name in text for name in REAL_NAMES)
    assert "<style>" in page and 'rel="stylesheet"' not in page
    embedded = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page).group(1)
    assert base64.b64decode(embedded) == files.heatmap.read_bytes()
    with Image.open(files.heatmap) as im:
        im.verify()
        assert im.format == "PNG"
    with Image.open(files.heatmap) as im:
        assert im.size[0] > 600 and im.size[1] > 300
    assert "&lt;" not in md and "=HYPERLINK(&quot;" in page  # escaped in HTML, verbatim in Markdown


def test_report_lists_codebook_changes_when_allowed(built, tmp_path):
    project, cb, ids = built
    _store_codebook(project, CODEBOOK_NL.replace("label: werkplezier", "label: plezier in het werk"))
    accept(project, "anna", (ids["po"][3], "workload", "opportunity"))
    files = project.write_report(tmp_path / "auto")
    assert "## Vergelijking" not in files.markdown.read_text(encoding="utf-8")
    assert "--allow-codebook-change" in files.compare_note
    with pytest.raises(CodebookError):
        project.write_report(tmp_path / "asked", compare_by="study")
    files = project.write_report(tmp_path / "allowed", allow_codebook_change=True)
    md = files.markdown.read_text(encoding="utf-8")
    assert "Wijzigingen in het codeboek" in md and "'werkplezier' → 'plezier in het werk'" in md


def test_heatmap_png_for_one_matrix_groups_and_compare(built):
    from PIL import Image

    from qualcode.outputs.heatmap import compare_heatmap_png, heatmap_png

    project, cb, _ = built
    for png in (heatmap_png(project.matrix(), cb), heatmap_png(project.matrix(by="role"), cb),
                compare_heatmap_png(project.matrix(by="study"), cb)):
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        import io

        with Image.open(io.BytesIO(png)) as im:
            im.verify()


# -- the CLI --------------------------------------------------------------------------------
def run(project, *args):
    return CliRunner().invoke(main, [*args, "--project", str(project.path)])


def test_cli_matrix_table_and_formats(built):
    project, cb, _ = built
    r = run(project, "matrix")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "Kansen en risico's per aspect van werk — studie po-2019 (n = 2 cases)"
    assert re.match(r"Aspect\s+kans\s+risico$", lines[1])
    assert re.match(r"werkdruk\s+1 \(1 van 2, 50%\)\s+1 \(1 van 2, 50%\)$", lines[4])
    assert "Kansen en risico's per aspect van werk — studie vo-2025 (n = 3 cases)" in lines
    r = run(project, "matrix", "--all-studies")
    lines = r.output.splitlines()
    assert lines[0] == "Kansen en risico's per aspect van werk — alle studies samen (po-2019, vo-2025) (n = 5 cases)"
    assert re.match(r"werkdruk\s+4 \(4 van 5, 80%\)\s+2 \(2 van 5, 40%\)$", lines[4])
    r = run(project, "matrix", "--format", "csv")
    assert r.exit_code == 0
    rows = list(pd.read_csv(__import__("io").StringIO(r.output)).itertuples())
    kans = {x.study: x.segments for x in rows if x.code == "workload" and x.direction_label == "kans"}
    assert kans == {"po-2019": 1, "vo-2025": 3}  # per study, like the table
    r = run(project, "matrix", "--format", "csv", "--all-studies")
    rows = list(pd.read_csv(__import__("io").StringIO(r.output)).itertuples())
    assert any(x.code == "workload" and x.direction_label == "kans" and x.segments == 4 for x in rows)
    r = run(project, "matrix", "--format", "json", "--quotes", "--by", "role")
    data = json.loads(r.output)
    assert data["groups"] == {"expert": 2, "leerkracht": 2, "schoolleider": 1} and data["quotes"]
    assert [(sc["study"], sc["n_cases"]) for sc in data["scopes"]] == [("po-2019", 2), ("vo-2025", 3)]
    vo = {(m["code"], m["direction"], m["role"]): m["segments"] for m in data["scopes"][1]["matrix"]}
    assert vo[("workload", "opportunity", None)] == 3 and data["scopes"][1]["quotes"]
    r = run(project, "matrix", "--quotes", "1", "--format", "csv")
    assert r.exit_code == 0 and set(pd.read_csv(__import__("io").StringIO(r.output))["rank"]) == {1}
    r = run(project, "matrix", "--with-quotes", "--per-cell", "1", "--format", "csv")  # the old names still work
    assert r.exit_code == 0 and set(pd.read_csv(__import__("io").StringIO(r.output))["rank"]) == {1}
    r = run(project, "matrix", "--by", "role", "--quotes")
    assert r.exit_code == 0 and "rol: expert (n = 2)" in r.output and "Citaten per cel" in r.output
    assert not any(name in r.output for name in REAL_NAMES)


def test_cli_matrix_marks_suggestions(built):
    project, cb, ids = built
    suggest(project, cb, (ids["po"][3], "workload", "opportunity"))
    r = run(project, "matrix", "--include-suggested")
    assert r.exit_code == 0
    assert re.search(r"werkdruk\s+2\* \(2 van 2, 100%\)", r.output)  # po-2019
    assert "* inclusief machinesuggesties die nog niet beoordeeld zijn" in r.output


@pytest.mark.parametrize("args, message", [
    (["matrix", "--by", "gender"],
     "Error: unknown attribute 'gender' for --by; the attributes are: role, schooltype, study, years"),
    (["matrix", "--study", "po-2020"], "Error: no study 'po-2020' in {path}; the studies are: po-2019, vo-2025"),
    (["matrix", "--coder", "anna", "--reconciled"],
     "Error: --coder and --reconciled cannot be used together; pass one of them"),
    (["export", "xlsx", "out.xlsx", "--compare-by", "gender"],
     "Error: unknown attribute 'gender' for --compare-by; the attributes are: role, schooltype, study, years"),
    (["compare", "--by", "study", "--study", "vo-2025"],
     "Error: compare needs two or more values of 'study'; found vo-2025. Import another study "
     "(qualcode import FILES --study NAME) or compare by another attribute"),
])
def test_cli_bad_input_is_one_error_line(built, args, message):
    project, _, _ = built
    r = run(project, *args)
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [message.format(path=project.path)]


def test_cli_no_codings_yet(seeded):
    project, _ = seeded
    r = run(project, "matrix")
    assert r.exit_code == 1
    assert r.output.strip() == ("Error: no codings yet: run `qualcode code --codebook FILE` and review the suggestions "
                                "(`qualcode review --coder NAME`), or pass --include-suggested")


def test_cli_several_coders(built):
    project, _, ids = built
    accept(project, "ben", (ids["vo1"][1], "workload", "opportunity"))
    r = run(project, "matrix")
    assert r.exit_code == 1
    assert r.output.strip() == ("Error: 2 coders have decisions (anna, ben); count one coder's with --coder NAME, "
                                "or what they agree on with --reconciled")
    assert run(project, "matrix", "--reconciled").exit_code == 0


def test_cli_export_report_compare(built, tmp_path):
    project, _, _ = built
    r = run(project, "export", "xlsx", str(tmp_path / "r.xlsx"), "--by", "schooltype")
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"Wrote {tmp_path / 'r.xlsx'}: 10 codings; sheets: Matrix, Matrix per groep")
    r = run(project, "report", str(tmp_path / "rep"))
    assert r.exit_code == 0 and (tmp_path / "rep" / "report.html").exists()
    r = run(project, "compare", "--by", "study")
    assert r.exit_code == 0
    assert re.search(r"werkdruk\s+1 \(1 van 2, 50%\)\s+3 \(3 van 3, 100%\)\s+\+50 pp", r.output)
    r = run(project, "compare", "--format", "json")
    assert json.loads(r.output)["groups"] == ["po-2019", "vo-2025"]


def test_cli_compare_codebook_change(built):
    project, cb, ids = built
    _store_codebook(project, CODEBOOK_NL.replace("label: werkplezier", "label: plezier in het werk"))
    accept(project, "anna", (ids["po"][3], "workload", "opportunity"))
    r = run(project, "compare")
    assert r.exit_code == 1 and "--allow-codebook-change" in r.output and len(r.output.strip().splitlines()) == 1
    r = run(project, "compare", "--allow-codebook-change")
    assert r.exit_code == 0 and "code work_enjoyment: label 'werkplezier' → 'plezier in het werk'" in r.output


def test_an_existing_workbook_is_not_replaced_without_force(workbook):
    from qualcode.errors import UsageError

    project, _, _, out, _ = workbook
    before = out.read_bytes()
    with pytest.raises(UsageError, match="already exists; pass --force to replace it"):
        project_export(project, out)
    assert out.read_bytes() == before
    project_export(project, out, overwrite=True)


def heatmap_labels_checked(analysis) -> int:
    """Draw the report's heatmap; assert every cell label keeps clear of its cell's edges; return how many."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import Rectangle

    from qualcode.outputs import heatmap
    from qualcode.outputs.i18n import words
    from qualcode.outputs.report import heatmap_panels

    w = words(analysis.codebook)
    fig = heatmap._figure(heatmap_panels(analysis, w), analysis.codebook, w("title"), None)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    checked = 0
    for ax in fig.axes:
        cells = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, Rectangle)]
        for text in ax.texts:
            box = text.get_window_extent(renderer)
            cell = next(c for c in cells if c.x0 <= (box.x0 + box.x1) / 2 <= c.x1 and c.y0 <= (box.y0 + box.y1) / 2
                        <= c.y1)
            margin = 0.05 * cell.width
            assert cell.x0 + margin <= box.x0 and box.x1 <= cell.x1 - margin, text.get_text()
            assert cell.y0 < box.y0 and box.y1 < cell.y1, text.get_text()
            checked += 1
    assert checked == sum(len(part.codes) * len(part.directions) for part in analysis.scopes())
    return checked


def test_heatmap_cell_labels_keep_clear_of_the_cell_edges(built):
    project, cb, _ = built
    assert heatmap_labels_checked(project.analyse(presence=False, per_cell=None)) == 2 * 4 * 2  # 2 studies


@pytest.mark.slow  # the heatmap twice (PNG, SVG) and the Word file, ~3 s
def test_cli_report_with_scenarios_and_docx(built, tmp_path):
    from docx import Document

    project, _, _ = built
    r = run(project, "report", str(tmp_path / "rep"), "--scenarios", "--docx")
    assert r.exit_code == 0, r.output
    assert str(tmp_path / "rep" / "report.docx") in r.output
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "Scenario's per aspect (opzet)" in md
    analysis = project.analyse(presence=False, per_cell=None)
    doc = Document(str(tmp_path / "rep" / "report.docx"))
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    for part in analysis.scopes():
        for code in part.codes:
            for d in part.directions:
                assert words(project.codebook()).cell(part.cell(code, d)) in cells
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Scenario's per aspect (opzet)" in text and "Herkomst" in text
    assert not any(name in text for name in REAL_NAMES)


def test_a_count_of_one_takes_the_singular_in_every_output_and_web_string():
    """Every string of the outputs and the web pages filled with 1 and with 2: no '1 fragmenten',
    '1 segments', '1 cases' (the noun, and a verb with it, agree with the number)."""
    from string import Formatter

    from qualcode.outputs.i18n import SELECTION, TEXT, fill
    from qualcode.web.text import PAGE_TEXT

    plural_after_one = re.compile(r"\b1 (fragmenten|segments|cases|coderingen|codings|wijzigingen|changes|woorden"
                                  r"|words|machinesuggesties|machine suggestions|te coderen fragmenten)\b")
    singular_after_two = re.compile(r"\b2 (fragment|segment|case|codering|coding|wijziging|change|woord|word)\b(?!-)")
    checked = 0
    for table in (TEXT, SELECTION, PAGE_TEXT):
        for language, strings in table.items():
            for key, text in strings.items():
                fields = {name for _, name, _, _ in Formatter().parse(text) if name}
                if not fields or f"{key}_one" in strings:  # a string with its own singular is for 2 and more
                    continue
                one, two = fill(text, **dict.fromkeys(fields, 1)), fill(text, **dict.fromkeys(fields, 2))
                assert not plural_after_one.search(one), (language, key, one)
                assert not singular_after_two.search(two), (language, key, two)
                checked += 1
    assert checked > 50
    assert fill("{n:#fragment verschilt|fragmenten verschillen}", n=1) == "1 fragment verschilt"
    assert fill("{n:#fragment verschilt|fragmenten verschillen}", n=0) == "0 fragmenten verschillen"
    assert fill("{points:+d} pp", points=5) == "+5 pp"  # ordinary format specs still work


def test_a_quote_gets_the_interviewers_question_only_when_the_turn_asks_one(project):
    """'Vraag: Ja.' was shown: the nearest interviewer turn whatever it said. Now: a turn that asks (question
    mark, question word, verb-first 'Vind je'), past an acknowledgement ('Ja.') the question before it, and
    no question after a turn that asks nothing (a topic announced)."""
    turns = [
        ("Interviewer", None, "Hoe ervaren jullie de werkdruk sinds de nieuwe software?"),
        ("R1", "R1", "Het nakijkwerk gaat sneller, dat scheelt tijd."),
        ("Interviewer", None, "Ja."),
        ("R1", "R1", "En ook het plannen kost minder tijd dan vroeger."),
        ("Interviewer", None, "Dan het volgende blok. Docenten en onderwijsassistenten."),
        ("R2", "R2", "De tijd voor overleg met collega's wordt minder."),
        ("Interviewer", None, "Vind je dat de regie nog bij jou ligt"),
        ("R2", "R2", "Ik houd zelf de regie over mijn lessen."),
        ("Interviewer", None, "Dat is veel. " + "Heel veel dingen tegelijk, dat hoor ik vaker van anderen. " * 5
         + "Wat betekent dat voor je tijd?"),
        ("R2", "R2", "Minder tijd voor de klas, meer tijd voor schermen."),
    ]
    ids = add_document(project, turns)
    _store_codebook(project)
    accept(project, "anna", (ids[1], "workload", "opportunity"), (ids[3], "workload", "opportunity"),
           (ids[5], "workload", "risk"), (ids[7], "autonomy", "opportunity"), (ids[9], "workload", "risk"))
    asked = {p.segment_id: p.question for p in project.analyse(coder="anna").passages}
    assert asked[ids[1]] == "Hoe ervaren jullie de werkdruk sinds de nieuwe software?"
    assert asked[ids[3]] == "Hoe ervaren jullie de werkdruk sinds de nieuwe software?"  # past 'Ja.'
    assert asked[ids[5]] is None  # a topic announced, no question asked
    assert asked[ids[7]] == "Vind je dat de regie nog bij jou ligt"  # no question mark, still a question
    assert asked[ids[9]] == "… Wat betekent dat voor je tijd?"  # a long turn: its question sentence


def test_word_table_columns_are_as_wide_as_their_longest_word():
    """The Word report's '% overeenstemming' header wrapped mid-word (five equal columns). Widths now come
    from the texts: cells on one line, no header word broken, the page width kept when it can be."""
    from qualcode.outputs.word import TEXT_WIDTH_CM, _text_cm, column_widths

    headers = ["Aspect", "n", "% overeenstemming", "kappa", "alpha"]
    rows = [["menselijke interactie", "120", "96,7", "0,89", "0,89"], ["alle codes", "480", "98,3", "0,95", "0,95"]]
    widths = column_widths(headers, rows)
    assert sum(widths) <= TEXT_WIDTH_CM + 1e-9
    for i, width in enumerate(widths):
        assert width > _text_cm(headers[i], bold=True)  # here every header fits on one line
        assert all(width > _text_cm(row[i]) for row in rows)
    # a table too wide for the page: each column still holds its longest word
    wide = [f"kolom{i} met een lange kop" for i in range(7)]
    cells = [["een heel lange celtekst " * 2] * 7]
    widths = column_widths(wide, cells)
    assert all(width > _text_cm("kolom0", bold=True) for width in widths)
    assert sum(widths) <= TEXT_WIDTH_CM + 1e-9


def test_known_attributes_are_named_in_the_outputs_language(built, tmp_path):
    """'wave' and 'school_type' were shown as in the data in a Dutch workbook: a known attribute now gets
    the label of the codebook's language, an unknown one stays as it is."""
    project, _, _ = built
    with store.transaction(project.con):
        for case, wave in (("R1", "2025"), ("R2", "2025"), ("SL1", "2025"), ("P1", "2019"), ("P2", "2019")):
            for name, value in (("wave", wave), ("school_type", "vo"), ("Kleur_Trui", "blauw")):
                project.con.execute("INSERT INTO case_attributes(case_id, name, value, type) VALUES (?, ?, ?, 'text')",
                                    (case, name, value))
    out = tmp_path / "results.xlsx"
    project.export_workbook(out, coder="anna", by="wave")
    wb = openpyxl.load_workbook(out)
    cases = [c.value for c in wb["Cases"][1]]
    assert "meting" in cases and "schooltype" in cases and "wave" not in cases and "school_type" not in cases
    assert "Kleur_Trui" in cases  # unknown: as in the data
    groups = [c.value for row in wb["Matrix per groep"].iter_rows(max_row=2) for c in row if c.value]
    assert "Meting" in groups and "Wave" not in groups
    w_en = words(Codebook.from_text(CODEBOOK_NL.replace("language: nl", "language: en"), "en.yaml"))
    assert (w_en.attribute("school_type"), w_en.attribute("wave"), w_en.attribute("Kleur_Trui")) == \
        ("school type", "wave", "Kleur_Trui")


def test_workbook_compare_sheet_has_one_readable_table_per_direction_with_the_counts_of_the_store(workbook):
    """The Compare sheet ran 28 columns wide (every direction of every group side by side): unreadable when
    printed. Now one table per direction, stacked; the figures are the store's."""
    project, cb, ids, out, report = workbook
    ws = openpyxl.load_workbook(out)["Vergelijking"]
    assert ws.max_column <= 1 + 3 * 3  # two studies and their difference, three figures each
    values = [[c.value for c in row] for row in ws.iter_rows()]
    counts = {(code, direction, study): (segments, cases) for code, direction, study, segments, cases in project.con.execute(
        "SELECT c.code, c.direction, s.name, COUNT(DISTINCT c.segment_id), COUNT(DISTINCT g.case_id) FROM codings c "
        "JOIN segments g ON g.id = c.segment_id JOIN documents d ON d.id = g.document_id "
        "JOIN studies s ON s.id = d.study_id WHERE c.coder = 'anna' AND c.status = 'accepted' AND g.to_code = 1 "
        "GROUP BY 1, 2, 3")}
    labels = {"kans": "opportunity", "risico": "risk"}
    codes = {"autonomie": "autonomy", "werkdruk": "workload", "menselijke interactie": "interaction",
             "werkplezier": "work_enjoyment"}
    checked = 0
    for i, row in enumerate(values):
        if row[0] in labels:  # a direction's table: group names, figure names, then one row per aspect
            groups = [g.split(" (")[0] for g in values[i + 1][1:7:3]]
            assert groups == ["po-2019", "vo-2025"] and values[i + 2][1:4] == ["fragmenten", "cases", "%"]
            assert values[i + 2][7:10] == ["fragmenten", "cases", "pp"]
            for aspect_row in values[i + 3:i + 7]:
                for k, study in enumerate(groups):
                    segments, cases = counts.get((codes[aspect_row[0]], labels[row[0]], study), (0, 0))
                    assert aspect_row[1 + 3 * k:3 + 3 * k] == [segments, cases], (row[0], aspect_row[0], study)
                    checked += 1
                assert aspect_row[7:9] == [aspect_row[4] - aspect_row[1], aspect_row[5] - aspect_row[2]]
                n = {s: len({r[0] for r in project.con.execute(
                    "SELECT DISTINCT g.case_id FROM segments g JOIN documents d ON d.id = g.document_id JOIN studies s "
                    "ON s.id = d.study_id WHERE g.to_code = 1 AND s.name = ?", (s,))}) for s in groups}
                points = 100 * (aspect_row[5] / n["vo-2025"] - aspect_row[2] / n["po-2019"])
                assert aspect_row[9] == int(abs(points) + 0.5 + 1e-9) * (1 if points >= 0 else -1)  # half-way away from 0
    assert checked == 2 * 4 * 2


def test_report_tables_align_numbers_right_and_text_left():
    """The co-occurrence table's second column (a cell name) was right-aligned like the counts."""
    from qualcode.outputs.report import _hc, _html_table

    table = _html_table(["Eerste", "Tweede", "fragmenten"], [["werkdruk — risico", "werkplezier — risico", "5"],
                                                            ["autonomie — kans", "werkdruk — kans", "-3 pp"]])
    assert "<td>werkplezier — risico</td>" in table and '<td class="num">5</td>' in table
    assert '<td class="num">-3 pp</td>' in table
    assert _hc("met `--all-studies` <samen>") == "met <code>--all-studies</code> &lt;samen&gt;"


def test_a_quote_cites_its_time_else_its_table_row_else_its_position_as_the_review_does(built):
    from qualcode.review.queue import segment_when

    project, cb, ids = built
    timed, row, plain = ids["vo1"][1], ids["vo1"][2], ids["vo1"][3]
    with store.transaction(project.con):
        project.con.execute("UPDATE segments SET start_time = 754.2, end_time = 790 WHERE id = ?", (timed,))
        project.con.execute("UPDATE segments SET source_row = 'W026' WHERE id = ?", (row,))
    w = words(cb)
    cited = {p.segment_id: w.source(p) for p in project.analyse(coder="anna").passages}
    assert ", 00:12:34, fragment" in cited[timed]
    assert ", rij W026, fragment" in cited[row]  # was 'positie N' for rows of a table
    assert f", positie {project.segment(plain).position}, fragment" in cited[plain]
    assert segment_when(project.segment(row), "nl") == "rij W026"  # the review's words


def test_workbook_segments_sheet_has_one_row_per_coding_in_the_store(workbook):
    project, cb, ids, out, report = workbook
    stored = project.con.execute("SELECT segment_id, code FROM codings WHERE coder = 'anna' AND status = 'accepted' "
                                 "ORDER BY 1, 2").fetchall()
    ws = openpyxl.load_workbook(out)["Gecodeerde fragmenten"]
    headers = [c.value for c in ws[1]]
    sid, code = headers.index("Fragment-id"), headers.index("Code-id")
    rows = sorted((r[sid], r[code]) for r in ws.iter_rows(min_row=2, values_only=True))
    assert rows == [tuple(r) for r in stored] and report.codings == len(stored) == 10
    assert report.warnings == ()


def test_workbook_past_excels_row_limit_is_refused_with_what_helps(built, tmp_path, monkeypatch):
    from qualcode.outputs import xlsx

    project, cb, ids = built
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 10)  # the header and 10 codings do not fit
    out = tmp_path / "big.xlsx"
    result = CliRunner().invoke(main, ["export", "xlsx", str(out), "--coder", "anna", "--project", str(project.path)])
    assert result.exit_code != 0 and not out.exists()
    assert result.output.strip().splitlines() == [
        f"Error: {out}: 10 coded segments do not fit in the sheet 'Gecodeerde fragmenten' (Excel holds at most 9 rows); "
        "export part of them: --study NAME, or without --include-suggested (the decisions only)"]
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 11)  # just fits
    monkeypatch.setattr(xlsx, "LARGE_SHEET_ROWS", 9)
    result = CliRunner().invoke(main, ["export", "xlsx", str(out), "--coder", "anna", "--project", str(project.path)])
    assert result.exit_code == 0 and out.exists()
    assert "Warning: " + str(out) + ": 10 rows in the sheet 'Gecodeerde fragmenten'" in result.output


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .,\n\t\r\u00a0\u2009\u3000\x0b\x0c\x1c\x85\u2028é")), max_size=40))
def test_a_passage_text_is_cleaned_as_every_whitespace_run_made_one_space(text):
    """clean() copies a text only where there is something to change; what it gives is unchanged
    (every run of whitespace, of any kind, one space; none at either end)."""
    from qualcode.analysis.passages import clean

    assert clean(text) == re.sub(r"\s+", " ", text).strip()
    plain = " ".join(text.split())
    assert clean(plain) is plain or clean(plain) == plain == ""
