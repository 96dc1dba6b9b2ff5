"""REFI-QDA export: .qdc and .qdpx, valid against the schemas, deterministic, pseudonymised."""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from exchange_helpers import (
    assert_valid_qdc,
    assert_valid_qdpx,
    validate_every_export,  # noqa: F401
)

from qualcode.cli import main
from qualcode.coding.codebook import Codebook, load_codebook
from qualcode.exchange.qdc import import_codebook
from qualcode.store import cases as stored_cases
from qualcode.store import transaction
from qualcode.store.codings import Decision

pytestmark = pytest.mark.usefixtures("validate_every_export")  # every .qdpx written is checked against Project.xsd

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "werkbeleving.yaml"
NS = "{urn:QDA-XML:project:1.0}"


@pytest.fixture
def coded(seeded):
    project, ids = seeded
    project.code(CODEBOOK)
    project.decide("anna", [Decision(ids[1], "add", "workload", "opportunity"),
                            Decision(ids[2], "add", "workload", "risk"),
                            Decision(ids[3], "reject", "autonomy", "opportunity"),
                            Decision(ids[1], "memo", memo="tijdwinst,\nmaar opgevuld")])
    project.decide("bob", [Decision(ids[1], "add", "workload", "none"),
                           Decision(ids[3], "add", "autonomy", "opportunity")])
    return project, ids


def _xml(path: Path):
    from defusedxml import ElementTree

    with zipfile.ZipFile(path) as zf:
        return ElementTree.fromstring(zf.read("project.qde")), zf


# -- .qdc --------------------------------------------------------------------------------------
def test_qdc_has_every_aspect_with_its_directions_and_is_valid(coded, tmp_path):
    project, _ = coded
    out = tmp_path / "werkbeleving.qdc"
    report = project.export_qdc(out)
    assert_valid_qdc(out)
    from defusedxml import ElementTree

    root = ElementTree.parse(out).getroot()
    ns = "{urn:QDA-XML:codebook:1.0}"
    tops = root.find(f"{ns}Codes").findall(f"{ns}Code")
    cb = project.codebook()
    assert [t.get("name") for t in tops] == [c.label for c in cb.codes]
    for top, code in zip(tops, cb.codes):
        assert [k.get("name") for k in top.findall(f"{ns}Code")] == ["kans", "risico"]
        assert top.get("color") == code.color and len(top.get("color")) == 7
        assert top.get("isCodable") == "true"
        assert code.definition.includes in top.find(f"{ns}Description").text
    assert report.aspects == len(cb.codes) == 4 and report.codes == 12


def test_qdc_round_trip_keeps_ids_labels_colours_definitions_and_directions(coded, tmp_path):
    project, _ = coded
    project.export_qdc(tmp_path / "cb.qdc")
    back = import_codebook(tmp_path / "cb.qdc", tmp_path / "cb.yaml")
    again = load_codebook(tmp_path / "cb.yaml")
    original = project.codebook()
    assert back.aspects == 4
    assert [(c.id, c.label, c.color, c.parent, c.definition, c.valence) for c in again.codes] == \
           [(c.id, c.label, c.color, c.parent, c.definition, c.valence) for c in original.codes]
    assert again.direction_label("opportunity") == "kans" and again.language == "nl"
    assert all(c.keywords.is_empty() for c in again.codes)


def test_a_code_that_only_groups_others_is_a_category(tmp_path):
    text = """codebook: nested
language: en
codes:
  - id: work
    label: work
  - id: workload
    label: workload
    parent: work
    color: "#abc"
    keywords: {words: [workload]}
"""
    cb = Codebook.from_text(text)
    from qualcode.exchange.qdc import export_qdc

    export_qdc(cb, tmp_path / "n.qdc", "p1")
    assert_valid_qdc(tmp_path / "n.qdc")
    from defusedxml import ElementTree

    ns = "{urn:QDA-XML:codebook:1.0}"
    top = ElementTree.parse(tmp_path / "n.qdc").getroot().find(f"{ns}Codes/{ns}Code")
    assert top.get("isCodable") == "false" and [k.get("name") for k in top.findall(f"{ns}Code")] == ["workload"]
    child = top.find(f"{ns}Code")
    assert child.get("color") == "#aabbcc"
    assert [k.get("name") for k in child.findall(f"{ns}Code")] == ["opportunity", "risk"]
    back = Codebook.from_text(import_codebook(tmp_path / "n.qdc").yaml_text)
    assert [(c.id, c.parent) for c in back.codes] == [("work", None), ("workload", "work")]


