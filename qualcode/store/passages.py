"""What a quote needs besides the coding: where a segment is, the question before it, evidence, memos."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Iterable

# The interviewer's turn counts as the question of a segment when it is at most this many
# positions before it in the same document (a group discussion may run on for a few turns).
QUESTION_REACH = 4


@dataclass(frozen=True)
class SegmentSource:
    """Where a segment is: its document, position and timestamps, and the interviewer's turn before it."""

    segment_id: int
    document: str
    position: int
    start_time: float | None
    end_time: float | None
    question: str | None


def _wanted(con: sqlite3.Connection, segment_ids: Iterable[int] | None) -> str:
    """A condition on ``g.id`` / ``segment_id`` limiting a query to ``segment_ids`` (all when None)."""
    if segment_ids is None:
        return ""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_passages (id INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM wanted_passages")
    con.executemany("INSERT OR IGNORE INTO wanted_passages(id) VALUES (?)", [(int(i),) for i in segment_ids])
    return " IN (SELECT id FROM temp.wanted_passages)"


def segment_sources(con: sqlite3.Connection, segment_ids: Iterable[int] | None = None) -> dict[int, SegmentSource]:
    """Per segment to code (of ``segment_ids``, when given): document name, position, start/end time and the
    preceding interviewer turn."""
    wanted = _wanted(con, segment_ids)
    rows = con.execute(
        """
        SELECT g.id, d.name, g.position, g.start_time, g.end_time,
               (SELECT substr(d.text, q.start + 1, q."end" - q.start) FROM segments q
                 WHERE q.document_id = g.document_id AND q.to_code = 0 AND q.kind = 'turn'
                   AND q.position < g.position AND q.position >= g.position - ?
                 ORDER BY q.position DESC LIMIT 1)
          FROM segments g JOIN documents d ON d.id = g.document_id
         WHERE g.to_code = 1""" + (f" AND g.id{wanted}" if wanted else ""),
        (QUESTION_REACH,),
    ).fetchall()
    return {int(r[0]): SegmentSource(int(r[0]), r[1], int(r[2]), r[3], r[4], r[5]) for r in rows}


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
