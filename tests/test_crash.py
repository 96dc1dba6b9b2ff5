"""Crash safety, proved: SIGKILL `import`, `code`, `review import` and `export xlsx` at seeded random points.

Afterwards the project opens, ``PRAGMA integrity_check`` says ok, every earlier decision
and memo is there, the store is as it was before the command or as the whole command
leaves it (never half of it), and an output file is the old one or a complete new one.
The inputs are generated large enough that each command is still running when it is killed
(each kill is checked to have hit a running process).
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qualcode.project import Project
from qualcode.resources import default_codebook_path
from qualcode.store import connection
from qualcode.store.codings import Decision

ROOT = Path(__file__).resolve().parents[1]
SEED = 18
KILLS = 2  # per command
WORDS = ("nakijkwerk werkdruk regie autonomie contact leerlingen plezier tijd administratie collega's les rooster "
         "toets feedback scherm zorg ouders voldoening stress vrijheid").split()

pytestmark = pytest.mark.slow


def _transcripts(folder: Path, n: int, turns: int, rng: random.Random, prefix: str = "int") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        lines = [f"{'Interviewer' if j % 2 == 0 else f'R{i}'}: " + " ".join(rng.choice(WORDS) for _ in range(20)) + "."
                 for j in range(turns)]
        path = folder / f"{prefix}-{i:03}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _start(args: list, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "qualcode", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _run(args: list, cwd: Path) -> float:
    started = time.monotonic()
    proc = _start(args, cwd)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    return time.monotonic() - started


def _kill_at(args: list, cwd: Path, delay: float, may_finish: bool = False, when: Path | None = None) -> bool:
    """Start the command, SIGKILL it after ``delay`` seconds; True when it was still running then.

    With ``when`` (a folder), the delay counts from the moment a temporary output file appears in it.
    """
    for leftover in when.glob(".*.tmp") if when is not None else []:
        leftover.unlink()  # of an earlier kill
    proc = _start(args, cwd)
    if when is not None:
        deadline = time.monotonic() + 60
        while proc.poll() is None and not list(when.glob(".*.tmp")) and time.monotonic() < deadline:
            time.sleep(0.002)
    time.sleep(delay)
    still_running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    if may_finish and not still_running:
        assert proc.returncode == 0, err.decode()
        return False
    assert still_running and proc.returncode == -signal.SIGKILL, f"{args[0]} ended before the kill at {delay:.2f} s"
    return True


def _state(path: Path) -> dict:
    """Everything a command may change, read after the kill (the project must open and be sound)."""
    with Project.open(path) as project:  # opens: recovers the -wal of the killed process
        con = project.con
        state = {
            "integrity": project.store.integrity_check(),
            "decisions": con.execute("SELECT coder, segment_id, code, direction, status FROM codings "
                                     "WHERE coder IS NOT NULL ORDER BY 1, 2, 3, 4").fetchall(),
            "memos": con.execute("SELECT coder, segment_id, text FROM memos ORDER BY 1, 2").fetchall(),
            "log": con.execute("SELECT COUNT(*) FROM decision_log").fetchone()[0],
            "segments": con.execute("SELECT COUNT(*) FROM segments").fetchone()[0],
            "codebook": project.meta("codebook_version"),
            "suggestion_versions": [r[0] for r in con.execute(
                "SELECT DISTINCT codebook_version FROM codings WHERE coder IS NULL AND origin = 'keyword'")],
            "suggestions": con.execute("SELECT COUNT(*) FROM codings WHERE coder IS NULL").fetchone()[0],
        }
    state["decisions"] = [tuple(r) for r in state["decisions"]]
    state["memos"] = [tuple(r) for r in state["memos"]]
    return state


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A coded project (about 1,500 segments to code) with anna's decisions and memos, and her review filled in."""
    from openpyxl import load_workbook

    folder = tmp_path_factory.mktemp("crash")
    rng = random.Random(SEED)
    _transcripts(folder / "first", 50, 30, rng)
    _transcripts(folder / "more", 300, 30, rng, prefix="more")
    path = folder / "base.qualcode"
    Project.init(path).close()
    _run(["import", folder / "first", "--project", path], folder)
    with Project.open(path) as project:
        _suggest(project)
        rows = project.con.execute("SELECT segment_id, code, direction FROM codings WHERE coder IS NULL "
                                   "ORDER BY id").fetchall()
        decisions = [Decision(r[0], "accept" if i % 3 else "reject", r[1], r[2]) for i, r in enumerate(rows)]
        decisions += [Decision(r[0], "memo", memo=f"memo {i}") for i, r in enumerate(rows[:60])]
        project.decide("anna", decisions)
        project.export_review(folder / "review.xlsx", "anna")
    wb = load_workbook(folder / "review.xlsx")
    ws = wb["Review"]
    header = [c.value for c in ws[1]]
    memo, decided = header.index("memo") + 1, header.index("decided") + 1
    for r in range(2, ws.max_row + 1):
        ws.cell(row=r, column=memo).value = f"herzien {r}"
        ws.cell(row=r, column=decided).value = "ja"
    wb.save(folder / "review.xlsx")
    codebook = default_codebook_path("nl").read_text(encoding="utf-8") + "\n# a new version\n"
    (folder / "codebook-v2.yaml").write_text(codebook, encoding="utf-8")
    shutil.rmtree(folder / connection.BACKUP_FOLDER, ignore_errors=True)
    return path


