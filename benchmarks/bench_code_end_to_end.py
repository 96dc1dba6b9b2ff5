"""End-to-end throughput of `qualcode code` against the bare NLP pipeline, in one run.

`code` reads the segments from the project store, runs the NLP pipeline, matches
the codebook's rules and writes the suggestions back in one transaction. The
baseline is the bare pipeline (tokenise + lemmatise + sentences, no matching, no
store) on the same texts, measured in the same process. Goal: ratio >= 0.5, peak
memory < 1 GB.

    .venv/bin/python benchmarks/bench_code_end_to_end.py --words 1000000
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_autocode import generate_corpus

from qualcode import store
from qualcode.coding.codebook import default_codebook_path, load_codebook
from qualcode.project import Project


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cold() -> None:
    """Forget the pipelines, lemmas and compiled codebooks built so far (the lookup tables stay:
    reading them is a one-off per process that the bare pipeline has paid as well)."""
    from qualcode.coding import nlp as nlp_module
    from qualcode.coding.keywords import rules

    nlp_module.build_pipeline.cache_clear()
    nlp_module._dutch_lemma.cache_clear()
    rules._COMPILED.clear()


def fill_project(project: Project, corpus, per_document: int = 200) -> int:
    """Write the corpus as documents of ``per_document`` turns (setup, not measured)."""
    con = project.con
    segments = corpus.segments
    with store.transaction(con):
        con.execute("INSERT INTO studies(name) VALUES ('bench')")
        for i in range(0, len(segments), per_document):
            chunk = segments[i:i + per_document]
            text, spans = "", []
            for seg in chunk:
                prefix = f"{seg.speaker}: "
                start = len(text) + len(prefix)
                text += prefix + seg.text + "\n\n"
                spans.append((seg, start, start + len(seg.text)))
            con.execute("INSERT INTO documents(study_id, name, format, text, sha256, unit, imported_at) "
                        "VALUES (1, ?, 'txt', ?, ?, 'turn', ?)",
                        (f"doc-{i // per_document}.txt", text, hashlib.sha256(text.encode()).hexdigest(), store.now()))
            doc_id = con.execute("SELECT last_insert_rowid()").fetchone()[0]
            con.executemany("INSERT OR IGNORE INTO cases(id) VALUES (?)", [(s.case_id,) for s, _, _ in spans])
            con.executemany(
                'INSERT INTO segments(document_id, position, start, "end", speaker, case_id, kind, to_code) '
                "VALUES (?, ?, ?, ?, ?, ?, 'turn', 1)",
                [(doc_id, pos, s, e, seg.speaker, seg.case_id) for pos, (seg, s, e) in enumerate(spans)],
            )
    return len(segments)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--jobs", default="1", help="comma-separated worker counts to run `code` with, e.g. 1,2")
    args = parser.parse_args()
    jobs_list = [int(jobs) for jobs in args.jobs.split(",")]
    codebook_path = default_codebook_path("nl")
    codebook = load_codebook(codebook_path)
    corpus = generate_corpus(args.words)
    print(f"corpus: {corpus.words:,} words in {len(corpus.segments):,} segments; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    from qualcode.coding.keywords.prefilter import prefilter_for
    from qualcode.coding.keywords.rules import compile_rules
    from qualcode.coding.nlp import build_pipeline

    _cold()
    nlp = build_pipeline.__wrapped__(codebook.language)  # a fresh pipeline: cold caches
    gc.collect()
    t0 = time.process_time()
    tokens = sum(len(doc) for doc in nlp.pipe(corpus.texts, batch_size=256))
    bare = time.process_time() - t0
    bare_wps = corpus.words / bare
    print(f"bare pipeline (nlp.pipe)              {bare_wps:>10,.0f} words/s  (CPU {bare:.2f} s, {tokens:,} tokens)")
    _cold()
    t0 = time.process_time()
    fixed_nlp = build_pipeline(codebook.language)
    build = time.process_time() - t0
    t0 = time.process_time()
    prefilter_for(compile_rules(codebook, fixed_nlp), fixed_nlp)
    compile_seconds = time.process_time() - t0
    print(f"one-offs of a `code` run: pipeline {build:.2f} s, codebook and prefilter {compile_seconds:.2f} s CPU "
          "(in the figures below)")
    first_wall = None
    for jobs in jobs_list:
        with tempfile.TemporaryDirectory() as tmp, Project.init(Path(tmp) / "bench.qualcode") as project:
            fill_project(project, corpus)
            _cold()
            gc.collect()
            t0, w0, c0 = time.process_time(), time.perf_counter(), _children_cpu()
            report = project.code(codebook_path, jobs=jobs)
            coded = time.process_time() - t0
            wall = time.perf_counter() - w0
            workers = _children_cpu() - c0
        if jobs == 1:
            code_wps = corpus.words / coded
            ratio = code_wps / bare_wps
            print(f"qualcode code --jobs 1 (store→NLP→store) {code_wps:>10,.0f} words/s  (CPU {coded:.2f} s, "
                  f"wall {wall:.2f} s, {report.added:,} suggestions)")
            print(f"ratio code / bare pipeline: {ratio:.2f} (goal >= 1.00) {'OK' if ratio >= 1.0 else 'BELOW GOAL'}")
        else:
            print(f"qualcode code --jobs {jobs}                 {corpus.words / wall:>10,.0f} words/s  (wall {wall:.2f} s; "
                  f"CPU {coded:.2f} s here, {workers:.2f} s in the workers; {report.added:,} suggestions)")
        if first_wall is None:
            first_wall = (jobs, wall)
        else:
            speedup = first_wall[1] / wall
            print(f"wall --jobs {first_wall[0]} / --jobs {jobs}: {speedup:.2f} (goal >= 1.70 for 1 / 2) "
                  f"at load average {os.getloadavg()[0]:.1f}")
    peak = _peak_rss_mb()
    print(f"peak memory (max RSS of this process): {peak:,.0f} MB (goal < 1024 MB) {'OK' if peak < 1024 else 'ABOVE GOAL'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
