"""Pseudonymisation (issue 14): the replacer's rules, the detector, the key, and every export of the demo."""
from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.privacy.detect import detect
from qualcode.privacy.replace import Replacer
from qualcode.privacy.terms import is_person_name, name_parts, numbered

SAMPLE = Path(__file__).resolve().parent.parent / "transcripts_sample"


# -- the replacer --------------------------------------------------------------------------------------
def test_longest_match_first_and_overlaps_replaced_once():
    r = Replacer({"Marieke de Vries": "[Expert 1]", "Marieke": "[Expert 1]", "de Vries": "[Persoon 9]"})
    assert r.replace("Marieke de Vries zei dat Marieke en De Vries") == "[Expert 1] zei dat [Expert 1] en [Persoon 9]"


def test_inflections_possessive_and_diminutive():
    r = Replacer({"Daan": "[Leerling 1]", "Ruben": "[Collega 1]"})
    assert r.replace("Daans moeder") == "[Leerling 1]'s moeder"
    assert r.replace("Ruben's fiets en Ruben’s tas") == "[Collega 1]'s fiets en [Collega 1]'s tas"
    # a diminutive of a name is the same person: replaced whole, never left as "Daantje"
    assert r.replace("kleine Daantje") == "kleine [Leerling 1]"


def test_whole_words_only():
    r = Replacer({"Daan": "[Leerling 1]", "Jan": "[Persoon 1]"})
    assert r.replace("Daniël, Daanish, januari, Jansen-achtig") == "Daniël, Daanish, januari, Jansen-achtig"
    assert r.replace("(Daan)") == "([Leerling 1])"


def test_case_any_unless_the_name_is_also_a_word():
    r = Replacer({"Daan": "[Leerling 1]", "Bakker": "[Expert 2]"}, common_words={"bakker"})
    assert r.replace("DAAN en daan") == "[Leerling 1] en [Leerling 1]"
    assert r.replace("de bakker heet Bakker") == "de bakker heet [Expert 2]"


def test_multi_word_terms_match_across_hyphens_in_file_names():
    r = Replacer({"De Regenboog": "[School A]"})
    assert r.replace("teamsessie-de-regenboog.txt") == "teamsessie-[School A].txt"


def test_allowed_terms_are_not_replaced():
    r = Replacer({"Kennisnet": "[Organisatie 1]", "Daan": "[Leerling 1]"}, allowed=["kennisnet"])
    assert r.replace("Kennisnet en Daan") == "Kennisnet en [Leerling 1]"


def test_offsets_map_onto_the_replaced_text():
    r = Replacer({"Samira": "[Persoon 1]"})
    text = "Het begon met Samira, een assistent. Samira zei ja."
    new, offsets = r.replace_with_offsets(text)
    start = text.index("een")
    assert new[offsets.start(start):offsets.end(start + 3)] == "een"
    # a selection that starts or ends inside a name snaps to the placeholder's edges
    inside = text.index("Samira") + 2
    assert new[offsets.start(inside):offsets.end(inside + 1)] == "[Persoon 1]"
    assert offsets.end(len(text)) == len(new)


# -- names, labels, placeholders -----------------------------------------------------------------------
def test_name_parts_and_speaker_labels():
    assert name_parts("Marieke de Vries") == ["Marieke de Vries", "Marieke", "de Vries", "Vries"]
    assert name_parts("Ahmed El Amrani") == ["Ahmed El Amrani", "Ahmed", "El Amrani", "Amrani"]
    first = {"linda", "samira"}
    assert is_person_name("Linda Janssen", first)[0]
    assert is_person_name("Samira", first)[0]
    for label in ("R", "R6", "I", "Interviewer", "Leerkracht groep 3", "Intern begeleider", "Directeur"):
        assert not is_person_name(label, first)[0], label


def test_numbered_placeholders_follow_the_language():
    assert numbered("pupil", "nl", ["[Leerling 1]"]) == "[Leerling 2]"
    assert numbered("school", "nl", ["[School A]"]) == "[School B]"
    assert numbered("colleague", "en", []) == "[Colleague 1]"


