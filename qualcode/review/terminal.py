"""The terminal face of the review: one segment at a time, one key per decision.

Keys are read with ``click.getchar()`` on a terminal; when stdin is not a terminal
(a pipe, a test's ``CliRunner``) one line is read per key, so ``"a\\n1\\n\\n"`` drives
a session. Every confirmed segment is applied at once through
:func:`qualcode.store.codings.apply_decisions` (its own transaction), so quitting,
Ctrl-C or a crash never loses a decision made before.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import click

from qualcode.errors import ChangedMeanwhileError
from qualcode.store import codings
from qualcode.store.codings import Decision
from qualcode.records import DIRECTIONS, Segment
from qualcode.review.queue import (ReviewItem, check_code, describe_evidence, highlight_spans, open_count, review_item,
                                   review_queue, segment_when)
from qualcode.coding.codebook import stored_codebook

if TYPE_CHECKING:
    from qualcode.store import Store
    from qualcode.review.reconcile import Dispute

CONTEXT_CHARS = 160
ENTER = "\n"
REVIEW_KEYS = ("a accept all · r reject all · 1-9 tick/untick, then enter to confirm (unticked = rejected)\n"
               "  d change a direction · c add a code · m memo · s skip · b back · q quit")


class Keys:
    """Reads single keys (a terminal) or one line per key (a pipe or a test)."""

    def __init__(self) -> None:
        self.tty = sys.stdin.isatty()

    def key(self, prompt: str = "> ") -> str:
        """One key, lower-cased; ENTER for the Enter key or an empty line; 'q' at end of input."""
        click.echo(prompt, nl=False)
        if self.tty:
            try:
                ch = click.getchar()
            except EOFError:  # Ctrl-D
                ch = "q"
            click.echo("enter" if ch in ("\r", "\n") else ch)
            return ENTER if ch in ("\r", "\n") else ch.lower()
        line = sys.stdin.readline()
        click.echo()
        if line == "":  # end of input: stop like 'q'
            return "q"
        return line.strip()[:1].lower() or ENTER

    def line(self, prompt: str) -> str:
        """A line of text (a memo); '' at end of input."""
        if self.tty:
            return click.prompt(prompt, default="", show_default=False)
        click.echo(f"{prompt}: ", nl=False)
        text = sys.stdin.readline()
        click.echo()
        return text.rstrip("\n")


@dataclass
class Entry:
    """One (code, direction) shown for a segment and what the coder makes of it."""

    code: str
    direction: str
    ticked: bool  # accepted when confirmed
    suggested: bool = False
    decided: str | None = None  # the coder's stored status, if any
    new_direction: str | None = None  # set by 'd'
    evidence: str = ""
    who: str = ""  # reconcile: which coder(s) accepted it

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.new_direction or self.direction)


@dataclass
class ReviewSummary:
    """What a terminal session changed (counts of changes, as apply_decisions reports them)."""

    decided: int = 0
    accepted: int = 0
    rejected: int = 0
    added: int = 0
    changed: int = 0
    memos: int = 0
    skipped: int = 0
    remaining: int = 0
    interrupted: bool = False

    def count(self, counts: dict[str, int]) -> None:
        self.accepted += counts.get("accept", 0)
        self.rejected += counts.get("reject", 0) + counts.get("remove", 0)
        self.added += counts.get("add", 0)
        self.changed += counts.get("change_direction", 0)
        self.memos += counts.get("memo", 0)

    def line(self) -> str:
        text = (f"Decided {self.decided} segment{'s' if self.decided != 1 else ''}: {self.accepted} accepted, "
                f"{self.rejected} rejected, {self.added} added, {self.changed} direction changed, "
                f"{self.memos} memo{'s' if self.memos != 1 else ''}.")
        return text + f" Skipped {self.skipped}; {self.remaining} still to decide."


# -- showing -------------------------------------------------------------------------------
def _short(text: str, limit: int = CONTEXT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _context(label: str, segment: Segment | None) -> str:
    if segment is None:
        return ""
    who = segment.speaker or "-"
    return click.style(f"  {label}  {who}: {_short(segment.text)}", dim=True)


def highlighted(text: str, spans: Iterable[tuple[int, int, bool]]) -> str:
    """The text with aspect words bold and underlined and cue words underlined."""
    out, pos = [], 0
    for start, end, cue in spans:
        out.append(text[pos:start])
        out.append(click.style(text[start:end], bold=not cue, underline=True))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _entry_line(number: int, entry: Entry, codebook: Any) -> str:
    box = "[x]" if entry.ticked else "[ ]"
    label = f"{codebook.label(entry.code)} → {codebook.direction_label(entry.new_direction or entry.direction)}"
    if entry.new_direction:
        label += f" (was {codebook.direction_label(entry.direction)})"
    detail = entry.evidence or ("added" if not entry.suggested and not entry.decided else "")
    if entry.who:
        detail = entry.who + (f"; {detail}" if detail else "")
    return f"  {box} {number if number <= 9 else ' '}  {label}" + (f": {detail}" if detail else "")


def _show_item(item: ReviewItem, entries: Sequence[Entry], n: int, total: int, codebook: Any) -> None:
    seg = item.segment
    click.echo()
    header = (f"[{n} of {total}] segment #{seg.id} · {item.case_label} · {seg.speaker or '-'} · {seg.document_name}"
              f" · {segment_when(seg, codebook.language)}")
    click.echo(click.style(header, bold=True) + (click.style(f"   ({item.reason})", dim=True) if item.reason else ""))
    if item.decided:
        click.echo(click.style("  (you decided this segment before; confirming records it again as shown)", dim=True))
    if item.before is not None:
        click.echo(_context("before", item.before))
    click.echo()
    click.echo(highlighted(seg.text, highlight_spans(item.suggestions, len(seg.text))))
    click.echo()
    if item.after is not None:
        click.echo(_context("after ", item.after))
        click.echo()
    if entries:
        for number, entry in enumerate(entries, start=1):
            click.echo(_entry_line(number, entry, codebook))
    else:
        click.echo("  no codes suggested")
    others: dict[str, list[tuple[str, str]]] = {}
    for row in item.others:
        if row.status == "accepted":
            others.setdefault(row.coder or "?", []).append((row.code, row.direction))
    for coder, keys in sorted(others.items()):
        click.echo(click.style(f"  {coder} accepted: {codings_text(codebook, keys)}", dim=True))
    if item.memo:
        click.echo(f"  memo: {item.memo}")
    click.echo(click.style(f"  {REVIEW_KEYS}", dim=True))


# -- editing the entries ---------------------------------------------------------------------
def _code_order(codebook: Any) -> Callable[[tuple[str, str]], tuple[int, int]]:
    ids = list(codebook.code_ids)
    return lambda key: (ids.index(key[0]) if key[0] in ids else len(ids), DIRECTIONS.index(key[1]))


def entries_for(item: ReviewItem, codebook: Any) -> list[Entry]:
    """Suggestions and the coder's own decisions as entries: ticked where the coder accepted before."""
    own = {(r.code, r.direction): r.status for r in item.decisions}
    keys = sorted(set(item.suggested_keys) | set(own), key=_code_order(codebook))
    out = []
    for code, direction in keys:
        rows = [s for s in item.suggestions if (s.code, s.direction) == (code, direction)]
        out.append(Entry(code, direction, ticked=own.get((code, direction)) == "accepted", suggested=bool(rows),
                         decided=own.get((code, direction)), evidence="; ".join(describe_evidence(s) for s in rows)))
    return out


