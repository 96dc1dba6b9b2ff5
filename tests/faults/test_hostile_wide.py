"""A wider hostile suite, one list per class of fault (issue 18, "a suite you have not seen"): containers,
encodings, table structure, subtitle timing, codebooks. Every case ends in one clear ``Error:`` line with the
project unchanged, or in a correct import whose stored text and segments are checked; never a traceback.
Memory stays bounded: the large inputs are refused (or read) in a subprocess under a memory limit.
"""
from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path
from typing import Callable

import pytest

from tests.faults.conftest import (
    TEMPLATES,
    Accepted,
    Fault,
    Refused,
    minimal_docx,
    new_project,
    run_fault,
    zip_with_bomb,
)

MB = 1024**2
GB = 1024**3
ROOT = Path(__file__).resolve().parents[2]
ANSWER = ("Het scheelt tijd.", "Goed.")  # what the templates hold (.xlsx: the first, .docx/.odt: the second)


def _write(name: str, content: bytes | str | Callable[[], bytes | str], *extra: str):
    """A builder: write ``content`` (or what ``content()`` makes, for large inputs: built when the case runs)."""
    def build(tmp: Path) -> list[str]:
        made = content() if callable(content) else content
        (tmp / name).write_bytes(made.encode() if isinstance(made, str) else made)
        return ["import", str(tmp / name), *extra]
    return build


def _members(suffix: str) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(TEMPLATES[suffix]())) as source:
        return {info.filename: source.read(info) for info in source.infolist()}


def _zip(name: str, members: list[tuple[zipfile.ZipInfo | str, bytes]], *extra: str, zip64: bool = False):
    def build(tmp: Path) -> list[str]:
        import warnings

        path = tmp / name
        with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            warnings.simplefilter("ignore")  # a duplicate name on purpose
            for info, data in members:
                if zip64:
                    with target.open(info if isinstance(info, zipfile.ZipInfo) else zipfile.ZipInfo(info), "w",
                                     force_zip64=True) as fh:
                        fh.write(data)
                else:
                    target.writestr(info, data)
        return ["import", str(path), *extra]
    return build


def _template_plus(suffix: str, extra: list[tuple[zipfile.ZipInfo | str, bytes]], name: str | None = None,
                   zip64: bool = False):
    return _zip(name or f"t{suffix}", [*_members(suffix).items(), *extra], zip64=zip64)


