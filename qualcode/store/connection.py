"""Opening, creating and migrating a project file (one SQLite file per project), and its transactions.

Every stage reads from and writes to this file; nothing keeps state elsewhere.
``open_store`` refuses files that are not qualcode projects or were written by a
newer program, and migrates older ones in place (inside a transaction).
"""
from __future__ import annotations

import sqlite3
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from qualcode.errors import ProjectError
from qualcode.store import schema

APPLICATION_ID = 0x51434F44  # 'QCOD': marks the SQLite file as a qualcode project




def now() -> str:
    """UTC time as ISO 8601 with seconds, the one time format in the store."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so one command = one transaction.
    con = sqlite3.connect(str(path), isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys = ON")
    # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last command only.
    con.execute("PRAGMA synchronous = NORMAL")
    # 64 MB of page cache (the default is 2 MB): a large import or query then rewrites and
    # rereads far fewer pages of the WAL (it is a maximum, used only as pages are touched).
    con.execute("PRAGMA cache_size = -65536")
    return con


def create_store(path: Path) -> sqlite3.Connection:
    """Create a new project file at ``path``; refuse to overwrite an existing file."""
    if path.exists():
        raise ProjectError(
            f"{path}: already exists; open it with --project {path}, or choose another path for init"
        )
    if not path.parent.exists():
        raise ProjectError(f"{path}: folder {path.parent} does not exist; create it first")
    con = _connect(path)
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


def open_store(path: Path) -> sqlite3.Connection:
    """Open an existing project, migrating an older schema; refuse non-projects and newer ones."""
    if not path.exists():
        raise ProjectError(
            f"{path}: no project here; create one with `qualcode init {path}` or pass --project"
        )
    with open(path, "rb") as fh:
        header = fh.read(16)
    if header != b"SQLite format 3\x00":
        raise ProjectError(f"{path}: not a qualcode project (not an SQLite file); pass the .qualcode file with --project")
    con = _connect(path)
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
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
