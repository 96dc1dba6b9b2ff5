"""The rules applied to one sentence: aspect hits, exclusions, clauses, and the directions
each aspect mention gets from the cues of its clause."""
from __future__ import annotations

import bisect
import functools
from typing import Callable, Sequence

from qualcode.coding.keywords.direction import DIRECTION_BIT, negator, quantities
from qualcode.coding.keywords.hits import DocView, Found, Hit, MentionHit, SentenceResult, new_tuple
from qualcode.coding.keywords.rules import (ASPECT_INV, DEC, G_ASPECT, G_CUE, MATCH_KIND, NEG_CANCEL, OPP, RISK,
                                            CompiledRules)
from qualcode.coding.keywords.separable import find_particle
from qualcode.records import split_rule

_NO_BREAKS: tuple[int, ...] = ()
_NO_DIRECTION = ("none",)
_DIRECTIONS_BY_BITS = {0: ("none",), 1: ("opportunity",), 2: ("risk",), 3: ("opportunity", "risk")}


_NO_CUE = "counts only with a direction cue in its clause (here it names no effect on the work)"


def _is_question(doc: DocView, s_start: int, s_end: int) -> bool:
    """The sentence ends in a question mark (a closing quote or footnote number may follow)."""
    # a token whose lower-cased form is '?' is '?' itself
    question = doc.question
    lowers = doc.lowers
    return any(lowers[i] == question for i in range(max(s_start, s_end - 3), s_end))


def _about_staff(rules: CompiledRules, doc: DocView, aspects: list[Hit], s_start: int, s_end: int,
                 found: Callable[..., Found], cancelled: list[tuple[Found, str]]) -> list[Hit]:
    """The aspect hits that stand when the sentence names no staff: not a keyword of a code whose other
    holders ('leerlingen', 'systemen') the sentence names; not a keyword that needs the staff, unless the
    segment names them elsewhere (in an interview the speaker said 'ik als docent' a sentence before)."""
    tokens = doc.doc
    lowers, strings = doc.lowers, doc.strings
    others: dict[int, list[int]] = {}  # code -> the tokens naming another holder
    known = rules.holder_cache.get  # rules.holders without a call per token where the form is known
    for i in range(s_start, s_end):
        lower = lowers[i]
        staff, codes = known(lower) or rules.holders(lower, strings)
        if staff:
            return aspects
        for code in codes:
            others.setdefault(code, []).append(i)
    if doc.names_staff is None:
        doc.names_staff = any(rules.holders(lower, strings)[0] for lower in lowers)
    kept = []
    for hit in aspects:
        if split_rule(hit.rule)[1] in rules.only_about_staff[hit.code] and not doc.names_staff:
            cancelled.append((found(hit), "counts only when the segment names the staff (docenten, leraren, ik, ...)"))
        elif (holder := next((i for i in others.get(hit.code, ()) if not hit.start <= i < hit.end), None)) is not None:
            # (a holder inside the keyword itself, 'algoritme bepalen', is what the keyword is about)
            cancelled.append((found(hit), f"about '{tokens[holder].text}', not the staff: the sentence names no staff"))
        else:
            kept.append(hit)
    return kept


_PAIR_WORDS = frozenset({"en", "of", "/", "&", "and", "or", "en/of"})


def _unpaired(doc: DocView, cues: list[Hit], found: Callable[..., Found],
              cancelled: list[tuple[Found, str]]) -> list[Hit]:
    """Drop an opportunity cue and a risk cue joined by 'en'/'of' ('kansen en risico's', 'voor- en
    nadelen'): the pair names both sides of a topic, no direction."""
    paired: set[Hit] = set()
    for first in cues:
        if first.role != OPP and first.role != RISK:
            continue
        for second in cues:
            if second.start < first.end or (second.role != OPP and second.role != RISK) or second.role == first.role:
                continue
            between = [doc.strings[doc.lowers[i]] for i in range(first.end, second.start)]
            if 1 <= len(between) <= 2 and between[-1] in _PAIR_WORDS and all(
                    w in _PAIR_WORDS or w == "," for w in between):
                paired.update((first, second))
    if not paired:
        return cues
    for cue in paired:
        cancelled.append((found(cue), "an opportunity and a risk named together ('kansen en risico's'): no direction"))
    return [cue for cue in cues if cue not in paired]


def first_clause(token_index: int) -> int:
    """The clause of a token in a sentence without clause breaks."""
    return 0


