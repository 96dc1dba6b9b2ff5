"""OpenDocument text (.odt, LibreOffice Writer), read with odfpy.

The text is the body in reading order: paragraphs and headings one per line, list
items as paragraphs, each table row as its cells joined by `` | `` (a two-column
``speaker | text`` row as ``speaker: text``). Spaces, tabs and line breaks written as
``text:s``/``text:tab``/``text:line-break`` are kept. Headers, footers, notes and
frames are not part of the text. Bold speaker names are not recognised (unlike .docx);
a name followed by a colon is.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from qualcode.errors import ImportFormatError
from qualcode.ingest.importers.paragraphs import paragraphs_document
from qualcode.records import ParsedDocument
from qualcode.zipsafe import DOCUMENT_LIMITS, ZipLimits, check_container

_ZIP_MAGIC = b"PK\x03\x04"
_SKIP = {"tracked-changes", "sequence-decls", "variable-decls", "user-field-decls", "forms", "note", "annotation"}


def read_odt(path: Path, data: bytes, *, encoding: str | None = None,
             speaker_pattern: str | None = None, limits: ZipLimits = DOCUMENT_LIMITS) -> list[ParsedDocument]:
    """One document: the body text of the .odt file, with its speaker turns or paragraphs.

    The archive is checked against ``limits`` (zip bombs, unsafe members, DTDs) before odfpy opens it.
    """
    if not data.startswith(_ZIP_MAGIC):
        raise ImportFormatError(
            f"{path.name}: not an OpenDocument .odt file (it is not a zip archive); save it again as .odt or .docx"
        )
    check_container(data, path.name, error=ImportFormatError, limits=limits, not_a_zip=(
        f"{path.name}: not a readable OpenDocument .odt file (a damaged zip archive); save it again as .odt or .docx"))
    from odf import opendocument  # type: ignore[import-untyped]  # heavy: imported only when an .odt is read

    try:
        document = opendocument.load(io.BytesIO(data))
        body = document.text
    except Exception as error:  # BadZipFile, KeyError, XML errors, ...: odfpy raises many kinds
        raise ImportFormatError(
            f"{path.name}: not a readable OpenDocument .odt file ({type(error).__name__}); "
            "save it again as .odt or .docx"
        ) from None
    paragraphs: list[str] = []
    _collect(body, paragraphs)
    return [paragraphs_document(path.name, "odt", paragraphs, speaker_pattern=speaker_pattern,
                                what="OpenDocument file")]


def _local(node: Any) -> str:
    return str(getattr(node, "qname", ("", ""))[1])


def _collect(node: Any, out: list[str]) -> None:
    for child in node.childNodes:
        name = _local(child)
        if name in ("p", "h"):
            out.append(_inline(child))
        elif name == "table":
            for row in _rows(child):
                cells = [_cell_text(cell) for cell in row]
                if len(cells) == 2 and cells[0] and "\n" not in cells[0] and len(cells[0]) <= 40:
                    out.append(f"{cells[0]}: {cells[1]}")
                elif any(cells):
                    out.append(" | ".join(cells))
        elif name not in _SKIP:
            _collect(child, out)


def _rows(table: Any) -> list[list[Any]]:
    rows: list[list[Any]] = []

    def walk(node: Any) -> None:
        for child in node.childNodes:
            name = _local(child)
            if name == "table-row":
                rows.append([c for c in child.childNodes if _local(c) == "table-cell"])
            elif name in ("table-rows", "table-header-rows", "table-row-group"):
                walk(child)

    walk(table)
    return rows


def _cell_text(cell: Any) -> str:
    parts: list[str] = []
    _collect(cell, parts)
    return "\n".join(parts).strip()


def _inline(node: Any) -> str:
    parts: list[str] = []
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            parts.append(str(child.data))
            continue
        name = _local(child)
        if name == "s":
            parts.append(" " * int(child.getAttribute("c") or 1))
        elif name == "tab":
            parts.append("\t")
        elif name == "line-break":
            parts.append("\n")
        elif name in ("note", "annotation"):
            continue
        else:
            parts.append(_inline(child))
    return "".join(parts)
