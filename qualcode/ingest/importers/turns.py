"""Find speaker turns (or paragraphs) in plain lines of text; shared by .txt/.md and .docx.

Recognised speaker lines::

    Interviewer: tekst              R1: tekst          I: tekst
    [00:01:23] Marieke: tekst       00:01:23 Marieke: tekst
    Marieke (00:01:23): tekst       **Marieke:** tekst (Markdown bold)
    00:01:23 Marieke                Marieke   0:03     (text on the following lines)

A label counts as a speaker only if it is a known form (Interviewer, I, R, R1,
Respondent 2, Onderzoeker, ...), carries a timestamp, or is used as a label at
least twice in the file, so "Let op: ..." once in prose is not a speaker. A turn
runs until the next speaker line; lines without a label (and blank lines) inside
it belong to it. With no speaker lines at all, paragraphs become turns with
speaker None.

Offsets refer to the text as given; the span of a turn is its content only
(no label, no timestamp), trimmed of surrounding whitespace.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Collection, Iterator, Mapping

from qualcode.records import ParsedTurn

_T = r"(?:\d{1,2}:)?\d{1,3}:\d{2}(?:[.,]\d{1,3})?"
# A timestamp: bracketed or parenthesised as a whole, or bare and not followed by more digits
# ("[00:12:00]", "(0:03)", "00:01:23"); "[00:12" and "12:00:00:01" are not timestamps.
_TS = rf"(?:\[{_T}\]|\({_T}\)|#{_T}(?:-\d{{1,2}})?#|{_T}(?![\d:]))"
_TS_PARTS = re.compile(r"[\[(#]?(?:(\d{1,2}):)?(\d{1,3}):(\d{2})(?:[.,-](\d{1,3}))?[\])#]?")
_BOLD = r"(?:\*\*|__)?"

# "[ts] Label [ts]: [ts] content" -- applied to the first characters of a line only,
# so a line of 200,000 characters costs nothing. The colon must not be followed by a
# digit ("So I 12:00" is a time, not a label).
_LABEL_LINE = re.compile(
    rf"[ \t]*(?:(?P<ts1>{_TS})[ \t]*(?:[-–—|][ \t]*)?)?(?P<bold>{_BOLD})(?P<label>[^:\n\[\]]{{1,90}}?)[ \t]*"
    rf"(?:(?P<ts2>{_TS})[ \t]*)?{_BOLD}:(?!\d){_BOLD}[ \t]*(?:(?P<ts3>{_TS})[ \t]*)?"
)
# "[Label] content" or "[Label]: content" (QualCoder-style ids, some caption tools).
_BRACKET_LINE = re.compile(r"[ \t]*\[(?P<label>[^\]\n:]{1,60})\][ \t]*(?::[ \t]*)?(?=\S)")
_TS_THEN_LABEL = re.compile(rf"[ \t]*(?P<ts>{_TS})[ \t]+(?:[-–—|][ \t]*)?(?P<label>[^\W\d_][^:\n]*?)[ \t]*:?[ \t]*")
_LABEL_THEN_TS = re.compile(rf"[ \t]*{_BOLD}(?P<label>[^\W\d_][^:\n]*?){_BOLD}[ \t]+(?P<ts>{_TS})[ \t]*:?[ \t]*")
_BRACKET_THEN_TS = re.compile(rf"[ \t]*\[(?P<label>[^\]\n]{{1,60}})\][ \t]+(?P<ts>{_TS})[ \t]*")
_TS_ONLY = re.compile(rf"[ \t]*{_TS}[ \t]*")
_F4_END = re.compile(r"[ \t]*#(?P<ts>(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[-.,]\d{1,2})?)#[ \t]*$")
_LABEL_PREFIX = 200  # characters of a line that may hold a label
_HEADER_LINE_MAX = 100  # a "Naam 00:01:23" line is short

_KNOWN_SPEAKER = re.compile(
    r"(?:interviewer|interviewster|interviewerin|int|i|i ?\d+|iv|r|r ?\d+|resp|respondent(?: ?\d+)?"
    r"|onderzoeker(?: ?\d+)?|interviewee|geïnterviewde|spreker ?\d+|speaker ?\d+|deelnemer(?: ?\d+)?"
    r"|gespreksleider|moderator|facilitator|p ?\d+|v|a|q|vraag|antwoord|b|b ?\d+|ip|befragte[r]?"
    r"|speaker_\d+|spk_?\d+|unknown speaker)",
    re.IGNORECASE,
)
# Lines that look like "Label: value" but are a transcript's header or footer, never a speaker.
_HEADER_FIELDS = {
    "meeting title", "meeting id", "hosted by", "host", "organizer", "organiser", "organisator", "date", "datum",
    "time", "tijd", "tijdstip", "start time", "end time", "begintijd", "eindtijd", "duration", "duur", "length",
    "lengte", "location", "locatie", "plaats", "place", "attendees", "participants", "aanwezig", "aanwezigen",
    "deelnemers", "afwezig", "present", "absent", "transcript", "transcriptie", "transcribed by",
    "getranscribeerd door", "title", "titel", "subject", "onderwerp", "topic", "keywords", "trefwoorden",
    "summary", "samenvatting", "speakers", "sprekers", "recorded", "recording", "opname", "opgenomen",
    "created", "gemaakt", "language", "taal", "source", "bron", "file", "bestand", "audio", "video",
    "note", "notes", "notitie", "notities", "version", "versie", "project", "study", "studie", "coder", "codeur",
    "verslag", "notulist", "agenda", "school", "datum interview", "interviewdatum", "setting", "context",
    "started transcription", "stopped transcription", "transcript title", "meeting", "vergadering", "website",
    "url", "link", "e-mail", "email", "tel", "telefoon", "re", "cc", "bcc", "from", "to", "van", "aan",
}
# A transcription tool's own lines: kept in the text, never part of a turn, not coded.
_BOILERPLATE = re.compile(
    r"\s*(?:transcribed by https?://otter\.ai\S*|.{1,80} (?:started|stopped) transcription\.?"
    r"|.{1,80} heeft (?:de )?transcriptie (?:gestart|gestopt|beëindigd)\.?"
    r"|meeting ended after .*|(?:\*\*)?(?:meeting title|meeting id|hosted by|organi[sz]er|transcribed by"
    r"|recorded on|attendees|participants)(?:\*\*)?\s*:.*)\s*",
    re.IGNORECASE,
)
# Lines a web page copy adds around a speaker's name (Zoom's cloud-recording page).
_NOISE_LINES = {"user avatar", "avatar", "profile picture", "profielfoto", "gebruikersavatar", "user image"}
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
_NOT_SPEAKERS = {"http", "https", "ftp", "mailto", "www"}
_LABEL_MAX_CHARS = 40
_LABEL_MAX_WORDS = 5
_REMARK_MAX_CHARS = 60  # "(Universiteit Utrecht, lerarenopleiding)"
_ONCE_MAX_WORDS = 4
_LABEL_CHARS = set(" .-'’/()_")  # "SPEAKER_00" (WhisperX)
# Words that start a sentence ending in a colon ("Kortom: ...", "Let op: ..."): never a one-off speaker.
_NOT_ONCE = {
    "kortom", "dus", "maar", "en", "nou", "oftewel", "bijvoorbeeld", "namelijk", "conclusie", "let", "nb", "n.b.",
    "ps", "p.s.", "tip", "opmerking", "voorbeeld", "eerlijk", "want", "toen", "daarna", "ook", "of", "so", "well",
    "however", "example", "note", "and", "but", "then", "also", "the", "de", "het", "een", "ik", "we", "wij", "je",
    "jij", "zij", "hij", "ze", "dat", "dit", "die", "wat", "hoe", "waarom", "daarom", "zeker", "ja", "nee", "oké",
    "ok", "okay", "yes", "no", "i", "you", "it", "this", "that", "what", "why", "how",
}
_MOSTLY_LABELLED = 0.5  # share of the non-blank lines that start a turn in a "one line per turn" file


@dataclass(frozen=True)
class LineLabel:
    """A speaker label an importer already knows for a line (a bold run, a table row).

    ``content_start`` is the absolute offset where the spoken text begins; it may
    be the end of the line when the text follows on the next lines.
    """

    speaker: str
    content_start: int
    start_time: float | None = None


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # exclusive, before the "\n"


@dataclass(frozen=True)
class _Candidate:
    speaker: str
    content_start: int
    start_time: float | None
    trusted: bool  # a known form, a header line, a user pattern or given by the importer
    style: tuple[object, ...] = ()  # (bold, stamp before, stamp inside, bracketed): one-off speakers must match
    has_content: bool = True  # text follows the label on the same line
    boilerplate: bool = False  # a tool's own line: ends the turn before it, is not a turn itself


def find_turns(
    text: str,
    *,
    labels: Mapping[int, LineLabel] | None = None,
    block_starts: Collection[int] | None = None,
    speaker_pattern: "re.Pattern[str] | str | None" = None,
) -> tuple[ParsedTurn, ...]:
    """Split ``text`` into speaker turns, or into paragraphs when it has no speakers.

    ``labels`` maps a line's start offset to a label the caller already found
    (trusted as a speaker). ``block_starts`` are offsets where a new paragraph
    begins even without a blank line (Word paragraphs); by default only blank
    lines separate paragraphs. ``speaker_pattern`` (``--speaker-pattern``) replaces
    the built-in rules: a regular expression matched at the start of each line,
    with a group ``speaker`` and optionally a group ``time``.
    """
    lines = list(_lines(text))
    if speaker_pattern is not None:
        candidates = _pattern_candidates(text, lines, compile_speaker_pattern(speaker_pattern))
    else:
        candidates = _candidates(text, lines, labels or {})
    if not candidates:
        return tuple(_paragraphs(text, lines, set(block_starts or ())))
    return tuple(_speaker_turns(text, lines, candidates, set(block_starts or ())))


def compile_speaker_pattern(pattern: "re.Pattern[str] | str") -> "re.Pattern[str]":
    """``--speaker-pattern`` as a compiled regex with a ``speaker`` group; UsageError otherwise."""
    from qualcode.errors import UsageError

    if isinstance(pattern, re.Pattern):
        compiled = pattern
    else:
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise UsageError(f"--speaker-pattern {pattern!r} is not a valid regular expression ({error}); "
                             r"example: --speaker-pattern '(?P<speaker>[A-Z][\w ]+) \((?P<time>[\d:]+)\):'") from None
    if "speaker" not in compiled.groupindex:
        raise UsageError(f"--speaker-pattern {compiled.pattern!r} has no group named 'speaker'; "
                         r"write the name part as (?P<speaker>...), e.g. '(?P<speaker>[A-Z]\w+) zegt:'")
    return compiled


def parse_timestamp(value: str) -> float | None:
    """Seconds in ``[00:01:23]``, ``00:01:23``, ``1:23`` (m:ss), ``(00:01:23,5)``, ``#00:01:23-4#``; else None."""
    match = _TS_PARTS.fullmatch(value.strip())
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        total += int(fraction) / 10 ** len(fraction)
    return float(total)


