"""Write a project as a REFI-QDA project (``.qdpx``): valid against ``Project.xsd``, deterministic.

What goes out, and how:

* every document as a plain-text source ``sources/<GUID>.txt``: the exact stored text,
  UTF-8 without BOM, line ends ``\\n`` (positions are code points of exactly this text);
* every coder as a user, every accepted coding as a ``Coding`` in a ``PlainTextSelection``
  (one selection per segment and coder, start/end in code points, end exclusive) under the
  code for aspect + direction;
* cases under their pseudonym (never the case id, which may hold a name) with their
  attributes, role and study as variables; a case is linked to a whole document
  (``SourceRef``) where it is that document's only case, else to selections of its segments
  (``SelectionRef``; where a speaker holds one case, one selection of that speaker is enough);
* memos as notes (``PlainTextContent``) referred to from the selection of their segment;
* qualcode's own segmentation (every segment with its to-code flag, case, speaker, row) and the
  cases' exact attributes, as one project note that a qualcode import reads (:mod:`.layout`).

GUIDs are uuid5 of the project id and the object, the zip has fixed member times and
order: two exports of the same project are byte-identical files.

With a ``replacer`` (:mod:`qualcode.privacy`, the default of ``qualcode export qdpx``) the
sources carry the pseudonymised text (:func:`source_text` is the one place a document's text
is read for export) and every position is mapped onto it; speaker labels, memos, selection
names and document names go out with placeholders, and personal-data case attributes are
left out.
"""
from __future__ import annotations

import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.atomic import atomic_path
from qualcode.errors import ExchangeError, NotFoundError, UsageError
from qualcode.exchange.codetree import (
    PROJECT_NS,
    element,
    export_tree,
    tree_xml,
    xml_bytes,
)
from qualcode.exchange.guids import GuidMaker
from qualcode.exchange.layout import NOTE_NAME as LAYOUT_NOTE
from qualcode.exchange.layout import CaseLayout, LayoutSegment, layout_json
from qualcode.records import Segment
from qualcode.store import codings as stored_codings
from qualcode.store import documents as stored_documents

if TYPE_CHECKING:
    from qualcode.privacy import Replacer
    from qualcode.store import Store

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_TYPES = {"text": "Text", "int": "Integer", "float": "Float", "bool": "Boolean"}
RECONCILED = stored_codings.RECONCILED


@dataclass(frozen=True)
class QdpxExport:
    path: Path
    sources: int
    users: tuple[str, ...]
    codes: int
    codings: int
    cases: int
    memos: int
    left_out: tuple[str, ...]  # what does not travel (rejected decisions, other coders' memos, ...)


@dataclass(frozen=True)
class _Coding:
    key: str
    segment_id: int
    user: str
    code: str
    direction: str
    at: str


class _SameOffsets:
    def start(self, offset: int) -> int:
        return offset

    def end(self, offset: int) -> int:
        return offset


def source_text(store: Store, document_id: int, replacer: "Replacer | None" = None) -> tuple[str, Any]:
    """The text of a document as exported and a map of stored positions onto it (start(), end())."""
    text = store.document_text(document_id)
    if replacer is None:
        return text, _SameOffsets()
    return replacer.replace_with_offsets(text)


