"""The review queue: which segment a coder decides next, with what they need to decide it.

It knows nothing of the screen: the terminal review, the Excel round trip and any
later interface are thin faces over :func:`review_queue`. Decisions go back through
:func:`qualcode.store.codings.apply_decisions`; this module only reads.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

from qualcode.store import codings
from qualcode.store import documents as stored_documents
from qualcode.store.codings import CodingRow
from qualcode.errors import ModelError, NotFoundError
from qualcode.records import Evidence, EvidenceMatch, Segment, format_time

if TYPE_CHECKING:
    from qualcode.store import Store

# A direction cue further than this (in characters) from every aspect word it colours
# is weak evidence: roughly ten words, usually another clause.
FAR_CUE_CHARS = 60
# Words shared with accepted segments count when they are at least this long and
# occur in at most one segment in five (so 'docenten' in an education study does not).
MIN_WORD_LETTERS = 5
_WORD = re.compile(r"[^\W\d_]{%d,}" % MIN_WORD_LETTERS)

QUEUE_ORDER = """\
Order of the queue: segments you have not decided come first (segments you
decided are skipped, so a new session resumes where you stopped). Among them:
once a model has been trained (`qualcode learn`), the segments it is least sure
about come first; then segments whose suggestions rest on weak evidence (a single
keyword match, or a direction cue far from the aspect word); then segments without
a suggestion that share uncommon words (5+ letters) with segments you accepted
(codes the keywords may have missed); then the rest in document order."""


@dataclass(frozen=True)
class ReviewItem:
    """One segment to decide, with its context and everything known about its codes."""

    segment: Segment
    case_label: str  # the case pseudonym (never the real name), '-' without a case
    before: Segment | None  # the turn before and after, as context
    after: Segment | None
    suggestions: tuple[CodingRow, ...]  # machine suggestions (within --code), with evidence
    decisions: tuple[CodingRow, ...]  # this coder's own decisions on the segment
    others: tuple[CodingRow, ...]  # other coders' decisions: empty unless show_others
    memo: str | None  # this coder's memo
    decided: bool  # the coder has decided every suggestion in scope (and seen the segment)
    reason: str  # why the segment stands where it does in the queue

    @property
    def suggested_keys(self) -> list[tuple[str, str]]:
        """(code, direction) of the suggestions, once each, in a stable order."""
        return list(dict.fromkeys((s.code, s.direction) for s in self.suggestions))


# -- evidence ----------------------------------------------------------------------------
def _matches(evidence: Mapping[str, Any] | None) -> tuple[EvidenceMatch, ...]:
    return Evidence.from_json(evidence).matches


def is_weak(suggestion: CodingRow) -> bool:
    """A keyword suggestion that rests on one keyword match, or on a cue far from every aspect word."""
    matches = _matches(suggestion.evidence)
    if suggestion.origin != "keyword" or not matches:
        return False
    aspects = [m for m in matches if m.is_aspect]
    if len(aspects) <= 1:
        return True
    for cue in matches:
        if cue.is_cue:
            gap = min(max(0, cue.start - a.end, a.start - cue.end) for a in aspects)
            if gap > FAR_CUE_CHARS:
                return True
    return False


def describe_evidence(suggestion: CodingRow) -> str:
    """Short, human evidence: "'nakijkwerk' (compound nakijk*), cue 'sneller'" or "model 0.71"."""
    parts = []
    for m in _matches(suggestion.evidence):
        text, kind, pattern = m.text, m.rule_kind, m.pattern
        note = f" ({m.note})" if m.note else ""
        if m.is_cue:
            parts.append(f"cue '{text}'{note}")
        elif m.is_aspect:
            same = not pattern or (kind in ("", "word") and pattern.lower() == text.lower())
            parts.append(f"'{text}'" + ("" if same else f" ({kind + ' ' if kind else ''}{pattern})") + note)
    if suggestion.origin == "model" or not parts:
        score = f" {suggestion.score:.2f}" if suggestion.score is not None else ""
        parts.append(f"{suggestion.origin}{score}")
    return ", ".join(dict.fromkeys(parts))


def evidence_words(suggestions: Iterable[CodingRow]) -> tuple[list[str], list[str]]:
    """The matched aspect words and the direction cues of these suggestions, each once."""
    matches = [m for s in suggestions for m in _matches(s.evidence) if m.text]
    words = list(dict.fromkeys(m.text for m in matches if m.is_aspect))
    cues = list(dict.fromkeys(m.text for m in matches if m.is_cue))
    return words, cues


def highlight_spans(suggestions: Iterable[CodingRow], text_length: int) -> list[tuple[int, int, bool]]:
    """Non-overlapping (start, end, is_cue) spans of matched words, offsets into the segment text."""
    spans = sorted({(m.start, m.end, m.is_cue) for sug in suggestions for m in _matches(sug.evidence)
                    if 0 <= m.start < m.end <= text_length and (m.is_cue or m.is_aspect)})
    out: list[tuple[int, int, bool]] = []
    for start, end, cue in spans:
        if out and start < out[-1][1]:
            last = out[-1]
            out[-1] = (last[0], max(last[1], end), last[2] and cue)
        else:
            out.append((start, end, cue))
    return out


_PLACE_WORDS = {"nl": ("rij", "positie"), "en": ("row", "position")}


def segment_when(segment: Segment, language: str = "en") -> str:
    """Where the segment is in its source, for a reviewer: its timestamp ('00:12:34–00:13:02',
    '00:12:34' without an end), else its table row ('rij 17'), else its position in the
    document as the report cites it ('positie 12')."""
    row_word, position_word = _PLACE_WORDS.get(language, _PLACE_WORDS["en"])
    if segment.start_time is not None or segment.end_time is not None:
        start = format_time(segment.start_time) or "?"
        return start + (f"–{format_time(segment.end_time)}" if segment.end_time is not None else "")
    if segment.source_row is not None:
        return f"{row_word} {segment.source_row}"
    return f"{position_word} {segment.position}"


# -- the queue ---------------------------------------------------------------------------
def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _model_margin(store: "Store", segment_ids: Sequence[int]) -> dict[int, float]:
    """Per segment, how far the trained model is from undecided (small: unsure); empty without a model."""
    from qualcode.coding.learn import model_uncertainty

    try:
        return dict(model_uncertainty(store, list(segment_ids)) or {})
    except ModelError:  # no model trained yet
        return {}


def _case_labels(store: "Store") -> dict[str, str]:
    return {c.case_id: c.pseudonym for c in store.cases()}  # pseudonym falls back to the id


class _Snapshot:
    """Everything the queue needs, read once (a few queries, not a few per segment)."""

    def __init__(self, store: "Store", coder: str, code: str | None, show_others: bool,
                 study: str | None = None, segment: Segment | None = None):
        con = store.con
        self.code, self.show_others = code, show_others
        if segment is None:
            self.all_segments = store.segments(study=study)
        else:  # one item: the segment and its neighbours only
            self.all_segments = [s for s in (segment, *store.neighbours(segment)) if s is not None]
        only = segment.id if segment is not None else None
        by_position = {(s.document_id, s.position): s for s in self.all_segments}
        self.neighbours = {s.id: (by_position.get((s.document_id, s.position - 1)),
                                  by_position.get((s.document_id, s.position + 1))) for s in self.all_segments}
        self.suggestions: dict[int, list[CodingRow]] = {}
        for row in codings.suggestions_for(con, only):
            if code is None or row.code == code:
                self.suggestions.setdefault(row.segment_id, []).append(row)
        self.own: dict[int, list[CodingRow]] = {}
        self.others: dict[int, list[CodingRow]] = {}
        for row in codings.decisions_for(con, segment_id=only):
            target = self.own if row.coder == coder else self.others
            target.setdefault(row.segment_id, []).append(row)
        self.memos = {sid: text for (sid, _), text in codings.memos(con, coder).items()}
        self.done = codings.decided_segments(con, coder)
        self.cases = _case_labels(store)

    @classmethod
    def of_segments(cls, store: "Store", coder: str, show_others: bool, segment_ids: Sequence[int],
                    shared: "_Snapshot", texts: dict[int, str]) -> "_Snapshot":
        """A snapshot of a chunk of segments (no neighbours), sharing the coder's memos, decided
        segments and case labels with ``shared``, so a chunk costs queries on the chunk only."""
        snap = cls.__new__(cls)
        con = store.con
        snap.code, snap.show_others = None, show_others
        snap.all_segments = stored_documents.segments(con, ids=segment_ids, texts=texts)
        snap.neighbours = {}
        snap.suggestions = {}
        for row in codings.codings_of_segments(con, segment_ids, suggestions=True):
            snap.suggestions.setdefault(row.segment_id, []).append(row)
        snap.own, snap.others = {}, {}
        for row in codings.codings_of_segments(con, segment_ids, suggestions=False):
            target = snap.own if row.coder == coder else snap.others
            target.setdefault(row.segment_id, []).append(row)
        snap.memos, snap.done, snap.cases = shared.memos, shared.done, shared.cases
        return snap

    def is_decided(self, segment_id: int) -> bool:
        own = self.own.get(segment_id, [])
        judged = {(r.code, r.direction) for r in own}
        sugs = self.suggestions.get(segment_id, [])
        if not all((s.code, s.direction) in judged for s in sugs):
            return False
        if self.code is not None:  # one code: decided once its suggestions (or own codings) are
            return bool(sugs) or any(r.code == self.code for r in own)
        return segment_id in self.done

    def in_scope(self, segment: Segment) -> bool:
        if not segment.to_code:
            return False
        if self.code is None:
            return True
        return bool(self.suggestions.get(segment.id)) or any(r.code == self.code for r in self.own.get(segment.id, []))

    def item(self, segment: Segment, reason: str) -> ReviewItem:
        before, after = self.neighbours.get(segment.id, (None, None))
        return ReviewItem(
            segment=segment,
            case_label=self.cases.get(segment.case_id, segment.case_id) if segment.case_id else "-",
            before=before, after=after,
            suggestions=tuple(self.suggestions.get(segment.id, [])),
            decisions=tuple(r for r in self.own.get(segment.id, []) if self.code in (None, r.code)),
            others=tuple(self.others.get(segment.id, [])) if self.show_others else (),
            memo=self.memos.get(segment.id),
            decided=self.is_decided(segment.id),
            reason=reason,
        )


def review_queue(
    store: "Store",
    coder: str,
    *,
    code: str | None = None,
    study: str | None = None,
    show_others: bool = False,
    include_decided: bool = False,
) -> list[ReviewItem]:
    """The segments ``coder`` has still to decide, most useful first (see :data:`QUEUE_ORDER`).

    ``code`` limits the queue to segments with a suggestion of that code and shows only
    that code's suggestions. Other coders' decisions are included only with
    ``show_others`` (blind double coding by default). ``include_decided`` appends the
    segments already decided, in document order (the Excel export shows them too).
    """
    snap = _Snapshot(store, coder, code, show_others, study=study)
    segments = [s for s in snap.all_segments if s.to_code]
    scoped = [s for s in segments if snap.in_scope(s)]
    open_, done = [s for s in scoped if not snap.is_decided(s.id)], [s for s in scoped if snap.is_decided(s.id)]

    margin = _model_margin(store, [s.id for s in open_])
    # Uncommon words of the segments this coder accepted a code on.
    frequency = Counter(w for s in segments for w in _words(s.text))
    common = max(2, len(segments) // 5)
    accepted_ids = {r.segment_id for rows in snap.own.values() for r in rows
                    if r.status == "accepted" and (code is None or r.code == code)}
    accepted_words = {w for s in segments if s.id in accepted_ids for w in _words(s.text) if frequency[w] <= common}

    ranked = []
    for index, seg in enumerate(open_):
        sugs = snap.suggestions.get(seg.id, [])
        shared = len(_words(seg.text) & accepted_words) if not sugs else 0
        if seg.id in margin:
            tier, reason = 0, f"the model is unsure (p within {margin[seg.id]:.2f} of 0.5)"
        elif any(is_weak(s) for s in sugs):
            tier, reason = 1, "weak evidence"
        elif shared:
            tier, reason = 2, f"no suggestion, but {shared} word{'s' if shared > 1 else ''} in common with segments you accepted"
        else:
            tier, reason = 3, "document order"
        ranked.append(((tier, margin.get(seg.id, 0.0), -shared, index), seg, reason))
    ranked.sort(key=lambda r: r[0])
    items = [snap.item(seg, reason) for _, seg, reason in ranked]
    if include_decided:
        items += [snap.item(seg, "decided before") for seg in done]
    return items


def review_items(store: "Store", coder: str, segment_ids: Sequence[int], *, show_others: bool = False,
                 chunk: int = 2000) -> Iterator[ReviewItem]:
    """The review items of these segments, in the order given, read ``chunk`` segments at a
    time, so memory stays flat however large the project (the Excel export's rows).

    The items have no context (``before`` and ``after`` are None) and the reason "document
    order": the workbook shows neither.
    """
    con = store.con
    shared = _Snapshot.__new__(_Snapshot)
    shared.memos = {sid: text for (sid, _), text in codings.memos(con, coder).items()}
    shared.done = codings.decided_segments(con, coder)
    shared.cases = _case_labels(store)
    texts: dict[int, str] = {}
    for i in range(0, len(segment_ids), chunk):
        part = segment_ids[i:i + chunk]
        snap = _Snapshot.of_segments(store, coder, show_others, part, shared, texts)
        by_id = {s.id: s for s in snap.all_segments}
        for sid in part:
            yield snap.item(by_id[sid], "document order")
        last = by_id[part[-1]].document_id
        for document_id in [d for d in texts if d != last]:  # keep the text of the document going on
            del texts[document_id]


def open_count(store: "Store", coder: str, *, code: str | None = None, study: str | None = None) -> int:
    """How many segments the coder has still to decide (the queue's length, without ranking it)."""
    snap = _Snapshot(store, coder, code, False, study=study)
    return sum(1 for s in snap.all_segments if snap.in_scope(s) and not snap.is_decided(s.id))


def review_item(store: "Store", coder: str, segment_id: int, *, code: str | None = None,
                show_others: bool = False, reason: str = "") -> ReviewItem:
    """One segment as a fresh :class:`ReviewItem` (after a decision, or going back)."""
    segment = store.segment(segment_id)
    return _Snapshot(store, coder, code, show_others, segment=segment).item(segment, reason)


def check_code(codebook: Any, code: str | None) -> None:
    """NotFoundError naming the codes when ``code`` is not in the codebook."""
    if code is not None and code not in codebook.code_ids:
        raise NotFoundError(f"no code {code!r} in the codebook; the codes are: {', '.join(codebook.code_ids)}")
