"""A coder's existing codings from a table (.csv/.xlsx) into the project, as that coder's decisions.

Researchers have earlier waves coded in Excel, and double-coded development sets come
as a table with one row per segment. This module reads such a table and stores each
row's codes as the named coder's decisions on the segment imported from that row
(matched by the row id that ``qualcode import TABLE --id-column ID`` kept), through
:func:`qualcode.store.codings.apply_decisions`: one batch, in the decision log, taken
back by one ``qualcode undo``.

Two layouts:

* **one labels column** (``labels_column``): ``code:direction`` pairs separated by
  ``;`` (``autonomy:risk;workload:opportunity``), ``none`` (or ``geen``, ``-``) for
  "no code applies". A direction is ``opportunity``/``risk`` or the codebook's labels
  for them (``kans``/``risico``); ``none``, ``neutral`` and the codebook's "no
  direction" label mean qualcode's no direction, as does a code without ``:``.
* **one column per code** (``code_columns``): a cell is empty, ``0``, ``no``/``nee``
  or ``-`` for absent; ``1``, ``x``, ``yes``/``ja`` for present without direction;
  or a direction (or several, ``;``-separated).

Code names are matched to the codebook explicitly (``mapping``: ``autonomy=autonomie``,
the right side a code id or label) and else automatically on the code's id, its label
and its labels in every language, ignoring case, spaces, ``-`` and ``_``.

Everything is checked before anything is stored; a problem is one line naming the
file, the row and the value. A row with an empty labels cell is not decided (left out
and counted). Re-importing the same table changes nothing. A segment this coder has
already decided otherwise (other codes, or none) is refused unless ``replace``: then the
table's codes are added and the others removed (logged, so ``undo`` brings them back).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from qualcode.coding.codebook import Codebook, stored_codebook
from qualcode.errors import NotFoundError, ReviewImportError, UsageError
from qualcode.ingest.importers.table import cell_text, find_column, read_grid
from qualcode.store import codings
from qualcode.store.codings import MACHINE_CODERS, Decision

if TYPE_CHECKING:  # pragma: no cover - typing only
    from qualcode.records import Segment
    from qualcode.store import Store

SHOWN = 3  # rows named in a refusal; the rest are counted
NO_CODE_WORDS = frozenset({"none", "geen", "-", "—", "no code", "geen code"})
ABSENT_WORDS = frozenset({"", "0", "no", "nee", "-", "—", "false", "onwaar", "none", "geen"})
PRESENT_WORDS = frozenset({"1", "x", "yes", "ja", "true", "waar"})
_ENGLISH_DIRECTIONS = {
    "opportunity": "opportunity", "risk": "risk", "none": "none", "neutral": "none", "no direction": "none",
    "kans": "opportunity", "risico": "risk", "neutraal": "none", "geen richting": "none",
}
_SEPARATORS = re.compile(r"\s*[;\n]\s*")


@dataclass(frozen=True)
class DecisionsImportSummary:
    """What one decisions import stored (a repeated import stores nothing new)."""

    path: str
    coder: str
    rows: int  # table rows read (header excluded)
    segments: int  # segments decided by this import (matched rows with a coding or 'none')
    codings: int  # (code, direction) pairs the table gives on those segments
    added: int  # of which newly stored
    removed: int  # codings of this coder removed with replace
    no_code: int  # segments decided as 'no code applies'
    not_decided: int  # rows with an empty labels cell: left out
    matched_by: Mapping[str, str]  # table name -> code id, for the names that are not code ids

    def line(self) -> str:
        unchanged = self.codings - self.added
        parts = [f"Imported {self.coder}'s decisions from {Path(self.path).name}: {self.segments} segments, "
                 f"{self.codings} codings ({self.added} new, {unchanged} already stored"
                 + (f", {self.removed} removed" if self.removed else "") + f"), {self.no_code} with no code"]
        if self.not_decided:
            parts.append(f"{self.not_decided} rows with an empty labels cell left out (not decided)")
        return "; ".join(parts) + "."


def _norm(name: str) -> str:
    """Lower case, accents kept, spaces/hyphens/underscores dropped: 'Human-Interaction' -> 'humaninteraction'."""
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFC", name).casefold())


class CodeNames:
    """Table names of codes → code ids: explicit ``mapping`` first, then id, label and labels."""

    def __init__(self, codebook: Codebook, mapping: Mapping[str, str], source: str):
        self.codebook = codebook
        self.source = source
        automatic: dict[str, set[str]] = {}
        for code in codebook.codes:
            for name in (code.id, code.label, *code.labels.values()):
                automatic.setdefault(_norm(name), set()).add(code.id)
        self._automatic = automatic
        self._explicit: dict[str, str] = {}
        for name, target in mapping.items():
            code_id = self._automatic_code(target)
            if code_id is None:
                raise NotFoundError(f"--map {name}={target}: the codebook has no code {target!r}; "
                                    f"its codes are: {', '.join(codebook.code_ids)}")
            self._explicit[_norm(name)] = code_id
        self.used: dict[str, str] = {}  # table name -> code id, when they differ

    def _automatic_code(self, name: str) -> str | None:
        ids = self._automatic.get(_norm(name), set())
        if len(ids) > 1:
            raise UsageError(f"{self.source}: {name!r} names several codes ({', '.join(sorted(ids))}); "
                             f"say which with --map {name}=CODE")
        return next(iter(ids)) if ids else None

    def code(self, name: str) -> str | None:
        code_id = self._explicit.get(_norm(name)) or self._automatic_code(name)
        if code_id is not None and code_id != name:
            self.used[name] = code_id
        return code_id


def _directions(codebook: Codebook) -> dict[str, str]:
    words = dict(_ENGLISH_DIRECTIONS)
    for direction in ("opportunity", "risk", "none"):
        words[" ".join(codebook.direction_label(direction).casefold().split())] = direction
    return words


class _Problems:
    """Problems of one kind each, with the rows they occur in; the first kind found is the refusal."""

    def __init__(self, source: str):
        self.source = source
        self.kinds: dict[str, list[str]] = {}
        self.hints: dict[str, str] = {}

    def add(self, kind: str, where: str, hint: str) -> None:
        self.kinds.setdefault(kind, []).append(where)
        self.hints[kind] = hint

    def raise_if_any(self) -> None:
        if not self.kinds:
            return
        kind, wheres = next(iter(self.kinds.items()))
        shown = "; ".join(wheres[:SHOWN]) + (f"; and {len(wheres) - SHOWN} more" if len(wheres) > SHOWN else "")
        others = sum(len(w) for k, w in self.kinds.items() if k != kind)
        also = f" ({others} other problem{'s' if others != 1 else ''} too)" if others else ""
        raise ReviewImportError(f"{self.source}: {kind} ({len(wheres)}): {shown}; {self.hints[kind]}; "
                                f"nothing was stored{also}")


def _parse_labels(value: str, where: str, names: CodeNames, directions: Mapping[str, str],
                  problems: _Problems) -> set[tuple[str, str]]:
    text = " ".join(value.split())
    if text.casefold() in NO_CODE_WORDS:
        return set()
    pairs: set[tuple[str, str]] = set()
    for part in _SEPARATORS.split(value.strip()):
        part = part.strip()
        if not part:
            continue
        name, colon, direction_word = part.partition(":")
        name, direction_word = name.strip(), " ".join(direction_word.split()).casefold()
        if not name or (colon and direction_word not in directions) or name.casefold() in NO_CODE_WORDS:
            problems.add("malformed labels", f"{where}: {value!r}",
                         "write code:direction pairs separated by ';' (direction: opportunity, risk or "
                         "none/neutral), or 'none' for no code")
            return set()
        code = names.code(name)
        if code is None:
            problems.add("unknown codes", f"{where}: {name!r}",
                         f"the codebook's codes are {', '.join(names.codebook.code_ids)}; "
                         f"map a name with --map {name}=CODE")
            continue
        pairs.add((code, directions[direction_word] if colon else "none"))
    return pairs


def _parse_code_cell(value: str, code: str, where: str, directions: Mapping[str, str],
                     problems: _Problems) -> set[tuple[str, str]]:
    text = " ".join(value.split()).casefold()
    if text in ABSENT_WORDS:
        return set()
    if text in PRESENT_WORDS:
        return {(code, "none")}
    pairs = set()
    for part in _SEPARATORS.split(text):
        if part in directions:
            pairs.add((code, directions[part]))
        elif part:
            problems.add("malformed labels", f"{where}: {value!r}",
                         "a code column holds empty/0 (absent), 1/x (present) or a direction "
                         "(opportunity, risk, none/neutral)")
            return set()
    return pairs


def import_decisions(
    store: "Store",
    path: str | Path,
    coder: str,
    *,
    id_column: str,
    labels_column: str | None = None,
    code_columns: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
    document: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    replace: bool = False,
) -> DecisionsImportSummary:
    """Store the codings of table ``path`` as ``coder``'s decisions: all of them, or (on a problem) none."""
    path = Path(path)
    coder = (coder or "").strip()
    if not coder:
        raise UsageError("whose codings are these? pass --coder NAME")
    if coder in MACHINE_CODERS:
        raise UsageError(f"{coder!r} is reserved for machine suggestions; import the codings under another "
                         "coder name (e.g. --coder gold)")
    if bool(labels_column) == bool(code_columns):
        raise UsageError("say where the codes are: --labels-column COL (code:direction;...) or "
                         "--code-columns COL,COL (one column per code), not both")
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    codebook = stored_codebook(store)
    grid = read_grid(path, path.read_bytes(), sheet=sheet, encoding=encoding, survey=False)
    id_index = find_column(grid, id_column, "--id-column")
    names = CodeNames(codebook, mapping or {}, path.name)
    directions = _directions(codebook)
    problems = _Problems(path.name)
    if labels_column:
        label_index = find_column(grid, labels_column, "--labels-column")
        columns: list[tuple[int, str | None]] = [(label_index, None)]
    else:
        columns = []
        for column in code_columns:
            code = names.code(column)
            if code is None:
                raise NotFoundError(f"{path.name}: column {column!r} names no code; the codebook's codes are "
                                    f"{', '.join(codebook.code_ids)}; map it with --map {column}=CODE")
            columns.append((find_column(grid, column, "--code-columns"), code))
    table: dict[str, tuple[int, set[tuple[str, str]]]] = {}
    not_decided = 0
    for number, values in grid.rows:
        cells = [cell_text(values[i]) if i < len(values) else "" for i, _ in columns]
        row_id = cell_text(values[id_index]) if id_index < len(values) else ""
        if not row_id:
            if any(cells):
                problems.add("rows without an id", f"row {number}",
                             f"fill in column {grid.columns[id_index]!r}")
            continue
        if row_id in table:
            problems.add("repeated ids", f"rows {table[row_id][0]} and {number} (id {row_id!r})",
                         "keep one row per segment")
            continue
        if labels_column and not cells[0]:
            not_decided += 1
            continue
        pairs: set[tuple[str, str]] = set()
        for (index, code), cell in zip(columns, cells):
            where = f"row {number}, column {grid.columns[index]!r}"
            if code is None:
                pairs |= _parse_labels(cell, where, names, directions, problems)
            else:
                pairs |= _parse_code_cell(cell, code, where, directions, problems)
        table[row_id] = (number, pairs)
    problems.raise_if_any()

    matched = _match_segments(store, path.name, table, document, id_column)
    current: dict[int, set[tuple[str, str]]] = {}
    for row in codings.decisions_for(store.con, coder):
        if row.status == "accepted":
            current.setdefault(row.segment_id, set()).add((row.code, row.direction))
    decided = codings.decided_segments(store.con, coder)
    decisions: list[Decision] = []
    differ: list[str] = []
    added = removed = 0
    for row_id, (number, pairs) in table.items():
        segment_id = matched[row_id]
        have = current.get(segment_id, set())
        stale = have - pairs
        if segment_id in decided and have != pairs and not replace:
            differ.append(f"row {number} (id {row_id!r}, segment {segment_id})")
        for code, direction in sorted(pairs - have):
            decisions.append(Decision(segment_id, "add", code, direction))
            added += 1
        for code, direction in sorted(stale):
            decisions.append(Decision(segment_id, "remove", code, direction))
            removed += 1
    if differ:
        shown = "; ".join(differ[:SHOWN]) + (f"; and {len(differ) - SHOWN} more" if len(differ) > SHOWN else "")
        raise ReviewImportError(
            f"{path.name}: {coder} has already decided {len(differ)} of these segments otherwise: {shown}; "
            f"pass --replace to make the table's codes {coder}'s (logged; `qualcode undo` "
            f"takes it back), or import under another --coder; nothing was stored")
    codings.apply_decisions(store.con, coder, decisions, source=f"decisions import {path.name}",
                            valid_codes=codebook.code_ids, done_segments=[matched[r] for r in table],
                            origin="imported")
    return DecisionsImportSummary(
        path=str(path), coder=coder, rows=len(grid.rows), segments=len(table),
        codings=sum(len(p) for _, p in table.values()), added=added, removed=removed,
        no_code=sum(1 for _, p in table.values() if not p), not_decided=not_decided, matched_by=dict(names.used),
    )


