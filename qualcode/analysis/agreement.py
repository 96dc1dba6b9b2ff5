"""Agreement between two coders: percent agreement, Cohen's kappa and Krippendorff's alpha.

A coder is a human (their accepted decisions), or a machine: ``keyword`` (the
auto-coder's suggestions) or ``model`` (the learned model's suggestions).

**Units.** A unit is a segment both coders have decided. A human has decided the
segments in :func:`qualcode.store.codings.decided_segments` (also those where they
decided that no code applies). A machine has decided every to-code segment: a
segment without one of its suggestions is its decision "no code". Segments only
one coder decided are left out of the figures and counted.

**Figures.** For every code, each unit is *present* or *absent* for each coder;
for every code × direction likewise. Per row: n, percent agreement, Cohen's kappa
(``sklearn.metrics.cohen_kappa_score``) and Krippendorff's alpha, nominal (the
``krippendorff`` package), and the counts of each kind of disagreement. The
overall rows pool the segment × code (or segment × code × direction) units of
every code in the codebook, so a code that neither coder used counts as agreed
absences there, as it does in the coders' work. When one side is a machine and
the other a human, precision, recall and F1 of the machine are given with the
human as the truth. A figure that is undefined is None with a note in words,
never NaN.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from qualcode.coding.codebook import stored_codebook_or_none
from qualcode.store import documents
from qualcode.store.codings import (MACHINE_CODERS, coders, decided_segments, decision_log_coders, decisions_for,
                                    suggestions_for)
from qualcode.errors import NotFoundError, UsageError
from qualcode.records import DIRECTIONS

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas

    from qualcode.store import Store

ALL_CODES = "(all codes)"
ALL_GROUPS = "(all)"
ALL_DIRECTIONS = "(all directions)"
NO_VALUE = "(none)"
MAIN_DIRECTIONS = ("opportunity", "risk")

NOT_USED = "not used by either coder: agreement is trivially 100%, kappa/alpha undefined"
TOO_FEW = "fewer than 2 units: kappa/alpha undefined"
NO_UNITS = "no segments decided by both coders: nothing to compare"


@dataclass(frozen=True)
class AgreementRow:
    """The figures for one code (``direction`` None) or one code × direction, in one group."""

    code: str  # a code id, or ALL_CODES for the pooled figure
    direction: str | None  # None: the code's presence; else 'opportunity', 'risk', 'none' or ALL_DIRECTIONS
    n: int  # units (segments; for ALL_CODES segment × code pairs)
    both: int  # both coders coded it
    neither: int
    only_a: int
    only_b: int
    other_direction: int | None  # code × direction rows: one has this direction, the other the code with another
    percent: float | None  # percent agreement, 0-100
    kappa: float | None
    alpha: float | None
    precision: float | None = None  # machine against human (human = truth)
    recall: float | None = None
    f1: float | None = None
    note: str = ""  # why a figure is undefined, in words
    group: str | None = None  # the value of the --by attribute; None when not split
    label: str = ""  # the code's label in the codebook (for the workbook)
    direction_label: str = ""
    count_a: int = 0  # units coder A gave this code (× direction): both + only_a (+ A's side of other_direction)
    count_b: int = 0


@dataclass(frozen=True)
class GroupUnits:
    """How many segments were compared in a group, and how many were left out."""

    group: str | None
    units: int
    only_a: int  # segments decided only by coder A (left out)
    only_b: int


@dataclass(frozen=True)
class AgreementResult:
    coder_a: str
    coder_b: str
    by: str | None
    rows: tuple[AgreementRow, ...]
    groups: tuple[GroupUnits, ...]  # the first is the whole project (group None)
    truth: str | None = None  # the human coder taken as truth for precision/recall, if any
    codes: tuple[str, ...] = field(default_factory=tuple)
    in_sample: int = 0  # units the compared model was trained on (its agreement there is optimistic)

    @property
    def units(self) -> int:
        return self.groups[0].units

    def row(self, code: str, direction: str | None = None, group: str | None = None) -> AgreementRow:
        for r in self.rows:
            if r.code == code and r.direction == direction and r.group == group:
                return r
        raise KeyError((code, direction, group))

    def summary(self) -> list[str]:
        """Sentences for under the table: units compared and left out."""
        lines = []
        for g in self.groups:
            where = "" if g.group is None else f" [{self.by} = {g.group}]"
            lines.append(
                f"{g.units} segments decided by both {self.coder_a} and {self.coder_b}{where}; left out: "
                f"{g.only_a} decided only by {self.coder_a}, {g.only_b} only by {self.coder_b}."
            )
        if self.in_sample:
            lines.append(
                f"The model was trained on {self.in_sample} of these segments, so its agreement there is optimistic; "
                "the cross-validated precision and recall are in `qualcode learn`."
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "coder_a": self.coder_a, "coder_b": self.coder_b, "by": self.by, "truth": self.truth,
            "codes": list(self.codes), "in_sample": self.in_sample, "summary": self.summary(),
            "groups": [asdict(g) for g in self.groups],
            "rows": [asdict(r) for r in self.rows],
        }


# -- the figures for two binary ratings -------------------------------------------------
def binary_agreement(a: Sequence[bool], b: Sequence[bool]) -> dict[str, Any]:
    """n, counts, percent agreement, kappa and alpha for two coders' present/absent ratings.

    Undefined figures are None and ``note`` says why in words.
    """
    if len(a) != len(b):
        raise ValueError("both coders must rate the same units")
    n = len(a)
    both = sum(1 for x, y in zip(a, b) if x and y)
    neither = sum(1 for x, y in zip(a, b) if not x and not y)
    only_a = sum(1 for x, y in zip(a, b) if x and not y)
    only_b = sum(1 for x, y in zip(a, b) if y and not x)
    out: dict[str, Any] = {"n": n, "both": both, "neither": neither, "only_a": only_a, "only_b": only_b,
                           "percent": None, "kappa": None, "alpha": None, "note": ""}
    if n == 0:
        out["note"] = NO_UNITS
        return out
    out["percent"] = 100.0 * (both + neither) / n
    if both == 0 and only_a == 0 and only_b == 0:
        out["note"] = NOT_USED
        return out
    if n < 2:
        out["note"] = TOO_FEW
        return out
    if neither == 0 and only_a == 0 and only_b == 0:
        out["note"] = "coded by both coders on every unit: agreement is 100% with one category, kappa/alpha undefined"
        return out
    out["kappa"] = cohen_kappa(a, b)
    out["alpha"] = krippendorff_alpha([[int(x) for x in a], [int(y) for y in b]], value_domain=(0, 1))
    if out["kappa"] is None or out["alpha"] is None:  # pragma: no cover - guarded by the cases above
        out["note"] = "expected agreement is 100%: kappa/alpha undefined"
    return out


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float | None:
    """Cohen's kappa (scikit-learn); None where it is undefined (one category only)."""
    from sklearn.metrics import cohen_kappa_score

    labels = sorted(set(a) | set(b))
    if len(labels) < 2:
        return None
    value = float(cohen_kappa_score(list(a), list(b), labels=labels))
    return None if math.isnan(value) else value