def looks_like_label(label: str) -> bool:
    """A speaker name: 1-5 words, at most 40 characters, starting with a letter, no sentence marks.

    Letters, digits, spaces and . - ' ’ / only, plus an affiliation or remark in
    parentheses ("R1 (schoolleider)", "Jan Jansen (UU)") and one comma in a name
    written surname first ("Jansen, Jan", "Vries, M. de").
    """
    label = label.strip()
    remarks = re.findall(r"\(([^()]*)\)", label)
    if any(len(remark) > _REMARK_MAX_CHARS for remark in remarks):
        return False
    core = _PARENTHESES.sub("", label).strip()
    if not core or len(core) > _LABEL_MAX_CHARS or not core[0].isalpha():
        return False
    if len(core.split()) > _LABEL_MAX_WORDS or core.casefold() in _NOT_SPEAKERS:
        return False
    if "(" in core or ")" in core:
        return False
    if core.count(",") > 1:
        return False
    if "," in core:
        surname, given = (part.strip() for part in core.split(","))
        if not surname or not given or not given[0].isupper() or len(surname.split()) > 3:
            return False
        core = core.replace(",", " ")
    return all(char.isalnum() or char in _LABEL_CHARS for char in core)


def is_known_speaker(label: str) -> bool:
    """Interviewer, I, R, R1, Respondent 2, Onderzoeker, Spreker 1, B1, ... (any case).

    A remark in parentheses does not count: "R1 (schoolleider)" is known.
    """
    return _KNOWN_SPEAKER.fullmatch(_PARENTHESES.sub("", label).strip()) is not None