def test_cli_export_qdc_and_codebook_import(coded, tmp_path):
    project, _ = coded
    runner = CliRunner()
    r = runner.invoke(main, ["export", "qdc", str(tmp_path / "c.qdc"), "--project", str(project.path)])
    assert r.exit_code == 0, r.output
    assert r.output == f"Wrote {tmp_path / 'c.qdc'}: 4 aspects with their directions, 12 codes in all.\n"
    r = runner.invoke(main, ["export", "qdc", str(tmp_path / "c.qdc"), "--project", str(project.path)])
    assert r.exit_code == 1
    assert r.output == f"Error: {tmp_path / 'c.qdc'}: exists already; choose another name or pass --force to replace it\n"
    r = runner.invoke(main, ["codebook", "import", str(tmp_path / "c.qdc"), "-o", str(tmp_path / "c.yaml")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["codebook", "check", str(tmp_path / "c.yaml")])
    assert r.exit_code == 0 and "4 codes" in r.output


# -- .qdpx -------------------------------------------------------------------------------------
def test_qdpx_export_is_valid_and_holds_the_exact_text_and_positions(coded, tmp_path):
    project, ids = coded
    out = tmp_path / "p.qdpx"
    report = project.export_qdpx(out, all_coders=True)
    assert_valid_qdpx(out)
    root, _ = _xml(out)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        [source] = root.find(f"{NS}Sources").findall(f"{NS}TextSource")
        path = source.get("plainTextPath")
        assert path.startswith("internal://") and f"sources/{path[11:]}" in names
        raw = zf.read(f"sources/{path[11:]}")
    doc = project.documents()[0]
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8") == project.store.document_text(doc.id)
    text = raw.decode("utf-8")
    segs = {(s.start, s.end): s for s in project.segments()}
    selections = source.findall(f"{NS}PlainTextSelection")
    coded_spans = []
    for sel in selections:
        s, e = int(sel.get("startPosition")), int(sel.get("endPosition"))
        assert text[s:e] == segs[(s, e)].text  # end exclusive, code points
        coded_spans += [(s, e)] * len(sel.findall(f"{NS}Coding"))
    assert report.codings == 4 == len(coded_spans)  # anna 2 accepted (the rejection does not travel), bob 2
    assert report.users == ("anna", "bob") and report.memos == 1
    assert any("rejected" in line for line in report.left_out)


def test_each_coding_sits_under_the_code_for_aspect_and_direction(coded, tmp_path):
    project, ids = coded
    out = tmp_path / "p.qdpx"
    project.export_qdpx(out, coder="anna")
    root, _ = _xml(out)
    names = {}

    def walk(el, path):
        for code in el.findall(f"{NS}Code"):
            names[code.get("guid")] = path + [code.get("name")]
            walk(code, path + [code.get("name")])

    walk(root.find(f"{NS}CodeBook/{NS}Codes"), [])
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{NS}User")}
    got = sorted((users[c.get("creatingUser")], "/".join(names[c.find(f"{NS}CodeRef").get("targetGUID")]))
                 for c in root.iter(f"{NS}Coding"))
    assert got == [("anna", "werkdruk/kans"), ("anna", "werkdruk/risico")]
    note = root.find(f"{NS}Notes/{NS}Note")
    assert note.find(f"{NS}PlainTextContent").text == "tijdwinst,\nmaar opgevuld"


def test_two_exports_of_the_same_project_are_identical(coded, tmp_path, validate_every_export):  # noqa: F811
    project, _ = coded
    project.export_qdpx(tmp_path / "a.qdpx", all_coders=True)
    project.export_qdpx(tmp_path / "b.qdpx", all_coders=True)
    assert validate_every_export == [tmp_path / "a.qdpx", tmp_path / "b.qdpx"]  # both checked against the XSD
    digest = [hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in ("a.qdpx", "b.qdpx")]
    assert digest[0] == digest[1]
    project.export_qdc(tmp_path / "a.qdc")
    project.export_qdc(tmp_path / "b.qdc")
    assert (tmp_path / "a.qdc").read_bytes() == (tmp_path / "b.qdc").read_bytes()


def test_cases_carry_pseudonyms_and_typed_attributes(coded, tmp_path):
    project, _ = coded
    with transaction(project.con):
        stored_cases.upsert_case(project.con, "R1", None, None,
                                 {"age": 41, "fte": 0.00001, "lead": True, "school": "Het Lyceum"}, None)
    out = tmp_path / "p.qdpx"
    project.export_qdpx(out, all_coders=True)
    qde = assert_valid_qdpx(out).decode("utf-8")
    root, _ = _xml(out)
    cases = {c.get("name"): c for c in root.iter(f"{NS}Case")}
    assert sorted(cases) == ["Expert 1", "Expert 2"]  # pseudonyms; the case ids R1, R2 are not names of cases
    assert 'name="R1"' not in qde and 'name="R2"' not in qde
    variables = {v.get("guid"): (v.get("name"), v.get("typeOfVariable")) for v in root.iter(f"{NS}Variable")}
    values = {}
    for vv in cases["Expert 1"].findall(f"{NS}VariableValue"):
        name, kind = variables[vv.find(f"{NS}VariableRef").get("targetGUID")]
        values[name] = (kind, vv[1].text)
    assert values == {"age": ("Integer", "41"), "fte": ("Float", "0.00001"), "lead": ("Boolean", "true"),
                      "school": ("Text", "Het Lyceum"), "study": ("Text", "vo-2025"), "role": ("Text", "expert")}


def test_several_coders_need_a_choice(coded, tmp_path):
    project, _ = coded
    r = CliRunner().invoke(main, ["export", "qdpx", str(tmp_path / "p.qdpx"), "--project", str(project.path)])
    assert r.exit_code == 1
    assert r.output == ("Error: 2 coders decided in this project (anna, bob); pass --coder NAME, --reconciled or "
                        "--all-coders (one user per coder)\n")
    assert not (tmp_path / "p.qdpx").exists()
    r = CliRunner().invoke(main, ["export", "qdpx", str(tmp_path / "p.qdpx"), "--coder", "carol",
                                  "--project", str(project.path)])
    assert r.exit_code == 1 and r.output.startswith("Error: no coder 'carol' in ")
    r = CliRunner().invoke(main, ["export", "qdpx", str(tmp_path / "p.qdpx"), "--coder", "bob",
                                  "--project", str(project.path)])
    assert r.exit_code == 0, r.output
    assert "2 codings by bob" in r.output
    assert_valid_qdpx(tmp_path / "p.qdpx")


def test_reconciled_and_suggested_exports(coded, tmp_path):
    project, ids = coded
    project.decide("reconciled", [Decision(ids[1], "add", "workload", "opportunity")], source="reconcile")
    report = project.export_qdpx(tmp_path / "r.qdpx", reconciled=True)
    assert_valid_qdpx(tmp_path / "r.qdpx")
    # segment 1 reconciled; segment 2 decided by anna alone (agreed); segment 3: anna rejected, bob accepted (left out)
    assert report.users == ("reconciled",) and report.codings == 2
    report = project.export_qdpx(tmp_path / "s.qdpx", coder="anna", include_suggested=True)
    assert_valid_qdpx(tmp_path / "s.qdpx")
    undecided = set(ids) - {ids[1], ids[2], ids[3]}
    suggested = [r for r in project.con.execute("SELECT segment_id FROM codings WHERE coder IS NULL")
                 if r[0] in undecided]
    assert report.codings == 2 + len(suggested)
