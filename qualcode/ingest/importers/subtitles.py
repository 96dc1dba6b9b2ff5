"""Subtitle transcripts: WebVTT (.vtt, Teams and Zoom exports) and SubRip (.srt).

Parsed here rather than with webvtt-py: we need every voice span of a cue
(``<v Marieke de Vries>``), the line number of a broken cue for the error
message, and leniency for what Teams and Zoom actually write; the formats are
small enough to read directly.

Cues become turns: consecutive cues of the same speaker are merged into one turn
(start time of the first cue, end time of the last). Cues without a speaker are
merged likewise, but a pause of ``PAUSE_SECONDS`` or more starts a new
paragraph, so a speaker-less file does not become one huge turn. The document
text has one line per turn, ``Speaker: text`` (just ``text`` without a
speaker), turns separated by a blank line; a turn's span covers the text only.
Markup tags are removed and character references (``&amp;``) decoded.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from qualcode.errors import ImportFormatError
from qualcode.ingest.importers.encoding import decode_bytes, encoding_note
from qualcode.ingest.importers.turns import (
    clean_speaker,
    compile_speaker_pattern,
    is_boilerplate,
    is_header_field,
    is_known_speaker,
    looks_like_label,
)
from qualcode.records import ParsedDocument, ParsedTurn

PAUSE_SECONDS = 2.0
PARAGRAPH_WORDS = 150
_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"  # lenient: old Teams wrote 0:0:3.450; no ms
_TIMING = re.compile(rf"\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?")  # cue settings may follow
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>", re.IGNORECASE)
_TAG = re.compile(r"</?(?:[A-Za-z]|\d+:)[^<>\n]*>")  # <c.x>, </v>, <00:00:01.000>
_SPEAKER_PREFIX = re.compile(r"\s*([^:\n]{1,90}?)\s*:\s+")
_BLOCK_KEYWORDS = ("NOTE", "STYLE", "REGION")
_TURN_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class _Cue:
    start_time: float
    end_time: float
    speaker: str | None
    text: str
    boilerplate: bool = False  # Zoom's trailing "Meeting title: ..." cues: kept, not coded


def read_subtitles(path: Path, data: bytes, *, encoding: str | None = None,
                   speaker_pattern: str | None = None) -> list[ParsedDocument]:
    """One document from a .vtt or .srt file, with merged speaker turns.

    ``speaker_pattern`` (``--speaker-pattern``) is matched at the start of each cue's text.
    """
    source = decode_bytes(data, path, encoding=encoding)
    is_vtt = path.suffix.lower() == ".vtt"
    cues = list(_vtt_cues(path.name, source) if is_vtt else _srt_cues(path.name, source))
    cues = _with_pattern_speakers(cues, speaker_pattern) if speaker_pattern else _with_zoom_speakers(cues)
    cues = [cue for cue in cues if cue.text]
    if not cues:
        raise ImportFormatError(
            f"{path.name}: no subtitle cues with text found; check that you exported the transcript"
        )
    backwards = _backwards(cues)
    text, turns = _render(_merge(cues))
    note = encoding_note(data, path.name, encoding)
    return [ParsedDocument(name=path.name, format="vtt" if is_vtt else "srt", text=text, turns=turns,
                           notes=(note,) if note else (),
                           warnings=(f"{path.name}: {backwards}",) if backwards else ())]


_TIMED_LINE = re.compile(rf"[ \t]*\[?[ \t]*{_TIME}[ \t]*-->[ \t]*{_TIME}[ \t]*\]?(?P<rest>.*)")
_CUE_ID = re.compile(r"\s*(?:\d+|[0-9a-fA-F-]{8,}(?:/\d+-\d+)?)\s*")


def timed_text_document(name: str, doc_format: str, text: str) -> ParsedDocument | None:
    """A text (.txt, .md, .docx body) timed like subtitles, read as cues; None for any other text.

    Recognised: Whisper's ``[00:43.810 --> 00:47.850]  text`` lines (WhisperX adds
    ``SPEAKER_00:``), the old Teams layout ``0:0:0.0 --> 0:0:5.230`` / ``Name`` / text,
    and SubRip or WebVTT cues without their header. At least two timing lines, and at
    least a fifth of the non-blank lines. The document text is rendered as for a
    .vtt (``Speaker: text``, one turn per paragraph); a preamble before the first cue
    is kept as the first paragraph.
    """
    lines = text.split("\n")
    timed = [i for i, line in enumerate(lines) if _TIMED_LINE.fullmatch(line)]
    non_blank = sum(1 for line in lines if line.strip())
    if len(timed) < 2 or len(timed) * 5 < non_blank:
        return None
    preamble = " ".join(line.strip() for line in lines[: timed[0]]
                        if line.strip() and not re.fullmatch(r"\s*WEBVTT.*", line) and not _CUE_ID.fullmatch(line))
    raw: list[tuple[float, float, list[str]]] = []
    for index, next_index in zip(timed, timed[1:] + [len(lines)]):
        match = _TIMED_LINE.fullmatch(lines[index])
        assert match is not None
        groups = match.groups()
        payload = [match["rest"].strip()] if match["rest"].strip() else []
        body = [line.strip() for line in lines[index + 1 : next_index] if line.strip()]
        if body and next_index < len(lines) and _CUE_ID.fullmatch(body[-1]):
            body = body[:-1]  # the number or id of the next cue
        raw.append((_seconds(groups[:4]), _seconds(groups[4:8]), payload + body))
    multi = [payload for _, _, payload in raw if len(payload) >= 2]
    names = [payload[0] for payload in multi if looks_like_label(payload[0]) and ":" not in payload[0]
             and not is_header_field(payload[0])]
    name_lines = len(multi) >= 2 and len(names) * 5 >= len(multi) * 4 and (
        len({n.casefold() for n in names}) < len(names) or all(is_known_speaker(n) for n in names)
    )
    cues = []
    for start_time, end_time, payload in raw:
        speaker = None
        if name_lines and len(payload) >= 2 and looks_like_label(payload[0]) and ":" not in payload[0]:
            speaker, payload = clean_speaker(payload[0]), payload[1:]
        cues.append(_Cue(start_time, end_time, speaker, _plain(" ".join(payload))))
    cues = [cue for cue in _with_zoom_speakers(cues) if cue.text]
    if not cues:
        return None
    rendered, turns = _render(_merge(cues))
    if preamble:
        shift = len(preamble) + len(_TURN_SEPARATOR)
        turns = (ParsedTurn(0, len(preamble)),) + tuple(
            ParsedTurn(t.start + shift, t.end + shift, t.speaker, t.start_time, t.end_time) for t in turns
        )
        rendered = preamble + _TURN_SEPARATOR + rendered
    return ParsedDocument(name=name, format=doc_format, text=rendered, turns=turns,
                          notes=(f"{name}: read as timed cues ({len(raw)} timing lines)",))


def _with_pattern_speakers(cues: list[_Cue], pattern: str) -> list[_Cue]:
    compiled = compile_speaker_pattern(pattern)
    result = []
    for cue in cues:
        match = compiled.match(cue.text)
        if match is not None and (match["speaker"] or "").strip():
            cue = _Cue(cue.start_time, cue.end_time, clean_speaker(match["speaker"]), cue.text[match.end():].strip())
        result.append(cue)
    return result


def _blocks(source: str) -> Iterator[tuple[int, list[str]]]:
    """(line number of the first line, lines) for each cue block.

    Blocks are separated by blank lines, and a timing line (``... --> ...``) always starts a
    new block, with the cue number or id on the line before it: files with the blank lines
    missing would otherwise put the next cue's timing into the text.
    """
    block: list[str] = []
    first = 0
    for number, line in enumerate(source.split("\n"), start=1):
        if not line.strip():
            if block:
                yield first, block
                block = []
            continue
        if "-->" in line and any("-->" in earlier for earlier in block):
            carried: list[str] = []
            timing = next(i for i, earlier in enumerate(block) if "-->" in earlier)
            own = block[timing - 1] if timing else ""
            if len(block) > timing + 2 and _next_cue_id(own, block[-1]):
                carried = [block.pop()]
            yield first, block
            block, first = carried, number - len(carried)
        if not block:
            first = number
        block.append(line)
    if block:
        yield first, block


def _next_cue_id(first: str, last: str) -> bool:
    """Whether the last line of a cue block (``last``) is the id of the next cue, not text: a number
    one higher than the block's own number (``first``, the line before its timing line), or an id
    like Teams' ('6a1b.../12-0'). A cue whose last text line is '2025' keeps it."""
    last, first = last.strip(), first.strip()
    if "-->" in last or not _CUE_ID.fullmatch(last):
        return False
    if last.isdigit():
        return first.isdigit() and int(last) == int(first) + 1
    return True


