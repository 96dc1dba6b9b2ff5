"""Read a ``.qdpx`` into frozen records, leniently and safely; nothing here touches the store.

Repairs (what real files do that the standard does not) are collected as one line each:
a project file not named ``project.qde``, ``Sources/`` instead of ``sources/``, paths
without ``internal://`` or pointing outside the archive, a BOM at the start of a text,
CRLF counted as one or two characters, GUIDs with braces or in upper case, ``rgb()``
colours, codings without ``creatingUser``, NVivo's ``.docx`` sources with an empty ``.txt``.
Where a selection's positions do not read its quoted text (its ``name``), the selection is
moved to the nearest place that does, and a warning names it.
"""
from __future__ import annotations

import bisect
import codecs
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from qualcode.errors import ExchangeError, QualcodeError
from qualcode.exchange.codetree import PROJECT_NS, TreeCode, read_tree, tree_root_codes
from qualcode.exchange.guids import normalise_guid
from qualcode.zipsafe import ZipLimits
from qualcode.exchange.safety import (
    QDPX_LIMITS,
    SafeZip,
    child,
    child_text,
    children,
    local,
    parse_xml,
    read_file,
)

_SCHEMES = ("internal://", "relative://", "absolute://", "file://")
_QUOTE_MIN = 4
_QUOTE_MAX = 60
_RELOCATE_MIN = 12  # a selection is moved to where its name reads only when the name is at least this long


@dataclass(frozen=True)
class Container:
    name: str
    project_member: str
    project_xml: bytes
    zip: SafeZip
    repairs: tuple[str, ...]


@dataclass(frozen=True)
class QUser:
    guid: str
    name: str


@dataclass(frozen=True)
class QCoding:
    guid: str
    code_guid: str
    user: str | None  # GUID of the coder (already resolved to the selection's or the project's user)
    notes: tuple[str, ...] = ()  # GUIDs of notes on the coding


@dataclass(frozen=True)
class QSelection:
    guid: str
    start: int  # in the normalised text, end exclusive
    end: int
    user: str | None
    codings: tuple[QCoding, ...]
    notes: tuple[str, ...] = ()
    description: str = ""  # QualCoder writes a coding's memo here


@dataclass(frozen=True)
class QSource:
    guid: str
    name: str
    text: str  # normalised: no BOM, line ends \n (as qualcode stores every text)
    digest: str  # sha256 of the source's bytes in the file
    selections: tuple[QSelection, ...]
    variables: Mapping[str, Any]
    notes: tuple[str, ...] = ()
    turns: tuple[Any, ...] | None = None  # ParsedTurns when the text came from a .docx (its paragraphs, speakers)


@dataclass(frozen=True)
class QCase:
    guid: str
    name: str
    variables: Mapping[str, Any]
    sources: tuple[str, ...]
    selections: tuple[str, ...]


@dataclass(frozen=True)
class QNote:
    guid: str
    name: str
    text: str
    user: str | None


@dataclass(frozen=True)
class QdpxContent:
    """Everything qualcode takes from one .qdpx file."""

    file_name: str
    sha256: str
    project_name: str
    origin: str | None
    users: tuple[QUser, ...]
    codes: tuple[TreeCode, ...]
    sources: tuple[QSource, ...]
    cases: tuple[QCase, ...]
    notes: Mapping[str, QNote]
    repairs: tuple[str, ...]  # what was repaired (the import still means what the file says)
    warnings: tuple[str, ...]  # what may have been lost or moved: read these


def open_container(data: bytes, name: str, limits: ZipLimits = QDPX_LIMITS) -> Container:
    """The checked zip and its project XML (``project.qde``, or the one ``.qde`` it holds)."""
    archive = SafeZip(data, name, limits)
    qdes = [n for n in archive.names if n.lower().endswith(".qde")]
    if not qdes:
        raise ExchangeError(f"{name}: no project.qde inside; this is not a REFI-QDA project (.qdpx)")
    qdes.sort(key=lambda n: (n.count("/"), n.lower() != "project.qde", n))
    member = qdes[0]
    repairs = []
    if member != "project.qde":
        repairs.append(f"{name}: the project file is {member!r}, not 'project.qde'; read it")
    if len(qdes) > 1:
        repairs.append(f"{name}: holds {len(qdes)} .qde files; read {member!r}, ignored the others")
    return Container(name, member, archive.read(member), archive, tuple(repairs))