# -- the detector --------------------------------------------------------------------------------------
DUTCH = ("Meneer De Vries zei tegen juf Annemiek dat meester Jan ziek was. Ik had een leerling, Daan, die altijd "
         "te laat kwam. Koen Hoogland werkt op basisschool De Regenboog in Utrecht. Mijn dochter zit op het "
         "Berkenrode Lyceum in Zutphen. Mail naar jan@school.nl of bel 06-12345678. We gebruiken Snappet. "
         "Echt waar, dat is echt zo. Wil je koffie? Ik wil graag.")


def _found(text: str) -> dict[str, tuple[str, bool]]:
    return {f.text: (f.kind, f.sure) for f in detect([("t", text)]).findings}


def test_detector_finds_names_as_they_occur_in_dutch_speech():
    assert detect([("t", "")]).lists_available, "deduce's name lists are missing (a dependency of qualcode)"
    found = _found(DUTCH)
    assert found["De Vries"] == ("person", True)
    assert found["Annemiek"] == ("colleague", True)
    assert found["Jan"] == ("colleague", True)
    assert found["Daan"] == ("pupil", True)
    assert found["Koen Hoogland"][1]
    assert found["De Regenboog"] == ("school", True)
    assert found["Berkenrode Lyceum"] == ("school", True)
    assert found["Zutphen"] == ("place", True) and found["Utrecht"] == ("place", True)
    assert found["jan@school.nl"] == ("email", True) and found["06-12345678"] == ("phone", True)
    # common words at the start of a sentence are no names: "Echt" (a place), "Wil" (a first name)
    assert "Echt" not in found and "Snappet" not in found
    assert not found.get("Wil", ("", False))[1]


# -- the key in a project and the CLI --------------------------------------------------------------------
def _project(tmp_path: Path, text: str):
    from qualcode import Project

    doc = tmp_path / "interview.txt"
    doc.write_text(text, encoding="utf-8")
    path = tmp_path / "p.qualcode"
    with Project.init(path) as project:
        project.import_files([doc])
    return path


def test_key_is_stable_and_the_cli_adds_and_allows(tmp_path):
    path = _project(tmp_path, "I: Hoe gaat het?\nMarieke de Vries: Goed. Ik had een leerling, Daan, en Kennisnet "
                              "hielp. Daans moeder belde.\n")
    run = CliRunner()
    r = run.invoke(main, ["privacy", "add", "Kennisnet", "--as", "[Organisatie X]", "--project", str(path)])
    assert r.exit_code == 0, r.output
    r = run.invoke(main, ["privacy", "check", "--project", str(path)])
    assert r.exit_code == 0, r.output
    assert "[Organisatie X]" in r.output and "'Daan'" in r.output and "[Leerling 1]" in r.output
    first = run.invoke(main, ["privacy", "list", "--project", str(path)]).output
    assert run.invoke(main, ["privacy", "list", "--project", str(path)]).output == first
    r = run.invoke(main, ["privacy", "allow", "Kennisnet", "--project", str(path)])
    assert r.exit_code == 0 and "Kennisnet" in run.invoke(main, ["privacy", "list", "--project",
                                                                 str(path)]).output.split("Allowed through:")[1]
    r = run.invoke(main, ["privacy", "add", "X", "--as", "School A", "--project", str(path)])
    assert r.exit_code != 0 and "square brackets" in r.output


