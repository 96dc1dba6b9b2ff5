"""Codings in the store: machine suggestions, human decisions and the append-only decision log.

Two kinds of rows share the ``codings`` table:

* **suggestions** (``coder IS NULL``, status ``suggested``), written by the
  auto-coder or a model. A new run refreshes or withdraws only its own origin's
  suggestions; they are derived data.
* **decisions** (one row per coder, segment, code and direction; status ``accepted``
  or ``rejected``). Only :func:`decide` and :func:`undo` change them, and each change
  appends its before and after state to ``decision_log``, so the log replays to the
  current state and nothing a researcher decided is lost or silently overwritten.
"""
from __future__ import annotations

import json
import sqlite3
import sys
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence

from qualcode.store.connection import backup_before_change, now, transaction
from qualcode.errors import NotFoundError, UsageError
from qualcode.records import DIRECTIONS, Suggestion, evidence_text

ACTIONS = ("accept", "reject", "add", "remove", "change_direction", "memo")
RECONCILED = "reconciled"  # the coder name under which `reconcile` records settled decisions
MACHINE_CODERS = ("keyword", "model")  # pseudo-coders: the auto-coder's and the model's suggestions


@dataclass(frozen=True)
class Decision:
    """One decision by a coder; ``apply_decisions`` turns it into row changes and log entries."""

    segment_id: int
    action: str  # accept, reject, add, remove, change_direction, memo
    code: str | None = None
    direction: str | None = None
    new_direction: str | None = None  # for change_direction
    memo: str | None = None  # for memo


@dataclass(frozen=True)
class CodingRow:
    """A coding as read from the store."""

    id: int
    segment_id: int
    code: str
    direction: str
    origin: str
    coder: str | None
    status: str
    evidence: Mapping[str, Any] | None
    score: float | None
    strategy: str | None
    codebook_version: str | None
    updated_at: str


def _shared(value: Any) -> Any:
    """One string object for a value that recurs row after row (a code, a status, a run's time),
    instead of one per row: a selection of 200,000 codings holds them all."""
    return sys.intern(value) if type(value) is str else value


def _row(r: sqlite3.Row) -> CodingRow:
    return CodingRow(
        id=r["id"], segment_id=r["segment_id"], code=_shared(r["code"]), direction=_shared(r["direction"]),
        origin=_shared(r["origin"]), coder=_shared(r["coder"]), status=_shared(r["status"]),
        evidence=json.loads(r["evidence"]) if r["evidence"] else None, score=r["score"],
        strategy=_shared(r["strategy"]), codebook_version=_shared(r["codebook_version"]),
        updated_at=_shared(r["updated_at"]),
    )


# -- codebooks ---------------------------------------------------------------------------
def store_codebook(con: sqlite3.Connection, codebook: Any) -> None:
    """Keep the codebook's exact text under its version and make it the project's current one."""
    con.execute(
        "INSERT OR IGNORE INTO codebooks(version, name, language, source_name, source_text, loaded_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (codebook.version, codebook.name, codebook.language, getattr(codebook, "source_name", codebook.name),
         codebook.source_text, now()),
    )
    con.execute(
        "INSERT INTO meta(key, value) VALUES ('codebook_version', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (codebook.version,),
    )


def stored_codebook_text(con: sqlite3.Connection, version: str | None = None) -> tuple[str, str] | None:
    """(source_name, source_text) of the given or current codebook version, or None."""
    if version is None:
        row = con.execute("SELECT value FROM meta WHERE key = 'codebook_version'").fetchone()
        if row is None:
            return None
        version = row[0]
    row = con.execute("SELECT source_name, source_text FROM codebooks WHERE version = ?", (version,)).fetchone()
    return (row[0], row[1]) if row else None


# -- suggestions -------------------------------------------------------------------------
@dataclass(frozen=True)
class SuggestionReport:
    added: int
    refreshed: int
    withdrawn: int
    segments: int


