"""Store faults, backups, atomic outputs, formula safety, one-transaction checks, concurrency, offline (issue 18).

Every fault is made for real: a write lock held by another connection, a read-only
file or folder (for root, the command runs without the capability that overrides file
permissions, so the permission bits count as they do for a researcher), pages of the
file overwritten with random bytes. What each promises: exit status 1, one ``Error:``
line that says what to do, no traceback, and the project file unchanged.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Sequence

import pytest
from click.testing import CliRunner, Result

from qualcode.cli import main
from qualcode.errors import ProjectBusyError, ProjectCorruptError, ProjectReadOnlyError, ProjectStorageError
from qualcode.project import Project
from qualcode.resources import default_codebook_path
from qualcode.store import connection
from qualcode.coding.codebook import load_codebook
from qualcode.records import Suggestion
from qualcode.store import codings
from qualcode.store.codings import Decision

ROOT = Path(__file__).resolve().parents[2]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

INTERVIEW = """Interviewer: Wat betekent AI voor de werkdruk van docenten?
R1: =cmd|' /C calc'!A0 het nakijkwerk gaat veel sneller met AI, dat scheelt echt tijd en de werkdruk daalt.
R1: +31 belt de helpdesk steeds, ik ben bang dat de werkdruk en de administratie alleen maar toenemen.
Interviewer: En de regie over je lessen?
R2: @SUM(A1) docenten houden zelf de regie over hun lessen, die autonomie vind ik belangrijk.
R2: - <script>alert('x')</script> het contact met leerlingen wordt minder als alles via een scherm gaat.
R2: Ik heb weer plezier in mijn werk sinds het nakijken sneller gaat, dat geeft voldoening.
"""
CASES = """case_id,pseudonym,document,speaker,role,team
R1,"=HYPERLINK(""http://x.example"",""klik"")",interview-01.txt,R1,docent,=1+1
R2,Docent 2,interview-01.txt,R2,docent,-2 teams
"""


def build_project(folder: Path, name: str = "p.qualcode") -> Path:
    """A small project with hostile text (formulas, markup), coded, and decisions and memos by anna."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "interview-01.txt").write_text(INTERVIEW, encoding="utf-8")
    (folder / "cases.csv").write_text(CASES, encoding="utf-8")
    path = folder / name
    with Project.init(path) as project:
        project.import_files([folder / "interview-01.txt"], study="vo-2025", cases=folder / "cases.csv")
        suggest_directly(project)
        rows = project.con.execute(
            "SELECT segment_id, code, direction FROM codings WHERE coder IS NULL ORDER BY id").fetchall()
        decisions = [Decision(r[0], "accept", r[1], r[2]) for r in rows]
        decisions.append(Decision(rows[0][0], "memo", memo="=memo die blijft"))
        project.decide("anna", decisions)
    shutil.rmtree(folder / connection.BACKUP_FOLDER, ignore_errors=True)
    return path


def suggest_directly(project: Project, codebook_path: Path | None = None) -> None:
    """Keyword-like suggestions written straight into the store (the NLP pipeline takes seconds to load)."""
    codebook = load_codebook(codebook_path or default_codebook_path("nl"))
    codes = list(codebook.code_ids)
    segments = [s for s in project.segments() if s.to_code]
    suggestions = [Suggestion(s.id, codes[i % len(codes)], ("opportunity", "risk")[i % 2], "keyword", "test",
                              {"matches": []}) for i, s in enumerate(segments)]
    with project.transaction():
        codings.store_codebook(project.con, codebook)
        codings.write_suggestions(project.con, suggestions, origin="keyword", segment_ids=[s.id for s in segments],
                                  codebook_version=codebook.version)


# -- helpers -----------------------------------------------------------------------------------
def invoke(args: Sequence[str], project: Path | None = None) -> Result:
    """``qualcode ARGS --project PROJECT`` in-process (stderr apart from stdout)."""
    extra = ["--project", str(project)] if project is not None else []
    return CliRunner().invoke(main, [*map(str, args), *extra])


def assert_refused(result: Result, *parts: str) -> str:
    """Exit status 1, no traceback, one ``Error:`` line on stderr holding every part; returns the line."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def digest(path: Path) -> str:
    h = hashlib.sha256(path.read_bytes())
    wal = Path(f"{path}-wal")
    if wal.exists():
        h.update(wal.read_bytes())
    return h.hexdigest()


def decisions_state(path: Path) -> tuple[list[tuple], list[tuple], int]:
    """(every human coding row, every memo, number of log entries): what a researcher decided."""
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT coder, segment_id, code, direction, status FROM codings WHERE coder IS NOT NULL "
                           "ORDER BY 1, 2, 3, 4").fetchall()
        memos = con.execute("SELECT * FROM memos ORDER BY 1, 2").fetchall()
        log = con.execute("SELECT COUNT(*) FROM decision_log").fetchone()[0]
    finally:
        con.close()
    return rows, memos, log


def fill_review(workbook: Path) -> None:
    """Change the exported review: clear the first code cell that has a direction, and write a memo."""
    from openpyxl import load_workbook

    wb = load_workbook(workbook)
    ws = wb["Review"]
    header = [c.value for c in ws[1]]
    memo_col = header.index("memo") + 1
    cleared = False
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            head = header[cell.column - 1]
            if not cleared and head not in ("segment_id", "text", "memo", "decided") and cell.value and \
                    head not in ("document", "case", "speaker", "pseudonym", "role", "evidence", "other codes"):
                cell.value = None
                cleared = True
        ws.cell(row=row[0].row, column=memo_col).value = "gezien"
    wb.save(workbook)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The hostile project and a filled-in review workbook for anna, built once; tests work on copies."""
    folder = tmp_path_factory.mktemp("template")
    path = build_project(folder)
    with Project.open(path) as project:
        project.export_review(folder / "review.xlsx", "anna")
    fill_review(folder / "review.xlsx")
    shutil.rmtree(folder / connection.BACKUP_FOLDER, ignore_errors=True)
    return path


