"""Cases (respondents or groups) and their typed attributes in the store."""
from __future__ import annotations

import sqlite3
from typing import Any, Mapping

from qualcode.records import Case
from qualcode.store.documents import study_id as _study_id


def _typed(value: Any) -> tuple[str | None, str]:
    if isinstance(value, bool):
        return ("1" if value else "0"), "bool"
    if isinstance(value, int):
        return str(value), "int"
    if isinstance(value, float):
        return repr(value), "float"
    return (None if value is None else str(value)), "text"


def _untyped(value: str | None, kind: str) -> Any:
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return value == "1"
    return value


def cases(con: sqlite3.Connection) -> list[Case]:
    """Every case with its pseudonym, role, study and attributes (as typed values), by case id."""
    attrs: dict[str, dict[str, Any]] = {}
    for r in con.execute("SELECT case_id, name, value, type FROM case_attributes ORDER BY case_id, name"):
        attrs.setdefault(r["case_id"], {})[r["name"]] = _untyped(r["value"], r["type"])
    return [
        Case(case_id=r["id"], pseudonym=r["pseudonym"] or r["id"], role=r["role"], study=r["study"],
             attributes=attrs.get(r["id"], {}))
        for r in con.execute(
            "SELECT c.id, c.pseudonym, c.role, s.name AS study FROM cases c LEFT JOIN studies s ON s.id = c.study_id "
            "ORDER BY c.id"
        )
    ]


def attribute_names(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT name FROM case_attributes ORDER BY name")]


def case_exists(con: sqlite3.Connection, case_id: str) -> bool:
    return con.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is not None


def count_cases(con: sqlite3.Connection) -> int:
    return int(con.execute("SELECT count(*) FROM cases").fetchone()[0])


def upsert_case(con: sqlite3.Connection, case_id: str, pseudonym: str | None, role: str | None,
                attributes: Mapping[str, Any], study_id: int | None) -> bool:
    """Create the case or fill in what is given (None keeps the stored value); True when created.

    A ``study`` attribute names the case's study (created when new), over ``study_id``.
    """
    if "study" in attributes and attributes["study"] is not None:
        study_id = _study_id(con, str(attributes["study"]))
    exists = case_exists(con, case_id)
    if exists:
        con.execute(
            "UPDATE cases SET pseudonym = coalesce(?, pseudonym), role = coalesce(?, role), "
            "study_id = coalesce(?, study_id) WHERE id = ?",
            (pseudonym, role, study_id, case_id),
        )
    else:
        con.execute("INSERT INTO cases(id, pseudonym, role, study_id) VALUES (?, ?, ?, ?)",
                    (case_id, pseudonym, role, study_id))
    for name, value in attributes.items():
        text, kind = _typed(value)
        con.execute(
            "INSERT INTO case_attributes(case_id, name, value, type) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(case_id, name) DO UPDATE SET value = excluded.value, type = excluded.type",
            (case_id, name, text, kind),
        )
    return not exists


class CaseWriter:
    """What :func:`upsert_case` does, for the many cases of one import, written in batches.

    Whether a case exists and how many there are is kept in memory (read once), so an
    import of 200,000 survey rows costs no query per row; :meth:`flush` writes the
    buffered cases and attributes with ``executemany`` (call it before writing segments
    that refer to them: the foreign key is checked at once).
    """

    BATCH = 20_000  # buffered rows written at once

    def __init__(self, con: sqlite3.Connection):
        self.con = con
        self._known = {str(r[0]) for r in con.execute("SELECT id FROM cases")}
        self._studies: dict[str, int] = {}
        self._new: list[tuple[str, str | None, str | None, int | None]] = []
        self._updates: list[tuple[str | None, str | None, int | None, str]] = []
        self._attributes: list[tuple[str, str, str | None, str]] = []

    def exists(self, case_id: str) -> bool:
        return case_id in self._known

    def count(self) -> int:
        """The number of cases in the project, those not yet flushed included."""
        return len(self._known)

    def upsert(self, case_id: str, pseudonym: str | None, role: str | None, attributes: Mapping[str, Any],
               study_id: int | None) -> bool:
        """As :func:`upsert_case` (None keeps the stored value; a ``study`` attribute names the study)."""
        study = attributes.get("study")
        if study is not None:
            if str(study) not in self._studies:
                self._studies[str(study)] = _study_id(self.con, str(study))
            study_id = self._studies[str(study)]
        created = case_id not in self._known
        if created:
            self._new.append((case_id, pseudonym, role, study_id))
            self._known.add(case_id)
        elif pseudonym is not None or role is not None or study_id is not None:
            self._updates.append((pseudonym, role, study_id, case_id))
        for name, value in attributes.items():
            text, kind = _typed(value)
            self._attributes.append((case_id, name, text, kind))
        if len(self._attributes) + len(self._new) > self.BATCH:
            self.flush()  # written in batches, not held for the whole import
        return created

    def flush(self) -> None:
        """Write what is buffered: new cases, then updates, then attributes (each in the order given)."""
        con = self.con
        con.executemany("INSERT INTO cases(id, pseudonym, role, study_id) VALUES (?, ?, ?, ?)", self._new)
        con.executemany("UPDATE cases SET pseudonym = coalesce(?, pseudonym), role = coalesce(?, role), "
                        "study_id = coalesce(?, study_id) WHERE id = ?", self._updates)
        con.executemany(
            "INSERT INTO case_attributes(case_id, name, value, type) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(case_id, name) DO UPDATE SET value = excluded.value, type = excluded.type",
            self._attributes,
        )
        self._new, self._updates, self._attributes = [], [], []
