"""REFI-QDA import: the samples of other programs, repairs, codes onto the codebook, safety."""
from __future__ import annotations

import codecs
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from exchange_helpers import (
    SAMPLES,
    dump,
    make_qdpx,
    validate_every_export,  # noqa: F401
)

from qualcode.cli import main
from qualcode.exchange.qdc import import_codebook
from qualcode.project import Project
from qualcode.store import codings

pytestmark = pytest.mark.usefixtures("validate_every_export")  # every .qdpx written is checked against Project.xsd

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "werkbeleving.yaml"


def _import(tmp_path, file, name="p.qualcode", **kw):
    project = Project.init(tmp_path / name)
    return project, project.import_qdpx(file, **kw)


# -- the samples ----------------------------------------------------------------------------------
@pytest.mark.parametrize("sample, documents, segments, codings_n, codes, coders", [
    ("qc_demo.qdpx", 2, 366, 205, 262, ["cp"]),
    ("nvivo_project.qdpx", 0, 0, 0, 262, []),
    ("target-atlas-project.qdpx", 0, 0, 0, 3, []),
    ("blank-atlas-project.qdpx", 0, 0, 0, 0, []),
])
def test_every_sample_project_imports(tmp_path, sample, documents, segments, codings_n, codes, coders):
    project, report = _import(tmp_path, SAMPLES / sample)
    assert len(project.documents()) == documents == report.documents_new
    assert len(project.segments()) == segments == report.segments
    assert len(codings.decisions_for(project.con)) == codings_n == report.codings_added
    assert codings.coders(project.con) == coders
    assert (len(project.codebook().codes) if codes else project.store.codebook_source()) == (codes or None)
    assert all(r.origin == "imported" and r.status == "accepted" for r in codings.decisions_for(project.con))


def test_qc_demo_codings_land_on_its_selections(tmp_path):
    project, report = _import(tmp_path, SAMPLES / "qc_demo.qdpx")
    assert any("board_2017.txt" in r and "not internal://" in r for r in report.repairs)
    doc = project.document("board_2017.txt")
    text = project.store.document_text(doc.id)
    with zipfile.ZipFile(SAMPLES / "qc_demo.qdpx") as zf:
        raw = zf.read("sources/board_2017.txt").decode("utf-8")
    assert text == raw.replace("\r\n", "\n")
    segs = {s.id: s for s in project.segments(document=doc.id)}
    spans = {(segs[d.segment_id].start, segs[d.segment_id].end) for d in codings.decisions_for(project.con)
             if d.segment_id in segs}
    assert (320, 400) in spans and (474, 552) in spans  # the first two selections of the file, as written


def test_nvivo_sources_without_text_are_named_and_skipped(tmp_path):
    _, report = _import(tmp_path, SAMPLES / "nvivo_project.qdpx")
    skipped = [w for w in report.warnings if "has no text" in w]
    assert len(skipped) == 2 and all(".docx" in w for w in skipped)
    assert not any("sources folder is named" in r for r in report.repairs)


@pytest.mark.parametrize("sample, codes, aspects, repair", [
    ("atlasti_win23_codebook_from_requal_tests.qdc", 1, 0, "set(s) of codes"),
    ("spec_example_A1_codebook.qdc", 6, 0, None),
    ("taguette_codebook_from_tests_INVALID.qdc", 3, 0, "empty <Sets/>"),
])
def test_every_sample_codebook_imports(tmp_path, sample, codes, aspects, repair):
    from qualcode.coding.codebook import load_codebook

    report = import_codebook(SAMPLES / sample, tmp_path / "cb.yaml")
    cb = load_codebook(tmp_path / "cb.yaml")
    assert len(cb.codes) == codes == report.codes and report.aspects == aspects
    if repair:
        assert any(repair in r for r in report.repairs)
    if sample.startswith("spec"):
        assert [c.label for c in cb.codes][:3] == ["Topics", "Economy", "Health care"]
        assert cb.code("Economy").color == "#ffff00"
        assert cb.code("Economy").definition.includes == "Anything about jobs or taxes or business"