class SuggestionStage:
    """One origin's suggestions of a run, gathered a chunk at a time outside the project.

    The segments coded (:meth:`add_segments`) and their suggestions (:meth:`add`) go into
    a private temporary database attached to this connection (a file of SQLite's own,
    removed when it is detached or the connection ends, also when the process is killed),
    so a run holds no Python objects for all its suggestions and a killed run leaves the
    project as it was. :meth:`commit` then replaces this origin's suggestions on those
    segments in the project in one transaction. Use it as a context manager: leaving
    detaches the database, which removes it whole (dropping its tables freed them page
    by page: half a second at 10 M words).
    """

    def __init__(self, con: sqlite3.Connection, origin: str):
        if origin not in MACHINE_CODERS:
            raise ValueError(f"suggestions are of origin {' or '.join(MACHINE_CODERS)}, not {origin!r}")
        self.con, self.origin = con, origin
        # inside a transaction a database cannot be attached: temporary tables then, dropped on leaving
        self._schema = f"qualcode_stage_{origin}" if not con.in_transaction else None
        prefix = f"{self._schema}." if self._schema else f"temp.qualcode_stage_{origin}_"
        self._rows, self._segments = f"{prefix}rows", f"{prefix}segments"
        self.close()
        if self._schema:
            con.execute(f"ATTACH DATABASE '' AS {self._schema}")
            # a scratch copy: no rollback journal and no syncs (a failed run throws it away whole)
            con.execute(f"PRAGMA {self._schema}.journal_mode = OFF")
            con.execute(f"PRAGMA {self._schema}.synchronous = OFF")
        con.execute(f"CREATE TABLE {self._rows} (segment_id INTEGER NOT NULL, code TEXT NOT NULL, "
                    "direction TEXT NOT NULL, evidence TEXT, score REAL, strategy TEXT, "
                    "UNIQUE (segment_id, code, direction))")
        con.execute(f"CREATE TABLE {self._segments} (id INTEGER PRIMARY KEY)")

    def __enter__(self) -> "SuggestionStage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._schema is None:
            self.con.execute(f"DROP TABLE IF EXISTS {self._rows}")
            self.con.execute(f"DROP TABLE IF EXISTS {self._segments}")
        elif any(row[1] == self._schema for row in self.con.execute("PRAGMA database_list")):
            self.con.execute(f"DETACH DATABASE {self._schema}")

    def add_segments(self, segment_ids: Iterable[int]) -> None:
        """Segments this run codes: their earlier suggestions of this origin are replaced."""
        self.con.executemany(f"INSERT OR IGNORE INTO {self._segments}(id) VALUES (?)", [(i,) for i in segment_ids])

    def add(self, suggestions: Iterable[Suggestion]) -> None:
        """Suggestions of this run (a later one for the same segment, code and direction wins)."""
        rows = []
        for s in suggestions:
            if s.origin != self.origin:
                raise ValueError(f"suggestion of origin {s.origin} written as {self.origin}")
            rows.append((s.segment_id, s.code, s.direction, evidence_text(s.evidence), s.score,
                         s.strategy))
        self._insert(rows)

    def add_rows(self, rows: Iterable[tuple[int, str, str, str]], strategy: str) -> None:
        """Suggestions of this run as (segment id, code, direction, evidence JSON) rows of one strategy,
        without a score: what the keyword coder's workers send, written as they came."""
        self._insert([(segment_id, code, direction, evidence, None, strategy)
                      for segment_id, code, direction, evidence in rows])

    def _insert(self, rows: list[tuple[int, str, str, str, float | None, str]]) -> None:
        """Stage (segment id, code, direction, evidence, score, strategy) rows; a later row for the same
        segment, code and direction wins."""
        self.con.executemany(
            f"INSERT INTO {self._rows}(segment_id, code, direction, evidence, score, strategy) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(segment_id, code, direction) DO UPDATE SET "
            "evidence = excluded.evidence, score = excluded.score, strategy = excluded.strategy",
            rows,
        )

    def segment_ids(self) -> list[int]:
        return [int(r[0]) for r in self.con.execute(f"SELECT id FROM {self._segments} ORDER BY id")]

    def commit(self, codebook_version: str) -> SuggestionReport:
        """Replace this origin's suggestions on the staged segments with the staged ones, in one transaction.

        Touches only rows with ``coder IS NULL`` and this origin: human decisions are
        never read, changed or removed here (the never-overwrite property).
        """
        t, origin = now(), self.origin
        same = ("c.coder IS NULL AND c.origin = ? AND c.segment_id = st.segment_id AND c.code = st.code "
                "AND c.direction = st.direction")
        with transaction(self.con):
            withdrawn = self.con.execute(
                f"DELETE FROM codings AS c WHERE c.coder IS NULL AND c.origin = ? "
                f"AND c.segment_id IN (SELECT id FROM {self._segments}) "
                f"AND NOT EXISTS (SELECT 1 FROM {self._rows} AS st WHERE st.segment_id = c.segment_id "
                "AND st.code = c.code AND st.direction = c.direction)",
                (origin,),
            ).rowcount
            refreshed = self.con.execute(
                f"UPDATE codings AS c SET evidence = st.evidence, score = st.score, strategy = st.strategy, "
                f"codebook_version = ?, updated_at = ? FROM {self._rows} AS st WHERE {same}",
                (codebook_version, t, origin),
            ).rowcount
            # the staged rows no suggestion had yet: all of them when none was refreshed (a first run)
            unseen, unseen_args = ((f"WHERE NOT EXISTS (SELECT 1 FROM codings AS c WHERE {same}) ", (origin,))
                                   if refreshed else ("", ()))
            added = self.con.execute(
                "INSERT INTO codings(segment_id, code, direction, origin, coder, status, evidence, score, strategy, "
                "codebook_version, created_at, updated_at) "
                f"SELECT st.segment_id, st.code, st.direction, ?, NULL, 'suggested', st.evidence, st.score, "
                f"st.strategy, ?, ?, ? FROM {self._rows} AS st {unseen}ORDER BY st.rowid",
                (origin, codebook_version, t, t, *unseen_args),
            ).rowcount
            segments = int(self.con.execute(f"SELECT count(*) FROM {self._segments}").fetchone()[0])
        return SuggestionReport(added, refreshed, withdrawn, segments)


