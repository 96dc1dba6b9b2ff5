"""A codebook compiled for one pipeline: which rules every word form fires, cached per form,
and a PhraseMatcher for the phrases. Built once per (codebook version, pipeline)."""
from __future__ import annotations

import re
import weakref
from typing import Any, NamedTuple

from qualcode.coding.codebook import Codebook, pattern_kind
from qualcode.coding.keywords.separable import NL_PARTICLES
from qualcode.errors import UsageError

# Roles a rule can play. Small ints so the per-token loop compares cheaply; the
# order matters: role <= ASPECT_INV is an aspect, role <= DEC an aspect or a cue.
ASPECT, ASPECT_INV, OPP, RISK, INC, DEC, EXCL, NEG_FLIP, NEG_CANCEL, BREAK, SEP = range(11)
_ASPECT_ROLES = (ASPECT, ASPECT_INV)
# the evidence kind (records.MATCH_KINDS) of a match of an aspect, cue or exclusion rule, by role
MATCH_KIND = ("aspect", "aspect", "opportunity", "risk", "increase", "decrease", "exclusion")
# flags of a word form's rules: it fires an aspect rule, is a separable verb that
# may be one, is an anchor of a phrase pattern (see CompiledRules.anchor_bits)
HAS_ASPECT, HAS_SEPARABLE, HAS_ANCHOR = 1, 2, 4
# the groups a sentence's hits are sorted into (see sentence.analyse_sentence)
G_ASPECT, G_CUE, G_EXCL, G_SEP, G_NEG, G_BREAK = range(6)
GROUP_OF_ROLE = {
    ASPECT: G_ASPECT, ASPECT_INV: G_ASPECT, OPP: G_CUE, RISK: G_CUE, INC: G_CUE, DEC: G_CUE,
    EXCL: G_EXCL, SEP: G_SEP, NEG_FLIP: G_NEG, NEG_CANCEL: G_NEG, BREAK: G_BREAK,
}


class Rule(NamedTuple):
    """One compiled rule."""

    role: int
    code: int  # index into codebook.codes, -1 for cues, negation words and clause breaks
    name: str  # as the evidence names it: 'word:werkdruk', 'compound:werkdruk*', 'cue:minder', ...
    separable: "SeparableVerb | None" = None  # role SEP only


class SeparableVerb(NamedTuple):
    """What a SEP rule stands for: ``target`` ('word:nakijken') if ``particle`` ('na') closes the clause."""

    particle: str
    target: Rule
    name: str  # the rule as the evidence names the split form: 'separable:nakijken'


class FormRules(NamedTuple):
    """The rules one word form fires (a form without any has ``()`` instead)."""

    flags: int  # HAS_ASPECT | HAS_SEPARABLE | HAS_ANCHOR
    rules: tuple[Rule, ...]
    # the rules as hit templates (group, (role, code, name, separable verb or None)):
    # a token's hits.Hit is then (start, end) + template, one tuple concatenation per rule
    templates: tuple[tuple[int, tuple[int, int, str, SeparableVerb | None]], ...]
    particles: tuple[int, ...]  # hashes of the particles of separable verbs that may be an aspect
    first_bits: int  # the phrase patterns it is a first / second anchor of
    second_bits: int


NO_RULES: tuple[()] = ()
Cached = FormRules | tuple[()]  # a form's entry in CompiledRules.cache: falsy without rules


class GlobPattern:
    """A compound pattern with a '*' inside ('werk*druk', 'a*b*c'), matched without a regular expression.

    Its literal parts are found left to right with ``str.find``: for patterns whose only wildcard is
    '*', the leftmost place of each part is always a right one, so the match takes at most one pass
    over the word per part (no backtracking: a regex ``a.*a.*a.*b`` takes exponential time on a long
    word of a's).
    """

    __slots__ = ("parts",)

    def __init__(self, pattern: str):
        self.parts: tuple[str, ...] = tuple(pattern.split("*"))

    def match(self, candidate: str) -> bool:
        first, *middle, last = self.parts
        end = len(candidate) - len(last)
        if end < len(first) or not candidate.startswith(first) or not candidate.endswith(last):
            return False
        position = len(first)
        for part in middle:
            if part:
                found = candidate.find(part, position, end)
                if found < 0:
                    return False
                position = found + len(part)
        return True