def is_boilerplate(line: str) -> bool:
    """A transcription tool's own line: "Transcribed by https://otter.ai", "Jan started transcription",
    "Meeting title: ...", "Hosted by: ..."."""
    return len(line) <= _LABEL_PREFIX and _BOILERPLATE.fullmatch(line) is not None


def is_header_field(label: str) -> bool:
    """"Meeting title", "Hosted by", "Datum", "Aanwezig", ...: a header or footer field, not a speaker."""
    return " ".join(label.casefold().replace("*", "").split()) in _HEADER_FIELDS


def clean_speaker(label: str) -> str:
    """The label as written, with runs of whitespace made single spaces."""
    return " ".join(label.split())


def _lines(text: str) -> Iterator[_Line]:
    position = 0
    for line in text.split("\n"):
        yield _Line(position, position + len(line))
        position += len(line) + 1


def _pattern_candidates(text: str, lines: list[_Line], pattern: "re.Pattern[str]") -> dict[int, _Candidate]:
    found: dict[int, _Candidate] = {}
    for index, line in enumerate(lines):
        head = text[line.start : min(line.end, line.start + _LABEL_PREFIX)]
        match = pattern.match(head)
        if match is None or not (match["speaker"] or "").strip():
            continue
        stamp = match.groupdict().get("time")
        found[index] = _Candidate(clean_speaker(match["speaker"]), line.start + match.end(),
                                  parse_timestamp(stamp) if stamp else None, True)
    return found


