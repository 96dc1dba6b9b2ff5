"""The cases file (.csv or .xlsx): who is who, and their attributes.

One row maps a case (a respondent or a workshop group) to a speaker in a
document, or to a whole document, or to nothing yet (a group that only appears
in table imports). Columns, matched ignoring case, spaces and hyphens:

- ``case_id`` (or ``case``): required in every row;
- ``document``, ``speaker``, ``pseudonym``: optional;
- every other column is a case attribute, ``role`` included (it is also a field:
  ``role = interviewer`` means that speaker's turns in that document are not coded).

Attribute values are typed like table attributes: whole numbers as int (wave
2025), decimals as float, everything else as text; empty cells are left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.errors import CasesFileError, ImportFormatError
from qualcode.ingest.importers.table import cell_text, read_grid, typed_value
from qualcode.zipsafe import DOCUMENT_LIMITS, ZipLimits

CASES_EXTENSIONS = (".csv", ".xlsx")
INTERVIEWER_ROLES = frozenset({"interviewer", "interviewster", "onderzoeker", "gespreksleider", "moderator"})
_CASE_COLUMNS = ("case_id", "case", "caseid")
_FIELDS = ("document", "speaker", "pseudonym")


@dataclass(frozen=True)
class CaseRow:
    """One row of a cases file; ``row`` is its spreadsheet row number (header = 1)."""

    case_id: str
    pseudonym: str | None
    document: str | None
    speaker: str | None
    role: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    row: int = 0

    @property
    def is_interviewer(self) -> bool:
        """True when this speaker's turns are questions, not material to code."""
        return self.role is not None and self.role.casefold() in INTERVIEWER_ROLES


def read_cases_file(path: Path, limits: ZipLimits = DOCUMENT_LIMITS) -> list[CaseRow]:
    """The rows of a cases file, checked; raises CasesFileError naming the file and row.

    ``limits``: what an .xlsx cases file may unpack to (see qualcode.zipsafe).
    """
    path = Path(path)
    if path.suffix.lower() not in CASES_EXTENSIONS:
        raise CasesFileError(
            f"{path.name}: a cases file must be .csv or .xlsx; save it as one of those"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CasesFileError(f"{path}: cannot read the cases file ({error.strerror}); check the path") from None
    try:
        grid = read_grid(path, data, survey=False, limits=limits)
    except ImportFormatError as error:
        raise CasesFileError(str(error)) from None
    if grid.merged:
        raise CasesFileError(
            f"{path.name}: merged cells ({', '.join(grid.merged[:5])}): only the first row of each has the value, so "
            "the other rows would lose it; unmerge them and fill the value down (Excel: Fill Down), then import again"
        )
    columns = {_key(column): index for index, column in enumerate(grid.columns) if column}
    case_index = next((columns[name] for name in _CASE_COLUMNS if name in columns), None)
    if case_index is None:
        raise CasesFileError(
            f"{path.name}: no column 'case_id' (or 'case'); the columns are: "
            f"{', '.join(c for c in grid.columns if c)}; add a case_id column"
        )
    fields = {name: columns.get(name) for name in _FIELDS}
    role_index = columns.get("role")
    attribute_indices = [
        index for key, index in columns.items()
        if index != case_index and key not in _FIELDS
    ]
    rows: list[CaseRow] = []
    for number, values in grid.rows:
        case_id = cell_text(values[case_index])
        if not case_id:
            raise CasesFileError(
                f"{path.name}, row {number}: no case_id; fill it in or delete the row"
            )
        text = {
            name: (cell_text(values[index]) or None) if index is not None else None
            for name, index in fields.items()
        }
        attributes = {
            ("role" if index == role_index else grid.columns[index]):
                typed_value(values[index], decimal_comma=grid.decimal_comma)
            for index in attribute_indices
            if cell_text(values[index])
        }
        role = (cell_text(values[role_index]) or None) if role_index is not None else None
        rows.append(CaseRow(
            case_id=case_id, pseudonym=text["pseudonym"], document=text["document"],
            speaker=text["speaker"], role=role, attributes=attributes, row=number,
        ))
    _check_mappings(path.name, rows)
    _check_conflicts(path.name, rows)
    return rows


def _check_conflicts(name: str, rows: list[CaseRow]) -> None:
    """Rows of one case agree on its pseudonym, role and attributes (a case has one value of each).

    A case may have several rows (one per document it speaks in), but when two say different
    things, reading the file would silently keep the last one. An interviewer's rows are left
    alone: one interviewer case often spans studies (school_type vo and po), and its turns are
    not coded, so its attributes count nowhere.
    """
    by_case: dict[str, list[CaseRow]] = {}
    for row in rows:
        by_case.setdefault(row.case_id, []).append(row)
    for case_id, case_rows in by_case.items():
        if len(case_rows) < 2 or all(row.is_interviewer for row in case_rows):
            continue
        seen: dict[str, tuple[str, int]] = {}
        for row in case_rows:
            values = dict(row.attributes)
            if row.pseudonym is not None:
                values["pseudonym"] = row.pseudonym
            if row.role is not None:
                values["role"] = row.role
            for attribute, value in values.items():
                text = cell_text(value)
                earlier, earlier_row = seen.setdefault(attribute, (text, row.row))
                if earlier != text:
                    raise CasesFileError(
                        f"{name}, rows {earlier_row} and {row.row}: case {case_id!r} has {attribute} {earlier!r} in "
                        f"row {earlier_row} and {text!r} in row {row.row}; a case has one {attribute}: make the rows "
                        "agree (or leave the cell empty in one), or give them different case ids if they are "
                        "different cases"
                    )


def _key(column: str) -> str:
    """"Case ID", "case-id" and "case_id" are all ``case_id``."""
    return "_".join(column.casefold().replace("-", " ").replace("_", " ").split())


def _check_mappings(name: str, rows: list[CaseRow]) -> None:
    """A speaker in a document belongs to one case only.

    Several cases naming one whole document is allowed here: a workshop table holds
    many groups (its case column decides). The importer refuses it for a transcript.
    """
    owner: dict[tuple[str, str], CaseRow] = {}
    for row in rows:
        if row.speaker is None:
            continue
        key = ((row.document or "").casefold(), (row.speaker or "").casefold())
        first = owner.setdefault(key, row)
        if first.case_id != row.case_id:
            where = f"speaker {row.speaker!r}" if row.speaker else "the whole document"
            in_document = f" in document {row.document!r}" if row.document else " in every document"
            raise CasesFileError(
                f"{name}, row {row.row}: {where}{in_document} is already case {first.case_id!r} "
                f"(row {first.row}), not {row.case_id!r}; keep one of the two rows"
            )
