"""Time of `qualcode learn` on about 1,000 decided segments, against the bare model fit in the same run.

    .venv/bin/python benchmarks/bench_learn.py               # 3 copies of the sample: 1,086 segments
    .venv/bin/python benchmarks/bench_learn.py --copies 1    # the sample's 362 decided segments
    .venv/bin/python benchmarks/bench_learn.py --repeat 5

The decided segments are the sample's: `qualcode demo` builds the sample project, whose
coder anna decided 362 segments. Each copy of a segment is varied (about one word in
ten left out, seeded), so the copies are not duplicates but have anna's codings. They are
imported as a table (`init`, `import --text-column text --id-column id`), coded with the
default codebook (`code`) and given to coder anna (`decisions import`), all through the CLI.

Then, ``--repeat`` times:

* ``learn --coder anna`` through the CLI, a subprocess: its processor time (user + system,
  start-up included) and wall time;
* the bare fit, in this process, on the same texts and labels: per code one
  TfidfVectorizer (words 1-2 and char_wb 3-5, the model's features) and one
  LogisticRegression (liblinear), no cross-validation.

It prints the medians and the ratio learn / bare fit. (The copies make the report's
precision and recall meaningless: a held-out segment's near-twin is in the training folds.
This benchmark measures time only.) Goal (issue 15): `learn` on 1,000
decided segments under 15 s of processor time. `learn` fits about 50 classifiers per code
and target (nested cross-validation with a choice of C and threshold) but analyses the
texts once, so the ratio says what the cross-validation costs over one plain training.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))


def qualcode(*args: str, cwd: Path) -> tuple[str, float, float]:
    """Run the CLI; its output, processor seconds (user + system) and wall seconds."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "qualcode", *args], cwd=cwd, env=env, capture_output=True,
                            text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"qualcode {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result.stdout, cpu, wall


def sample_decisions(folder: Path) -> list[tuple[str, set[tuple[str, str]]]]:
    """The sample's segments anna decided, with what she accepted on each."""
    from qualcode.project import Project
    from qualcode.store.codings import decided_segments, decisions_for

    qualcode("demo", "--out", str(folder / "demo"), cwd=folder)
    project = Project.open(folder / "demo" / "demo.qualcode")
    try:
        decided = decided_segments(project.con, "anna")
        texts = {s.id: s.text for s in project.segments(only_to_code=True) if s.id in decided}
        accepted: dict[int, set[tuple[str, str]]] = {i: set() for i in texts}
        for r in decisions_for(project.con, "anna"):
            if r.status == "accepted" and r.segment_id in accepted:
                accepted[r.segment_id].add((r.code, r.direction))
    finally:
        project.close()
    return [(texts[i], accepted[i]) for i in sorted(texts)]


def varied(text: str, rng: random.Random) -> str:
    words = text.split()
    kept = [w for w in words if rng.random() >= 0.1] or words
    return " ".join(kept)


def build(folder: Path, decided: list[tuple[str, set[tuple[str, str]]]], copies: int) -> list[tuple[str, set]]:
    rng = random.Random(15)
    rows = [(text if copy == 0 else varied(text, rng), pairs) for copy in range(copies) for text, pairs in decided]
    with (folder / "decided.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "labels"])
        for i, (text, pairs) in enumerate(rows, 1):
            labels = ";".join(f"{c}:{d}" for c, d in sorted(pairs)) or "none"
            writer.writerow([f"s{i}", text, labels])
    qualcode("init", "p.qualcode", cwd=folder)
    qualcode("import", "decided.csv", "--text-column", "text", "--id-column", "id", "--project", "p.qualcode",
             cwd=folder)
    qualcode("code", "--project", "p.qualcode", cwd=folder)
    qualcode("decisions", "import", "decided.csv", "--coder", "anna", "--id-column", "id", "--labels-column",
             "labels", "--project", "p.qualcode", cwd=folder)
    return rows


def bare_fit(rows: list[tuple[str, set]]) -> float:
    """Processor seconds of one TF-IDF + liblinear fit per code on all rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

    texts = [t for t, _ in rows]
    codes = sorted({c for _, pairs in rows for c, _ in pairs})
    start = time.process_time()
    for code in codes:
        y = [int(any(c == code for c, _ in pairs)) for _, pairs in rows]
        union = FeatureUnion([
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True))])
        LogisticRegression(class_weight="balanced", solver="liblinear").fit(union.fit_transform(texts), y)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3, help="copies of the sample's decided segments")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        decided = sample_decisions(folder)
        rows = build(folder, decided, args.copies)
        learn_cpu, learn_wall, bare = [], [], []
        for _ in range(args.repeat):
            output, cpu, wall = qualcode("learn", "--coder", "anna", "--project", "p.qualcode", cwd=folder)
            learn_cpu.append(cpu)
            learn_wall.append(wall)
            bare.append(bare_fit(rows))
        _, startup, _ = qualcode("--help", cwd=folder)
    print(f"{len(rows)} decided segments ({args.copies} varied copies of the sample's {len(decided)}), "
          f"{args.repeat} runs, medians:")
    print(f"  qualcode learn (CLI, processor time): {statistics.median(learn_cpu):6.2f} s   "
          f"(wall {statistics.median(learn_wall):.2f} s; start-up of the CLI alone {startup:.2f} s)")
    print(f"  bare fit (TF-IDF + liblinear, once per code): {statistics.median(bare):6.2f} s")
    print(f"  ratio learn / bare fit: {statistics.median(learn_cpu) / statistics.median(bare):.1f}")
    goal = "met" if statistics.median(learn_cpu) < 15 else "NOT met"
    print(f"  goal: learn under 15 s of processor time on ~1,000 segments: {goal}")
    print("\nThe last run's report (its figures measure nothing: the copies of one segment fall in different "
          "folds, so the model sees each held-out text's near-twin; for validity see bench_validity.py):\n" + output)


if __name__ == "__main__":
    main()
