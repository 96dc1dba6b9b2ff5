"""GUIDs: deterministic when we write, lenient when we read."""
from __future__ import annotations

import re
import uuid

_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


class GuidMaker:
    """uuid5 GUIDs from the project id and a key naming the object ('code:workload/risk')."""

    def __init__(self, project_id: str):
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"qualcode:project:{project_id}")

    def __call__(self, key: str) -> str:
        return str(uuid.uuid5(self.namespace, key))


def normalise_guid(value: str | None) -> str | None:
    """Lower case, without braces; None for a missing value. A value that is no GUID is kept as written
    (lower-cased), so references to it still resolve within the file."""
    if value is None:
        return None
    value = value.strip()
    match = _GUID.match(value)
    return (match.group(1) if match else value).lower() or None


def is_guid(value: str) -> bool:
    return _GUID.match(value.strip()) is not None
