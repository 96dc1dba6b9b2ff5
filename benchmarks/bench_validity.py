"""Validity of the suggestions on the double-coded development set, measured through the CLI.

Every step is a `python -m qualcode` subprocess, as a researcher would run it:
`init`, `import segments.csv --text-column text --id-column id` (one case per row),
`code` with the default codebook, `decisions import --labels-column labels` as coder
`gold`, then `agree --coders gold,keyword --by half --format json`. The figures are
read from that JSON:

* per aspect: precision, recall and Krippendorff's alpha of presence (any direction);
* aspect micro-F1: pooled over the segment × aspect units;
* aspect:direction F1: pooled over the segment × aspect × direction units, counting only
  opportunity and risk (a gold "no direction" and a suggested "no direction" are left out).

``--by half`` splits the set in two by source section (half A: the summary and chapters
1-2 of the report; half B: chapters 3-4, the interview guides and the EU page), so a
change made while looking at one half can be checked on the other.

``--with-model`` adds keywords + model: the dev set is cut into ``--folds`` contiguous
blocks; per block a fresh project gets gold's decisions on the other blocks only,
`learn --coder gold`, `code --with-model`, and the held-out block's suggestions (keyword
and model together, from the Coded segments sheet of `export xlsx --include-suggested`)
are scored against the labels. No segment is scored by a model trained on it.

    .venv/bin/python benchmarks/bench_validity.py [--with-model] [--devset DIR]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

ASPECTS = ("autonomy", "workload", "interaction", "enjoyment")
MAIN = ("opportunity", "risk")
DEFAULT_DEVSET = Path(__file__).resolve().parents[1].parent / "shared" / "devset"
BASELINE = {"mean_alpha": 0.50, "micro_f1": 0.56, "direction_f1": 0.42}  # issue 15, before this work


def half(row: Mapping[str, str]) -> str:
    """A: summary and chapters 1-2 of the report; B: chapters 3-4, appendices and the EU page."""
    section = row["section"]
    if row["source"].startswith("000_") and (section.startswith(("Samenvatting", "1 ", "2"))):
        return "A"
    return "B"


def qualcode(*args: str, cwd: Path) -> str:
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-m", "qualcode", *args], cwd=cwd, env=env, capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise SystemExit(f"qualcode {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def write_table(rows: Iterable[Mapping[str, str]], path: Path, columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def new_project(folder: Path, rows: list[dict[str, str]]) -> None:
    write_table(rows, folder / "segments.csv", ["id", "source", "section", "half", "text"])
    qualcode("init", "p.qualcode", cwd=folder)
    qualcode("import", "segments.csv", "--text-column", "text", "--id-column", "id", "--project", "p.qualcode",
             cwd=folder)


# -- figures ------------------------------------------------------------------------------
def f1(tp: int, fp: int, fn: int) -> float | None:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None


def from_agree(payload: dict[str, Any], group: str | None) -> dict[str, Any]:
    """Per-aspect P/R/alpha, micro-F1 and aspect:direction F1 of one group of `agree --format json`."""
    rows = [r for r in payload["rows"] if r["group"] == group]
    out: dict[str, Any] = {"aspects": {}}
    for r in rows:
        if r["code"] in ASPECTS and r["direction"] is None:
            out["aspects"][r["code"]] = {"precision": r["precision"], "recall": r["recall"], "alpha": r["alpha"],
                                         "gold": r["count_a"], "suggested": r["count_b"]}

    def pooled_f1(chosen: list[dict[str, Any]]) -> float | None:  # coder A (gold) is the truth
        tp = sum(r["both"] for r in chosen)
        return f1(tp, sum(r["count_b"] for r in chosen) - tp, sum(r["count_a"] for r in chosen) - tp)

    out["micro_f1"] = pooled_f1([r for r in rows if r["code"] in ASPECTS and r["direction"] is None])
    out["direction_f1"] = pooled_f1([r for r in rows if r["code"] in ASPECTS and r["direction"] in MAIN])
    out["n"] = next((g["units"] for g in payload["groups"] if g["group"] == group), None)
    return out


def from_pairs(gold: Mapping[str, set[tuple[str, str]]], suggested: Mapping[str, set[tuple[str, str]]],
               ids: list[str]) -> dict[str, Any]:
    """The same figures from (aspect, direction) sets per row id, with qualcode's own alpha."""
    from qualcode.analysis.agreement import binary_agreement

    out: dict[str, Any] = {"aspects": {}, "n": len(ids)}
    tp = fp = fn = 0
    for aspect in ASPECTS:
        a = [any(c == aspect for c, _ in gold[i]) for i in ids]
        b = [any(c == aspect for c, _ in suggested.get(i, set())) for i in ids]
        figures = binary_agreement(a, b)
        both, only_a, only_b = figures["both"], figures["only_a"], figures["only_b"]
        tp, fp, fn = tp + both, fp + only_b, fn + only_a
        out["aspects"][aspect] = {
            "precision": both / (both + only_b) if both + only_b else None,
            "recall": both / (both + only_a) if both + only_a else None, "alpha": figures["alpha"],
            "gold": both + only_a, "suggested": both + only_b}
    out["micro_f1"] = f1(tp, fp, fn)
    g = {(i, c, d) for i in ids for c, d in gold[i] if d in MAIN}
    s = {(i, c, d) for i in ids for c, d in suggested.get(i, set()) if d in MAIN}
    out["direction_f1"] = f1(len(g & s), len(s - g), len(g - s))
    return out