def write_suggestions(
    con: sqlite3.Connection,
    suggestions: Iterable[Suggestion],
    *,
    origin: str,
    segment_ids: Sequence[int],
    codebook_version: str,
) -> SuggestionReport:
    """Replace this origin's suggestions on ``segment_ids`` with ``suggestions``, in one transaction
    (see :class:`SuggestionStage`, which a run over a large corpus uses a chunk at a time)."""
    with SuggestionStage(con, origin) as stage:
        stage.add_segments(segment_ids)
        stage.add(suggestions)
        return stage.commit(codebook_version)


_CHUNK = 10_000  # rows fetched at a time when reading many
_WITHOUT_EVIDENCE = ("SELECT id, segment_id, code, direction, origin, coder, status, NULL AS evidence, score, strategy, "
                     "codebook_version, updated_at FROM codings")


def suggestions_for(con: sqlite3.Connection, segment_id: int | None = None, origin: str | None = None, *,
                    evidence: bool = True) -> list[CodingRow]:
    """Machine suggestions; ``evidence=False`` leaves their evidence out (None), for counting a large project."""
    sql, args = (("SELECT * FROM codings" if evidence else _WITHOUT_EVIDENCE) + " WHERE coder IS NULL"), list[object]()
    if segment_id is not None:
        sql += " AND segment_id = ?"
        args.append(segment_id)
    if origin is not None:
        sql += " AND origin = ?"
        args.append(origin)
    return [_row(r) for r in con.execute(sql + " ORDER BY segment_id, code, direction", args)]


def suggested_codings(con: sqlite3.Connection) -> Iterator[tuple[int, str, str, str, str | None]]:
    """(segment_id, code, direction, origin, codebook_version) of every machine suggestion, in segment
    order: what selecting the codings that count reads of them, as tuples fetched in chunks (not a
    :class:`CodingRow` each, nor a Python call per row to step the cursor: there may be 200,000)."""
    cursor = con.execute("SELECT segment_id, code, direction, origin, codebook_version FROM codings "
                         "WHERE coder IS NULL ORDER BY segment_id, code, direction")
    while chunk := cursor.fetchmany(_CHUNK):
        for segment_id, code, direction, origin, version in chunk:
            yield segment_id, _shared(code), _shared(direction), _shared(origin), _shared(version)


def codings_of_segments(con: sqlite3.Connection, segment_ids: Sequence[int], *,
                        suggestions: bool) -> list[CodingRow]:
    """The machine suggestions (``suggestions``) or else the human decisions on these segments,
    for reading a large project a chunk of segments at a time."""
    if not segment_ids:
        return []
    marks = ",".join("?" * len(segment_ids))
    sql = (f"SELECT * FROM codings WHERE coder IS {'' if suggestions else 'NOT '}NULL "
           f"AND segment_id IN ({marks}) ORDER BY segment_id, code, direction")
    return [_row(r) for r in con.execute(sql, list(segment_ids))]


