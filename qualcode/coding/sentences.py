"""Sentence boundaries: spaCy's rule-based sentencizer without a Token object per token, and
for Dutch its correction around abbreviations.

:func:`sentencizer` makes spaCy's ``Sentencizer`` with the same rule worked out from the
doc's array of word forms, each form classified once (a Token per token cost a third of the
pipeline); the tests hold it to spaCy's own on generated and random texts.

The Dutch tokenizer keeps some 4,500 abbreviations together with their full stop ('o.a.',
'bijv.', 'enz.', 'al.' of 'et al.', and Belgian legal ones such as 'dat.', 'pas.', 'top.', 'vol.').
The sentencizer ends a sentence only at a full stop of its own, so a sentence that ends in
such a word ran on into the next one: 'Docenten doen dat. De werkdruk stijgt.' was one sentence,
and a cue of the second reached an aspect of the first. And an abbreviation the tokenizer does
not know ('m.b.v.', 'i.s.m.') lost its last full stop to a sentence end: 'Dit gebeurt m.b.v. | AI.'

The correction looks only at the words of these two kinds (found with set operations on the
hashes of the doc's lower-cased forms, so a doc without one costs next to nothing):

* after a word the tokenizer kept with its full stop, a new sentence starts when the next word
  has a capital and either the word before is itself a Dutch word or a closing abbreviation
  ('dat.', 'al.', 'pas.', 'enz.', 'etc.'; the OCR spelling 'Al.' of 'AI.'), or the next word is
  one that opens a Dutch sentence ('De', 'Het', 'Dit', 'Ook', 'Daarnaast', ...). Titles and
  initials ('dr.', 'prof.', 'J.') never end a sentence: a name follows them;
* after an abbreviation with inner full stops whose last full stop the tokenizer split off
  ('m.b.v' + '.'), the sentence goes on unless the next word opens a Dutch sentence.
"""
from __future__ import annotations

import functools
import re
from typing import Any

_INNER_STOPS = re.compile(r"^(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}$")  # 'm.b.v', 'i.s.m', 'o.b.v'

# Abbreviations a name or a number follows, never the end of a sentence.
NL_TITLES = frozenset({
    "dr", "drs", "prof", "mr", "ir", "ing", "ds", "dhr", "mevr", "mw", "mej", "mgr", "jhr", "st", "sr", "jr",
    "zr", "br", "fam", "gebr", "nr", "nrs", "art", "blz", "pag", "p", "pp", "hfst", "par", "fig", "tab", "vgl",
    "zie", "ca", "bijv", "bv", "resp", "incl", "excl", "vs", "nl", "m.a.w", "o.a", "a.d.h.v", "t.a.v",
})
# Words that end a clause and then also a sentence ('... enz. De ...'), besides Dutch words.
NL_CLOSING = frozenset({"al", "dat", "enz", "etc", "e.d", "e.a", "e.v", "e.v.a", "a.u.b", "z.o.z"})
# Words that open a Dutch sentence: articles, pronouns, demonstratives, sentence adverbs and
# conjunctions, prepositions that open an adverbial phrase.
NL_SENTENCE_OPENERS = frozenset({
    "de", "het", "een", "dit", "dat", "deze", "die", "daar", "hier", "er", "ook", "zo", "dan", "toen", "nu",
    "ik", "je", "jij", "u", "we", "wij", "ze", "zij", "hij", "men", "ons", "onze", "mijn", "hun", "haar", "zijn",
    "in", "op", "bij", "voor", "na", "met", "door", "uit", "over", "volgens", "tijdens", "naast", "zonder",
    "als", "wanneer", "omdat", "hoewel", "toch", "maar", "en", "of", "want", "daarom", "daardoor", "daarnaast",
    "bovendien", "verder", "vooral", "wel", "niet", "geen", "alle", "veel", "sommige", "enkele", "andere",
    "tot", "vanuit", "waar", "wat", "wie", "hoe", "waarom", "welke", "docenten", "leraren", "scholen",
})


