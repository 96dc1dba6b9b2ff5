"""Every stage of a study at scale, through the CLI: wall, CPU and peak memory per stage, and growth.

    .venv/bin/python benchmarks/bench_scale.py --words 1e6
    .venv/bin/python benchmarks/bench_scale.py --words 1e6,1e7 --survey-answers 1e5,2e5

For each corpus size it generates Dutch interview transcripts (about 7,000 words per
file, two speakers, sentences from the auto-coder benchmark's templates, about one in
five about an aspect of work), then runs each stage as its own ``python -m qualcode``
process: import (the folder), code, review export (one coder), review import (10 % of
the rows marked decided), matrix, export xlsx (the decisions, then with ``--include-suggested``:
every suggestion a row), report. The figures per stage are the child's own: wall time, CPU
time (user + system, from ``wait4``'s rusage) and peak resident memory (its ``ru_maxrss``).
Preparing the filled-in workbook (a coder's work) is not measured.

Two baselines for ``code``, each ``nlp.pipe`` over the same turns in a child process of its
own in the same run: the issue's bare spaCy pipeline (blank nl + spaCy's lookup lemmatiser +
spaCy's sentencizer) and qualcode's own pipeline (the same steps, lemmas cached per form and a
sentencizer that reads the forms' hashes), the stricter one.

``--survey-answers`` generates survey tables (one row per respondent: id, three
attributes, one open answer of 10-60 words) and measures ``import`` of each; the growth
factor between sizes says whether the table import is linear. ``--compare-with DIR`` times
the import of another checkout (``git worktree add /tmp/old v0.x``) on the same tables,
its runs taking turns with this checkout's:

    .venv/bin/python benchmarks/bench_scale.py --words "" --survey-answers 1e5,2e5 --repeat 5 --compare-with /tmp/old

Figures are medians of ``--repeat`` runs (default 1: the 10 M run takes minutes).
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench_autocode import generate_corpus  # noqa: E402

WORDS_PER_FILE = 7000
CODER = "bench"
DECIDED_SHARE = 0.10
STAGES = ("import", "code", "review export", "review import", "matrix", "export xlsx", "export xlsx, suggested",
          "report")
BASELINE = "bare spaCy pipeline"  # the baseline of code
OWN_BASELINE = "qualcode's own pipeline"
CHAIN_20S = ("import", "code", "review export", "matrix", "export xlsx", "report")  # the 1 M words goal


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float


def _env(root: Path = ROOT) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_child(args: list[str], cwd: Path, root: Path = ROOT) -> tuple[Run, str]:
    """Run one child process (of the code in ``root``) to the end; its wall time, CPU time and peak memory,
    and its output."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(args, cwd=cwd, env=_env(root), stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed (exit {proc.returncode}):\n{text[-3000:]}")
    peak = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / (1024 * 1024)
    return Run(wall, usage.ru_utime + usage.ru_stime, peak), text


def qualcode(*args: str, cwd: Path, root: Path = ROOT) -> tuple[Run, str]:
    return run_child([sys.executable, "-m", "qualcode", *args], cwd, root)


# -- material -------------------------------------------------------------------------------
def write_transcripts(folder: Path, words: int, seed: int = 2025) -> tuple[int, int, Path]:
    """Transcripts of about WORDS_PER_FILE words: interviewer questions and respondent turns.

    Returns (words, files, path of a text file with the respondent turns, one per line, for the baseline)."""
    folder.mkdir(parents=True)
    corpus = generate_corpus(words, seed=seed)
    rng = random.Random(seed)
    questions = ["Hoe gebruik je AI in je werk?", "Wat betekent dat voor je werkdruk?",
                 "Kun je daar een voorbeeld van geven?", "En hoe is het contact met leerlingen?",
                 "Heb je het gevoel dat je zelf kunt kiezen?", "Wat vind je daar leuk aan?"]
    files, in_file, lines = 0, 0, []
    turns = folder.parent / f"turns-{words}.txt"
    with open(turns, "w", encoding="utf-8") as turn_file:
        for segment in corpus.segments:
            lines.append(f"Interviewer: {rng.choice(questions)}\n\nRespondent: {segment.text}\n")
            turn_file.write(segment.text + "\n")
            in_file += len(segment.text.split())
            if in_file >= WORDS_PER_FILE:
                files += 1
                (folder / f"interview-{files:05d}.txt").write_text("\n".join(lines), encoding="utf-8")
                lines, in_file = [], 0
        if lines:
            files += 1
            (folder / f"interview-{files:05d}.txt").write_text("\n".join(lines), encoding="utf-8")
    return corpus.words, files, turns


def write_survey(path: Path, answers: int, seed: int = 7) -> None:
    """A survey table: respondent id, three attributes and one open answer per row."""
    corpus = generate_corpus(answers * 35, seed=seed)
    rng = random.Random(seed)
    texts = [s.text for s in corpus.segments]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["respondent", "sector", "ervaring", "regio", "toelichting"])
        for i in range(answers):
            words = texts[i % len(texts)].split()
            start = rng.randrange(max(1, len(words) - 10))
            answer = " ".join(words[start:start + rng.randint(10, 60)])
            writer.writerow([f"R{i + 1:07d}", rng.choice(["po", "vo", "mbo"]), rng.randint(0, 40),
                             rng.choice(["noord", "oost", "zuid", "west"]), answer])