def _candidates(
    text: str, lines: list[_Line], given: Mapping[int, LineLabel]
) -> dict[int, _Candidate]:
    """Speaker lines by line index, after the rules in the module docstring."""
    found, consumed = _header_blocks(text, lines)
    for index, line in enumerate(lines):
        if index in consumed or index in found:
            continue
        if line.start in given and not is_header_field(given[line.start].speaker):  # "**Datum:** 12 maart"
            label = given[line.start]
            found[index] = _Candidate(
                clean_speaker(label.speaker), label.content_start, label.start_time, True
            )
        else:
            candidate = _label_in_line(text, line)
            if candidate is not None:
                found[index] = candidate
    counts = Counter(candidate.speaker.casefold() for candidate in found.values())
    trusted_names = {c.speaker.casefold() for c in found.values() if c.trusted}
    established = {
        index for index, candidate in found.items()
        if candidate.trusted
        or counts[candidate.speaker.casefold()] >= 2
        or candidate.speaker.casefold() in trusted_names
    }
    established |= _timestamped_style(text, lines, found)
    if not established:
        return {}
    first = min(established)  # once: this loop only adds indices after it
    for index, line in enumerate(lines):  # after the first speaker, a tool's own lines end a turn
        if index > first and index not in established and \
                _BOILERPLATE.fullmatch(text, line.start, min(line.end, line.start + _LABEL_PREFIX)) and \
                line.end - line.start <= _LABEL_PREFIX:
            found[index] = _Candidate("", line.start, None, True, ("boilerplate",), True, True)
            established.add(index)
    # A speaker who speaks once: accepted in a file where most lines start a turn, when the
    # label is written like the established ones (so "**Naam:**" files do not take a
    # "[00:01:00] zo gezegd: ..." line for a speaker), and text follows it on its line.
    non_blank = sum(1 for line in lines[first:] if text[line.start : line.end].strip())
    styles = Counter(found[index].style for index in established if len(found[index].style) == 4)
    if non_blank and len(established) / non_blank >= _MOSTLY_LABELLED and styles:
        style = styles.most_common(1)[0][0]
        for index, candidate in found.items():
            if index in established or index < first:
                continue
            core = _PARENTHESES.sub("", candidate.speaker).strip()
            if candidate.style == style and candidate.has_content and len(core.split()) <= _ONCE_MAX_WORDS \
                    and (core[:1].isupper() or any(char.isdigit() for char in core)) \
                    and core.split()[0].casefold() not in _NOT_ONCE:
                established.add(index)
    # A time on a line of its own between turns (Google Meet every few minutes, a typist's
    # marks) is not text: it ends the turn before it and dates what follows.
    for index, line in enumerate(lines):
        if index > first and index not in found and index not in consumed and \
                line.end - line.start <= _HEADER_LINE_MAX and _TS_ONLY.fullmatch(text, line.start, line.end):
            found[index] = _Candidate("", line.end, parse_timestamp(text[line.start:line.end]), True, ("mark",))
            established.add(index)
    return {index: found[index] for index in sorted(established)}