@pytest.fixture
def proj(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template project (with review.xlsx beside it)."""
    for name in (template.name, "review.xlsx", "interview-01.txt", "cases.csv"):
        shutil.copy2(template.parent / name, tmp_path / name)
    return tmp_path / template.name


class Lock:
    """Another connection holding the project's write lock (BEGIN IMMEDIATE), as a running command does."""

    def __init__(self, path: Path):
        self.con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.con.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.con.execute("ROLLBACK")
        self.con.close()


# -- 1. busy -----------------------------------------------------------------------------------
WRITES = {
    "review import": lambda p: ["review", "import", p.parent / "review.xlsx", "--coder", "anna"],
    "undo": lambda p: ["undo", "--coder", "anna"],
    "import": lambda p: ["import", p.parent / "cases.csv", "--text-column", "pseudonym"],
}


@pytest.mark.parametrize("command", list(WRITES))
def test_a_write_while_another_command_writes_says_the_project_is_busy(proj, command):
    before = decisions_state(proj)
    lock = Lock(proj)
    try:
        started = time.monotonic()
        line = assert_refused(invoke([*WRITES[command](proj), "--wait", "0.3"], proj),
                              "the project is busy", "another qualcode command", "--wait SECONDS")
        assert time.monotonic() - started >= 0.3  # it did wait for the lock
        assert str(proj) in line
        # reading is not blocked by a writer
        assert invoke(["status"], proj).exit_code == 0
    finally:
        lock.release()
    assert decisions_state(proj) == before


def test_wait_waits_for_the_other_command_to_finish(proj):
    lock = Lock(proj)
    timer = threading.Timer(0.4, lock.release)
    timer.start()
    try:
        result = invoke(["undo", "--coder", "anna", "--wait", "20"], proj)
    finally:
        timer.join()
    assert result.exit_code == 0, result.output
    assert decisions_state(proj)[2] > 0


def test_the_busy_error_is_a_project_busy_error_in_the_api(proj):
    lock = Lock(proj)
    try:
        with Project.open(proj, wait=0.1) as project, pytest.raises(ProjectBusyError, match="--wait SECONDS"):
            project.undo("anna")
    finally:
        lock.release()


# -- 1. read-only ------------------------------------------------------------------------------
def test_a_real_readonly_error_is_mapped_to_one_line(proj):
    """The mapping, with the error SQLite really raises for a file it may only read."""
    con = sqlite3.connect(f"{proj.resolve().as_uri()}?mode=ro", uri=True, factory=connection.QualcodeConnection,
                          isolation_level=None)
    con.path, con.wait = proj, 1.0
    try:
        with pytest.raises(ProjectReadOnlyError, match="copy the project somewhere writable"), \
                connection.transaction(con):
            con.execute("DELETE FROM memos")
    finally:
        con.close()


_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER, _PR_CAPBSET_DROP = 1, 2, 3, 24


def _as_a_researcher() -> None:
    """In the child: give up root's power to ignore file permissions (the bounding set is inherited by exec)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _cli(args: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess:
    """The CLI in a subprocess that cannot override file permissions (also when the tests run as root)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "qualcode", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout, preexec_fn=_as_a_researcher if os.geteuid() == 0 else None)


def _readonly_setup_works(folder: Path) -> None:
    probe = folder / "probe"
    probe.write_text("x")
    probe.chmod(0o444)
    r = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}, 'a')"], capture_output=True,
                       preexec_fn=_as_a_researcher if os.geteuid() == 0 else None)
    probe.chmod(0o644)
    probe.unlink()
    if r.returncode == 0:
        pytest.skip("file permissions do not stop this user here (root with CAP_DAC_OVERRIDE that cannot be dropped)")


def _one_error_line(r: subprocess.CompletedProcess, *parts: str) -> str:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.stderr
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


@pytest.mark.slow
def test_a_readonly_project_file_or_folder_is_one_line_and_reads_still_work(proj):
    folder = proj.parent
    _readonly_setup_works(folder)
    before = decisions_state(proj)
    proj.chmod(0o444)
    try:
        assert _cli(["status", "--project", proj]).returncode == 0
        for args in (["review", "import", folder / "review.xlsx", "--coder", "anna"], ["undo", "--coder", "anna"]):
            _one_error_line(_cli([*args, "--project", proj]), "the project file is read-only",
                            "copy the project somewhere writable")
        proj.chmod(0o644)
        out = folder / "out"
        out.mkdir(mode=0o555)
        _one_error_line(_cli(["report", out / "report", "--coder", "anna", "--project", proj]),
                        f"{out / 'report'}: no permission to write here")
        folder.chmod(0o555)
        _one_error_line(_cli(["undo", "--coder", "anna", "--project", proj]), f"its folder {folder} is read-only",
                        "copy the project somewhere writable")
    finally:
        folder.chmod(0o755)
        proj.chmod(0o644)
    assert decisions_state(proj) == before


