"""Reading untrusted zip containers (.docx, .xlsx, .odt, .qdpx) with bounded size and memory.

A zip bomb is a small file that inflates to gigabytes. Every container qualcode reads
is checked here *before* a reader (python-docx, openpyxl, odfpy, the REFI-QDA reader)
opens it:

* from the zip directory, before anything is inflated: the number of members, the
  declared uncompressed size of all members together and of each one, the compression
  ratio of large members, and every member name (no absolute path, no ``..``, no NUL);
* while inflating, in bounded chunks (:meth:`SafeZip.verify`): a member that inflates to
  more than its header declares (a lying header) or fails its CRC is refused, and an XML
  member that declares a DTD or entities (billion laughs, external entities) is refused,
  since Office, OpenDocument and REFI-QDA files never need one.

Python's ``zipfile`` never inflates a member beyond its declared size (it stops there and
fails the CRC check), so once the declared sizes are within the limits the readers that
open the archive afterwards are bounded too.

Every refusal is one line of the error class the caller gives (an ImportFormatError for
an import, an ExchangeError for REFI-QDA; this base module imports no other), naming the file, the member and the limit, and
how to raise the limit for a trusted file (``--max-unpacked-mb``).
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, replace
from typing import Iterator

MB = 1024**2
ZIP_MAGIC = b"PK\x03\x04"
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1024**2
# What an XML member may not contain anywhere (DOCTYPE can only occur before the root element;
# in text it is always escaped as &lt;!DOCTYPE).
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_XML_SUFFIXES = (".xml", ".rels", ".qde", ".vml")


@dataclass(frozen=True)
class ZipLimits:
    """The limits one container is checked against.

    ``trusted`` is set when the user raised the limit on purpose (``--max-unpacked-mb``):
    then only the total counts, not the compression ratio.
    """

    max_members: int = 10_000
    max_total_bytes: int = 256 * MB  # declared uncompressed size of all members together
    max_member_bytes: int = 256 * MB
    max_ratio: int = 100  # uncompressed / compressed, for members over ratio_floor bytes
    ratio_floor: int = 4 * MB
    option: str | None = "--max-unpacked-mb"  # how the user raises the limit (None: not possible)
    trusted: bool = False

    def raised_to(self, megabytes: int | None) -> ZipLimits:
        """These limits with each member (and the total) set to ``megabytes``, trusted.

        Limits whose total is wider than one member (a .qdpx: a project of many sources) keep
        that wider total unless ``megabytes`` is larger still.
        """
        if megabytes is None:
            return self
        size = max(1, int(megabytes)) * MB
        total = max(size, self.max_total_bytes) if self.max_total_bytes > self.max_member_bytes else size
        return replace(self, max_total_bytes=total, max_member_bytes=size, trusted=True)


DOCUMENT_LIMITS = ZipLimits()


def unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe (it would escape the folder it is unpacked in), or None."""
    if "\x00" in name:
        return "contains a NUL character"
    normal = name.replace("\\", "/")
    if normal.startswith("/") or _DRIVE.match(normal):
        return "is an absolute path"
    if any(part == ".." for part in normal.split("/")):
        return "points outside the archive ('..')"
    return None


