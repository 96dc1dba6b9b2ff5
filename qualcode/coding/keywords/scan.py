"""The scan of one doc: every token's rules from the per-form cache, the phrase matcher
where a phrase can match, and the sentences that may yield a mention handed to the
sentence analysis. Also the split of a text too long for the pipeline into pieces."""
from __future__ import annotations

import re
from bisect import bisect_right
from itertools import compress
from typing import Any, Iterator, Sequence, cast

from qualcode.coding.keywords.hits import DocView, Hit, SentenceResult, new_tuple
from qualcode.coding.keywords.rules import ASPECT_INV, GROUP_OF_ROLE, HAS_ANCHOR, HAS_ASPECT, HAS_SEPARABLE, CompiledRules, FormRules
from qualcode.coding.keywords.sentence import analyse_sentence
from qualcode.coding.keywords.separable import PARTICLE_REACH
from qualcode.coding.nlp import LOWERS_KEY

_ATTRS: tuple[int, int] | None = None


def _load_attrs() -> tuple[int, int]:
    """spaCy's LOWER and LEMMA attribute ids, imported once (spaCy loads lazily)."""
    global _ATTRS
    from spacy.attrs import LEMMA, LOWER

    _ATTRS = (LOWER, LEMMA)
    return _ATTRS


def analyse_doc(rules: CompiledRules, doc: Any, text: str, offset: int, trace: bool,
                names_staff: bool | None = None, windows: Sequence[tuple[int, int, bool]] | None = None,
                where: list[int] | None = None) -> list[SentenceResult]:
    """The sentences of one doc with aspect mentions (with ``trace``: with any rule).

    ``text`` is the text the doc was made from (``doc.text`` rebuilds it token by
    token, which costs as much as the matching). Offsets in the results are
    ``offset`` + character offsets in ``doc``. ``names_staff``: whether the segment
    names the staff, when ``doc`` is only a window of it (None: the doc tells).

    ``windows``: ``doc`` is several windows of texts joined, each (its first character in
    ``doc``, the offset of its results, whether its segment names the staff), in order; the
    number of each result's window goes into ``where``.

    The per-token work is done at C speed where it can be: one ``map`` of the
    per-form cache over the doc's lower-form hashes, and ``compress`` to keep the
    tokens that fire a rule. Only sentences with an aspect hit (or a separable
    verb that may be one) are then looked at, unless tracing.
    """
    strings = doc.vocab.strings
    size = len(doc)
    lowers = doc.user_data.get(LOWERS_KEY)
    if lowers is not None and len(lowers) == size:
        # qualcode's own lemmatiser: the lemma follows from the lower-cased form
        by_lower = rules.cache_by_lower
        try:
            per_token = list(map(by_lower.__getitem__, lowers))
        except KeyError:  # forms seen for the first time: match each once
            for lower in set(lowers).difference(by_lower):
                by_lower[lower] = rules.form_rules((lower, doc[lowers.index(lower)].lemma), strings)
            per_token = list(map(by_lower.__getitem__, lowers))
    else:
        lower_attr, lemma_attr = _ATTRS or _load_attrs()
        lowers = doc.to_array(lower_attr).tolist()
        by_form = rules.cache
        keys: list[tuple[int, int]] = list(zip(lowers, doc.to_array(lemma_attr).tolist()))
        try:
            per_token = list(map(by_form.__getitem__, keys))
        except KeyError:  # forms seen for the first time: match each once (form_rules caches it)
            for key in set(keys).difference(by_form):
                rules.form_rules(key, strings)
            per_token = list(map(by_form.__getitem__, keys))
    # NO_RULES (an empty tuple) for a form without rules: compress keeps the tokens that fire something
    hit_indices = list(compress(range(size), per_token))
    if not hit_indices:
        return []
    # compress with the entries as their own selectors drops NO_RULES, the only falsy entry: all FormRules
    hits = cast("list[FormRules]", list(compress(per_token, per_token)))
    flags = 0
    first_bits = second_bits = 0
    for found in hits:
        form_flags = found.flags
        flags |= form_flags
        if form_flags & HAS_ANCHOR:
            first_bits |= found.first_bits
            second_bits |= found.second_bits
    has_aspect = bool(flags & HAS_ASPECT)
    if not has_aspect and flags & HAS_SEPARABLE:
        # 'werk' may be half of 'samenwerken': only if 'samen' occurs
        present = set(lowers)
        has_aspect = any(
            rules.particles[rule.separable.particle] in present
            for found in hits if found.flags & HAS_SEPARABLE
            for rule in found.rules if rule.separable is not None  # set on SEP rules only
        )
    phrase_hits: list[Hit] = []
    # The phrase matcher runs only where a phrase can match (both its anchors
    # occur) and an aspect can come of it: an aspect phrase, or cue and
    # exclusion phrases next to an aspect hit.
    possible = first_bits & second_bits
    if possible and (
        possible & rules.aspect_phrase_bits or (possible & rules.other_phrase_bits and (has_aspect or trace))
    ):
        phrase_rules = rules.phrase_rules
        for match_id, start, end in rules.phrase_matcher(doc):
            for rule in phrase_rules.get(match_id, ()):
                phrase_hits.append(Hit(start, end, rule.role, rule.code, rule.name))
                if rule.role <= ASPECT_INV:
                    has_aspect = True
    if not has_aspect and not trace:
        return []

    # The token positions whose sentences are analysed: those of aspect hits
    # (or separable verbs that may be one), as no other sentence can yield a
    # mention; when tracing, those of every hit.
    if trace:
        targets = hit_indices + [hit.start for hit in phrase_hits]
    else:
        targets = []
        for index, found in zip(hit_indices, hits):
            form_flags = found.flags
            if form_flags & HAS_ASPECT:
                targets.append(index)
            elif form_flags & HAS_SEPARABLE:
                # 'werk' is half of 'samenwerken' only if 'samen' follows within reach
                following = lowers[index + 1:index + 1 + PARTICLE_REACH]
                if any(particle in following for particle in found.particles):
                    targets.append(index)
        targets += [hit.start for hit in phrase_hits if hit.role <= ASPECT_INV]
        if not targets:
            return []
    if phrase_hits:
        targets.sort()

    view = DocView(doc, text, lowers, names_staff)
    results = []
    target, last_target = 0, len(targets)
    position, hit_count = 0, len(hit_indices)
    window_starts = [window[0] for window in windows] if windows else None
    # phrase hits come in token order: then each sentence takes its own with a moving index
    phrase_count = len(phrase_hits)
    phrases_in_order = all(phrase_hits[i].start <= phrase_hits[i + 1].start for i in range(phrase_count - 1))
    phrase_position = 0
    starts, ends = view.offsets()
    # walk the sentences up to the last one wanted
    for s_start, s_end in sentence_bounds(doc):
        if targets[target] >= s_end:
            continue
        while target < last_target and targets[target] < s_end:
            target += 1
        # the sentence's hits by group: token hits in token order, then phrase hits
        groups: tuple[list[Hit], ...] = ([], [], [], [], [], [])
        long_groups = 0  # bit per group with a hit of more than one token
        while position < hit_count and hit_indices[position] < s_start:
            position += 1
        while position < hit_count:
            index = hit_indices[position]
            if index >= s_end:
                break
            span = (index, index + 1)
            for group, template in hits[position].templates:
                groups[group].append(new_tuple(Hit, span + template))
            position += 1
        if phrases_in_order:
            while phrase_position < phrase_count and phrase_hits[phrase_position].start < s_start:
                phrase_position += 1
            sentence_phrases = []
            while phrase_position < phrase_count and phrase_hits[phrase_position].start < s_end:
                sentence_phrases.append(phrase_hits[phrase_position])
                phrase_position += 1
        else:
            sentence_phrases = [hit for hit in phrase_hits if s_start <= hit.start < s_end]
        for hit in sentence_phrases:
            group = GROUP_OF_ROLE[hit.role]
            groups[group].append(hit)
            if hit.end - hit.start > 1:
                long_groups |= 1 << group
        start_char = starts[s_start]
        if window_starts is not None and windows is not None:
            window = bisect_right(window_starts, start_char) - 1
            _, offset, view.names_staff = windows[window]
        result = analyse_sentence(rules, view, groups, long_groups, s_start, s_end, start_char + offset,
                                  ends[s_end - 1] + offset, offset, trace)
        if result is not None:
            results.append(result)
            if where is not None and window_starts is not None:
                where.append(window)
        if target == last_target:
            break
    return results


