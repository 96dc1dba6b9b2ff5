"""How cues act within a clause: the negation word acting on a cue, and increase/decrease
cues giving a direction to the nearest aspect through that keyword's valence."""
from __future__ import annotations

from typing import Callable, Sequence

from qualcode.coding.keywords.hits import DocView, Found, Hit
from qualcode.coding.keywords.rules import ASPECT_INV, DEC, INC, NEG_CANCEL, OPP, RISK, CompiledRules

QUANTITY_REACH = 3  # words between an increase/decrease cue and the aspect it modifies
DIRECTION_BIT = {"opportunity": 1, "risk": 2}


def quantities(rules: CompiledRules, doc: DocView, aspects: list[Hit], cues: list[Hit], negated: dict[Hit, Hit],
               breaks: Sequence[int], clause_of: Callable[[int], int], found: Callable[..., Found],
               cancelled: list[tuple[Found, str]], trace: bool) -> tuple[dict[Hit, tuple[int, list[Found]]], set[Hit]]:
    """Attach increase/decrease cues to the nearest aspect hit in their clause:
    (aspect -> (direction bits, cue Founds), opportunity/risk cues overridden);
    cancellations go into ``cancelled``."""
    attached: dict[Hit, tuple[int, list[Found]]] = {}  # aspect -> (direction bits, cues)
    overridden: set[Hit] = set()
    by_clause: dict[int, list[Hit]] | None = None
    for cue in cues:
        if cue.role != INC and cue.role != DEC:
            continue
        if breaks:
            if by_clause is None:
                by_clause = {}
                for hit in aspects:
                    by_clause.setdefault(clause_of(hit.start), []).append(hit)
            candidates = by_clause.get(clause_of(cue.start), [])
        else:
            candidates = aspects
        # a quantity does not reach across punctuation: 'Als AI dat overneemt, verschraalt het werk'
        targets = nearest_aspects(cue, [a for a in candidates if not _punct_between(doc, cue, a)])
        if not targets:
            if trace:
                cancelled.append((found(cue), f"no aspect keyword within {QUANTITY_REACH} words in its clause "
                                              "(without punctuation between)"))
            continue
        cue_negator = negated.get(cue)
        voided_by: Hit | None = None  # the cancelling negation word, if it voided the cue on an aspect
        for aspect in targets:
            more = cue.role == INC
            note = ""
            if cue_negator is not None and rules.negates[aspect.code]:
                if cue_negator.role == NEG_CANCEL:
                    voided_by = cue_negator
                    continue
                more = not more
                note = f"negated by '{doc.span_text(cue_negator.start, cue_negator.end)}'; "
            positive = rules.valences[aspect.code] == "positive"
            if aspect.role == ASPECT_INV:
                positive = not positive
            direction = "opportunity" if more == positive else "risk"
            note += f"{'more' if more else 'less'} of '{found(aspect).text}' ({'positive' if positive else 'negative'} valence)"
            bits, founds = attached.get(aspect, (0, []))
            founds.append(found(cue, direction, note))
            attached[aspect] = (bits | DIRECTION_BIT[direction], founds)
            # 'minder onzekerheid': the word's own risk gives way to the quantity on it
            for other in cues:
                if (other.role == OPP or other.role == RISK) and other.start < aspect.end and aspect.start < other.end:
                    overridden.add(other)
        if voided_by is not None:
            cancelled.append((found(cue), f"negated by '{doc.span_text(voided_by.start, voided_by.end)}'"))

    for cue in cues:
        if cue in overridden:
            cancelled.append((found(cue), "its own direction gives way to the increase/decrease cue on the same word"))
        elif cue.role == OPP or cue.role == RISK:
            cue_negator = negated.get(cue)
            if cue_negator is not None and cue_negator.role == NEG_CANCEL:
                cancelled.append((found(cue), f"negated by '{doc.span_text(cue_negator.start, cue_negator.end)}'"))
    return attached, overridden


def _punct_between(doc: DocView, cue: Hit, aspect: Hit) -> bool:
    start, end = (cue.end, aspect.start) if cue.end <= aspect.start else (aspect.end, cue.start)
    if end - start > QUANTITY_REACH:
        return False  # too far anyway: nearest_aspects leaves it out
    return any(doc.is_punct(i) for i in range(start, end))


def nearest_aspects(cue: Hit, aspects: list[Hit]) -> list[Hit]:
    """The aspect hits an increase/decrease cue modifies: the nearest within
    QUANTITY_REACH words; on a tie the longest span ('leuke taken' over 'taken'),
    then the one after the cue (a Dutch modifier precedes its noun: 'minder
    werkdruk'); hits of several codes on that same span all count. A cue that is
    a word of a longer aspect phrase does not modify that phrase."""
    best: list[Hit] = []
    best_key = None
    cue_start, cue_end = cue.start, cue.end
    for aspect in aspects:
        start, end = aspect.start, aspect.end
        if start <= cue_start and cue_end <= end and end - start > cue_end - cue_start:
            continue  # a word of the aspect phrase itself ('kwijt' in 'tijd kwijt')
        if start < cue_end and cue_start < end:
            distance = 0
        elif start >= cue_end:
            distance = start - cue_end + 1
        else:
            distance = cue_start - end + 1
        if distance > QUANTITY_REACH:
            continue
        # smaller is better: distance, then longer span, then after the cue, then first
        key = (distance, start - end, start < cue_end, start, end)
        if best_key is None or key < best_key:
            best, best_key = [aspect], key
        elif key == best_key:
            best.append(aspect)
    return best


def negator(doc: DocView, cue: Hit, negators: dict[int, Hit], clause_of: Callable[[int], int], s_start: int,
            s_end: int, before: int, after: int) -> Hit | None:
    """The nearest negation word acting on ``cue``: same clause, no punctuation between."""
    clause = clause_of(cue.start)
    best, best_distance = None, None
    position = cue.start - 1
    steps = 0
    while position >= s_start and steps < before:
        if clause_of(position) != clause or doc.is_punct(position):
            break
        if position in negators:
            best, best_distance = negators[position], steps + 1
            break
        position -= 1
        steps += 1
    position = cue.end
    steps = 0
    while position < s_end and steps < after:
        if clause_of(position) != clause or doc.is_punct(position):
            break
        if position in negators:
            if best_distance is None or steps + 1 < best_distance:
                best = negators[position]
            break
        position += 1
        steps += 1
    return best