def _match_segments(store: "Store", source: str, table: Mapping[str, tuple[int, set[tuple[str, str]]]],
                    document: str | None, id_column: str) -> dict[str, int]:
    """Row id → the one to-code segment imported from that row; refuses unknown and ambiguous ids."""
    by_row: dict[str, list[Segment]] = {}
    segments = store.segments(document=document) if document else store.segments()
    for segment in segments:
        if segment.source_row is not None and segment.source_row in table:
            by_row.setdefault(segment.source_row, []).append(segment)
    unknown = [f"row {number} (id {row_id!r})" for row_id, (number, _) in table.items() if row_id not in by_row]
    if unknown:
        shown = ", ".join(unknown[:SHOWN]) + (f" and {len(unknown) - SHOWN} more" if len(unknown) > SHOWN else "")
        where = f" of document {document!r}" if document else ""
        raise NotFoundError(
            f"{source}: {len(unknown)} of {len(table)} ids match no imported segment{where}: {shown}; import the "
            f"table first (`qualcode import TABLE --id-column {id_column}`) or check the id column; nothing was stored")
    result: dict[str, int] = {}
    for row_id, found in by_row.items():
        number = table[row_id][0]
        docs = sorted({s.document_name for s in found})
        if len(docs) > 1:
            raise UsageError(f"{source}, row {number}: id {row_id!r} is a row of {len(docs)} documents "
                             f"({', '.join(docs[:SHOWN])}); pass --document NAME; nothing was stored")
        to_code = [s for s in found if s.to_code]
        if len(to_code) != 1:
            what = ("is not coded (an interviewer turn)" if not to_code else
                    f"is {len(to_code)} segments (several text columns, or split by --unit/--max-words)")
            raise UsageError(f"{source}, row {number}: id {row_id!r} {what} in {docs[0]}; decisions import needs "
                             "one segment per row: import the table with one --text-column and --unit turn; "
                             "nothing was stored")
        result[row_id] = to_code[0].id
    return result


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``['autonomy=autonomie', ...]`` → ``{'autonomy': 'autonomie'}``; refuses an item without '='."""
    mapping: dict[str, str] = {}
    for item in items:
        name, equals, target = item.partition("=")
        if not equals or not name.strip() or not target.strip():
            raise UsageError(f"--map {item!r}: write NAME=CODE, e.g. --map autonomy=autonomie")
        mapping[name.strip()] = target.strip()
    return mapping
