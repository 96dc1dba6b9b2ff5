"""What the zip-container check (qualcode/zipsafe.py) costs on ordinary files, and what a zip bomb costs.

    .venv/bin/python benchmarks/bench_zipsafe.py             # 7 rounds
    .venv/bin/python benchmarks/bench_zipsafe.py --rounds 3

Measured in one run:

* reading a generated .docx interview (2,000 paragraphs plus a 5 MB incompressible picture)
  and a .xlsx survey (5,000 rows) with ``read_document``, and ``check_container`` alone on
  the same bytes: median seconds and the share of the read the check takes (goal: < 25 %);
* refusing a 1 GB zip bomb (.docx, honest and lying header): median seconds (goal: < 2 s) and
  the peak resident memory of this process afterwards (goal: < 200 MB).
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests" / "faults"):
    if str(extra) not in sys.path:  # run from a checkout without installing
        sys.path.insert(0, str(extra))

from qualcode.errors import ImportFormatError  # noqa: E402
from qualcode.ingest.importers import read_document  # noqa: E402
from qualcode.zipsafe import check_container  # noqa: E402


def _docx() -> bytes:
    import docx
    from docx.shared import Inches

    document = docx.Document()
    for i in range(1000):
        document.add_paragraph(f"Interviewer: Vraag {i} over werkdruk en nakijkwerk met AI?")
        document.add_paragraph(f"R{i % 7}: Het scheelt tijd, maar de vrijgekomen tijd wordt weer opgevuld ({i}).")
    picture = io.BytesIO()
    _png(picture, 5 * 1024**2)
    picture.seek(0)
    document.add_picture(picture, width=Inches(1))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _png(out: io.BytesIO, size: int) -> None:
    """A valid PNG whose pixel data is random (incompressible), about ``size`` bytes."""
    import struct
    import zlib

    width = 1024
    height = size // (width * 3)
    raw = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
              + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def _xlsx() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "antwoord", "groep"])
    for i in range(5000):
        sheet.append([i, f"Antwoord {i}: het nakijken gaat sneller, maar het contact met leerlingen wordt minder.",
                      f"groep {i % 9}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _median(call: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _refuse(data: bytes) -> None:
    try:
        check_container(data, "bomb.docx", error=ImportFormatError)
    except ImportFormatError:
        return
    raise AssertionError("the bomb was not refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    from conftest import minimal_docx, zip_with_bomb  # tests/faults/conftest.py: the bomb builder

    for name, data in ((Path("interview.docx"), _docx()), (Path("survey.xlsx"), _xlsx())):
        read = _median(lambda name=name, data=data: read_document(name, data=data, text_columns=["antwoord"]),
                       rounds)
        check = _median(lambda name=name, data=data: check_container(data, name.name, error=ImportFormatError),
                        rounds)
        print(f"{name.name:15} {len(data) / 1024**2:5.1f} MB   read {read:.3f} s   check {check:.3f} s   "
              f"check/read {check / read:.0%} (goal < 25%)")
    honest = zip_with_bomb(minimal_docx(), "media/zeros.bin", 1024**3)
    lying = zip_with_bomb(minimal_docx(), "media/zeros.bin", 256 * 1024**2, declared=1000)
    for label, data in (("1 GB bomb", honest), ("lying header", lying)):
        seconds = _median(lambda data=data: _refuse(data), rounds)
        print(f"{label:15} {len(data) / 1024**2:5.1f} MB   refused in {seconds:.3f} s (goal < 2 s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB (goal < 200 MB)")


if __name__ == "__main__":
    main()