# -- 1. damaged --------------------------------------------------------------------------------
def corrupt(path: Path, seed: int = 18) -> None:
    """Overwrite the middle third of the file's pages with random bytes (the header page stays)."""
    rng = random.Random(seed)
    size = path.stat().st_size
    page = 4096
    with open(path, "r+b") as fh:
        for offset in range(max(page, size // 3 // page * page), size * 2 // 3, page):
            fh.seek(offset + 8)
            fh.write(bytes(rng.randrange(256) for _ in range(page - 16)))


DAMAGED = {
    "status": lambda p: ["status"],
    "matrix": lambda p: ["matrix", "--coder", "anna"],
    "export xlsx": lambda p: ["export", "xlsx", p.parent / "out.xlsx"],
    "review import": lambda p: ["review", "import", p.parent / "review.xlsx", "--coder", "anna"],
    "undo": lambda p: ["undo", "--coder", "anna"],
    "review export": lambda p: ["review", "export", p.parent / "again.xlsx", "--coder", "anna"],
}


@pytest.mark.parametrize("command", list(DAMAGED))
def test_a_damaged_project_is_one_line_with_the_integrity_check_and_how_to_restore(proj, command):
    corrupt(proj)
    before = digest(proj)
    line = assert_refused(invoke(DAMAGED[command](proj), proj), "the project file is damaged",
                          "SQLite's integrity check says:", "restore")
    # a finding of the check is quoted ("On tree page 21 cell 0: ..."), or, when the damage hit the
    # schema's own pages (where the random bytes land depends on the project's layout), that it cannot read them
    assert "page" in line.lower() or "cannot read the file's table of contents" in line
    assert digest(proj) == before
    assert not (proj.parent / connection.BACKUP_FOLDER).exists() or not connection.backups(proj), \
        "a damaged project must not be backed up (it would push good backups out)"
    assert not (proj.parent / "out.xlsx").exists()


def test_a_damaged_project_is_restored_from_the_newest_sound_backup(proj):
    before = decisions_state(proj)
    result = invoke(["review", "import", proj.parent / "review.xlsx", "--coder", "anna"], proj)
    assert result.exit_code == 0, result.output
    after_import = decisions_state(proj)
    assert after_import != before
    [backup] = connection.backups(proj)
    assert decisions_state(backup) == before  # the backup is the project as it was before the import
    corrupt(proj)
    line = assert_refused(invoke(["status"], proj), "the project file is damaged", "qualcode restore --project")
    assert str(backup.parent) in line
    lock = Lock(proj)
    try:
        assert_refused(invoke(["restore"], proj), "another qualcode command is using the project")
    finally:
        lock.release()
    result = invoke(["restore"], proj)
    assert result.exit_code == 0, result.output
    assert connection.integrity_check(proj) == ["ok"]
    assert decisions_state(proj) == before
    damaged = [p for p in proj.parent.iterdir() if p.name.startswith(f"{proj.name}.damaged-")
               and not p.name.endswith(("-wal", "-shm"))]
    assert len(damaged) == 1  # the replaced file is kept, not deleted


def test_not_a_project_and_a_newer_schema_are_one_line(proj, tmp_path):
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.close()
    assert_refused(invoke(["status"], other), "not a qualcode project")
    con = sqlite3.connect(proj)
    con.execute("PRAGMA user_version = 999")
    con.close()
    assert_refused(invoke(["status"], proj), "made by a newer qualcode", "upgrade")
    garbage = tmp_path / "garbage.qualcode"
    garbage.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)
    assert_refused(invoke(["status"], garbage))


def test_a_full_disk_is_one_line_and_the_transaction_is_rolled_back(proj):
    """SQLite's real SQLITE_FULL, made by capping the file's pages at what it has now."""
    before = decisions_state(proj)
    with Project.open(proj) as project:
        sid = project.segments(only_to_code=True)[0].id
        project.store.backup_before_change()  # the backup (another file) is not what fills up here
        pages = project.con.execute("PRAGMA page_count").fetchone()[0]
        project.con.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(ProjectStorageError, match="the disk is full; free some space"):
            project.decide("anna", [Decision(sid, "memo", memo="vol " * 200_000)])
    assert decisions_state(proj) == before


# -- 2. backups --------------------------------------------------------------------------------
def test_each_command_that_changes_decisions_keeps_a_backup_and_only_the_newest_five(proj):
    states = []
    with Project.open(proj) as project:
        sid = project.segments(only_to_code=True)[0].id
    for i in range(7):
        states.append(decisions_state(proj))
        with Project.open(proj) as project:  # one command
            project.decide("anna", [Decision(sid, "memo", memo=f"memo {i}")])
            project.decide("anna", [Decision(sid, "memo", memo=f"memo {i}b")])  # same command: no second backup
    found = connection.backups(proj)
    assert len(found) == connection.KEEP_BACKUPS
    for backup, state in zip(found, states[-connection.KEEP_BACKUPS:]):
        assert connection.integrity_check(backup) == ["ok"]
        assert decisions_state(backup) == state
    assert not list(found[0].parent.glob("*.partial"))


def test_reading_commands_make_no_backup(proj):
    for args in (["status"], ["matrix", "--coder", "anna"], ["history"]):
        assert invoke(args, proj).exit_code == 0
    assert connection.backups(proj) == []


def test_a_damaged_page_found_mid_command_is_mapped_too(proj):
    """Past the check on open (large projects are not checked then), a damaged page read is one line."""
    with Project.open(proj) as project:
        corrupt(proj)
        with pytest.raises(ProjectCorruptError, match="the project file is damaged"):
            project.con.execute("PRAGMA cache_size = 0").fetchall()
            for table in ("segments", "codings", "decision_log", "documents", "memos"):
                project.con.execute(f"SELECT * FROM {table}").fetchall()


# -- 4. formulas and markup --------------------------------------------------------------------
HOSTILE = ("=cmd|' /C calc'!A0", "+31 belt", "@SUM(A1)", "- <script>", "=HYPERLINK(", "=1+1", "-2 teams")


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("args", [
    ["matrix", "--quotes", "--format", "csv", "--coder", "anna"],
    ["matrix", "--by", "team", "--format", "csv", "--coder", "anna"],
    ["compare", "--by", "team", "--format", "csv", "--coder", "anna"],
    pytest.param(["agree", "--coders", "anna,keyword", "--format", "csv"], marks=pytest.mark.slow),
], ids=["matrix-quotes", "matrix-by", "compare-by", "agree"])
def test_csv_output_never_starts_a_cell_with_a_formula(proj, args):
    result = invoke(args, proj)
    assert result.exit_code == 0, result.output
    cells = _csv_cells(result.stdout)
    assert cells
    for cell in cells:
        assert not cell.startswith(FORMULA_START) or _is_number(cell), cell
    if args[1] in ("--quotes", "--by"):  # the hostile text is there, neutralised, not dropped
        expected = ("=cmd|' /C calc'!A0", "=HYPERLINK(") if args[1] == "--quotes" else ("=1+1", "-2 teams")
        for text in expected:
            assert any(c.startswith("'" + text) for c in cells), (text, cells)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _workbook_texts(path: Path) -> list:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None]