def test_a_reimport_is_recognised_and_changes_nothing(tmp_path):
    project = Project.init(tmp_path / "p.qualcode")
    project.close()
    runner = CliRunner()
    args = ["import", str(SAMPLES / "qc_demo.qdpx"), "--project", str(tmp_path / "p.qualcode")]
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "imported qc_demo.qdpx: 2 new documents, 366 segments, 33 cases, 205 codings (per coder: cp 205)" in r.output
    r = runner.invoke(main, args)
    assert r.exit_code == 0
    assert r.output.startswith("skipped  qc_demo.qdpx: already imported (")
    with Project.open(tmp_path / "p.qualcode") as project:
        assert len(project.documents()) == 2 and len(codings.decisions_for(project.con)) == 205


def test_imported_codings_are_decisions_in_the_log_and_undo_takes_them_back(tmp_path):
    project, report = _import(tmp_path, SAMPLES / "qc_demo.qdpx")
    log = codings.history(project.con, coder="cp")
    assert len(log) == 205 and {e.source for e in log} == {"qdpx"}
    project.undo("cp")
    assert codings.decisions_for(project.con, coder="cp") == []


# -- a file with every trap -----------------------------------------------------------------------
TEXT = "Interviewer: Hoe gaat het?\r\nMarieke: De werkdruk 😅 is hoog.\r\nMarieke: Maar AI helpt.\r\n"
NORMAL = TEXT.replace("\r\n", "\n")


def _trap_qde(positions: dict[str, tuple[int, int]], names: dict[str, str]) -> str:
    sel = "".join(
        f'<PlainTextSelection guid="{{{guid.upper()}}}" name="{names[guid]}" startPosition="{s}" endPosition="{e}">'
        f'<Coding guid="{guid[:-1]}f"><CodeRef targetGUID="{{AAAAAAAA-0000-0000-0000-00000000000{i}}}"/></Coding>'
        f'<NoteRef targetGUID="eeeeeeee-0000-0000-0000-00000000000{i}"/></PlainTextSelection>'
        for i, (guid, (s, e)) in enumerate(positions.items(), start=1))
    notes = "".join(f'<Note guid="EEEEEEEE-0000-0000-0000-00000000000{i}" name="n">'
                    f'<PlainTextContent>memo {i}</PlainTextContent></Note>' for i in range(1, len(positions) + 1))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="traps" basePath="C:\\Users\\x\\Documents\\ATLAS.ti"
 creatingUserGUID="BBBBBBBB-0000-0000-0000-000000000001">
<Users><User guid="{{BBBBBBBB-0000-0000-0000-000000000001}}" name="Marloes"/></Users>
<CodeBook><Codes>
 <Code guid="{{AAAAAAAA-0000-0000-0000-000000000009}}" name="werkdruk" isCodable="true" color="rgb(224, 123, 57)">
  <Code guid="AAAAAAAA-0000-0000-0000-000000000001" name="kans" isCodable="true"/>
  <Code guid="aaaaaaaa-0000-0000-0000-000000000002" name="Risico" isCodable="true" color="e15759"/>
 </Code>
 <Code guid="AAAAAAAA-0000-0000-0000-000000000003" name="stress" isCodable="true"/>
