"""Models learned from human decisions, stored with their cross-validated metrics."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class StoredModel:
    """A stored model's description; the fitted object is loaded separately (:func:`model_blob`)."""

    id: int
    code: str
    target: str  # 'presence' or 'direction'
    coder: str
    codebook_version: str | None
    metrics: Mapping[str, Any]
    created_at: str


def add_model(con: sqlite3.Connection, *, at: str, coder: str, codebook_version: str | None, code: str, target: str,
              n_train: int, n_positive: int, metrics: Mapping[str, Any], blob: bytes, strategy: str) -> int:
    cur = con.execute(
        "INSERT INTO models(created_at, coder, codebook_version, code, target, n_train, n_positive, metrics, "
        "blob, strategy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, coder, codebook_version, code, target, n_train, n_positive, json.dumps(metrics), blob, strategy),
    )
    return int(cur.lastrowid or 0)


def newest_models(con: sqlite3.Connection, strategy: str) -> dict[tuple[str, str], StoredModel]:
    """The newest model per (code, target) of ``strategy``, without the fitted objects."""
    out = {}
    for r in con.execute(
        "SELECT id, code, target, coder, codebook_version, metrics, created_at FROM models WHERE strategy = ? "
        "AND id IN (SELECT max(id) FROM models GROUP BY code, target)", (strategy,)
    ):
        out[(r["code"], r["target"])] = StoredModel(r["id"], r["code"], r["target"], r["coder"], r["codebook_version"],
                                                    json.loads(r["metrics"]), r["created_at"])
    return out


def model_blob(con: sqlite3.Connection, model_id: int) -> bytes | None:
    row = con.execute("SELECT blob FROM models WHERE id = ?", (model_id,)).fetchone()
    return None if row is None else bytes(row[0])
