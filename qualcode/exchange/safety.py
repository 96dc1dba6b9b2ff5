"""Reading untrusted REFI-QDA files safely.

* XML goes through defusedxml with DTDs forbidden: no entity expansion (billion laughs),
  no external entities or references (XXE). REFI-QDA files never need a DTD.
* A ``.qdpx`` is a zip: every member name is checked against path traversal before
  anything is read (nothing is ever extracted to disk, but a file that tries is refused),
  the number of members and their declared uncompressed size are limited, and a member
  that expands far beyond its compressed size is refused as a zip bomb.

Every refusal is one :class:`~qualcode.errors.ExchangeError` line naming the file and member.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from qualcode.errors import ExchangeError

MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 2 * 1024**3  # declared uncompressed size of all members together
MAX_MEMBER_BYTES = 256 * 1024**2  # one member that we read (project.qde, a text, a .docx)
MAX_RATIO = 100  # uncompressed / compressed, for members over RATIO_FLOOR bytes
RATIO_FLOOR = 1024**2

_DRIVE = re.compile(r"^[A-Za-z]:")


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


def _unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe, or None."""
    if "\x00" in name:
        return "contains a NUL character"
    normal = name.replace("\\", "/")
    if normal.startswith("/") or _DRIVE.match(normal):
        return "is an absolute path"
    if any(part == ".." for part in normal.split("/")):
        return "points outside the archive ('..')"
    return None


class SafeZip:
    """A checked, read-only view of a zip archive held in memory."""

    def __init__(self, data: bytes, name: str):
        self.name = name
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise ExchangeError(
                f"{name}: not a .qdpx file (it is not a zip archive); export the project again as REFI-QDA (.qdpx)"
            ) from None
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ExchangeError(
                f"{name}: holds {len(infos)} members (the limit is {MAX_MEMBERS}); refused as a possible zip bomb"
            )
        total = 0
        for info in infos:
            why = _unsafe_name(info.filename)
            if why:
                raise ExchangeError(f"{name}: member {info.filename!r} {why}; refused (path traversal)")
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise ExchangeError(
                f"{name}: would expand to {total // 1024**2} MB (the limit is {MAX_TOTAL_BYTES // 1024**2} MB); "
                "refused as a possible zip bomb"
            )
        self.infos = [i for i in infos if not i.is_dir()]

    def check_members(self) -> None:
        """Every member's declared size and expansion within the limits, without reading any (for an
        archive handed to another reader, such as a .docx inside a .qdpx)."""
        for info in self.infos:
            self._check_member(info)

    def _check_member(self, info: zipfile.ZipInfo) -> None:
        """Refuse a member that is too large or expands like a zip bomb."""
        where = f"{self.name}: member {info.filename!r}"
        if info.file_size > MAX_MEMBER_BYTES:
            raise ExchangeError(f"{where} is {info.file_size // 1024**2} MB (the limit is "
                                f"{MAX_MEMBER_BYTES // 1024**2} MB); refused")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ExchangeError(f"{where} expands {info.file_size // max(info.compress_size, 1)} times "
                                f"(to {info.file_size // 1024**2} MB); refused as a zip bomb")

    @property
    def names(self) -> list[str]:
        return [i.filename for i in self.infos]

    def read(self, member: str) -> bytes:
        """One member's bytes, refused when it is too large or expands like a zip bomb."""
        info = self._zip.getinfo(member)
        self._check_member(info)
        where = f"{self.name}: member {member!r}"
        try:
            with self._zip.open(info) as fh:
                data = fh.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
            raise ExchangeError(f"{where} cannot be read ({exc}); the file is damaged or encrypted") from None
        if len(data) > MAX_MEMBER_BYTES:
            raise ExchangeError(f"{where} expands beyond {MAX_MEMBER_BYTES // 1024**2} MB; refused as a zip bomb")
        return data


def read_file(path: Path) -> bytes:
    """A .qdpx or .qdc file's bytes (at most the total limit), or one ExchangeError line."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_TOTAL_BYTES:
            raise ExchangeError(f"{path}: is {size // 1024**2} MB (the limit is {MAX_TOTAL_BYTES // 1024**2} MB); "
                                "refused")
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
