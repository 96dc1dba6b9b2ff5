"""Opening, creating and migrating a project file (one SQLite file per project), its transactions,
the one place where SQLite's errors become one-line ``QualcodeError`` s, and automatic backups.

Every stage reads from and writes to this file; nothing keeps state elsewhere.
``open_store`` refuses files that are not qualcode projects or were written by a
newer program, and migrates older ones in place (inside a transaction).

Every connection is a :class:`QualcodeConnection`: any ``sqlite3.Error`` raised by a
statement or while reading its rows is mapped by :func:`store_error` to a
:class:`~qualcode.errors.ProjectBusyError` (another command holds the write lock for longer
than ``wait``), :class:`~qualcode.errors.ProjectReadOnlyError`,
:class:`~qualcode.errors.ProjectCorruptError` (with what ``PRAGMA integrity_check`` says and
the newest backup) or :class:`~qualcode.errors.ProjectStorageError` (disk full, I/O error).
Other SQLite errors are programming errors and stay as they are.

Before a command changes decisions or replaces suggestions, :func:`backup_before_change`
keeps a copy of the project (SQLite's online backup, a consistent snapshot) in
``.qualcode-backups/`` next to it, the newest :data:`KEEP_BACKUPS` generations.
"""
from __future__ import annotations

import os
import sqlite3
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from qualcode.errors import (ProjectBusyError, ProjectCorruptError, ProjectError, ProjectReadOnlyError,
                             ProjectStorageError, QualcodeError)
from qualcode.store import schema

APPLICATION_ID = 0x51434F44  # 'QCOD': marks the SQLite file as a qualcode project
DEFAULT_WAIT = 10.0  # seconds a command waits for another one's write lock before saying the project is busy
BACKUP_FOLDER = ".qualcode-backups"
KEEP_BACKUPS = 5
CHECK_ON_OPEN_MAX_BYTES = 64 * 2**20  # larger projects are checked when a fault shows and in every backup
BACKUP_AGAIN_AFTER = 15 * 60  # a long-lived connection (a notebook) backs up again after this many seconds