def sentence_bounds(doc: Any) -> Iterator[tuple[int, int]]:
    """The (first token, token after the last) of each sentence of ``doc``, as ``doc.sents`` gives
    them, read from the sentence starts array (a Span per sentence costs more than its analysis
    of a sentence without a hit)."""
    if "sents" in doc.user_hooks or not doc.has_annotation("SENT_START"):
        yield from ((sent.start, sent.end) for sent in doc.sents)  # (which raises without sentences)
        return
    from spacy.attrs import SENT_START

    size = len(doc)
    # doc.sents starts a sentence at the first token and at every token whose sent_start is 1
    flags = doc.to_array(SENT_START)
    bounds = (flags[1:] == 1).nonzero()[0].tolist()
    start = 0
    for bound in bounds:
        yield start, bound + 1
        start = bound + 1
    if start < size:
        yield start, size


def pieces(text: str, max_length: int) -> list[tuple[int, str]]:
    """Split text longer than the pipeline's max_length at paragraph, then
    sentence, then word boundaries; each piece with its offset in ``text``."""
    if len(text) <= max_length:
        return [(0, text)]
    out = []
    start = 0
    while len(text) - start > max_length:
        window = text[start:start + max_length]
        cut = window.rfind("\n\n")
        if cut <= 0:
            ends = [m.end() for m in re.finditer(r"[.!?…]['\"”’)]*\s", window)]
            cut = ends[-1] if ends else -1
        if cut <= 0:
            cut = max(window.rfind(" "), window.rfind("\n"))
        if cut <= 0:
            cut = max_length
        out.append((start, text[start:start + cut]))
        start += cut
    out.append((start, text[start:]))
    return out
