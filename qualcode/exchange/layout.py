"""qualcode's own segmentation, carried in a qualcode export so that an import rebuilds it exactly.

REFI-QDA carries sources, coded selections and cases, but not what qualcode codes by: every
segment of a document (also the uncoded ones), whether it is to be coded (an interviewer turn,
a title block is not), its case, its speaker, the row of a table it came from. A turn finder
cannot get these back from the text (a table's rows, custom interviewer labels, cases from a
case column), so an export writes them as one project note (``<Notes><Note>`` referred to from
the project's ``<NoteRef>``; both are in Project.xsd) holding JSON:

* per source (by GUID): the sha256 of its exported text, the document's format and unit, and
  its segments in order as ``[start, end, to_code, speaker, kind, case GUID, source row,
  start time, end time]`` (positions are code points of the exported text, end exclusive);
* per case (by GUID): its role, study and typed attributes (a REFI-QDA variable has one type
  for all cases; qualcode's attributes do not).

Case ids never go out (the case GUIDs are opaque), only what the file holds anyway.
The import uses a source's layout only when the note is exactly this format and the source's
text has the recorded digest; any other file (or a source another program changed) is
segmented as before. Nothing here touches the store.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NOTE_NAME = "qualcode segments (read by qualcode when this file is imported; do not edit)"
FORMAT = "qualcode-segments/1"


@dataclass(frozen=True)
class LayoutSegment:
    start: int
    end: int
    to_code: bool
    speaker: str | None
    kind: str
    case: str | None  # GUID of the case
    source_row: str | None
    start_time: float | None
    end_time: float | None


@dataclass(frozen=True)
class SourceLayout:
    format: str
    unit: str
    segments: tuple[LayoutSegment, ...]


@dataclass(frozen=True)
class CaseLayout:
    role: str | None
    study: str | None
    attributes: Mapping[str, Any]


@dataclass(frozen=True)
class Layout:
    sources: Mapping[str, SourceLayout]  # source GUID -> layout (only sources whose text fits)
    cases: Mapping[str, CaseLayout]  # case GUID -> role, study, attributes
    rejected: tuple[str, ...] = ()  # GUIDs of sources whose recorded layout does not fit their text


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def layout_json(sources: Mapping[str, tuple[str, str, str, list[LayoutSegment]]],
                cases: Mapping[str, CaseLayout]) -> str:
    """The note's text: sources as GUID -> (text, format, unit, segments), deterministic."""
    data = {
        "format": FORMAT,
        "sources": {g: {"sha256": text_digest(text), "format": fmt, "unit": unit,
                        "segments": [[s.start, s.end, int(s.to_code), s.speaker, s.kind, s.case, s.source_row,
                                      s.start_time, s.end_time] for s in segs]}
                    for g, (text, fmt, unit, segs) in sources.items()},
        "cases": {g: {"role": c.role, "study": c.study, "attributes": dict(c.attributes)} for g, c in cases.items()},
    }
    return json.dumps(data, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


def _opt(value: Any, kind: type | tuple[type, ...]) -> Any:
    if value is not None and not isinstance(value, kind):
        raise ValueError(value)
    return value


def read_layout(text: str, source_texts: Mapping[str, str]) -> Layout | None:
    """The layout of a note's text, or None when it is not qualcode's (or is damaged).

    ``source_texts``: GUID -> text of the file's sources as read; a source's layout is kept only when
    its text has the recorded digest and its segments are ordered, non-empty spans inside it.
    """
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    try:
        cases: dict[str, CaseLayout] = {}
        for guid, c in dict(data.get("cases") or {}).items():
            attributes = dict(c.get("attributes") or {})
            for value in attributes.values():
                _opt(value, (str, int, float, bool))
            cases[str(guid).lower()] = CaseLayout(_opt(c.get("role"), str), _opt(c.get("study"), str), attributes)
        sources: dict[str, SourceLayout] = {}
        rejected: list[str] = []
        for guid, s in dict(data.get("sources") or {}).items():
            guid = str(guid).lower()
            src_text = source_texts.get(guid)
            if src_text is None:
                continue
            segs = []
            for row in s["segments"]:
                start, end, to_code, speaker, kind, case, source_row, start_time, end_time = row
                segs.append(LayoutSegment(
                    _opt(start, int), _opt(end, int), bool(to_code), _opt(speaker, str), str(kind),
                    None if case is None else str(case).lower(), _opt(source_row, str),
                    _opt(start_time, (int, float)), _opt(end_time, (int, float))))
            fits = s.get("sha256") == text_digest(src_text) and all(
                0 <= g.start < g.end <= len(src_text) for g in segs)
            if fits:
                sources[guid] = SourceLayout(str(s["format"]), str(s["unit"]), tuple(segs))
            else:
                rejected.append(guid)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return Layout(sources, cases, tuple(rejected))
