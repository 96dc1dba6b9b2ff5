"""What a quote needs besides the coding: where a segment is, the question before it, evidence, memos."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Iterable, NamedTuple

# The interviewer's turn counts as the question of a segment when it is at most this many
# positions before it in the same document (a group discussion may run on for a few turns).
QUESTION_REACH = 4


@dataclass(frozen=True)
class SegmentSource:
    """Where a segment is: its document, position and timestamps, and the interviewer's turns before it."""

    segment_id: int
    document: str
    position: int
    start_time: float | None
    end_time: float | None
    interviewer_turns: tuple[str, ...]  # within QUESTION_REACH positions before it, nearest first
    source_row: str | None = None  # a table's row id ('W026') for rows imported from a table

    @property
    def question(self) -> str | None:
        """The nearest interviewer turn before the segment (whether or not it asks something)."""
        return self.interviewer_turns[0] if self.interviewer_turns else None


class SegmentPlace(NamedTuple):
    """Where a segment is in its document: its position, and its start time in the recording (if any)."""

    position: int
    start_time: float | None


def _wanted(con: sqlite3.Connection, segment_ids: Iterable[int] | None) -> str:
    """A condition on ``g.id`` / ``segment_id`` limiting a query to ``segment_ids`` (all when None)."""
    if segment_ids is None:
        return ""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_passages (id INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM wanted_passages")
    con.executemany("INSERT OR IGNORE INTO wanted_passages(id) VALUES (?)", [(int(i),) for i in segment_ids])
    return " IN (SELECT id FROM temp.wanted_passages)"


def segment_sources(con: sqlite3.Connection, segment_ids: Iterable[int] | None = None) -> dict[int, SegmentSource]:
    """Per segment to code (of ``segment_ids``, when given): document name, position, start/end time and
    the interviewer turns shortly before it (which of them is the question is the analysis' call)."""
    wanted = _wanted(con, segment_ids)
    # only the interviewer turns within reach of a segment asked for are read
    near = "" if not wanted else f"""
                  AND EXISTS (SELECT 1 FROM segments g
                               WHERE g.document_id = q.document_id AND g.to_code = 1
                                 AND g.position BETWEEN q.position + 1 AND q.position + {QUESTION_REACH:d}
                                 AND g.id{wanted})"""
    turns: dict[tuple[int, int], str] = {
        (int(doc), int(pos)): text for doc, pos, text in con.execute(
            """SELECT q.document_id, q.position, substr(d.text, q.start + 1, q."end" - q.start)
                 FROM segments q JOIN documents d ON d.id = q.document_id
                WHERE q.to_code = 0 AND q.kind = 'turn'""" + near)}
    rows = con.execute(
        """
        SELECT g.id, d.name, g.position, g.start_time, g.end_time, g.document_id, g.source_row
          FROM segments g JOIN documents d ON d.id = g.document_id
         WHERE g.to_code = 1""" + (f" AND g.id{wanted}" if wanted else ""),
    ).fetchall()
    out = {}
    for sid, name, position, start_time, end_time, doc, source_row in rows:
        before = (turns.get((int(doc), int(position) - k)) for k in range(1, QUESTION_REACH + 1))
        out[int(sid)] = SegmentSource(int(sid), name, int(position), start_time, end_time,
                                      tuple(t for t in before if t is not None),
                                      None if source_row is None else str(source_row))
    return out


def segment_places(con: sqlite3.Connection, segment_ids: Iterable[int]) -> dict[int, SegmentPlace]:
    """Position and start time of each segment of ``segment_ids``: what a listing of codings cites
    (:func:`segment_sources` without the interviewer's turns)."""
    wanted = _wanted(con, segment_ids)
    return {int(sid): SegmentPlace(int(position), start_time) for sid, position, start_time in con.execute(
        f"SELECT id, position, start_time FROM segments WHERE id{wanted}")}


def evidence_per_coding(con: sqlite3.Connection,
                        segment_ids: Iterable[int] | None = None) -> dict[tuple[int, str, str], str]:
    """The stored evidence JSON per (segment, code, direction) (on ``segment_ids``, when given): a keyword
    suggestion's first, else any."""
    wanted = _wanted(con, segment_ids)
    out: dict[tuple[int, str, str], str] = {}
    for segment_id, code, direction, evidence in con.execute(
        "SELECT segment_id, code, direction, evidence FROM codings WHERE evidence IS NOT NULL "
        + (f"AND segment_id{wanted} " if wanted else "") + "ORDER BY (origin = 'keyword') DESC, id"
    ):
        out.setdefault((int(segment_id), code, direction), evidence)
    return out


def evidence_of(con: sqlite3.Connection, segment_id: int, code: str, direction: str) -> str | None:
    """The stored evidence JSON of one (segment, code, direction), as :func:`evidence_per_coding` chooses it.

    For a few codings at a time: each of the two queries reads one index (suggestions' and decisions')."""
    chosen = "SELECT evidence, origin = 'keyword' AS keyword, id FROM codings WHERE segment_id = ? AND code = ? " \
        "AND direction = ? AND evidence IS NOT NULL AND coder IS"
    row = con.execute(f"{chosen} NULL UNION ALL {chosen} NOT NULL ORDER BY keyword DESC, id LIMIT 1",
                      (segment_id, code, direction) * 2).fetchone()
    return None if row is None else row[0]
