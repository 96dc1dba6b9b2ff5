"""What the store's safety costs: the fault-mapping cursor, the check on open, and a backup.

Against baselines measured in the same run on the same project file:

* reading every segment row through qualcode's connection (which maps SQLite faults to
  one-line errors) against a plain ``sqlite3`` connection;
* ``open_store`` (which runs ``PRAGMA quick_check`` up to 64 MB) against a bare connect;
* a backup into ``.qualcode-backups/`` (SQLite's online backup plus a quick_check of the
  copy) against copying the file with ``shutil.copyfile``.

    .venv/bin/python benchmarks/bench_store_safety.py --segments 20000
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from qualcode import store
from qualcode.project import Project
from qualcode.store import connection


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def build(path: Path, segments: int) -> None:
    with Project.init(path) as project:
        con = project.con
        text = " ".join(["Het nakijkwerk gaat sneller, maar de werkdruk blijft hoog."] * 4)
        with store.transaction(con):
            con.execute("INSERT INTO studies(name) VALUES ('s')")
            for d in range(0, segments, 500):
                body = "\n".join([text] * 500)
                cur = con.execute("INSERT INTO documents(study_id, name, format, text, sha256, unit, imported_at) "
                                  "VALUES (1, ?, 'txt', ?, ?, 'turn', ?)", (f"d{d}.txt", body, f"h{d}", store.now()))
                doc = cur.lastrowid
                con.executemany('INSERT INTO segments(document_id, position, start, "end", kind, to_code) '
                                "VALUES (?, ?, ?, ?, 'turn', 1)",
                                [(doc, i, i * (len(text) + 1), i * (len(text) + 1) + len(text)) for i in range(500)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.qualcode"
        build(path, args.segments)
        size_mb = path.stat().st_size / 2**20
        print(f"project: {args.segments} segments, {size_mb:.1f} MB")

        plain = sqlite3.connect(path)
        ours = connection.open_store(path)
        sql = "SELECT * FROM segments"
        base = _median(lambda: [tuple(r) for r in plain.execute(sql)], args.repeat)
        mapped = _median(lambda: [tuple(r) for r in ours.execute(sql)], args.repeat)
        print(f"read all segments: plain {base * 1000:.1f} ms, qualcode's connection {mapped * 1000:.1f} ms, "
              f"ratio {mapped / base:.2f}")
        plain.close()
        ours.close()

        def bare_open() -> None:
            sqlite3.connect(path).execute("SELECT value FROM meta").fetchall()

        def store_open() -> None:
            connection.open_store(path).close()

        base, checked = _median(bare_open, args.repeat), _median(store_open, args.repeat)
        print(f"open: bare connect {base * 1000:.1f} ms, open_store with quick_check {checked * 1000:.1f} ms "
              f"({(checked - base) * 1000 / max(size_mb, 0.01):.1f} ms per MB)")

        copy_target = Path(tmp) / "copy.qualcode"
        base = _median(lambda: shutil.copyfile(path, copy_target), args.repeat)
        con = connection.open_store(path)
        backup = _median(lambda: connection.backup_project(con, path), args.repeat)
        con.close()
        print(f"backup: file copy {base * 1000:.1f} ms, checked online backup {backup * 1000:.1f} ms, "
              f"ratio {backup / base:.1f}")


if __name__ == "__main__":
    main()