</Codes></CodeBook>
<Sources><TextSource guid="CCCCCCCC-0000-0000-0000-000000000001" name="interview.docx" plainTextPath="CCCCCCCC-0000-0000-0000-000000000001.txt">
{sel}</TextSource></Sources>
<Notes>{notes}</Notes>
<Sets/>
</Project>"""


GUIDS = ["dddddddd-0000-0000-0000-000000000001", "dddddddd-0000-0000-0000-000000000002",
         "dddddddd-0000-0000-0000-000000000003"]


def _span(quote: str) -> tuple[int, int]:
    s = NORMAL.index(quote)
    return s, s + len(quote)


def test_a_file_with_every_trap_imports_with_each_repair_named(tmp_path):
    quotes = ["De werkdruk 😅 is hoog.", "Maar AI helpt.", "Hoe gaat het?"]
    # positions as some writers count them: CRLF as one character, after a BOM counted as one
    positions = {g: (s + 1, e + 1) for g, (s, e) in zip(GUIDS, map(_span, quotes))}
    qde = _trap_qde(positions, dict(zip(GUIDS, quotes)))
    file = make_qdpx(tmp_path / "traps.qdpx", qde, {
        "Sources/CCCCCCCC-0000-0000-0000-000000000001.txt": codecs.BOM_UTF8 + TEXT.encode("utf-8")},
        qde_name="Traps project.qde")
    project, report = _import(tmp_path, file)
    text = "\n".join(report.repairs)
    for expected in ("'Traps project.qde', not 'project.qde'", "named 'Sources'", "not internal://",
                     "starts with a BOM", "count the BOM as a character and count CR+LF as one character",
                     "braces", "upper case", "empty <Sets/>", "basePath", "colour 'rgb(224, 123, 57)' read as #e07b39",
                     "without creatingUser"):
        assert expected in text, expected
    # "Hoe gaat het?" is the interviewer's: the coding is kept, and said to be on a turn not coded in qualcode
    assert report.warnings == ("traps.qdpx: 1 coding(s) on interviewer turns or title blocks; kept, but such segments "
                               "are not coded in qualcode (pass --interviewer with the right labels if the speaker is "
                               "a respondent)",)
    doc = project.documents()[0]
    assert project.store.document_text(doc.id) == NORMAL
    segs = {s.id: s for s in project.segments()}
    got = sorted((segs[d.segment_id].text, d.code, d.direction, d.coder) for d in codings.decisions_for(project.con))
    assert got == sorted([("De werkdruk 😅 is hoog.", "werkdruk", "opportunity", "Marloes"),
                          ("Maar AI helpt.", "werkdruk", "risk", "Marloes"),
                          ("Hoe gaat het?", "stress", "none", "Marloes")])
    assert sorted(codings.memos(project.con).values()) == ["memo 1", "memo 2", "memo 3"]
    assert project.codebook().code("werkdruk").color == "#e07b39"


def test_positions_that_do_not_read_their_quote_are_moved_and_named(tmp_path):
    quotes = ["De werkdruk 😅 is hoog.", "Maar AI helpt.", "Hoe gaat het?"]
    positions = {GUIDS[0]: _span(quotes[0]), GUIDS[1]: _span(quotes[1]), GUIDS[2]: (40, 52)}  # the last is wrong
    qde = _trap_qde(positions, dict(zip(GUIDS, quotes)))
    file = make_qdpx(tmp_path / "moved.qdpx", qde,
                     {"sources/CCCCCCCC-0000-0000-0000-000000000001.txt": TEXT.replace("\r\n", "\n").encode()})
    project, report = _import(tmp_path, file)
    [warning, interviewer] = report.warnings
    assert "1 coding(s) on interviewer turns" in interviewer
    assert f"selection {{{GUIDS[2].upper()}}} at 40-52" in warning and "does not read 'Hoe gaat het?'" in warning
    assert "kept on the nearest match at 13-26" in warning
    segs = {s.id: s for s in project.segments()}
    assert "Hoe gaat het?" in {segs[d.segment_id].text for d in codings.decisions_for(project.con)}


def test_codes_map_onto_the_projects_codebook_and_the_rest_is_listed(seeded, tmp_path):
    project, ids = seeded
    project.code(CODEBOOK)
    quotes = ["De werkdruk 😅 is hoog.", "Maar AI helpt.", "Hoe gaat het?"]
    qde = _trap_qde(dict(zip(GUIDS, map(_span, quotes))), dict(zip(GUIDS, quotes)))
    file = make_qdpx(tmp_path / "m.qdpx", qde, {"sources/x/CCCCCCCC-0000-0000-0000-000000000001.txt": NORMAL.encode()})
    r = CliRunner().invoke(main, ["import", str(file), "--project", str(project.path)])
    assert r.exit_code == 0, r.output
    assert r.output.rstrip().endswith("Codes not in the project's codebook, kept as imported codes (1): stress")
    got = sorted((d.code, d.direction) for d in codings.decisions_for(project.con, coder="Marloes"))
    assert got == [("stress", "none"), ("workload", "opportunity"), ("workload", "risk")]
    assert project.codebook().name == "werkbeleving"  # the project's codebook is not replaced


def test_own_export_coming_back_adds_to_the_same_documents_and_keeps_decisions(seeded, tmp_path):
    from qualcode.store.codings import Decision

    project, ids = seeded
    project.code(CODEBOOK)
    project.decide("anna", [Decision(ids[1], "add", "workload", "opportunity")])
    project.export_qdpx(tmp_path / "out.qdpx")
    project.decide("anna", [Decision(ids[1], "reject", "workload", "opportunity")])  # anna changes her mind
    before = len(project.segments())
    report = project.import_qdpx(tmp_path / "out.qdpx")
    assert report.documents_reused == 1 and report.documents_new == 0 and report.codings_kept == 1
    assert len(project.segments()) == before and len(project.documents()) == 1
    [row] = codings.decisions_for(project.con, coder="anna")
    assert row.status == "rejected"  # the file does not overwrite what anna decided since


def test_import_options_that_do_not_apply_are_refused(seeded, tmp_path):
    project, _ = seeded
    r = CliRunner().invoke(main, ["import", str(SAMPLES / "qc_demo.qdpx"), "--cases", "c.csv",
                                  "--project", str(project.path)])
    assert r.exit_code == 1
    assert r.output == ("Error: import a .qdpx file on its own (one per command; of the options only --study, "
                        "--interviewer and --max-unpacked-mb apply)\n")


# -- safety -----------------------------------------------------------------------------------
MINIMAL = '<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="x"/>'


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


XXE = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                    for i in range(1, 10))
          + ']><Project xmlns="urn:QDA-XML:project:1.0" name="&lol9;"/>')


@pytest.mark.parametrize("case, entries, message", [
    ("zip slip", [("project.qde", MINIMAL.encode()), ("../../evil.txt", b"x")],
     "member '../../evil.txt' points outside the archive ('..'); refused (path traversal)"),
    ("absolute member", [("project.qde", MINIMAL.encode()), ("/etc/cron.d/x", b"x")],
     "member '/etc/cron.d/x' is an absolute path; refused (path traversal)"),
    ("zip bomb", [("project.qde", b"<" + b" " * (20 * 1024**2) + b"/>")],
     "member 'project.qde' expands"),
    ("XXE", [("project.qde", XXE.encode())], "project.qde: declares a DTD or entities"),
    ("billion laughs", [("project.qde", LAUGHS.encode())], "project.qde: declares a DTD or entities"),
    ("no project", [("readme.txt", b"hi")], "no project.qde inside; this is not a REFI-QDA project (.qdpx)"),
])
def test_malicious_files_are_refused_with_one_line_and_the_project_unchanged(seeded, tmp_path, case, entries, message):
    project, _ = seeded
    file = tmp_path / "bad.qdpx"
    file.write_bytes(_zip(entries))
    before = dump(project)
    db_before = hashlib.sha256(Path(project.path).read_bytes()).hexdigest()
    r = CliRunner().invoke(main, ["import", str(file), "--project", str(project.path)])
    assert r.exit_code == 1, r.output
    assert r.output.count("\n") == 1 and r.output.startswith("Error: bad.qdpx: ")
    assert message in r.output
    assert "Traceback" not in r.output
    assert dump(project) == before
    assert hashlib.sha256(Path(project.path).read_bytes()).hexdigest() == db_before


def test_too_many_members_is_refused(seeded, tmp_path):
    project, _ = seeded
    entries = [("project.qde", MINIMAL.encode())] + [(f"sources/{i}.txt", b"") for i in range(10_001)]
    file = tmp_path / "many.qdpx"
    file.write_bytes(_zip(entries))
    r = CliRunner().invoke(main, ["import", str(file), "--project", str(project.path)])
    assert r.exit_code == 1
    assert r.output == "Error: many.qdpx: holds 10002 members (the limit is 10000); refused as a possible zip bomb\n"


def test_not_a_zip_and_a_damaged_qde_are_one_line(seeded, tmp_path):
    project, _ = seeded
    (tmp_path / "plain.qdpx").write_text("hello")
    r = CliRunner().invoke(main, ["import", str(tmp_path / "plain.qdpx"), "--project", str(project.path)])
    assert r.exit_code == 1 and r.output == (
        "Error: plain.qdpx: not a .qdpx file (it is not a zip archive); export the project again as REFI-QDA (.qdpx)\n")
    make_qdpx(tmp_path / "broken.qdpx", "<Project><Sources>")
    r = CliRunner().invoke(main, ["import", str(tmp_path / "broken.qdpx"), "--project", str(project.path)])
    assert r.exit_code == 1 and r.output.startswith("Error: broken.qdpx: project.qde: not well-formed XML (line 1")


def test_codebook_import_refuses_entities_too(tmp_path):
    (tmp_path / "x.qdc").write_text(XXE.replace("Project", "CodeBook"))
    r = CliRunner().invoke(main, ["codebook", "import", str(tmp_path / "x.qdc")])
    assert r.exit_code == 1 and r.output.startswith("Error: x.qdc: declares a DTD or entities")


def test_an_nvivo_docx_source_with_an_empty_txt_is_read_from_the_docx(tmp_path):
    import docx

    word = docx.Document()
    word.add_paragraph("Interviewer: Wat doet AI?")
    word.add_paragraph("Sanne: Het scheelt nakijkwerk.")
    word.add_paragraph("Interviewer: En verder?")
    word.add_paragraph("Sanne: Meer tijd.")
    buf = io.BytesIO()
    word.save(buf)
    qde = ('<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="nv"><Sources>'
           '<TextSource guid="d097e6fd-7671-4d95-a8b6-7795fa4a72e1" name="Sanne" '
           'plainTextPath="internal://d097e6fd-7671-4d95-a8b6-7795fa4a72e1.txt" '
           'richTextPath="internal://d097e6fd-7671-4d95-a8b6-7795fa4a72e1.docx"/></Sources></Project>')
    file = make_qdpx(tmp_path / "nv.qdpx", qde, {"sources/d097e6fd-7671-4d95-a8b6-7795fa4a72e1.txt": b"\n",
                                                 "sources/d097e6fd-7671-4d95-a8b6-7795fa4a72e1.docx": buf.getvalue()})
    project, report = _import(tmp_path, file, study="wave-0")
    assert any("plain text is empty; read the text of its .docx" in r for r in report.repairs)
    [doc] = project.documents()
    assert doc.study == "wave-0" and doc.name == "Sanne"
    assert project.store.document_text(doc.id) == ("Interviewer: Wat doet AI?\nSanne: Het scheelt nakijkwerk.\n"
                                                   "Interviewer: En verder?\nSanne: Meer tijd.")
    assert [(s.speaker, s.to_code, s.text) for s in project.segments()][:2] == [
        ("Interviewer", False, "Wat doet AI?"), ("Sanne", True, "Het scheelt nakijkwerk.")]


def test_an_external_source_is_named_and_not_read(tmp_path):
    qde = ('<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="ext" basePath="C:/PROJECT">'
           '<Sources><TextSource guid="d097e6fd-7671-4d95-a8b6-7795fa4a72e1" name="Robert" '
           'plainTextPath="absolute:///etc/passwd"/></Sources></Project>')
    project, report = _import(tmp_path, make_qdpx(tmp_path / "ext.qdpx", qde))
    assert project.documents() == []
    assert any("'absolute:///etc/passwd' is an external file, not inside the .qdpx" in w for w in report.warnings)


def test_empty_codes_are_repaired_in_a_project_and_refused_as_a_codebook(tmp_path):
    qde = ('<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="e"><CodeBook><Codes/></CodeBook>'
           '<Sets/></Project>')
    project, report = _import(tmp_path, make_qdpx(tmp_path / "e.qdpx", qde))
    assert any("empty <Codes/>" in r for r in report.repairs) and any("empty <Sets/>" in r for r in report.repairs)
    assert project.store.codebook_source() is None
    (tmp_path / "e.qdc").write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
    r = CliRunner().invoke(main, ["codebook", "import", str(tmp_path / "e.qdc")])
    assert r.exit_code == 1
    assert r.output.endswith("Error: e.qdc: holds no codes, so there is no codebook to make\n")


def test_a_selection_with_white_space_around_its_quote_is_not_moved(tmp_path):
    text = "Sanne:   Het scheelt nakijkwerk.  \n"
    qde = ('<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="w">'
           '<Users><User guid="bbbbbbbb-0000-0000-0000-000000000001" name="u"/></Users>'
           '<CodeBook><Codes><Code guid="aaaaaaaa-0000-0000-0000-000000000001" name="c" isCodable="true"/></Codes>'
           '</CodeBook><Sources><TextSource guid="cccccccc-0000-0000-0000-000000000001" name="w" '
           'plainTextPath="internal://cccccccc-0000-0000-0000-000000000001.txt">'
           '<PlainTextSelection guid="dddddddd-0000-0000-0000-000000000001" name="Het scheelt nakijkwerk." '
           'startPosition="6" endPosition="34" creatingUser="bbbbbbbb-0000-0000-0000-000000000001">'
           '<Coding guid="dddddddd-0000-0000-0000-000000000002">'
           '<CodeRef targetGUID="aaaaaaaa-0000-0000-0000-000000000001"/></Coding></PlainTextSelection>'
           '</TextSource></Sources></Project>')
    file = make_qdpx(tmp_path / "w.qdpx", qde, {"sources/cccccccc-0000-0000-0000-000000000001.txt": text.encode()})
    project, report = _import(tmp_path, file)
    assert report.warnings == ()
    [row] = codings.decisions_for(project.con)
    seg = project.segment(row.segment_id)
    assert (seg.start, seg.end, row.coder) == (6, 34, "u")


def test_atlas_ti_crlf_counts_as_one_and_a_qualcoder_memo_in_the_description_is_kept(tmp_path):
    text = "Interviewer: Hoe gaat het?\r\nMarieke: De werkdruk is hoog.\r\n"
    start = NORMAL_A.index("De werkdruk")
    qde = ('<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="a" origin="ATLAS.ti Win 23.4.0">'
           '<Users><User guid="bbbbbbbb-0000-0000-0000-000000000001" name="Enric"/></Users>'
           '<CodeBook><Codes><Code guid="aaaaaaaa-0000-0000-0000-000000000001" name="c" isCodable="true"/></Codes>'
           '</CodeBook><Sources><TextSource guid="cccccccc-0000-0000-0000-000000000001" name="a" '
           'plainTextPath="internal://cccccccc-0000-0000-0000-000000000001.txt">'
           f'<PlainTextSelection guid="dddddddd-0000-0000-0000-000000000001" name="" startPosition="{start}" '
           f'endPosition="{start + 19}" creatingUser="bbbbbbbb-0000-0000-0000-000000000001">'
           '<Description>waarom zo hoog?</Description><Coding guid="dddddddd-0000-0000-0000-000000000002">'
           '<CodeRef targetGUID="aaaaaaaa-0000-0000-0000-000000000001"/></Coding></PlainTextSelection>'
           '</TextSource></Sources></Project>')
    file = make_qdpx(tmp_path / "a.qdpx", qde, {"sources/cccccccc-0000-0000-0000-000000000001.txt": text.encode()})
    project, report = _import(tmp_path, file)
    assert any("counted as one character by ATLAS.ti" in r for r in report.repairs)
    [row] = codings.decisions_for(project.con)
    assert project.segment(row.segment_id).text == "De werkdruk is hoog"
    assert codings.memos(project.con) == {(row.segment_id, "Enric"): "waarom zo hoog?"}


NORMAL_A = "Interviewer: Hoe gaat het?\nMarieke: De werkdruk is hoog.\n"


def test_a_zip_bomb_inside_a_docx_source_is_refused(seeded, tmp_path):
    project, _ = seeded
    inner = _zip([("word/document.xml", b" " * (20 * 1024**2))])
    qde = ('<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="b"><Sources>'
           '<TextSource guid="d097e6fd-7671-4d95-a8b6-7795fa4a72e1" name="x" '
           'plainTextPath="internal://d097e6fd-7671-4d95-a8b6-7795fa4a72e1.txt" '
           'richTextPath="internal://d097e6fd-7671-4d95-a8b6-7795fa4a72e1.docx"/></Sources></Project>')
    file = make_qdpx(tmp_path / "bomb.qdpx", qde, {"sources/d097e6fd-7671-4d95-a8b6-7795fa4a72e1.txt": b"",
                                                   "sources/d097e6fd-7671-4d95-a8b6-7795fa4a72e1.docx": inner})
    before = dump(project)
    r = CliRunner().invoke(main, ["import", str(file), "--project", str(project.path)])
    assert r.exit_code == 1
    assert r.output.startswith("Error: bomb.qdpx: member 'sources/d097e6fd-7671-4d95-a8b6-7795fa4a72e1.docx': "
                               "member 'word/document.xml' expands")
    assert dump(project) == before


def test_users_who_are_coders_already_are_named(seeded, tmp_path):
    from qualcode.store.codings import Decision

    project, ids = seeded
    project.code(CODEBOOK)
    project.decide("anna", [Decision(ids[1], "add", "workload", "opportunity")])
    project.export_qdpx(tmp_path / "out.qdpx")
    other = Project.init(tmp_path / "other.qualcode")
    other.import_qdpx(tmp_path / "out.qdpx")
    other.decide("anna", [Decision(other.segments(only_to_code=True)[2].id, "add", "workload", "risk")])
    other.export_qdpx(tmp_path / "back.qdpx")
    report = project.import_qdpx(tmp_path / "back.qdpx")
    assert any("user(s) 'anna' are coders of this project already" in w for w in report.warnings)
    assert report.codings == {"anna": 1} and report.codings_kept == 1 and report.documents_reused == 1
    got = sorted((project.segment(r.segment_id).id, r.code, r.direction)
                 for r in codings.decisions_for(project.con, coder="anna"))
    assert got == [(ids[1], "workload", "opportunity"), (ids[3], "workload", "risk")]


def test_interviewer_labels_apply_to_a_qdpx_import(tmp_path):
    Project.init(tmp_path / "p.qualcode").close()
    r = CliRunner().invoke(main, ["import", str(SAMPLES / "qc_demo.qdpx"), "--interviewer", "Max Bigman",
                                  "--project", str(tmp_path / "p.qualcode")])
    assert r.exit_code == 0, r.output
    with Project.open(tmp_path / "p.qualcode") as project:
        max_turns = [s for s in project.segments() if s.speaker == "Max Bigman" and s.kind == "turn"]
        assert max_turns and not any(s.to_code for s in max_turns)
        assert all(s.to_code for s in project.segments() if s.speaker == "Automation")


def test_names_that_are_labels_do_not_move_codings(tmp_path):
    text = "Interviewer: Data?\nMarieke: Ik heb data en nog meer data hier.\n"
    sels = "".join(
        f'<PlainTextSelection guid="dddddddd-0000-0000-0000-00000000000{i}" name="data" startPosition="{s}" '
        f'endPosition="{e}" creatingUser="bbbbbbbb-0000-0000-0000-000000000001"><Coding guid="eeeeeeee-0000-0000-'
        f'0000-00000000000{i}"><CodeRef targetGUID="aaaaaaaa-0000-0000-0000-000000000001"/></Coding>'
        '</PlainTextSelection>' for i, (s, e) in enumerate([(28, 31), (32, 60)], start=1))
    qde = ('<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="l">'
           '<Users><User guid="bbbbbbbb-0000-0000-0000-000000000001" name="u"/></Users>'
           '<CodeBook><Codes><Code guid="aaaaaaaa-0000-0000-0000-000000000001" name="c" isCodable="true"/></Codes>'
           '</CodeBook><Sources><TextSource guid="cccccccc-0000-0000-0000-000000000001" name="l" '
           f'plainTextPath="internal://cccccccc-0000-0000-0000-000000000001.txt">{sels}</TextSource></Sources></Project>')
    file = make_qdpx(tmp_path / "l.qdpx", qde, {"sources/cccccccc-0000-0000-0000-000000000001.txt": text.encode()})
    project, report = _import(tmp_path, file)
    assert any("the names are taken as labels, the positions as written" in w for w in report.warnings)
    spans = sorted((project.segment(r.segment_id).start, project.segment(r.segment_id).end)
                   for r in codings.decisions_for(project.con))
    assert spans == [(28, 31), (32, 60)]


def test_a_project_coded_elsewhere_gets_the_same_matrix(seeded, tmp_path):
    from qualcode.store.codings import Decision

    project, ids = seeded
    project.code(CODEBOOK)
    project.decide("anna", [Decision(ids[1], "add", "workload", "opportunity"),
                            Decision(ids[2], "add", "interaction", "risk"),
                            Decision(ids[3], "add", "autonomy", "opportunity"),
                            Decision(ids[4], "add", "workload", "risk")])
    runner = CliRunner()
    out = tmp_path / "wave.qdpx"
    r = runner.invoke(main, ["export", "qdpx", str(out), "--project", str(project.path)])
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"Wrote {out}: 1 sources, 2 cases, 12 codes, 4 codings by anna, 0 memos.\n")
    r = runner.invoke(main, ["init", str(tmp_path / "elsewhere.qualcode")])
    assert r.exit_code == 0
    r = runner.invoke(main, ["import", str(out), "--project", str(tmp_path / "elsewhere.qualcode")])
    assert r.exit_code == 0, r.output
    assert "Codebook 'test' made from the file's codes" in r.output
    matrices = [runner.invoke(main, ["matrix", "--coder", "anna", "--format", "csv", "--project", str(p)]).output
                for p in (project.path, tmp_path / "elsewhere.qualcode")]
    assert matrices[0] == matrices[1] and "werkdruk" in matrices[0]


def test_codebook_import_reads_the_codebook_of_a_qdpx(tmp_path):
    from qualcode.coding.codebook import Codebook

    r = CliRunner().invoke(main, ["codebook", "import", str(SAMPLES / "nvivo_project.qdpx")])
    assert r.exit_code == 0, r.output
    cb = Codebook.from_text(r.stdout)
    assert len(cb.codes) == 262
    # NVivo has 'programming' under two parents: two codes with their own ids, the same label
    programming = [c for c in cb.codes if c.label == "programming"]
    assert len(programming) == 2 and len({c.id for c in programming}) == 2
    assert {cb.code(c.parent).label for c in programming} == {"competencies", "cs_as_programming"}
