"""The project store: one SQLite file per project, versioned schema, one transaction per command.

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

APPLICATION_ID = 0x51434F44  # 'QCOD': marks the SQLite file as a qualcode project

# Each migration takes the schema from version i to i+1. Never edit a released
# migration: append a new one, so projects made by older versions still open.
MIGRATIONS: list[str] = [
    # 1: the foundation
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE studies (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE cases (
        id TEXT PRIMARY KEY,             -- the researcher's case id: R1, SL2, G3
        pseudonym TEXT,                  -- what leaves the project in exports
        role TEXT,
        study_id INTEGER REFERENCES studies(id)
    );
    CREATE TABLE case_attributes (
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value TEXT,
        type TEXT NOT NULL CHECK (type IN ('text', 'int', 'float', 'bool')),
        PRIMARY KEY (case_id, name)
    );
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        study_id INTEGER REFERENCES studies(id),
        name TEXT NOT NULL,              -- original file name
        format TEXT NOT NULL,
        text TEXT NOT NULL,              -- exact imported text (line ends normalised to \\n)
        sha256 TEXT NOT NULL UNIQUE,     -- of the file bytes: a second import is recognised
        unit TEXT NOT NULL,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        position INTEGER NOT NULL,
        start INTEGER NOT NULL,          -- Unicode code points, end exclusive
        "end" INTEGER NOT NULL,
        speaker TEXT,
        case_id TEXT REFERENCES cases(id),
        kind TEXT NOT NULL,              -- turn, paragraph, sentence, row
        to_code INTEGER NOT NULL DEFAULT 1,
        start_time REAL,
        end_time REAL,
        source_row TEXT,
        CHECK (start >= 0 AND "end" > start),
        UNIQUE (document_id, position)
    );
    CREATE INDEX segments_case ON segments(case_id);
    CREATE TABLE codebooks (
        version TEXT PRIMARY KEY,        -- sha256 of the YAML file
        name TEXT NOT NULL,
        language TEXT NOT NULL,
        source_name TEXT NOT NULL,
        source_text TEXT NOT NULL,
        loaded_at TEXT NOT NULL
    );
    CREATE TABLE codings (
        id INTEGER PRIMARY KEY,
        segment_id INTEGER NOT NULL REFERENCES segments(id),
        code TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('opportunity', 'risk', 'none')),
        origin TEXT NOT NULL CHECK (origin IN ('keyword', 'model', 'human', 'imported')),
        coder TEXT,                      -- NULL for machine suggestions
        status TEXT NOT NULL CHECK (status IN ('suggested', 'accepted', 'rejected')),
        evidence TEXT,                   -- JSON
        score REAL,
        strategy TEXT,
        codebook_version TEXT REFERENCES codebooks(version),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK ((coder IS NULL) = (status = 'suggested'))
    );
    -- one machine suggestion per (segment, code, direction, origin); one decision per coder
    CREATE UNIQUE INDEX codings_machine ON codings(segment_id, code, direction, origin) WHERE coder IS NULL;
    CREATE UNIQUE INDEX codings_human ON codings(segment_id, code, direction, coder) WHERE coder IS NOT NULL;
    CREATE INDEX codings_code ON codings(code, status);
    CREATE TABLE memos (
        segment_id INTEGER NOT NULL REFERENCES segments(id),
        coder TEXT NOT NULL,
        text TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (segment_id, coder)
    );
    -- append-only: who decided what, when, and what it was before
    CREATE TABLE decision_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        coder TEXT NOT NULL,
        segment_id INTEGER NOT NULL REFERENCES segments(id),
        action TEXT NOT NULL,
        code TEXT,
        direction TEXT,
        before TEXT,                     -- JSON: previous state (null when none)
        after TEXT,                      -- JSON: new state (null when removed)
        source TEXT NOT NULL,            -- terminal, excel, api, reconcile, undo
        batch TEXT NOT NULL,             -- decisions made together (one key press, one workbook) undo together
        undoes INTEGER REFERENCES decision_log(id)
    );
    CREATE INDEX decision_log_coder ON decision_log(coder, id);
    CREATE INDEX decision_log_segment ON decision_log(segment_id, id);
    CREATE TRIGGER decision_log_no_update BEFORE UPDATE ON decision_log
        BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
    CREATE TRIGGER decision_log_no_delete BEFORE DELETE ON decision_log
        BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
    """,
    # 2: models learned from human decisions (qualcode.learn); the newest per (code, target) is used
    """
    CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        coder TEXT NOT NULL,             -- whose decisions it learned from
        codebook_version TEXT,
        code TEXT NOT NULL,
        target TEXT NOT NULL CHECK (target IN ('presence', 'direction')),
        n_train INTEGER NOT NULL,
        n_positive INTEGER NOT NULL,
        metrics TEXT NOT NULL,           -- JSON: cross-validated precision, recall, F1, chosen parameters
        blob BLOB NOT NULL,              -- the fitted scikit-learn pipeline, pickled
        strategy TEXT NOT NULL
    );
    CREATE INDEX models_code ON models(code, target, id);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    """UTC time as ISO 8601 with seconds, the one time format in the store."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so one command = one transaction.
    con = sqlite3.connect(str(path), isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys = ON")
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
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"{path}: made by a newer qualcode (schema {version}, this program knows {SCHEMA_VERSION}); "
                "upgrade qualcode with `pip install -U qualcode`"
            )
        con.execute("PRAGMA journal_mode = WAL")
        if version < SCHEMA_VERSION:
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
        for number, script in enumerate(MIGRATIONS[from_version:], start=from_version + 1):
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
