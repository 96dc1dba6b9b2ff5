"""Broken and hostile input files: each is refused with one clear line (file, row or line, the fix) and the
project unchanged, or read exactly as meant; never a traceback, never a silent guess.

One list of cases per class of fault (containers, encodings, table structure, subtitles, cases files,
codebooks), run by one parametrized test through the CLI (see conftest.run_fault). The zip bombs are
also measured in a subprocess: refused within 2 s and under 200 MB of memory.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import pytest

from tests.faults.conftest import (
    TEMPLATES,
    Accepted,
    Fault,
    Refused,
    assert_clean_refusal,
    invoke,
    minimal_docx,
    minimal_xlsx,
    new_project,
    project_digest,
    run_fault,
    segment_count,
    zip_with_bomb,
)

GB = 1024**3
MB = 1024**2
ROOT = Path(__file__).resolve().parents[2]


def _write(name: str, content: bytes | str, *extra: str):
    """A builder: write ``content`` to ``name`` in the test folder, import it with ``extra`` options."""
    def build(tmp: Path) -> list[str]:
        path = tmp / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return ["import", str(path), *extra]
    return build


def _bomb(suffix: str, size: int, *extra: str, declared: int | None = None, member: str = "media/zeros.bin"):
    def build(tmp: Path) -> list[str]:
        path = tmp / f"bomb{suffix}"
        path.write_bytes(zip_with_bomb(TEMPLATES[suffix](), member, size, declared=declared))
        return ["import", str(path), *extra]
    return build


def _rezipped(suffix: str, change):
    """A container built from a valid template with ``change(members)`` applied to its {name: bytes}."""
    def build(tmp: Path) -> list[str]:
        with zipfile.ZipFile(io.BytesIO(TEMPLATES[suffix]())) as source:
            members = {info.filename: source.read(info) for info in source.infolist()}
        members = change(members)
        path = tmp / f"bad{suffix}"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for name, data in members.items():
                target.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
        return ["import", str(path)]
    return build


def _with(extra: dict[str, bytes]):
    return lambda members: {**members, **extra}


def _laughs(members: dict[str, bytes]) -> dict[str, bytes]:
    name = next(n for n in members if n in ("word/document.xml", "xl/workbook.xml", "content.xml"))
    body = members[name].split(b"?>", 1)[-1]
    doctype = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
               + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1)) * 10) for i in range(1, 10))
               + b"]>")
    return {**members, name: doctype + body}


def _truncated(suffix: str):
    def build(tmp: Path) -> list[str]:
        data = TEMPLATES[suffix]()
        path = tmp / f"cut{suffix}"
        path.write_bytes(data[: len(data) // 2])
        return ["import", str(path)]
    return build


def _many_members(tmp: Path) -> list[str]:
    path = tmp / "many.docx"
    with zipfile.ZipFile(io.BytesIO(minimal_docx())) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as target:
        for name, data in members.items():
            target.writestr(name, data)
        for i in range(10_001):
            target.writestr(f"customXml/item{i}.bin", b"")
    return ["import", str(path)]


def _duplicate(path: Path) -> list[str]:
    import warnings

    with zipfile.ZipFile(io.BytesIO(minimal_docx())) as source:
        members = [(info.filename, source.read(info)) for info in source.infolist()]
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as target:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
        for name, data in members:
            target.writestr(name, data)
        target.writestr("word/document.xml", b"<w:document/>")
    return ["import", str(path)]


def _empty_zip(path: Path) -> list[str]:
    zipfile.ZipFile(path, "w").close()
    return ["import", str(path)]


_QDE = ('<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="bom"><Sources>'
        '<TextSource guid="d097e6fd-7671-4d95-a8b6-7795fa4a72e1" name="Sanne" '
        'plainTextPath="internal://d097e6fd-7671-4d95-a8b6-7795fa4a72e1.txt"/></Sources></Project>')


def _qdpx_bomb(size: int, declared: int | None = None):
    """A REFI-QDA project whose one source text is ``size`` zero bytes (its header says ``declared``)."""
    def build(tmp: Path) -> list[str]:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("project.qde", _QDE)
        path = tmp / "bomb.qdpx"
        path.write_bytes(zip_with_bomb(buffer.getvalue(), "sources/d097e6fd-7671-4d95-a8b6-7795fa4a72e1.txt", size,
                                       declared=declared))
        return ["import", str(path)]
    return build


def _qdpx_compressible(*extra: str):
    """A REFI-QDA project whose one source is 1.3 MB of real (repetitive) text: it expands over 100 times."""
    def build(tmp: Path) -> list[str]:
        text = ("Interviewer: Hoe gaat het met de werkdruk?\nR1: " + "Het scheelt tijd, maar het is veel werk. " * 50
                + "\n") * 600
        path = tmp / "big.qdpx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            archive.writestr("project.qde", _QDE)
            archive.writestr("sources/d097e6fd-7671-4d95-a8b6-7795fa4a72e1.txt", text)
        return ["import", str(path), *extra]
    return build


def _pdf_bomb(tmp: Path) -> list[str]:
    """A one-page PDF whose content stream inflates to 90 MB (pypdf stops at 75 MB a stream)."""
    stream = zlib.compress(b"BT /F1 12 Tf 72 712 Td (" + b" " * (90 * MB) + b") Tj ET", 1)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    (tmp / "bomb.pdf").write_bytes(out)
    return ["import", str(tmp / "bomb.pdf")]


CONTAINERS = [
    Fault("pdf whose page inflates to 90 MB", _pdf_bomb,
          Refused("bomb.pdf: a compressed stream in the PDF inflates to more than 50 MB", "zip bomb",
                  "--max-unpacked-mb 100"), marks=(pytest.mark.slow,)),
    Fault("qdpx whose source is a 1 GB bomb", _qdpx_bomb(GB),
          Refused("bomb.qdpx: member", "is 1024 MB", "refused", "--max-unpacked-mb 1025")),
    Fault("qdpx whose source expands 1000 times", _qdpx_bomb(200 * MB),
          Refused("bomb.qdpx: member", "expands", "--max-unpacked-mb")),
    Fault("qdpx of 3 GB", _qdpx_bomb(16 * MB, declared=3 * GB),
          Refused("bomb.qdpx: would expand to 3072 MB", "--max-unpacked-mb 4096")),
    Fault("qdpx of repetitive text expands over 100 times", _qdpx_compressible(),
          Refused("big.qdpx: member", "expands", "--max-unpacked-mb")),
    Fault("trusted qdpx with --max-unpacked-mb", _qdpx_compressible("--max-unpacked-mb", "10"),
          Accepted(segments=1200, text_has=("Het scheelt tijd",))),
    *(Fault(f"bomb 1 GB {s}", _bomb(s, GB), Refused(f"bomb{s}: would expand to 1024 MB", "--max-unpacked-mb"))
      for s in TEMPLATES),
    *(Fault(f"lying header {s}", _bomb(s, 64 * MB, declared=1000), Refused(f"bomb{s}", "does not inflate to what its header"))
      for s in TEMPLATES),
    *(Fault(f"ratio bomb under the total {s}", _bomb(s, 200 * MB), Refused("expands", "times", "--max-unpacked-mb"))
      for s in TEMPLATES),
    *(Fault(f"billion laughs {s}", _rezipped(s, _laughs), Refused(f"bad{s}", "declares a DTD or entities"))
      for s in TEMPLATES),
    *(Fault(f"zip slip {s}", _rezipped(s, _with({"../../evil.txt": b"x"})), Refused("'../../evil.txt'", "path"))
      for s in TEMPLATES),
    *(Fault(f"absolute member {s}", _rezipped(s, _with({"/etc/evil": b"x"})), Refused("is an absolute path"))
      for s in TEMPLATES),
    *(Fault(f"truncated {s}", _truncated(s), Refused(f"cut{s}")) for s in TEMPLATES),
    Fault("10001 members", _many_members, Refused("many.docx: holds", "members (the limit is 10000)")),
    Fault("utf-16 xml member", _rezipped(".docx", lambda m: {**m, "word/extra.xml": "<a/>".encode("utf-16")}),
          Refused("is not UTF-8 XML")),
    Fault("two members with one name", lambda tmp: _duplicate(tmp / "dup.docx"),
          Refused("dup.docx: holds two members called 'word/document.xml'")),
    Fault("an empty zip as .docx", lambda tmp: _empty_zip(tmp / "leeg.docx"), Refused("leeg.docx", "Word")),
    Fault("a .docx named .txt", lambda tmp: (tmp / "int.txt").write_bytes(minimal_docx()) and
          ["import", str(tmp / "int.txt")], Refused("int.txt: is a zip archive")),
    Fault("an .xlsx named .csv", lambda tmp: (tmp / "t.csv").write_bytes(minimal_xlsx()) and
          ["import", str(tmp / "t.csv")], Refused("t.csv: is a zip archive")),
    Fault("an .rtf named .txt", _write("r.txt", "{\\rtf1\\ansi Interviewer: Vraag?\\par R1: Ja.}"),
          Refused("r.txt: is an RTF file")),
    Fault("text named .docx", _write("plain.docx", "Interviewer: hallo"), Refused("plain.docx: not a Word .docx")),
    Fault("text named .xlsx", _write("plain.xlsx", "id,antwoord"), Refused("plain.xlsx: not an Excel .xlsx")),
    Fault("text named .odt", _write("plain.odt", "hallo"), Refused("plain.odt: not an OpenDocument .odt")),
    Fault("trusted large file with --max-unpacked-mb", _bomb(".docx", 300 * MB, "--max-unpacked-mb", "400"),
          Accepted(segments=2, text_has=("Goed.",))),
]

UTF8_ROW = "2,Eén keer per week,A\n".encode()
CP1252_ROW = "3,Café dicht,B\n".encode("cp1252")

def _merged_cases(tmp: Path) -> list[str]:
    import openpyxl

    (tmp / "int.txt").write_text("Interviewer: Wat vindt u?\nR1: Het scheelt tijd.\nR2: Meer werk.\n")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (("case_id", "speaker", "school"), ("R1", "R1", "De Linde"), ("R2", "R2", None)):
        sheet.append(list(row))
    sheet.merge_cells("C2:C3")
    workbook.save(tmp / "cases.xlsx")
    return ["import", str(tmp / "int.txt"), "--cases", str(tmp / "cases.xlsx")]


ENCODINGS = [
    Fault("mixed utf-8 and cp1252 rows", _write("mixed.csv", b"id,antwoord,groep\n" + UTF8_ROW + CP1252_ROW),
          Refused("mixed.csv, row 3 (line 3): not valid UTF-8", "row 2 (line 2) has UTF-8", "mixes two encodings",
                  "CSV UTF-8")),
    Fault("mixed encodings in a transcript", _write("mixed.txt", "Interviewer: Eén vraag\n".encode()
                                                    + "R1: Café\n".encode("cp1252")),
          Refused("mixed.txt, line 2: not valid UTF-8", "line 1 has UTF-8")),
    Fault("UTF-8 and cp1252 in one row", _write("same.csv", b"id,antwoord\n1,E\xc3\xa9n en caf\xe9\n"),
          Refused("same.csv, row 2 (line 2): not valid UTF-8 (byte 0xe9), but the same line has UTF-8")),
    Fault("cp1252 only is read as cp1252", _write("oud.csv", "id,antwoord\n1,Café dicht\n2,Één keer\n"
                                                  .encode("cp1252")),
          Accepted(segments=2, text_has=("Café dicht", "Één keer"))),
    Fault("NUL byte in a row", _write("nul.csv", b"id,antwoord,groep\n1,Goed,A\n2,Caf\x00 dicht,B\n"),
          Refused("nul.csv, row 3 (line 3): holds a NUL character")),
    Fault("NUL byte in a transcript", _write("nul.txt", b"Interviewer: Hoe gaat het met het werk?\nR1: Go\x00ed.\n"),
          Refused("nul.txt, line 2: holds a NUL character")),
    Fault("wrong --encoding", _write("latin.csv", "id,antwoord\n1,Goed\n2,Café\n".encode("cp1252"),
                                     "--encoding", "utf-8"),
          Refused("latin.csv, row 3 (line 3): not valid utf-8", "--encoding")),
    Fault("--encoding utf-16 on a UTF-8 file", _write("u8.txt", "Interviewer: Vraag?\nR1: Eén.\n", "--encoding",
                                                      "utf-16"),
          Refused("u8.txt: not utf-16 (it has no NUL bytes")),
    Fault("--encoding latin-1 on a UTF-8 file is noted", _write("u8.csv", "id,antwoord\n1,Eén keer\n", "--encoding",
                                                                "latin-1"),
          Accepted(segments=1, note="u8.csv: read as latin-1 (--encoding), but it is valid UTF-8")),
    Fault("unknown --encoding", _write("x.txt", "R1: hoi", "--encoding", "klingon"), Refused("klingon")),
    Fault("utf-16 with BOM", _write("u16.csv", "id,antwoord\n1,Eén keer\n".encode("utf-16")),
          Accepted(segments=1, text_has=("Eén keer",))),
    Fault("utf-16 without BOM", _write("u16.txt", "Interviewer: hoe gaat het\nR1: goed\n".encode("utf-16-le")),
          Refused("--encoding utf-16-le")),
    Fault("binary garbage", _write("noise.txt", bytes(range(256)) * 40), Refused("noise.txt", "binary")),
    Fault("empty file", _write("leeg.txt", b""), Refused("leeg.txt", "empty")),
    Fault("only a BOM", _write("bom.csv", b"\xef\xbb\xbf"), Refused("bom.csv")),
    Fault("UTF-8 mark, then Windows-1252", _write("bomx.csv", b"\xef\xbb\xbfid,antwoord\n1,Goed\n2,Caf\xe9\n"),
          Refused("bomx.csv, row 3 (line 3): not valid UTF-8 (byte 0xe9)", "UTF-8 mark")),
    Fault("file name not UTF-8", _write(os.fsdecode(b"naam\xff.txt"), "Interviewer: Vraag?\nR1: Ja.\n"),
          Refused("naam\\xff.txt: the file name is not valid UTF-8")),
    Fault("file name with a line break", _write("twee\nregels.txt", "Interviewer: Vraag?\nR1: Ja.\n"),
          Refused("twee\\nregels.txt: the file name holds a control character")),
]

def _merged_xlsx(path: Path, cells: str) -> list[str]:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (("id", "antwoord", "groep"), (1, "Het scheelt tijd.", "A"), (2, "Meer werk.", None)):
        sheet.append(list(row))
    sheet.merge_cells(cells)
    workbook.save(path)
    return ["import", str(path), "--text-column", "antwoord"]


TABLES = [
    Fault("unclosed quote to the end", _write("q.csv", 'id;antwoord;groep\n1;"Het scheelt tijd;A\n2;Nee;B\n3;Ja;C\n'),
          Refused("q.csv, row 2 (line 2)", "never closed")),
    Fault("unclosed quote closed by a later row", _write("q2.csv", 'id,antwoord,groep\n1,"Goed,A\n2,"Nee",B\n'),
          Refused("q2.csv, row 2 (line 2)", "quote")),
    Fault("text after a closing quote", _write("q3.csv", 'id,antwoord,groep\n1,"Goed" zei ze,A\n'),
          Refused("q3.csv, row 2", "closing quote")),
    Fault("a row with an extra cell", _write("r.csv", "id,antwoord,groep\n1,Het scheelt,A\n2,Fijn, maar lastig,B\n"),
          Refused("r.csv, row 3: 4 cells, but the header (row 1) has 3", "quotes")),
    Fault("a row with a cell missing", _write("r2.csv", "id,antwoord,groep\n1,Het scheelt,A\n2,Ik vind\n3,Ja,C\n"),
          Refused("r2.csv, row 3: 2 cells, but the header (row 1) has 3", "missing")),
    Fault("ragged semicolon table", _write("r3.csv", "id;antwoord;groep\n1;Goed;A;extra\n"),
          Refused("r3.csv, row 2: 4 cells", "';'")),
    Fault("trailing empty cells are fine", _write("t.csv", "id,antwoord,groep\n1,Goed,A,,\n2,Slecht,B\n"),
          Accepted(segments=2)),
    Fault("a quoted cell over several lines", _write("ml.csv", 'id,antwoord,groep\n1,"Eerst dit.\nDan dat.",A\n'
                                                     '2,"Hij zei ""ja"".",B\n'),
          Accepted(segments=2, text_has=("Eerst dit.\nDan dat.", 'Hij zei "ja".'))),
    Fault("two columns with one name", _write("dup.csv", "id,antwoord,antwoord\n1,a,b\n"),
          Refused("dup.csv, row 1: two columns are called 'antwoord'")),
    Fault("a title above the table", _write("title.csv", "Export enquête 2025\nid,antwoord\n1,Goed\n"),
          Refused("title.csv, row 1", "delete the lines above the header")),
    Fault("header only", _write("h.csv", "id,antwoord\n"), Refused("h.csv")),
    Fault("xlsx with merged data cells", lambda tmp: _merged_xlsx(tmp / "merged.xlsx", "C2:C3"),
          Accepted(segments=2, warning="merged.xlsx: merged cells (C2:C3)")),
    Fault("xlsx with a merged header is fine", lambda tmp: _merged_xlsx(tmp / "head.xlsx", "B1:C1"),
          Accepted(segments=2)),
    Fault("xlsx with an empty sheet", lambda tmp: (tmp / "leeg.xlsx").write_bytes(minimal_xlsx(())) and
          ["import", str(tmp / "leeg.xlsx")], Refused("leeg.xlsx", "empty")),
]

VTT_GLUED = """WEBVTT