class SafeZip:
    """A checked, read-only view of a zip archive held in memory.

    The constructor checks the directory (members, names, declared total size); the
    member sizes and ratios are checked by :meth:`check_members` (all) or :meth:`read`
    (one), and :meth:`verify` inflates every member in bounded chunks.
    """

    def __init__(self, data: bytes, name: str, *, error: type[Exception],
                 limits: ZipLimits = DOCUMENT_LIMITS, not_a_zip: str | None = None):
        self.name = name
        self.error = error
        self.limits = limits
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
            raise error(not_a_zip or f"{name}: not a readable zip archive (damaged or truncated); "
                        "save or export the file again") from None
        if len(infos) > limits.max_members:
            raise error(f"{name}: holds {len(infos)} members (the limit is {limits.max_members}); "
                        "refused as a possible zip bomb")
        total = 0
        seen: set[str] = set()
        for info in infos:
            if info.filename in seen:  # two readers could take different ones: refused, as a trick
                raise error(f"{name}: holds two members called {info.filename!r}; refused (a damaged or "
                            "tampered file); save or export it again")
            seen.add(info.filename)
            why = unsafe_name(info.filename)
            if why:
                raise error(f"{name}: member {info.filename!r} {why}; refused (path traversal)")
            total += info.file_size
        if total > limits.max_total_bytes:
            raise error(f"{name}: would expand to {total // MB} MB (the limit is {limits.max_total_bytes // MB} MB); "
                        f"refused as a possible zip bomb{self._raise_hint(total)}")
        self.infos = [i for i in infos if not i.is_dir()]

    def _raise_hint(self, size: int, limit: int | None = None) -> str:
        """How to raise the limit (``limit``: the one exceeded, the total by default) for a trusted file."""
        if self.limits.option is None:
            return ""
        limit = self.limits.max_total_bytes if limit is None else limit
        return f"; if you trust the file, pass {self.limits.option} {max(size // MB + 1, limit // MB * 2)}"

    @property
    def names(self) -> list[str]:
        return [i.filename for i in self.infos]

    def check_members(self) -> None:
        """Every member's declared size and expansion within the limits, without inflating any."""
        for info in self.infos:
            self._check_member(info)

    def _check_member(self, info: zipfile.ZipInfo) -> None:
        """Refuse a member that is too large or expands like a zip bomb."""
        where = f"{self.name}: member {info.filename!r}"
        limits = self.limits
        if info.file_size > limits.max_member_bytes:
            raise self.error(f"{where} is {info.file_size // MB} MB (the limit is {limits.max_member_bytes // MB} MB); "
                             f"refused{self._raise_hint(info.file_size, limits.max_member_bytes)}")
        ratio = info.file_size // max(info.compress_size, 1)
        if not limits.trusted and info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            raise self.error(f"{where} expands {ratio} times (to {info.file_size // MB} MB; the limit is "
                             f"{limits.max_ratio} times); refused as a zip bomb"
                             f"{self._raise_hint(info.file_size, limits.max_member_bytes)}")

    def read(self, member: str) -> bytes:
        """One member's bytes, refused when it is too large or expands like a zip bomb."""
        info = self._zip.getinfo(member)
        self._check_member(info)
        data = b"".join(self._inflate(info))
        return data

    def verify(self) -> None:
        """Inflate every member in bounded chunks (nothing is kept): sizes as declared, CRC right,
        no DTD or entity declaration in an XML member. Memory stays at a few chunks."""
        for info in self.infos:
            self._check_member(info)
            xml = info.filename.lower().endswith(_XML_SUFFIXES)
            tail = b""
            for index, chunk in enumerate(self._inflate(info)):
                if not xml:
                    continue
                if index == 0 and not _starts_like_utf8_xml(chunk):
                    raise self.error(f"{self.name}: member {info.filename!r} is not UTF-8 XML; refused (the file "
                                     "is damaged or was not written by an office program)")
                window = tail + chunk
                if any(marker in window for marker in _DTD_MARKERS):
                    raise self.error(f"{self.name}: member {info.filename!r} declares a DTD or entities; office "
                                     "files never do, so it is refused as unsafe (an XML entity attack?); save the "
                                     "file again from its program")
                tail = window[-16:]

    def _inflate(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's bytes in chunks, never more than its declared size."""
        where = f"{self.name}: member {info.filename!r}"
        seen = 0
        try:
            with self._zip.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    seen += len(chunk)
                    if seen > info.file_size or seen > self.limits.max_member_bytes:
                        raise self.error(f"{where} inflates beyond the size its header declares "
                                         f"({info.file_size} bytes); refused as a zip bomb")
                    yield chunk
        except zipfile.BadZipFile as exc:
            if "CRC" in str(exc):
                raise self.error(f"{where} does not inflate to what its header declares (bad CRC; a damaged file or "
                                 "a lying header, as in a zip bomb); refused") from None
            raise self.error(f"{where} cannot be read ({exc}); the file is damaged") from None
        except (NotImplementedError, RuntimeError, OSError, EOFError, zlib.error, ValueError) as exc:
            raise self.error(f"{where} cannot be read ({exc}); the file is damaged or encrypted") from None


def _starts_like_utf8_xml(chunk: bytes) -> bool:
    """UTF-8 XML (the only encoding office files use): after an optional BOM and white space, a '<'.

    UTF-16 XML would hide a DTD from the byte scan, so it is refused rather than decoded.
    """
    head = chunk[3:] if chunk.startswith(b"\xef\xbb\xbf") else chunk
    head = head.lstrip(b" \t\r\n")
    return not head or head.startswith(b"<")


def check_container(data: bytes, name: str, *, error: type[Exception],
                    limits: ZipLimits = DOCUMENT_LIMITS, not_a_zip: str | None = None) -> None:
    """Check a whole container before another library opens it: directory, sizes, ratios, then
    every member inflated in bounded chunks. Raises ``error`` with one line."""
    archive = SafeZip(data, name, error=error, limits=limits, not_a_zip=not_a_zip)
    archive.check_members()
    archive.verify()