def mean_alpha(figures: Mapping[str, Any]) -> float | None:
    alphas = [v["alpha"] for v in figures["aspects"].values() if v["alpha"] is not None]
    return sum(alphas) / len(alphas) if alphas else None


def labels_of(row: Mapping[str, str]) -> set[tuple[str, str]]:
    if row["labels"] == "none":
        return set()
    pairs = set()
    for part in row["labels"].split(";"):
        code, _, valence = part.partition(":")
        pairs.add((code, "none" if valence == "neutral" else valence))
    return pairs


# -- the runs -----------------------------------------------------------------------------
def keywords_alone(rows: list[dict[str, str]], devset: Path, work: Path) -> dict[str | None, dict[str, Any]]:
    folder = work / "keywords"
    folder.mkdir()
    new_project(folder, rows)
    qualcode("code", "--project", "p.qualcode", cwd=folder)
    qualcode("decisions", "import", str(devset / "segments.csv"), "--coder", "gold", "--id-column", "id",
             "--labels-column", "labels", "--project", "p.qualcode", cwd=folder)
    payload = json.loads(qualcode("agree", "--coders", "gold,keyword", "--by", "half", "--format", "json",
                                  "--project", "p.qualcode", cwd=folder))
    return {group: from_agree(payload, group) for group in (None, "A", "B")}


def suggested_pairs(folder: Path) -> dict[str, set[tuple[str, str]]]:
    """(code, direction) per source row from the coded segments sheet (suggestions and decisions).

    The workbook speaks the codebook's language: the Dutch sheet 'Gecodeerde fragmenten' with the
    columns 'Code-id', 'Richting', 'Status', 'Bronrij' (directions 'kans', 'risico', 'geen richting'),
    or the English 'Coded segments' ('Code id', 'Direction', 'Status', 'Source row')."""
    import openpyxl

    qualcode("export", "xlsx", "out.xlsx", "--include-suggested", "--project", "p.qualcode", "--force", cwd=folder)
    workbook = openpyxl.load_workbook(folder / "out.xlsx", read_only=True)
    dutch = "Gecodeerde fragmenten" in workbook.sheetnames
    sheet = workbook["Gecodeerde fragmenten" if dutch else "Coded segments"]
    columns = ("Code-id", "Richting", "Status", "Bronrij") if dutch else ("Code id", "Direction", "Status", "Source row")
    suggested = "suggestie" if dutch else "suggestion"
    directions = ({"kans": "opportunity", "risico": "risk", "geen richting": "none"} if dutch
                  else {"no direction": "none"})
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    code_i, dir_i, status_i, row_i = (header.index(h) for h in columns)
    out: dict[str, set[tuple[str, str]]] = {}
    for values in rows:
        if values[status_i] == suggested:
            direction = str(values[dir_i])
            out.setdefault(str(values[row_i]), set()).add((str(values[code_i]), directions.get(direction, direction)))
    return out