def _timestamped_style(text: str, lines: list[_Line], found: Mapping[int, _Candidate]) -> set[int]:
    """Labels after a timestamp ("[00:01:23] Naam: ...") are speakers when such lines are
    the file's layout: at least two, and most lines that start with a timestamp are one."""
    stamped = [index for index, c in found.items() if len(c.style) == 4 and c.style[1] and not c.trusted]
    if len(stamped) < 2:
        return set()
    starting = sum(
        1 for line in lines if _TS_START.match(text, line.start, min(line.end, line.start + 40))
    )
    return set(stamped) if len(stamped) * 2 >= starting else set()


_TS_START = re.compile(rf"[ \t]*{_TS}")


def _label_in_line(text: str, line: _Line) -> _Candidate | None:
    head = text[line.start : min(line.end, line.start + _LABEL_PREFIX)]
    # Header lines first: in "Marieke   0:03" the colon belongs to the time.
    if line.end - line.start <= _HEADER_LINE_MAX:
        for pattern in (_BRACKET_THEN_TS, _TS_THEN_LABEL, _LABEL_THEN_TS):
            match = pattern.fullmatch(head)
            if match is None or not looks_like_label(match["label"]) or is_header_field(match["label"]):
                continue
            start_time = parse_timestamp(match["ts"])
            if start_time is not None:
                return _Candidate(clean_speaker(match["label"]), line.end, start_time, True,
                                  ("header",), False)
    match = _LABEL_LINE.match(head)
    if match is not None and looks_like_label(match["label"]) and not is_header_field(match["label"]):
        label = clean_speaker(match["label"])
        stamp = match["ts1"] or match["ts2"] or match["ts3"]
        start_time = parse_timestamp(stamp) if stamp else None
        style = (bool(match["bold"]), bool(match["ts1"]), bool(match["ts2"]), False)
        has_content = line.start + match.end() < line.end
        # A time right at the label ("Naam (00:01:23):", "**Naam:** [00:01:23]") marks a speaker;
        # a time before it ("[00:01:00] zo gezegd: ...") may be a minute mark in running text.
        trusted = is_known_speaker(label) or bool(match["ts2"] or match["ts3"])
        return _Candidate(label, line.start + match.end(), start_time, trusted, style, has_content)
    match = _BRACKET_LINE.match(head)
    if match is not None and parse_timestamp(match["label"]) is None and looks_like_label(match["label"]) \
            and not is_header_field(match["label"]):
        label = clean_speaker(match["label"])
        return _Candidate(label, line.start + match.end(), None, is_known_speaker(label),
                          (False, False, False, True), True)
    return None


