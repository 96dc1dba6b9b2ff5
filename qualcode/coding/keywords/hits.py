"""The records one doc's analysis passes along: what it reads of the doc, the rules that
fired on its tokens, those matches in segment offsets, and what each sentence yields."""
from __future__ import annotations

from typing import Any, NamedTuple

from qualcode.records import EvidenceMatch, split_rule

new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level __new__: new_tuple(Hit, values)


class DocView:
    """What the sentence analysis reads from a Doc. Token objects are never made: a token's
    characters and whether it is punctuation come from per-token arrays of the doc, read
    once (at C speed) the first time the analysis asks for one."""

    __slots__ = ("doc", "text", "lowers", "strings", "size", "_starts", "_ends", "_punct", "question", "names_staff")

    def __init__(self, doc: Any, text: str, lowers: list[int], names_staff: bool | None = None):
        self.doc = doc
        self.text = text
        self.lowers = lowers
        self.strings = doc.vocab.strings
        self.size = len(lowers)
        self._starts: list[int] | None = None  # each token's first character in the doc
        self._ends: list[int] | None = None  # ... and the one after its last
        self._punct: list[int] | None = None  # each token's is_punct (1 or 0)
        self.question = self.strings.add("?")  # the hash of '?'
        # whether any token of the segment names the staff; worked out from the doc when asked
        self.names_staff = names_staff

    def offsets(self) -> tuple[list[int], list[int]]:
        """Every token's (first character, character after its last), as token.idx and
        token.idx + len(token) give them."""
        if self._starts is None or self._ends is None:
            from spacy.attrs import IDX, LENGTH

            columns = self.doc.to_array([IDX, LENGTH])
            self._starts = columns[:, 0].tolist()
            self._ends = (columns[:, 0] + columns[:, 1]).tolist()
        return self._starts, self._ends

    def char_span(self, index: int) -> tuple[int, int]:
        starts, ends = self.offsets()
        return starts[index], ends[index]

    def is_punct(self, index: int) -> bool:
        punct = self._punct
        if punct is None:
            from spacy.attrs import IS_PUNCT

            punct = self._punct = self.doc.to_array(IS_PUNCT).tolist()
        return bool(punct[index])

    def span_text(self, start: int, end: int) -> str:
        starts, ends = self.offsets()
        return self.text[starts[start]:ends[end - 1]]


class Hit(NamedTuple):
    """A rule that fired on tokens ``start``..``end`` (exclusive) of a doc."""

    start: int
    end: int
    role: int
    code: int  # index into codebook.codes, -1 for cues and negation words
    rule: str
    extra: Any = None  # SEP: its rules.SeparableVerb; a resolved separable verb: the particle's text


class Found(NamedTuple):
    """A fired rule in segment offsets: an :class:`EvidenceMatch`, cheaper to make and
    ordered by position as a plain tuple (start first)."""

    start: int
    end: int
    rule: str
    kind: str
    text: str
    code: str | None
    note: str

    def public(self) -> EvidenceMatch:
        rule_kind, pattern = split_rule(self.rule)
        return EvidenceMatch(text=self.text, start=self.start, end=self.end, rule_kind=rule_kind, pattern=pattern,
                             kind=self.kind, note=self.note, code=self.code)


# One aspect hit with the directions its clause gives it: (code id, aspect, directions, cues),
# directions ('opportunity',), ('opportunity', 'risk') or ('none',), cues the Founds behind them
# (kind = direction given). A plain tuple: one is made per aspect hit.
MentionHit = tuple[str, Found, tuple[str, ...], tuple[Found, ...]]


class SentenceResult:
    __slots__ = ("start", "end", "matches", "mentions", "cancelled")

    def __init__(self, start: int, end: int, matches: list[Found], mentions: list[MentionHit],
                 cancelled: list[tuple[Found, str]]):
        self.start, self.end = start, end  # characters, segment offsets
        self.matches = matches  # every rule that fired (filled only when tracing)
        self.mentions = mentions
        self.cancelled = cancelled  # (Found, reason)
