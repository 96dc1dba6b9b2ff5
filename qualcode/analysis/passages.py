"""The passages behind each matrix cell, the quotes chosen from them, and which cells go together.

A :class:`Passage` is one coded segment of a cell with what a reader needs to cite it: the
case's pseudonym and role, the study, the document, the position and timestamp, the
interviewer's question before it, the memos written on it, and the excerpt that carries the
evidence (whole sentences, never cut through a keyword match). :func:`choose_quotes` picks
per cell quotes spread over roles (or another attribute) and cases. :func:`co_occurrence`
counts the aspect × direction pairs coded on the same segment.
"""
from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, Iterator, Mapping, Protocol, TypeVar

from qualcode.records import Evidence

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.store import Store
    from qualcode.store.passages import SegmentSource

QUOTE_MIN_CHARS = 60
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+")


@dataclass(frozen=True)
class Passage:
    """One coded segment of one cell (code × direction), ready to be cited."""

    segment_id: int
    code: str
    direction: str
    pseudonym: str
    role: str | None
    study: str | None
    document: str
    position: int
    start_time: float | None
    end_time: float | None
    text: str  # the whole segment, whitespace collapsed
    excerpt: str  # whole sentences carrying the evidence
    question: str | None  # the interviewer's turn before it
    memos: tuple[tuple[str, str], ...]  # (coder, memo)
    status: str  # accepted | suggested
    group: str | None  # the value of the attribute quotes are spread over
    case_key: str  # for spreading over cases only; never shown (it may hold a speaker label)
    codes_on_segment: int  # how many code × direction pairs the segment has in the selection
    source_row: str | None = None  # the table row it came from ('W026'), cited when there is no timestamp


@dataclass(frozen=True)
class Pair:
    """Two aspect × direction cells coded on the same segments: how many segments, how many cases."""

    first: tuple[str, str]
    second: tuple[str, str]
    segments: int
    cases: int
    segment_ids: tuple[int, ...]


# a run of two or more whitespace characters, or one that is not a plain space: what clean()
# makes one space (a text that has none is returned as it is, not copied: many passages share it)
_SPACES = re.compile(r"\s{2,}|[^\S ]")


def clean(text: Any) -> str:
    """``text`` on one line: every run of whitespace one space, none at either end."""
    return _SPACES.sub(" ", str(text or "")).strip()


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences of ``text`` (offsets into it), split after . ! ? …"""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


# Words that open a question (or a request to tell) in Dutch and English, when the transcript
# leaves out the question mark: 'Wat vinden jullie daarvan.' Verb-first with a pronoun after it
# ('Zie je daar ook risico's') is a question in Dutch too.
_QUESTION_WORDS = frozenset("""
    wat wie wiens waar waarom wanneer hoe hoezo hoeveel welk welke waardoor waarmee waarover waaraan waarin
    waarbij waarvoor vertel beschrijf noem schets
    what who whom whose where why when how which tell describe explain
    do does did can could would will is are was were have has should
