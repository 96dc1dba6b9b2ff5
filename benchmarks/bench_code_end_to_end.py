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
    args = parser.parse_args()
    codebook_path = default_codebook_path("nl")
    codebook = load_codebook(codebook_path)
    corpus = generate_corpus(args.words)
    print(f"corpus: {corpus.words:,} words in {len(corpus.segments):,} segments")
    with tempfile.TemporaryDirectory() as tmp, Project.init(Path(tmp) / "bench.qualcode") as project:
        fill_project(project, corpus)
        from qualcode.coding.nlp import build_pipeline

        nlp = build_pipeline.__wrapped__(codebook.language)  # a fresh pipeline: cold caches
        gc.collect()
        t0 = time.process_time()
        tokens = sum(len(doc) for doc in nlp.pipe(corpus.texts, batch_size=256))
        bare = time.process_time() - t0
        gc.collect()
        t0, w0 = time.process_time(), time.perf_counter()
        report = project.code(codebook_path)
        coded = time.process_time() - t0
        wall = time.perf_counter() - w0
    bare_wps, code_wps = corpus.words / bare, corpus.words / coded
    print(f"bare pipeline (nlp.pipe)            {bare_wps:>10,.0f} words/s  (CPU {bare:.1f} s, {tokens:,} tokens)")
    print(f"qualcode code (store→NLP→store)     {code_wps:>10,.0f} words/s  (CPU {coded:.1f} s, wall {wall:.1f} s, "
          f"{report.added:,} suggestions)")
    ratio = code_wps / bare_wps
    peak = _peak_rss_mb()
    print(f"ratio code / bare pipeline: {ratio:.2f} (goal >= 0.50) {'OK' if ratio >= 0.5 else 'BELOW GOAL'}")
    print(f"peak memory (max RSS of this process): {peak:,.0f} MB (goal < 1024 MB) {'OK' if peak < 1024 else 'ABOVE GOAL'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
