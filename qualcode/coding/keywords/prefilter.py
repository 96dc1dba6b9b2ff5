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
from itertools import accumulate, compress
from typing import Any

from qualcode.coding.keywords.rules import HAS_ASPECT, HAS_SEPARABLE, CompiledRules, hyphen_variants

# A run's flags: a token fires an aspect rule; is an anchor of an aspect phrase; is a separable verb
# that may be an aspect; is the particle of one; names the staff; its last token is a sentence-final
# character; its first token may open a sentence (it is neither punctuation nor sentence-final).
CANDIDATE, ANCHOR, SEPARABLE, PARTICLE, STAFF, ENDS_SENTENCE, OPENS_SENTENCE = 1, 2, 4, 8, 16, 32, 64
_MARKS = CANDIDATE | ANCHOR | SEPARABLE | PARTICLE | ENDS_SENTENCE  # the runs windows() looks at
_CACHE_LIMIT = 500_000  # distinct runs kept; beyond it the cache starts over (memory stays bounded)
_RUN = re.compile(r"\S+")


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
        self._special_inner, self._special_outer = _special_case_tokens(self.tokenizer)
        self._aspect_bits = rules.aspect_phrase_bits
        self._particle_hashes = frozenset(rules.particles.values())
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
                      self.risky_starts, self.risky_ends):
            table.clear()

    # -- classifying runs (once per distinct run)

    def classify(self, runs: set[str]) -> None:
        """Tokenise runs not seen before, one doc for all of them, and record their flags."""
        ordered = list(runs)
        # a newline between runs is a token of its own, so no special case reaches from one run into the next
        doc = self.tokenizer("\n".join(ordered))
        rules, strings, language, lemma = self.rules, self.strings, self.language, self._lemma
        by_lower = rules.cache_by_lower
        aspect_bits, particle_hashes = self._aspect_bits, self._particle_hashes
        punct_chars = self.punct_chars
        with_staff = bool(rules.staff)
        tokens = iter(doc)
        for run in ordered:
            flags = first_bits = second_bits = 0
            first = last = None
            needs: set[int] = set()
            particles: set[int] = set()
            for token in tokens:
                if token.is_space:
                    break
                if first is None:
                    first = token
                last = token
                lower = token.lower
                found = by_lower.get(lower)
                if found is None:  # as scan.analyse_doc does, with the lemma the pipeline gives
                    found = by_lower[lower] = rules.form_rules((lower, strings.add(lemma(strings[lower], language))),
                                                               strings)
                if found:
                    if found.flags & HAS_ASPECT:
                        flags |= CANDIDATE
                    if found.flags & HAS_SEPARABLE:
                        needs.update(found.particles)
                    first_bits |= found.first_bits & aspect_bits
                    second_bits |= found.second_bits & aspect_bits
                if lower in particle_hashes:
                    particles.add(lower)
                if with_staff and rules.holders(lower, strings)[0]:
                    flags |= STAFF
            if first is None or last is None:  # pragma: no cover - a run has at least one token
                raise AssertionError(f"no token in the run {run!r}")
            if not first.is_punct and first.text not in punct_chars:
                flags |= OPENS_SENTENCE
            if last.text in punct_chars:
                flags |= ENDS_SENTENCE
            if first.text in self._special_inner:
                self.risky_starts.add(run)
            if last.text in self._special_outer:
                self.risky_ends.add(run)
            if first_bits or second_bits:
                flags |= ANCHOR
                self.anchors[run] = (first_bits, second_bits)
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

    def windows(self, text: str) -> tuple[list[tuple[int, int]], bool | None]:
        """The parts of ``text`` to run the pipeline on, as (start, end), and whether the text names
        the staff. No part: nothing in the text can be suggested. The whole text (and None: the
        doc tells) when a special case of the tokenizer may reach across a run's edge."""
        runs = text.split()
        known = self.flags
        try:
            flags = list(map(known.__getitem__, runs))
        except KeyError:  # runs seen for the first time
            missing = set(runs).difference(known)
            if len(known) + len(missing) > _CACHE_LIMIT:
                self._clear()
                missing = set(runs)
            self.classify(missing)
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
        ends = list(accumulate(map(len, runs)))  # ends[i]: the characters of runs 0..i
        regular = text.count(" ") == count - 1 and len(text) == ends[-1] + count - 1
        # where each run starts: with one space between runs, from their lengths
        starts = [0] + [end + i for i, end in enumerate(ends[:-1], 1)] if regular else [
            match.start() for match in _RUN.finditer(text)]
        blocks: list[tuple[int, bool]] = []  # (first run, holds a candidate) per block of whole sentences
        block = 0
        strong = False
        first = second = 0
        needs: set[int] = set()
        present: set[int] = set()
        anchors, need_of, particles_of = self.anchors, self.needs, self.particles
        for i in compress(range(count), map(_MARKS.__and__, flags)):
            run_flags = flags[i]
            if run_flags & CANDIDATE:
                strong = True
            if run_flags & ANCHOR:
                first_bits, second_bits = anchors[runs[i]]
                first |= first_bits
                second |= second_bits
            if run_flags & SEPARABLE:
                needs |= need_of[runs[i]]
            if run_flags & PARTICLE:
                present |= particles_of[runs[i]]
            following = i + 1
            # a cut: a sentence-final token, one space, a token that opens a sentence
            if (run_flags & ENDS_SENTENCE and following < count and flags[following] & OPENS_SENTENCE
                    and (regular or (starts[following] == starts[i] + len(runs[i]) + 1
                                     and text[starts[following] - 1] == " "))):
                blocks.append((block, strong or bool(first & second) or not needs.isdisjoint(present)))
                block = following
                strong = False
                first = second = 0
                needs, present = set(), set()
        blocks.append((block, strong or bool(first & second) or not needs.isdisjoint(present)))
        windows: list[tuple[int, int]] = []
        window = -1  # the first run of the window being grown, -1 for none
        for block, candidate in blocks:
            if candidate:
                if window < 0:
                    window = block
            elif window >= 0:
                # the window ends with its last candidate block, plus the run after it (one token of look-ahead)
                windows.append((starts[window] if window else 0, starts[block] + len(runs[block])))
                window = -1
        if window >= 0:
            windows.append((starts[window] if window else 0, len(text)))
        return windows, names_staff