def fill_in_review(source: Path, target: Path, share: float, seed: int = 3) -> int:
    """A coder's work, not measured: mark ``share`` of the rows decided, leaving the suggestions standing.

    Streams (openpyxl read-only in, XlsxWriter constant_memory out, which writes the sheet
    dimensions at the top as Excel and LibreOffice do), so preparing a 10 M words workbook
    stays small; the copy keeps the values of every sheet, which is all the import reads."""
    from openpyxl import load_workbook
    from xlsxwriter import Workbook

    rng = random.Random(seed)
    src = load_workbook(source, read_only=True)
    out = Workbook(str(target), {"constant_memory": True, "strings_to_formulas": False,
                                 "strings_to_numbers": False, "strings_to_urls": False})
    decided = 0
    for ws in src.worksheets:
        copy = out.add_worksheet(ws.title)
        col = None
        for r, values in enumerate(ws.iter_rows(values_only=True)):
            row = list(values)
            if r == 0 and ws.title == "Review":
                col = row.index("decided")
            elif col is not None and rng.random() < share:
                row[col] = "ja"
                decided += 1
            for c, value in enumerate(row):
                if isinstance(value, str):
                    copy.write_string(r, c, value)
                elif value is not None:
                    copy.write(r, c, value)
    src.close()
    out.close()
    return decided


# -- measurements ---------------------------------------------------------------------------
def bare_pipeline(turns: Path, cwd: Path, own: bool) -> tuple[Run, float]:
    """A bare pipeline over the same turns, in a child: its run and words per CPU second. ``own``:
    qualcode's; else the issue's bare spaCy pipeline (spaCy's lookup lemmatiser and sentencizer)."""
    build = ("from qualcode.coding import nlp as m\n"
             "nlp = m.build_pipeline.__wrapped__('nl'); m.lemma('leraren', 'nl')\n") if own else (
             "import spacy\n"
             "nlp = spacy.blank('nl'); nlp.add_pipe('lemmatizer', config={'mode': 'lookup'})\n"
             "nlp.add_pipe('sentencizer'); nlp.initialize()\n")
    script = (
        "import sys, time\n" + build +
        f"texts = open({str(turns)!r}, encoding='utf-8').read().splitlines()\n"
        "t = time.process_time(); n = sum(len(d) for d in nlp.pipe(texts, batch_size=256))\n"
        "w = sum(len(x.split()) for x in texts)\n"
        "print(w / (time.process_time() - t))\n"
    )
    run, out = run_child([sys.executable, "-c", script], cwd)
    return run, float(out.strip().splitlines()[-1])


def measure_corpus(words: int, tmp: Path) -> tuple[dict[str, Run], dict[str, object]]:
    base = tmp / f"w{words}"
    real_words, files, turns = write_transcripts(base / "transcripts", words)
    project = base / "p.qualcode"
    qualcode("init", str(project), cwd=base)
    p = ("--project", str(project))
    runs: dict[str, Run] = {}
    runs["import"], _ = qualcode("import", "transcripts", "--study", "bench", *p, cwd=base)
    runs["code"], _ = qualcode("code", *p, cwd=base)
    runs["review export"], _ = qualcode("review", "export", "review.xlsx", "--coder", CODER, *p, cwd=base)
    decided = fill_in_review(base / "review.xlsx", base / "review-filled.xlsx", DECIDED_SHARE)
    runs["review import"], _ = qualcode("review", "import", "review-filled.xlsx", "--coder", CODER, *p, cwd=base)
    runs["matrix"], _ = qualcode("matrix", "--coder", CODER, *p, cwd=base)
    runs["export xlsx"], _ = qualcode("export", "xlsx", "results.xlsx", "--coder", CODER, *p, cwd=base)
    runs["export xlsx, suggested"], _ = qualcode("export", "xlsx", "results-suggested.xlsx", "--coder", CODER,
                                                 "--include-suggested", *p, cwd=base)
    runs["report"], _ = qualcode("report", "report", "--coder", CODER, *p, cwd=base)
    runs[BASELINE], wps = bare_pipeline(turns, base, own=False)
    runs[OWN_BASELINE], own_wps = bare_pipeline(turns, base, own=True)
    info = {"words": real_words, "files": files, "decided": decided, "bare_wps": wps, "own_wps": own_wps}
    return runs, info


def measure_survey(survey: Path, folder: Path, root: Path = ROOT) -> Run:
    """``import`` of the survey table into a new project in ``folder``, by the code in ``root``."""
    folder.mkdir(parents=True)
    qualcode("init", "p.qualcode", cwd=folder, root=root)
    run, _ = qualcode("import", str(survey), "--text-column", "toelichting", "--id-column", "respondent",
                      "--project", "p.qualcode", cwd=folder, root=root)
    return run