def krippendorff_alpha(reliability_data: Sequence[Sequence[float]], value_domain: Sequence[float] | None = None) -> float | None:
    """Krippendorff's alpha, nominal (the ``krippendorff`` package): coders × units, NaN = missing.

    None where it is undefined (fewer than two values in the data or no pairable unit).
    """
    import krippendorff
    import numpy as np

    data = np.asarray(reliability_data, dtype=float)
    values = set(np.unique(data[~np.isnan(data)]).tolist())
    if len(values) < 2:
        return None
    try:
        value = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal",
                                         value_domain=list(value_domain) if value_domain is not None else None))
    except (ValueError, ZeroDivisionError):
        return None
    return None if math.isnan(value) else value


def precision_recall(tp: int, fp: int, fn: int, machine: str) -> dict[str, Any]:
    """Precision, recall and F1 of a machine coder (None with a reason where undefined)."""
    notes = []
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    if precision is None:
        notes.append(f"{machine} never suggested it: precision undefined")
    if recall is None:
        notes.append("the human never coded it: recall undefined")
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    else:
        f1 = None
    return {"precision": precision, "recall": recall, "f1": f1, "notes": notes}


# -- what each coder decided -----------------------------------------------------------
def _coded(store: "Store", coder: str) -> tuple[set[int], dict[int, set[tuple[str, str]]]]:
    """(decided segments, segment -> {(code, direction)} accepted) for a human or machine coder."""
    con = store.con
    codings: dict[int, set[tuple[str, str]]] = {}
    if coder in MACHINE_CODERS:
        rows = suggestions_for(con, origin=coder)
        if not rows:
            hint = ("run `qualcode code` first" if coder == "keyword"
                    else "run `qualcode learn` and `qualcode code --with-model` first")
            raise NotFoundError(f"no {coder} suggestions in {store.path}; {hint}")
        for r in rows:
            codings.setdefault(r.segment_id, set()).add((r.code, r.direction))
        # The machine ran on every segment to code: no suggestion is its decision "no code".
        decided = documents.segment_ids(con, only_to_code=True)
        return decided, codings
    decided = decided_segments(con, coder)
    if not decided:
        known = sorted(set(coders(con)) | set(decision_log_coders(con)))
        raise NotFoundError(f"coder {coder!r} has decided no segments; the coders are: {', '.join(known) or 'none yet'} "
                            f"(and {' and '.join(MACHINE_CODERS)} for the machine's suggestions)")
    for r in decisions_for(con, coder):
        if r.status == "accepted":
            codings.setdefault(r.segment_id, set()).add((r.code, r.direction))
    return decided, codings


