"""Throughput of the name detector and the replacer, against the frozen copy of their older code.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_detect.py                  # 1,000,000 words of each text
    PYTHONPATH=. .venv/bin/python benchmarks/bench_detect.py --words 200000 --repeat 5

Two texts, each cut into documents of about 7,000 words:

* generated: the interview transcripts of bench_scale.py (an interviewer's question, a respondent's
  turn from the auto-coder benchmark's templates): few names, many ordinary capitalised words;
* name-dense: tests/privacy_texts.py, a name in most sentences (titles, roles, first names with
  surnames, schools, places, e-mail addresses, phone numbers).

For each: CPU time of ``detect`` per million words and words per second, for qualcode's detector
and for ``tests/privacy_reference.py`` (the detector and replacer as they were before the speed
work) measured in the same run on the same text, their ratio, and whether both found the same.
Then the replacer: a key of ``--key-size`` terms (the sure findings of the name-dense text and
their parts, topped up with first names from the name lists), run over both texts by
``Replacer.replacements``; again against the reference, with its ratio and equality.

Figures are medians of ``--repeat`` runs of CPU time (``time.process_time``); the load average
is printed because the machine may be shared. No goals are asserted: the figures are for reading.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from dataclasses import astuple
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import privacy_reference as reference  # noqa: E402
from bench_autocode import generate_corpus  # noqa: E402
from privacy_texts import name_dense_text  # noqa: E402

from qualcode.privacy import detect as live  # noqa: E402
from qualcode.privacy.replace import Replacer  # noqa: E402

WORDS_PER_DOCUMENT = 7000
QUESTIONS = ["Hoe gebruik je AI in je werk?", "Wat betekent dat voor je werkdruk?",
             "Kun je daar een voorbeeld van geven?", "En hoe is het contact met leerlingen?"]


def generated_documents(words: int, seed: int = 2025) -> list[tuple[str, str]]:
    """Interview transcripts as bench_scale.py writes them, as (name, text) pairs."""
    rng = random.Random(seed)
    docs, lines, in_doc = [], [], 0
    for segment in generate_corpus(words, seed=seed).segments:
        lines.append(f"Interviewer: {rng.choice(QUESTIONS)}\n\nRespondent: {segment.text}\n")
        in_doc += len(segment.text.split())
        if in_doc >= WORDS_PER_DOCUMENT:
            docs.append((f"interview-{len(docs) + 1:05d}.txt", "\n".join(lines)))
            lines, in_doc = [], 0
    if lines:
        docs.append((f"interview-{len(docs) + 1:05d}.txt", "\n".join(lines)))
    return docs


def dense_documents(words: int) -> list[tuple[str, str]]:
    n = max(1, round(words / WORDS_PER_DOCUMENT))
    return [(f"dense-{i + 1:04d}.txt", name_dense_text(words // n, seed=i + 1)) for i in range(n)]


def cpu_median(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.process_time()
        result = run()
        times.append(time.process_time() - started)
    return statistics.median(times), result


def fresh_detect(docs: list[tuple[str, str]]) -> Any:
    """The detector as a new process meets it: without the lower-case vocabulary it keeps by the texts' hash."""
    live._VOCABULARIES.clear()
    return live.detect(docs)


def findings(detection: Any) -> tuple[Any, ...]:
    return [astuple(f) for f in detection.findings], dict(detection.unexplained), dict(detection.examples)


def key_for(docs: list[tuple[str, str]], size: int) -> dict[str, str]:
    """The pipeline's key in short: every sure finding and its parts, then first names up to ``size`` terms."""
    key: dict[str, str] = {}
    for n, f in enumerate((f for f in live.detect(docs).findings if f.sure), start=1):
        for term in (f.text, *f.parts):
            if len(key) < size:
                key.setdefault(term, f"[Persoon {n}]")
    for name in sorted(live.name_lists()[0]):
        if len(key) >= size:
            break
        key.setdefault(name.title(), f"[Persoon {len(key) + 1}]")
    return key


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=1_000_000, help="words of each text (default 1,000,000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; figures are medians")
    ap.add_argument("--key-size", type=int, default=303, help="terms in the replacer's key (default 303)")
    args = ap.parse_args()
    live.name_lists()
    reference.name_lists()
    texts = {"generated": generated_documents(args.words), "name-dense": dense_documents(args.words)}
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; medians of {args.repeat} runs, CPU time")
    for label, docs in texts.items():
        words = sum(len(t.split()) for _, t in docs)
        new_s, new = cpu_median(lambda docs=docs: fresh_detect(docs), args.repeat)
        old_s, old = cpu_median(lambda docs=docs: reference.detect(docs), args.repeat)
        same = findings(new) == findings(old)
        print(f"detect   {label:<10} {words:>9,} words in {len(docs):>3} documents: {new_s / words * 1e6:5.2f} s per "
              f"1M words ({words / new_s:>9,.0f} words/s); reference {old_s / words * 1e6:5.2f} s "
              f"({words / old_s:>9,.0f} words/s); {old_s / new_s:4.1f} x; {len(new.findings):,} findings, "
              f"same as the reference: {'yes' if same else 'NO'}")
    key = key_for(texts["name-dense"], args.key_size)
    common = live.lowercase_vocabulary(t for d in texts.values() for _, t in d) | set(live.name_lists()[3])
    build_new, replacer = cpu_median(lambda: Replacer(key, common_words=common), 1)
    build_old, old_replacer = cpu_median(lambda: reference.Replacer(key, common_words=common), 1)
    print(f"replacer key of {len(key)} terms: built in {build_new:.2f} s (reference {build_old:.2f} s)")
    for label, docs in texts.items():
        words = sum(len(t.split()) for _, t in docs)
        new_s, new = cpu_median(lambda docs=docs: [replacer.replacements(t) for _, t in docs], args.repeat)
        old_s, old = cpu_median(lambda docs=docs: [old_replacer.replacements(t) for _, t in docs], args.repeat)
        same = [[astuple(r) for r in rs] for rs in new] == [[astuple(r) for r in rs] for rs in old]
        print(f"replace  {label:<10} {words:>9,} words: {new_s / words * 1e6:5.2f} s per 1M words "
              f"({words / new_s:>9,.0f} words/s); reference {old_s / words * 1e6:5.2f} s "
              f"({words / old_s:>9,.0f} words/s); {old_s / new_s:4.1f} x; {sum(map(len, new)):,} replacements, "
              f"same as the reference: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
