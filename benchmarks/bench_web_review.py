"""How long one decision takes in the browser's review, against the terminal's, on the demo project.

    .venv/bin/python benchmarks/bench_web_review.py            # 60 segments each
    .venv/bin/python benchmarks/bench_web_review.py --segments 20

Builds the demo project once (``qualcode demo``), copies it twice and, in one run, times
per segment:

* the baseline, the terminal's work for one key: ``review_item`` for the segment, its
  entries, and ``apply_decisions`` of "accept all" (what `qualcode review` does between
  two key presses, without drawing);
* the web: over real HTTP to a waitress server on 127.0.0.1 (in a thread), the GET of the
  review page (rendered) and the POST of "accept all" (stored, then redirected).

Prints the median and 90th percentile per segment in milliseconds and the ratio of the
medians (web / terminal). The goal of issue 16 is that a keyboard review in the browser
is as fast as in the terminal for a person: well under the ~100 ms at which a page feels
instant.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from qualcode.project import Project  # noqa: E402


def build_demo(folder: Path) -> Path:
    from click.testing import CliRunner

    from qualcode.cli import main

    result = CliRunner().invoke(main, ["demo", "--out", str(folder / "demo")])
    if result.exit_code != 0:
        raise SystemExit(f"the demo failed: {result.output}")
    return folder / "demo" / "demo.qualcode"


def terminal(path: Path, segments: int) -> list[float]:
    from qualcode.coding.codebook import stored_codebook
    from qualcode.review.queue import review_item, review_queue
    from qualcode.review.terminal import decisions_from, entries_for
    from qualcode.store import codings

    times = []
    with Project.open(path) as project:
        store = project.store
        codebook = stored_codebook(store)
        queue = review_queue(store, "bench")[:segments]
        for queued in queue:
            start = time.perf_counter()
            item = review_item(store, "bench", queued.segment.id, reason=queued.reason)
            entries = entries_for(item, codebook)
            for e in entries:
                e.ticked = True
            codings.apply_decisions(store.con, "bench", decisions_from(item.segment.id, entries), source="terminal",
                                    valid_codes=codebook.code_ids, done_segments=[item.segment.id])
            times.append(time.perf_counter() - start)
    return times


def web(path: Path, segments: int) -> list[float]:
    from qualcode.web.server import start

    running = start(path, port=0, coder="bench")
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    jar = http.cookiejar.CookieJar()
    follow = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    once = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    base = running.url.split("?")[0].rstrip("/")
    try:
        with follow.open(running.url) as response:  # the token, then the first page of the queue
            url = response.geturl()
        times = []
        for _ in range(segments):
            start = time.perf_counter()
            with follow.open(url) as response:
                html = response.read().decode()
            form = html[html.index('id="decide"'):]
            data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1),
                    "segment_id": re.search(r'name="segment_id" value="(\d+)"', form).group(1),
                    "version": re.search(r'name="version" value="(\d+)"', form).group(1), "action": "accept_all"}
            try:
                once.open(url, data=urllib.parse.urlencode(data).encode())
            except urllib.error.HTTPError as redirect:  # 302 to the next segment, as expected
                if redirect.code != 302:
                    raise
                url = base + redirect.headers["Location"]
                redirect.close()
            times.append(time.perf_counter() - start)
        return times
    finally:
        running.close()
        thread.join(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo = build_demo(folder)
        copies = []
        for name in ("terminal", "web"):
            copy = folder / f"{name}.qualcode"
            shutil.copy(demo, copy)
            copies.append(copy)
        base = terminal(copies[0], args.segments)
        served = web(copies[1], args.segments)
        with Project.open(copies[0]) as a, Project.open(copies[1]) as b:
            def log(project: Project) -> set:
                return {(e.segment_id, e.action, e.code, e.direction) for e in project.history(coder="bench")}

            same = log(a) == log(b) and a.decided_segments("bench") == b.decided_segments("bench")
    for name, times in (("terminal (baseline)", base), ("web (HTTP, page + decision)", served)):
        ms = sorted(t * 1000 for t in times)
        print(f"{name:30s} median {statistics.median(ms):7.1f} ms   p90 {ms[int(len(ms) * 0.9) - 1]:7.1f} ms   "
              f"({len(ms)} segments)")
    print(f"ratio of the medians, web / terminal: {statistics.median(served) / statistics.median(base):.1f}x")
    print(f"both decided the same segments: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