def _special_case_tokens(tokenizer: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The tokens of the tokenizer's multi-token special cases that may stand after another token of
    the same case (inner) or before one (outer): only there can a special case reach across runs."""
    from spacy.tokenizer import Tokenizer

    plain = Tokenizer(tokenizer.vocab, rules={}, prefix_search=tokenizer.prefix_search,
                      suffix_search=tokenizer.suffix_search, infix_finditer=tokenizer.infix_finditer,
                      token_match=tokenizer.token_match, url_match=tokenizer.url_match)
    inner: set[str] = set()
    outer: set[str] = set()
    for case in tokenizer.rules:
        if not (tokenizer.find_prefix(case) or tokenizer.find_infix(case) or tokenizer.find_suffix(case)
                or any(char.isspace() for char in case)):
            continue  # matched as a whole run only (see Tokenizer.add_special_case)
        tokens = [token.text for token in plain(case)]
        if len(tokens) > 1:
            inner.update(tokens[1:])
            outer.update(tokens[:-1])
    return frozenset(inner), frozenset(outer)


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
        if not _phrase_may_cross(rules, nlp, punct_chars):
            prefilter = Prefilter(rules, nlp)
    _PREFILTERS[rules] = prefilter
    return prefilter


def _default_pipeline(nlp: Any) -> bool:
    from spacy.tokenizer import Tokenizer

    from qualcode.coding.nlp import LEMMATIZER_NAME, pipeline_spec

    spec = pipeline_spec(nlp)
    return (spec is not None and spec.get("model") is None and type(nlp.tokenizer) is Tokenizer
            and list(nlp.pipe_names) == [LEMMATIZER_NAME, "sentencizer"])


def _staff_matches_space(rules: CompiledRules) -> bool:
    """A staff pattern a whitespace token could match (whitespace is in no run): one whose
    letters, '*' aside, are all whitespace."""
    return any(not pattern.replace("*", "").strip() for pattern in rules.codebook.staff)
