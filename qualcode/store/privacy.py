"""The pseudonymisation key in the store: terms with their placeholders, and terms allowed through.

The key never leaves the project: no export reads these tables except to replace names.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from qualcode.store.connection import now

SOURCES = ("cases", "added", "detected")


@dataclass(frozen=True)
class KeyEntry:
    """One row of the key: a term, the placeholder that replaces it, what kind of name it is, and where it came from."""

    term: str
    placeholder: str
    kind: str
    source: str


def fold(term: str) -> str:
    return " ".join(term.split()).casefold()


def key_entries(con: sqlite3.Connection) -> list[KeyEntry]:
    """The whole key, in the order the terms were added."""
    return [KeyEntry(r["term"], r["placeholder"], r["kind"], r["source"])
            for r in con.execute("SELECT term, placeholder, kind, source FROM privacy_terms ORDER BY rowid")]


def add_entry(con: sqlite3.Connection, entry: KeyEntry, *, replace: bool = False) -> bool:
    """Add a term to the key; an existing term is kept unless ``replace`` (True when the key changed)."""
    if entry.source not in SOURCES:
        raise ValueError(f"unknown source {entry.source!r}")
    verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
    cur = con.execute(f"{verb} INTO privacy_terms (folded, term, placeholder, kind, source, created_at) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      (fold(entry.term), " ".join(entry.term.split()), entry.placeholder, entry.kind, entry.source,
                       now()))
    return cur.rowcount > 0


def remove_entry(con: sqlite3.Connection, term: str) -> bool:
    return con.execute("DELETE FROM privacy_terms WHERE folded = ?", (fold(term),)).rowcount > 0


def allowed_terms(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("SELECT term FROM privacy_allowed ORDER BY rowid")]


def allow_term(con: sqlite3.Connection, term: str) -> bool:
    """Allow a term through (and take it out of the key if the detector had put it there)."""
    con.execute("DELETE FROM privacy_terms WHERE folded = ? AND source = 'detected'", (fold(term),))
    cur = con.execute("INSERT OR IGNORE INTO privacy_allowed (folded, term, created_at) VALUES (?, ?, ?)",
                      (fold(term), " ".join(term.split()), now()))
    return cur.rowcount > 0


def disallow_term(con: sqlite3.Connection, term: str) -> None:
    con.execute("DELETE FROM privacy_allowed WHERE folded = ?", (fold(term),))


def speaker_cases(con: sqlite3.Connection) -> list[tuple[str, str | None, str | None, str | None]]:
    """Every distinct (speaker label, case id, pseudonym, role) of the segments."""
    return [(r[0], r[1], r[2], r[3]) for r in con.execute(
        "SELECT DISTINCT s.speaker, s.case_id, c.pseudonym, c.role FROM segments s "
        "LEFT JOIN cases c ON c.id = s.case_id WHERE s.speaker IS NOT NULL ORDER BY s.speaker, s.case_id")]


def document_texts(con: sqlite3.Connection, study: str | None = None) -> list[tuple[int, str, str]]:
    """(id, name, text) of every document (of ``study``), in import order."""
    sql = "SELECT d.id, d.name, d.text FROM documents d LEFT JOIN studies s ON s.id = d.study_id"
    args: tuple[str, ...] = ()
    if study is not None:
        sql += " WHERE s.name = ?"
        args = (study,)
    return [(int(r[0]), r[1], r[2]) for r in con.execute(sql + " ORDER BY d.id", args)]


def document_cases(con: sqlite3.Connection) -> list[tuple[str, tuple[str, ...]]]:
    """(document name, the pseudonyms of the cases its segments to code belong to) of every document."""
    out: dict[str, set[str]] = {}
    for name, pseudonym in con.execute(
            "SELECT d.name, COALESCE(c.pseudonym, s.case_id) FROM documents d "
            "LEFT JOIN segments s ON s.document_id = d.id AND s.to_code = 1 AND s.case_id IS NOT NULL "
            "LEFT JOIN cases c ON c.id = s.case_id GROUP BY d.id, s.case_id ORDER BY d.id"):
        out.setdefault(name, set())
        if pseudonym is not None:
            out[name].add(pseudonym)
    return [(name, tuple(sorted(cases))) for name, cases in out.items()]


def case_pseudonyms(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("SELECT COALESCE(pseudonym, id) FROM cases ORDER BY id")]


def memo_texts(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("SELECT text FROM memos ORDER BY segment_id, coder")]


def codebook_language(con: sqlite3.Connection, version: str | None) -> str | None:
    """The language of the project's current codebook (None before one is loaded)."""
    if not version:
        return None
    row = con.execute("SELECT language FROM codebooks WHERE version = ?", (version,)).fetchone()
    return str(row[0]) if row else None


def scanned_state(con: sqlite3.Connection) -> str | None:
    """The fingerprint of the last project state in which the detector found nothing new (see privacy.key)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'privacy_scanned'").fetchone()
    return str(row[0]) if row else None


def set_scanned_state(con: sqlite3.Connection, fingerprint: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('privacy_scanned', ?)", (fingerprint,))