1
00:00:01.000 --> 00:00:03.000 align:start position:10%
<v Anna>Het scheelt tijd.
2
00:00:04.000 --> 00:00:06.000 line:0
<v Bob>Dat klopt niet.
00:00:07.000 --> 00:00:09.000
<v Anna>Toch wel.
"""
SRT_GLUED = """1
00:00:01,000 --> 00:00:03,000
Anna: Het scheelt tijd.
2
00:00:04,000 --> 00:00:06,000
Bob: Dat klopt niet.
En verder.
3
00:00:07,000 --> 00:00:09,000
Anna: Toch wel.
"""
TIMING = ("-->", "00:00", "align:", "position:", "line:0")

SUBTITLES = [
    Fault("vtt without blank lines, with settings", _write("glued.vtt", VTT_GLUED),
          Accepted(segments=3, text_has=("Anna: Het scheelt tijd.", "Bob: Dat klopt niet.", "Anna: Toch wel."),
                   text_lacks=TIMING)),
    Fault("srt without blank lines", _write("glued.srt", SRT_GLUED),
          Accepted(segments=3, text_has=("Bob: Dat klopt niet. En verder.",), text_lacks=TIMING)),
    Fault("a number as the last text line is kept", _write("n.srt", "1\n00:00:01,000 --> 00:00:03,000\nAnna: Sinds\n"
                                                             "2025\n2\n00:00:04,000 --> 00:00:06,000\nBob: Ja.\n"),
          Accepted(segments=2, text_has=("Anna: Sinds 2025", "Bob: Ja."), text_lacks=TIMING)),
    Fault("vtt glued to its header, with cue numbers", _write("hn.vtt", "WEBVTT\n1\n00:00:01.000 --> 00:00:02.000\n"
                                                            "<v Anna>Ja.\n2\n00:00:03.000 --> 00:00:04.000\n"
                                                            "<v Bob>Nee.\n"),
          Accepted(segments=2, text_has=("Anna: Ja.\n\nBob: Nee.",), text_lacks=TIMING)),
    Fault("vtt header glued to the first cue", _write("head.vtt", "WEBVTT\n00:00:01.000 --> 00:00:02.000\n"
                                                      "<v Anna>Ja.\n00:00:03.000 --> 00:00:04.000\n<v Bob>Nee.\n"),
          Accepted(segments=2, text_lacks=TIMING)),
    Fault("timing without milliseconds", _write("noms.srt", "1\n00:00:01 --> 00:00:02\nAnna: Ja.\n\n2\n"
                                                 "00:00:03 --> 00:00:04\nBob: Nee.\n"),
          Accepted(segments=2, text_lacks=TIMING)),
    Fault("broken timing line", _write("broken.srt", "1\n00:00:01,000 --> 00:00:0x,000\nAnna: Ja.\n"),
          Refused("broken.srt, line 2: broken timing line")),
    Fault("vtt without header", _write("nohead.vtt", "00:00:01.000 --> 00:00:02.000\nJa.\n"),
          Refused("nohead.vtt, line 1: no WEBVTT header")),
    Fault("minutes of 60 or more", _write("m.srt", "1\n00:75:01,000 --> 00:75:02,000\nAnna: Ja.\n"),
          Refused("m.srt, line 2", "60 or more")),
    Fault("a cue that ends before it starts", _write("e.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nJa.\n"),
          Refused("e.vtt, line 3: the cue ends (00:00:01) before it starts (00:00:05)")),
    Fault("times going backwards are warned about", _write("b.vtt", "WEBVTT\n\n00:01:00.000 --> 00:01:02.000\n"
                                                         "<v Anna>Ja.\n\n00:00:10.000 --> 00:00:12.000\n<v Bob>Nee.\n"),
          Accepted(segments=2, warning="b.vtt: the cue at 00:00:10 comes after the one at 00:01:00")),
    Fault("subtitles without text", _write("leeg.srt", "1\n00:00:01,000 --> 00:00:02,000\n\n"), Refused("leeg.srt")),
]

TRANSCRIPT = "Interviewer: Wat vindt u?\nR1: Het scheelt tijd.\nInterviewer: En u?\nR2: Meer werk.\n"


def _cases(rows: str | bytes, *extra: str):
    def build(tmp: Path) -> list[str]:
        (tmp / "int.txt").write_text(TRANSCRIPT)
        (tmp / "cases.csv").write_bytes(rows.encode() if isinstance(rows, str) else rows)
        return ["import", str(tmp / "int.txt"), "--cases", str(tmp / "cases.csv"), *extra]
    return build


CASES = [
    Fault("one case, two groups", _cases("case_id,document,speaker,groep\nR1,int.txt,R1,A\nR2,int.txt,R2,B\n"
                                         "R1,other.txt,R1,C\n"),
          Refused("cases.csv, rows 2 and 4: case 'R1' has groep 'A' in row 2 and 'C' in row 4")),
    Fault("one case, two pseudonyms", _cases("case_id,speaker,pseudonym\nR1,R1,Docent 1\nR1,R1b,Docent 2\n"),
          Refused("rows 2 and 3", "pseudonym 'Docent 1'")),
    Fault("rows of one case that agree", _cases("case_id,document,speaker,groep\nR1,int.txt,R1,A\nR2,int.txt,R2,B\n"
                                                "R1,int.txt,R1,A\n"),
          Accepted(segments=4)),
    Fault("an interviewer case across studies", _cases("case_id,document,speaker,role,school_type\n"
                                                       "INT,int.txt,Interviewer,interviewer,vo\n"
                                                       "INT,other.txt,Interviewer,interviewer,po\n"),
          Accepted(segments=4)),
    Fault("xlsx cases file with merged cells", _merged_cases, Refused("cases.xlsx: merged cells")),
    Fault("one speaker, two cases", _cases("case_id,document,speaker\nR1,int.txt,R1\nR9,int.txt,R1\n"),
          Refused("cases.csv, row 3", "already case 'R1'")),
    Fault("cases file with a ragged row", _cases("case_id,document,speaker\nR1,int.txt,R1,extra\n"),
          Refused("cases.csv, row 2: 4 cells")),
    Fault("cases file with an unclosed quote", _cases('case_id,document,speaker\n"R1,int.txt,R1\n'),
          Refused("cases.csv, row 2", "never closed")),
    Fault("cases file mixing encodings", _cases("case_id,speaker,school\nR1,R1,Één\n".encode()
                                                + "R2,R2,Café\n".encode("cp1252")),
          Refused("cases.csv", "mixes two encodings")),
]


def _codebook_with(pattern: str):
    def build(tmp: Path) -> list[str]:
        source = (ROOT / "codebooks" / "werkbeleving.yaml").read_text(encoding="utf-8")
        start = source.index("compounds: [", source.index("- id: autonomy"))
        path = tmp / "evil.yaml"
        path.write_text(source[:start] + f'compounds: ["{pattern}", ' + source[start + len("compounds: ["):],
                        encoding="utf-8")
        return ["codebook", "check", str(path)]
    return build


def _codebook_text(text: str | bytes):
    def build(tmp: Path) -> list[str]:
        (tmp / "evil.yaml").write_bytes(text.encode() if isinstance(text, str) else text)
        return ["codebook", "check", str(tmp / "evil.yaml")]
    return build


LAUGHS_YAML = "codebook: x\nlanguage: nl\n" + "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else 'lol'}]\n" for i in range(9))

CODEBOOKS = [
    Fault("YAML alias bomb", _codebook_text(LAUGHS_YAML), Refused("evil.yaml:4:", "YAML alias", listing=True),
          with_project=False),
    Fault("YAML nested 5000 deep", _codebook_text("codebook: x\nlanguage: nl\ncodes: " + "[" * 5000 + "]" * 5000),
          Refused("evil.yaml:3:", "nested more than", listing=True), with_project=False),
    Fault("codebook not UTF-8", _codebook_text(b"codebook: caf\xe9\n"), Refused("evil.yaml"), with_project=False),
    Fault("exponential wildcard pattern", _codebook_with("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"),
          Refused("evil.yaml:", "code 'autonomy'", "has 16 '*'", listing=True), with_project=False),
    Fault("regex in a pattern", _codebook_with("(a+)+b"), Refused("evil.yaml:", "not regular expressions", listing=True),
          with_project=False),
]


ALL = CONTAINERS + ENCODINGS + TABLES + SUBTITLES + CASES + CODEBOOKS


@pytest.mark.parametrize("fault", [f.param() for f in ALL])
def test_input_fault(fault: Fault, tmp_path: Path) -> None:
    run_fault(fault, tmp_path)


def test_the_cases_cover_every_class() -> None:
    assert all(len(group) >= 5 for group in (CONTAINERS, ENCODINGS, TABLES, SUBTITLES, CASES))
    assert len({f.name for f in ALL}) == len(ALL)


def test_an_unreadable_subfolder_stops_a_folder_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, which reads everything: the refusal of the operating system is simulated."""
    folder = tmp_path / "interviews"
    (folder / "school-a").mkdir(parents=True)
    (folder / "school-b").mkdir()
    (folder / "school-a" / "int-1.txt").write_text("Interviewer: Vraag?\nR1: Antwoord.\n")
    (folder / "school-b" / "int-2.txt").write_text("Interviewer: Vraag?\nR2: Antwoord.\n")
    real_scandir = os.scandir

    def scandir(path=None):
        if path is not None and Path(path).name == "school-b":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    project = new_project(tmp_path)
    before = project_digest(project)
    result = invoke(["import", str(folder)], project)
    assert_clean_refusal(result, "school-b: cannot read this folder (Permission denied)", "chmod")
    assert project_digest(project) == before
    monkeypatch.setattr(os, "scandir", real_scandir)
    result = invoke(["import", str(folder)], project)
    assert result.exit_code == 0 and segment_count(project) == 4