def test_every_workbook_keeps_formula_like_text_as_text(proj):
    out, review = proj.parent / "results.xlsx", proj.parent / "review-out.xlsx"
    assert invoke(["export", "xlsx", out, "--coder", "anna"], proj).exit_code == 0
    assert invoke(["review", "export", review, "--coder", "anna"], proj).exit_code == 0
    for path in (out, review):
        cells = _workbook_texts(path)
        assert not [c for c in cells if c.data_type == "f"], f"{path.name} has formulas"
        risky = [c for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_START)]
        assert risky and all(c.quotePrefix for c in risky), [(c.coordinate, c.value) for c in risky
                                                               if not c.quotePrefix]
        values = " ".join(str(c.value) for c in cells)
        assert "=cmd|' /C calc'!A0" in values  # the transcript text itself, unchanged


# -- 3. atomic outputs -------------------------------------------------------------------------
def test_atomic_write_replaces_in_one_step_and_keeps_the_mode(tmp_path):
    from qualcode import atomic

    target = tmp_path / "out.md"
    atomic.write_text(target, "one\n")
    assert target.read_text() == "one\n"
    target.chmod(0o640)
    atomic.write_bytes(target, b"two")
    assert target.read_bytes() == b"two" and (target.stat().st_mode & 0o777) == 0o640
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md"]