# -- the demo: every export, grepped ---------------------------------------------------------------------
def _case_names() -> set[str]:
    from qualcode.privacy.terms import is_person_name as is_name

    names: set[str] = set()
    with open(SAMPLE / "cases.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            speaker = (row.get("speaker") or "").strip()
            if speaker and is_name(speaker, set())[0]:
                names.update(p for p in name_parts(speaker) if len(p) > 3)
    return names


def _texts_of(folder: Path) -> dict[str, str]:
    out = {}
    for path in folder.rglob("*"):
        if path.is_dir() or path.suffix in (".qualcode", ".png") or path.name.endswith(("-wal", "-shm")):
            continue
        if path.suffix in (".xlsx", ".docx", ".qdpx"):
            with zipfile.ZipFile(path) as z:
                for member in z.namelist():
                    out[f"{path.name}:{member}"] = z.read(member).decode("utf-8", errors="replace")
        else:
            out[path.name] = path.read_text(encoding="utf-8", errors="replace")
    return out


@pytest.mark.slow
def test_no_name_leaves_the_demo_project(tmp_path):
    from qualcode import Project
    from qualcode.demo import run_demo

    result = run_demo(tmp_path / "demo", echo=lambda _: None)
    added = ["Rijnvallei", "Oostland", "Leerlijn Labs"]
    exports = tmp_path / "exports"
    with Project.open(result.project) as project:
        project.privacy_add(added, kind="organisation")
        for n in (1, 2):
            out = exports / str(n)
            out.mkdir(parents=True)
            project.export_workbook(out / "results.xlsx", coder=result.coder)
            project.write_report(out / "report", coder=result.coder, scenarios=True, docx=True)
            project.export_review(out / "review.xlsx", "anna")
            project.export_qdpx(out / "project.qdpx", all_coders=True)
        key = project.privacy_key()
    names = _case_names() | set(added) | {"Samira", "Ruben", "Daan", "Berkenrode", "Zutphen", "Regenboog"}
    assert {"Marieke", "Vries", "Jeroen", "Bakker", "Sanne", "Vermeulen", "Fatima", "Ouali"} <= names
    first, second = _texts_of(exports / "1"), _texts_of(exports / "2")
    assert any(m.endswith("sharedStrings.xml") or "sheet" in m for m in first)  # the zips were opened
    assert any(m.startswith("report.docx:") for m in first)  # the Word report with its scenario draft
    for member, text in first.items():
        for name in names:
            assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE), (name, member)
    # the key itself is in no export: no "term -> placeholder" pair, no key table
    assert "privacy_terms" not in "".join(first.values())
    # the same placeholders in both exports (the quotes, the review rows and the sources)
    placeholders = {m: sorted(set(re.findall(r"\[[A-Z][\w-]* [\w ]{1,20}\]", t))) for m, t in first.items()}
    assert placeholders == {m: sorted(set(re.findall(r"\[[A-Z][\w-]* [\w ]{1,20}\]", t))) for m, t in second.items()}
    assert any("[Leerling 1]" in t for t in first.values()) and any("[Expert 1]" in t for t in first.values())
    assert {e.placeholder for e in key if e.term == "Marieke de Vries"} == {"[Expert 1]"}
    # the project's own text is unchanged
    with Project.open(result.project) as project:
        assert any("Samira" in s.text for s in project.segments())
    # quotes on the command line (piped into files) go out pseudonymised too
    def quotes(*extra: str) -> str:
        r = CliRunner().invoke(main, ["matrix", "--quotes", "50", "--coder", result.coder, "--format",
                                      "csv", "--project", str(result.project), *extra])
        assert r.exit_code == 0, r.output
        return r.output

    def named(text: str) -> list[str]:
        return [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text)]

    assert named(quotes("--no-pseudonymise")) and not named(quotes())
    # privacy check on the sample: what is replaced, with examples, and what to look at
    checked = CliRunner().invoke(main, ["privacy", "check", "--project", str(result.project)])
    assert checked.exit_code == 0, checked.output
    for expected in ("'Samira'", "[School E]", "[Team school A]", "'Berkenrode Lyceum'", "»Daan« → [Leerling 1]",
                     "Capitalised words left alone", "Speaker labels not taken for names"):
        assert expected in checked.output, expected


# -- the review workbook and the .qdpx file -------------------------------------------------------------
TURNS = [("Marieke de Vries", "E1", "Ik had een leerling, Daan, die veel tijd kwijt was aan nakijkwerk."),
         ("Marieke de Vries", "E1", "Met Samira bespreek ik de regie, dat kost tijd."),
         ("Marieke de Vries", "E1", "Op het Berkenrode Lyceum in Zutphen is het contact goed.")]


def _review_project(project):
    from conftest import add_document
    from conftest import store_codebook

    ids = add_document(project, TURNS)
    store_codebook(project)
    return ids


