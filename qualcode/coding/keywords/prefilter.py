"""Which parts of a text can yield a suggestion, found without running the pipeline over it.

Only a sentence with an aspect hit (or a separable verb or phrase that may be one) is ever
analysed; in an interview that is one sentence in three or four, and a whole turn often has
none. The pipeline (tokenise, lemmatise, split sentences) is what costs: this module finds
the sentences that need it, so that the pipeline runs on them only, and the result is the
same as running it over the whole text. It stands on three facts, each checked in the code
(when one does not hold, the text goes through the pipeline whole):

* **Tokens do not cross whitespace.** spaCy's tokenizer cuts a text at whitespace first and
  tokenises each run of non-space characters on its own; the one thing that looks across a
  run's edge is its matcher of special cases, and only for a few punctuation tokens
  (:attr:`Prefilter.risky_starts`). So the tokens of a run can be worked out once per
  distinct run, with the very tokenizer, lemmatiser and per-form rule cache of the full path
  (:meth:`Prefilter.classify`): a run is a *candidate* if one of its tokens fires an aspect
  rule, is a separable verb that may be one, or is the first anchor of an aspect phrase.
  A sentence without a candidate run cannot be analysed by the full path; nothing is
  guessed from spellings or inflections, so any key a codebook adds is covered as well.
* **The sentencizer starts afresh after a sentence-final token.** Where a run whose last
  token is a sentence-final character (``.``, ``?``, ...) is followed by one space and a
  run whose first token is not punctuation, the next sentence starts whatever came before
  (:meth:`Prefilter.windows` cuts only there). A window of whole sentences between such
  cuts is split into the same sentences as the whole text.
* **A sentence's analysis reads its own tokens, one token after it and whether the segment
  names the staff.** A window is its candidate sentences plus the first run after them;
  whether the segment names the staff comes from the runs (:attr:`Prefilter.staff`).
  A phrase pattern that could match across a sentence end (one with a punctuation token
  before its last token) turns windows off for that codebook.

The default pipeline only (``build_pipeline(language)``): a trained one splits sentences by
a model, which looks at the whole text.
"""
from __future__ import annotations

import re
import weakref
from bisect import bisect_right
from itertools import accumulate, compress
from typing import Any, Callable, Iterable

from qualcode.coding.keywords.rules import (ASPECT_INV, HAS_ANCHOR, HAS_ASPECT, HAS_SEPARABLE, CompiledRules,
                                            hyphen_variants)
from qualcode.coding.keywords.runflags import (ANCHOR, CANDIDATE, ENDS_SENTENCE, OPENS_SENTENCE, PARTICLE, SEPARABLE,
                                               STAFF)
from qualcode.coding.keywords.runflags import MARKS as _MARKS

_compiled_windows: Callable[[Any, str], tuple[list[tuple[int, int]], bool | None]] | None
try:  # built from _windows.pyx at install where a C compiler was found (setup.py); else the Python below
    from qualcode.coding.keywords._windows import windows as _compiled_windows
except ImportError:  # pragma: no cover - depends on the install
    _compiled_windows = None

_CACHE_LIMIT = 500_000  # distinct runs kept; beyond it the cache starts over (memory stays bounded)
_RUN = re.compile(r"\S+")
# the Dutch correction of sentence ends after the sentencizer (coding/sentences.py): it looks at a
# token and the one or two after it, so only a cut right after 'm.b.v' + '.' is in question there
_SENTENCE_FIX = "qualcode_sentence_fix"


