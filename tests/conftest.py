"""Shared fixtures: a project with a few Dutch segments, written straight into the store."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from qualcode import store
from qualcode.coding.codebook import Codebook
from qualcode.project import Project
from qualcode.records import Suggestion
from qualcode.store import codings

SAMPLE_TURNS = [
    ("Interviewer", None, "Wat betekent AI voor de werkdruk van docenten?"),
    ("R1", "R1", "Het nakijkwerk gaat veel sneller, dat scheelt echt tijd. Maar de vrijgekomen tijd wordt weer opgevuld."),
    ("R1", "R1", "Ik ben bang dat het contact met leerlingen minder wordt als alles via een scherm gaat."),
    ("R2", "R2", "Docenten houden zelf de regie over hun lessen, dat vind ik belangrijk."),
    ("R2", "R2", "We hebben het gebouw vorig jaar verbouwd."),
]


def add_document(project: Project, turns=SAMPLE_TURNS, name: str = "int-01.txt", study: str = "vo-2025") -> list[int]:
    """Insert a document with one segment per turn; returns the segment ids."""
    con = project.con
    text, spans = "", []
    for speaker, case, line in turns:
        prefix = f"{speaker}: "
        start = len(text) + len(prefix)
        text += prefix + line + "\n"
        spans.append((speaker, case, start, start + len(line)))
    with store.transaction(con):
        con.execute("INSERT OR IGNORE INTO codebooks(version, name, language, source_name, source_text, loaded_at) "
                    "VALUES ('v1', 'test', 'nl', 'test.yaml', '', ?)", (store.now(),))
        con.execute("INSERT OR IGNORE INTO studies(name) VALUES (?)", (study,))
        study_id = con.execute("SELECT id FROM studies WHERE name = ?", (study,)).fetchone()[0]
        for _, case, _, _ in spans:
            if case:
                con.execute("INSERT OR IGNORE INTO cases(id, pseudonym, role, study_id) VALUES (?, ?, 'expert', ?)",
                            (case, f"Expert {case[1:]}", study_id))
                con.execute("INSERT OR IGNORE INTO case_attributes(case_id, name, value, type) VALUES (?, 'study', ?, 'text')",
                            (case, study))
        con.execute(
            "INSERT INTO documents(study_id, name, format, text, sha256, unit, imported_at) VALUES (?, ?, 'txt', ?, ?, 'turn', ?)",
            (study_id, name, text, hashlib.sha256((name + text).encode()).hexdigest(), store.now()),
        )
        doc_id = con.execute("SELECT last_insert_rowid()").fetchone()[0]
        ids = []
        for pos, (speaker, case, s, e) in enumerate(spans):
            con.execute(
                'INSERT INTO segments(document_id, position, start, "end", speaker, case_id, kind, to_code) '
                "VALUES (?, ?, ?, ?, ?, ?, 'turn', ?)",
                (doc_id, pos, s, e, speaker, case, int(case is not None)),
            )
            ids.append(con.execute("SELECT last_insert_rowid()").fetchone()[0])
    return ids


@pytest.fixture
def project(tmp_path: Path):
    p = Project.init(tmp_path / "test.qualcode")
    yield p
    p.close()


@pytest.fixture
def seeded(project):
    """A project with one interview of five segments (the first is the interviewer's)."""
    ids = add_document(project)
    return project, ids


CODEBOOK = """\
codebook: test
language: nl
codes:
  - id: autonomy
    label: autonomie
    keywords: {words: [regie]}
  - id: workload
    label: werkdruk
    keywords: {words: [tijd], compounds: ["nakijk*"]}
  - id: interaction
    label: menselijke interactie
    keywords: {words: [contact]}
  - id: work_enjoyment
    label: werkplezier
    keywords: {words: [plezier]}
"""


def store_codebook(project: Project, text: str = CODEBOOK) -> str:
    codebook = Codebook.from_text(text, "test.yaml")
    with project.transaction():
        codings.store_codebook(project.con, codebook)
    return codebook.version


def match(text: str, word: str, kind: str = "aspect", rule: str | None = None) -> dict:
    """An evidence match as the auto-coder writes it (offsets into the segment text)."""
    start = text.index(word)
    rule = rule or (f"cue:{word}" if kind != "aspect" else f"word:{word}")
    return {"text": word, "start": start, "end": start + len(word), "rule": rule, "kind": kind}


def suggest(project: Project, ids: list[int]) -> None:
    """Keyword suggestions as the auto-coder would write them (without running it)."""
    texts = {s.id: s.text for s in project.segments(ids=ids)}
    t1, t2, t3 = texts[ids[1]], texts[ids[2]], texts[ids[3]]
    rows = [
        # two aspect words close to their cue: strong evidence
        Suggestion(ids[1], "workload", "opportunity", "keyword", "keywords.v1",
                   {"matches": [match(t1, "nakijkwerk", rule="compound:nakijk*"), match(t1, "tijd"),
                                match(t1, "sneller", "opportunity")]}),
        Suggestion(ids[1], "workload", "risk", "keyword", "keywords.v1",
                   {"matches": [match(t1, "tijd"), match(t1, "vrijgekomen tijd", rule="phrase:vrijgekomen tijd"),
                                match(t1, "opgevuld", "risk")]}),
        # one keyword each: weak evidence
        Suggestion(ids[2], "interaction", "risk", "keyword", "keywords.v1",
                   {"matches": [match(t2, "contact"), match(t2, "minder", "decrease")]}),
        Suggestion(ids[3], "autonomy", "opportunity", "keyword", "keywords.v1",
                   {"matches": [match(t3, "regie")]}),
    ]
    with project.transaction():
        codings.write_suggestions(project.con, rows, origin="keyword", segment_ids=ids,
                                  codebook_version=project.meta("codebook_version"))


@pytest.fixture
def review(seeded):
    """The seeded project with a codebook and keyword suggestions on segments 1-3 (4 has none)."""
    project, ids = seeded
    store_codebook(project)
    suggest(project, ids)
    return project, ids


def libreoffice() -> str:
    """The LibreOffice command. Skips where it is not installed, except in CI (QUALCODE_CI=1, set by
    .ci/run, which installs it): there a missing LibreOffice fails, so the check is never silently skipped."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        if os.environ.get("QUALCODE_CI") == "1":
            pytest.fail("LibreOffice is not installed, but .ci/run installs it (apt packages libreoffice-calc-nogui, libreoffice-writer-nogui)")
        pytest.skip("LibreOffice is not installed (apt packages libreoffice-calc-nogui, libreoffice-writer-nogui)")
    return office


GOLDEN = Path(__file__).resolve().parent / "golden"


def check_golden(name: str, actual: str) -> None:
    """``actual`` equals tests/golden/NAME; with QUALCODE_REGENERATE_GOLDEN=1 it is written there first
    (only for an intended change: the diff of the golden file is then what to review)."""
    path = GOLDEN / name
    if os.environ.get("QUALCODE_REGENERATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file; regenerate only for an intended change"