def test_pseudonymised_review_workbook_imports_back_by_segment_id(project, tmp_path):
    import openpyxl

    ids = _review_project(project)
    path = tmp_path / "review.xlsx"
    project.export_review(path, "anna")
    wb = openpyxl.load_workbook(path)
    ws = wb["Review"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    texts = [ws.cell(r, col["text"]).value for r in range(2, ws.max_row + 1)]
    assert all("Daan" not in t and "Samira" not in t and "Berkenrode" not in t for t in texts)
    assert "[Leerling 1]" in texts[0]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, col["werkdruk"]).value = "kans"
        ws.cell(r, col["decided"]).value = "ja"
    ws.cell(2, col["memo"]).value = "[Leerling 1] komt terug"
    wb.save(path)
    summary = project.import_review(path, "anna")
    assert summary.rows_decided == len(ids) and summary.memos == 1
    from qualcode.store.codings import decisions_for

    decided = {(d.segment_id, d.code, d.direction) for d in decisions_for(project.con, "anna") if d.status == "accepted"}
    assert {(i, "workload", "opportunity") for i in ids} <= decided
    # the project's text is unchanged
    assert "Daan" in project.segment(ids[0]).text


def test_pseudonymised_review_workbook_refuses_an_edited_text(project, tmp_path):
    import openpyxl

    from qualcode.errors import ReviewImportError

    _review_project(project)
    path = tmp_path / "review.xlsx"
    project.export_review(path, "anna")
    wb = openpyxl.load_workbook(path)
    ws = wb["Review"]
    col = {c.value: i + 1 for i, c in enumerate(ws[1])}
    ws.cell(2, col["text"]).value = "iets anders"
    wb.save(path)
    with pytest.raises(ReviewImportError, match="was edited"):
        project.import_review(path, "anna")


def test_pseudonymised_qdpx_carries_placeholders_with_positions_on_the_new_text(project, tmp_path):
    from qualcode import Project
    from qualcode.store.codings import Decision

    ids = _review_project(project)
    project.decide("anna", [Decision(ids[0], "add", "workload", "risk"), Decision(ids[2], "add", "interaction",
                                                                                    "opportunity")])
    out = tmp_path / "p.qdpx"
    project.export_qdpx(out, all_coders=True)
    with zipfile.ZipFile(out) as z:
        everything = "".join(z.read(m).decode("utf-8") for m in z.namelist())
    for name in ("Marieke", "Vries", "Daan", "Samira", "Berkenrode", "Zutphen"):
        assert name not in everything, name
    with Project.init(tmp_path / "back.qualcode") as back:
        back.import_files([out])
        segments = back.segments()
        assert [s.text for s in segments if "[Leerling 1]" in s.text] == [
            "Ik had een leerling, [Leerling 1], die veel tijd kwijt was aan nakijkwerk."]
        assert any(s.text.startswith("Op het [School") for s in segments)


def test_personal_data_attributes_are_left_out_of_the_workbook_unless_kept(project, tmp_path):
    import openpyxl

    from qualcode.store.codings import Decision

    ids = _review_project(project)
    with project.transaction():
        project.con.execute("INSERT INTO case_attributes(case_id, name, value, type) "
                            "VALUES ('E1', 'email', 'marieke@school.nl', 'text')")
    project.decide("anna", [Decision(ids[0], "add", "workload", "risk")])
    out = tmp_path / "r.xlsx"
    project.export_workbook(out, coder="anna")
    with zipfile.ZipFile(out) as z:
        assert "marieke@school.nl" not in "".join(z.read(m).decode("utf-8") for m in z.namelist())
    kept = tmp_path / "kept.xlsx"
    project.export_workbook(kept, coder="anna", keep_columns=["email"])
    cases = openpyxl.load_workbook(kept)["Cases"]
    assert "email" in [c.value for c in cases[1]]


def test_a_pseudonym_that_holds_the_name_is_not_used_as_placeholder():
    from qualcode.privacy.terms import SpeakerName, respondent_entries

    entries = respondent_entries([SpeakerName("Marieke de Vries", "E1", "Marieke", True),
                                  SpeakerName("Jeroen Bakker", "E2", "Expert 2", True)])
    placeholders = {e.term: e.placeholder for e in entries}
    assert placeholders["Marieke"] == "[Respondent E1]" and placeholders["Jeroen"] == "[Expert 2]"


def test_a_project_of_schema_2_opens_and_gets_the_key_tables(tmp_path):
    import sqlite3

    from qualcode import Project
    from qualcode.store import schema

    path = _project(tmp_path, "I: Hoe gaat het?\nLinda Janssen: Goed.\n")
    con = sqlite3.connect(path)
    con.executescript("DROP TABLE privacy_terms; DROP TABLE privacy_allowed; PRAGMA user_version = 2;")
    con.close()
    with Project.open(path) as project:
        assert project.con.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert project.pseudonymiser().replace("Linda zei het") == "[Respondent 1] zei het"


