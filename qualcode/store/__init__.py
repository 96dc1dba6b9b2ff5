"""The project store: the only place with SQL."""
from __future__ import annotations

from qualcode.store.connection import (APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, create_store, now, open_store,
                                       transaction)

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "create_store", "now", "open_store", "transaction"]
