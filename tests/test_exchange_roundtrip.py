"""Round trip as a property: qualcode -> .qdpx -> qualcode keeps documents, cases, attributes, coders,
codings (code, direction, offsets) and memos, for generated projects (non-ASCII, emoji, CRLF, BOM, a
table with cases from a column, interviewer labels of the researcher's own), and exactly so on the demo:
every segment (to code or not), its case, the matrix."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from exchange_helpers import (
    assert_valid_qdc,
    assert_valid_qdpx,
    dump,
    exact_dump,
    matrix_text,
    validate_every_export,  # noqa: F401
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.coding.codebook import load_codebook
from qualcode.exchange.qdc import import_codebook
from qualcode.project import Project
from qualcode.store import cases as stored_cases
from qualcode.store import codings as stored_codings
from qualcode.store import transaction
from qualcode.store.codings import Decision

pytestmark = pytest.mark.usefixtures("validate_every_export")  # every .qdpx written is checked against Project.xsd

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = load_codebook(ROOT / "codebooks" / "werkbeleving.yaml")
EMOJI = "😅🎓👩‍🏫✅"

words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from(EMOJI),
                min_size=1, max_size=30).filter(lambda t: t.strip())
memo_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Zl", "Zp"),
                                           whitelist_characters="\n") | st.sampled_from(EMOJI),
                    min_size=1, max_size=40).filter(lambda t: t.strip())
turn = st.tuples(st.sampled_from(["Interviewer", "R1", "Anna", "Bram de Vries"]), words)
document = st.fixed_dictionaries({
    "turns": st.lists(turn, min_size=1, max_size=6),
    "crlf": st.booleans(),
    "bom": st.booleans(),
})
attribute_value = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=64),
                            st.booleans(), words, st.none())
cell = st.text(alphabet=st.sampled_from(list("abcdeéëij ßøAZ") + list(EMOJI)), min_size=1,
               max_size=25).filter(lambda t: t.strip())
table = st.one_of(st.none(), st.lists(st.tuples(st.sampled_from(["Groep 1", "Groep 2", "G3"]), cell),
                                      min_size=1, max_size=6))
decision = st.tuples(st.sampled_from(["anna", "bob"]), st.integers(0, 50), st.sampled_from(CODEBOOK.code_ids),
                     st.sampled_from(["opportunity", "risk", "none"]))


@settings(max_examples=int(__import__("os").environ.get("QC_EXAMPLES", "30")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(docs=st.lists(document, min_size=1, max_size=3), decisions=st.lists(decision, max_size=12),
       memos=st.lists(st.tuples(st.sampled_from(["anna", "bob"]), st.integers(0, 50), memo_text), max_size=4),
       attributes=st.dictionaries(st.sampled_from(["age", "fte", "lead", "school"]), attribute_value, max_size=4),
       study=st.sampled_from([None, "vo-2025", "wave één"]), rows=table, own_interviewer=st.booleans())
def test_qdpx_round_trip_keeps_everything_a_researcher_made(docs, decisions, memos, attributes, study, rows,
                                                            own_interviewer):
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        files = []
        for i, doc in enumerate(docs):
            newline = "\r\n" if doc["crlf"] else "\n"
            text = newline.join(f"{speaker}: {content}" for speaker, content in doc["turns"]) + newline
            data = text.encode("utf-8")
            files.append(tmp / f"gesprek-{i}.txt")
            files[-1].write_bytes((b"\xef\xbb\xbf" if doc["bom"] else b"") + data)
        with Project.init(tmp / "a.qualcode") as original:
            # "Anna" as an interviewer is the researcher's own label: the import of the .qdpx does not know it
            interviewers = ("Interviewer", "Anna") if own_interviewer else ("Interviewer",)
            original.import_files(files, study=study, interviewers=interviewers)
            if rows:  # a table: one segment per row, cases from a column
                import csv
                import io

                buffer = io.StringIO()
                csv.writer(buffer, lineterminator="\n").writerows([("groep", "notitie"), *rows])
                (tmp / "workshop.csv").write_text(buffer.getvalue(), encoding="utf-8")
                original.import_files([tmp / "workshop.csv"], study=study, text_columns=["notitie"],
                                      case_column="groep")
            with transaction(original.con):
                stored_codings.store_codebook(original.con, CODEBOOK)
                first_case = original.cases()[0].case_id if original.cases() else None
                if first_case:
                    stored_cases.upsert_case(original.con, first_case, None, None, attributes, None)
            coded = original.segments(only_to_code=True)
            if coded:
                for coder, i, code, direction in decisions:
                    original.decide(coder, [Decision(coded[i % len(coded)].id, "add", code, direction)])
                for coder, i, text in memos:
                    original.decide(coder, [Decision(coded[i % len(coded)].id, "memo", memo=text)])
            original.export_qdpx(tmp / "a.qdpx", all_coders=True, pseudonymise=False)
            assert_valid_qdpx(tmp / "a.qdpx")
            expected = dump(original)
            expected_exact = exact_dump(original)
            coders = set(stored_codings.coders(original.con))
            expected_matrix = {c: matrix_text(original, c) for c in sorted(coders)}
        with Project.init(tmp / "b.qualcode") as copy:
            report = copy.import_qdpx(tmp / "a.qdpx")
            assert report.warnings == ()
            assert dump(copy) == expected
            assert exact_dump(copy) == expected_exact
            assert {c: matrix_text(copy, c) for c in sorted(coders)} == expected_matrix
            assert {r.origin for r in stored_codings.decisions_for(copy.con)} <= {"imported"}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(codes=st.lists(st.tuples(words, st.sampled_from(["#e07b39", "#abc", "#4E79A7"]), words,
                                st.sampled_from(["positive", "negative"])), min_size=1, max_size=5),
       language=st.sampled_from(["nl", "en"]))
def test_qdc_round_trip_keeps_every_code(codes, language):
    import yaml

    from qualcode.coding.codebook import Codebook
    from qualcode.exchange.qdc import export_qdc

    entries = [{"id": f"code{i}", "label": label.strip(), "color": color,
                "definition": {"includes": " ".join(definition.split())}, "valence": valence,
                **({"parent": "code0"} if i > 1 else {})}
               for i, (label, color, definition, valence) in enumerate(codes)]
    source = yaml.safe_dump({"codebook": "gen", "language": language, "codes": entries}, allow_unicode=True)
    original = Codebook.from_text(source)
    with tempfile.TemporaryDirectory() as tmp_dir:
        out = Path(tmp_dir) / "gen.qdc"
        export_qdc(original, out, "project-1")
        assert_valid_qdc(out)
        back = Codebook.from_text(import_codebook(out).yaml_text)
    from qualcode.exchange.codetree import normalise_color

    # colours come back as #rrggbb (the standard's form), everything else as it was (in tree order)
    assert sorted((c.id, c.label, c.color, c.parent, c.definition, c.valence) for c in back.codes) == \
           sorted((c.id, c.label, normalise_color(c.color)[0], c.parent, c.definition, c.valence)
                  for c in original.codes)
    assert back.language == language


@pytest.mark.slow
def test_the_demo_comes_back_exactly(tmp_path):
    """The demo (transcripts, a table with cases from its group column, interviewer turns): exported per coder
    and imported into a new project, every document, segment, case, coding, memo and the matrix come back."""
    from qualcode.demo import run_demo

    result = run_demo(tmp_path / "demo", echo=lambda line: None)
    with Project.open(result.project) as original:
        expected = exact_dump(original)
        expected_matrix = matrix_text(original, "anna")
        original.export_qdpx(tmp_path / "all.qdpx", all_coders=True, pseudonymise=False)
        original.export_qdpx(tmp_path / "anna.qdpx", coder="anna", pseudonymise=False)
        assert len({s.kind for s in original.segments()} & {"row", "turn"}) == 2
        assert any(not s.to_code and s.case_id for s in original.segments())  # interviewer turns with a case
    with Project.init(tmp_path / "copy.qualcode") as copy:
        report = copy.import_qdpx(tmp_path / "all.qdpx")
        assert report.warnings == ()
        assert exact_dump(copy) == expected
        assert matrix_text(copy, "anna") == expected_matrix
    with Project.init(tmp_path / "anna.qualcode") as copy:
        copy.import_qdpx(tmp_path / "anna.qdpx")
        got = exact_dump(copy)
        assert {k: v for k, v in got.items() if k not in ("codings", "memos")} == \
               {k: v for k, v in expected.items() if k not in ("codings", "memos")}
        assert got["codings"] == [c for c in expected["codings"] if c[3] == "anna"]
        assert got["memos"] == [m for m in expected["memos"] if m[3] == "anna"]
        assert matrix_text(copy, "anna") == expected_matrix


def _table_project(tmp: Path) -> Path:
    (tmp / "workshop.csv").write_text("groep,notitie\nG1,AI scheelt tijd.\nG2,Zorgen over toezicht.\nG1,Meer rust.\n",
                                      encoding="utf-8")
    (tmp / "gesprek.txt").write_text("Interviewer: Hoe gaat het?\nR1: Druk, maar het lukt.\n", encoding="utf-8")
    with Project.init(tmp / "a.qualcode") as original:
        original.import_files([tmp / "workshop.csv"], text_columns=["notitie"], case_column="groep")
        original.import_files([tmp / "gesprek.txt"])
        with transaction(original.con):
            stored_codings.store_codebook(original.con, CODEBOOK)
        coded = original.segments(only_to_code=True)
        original.decide("anna", [Decision(s.id, "add", CODEBOOK.code_ids[0], "risk") for s in coded])
        original.export_qdpx(tmp / "a.qdpx", pseudonymise=False)
    return tmp / "a.qdpx"


def test_a_table_comes_back_with_its_rows_and_group_cases(tmp_path):
    path = _table_project(tmp_path)
    with Project.open(tmp_path / "a.qualcode") as original:
        expected = exact_dump(original)
    with Project.init(tmp_path / "b.qualcode") as copy:
        assert copy.import_qdpx(path).warnings == ()
        assert exact_dump(copy) == expected
        rows = [(s.kind, s.source_row, s.case_id) for s in copy.segments() if s.document_name == "workshop.csv"]
        assert rows == [("row", "2", "G1"), ("row", "3", "G2"), ("row", "4", "G1")]


def test_a_source_changed_since_the_export_is_segmented_from_its_turns(tmp_path):
    """The segmentation a qualcode export carries holds only for the text it was made of."""
    import zipfile

    path = _table_project(tmp_path)
    changed = tmp_path / "changed.qdpx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(changed, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if b"Druk, maar" in data:
                data = data.replace(b"Druk, maar", b"Drukker, maar")
            out.writestr(info, data)
    with Project.init(tmp_path / "b.qualcode") as copy:
        report = copy.import_qdpx(changed)
        assert any("'gesprek.txt' is not the text qualcode exported" in w for w in report.warnings)
        assert {s.kind for s in copy.segments() if s.document_name == "workshop.csv"} == {"row"}
        turns = [(s.speaker, s.to_code) for s in copy.segments() if s.document_name == "gesprek.txt" and s.kind == "turn"]
        assert turns == [("Interviewer", False), ("R1", True)]