def segments_with_suggestions(con: sqlite3.Connection) -> set[int]:
    """Ids of the segments with at least one machine suggestion."""
    return {int(r[0]) for r in con.execute("SELECT DISTINCT segment_id FROM codings WHERE coder IS NULL")}


# -- decisions ---------------------------------------------------------------------------
def decisions_for(con: sqlite3.Connection, coder: str | None = None, segment_id: int | None = None, *,
                  evidence: bool = True) -> list[CodingRow]:
    """Human decision rows, of one coder or of all (coder None); ``evidence=False`` leaves the evidence out (None)."""
    sql, args = (("SELECT * FROM codings" if evidence else _WITHOUT_EVIDENCE) + " WHERE coder IS NOT NULL"), list[object]()
    if coder is not None:
        sql += " AND coder = ?"
        args.append(coder)
    if segment_id is not None:
        sql += " AND segment_id = ?"
        args.append(segment_id)
    return [_row(r) for r in con.execute(sql + " ORDER BY segment_id, code, direction", args)]


def coders(con: sqlite3.Connection) -> list[str]:
    """Human coders who decided anything (including the reconciled pseudo-coder)."""
    return [r[0] for r in con.execute("SELECT DISTINCT coder FROM codings WHERE coder IS NOT NULL ORDER BY coder")]


def decided_segments(con: sqlite3.Connection, coder: str) -> set[int]:
    """Segments the coder has decided (any decision or memo in the log that is not undone)."""
    return {r[0] for r in con.execute(
        "SELECT DISTINCT segment_id FROM codings WHERE coder = ? "
        "UNION SELECT segment_id FROM decision_log WHERE coder = ? AND action = 'segment_done' "
        "AND id NOT IN (SELECT undoes FROM decision_log WHERE undoes IS NOT NULL)",
        (coder, coder),
    )}


def segment_decided(con: sqlite3.Connection, coder: str, segment_id: int) -> bool:
    """Whether the coder has decided the segment (as :func:`decided_segments`, for one segment)."""
    return con.execute(
        "SELECT 1 FROM codings WHERE coder = ? AND segment_id = ? "
        "UNION SELECT 1 FROM decision_log WHERE coder = ? AND segment_id = ? AND action = 'segment_done' "
        "AND id NOT IN (SELECT undoes FROM decision_log WHERE undoes IS NOT NULL) LIMIT 1",
        (coder, segment_id, coder, segment_id),
    ).fetchone() is not None


def _state(con: sqlite3.Connection, coder: str, segment_id: int, code: str, direction: str) -> dict | None:
    r = con.execute(
        "SELECT status, origin, evidence, score, strategy, codebook_version FROM codings "
        "WHERE coder = ? AND segment_id = ? AND code = ? AND direction = ?",
        (coder, segment_id, code, direction),
    ).fetchone()
    if r is None:
        return None
    return {"status": r["status"], "origin": r["origin"], "evidence": json.loads(r["evidence"]) if r["evidence"] else None,
            "score": r["score"], "strategy": r["strategy"], "codebook_version": r["codebook_version"]}


def _set_state(con: sqlite3.Connection, coder: str, segment_id: int, code: str, direction: str,
               state: dict | None, at: str) -> None:
    if state is None:
        con.execute("DELETE FROM codings WHERE coder = ? AND segment_id = ? AND code = ? AND direction = ?",
                    (coder, segment_id, code, direction))
        return
    evidence = json.dumps(state.get("evidence"), ensure_ascii=False) if state.get("evidence") is not None else None
    con.execute(
        "INSERT INTO codings(segment_id, code, direction, origin, coder, status, evidence, score, strategy, "
        "codebook_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(segment_id, code, direction, coder) WHERE coder IS NOT NULL DO UPDATE SET "
        "status = excluded.status, origin = excluded.origin, evidence = excluded.evidence, score = excluded.score, "
        "strategy = excluded.strategy, codebook_version = excluded.codebook_version, updated_at = excluded.updated_at",
        (segment_id, code, direction, state["origin"], coder, state["status"], evidence, state.get("score"),
         state.get("strategy"), state.get("codebook_version"), at, at),
    )


