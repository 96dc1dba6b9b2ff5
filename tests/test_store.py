import sqlite3

import pytest

from qualcode.store import schema as store
from qualcode.errors import ProjectError
from qualcode.project import Project


def test_init_creates_a_versioned_project_with_wal(tmp_path):
    path = tmp_path / "p.qualcode"
    with Project.init(path) as p:
        assert p.con.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
        assert p.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert p.con.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert len(p.project_id) == 36
    with Project.open(path) as p:
        assert p.status()["studies"] == []


def test_init_refuses_to_overwrite(tmp_path):
    path = tmp_path / "p.qualcode"
    Project.init(path).close()
    with pytest.raises(ProjectError, match="already exists"):
        Project.init(path)


def test_open_refuses_a_file_that_is_not_a_project(tmp_path):
    text = tmp_path / "notes.qualcode"
    text.write_text("hello")
    with pytest.raises(ProjectError, match="not a qualcode project"):
        Project.open(text)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(ProjectError, match="not a qualcode project"):
        Project.open(other)


def test_open_refuses_a_project_from_a_newer_program(tmp_path):
    path = tmp_path / "p.qualcode"
    Project.init(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(ProjectError, match="newer qualcode"):
        Project.open(path)


def test_an_older_project_is_migrated_on_open(tmp_path, monkeypatch):
    path = tmp_path / "p.qualcode"
    Project.init(path).close()
    monkeypatch.setattr(store, "MIGRATIONS", store.MIGRATIONS + ["CREATE TABLE later_feature (x INTEGER);"])
    monkeypatch.setattr(store, "SCHEMA_VERSION", len(store.MIGRATIONS))
    with Project.open(path) as p:
        assert p.con.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
        p.con.execute("SELECT * FROM later_feature")


def test_missing_project_names_init(tmp_path):
    with pytest.raises(ProjectError, match="qualcode init"):
        Project.open(tmp_path / "nope.qualcode")


def test_decision_log_is_append_only(seeded):
    project, ids = seeded
    from qualcode.store.codings import Decision, apply_decisions

    apply_decisions(project.con, "anna", [Decision(ids[1], "add", "workload", "opportunity")])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        project.con.execute("DELETE FROM decision_log")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        project.con.execute("UPDATE decision_log SET coder = 'bob'")


def test_transaction_rolls_back_on_error(seeded):
    project, ids = seeded
    before = project.con.execute("SELECT count(*) FROM segments").fetchone()[0]
    with pytest.raises(RuntimeError), project.transaction():
        project.con.execute("DELETE FROM segments WHERE id = ?", (ids[-1],))
        raise RuntimeError("boom")
    assert project.con.execute("SELECT count(*) FROM segments").fetchone()[0] == before


def test_segment_text_is_the_slice_of_the_document(seeded):
    project, ids = seeded
    for seg in project.segments():
        text = project.store.document_text(seg.document_id)
        assert seg.text == text[seg.start:seg.end]
    assert project.segment(ids[3]).text.startswith("Docenten houden zelf de regie")


@pytest.mark.parametrize("batch", [1, 20_000])
def test_case_writer_writes_what_upsert_case_writes(tmp_path, monkeypatch, batch):
    """The batched writer of imports leaves the same cases and attributes as upsert_case, call by call."""
    from qualcode.store import cases

    monkeypatch.setattr(cases.CaseWriter, "BATCH", batch)

    calls = [
        ("R1", "Respondent 1", "docent", {"sector": "po", "jaren": 3}, None),
        ("R2", None, None, {"study": "vo-2025", "ok": True}, None),
        ("R1", None, "schoolleider", {"jaren": 4, "score": 2.5}, None),
        ("R2", "Respondent 2", None, {}, None),
        ("R3", None, None, {"study": "po-2019"}, None),
    ]
    dumps = []
    for batched in (False, True):
        with Project.init(tmp_path / f"p{batched}.qualcode") as p, p.store.transaction():
            writer = cases.CaseWriter(p.con)
            created = []
            for call in calls:
                if batched:
                    created.append(writer.upsert(*call))
                    assert writer.exists(call[0]) and writer.count() == len({c[0] for c in calls[:len(created)]})
                else:
                    created.append(cases.upsert_case(p.con, *call))
            writer.flush()
            dumps.append((created, p.store.cases()))
    assert dumps[0] == dumps[1]
    assert dumps[0][0] == [True, True, False, False, True]