class CompoundIndex:
    """Compound patterns grouped so one word form is tested in a few dict lookups."""

    def __init__(self) -> None:
        self.exact: dict[str, list[Rule]] = {}
        self.prefix: dict[int, dict[str, list[Rule]]] = {}
        self.suffix: dict[int, dict[str, list[Rule]]] = {}
        self.contains: dict[str, list[Rule]] = {}
        self.other: list[tuple[GlobPattern, list[Rule]]] = []

    def add(self, pattern: str, rule: Rule) -> None:
        core = pattern.strip("*")
        starred_start, starred_end = pattern.startswith("*"), pattern.endswith("*")
        if "*" in core:
            glob = GlobPattern(pattern)
            for known, rules in self.other:
                if known.parts == glob.parts:
                    rules.append(rule)
                    return
            self.other.append((glob, [rule]))
        elif starred_start and starred_end:
            self.contains.setdefault(core, []).append(rule)
        elif starred_end:
            self.prefix.setdefault(len(core), {}).setdefault(core, []).append(rule)
        elif starred_start:
            self.suffix.setdefault(len(core), {}).setdefault(core, []).append(rule)
        else:
            self.exact.setdefault(core, []).append(rule)

    def match(self, candidate: str, out: list[Rule]) -> None:
        rules = self.exact.get(candidate)
        if rules:
            out.extend(rules)
        size = len(candidate)
        for length, table in self.prefix.items():
            if length <= size:
                rules = table.get(candidate[:length])
                if rules:
                    out.extend(rules)
        for length, table in self.suffix.items():
            if length <= size:
                rules = table.get(candidate[size - length:])
                if rules:
                    out.extend(rules)
        for core, rules in self.contains.items():
            if core in candidate:
                out.extend(rules)
        for glob, rules in self.other:
            if glob.match(candidate):
                out.extend(rules)


class TokenPatterns:
    """Words and ``*`` patterns matched on one token's lower-cased form or lemma (the staff, other holders)."""

    def __init__(self, patterns: tuple[str, ...]):
        self.words = frozenset(p for p in patterns if "*" not in p)
        self.regexes = [re.compile("^" + ".*".join(re.escape(part) for part in p.split("*")) + "$")
                        for p in patterns if "*" in p]

    def __bool__(self) -> bool:
        return bool(self.words or self.regexes)

    def match(self, lower: str, lemma: str) -> bool:
        if lower in self.words or lemma in self.words:
            return True
        return any(regex.match(lower) or regex.match(lemma) for regex in self.regexes)