def _median(runs: list[Run]) -> Run:
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               statistics.median(r.peak_mb for r in runs))


def _size(n: float) -> str:
    return f"{n / 1e6:g} M" if n >= 1e6 else f"{n / 1e3:g} k"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", default="1e6", help="corpus sizes in words, comma-separated (default 1e6)")
    parser.add_argument("--survey-answers", default="", help="survey table sizes in rows, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; figures are medians")
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated material in this folder")
    parser.add_argument("--compare-with", type=Path, default=None,
                        help="another checkout (an older qualcode) whose survey import is timed too, its runs "
                             "taking turns with this checkout's on the same tables")
    args = parser.parse_args(argv)
    sizes = [int(float(x)) for x in args.words.split(",") if x.strip()]
    surveys = [int(float(x)) for x in args.survey_answers.split(",") if x.strip()]

    with contextlib.ExitStack() as stack:
        if args.keep is not None:  # the material stays there, to look at or profile a stage
            args.keep.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=args.keep))
            print(f"material kept in {tmp}")
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        results: dict[int, dict[str, Run]] = {}
        for words in sizes:
            repeats = []
            info: dict[str, object] = {}
            for r in range(args.repeat):
                runs, info = measure_corpus(words, tmp / f"r{r}")
                repeats.append(runs)
            results[words] = {stage: _median([rep[stage] for rep in repeats]) for stage in repeats[0]}
            res = results[words]
            code_wps = int(info['words']) / res['code'].cpu  # type: ignore[call-overload]
            print(f"\n{_size(words)} words: {info['words']:,} words in {info['files']:,} files, "
                  f"{info['decided']:,} review rows decided; the issue's bare spaCy pipeline "
                  f"{info['bare_wps']:,.0f} words/s, qualcode's own {info['own_wps']:,.0f} words/s; "
                  f"code end to end as a command {code_wps:,.0f} words/s ({code_wps / float(info['bare_wps']):.2f} x "  # type: ignore[arg-type]
                  f"the issue's, {code_wps / float(info['own_wps']):.2f} x qualcode's own; CPU)")  # type: ignore[arg-type]
            chain, chain_cpu = sum(res[s].wall for s in CHAIN_20S), sum(res[s].cpu for s in CHAIN_20S)
            print(f"import → code → review export → matrix → xlsx → report: {chain:.1f} s wall, {chain_cpu:.1f} s CPU "
                  f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall is CPU plus waiting)")
        if sizes:
            _print_table(sizes, results)

        if surveys:
            codes = {"this checkout": ROOT, **({"compared": args.compare_with.resolve()} if args.compare_with else {})}
            tables = {}
            for n in surveys:
                tables[n] = tmp / f"survey-{n}.csv"
                write_survey(tables[n], n)
            runs: dict[tuple[str, int], list[Run]] = {(code, n): [] for code in codes for n in surveys}
            for r in range(args.repeat):  # old and new take turns, so that a busy spell hits both
                for n in surveys:
                    for code, root in codes.items():
                        runs[code, n].append(measure_survey(tables[n], tmp / f"s{n}-{r}-{len(runs[code, n])}"
                                                            f"-{code.replace(' ', '-')}", root))
            for code in codes:
                print(f"\nsurvey table import, {code} (wall / CPU / peak, medians of {args.repeat})")
                first = _median(runs[code, surveys[0]])
                for n in surveys:
                    run = _median(runs[code, n])
                    print(f"  {_size(n):>7} answers: {run.wall:6.1f} s / {run.cpu:6.1f} s / {run.peak_mb:6.0f} MB"
                          f"   growth CPU x{run.cpu / first.cpu:.2f}, wall x{run.wall / first.wall:.2f}, "
                          f"peak x{run.peak_mb / first.peak_mb:.2f} (size x{n / surveys[0]:g})")
                    print("      runs (wall/CPU/peak): " + ", ".join(
                        f"{x.wall:.1f}/{x.cpu:.1f}/{x.peak_mb:.0f}" for x in runs[code, n]))
    return 0


def _print_table(sizes: list[int], results: dict[int, dict[str, Run]]) -> None:
    head = f"| {'stage':<26} |" + "".join(f" {_size(w) + ' words (wall / CPU / peak)':^32} |" for w in sizes)
    if len(sizes) > 1:
        head += f" growth {_size(sizes[0])} → {_size(sizes[-1])} (CPU, wall) |"
    print("\n" + head)
    print("|" + "---|" * (head.count("|") - 1))
    for stage in (*STAGES, BASELINE, OWN_BASELINE):
        line = f"| {stage:<26} |"
        for w in sizes:
            r = results[w][stage]
            line += f" {r.wall:7.1f} s / {r.cpu:7.1f} s / {r.peak_mb:6.0f} MB |"
        if len(sizes) > 1:
            a, b = results[sizes[0]][stage], results[sizes[-1]][stage]
            line += f" {b.cpu / a.cpu:5.1f} / {b.wall / a.wall:5.1f} |"
        print(line)


if __name__ == "__main__":
    raise SystemExit(main())
