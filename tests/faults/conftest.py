"""Shared helpers of the fault suite: run the CLI in-process, assert a clean refusal, snapshot the project,
and build hostile files (zip bombs with honest or lying headers) quickly and in memory.

A fault case is ``Fault(name, build, expect)``: ``build(tmp_path)`` writes the bad input and returns the
arguments of ``qualcode import`` (or of another command); ``expect`` is ``Refused("part of the message")``
or ``Accepted(segments=N)``. :func:`run_fault` runs it and checks what every fault promises.
"""
from __future__ import annotations

import functools
import hashlib
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pytest
from click.testing import CliRunner, Result

from qualcode.cli import main
from qualcode.project import Project


@dataclass(frozen=True)
class Refused:
    """The command fails with exit status != 0 and one ``Error:`` line on stderr containing every ``parts``.

    ``listing``: the error is a heading line and one line per problem (a codebook's problems), all on stderr.
    """

    parts: tuple[str, ...]
    listing: bool = False

    def __init__(self, *parts: str, listing: bool = False):
        object.__setattr__(self, "parts", parts)
        object.__setattr__(self, "listing", listing)


@dataclass(frozen=True)
class Accepted:
    """The command succeeds; ``segments`` is the number of segments the project gains (None: not checked);
    ``warning`` a text that must be on stderr; ``text_has``/``text_lacks`` what the stored text must
    (not) contain."""

    segments: int | None = None
    warning: str | None = None
    note: str | None = None  # a text that must be on stdout
    text_has: tuple[str, ...] = ()
    text_lacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fault:
    name: str
    build: Callable[[Path], Sequence[str]]
    expect: Refused | Accepted
    marks: tuple = field(default=())
    with_project: bool = True  # False for a command without --project (codebook check)

    def param(self):  # -> pytest ParameterSet
        return pytest.param(self, id=self.name, marks=self.marks)


def project_digest(path: Path) -> str:
    """The SHA-256 of the project file's bytes (and of its -wal file, when there is one)."""
    digest = hashlib.sha256(Path(path).read_bytes())
    wal = Path(str(path) + "-wal")
    if wal.exists():
        digest.update(wal.read_bytes())
    return digest.hexdigest()


def new_project(tmp_path: Path) -> Path:
    """An empty project file, closed (so its bytes are final)."""
    path = tmp_path / "fault.qualcode"
    Project.init(path).close()
    return path


def segment_count(path: Path) -> int:
    with Project.open(path) as project:
        return int(project.con.execute("SELECT COUNT(*) FROM segments").fetchone()[0])


def stored_text(path: Path) -> str:
    with Project.open(path) as project:
        return "\n".join(row[0] for row in project.con.execute("SELECT text FROM documents ORDER BY id"))


def invoke(args: Sequence[str], project: Path | None) -> Result:
    """Run ``qualcode ARGS [--project PROJECT]`` in-process (click keeps stderr apart from stdout)."""
    extra = ["--project", str(project)] if project is not None else []
    return CliRunner().invoke(main, [*args, *extra], catch_exceptions=True)