def _group_values(store: "Store", segment_ids: Iterable[int], by: str) -> dict[int, str]:
    """segment id -> the value of ``by`` (study, role or a case attribute, named as ``--by`` names it elsewhere)."""
    from qualcode.analysis.selection import check_attribute

    check_attribute(store, by)
    attributes = set(store.case_attribute_names())
    name = by[len("case_"):] if by.startswith("case_") and by not in attributes else by
    ids = list(segment_ids)
    segments = {s.id: s for s in store.segments(ids=ids)}
    cases = {c.case_id: c for c in store.cases()}
    out = {}
    for sid in ids:
        seg = segments.get(sid)
        case = cases.get(seg.case_id) if seg is not None and seg.case_id else None
        value: Any = None
        if name == "study":
            value = (seg.study if seg else None) or (case.study if case else None) \
                or (case.attributes.get("study") if case else None)
        elif name == "role":
            value = (case.role if case else None) or (case.attributes.get("role") if case else None)
        elif case is not None:
            value = case.attributes.get(name)
        out[sid] = NO_VALUE if value is None or value == "" else str(value)
    return out


# -- agreement ---------------------------------------------------------------------------
def agreement(store: "Store", coder_a: str, coder_b: str, *, by: str | None = None) -> AgreementResult:
    """Agreement of ``coder_a`` and ``coder_b`` per code, per code × direction and overall.

    ``coder_b`` (or ``coder_a``) may be ``keyword`` or ``model``. ``by`` names a case
    attribute (``study``, ``role``, ...) to split the figures by; the unsplit figures
    come first.
    """
    if not coder_a or not coder_b:
        raise UsageError("name two coders: --coders anna,bob (or anna,keyword)")
    if coder_a == coder_b:
        raise UsageError(f"both coders are {coder_a!r}; name two different coders, e.g. --coders {coder_a},keyword")
    decided_a, coded_a = _coded(store, coder_a)
    decided_b, coded_b = _coded(store, coder_b)
    units = sorted(decided_a & decided_b)

    codebook = stored_codebook_or_none(store)
    codes: list[str] = [c.id for c in codebook.codes] if codebook is not None else []
    seen = {code for coded in (coded_a, coded_b) for sid in units for code, _ in coded.get(sid, ())}
    codes += sorted(seen - set(codes))

    machine_a, machine_b = coder_a in MACHINE_CODERS, coder_b in MACHINE_CODERS
    truth = coder_a if machine_b and not machine_a else coder_b if machine_a and not machine_b else None

    def labels(code: str, direction: str | None) -> tuple[str, str]:
        if codebook is None or code == ALL_CODES:
            return code, direction or ""
        # A code no longer in the codebook (or a direction it does not know) keeps its id as label.
        label = codebook.label(code) if code in codebook.code_ids else code
        dlabel = codebook.direction_label(direction) if direction in DIRECTIONS else (direction or "")
        return label, dlabel

    groups: list[tuple[str | None, list[int], set[int], set[int]]] = [(None, units, decided_a, decided_b)]
    if by is not None:
        values = _group_values(store, decided_a | decided_b, by)
        for value in sorted(set(values.values()), key=lambda v: (v == NO_VALUE, v)):
            in_group = {sid for sid, v in values.items() if v == value}
            groups.append((value, [u for u in units if u in in_group], decided_a & in_group, decided_b & in_group))

    rows: list[AgreementRow] = []
    group_units: list[GroupUnits] = []
    for group, group_ids, dec_a, dec_b in groups:
        group_units.append(GroupUnits(group, len(group_ids), len(dec_a - dec_b), len(dec_b - dec_a)))
        rows += _rows_for(group, group_ids, codes, coded_a, coded_b, truth, coder_a, coder_b, labels)
    in_sample = 0
    if "model" in (coder_a, coder_b):
        from qualcode.coding.learn import trained_segments

        in_sample = len(trained_segments(store) & set(units))
    return AgreementResult(coder_a, coder_b, by, tuple(rows), tuple(group_units), truth, tuple(codes), in_sample)


