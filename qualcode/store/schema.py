"""The schema of a project file, as versioned migrations."""
from __future__ import annotations

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
    # 2: models learned from human decisions (qualcode.coding.learn); the newest per (code, target) is used
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
    # 3: the pseudonymisation key (qualcode.privacy): names and their placeholders, and words allowed
    # through; it never leaves the project (no export writes these tables)
    """
    CREATE TABLE privacy_terms (
        folded TEXT PRIMARY KEY,         -- casefolded term, for lookups
        term TEXT NOT NULL,              -- as found in the cases file or text, or as the researcher added it
        placeholder TEXT NOT NULL,       -- [Leerling 1], [School A], [Expert 1]
        kind TEXT NOT NULL,              -- respondent, person, pupil, colleague, school, place, organisation, contact
        source TEXT NOT NULL CHECK (source IN ('cases', 'added', 'detected')),
        created_at TEXT NOT NULL
    );
    CREATE TABLE privacy_allowed (
        folded TEXT PRIMARY KEY,
        term TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
