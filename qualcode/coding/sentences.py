"""Sentence boundaries around Dutch abbreviations, corrected after spaCy's rule-based sentencizer.

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