def _symlink(name: str, target: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix
    info.external_attr = (0o120777 << 16)  # a symbolic link
    return info, target


def _patched(suffix: str, member: str, patch):
    """A template whose zip bytes are changed by ``patch(data, local_header_offset, central_offset)``."""
    def build(tmp: Path) -> list[str]:
        data = bytearray(TEMPLATES[suffix]())
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
            info = archive.getinfo(member)
        patch(data, info.header_offset, _central_offset(bytes(data), member))
        path = tmp / f"p{suffix}"
        path.write_bytes(bytes(data))
        return ["import", str(path)]
    return build


def _central_offset(data: bytes, member: str) -> int:
    encoded = member.encode()
    at = data.index(b"PK\x05\x06")
    start = struct.unpack("<I", data[at + 16:at + 20])[0]
    while data[start:start + 4] == b"PK\x01\x02":
        length, extra, comment = struct.unpack("<3H", data[start + 28:start + 34])
        if data[start + 46:start + 46 + length] == encoded:
            return start
        start += 46 + length + extra + comment
    raise AssertionError(member)


def _encrypted(data: bytearray, local: int, central: int) -> None:
    """Set the 'encrypted' flag of the member in both headers."""
    for offset in (local + 6, central + 8):
        flags = struct.unpack("<H", data[offset:offset + 2])[0]
        data[offset:offset + 2] = struct.pack("<H", flags | 0x1)


def _absurd_size(data: bytearray, local: int, central: int) -> None:
    """Declare 4,000,000,000 bytes uncompressed in the central directory (no zip64 needed)."""
    data[central + 24:central + 28] = struct.pack("<I", 4_000_000_000)


def _nested_bomb() -> bytes:
    """A zip holding 1 GB of zeros: harmless as long as nobody unpacks it again."""
    return zip_with_bomb(minimal_docx(), "zeros.bin", GB)


def _descriptor_bomb(tmp: Path) -> list[str]:
    """A .docx whose extra member uses a data descriptor (flag 0x08) and whose headers claim 1000 bytes for
    64 MB of zeros."""
    data = bytearray(zip_with_bomb(TEMPLATES[".docx"](), "media/zeros.bin", 64 * MB, declared=1000))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        local = archive.getinfo("media/zeros.bin").header_offset
    central = _central_offset(bytes(data), "media/zeros.bin")
    for offset in (local + 6, central + 8):
        flags = struct.unpack("<H", data[offset:offset + 2])[0]
        data[offset:offset + 2] = struct.pack("<H", flags | 0x8)
    (tmp / "dd.docx").write_bytes(bytes(data))
    return ["import", str(tmp / "dd.docx")]


_QDE = ('<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="wide"><Sources>'
        '<TextSource guid="d097e6fd-7671-4d95-a8b6-7795fa4a72e1" name="Sanne" '
        'plainTextPath="internal://d097e6fd-7671-4d95-a8b6-7795fa4a72e1.txt"/></Sources></Project>')
_SOURCE = "sources/d097e6fd-7671-4d95-a8b6-7795fa4a72e1.txt"
_TEXT = "Interviewer: Hoe gaat het?\nR1: Het scheelt tijd.\n"


def _pdf(content: bytes, *, resources: bool = True, compress: bool = True) -> bytes:
    stream = zlib.compress(content, 1) if compress else content
    font = b" /Resources << /Font << /F1 5 0 R >> >>" if resources else b""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R" + font + b" >>",
               b"<< /Length %d%s >>\nstream\n" % (len(stream), b" /Filter /FlateDecode" if compress else b"")
               + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return out


_PDF_TEXT = b"BT /F1 12 Tf 72 712 Td (Interviewer: Hoe gaat het?) Tj 0 -20 Td (R1: Het scheelt tijd.) Tj ET"

CONTAINERS = [
    *(Fault(f"nested zip bomb inside {s}", _template_plus(s, [("media/inner.zip", _nested_bomb())]),
            Accepted(segments=None, text_has=(ANSWER[0] if s == ".xlsx" else ANSWER[1],))) for s in TEMPLATES),
    *(Fault(f"member declaring 4 GB in {s}", _patched(s, next(iter(_members(s))), _absurd_size),
            Refused(f"p{s}", "refused")) for s in TEMPLATES),
    *(Fault(f"symlink member in {s}", _template_plus(s, [_symlink("media/link", b"/etc/passwd")]),
            Accepted(segments=None, text_lacks=("root:",))) for s in TEMPLATES),
    *(Fault(f"duplicate member names in {s}",
            _template_plus(s, [(next(n for n in _members(s) if n.endswith(".xml")), b"<x/>")]),
            Refused(f"t{s}: holds two members called")) for s in (".xlsx", ".odt")),
    *(Fault(f"encrypted member in {s}", _patched(s, next(n for n in _members(s) if n.endswith(".xml")), _encrypted),
            Refused(f"p{s}", "encrypted")) for s in TEMPLATES),
    *(Fault(f"zip64 {s} is read", _template_plus(s, [], zip64=True),
            Accepted(segments=None, text_has=(ANSWER[0] if s == ".xlsx" else ANSWER[1],))) for s in TEMPLATES),
    Fault("data descriptor that lies", _descriptor_bomb, Refused("dd.docx", "does not inflate to what its header")),
    Fault("qdpx with a symlink member", _zip("s.qdpx", [("project.qde", _QDE.encode()), (_SOURCE, _TEXT.encode()),
                                                        _symlink("sources/link", b"/etc/passwd")]),
          Accepted(segments=2, text_has=("Het scheelt tijd.",), text_lacks=("root:",))),
    Fault("qdpx with two project.qde", _zip("d.qdpx", [("project.qde", _QDE.encode()), (_SOURCE, _TEXT.encode()),
                                                       ("project.qde", b"<Project/>")]),
          Refused("d.qdpx: holds two members called 'project.qde'")),
    Fault("qdpx whose project.qde is cut off", _zip("c.qdpx", [("project.qde", _QDE.encode()[:120]),
                                                               (_SOURCE, _TEXT.encode())]),
          Refused("c.qdpx: project.qde: not well-formed XML")),
    Fault("qdpx holding a qdpx", _zip("n.qdpx", [("project.qde", _QDE.encode()), (_SOURCE, _TEXT.encode()),
                                                 ("sources/inner.qdpx", _nested_bomb())]),
          Accepted(segments=2, text_has=("Het scheelt tijd.",))),
    Fault("qdpx with a source outside the archive", _zip("o.qdpx", [("project.qde", _QDE.replace(
        "internal://d097e6fd-7671-4d95-a8b6-7795fa4a72e1.txt", "absolute:///etc/passwd").encode())]),
          Accepted(segments=0, text_lacks=("root:",))),
    Fault("pdf with text", _write("ok.pdf", _pdf(_PDF_TEXT)), Accepted(segments=2, text_has=("Het scheelt tijd.",))),
    Fault("pdf whose font page inflates to 90 MB", _write("fb.pdf", lambda: _pdf(b"BT /F1 12 Tf (" + b" " * (90 * MB)
                                                                                 + b") Tj ET")),
          Refused("fb.pdf: a compressed stream in the PDF inflates to more than 50 MB", "--max-unpacked-mb")),
    Fault("pdf cut in half", lambda tmp: _write("half.pdf", _pdf(_PDF_TEXT)[:200])(tmp), Refused("half.pdf")),
    Fault("pdf header then garbage", _write("g.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 50), Refused("g.pdf")),
    Fault("pdf with a broken stream", _write("bs.pdf", _pdf(b"not deflate at all", compress=False).replace(
        b"/Length", b"/Filter /FlateDecode /Length")), Refused("bs.pdf")),
]

BIG_VALID = ("Interviewer: Hoe gaat het met de werkdruk?\nR1: Eén ding: het scheelt tijd, maar het is veel werk.\n"
             * 30_000)

ENCODINGS = [
    Fault("utf-16 LE with BOM", _write("le.txt", "\ufeffInterviewer: Eén vraag?\nR1: Één antwoord.\n"
                                       .encode("utf-16-le")),
          Accepted(segments=2, text_has=("R1: Één antwoord.",), text_lacks=("\ufeff",))),
    Fault("utf-16 BE with BOM", _write("be.txt", "\ufeffInterviewer: Eén vraag?\nR1: Één antwoord.\n"
                                       .encode("utf-16-be")),
          Accepted(segments=2, text_has=("R1: Één antwoord.",), text_lacks=("\ufeff",))),
    Fault("utf-16 BE without BOM", _write("be2.txt", "Interviewer: Eén vraag?\nR1: Één antwoord.\n"
                                          .encode("utf-16-be")),
          Refused("be2.txt", "--encoding utf-16-be")),
    Fault("utf-16 csv without BOM", _write("t16.csv", "id,antwoord\n1,Eén keer\n".encode("utf-16-le")),
          Refused("t16.csv", "--encoding utf-16-le")),
    Fault("invalid UTF-8 late in a big file", _write("late.txt", lambda: BIG_VALID.encode() + "R1: Café\n".encode("cp1252")),
          Refused("late.txt, line 60001: not valid UTF-8")),
    Fault("cp1252 smart quotes", _write("smart.txt", "Interviewer: Wat vindt u van “AI”?\nR1: ‘Goed’ – echt…\n"
                                        .encode("cp1252")),
          Accepted(segments=2, text_has=("“AI”", "‘Goed’ – echt…"))),
    Fault("CR-only line endings", _write("cr.txt", "Interviewer: Vraag?\rR1: Antwoord een.\rR2: Antwoord twee.\r"),
          Accepted(segments=3, text_has=("R2: Antwoord twee.",), text_lacks=("\r",))),
    Fault("mixed line endings", _write("mix.txt", "Interviewer: Vraag?\r\nR1: Een.\nR2: Twee.\rR3: Drie.\n"),
          Accepted(segments=4, text_has=("R3: Drie.",), text_lacks=("\r",))),
    Fault("CR-only csv", _write("cr.csv", "id,antwoord\r1,Het scheelt tijd\r2,Meer werk\r"),
          Accepted(segments=2, text_has=("Meer werk",), text_lacks=("\r",))),
    Fault("UTF-8 BOM and CR only", _write("bomcr.txt", "\ufeffInterviewer: Vraag?\rR1: Antwoord.\r".encode()),
          Accepted(segments=2, text_lacks=("\ufeff", "\r"))),
    Fault("NUL bytes in UTF-8 text", _write("nul8.txt", "Interviewer: Vraag?\nR1: Ant\x00woord.\n".encode()),
          Refused("nul8.txt, line 2: holds a NUL character")),
    # Not UTF-8, and every byte is Windows-1252: read as that, and said so (the option that helps is named).
    Fault("overlong UTF-8 sequence", _write("ol.txt", b"Interviewer: Vraag?\nR1: \xc0\xafAntwoord.\n"),
          Accepted(segments=2, note="ol.txt: not UTF-8, read as Windows-1252")),
    Fault("lone UTF-16 surrogate in UTF-8", _write("sur.txt", b"Interviewer: Vraag?\nR1: \xed\xa0\x80 ja.\n"),
          Accepted(segments=2, note="sur.txt: not UTF-8, read as Windows-1252")),
    Fault("overlong UTF-8 next to real UTF-8", _write("ol2.txt", "Interviewer: Eén vraag?\n".encode()
                                                      + b"R1: \xc0\xafAntwoord.\n"),
          Refused("ol2.txt, line 2: not valid UTF-8", "line 1 has UTF-8")),
    Fault("unicode direction override is kept as text", _write("rtl.txt", "Interviewer: Vraag?\nR1: ja \u202eee\n"),
          Accepted(segments=2)),
]


def _csv(name: str, text: str | bytes | Callable[[], str], *extra: str):
    return _write(name, text, *extra)


def _columns(count: int):
    header = ",".join(["id", "antwoord", *(f"c{i}" for i in range(count - 2))])
    row = ",".join(["1", "Het scheelt tijd", *("x" for _ in range(count - 2))])
    return _csv("wide.csv", header + "\n" + row + "\n", "--text-column", "antwoord")


def _xlsx(name: str, rows, *extra: str):
    def build(tmp: Path) -> list[str]:
        from tests.faults.conftest import minimal_xlsx

        (tmp / name).write_bytes(minimal_xlsx(rows))
        return ["import", str(tmp / name), *extra]
    return build


TABLES = [
    Fault("xlsx header only", _xlsx("h.xlsx", (("id", "antwoord"),)), Refused("h.xlsx")),
    Fault("xlsx with two columns of one name", _xlsx("d.xlsx", (("id", "antwoord", "antwoord"), (1, "a", "b"))),
          Refused("d.xlsx", "two columns are called 'antwoord'")),
    Fault("csv with an empty header cell over data", _csv("e.csv", "id,,antwoord\n1,,Het scheelt tijd\n"
                                                          "2,geheim,Meer werk\n"),
          Accepted(segments=2, warning="e.csv: column 2 (row 3: 'geheim') has no name in the header row")),
    Fault("csv with an empty header cell over nothing", _csv("e2.csv", "id,antwoord,\n1,Het scheelt tijd,\n"),
          Accepted(segments=1, text_has=("Het scheelt tijd",))),
    Fault("csv of 100,000 columns", _columns(100_000), Accepted(segments=1, text_has=("Het scheelt tijd",))),
    Fault("csv with a 24 MB cell", _csv("big.csv", lambda: "id,antwoord\n1," + "woord " * (24 * MB // 6) + "\n"),
          Refused("big.csv, row 2")),
    Fault("semicolons with commas in the text", _csv("sc.csv", "id;antwoord;groep\n1;Ja, goed, echt;A\n2;Nee, "
                                                     "slecht;B\n"),
          Accepted(segments=2, text_has=("Ja, goed, echt", "Nee, slecht"))),
    Fault("tabs with commas and semicolons in the text", _csv("tab.csv", "id\tantwoord\tgroep\n1\tJa, goed; echt\tA\n"
                                                          "2\tNee\tB\n"),
          Accepted(segments=2, text_has=("Ja, goed; echt",))),
    Fault("commas with semicolons in the text", _csv("cm.csv", "id,antwoord,groep\n1,Ja; goed; echt,A\n2,Nee,B\n"),
          Accepted(segments=2, text_has=("Ja; goed; echt",))),
    Fault("a single column", _csv("one.csv", "antwoord\nHet scheelt tijd\nMeer werk\n"),
          Accepted(segments=2, text_has=("Meer werk",))),
    Fault("only empty rows after the header", _csv("blank.csv", "id,antwoord\n,\n,\n"), Refused("blank.csv")),
    Fault("a header row of only separators", _csv("sep.csv", ",,,\n1,2,3,4\n"), Refused("sep.csv")),
]


def _srt(name: str, text: str):
    return _write(name, text)


TIMING = ("-->", "00:00", "00:01")

SUBTITLES = [
    Fault("hours over 99", _srt("h.srt", "1\n100:00:01,000 --> 100:00:03,000\nAnna: Ja.\n\n2\n"
                                "100:00:04,000 --> 100:00:05,000\nBob: Nee.\n"),
          Accepted(segments=2, text_has=("Anna: Ja.",), text_lacks=("-->",))),
    Fault("a negative time", _srt("neg.srt", "1\n-00:00:01,000 --> 00:00:02,000\nAnna: Ja.\n"),
          Refused("neg.srt, line 2")),
    Fault("srt with periods", _srt("p.srt", "1\n00:00:01.000 --> 00:00:02.000\nAnna: Ja.\n\n2\n"
                                   "00:00:03.000 --> 00:00:04.000\nBob: Nee.\n"),
          Accepted(segments=2, text_lacks=TIMING)),
    Fault("vtt with commas", _srt("c.vtt", "WEBVTT\n\n00:00:01,000 --> 00:00:02,000\n<v Anna>Ja.\n\n"
                                  "00:00:03,000 --> 00:00:04,000\n<v Bob>Nee.\n"),
          Accepted(segments=2, text_lacks=TIMING)),
    Fault("comma and period mixed in one line", _srt("m.srt", "1\n00:00:01,000 --> 00:00:02.000\nAnna: Ja.\n\n2\n"
                                                     "00:00:03.000 --> 00:00:04,000\nBob: Nee.\n"),
          Accepted(segments=2, text_lacks=TIMING)),
    Fault("overlapping cues", _srt("o.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Anna>Ja, dat is zo.\n\n"
                                   "00:00:03.000 --> 00:00:06.000\n<v Bob>Nee hoor.\n"),
          Accepted(segments=2, text_has=("Anna: Ja, dat is zo.", "Bob: Nee hoor."), text_lacks=TIMING)),
    Fault("a cue without text", _srt("empty.srt", "1\n00:00:01,000 --> 00:00:02,000\n\n2\n"
                                     "00:00:03,000 --> 00:00:04,000\nBob: Nee.\n\n3\n00:00:05,000 --> 00:00:06,000\n"
                                     "Anna: Ja.\n"),
          Accepted(segments=2, text_lacks=TIMING)),
    Fault("srt with a BOM", _srt("bom.srt", "\ufeff1\n00:00:01,000 --> 00:00:02,000\nAnna: Ja.\n\n2\n"
                                 "00:00:03,000 --> 00:00:04,000\nBob: Nee.\n"),
          Accepted(segments=2, text_lacks=("\ufeff", *TIMING))),
    Fault("vtt with a BOM", _srt("bom.vtt", "\ufeffWEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Anna>Ja.\n"),
          Accepted(segments=1, text_lacks=("\ufeff", "WEBVTT", *TIMING))),
    Fault("vtt NOTE, STYLE and REGION blocks", _srt("n.vtt", "WEBVTT\n\nNOTE dit is een notitie\nover twee regels\n\n"
                                                    "STYLE\n::cue { color: red }\n\nREGION\nid:links\n\n"
                                                    "00:00:01.000 --> 00:00:02.000\n<v Anna>Ja.\n\n"
                                                    "NOTE nog een\n\n00:00:03.000 --> 00:00:04.000\n<v Bob>Nee.\n"),
          Accepted(segments=2, text_lacks=("NOTE", "notitie", "color", "::cue", "REGION", "id:links", *TIMING))),
    Fault("vtt cue identifiers and settings", _srt("id.vtt", "WEBVTT\n\nintro-1\n00:00:01.000 --> 00:00:02.000 "
                                                   "align:start\n<v Anna>Ja.\n"),
          Accepted(segments=1, text_lacks=("intro-1", "align", *TIMING))),
    Fault("timing line with an hour-less short form", _srt("s.vtt", "WEBVTT\n\n01:02.000 --> 01:03.500\n<v Anna>Ja.\n"),
          Accepted(segments=1, text_lacks=("-->",))),
    Fault("seconds of 60 or more", _srt("s60.srt", "1\n00:00:61,000 --> 00:00:62,000\nAnna: Ja.\n"),
          Refused("s60.srt, line 2")),
    Fault("a timing line without an arrow end", _srt("a.srt", "1\n00:00:01,000 -->\nAnna: Ja.\n"),
          Refused("a.srt, line 2")),
    Fault("only a header", _srt("only.vtt", "WEBVTT\n"), Refused("only.vtt")),
]


def _codebook(text: str | bytes | Callable[[], str], name: str = "cb.yaml"):
    def build(tmp: Path) -> list[str]:
        made = text() if callable(text) else text
        (tmp / name).write_bytes(made.encode() if isinstance(made, str) else made)
        return ["codebook", "check", str(tmp / name)]
    return build


def _default_codebook() -> str:
    return (ROOT / "codebooks" / "werkbeleving.yaml").read_text(encoding="utf-8")


def _swap(old: str, new: str, count: int = 1) -> str:
    source = _default_codebook()
    assert old in source, old
    return source.replace(old, new, count)


def _huge_codebook() -> str:
    return _default_codebook() + "\n# " + "x" * (30 * MB) + "\n"


def _line_of(text: str) -> int:
    """The line of the default codebook that holds ``text`` (the codebook grows; a fixed number would not)."""
    lines = (ROOT / "codebooks" / "werkbeleving.yaml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


CODEBOOKS = [
    Fault("a huge codebook file", _codebook(_huge_codebook), Refused("cb.yaml: is 30.0 MB", "at most 2 MB"),
          with_project=False),
    Fault("duplicate keys in a code", _codebook(_swap("- id: autonomy", "- id: autonomy\n    id: workload")),
          Refused("cb.yaml:", "id", listing=True), with_project=False),
    Fault("two codes with one id", _codebook(_swap("\n  - id: workload", "\n  - id: autonomy")),
          Refused("cb.yaml:", "code 'autonomy': duplicate id", listing=True), with_project=False),
    # Valid (a REFI-QDA tree may repeat a name under two parents), but every table would show two like columns.
    Fault("two codes with one label", _codebook(_swap("\n    label: {nl: werkdruk,", "\n    label: {nl: Autonomie,")),
          Accepted(warning="code 'workload': label 'Autonomie' reads the same as the label of code 'autonomy' "
                           f"(line {_line_of('- id: autonomy')})"), with_project=False),
    Fault("two labels apart only by a zero-width space", _codebook(_swap("\n    label: {nl: werkdruk,",
                                                                         "\n    label: {nl: auto\u200bnomie,")),
          Accepted(warning="reads the same as the label of code 'autonomy'"), with_project=False),
    Fault("a code id with a zero-width space", _codebook(_swap("- id: autonomy", "- id: auto\u200bnomy")),
          Refused("cb.yaml:", listing=True), with_project=False),
    Fault("a code id with a Cyrillic letter", _codebook(_swap("- id: autonomy", "- id: autonom\u0443")),
          Refused("cb.yaml:", listing=True), with_project=False),
    Fault("a codebook in UTF-16", _codebook(_default_codebook().encode("utf-16")), Refused("cb.yaml"),
          with_project=False),
    Fault("a codebook that is a list", _codebook("- a\n- b\n"), Refused("cb.yaml", listing=True), with_project=False),
    Fault("a codebook with a tab indent", _codebook("codebook: x\nlanguage: nl\ncodes:\n\t- id: a\n"),
          Refused("cb.yaml", listing=True), with_project=False),
    Fault("a codebook of NUL bytes", _codebook(b"\x00" * 1000), Refused("cb.yaml", "YAML cannot read the file",
                                                                       listing=True), with_project=False),
    Fault("an empty codebook", _codebook(""), Refused("cb.yaml", listing=True), with_project=False),
]


ALL = CONTAINERS + ENCODINGS + TABLES + SUBTITLES + CODEBOOKS


@pytest.mark.parametrize("fault", [f.param() for f in ALL])
def test_hostile_input(fault: Fault, tmp_path: Path) -> None:
    run_fault(fault, tmp_path)


def test_every_class_has_cases() -> None:
    assert all(len(group) >= 8 for group in (CONTAINERS, ENCODINGS, TABLES, SUBTITLES, CODEBOOKS))
    assert len({f.name for f in ALL}) == len(ALL)


_PEAK = textwrap.dedent("""
    import sys, time
    from click.testing import CliRunner
    from qualcode.cli import main
    start = time.perf_counter()
    result = CliRunner().invoke(main, sys.argv[1:])
    elapsed = time.perf_counter() - start
    peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(result.exit_code, f"{elapsed:.3f}", peak)
    print(result.output)
""")

LARGE = {
    "a 24 MB cell": next(f for f in TABLES if f.name == "csv with a 24 MB cell"),
    "a 30 MB codebook": next(f for f in CODEBOOKS if f.name == "a huge codebook file"),
    "a pdf stream of 90 MB": next(f for f in CONTAINERS if f.name == "pdf whose font page inflates to 90 MB"),
}


@pytest.mark.slow  # a subprocess each, to measure its own memory
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory read from /proc")
@pytest.mark.parametrize("name", list(LARGE))
def test_large_hostile_inputs_stay_in_bounded_memory(tmp_path: Path, name: str) -> None:
    fault = LARGE[name]
    args = list(fault.build(tmp_path))
    if fault.with_project:
        args += ["--project", str(new_project(tmp_path))]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _PEAK, *args], capture_output=True, text=True, timeout=120, env=env,
                          check=True)
    status, elapsed, peak_kb = done.stdout.split("\n", 1)[0].split()
    assert "Traceback" not in done.stdout + done.stderr
    assert (status == "0") is isinstance(fault.expect, Accepted), done.stdout
    assert int(peak_kb) < 350 * 1024, f"{name}: peak memory {int(peak_kb) // 1024} MB"
    assert float(elapsed) < 20, f"{name}: {elapsed} s"