class Prefilter:
    """The candidate sentences of a text for one compiled codebook and pipeline."""

    def __init__(self, rules: CompiledRules, nlp: Any):
        from qualcode.coding.nlp import lemma

        self.rules = rules
        self.tokenizer = nlp.tokenizer
        self.strings = nlp.vocab.strings
        self.language = rules.language
        self._lemma = lemma
        self.punct_chars = frozenset(nlp.get_pipe("sentencizer").punct_chars)
        self._inner_stops = None
        if _SENTENCE_FIX in nlp.pipe_names:
            # after an abbreviation with inner full stops and its last one split off ('m.b.v' '.'), the
            # correction may take back the sentence start the sentencizer made: no cut there
            from qualcode.coding.sentences import _INNER_STOPS

            self._inner_stops = _INNER_STOPS
        self._special_inner, self._special_outer = _special_case_tokens(self.tokenizer)
        self._first, self._second = _aspect_phrase_anchors(rules, nlp)
        self._particle_hashes = frozenset(rules.particles.values())
        self._lemmas: dict[int, int] = {}  # hash of a lower-cased form -> hash of its lemma
        self.flags: dict[str, int] = {}
        self.interesting: set[str] = set()  # runs flagged CANDIDATE, ANCHOR or SEPARABLE
        self.anchors: dict[str, tuple[int, int]] = {}  # run -> (first, second) bits, see CompiledRules.anchor_bits
        self.needs: dict[str, frozenset[int]] = {}  # run -> the particles its separable verbs need ('kijk': 'na')
        self.particles: dict[str, frozenset[int]] = {}  # run -> the particles among its tokens
        self.staff: set[str] = set()
        self.risky_starts: set[str] = set()  # runs whose first token may end a special case begun before
        self.risky_ends: set[str] = set()  # runs whose last token may begin one

    def _clear(self) -> None:
        for table in (self.flags, self.interesting, self.anchors, self.needs, self.particles, self.staff,
                      self.risky_starts, self.risky_ends, self._lemmas):
            table.clear()

    # -- classifying runs (once per distinct run)

    def classify(self, runs: set[str]) -> None:
        """Tokenise runs not seen before, one doc for all of them, and record their flags."""
        ordered = list(runs)
        # a newline between runs is a token of its own, so no special case reaches from one run into the next
        doc = self.tokenizer("\n".join(ordered))
        rules, strings, language, lemma = self.rules, self.strings, self.language, self._lemma
        by_lower = rules.cache_by_lower
        by_lemma = self._lemmas
        first_anchors, second_anchors, particle_hashes = self._first, self._second, self._particle_hashes
        punct_chars = self.punct_chars
        with_staff = bool(rules.staff)
        tokens = iter(doc)
        for run in ordered:
            flags = first_bits = second_bits = 0
            first = last = before_last = None
            needs: set[int] = set()
            particles: set[int] = set()
            for token in tokens:
                if token.is_space:
                    break
                if first is None:
                    first = token
                before_last, last = last, token
                lower = token.lower
                form_lemma_hash = by_lemma.get(lower)
                if form_lemma_hash is None:  # the lemma the pipeline gives (nlp._LemmaComponent)
                    form_lemma_hash = by_lemma[lower] = strings.add(lemma(strings[lower], language))
                found = by_lower.get(lower)
                if found is None:  # as scan.analyse_doc does
                    found = by_lower[lower] = rules.form_rules((lower, form_lemma_hash), strings)
                if found:
                    if found.flags & HAS_ASPECT:
                        flags |= CANDIDATE
                    if found.flags & HAS_SEPARABLE:
                        needs.update(found.particles)
                    if found.flags & HAS_ANCHOR:  # an anchor of some phrase: may be one of an aspect phrase
                        form_lemma = strings[by_lemma[lower]]
                        first_bits |= first_anchors.get(form_lemma, 0)
                        second_bits |= second_anchors.get(form_lemma, 0)
                if lower in particle_hashes:
                    particles.add(lower)
                if with_staff and rules.holders(lower, strings)[0]:
                    flags |= STAFF
            if first is None or last is None:  # pragma: no cover - a run has at least one token
                raise AssertionError(f"no token in the run {run!r}")
            if not first.is_punct and first.text not in punct_chars:
                flags |= OPENS_SENTENCE
            if last.text in punct_chars and not (
                    self._inner_stops is not None and last.text == "." and before_last is not None
                    and self._inner_stops.match(before_last.lower_)):
                flags |= ENDS_SENTENCE
            if first.text in self._special_inner:
                self.risky_starts.add(run)
            if last.text in self._special_outer:
                self.risky_ends.add(run)
            if first_bits or second_bits:
                self.anchors[run] = (first_bits, second_bits)
            if first_bits:
                flags |= ANCHOR
            if needs:
                flags |= SEPARABLE
                self.needs[run] = frozenset(needs)
            if particles:
                flags |= PARTICLE
                self.particles[run] = frozenset(particles)
            if flags & STAFF:
                self.staff.add(run)
            if flags & (CANDIDATE | ANCHOR | SEPARABLE):
                self.interesting.add(run)
            self.flags[run] = flags

    # -- the windows of one text

    def _may_hold_aspect(self, runs: Iterable[str]) -> bool:
        """Whether runs without an aspect word may hold an aspect phrase (both its anchors occur)
        or a separable verb that may be one (with its particle). Only which runs occur counts,
        not how often or where, so the runs that carry anything are picked by set intersections."""
        block = set(runs)
        first = second = 0
        anchors = self.anchors
        for run in anchors.keys() & block:
            bits = anchors[run]
            first |= bits[0]
            second |= bits[1]
        if first & second:
            return True
        verbs = self.needs.keys() & block
        if not verbs:
            return False
        needs: set[int] = set()
        for run in verbs:
            needs.update(self.needs[run])
        particles = self.particles
        return any(not needs.isdisjoint(particles[run]) for run in particles.keys() & block)

    def joinable(self, last_run: str, first_run: str, window: str) -> bool:
        """Whether a window can follow another (whose last run is ``last_run``) after one space in one
        doc and start a sentence there as in its own text: the other ends with a sentence-final token,
        the window starts with a token that opens a sentence, no special case reaches across, and
        the window has no whitespace at either end."""
        flags = self.flags
        return bool(
            window and not window[0].isspace() and not window[-1].isspace()
            and flags.get(last_run, 0) & ENDS_SENTENCE and flags.get(first_run, 0) & OPENS_SENTENCE
            and not (last_run in self.risky_ends and first_run in self.risky_starts))

    def classify_missing(self, runs: list[str]) -> None:
        """Classify the runs of a text that are not known yet (the cache starts over when full)."""
        known = self.flags
        missing = set(runs).difference(known)
        if len(known) + len(missing) > _CACHE_LIMIT:
            self._clear()
            missing = set(runs)
        self.classify(missing)

    def windows(self, text: str) -> tuple[list[tuple[int, int]], bool | None]:
        """The parts of ``text`` to run the pipeline on, as (start, end), and whether the text names
        the staff. No part: nothing in the text can be suggested. The whole text (and None: the
        doc tells) when a special case of the tokenizer may reach across a run's edge.

        The compiled module ``_windows`` does this where it was built (at install, with a C
        compiler); :meth:`reference_windows` is the same in Python, and the reference the tests hold
        it to."""
        if _compiled_windows is not None:
            return _compiled_windows(self, text)
        return self.reference_windows(text)

    def reference_windows(self, text: str) -> tuple[list[tuple[int, int]], bool | None]:
        """:meth:`windows` in Python."""
        runs = text.split()
        known = self.flags
        try:
            flags = list(map(known.__getitem__, runs))
        except KeyError:  # runs seen for the first time
            self.classify_missing(runs)
            flags = list(map(known.__getitem__, runs))
        if self.interesting.isdisjoint(runs):
            return [], not self.staff.isdisjoint(runs)
        names_staff = not self.staff.isdisjoint(runs)
        if not self.risky_starts.isdisjoint(runs):
            risky_starts, risky_ends = self.risky_starts, self.risky_ends
            for previous, run in zip(runs, runs[1:]):
                if run in risky_starts and previous in risky_ends:
                    return [(0, len(text))], None
        count = len(runs)
        regular = text.count(" ") == count - 1 and len(text) == sum(map(len, runs)) + count - 1
        if regular:  # one space between runs: a run starts after the runs before it and their spaces
            starts = list(accumulate(map((1).__add__, map(len, runs[:-1])), initial=0))
        else:
            starts = [match.start() for match in _RUN.finditer(text)]
        # where a sentence surely starts: a run that opens one after a sentence-final token and one space
        cuts = [run for run in compress(range(1, count), map(ENDS_SENTENCE.__and__, flags))
                if flags[run] & OPENS_SENTENCE
                and (regular or (starts[run] == starts[run - 1] + len(runs[run - 1]) + 1
                                 and text[starts[run] - 1] == " "))]
        last_cut = len(cuts)

        # the blocks (whole sentences between cuts) around the marked runs, and whether they may yield a mention
        blocks: list[tuple[int, int]] = []
        block_start = block_end = 0
        for index in compress(range(count), map(_MARKS.__and__, flags)):
            if index < block_end:  # in the block of the run before: its runs were looked at already
                if (blocks and blocks[-1][1] == block_end) or not flags[index] & CANDIDATE:
                    continue
                blocks.append((block_start, block_end))
                continue
            cut = bisect_right(cuts, index)
            block_start = cuts[cut - 1] if cut else 0
            block_end = cuts[cut] if cut < last_cut else count
            if flags[index] & CANDIDATE or self._may_hold_aspect(runs[block_start:block_end]):
                blocks.append((block_start, block_end))
        windows: list[tuple[int, int]] = []
        for block_start, block_end in blocks:
            start = starts[block_start] if block_start else 0
            end = len(text) if block_end == count else starts[block_end - 1] + len(runs[block_end - 1])
            if windows and windows[-1][1] == start - 1:  # right after the previous block: one window
                start = windows.pop()[0]
            windows.append((start, end))
        return windows, names_staff