def test_a_temporary_file_left_by_a_killed_command_is_removed_by_the_next_write(tmp_path):
    from qualcode import atomic

    target = tmp_path / "results.xlsx"
    old, fresh = tmp_path / ".results.xlsx.abc123.tmp", tmp_path / ".results.xlsx.def456.tmp"
    old.write_bytes(b"partial")
    fresh.write_bytes(b"being written by another command")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    atomic.write_bytes(target, b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == [fresh.name, "results.xlsx"]


def test_every_output_file_is_written_through_the_atomic_helper():
    """No direct ``Path.write_text``/``write_bytes``, ``open(..., "w")`` or ``workbook.save(path)`` in the package."""
    import ast

    found = []
    for path in sorted((ROOT / "qualcode").rglob("*.py")):
        if path.name == "atomic.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            if name in ("write_text", "write_bytes") and owner != "atomic":
                found.append(f"{path.name}:{node.lineno}")
            if name == "save" and not (node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "tmp"):
                found.append(f"{path.name}:{node.lineno}")
            if name == "open" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                    and any(m in str(node.args[1].value) for m in "wax"):
                found.append(f"{path.name}:{node.lineno}")
    assert not found, f"write these through qualcode.atomic: {found}"


def test_an_export_that_fails_while_saving_leaves_the_old_workbook(proj, monkeypatch):
    from openpyxl import load_workbook
    from xlsxwriter import Workbook  # the results workbook is streamed by XlsxWriter, saved by close()

    out = proj.parent / "results.xlsx"
    assert invoke(["export", "xlsx", out, "--coder", "anna"], proj).exit_code == 0
    old = out.read_bytes()

    def save_half(self):
        Path(self.filename).write_bytes(old[: len(old) // 2])
        raise KeyboardInterrupt  # as when Ctrl-C or a kill arrives mid-save

    monkeypatch.setattr(Workbook, "close", save_half)
    result = invoke(["export", "xlsx", out, "--coder", "anna", "--force"], proj)
    assert result.exit_code == 130, result.output  # interrupted while saving
    assert out.read_bytes() == old
    load_workbook(out)
    assert sorted(p.name for p in proj.parent.iterdir() if p.name.startswith(".results")) == []


@pytest.mark.parametrize("command", ["export xlsx", "review export"])
def test_a_workbook_whose_writing_fails_midway_leaves_no_file_and_no_temporary_file(proj, tmp_path, monkeypatch,
                                                                                 command):
    """Both workbooks are streamed (rows on disk as they are written): when writing fails halfway through
    the rows, neither the workbook, nor its temporary file next to it, nor the streamed rows' files stay."""
    from qualcode.outputs import xlsx
    from qualcode.review import excel

    rows_folder = tmp_path / "system-temp"  # where XlsxWriter keeps the streamed rows
    rows_folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(rows_folder))
    before = sorted(p.name for p in proj.parent.iterdir())
    written = []

    def failing(write):
        def after_some_rows(*args, **kwargs):
            if len(written) == 3:
                raise OSError(28, "No space left on device")
            written.append(1)
            return write(*args, **kwargs)
        return after_some_rows

    if command == "export xlsx":
        monkeypatch.setattr(xlsx, "_put", failing(xlsx._put))  # every cell of the results workbook
        out, args = proj.parent / "results.xlsx", ["export", "xlsx"]
    else:
        monkeypatch.setattr(excel, "_review_row", failing(excel._review_row))
        out, args = proj.parent / "review-anna.xlsx", ["review", "export"]
    result = invoke([*args, out, "--coder", "anna"], proj)
    assert result.exit_code != 0 and len(written) == 3, result.output
    assert not out.exists()
    assert sorted(p.name for p in proj.parent.iterdir()) == before  # no partial workbook, no .tmp
    assert list(rows_folder.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="processes are looked up by id on POSIX only")
def test_the_rows_a_killed_export_left_are_removed_by_the_next_workbook(proj, tmp_path, monkeypatch):
    """A SIGKILLed export cannot remove its streamed rows (they hold the cells' text, quotes among them):
    the next workbook written removes the folders of processes that no longer run, and only those."""
    import subprocess

    rows_folder = tmp_path / "system-temp"
    rows_folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(rows_folder))
    ended = subprocess.Popen(["true"])
    ended.wait()
    killed = rows_folder / f"qualcode-xlsx-{ended.pid}-k1ll3d"
    killed.mkdir()
    (killed / "tmp1234").write_text("Jan de Vries zegt dat de werkdruk stijgt", encoding="utf-8")
    running = rows_folder / f"qualcode-xlsx-{os.getppid()}-running"  # a process that still runs
    running.mkdir()
    other = rows_folder / "qualcode-xlsx-old-style"  # not named by a process: left alone
    other.mkdir()
    result = invoke(["export", "xlsx", proj.parent / "results.xlsx", "--coder", "anna"], proj)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in rows_folder.iterdir()) == sorted([running.name, other.name])


# -- 5. check and apply in one write transaction -------------------------------------------------
def test_review_import_checks_and_applies_in_one_write_transaction(proj, monkeypatch):
    """While the import has checked the workbook against the codebook version, no one can store a new one."""
    original = codings.apply_decisions
    attempts: list[str] = []

    def apply_after_a_competing_write(con, *args, **kwargs):
        other = sqlite3.connect(proj, timeout=0.1, isolation_level=None)
        try:
            other.execute("UPDATE meta SET value = 'newer' WHERE key = 'codebook_version'")
            attempts.append("written")
        except sqlite3.OperationalError as exc:
            attempts.append(str(exc))
        finally:
            other.close()
        return original(con, *args, **kwargs)

    monkeypatch.setattr(codings, "apply_decisions", apply_after_a_competing_write)
    result = invoke(["review", "import", proj.parent / "review.xlsx", "--coder", "anna"], proj)
    assert result.exit_code == 0, result.output
    assert attempts == ["database is locked"]
    with Project.open(proj) as project:
        assert project.meta("codebook_version") != "newer"


@pytest.mark.slow
def test_transcript_text_is_escaped_in_the_html_report(proj):
    out = proj.parent / "report"
    result = invoke(["report", out, "--coder", "anna"], proj)
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "=HYPERLINK(&quot;http://x.example&quot;" in page  # the pseudonym, escaped


def test_an_import_that_another_import_overtook_is_refused_and_changes_nothing(proj, monkeypatch):
    """Two imports of the same file at once: the files are read outside the write transaction, checked in it."""
    from qualcode.ingest import importers

    new = proj.parent / "interview-02.txt"
    new.write_text(INTERVIEW.replace("R1:", "R3:"), encoding="utf-8")
    original = importers.read_document
    overtaken: list[int] = []

    def read_while_another_import_runs(*args, **kwargs):
        if not overtaken:
            overtaken.append(1)
            with Project.open(proj) as other:
                other.import_files([new], study="vo-2025")
        return original(*args, **kwargs)

    monkeypatch.setattr(importers, "read_document", read_while_another_import_runs)
    with Project.open(proj) as project:
        before = project.con.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
    result = invoke(["import", new, "--study", "vo-2025"], proj)
    assert overtaken
    assert_refused(result, "another import added interview-02.txt", "run the import again")
    with Project.open(proj) as project:  # the other import's segments, once
        assert project.con.execute("SELECT COUNT(*) FROM documents WHERE name = 'interview-02.txt'").fetchone()[0] == 1
        assert project.con.execute("SELECT COUNT(*) FROM segments").fetchone()[0] > before
    monkeypatch.setattr(importers, "read_document", original)
    assert "already imported" in invoke(["import", new, "--study", "vo-2025"], proj).output