def test_a_school_in_a_cases_document_name_gets_that_cases_pseudonym_everywhere(project):
    """The report showed 'Team school B, teamsessie-[School E].docx': the school the file is named after
    had a letter of its own. Now it is the case's pseudonym in the file name and in the text, and a school
    named in no file name takes no letter a case's pseudonym uses ('Team school B' has B)."""
    from conftest import add_document

    from qualcode.privacy.key import key, pseudonymiser

    add_document(project, [("Gespreksleider", None, "Wat verandert er bij jullie?"),
                           ("Leerkracht groep 5", "PA", "Bij basisschool Het Kompas gaat het nakijkwerk sneller.")],
                 name="teamsessie-het-kompas.txt", study="po-2019")
    add_document(project, [("Gespreksleider", None, "En bij jullie?"),
                           ("Leerkracht groep 3", "PB", "Op obs De Linde werken we nog op papier.")],
                 name="teamsessie-2.txt", study="po-2019")
    add_document(project, [("Interviewer", None, "Vertel eens?"),
                           ("R1", "R1", "Mijn zus werkt op basisschool Het Kompas, zegt ze.")], name="int-01.txt")
    with project.transaction():
        project.con.execute("UPDATE cases SET pseudonym = 'Team school A' WHERE id = 'PA'")
        project.con.execute("UPDATE cases SET pseudonym = 'Team school B' WHERE id = 'PB'")
    replacer = pseudonymiser(project.store)
    placeholders = {e.term: e.placeholder for e in key(project.store)}
    assert placeholders["Het Kompas"] == "[Team school A]"
    assert replacer.replace("teamsessie-het-kompas.txt") == "teamsessie-[Team school A].txt"
    assert replacer.replace("Mijn zus werkt op basisschool Het Kompas") == "Mijn zus werkt op basisschool [Team school A]"
    # De Linde is in no file name: a numbered school, not the A or B of the teams' pseudonyms
    assert placeholders["De Linde"] not in {"[School A]", "[School B]", "[Team school A]", "[Team school B]"}
    assert placeholders["De Linde"].startswith("[School ")


def test_the_detector_runs_again_only_when_what_it_reads_changed(project, monkeypatch):
    """Detecting names read every text on every export (seconds per million words). A state in which it
    found nothing new is remembered; while texts, key, allowed words and cases stay as they were it is not
    run again, and whatever changes makes it run. A run that added names is not remembered."""
    from conftest import add_document

    from qualcode.privacy import detect as detect_module
    from qualcode.privacy.key import key, pseudonymiser

    calls = []
    real = detect_module.detect
    monkeypatch.setattr(detect_module, "detect", lambda *a, **k: calls.append(1) or real(*a, **k))
    add_document(project, [("Interviewer", None, "Hoe gaat het?"),
                           ("R1", "R1", "Mijn collega Joost van Dam hielp, en meneer Bakker ook.")], name="int-07.txt")

    def export() -> tuple[str, int]:
        before = len(calls)
        text = pseudonymiser(project.store).replace("Joost van Dam en meneer Bakker en Marieke Jansen")
        return text, len(calls) - before

    first, ran = export()
    assert ran == 1 and "Joost" not in first and "Bakker" not in first
    assert export() == (first, 1)  # the first run added names: this one looks again, finds nothing new
    assert export() == (first, 0)  # nothing changed since a run that found nothing: not run again
    key_before = key(project.store)
    add_document(project, [("Interviewer", None, "En verder?"),
                           ("R2", "R2", "Juf Marieke Jansen zei het al.")], name="int-08.txt")
    text, ran = export()
    assert ran == 1 and "Jansen" not in text  # a new text: detected again, the new name replaced
    assert export()[1] == 1 and export()[1] == 0
    assert all(e in key(project.store) for e in key_before)  # the key only grew
    project.privacy_allow(["Bakker"])
    text, ran = export()
    assert ran == 1 and "Bakker" in text  # an allowed word: detected again, and let through