def assert_clean_refusal(result: Result, *parts: str, listing: bool = False) -> str:
    """Exit status != 0, no traceback, exactly one line on stderr: ``Error: ...`` with every part in it
    (``listing``: an ``Error:`` heading and one line per problem, the parts anywhere in them)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"crashed with {result.exception!r}: {result.output}")
    assert result.exit_code != 0, f"accepted, but should be refused: {result.output}"
    stderr = result.stderr
    assert "Traceback" not in stderr and "Traceback" not in result.stdout, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("Error: "), f"no Error line: {stderr!r}"
    assert listing or len(lines) == 1, f"not one Error line: {stderr!r}"
    message = "\n".join(lines)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


def run_fault(fault: Fault, tmp_path: Path) -> Result:
    """Build the fault's input, run it against a fresh project, check the promise; return the result."""
    project = new_project(tmp_path)
    before_digest, before_segments = project_digest(project), segment_count(project)
    args = fault.build(tmp_path)
    result = invoke(args, project if fault.with_project else None)
    if isinstance(fault.expect, Refused):
        assert_clean_refusal(result, *fault.expect.parts, listing=fault.expect.listing)
        assert project_digest(project) == before_digest, "the project file changed after a refusal"
        return result
    assert result.exit_code == 0, f"refused, but should be accepted: {result.output}"
    assert "Traceback" not in result.output
    if fault.expect.segments is not None:
        assert segment_count(project) - before_segments == fault.expect.segments, result.output
    if fault.expect.warning is not None:
        assert fault.expect.warning in result.stderr, result.stderr
    if fault.expect.note is not None:
        assert fault.expect.note in result.stdout, result.stdout
    text = stored_text(project)
    for part in fault.expect.text_has:
        assert part in text, f"{part!r} not in the stored text {text[:300]!r}"
    for part in fault.expect.text_lacks:
        assert part not in text, f"{part!r} leaked into the stored text {text[:300]!r}"
    return result


# -- zip bombs -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``size`` zero bytes and its CRC-32, built in a fraction of a second:
    one fully flushed block of 1 MiB of zeros repeated (each block stands alone after a full flush)."""
    block_size = 1024**2
    assert size % block_size == 0
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = block.compress(bytes(block_size)) + block.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    end = tail.flush(zlib.Z_FINISH)  # an empty final block
    crc = 0
    zeros = bytes(block_size)
    for _ in range(size // block_size):
        crc = zlib.crc32(zeros, crc)
    return chunk * (size // block_size) + end, crc


def _member(name: str, raw: bytes, crc: int, size: int, offset: int) -> tuple[bytes, bytes]:
    """(local header + data, central directory entry) of one deflated member; ``size`` is what the
    headers declare as its uncompressed size."""
    encoded = name.encode()
    local = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(raw), size,
                        len(encoded), 0) + encoded + raw
    central = struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(raw), size,
                          len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    return local, central


def zip_with_bomb(template: bytes, member: str, size: int, *, declared: int | None = None) -> bytes:
    """``template`` (a valid .docx/.xlsx/.odt) with one more member of ``size`` zero bytes, deflated.

    ``declared`` (when given) is the uncompressed size the headers claim: a lying header.
    """
    raw, crc = _deflated_zeros(size)
    out = io.BytesIO()
    directory: list[bytes] = []
    with zipfile.ZipFile(io.BytesIO(template)) as source:
        members = [(info.filename, source.read(info)) for info in source.infolist()]
    for name, data in members:
        packed = zlib.compressobj(6, zlib.DEFLATED, -15)
        local, central = _member(name, packed.compress(data) + packed.flush(), zlib.crc32(data), len(data),
                                 out.tell())
        directory.append(central)
        out.write(local)
    local, central = _member(member, raw, crc, size if declared is None else declared, out.tell())
    directory.append(central)
    out.write(local)
    start = out.tell()
    out.write(b"".join(directory))
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(directory), len(directory), out.tell() - start,
                          start, 0))
    return out.getvalue()


def minimal_docx(text: str = "Interviewer: Hoe gaat het?\nR1: Goed.") -> bytes:
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def minimal_xlsx(rows: Sequence[Sequence[object]] = (("id", "antwoord"), (1, "Het scheelt tijd."))) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def minimal_odt(text: str = "Interviewer: Hoe gaat het?\nR1: Goed.") -> bytes:
    from odf.opendocument import OpenDocumentText  # type: ignore[import-untyped]
    from odf.text import P  # type: ignore[import-untyped]

    document = OpenDocumentText()
    for line in text.split("\n"):
        document.text.addElement(P(text=line))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


TEMPLATES: dict[str, Callable[[], bytes]] = {".docx": minimal_docx, ".xlsx": minimal_xlsx, ".odt": minimal_odt}