# SQLite's primary result codes (https://www.sqlite.org/rescode.html)
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def now() -> str:
    """UTC time as ISO 8601 with seconds, the one time format in the store."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# -- errors ----------------------------------------------------------------------------------
def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    message = str(exc).lower()  # errors raised without a code (older Pythons, some paths)
    for text, primary in (("database is locked", _BUSY), ("database table is locked", _LOCKED),
                          ("readonly database", _READONLY), ("malformed", _CORRUPT),
                          ("file is not a database", _NOTADB), ("disk is full", _FULL),
                          ("disk i/o error", _IOERR), ("unable to open database file", _CANTOPEN)):
        if text in message:
            return primary
    return None


def _writable(path: Path) -> tuple[bool, bool]:
    """(file writable, folder writable) for the current user."""
    return (not path.exists() or os.access(path, os.W_OK)), os.access(path.parent, os.W_OK)


def store_error(path: Path, exc: sqlite3.Error, wait: float | None = None) -> QualcodeError | None:
    """The one-line error for an SQLite fault of the project at ``path``; None for a programming error."""
    code = _primary_code(exc)
    if code in (_BUSY, _LOCKED):
        waited = f" (waited {wait:g} s)" if wait is not None else ""
        return ProjectBusyError(
            f"{path}: the project is busy: another qualcode command is using it{waited}; try again when it has "
            "finished, or use --wait SECONDS to wait longer")
    file_ok, folder_ok = _writable(path)
    if code == _READONLY or (code == _CANTOPEN and not (file_ok and folder_ok)):
        what = ("the project file is read-only" if not file_ok else
                f"its folder {path.parent} is read-only" if not folder_ok else "the project cannot be written")
        return ProjectReadOnlyError(
            f"{path}: {what} ({exc}); copy the project somewhere writable (or make it writable) and run the "
            "command there; nothing was changed")
    if code in (_CORRUPT, _NOTADB):
        return ProjectCorruptError(f"{path}: the project file is damaged: {integrity_report(path)}; nothing was "
                                   f"changed. {restore_advice(path)}")
    if code == _FULL:
        return ProjectStorageError(f"{path}: the disk is full; free some space and run the command again "
                                   "(nothing was changed)")
    if code == _IOERR:
        return ProjectStorageError(f"{path}: the disk failed while reading or writing the project ({exc}); "
                                   "check the disk (a network or USB drive?) and run the command again")
    if code == _CANTOPEN:
        return ProjectError(f"{path}: cannot be opened ({exc}); check that the file and its folder exist and "
                            "can be read")
    return None


def integrity_check(path: Path, limit: int = 3) -> list[str]:
    """What ``PRAGMA integrity_check`` says about the file at ``path``: ``["ok"]``, or its first findings."""
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    try:
        return [str(r[0]) for r in con.execute(f"PRAGMA integrity_check({int(limit)})")]
    finally:
        con.close()


def integrity_report(path: Path, limit: int = 2) -> str:
    """What ``PRAGMA integrity_check`` says about the file at ``path`` (its first ``limit`` findings), in one line."""
    try:
        rows = integrity_check(path, limit + 1)
    except sqlite3.Error as exc:
        return f"SQLite's integrity check says: it cannot read the file's table of contents ({exc})"
    if rows == ["ok"]:
        return "SQLite's integrity check finds no damage now, but reading it failed"
    return _findings(rows, limit)


def _findings(rows: list[str], limit: int = 2) -> str:
    lines = [line.strip() for r in rows for line in r.splitlines()]  # one row can hold several findings
    found = [" ".join(line.split()) for line in lines if line and not line.startswith("*** in database")]
    more = " (and more)" if len(found) > limit else ""
    return f"SQLite's integrity check says: {'; '.join(found[:limit])}{more}"


def backups(path: Path) -> list[Path]:
    """The automatic backups of the project at ``path``, oldest first."""
    folder = path.parent / BACKUP_FOLDER
    if not folder.is_dir():
        return []
    found = []
    for item in folder.glob(f"{path.stem}.*.qualcode"):
        try:
            found.append((item.stat().st_mtime, item.name, item))
        except FileNotFoundError:  # pruned by another command just now
            continue
    return [item for _, _, item in sorted(found)]


def restore_advice(path: Path) -> str:
    found = backups(path)
    if not found:
        return (f"There is no automatic backup in {path.parent / BACKUP_FOLDER}; restore the file from your own "
                "backup")
    return (f"Restore the newest sound backup of the {len(found)} in {found[-1].parent} with "
            f"`qualcode restore --project {path}` (the damaged file is kept beside it)")


class QualcodeCursor(sqlite3.Cursor):
    """A cursor whose SQLite faults become one-line errors (see :func:`store_error`)."""

    connection: "QualcodeConnection"

    def _fault(self, exc: sqlite3.Error) -> BaseException:
        con = self.connection
        return store_error(con.path, exc, con.wait) or exc

    def execute(self, sql: str, parameters: Any = (), /) -> "QualcodeCursor":
        try:
            super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise self._fault(exc) from None
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> "QualcodeCursor":
        try:
            super().executemany(sql, seq_of_parameters)
        except sqlite3.Error as exc:
            raise self._fault(exc) from None
        return self

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            raise self._fault(exc) from None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlite3.Error as exc:
            raise self._fault(exc) from None

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            raise self._fault(exc) from None

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as exc:
            raise self._fault(exc) from None


class QualcodeConnection(sqlite3.Connection):
    """The connection to one project file: knows its path, maps SQLite faults, makes backups."""

    path: Path
    wait: float
    identity: tuple[int, int] | None = None  # the file opened (file_identity), to notice a restore under it
    last_backup: float | None = None

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or QualcodeCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> QualcodeCursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> QualcodeCursor:
        return self.cursor().executemany(sql, parameters)

    def executescript(self, script: str, /) -> Any:
        try:
            return super().executescript(script)
        except sqlite3.Error as exc:
            raise (store_error(self.path, exc, self.wait) or exc) from None


_wait_override: float | None = None


def set_default_wait(seconds: float | None) -> None:
    """The wait of connections opened without one (the CLI's --wait); None: QUALCODE_WAIT or DEFAULT_WAIT."""
    global _wait_override
    _wait_override = seconds


def default_wait() -> float:
    if _wait_override is not None:
        return _wait_override
    try:
        return float(os.environ.get("QUALCODE_WAIT", DEFAULT_WAIT))
    except ValueError:
        return DEFAULT_WAIT


def _connect(path: Path, wait: float | None = None) -> QualcodeConnection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so one command = one transaction.
    # timeout: how long a statement waits for another connection's lock (SQLite's busy timeout).
    wait = max(0.0, float(default_wait() if wait is None else wait))
    identity = file_identity(path)  # before SQLite opens it: if the name is given to another file later, it tells
    try:
        con = sqlite3.connect(str(path), isolation_level=None, timeout=wait, factory=QualcodeConnection)
    except sqlite3.Error as exc:
        raise (store_error(path, exc, wait) or exc) from None
    con.path, con.wait = path, wait
    con.identity = identity or file_identity(path)  # a new project: the file SQLite just made
    con.row_factory = sqlite3.Row
    try:
        con.execute("PRAGMA foreign_keys = ON")
        # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last command only.
        con.execute("PRAGMA synchronous = NORMAL")
        # 64 MB of page cache (the default is 2 MB): a large import or query then rewrites and
        # rereads far fewer pages of the WAL (it is a maximum, used only as pages are touched).
        con.execute("PRAGMA cache_size = -65536")
    except BaseException:  # a damaged file can fail here already: the connection must not stay open
        con.close()
        raise
    return con


def create_store(path: Path, wait: float | None = None) -> QualcodeConnection:
    """Create a new project file at ``path``; refuse to overwrite an existing file."""
    if path.exists():
        raise ProjectError(
            f"{path}: already exists; open it with --project {path}, or choose another path for init"
        )
    if not path.parent.exists():
        raise ProjectError(f"{path}: folder {path.parent} does not exist; create it first")
    con = _connect(path, wait)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        _migrate(con, 0)
        with transaction(con):
            con.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [("project_id", str(uuid.uuid4())), ("created_at", now())],
            )
    except Exception:
        con.close()
        path.unlink(missing_ok=True)
        raise
    return con