def _rows_for(group, units, codes, coded_a, coded_b, truth, coder_a, coder_b, labels) -> list[AgreementRow]:
    def has(coded: Mapping[int, set[tuple[str, str]]], sid: int, code: str, direction: str | None = None) -> bool:
        pairs = coded.get(sid, ())
        if direction is None:
            return any(c == code for c, _ in pairs)
        return (code, direction) in pairs

    def make(code: str, direction: str | None, a: list[bool], b: list[bool], other: int | None,
             only_a: int | None = None, only_b: int | None = None) -> AgreementRow:
        figures = binary_agreement(a, b)
        note = figures.pop("note")
        notes = [note] if note else []
        if only_a is not None:  # code × direction: "other direction" is split off the one-sided counts
            figures["only_a"], figures["only_b"] = only_a, only_b
        pr: dict[str, Any] = {}
        if truth is not None:
            human, machine = (a, b) if truth == coder_a else (b, a)
            fp = sum(1 for h, m in zip(human, machine) if m and not h)
            fn = sum(1 for h, m in zip(human, machine) if h and not m)
            pr = precision_recall(figures["both"], fp, fn, coder_b if truth == coder_a else coder_a)
            reasons = pr.pop("notes")
            if figures["n"] and NOT_USED not in notes:
                notes += reasons
        label, dlabel = labels(code, direction)
        return AgreementRow(code=code, direction=direction, other_direction=other, note="; ".join(notes),
                            group=group, label=label, direction_label=dlabel, count_a=sum(a), count_b=sum(b),
                            **figures, **pr)

    rows: list[AgreementRow] = []
    pooled_a: list[bool] = []
    pooled_b: list[bool] = []
    for code in codes:
        a = [has(coded_a, s, code) for s in units]
        b = [has(coded_b, s, code) for s in units]
        pooled_a += a
        pooled_b += b
        rows.append(make(code, None, a, b, None))
    rows.append(make(ALL_CODES, None, pooled_a, pooled_b, None))

    pooled_a, pooled_b = [], []
    other_total = only_a_total = only_b_total = 0
    for code in codes:
        used = {d for coded in (coded_a, coded_b) for s in units for c, d in coded.get(s, ()) if c == code}
        for direction in [*MAIN_DIRECTIONS, *sorted(used - set(MAIN_DIRECTIONS))]:
            a = [has(coded_a, s, code, direction) for s in units]
            b = [has(coded_b, s, code, direction) for s in units]
            other = only_a = only_b = 0
            for s, x, y in zip(units, a, b):
                if x and not y:
                    if has(coded_b, s, code):
                        other += 1
                    else:
                        only_a += 1
                elif y and not x:
                    if has(coded_a, s, code):
                        other += 1
                    else:
                        only_b += 1
            other_total, only_a_total, only_b_total = other_total + other, only_a_total + only_a, only_b_total + only_b
            pooled_a += a
            pooled_b += b
            rows.append(make(code, direction, a, b, other, only_a, only_b))
    rows.append(make(ALL_CODES, ALL_DIRECTIONS, pooled_a, pooled_b, other_total, only_a_total, only_b_total))
    return rows


# -- renderings --------------------------------------------------------------------------
def agreement_frame(result: AgreementResult) -> "pandas.DataFrame":
    """One row per figure, for the workbook's Agreement sheet and for ``--format csv``.

    Undefined figures are empty cells (None), explained in the ``note`` column.
    """
    import pandas as pd

    a, b = result.coder_a, result.coder_b
    records = []
    for r in result.rows:
        rec: dict[str, Any] = {}
        if result.by is not None:
            rec[result.by] = ALL_GROUPS if r.group is None else r.group
        rec.update({
            "code": r.code, "label": r.label, "direction": r.direction or "", "direction label": r.direction_label,
            "n": r.n, "both": r.both, "neither": r.neither, f"only {a}": r.only_a, f"only {b}": r.only_b,
            "other direction": r.other_direction,
            "% agreement": _rounded(r.percent, 1), "kappa": _rounded(r.kappa, 3), "alpha": _rounded(r.alpha, 3),
        })
        if result.truth is not None:
            rec.update({"precision": _rounded(r.precision, 3), "recall": _rounded(r.recall, 3), "F1": _rounded(r.f1, 3)})
        rec["note"] = r.note
        records.append(rec)
    frame = pd.DataFrame.from_records(records)
    for column in ("other direction", "% agreement", "kappa", "alpha", "precision", "recall", "F1"):
        if column in frame.columns:
            frame[column] = pd.Series([rec[column] for rec in records], dtype=object, index=frame.index)
    frame.attrs["summary"] = result.summary()
    return frame


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
