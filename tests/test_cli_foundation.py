"""init / import / status / show through the CLI: exit codes, one-line errors, rollback."""
from __future__ import annotations

import hashlib
import sqlite3

import pytest
from click.testing import CliRunner

from qualcode.cli import main

INTERVIEW = (
    "Interviewer: Wat betekent AI voor uw werk?\n"
    "R1: Het nakijkwerk gaat sneller, dat scheelt tijd.\n"
    "Maar ik ben bang voor minder contact met leerlingen.\n"
    "Interviewer: Dank u.\n"
)


def run(args, cwd=None, input=None):
    result = CliRunner().invoke(main, args, input=input, catch_exceptions=False)
    return result


def _project_digest(path):
    con = sqlite3.connect(path)
    rows = [con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for t in ("documents", "segments", "cases", "case_attributes", "studies", "codings", "decision_log")]
    con.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "int-01.txt").write_text(INTERVIEW, encoding="utf-8")
    (tmp_path / "int-02.vtt").write_text(
        "WEBVTT\n\n1a2b/1-0\n00:00:01.000 --> 00:00:04.000\n<v Sanne Vermeulen>Hoe gaat het met de werkdruk?</v>\n\n"
        "1a2b/2-0\n00:00:04.500 --> 00:00:09.000\n<v Marieke de Vries>Die neemt af, denk ik.</v>\n\n"
        "1a2b/2-1\n00:00:09.000 --> 00:00:12.000\n<v Marieke de Vries>Maar er komt ook controlewerk bij.</v>\n",
        encoding="utf-8",
    )
    import docx

    d = docx.Document()
    p = d.add_paragraph()
    p.add_run("Interviewer:").bold = True
    p.add_run(" Wat vindt u van uw autonomie?")
    p = d.add_paragraph()
    p.add_run("Ahmed:").bold = True
    p.add_run(" Ik houd zelf de regie over mijn lessen.")
    d.save(tmp_path / "int-03.docx")
    (tmp_path / "enquete.csv").write_text("id;school;antwoord\n1;A;Minder administratie zou fijn zijn\n2;B;Meer tijd voor leerlingen\n",
                                          encoding="utf-8")
    (tmp_path / "cases.csv").write_text(
        "case_id,pseudonym,document,speaker,role,school_type,study,wave\n"
        "R1,Expert 1,int-01.txt,R1,expert,vo,vo-2025,2025\n"
        "R2,Expert 2,int-02.vtt,Marieke de Vries,expert,vo,vo-2025,2025\n"
        "R3,Expert 3,int-03.docx,Ahmed,expert,vo,vo-2025,2025\n"
        "INT,Interviewer,int-02.vtt,Sanne Vermeulen,interviewer,vo,vo-2025,2025\n",
        encoding="utf-8",
    )
    return tmp_path


def test_init_import_status_show_on_a_mixed_folder(folder, tmp_path):
    project = str(tmp_path / "p.qualcode")
    assert run(["init", project]).exit_code == 0
    r = run(["import", str(folder / "int-01.txt"), str(folder / "int-02.vtt"), str(folder / "int-03.docx"),
             str(folder / "enquete.csv"), "--cases", str(folder / "cases.csv"), "--text-column", "antwoord",
             "--id-column", "id", "--project", project])
    assert r.exit_code == 0, r.output
    assert "4 imported, 0 skipped" in r.output
    r = run(["status", "--documents", "--cases", "--project", project])
    assert r.exit_code == 0
    assert "vo-2025" in r.output and "int-02.vtt" in r.output and "Expert 2" in r.output
    r = run(["show", "int-02.vtt", "--project", project])
    assert "Marieke de Vries / R2" in r.output
    assert "Die neemt af, denk ik. Maar er komt ook controlewerk bij." in r.output  # consecutive cues merged
    assert "Sanne Vermeulen / INT  (not coded)" in r.output
    r = run(["show", "enquete.csv", "--project", project])
    assert "Minder administratie zou fijn zijn" in r.output