def open_store(path: Path, wait: float | None = None) -> QualcodeConnection:
    """Open an existing project, migrating an older schema; refuse non-projects and newer ones."""
    if not path.exists():
        raise ProjectError(
            f"{path}: no project here; create one with `qualcode init {path}` or pass --project"
        )
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except IsADirectoryError:
        raise ProjectError(f"{path}: a folder, not a project file; pass the .qualcode file with --project") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot be read ({exc.strerror or exc}); check its permissions") from None
    if header != b"SQLite format 3\x00":
        raise ProjectError(f"{path}: not a qualcode project (not an SQLite file); pass the .qualcode file with --project")
    con = _connect(path, wait)
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise ProjectError(
                f"{path}: an SQLite file, but not a qualcode project; pass the .qualcode file with --project"
            )
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version > schema.SCHEMA_VERSION:
            raise ProjectError(
                f"{path}: made by a newer qualcode (schema {version}, this program knows {schema.SCHEMA_VERSION}); "
                "upgrade qualcode with `pip install -U qualcode`"
            )
        _check_on_open(con, path)
        con.execute("PRAGMA journal_mode = WAL")
        if version < schema.SCHEMA_VERSION:
            _migrate(con, version)
    except sqlite3.DatabaseError as exc:
        con.close()
        raise ProjectError(f"{path}: cannot be read as a qualcode project ({exc})") from None
    except Exception:
        con.close()
        raise
    return con


