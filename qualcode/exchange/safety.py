"""Reading untrusted REFI-QDA files safely.

* XML goes through defusedxml with DTDs forbidden: no entity expansion (billion laughs),
  no external entities or references (XXE). REFI-QDA files never need a DTD.
* A ``.qdpx`` is a zip, checked by the shared :mod:`qualcode.zipsafe` with the wider
  limits of a whole project (:data:`QDPX_LIMITS`): member names against path traversal
  (nothing is ever extracted to disk, but a file that tries is refused), the number of
  members, their declared uncompressed size, and a member that expands far beyond its
  compressed size is refused as a zip bomb.

Every refusal is one :class:`~qualcode.errors.ExchangeError` line naming the file and member.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from qualcode.errors import ExchangeError
from qualcode.zipsafe import SafeZip as _CheckedZip
from qualcode.zipsafe import ZipLimits

# A REFI-QDA project may hold many large sources; the limits are wider than for one document.
QDPX_LIMITS = ZipLimits(max_members=10_000, max_total_bytes=2 * 1024**3, max_member_bytes=256 * 1024**2,
                        max_ratio=100, ratio_floor=1024**2)
MAX_MEMBERS = QDPX_LIMITS.max_members
MAX_TOTAL_BYTES = QDPX_LIMITS.max_total_bytes  # declared uncompressed size of all members together
MAX_MEMBER_BYTES = QDPX_LIMITS.max_member_bytes  # one member that we read (project.qde, a text, a .docx)


def parse_xml(data: bytes, where: str) -> Any:
    """The root element of ``data``; refuses DTDs, entities and external references."""
    from xml.etree.ElementTree import ParseError

    import defusedxml
    from defusedxml import ElementTree as SafeET

    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise ExchangeError(
            f"{where}: declares a DTD or entities ({type(exc).__name__}); REFI-QDA files never do, so it is refused "
            "as unsafe (an XML entity attack?); export the file again from its program"
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ExchangeError(
            f"{where}: not well-formed XML (line {line}, column {column + 1}); the file is damaged or not REFI-QDA"
        ) from None


class SafeZip(_CheckedZip):
    """A checked, read-only view of a .qdpx archive held in memory (see :mod:`qualcode.zipsafe`);
    ``limits`` are :data:`QDPX_LIMITS`, raised with ``--max-unpacked-mb`` for a trusted file."""

    def __init__(self, data: bytes, name: str, limits: ZipLimits = QDPX_LIMITS):
        super().__init__(data, name, error=ExchangeError, limits=limits, not_a_zip=(
            f"{name}: not a .qdpx file (it is not a zip archive); export the project again as REFI-QDA (.qdpx)"))


def read_file(path: Path, limits: ZipLimits = QDPX_LIMITS) -> bytes:
    """A .qdpx or .qdc file's bytes (at most the total limit), or one ExchangeError line."""
    try:
        size = Path(path).stat().st_size
        if size > limits.max_total_bytes:
            raise ExchangeError(f"{path}: is {size // 1024**2} MB (the limit is {limits.max_total_bytes // 1024**2} MB); "
                                f"refused; if you trust the file, pass {limits.option} {size // 1024**2 + 1}")
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ExchangeError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise ExchangeError(f"{path}: is a folder; name the .qdpx or .qdc file") from None
    except OSError as exc:
        raise ExchangeError(f"{path}: cannot be read ({exc.strerror})") from None


def local(tag: Any) -> str:
    """An element's tag without its namespace ('{urn:QDA-XML:project:1.0}Code' -> 'Code')."""
    if not isinstance(tag, str):
        return ""  # comments, processing instructions
    return tag.rsplit("}", 1)[-1]


def children(element: Any, name: str) -> list[Any]:
    return [c for c in element if local(c.tag) == name]


def child(element: Any, name: str) -> Any | None:
    for c in element:
        if local(c.tag) == name:
            return c
    return None


def child_text(element: Any, name: str) -> str | None:
    found = child(element, name)
    return None if found is None else (found.text or "")