def _vtt_cues(name: str, source: str) -> Iterator[_Cue]:
    blocks = _blocks(source)
    first_line, header = next(blocks, (1, [""]))
    if not re.match(r"WEBVTT(?:[ \t]|$)", header[0]):
        raise ImportFormatError(
            f"{name}, line {first_line}: no WEBVTT header, so this is not a WebVTT file; "
            "export the transcript again as .vtt (or rename a SubRip file to .srt)"
        )
    glued = next((i for i, line in enumerate(header) if "-->" in line), None)
    if glued is not None:  # no blank line after the header: the first cue is glued to it
        yield from _cue(name, first_line + glued, header[glued:], vtt=True)
    for number, lines in blocks:
        keyword = lines[0].split(maxsplit=1)[0]
        if keyword in _BLOCK_KEYWORDS and "-->" not in lines[0]:
            continue
        timing = 0 if "-->" in lines[0] else 1  # an optional cue id comes first
        yield from _cue(name, number + timing, lines[timing:], vtt=True)


def _srt_cues(name: str, source: str) -> Iterator[_Cue]:
    for number, lines in _blocks(source):
        timing = 1 if lines[0].strip().isdigit() else 0  # the cue number
        yield from _cue(name, number + timing, lines[timing:], vtt=False)


def _cue(name: str, line_number: int, lines: list[str], *, vtt: bool) -> Iterator[_Cue]:
    """The cue whose timing line is ``lines[0]``; one per voice when a cue has several."""
    match = _TIMING.fullmatch(lines[0]) if lines else None
    if match is None:
        expected = "00:01:23.450 --> 00:01:27.000" if vtt else "00:01:23,450 --> 00:01:27,000"
        found = repr(lines[0].strip()[:60]) if lines else "nothing"
        what = "broken timing line" if lines and "-->" in lines[0] else "expected a timing line, found"
        raise ImportFormatError(
            f"{name}, line {line_number}: {what} {found}; "
            f"it should look like '{expected}'; fix or delete that cue"
        )
    groups = match.groups()
    if any(part is not None and int(part) >= 60 for part in (groups[1], groups[2], groups[5], groups[6])):
        raise ImportFormatError(
            f"{name}, line {line_number}: timing line {lines[0].strip()[:60]!r} has minutes or seconds of 60 or more; "
            "fix the times of that cue (or delete it)"
        )
    start_time, end_time = _seconds(groups[:4]), _seconds(groups[4:])
    if end_time < start_time:
        raise ImportFormatError(
            f"{name}, line {line_number}: the cue ends ({_clock(end_time)}) before it starts ({_clock(start_time)}); "
            "fix the times of that cue (or delete it)"
        )
    payload = " ".join(line.strip() for line in lines[1:])
    for speaker, text in _voices(payload):
        yield _Cue(start_time, end_time, speaker, text)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _backwards(cues: list[_Cue]) -> str | None:
    """The first cue that starts before the cue before it (files pasted together, or edited by hand)."""
    for previous, cue in zip(cues, cues[1:]):
        if cue.start_time < previous.start_time:
            return (f"the cue at {_clock(cue.start_time)} comes after the one at {_clock(previous.start_time)}: the "
                    "times go backwards; the cues are kept in the order of the file, check that it is right")
    return None