def _choose(keys: Keys, prompt: str, options: Sequence[str]) -> int | None:
    """The index of an option chosen by number, or None (a wrong key cancels)."""
    for number, option in enumerate(options, start=1):
        click.echo(f"    {number}  {option}")
    if len(options) <= 9:
        answer = keys.key(f"  {prompt} (1-{len(options)}, other key cancels): ")
    else:
        answer = keys.line(f"  {prompt} (1-{len(options)}, empty cancels)").strip()
    if answer.isdigit() and 1 <= int(answer) <= len(options):
        return int(answer) - 1
    return None


def _add_code(entries: list[Entry], keys: Keys, codebook: Any) -> None:
    code_index = _choose(keys, "code", [f"{codebook.label(c)} [{c}]" for c in codebook.code_ids])
    if code_index is None:
        return
    direction_index = _choose(keys, "direction", [codebook.direction_label(d) for d in DIRECTIONS])
    if direction_index is None:
        return
    key = (codebook.code_ids[code_index], DIRECTIONS[direction_index])
    for entry in entries:
        if entry.key == key:
            entry.ticked = True
            return
    entries.append(Entry(*key, ticked=True))
    entries.sort(key=lambda e: _code_order(codebook)(e.key))


def _change_direction(entries: list[Entry], keys: Keys, codebook: Any) -> None:
    if not entries:
        click.echo("  nothing to change; add a code with c")
        return
    index: int | None = 0
    if len(entries) > 1:
        index = _choose(keys, "which code", [_entry_line(n, e, codebook).strip() for n, e in enumerate(entries, 1)])
    if index is None:
        return
    entry = entries[index]
    choice = _choose(keys, "new direction", [codebook.direction_label(d) for d in DIRECTIONS])
    if choice is None:
        return
    new = DIRECTIONS[choice]
    if new == entry.direction:
        entry.new_direction, entry.ticked = None, True
        return
    for other in entries:
        if other is not entry and other.key == (entry.code, new):  # that direction is listed: tick it instead
            other.ticked, entry.ticked, entry.new_direction = True, False, None
            return
    entry.new_direction, entry.ticked = new, True