def test_a_qdpx_import_planned_before_another_command_changed_the_project_is_refused(proj, tmp_path, monkeypatch):
    """The plan is made outside the write transaction; a change by another command in between is caught in it."""
    from qualcode.store import Store

    qdpx = tmp_path / "p.qdpx"
    assert invoke(["export", "qdpx", qdpx, "--all-coders"], proj).exit_code == 0
    target = tmp_path / "target.qualcode"
    Project.init(target).close()
    original = Store.backup_before_change

    def another_command_commits_first(self):
        other = sqlite3.connect(target, isolation_level=None)
        other.execute("INSERT INTO meta(key, value) VALUES ('another command', 'was here')")
        other.close()
        return original(self)

    monkeypatch.setattr(Store, "backup_before_change", another_command_commits_first)
    assert_refused(invoke(["import", qdpx], target), "another qualcode command changed the project",
                   "run the command again")
    with Project.open(target) as project:
        assert project.con.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 0
    monkeypatch.setattr(Store, "backup_before_change", original)
    assert invoke(["import", qdpx], target).exit_code == 0


# -- 7. concurrent use ---------------------------------------------------------------------------
def _start(args: Sequence[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "qualcode", *map(str, args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finished(proc: subprocess.Popen, *refusals: str) -> tuple[int, str]:
    """Exit status and stderr; a failure must be one line: busy, or one of ``refusals``."""
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    if proc.returncode:
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines and lines[0].startswith("Error: "), err
        busy = len(lines) == 1 and "the project is busy" in lines[0] and "--wait SECONDS" in lines[0]
        assert busy or any(r in err for r in refusals), err  # a review import lists its problems
    return proc.returncode, err


def _no_half_run(path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        version = con.execute("SELECT value FROM meta WHERE key = 'codebook_version'").fetchone()[0]
        versions = {r[0] for r in con.execute("SELECT codebook_version FROM codings WHERE coder IS NULL")}
        assert versions == {version}, "suggestions of two coding runs mixed"
        doubles = con.execute("SELECT COUNT(*) FROM (SELECT 1 FROM codings WHERE coder IS NULL "
                              "GROUP BY segment_id, code, direction, origin HAVING COUNT(*) > 1)").fetchone()[0]
        assert doubles == 0
    finally:
        con.close()


@pytest.mark.slow
def test_two_code_runs_and_a_review_import_at_once_succeed_in_turn_or_say_busy(proj):
    before = decisions_state(proj)
    codebook = proj.parent / "codebook-v2.yaml"
    codebook.write_text(default_codebook_path("nl").read_text(encoding="utf-8") + "\n# v2\n", encoding="utf-8")
    first = _start(["code", "--project", proj])
    second = _start(["code", "--codebook", codebook, "--project", proj])
    time.sleep(1.0)
    review = _start(["review", "import", proj.parent / "review.xlsx", "--coder", "anna", "--project", proj])
    # the review import is refused (not applied) if the second run's new codebook version got in first
    results = [_finished(first), _finished(second), _finished(review, "but the project now uses")]
    _no_half_run(proj)
    after = decisions_state(proj)
    # every earlier decision is still there (the import may have changed its status: it is logged)
    assert after[2] >= before[2]
    kept = {row[:4] for row in after[0]}
    assert all(row[:4] in kept for row in before[0])
    if results[2][0] == 0:  # the review import went in: its memos are there
        assert any(m for m in after[1] if "gezien" in str(m))
    else:
        assert after == before


def test_restore_while_another_command_holds_the_project_is_refused(proj):
    with Project.open(proj) as project:
        connection.backup_project(project.con, proj)
    before = digest(proj)
    lock = Lock(proj)
    try:
        assert_refused(invoke(["restore"], proj), str(proj), "another qualcode command is using the project",
                       "restore it when that command has finished")
    finally:
        lock.release()
    assert digest(proj) == before and not list(proj.parent.glob("*.damaged-*"))
    assert invoke(["restore"], proj).exit_code == 0  # once the other command is done, it restores


def test_restore_while_a_browser_review_only_has_the_project_open_is_refused(proj):
    """A command that holds the project open without writing (`qualcode serve` between two clicks) keeps its
    connection to the file: a restore under it would send its next decisions to the replaced file."""
    with Project.open(proj) as project:
        connection.backup_project(project.con, proj)
    before = digest(proj)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, sqlite3; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT count(*) FROM codings').fetchone(); print('open', flush=True); sys.stdin.read()", str(proj)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert_refused(invoke(["restore"], proj), str(proj), "another qualcode command is using the project",
                       "qualcode serve", "restore it when that command has finished")
    finally:
        holder.communicate("")
    assert digest(proj) == before and not list(proj.parent.glob("*.damaged-*"))
    assert invoke(["restore"], proj).exit_code == 0  # once it is closed, the restore goes ahead


def test_a_write_to_a_project_file_replaced_under_the_command_is_refused_and_lands_nowhere(proj, tmp_path):
    """A command that opened the project just before a restore swapped the file writes nothing: not into the
    restored project, not into the replaced file it still has open."""
    replacement = tmp_path / "restored.qualcode"
    with Project.open(proj) as project:
        project.con.execute("VACUUM INTO ?", (str(replacement),))
    replaced = tmp_path / "replaced.qualcode"
    with Project.open(proj) as project:
        segment_id, code, direction = project.con.execute(
            "SELECT segment_id, code, direction FROM codings WHERE coder = 'anna' LIMIT 1").fetchone()
        os.link(proj, replaced)
        os.replace(replacement, proj)  # what a restore does, while this command has the old file open
        before = decisions_state(proj), decisions_state(replaced)
        with pytest.raises(connection.ProjectError, match="replaced while this command had it open.*run the command again"):
            project.decide("anna", [Decision(segment_id, "reject", code, direction)])
    assert (decisions_state(proj), decisions_state(replaced)) == before
    with Project.open(proj) as project:  # opened again, the command works on the restored file
        project.decide("anna", [Decision(segment_id, "reject", code, direction)])
    assert decisions_state(proj) != before[0]


@pytest.mark.parametrize("command", [["code"], ["learn", "--coder", "anna"]])
def test_code_and_learn_on_a_busy_project_say_so_before_they_start(proj, command):
    before = digest(proj)
    lock = Lock(proj)
    try:
        result = invoke([*command, "--wait", "0.2"], proj)
    finally:
        lock.release()
    assert_refused(result, "the project is busy", "--wait SECONDS")
    assert "Coding segments" not in result.output and "Training" not in result.output
    assert digest(proj) == before


def _two_coders(proj: Path) -> None:
    """bob decides every segment anna decided, accepting a different code on each: one dispute per segment."""
    with Project.open(proj) as project:
        codes = list(project.codebook().code_ids)
        rows = project.con.execute("SELECT segment_id, code, direction FROM codings WHERE coder = 'anna' "
                                   "AND status = 'accepted' ORDER BY segment_id").fetchall()
        other = [Decision(r[0], "accept", codes[(codes.index(r[1]) + 1) % len(codes)], r[2]) for r in rows]
        project.decide("bob", other, done_segments=[r[0] for r in rows])


def test_settling_a_dispute_that_changed_meanwhile_is_refused_and_records_nothing(proj):
    from qualcode.errors import ChangedMeanwhileError

    _two_coders(proj)
    with Project.open(proj) as project:
        first, *_ = project.disputes("anna", "bob")
        sid = first.segment.id
        with Project.open(proj) as other:  # another command: bob takes back one of his codes on that segment
            code, direction = sorted(first.second)[0]
            other.decide("bob", [Decision(sid, "reject", code, direction)])
        before = decisions_state(proj)
        with pytest.raises(ChangedMeanwhileError, match=rf"segment #{sid}: .* changed meanwhile.*run reconcile again"):
            project.settle(first, set(first.second), how="took bob's codings", settled_by="carla")
        assert decisions_state(proj) == before
        assert not codings.decisions_for(project.con, codings.RECONCILED)
        fresh = next(d for d in project.disputes("anna", "bob") if d.segment.id == sid)
        project.settle(fresh, set(fresh.first), how="took anna's codings", settled_by="carla")  # as it is now: fine
        assert {(r.code, r.direction) for r in codings.decisions_for(project.con, codings.RECONCILED, sid)
                if r.status == "accepted"} == set(fresh.first)


def _second_workbook(proj: Path, coder: str) -> Path:
    with Project.open(proj) as project:
        project.export_review(proj.parent / f"review-{coder}.xlsx", coder)
    fill_review(proj.parent / f"review-{coder}.xlsx")
    return proj.parent / f"review-{coder}.xlsx"


def _memo_count(path: Path, coder: str) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT COUNT(*) FROM memos WHERE coder = ? AND text = 'gezien'", (coder,)).fetchone()[0])
    finally:
        con.close()


@pytest.mark.parametrize("wait", [10.0, 0.0])
def test_two_review_imports_at_once_land_in_turn_or_one_is_told_busy(proj, wait):
    """anna's and bob's workbooks imported at the same moment (two threads, two connections): each either lands
    whole or is refused as busy with nothing applied; no decision of the other is lost."""
    books = {"anna": proj.parent / "review.xlsx", "bob": _second_workbook(proj, "bob")}
    before = decisions_state(proj)
    barrier, outcome = threading.Barrier(2), {}

    def run(coder: str) -> None:
        with Project.open(proj, wait=wait) as project:
            barrier.wait()
            try:
                project.import_review(books[coder], coder)
                outcome[coder] = "applied"
            except ProjectBusyError as exc:
                outcome[coder] = f"busy: {exc}"
            except Exception as exc:  # reported by the assertion below
                outcome[coder] = f"failed: {exc!r}"

    threads = [threading.Thread(target=run, args=(c,)) for c in books]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert set(outcome) == {"anna", "bob"}
    assert not any(what.startswith("failed") for what in outcome.values()), outcome
    if wait:
        assert set(outcome.values()) == {"applied"}, outcome
    assert "applied" in outcome.values()
    rows_after = {row[:4] for row in decisions_state(proj)[0]}
    assert all(row[:4] in rows_after for row in before[0])  # nothing decided before is gone
    for coder, what in outcome.items():
        count = _memo_count(proj, coder)
        assert (count > 0) if what == "applied" else (count == 0), (coder, what, count)
        assert what == "applied" or "--wait SECONDS" in what
    _no_half_run(proj)


def test_the_browser_review_next_to_a_cli_review_import_loses_nothing(proj):
    """bob decides in the browser (Flask's test client, in a thread) while anna's workbook is imported by the CLI."""
    import re

    from qualcode.web.app import create_app

    token = "fault-token"
    app = create_app(proj, token=token, coder="bob")
    app.config["TESTING"] = True
    web = app.test_client()
    assert web.get(f"/?token={token}").status_code == 302
    posted: list[tuple[int, int]] = []  # (segment id, status)
    errors: list[str] = []

    def browse() -> None:
        try:
            url = web.get("/review").headers["Location"]
            for _ in range(5):
                html = web.get(url, follow_redirects=True).get_data(as_text=True)
                found = re.search(r'data-segment="(\d+)"', html)
                if not found:
                    break
                block = html[html.index('id="decide"'):]
                version = re.search(r'name="version" value="([^"]*)"', block).group(1)
                with web.session_transaction() as session:
                    csrf_token = session["csrf"]
                sid = int(found.group(1))
                r = web.post(url, data={"csrf_token": csrf_token, "segment_id": str(sid), "version": version,
                                        "action": "accept_all"})
                posted.append((sid, r.status_code))
                url = r.headers.get("Location", url)
        except Exception as exc:  # reported below: the thread must not die silently
            errors.append(repr(exc))

    thread = threading.Thread(target=browse)
    thread.start()
    result = invoke(["review", "import", proj.parent / "review.xlsx", "--coder", "anna"], proj)
    thread.join(timeout=60)
    assert not errors, errors
    assert result.exit_code == 0, result.output
    assert posted and all(status == 302 for _, status in posted), posted
    assert _memo_count(proj, "anna") > 0  # anna's workbook landed
    con = sqlite3.connect(proj)
    try:  # every page bob saved is in the store and in the log
        for sid, _ in posted:
            assert con.execute("SELECT COUNT(*) FROM decision_log WHERE coder = 'bob' AND segment_id = ?",
                               (sid,)).fetchone()[0] > 0
    finally:
        con.close()
    _no_half_run(proj)


def test_a_backup_left_half_written_by_a_killed_command_is_cleared_later_and_never_listed(proj):
    folder = proj.parent / connection.BACKUP_FOLDER
    folder.mkdir(exist_ok=True)
    stale = folder / f"{proj.stem}.20260101-000000.qualcode.123-abcd.partial"
    fresh = folder / f"{proj.stem}.20260101-000001.qualcode.456-efgh.partial"  # another command, still writing
    for partial in (stale, fresh):
        partial.write_bytes(b"half a backup")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    with Project.open(proj) as project:
        made = connection.backup_project(project.con, proj)
        assert connection.backups(proj) == [made]
    assert not stale.exists() and fresh.exists()


def test_a_restore_that_stops_before_its_last_step_leaves_a_project_in_place(proj, monkeypatch):
    """Killed between keeping the replaced file and putting the backup in place: the project file is still there
    (the old one), and the replaced one is kept too."""
    with Project.open(proj) as project:
        connection.backup_project(project.con, proj)
    before = digest(proj)
    real = os.replace

    def stop_at_the_swap(src, dst):
        if Path(dst) == proj:
            raise KeyboardInterrupt  # stands for the kill
        return real(src, dst)

    monkeypatch.setattr(os, "replace", stop_at_the_swap)
    with pytest.raises(KeyboardInterrupt):
        connection.restore_backup(proj)
    monkeypatch.setattr(os, "replace", real)
    assert proj.exists() and digest(proj) == before
    assert [p.name for p in proj.parent.glob(f"{proj.name}.damaged-*")]
    assert invoke(["restore"], proj).exit_code == 0  # and the restore can simply be run again


# -- 8. offline ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_import_code_learn_export_and_report_run_with_the_network_switched_off(tmp_path, monkeypatch):
    import socket
    import traceback

    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append("".join(traceback.format_stack(limit=8)))
        raise OSError("network disabled by the test")

    # Making a socket is not yet the network (urllib3, imported by spaCy, makes one to probe IPv6);
    # connecting, sending and looking up a name is.
    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    sample = ROOT / "transcripts_sample"
    files = sorted((sample / "vo-2025").glob("*.txt"))
    project = tmp_path / "offline.qualcode"
    assert invoke(["init", project]).exit_code == 0
    result = invoke(["import", *files, "--study", "vo-2025", "--cases", sample / "cases.csv"], project)
    assert result.exit_code == 0, result.output
    result = invoke(["code"], project)
    assert result.exit_code == 0, result.output
    with Project.open(project) as p:  # anna accepts every suggestion: enough examples to learn from
        rows = p.con.execute("SELECT segment_id, code, direction FROM codings WHERE coder IS NULL").fetchall()
        p.decide("anna", [Decision(r[0], "accept", r[1], r[2]) for r in rows])
    for args in (["learn", "--coder", "anna", "--folds", "2", "--min-positive", "3"], ["code", "--with-model"],
                 ["export", "xlsx", tmp_path / "results.xlsx", "--coder", "anna"],
                 ["report", tmp_path / "report", "--coder", "anna"]):
        result = invoke(args, project)
        assert result.exit_code == 0, (args, result.output)
    assert (tmp_path / "results.xlsx").stat().st_size > 0 and (tmp_path / "report" / "report.html").stat().st_size
    with Project.open(project) as p:
        assert p.con.execute("SELECT COUNT(*) FROM models").fetchone()[0] > 0
    assert not attempts, attempts[0]