def test_an_unreadable_file_in_a_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "int-1.txt").write_text("Interviewer: Vraag?\nR1: Antwoord.\n")
    locked = folder / "int-2.txt"
    locked.write_text("Interviewer: Vraag?\nR2: Antwoord.\n")
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "int-2.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    project = new_project(tmp_path)
    before = project_digest(project)
    assert_clean_refusal(invoke(["import", str(folder)], project), "int-2.txt: cannot be read (Permission denied)",
                         "read permission")
    assert project_digest(project) == before


# -- measured in a subprocess: time and peak memory of a refusal ---------------------------------
_MEASURE = textwrap.dedent("""
    import resource, sys, time
    from click.testing import CliRunner
    from qualcode.cli import main
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["import", sys.argv[1], "--project", sys.argv[2]])
    elapsed = time.perf_counter() - start
    try:  # the peak of this process's own memory: Linux carries ru_maxrss over from the parent (pytest) at exec
        peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(result.exit_code, f"{elapsed:.3f}", peak)
    print(result.output)
""")


@pytest.mark.slow  # a subprocess each (to measure its memory): 1-2 s
@pytest.mark.parametrize("suffix", list(TEMPLATES))
@pytest.mark.parametrize("declared", [None, 1000], ids=["honest", "lying"])
def test_a_zip_bomb_is_refused_fast_and_in_little_memory(tmp_path: Path, suffix: str, declared: int | None) -> None:
    bomb = tmp_path / f"bomb{suffix}"
    bomb.write_bytes(zip_with_bomb(TEMPLATES[suffix](), "media/zeros.bin", GB if declared is None else 256 * MB,
                                   declared=declared))
    assert bomb.stat().st_size < 4 * MB
    project = new_project(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(bomb), str(project)], capture_output=True, text=True,
                          timeout=60, env=env, check=True)
    status, elapsed, peak_kb = done.stdout.split("\n", 1)[0].split()
    assert status == "1", done.stdout
    assert "Error: bomb" in done.stdout and "Traceback" not in done.stdout + done.stderr
    assert float(elapsed) < 2.0, f"refused after {elapsed} s"
    assert int(peak_kb) < 200 * 1024, f"peak memory {int(peak_kb) // 1024} MB"


