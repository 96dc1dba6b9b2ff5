"""Re-create the sample's filled-in review workbooks for the current codebook.

A review workbook is tied to the codebook version it was exported with (qualcode
refuses older ones). After changing ``codebooks/werkbeleving.yaml``, run

    .venv/bin/python transcripts_sample/review/refresh_review.py

It builds the sample project afresh, exports a new review workbook per coder and
copies each decided row's code cells, memo and *decided* mark from the old workbook
(matched by segment id, and only when the text is the same), exactly as a coder
would retype them. A JSON file of decisions (``{"id", "codes", "memo"}`` per
segment) can be given instead of an old workbook with ``--from-json CODER FILE``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import openpyxl

from qualcode.codebook import load_codebook
from qualcode.demo import TABLE_OPTIONS
from qualcode.project import Project
from qualcode.review.excel import export_review

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent
ROOT = SAMPLE.parent
VALUE = {"kans": "kans", "risico": "risico", "kans+risico": "kans+risico", "geen richting": "geen richting", "-": "-"}


def _rows(ws):
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        yield {h: c for h, c in zip(header, row)}


def _old_decisions(path: Path, codebook) -> dict[int, dict]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for cells in _rows(wb["Review"]):
        if str(cells["decided"].value or "").strip().lower() not in ("ja", "yes"):
            continue
        out[int(cells["segment_id"].value)] = {
            "text": cells["text"].value,
            "codes": {c.id: cells[codebook.label(c.id)].value or "-" for c in codebook.codes},
            "memo": cells["memo"].value or "",
        }
    return out


def _json_decisions(path: Path) -> dict[int, dict]:
    return {int(d["id"]): {"text": None, "codes": d["codes"], "memo": d.get("memo", "")}
            for d in json.loads(path.read_text(encoding="utf-8"))}


def refresh(coder: str, decisions: dict[int, dict], project: Project, codebook, out: Path) -> int:
    export_review(project, out, coder)
    wb = openpyxl.load_workbook(out)
    filled = 0
    for cells in _rows(wb["Review"]):
        sid = cells["segment_id"].value
        if sid is None or int(sid) not in decisions:
            continue
        d = decisions[int(sid)]
        if d["text"] is not None and d["text"] != cells["text"].value:
            raise SystemExit(f"segment {sid}: the text changed since the old review; review it again by hand")
        for code in codebook.codes:
            cells[codebook.label(code.id)].value = VALUE[d["codes"].get(code.id, "-")]
        if d["memo"]:
            cells["memo"].value = d["memo"]
        cells["decided"].value = "ja"
        filled += 1
    wb.save(out)
    return filled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-json", nargs=2, action="append", metavar=("CODER", "FILE"), default=[])
    args = parser.parse_args()
    codebook = load_codebook(ROOT / "codebooks" / "werkbeleving.yaml")
    sources = {p.stem.removeprefix("review-"): _old_decisions(p, codebook) for p in sorted(HERE.glob("review-*.xlsx"))}
    for coder, file in args.from_json:
        sources[coder] = _json_decisions(Path(file))
    with tempfile.TemporaryDirectory() as tmp:
        with Project.init(Path(tmp) / "sample.qualcode") as project:
            studies = sorted(p for p in SAMPLE.iterdir() if p.is_dir() and p.name != "review")
            project.import_files(studies, cases=SAMPLE / "cases.csv", **TABLE_OPTIONS)
            project.code(ROOT / "codebooks" / "werkbeleving.yaml")
            for coder, decisions in sorted(sources.items()):
                target = Path(tmp) / f"review-{coder}.xlsx"
                n = refresh(coder, decisions, project, codebook, target)
                shutil.copy(target, HERE / target.name)
                print(f"review-{coder}.xlsx: {n} decided rows")


if __name__ == "__main__":
    main()
