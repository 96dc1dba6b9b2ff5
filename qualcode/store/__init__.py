"""The project store: one SQLite file per project, and the only place with SQL.

:class:`Store` is the open file; the modules hold the queries: :mod:`.schema`
(versioned migrations), :mod:`.connection` (opening, transactions), :mod:`.documents`,
:mod:`.cases`, :mod:`.codings` (suggestions, decisions, the decision log, codebook
versions) and :mod:`.models` (learned models).
"""
from __future__ import annotations

from qualcode.store.connection import APPLICATION_ID, create_store, now, open_store, transaction
from qualcode.store.store import Store

__all__ = ["APPLICATION_ID", "Store", "create_store", "now", "open_store", "transaction"]