_LINEAR = textwrap.dedent("""
    import time
    from qualcode.coding.keywords.rules import CompoundIndex, GlobPattern
    word = "a" * 5000
    start = time.perf_counter()
    assert not GlobPattern("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b").match(word)
    assert GlobPattern("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b").match(word + "b")
    index = CompoundIndex()
    index.add("a*a*a*a*b", "rule")
    out = []
    for _ in range(100):
        index.match(word, out)
    assert out == []
    index.match(word + "b", out)
    assert out == ["rule"]
    print(f"{time.perf_counter() - start:.3f}")
""")


def test_wildcard_patterns_match_in_linear_time() -> None:
    """Even the pattern check refuses is matched quickly: no backtracking regex behind '*'."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _LINEAR], capture_output=True, text=True, timeout=5, env=env)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 1.0


@pytest.mark.parametrize("pattern, word, expected", [
    ("werk*druk", "werkdruk", True), ("werk*druk", "werkendruk", True), ("werk*druk", "werkdrukte", False),
    ("ab*ba", "aba", False), ("ab*ba", "abba", True), ("*werk*druk*", "hogewerkdrukte", True),
    ("a*b*c", "acb", False), ("a*b*c", "abc", True), ("a*b*c", "axxbyyc", True), ("*a*b", "xab", True),
])
def test_glob_pattern_matches_like_the_wildcard_it_replaces(pattern: str, word: str, expected: bool) -> None:
    import fnmatch

    from qualcode.coding.keywords.rules import GlobPattern

    assert GlobPattern(pattern).match(word) is expected
    assert fnmatch.fnmatchcase(word, pattern) is expected
