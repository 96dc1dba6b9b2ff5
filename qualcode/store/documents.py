"""Documents, studies and segments in the store: the exact imported text and spans of it."""
from __future__ import annotations

import sqlite3
from typing import Iterable, Iterator, Sequence

from qualcode.records import DocumentInfo, Segment
from qualcode.store.connection import now

_SEGMENT_SQL = (
    "SELECT g.*, d.name AS document_name, s.name AS study "
    "FROM segments g JOIN documents d ON d.id = g.document_id LEFT JOIN studies s ON s.id = d.study_id"
)

# A segment row as written by an import: (document_id, position, start, end, speaker, case_id, kind,
# to_code, start_time, end_time, source_row).
SegmentRow = tuple[int, int, int, int, "str | None", "str | None", str, int, "float | None", "float | None",
                   "str | None"]


# -- studies ---------------------------------------------------------------------------------
def studies(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM studies ORDER BY name")]


def study_id(con: sqlite3.Connection, name: str) -> int:
    """The id of study ``name``, created when new."""
    con.execute("INSERT OR IGNORE INTO studies(name) VALUES (?)", (name,))
    return int(con.execute("SELECT id FROM studies WHERE name = ?", (name,)).fetchone()[0])


def study_name(con: sqlite3.Connection, study_id: int) -> str:
    return str(con.execute("SELECT name FROM studies WHERE id = ?", (study_id,)).fetchone()[0])


# -- documents -------------------------------------------------------------------------------
def document_infos(con: sqlite3.Connection) -> list[DocumentInfo]:
    rows = con.execute(
        "SELECT d.id, d.name, d.format, d.unit, d.sha256, d.imported_at, s.name AS study, "
        "length(d.text) AS chars, (SELECT count(*) FROM segments g WHERE g.document_id = d.id) AS segments "
        "FROM documents d LEFT JOIN studies s ON s.id = d.study_id ORDER BY d.id"
    ).fetchall()
    return [DocumentInfo(**dict(r)) for r in rows]


def documents_by_ref(con: sqlite3.Connection, ref: str | int) -> list[DocumentInfo]:
    """Documents with id ``ref`` (when it is a number) or else named ``ref``."""
    infos = document_infos(con)
    if isinstance(ref, int) or str(ref).isdigit():
        by_id = [d for d in infos if d.id == int(ref)]
        if by_id:
            return by_id
    named = [d for d in infos if d.name == str(ref)]
    if named:
        return named
    # A document in a folder ("school-a/interview.txt") may be named by its file name when that is unique.
    return [d for d in infos if d.name.rsplit("/", 1)[-1] == str(ref)]


def document_text(con: sqlite3.Connection, document_id: int) -> str:
    return str(con.execute("SELECT text FROM documents WHERE id = ?", (document_id,)).fetchone()[0])


def document_with_hash(con: sqlite3.Connection, sha256: str) -> str | None:
    """The name of the document imported from bytes with this SHA-256, if any."""
    row = con.execute("SELECT name FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
    return None if row is None else str(row["name"])


def documents_with_text(con: sqlite3.Connection, text: str) -> list[int]:
    """Ids of the documents whose stored text is exactly ``text`` (a source coming back from another program)."""
    return [int(r[0]) for r in con.execute("SELECT id FROM documents WHERE text = ? ORDER BY id", (text,))]


def container_imported(con: sqlite3.Connection, sha256: str) -> str | None:
    """When an exchange file (.qdpx) with these bytes was imported, or None."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", (f"imported:{sha256}",)).fetchone()
    return None if row is None else str(row[0])


def mark_container_imported(con: sqlite3.Connection, sha256: str, name: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (f"imported:{sha256}", f"{now()} {name}"))


def max_position(con: sqlite3.Connection, document_id: int) -> int:
    return int(con.execute("SELECT coalesce(max(position), -1) FROM segments WHERE document_id = ?",
                           (document_id,)).fetchone()[0])


def document_names(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM documents")]


def add_document(con: sqlite3.Connection, *, name: str, format: str, text: str, sha256: str, unit: str,
                 study_id: int | None) -> int:
    con.execute(
        "INSERT INTO documents(study_id, name, format, text, sha256, unit, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (study_id, name, format, text, sha256, unit, now()),
    )
    return int(con.execute("SELECT last_insert_rowid()").fetchone()[0])


def add_segments(con: sqlite3.Connection, rows: Sequence[SegmentRow]) -> None:
    con.executemany(
        'INSERT INTO segments(document_id, position, start, "end", speaker, case_id, kind, to_code, '
        "start_time, end_time, source_row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


# -- segments --------------------------------------------------------------------------------
def _segments_from(con: sqlite3.Connection, rows: Iterable[sqlite3.Row],
                   texts: dict[int, str] | None = None) -> list[Segment]:
    texts = {} if texts is None else texts  # a document's text is read once per call (or cache), not per row
    out = []
    for row in rows:
        doc = row["document_id"]
        if doc not in texts:
            texts[doc] = document_text(con, doc)
        out.append(Segment(
            id=row["id"], document_id=doc, start=row["start"], end=row["end"],
            text=texts[doc][row["start"]:row["end"]], speaker=row["speaker"], case_id=row["case_id"],
            kind=row["kind"], to_code=bool(row["to_code"]), document_name=row["document_name"],
            study=row["study"], source_row=row["source_row"], position=row["position"],
            start_time=row["start_time"], end_time=row["end_time"],
        ))
    return out


def segments(con: sqlite3.Connection, *, study: str | None = None, document_id: int | None = None,
             only_to_code: bool = False, ids: Iterable[int] | None = None,
             texts: dict[int, str] | None = None) -> list[Segment]:
    """Segments in document order, with their text sliced from the stored document.

    ``texts`` (document id -> text) is a cache the caller keeps across calls, so reading
    a long document's segments in chunks reads its text once."""
    where: list[str] = []
    args: list[object] = []
    if study is not None:
        where.append("s.name = ?")
        args.append(study)
    if document_id is not None:
        where.append("g.document_id = ?")
        args.append(document_id)
    if only_to_code:
        where.append("g.to_code = 1")
    if ids is not None:
        id_list = list(ids)
        if not id_list:
            return []
        # a temporary table instead of IN (...): no limit on the number of ids
        con.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_ids (id INTEGER PRIMARY KEY)")
        con.execute("DELETE FROM wanted_ids")
        con.executemany("INSERT OR IGNORE INTO wanted_ids(id) VALUES (?)", [(i,) for i in id_list])
        where.append("g.id IN (SELECT id FROM wanted_ids)")
    sql = _SEGMENT_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY g.document_id, g.position"
    return _segments_from(con, con.execute(sql, args).fetchall(), texts)


def texts_to_code(con: sqlite3.Connection, *, study: str | None = None,
                  size: int = 1000) -> Iterator[list[tuple[int, str]]]:
    """The (segment id, text) of every segment to code, in document order, ``size`` at a time: what
    the auto-coder reads, a corpus without holding all of it (and without a Segment per row).

    Each chunk is its own query (continuing after the last document and position read), so no
    statement stays open between chunks; only the text of the document at hand is kept."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    sql = ('SELECT g.document_id, g.position, g.id, g.start, g."end" FROM segments g '
           + ("JOIN documents d ON d.id = g.document_id JOIN studies s ON s.id = d.study_id AND s.name = ? "
              if study is not None else "")
           + "WHERE g.to_code = 1 AND (g.document_id, g.position) > (?, ?) ORDER BY g.document_id, g.position LIMIT ?")
    after: tuple[int, int] = (-1, -1)
    document, text = -1, ""
    while True:
        rows = con.execute(sql, [*((study,) if study is not None else ()), *after, size]).fetchall()
        if not rows:
            return
        chunk = []
        for document_id, _, segment_id, start, end in rows:
            if document_id != document:  # a document's segments come together: its text is read once
                document, text = document_id, document_text(con, document_id)
            chunk.append((segment_id, text[start:end]))
        after = (rows[-1][0], rows[-1][1])
        yield chunk
        if len(rows) < size:
            return


def segment_ids_in_order(con: sqlite3.Connection, *, study: str | None = None,
                         only_to_code: bool = False) -> list[int]:
    """Segment ids in transcript order (document, position), without reading any text."""
    sql = ("SELECT g.id FROM segments g JOIN documents d ON d.id = g.document_id LEFT JOIN studies s "
           "ON s.id = d.study_id WHERE 1 = 1" + (" AND s.name = ?" if study is not None else "")
           + (" AND g.to_code = 1" if only_to_code else "") + " ORDER BY g.document_id, g.position")
    return [int(r[0]) for r in con.execute(sql, (study,) if study is not None else ())]


def segment_times(con: sqlite3.Connection) -> dict[int, tuple[float | None, float | None]]:
    """Start and end times (seconds, of a subtitle file) of the segments that have them."""
    return {row[0]: (row[1], row[2]) for row in con.execute(
        "SELECT id, start_time, end_time FROM segments WHERE start_time IS NOT NULL OR end_time IS NOT NULL")}


def segment(con: sqlite3.Connection, segment_id: int) -> Segment | None:
    found = _segments_from(con, con.execute(_SEGMENT_SQL + " WHERE g.id = ?", (segment_id,)).fetchall())
    return found[0] if found else None


def neighbours(con: sqlite3.Connection, seg: Segment) -> tuple[Segment | None, Segment | None]:
    """The segments just before and after ``seg`` in its document."""
    rows = con.execute(
        _SEGMENT_SQL + " WHERE g.document_id = ? AND g.position IN (?, ?) ORDER BY g.position",
        (seg.document_id, seg.position - 1, seg.position + 1),
    ).fetchall()
    by_pos = {s.position: s for s in _segments_from(con, rows)}
    return by_pos.get(seg.position - 1), by_pos.get(seg.position + 1)


def segment_ids(con: sqlite3.Connection, *, only_to_code: bool = False) -> set[int]:
    sql = "SELECT id FROM segments" + (" WHERE to_code = 1" if only_to_code else "")
    return {int(r[0]) for r in con.execute(sql)}


def count_segments_to_code(con: sqlite3.Connection, study: str | None = None) -> int:
    return int(con.execute(
        "SELECT count(*) FROM segments g JOIN documents d ON d.id = g.document_id LEFT JOIN studies s "
        "ON s.id = d.study_id WHERE g.to_code = 1" + (" AND s.name = ?" if study else ""),
        (study,) if study else (),
    ).fetchone()[0])


def segments_to_code_per_case(con: sqlite3.Connection, study: str | None = None) -> list[tuple[str, str | None, int]]:
    """(case id, study, segments to code) for every case with segments to code, in case order."""
    sql = ("SELECT g.case_id, s.name AS study, count(*) AS n FROM segments g JOIN documents d ON d.id = g.document_id "
           "LEFT JOIN studies s ON s.id = d.study_id WHERE g.to_code = 1 AND g.case_id IS NOT NULL")
    args: list[object] = []
    if study is not None:
        sql += " AND s.name = ?"
        args.append(study)
    rows = con.execute(sql + " GROUP BY g.case_id, s.name ORDER BY g.case_id, s.name", args)
    return [(r["case_id"], r["study"], int(r["n"])) for r in rows]


def case_segment_places(con: sqlite3.Connection, case_ids: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
    """case id -> the (document name, speaker) pairs its segments have, lower-cased (speaker '' when none),
    for the given cases: one query for a whole cases file."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_cases (id TEXT PRIMARY KEY)")
    con.execute("DELETE FROM wanted_cases")
    con.executemany("INSERT OR IGNORE INTO wanted_cases(id) VALUES (?)", [(c,) for c in case_ids])
    places: dict[str, set[tuple[str, str]]] = {}
    for r in con.execute("SELECT DISTINCT g.case_id, d.name, g.speaker FROM segments g JOIN documents d "
                         "ON d.id = g.document_id WHERE g.case_id IN (SELECT id FROM wanted_cases)"):
        places.setdefault(r[0], set()).add((str(r[1]).lower(), (r[2] or "").lower()))
    con.execute("DELETE FROM wanted_cases")
    return places


# -- status ----------------------------------------------------------------------------------
def counts_per_study(con: sqlite3.Connection) -> list[dict[str, object]]:
    return [dict(r) for r in con.execute(
        "SELECT coalesce(s.name, '(no study)') AS study, count(DISTINCT d.id) AS documents, "
        "count(g.id) AS segments, sum(g.to_code) AS to_code, "
        "count(DISTINCT CASE WHEN g.to_code = 1 THEN g.case_id END) AS cases "
        "FROM documents d LEFT JOIN studies s ON s.id = d.study_id LEFT JOIN segments g ON g.document_id = d.id "
        "GROUP BY s.name ORDER BY s.name"
    )]


def counts_per_case(con: sqlite3.Connection) -> list[dict[str, object]]:
    return [dict(r) for r in con.execute(
        "SELECT c.id AS case_id, coalesce(c.pseudonym, c.id) AS pseudonym, c.role, s.name AS study, "
        "count(g.id) AS segments, coalesce(sum(g.to_code), 0) AS to_code, "
        "count(DISTINCT g.document_id) AS documents FROM cases c LEFT JOIN segments g ON g.case_id = c.id "
        "LEFT JOIN studies s ON s.id = c.study_id GROUP BY c.id ORDER BY c.id"
    )]


def counts_per_case_to_code(con: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    """case id -> (segments to code, documents) for every case with segments."""
    return {r[0]: (int(r[1] or 0), int(r[2])) for r in con.execute(
        "SELECT g.case_id, sum(g.to_code), count(DISTINCT g.document_id) FROM segments g "
        "WHERE g.case_id IS NOT NULL GROUP BY g.case_id")}