def _check_on_open(con: sqlite3.Connection, path: Path) -> None:
    """``PRAGMA quick_check`` before a command reads anything (up to :data:`CHECK_ON_OPEN_MAX_BYTES`).

    SQLite does not notice every damaged page when it reads one: a damaged table can read
    as fewer rows, which a command would take for the truth. About 4 ms per MB.
    """
    try:
        size = path.stat().st_size
    except OSError:
        return
    if size > CHECK_ON_OPEN_MAX_BYTES:
        return
    rows = [str(r[0]) for r in con.execute("PRAGMA quick_check(3)")]
    if rows != ["ok"]:
        raise ProjectCorruptError(f"{path}: the project file is damaged: {_findings(rows)}; nothing was changed. "
                                  f"{restore_advice(path)}")


def _migrate(con: sqlite3.Connection, from_version: int) -> None:
    with transaction(con):
        for number, script in enumerate(schema.MIGRATIONS[from_version:], start=from_version + 1):
            for statement in _statements(script):
                con.execute(statement)
            con.execute(f"PRAGMA user_version = {number}")


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would COMMIT our transaction)."""
    out, buf = [], []
    for line in script.splitlines():
        buf.append(line)
        candidate = "\n".join(buf)
        if sqlite3.complete_statement(candidate):
            if candidate.strip():
                out.append(candidate)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf))
    return out


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic unit: everything inside commits together or not at all (nesting joins the outer)."""
    if con.in_transaction:
        yield con
        return
    con.execute("BEGIN IMMEDIATE")
    if isinstance(con, QualcodeConnection) and con.identity is not None and file_identity(con.path) != con.identity:
        # restored from a backup (or replaced) since this command opened it: a write now would go to the old file
        con.execute("ROLLBACK")
        raise ProjectError(f"{con.path}: the project file was replaced while this command had it open (restored "
                           "from a backup?); nothing was written: run the command again")
    try:
        yield con
    except BaseException:
        if con.in_transaction:  # SQLite has already rolled back after some faults (disk full)
            con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