class CompiledRules:
    """A codebook compiled for one pipeline: word/compound tables, a per-form
    cache and one PhraseMatcher. Get one with :func:`compile_rules`."""

    def __init__(self, codebook: Codebook, nlp: Any):
        from spacy.matcher import PhraseMatcher

        self.codebook = codebook
        self.language = codebook.language
        self.code_ids = tuple(code.id for code in codebook.codes)
        self.code_order = {code_id: index for index, code_id in enumerate(self.code_ids)}
        self.valences = tuple(code.valence for code in codebook.codes)
        self.negates = tuple(code.negation for code in codebook.codes)
        self._nlp = nlp
        self.words: dict[str, list[Rule]] = {}
        self.compounds = CompoundIndex()
        self.lower_only: dict[str, list[Rule]] = {}
        self.separable_forms: dict[str, list[Rule]] = {}
        self.separable_lemmas: dict[str, list[Rule]] = {}
        self.particles: dict[str, int] = {}  # particle -> hash of its lower-cased form
        self.phrase_rules: dict[int, list[Rule]] = {}
        self.phrase_matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.cache: dict[tuple[int, int], Cached] = {}  # (lower, lemma) hashes -> the form's rules
        self.cache_by_lower: dict[int, Cached] = {}  # the same, when the lemma follows from the form
        # Two anchors per phrase pattern, its two longest lemmas (or its one lemma
        # twice), with one bit per pattern: a pattern can only match a doc that
        # holds both, so the matcher runs only when first & second anchor bits
        # of the doc's forms share a bit (of an aspect phrase, or of another
        # phrase next to an aspect hit).
        self.anchor_bits: tuple[dict[str, int], dict[str, int]] = ({}, {})
        self.aspect_phrase_bits = 0
        self.other_phrase_bits = 0
        self._pattern_count = 0
        self._separable_wanted: list[tuple[str, str, str, Rule]] = []
        # when a keyword counts: with a cue on it, about the staff, not about another holder
        self.only_with_cue = tuple(frozenset(code.keywords.only_with_cue) for code in codebook.codes)
        self.only_about_staff = tuple(frozenset(code.keywords.only_about_staff) for code in codebook.codes)
        self.staff = TokenPatterns(codebook.staff)
        self.not_about = tuple(TokenPatterns(code.keywords.not_about) for code in codebook.codes)
        self.has_holders = any(self.only_about_staff) or any(self.not_about)
        self.holder_cache: dict[int, tuple[bool, tuple[int, ...]]] = {}
        self.hedge = (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(h) for h in codebook.hedges) + r")(?!\w)")
                      if codebook.hedges else None)

        for index, code in enumerate(codebook.codes):
            keywords = code.keywords
            for word in keywords.words:
                self._add(word, "word", Rule(ASPECT, index, f"word:{word}"))
            for pattern in keywords.compounds:
                self._add(pattern, "compound", Rule(ASPECT, index, f"compound:{pattern}"))
            for phrase in keywords.phrases:
                self._add(phrase, "phrase", Rule(ASPECT, index, f"phrase:{phrase}"))
            for pattern in keywords.opposite_valence:
                kind = pattern_kind(pattern)
                self._add(pattern, kind, Rule(ASPECT_INV, index, f"{kind}:{pattern}"))
            for pattern in keywords.exclude:
                self._add(pattern, pattern_kind(pattern), Rule(EXCL, index, f"exclude:{pattern}"))
        directions = codebook.directions
        for role, prefix, cues in (
            (OPP, "cue", directions.opportunity.cues),
            (RISK, "cue", directions.risk.cues),
            (INC, "increase", directions.increase),
            (DEC, "decrease", directions.decrease),
        ):
            for cue in cues:
                self._add(cue, pattern_kind(cue), Rule(role, -1, f"{prefix}:{cue}"))
        for word in codebook.negation.flip:
            self.lower_only.setdefault(word, []).append(Rule(NEG_FLIP, -1, f"negation:{word}"))
        for word in codebook.negation.cancel:
            self.lower_only.setdefault(word, []).append(Rule(NEG_CANCEL, -1, f"negation:{word}"))
        for word in codebook.clause_breaks:
            self.lower_only.setdefault(word, []).append(Rule(BREAK, -1, f"clause:{word}"))
        self._resolve_separable()
        # increase/decrease cues that are Dutch verbs: they may close the clause after the aspect
        # they act on ('AI kan de werkdruk van docenten verlagen'), see direction.predicate_of
        self.verb_cues = self._verb_cues(directions.increase + directions.decrease)
        self._nlp = None  # the rules must not keep a pipeline alive (weak cache key)

    def holders(self, lower_hash: int, strings: Any) -> tuple[bool, tuple[int, ...]]:
        """Whether a lower-cased word form names the staff, and the codes whose other holders it names
        (matched on the form, not the lemma, so no token object is made; cached per form)."""
        result = self.holder_cache.get(lower_hash)
        if result is None:
            lower = strings[lower_hash]
            staff = bool(self.staff) and self.staff.match(lower, lower)
            others = tuple(i for i, patterns in enumerate(self.not_about) if patterns and patterns.match(lower, lower))
            result = self.holder_cache[lower_hash] = (staff, others)
        return result

    # -- building

    def _add(self, pattern: str, kind: str, rule: Rule) -> None:
        if kind == "phrase":
            self._add_phrase(pattern, rule)
            return
        if kind == "compound":
            self.compounds.add(pattern, rule)
            return
        # A word is written as a lemma and matches a token's lemma or its exact
        # lower-cased form. The pattern itself is not lemmatised: 'drukken' in an
        # exclusion would otherwise become 'druk' and cancel 'onder druk'.
        self.words.setdefault(pattern, []).append(rule)
        if self.language == "nl" and rule.role <= DEC:
            for particle in NL_PARTICLES:
                if pattern.startswith(particle) and len(pattern) > len(particle) + 3:
                    self._separable_wanted.append((pattern, particle, pattern[len(particle):], rule))

    def _add_phrase(self, phrase: str, rule: Rule) -> None:
        key = f"qc{len(self.phrase_rules)}:{phrase}"
        patterns = []
        seen = set()
        for doc in self._nlp.pipe(hyphen_variants(phrase)):
            lemmas = tuple(token.lemma for token in doc)
            if lemmas and lemmas not in seen:
                seen.add(lemmas)
                patterns.append(doc)
                self._add_anchors(doc, rule.role in _ASPECT_ROLES)
        if not patterns:
            return
        self.phrase_matcher.add(key, patterns)
        self.phrase_rules.setdefault(self._nlp.vocab.strings[key], []).append(rule)

    def _add_anchors(self, pattern: Any, aspect: bool) -> None:
        bit = 1 << self._pattern_count
        self._pattern_count += 1
        if aspect:
            self.aspect_phrase_bits |= bit
        else:
            self.other_phrase_bits |= bit
        lemmas = sorted({token.lemma_.lower() for token in pattern}, key=lambda lemma: (-len(lemma), lemma))
        first, second = self.anchor_bits
        first[lemmas[0]] = first.get(lemmas[0], 0) | bit
        anchor = lemmas[1] if len(lemmas) > 1 else lemmas[0]
        second[anchor] = second.get(anchor, 0) | bit

    def _verb_cues(self, cues: tuple[str, ...]) -> frozenset[str]:
        if self.language != "nl":
            return frozenset()  # an English verb comes before its object: the three words reach it
        from qualcode.coding.nlp import _dutch_tables

        verbs = _dutch_tables().index.get("verb", frozenset())
        names = set()
        for cue in cues:
            if pattern_kind(cue) == "word" and cue in verbs:
                role = "increase" if cue in self.codebook.directions.increase else "decrease"
                names.add(f"{role}:{cue}")
        return frozenset(names)

    def _resolve_separable(self) -> None:
        """Register 'kijk ... na' for 'nakijken' when 'kijken' is a Dutch verb."""
        if not self._separable_wanted:
            return
        from qualcode.coding.nlp import _dutch_tables

        tables = _dutch_tables()
        verbs = tables.index.get("verb", frozenset())
        wanted: dict[str, list[SeparableVerb]] = {}
        for pattern, particle, verb, rule in self._separable_wanted:
            if pattern in verbs and verb in verbs:
                wanted.setdefault(verb, []).append(SeparableVerb(particle, rule, rule.name.replace("word:", "separable:", 1)))
        if not wanted:
            return
        forms: dict[str, set[str]] = {verb: {verb} for verb in wanted}
        for form, lemma in tables.lookup.items():
            if lemma in forms:
                forms[lemma].add(form)
        for form, lemmas in tables.exc.get("verb", {}).items():
            for lemma in lemmas:
                if lemma in forms:
                    forms[lemma].add(form)
        for verb, splits in wanted.items():
            rules = [Rule(SEP, split.target.code, split.target.name, split) for split in splits]
            self.separable_lemmas.setdefault(verb, []).extend(rules)
            for form in forms[verb]:
                self.separable_forms.setdefault(form, []).extend(rules)
            for split in splits:
                self.particles[split.particle] = self._nlp.vocab.strings.add(split.particle)

    # -- matching one word form (cached)

    def form_rules(self, key: tuple[int, int], strings: Any) -> Cached:
        """The rules one word form fires, or ``NO_RULES``; computed once per
        (lower form, lemma) hashes and kept in :attr:`cache`."""
        lower = strings[key[0]]
        lemma = strings[key[1]].lower() if key[1] else lower
        found: list[Rule] = []
        words = self.words
        for candidate in (lower, lemma) if lemma != lower else (lower,):
            rules = words.get(candidate)
            if rules:
                found.extend(rules)
        # the form, its lemma, then their parts between hyphens left to right, each once: in this order, as
        # the first rule found speaks for the token (a set's order changed with the process's hash seed)
        candidates = dict.fromkeys((lower, lemma))
        for form in (lower, lemma):
            if "-" in form:
                candidates.update(dict.fromkeys(part for part in form.split("-") if part))
        for candidate in candidates:
            self.compounds.match(candidate, found)
        rules = self.lower_only.get(lower)
        if rules:
            found.extend(rules)
        if self.separable_forms:
            rules = self.separable_forms.get(lower) or self.separable_lemmas.get(lemma)
            if rules:
                found.extend(rules)
        # One rule per (role, code) and token: 'werkdruk' is both a word and a
        # '*werkdruk*' compound; the first rule found (words before compounds)
        # speaks for the token, the others would only repeat it.
        kept: dict[Rule | tuple[int, int], Rule] = {}
        for rule in found:
            kept.setdefault(rule if rule.role == SEP else (rule.role, rule.code), rule)
        form_rules = tuple(kept.values())
        # the separable verbs among them that may be an aspect ('separable' is set on SEP rules only)
        aspect_splits = [
            rule.separable for rule in form_rules
            if rule.separable is not None and rule.separable.target.role <= ASPECT_INV
        ]
        flags = HAS_SEPARABLE if aspect_splits else 0
        for rule in form_rules:
            if rule.role <= ASPECT_INV:
                flags |= HAS_ASPECT
        first, second = self.anchor_bits
        first_bits = first.get(lower, 0) | first.get(lemma, 0)
        second_bits = second.get(lower, 0) | second.get(lemma, 0)
        if first_bits or second_bits:
            flags |= HAS_ANCHOR
        templates = tuple(
            (GROUP_OF_ROLE[rule.role], (rule.role, rule.code, rule.name, rule.separable)) for rule in form_rules
        )
        particles = tuple({self.particles[split.particle] for split in aspect_splits})
        result: Cached = (
            FormRules(flags, form_rules, templates, particles, first_bits, second_bits) if form_rules or flags else NO_RULES
        )
        self.cache[key] = result
        return result