def _seconds(parts: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, fraction = parts
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    return total + int(fraction or 0) / 10 ** len(fraction or "0")


def _voices(payload: str) -> Iterator[tuple[str | None, str]]:
    """(speaker, text without tags) for each ``<v Name>`` span; speaker None outside them."""
    speaker: str | None = None
    position = 0
    for match in _VOICE.finditer(payload):
        text = _plain(payload[position : match.start()])
        if text:
            yield speaker, text
        speaker = clean_speaker(match[1] or "") or None
        position = match.end()
    yield speaker, _plain(payload[position:])


def _plain(payload: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", payload)).split())


def _with_zoom_speakers(cues: list[_Cue]) -> list[_Cue]:
    """Zoom writes ``Name: text`` in the cue; take the name when it is clearly a speaker.

    When most cues without a voice tag start with a name, every such name counts
    (someone may speak once); otherwise only known forms (Interviewer, R1) and
    names that label at least two cues do, so "Let op: ..." stays text.
    """
    labels = [_zoom_label(cue) if cue.speaker is None else None for cue in cues]
    counts = Counter(label[0].casefold() for label in labels if label is not None)
    unvoiced = sum(cue.speaker is None for cue in cues)
    mostly_labelled = sum(counts.values()) * 2 > unvoiced
    result = []
    for cue, label in zip(cues, labels):
        if cue.speaker is None and is_boilerplate(cue.text):
            result.append(_Cue(cue.start_time, cue.end_time, None, cue.text, True))
            continue
        if label is not None and (
            mostly_labelled or counts[label[0].casefold()] >= 2 or is_known_speaker(label[0])
        ):
            cue = _Cue(cue.start_time, cue.end_time, label[0], cue.text[label[1]:])
        result.append(cue)
    return result


def _zoom_label(cue: _Cue) -> tuple[str, int] | None:
    match = _SPEAKER_PREFIX.match(cue.text[:80])
    if match is None:
        return None
    label = match[1].strip()
    if label.startswith("[") and label.endswith("]"):  # WhisperX: [SPEAKER_00]: text
        label = label[1:-1]
    if not looks_like_label(label) or is_header_field(label):  # "Meeting title: ..." is not a speaker
        return None
    return clean_speaker(label), match.end()


def _merge(cues: list[_Cue]) -> list[_Cue]:
    merged: list[_Cue] = []
    for cue in cues:
        previous = merged[-1] if merged else None
        same_turn = previous is not None and previous.speaker == cue.speaker \
            and previous.boilerplate == cue.boilerplate and (
            cue.speaker is not None
            or (cue.start_time - previous.end_time < PAUSE_SECONDS and not _long_paragraph(previous.text))
        )
        if previous is not None and same_turn:
            merged[-1] = _Cue(
                previous.start_time, cue.end_time, cue.speaker, f"{previous.text} {cue.text}", cue.boilerplate
            )
        else:
            merged.append(cue)
    return merged


def _long_paragraph(text: str) -> bool:
    """Speaker-less speech runs on without pauses (Whisper): a paragraph ends at a sentence
    end after PARAGRAPH_WORDS words, and in any case after three times as many."""
    words = len(text.split())
    return words >= 3 * PARAGRAPH_WORDS or (words >= PARAGRAPH_WORDS and text.rstrip()[-1:] in ".?!…")


def _render(cues: list[_Cue]) -> tuple[str, tuple[ParsedTurn, ...]]:
    parts: list[str] = []
    turns: list[ParsedTurn] = []
    length = 0
    for cue in cues:
        if parts:
            parts.append(_TURN_SEPARATOR)
            length += len(_TURN_SEPARATOR)
        prefix = f"{cue.speaker}: " if cue.speaker else ""
        parts.append(prefix + cue.text)
        start = length + len(prefix)
        length = start + len(cue.text)
        turns.append(ParsedTurn(
            start=start, end=length, speaker=cue.speaker,
            start_time=cue.start_time, end_time=cue.end_time, boilerplate=cue.boilerplate,
        ))
    return "".join(parts), tuple(turns)
