"""An explanation of the keyword coder (:func:`qualcode.coding.keywords.explain`) as terminal text."""
from __future__ import annotations

from typing import TYPE_CHECKING

from qualcode.records import ASPECT_RULE_KINDS, DIRECTIONS, EvidenceMatch

if TYPE_CHECKING:  # pragma: no cover - typing only
    from qualcode.coding.codebook import Codebook
    from qualcode.coding.keywords import Explanation

_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def format_explanation(expl: "Explanation", codebook: "Codebook", color: bool = False) -> str:
    """The explanation as terminal text: the segment with matched words marked
    (``[word]``, or bold when ``color``), then per sentence one line per code and
    direction naming the rules and cues, and one line per cancelled rule."""
    segment = expl.segment
    head = [f"segment {segment.id}"]
    if segment.speaker:
        head.append(segment.speaker)
    if segment.document_name:
        head.append(segment.document_name)
    lines = [" · ".join(head) + f" (strategy {expl.strategy}, codebook {codebook.name} {codebook.short_version})"]
    spans = sorted({(m.start, m.end) for s in expl.sentences for m in s.matches})
    lines.append(_mark(segment.text, spans, color))
    if not expl.sentences:
        lines.append("no keyword rule fired.")
        return "\n".join(lines)
    for number, sentence in enumerate(expl.sentences, 1):
        lines.append("")
        title = f"sentence {number} [{sentence.start}:{sentence.end}]"
        lines.append(f"{_BOLD}{title}{_RESET}" if color else title)
        by_line: dict[tuple[str, str], list[str]] = {}
        for mention in sentence.mentions:
            for direction in mention.directions:
                parts = by_line.setdefault((mention.code, direction), [])
                for part in [_describe_rule(mention.aspect)] + [_describe_rule(cue) for cue in mention.cues if cue.kind == direction]:
                    if part not in parts:
                        parts.append(part)
        order = {code.id: index for index, code in enumerate(codebook.codes)}
        for (code, direction), parts in sorted(by_line.items(), key=lambda kv: (order.get(kv[0][0], 99), DIRECTIONS.index(kv[0][1]))):
            lines.append(f"  {_code_name(codebook, code)} → {codebook.direction_label(direction)}: " + "; ".join(parts))
        for item in sentence.cancelled:
            what = _code_name(codebook, item.match.code) if item.match.code and item.match.kind in ("aspect", "exclusion") else _describe_rule(item.match)
            if item.match.kind == "aspect":
                what += f": '{item.match.text}'"
            text = f"  cancelled: {what} — {item.reason}"
            lines.append(f"{_DIM}{text}{_RESET}" if color else text)
        if not sentence.mentions and not sentence.cancelled:
            cues = ", ".join(f"'{m.text}' ({m.kind})" for m in sentence.matches)
            lines.append(f"  only cues, no aspect keyword: {cues}")
    lines.append("")
    if expl.suggestions:
        summary = ", ".join(f"{_code_name(codebook, s.code)} → {codebook.direction_label(s.direction)}" for s in expl.suggestions)
        lines.append(f"suggested: {summary}")
    else:
        lines.append("suggested: nothing")
    return "\n".join(lines)


def _code_name(codebook: "Codebook", code_id: str | None) -> str:
    if code_id is None:
        return "?"
    try:
        label = codebook.label(code_id)
    except KeyError:
        return code_id
    return code_id if label == code_id else f"{code_id} ({label})"


def _describe_rule(match: EvidenceMatch) -> str:
    kind, pattern = match.rule_kind, match.pattern
    if kind in ASPECT_RULE_KINDS:
        text = f"{kind} {pattern} matched '{match.text}'"
        return text + (f" {match.note}" if match.note else "")
    if kind == "cue":
        text = f"cue '{match.text}' ({match.kind})"
    elif kind in ("increase", "decrease"):
        text = f"{kind} '{match.text}' ({match.kind})" if match.kind in ("opportunity", "risk") else f"{kind} cue '{match.text}'"
    elif kind == "exclude":
        text = f"exclusion '{match.text}'"
    else:
        text = f"{match.rule} '{match.text}'"
    return text + (f": {match.note}" if match.note else "")


def _mark(text: str, spans: list[tuple[int, int]], color: bool) -> str:
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, position = [], 0
    for start, end in merged:
        out.append(text[position:start])
        out.append(f"{_BOLD}{text[start:end]}{_RESET}" if color else f"[{text[start:end]}]")
        position = end
    out.append(text[position:])
    return "".join(out)