def hyphen_variants(phrase: str, limit: int = 6) -> list[str]:
    """The phrase with every gap written as a space or as a hyphen."""
    pieces = [piece for piece in re.split(r"[\s\-]+", phrase) if piece]
    gaps = len(pieces) - 1
    if gaps < 1 or gaps > limit:
        return [phrase]
    variants = [phrase]
    for mask in range(2 ** gaps):
        text = pieces[0]
        for position in range(gaps):
            text += ("-" if mask >> position & 1 else " ") + pieces[position + 1]
        if text not in variants:
            variants.append(text)
    return variants


_COMPILED: "weakref.WeakKeyDictionary[Any, dict[str, CompiledRules]]" = weakref.WeakKeyDictionary()


def compile_rules(codebook: Codebook, nlp: Any) -> CompiledRules:
    """The codebook's rules for this pipeline, compiled once per (pipeline, codebook version)."""
    per_pipeline = _COMPILED.setdefault(nlp, {})
    rules = per_pipeline.get(codebook.version)
    if rules is None:
        rules = CompiledRules(codebook, nlp)
        per_pipeline[codebook.version] = rules
    return rules


def check_pipeline(codebook: Codebook, nlp: Any) -> None:
    """UsageError unless the pipeline is in the codebook's language."""
    if getattr(nlp, "lang", codebook.language) != codebook.language:
        raise UsageError(
            f"codebook {codebook.name!r} is in {codebook.language!r} but the pipeline is "
            f"{nlp.lang!r}; use a {codebook.language!r} pipeline or another codebook"
        )