def overlaps(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def analyse_sentence(rules: CompiledRules, doc: DocView, groups: tuple[list[Hit], ...], long_groups: int, s_start: int,
                     s_end: int, start_char: int, end_char: int, offset: int, trace: bool) -> SentenceResult | None:
    """The rules applied to one sentence. ``groups`` holds its hits sorted by
    what they do (aspects, cues, exclusions, separable verbs, negation words,
    clause breaks; see ``rules.GROUP_OF_ROLE``), each in text order; ``long_groups``
    has bit ``1 << group`` set when that group has a hit of several tokens.
    ``s_start``..``s_end`` are its tokens, ``start_char``..``end_char`` its
    characters in segment offsets."""
    aspects, cues, exclusions, separable, negation_hits, break_hits = groups
    if trace:
        fired = aspects + cues + exclusions  # every rule that fired, for the trace
    breaks: Sequence[int]  # the clause breaks' token positions, in order
    if break_hits:
        breaks = [hit.start for hit in break_hits]
        if len(breaks) > 1:
            breaks.sort()
    else:
        breaks = _NO_BREAKS

    # separable verbs count only when their particle closes the clause: 'kijk ... na'
    for hit in separable:
        verb = hit.extra
        position = find_particle(doc, hit.start, s_end, verb.particle, breaks)
        if position is None:
            continue
        target = verb.target
        resolved = new_tuple(Hit, (hit.start, hit.end, target.role, target.code, verb.name,
                                   doc.span_text(position, position + 1)))
        (aspects if resolved.role <= ASPECT_INV else cues).append(resolved)
        if trace:
            fired.append(resolved)
    if not aspects and not trace:
        return None

    code_ids = rules.code_ids
    clause_of = functools.partial(bisect.bisect_right, breaks) if breaks else first_clause
    made: dict[tuple, Found] = {}
    starts, ends = doc.offsets()
    text = doc.text

    def found(hit: Hit, kind: str | None = None, note: str = "") -> Found:
        # a hit as a Found, once per (hit, kind, note); hits are read by index here: this runs per hit
        key = (hit, kind, note)
        result = made.get(key)
        if result is None:
            start = starts[hit[0]]  # start
            end = ends[hit[1] - 1]  # end
            role = hit[2]
            if not note and role <= DEC and hit[5].__class__ is str:  # extra: a separable verb's particle
                note = f"with '{hit[5]}'"
            code = hit[3]
            result = made[key] = new_tuple(Found, (
                start + offset, end + offset, hit[4], kind or MATCH_KIND[role],
                text[start:end], code_ids[code] if code >= 0 else None, note,
            ))
        return result

    cancelled: list[tuple[Found, str]] = []

    # per code the longest hit wins over hits inside it, and one span counts once
    # (the first rule that found it: words before compounds before phrases)
    if len(aspects) > 1:
        kept: dict[tuple[int, int, int], Hit] = {}
        longer = [hit for hit in aspects if hit.end - hit.start > 1] if long_groups & (1 << G_ASPECT) else ()
        for hit in aspects:
            if longer and any(
                other.code == hit.code and other.start <= hit.start and hit.end <= other.end
                and other.end - other.start > hit.end - hit.start
                for other in longer
            ):
                continue
            key = (hit.code, hit.start, hit.end)
            if key not in kept:
                kept[key] = hit
        if len(kept) != len(aspects):
            aspects = list(kept.values())

    # exclusions, sentence scope: the hit they cover, or every hit of the code
    if exclusions:
        dropped = set()
        for code_index in {hit.code for hit in exclusions}:
            code_exclusions = [hit for hit in exclusions if hit.code == code_index]
            code_aspects = [hit for hit in aspects if hit.code == code_index]
            elsewhere = [ex for ex in code_exclusions if not any(overlaps(ex, aspect) for aspect in code_aspects)]
            for aspect in code_aspects:
                covering = [ex for ex in code_exclusions if overlaps(ex, aspect)]
                reason = covering[0] if covering else (elsewhere[0] if elsewhere else None)
                if reason is None:
                    continue
                dropped.add(aspect)
                pattern = split_rule(reason.rule)[1]
                shown_text = doc.span_text(reason.start, reason.end)
                shown = f"'{shown_text}'" if shown_text.lower() == pattern else f"'{shown_text}' ({pattern})"
                where = "covers this word" if covering else "in the same sentence"
                cancelled.append((found(aspect), f"exclusion {shown} {where}"))
        if dropped:
            aspects = [hit for hit in aspects if hit not in dropped]

    # who the sentence is about: the pupils' motivation, an AI system's autonomy
    if aspects and rules.has_holders:
        aspects = _about_staff(rules, doc, aspects, s_start, s_end, found, cancelled)

    if cues:
        # a cue inside a longer cue phrase is part of that phrase ('meer tijd' over 'meer')
        if long_groups & (1 << G_CUE) and len(cues) > 1:
            cues = [
                hit for hit in cues
                if not any(
                    other.start <= hit.start and hit.end <= other.end and other.end - other.start > hit.end - hit.start
                    for other in cues
                )
            ]
        if len(cues) > 1:
            cues = _unpaired(doc, cues, found, cancelled)
        negated: dict[Hit, Hit] = {}
        if negation_hits:
            negators: dict[int, Hit] = {}
            for hit in negation_hits:
                negators[hit.start] = hit
            negation = rules.codebook.negation
            for cue in cues:
                found_negator = negator(doc, cue, negators, clause_of, s_start, s_end, negation.before, negation.after)
                if found_negator is not None:
                    negated[cue] = found_negator
        attached, overridden, placed = quantities(rules, doc, aspects, cues, negated, breaks, clause_of, found, cancelled, trace)
    else:
        negated = {}
        attached = {}
        overridden = set()
        placed = set()

    # opportunity/risk cues act on every aspect of their clause: work them out
    # once per clause (and per negation setting), not once per aspect
    per_clause: dict[tuple[int, bool], tuple[int, tuple[Found, ...]]] = {}

    def clause_cues(clause: int, honour_negation: bool) -> tuple[int, tuple[Found, ...]]:
        bits = 0
        founds = []
        for cue in cues:
            role = cue.role
            if (role != OPP and role != RISK) or cue in overridden or (breaks and clause_of(cue.start) != clause):
                continue
            direction = "opportunity" if role == OPP else "risk"
            note = ""
            cue_negator = negated.get(cue) if honour_negation else None
            if cue_negator is not None:
                if cue_negator.role == NEG_CANCEL:
                    continue
                direction = "risk" if direction == "opportunity" else "opportunity"
                note = f"negated by '{doc.span_text(cue_negator.start, cue_negator.end)}'"
            bits |= DIRECTION_BIT[direction]
            founds.append(found(cue, direction, note))
        result = per_clause[(clause, honour_negation)] = (bits, tuple(founds))
        return result

    mentions: list[MentionHit] = []
    only_with_cue = rules.only_with_cue
    if not cues:
        # no cue in the sentence: every aspect has direction 'none'
        for aspect in aspects:
            if only_with_cue[aspect.code] and split_rule(aspect.rule)[1] in only_with_cue[aspect.code]:
                cancelled.append((found(aspect), _NO_CUE))
                continue
            mentions.append((code_ids[aspect.code], found(aspect), _NO_DIRECTION, ()))
    negates = rules.negates
    # clauses with a direction cue, also one a negation voids ('niet meer tijd' is still about time);
    # an increase/decrease cue only when it acts on an aspect ('en nog veel meer' names no effect)
    cue_clauses = {clause_of(cue.start) if breaks else 0 for cue in cues
                   if cue.role == OPP or cue.role == RISK or cue in placed} if cues else set()
    for aspect in aspects if cues else ():
        code = aspect.code
        clause_key = (clause_of(aspect.start) if breaks else 0, negates[code])
        bits, founds = per_clause.get(clause_key) or clause_cues(*clause_key)
        if attached:
            extra = attached.get(aspect)
            if extra is not None:
                bits |= extra[0]
                founds = founds + tuple(extra[1])
        if (only_with_cue[code] and (clause_of(aspect.start) if breaks else 0) not in cue_clauses
                and split_rule(aspect.rule)[1] in only_with_cue[code]):
            cancelled.append((found(aspect), _NO_CUE))
            continue
        mentions.append((code_ids[code], found(aspect), _DIRECTIONS_BY_BITS[bits], founds))
    undirected = None
    if mentions and cues:
        if _is_question(doc, s_start, s_end):
            undirected = "the sentence is a question: it names the aspect without a direction"
        elif rules.hedge is not None:
            hedge = rules.hedge.search(text[start_char - offset:end_char - offset].lower())
            if hedge is not None:
                undirected = f"the hedge '{hedge.group(0)}': the sentence names the aspect without a direction"
    if undirected is not None:
        # an open question or a hedge names the aspect without a direction ('Wat betekent AI voor de werkdruk?');
        # a word that is both the aspect and its direction keeps it ('onzekerheid over hun toekomst: ...?')
        undirected_mentions: list[MentionHit] = []
        for code_id, mention, _directions, given in mentions:
            own = tuple(c for c in given if c.start < mention.end and mention.start < c.end)
            cancelled.extend((c, undirected) for c in given if c not in own)
            own_bits = 0
            for c in own:
                own_bits |= DIRECTION_BIT.get(c.kind, 0)
            undirected_mentions.append((code_id, mention, _DIRECTIONS_BY_BITS[own_bits], own))
        mentions = undirected_mentions

    if not mentions and not trace:
        return None
    matches: list[Found] = []
    if trace:
        if not fired and not cancelled:
            return None
        matches = sorted({found(hit) for hit in fired})
    return SentenceResult(start_char, end_char, matches, mentions, cancelled)
