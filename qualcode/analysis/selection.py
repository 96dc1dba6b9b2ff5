"""Which codings count: one table of (segment, code, direction) rows for every output.

All outputs (matrix, quotes, Excel, report, compare) start from
:func:`select_codings`, so they agree on what is counted. By default only
human decisions with status ``accepted`` count; machine suggestions are added only
when asked for, and are then marked ``status = 'suggested'`` in every row.

The speaker column is pseudonymised (a speaker label may be a real name) and no
output built on this table needs the case id, which for automatically made cases
contains the speaker label too.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import pandas as pd

from qualcode.store import codings, documents
from qualcode.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from qualcode.store import Store

BASE_COLUMNS = [
    "segment_id", "document", "study", "case_id", "pseudonym", "role",
]
TAIL_COLUMNS = [
    "speaker", "text", "code", "direction", "origin", "status", "coder", "source_row", "codebook_version",
]
UNKNOWN_CASE = "(no case)"
# Machine origins in order of preference when two suggest the same (segment, code, direction).
_MACHINE_ORDER = {"keyword": 0, "model": 1}


def attribute_columns(store: "Store") -> list[str]:
    """Case attribute names as they appear as columns (a clash with a fixed column gets a ``case_`` prefix)."""
    fixed = set(BASE_COLUMNS) | set(TAIL_COLUMNS)
    out = []
    for name in store.case_attribute_names():
        if name in ("study", "role"):
            continue  # already the study and role columns
        out.append(f"case_{name}" if name in fixed else name)
    return out


def grouping_attributes(store: "Store") -> list[str]:
    """What ``--by`` may name: role, study and every case attribute."""
    return sorted({"role", "study", *attribute_columns(store)})


def check_attribute(store: "Store", by: str | None, option: str = "--by") -> None:
    """UsageError naming the attributes when ``by`` is not one of them."""
    if by is None:
        return
    names = grouping_attributes(store)
    if by not in names:
        raise UsageError(f"unknown attribute {by!r} for {option}; the attributes are: {', '.join(names)}")


def check_study(store: "Store", study: str | None) -> None:
    store.check_study(study)


def case_rows(store: "Store") -> dict[str, dict[str, Any]]:
    """case id -> pseudonym, role, study and attribute columns."""
    fixed = set(BASE_COLUMNS) | set(TAIL_COLUMNS)
    out = {}
    for case in store.cases():
        attrs = case.attributes
        row = {"pseudonym": case.pseudonym or UNKNOWN_CASE,
               "role": case.role if case.role is not None else attrs.get("role"),
               "case_study": case.study if case.study is not None else attrs.get("study")}
        for name, value in attrs.items():
            if name in ("study", "role"):
                continue
            row[f"case_{name}" if name in fixed else name] = value
        out[case.case_id] = row
    return out


def case_universe(store: "Store", study: str | None = None) -> pd.DataFrame:
    """One row per (case, study) with at least one segment to code: the denominator of shares.

    Columns: case_id, pseudonym, role, study, every case attribute, segments (to code).
    """
    check_study(store, study)
    cases = case_rows(store)
    attr_cols = attribute_columns(store)
    rows = []
    for case_id, case_study, n in documents.segments_to_code_per_case(store.con, study):
        case = cases.get(case_id, {})
        row = {"case_id": case_id, "pseudonym": case.get("pseudonym", UNKNOWN_CASE), "role": case.get("role"),
               "study": case_study if case_study is not None else case.get("case_study")}
        row.update({c: case.get(c) for c in attr_cols})
        row["segments"] = n
        rows.append(row)
    return pd.DataFrame(rows, columns=["case_id", "pseudonym", "role", "study", *attr_cols, "segments"])


def _human_coders(store: "Store") -> list[str]:
    return codings.coders(store.con)


def select_codings(
    store: "Store",
    *,
    coder: str | None = None,
    reconciled: bool = False,
    include_suggested: bool = False,
    study: str | None = None,
) -> pd.DataFrame:
    """The codings that count, one row per (segment, code, direction), with segment and case data.

    * default: the accepted decisions of the project's only coder (UsageError when
      several coders decided: choose with ``coder`` or ``reconciled``);
    * ``coder``: that coder's accepted decisions;
    * ``reconciled``: per segment, the decisions of the ``reconciled`` pseudo-coder
      where it decided the segment, else what every coder who decided the segment accepted;
    * ``include_suggested``: also machine suggestions on segments the chosen coder(s)
      have not decided (a decided segment is settled: what was not accepted there
      does not count), with ``status = 'suggested'``.

    Only segments to code (not the interviewer's). ``df.attrs`` holds ``cases`` (the
    case universe, see :func:`case_universe`) and ``selection`` (the filters used).
    """
    if coder and reconciled:
        raise UsageError("--coder and --reconciled cannot be used together; pass one of them")
    check_study(store, study)
    con = store.con
    all_coders = _human_coders(store)
    if coder is not None and coder not in all_coders:
        raise NotFoundError(
            f"no decisions by coder {coder!r}; the coders are: {', '.join(all_coders) or 'none yet'}"
        )
    if not reconciled and coder is None and len(all_coders) > 1:
        raise UsageError(
            f"{len(all_coders)} coders have decisions ({', '.join(all_coders)}); count one coder's with "
            "--coder NAME, or what they agree on with --reconciled"
        )
    has_suggestions = codings.has_suggestions(con)
    if not all_coders and not (include_suggested and has_suggestions):
        if has_suggestions:
            raise UsageError(
                "no codings decided yet: review the suggestions (`qualcode review --coder NAME`), "
                "or pass --include-suggested to count the machine suggestions"
            )
        raise UsageError(
            "no codings yet: run `qualcode code --codebook FILE` and review the suggestions "
            "(`qualcode review --coder NAME`), or pass --include-suggested"
        )
    if coder is None and not reconciled and all_coders:
        coder = all_coders[0]

    # ids first, text only of the segments chosen: a large corpus is not read to count a part of it
    segments = set(documents.segment_ids_in_order(con, study=study, only_to_code=True))
    chosen: list[tuple[Any, ...]] = []  # see _frame
    decided: set[int] = set()  # segments whose codes the chosen coder(s) have settled

    def take(row: codings.CodingRow, **override: Any) -> None:
        if row.segment_id in segments:
            chosen.append((row.segment_id, row.code, row.direction, override.get("origin", row.origin),
                           override.get("status", "accepted"), override.get("coder", row.coder),
                           row.codebook_version))

    if reconciled:
        decided = _take_reconciled(store, all_coders, take)
    elif coder is not None:
        decided = codings.decided_segments(con, coder)
        for row in codings.decisions_for(con, coder=coder, evidence=False):
            if row.status == "accepted":
                take(row)

    if include_suggested:
        best: dict[tuple[int, str, str], tuple[int, tuple[Any, ...]]] = {}  # the preferred origin's, as chosen
        for segment_id, code, direction, origin, version in codings.suggested_codings(con):
            if segment_id in decided or segment_id not in segments:
                continue
            key = (segment_id, code, direction)
            rank = _MACHINE_ORDER.get(origin, 9)
            if key not in best or rank < best[key][0]:
                best[key] = rank, (*key, origin, "suggested", None, version)
        chosen += (item for _, item in best.values())
        del best

    df = _frame(store, chosen, {s.id: s for s in store.segments(ids={i[0] for i in chosen})})
    df.attrs["cases"] = case_universe(store, study)
    df.attrs["selection"] = {
        "coder": None if reconciled else coder, "reconciled": reconciled, "include_suggested": include_suggested,
        "study": study, "coders": all_coders,
    }
    return df


def _take_reconciled(store: "Store", all_coders: list[str], take) -> set[int]:
    con = store.con
    humans = [c for c in all_coders if c != codings.RECONCILED]
    decided_by = {c: codings.decided_segments(con, c) for c in humans}
    settled = codings.decided_segments(con, codings.RECONCILED) if codings.RECONCILED in all_coders else set()
    for row in codings.decisions_for(con, coder=codings.RECONCILED, evidence=False) if settled else []:
        if row.status == "accepted":
            take(row)
    accepted: dict[tuple[int, str, str], dict[str, codings.CodingRow]] = defaultdict(dict)
    for c in humans:
        for row in codings.decisions_for(con, coder=c, evidence=False):
            if row.status == "accepted" and row.segment_id not in settled:
                accepted[(row.segment_id, row.code, row.direction)][c] = row
    for (segment_id, _, _), by_coder in sorted(accepted.items()):
        deciders = [c for c in humans if segment_id in decided_by[c]]
        if deciders and all(c in by_coder for c in deciders):
            rows = [by_coder[c] for c in deciders]
            origins = {r.origin for r in rows}
            take(rows[0], coder="+".join(deciders), origin=rows[0].origin if len(origins) == 1 else "human")
    return settled.union(*decided_by.values()) if decided_by else settled


def _frame(store: "Store", chosen: list[tuple[Any, ...]], segments: dict) -> pd.DataFrame:
    """One row per chosen coding ((segment_id, code, direction, origin, status, coder, codebook_version)), with
    its segment's and case's columns. The rows are tuples, not dicts (a fifth of the memory; pandas makes
    the same frame of both)."""
    cases = case_rows(store)
    attr_cols = attribute_columns(store)
    columns = [*BASE_COLUMNS, *attr_cols, *TAIL_COLUMNS]
    of_segment: dict[int, tuple[tuple[Any, ...], Any]] = {}  # worked out once for all codings of a segment
    rows = []
    for sid, code, direction, origin, status, coder, version in sorted(chosen, key=lambda i: i[:3]):
        if sid not in of_segment:
            seg = segments[sid]
            case = cases.get(seg.case_id, {}) if seg.case_id else {}
            pseudonym = case.get("pseudonym", UNKNOWN_CASE)
            study = seg.study if seg.study is not None else case.get("case_study")
            # The speaker label may be a real name: only the case's pseudonym leaves the project.
            of_segment[sid] = ((seg.id, seg.document_name, study, seg.case_id, pseudonym, case.get("role"),
                                *(case.get(c) for c in attr_cols), pseudonym, seg.text), seg.source_row)
        head, source_row = of_segment[sid]
        rows.append((*head, code, direction, origin, status, coder, source_row, version))  # as `columns`
    del of_segment
    df = pd.DataFrame(rows, columns=columns)
    df["segment_id"] = df["segment_id"].astype("int64")
    return df