def _typed(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "text"


def _value_element(parent: Any, kind: str, value: Any) -> None:
    if value is None:
        return
    if kind == "Boolean":
        element(parent, "BooleanValue", text="true" if value else "false")
    elif kind == "Integer":
        element(parent, "IntegerValue", text=str(int(value)))
    elif kind == "Float":
        element(parent, "FloatValue", text=format(Decimal(repr(float(value))), "f"))
    else:
        element(parent, "TextValue", text=str(value))


def select_codings(store: Store, *, coder: str | None, reconciled: bool, all_coders: bool,
                   include_suggested: bool) -> tuple[list[_Coding], list[str], list[str]]:
    """(codings to export, coders whose memos go along, what is left out)."""
    con = store.con
    if sum(map(bool, (coder, reconciled, all_coders))) > 1:
        raise UsageError("--coder, --reconciled and --all-coders choose whose codings go out; pass one of them")
    decisions = stored_codings.decisions_for(con)
    # a coder who only wrote memos is a coder too
    coders = sorted(set(stored_codings.coders(con)) | {c for (_, c) in stored_codings.memos(con)})
    humans = [c for c in coders if c != RECONCILED]
    left_out: list[str] = []
    if coder:
        if coder not in coders:
            raise NotFoundError(f"no coder {coder!r} in {store.path}; the coders are: {', '.join(coders) or 'none'}")
        chosen = [coder]
    elif reconciled:
        chosen = [RECONCILED]
    elif all_coders or len(coders) <= 1:
        chosen = coders
    else:
        raise UsageError(f"{len(coders)} coders decided in this project ({', '.join(coders)}); pass --coder NAME, "
                         "--reconciled or --all-coders (one user per coder)")
    rows = [r for r in decisions if r.coder in chosen and r.status == "accepted"]
    out = [_Coding(f"coding:{r.id}", r.segment_id, str(r.coder), r.code, r.direction, r.updated_at) for r in rows]
    if reconciled:
        settled = {r.segment_id for r in decisions if r.coder == RECONCILED}
        per_segment: dict[int, dict[str, set[tuple[str, str]]]] = defaultdict(dict)
        for r in decisions:
            if r.coder in humans and r.segment_id not in settled:
                per_segment[r.segment_id].setdefault(str(r.coder), set())
                if r.status == "accepted":
                    per_segment[r.segment_id][str(r.coder)].add((r.code, r.direction))
        for segment_id, by_coder in sorted(per_segment.items()):
            agreed = set.intersection(*by_coder.values()) if by_coder else set()
            for code, direction in sorted(agreed):
                out.append(_Coding(f"agreed:{segment_id}:{code}:{direction}", segment_id, RECONCILED, code,
                                   direction, ""))
        left_out.append("codings where the coders differ and nobody reconciled them")
    if include_suggested:
        decided = {r.segment_id for r in decisions}
        for r in stored_codings.suggestions_for(con):
            if r.segment_id not in decided:
                out.append(_Coding(f"coding:{r.id}", r.segment_id, f"qualcode-{r.origin}", r.code, r.direction,
                                   r.updated_at))
    others = sorted(set(coders) - set(chosen))
    if others:
        left_out.append(f"the decisions and memos of {', '.join(others)}")
    if any(r.status == "rejected" and r.coder in chosen for r in decisions):
        left_out.append("rejected decisions (REFI-QDA has no 'not this code')")
    if not include_suggested and stored_codings.has_suggestions(con):
        left_out.append("machine suggestions and their keyword evidence (pass --include-suggested for the "
                        "suggestions on undecided segments)")
    return out, chosen, left_out


def export_qdpx(store: Store, path: Path, *, coder: str | None = None, reconciled: bool = False,
                all_coders: bool = False, include_suggested: bool = False, force: bool = False,
                replacer: "Replacer | None" = None) -> QdpxExport:
    from qualcode.coding.codebook import stored_codebook_or_none
    from qualcode.version import __version__

    path = Path(path)
    if path.exists() and not force:
        raise ExchangeError(f"{path}: exists already; choose another name or pass --force to replace it")
    codings, memo_coders, left_out = select_codings(store, coder=coder, reconciled=reconciled, all_coders=all_coders,
                                                    include_suggested=include_suggested)
    guid = GuidMaker(store.project_id)
    codebook = stored_codebook_or_none(store)
    segments = {s.id: s for s in store.segments()}
    memos = {k: v for k, v in stored_codings.memos(store.con).items() if k[1] in memo_coders}

    def shown(value: str | None) -> str | None:
        return replacer.replace(value) if replacer is not None and value else value

    if replacer is not None:
        memos = {k: shown(v) or v for k, v in memos.items()}
    users = sorted({c.user for c in codings} | {coder_name for (_, coder_name) in memos})
    extra: dict[str, set[str]] = defaultdict(set)
    for c in codings:
        extra[c.code].add(c.direction)
    tree, code_guids = export_tree(codebook, guid, extra=extra, coded={c.code for c in codings})
    for c in codings:
        if (c.code, c.direction) not in code_guids:  # a direction on a category or a code without directions
            raise ExchangeError(f"segment {c.segment_id}: code {c.code!r} with direction {c.direction!r} has no "
                                "place in the exported codebook; report this as a bug")

    root = element(None, "Project", {"xmlns": PROJECT_NS, "name": store.path.stem, "origin": f"qualcode {__version__}",
                                     "creationDateTime": store.meta("created_at")})
    if users:
        users_el = element(root, "Users")
        for u in users:
            element(users_el, "User", {"guid": guid(f"user:{u}"), "name": u})
    if tree:
        tree_xml(element(element(root, "CodeBook"), "Codes"), tree)

    # variables: case attributes, role, and the study of documents
    cases = store.cases()
    if replacer is not None:  # personal-data attributes stay in the project, as the import holds them back
        from qualcode.ingest.importers.survey import personal_data

        cases = [replace(c, attributes={k: v for k, v in c.attributes.items() if personal_data(k) is None})
                 for c in cases]
    kinds: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        for name, value in case.attributes.items():
            if value is not None:
                kinds[name].add(_typed(value))
            else:
                kinds.setdefault(name, set())
        if case.role is not None:
            kinds["role"].add("text")
    documents = store.documents()
    if any(d.study for d in documents):
        kinds["study"].add("text")
    var_type = {name: _TYPES[next(iter(k))] if len(k) == 1 else "Text" for name, k in kinds.items()}
    if var_type:
        vars_el = element(root, "Variables")
        for name in sorted(var_type):
            element(vars_el, "Variable", {"guid": guid(f"variable:{name}"), "name": name,
                                          "typeOfVariable": var_type[name]})

    def variable_value(parent: Any, name: str, value: Any) -> None:
        vv = element(parent, "VariableValue")
        element(vv, "VariableRef", {"targetGUID": guid(f"variable:{name}")})
        kind = var_type[name]
        _value_element(vv, kind, value if kind != "Text" or value is None else str(value))

    # selections: one per (segment, user) that has codings or a memo
    by_selection: dict[tuple[int, str], list[_Coding]] = defaultdict(list)
    for c in codings:
        by_selection[(c.segment_id, c.user)].append(c)
    for key in memos:
        by_selection.setdefault(key, [])
    # cases: the whole document, or selections of their segments
    by_doc_case: dict[int, dict[str, list[Segment]]] = defaultdict(lambda: defaultdict(list))
    for s in segments.values():
        if s.case_id is not None:
            by_doc_case[s.document_id][s.case_id].append(s)
    case_sources: dict[str, list[int]] = defaultdict(list)
    case_selections: dict[str, list[str]] = defaultdict(list)
    extra_selections: dict[int, list[Segment]] = defaultdict(list)  # uncoded selections that carry a case
    selection_of_segment: dict[int, str] = {}
    for (segment_id, user) in sorted(by_selection):
        selection_of_segment.setdefault(segment_id, guid(f"selection:{segment_id}:{user}"))
    for doc_id, per_case in sorted(by_doc_case.items()):
        if len(per_case) == 1:
            case_sources[next(iter(per_case))].append(doc_id)
            continue
        speakers: dict[str | None, set[str]] = defaultdict(set)
        for case_id, segs in per_case.items():
            for s in segs:
                speakers[s.speaker].add(case_id)
        for case_id, segs in sorted(per_case.items()):
            one_per_speaker = all(s.speaker is not None and speakers[s.speaker] == {case_id} for s in segs)
            chosen: list[Segment] = []
            if one_per_speaker:
                for speaker in sorted({s.speaker for s in segs}, key=str):
                    first = min((s for s in segs if s.speaker == speaker), key=lambda s: s.position)
                    chosen.append(first)
            else:
                chosen = sorted(segs, key=lambda s: s.position)
            for s in chosen:
                if s.id not in selection_of_segment:
                    selection_of_segment[s.id] = guid(f"case-selection:{s.id}")
                    extra_selections[doc_id].append(s)
                case_selections[case_id].append(selection_of_segment[s.id])

    if cases:
        cases_el = element(root, "Cases")
        for case in cases:
            el = element(cases_el, "Case", {"guid": guid(f"case:{case.case_id}"), "name": case.pseudonym})
            for name, value in sorted(case.attributes.items()):
                variable_value(el, name, value)
            if case.role is not None and "role" not in case.attributes:
                variable_value(el, "role", case.role)
            for doc_id in case_sources.get(case.case_id, []):
                element(el, "SourceRef", {"targetGUID": guid(f"source:{doc_id}")})
            for sel in dict.fromkeys(case_selections.get(case.case_id, [])):
                element(el, "SelectionRef", {"targetGUID": sel})

    members: list[tuple[str, bytes]] = []
    n_memos = 0
    exported = {d.id: source_text(store, d.id, replacer) for d in documents}
    if documents:
        sources_el = element(root, "Sources")
        for doc in documents:
            source_guid = guid(f"source:{doc.id}")
            text, offsets = exported[doc.id]
            members.append((f"sources/{source_guid}.txt", text.encode("utf-8")))
            el = element(sources_el, "TextSource", {"guid": source_guid, "name": shown(doc.name),
                                                    "plainTextPath": f"internal://{source_guid}.txt",
                                                    "creationDateTime": doc.imported_at})
            items: list[tuple[int, int, str, str | None, list[_Coding], str | None]] = []
            for (segment_id, user), cs in by_selection.items():
                seg = segments[segment_id]
                if seg.document_id == doc.id:
                    items.append((offsets.start(seg.start), offsets.end(seg.end), guid(f"selection:{segment_id}:{user}"),
                                  user, cs, memos.get((segment_id, user))))
            for seg in extra_selections.get(doc.id, []):
                items.append((offsets.start(seg.start), offsets.end(seg.end), selection_of_segment[seg.id], None, [],
                              None))
            for start, end, sel_guid, sel_user, cs, memo in sorted(items, key=lambda i: (i[0], i[1], i[2])):
                quote = text[start:end][:60]
                sel_el = element(el, "PlainTextSelection", {
                    "guid": sel_guid, "name": quote, "startPosition": start, "endPosition": end,
                    "creatingUser": guid(f"user:{sel_user}") if sel_user else None})
                if memo is not None and sel_user is not None:
                    # QualCoder reads a selection's memo from its Description, other programs from the note
                    element(sel_el, "Description", text=memo)
                for c in sorted(cs, key=lambda c: (c.code, c.direction, c.key)):
                    coding = element(sel_el, "Coding", {"guid": guid(c.key), "creatingUser": guid(f"user:{c.user}"),
                                                     "creationDateTime": c.at or None})
                    element(coding, "CodeRef", {"targetGUID": code_guids[(c.code, c.direction)]})
                if memo is not None and sel_user is not None:
                    element(sel_el, "NoteRef", {"targetGUID": guid(f"note:{sel_guid}")})
            if doc.study:
                variable_value(el, "study", doc.study)
    layout_guid = guid("note:qualcode-segments")
    if memos or documents:
        notes_el = element(root, "Notes")
    if memos:
        for (segment_id, user), memo in sorted(memos.items()):
            sel_guid = guid(f"selection:{segment_id}:{user}")
            seg = segments[segment_id]
            element(element(notes_el, "Note", {"guid": guid(f"note:{sel_guid}"),
                                               "name": f"memo {shown(seg.document_name)} #{segment_id} ({user})",
                                               "creatingUser": guid(f"user:{user}")}),
                    "PlainTextContent", text=memo)
            n_memos += 1
    if documents:
        # qualcode's own segmentation, so that a qualcode import rebuilds the project exactly (see layout.py)
        times = stored_documents.segment_times(store.con)
        by_doc: dict[int, list[LayoutSegment]] = defaultdict(list)
        for s in segments.values():  # in document order
            offsets = exported[s.document_id][1]
            by_doc[s.document_id].append(LayoutSegment(
                offsets.start(s.start), offsets.end(s.end), s.to_code, shown(s.speaker), s.kind,
                guid(f"case:{s.case_id}") if s.case_id is not None else None, s.source_row,
                *times.get(s.id, (None, None))))
        layout = layout_json(
            {guid(f"source:{d.id}"): (exported[d.id][0], d.format, d.unit, by_doc.get(d.id, []))
             for d in documents},
            {guid(f"case:{c.case_id}"): CaseLayout(c.role, c.study, c.attributes) for c in cases})
        element(element(notes_el, "Note", {"guid": layout_guid, "name": LAYOUT_NOTE}), "PlainTextContent",
                text=layout)
        element(root, "NoteRef", {"targetGUID": layout_guid})
    data = xml_bytes(root)
    _write_zip(path, data, members)
    return QdpxExport(path, len(documents), tuple(users), sum(1 for _ in _walk(tree)), len(codings),
                      len(cases), n_memos, tuple(left_out))


def _walk(tree: Iterable[Any]) -> Iterable[Any]:
    for t in tree:
        yield t
        yield from _walk(t.children)


def _write_zip(path: Path, project: bytes, members: list[tuple[str, bytes]]) -> None:
    try:
        with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as zf:
            for name, data in [("project.qde", project), *sorted(members)]:
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
    except OSError as exc:
        raise ExchangeError(f"{path}: cannot be written ({exc.strerror})") from None