""".split())
_PRONOUNS_AFTER_VERB = frozenset("je jij u jullie ze zij hij het er you they we".split())
_OPENERS = frozenset("en maar dus oké oke ok nou goed and but so okay well".split())  # 'En zie je dat ook'
_NOT_VERBS = _PRONOUNS_AFTER_VERB | frozenset("dat dit dan nu toen daar hier zo als ik wij".split())
_ACKNOWLEDGEMENT_WORDS = 3  # an interviewer's turn this short that asks nothing ('Ja.', '(lacht) Mooi.')
QUESTION_MAX_CHARS = 240  # a longer question turn is shown by its question sentences only


def is_question(text: str) -> bool:
    """Does this (interviewer's) turn ask something: a question mark, a question word opening one of
    its sentences, or a verb-first sentence with a pronoun after the verb ('Vind je dat ook')?
    Without a question mark a sentence needs four words, so that 'Wat mooi.' asks nothing."""
    text = clean(text)
    if "?" in text:
        return True
    for start, end in sentences(text):
        words = re.findall(r"[^\W\d_]+", text[start:end].lower())
        if len(words) < 4:
            continue
        while len(words) > 2 and words[0] in _OPENERS:
            words = words[1:]
        if words[0] in _QUESTION_WORDS or (words[1] in _PRONOUNS_AFTER_VERB and words[0] not in _NOT_VERBS):
            return True
    return False


def question_before(interviewer_turns: Iterable[str]) -> str | None:
    """The interviewer's question a segment answers, from the interviewer's turns before it (nearest
    first): the nearest turn when it asks something; past a short acknowledgement that asks nothing
    ('Ja.', 'Dat is veel.') the one before it; none when the nearest turn that is not an acknowledgement
    asks nothing (a topic announced, a remark): a quote then has no question rather than a wrong one.
    A long turn is cut to its question sentences."""
    for turn in interviewer_turns:
        text = clean(turn)
        if is_question(text):
            if len(text) <= QUESTION_MAX_CHARS:
                return text
            asking = [text[s:e] for s, e in sentences(text) if is_question(text[s:e])]
            return "… " + " … ".join(asking) if asking else text
        if len(re.findall(r"\w+", text)) > _ACKNOWLEDGEMENT_WORDS:
            return None
    return None


def excerpt(text: str, evidence: Evidence, max_chars: int = 300) -> str:
    """Whole sentences of ``text`` that carry the evidence's matches; ' … ' where sentences are left out.

    Without matches: the first sentences up to ``max_chars`` (at least one whole sentence).
    A short excerpt (under 60 characters) gets the next sentence when there is one.
    """
    spans = sentences(text)
    if not spans:
        return clean(text)
    hits = [i for i, (s, e) in enumerate(spans) if any(m.start < e and m.end > s for m in evidence.matches)]
    if not hits:
        hits, total = [], 0
        for i, (s, e) in enumerate(spans):
            if hits and total + (e - s) > max_chars:
                break
            hits.append(i)
            total += e - s
    chosen = sorted(set(hits))
    if sum(spans[i][1] - spans[i][0] for i in chosen) < QUOTE_MIN_CHARS and chosen[-1] + 1 < len(spans):
        chosen.append(chosen[-1] + 1)
    parts, previous = [], None
    for i in chosen:
        if previous is not None and i != previous + 1:
            parts.append("…")
        parts.append(clean(text[spans[i][0]:spans[i][1]]))
        previous = i
    if chosen[0] > 0:
        parts.insert(0, "…")
    if chosen[-1] < len(spans) - 1:
        parts.append("…")
    return " ".join(parts)


class _Codings:
    """The columns of a codings frame that passages are made of, read by row position (no object per row)."""

    COLUMNS = ("segment_id", "code", "direction", "pseudonym", "role", "study", "document", "text", "status",
               "case_id")

    def __init__(self, codings_df: "pd.DataFrame", spread_by: str | None):
        def column(name: str | None) -> list[Any]:
            return codings_df[name].tolist() if name and name in codings_df.columns else [None] * len(codings_df)

        (self.segment_id, self.code, self.direction, self.pseudonym, self.role, self.study, self.document,
         self.text, self.status, self.case_id) = (column(c) for c in self.COLUMNS)
        self.spread = column(spread_by)
        # how many code × direction pairs each row's segment has
        self.per_segment = codings_df.groupby("segment_id")["segment_id"].transform("size").tolist()
        self.texts: dict[int, str] = {}  # a segment's cleaned text, one string for all its codings

    def group(self, i: int) -> str | None:
        value = self.spread[i]
        return None if value is None or value != value else str(value)

    def case_key(self, i: int) -> str:
        case = self.case_id[i]
        return f"{self.study[i]}/{case if isinstance(case, str) else f'segment {int(self.segment_id[i])}'}"

    def excerpt(self, i: int, evidence_json: str | None, max_chars: int) -> str:
        ev = Evidence.from_json(json.loads(evidence_json)) if evidence_json else Evidence()
        return excerpt(str(self.text[i]), ev, max_chars)

    def passage(self, i: int, src: "SegmentSource | None", memos: Mapping[int, tuple[tuple[str, str], ...]],
                excerpt: str) -> Passage:
        sid = int(self.segment_id[i])
        if sid not in self.texts:
            self.texts[sid] = clean(self.text[i])
        return Passage(
            segment_id=sid, code=self.code[i], direction=self.direction[i], pseudonym=str(self.pseudonym[i]),
            role=self.role[i], study=self.study[i], document=src.document if src else str(self.document[i]),
            position=src.position if src else 0, start_time=src.start_time if src else None,
            end_time=src.end_time if src else None, text=self.texts[sid], excerpt=excerpt,
            question=question_before(src.interviewer_turns) if src else None, memos=memos.get(sid, ()),
            status=self.status[i], group=self.group(i), case_key=self.case_key(i),
            codes_on_segment=int(self.per_segment[i]), source_row=src.source_row if src else None)


def memos_per_segment(store: "Store", codings_df: "pd.DataFrame") -> dict[int, tuple[tuple[str, str], ...]]:
    """The memos on the segments of ``codings_df`` by the selection's coders (all memos when it names none):
    per segment the (coder, memo) pairs, by coder; segments without memos are left out."""
    from qualcode.store import codings

    if not len(codings_df):
        return {}
    selection = codings_df.attrs.get("selection") or {}
    coders = set(selection.get("coders") or ())
    wanted = set(codings_df["segment_id"].tolist())
    memos: dict[int, list[tuple[str, str]]] = {}
    for (segment_id, coder), text in sorted(codings.memos(store.con).items()):
        if (not coders or coder in coders) and int(segment_id) in wanted:
            memos.setdefault(int(segment_id), []).append((coder, text))
    return {sid: tuple(m) for sid, m in memos.items()}


def passages(store: "Store", codings_df: "pd.DataFrame", *, spread_by: str | None = "role",
             max_chars: int = 300) -> tuple[Passage, ...]:
    """One passage per row of ``codings_df`` (segment × code × direction), in segment order."""
    from qualcode.store import passages as stored

    if not len(codings_df):
        return ()
    rows = _Codings(codings_df, spread_by)
    wanted = set(rows.segment_id)  # only these segments: not a whole large corpus
    sources = stored.segment_sources(store.con, wanted)
    evidence = stored.evidence_per_coding(store.con, wanted)
    memos = memos_per_segment(store, codings_df)
    out = []
    for i, sid in enumerate(rows.segment_id):
        raw = evidence.get((sid, rows.code[i], rows.direction[i]))
        out.append(rows.passage(i, sources.get(sid), memos, rows.excerpt(i, raw, max_chars)))
    return tuple(out)


class _Candidate:
    """A coding of a cell that may be quoted: what :func:`choose_quotes` ranks by, with its excerpt made
    when it is first asked for."""

    __slots__ = ("row", "segment_id", "status", "codes_on_segment", "group", "case_key", "_excerpt", "_make")

    def __init__(self, rows: _Codings, i: int, make_excerpt: Callable[[int], str]):
        self.row, self.segment_id, self.status = i, int(rows.segment_id[i]), rows.status[i]
        self.codes_on_segment, self.group, self.case_key = rows.per_segment[i], rows.group(i), rows.case_key(i)
        self._excerpt: str | None = None
        self._make = make_excerpt

    @property
    def excerpt(self) -> str:
        if self._excerpt is None:
            self._excerpt = self._make(self.row)
        return self._excerpt


def quotes_per_cell(store: "Store", codings_df: "pd.DataFrame", cells: Iterable[tuple[str, str]], per_cell: int, *,
                    spread_by: str | None = "role", max_chars: int = 300) -> dict[tuple[str, str], list[Passage]]:
    """Per cell (code, direction) the quotes :func:`choose_quotes` picks from its :func:`passages`, without
    making them all: an excerpt is made only of the codings the choice looks at, a passage only of those
    it picks (a project of 200,000 codings has a few dozen quotes)."""
    from qualcode.store import passages as stored

    cells = list(cells)
    if not len(codings_df):
        return {cell: [] for cell in cells}
    rows = _Codings(codings_df, spread_by)
    con = store.con

    def make_excerpt(i: int) -> str:
        raw = stored.evidence_of(con, int(rows.segment_id[i]), rows.code[i], rows.direction[i])
        return rows.excerpt(i, raw, max_chars)

    in_cell = codings_df.groupby(["code", "direction"], sort=False).indices
    chosen = {cell: choose_quotes([_Candidate(rows, int(i), make_excerpt) for i in in_cell.get(cell, ())],
                                  per_cell, max_chars) for cell in cells}
    quoted = {c.segment_id for picked in chosen.values() for c in picked}
    sources = stored.segment_sources(con, quoted)
    memos = memos_per_segment(store, codings_df)
    return {cell: [rows.passage(c.row, sources.get(c.segment_id), memos, c.excerpt) for c in picked]
            for cell, picked in chosen.items()}


class Quotable(Protocol):
    """What choosing quotes looks at: a :class:`Passage`, or a coding whose excerpt is made when read."""

    @property
    def segment_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def codes_on_segment(self) -> int: ...
    @property
    def group(self) -> str | None: ...
    @property
    def case_key(self) -> str: ...
    @property
    def excerpt(self) -> str: ...


Q = TypeVar("Q", bound=Quotable)


def _preference(p: Quotable, max_chars: int) -> tuple:
    """Reviewed first, then an excerpt of 60–max_chars characters, then single-code segments, then the id."""
    return (p.status != "accepted", not QUOTE_MIN_CHARS <= len(p.excerpt) <= max_chars, p.codes_on_segment > 1,
            p.segment_id)


def _good_length(p: Quotable, max_chars: int) -> bool:
    return QUOTE_MIN_CHARS <= len(p.excerpt) <= max_chars


def _by_status_codes_and_id(p: Quotable) -> tuple:
    """:func:`_preference` without the excerpt: within a status, a passage's place by it is found reading
    them in this order, those of a good length first."""
    return p.status != "accepted", p.codes_on_segment > 1, p.segment_id


class _Ranked(Generic[Q]):
    """Passages in the order of :func:`_preference`, worked out as far as it is read: the length of an
    excerpt is looked at only for the passages the order has to pass (with ``sorted`` it is every one)."""

    def __init__(self, passages: list[Q], max_chars: int):  # ``passages`` sorted by _by_status_codes_and_id
        self._order = self._ordered(passages, max_chars)
        self._read: list[Q] = []

    @staticmethod
    def _ordered(passages: list[Q], max_chars: int) -> Iterator[Q]:
        for _, same_status in itertools.groupby(passages, key=lambda p: p.status != "accepted"):
            later = []
            for p in same_status:
                if _good_length(p, max_chars):
                    yield p
                else:
                    later.append(p)
            yield from later

    def __iter__(self) -> Iterator[Q]:
        i = 0
        while True:
            if i == len(self._read):
                p = next(self._order, None)
                if p is None:
                    return
                self._read.append(p)
            yield self._read[i]
            i += 1


def _first(passages: list[Q], max_chars: int, wanted: Callable[[Q], bool]) -> Q | None:
    """The best of the ``wanted`` passages by :func:`_preference` (``passages`` sorted by
    _by_status_codes_and_id); the length of an excerpt is looked at only for wanted passages."""
    fallback: Q | None = None  # the first wanted one of the status being read, when none has a good length
    for p in passages:
        if not wanted(p):
            continue
        if fallback is not None and (p.status != "accepted") != (fallback.status != "accepted"):
            return fallback  # the next status: none of the one before had a good length
        if _good_length(p, max_chars):
            return p
        if fallback is None:
            fallback = p
    return fallback


def choose_quotes(cell: Iterable[Q], per_cell: int, max_chars: int = 300) -> list[Q]:
    """At most ``per_cell`` quotes of one cell, spread over groups (round robin) and over cases.

    Groups take turns in order of name (the missing value last); each turn takes the group's
    best passage (:func:`_preference`) from a case not yet quoted. When every case is quoted,
    the best remaining passages fill up. An excerpt is read only when the choice depends on
    its length, so passages can make theirs when first asked for.
    """
    ordered = sorted(cell, key=_by_status_codes_and_id)
    by_group: dict[str, list[Q]] = {}
    for p in ordered:
        by_group.setdefault(p.group if p.group is not None else "\uffff", []).append(p)
    picked: list[Q] = []
    seen_cases: set[str] = set()
    progress = True
    while len(picked) < per_cell and progress:
        progress = False
        for group in sorted(by_group):
            if len(picked) >= per_cell:
                break
            fresh = _first(by_group[group], max_chars, lambda p: p.case_key not in seen_cases)
            if fresh is not None:
                picked.append(fresh)
                seen_cases.add(fresh.case_key)
                progress = True
    if len(picked) < per_cell:
        for p in _Ranked(ordered, max_chars):
            if len(picked) >= per_cell:
                break
            if all(p.segment_id != q.segment_id for q in picked):
                picked.append(p)
    return picked


def co_occurrence(codings_df: "pd.DataFrame", order: Mapping[tuple[str, str], int]) -> tuple[Pair, ...]:
    """Every pair of aspect × direction cells coded on the same segment, most segments first."""
    if not len(codings_df):
        return ()
    cells_of: dict[int, set[tuple[str, str]]] = {}
    case_of: dict[int, Any] = {}
    for segment_id, code, direction, case_id, study in zip(*(codings_df[c].tolist() for c in (
            "segment_id", "code", "direction", "case_id", "study"))):  # columns, not a row object per coding
        cells_of.setdefault(int(segment_id), set()).add((code, direction))
        case_of[int(segment_id)] = (study, case_id) if isinstance(case_id, str) else None
    pairs: dict[tuple[tuple[str, str], tuple[str, str]], list[int]] = {}
    rank = lambda c: (order.get(c, 999), c)  # noqa: E731
    for sid, cells in cells_of.items():
        ordered = sorted(cells, key=rank)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                pairs.setdefault((a, b), []).append(sid)
    out = [Pair(a, b, len(ids), len({case_of[s] for s in ids if case_of[s] is not None}), tuple(sorted(ids)))
           for (a, b), ids in pairs.items()]
    return tuple(sorted(out, key=lambda p: (-p.segments, -p.cases, rank(p.first), rank(p.second))))
