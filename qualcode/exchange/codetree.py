"""A qualcode codebook as a REFI-QDA code tree, and a REFI-QDA code tree as codes + directions.

Export: every aspect is a code, with its directions as child codes (``werkdruk`` >
``kans``, ``risico``) so any tool can hold a coding's direction; a coding without a
direction sits on the aspect itself. A code that only groups others (it has child codes
and no keywords, and no coding on it) is a category: ``isCodable="false"``. The
definition becomes the ``Description``; its last line ``qualcode: id=... valence=...``
lets qualcode read the code's id back (other tools show it as part of the description).

Import: a code with children named by both direction labels (kans + risico, or
opportunity + risk) is read back as aspect + direction; everything else is a code of
its own (direction ``none``).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element, SubElement, tostring

from qualcode.exchange.guids import normalise_guid
from qualcode.exchange.safety import child_text, children, local

if TYPE_CHECKING:
    from qualcode.coding.codebook import Code, Codebook

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
DIRECTION_COLORS = {"opportunity": "#59a14f", "risk": "#e15759"}
DEFAULT_DIRECTION_LABELS = {
    "opportunity": ("kans", "kansen", "opportunity", "opportunities"),
    "risk": ("risico", "risico's", "risicos", "risk", "risks"),
    "none": ("geen richting", "no direction", "none"),
}
_DUTCH = {"kans", "kansen", "risico", "risico's", "risicos", "geen richting"}
_META = re.compile(r"^qualcode:\s*(.*)$")
_PREFIXES = {"Excludes: ": "excludes", "Example: ": "example"}
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_RGB = re.compile(r"^rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*[\d.]+\s*)?\)$", re.IGNORECASE)
_CODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# -- XML writing helpers ---------------------------------------------------------------------
def clean(value: str) -> str:
    """Text that XML 1.0 can hold: characters it cannot (control characters) become U+FFFD."""
    return _INVALID_XML.sub("\ufffd", value)


def element(parent: Element | None, tag: str, attrs: Mapping[str, Any] | None = None, text: str | None = None) -> Element:
    """An element with attributes in the given order (None values left out)."""
    values = {k: clean(str(v)) for k, v in (attrs or {}).items() if v is not None}
    el = Element(tag, values) if parent is None else SubElement(parent, tag, values)
    if text is not None:
        el.text = clean(text)
    return el


def xml_bytes(root: Element) -> bytes:
    """UTF-8 XML with declaration, deterministic (attribute order as built)."""
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8", xml_declaration=False)


# -- colours ----------------------------------------------------------------------------------
def normalise_color(value: str | None) -> tuple[str | None, bool]:
    """(#rrggbb or None, whether it had to be repaired). Accepts #rgb, rrggbb and rgb(r, g, b)."""
    if value is None or not value.strip():
        return None, False
    raw = value.strip()
    match = _HEX.match(raw)
    if match:
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        out = "#" + digits.lower()
        return out, not raw.startswith("#") or len(match.group(1)) == 3
    match = _RGB.match(raw)
    if match and all(0 <= int(g) <= 255 for g in match.groups()):
        return "#" + "".join(f"{int(g):02x}" for g in match.groups()), True
    return None, True


# -- descriptions -----------------------------------------------------------------------------
def describe(code: Code) -> str:
    """The definition as readable text, with the ``qualcode:`` line that carries the id back."""
    parts = []
    if code.definition.includes:
        parts.append(code.definition.includes)
    if code.definition.excludes:
        parts.append(f"Excludes: {code.definition.excludes}")
    if code.definition.example:
        parts.append(f"Example: {code.definition.example}")
    parts.append(f"qualcode: id={code.id} valence={code.valence}")
    return "\n".join(parts)


def parse_description(text: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """(definition fields, qualcode meta) from a Description written by :func:`describe` or by hand."""
    fields: dict[str, list[str]] = {"includes": [], "excludes": [], "example": []}
    meta: dict[str, str] = {}
    current = "includes"
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        m = _META.match(line.strip())
        if m:
            for item in m.group(1).split():
                key, _, value = item.partition("=")
                meta[key] = value
            continue
        for prefix, name in _PREFIXES.items():
            if line.startswith(prefix):
                current, line = name, line[len(prefix):]
                break
        fields[current].append(line)
    return {k: "\n".join(v).strip() for k, v in fields.items() if "\n".join(v).strip()}, meta


# -- the tree -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TreeCode:
    """One code of a REFI-QDA codebook, with its children."""

    guid: str
    name: str
    codable: bool
    color: str | None = None
    description: str = ""
    children: tuple[TreeCode, ...] = ()


def _is_category(code: Code, has_children: bool, coded: set[str]) -> bool:
    return has_children and code.keywords.is_empty() and code.id not in coded


def export_tree(codebook: Codebook | None, guid: Callable[[str], str], *,
                extra: Mapping[str, set[str]] | None = None, coded: Iterable[str] = ()
                ) -> tuple[list[TreeCode], dict[tuple[str, str], str]]:
    """The codebook as a code tree and the GUID of each (code, direction).

    ``extra`` maps codes that codings use but the codebook lacks (imported codes, an older
    codebook) to the directions used; they become top-level codes of their own.
    """
    coded_set = set(coded)
    guids: dict[tuple[str, str], str] = {}

    def direction_label(direction: str) -> str:
        return codebook.direction_label(direction) if codebook else direction

    def node(code_id: str, name: str, color: str | None, description: str, kids: list[TreeCode],
             category: bool, directions: Iterable[str]) -> TreeCode:
        key = f"code:{code_id}"
        guids[(code_id, "none")] = guid(key)
        direction_nodes = []
        if not category:
            for d in directions:
                guids[(code_id, d)] = guid(f"{key}/{d}")
                direction_nodes.append(TreeCode(guid(f"{key}/{d}"), direction_label(d), True,
                                                DIRECTION_COLORS.get(d, color), ""))
        return TreeCode(guid(key), name, not category, color, description, tuple(direction_nodes + kids))

    def build(code: Code) -> TreeCode:
        assert codebook is not None
        kids = [build(c) for c in codebook.children(code.id)]
        category = _is_category(code, bool(kids), coded_set)
        return node(code.id, code.label, normalise_color(code.color)[0], describe(code), kids, category,
                    ("opportunity", "risk"))

    tree = [build(c) for c in codebook.children(None)] if codebook else []
    known = set(codebook.code_ids) if codebook else set()
    for code_id in sorted((extra or {}).keys() - known):
        used = sorted(d for d in (extra or {})[code_id] if d != "none")
        directions = ("opportunity", "risk") if used else ()
        tree.append(node(code_id, code_id, None, f"qualcode: id={code_id}", [], False, directions))
    return tree, guids


def tree_xml(parent: Element, codes: Iterable[TreeCode]) -> None:
    """<Code> elements (Description first, then the child codes, as both schemas order them)."""
    for code in codes:
        el = element(parent, "Code", {"guid": code.guid, "name": code.name,
                                      "isCodable": "true" if code.codable else "false", "color": code.color})
        if code.description:
            element(el, "Description", text=code.description)
        tree_xml(el, code.children)


def read_tree(codes_element: Any, where: str, notes: list[str]) -> tuple[TreeCode, ...]:
    """The <Code> elements under ``codes_element``, leniently: repairs are appended to ``notes``."""
    out = []
    for number, el in enumerate(children(codes_element, "Code"), start=1):
        name = (el.get("name") or "").strip()
        if not name:
            name = f"unnamed code {number}"
            notes.append(f"{where}: a code without a name; called it {name!r}")
        guid = normalise_guid(el.get("guid"))
        if not guid:
            guid = f"missing-guid:{where}/{name}"
            notes.append(f"{where}: code {name!r} has no guid; kept it (codings cannot refer to it)")
        codable_attr = (el.get("isCodable") or "").strip().lower()
        if codable_attr not in ("true", "false", "1", "0"):
            notes.append(f"{where}: code {name!r} has no valid isCodable; taken as codable")
        color, repaired = normalise_color(el.get("color"))
        if repaired:
            notes.append(f"{where}: code {name!r}: colour {el.get('color')!r} "
                         + (f"read as {color}" if color else "is not a colour; left out"))
        kids = read_tree(el, f"{where}/{name}", notes)
        out.append(TreeCode(guid, name, codable_attr not in ("false", "0"), color,
                            child_text(el, "Description") or "", kids))
    return tuple(out)


# -- reading a tree back as codes and directions ---------------------------------------------
def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    out = re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_name).strip("_.-")
    if not out:
        return "code"
    return out if out[0].isalnum() else f"c{out}"


@dataclass
class CodePlan:
    """How the codes of a file map onto qualcode: (code id, direction) per GUID, and a codebook to make."""

    by_guid: dict[str, tuple[str, str]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # guid -> 'parent/child' (for messages)
    yaml_codes: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # code paths not in the known codebook
    language: str = "en"
    direction_labels: dict[str, str] = field(default_factory=dict)
    aspects: int = 0  # codes read back as aspect + direction

    @property
    def code_ids(self) -> list[str]:
        return [c["id"] for c in self.yaml_codes]


def _direction_children(node: TreeCode, labels: Mapping[str, set[str]]) -> dict[str, TreeCode]:
    found: dict[str, TreeCode] = {}
    for kid in node.children:
        for direction, names in labels.items():
            if kid.name.strip().casefold() in names and direction not in found:
                found[direction] = kid
                break
    if "opportunity" in found and "risk" in found:
        return found
    return {}


def plan_codes(tree: Iterable[TreeCode], known: Codebook | None = None) -> CodePlan:
    """Read a code tree as aspects with directions, matched onto ``known`` by id or label where given."""
    plan = CodePlan()
    labels: dict[str, set[str]] = {d: set(n) for d, n in DEFAULT_DIRECTION_LABELS.items()}
    known_by_name: dict[str, str] = {}
    if known is not None:
        for d in ("opportunity", "risk", "none"):
            labels[d].add(known.direction_label(d).casefold())
        for code in known.codes:
            for name in (code.id, code.label, *code.labels.values()):
                known_by_name.setdefault(name.casefold(), code.id)
    used: set[str] = set(known.code_ids) if known else set()

    def new_id(node: TreeCode, parent: str | None, meta: Mapping[str, str]) -> str:
        wanted = meta.get("id", "")
        if not (_CODE_ID.match(wanted) and wanted not in used):
            wanted = slug(node.name)
            if wanted in used and parent:
                wanted = f"{parent}.{wanted}"
            base, n = wanted, 2
            while wanted in used:
                wanted, n = f"{base}-{n}", n + 1
        used.add(wanted)
        return wanted

    def walk(node: TreeCode, parent: str | None, path: str) -> None:
        definition, meta = parse_description(node.description)
        directions = _direction_children(node, labels)
        code_id = None
        if known is not None:
            if meta.get("id") in set(known.code_ids):
                code_id = meta["id"]
            else:
                code_id = known_by_name.get(node.name.strip().casefold())
            if code_id is None:
                plan.unmatched.append(path)
        if code_id is None:
            code_id = new_id(node, parent, meta)
            entry: dict[str, Any] = {"id": code_id, "label": node.name.strip() or code_id}
            if node.color:
                entry["color"] = node.color
            if parent:
                entry["parent"] = parent
            if meta.get("valence") in ("positive", "negative") and meta["valence"] != "positive":
                entry["valence"] = meta["valence"]
            if definition:
                entry["definition"] = definition
            plan.yaml_codes.append(entry)
        plan.by_guid[node.guid] = (code_id, "none")
        plan.paths[node.guid] = path
        if directions:
            plan.aspects += 1
            for direction, kid in directions.items():
                plan.by_guid[kid.guid] = (code_id, direction)
                plan.paths[kid.guid] = f"{path}/{kid.name}"
                if kid.name.strip().casefold() in _DUTCH:
                    plan.language = "nl"
                plan.direction_labels.setdefault(direction, kid.name.strip())
        direction_guids = {k.guid for k in directions.values()}
        for kid in node.children:
            if kid.guid in direction_guids:
                for grandchild in kid.children:  # codes nested under a direction: sub-codes of the aspect
                    walk(grandchild, code_id, f"{path}/{kid.name}/{grandchild.name}")
            else:
                walk(kid, code_id, f"{path}/{kid.name}")

    for top in tree:
        walk(top, None, top.name)
    return plan


def codebook_yaml(plan: CodePlan, name: str, source: str) -> str:
    """A YAML codebook (keywords empty, to be written) from a plan; valid for ``Codebook.from_text``."""
    import yaml

    labels = plan.direction_labels
    default = {"nl": ("kans", "risico"), "en": ("opportunity", "risk")}[plan.language]
    data = {
        "codebook": slug(name).replace("/", "_") or "codebook",
        "language": plan.language,
        "description": f"Imported from {source} (REFI-QDA). The keywords are empty: write them before `qualcode code`.",
        "directions": {"opportunity": {"label": labels.get("opportunity", default[0])},
                       "risk": {"label": labels.get("risk", default[1])}},
        "codes": plan.yaml_codes,
    }
    header = (f"# qualcode codebook made by `qualcode codebook import` from {source}.\n"
              "# Every code's keywords are empty: add words, compounds and phrases before `qualcode code`\n"
              "# (see codebooks/werkbeleving.yaml for the format).\n")
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def tree_root_codes(root: Any) -> Any | None:
    """The <Codes> element of a CodeBook root, or of a Project's CodeBook."""
    if local(root.tag) == "Project":
        book = next((c for c in root if local(c.tag) == "CodeBook"), None)
        root = book if book is not None else root
    return next((c for c in root if local(c.tag) == "Codes"), None)