def with_model(rows: list[dict[str, str]], work: Path, folds: int) -> tuple[dict[str, Any], dict[str, Any], float]:
    """Keywords alone and keywords + model on every held-out block; seconds spent in `learn`."""
    size = -(-len(rows) // folds)
    keyword: dict[str, set[tuple[str, str]]] = {}
    combined: dict[str, set[tuple[str, str]]] = {}
    learn_seconds = 0.0
    for k in range(folds):
        held = rows[k * size:(k + 1) * size]
        held_ids = {r["id"] for r in held}
        folder = work / f"fold-{k}"
        folder.mkdir()
        new_project(folder, rows)
        qualcode("code", "--project", "p.qualcode", cwd=folder)
        train = [r for r in rows if r["id"] not in held_ids]
        write_table(train, folder / "train.csv", ["id", "labels"])
        qualcode("decisions", "import", "train.csv", "--coder", "gold", "--id-column", "id", "--labels-column",
                 "labels", "--project", "p.qualcode", cwd=folder)
        keyword.update({i: p for i, p in suggested_pairs(folder).items() if i in held_ids})
        start = time.perf_counter()
        qualcode("learn", "--coder", "gold", "--project", "p.qualcode", cwd=folder)
        learn_seconds += time.perf_counter() - start
        qualcode("code", "--with-model", "--project", "p.qualcode", cwd=folder)
        combined.update({i: p for i, p in suggested_pairs(folder).items() if i in held_ids})
        print(f"  fold {k + 1}/{folds} done", file=sys.stderr)
    gold = {r["id"]: labels_of(r) for r in rows}
    ids = [r["id"] for r in rows]
    return from_pairs(gold, keyword, ids), from_pairs(gold, combined, ids), learn_seconds


# -- printing -----------------------------------------------------------------------------
def _n(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def print_table(title: str, figures: Mapping[str, Any]) -> None:
    print(f"\n{title} (n = {figures['n']})")
    print(f"{'aspect':<12} {'gold':>4} {'sugg':>4} {'P':>5} {'R':>5} {'alpha':>6}")
    for aspect in ASPECTS:
        v = figures["aspects"][aspect]
        print(f"{aspect:<12} {v['gold']:>4} {v['suggested']:>4} {_n(v['precision']):>5} {_n(v['recall']):>5} "
              f"{_n(v['alpha']):>6}")
    print(f"mean alpha {_n(mean_alpha(figures))}; aspect micro-F1 {_n(figures['micro_f1'])}; "
          f"aspect:direction F1 {_n(figures['direction_f1'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEFAULT_DEVSET, help="folder with segments.csv")
    parser.add_argument("--with-model", action="store_true", help="also keywords + model, by cross-validation folds")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    with (args.devset / "segments.csv").open(encoding="utf-8", newline="") as f:
        rows = [dict(r, half=half(r)) for r in csv.DictReader(f)]
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        alone = keywords_alone(rows, args.devset, Path(tmp))
        print(f"Development set: {len(rows)} segments ({sum(r['half'] == 'A' for r in rows)} in half A), "
              f"keywords alone through the CLI in {time.perf_counter() - start:.1f} s")
        print_table("Keywords alone, all segments", alone[None])
        print_table("Keywords alone, half A (summary, chapters 1-2)", alone["A"])
        print_table("Keywords alone, half B (chapters 3-4, appendices, EU page)", alone["B"])
        figures = alone[None]
        print(f"\nAgainst the baseline of issue 15: mean alpha {_n(mean_alpha(figures))} vs "
              f"{BASELINE['mean_alpha']:.2f}, micro-F1 {_n(figures['micro_f1'])} vs {BASELINE['micro_f1']:.2f}, "
              f"aspect:direction F1 {_n(figures['direction_f1'])} vs {BASELINE['direction_f1']:.2f}")
        result["keywords"] = {str(k): v for k, v in alone.items()}
        if args.with_model:
            held_keywords, held_combined, seconds = with_model(rows, Path(tmp), args.folds)
            print_table(f"Keywords alone, held-out blocks ({args.folds} folds; check: equals the first table)",
                        held_keywords)
            print_table(f"Keywords + model, held-out blocks ({args.folds} folds)", held_combined)
            print(f"`learn` took {seconds:.1f} s in all ({seconds / args.folds:.1f} s per fold)")
            for aspect in ASPECTS:
                a = held_keywords["aspects"][aspect]["alpha"]
                b = held_combined["aspects"][aspect]["alpha"]
                if a is not None and b is not None and b < a:
                    print(f"  keywords + model is below keywords alone on {aspect}: alpha {b:.2f} < {a:.2f}")
            result["held_out_keywords"], result["held_out_combined"] = held_keywords, held_combined
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