class DutchSentenceFix:
    """The pipeline component: corrects the sentence starts of a doc around abbreviations.

    Which tokens can matter is decided on the lower-cased forms' hashes (the lemmatiser leaves them
    in ``doc.user_data``) with set operations, once per distinct form: most docs have no
    abbreviation, and reading their text or tokens would cost more than the correction."""

    def __init__(self, abbreviations: frozenset[int], words: Any = None, lowers_key: str | None = None):
        # abbreviations: the hashes of the lower-cased words the tokenizer keeps with their full
        # stop ('o.a.', 'dat.'); after any other word a full stop is a token of its own, and the
        # sentencizer was right. words: whether a lower-cased form is a Dutch word (``in``);
        # without it only the closing abbreviations and the sentence openers decide.
        self.abbreviations = abbreviations
        self.words = words
        self.lowers_key = lowers_key  # where the lemmatiser leaves the lower-cased forms' hashes
        self._seen: set[int] = set()  # forms checked for inner full stops
        self._inner: set[int] = set()  # ... and those that have them ('m.b.v')

    def __call__(self, doc: Any) -> Any:
        lowers = doc.user_data.get(self.lowers_key) if self.lowers_key else None
        if lowers is None:
            from spacy.attrs import LOWER

            lowers = doc.to_array(LOWER).tolist()
        forms = set(lowers)
        unseen = forms - self._seen
        if unseen:
            strings = doc.vocab.strings
            for form in unseen:
                if _INNER_STOPS.match(strings[form]):
                    self._inner.add(form)
            self._seen |= unseen
        if not self.abbreviations.isdisjoint(forms):
            for index, lower in enumerate(lowers):
                if lower in self.abbreviations and index + 1 < len(doc):
                    _after_abbreviation(doc[index], doc[index + 1], self.words)
        if not self._inner.isdisjoint(forms):
            for index, lower in enumerate(lowers):
                if lower in self._inner and index + 2 < len(doc):
                    _after_inner_stops(doc[index], doc[index + 1], doc[index + 2])
        return doc


def _after_inner_stops(word: Any, stop: Any, token: Any) -> None:
    """'m.b.v' + '.': the abbreviation's own full stop, unless a sentence opener follows."""
    if (stop.text == "." and not word.whitespace_ and token.is_sent_start
            and not (token.text[0].isupper() and token.lower_ in NL_SENTENCE_OPENERS)):
        token.is_sent_start = False


def _after_abbreviation(before: Any, token: Any, words: Any) -> None:
    if token.is_sent_start or not before.whitespace_ or not token.text[0].isupper() or not token.text[0].isalpha():
        return
    stem = before.lower_[:-1]
    if stem in NL_TITLES or len(stem) == 1:  # a name follows a title or an initial
        return
    is_word = "." not in stem and words is not None and stem in words
    if token.lower_ in NL_SENTENCE_OPENERS or stem in NL_CLOSING or is_word:
        token.is_sent_start = True


# A token's class for the sentencizer's rule: o(rdinary), p(unctuation not in punct_chars), c (in punct_chars)
_ORDINARY, _PUNCT, _FINAL = ord("o"), ord("p"), ord("c")
# spaCy's rule: after a token in punct_chars, the next token that is neither punctuation nor in punct_chars
# starts a sentence (the end of each match here)
_NEXT_START = re.compile(rb"c[^o]*o")
_FORMS_LIMIT = 500_000  # distinct forms classified; beyond it the table starts over (memory stays bounded)


@functools.lru_cache(maxsize=None)
def _sentencizer_class() -> type:
    from spacy.attrs import IS_PUNCT, LOWER
    from spacy.lang.lex_attrs import is_punct as _is_punct
    from spacy.pipeline import Sentencizer

    class FormSentencizer(Sentencizer):
        """spaCy's Sentencizer with :meth:`predict` read from the forms' hashes; the rest is spaCy's."""

        def __init__(self, name: str, lowers_key: str | None):
            super().__init__(name=name)
            self.lowers_key = lowers_key  # where the lemmatiser leaves the lower-cased forms' hashes
            self._classes: dict[int, int] = {}

        def predict(self, docs: Any) -> list[list[bool]]:
            guesses = []
            for doc in docs:
                size = len(doc)
                guess = [False] * size
                if size:
                    guess[0] = True
                    for match in _NEXT_START.finditer(self._classified(doc)):
                        guess[match.end() - 1] = True
                guesses.append(guess)
            return guesses

        def _classified(self, doc: Any) -> bytes:
            # By the lower-cased forms the lemmatiser leaves: lower-casing a text never
            # changes whether it is punctuation or one of punct_chars (each character of punctuation
            # lower-cases to itself, any other to no punctuation: checked over all of Unicode in the tests).
            forms = doc.user_data.get(self.lowers_key) if self.lowers_key else None
            if forms is None or len(forms) != len(doc):
                forms = doc.to_array(LOWER).tolist()
            classes = self._classes
            try:
                return bytes(map(classes.__getitem__, forms))
            except KeyError:  # forms seen for the first time
                if len(classes) > _FORMS_LIMIT:
                    classes.clear()
                strings, punct_chars = doc.vocab.strings, self.punct_chars
                is_punct = doc.vocab.lex_attr_getters.get(IS_PUNCT, _is_punct)
                for form in set(forms).difference(classes):
                    text = strings[form]
                    if text in punct_chars:
                        classes[form] = _FINAL
                    else:
                        classes[form] = _PUNCT if is_punct(text) else _ORDINARY
                return bytes(map(classes.__getitem__, forms))

    return FormSentencizer


def sentencizer(name: str = "sentencizer", lowers_key: str | None = None) -> Any:
    """spaCy's rule-based sentencizer (its default punctuation, no overwrite), faster; see the module
    docstring. ``lowers_key``: where in ``doc.user_data`` the lemmatiser leaves the lower-cased forms'
    hashes (else they are read from the doc)."""
    return _sentencizer_class()(name, lowers_key)