def _suggest(project: Project) -> None:
    """Suggestions of the default codebook written straight into the store (a `code` run costs seconds here)."""
    from qualcode.coding.codebook import load_codebook
    from qualcode.records import Suggestion
    from qualcode.store import codings

    codebook = load_codebook(default_codebook_path("nl"))
    codes = list(codebook.code_ids)
    segments = project.segments(only_to_code=True)
    suggestions = [Suggestion(s.id, codes[i % len(codes)], ("opportunity", "risk")[i % 2], "keyword", "test", {})
                   for i, s in enumerate(segments)]
    with project.transaction():
        codings.store_codebook(project.con, codebook)
        codings.write_suggestions(project.con, suggestions, origin="keyword", segment_ids=[s.id for s in segments],
                                  codebook_version=codebook.version)


def _copy(base: Path, name: str) -> Path:
    target = base.parent / f"{name}.qualcode"
    shutil.copy2(base, target)
    return target


def _delays(rng: random.Random, low: float, high: float) -> list[float]:
    return sorted(rng.uniform(low, high) for _ in range(KILLS))


def test_killed_commands_leave_the_store_before_or_after_and_outputs_old_or_whole(base):
    rng = random.Random(SEED)
    folder = base.parent
    before = _state(base)
    assert before["integrity"] == ["ok"] and before["decisions"] and before["memos"]

    # import: the store has all of the new transcripts or none of them
    full = _copy(base, "import-full")
    duration = _run(["import", folder / "more", "--project", full], folder)
    after = _state(full)
    assert after["segments"] > before["segments"]
    for i, delay in enumerate(_delays(rng, 0.4, duration * 0.6)):
        path = _copy(base, f"import-{i}")
        _kill_at(["import", folder / "more", "--project", path], folder, delay)
        now = _state(path)
        assert now["integrity"] == ["ok"]
        assert now["segments"] in (before["segments"], after["segments"]), delay
        assert (now["decisions"], now["memos"], now["log"]) == (before["decisions"], before["memos"], before["log"])

    # code with a new codebook version: all suggestions of the old version or all of the new one
    duration = _run(["code", "--codebook", folder / "codebook-v2.yaml", "--project", _copy(base, "code-full")], folder)
    for i, delay in enumerate(_delays(rng, 0.4, duration * 0.6)):  # relative to this machine's speed
        path = _copy(base, f"code-{i}")
        _kill_at(["code", "--codebook", folder / "codebook-v2.yaml", "--project", path], folder, delay)
        now = _state(path)
        assert now["integrity"] == ["ok"]
        assert now["suggestion_versions"] == [now["codebook"]], "a half-written coding run"
        assert (now["decisions"], now["memos"], now["log"]) == (before["decisions"], before["memos"], before["log"])

    # review import: none of the workbook's decisions or all of them; nothing earlier lost
    full = _copy(base, "review-full")
    duration = _run(["review", "import", folder / "review.xlsx", "--coder", "anna", "--project", full], folder)
    after = _state(full)
    assert after["log"] > before["log"] and after["memos"] != before["memos"]
    for i, delay in enumerate(_delays(rng, 0.4, duration * 0.6)):
        path = _copy(base, f"review-{i}")
        _kill_at(["review", "import", folder / "review.xlsx", "--coder", "anna", "--project", path], folder, delay)
        now = _state(path)
        assert now["integrity"] == ["ok"]
        assert now in (before, after), delay
        for backup in connection.backups(path):  # a backup is whole, or not there
            assert connection.integrity_check(backup) == ["ok"]

    # export xlsx over an existing workbook: the old file or a complete new one
    from openpyxl import load_workbook

    out = folder / "results.xlsx"
    duration = _run(["export", "xlsx", out, "--coder", "anna", "--project", base], folder)
    old = out.read_bytes()
    killed = 0
    # at random points, and while the workbook is being saved (a few ms after its temporary file appears)
    points = [(d, None) for d in _delays(rng, 0.4, duration * 0.6)] + [(rng.uniform(0, 0.02), folder)] * KILLS
    for delay, when in points:
        killed += _kill_at(["export", "xlsx", out, "--coder", "anna", "--force", "--project", base], folder, delay,
                           may_finish=True, when=when)
        if out.read_bytes() != old:
            assert "Matrix" in load_workbook(out).sheetnames, "a partial workbook"
            old = out.read_bytes()
        assert _state(base) == before
    assert killed >= KILLS + 1