def _memo(con: sqlite3.Connection, coder: str, segment_id: int) -> str | None:
    r = con.execute("SELECT text FROM memos WHERE coder = ? AND segment_id = ?", (coder, segment_id)).fetchone()
    return r[0] if r else None


def _set_memo(con: sqlite3.Connection, coder: str, segment_id: int, text: str | None, at: str) -> None:
    if not text:
        con.execute("DELETE FROM memos WHERE coder = ? AND segment_id = ?", (coder, segment_id))
    else:
        con.execute(
            "INSERT INTO memos(segment_id, coder, text, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(segment_id, coder) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
            (segment_id, coder, text, at),
        )


def memos(con: sqlite3.Connection, coder: str | None = None) -> dict[tuple[int, str], str]:
    sql, args = "SELECT segment_id, coder, text FROM memos", []
    if coder is not None:
        sql += " WHERE coder = ?"
        args.append(coder)
    return {(r[0], r[1]): r[2] for r in con.execute(sql, args)}


def _log(con: sqlite3.Connection, *, at: str, coder: str, segment_id: int, action: str, code: str | None,
         direction: str | None, before: Any, after: Any, source: str, batch: str, undoes: int | None = None) -> None:
    con.execute(
        "INSERT INTO decision_log(at, coder, segment_id, action, code, direction, before, after, source, batch, undoes) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, coder, segment_id, action, code, direction,
         None if before is None else json.dumps(before, ensure_ascii=False),
         None if after is None else json.dumps(after, ensure_ascii=False), source, batch, undoes),
    )


def _change(con, *, coder, segment_id, code, direction, after, action, source, batch, at) -> bool:
    before = _state(con, coder, segment_id, code, direction)
    if before == after:
        return False
    _set_state(con, coder, segment_id, code, direction, after, at)
    _log(con, at=at, coder=coder, segment_id=segment_id, action=action, code=code, direction=direction,
         before=before, after=after, source=source, batch=batch)
    return True


def _suggestion_state(con: sqlite3.Connection, segment_id: int, code: str, direction: str) -> dict | None:
    """The machine suggestion a human accepts: its origin and evidence travel with the decision."""
    r = con.execute(
        "SELECT origin, evidence, score, strategy, codebook_version FROM codings WHERE coder IS NULL "
        "AND segment_id = ? AND code = ? AND direction = ? ORDER BY origin = 'keyword' DESC LIMIT 1",
        (segment_id, code, direction),
    ).fetchone()
    if r is None:
        return None
    return {"origin": r["origin"], "evidence": json.loads(r["evidence"]) if r["evidence"] else None,
            "score": r["score"], "strategy": r["strategy"], "codebook_version": r["codebook_version"]}


def _current_codebook(con: sqlite3.Connection) -> str | None:
    r = con.execute("SELECT value FROM meta WHERE key = 'codebook_version'").fetchone()
    return r[0] if r else None


