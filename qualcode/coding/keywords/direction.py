"""How cues act within a clause: the negation word acting on a cue, and increase/decrease
cues giving a direction to the nearest aspect through that keyword's valence."""
from __future__ import annotations

from typing import Callable, Sequence

from qualcode.coding.keywords.hits import DocView, Found, Hit
from qualcode.coding.keywords.rules import ASPECT_INV, DEC, INC, NEG_CANCEL, OPP, RISK, CompiledRules

QUANTITY_REACH = 3  # words between an increase/decrease cue and the aspect it modifies
PREDICATE_REACH = 6  # ... when the cue is the predicate of the aspect: 'het contact met leerlingen wordt minder'
COPULAS = frozenset({"worden", "zijn", "blijven", "raken", "become", "be", "remain", "get"})
DIRECTION_BIT = {"opportunity": 1, "risk": 2}


def quantities(rules: CompiledRules, doc: DocView, aspects: list[Hit], cues: list[Hit], negated: dict[Hit, Hit],
               breaks: Sequence[int], clause_of: Callable[[int], int], found: Callable[..., Found],
               cancelled: list[tuple[Found, str]], trace: bool
               ) -> tuple[dict[Hit, tuple[int, list[Found]]], set[Hit], set[Hit]]:
    """Attach increase/decrease cues to the nearest aspect hit in their clause:
    (aspect -> (direction bits, cue Founds), opportunity/risk cues overridden, the increase/decrease
    cues that act on an aspect, also when a negation voids them); cancellations go into ``cancelled``."""
    attached: dict[Hit, tuple[int, list[Found]]] = {}  # aspect -> (direction bits, cues)
    overridden: set[Hit] = set()
    placed: set[Hit] = set()
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
            targets = predicate_of(doc, cue, candidates, cue.rule in rules.verb_cues)
        if not targets:
            if trace:
                cancelled.append((found(cue), f"no aspect keyword within {QUANTITY_REACH} words in its clause "
                                              "(without punctuation between)"))
            continue
        placed.add(cue)
        cue_negator = negated.get(cue)
        voided_by: Hit | None = None  # the cancelling negation word, if it voided the cue on an aspect
        for aspect in targets:
            more = cue.role == INC
            note = ""
            if cue_negator is not None and rules.negates[aspect.code]:
                if cue_negator.role == NEG_CANCEL or _negates_the_aspect(cue_negator, cue, aspect):
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
    return attached, overridden, placed


def _negates_the_aspect(negation: Hit, cue: Hit, aspect: Hit) -> bool:
    """A flip word right before the aspect, not before the cue: it says there is none of the aspect
    for the change to act on, so nothing changes: 'de software neemt geen taken over', 'geen
    taken overnemen' name no less work (while 'geen hogere werkdruk' and 'geen extra werk' negate
    the change itself and flip it)."""
    return 0 <= aspect.start - negation.end <= 1 and not negation.end <= cue.start < aspect.start


def predicate_of(doc: DocView, cue: Hit, aspects: list[Hit], verb: bool = False) -> list[Hit]:
    """The aspect an increase/decrease cue is the predicate of: the nearest aspect before it, within
    PREDICATE_REACH words, with no punctuation or other aspect between, and a copula ('wordt', 'is',
    'blijft') between: 'het contact met leerlingen wordt minder'. A cue that is a verb ('verlagen',
    'overnemen') needs no copula: a Dutch verb closes its clause after a modal or in a subordinate
    clause, after its object: 'AI kan de werkdruk van docenten flink verlagen', 'dat AI de
    administratieve lasten van leraren zal verminderen'."""
    before = [a for a in aspects if a.end <= cue.start and cue.start - a.end < PREDICATE_REACH]
    if not before:
        return []
    nearest = max(before, key=lambda a: a.end)
    if any(a.start >= nearest.end and a.end <= cue.start for a in aspects if a is not nearest):
        return []
    between = range(nearest.end, cue.start)
    if any(doc.is_punct(i) for i in between):
        return []
    if not verb and not any(doc.doc[i].lemma_.lower() in COPULAS for i in between):
        return []
    return [a for a in before if (a.start, a.end) == (nearest.start, nearest.end)]


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