# -- backups ---------------------------------------------------------------------------------
def backup_project(con: sqlite3.Connection, path: Path, keep: int = KEEP_BACKUPS) -> Path:
    """Copy the project (a consistent snapshot, SQLite's online backup) into ``.qualcode-backups/``; keep ``keep``."""
    folder = path.parent / BACKUP_FOLDER
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    target = folder / f"{path.stem}.{stamp}.qualcode"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{path.stem}.{stamp}-{n}.qualcode"
    # A name of its own per command: two commands backing up at the same second must not share a file.
    partial = folder / f"{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial"
    try:
        folder.mkdir(exist_ok=True)
        dest = sqlite3.connect(str(partial))
        try:
            dest.execute("PRAGMA synchronous = OFF")  # one fsync below instead of SQLite's several
            con.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            # The online backup copies pages as they are: check the copy, so that a damaged
            # project never pushes a good backup out (and is not written to either).
            check = [str(r[0]) for r in dest.execute("PRAGMA quick_check(3)")]
        finally:
            dest.close()
        if check != ["ok"]:
            partial.unlink(missing_ok=True)
            raise ProjectCorruptError(f"{path}: the project file is damaged: {_findings(check)}; nothing was "
                                      f"changed. {restore_advice(path)}")
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
        target = _claim(partial, target, folder, f"{path.stem}.{stamp}")
        _remove_stale_partials(folder)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise (store_error(path, exc) or exc) from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ProjectReadOnlyError(
            f"{path}: cannot write the automatic backup into {folder} ({exc.strerror or exc}); make the folder "
            "writable, or copy the project somewhere writable; nothing was changed") from None
    for old in backups(path)[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return target


def _claim(partial: Path, target: Path, folder: Path, base: str) -> Path:
    """Give the finished ``partial`` the name ``target`` (or the next free ``base-N``), never replacing another
    command's backup of the same second: a hard link fails when the name exists."""
    n = 1
    while True:
        try:
            os.link(partial, target)
        except FileExistsError:
            n += 1
            target = folder / f"{base}-{n}.qualcode"
            continue
        except OSError:  # no hard links on this file system (FAT, some network drives): rename
            os.replace(partial, target)
            return target
        partial.unlink(missing_ok=True)
        return target


def _remove_stale_partials(folder: Path, older_than: float = 3600.0) -> None:
    """Remove what a killed command left of a backup (``*.partial`` not touched for an hour)."""
    limit = time.time() - older_than
    for item in folder.glob("*.partial"):
        try:
            if item.stat().st_mtime < limit:
                item.unlink()
        except OSError:
            continue


def backup_before_change(con: sqlite3.Connection) -> Path | None:
    """Back the project up before a command changes decisions: once per connection (again after a while)."""
    if not isinstance(con, QualcodeConnection) or con.in_transaction:
        return None  # inside a transaction the caller made the backup before it began
    if con.last_backup is not None and time.monotonic() - con.last_backup < BACKUP_AGAIN_AFTER:
        return None
    made = backup_project(con, con.path)
    con.last_backup = time.monotonic()
    return made


def _hold_alone(path: Path) -> sqlite3.Connection | None:
    """A connection holding the project file exclusively, its write-ahead log folded in; ProjectBusyError
    while any other connection has the file open, also one that is only reading or waiting (a browser or
    terminal review left open). None when the file is too damaged to lock: that is what a restore is for.

    Held through the swap, nobody can open the file a restore replaces and then write to it: a command that
    opened it meanwhile finds it replaced when it begins to write (see :func:`transaction`)."""
    con = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    try:
        con.execute("PRAGMA locking_mode = EXCLUSIVE")  # locks taken are kept until the connection closes
        con.execute("BEGIN EXCLUSIVE")
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone holds every commit now
    except sqlite3.Error as exc:
        con.close()
        if _primary_code(exc) in (_BUSY, _LOCKED):
            raise ProjectBusyError(f"{path}: another qualcode command is using the project (an open `qualcode "
                                   "serve` or `qualcode review` too); restore it when that command has finished") from None
        return None
    return con


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``: which file a name stands for; None if there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def restore_backup(path: Path, backup: Path | None = None) -> tuple[Path, Path | None]:
    """Put ``backup`` (default: the newest automatic one) in place of the project; keep the old file beside it.

    Returns (the backup restored, where the replaced file was kept). The backup is checked first.
    """
    def sound(candidate: Path) -> bool:
        try:
            return integrity_check(candidate) == ["ok"]
        except sqlite3.Error:
            return False

    if backup is None:
        found = backups(path)
        if not found:
            raise ProjectError(f"{path}: there is no automatic backup in {path.parent / BACKUP_FOLDER}")
        good = [b for b in reversed(found) if sound(b)]
        if not good:
            raise ProjectCorruptError(f"{path}: every automatic backup in {path.parent / BACKUP_FOLDER} is damaged "
                                      "too; restore the file from your own backup")
        backup = good[0]
    elif not sound(backup):
        raise ProjectCorruptError(f"{backup}: this backup is damaged too ({integrity_report(backup)}); "
                                  "choose another one (`qualcode restore --list`)")
    held = _hold_alone(path) if path.exists() else None
    try:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        kept = path.with_name(f"{path.name}.damaged-{stamp}") if path.exists() else None
        tmp = path.with_name(f".{path.name}.restoring")
        src = sqlite3.connect(str(backup))
        try:
            dest = sqlite3.connect(str(tmp))
            try:
                src.backup(dest)
            finally:
                dest.close()
        finally:
            src.close()
        restored = _hold_alone(tmp)  # nobody opens the restored file before the replaced one is let go
        try:
            if kept is not None:
                try:  # a second name for the replaced file: the project's own name stays taken until the swap below
                    os.link(path, kept)
                except OSError:  # no hard links here (FAT, some network drives)
                    os.replace(path, kept)
            for side in ("-wal", "-shm"):  # they belong to the replaced file; SQLite would apply them to the backup
                side_file = path.with_name(path.name + side)
                if side_file.exists():
                    if kept is not None:
                        os.replace(side_file, kept.with_name(kept.name + side))
                    else:
                        side_file.unlink()
            os.replace(tmp, path)
        finally:
            if held is not None:  # first: closing it must find no log of the restored file to remove
                held.close()
                held = None
            if restored is not None:
                restored.close()
    finally:
        if held is not None:
            held.close()
    return backup, kept