def apply_decisions(
    con: sqlite3.Connection,
    coder: str,
    decisions: Iterable[Decision],
    *,
    source: str = "api",
    valid_codes: Iterable[str] | None = None,
    done_segments: Iterable[int] = (),
    origin: str = "human",
) -> dict[str, int]:
    """Apply decisions of one coder in one transaction; return counts per action that changed something.

    ``origin`` is what a new accepted row records: ``human`` (decided here; an accepted
    suggestion keeps its machine origin and evidence) or ``imported`` (coded in another
    program, read from a REFI-QDA file: it never takes over a suggestion's evidence).

    A decision equal to the current state changes nothing and is not logged.
    ``done_segments`` are recorded as decided by this coder in the same batch (so one
    undo takes back both), also when no code applies to them.
    """
    if not coder or not coder.strip():
        raise UsageError("who is deciding? pass --coder NAME or set QUALCODE_CODER=NAME")
    if coder in MACHINE_CODERS:
        raise UsageError(f"{coder!r} is reserved for machine suggestions; choose another coder name")
    if origin not in ("human", "imported"):
        raise ValueError(f"decisions are of origin 'human' or 'imported', not {origin!r}")
    codes = set(valid_codes) if valid_codes is not None else None
    batch = uuid.uuid4().hex
    at = now()
    counts = dict.fromkeys(ACTIONS, 0)
    decisions = list(decisions)
    if not decisions and not done_segments:
        return counts
    backup_before_change(con)
    with transaction(con):
        version = _current_codebook(con)  # read inside the write transaction: no codebook change in between
        for d in decisions:
            if con.execute("SELECT 1 FROM segments WHERE id = ?", (d.segment_id,)).fetchone() is None:
                raise NotFoundError(f"no segment {d.segment_id}; `qualcode show DOC` lists segment ids")
            if d.action not in ACTIONS:
                raise UsageError(f"unknown action {d.action!r}; one of {', '.join(ACTIONS)}")
            if d.action == "memo":
                before = _memo(con, coder, d.segment_id)
                if (before or None) != (d.memo or None):
                    _set_memo(con, coder, d.segment_id, d.memo, at)
                    _log(con, at=at, coder=coder, segment_id=d.segment_id, action="memo", code=None, direction=None,
                         before=None if before is None else {"memo": before},
                         after={"memo": d.memo} if d.memo else None, source=source, batch=batch)
                    counts["memo"] += 1
                continue
            if d.code is None or d.direction is None:
                raise UsageError(f"a {d.action} decision needs a code and a direction")
            code, direction = d.code, d.direction
            if codes is not None and code not in codes:
                raise NotFoundError(f"no code {code!r} in the codebook; the codes are: {', '.join(sorted(codes))}")
            if direction not in DIRECTIONS or (d.new_direction is not None and d.new_direction not in DIRECTIONS):
                raise UsageError(f"direction must be one of {', '.join(DIRECTIONS)}")
            changed = False
            if d.action in ("accept", "add"):
                sug = _suggestion_state(con, d.segment_id, code, direction) if origin == "human" else None
                after = dict(sug) if sug else {"origin": origin, "evidence": None, "score": None,
                                               "strategy": None, "codebook_version": version}
                after["status"] = "accepted"
                changed = _change(con, coder=coder, segment_id=d.segment_id, code=code, direction=direction,
                                  after=after, action=d.action, source=source, batch=batch, at=at)
            elif d.action in ("reject", "remove"):
                current = _state(con, coder, d.segment_id, code, direction)
                base = current or _suggestion_state(con, d.segment_id, code, direction) or {
                    "origin": "human", "evidence": None, "score": None, "strategy": None, "codebook_version": version}
                after = dict(base)
                after["status"] = "rejected"
                changed = _change(con, coder=coder, segment_id=d.segment_id, code=code, direction=direction,
                                  after=after, action=d.action, source=source, batch=batch, at=at)
            elif d.action == "change_direction":
                if d.new_direction is None or d.new_direction == direction:
                    raise UsageError("change_direction needs a new direction different from the old one")
                old = _state(con, coder, d.segment_id, code, direction) or _suggestion_state(
                    con, d.segment_id, code, direction) or {"origin": "human", "evidence": None, "score": None,
                                                                 "strategy": None, "codebook_version": version}
                rejected = dict(old, status="rejected")
                accepted = dict(old, status="accepted")
                a = _change(con, coder=coder, segment_id=d.segment_id, code=code, direction=direction,
                            after=rejected, action="change_direction", source=source, batch=batch, at=at)
                b = _change(con, coder=coder, segment_id=d.segment_id, code=code, direction=d.new_direction,
                            after=accepted, action="change_direction", source=source, batch=batch, at=at)
                changed = a or b
            if changed:
                counts[d.action] += 1
        already = decided_segments(con, coder)
        mark_segment_done(con, coder, [s for s in dict.fromkeys(done_segments) if s not in already], source, batch)
    return counts


def mark_segment_done(con: sqlite3.Connection, coder: str, segment_ids: Iterable[int], source: str,
                      batch: str | None = None) -> None:
    """Record that a coder has decided these segments as they stand (e.g. no code applies).

    Pass the ``batch`` of the decisions made with it, so that one undo takes back both.
    """
    at, batch = now(), batch or uuid.uuid4().hex
    with transaction(con):
        for sid in segment_ids:
            _log(con, at=at, coder=coder, segment_id=sid, action="segment_done", code=None, direction=None,
                 before=None, after=None, source=source, batch=batch)


# -- the log -----------------------------------------------------------------------------
@dataclass(frozen=True)
class LogEntry:
    id: int
    at: str
    coder: str
    segment_id: int
    action: str
    code: str | None
    direction: str | None
    before: Any
    after: Any
    source: str
    batch: str
    undoes: int | None


