"""REFI-QDA codebooks (``.qdc``): the project's codebook out, a ``.qdc`` (or the codebook in a
``.qdpx``) in as a YAML codebook whose keywords are still to be written."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode import atomic
from qualcode.errors import ExchangeError
from qualcode.exchange.codetree import (
    CODEBOOK_NS,
    CodePlan,
    TreeCode,
    codebook_yaml,
    element,
    export_tree,
    plan_codes,
    read_tree,
    tree_root_codes,
    tree_xml,
    xml_bytes,
)
from qualcode.exchange.guids import GuidMaker
from qualcode.exchange.safety import (
    MAX_MEMBER_BYTES,
    children,
    local,
    parse_xml,
    read_file,
)

if TYPE_CHECKING:
    from qualcode.coding.codebook import Codebook


@dataclass(frozen=True)
class QdcExport:
    path: Path
    codes: int  # <Code> elements written (aspects, directions and categories)
    aspects: int


@dataclass(frozen=True)
class CodebookRead:
    """The code tree of a .qdc (or of the codebook inside a .qdpx), with what was repaired."""

    tree: tuple[TreeCode, ...]
    origin: str | None
    repairs: tuple[str, ...]


@dataclass(frozen=True)
class CodebookImport:
    yaml_text: str
    codes: int
    aspects: int
    repairs: tuple[str, ...]
    out: Path | None


def _count(tree: tuple[TreeCode, ...] | list[TreeCode]) -> int:
    return sum(1 + _count(c.children) for c in tree)


def qdc_bytes(codebook: Codebook, project_id: str) -> bytes:
    tree, _ = export_tree(codebook, GuidMaker(project_id))
    root = element(None, "CodeBook", {"xmlns": CODEBOOK_NS, "origin": _origin()})
    tree_xml(element(root, "Codes"), tree)
    return xml_bytes(root)


def _origin() -> str:
    from qualcode.version import __version__

    return f"qualcode {__version__}"


def export_qdc(codebook: Codebook, path: Path, project_id: str, *, force: bool = False) -> QdcExport:
    path = Path(path)
    if path.exists() and not force:
        raise ExchangeError(f"{path}: exists already; choose another name or pass --force to replace it")
    data = qdc_bytes(codebook, project_id)
    tree, guids = export_tree(codebook, GuidMaker(project_id))
    try:
        atomic.write_bytes(path, data)
    except OSError as exc:
        raise ExchangeError(f"{path}: cannot be written ({exc.strerror})") from None
    return QdcExport(path, _count(tree), sum(1 for (_, d) in guids if d == "opportunity"))


def read_codebook_file(path: Path) -> CodebookRead:
    """The code tree of a .qdc file, or of the project inside a .qdpx."""
    path = Path(path)
    data = read_file(path)
    name = path.name
    if data[:4] != b"PK\x03\x04" and len(data) > MAX_MEMBER_BYTES:
        raise ExchangeError(f"{name}: is {len(data) // 1024**2} MB, too large for a codebook "
                            f"(the limit is {MAX_MEMBER_BYTES // 1024**2} MB); refused")
    if data[:4] == b"PK\x03\x04":
        from qualcode.exchange.qdpx_read import open_container

        container = open_container(data, name)
        data, name = container.project_xml, f"{path.name}: {container.project_member}"
    root = parse_xml(data, name)
    return read_codebook_root(root, name)


def read_codebook_root(root, where: str) -> CodebookRead:
    repairs: list[str] = []
    if local(root.tag) not in ("CodeBook", "Project"):
        raise ExchangeError(f"{where}: the root element is <{local(root.tag)}>, not <CodeBook>; "
                            "this is not a REFI-QDA codebook (.qdc)")
    if local(root.tag) == "CodeBook" and not str(root.tag).startswith("{" + CODEBOOK_NS):
        repairs.append(f"{where}: not in the namespace {CODEBOOK_NS}; read it anyway")
    codes = tree_root_codes(root)
    if codes is None:
        repairs.append(f"{where}: no <Codes> element; no codes read")
        tree: tuple[TreeCode, ...] = ()
    else:
        tree = read_tree(codes, where, repairs)
        if not tree:
            repairs.append(f"{where}: empty <Codes/> (invalid in REFI-QDA 1.0); no codes read")
    holder = root
    if local(root.tag) == "Project":
        holder = next((c for c in root if local(c.tag) == "CodeBook"), root)
    for sets in children(holder, "Sets") + (children(root, "Sets") if holder is not root else []):
        members = children(sets, "Set")
        if not members:
            repairs.append(f"{where}: empty <Sets/> ignored (invalid in REFI-QDA 1.0)")
        else:
            repairs.append(f"{where}: {len(members)} set(s) of codes ({', '.join(repr(s.get('name')) for s in members[:3])}"
                           f"{', ...' if len(members) > 3 else ''}) not kept: qualcode has no code groups")
    return CodebookRead(tree, root.get("origin"), tuple(repairs))


def import_codebook(path: Path, out: Path | None = None, *, force: bool = False) -> CodebookImport:
    """A YAML codebook from a .qdc/.qdpx, validated; written to ``out`` when given."""
    from qualcode.coding.codebook import Codebook

    read = read_codebook_file(path)
    plan: CodePlan = plan_codes(read.tree)
    if not plan.yaml_codes:
        raise ExchangeError(f"{Path(path).name}: holds no codes, so there is no codebook to make")
    text = codebook_yaml(plan, Path(path).stem, Path(path).name)
    Codebook.from_text(text, str(out or path))  # our own output must be a valid codebook
    if out is not None:
        out = Path(out)
        if out.exists() and not force:
            raise ExchangeError(f"{out}: exists already; choose another name or pass --force to replace it")
        try:
            atomic.write_text(out, text)
        except OSError as exc:
            raise ExchangeError(f"{out}: cannot be written ({exc.strerror})") from None
    return CodebookImport(text, len(plan.yaml_codes), plan.aspects, read.repairs, out)