def test_project_from_environment_variable(folder, tmp_path, monkeypatch):
    project = tmp_path / "env.qualcode"
    monkeypatch.setenv("QUALCODE_PROJECT", str(project))
    assert run(["init", str(project)]).exit_code == 0
    assert run(["import", str(folder / "int-01.txt")]).exit_code == 0
    assert "int-01.txt" in run(["status", "--documents"]).output


def test_importing_the_same_file_twice_is_skipped(folder, tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    run(["import", str(folder / "int-01.txt"), "--project", project])
    copy = tmp_path / "copy-of-int-01.txt"
    copy.write_bytes((folder / "int-01.txt").read_bytes())
    r = run(["import", str(copy), "--project", project])
    assert r.exit_code == 0
    assert "skipped  copy-of-int-01.txt: already imported (same content as int-01.txt)" in r.output
    con = sqlite3.connect(project)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 1


BAD_INPUTS = {
    "binary.txt": (b"\x00\x01\x02\x03binary\x00\xff" * 20, "binary"),
    "empty.txt": (b"", "empty"),
    "fake.docx": (b"this is not a zip", "not a Word .docx file"),
    "broken.vtt": (b"WEBVTT\n\n00:00:01.000 --> nonsense\nHallo\n", "broken.vtt"),
    "table.csv": (b"id,school\n1,A\n", "--text-column"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_nonzero_and_changes_nothing(folder, tmp_path, name):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    run(["import", str(folder / "int-01.txt"), "--project", project])
    before = _project_digest(project)
    data, expected = BAD_INPUTS[name]
    bad = tmp_path / name
    bad.write_bytes(data)
    # the good file in the same command must not be imported either: one transaction
    r = CliRunner().invoke(main, ["import", str(folder / "int-03.docx"), str(bad), "--project", project])
    assert r.exit_code == 1
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert lines[-1].startswith("Error: ") and name in lines[-1] and expected in lines[-1], r.output
    assert "Traceback" not in r.output
    assert _project_digest(project) == before


def test_cases_file_naming_an_unknown_document(folder, tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    cases = tmp_path / "bad-cases.csv"
    cases.write_text("case_id,document,speaker\nR1,int-01.txt,R1\nR9,int-09.docx,R9\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(folder / "int-01.txt"), "--cases", str(cases), "--strict",
                                  "--project", project])
    assert r.exit_code == 1
    assert r.output.strip().splitlines()[-1] == (
        "Error: bad-cases.csv, row 3: case 'R9' names document 'int-09.docx', which is not in the project "
        "or this import; import it first or fix the name (or leave out --strict to import anyway)"
    )
    assert sqlite3.connect(project).execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    # without --strict: a warning naming the row, once; the rest is imported
    r = CliRunner().invoke(main, ["import", str(folder / "int-01.txt"), "--cases", str(cases), "--project", project])
    assert r.exit_code == 0
    warnings = [line for line in r.output.splitlines() if line.startswith("Warning")]
    assert warnings == [
        "Warning: bad-cases.csv, row 3: case 'R9' names document 'int-09.docx', which is not in the project "
        "or this import; import it first or fix the name; the row is kept for a later import (pass --strict to "
        "refuse it)"]
    assert sqlite3.connect(project).execute("SELECT count(*) FROM segments WHERE case_id = 'R1'").fetchone()[0] == 1


def test_a_file_that_is_not_a_project(tmp_path):
    fake = tmp_path / "fake.qualcode"
    fake.write_text("not a database")
    r = CliRunner().invoke(main, ["status", "--project", str(fake)])
    assert r.exit_code == 1
    assert "not a qualcode project" in r.output and "Traceback" not in r.output


def test_a_project_from_a_newer_program(tmp_path):
    from qualcode.store import schema as store

    project = tmp_path / "p.qualcode"
    run(["init", str(project)])
    con = sqlite3.connect(project)
    con.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 5}")
    con.close()
    r = CliRunner().invoke(main, ["status", "--project", str(project)])
    assert r.exit_code == 1 and "newer qualcode" in r.output


def test_missing_project_says_how_to_create_one(tmp_path):
    r = CliRunner().invoke(main, ["status", "--project", str(tmp_path / "none.qualcode")])
    assert r.exit_code == 1
    assert "qualcode init" in r.output


def test_every_command_has_help_with_an_example_and_is_in_the_readme():
    from pathlib import Path

    import click

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")

    def walk(group, prefix):
        for name, cmd in group.commands.items():
            yield f"{prefix} {name}".strip(), cmd
            if isinstance(cmd, click.Group):
                yield from walk(cmd, f"{prefix} {name}")

    for path, cmd in walk(main, ""):
        r = CliRunner().invoke(main, path.split() + ["-h"])
        assert r.exit_code == 0, path
        assert cmd.get_short_help_str(), f"{path}: no one-line summary"
        if not isinstance(cmd, click.Group):
            assert "Example" in (cmd.help or ""), f"{path}: no example in --help"
        assert f"qualcode {path}" in readme, f"`qualcode {path}` is not documented in README.md"


# ----------------------------------------------------------------- survey tables

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
QUALTRICS = (
    '"StartDate","EndDate","Status","IPAddress","Progress","ResponseId","RecipientLastName","RecipientFirstName",'
    '"RecipientEmail","ExternalReference","LocationLatitude","LocationLongitude","DistributionChannel",'
    '"UserLanguage","Q1","Q2_TEXT","Age"\r\n'
    '"Start Date","End Date","Response Type","IP Address","Progress","Response ID","Recipient Last Name",'
    '"Recipient First Name","Recipient Email","External Data Reference","Location Latitude","Location Longitude",'
    '"Distribution Channel","User Language","How satisfied are you?","This is a free text question.",'
    '"What is your age?"\r\n'
    '"{""ImportId"":""startDate"",""timeZone"":""America/Denver""}","{""ImportId"":""endDate"",""timeZone"":'
    '""America/Denver""}","{""ImportId"":""status""}","{""ImportId"":""ipAddress""}","{""ImportId"":""progress""}",'
    '"{""ImportId"":""_recordId""}","{""ImportId"":""recipientLastName""}","{""ImportId"":""recipientFirstName""}",'
    '"{""ImportId"":""recipientEmail""}","{""ImportId"":""externalDataReference""}","{""ImportId"":""locationLatitude""}",'
    '"{""ImportId"":""locationLongitude""}","{""ImportId"":""distributionChannel""}","{""ImportId"":""userLanguage""}",'
    '"{""ImportId"":""QID1""}","{""ImportId"":""QID2_TEXT""}","{""ImportId"":""QID3_TEXT""}"\r\n'
    '"2025-03-01 10:00:00","2025-03-01 10:09:00","IP Address","PII-ip-1","100","R_1","PII-last-1","PII-first-1",'
    '"PII-mail-1@school.nl","PII-ext-1","PII-lat-1","PII-lon-1","email","NL","Satisfied",'
    '"Het nakijken met AI scheelt tijd, maar ik mis het contact met leerlingen.","34"\r\n'
    '"2025-03-02 11:00:00","2025-03-02 11:05:00","IP Address","PII-ip-2","100","R_2","PII-last-2","PII-first-2",'
    '"PII-mail-2@school.nl","PII-ext-2","PII-lat-2","PII-lon-2","email","NL","Neutral",'
    '"Meer administratie door de nieuwe systemen; de werkdruk stijgt.","67"\r\n'
)


def _cells_of(path):
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    return [str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
            for value in row if value is not None]


def test_a_qualtrics_export_gives_one_case_per_respondent_and_no_personal_data_in_any_export(tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    survey = tmp_path / "qualtrics.csv"
    survey.write_bytes(b"\xef\xbb\xbf" + QUALTRICS.encode("utf-8"))
    r = CliRunner().invoke(main, ["import", str(survey), "--text-column", "This is a free text question.",
                                  "--project", project])
    assert r.exit_code == 0, r.output
    assert "imported qualtrics.csv: 2 segments" in r.output
    assert "note: qualtrics.csv: read as a Qualtrics export (header rows 1-3; data from row 4)" in r.output
    assert ("Warning: qualtrics.csv: left out 8 column(s) that hold personal data: IPAddress (IP address), "
            "RecipientLastName (name), RecipientFirstName (name), RecipientEmail (e-mail address), "
            "ExternalReference (distribution-list reference), LocationLatitude (location), LocationLongitude "
            "(location), DistributionChannel") not in r.output  # DistributionChannel is not personal
    assert ("Warning: qualtrics.csv: left out 7 column(s) that hold personal data: IPAddress (IP address), "
            "RecipientLastName (name), RecipientFirstName (name), RecipientEmail (e-mail address), "
            "ExternalReference (distribution-list reference), LocationLatitude (location), LocationLongitude "
            "(location); they are not in the project or any export; pass --keep-column NAME to keep one as a "
            "case attribute") in r.output
    assert "cases: 2 new" in r.output
    con = sqlite3.connect(project)
    texts = [row[0] for row in con.execute("SELECT substr(d.text, g.start + 1, g.\"end\" - g.start) FROM segments g "
                                           "JOIN documents d ON d.id = g.document_id ORDER BY g.id")]
    assert texts == ["Het nakijken met AI scheelt tijd, maar ik mis het contact met leerlingen.",
                     "Meer administratie door de nieuwe systemen; de werkdruk stijgt."]
    ages = dict(con.execute("SELECT g.source_row, a.value FROM segments g JOIN case_attributes a "
                            "ON a.case_id = g.case_id AND a.name = 'Age'"))
    assert ages == {"4": "34", "5": "67"}
    assert not con.execute("SELECT * FROM case_attributes WHERE value LIKE 'PII-%'").fetchall()
    con.close()
    assert run(["code", "--codebook", str(ROOT / "codebooks" / "werkbeleving.yaml"), "--project", project]).exit_code == 0
    assert run(["export", "xlsx", str(tmp_path / "results.xlsx"), "--include-suggested", "--project", project]).exit_code == 0
    assert run(["review", "export", str(tmp_path / "review.xlsx"), "--coder", "anna", "--project", project]).exit_code == 0
    for workbook in ("results.xlsx", "review.xlsx"):
        cells = _cells_of(tmp_path / workbook)
        assert "Het nakijken met AI scheelt tijd, maar ik mis het contact met leerlingen." in cells or workbook == "results.xlsx"
        assert not [c for c in cells if "PII-" in c], workbook
    status = run(["status", "--cases", "--format", "json", "--project", project]).output
    assert "PII-" not in status


def test_keep_column_keeps_a_personal_data_column_on_purpose(tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    survey = tmp_path / "qualtrics.csv"
    survey.write_text(QUALTRICS, encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(survey), "--text-column", "Q2_TEXT", "--keep-column", "RecipientEmail",
                                  "--project", project])
    assert r.exit_code == 0, r.output
    assert "left out 6 column(s)" in r.output and "RecipientEmail (" not in r.output
    assert "no column" not in r.output
    other = tmp_path / "other.csv"
    other.write_text("opmerking\nHet scheelt tijd.\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(other), "--keep-column", "RecipientEmail", "--project", project])
    assert r.exit_code == 0
    assert "Warning: other.csv: no column 'RecipientEmail' to keep (--keep-column); the columns are: opmerking" in r.output
    con = sqlite3.connect(project)
    assert sorted(v for (v,) in con.execute("SELECT value FROM case_attributes WHERE name = 'RecipientEmail'")) == [
        "PII-mail-1@school.nl", "PII-mail-2@school.nl"]


def test_rows_without_an_id_column_are_separate_respondents(tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    rows = ["Tijdstempel,E-mailadres,Wat vindt u van AI op school?,Leeftijd"]
    rows += [f"2025/03/01 10:{n:02d}:00 AM CET,r{n}@example.org,Antwoord {n} over werkdruk.,{20 + n}" for n in range(42)]
    survey = tmp_path / "google-forms.csv"
    survey.write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(survey), "--text-column", "Wat vindt u van AI op school?",
                                  "--project", project])
    assert r.exit_code == 0, r.output
    assert "cases: 42 new" in r.output
    assert "left out 1 column(s) that hold personal data: E-mailadres (e-mail address)" in r.output
    con = sqlite3.connect(project)
    assert con.execute("SELECT count(DISTINCT case_id) FROM segments").fetchone()[0] == 42
    pairs = con.execute("SELECT g.source_row, a.value FROM segments g JOIN case_attributes a ON a.case_id = g.case_id "
                        "AND a.name = 'Leeftijd' ORDER BY CAST(g.source_row AS INTEGER)").fetchall()
    assert pairs[0] == ("2", "20") and pairs[-1] == ("43", "61") and len(pairs) == 42


def test_case_column_groups_rows(tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    table = tmp_path / "notes.csv"
    table.write_text("groep,notitie\nG1,AI scheelt tijd.\nG1,Zorgen over toezicht.\nG2,Minder contact.\n")
    r = CliRunner().invoke(main, ["import", str(table), "--text-column", "notitie", "--case-column", "groep",
                                  "--project", project])
    assert r.exit_code == 0 and "cases: 2 new" in r.output


# ----------------------------------------------------------------- folders, names, cases-file rows, warnings


@pytest.fixture
def schools(tmp_path):
    root = tmp_path / "schools"
    for school, answer in (("school-a", "Het scheelt tijd."), ("school-b", "Het kost tijd.")):
        folder = root / school
        folder.mkdir(parents=True)
        (folder / "interview.txt").write_text(f"Interviewer: Wat doet AI?\nR1: {answer}\nInterviewer: Dank u.\n",
                                              encoding="utf-8")
    (root / "README.md").write_text("# Over deze map\n")
    (root / "school-a" / "interview-oud.doc").write_bytes(b"\xd0\xcf\x11\xe0rest")
    (root / "school-a" / "foto.png").write_bytes(b"\x89PNG")
    (root / "school-a" / "~$terview.docx").write_bytes(b"lock")
    (root / ".DS_Store").write_bytes(b"\x00")
    return root


def test_a_folder_import_names_documents_by_path_and_lists_every_skipped_file(schools, tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    r = CliRunner().invoke(main, ["import", str(schools), "--project", project])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert "skipped  README.md: documentation of the folder, not material; name the file explicitly to import it" in lines
    assert "skipped  school-a/interview-oud.doc: old Word format; open it in Word and save it as .docx" in lines
    assert any(line.startswith("skipped  school-a/foto.png: not a transcript or table (the extension '.png')")
               for line in lines)
    assert any(line.startswith("skipped  school-a/~$terview.docx: a lock file") for line in lines)
    assert "imported school-a/interview.txt: 3 segments" in lines
    assert "imported school-b/interview.txt: 3 segments" in lines
    assert "2 imported, 4 skipped; cases: 2 new" in r.output
    assert ".DS_Store" not in r.output
    con = sqlite3.connect(project)
    assert sorted(c for (c,) in con.execute("SELECT id FROM cases")) == ["school-a/interview:R1", "school-b/interview:R1"]
    # the same content again is recognised by its hash, whatever the name
    r = CliRunner().invoke(main, ["import", str(schools / "school-b"), "--project", project])
    assert "skipped  interview.txt: already imported (same content as school-b/interview.txt)" in r.output
    # a README named explicitly is imported; show finds a document by its file name when unique
    r = CliRunner().invoke(main, ["import", str(schools / "README.md"), "--project", project])
    assert "imported README.md: 1 segments" in r.output
    assert run(["show", "school-a/interview.txt", "--project", project]).exit_code == 0


def test_two_folders_with_the_same_file_name_stay_apart(schools, tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    r = CliRunner().invoke(main, ["import", str(schools / "school-a"), str(schools / "school-b"), "--project", project])
    assert r.exit_code == 0, r.output
    assert "imported school-a/interview.txt: 3 segments" in r.output
    assert "imported school-b/interview.txt: 3 segments" in r.output
    assert "note: interview.txt: another document is called that (in this import or the project); imported as " \
           "school-a/interview.txt" in r.output
    assert "cases: 2 new" in r.output


def test_cases_file_rows_that_match_nothing_warn_or_with_strict_refuse(folder, tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    cases = tmp_path / "cases.csv"
    cases.write_text("case_id,document,speaker\nR1,int-01.txt,R1\nR2,int-01.txt,R 1\nG9,,\n", encoding="utf-8")
    before = _project_digest(project)
    r = CliRunner().invoke(main, ["import", str(folder / "int-01.txt"), "--cases", str(cases), "--strict",
                                  "--project", project])
    assert r.exit_code == 1
    assert r.output.strip().splitlines()[-1] == (
        "Error: cases.csv, row 3: case 'R2' (speaker 'R 1' in 'int-01.txt') matches no segment in the project; "
        "check the spelling of document and speaker (or leave out --strict to import anyway)")
    assert _project_digest(project) == before
    r = CliRunner().invoke(main, ["import", str(folder / "int-01.txt"), "--cases", str(cases), "--project", project])
    assert r.exit_code == 0
    assert ("Warning: cases.csv, row 3: case 'R2' (speaker 'R 1' in 'int-01.txt') matches no segment in the "
            "project; check the spelling of document and speaker, or pass --strict to refuse such rows") in r.output
    assert "Warning: cases.csv, row 4: case 'G9' (no document or speaker) matches no segment" in r.output
    assert "row 2" not in r.output


def test_a_cases_row_naming_a_file_name_that_two_documents_share_is_refused(schools, tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    cases = tmp_path / "cases.csv"
    cases.write_text("case_id,document,speaker\nA1,interview.txt,R1\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(schools), "--cases", str(cases), "--project", project])
    assert r.exit_code == 1
    assert r.output.strip().splitlines()[-1] == (
        "Error: cases.csv, row 2: document 'interview.txt' could be any of school-a/interview.txt, "
        "school-b/interview.txt; write the document as the project names it (see qualcode status --documents)")
    cases.write_text("case_id,document,speaker\nA1,school-a/interview.txt,R1\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(schools), "--cases", str(cases), "--project", project])
    assert r.exit_code == 0, r.output
    con = sqlite3.connect(project)
    assert con.execute("SELECT count(*) FROM segments WHERE case_id = 'A1'").fetchone()[0] == 1


def test_warnings_name_the_file_and_the_option_that_helps(tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    notes = tmp_path / "verslag.txt"
    notes.write_text("Verslag van de sessie.\n\n" + "Het team sprak over werkdruk en toetsen. " * 200 + "\n",
                     encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(notes), "--project", project])
    assert r.exit_code == 0
    assert ("Warning: verslag.txt: no speakers found, so its 2 paragraph(s) are the segments; if it has speakers in "
            "a layout qualcode does not know, pass --speaker-pattern REGEX (a regular expression with a group "
            "(?P<speaker>...))") in r.output
    assert ("Warning: verslag.txt: segment 2 ('Het team sprak over werkdruk en' ...) has 1,400 words; pass "
            "--max-words 300 to split it, or --speaker-pattern REGEX if speakers were missed") in r.output
    interview = tmp_path / "lang.txt"
    interview.write_text("Interviewer: Vertel.\nR1: " + ("Het team sprak over werkdruk en toetsen. " * 100 + "\n\n") * 2
                         + "Interviewer: Dank u.\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(interview), "--project", project])
    assert ("Warning: lang.txt: segment 2 ('Het team sprak over werkdruk en' ...) has 1,400 words; pass "
            "--unit paragraph or --max-words 300 to split it, or --speaker-pattern REGEX if speakers were missed"
            ) in r.output
    assert "no speakers" not in r.output
    r = CliRunner().invoke(main, ["import", str(notes), "--speaker-pattern", "(?P<speaker", "--project", project])
    assert r.exit_code == 1 and "Error: --speaker-pattern '(?P<speaker' is not a valid regular expression" in r.output


def test_show_and_status_as_json_with_timestamps_and_attributes(folder, tmp_path):
    import json

    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    assert run(["import", str(folder / "int-02.vtt"), str(folder / "int-01.txt"), str(folder / "int-03.docx"),
                "--cases", str(folder / "cases.csv"), "--project", project]).exit_code == 0
    r = run(["show", "int-02.vtt", "--format", "json", "--project", project])
    assert r.exit_code == 0
    segments = json.loads(r.output)
    assert [{k: s[k] for k in ("document", "speaker", "case", "to_code", "start_time", "end_time", "text")}
            for s in segments] == [
        {"document": "int-02.vtt", "speaker": "Sanne Vermeulen", "case": "INT", "to_code": False,
         "start_time": 1.0, "end_time": 4.0, "text": "Hoe gaat het met de werkdruk?"},
        {"document": "int-02.vtt", "speaker": "Marieke de Vries", "case": "R2", "to_code": True,
         "start_time": 4.5, "end_time": 12.0, "text": "Die neemt af, denk ik. Maar er komt ook controlewerk bij."},
    ]
    assert all(set(s) >= {"id", "start", "end"} for s in segments)
    r = run(["show", "int-02.vtt", "--project", project])
    assert "00:00:04–00:00:12 Marieke de Vries / R2" in r.output
    r = run(["status", "--cases", "--format", "json", "--project", project])
    cases = {c["case_id"]: c for c in json.loads(r.output)["cases"]}
    assert cases["R2"]["attributes"] == {"role": "expert", "school_type": "vo", "study": "vo-2025", "wave": 2025}
    assert (cases["R2"]["segments"], cases["R2"]["to_code"], cases["R2"]["documents"]) == (1, 1, 1)
    assert (cases["INT"]["segments"], cases["INT"]["to_code"]) == (1, 0)


def test_literature_is_a_respondent_group_of_publications(tmp_path):
    import json

    import test_importers

    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    literature = tmp_path / "literatuur"
    literature.mkdir()
    (literature / "de-vries-2021.pdf").write_bytes(test_importers.make_pdf(test_importers.ARTICLE))
    (literature / "bakker-2023.pdf").write_bytes(test_importers.make_pdf([["Interviewer: een citaat.", "Tweede regel."]]))
    r = CliRunner().invoke(main, ["import", str(literature), "--role", "literature", "--study", "vo-2025",
                                  "--project", project])
    assert r.exit_code == 0, r.output
    assert "imported de-vries-2021.pdf: 4 segments" in r.output and "Warning" not in r.output
    assert "cases: 2 new" in r.output
    cases = {c["case_id"]: c for c in json.loads(run(["status", "--format", "json", "--project", project]).output)["cases"]}
    assert {k: (v["role"], v["study"], v["to_code"]) for k, v in cases.items()} == {
        "de-vries-2021": ("literature", "vo-2025", 4), "bakker-2023": ("literature", "vo-2025", 1)}


def test_cases_file_rows_matched_by_an_earlier_import_do_not_warn_ignoring_case(folder, tmp_path):
    project = str(tmp_path / "p.qualcode")
    run(["init", project])
    cases = tmp_path / "cases.csv"
    cases.write_text("case_id,document,speaker\nR1,int-01.txt,R1\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(folder / "int-01.txt"), "--cases", str(cases), "--project", project])
    assert r.exit_code == 0 and "Warning" not in r.output, r.output
    # the next import uses the same cases file: its row matched the earlier import's segments (also when the
    # document and speaker are spelled in other capitals); a row of a case with no segment still warns
    cases.write_text("case_id,document,speaker\nR1,INT-01.TXT,r1\nR7,int-01.txt,Nobody\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(folder / "int-02.vtt"), "--cases", str(cases), "--project", project])
    assert r.exit_code == 0, r.output
    assert "row 2" not in r.output
    assert "Warning: cases.csv, row 3: case 'R7' (speaker 'Nobody' in 'int-01.txt') matches no segment" in r.output
