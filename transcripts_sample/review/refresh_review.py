"""Re-create the sample's filled-in review workbooks for the current codebook.

A review workbook is tied to the codebook version it was exported with (qualcode
refuses older ones). After changing ``codebooks/werkbeleving.yaml``, run

    .venv/bin/python transcripts_sample/review/refresh_review.py

It builds the sample project afresh, exports a new review workbook per coder and
copies each decided row's code cells, memo and *decided* mark from the old workbook
(matched by segment id, and only when the text is the same), exactly as a coder
would retype them. A JSON file of decisions (``{"id", "codes", "memo"}`` per
segment) can be given instead of an old workbook with ``--from-json CODER FILE SEGMENTS``.
Rows are matched by document and exact text, so a changed transcript is reviewed again.

A decided segment that an importer change split into several (a speaker who was merged
into the previous turn, now a turn of their own) is never dropped silently: each split
is printed, and the decision goes to the parts as written in SPLITS below (decided by
reading the memo and the codes, per part); a split without an entry there, or a decided
segment whose text is gone altogether, is printed as NOT carried over, to decide again.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import openpyxl

from qualcode.coding.codebook import load_codebook
from qualcode.demo import TABLE_OPTIONS
from qualcode.project import Project
from qualcode.review.excel import export_review

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent
ROOT = SAMPLE.parent
VALUE = {"kans": "kans", "risico": "risico", "kans+risico": "kans+risico", "geen richting": "geen richting", "-": "-"}


# (coder, document, start of the old text) -> {start of a part's text: codes and memo for that part}.
# teamsessie-de-regenboog.txt: until issue 11 the Onderwijsassistent, who speaks once, was merged
# into the turn of Leerkracht groep 7. Anna coded the merged turn menselijke interactie
# = kans+risico with the memo "Plezier van de kinderen niet gecodeerd.": the risk is the
# teacher's part (children on tablets, the fun is in doing things together), the chance the
# assistant's (the tablet frees the teacher for a small group at the instruction table);
# the memo is about the teacher's part.
SPLITS: dict[tuple[str, str, str], dict[str, dict]] = {
    ("anna", "teamsessie-de-regenboog.txt", "Bij mij hetzelfde. En de kinderen zelf vinden het soms ook saai"): {
        "Bij mij hetzelfde.": {"codes": {"interaction": "risico"},
                               "memo": "Plezier van de kinderen niet gecodeerd."},
        "Ik zie eigenlijk het omgekeerde": {"codes": {"interaction": "kans"}, "memo": ""},
    },
}


def _rows(ws):
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        yield dict(zip(header, row))


# Segments are matched by (document, text, n-th occurrence), not by id: ids depend on
# the order in which documents were imported.
Key = tuple[str, str, int]


def _keyed(items) -> dict[Key, dict]:
    seen: dict[tuple[str, str], int] = {}
    out = {}
    for document, text, decision in items:
        n = seen.get((document, text), 0)
        seen[(document, text)] = n + 1
        out[(document, text, n)] = decision
    return out


def _old_decisions(path: Path, codebook) -> dict[Key, dict]:
    wb = openpyxl.load_workbook(path)
    items = []
    for cells in _rows(wb["Review"]):
        if cells["segment_id"].value is None:
            continue
        decided = str(cells["decided"].value or "").strip().lower() in ("ja", "yes")
        items.append((cells["document"].value, cells["text"].value, {
            "decided": decided,
            "codes": {c.id: cells[codebook.label(c.id)].value or "-" for c in codebook.codes},
            "memo": cells["memo"].value or "",
        }))
    return {k: v for k, v in _keyed(items).items() if v["decided"]}


def _json_decisions(path: Path, segments: Path) -> dict[Key, dict]:
    """Decisions by segment id in ``path``; ``segments`` (id, document, text) says what the ids were."""
    where = {int(s["id"]): (s["document"], s["text"]) for s in json.loads(segments.read_text(encoding="utf-8"))}
    items = [(*where[int(d["id"])], {"codes": d["codes"], "memo": d.get("memo", "")})
             for d in sorted(json.loads(path.read_text(encoding="utf-8")), key=lambda d: int(d["id"]))]
    return _keyed(items)


def _split_decisions(coder: str, decisions: dict[Key, dict], keys: dict[Key, object]) -> dict[Key, dict]:
    """Decisions for the parts of decided segments that no longer exist whole; every such
    segment is printed: carried to its parts (SPLITS) or NOT carried over."""
    carried: dict[Key, dict] = {}
    for (document, text, n), decision in decisions.items():
        if (document, text, n) in keys:
            continue
        parts = [key for key in keys if key[0] == document and key[1] and key[1] in text]
        rule = next((parts_rule for (c, d, start), parts_rule in SPLITS.items()
                     if c == coder and d == document and text.startswith(start)), None)
        what = f"{document}: decided segment {text[:60]!r}..."
        if parts and rule is not None:
            for key in parts:
                part = next((value for start, value in rule.items() if key[1].startswith(start)), None)
                if part is None:
                    print(f"  {coder}: {what} part {key[1][:40]!r}... has no decision in SPLITS; decide it again")
                    continue
                carried[key] = {"codes": {**dict.fromkeys(decision["codes"], "-"), **part["codes"]},
                                "memo": part["memo"]}
                print(f"  {coder}: {what} was split; part {key[1][:40]!r}... gets {part['codes']} (SPLITS)")
        elif parts:
            print(f"  {coder}: {what} was split into {len(parts)} segments; NOT carried over "
                  "(add the parts to SPLITS in refresh_review.py, or decide them again)")
        else:
            print(f"  {coder}: {what} is no longer in the project; NOT carried over, decide it again")
    return carried


def refresh(coder: str, decisions: dict[Key, dict], project: Project, codebook, out: Path) -> int:
    export_review(project.store, out, coder)
    wb = openpyxl.load_workbook(out)
    filled = 0
    rows = [cells for cells in _rows(wb["Review"]) if cells["segment_id"].value is not None]
    keys = _keyed((c["document"].value, c["text"].value, c) for c in rows)
    decisions = {**decisions, **_split_decisions(coder, decisions, keys)}
    for key, cells in keys.items():
        if key not in decisions:
            continue
        d = decisions[key]
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
    parser.add_argument("--from-json", nargs=3, action="append", metavar=("CODER", "FILE", "SEGMENTS"), default=[],
                        help="decisions by segment id, and the JSON list of those segments (id, document, text)")
    args = parser.parse_args()
    codebook = load_codebook(ROOT / "codebooks" / "werkbeleving.yaml")
    sources = {p.stem.removeprefix("review-"): _old_decisions(p, codebook) for p in sorted(HERE.glob("review-*.xlsx"))}
    for coder, file, segments in args.from_json:
        sources[coder] = _json_decisions(Path(file), Path(segments))
    with tempfile.TemporaryDirectory() as tmp, Project.init(Path(tmp) / "sample.qualcode") as project:
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