def read_qdpx(path: Path, max_unpacked_mb: int | None = None) -> QdpxContent:
    """The content of a .qdpx file; ``max_unpacked_mb`` raises the zip limits for a trusted file."""
    path = Path(path)
    limits = QDPX_LIMITS.raised_to(max_unpacked_mb)
    data = read_file(path, limits)
    return read_qdpx_bytes(data, path.name, limits)


class _Reader:
    def __init__(self, container: Container, origin: str = ""):
        self.c = container
        self.origin = origin
        self.where = f"{container.name}: {container.project_member}"
        self.repairs: list[str] = list(container.repairs)
        self.warnings: list[str] = []
        self.members: dict[Any, str] = {}
        folders = set()
        for n in container.zip.names:
            parts = PurePosixPath(n.replace("\\", "/")).parts
            if len(parts) >= 2 and parts[-2].lower() == "sources":
                self.members.setdefault(parts[-1].lower(), n)
                folders.add(parts[-2])
            self.members.setdefault(("any", parts[-1].lower()), n)
        for folder in sorted(folders - {"sources"}):
            self.repairs.append(f"{container.name}: the sources folder is named {folder!r}, not 'sources'; read it")
        self.variables: dict[str, tuple[str, str]] = {}

    # -- members -------------------------------------------------------------------------
    def member_for(self, path: str, what: str) -> str | None:
        raw = path.strip()
        scheme = next((s for s in _SCHEMES if raw.lower().startswith(s)), None)
        rest = raw[len(scheme):] if scheme else raw
        base = rest.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
        found = self.members.get(base.lower()) or self.members.get(("any", base.lower()))
        if scheme != "internal://":
            if found:
                self.repairs.append(f"{self.where}: {what} path {raw!r} is not internal://; used {found!r} in the file")
            elif scheme in ("relative://", "absolute://", "file://") or "/" in rest or "\\" in rest:
                self.warnings.append(f"{self.where}: {what} {raw!r} is an external file, not inside the .qdpx "
                                     "(qualcode never reads files outside it); export with the sources embedded")
        return found

    def read_member(self, member: str) -> bytes:
        return self.c.zip.read(member)

    # -- text ----------------------------------------------------------------------------
    def decode(self, data: bytes, where: str) -> tuple[str, bool]:
        """(text without BOM, whether there was a BOM)."""
        for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                              (codecs.BOM_UTF16_BE, "utf-16-be")):
            if data.startswith(bom):
                try:
                    return data[len(bom):].decode(encoding), True
                except UnicodeDecodeError:
                    raise ExchangeError(f"{where}: not valid {encoding} text after its BOM") from None
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ExchangeError(f"{where}: not UTF-8 text (REFI-QDA requires UTF-8)") from None
        self.repairs.append(f"{where}: not UTF-8 (REFI-QDA requires it); read as Windows-1252")
        return text, False

    # -- values ----------------------------------------------------------------------------
    def read_variables(self, root: Any) -> None:
        holder = child(root, "Variables")
        for el in children(holder, "Variable") if holder is not None else []:
            guid = normalise_guid(el.get("guid"))
            if guid:
                self.variables[guid] = ((el.get("name") or "").strip() or guid, el.get("typeOfVariable") or "Text")

    def values(self, el: Any, where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for vv in children(el, "VariableValue"):
            ref = child(vv, "VariableRef")
            guid = normalise_guid(ref.get("targetGUID")) if ref is not None else None
            if guid not in self.variables:
                self.warnings.append(f"{where}: a variable value refers to no variable ({guid}); left out")
                continue
            name, _ = self.variables[guid]
            value: Any = None
            for kind in ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue"):
                text = child_text(vv, kind)
                if text is None:
                    continue
                text = text.strip() if kind != "TextValue" else text
                try:
                    if kind == "BooleanValue":
                        value = text.lower() in ("true", "1")
                    elif kind == "IntegerValue":
                        value = int(text)
                    elif kind == "FloatValue":
                        value = float(text)
                    else:
                        value = text
                except ValueError:
                    self.repairs.append(f"{where}: variable {name!r}: {text!r} is not a {kind[:-5].lower()}; kept as text")
                    value = text
                break
            out[name] = value
        return out

    # -- sources -------------------------------------------------------------------------
    def source_text(self, el: Any, name: str) -> tuple[str, bool, bytes, tuple[Any, ...] | None] | None:
        """(text without BOM, had BOM, bytes) of a text source, or None when it has none."""
        where = f"{self.c.name}: source {name!r}"
        inline = child_text(el, "PlainTextContent")
        if inline is not None and inline.strip():
            return inline, False, inline.encode("utf-8"), None
        plain = el.get("plainTextPath")
        text: tuple[str, bool, bytes, tuple[Any, ...] | None] | None = None
        if plain:
            member = self.member_for(plain, f"source {name!r}")
            if member is not None:
                data = self.read_member(member)
                decoded, bom = self.decode(data, f"{self.c.name}: member {member!r}")
                text = (decoded, bom, data, None)
        if text is None or not text[0].strip():
            rich = el.get("richTextPath")
            if rich and rich.lower().endswith(".docx"):
                member = self.member_for(rich, f"source {name!r}")
                if member is not None:
                    from qualcode.ingest.importers.docx import read_docx

                    data = self.read_member(member)
                    limits = self.c.zip.limits
                    if data[:4] == b"PK\x03\x04":  # a .docx is a zip too: the same limits before python-docx opens it
                        SafeZip(data, f"{self.c.name}: member {member!r}", limits).check_members()
                    try:
                        doc = read_docx(Path(member), data, limits=limits)[0]
                    except QualcodeError as exc:
                        self.warnings.append(f"{where}: has no text: its plain text is empty and its .docx {member!r} "
                                             f"gives none ({str(exc).split(': ', 1)[-1]}); skipped")
                        return None
                    self.repairs.append(f"{where}: the plain text is empty; read the text of its .docx {member!r}")
                    if children(el, "PlainTextSelection"):
                        self.warnings.append(f"{where}: positions were counted in the program's own plain text, "
                                             "which the file lacks; they are checked against the .docx text")
                    return doc.text, False, data, doc.turns
        if text is None or not text[0].strip():
            self.warnings.append(f"{where}: has no text in the file (no plain text, no readable .docx); skipped"
                                 + (f" with its {n} selection(s)" if (n := len(children(el, 'PlainTextSelection'))) else ""))
            return None
        return text

    def read_source(self, el: Any, name: str, default_user: str | None) -> QSource | None:
        guid = normalise_guid(el.get("guid")) or f"source:{name}"
        got = self.source_text(el, name)
        if got is None:
            return None
        raw, had_bom, data, turns = got
        where = f"{self.c.name}: source {name!r}"
        text = raw.replace("\r\n", "\n").replace("\r", "\n")
        crs = [i for i in range(len(raw) - 1) if raw[i] == "\r" and raw[i + 1] == "\n"]
        items = []
        for sel in children(el, "PlainTextSelection"):
            try:
                start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
            except ValueError:
                self.warnings.append(f"{where}: selection {sel.get('guid')} has no valid positions; skipped")
                continue
            items.append((sel, start, end))
        mode = self.choose_mode(text, crs, had_bom, items, where)
        # Names are taken as quotes of the text only when at least one of them reads at its positions
        # (or there is only one): a program that names selections otherwise must not get its codings moved.
        quoted = [(sel, a, b) for sel, a, b in items if self.quote(sel, text)]
        confirmed = sum(self.reads(text, self.convert(a, mode, crs), self.convert(b, mode, crs), self.quote(sel, text) or "")
                        for sel, a, b in quoted)
        self.trust_quotes = confirmed > 0 or len(quoted) == 1
        if quoted and not self.trust_quotes:
            self.warnings.append(f"{where}: none of the {len(quoted)} selections whose name occurs in the text reads "
                                 "its name at its positions; the names are taken as labels, the positions as written "
                                 "(check a few codings)")
        selections = []
        for sel, start, end in items:
            s, e = (self.convert(p, mode, crs) for p in (start, end))
            s, e = self.check(text, s, e, sel, where)
            sel_guid = normalise_guid(sel.get("guid")) or f"{guid}:{start}-{end}"
            sel_user = normalise_guid(sel.get("creatingUser")) or default_user
            codings = tuple(self.coding(c, sel_user, where) for c in children(sel, "Coding"))
            notes = tuple(g for g in (normalise_guid(n.get("targetGUID")) for n in children(sel, "NoteRef")) if g)
            selections.append(QSelection(sel_guid, s, e, sel_user, tuple(c for c in codings if c), notes,
                                         (child_text(sel, "Description") or "").replace("\r\n", "\n")))
        whole = [self.coding(c, default_user, where) for c in children(el, "Coding")]
        if whole:
            self.repairs.append(f"{where}: {len(whole)} coding(s) of the whole source; kept on its whole text")
            selections.append(QSelection(f"{guid}:whole", 0, len(text), default_user, tuple(c for c in whole if c)))
        notes = tuple(g for g in (normalise_guid(n.get("targetGUID")) for n in children(el, "NoteRef")) if g)
        return QSource(guid, name, text, hashlib.sha256(data).hexdigest(), tuple(selections),
                       self.values(el, where), notes, turns)

    def coding(self, el: Any, selection_user: str | None, where: str) -> QCoding | None:
        ref = child(el, "CodeRef")
        code = normalise_guid(ref.get("targetGUID")) if ref is not None else None
        if not code:
            self.warnings.append(f"{where}: coding {el.get('guid')} names no code; skipped")
            return None
        user = normalise_guid(el.get("creatingUser"))
        if user is None:
            self.missing_user += 1
            user = selection_user
        notes = tuple(g for g in (normalise_guid(n.get("targetGUID")) for n in children(el, "NoteRef")) if g)
        return QCoding(normalise_guid(el.get("guid")) or "", code, user, notes)

    missing_user = 0
    trust_quotes = True

    # -- positions -------------------------------------------------------------------------
    @staticmethod
    def convert(p: int, mode: tuple[int, bool], crs: list[int]) -> int:
        shift, crlf_two = mode
        p -= shift
        if crlf_two:
            p -= bisect.bisect_left(crs, p)
        return p

    @staticmethod
    def quote(sel: Any, text: str) -> str | None:
        """The selection's name when it is a quote of the text (it occurs in it), else None."""
        name = (sel.get("name") or "").strip()
        for ellipsis in ("…", "..."):
            name = name.removesuffix(ellipsis).rstrip()
        name = name[:_QUOTE_MAX]
        if len(name) < _QUOTE_MIN or name not in text:
            return None
        return name

    @staticmethod
    def reads(text: str, s: int, e: int, quote: str) -> bool:
        """Whether the span s-e reads the quote (leading/trailing white space aside; a quote may be cut short)."""
        span = text[max(s, 0):max(e, s)].strip()
        return bool(span) and (span.startswith(quote) or quote.startswith(span))

    def choose_mode(self, text: str, crs: list[int], had_bom: bool, items: list, where: str) -> tuple[int, bool]:
        modes = [(0, True)] + ([(0, False)] if crs else []) + ([(1, True)] if had_bom else []) \
            + ([(1, False)] if had_bom and crs else [])
        if had_bom:
            self.repairs.append(f"{where}: starts with a BOM; removed")
        if len(modes) == 1:
            return modes[0]
        quotes = [(q, s, e) for sel, s, e in items if (q := self.quote(sel, text))]
        if not quotes and crs and self.origin.lower().startswith("atlas"):
            # ATLAS.ti writes CR+LF in the source but counts it as one character (QualCoder's importer knows too)
            self.repairs.append(f"{where}: CRLF line ends, counted as one character by {self.origin}; converted")
            return (0, False) if (0, False) in modes else modes[0]
        if not quotes:
            if items:
                self.warnings.append(
                    f"{where}: " + ("has CRLF line ends" if crs else "") + (" and " if crs and had_bom else "")
                    + ("had a BOM" if had_bom else "") + "; the selections quote no text to check the positions "
                    "against, so they were read as the standard says (code points of the text without BOM, CR+LF "
                    "two characters): check a few codings")
            elif crs:
                self.repairs.append(f"{where}: CRLF line ends stored as LF")
            return modes[0]

        def score(mode: tuple[int, bool]) -> int:
            hits = 0
            for q, s, e in quotes:
                hits += self.reads(text, self.convert(s, mode, crs), self.convert(e, mode, crs), q)
            return hits

        best = max(modes, key=lambda m: (score(m), -modes.index(m)))
        if best != modes[0]:
            what = []
            if best[0]:
                what.append("count the BOM as a character")
            if not best[1]:
                what.append("count CR+LF as one character")
            self.repairs.append(f"{where}: its positions {' and '.join(what)} (checked against "
                                f"{score(best)} of {len(quotes)} quoted selections); converted")
        elif crs:
            self.repairs.append(f"{where}: CRLF line ends stored as LF; positions converted")
        return best

    def check(self, text: str, s: int, e: int, sel: Any, where: str) -> tuple[int, int]:
        label = f"{where}: selection {sel.get('guid')} at {sel.get('startPosition')}-{sel.get('endPosition')}"
        n = len(text)
        if s < 0 or e > n or e <= s:
            fixed_s = min(max(s, 0), max(n - 1, 0))
            fixed_e = min(max(e, fixed_s + 1), n)
            self.warnings.append(f"{label}: outside the text of {n} characters (or empty); kept at {fixed_s}-{fixed_e}")
            s, e = fixed_s, fixed_e
        q = self.quote(sel, text)
        if q is None or self.reads(text, s, e, q):
            return s, e
        if not self.trust_quotes or len(q) < _RELOCATE_MIN:
            self.warnings.append(f"{label}: the text there does not read {q[:30]!r}; kept at its positions "
                                 "(the name is too short to find it elsewhere with confidence): check this coding")
            return s, e
        found, i = [], text.find(q)
        while i >= 0:
            found.append(i)
            i = text.find(q, i + 1)
        best = min(found, key=lambda i: abs(i - s))
        length = max(e - s, len(q))
        new = (best, min(best + length, n))
        self.warnings.append(f"{label}: the text there does not read {q[:30]!r}; the positions cannot be trusted, "
                             f"so the coding was kept on the nearest match at {new[0]}-{new[1]}")
        return new


def read_qdpx_bytes(data: bytes, name: str, limits: ZipLimits = QDPX_LIMITS) -> QdpxContent:
    container = open_container(data, name, limits)
    root = parse_xml(container.project_xml, f"{name}: {container.project_member}")
    reader = _Reader(container, root.get("origin") or "")
    where = reader.where
    if local(root.tag) != "Project":
        raise ExchangeError(f"{where}: the root element is <{local(root.tag)}>, not <Project>; not a REFI-QDA project")
    if not str(root.tag).startswith("{" + PROJECT_NS):
        reader.repairs.append(f"{where}: not in the namespace {PROJECT_NS}; read it anyway")
    if root.get("basePath", "").strip():
        reader.repairs.append(f"{where}: basePath {root.get('basePath')!r} ignored (only files inside the .qdpx are read)")
    raw = container.project_xml
    if re.search(rb'"\{[0-9a-fA-F]{8}-', raw):
        reader.repairs.append(f"{where}: GUIDs written with braces {{...}}; read without")
    if re.search(rb'"[0-9A-F]{0,7}[A-F][0-9A-F]{0,7}-[0-9A-F]{4}-', raw):
        reader.repairs.append(f"{where}: GUIDs in upper case; compared case-insensitively")
    default_user = normalise_guid(root.get("creatingUserGUID"))
    users_el = child(root, "Users")
    users = []
    for el in children(users_el, "User") if users_el is not None else []:
        guid = normalise_guid(el.get("guid"))
        if guid:
            users.append(QUser(guid, (el.get("name") or el.get("id") or "").strip() or f"user-{guid[:8]}"))
    codes_el = tree_root_codes(root)
    codes = read_tree(codes_el, where, reader.repairs) if codes_el is not None else ()
    if codes_el is not None and not codes:
        reader.repairs.append(f"{where}: empty <Codes/> ignored")
    for holder in (root, child(root, "CodeBook")):
        for sets in children(holder, "Sets") if holder is not None else []:
            if not children(sets, "Set"):
                reader.repairs.append(f"{where}: empty <Sets/> ignored (invalid in REFI-QDA 1.0)")
            else:
                reader.warnings.append(f"{where}: {len(children(sets, 'Set'))} set(s) not kept: qualcode has no sets")
    reader.read_variables(root)
    sources = []
    sources_el = child(root, "Sources")
    skipped_kinds: dict[str, int] = {}
    for el in list(sources_el) if sources_el is not None else []:
        kind = local(el.tag)
        path_name = (el.get("plainTextPath") or el.get("richTextPath") or "").replace("\\", "/").rsplit("/", 1)[-1]
        sname = (el.get("name") or "").strip() or path_name or (el.get("guid") or "source")
        if kind == "TextSource":
            src = reader.read_source(el, sname, default_user)
        elif kind == "PDFSource" and child(el, "Representation") is not None:
            reader.repairs.append(f"{where}: source {sname!r} is a PDF; read its plain-text representation")
            src = reader.read_source(child(el, "Representation"), sname, default_user)
        else:
            skipped_kinds[kind] = skipped_kinds.get(kind, 0) + 1
            continue
        if src is not None:
            sources.append(src)
    for kind, n in sorted(skipped_kinds.items()):
        reader.warnings.append(f"{where}: {n} {kind}(s) not imported: qualcode codes text only")
    cases_el = child(root, "Cases")
    cases = []
    for el in children(cases_el, "Case") if cases_el is not None else []:
        guid = normalise_guid(el.get("guid")) or ""
        cname = (el.get("name") or "").strip() or f"case-{guid[:8]}"
        cases.append(QCase(guid, cname, reader.values(el, f"{where}: case {cname!r}"),
                           tuple(g for g in (normalise_guid(r.get("targetGUID")) for r in children(el, "SourceRef")) if g),
                           tuple(g for g in (normalise_guid(r.get("targetGUID")) for r in children(el, "SelectionRef")) if g)))
    notes: dict[str, QNote] = {}
    notes_el = child(root, "Notes")
    for el in children(notes_el, "Note") if notes_el is not None else []:
        guid = normalise_guid(el.get("guid"))
        if not guid:
            continue
        text = child_text(el, "PlainTextContent")
        if text is None and el.get("plainTextPath"):
            member = reader.member_for(el.get("plainTextPath"), f"note {el.get('name')!r}")
            text = reader.decode(reader.read_member(member), f"{name}: member {member!r}")[0] if member else None
        if text is None or not text.strip():
            continue
        notes[guid] = QNote(guid, el.get("name") or "", text.replace("\r\n", "\n"), normalise_guid(el.get("creatingUser")))
    if reader.missing_user:
        reader.repairs.append(f"{where}: {reader.missing_user} coding(s) without creatingUser; attributed to the "
                              "selection's user (or the project's creating user)")
    return QdpxContent(name, hashlib.sha256(data).hexdigest(), root.get("name") or Path(name).stem, root.get("origin"),
                       tuple(users), codes, tuple(sources), tuple(cases), notes, tuple(dict.fromkeys(reader.repairs)),
                       tuple(reader.warnings))
