"""How the import of one transcript grows with its length (.docx paragraphs, .txt turns).

    .venv/bin/python benchmarks/bench_import_growth.py            # 1,000 to 8,000 (.docx) and 54,000 (.txt)
    .venv/bin/python benchmarks/bench_import_growth.py --rounds 3

Measured in one run: per size, the median seconds of ``Project.import_files`` of one generated
transcript into a new project (reading, speaker turns, segments, the store), the seconds per
1,000 paragraphs or turns, and the growth against the smallest size (linear: the growth equals
the size ratio). The generated .docx is Word-like: a speaker label run (bold in every other
turn) and three text runs per paragraph.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from qualcode.project import Project  # noqa: E402


def docx_bytes(paragraphs: int) -> bytes:
    import docx

    document = docx.Document()
    for i in range(paragraphs):
        paragraph = document.add_paragraph()
        paragraph.add_run("Interviewer:" if i % 2 == 0 else f"R{i % 5}:").bold = i % 4 == 1
        for word in (" Het nakijkwerk gaat", " sneller met AI,", " maar de tijd wordt weer opgevuld."):
            paragraph.add_run(word)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def txt_bytes(turns: int) -> bytes:
    return "".join(("Interviewer: Hoe gaat het met de werkdruk?\n" if i % 2 == 0 else
                    f"R{i % 5}: Het scheelt tijd, maar het is veel werk ({i}).\n") for i in range(turns)).encode()


def seconds(folder: Path, name: str, data: bytes, rounds: int) -> float:
    path = folder / name
    path.write_bytes(data)
    times = []
    for round_ in range(rounds):
        project_path = folder / f"{name}.{round_}.qualcode"
        with Project.init(project_path) as project:
            start = time.perf_counter()
            project.import_files([path])
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    plans = ((".docx", "paragraphs", docx_bytes, (1000, 2000, 4000, 8000)),
             (".txt", "turns", txt_bytes, (1000, 6000, 18000, 54000)))
    with tempfile.TemporaryDirectory() as tmp:
        for suffix, unit, make, sizes in plans:
            base = None
            for size in sizes:
                took = seconds(Path(tmp), f"interview-{size}{suffix}", make(size), rounds)
                base = base or (size, took)
                print(f"{suffix:5} {size:6} {unit:10} {took:7.3f} s   {took / size * 1000:6.3f} s per 1,000   "
                      f"size x{size / base[0]:4.0f}   time x{took / base[1]:5.1f}")


if __name__ == "__main__":
    main()