def history(con: sqlite3.Connection, segment_id: int | None = None, coder: str | None = None) -> list[LogEntry]:
    sql, args, where = "SELECT * FROM decision_log", list[object](), list[str]()
    if segment_id is not None:
        where.append("segment_id = ?")
        args.append(segment_id)
    if coder is not None:
        where.append("coder = ?")
        args.append(coder)
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [
        LogEntry(r["id"], r["at"], r["coder"], r["segment_id"], r["action"], r["code"], r["direction"],
                 json.loads(r["before"]) if r["before"] else None, json.loads(r["after"]) if r["after"] else None,
                 r["source"], r["batch"], r["undoes"])
        for r in con.execute(sql + " ORDER BY id", args)
    ]


def replay(entries: Iterable[LogEntry]) -> tuple[dict[tuple[str, int, str, str], dict], dict[tuple[str, int], str]]:
    """Rebuild every coder's decision rows and memos from the log alone."""
    rows: dict[tuple[str, int, str, str], dict] = {}
    memo_state: dict[tuple[str, int], str] = {}
    for e in entries:
        if e.action == "segment_done" or e.before == {"done": True}:
            continue  # marks that a segment was seen; no coding state
        if e.code is None:  # a memo (or the undo of one)
            memo_key = (e.coder, e.segment_id)
            if e.after is None:
                memo_state.pop(memo_key, None)
            else:
                memo_state[memo_key] = e.after["memo"]
            continue
        key = (e.coder, e.segment_id, e.code, e.direction or "none")
        if e.after is None:
            rows.pop(key, None)
        else:
            rows[key] = e.after
    return rows, memo_state


def undo(con: sqlite3.Connection, coder: str, batches: int = 1) -> list[LogEntry]:
    """Take back the coder's last ``batches`` groups of decisions; the log records the undo too.

    What to undo is read inside the write transaction, so two undos at once never take
    back the same batch twice.
    """
    backup_before_change(con)
    with transaction(con):
        undone_ids = {r[0] for r in con.execute("SELECT undoes FROM decision_log WHERE undoes IS NOT NULL")}
        entries = [e for e in history(con, coder=coder) if e.action != "undo" and e.id not in undone_ids]
        if not entries:
            raise UsageError(f"coder {coder!r} has no decisions to undo")
        wanted: list[str] = []
        for e in reversed(entries):
            if e.batch not in wanted:
                if len(wanted) == batches:
                    break
                wanted.append(e.batch)
        targets = [e for e in reversed(entries) if e.batch in wanted]  # newest first
        at, batch = now(), uuid.uuid4().hex
        for e in targets:
            if e.action == "segment_done":
                before, after = {"done": True}, None
            elif e.code is None:
                _set_memo(con, coder, e.segment_id, (e.before or {}).get("memo"), at)
                before, after = e.after, e.before
            else:
                _set_state(con, coder, e.segment_id, e.code, e.direction or "none", e.before, at)
                before, after = e.after, e.before
            _log(con, at=at, coder=coder, segment_id=e.segment_id, action="undo", code=e.code, direction=e.direction,
                 before=before, after=after, source="undo", batch=batch, undoes=e.id)
    return targets


def counts_per_status(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """Codings per status and coder (or machine origin), for `qualcode status`."""
    return [dict(r) for r in con.execute(
        "SELECT status, coalesce(coder, origin) AS who, count(*) AS n FROM codings GROUP BY status, who "
        "ORDER BY status, who"
    )]


def has_suggestions(con: sqlite3.Connection) -> bool:
    """Whether any machine suggestion is stored."""
    return con.execute("SELECT 1 FROM codings WHERE coder IS NULL LIMIT 1").fetchone() is not None


def decision_log_coders(con: sqlite3.Connection) -> list[str]:
    """Every coder named in the decision log (also those whose decisions were all undone)."""
    return sorted(r[0] for r in con.execute("SELECT DISTINCT coder FROM decision_log"))


def codebook_loaded_at(con: sqlite3.Connection, version: str) -> str | None:
    """When codebook ``version`` was first loaded into the project."""
    row = con.execute("SELECT loaded_at FROM codebooks WHERE version = ?", (version,)).fetchone()
    return None if row is None else str(row[0])