def _toggle(entries: list[Entry], key: str) -> bool:
    if key.isdigit() and 1 <= int(key) <= len(entries):
        entry = entries[int(key) - 1]
        entry.ticked = not entry.ticked
        return True
    return False


def decisions_from(segment_id: int, entries: Iterable[Entry]) -> list[Decision]:
    """What confirming the entries means: ticked ones accepted (or added, or moved), the rest rejected."""
    out = []
    for e in entries:
        known = e.suggested or e.decided is not None
        if e.new_direction and e.ticked:
            out.append(Decision(segment_id, "change_direction", e.code, e.direction, new_direction=e.new_direction))
        elif e.ticked:
            out.append(Decision(segment_id, "accept" if known else "add", e.code, e.direction))
        elif known:
            out.append(Decision(segment_id, "reject" if e.suggested else "remove", e.code, e.direction))
    return out


# -- the review session ----------------------------------------------------------------------
def run_review(store: "Store", coder: str, *, code: str | None = None, study: str | None = None,
               show_others: bool = False, keys: Keys | None = None) -> ReviewSummary:
    """Review the coder's queue one segment at a time until it ends or the coder quits."""
    codebook = stored_codebook(store)
    check_code(codebook, code)
    keys = keys or Keys()
    summary = ReviewSummary()
    queue = review_queue(store, coder, code=code, study=study, show_others=show_others)
    if not queue:
        click.echo(f"Nothing to review: coder {coder} has decided every segment"
                   + (f" with a suggestion of {code}" if code else "")
                   + ". Revise in Excel with `qualcode review export FILE`, or see `qualcode history`.")
        return summary
    valid = list(codebook.code_ids)
    i = 0
    try:
        while 0 <= i < len(queue):
            item = review_item(store, coder, queue[i].segment.id, code=code, show_others=show_others,
                               reason=queue[i].reason)
            entries = entries_for(item, codebook)
            redraw = True
            while True:
                if redraw:
                    _show_item(item, entries, i + 1, len(queue), codebook)
                redraw = True
                key = keys.key()
                if _toggle(entries, key):
                    continue
                if key in ("a", "r", "n", ENTER):
                    if key in ("a", "r"):
                        for e in entries:
                            e.ticked = key == "a"
                    counts = codings.apply_decisions(
                        store.con, coder, decisions_from(item.segment.id, entries), source="terminal",
                        valid_codes=valid, done_segments=[] if code else [item.segment.id])
                    summary.count(counts)
                    summary.decided += 1
                    i += 1
                    break
                if key == "d":
                    _change_direction(entries, keys, codebook)
                elif key == "c":
                    _add_code(entries, keys, codebook)
                elif key == "m":
                    text = keys.line("memo (enter keeps it, '-' deletes it)").strip()
                    if text:
                        summary.count(codings.apply_decisions(
                            store.con, coder, [Decision(item.segment.id, "memo", memo=None if text == "-" else text)],
                            source="terminal"))
                        item = review_item(store, coder, item.segment.id, code=code, show_others=show_others,
                                           reason=item.reason)
                elif key == "s":
                    summary.skipped += 1
                    i += 1
                    break
                elif key == "b":
                    if i == 0:
                        click.echo("  this is the first segment of the session")
                        redraw = False
                        continue
                    i -= 1
                    break
                elif key == "q":
                    i = -1
                    break
                else:
                    click.echo(f"  unknown key {key!r}")
                    redraw = False
        if i >= len(queue):
            click.echo("\nEnd of the queue.")
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.remaining = open_count(store, coder, code=code, study=study)
    return summary


