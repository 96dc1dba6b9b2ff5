"""Reconciling two coders: where they differ, and a third decision that settles each segment.

A settled segment's full set of codings is recorded under the pseudo-coder
:data:`qualcode.store.codings.RECONCILED` (source ``reconcile``), with a memo saying how
it was settled and by whom. Segments the two coders agree on need no settling:
:func:`qualcode.analysis.selection.select_codings` counts what they both accepted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, AbstractSet, Sequence

from qualcode.store import codings
from qualcode.store.codings import RECONCILED, Decision
from qualcode.errors import ChangedMeanwhileError, NotFoundError, UsageError
from qualcode.records import Segment
from qualcode.coding.codebook import stored_codebook

if TYPE_CHECKING:
    from qualcode.store import Store

Key = tuple[str, str]  # (code, direction)


@dataclass(frozen=True)
class Dispute:
    """A segment both coders decided, on which their accepted (code, direction) sets differ."""

    segment: Segment
    case_label: str
    first: frozenset[Key]  # what coder A accepted
    second: frozenset[Key]  # what coder B accepted
    settled: frozenset[Key] | None  # what the reconciled decision holds, None while unsettled
    coders: tuple[str, str] = ("", "")  # the two coders (set by :func:`disputes`; settle re-checks against them)

    @property
    def only_first(self) -> frozenset[Key]:
        return self.first - self.second

    @property
    def only_second(self) -> frozenset[Key]:
        return self.second - self.first


def check_coders(store: "Store", coders: Sequence[str]) -> tuple[str, str]:
    """The two coders to compare; UsageError/NotFoundError naming the coders who decided anything."""
    names = [c.strip() for c in coders if c.strip()]
    if len(names) != 2 or names[0] == names[1]:
        raise UsageError("reconcile compares two coders: pass --coders A,B with two different names")
    known = [c for c in codings.coders(store.con) if c != RECONCILED]
    for name in names:
        if name == RECONCILED:
            raise UsageError(f"{RECONCILED!r} holds the reconciled decisions; compare two human coders")
        if name not in known:
            raise NotFoundError(f"coder {name!r} has decided nothing; the coders are: {', '.join(known) or 'none yet'}")
    return names[0], names[1]


def disputes(store: "Store", first: str, second: str, *, study: str | None = None,
             include_settled: bool = True) -> list[Dispute]:
    """Segments both coders decided whose accepted codings differ, in document order."""
    con = store.con
    both = codings.decided_segments(con, first) & codings.decided_segments(con, second)
    settled_ids = codings.decided_segments(con, RECONCILED)
    accepted: dict[str, dict[int, set[Key]]] = {first: {}, second: {}, RECONCILED: {}}
    for coder in accepted:
        for row in codings.decisions_for(con, coder):
            if row.status == "accepted":
                accepted[coder].setdefault(row.segment_id, set()).add((row.code, row.direction))
    cases = {c.case_id: c.pseudonym for c in store.cases()}
    out = []
    for seg in store.segments(study=study, only_to_code=True):
        if seg.id not in both:
            continue
        a, b = frozenset(accepted[first].get(seg.id, ())), frozenset(accepted[second].get(seg.id, ()))
        if a == b:
            continue
        settled = frozenset(accepted[RECONCILED].get(seg.id, ())) if seg.id in settled_ids else None
        if settled is not None and not include_settled:
            continue
        out.append(Dispute(seg, cases.get(seg.case_id, seg.case_id or "-") if seg.case_id else "-", a, b, settled,
                           (first, second)))
    return out


def _accepted(store: "Store", coder: str, segment_id: int) -> frozenset[Key]:
    return frozenset((r.code, r.direction) for r in codings.decisions_for(store.con, coder, segment_id)
                     if r.status == "accepted")


def _still_as_seen(store: "Store", dispute: Dispute) -> bool:
    """Inside the write transaction: whether both coders' and the reconciled codings of the segment are still
    what the dispute was computed from."""
    first, second = dispute.coders
    sid = dispute.segment.id
    settled = _accepted(store, RECONCILED, sid) if codings.segment_decided(store.con, RECONCILED, sid) else None
    return (_accepted(store, first, sid), _accepted(store, second, sid), settled) == (
        dispute.first, dispute.second, dispute.settled)


def settle(store: "Store", dispute: Dispute, chosen: AbstractSet[Key], *, how: str,
           settled_by: str | None = None) -> dict[str, int]:
    """Record ``chosen`` as the segment's full reconciled coding set (one transaction, one undo batch).

    Every other (code, direction) either coder or an earlier reconciliation accepted is
    rejected, and a memo records ``how`` it was settled and ``settled_by`` whom.

    The dispute is checked again inside the write transaction: when either coder's codings or the
    reconciled ones changed since it was computed (another command, the browser page), nothing is
    recorded and :class:`~qualcode.errors.ChangedMeanwhileError` says to run reconcile again.
    """
    store.backup_before_change()  # before the write lock is taken (inside it, no backup is made)
    with store.transaction():
        if dispute.coders[0] and not _still_as_seen(store, dispute):
            raise ChangedMeanwhileError(
                f"segment #{dispute.segment.id}: the codings of {dispute.coders[0]}, {dispute.coders[1]} or the "
                "reconciled ones changed meanwhile (another command or the browser page); nothing was recorded: "
                "run reconcile again to settle it as it is now")
        return _apply(store, dispute, chosen, how=how, settled_by=settled_by)


def _apply(store: "Store", dispute: Dispute, chosen: AbstractSet[Key], *, how: str,
           settled_by: str | None) -> dict[str, int]:
    codebook = stored_codebook(store)
    sid = dispute.segment.id
    previous = set(dispute.first | dispute.second | (dispute.settled or frozenset()))
    decisions = [Decision(sid, "accept", code, direction) for code, direction in sorted(chosen)]
    decisions += [Decision(sid, "reject", code, direction) for code, direction in sorted(previous - set(chosen))]
    memo = f"settled{' by ' + settled_by if settled_by else ''}: {how}"
    decisions.append(Decision(sid, "memo", memo=memo))
    return codings.apply_decisions(store.con, RECONCILED, decisions, source="reconcile",
                                   valid_codes=codebook.code_ids, done_segments=[sid])