def _header_blocks(text: str, lines: list[_Line]) -> tuple[dict[int, _Candidate], set[int]]:
    """Speaker headers over several lines: ``Name`` / ``00:06:22`` / text (Zoom's web page,
    with ``user avatar`` lines) or ``00:06:22`` / ``Name`` / text.

    Returns the candidates (keyed by the first line of each header) and the header lines.
    """
    def content(index: int) -> str:
        return text[lines[index].start : lines[index].end].strip()

    def neighbour(index: int, step: int) -> int | None:
        index += step
        while 0 <= index < len(lines) and not content(index):
            index += step
        return index if 0 <= index < len(lines) else None

    def is_name(index: int | None) -> bool:
        if index is None:
            return False
        value = content(index)
        return (looks_like_label(value) and not is_header_field(value) and _TS_ONLY.fullmatch(value) is None
                and value.casefold() not in _NOISE_LINES)

    stamps = [i for i in range(len(lines)) if content(i) and _TS_ONLY.fullmatch(content(i))]
    if not stamps:
        return {}, set()
    before = [i for i in stamps if is_name(neighbour(i, -1)) and neighbour(i, 1) is not None]
    after = [i for i in stamps if is_name(neighbour(i, 1)) and neighbour(neighbour(i, 1) or 0, 1) is not None]
    blocks = before if len(before) >= len(after) else after
    if len(blocks) < 2 or len(blocks) * 2 < len(stamps):
        return {}, set()
    found: dict[int, _Candidate] = {}
    consumed: set[int] = set()
    for stamp in blocks:
        if blocks is before:
            name = neighbour(stamp, -1)
            assert name is not None
            first, last = name, stamp
        else:
            name = neighbour(stamp, 1)
            assert name is not None
            first, last = stamp, name
        while first > 0 and (not content(first - 1) or content(first - 1).casefold() in _NOISE_LINES):
            if not content(first - 1) and (first < 2 or content(first - 2).casefold() not in _NOISE_LINES):
                break
            first -= 1
        found[first] = _Candidate(clean_speaker(content(name)), lines[last].end,
                                  parse_timestamp(content(stamp)), True, ("block",), False)
        consumed.update(range(first, last + 1))
    # "user avatar" lines not attached to a name are left out of the turns as well.
    return found, consumed


def _speaker_turns(
    text: str, lines: list[_Line], candidates: dict[int, _Candidate], block_starts: set[int]
) -> Iterator[ParsedTurn]:
    first = min(candidates)
    if first > 0:  # a preamble (title, date) before the first speaker
        yield from _paragraphs(text, lines[:first], block_starts)
    indices = sorted(candidates)
    speaker: str | None = None
    pending_time: float | None = None  # from a time mark with no text after it: for the next turn
    for index, next_index in zip(indices, indices[1:] + [len(lines)]):
        candidate = candidates[index]
        end = lines[next_index - 1].end
        span = _trim(text, candidate.content_start, end)
        mark = candidate.style == ("mark",)
        if span is None:
            if mark:
                pending_time = candidate.start_time
            continue
        if candidate.boilerplate:
            yield ParsedTurn(start=span[0], end=span[1], boilerplate=True)
            continue
        if not mark:
            speaker = candidate.speaker
        start, stop, end_time = _without_end_stamp(text, *span)
        start_time = candidate.start_time if candidate.start_time is not None else pending_time
        pending_time = None
        # text after a time mark continues the turn before it, from that time on
        yield ParsedTurn(start=start, end=stop, speaker=speaker, start_time=start_time, end_time=end_time)


def _without_end_stamp(text: str, start: int, end: int) -> tuple[int, int, float | None]:
    """A turn ending in an f4/MAXQDA time mark ``#00:01:23-4#``: the mark is its end time."""
    match = _F4_END.search(text, max(start, end - 30), end)
    if match is None:
        return start, end, None
    span = _trim(text, start, match.start())
    if span is None:
        return start, end, None
    return span[0], span[1], parse_timestamp(match["ts"])


def _paragraphs(text: str, lines: list[_Line], block_starts: set[int]) -> Iterator[ParsedTurn]:
    start: int | None = None
    end = 0
    for line in lines:
        blank = text[line.start : line.end].strip() == ""
        if start is not None and (blank or line.start in block_starts):
            yield from _paragraph(text, start, end)
            start = None
        if not blank:
            if start is None:
                start = line.start
            end = line.end
    if start is not None:
        yield from _paragraph(text, start, end)


def _paragraph(text: str, start: int, end: int) -> Iterator[ParsedTurn]:
    span = _trim(text, start, end)
    if span is not None:
        s, e, end_time = _without_end_stamp(text, *span)
        yield ParsedTurn(start=s, end=e, end_time=end_time)


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without surrounding whitespace, or None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