# -- reconciling -----------------------------------------------------------------------------
@dataclass
class ReconcileSummary:
    settled: int = 0
    skipped: int = 0
    remaining: int = 0
    interrupted: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return (f"Settled {self.settled} segment{'s' if self.settled != 1 else ''}; skipped {self.skipped}; "
                f"{self.remaining} still in dispute.")


def codings_text(codebook: Any, keys: Iterable[tuple[str, str]]) -> str:
    ordered = sorted(keys, key=_code_order(codebook))
    return ", ".join(f"{codebook.label(c)} → {codebook.direction_label(d)}" for c, d in ordered) or "(no code)"


def _edit_set(dispute: "Dispute", first: str, second: str, keys: Keys, codebook: Any) -> set | None:
    """Tick the codings to keep (both coders' shown; those they agree on ticked); None when cancelled."""
    union = sorted(dispute.first | dispute.second, key=_code_order(codebook))
    entries = [Entry(c, d, ticked=(c, d) in dispute.first and (c, d) in dispute.second,
                     who=" + ".join(n for n, s in ((first, dispute.first), (second, dispute.second)) if (c, d) in s))
               for c, d in union]
    while True:
        for number, entry in enumerate(entries, start=1):
            click.echo(_entry_line(number, entry, codebook))
        key = keys.key("  1-9 tick/untick · c add code · d direction · enter confirm · q cancel > ")
        if _toggle(entries, key):
            continue
        if key == "c":
            _add_code(entries, keys, codebook)
        elif key == "d":
            _change_direction(entries, keys, codebook)
        elif key in (ENTER, "n"):
            return {e.key for e in entries if e.ticked}
        elif key == "q":
            return None


def run_reconcile(store: "Store", first: str, second: str, *, settled_by: str | None = None,
                  study: str | None = None, keys: Keys | None = None) -> ReconcileSummary:
    """Settle, one segment at a time, where ``first`` and ``second`` differ."""
    from qualcode.review.reconcile import disputes, settle

    codebook = stored_codebook(store)
    keys = keys or Keys()
    summary = ReconcileSummary()
    open_disputes = disputes(store, first, second, study=study, include_settled=False)
    if not open_disputes:
        click.echo(f"Nothing to settle: {first} and {second} agree on every segment they both decided "
                   "(or every difference is settled).")
        return summary
    try:
        for n, dispute in enumerate(open_disputes, start=1):
            seg = dispute.segment
            while True:
                click.echo()
                click.echo(click.style(f"[{n} of {len(open_disputes)}] segment #{seg.id} · {dispute.case_label} · "
                                       f"{seg.speaker or '-'} · {seg.document_name} · "
                                       f"{segment_when(seg, codebook.language)}", bold=True))
                click.echo()
                click.echo(seg.text)
                click.echo()
                click.echo(f"  1  {first}: {codings_text(codebook, dispute.first)}")
                click.echo(f"  2  {second}: {codings_text(codebook, dispute.second)}")
                key = keys.key(f"  1 take {first}'s · 2 take {second}'s · e edit · s skip · q quit > ")
                chosen, how = None, ""
                if key == "1":
                    chosen, how = set(dispute.first), f"took {first}'s codings"
                elif key == "2":
                    chosen, how = set(dispute.second), f"took {second}'s codings"
                elif key == "e":
                    chosen, how = _edit_set(dispute, first, second, keys, codebook), "edited"
                    if chosen is None:
                        continue
                elif key == "s":
                    summary.skipped += 1
                    break
                elif key == "q":
                    raise _Quit
                else:
                    click.echo(f"  unknown key {key!r}")
                    continue
                try:
                    done = settle(store, dispute, chosen, how=how, settled_by=settled_by)
                except ChangedMeanwhileError as changed:  # nothing recorded for it; the others can still be settled
                    click.echo(f"  {changed}", err=True)
                    summary.skipped += 1
                    break
                for action, number in done.items():
                    summary.counts[action] = summary.counts.get(action, 0) + number
                summary.settled += 1
                break
    except _Quit:
        pass
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.remaining = len(disputes(store, first, second, study=study, include_settled=False))
    return summary


class _Quit(Exception):
    """The coder pressed q."""
