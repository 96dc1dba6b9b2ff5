"""The passages behind each matrix cell, the quotes chosen from them, and which cells go together.

A :class:`Passage` is one coded segment of a cell with what a reader needs to cite it: the
case's pseudonym and role, the study, the document, the position and timestamp, the
interviewer's question before it, the memos written on it, and the excerpt that carries the
evidence (whole sentences, never cut through a keyword match). :func:`choose_quotes` picks
per cell quotes spread over roles (or another attribute) and cases. :func:`co_occurrence`
counts the aspect × direction pairs coded on the same segment.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from qualcode.records import Evidence

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.store import Store

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


def passages(store: "Store", codings_df: "pd.DataFrame", *, spread_by: str | None = "role",
             max_chars: int = 300) -> tuple[Passage, ...]:
    """One passage per row of ``codings_df`` (segment × code × direction), in segment order."""
    from qualcode.store import codings, passages as stored

    if not len(codings_df):
        return ()
    wanted = set(codings_df["segment_id"].astype(int))  # only these segments: not a whole large corpus
    sources = stored.segment_sources(store.con, wanted)
    evidence = stored.evidence_per_coding(store.con, wanted)
    selection = codings_df.attrs.get("selection") or {}
    coders = set(selection.get("coders") or ())
    memos: dict[int, list[tuple[str, str]]] = {}
    for (segment_id, coder), text in sorted(codings.memos(store.con).items()):
        if not coders or coder in coders:
            memos.setdefault(int(segment_id), []).append((coder, text))
    per_segment = codings_df.groupby("segment_id")["segment_id"].transform("size")
    out = []
    texts: dict[int, str] = {}  # a segment's cleaned text, one string for all its codings
    for r, n in zip(codings_df.to_dict("records"), per_segment):
        sid = int(r["segment_id"])
        if sid not in texts:
            texts[sid] = clean(r["text"])
        src = sources.get(sid)
        raw = evidence.get((sid, r["code"], r["direction"]))
        ev = Evidence.from_json(json.loads(raw)) if raw else Evidence()
        group_value = r.get(spread_by) if spread_by else None
        case_key = r["case_id"] if isinstance(r.get("case_id"), str) else f"segment {sid}"
        out.append(Passage(
            segment_id=sid, code=r["code"], direction=r["direction"], pseudonym=str(r["pseudonym"]),
            role=r.get("role"), study=r.get("study"), document=src.document if src else str(r["document"]),
            position=src.position if src else 0, start_time=src.start_time if src else None,
            end_time=src.end_time if src else None, text=texts[sid],
            excerpt=excerpt(str(r["text"]), ev, max_chars), question=question_before(src.interviewer_turns) if src else None,
            memos=tuple(memos.get(sid, ())), status=r["status"],
            group=None if group_value is None or group_value != group_value else str(group_value),
            case_key=f"{r.get('study')}/{case_key}", codes_on_segment=int(n),
            source_row=src.source_row if src else None))
    return tuple(out)


def _preference(p: Passage, max_chars: int) -> tuple:
    """Reviewed first, then an excerpt of 60–max_chars characters, then single-code segments, then the id."""
    return (p.status != "accepted", not QUOTE_MIN_CHARS <= len(p.excerpt) <= max_chars, p.codes_on_segment > 1,
            p.segment_id)


def choose_quotes(cell: Iterable[Passage], per_cell: int, max_chars: int = 300) -> list[Passage]:
    """At most ``per_cell`` quotes of one cell, spread over groups (round robin) and over cases.

    Groups take turns in order of name (the missing value last); each turn takes the group's
    best passage from a case not yet quoted. When every case is quoted, the best remaining
    passages fill up.
    """
    ranked = sorted(cell, key=lambda p: _preference(p, max_chars))
    by_group: dict[str, list[Passage]] = {}
    for p in ranked:
        by_group.setdefault(p.group if p.group is not None else "\uffff", []).append(p)
    picked: list[Passage] = []
    seen_cases: set[str] = set()
    progress = True
    while len(picked) < per_cell and progress:
        progress = False
        for group in sorted(by_group):
            if len(picked) >= per_cell:
                break
            fresh = next((p for p in by_group[group] if p.case_key not in seen_cases), None)
            if fresh is not None:
                picked.append(fresh)
                seen_cases.add(fresh.case_key)
                progress = True
    for p in ranked:
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
    for r in codings_df[["segment_id", "code", "direction", "case_id", "study"]].itertuples(index=False):
        cells_of.setdefault(int(r.segment_id), set()).add((r.code, r.direction))
        case_of[int(r.segment_id)] = (r.study, r.case_id) if isinstance(r.case_id, str) else None
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
