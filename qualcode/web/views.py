"""What the pages show, computed from the review stream and the analysis: plain data for the templates.

Nothing here writes; nothing here is HTML (the templates escape every text they show).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from qualcode.records import DIRECTIONS, Evidence
from qualcode.review.terminal import Entry, entries_for

if TYPE_CHECKING:
    from qualcode.project import Project
    from qualcode.review.queue import ReviewItem
    from qualcode.store.codings import CodingRow
    from qualcode.web.text import PageWords

COLOURS = 6  # code-0 … code-5 in app.css; more codes reuse them


@dataclass(frozen=True)
class Piece:
    """A run of a segment's text: plain, or matched by the rules of ``codes`` (with their titles)."""

    text: str
    codes: tuple[int, ...] = ()  # colour numbers of the codes whose rules matched here
    cue: bool = False  # only direction cues matched here
    title: str = ""  # which rule fired, per code


def colour(codebook: Any, code: str) -> int:
    ids = list(codebook.code_ids)
    return (ids.index(code) if code in ids else len(ids)) % COLOURS


def _rule_text(match: Any, words: "PageWords") -> str:
    """The rule that fired, in the codebook's own terms ('compound nakijk*', "cue 'extra' (risico)")."""
    what = f"{match.rule_kind} {match.pattern}".strip() if match.pattern else match.text
    if match.is_cue:
        kind = words.direction(match.kind) if match.kind in DIRECTIONS else match.kind
        what = f"cue '{match.text}' ({kind})"
    return what + (f": {match.note}" if match.note else "")


def highlight(text: str, suggestions: Iterable["CodingRow"], codebook: Any, words: "PageWords") -> list[Piece]:
    """The segment's text cut at every matched span, each piece knowing which codes matched it and by which rule."""
    spans = []
    for sug in suggestions:
        for m in Evidence.from_json(sug.evidence).matches:
            if 0 <= m.start < m.end <= len(text) and (m.is_cue or m.is_aspect):
                label = f"{words.code(sug.code)} → {words.direction(sug.direction)}: {_rule_text(m, words)}"
                spans.append((m.start, m.end, colour(codebook, sug.code), m.is_cue, label))
    cuts = sorted({0, len(text), *(s for s, _, _, _, _ in spans), *(e for _, e, _, _, _ in spans)})
    pieces = []
    for start, end in zip(cuts, cuts[1:]):
        over = [s for s in spans if s[0] <= start and end <= s[1]]
        piece = text[start:end]
        if not over:
            pieces.append(Piece(piece))
            continue
        aspects = tuple(sorted({c for _, _, c, cue, _ in over if not cue}))
        pieces.append(Piece(piece, aspects or tuple(sorted({c for _, _, c, _, _ in over})),
                            cue=not aspects, title="\n".join(dict.fromkeys(t for *_, t in over))))
    return pieces


@dataclass(frozen=True)
class EntryView:
    number: int
    key: str  # 'code|direction': the form's value
    code: str
    direction: str
    label: str
    direction_label: str
    colour: int
    ticked: bool
    suggested: bool
    decided: str | None
    evidence: str
    rules: tuple[str, ...]


def entry_views(item: "ReviewItem", entries: Sequence[Entry], codebook: Any, words: "PageWords") -> list[EntryView]:
    out = []
    for number, e in enumerate(entries, start=1):
        rules = tuple(dict.fromkeys(_rule_text(m, words) for s in item.suggestions if (s.code, s.direction) == (e.code, e.direction)
                                    for m in Evidence.from_json(s.evidence).matches))
        out.append(EntryView(number, f"{e.code}|{e.direction}", e.code, e.direction, words.code(e.code),
                             words.direction(e.direction), colour(codebook, e.code), e.ticked, e.suggested, e.decided,
                             e.evidence, rules))
    return out


_REASONS = (  # review/queue.py's reasons (English) and their keys in PAGE_TEXT
    (re.compile(r"the model is unsure \(p within (?P<margin>[0-9.]+) of 0\.5\)"), "reason_model"),
    (re.compile(r"weak evidence"), "reason_weak"),
    (re.compile(r"no suggestion, but (?P<n>\d+) words? in common with segments you accepted"), "reason_words"),
    (re.compile(r"document order"), "reason_order"),
    (re.compile(r"decided before"), "reason_decided"),
)


def reason_text(words: "PageWords", reason: str) -> str:
    """Why the segment stands where it does in the queue, in the page's language (as given when unknown)."""
    for pattern, key in _REASONS:
        found = pattern.fullmatch(reason)
        if found:
            return words.page(key, **found.groupdict())
    return reason


def segment_version(project: "Project", segment_id: int, coders: Iterable[str]) -> int:
    """The newest decision-log line of these coders on the segment (0: none): what a stale page is told by."""
    wanted = set(coders)
    return max([0, *(e.id for e in project.history(segment_id) if e.coder in wanted)])


def undo_target(project: "Project", coder: str) -> tuple[int, str | None]:
    """(the coder's newest log line, the source of the batch an undo would take back, None: nothing to undo).

    The page undoes only what was decided in the browser: one step of another face can be a
    whole imported workbook, which `qualcode undo` takes back knowingly.
    """
    log = project.history(coder=coder)
    undone = {e.undoes for e in log if e.undoes is not None}
    open_ = [e for e in log if e.action != "undo" and e.id not in undone]
    return max([0, *(e.id for e in log)]), (open_[-1].source if open_ else None)


def codings_text(words: "PageWords", keys: Iterable[tuple[str, str]], codebook: Any) -> str:
    ids = list(codebook.code_ids)
    ordered = sorted(keys, key=lambda k: (ids.index(k[0]) if k[0] in ids else len(ids), DIRECTIONS.index(k[1])))
    return ", ".join(f"{words.code(c)} → {words.direction(d)}" for c, d in ordered) or words.page("no_code")


__all__ = ["Piece", "EntryView", "colour", "highlight", "entry_views", "entries_for", "segment_version",
           "undo_target", "codings_text", "reason_text"]