def _special_case_tokens(tokenizer: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The tokens of the tokenizer's multi-token special cases that may stand after another token of
    the same case (inner) or before one (outer): only there can a special case reach across runs."""
    from spacy.tokenizer import Tokenizer

    plain = Tokenizer(tokenizer.vocab, rules={}, prefix_search=tokenizer.prefix_search,
                      suffix_search=tokenizer.suffix_search, infix_finditer=tokenizer.infix_finditer,
                      token_match=tokenizer.token_match, url_match=tokenizer.url_match)
    cases = [case for case in tokenizer.rules
             if tokenizer.find_prefix(case) or tokenizer.find_infix(case) or tokenizer.find_suffix(case)
             or any(char.isspace() for char in case)]  # the others match a whole run only (add_special_case)
    inner: set[str] = set()
    outer: set[str] = set()
    tokens: list[str] = []
    # one doc for all of them, a newline between: without special cases nothing reaches across it
    for token in plain("\n".join(case for case in cases if not any(char.isspace() for char in case))):
        if not token.is_space:
            tokens.append(token.text)
            continue
        if len(tokens) > 1:
            inner.update(tokens[1:])
            outer.update(tokens[:-1])
        tokens = []
    if len(tokens) > 1:
        inner.update(tokens[1:])
        outer.update(tokens[:-1])
    # a case with whitespace in it is whitespace only (' ', '\n' ...): one token, it never spans runs
    return frozenset(inner), frozenset(outer)


def _aspect_phrase_anchors(rules: CompiledRules, nlp: Any) -> tuple[dict[str, int], dict[str, int]]:
    """Two anchor lemmas per pattern of an aspect phrase, one bit per pattern, as CompiledRules.anchor_bits
    but preferring words that are not stop words: a pattern can match only where both its anchors
    are, and a stop word is nearly everywhere."""
    from qualcode.coding.nlp import lemma

    stop_words = nlp.Defaults.stop_words
    first: dict[str, int] = {}
    second: dict[str, int] = {}
    strings = nlp.vocab.strings
    bit = 1
    for key, phrase_rules in rules.phrase_rules.items():
        if not any(rule.role <= ASPECT_INV for rule in phrase_rules):
            continue
        phrase = strings[key].split(":", 1)[1]  # the key is 'qc<n>:<phrase>' (rules._add_phrase)
        for variant in hyphen_variants(phrase):
            lemmas = sorted({lemma(token.lower_, rules.language) for token in nlp.tokenizer(variant)},
                            key=lambda form: (form in stop_words, -len(form), form))
            if not lemmas:
                continue
            first[lemmas[0]] = first.get(lemmas[0], 0) | bit
            anchor = lemmas[1] if len(lemmas) > 1 else lemmas[0]
            second[anchor] = second.get(anchor, 0) | bit
            bit <<= 1
    return first, second


def _phrase_may_cross(rules: CompiledRules, nlp: Any, punct_chars: frozenset[str]) -> bool:
    """Whether a phrase pattern may match across a sentence end.

    The token before a sentence start is punctuation (a sentence-final character, or punctuation
    after one), and the sentence-final character stands in the match or before it, with only
    punctuation between. The matcher compares lemmas, so a pattern crosses only if the lemma of
    one of its tokens before the last could be a punctuation token's lemma, with a sentence-final
    character's lemma at or before it, or nothing but punctuation lemmas from its start."""
    from qualcode.coding.nlp import lemma, punctuation_lemmas

    language = rules.language
    table_lemmas = punctuation_lemmas(language)
    final_lemmas = {lemma(char, language) for char in punct_chars}

    def punct_lemma(form_lemma: str) -> bool:
        # a form without letters or digits keeps a lemma that starts with one of its own characters,
        # unless the lookup tables give it one (see nlp.lemma)
        return not form_lemma or not form_lemma[0].isalnum() or form_lemma in table_lemmas

    strings = nlp.vocab.strings
    for key in rules.phrase_rules:
        phrase = strings[key].split(":", 1)[1]  # the key is 'qc<n>:<phrase>' (rules._add_phrase)
        for variant in hyphen_variants(phrase):
            lemmas = [lemma(token.lower_, language) for token in nlp.tokenizer(variant)]
            for position in range(len(lemmas) - 1):
                if not punct_lemma(lemmas[position]):
                    continue
                opening = lemmas[:position + 1]
                if any(form_lemma in final_lemmas for form_lemma in opening) or all(map(punct_lemma, opening)):
                    return True
    return False


_PREFILTERS: "weakref.WeakKeyDictionary[CompiledRules, Prefilter | None]" = weakref.WeakKeyDictionary()


def prefilter_for(rules: CompiledRules, nlp: Any) -> Prefilter | None:
    """The prefilter of a compiled codebook for the default pipeline, or None where windows
    would not be exact (another pipeline, a phrase that may cross a sentence end); cached on
    the rules."""
    if rules in _PREFILTERS:
        return _PREFILTERS[rules]
    prefilter = None
    if _default_pipeline(nlp) and not _staff_matches_space(rules):
        punct_chars = frozenset(nlp.get_pipe("sentencizer").punct_chars)
        # a window ends with a sentence-final token, so the token after a particle is always inside it
        if not _phrase_may_cross(rules, nlp, punct_chars) and punct_chars.isdisjoint(rules.particles):
            prefilter = Prefilter(rules, nlp)
    _PREFILTERS[rules] = prefilter
    return prefilter


def _default_pipeline(nlp: Any) -> bool:
    """The pipeline of build_pipeline(language), with spaCy's own tokenizer and no special case that
    holds whitespace among other characters (one that could join two runs)."""
    from spacy.tokenizer import Tokenizer

    from qualcode.coding.nlp import LEMMATIZER_NAME, pipeline_spec

    spec = pipeline_spec(nlp)
    return (spec is not None and spec.get("model") is None and type(nlp.tokenizer) is Tokenizer
            and list(nlp.pipe_names) in ([LEMMATIZER_NAME, "sentencizer"],
                                         [LEMMATIZER_NAME, "sentencizer", _SENTENCE_FIX])
            and not any(case.strip() and any(char.isspace() for char in case) for case in nlp.tokenizer.rules))


def _staff_matches_space(rules: CompiledRules) -> bool:
    """A staff pattern a whitespace token could match (whitespace is in no run): one whose
    letters, '*' aside, are all whitespace."""
    return any(not pattern.replace("*", "").strip() for pattern in rules.codebook.staff)
