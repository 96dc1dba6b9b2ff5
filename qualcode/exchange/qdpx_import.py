"""Import a ``.qdpx`` into a project, in one transaction (any error: the project is unchanged).

* a qualcode export carries qualcode's own segmentation (:mod:`.layout`): its sources become
  documents with exactly those segments (to code or not, case, speaker, row) and its cases get
  their exact role and attributes; for any other file, or a source whose text changed since:
* sources become documents; their segments are the text's turns (as `qualcode import` finds
  them) plus, for each coded selection that is not exactly a turn, a segment of kind
  ``selection`` with the selection's exact span (codings keep their offsets); a source whose
  text is already a document of the project (a project coming back) is that document;
* cases keep their name as case id and pseudonym, their variables as attributes (``role``
  as the role); a case linked to a whole source holds its segments, one linked to a
  selection holds that segment and the other turns of the same speaker; segments left
  without case get one per speaker, as `qualcode import` does;
* users become coders; their codings are their accepted decisions (origin ``imported``),
  applied through ``apply_decisions`` (source ``qdpx``), so history and undo see them;
  an existing decision of the same coder is never changed;
* codes map onto the project's codebook by id or label (aspect + direction); codes that do
  not match are kept under their own id and listed; a project without a codebook gets one
  made from the file (keywords empty);
* notes on selections and codings become memos (added to an existing memo, never replacing it).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.exchange.codetree import codebook_yaml, plan_codes, slug
from qualcode.exchange.layout import NOTE_NAME as LAYOUT_NOTE
from qualcode.exchange.layout import Layout, read_layout
from qualcode.exchange.qdpx_read import QdpxContent, QSource, read_qdpx
from qualcode.ingest.case_map import DEFAULT_INTERVIEWERS, auto_case_id
from qualcode.store import cases as stored_cases
from qualcode.store import codings as stored_codings
from qualcode.store import documents as stored_documents

if TYPE_CHECKING:
    from qualcode.store import Store

UNKNOWN_USER = "unknown (imported)"


@dataclass(frozen=True)
class QdpxImport:
    """What one .qdpx import did."""

    file: str
    already_imported: str | None
    documents_new: int = 0
    documents_reused: int = 0
    segments: int = 0
    cases_created: int = 0
    codes: int = 0
    codings: Mapping[str, int] = field(default_factory=dict)  # coder -> codings added
    codings_kept: int = 0  # the coder's existing decision on the same segment and code was kept
    memos: int = 0
    codebook_created: str | None = None
    unmatched_codes: tuple[str, ...] = ()
    repairs: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def codings_added(self) -> int:
        return sum(self.codings.values())


@dataclass
class _Seg:
    start: int
    end: int
    speaker: str | None
    kind: str
    to_code: bool
    case_id: str | None = None
    id: int | None = None
    case_guid: str | None = None  # from qualcode's own layout (a qualcode export)
    source_row: str | None = None
    start_time: float | None = None
    end_time: float | None = None


def _turn_segments(text: str, turns: Any = None, interviewers: Sequence[str] = DEFAULT_INTERVIEWERS) -> list[_Seg]:
    """The segments `qualcode import` would make of this text (turns of a .docx as its reader found them)."""
    from qualcode.ingest.importers.turns import find_turns
    from qualcode.ingest.segmentation import segment_turns

    turns = tuple(turns) if turns is not None else find_turns(text)
    interviewer_labels = {s.casefold() for s in interviewers}
    first_spoken = next((i for i, t in enumerate(turns) if t.speaker is not None), None)
    preamble = {id(t) for t in turns[:first_spoken]} if first_spoken else set()
    out = []
    for span in segment_turns(text, turns, "turn"):
        if id(span.turn) in preamble:
            out.append(_Seg(span.start, span.end, None, "preamble", False))
            continue
        speaker = span.turn.speaker
        out.append(_Seg(span.start, span.end, speaker, span.kind,
                        not (speaker is not None and speaker.casefold() in interviewer_labels)))
    return out


def import_qdpx(store: Store, path: Path, *, study: str | None = None,
                interviewers: Sequence[str] = DEFAULT_INTERVIEWERS, max_unpacked_mb: int | None = None) -> QdpxImport:
    from qualcode.coding.codebook import Codebook, stored_codebook_or_none

    path = Path(path)
    content: QdpxContent = read_qdpx(path, max_unpacked_mb)
    con = store.con
    version = store.data_version()  # the plan below is made from the project as it is now
    when = stored_documents.container_imported(con, content.sha256)
    if when is not None:
        return QdpxImport(path.name, when)
    warnings = list(content.warnings)
    repairs = list(content.repairs)
    stem = path.stem

    # -- codes ------------------------------------------------------------------------------
    known = stored_codebook_or_none(store)
    plan = plan_codes(content.codes, known)
    new_codebook = None
    if known is None and plan.yaml_codes:
        new_codebook = Codebook.from_text(codebook_yaml(plan, content.project_name, path.name),
                                          f"{path.name} (REFI-QDA codebook)")

    # -- users -> coders --------------------------------------------------------------------
    user_names: dict[str, str] = {}
    taken: set[str] = set()
    for user in content.users:
        name = user.name
        if name in stored_codings.MACHINE_CODERS:
            name = f"{name} (imported)"
        base, n = name, 2
        while name in taken:
            name, n = f"{base} ({n})", n + 1
        taken.add(name)
        user_names[user.guid] = name

    def coder_for(guid: str | None) -> str:
        if guid is None:
            return UNKNOWN_USER
        if guid not in user_names:
            user_names[guid] = f"user-{guid[:8]}"
            warnings.append(f"{path.name}: user {guid} is not among the file's users; named {user_names[guid]!r}")
        return user_names[guid]

    # -- documents and segments (planned before anything is written) ------------------------
    case_of_source: dict[str, list[str]] = defaultdict(list)
    case_of_selection: dict[str, str] = {}
    case_by_guid = {c.guid: c for c in content.cases}
    for case in content.cases:
        for g in case.sources:
            case_of_source[g].append(case.guid)
        for g in case.selections:
            case_of_selection[g] = case.guid

    layout, layout_note = _layout(content)
    if layout is not None:
        for g in layout.rejected:
            name = next(s.name for s in content.sources if s.guid == g)
            warnings.append(f"{path.name}: source {name!r} is not the text qualcode exported (changed since?); its "
                            "segments were rebuilt from its turns, not taken from the file's qualcode segments")
    exact: set[str] = set()  # sources whose segments are qualcode's own layout
    planned: list[tuple[QSource, int | None, list[_Seg], dict[str, int]]] = []  # source, existing doc, segs, sel->index
    for src in content.sources:
        reuse = stored_documents.documents_with_text(con, src.text)
        if reuse:
            doc_id = reuse[0]
            segs = [_Seg(s.start, s.end, s.speaker, s.kind, s.to_code, s.case_id, s.id)
                    for s in store.segments(document=doc_id)]
            if len(reuse) > 1:
                warnings.append(f"{path.name}: source {src.name!r} has the text of {len(reuse)} documents; "
                                f"its codings go to document {doc_id}")
        elif layout is not None and src.guid in layout.sources:
            doc_id = None
            segs = [_Seg(g.start, g.end, g.speaker, g.kind, g.to_code, case_guid=g.case, source_row=g.source_row,
                         start_time=g.start_time, end_time=g.end_time) for g in layout.sources[src.guid].segments]
            exact.add(src.guid)
        else:
            doc_id, segs = None, _turn_segments(src.text, src.turns, interviewers)
        index = {(s.start, s.end): i for i, s in enumerate(segs)}
        sel_index: dict[str, int] = {}
        for sel in src.selections:
            key = (sel.start, sel.end)
            if key not in index:
                host = max(segs, key=lambda s: min(s.end, sel.end) - max(s.start, sel.start), default=None)
                overlaps = host is not None and min(host.end, sel.end) > max(host.start, sel.start)
                inside = host if overlaps else None
                # a selection in an interviewer turn (or a title block) stays not to be coded: no case of its own
                segs.append(_Seg(sel.start, sel.end, inside.speaker if inside else None, "selection",
                                 inside.to_code if inside else True,
                                 inside.case_id if inside and doc_id is not None else None,
                                 case_guid=inside.case_guid if inside else None))
                index[key] = len(segs) - 1
            sel_index[sel.guid] = index[key]
        planned.append((src, doc_id, segs, sel_index))

    # -- cases --------------------------------------------------------------------------------
    existing_cases = {c.case_id for c in store.cases()}
    case_ids: dict[str, str] = {}
    new_cases: dict[str, tuple[str, str | None, dict[str, Any]]] = {}  # id -> pseudonym, role, attributes
    for case in content.cases:
        cid = case.name
        if cid in existing_cases or cid in new_cases:
            other = f"{case.name} ({stem})"
            warnings.append(f"{path.name}: case {case.name!r} has the name of a case already in the project; "
                            f"imported as {other!r} (if it is the same person, merge them with a cases file)")
            cid = other
        known_case = layout.cases.get(case.guid) if layout is not None else None
        if known_case is not None:  # qualcode's own: the exact role and typed attributes
            attrs = dict(known_case.attributes)
            role = known_case.role
            if known_case.study and "study" not in attrs:
                attrs["study"] = known_case.study
        else:
            attrs = dict(case.variables)
            role = attrs.pop("role", None)
        if study and "study" not in attrs:
            attrs["study"] = study
        case_ids[case.guid] = cid
        new_cases[cid] = (case.name, None if role is None else str(role), attrs)
    used_cases: set[str] = set()
    auto_n = stored_cases.count_cases(con) + len(new_cases)
    reused_docs = 0
    for src, doc_id, segs, sel_index in planned:
        if doc_id is not None:
            reused_docs += 1
            continue
        if src.guid in exact:  # every segment's case as qualcode had it (none: none)
            for s in segs:
                s.case_id = case_ids.get(s.case_guid) if s.case_guid is not None else None
            used_cases.update(s.case_id for s in segs if s.case_id)
            continue
        whole = case_of_source.get(src.guid, [])
        if len(whole) > 1:
            warnings.append(f"{path.name}: source {src.name!r} belongs as a whole to {len(whole)} cases "
                            f"({', '.join(case_by_guid[g].name for g in whole)}); its segments got a case per speaker "
                            "instead: fix with `qualcode import --cases FILE`")
        elif whole:
            for s in segs:
                if s.to_code:
                    s.case_id = case_ids[whole[0]]
        speaker_cases: dict[str, set[str]] = defaultdict(set)
        for sel_guid, i in sel_index.items():
            if sel_guid in case_of_selection:
                segs[i].case_id = case_ids[case_of_selection[sel_guid]]
                speaker, held = segs[i].speaker, segs[i].case_id
                if speaker is not None and held is not None:
                    speaker_cases[speaker].add(held)
        for speaker, cids in speaker_cases.items():
            if len(cids) == 1:
                for s in segs:
                    if s.speaker == speaker and s.case_id is None and s.to_code:
                        s.case_id = next(iter(cids))
        autos: dict[str | None, str] = {}
        for s in segs:
            if s.case_id is None and s.to_code:
                if s.speaker not in autos:
                    cid = auto_case_id(src.name, s.speaker)
                    if cid in existing_cases or (cid in new_cases and cid not in autos.values()):
                        cid = f"{cid} ({stem})"
                    if cid not in new_cases:
                        auto_n += 1
                        new_cases[cid] = (f"Respondent {auto_n}", None, {"study": study} if study else {})
                    autos[s.speaker] = cid
                s.case_id = autos[s.speaker]
        used_cases.update(s.case_id for s in segs if s.case_id)

    # -- decisions and memos ----------------------------------------------------------------
    decisions: dict[str, list[tuple[int, int, str, str]]] = defaultdict(list)  # coder -> (planned#, seg#, code, dir)
    memo_parts: dict[tuple[int, int, str], list[str]] = defaultdict(list)
    unknown_codes: dict[str, str] = {}
    referenced_notes: set[str] = {layout_note} if layout_note else set()
    for p, (src, _doc_id, segs, sel_index) in enumerate(planned):
        for sel in src.selections:
            i = sel_index[sel.guid]
            for coding in sel.codings:
                if coding.code_guid in plan.by_guid:
                    code, direction = plan.by_guid[coding.code_guid]
                else:
                    code = unknown_codes.setdefault(coding.code_guid, f"unknown-{slug(coding.code_guid)[:8]}")
                    direction = "none"
                coder = coder_for(coding.user)
                decisions[coder].append((p, i, code, direction))
                for note in coding.notes:
                    _add_note(content, note, coding.user or sel.user, coder_for, memo_parts, (p, i), referenced_notes)
            for note in sel.notes:
                _add_note(content, note, sel.user, coder_for, memo_parts, (p, i), referenced_notes)
            if sel.description.strip():  # a memo in the selection itself (QualCoder)
                memo_parts[(p, i, coder_for(sel.user))].append(sel.description)
        first = next((i for i, s in enumerate(segs) if s.to_code), 0 if segs else None)
        for note in src.notes:
            if first is not None:
                _add_note(content, note, None, coder_for, memo_parts, (p, first), referenced_notes,
                          prefix="[memo on the whole document] ")
    not_to_code = sum(1 for p, i, _, _ in (d for items in decisions.values() for d in items)
                      if not planned[p][2][i].to_code)
    if not_to_code:
        warnings.append(f"{path.name}: {not_to_code} coding(s) on interviewer turns or title blocks; kept, but such "
                        "segments are not coded in qualcode (pass --interviewer with the right labels if the "
                        "speaker is a respondent)")
    for guid, code in unknown_codes.items():
        warnings.append(f"{path.name}: codings refer to code {guid}, which is not in the file's codebook; "
                        f"kept as code {code!r}")
    left = [n for g, n in content.notes.items() if g not in referenced_notes]
    if left:
        warnings.append(f"{path.name}: {len(left)} note(s) not attached to a selection, coding or source "
                        "(project notes) not imported")

    # A case of the file is written when a new document's segment holds it, or when it refers to
    # no source at all (a case with attributes only); cases of documents already in the project stay
    # as the project has them.
    written_cases = set(used_cases) | {case_ids[c.guid] for c in content.cases if not c.sources and not c.selections}
    skipped_cases = [c.name for c in content.cases if case_ids[c.guid] not in written_cases]
    if skipped_cases and reused_docs:
        repairs.append(f"{path.name}: {len(skipped_cases)} case(s) of documents already in the project left as the "
                       "project has them")
    elif skipped_cases:
        warnings.append(f"{path.name}: case(s) {', '.join(map(repr, skipped_cases[:5]))} hold no imported text; "
                        "not imported")

    known_coders = set(stored_codings.decision_log_coders(con))
    joined = sorted(c for c in decisions if c in known_coders)
    if joined:
        warnings.append(f"{path.name}: user(s) {', '.join(map(repr, joined))} are coders of this project already; "
                        "their codings in the file were added to their decisions (every existing decision kept)")

    # -- write, in one transaction ----------------------------------------------------------
    added: dict[str, int] = {}
    kept = 0
    memos = 0
    store.backup_before_change()  # decisions are added: keep the project as it was
    with store.transaction():
        store.check_unchanged(version, f"planning the import of {path.name}")
        if new_codebook is not None:
            stored_codings.store_codebook(con, new_codebook)
        study_ids: dict[str, int] = {}

        def study_id(name: str | None) -> int | None:
            if name is None:
                return None
            if name not in study_ids:
                study_ids[name] = stored_documents.study_id(con, name)
            return study_ids[name]

        for cid, (pseudonym, role, attrs) in new_cases.items():
            if cid in written_cases:
                stored_cases.upsert_case(con, cid, pseudonym, role, attrs, study_id(study))
        n_segments = 0
        doc_ids: list[int] = []
        for src, doc_id, segs, _ in planned:
            if doc_id is None:
                doc_study = study or (str(src.variables["study"]) if src.variables.get("study") else None)
                digest = hashlib.sha256(f"qdpx:{content.sha256}:{src.guid}:{src.digest}".encode()).hexdigest()
                own = layout.sources[src.guid] if layout is not None and src.guid in exact else None
                doc_id = stored_documents.add_document(con, name=src.name, format=own.format if own else "txt",
                                                       text=src.text, sha256=digest, unit=own.unit if own else "turn",
                                                       study_id=study_id(doc_study))
                # qualcode's own segments keep their order; others (and added selections) go by position
                n_own = len(own.segments) if own else 0
                order = list(range(n_own)) + sorted(range(n_own, len(segs)), key=lambda i: (segs[i].start, segs[i].end))
                rows = [(doc_id, pos, segs[i].start, segs[i].end, segs[i].speaker, segs[i].case_id, segs[i].kind,
                         int(segs[i].to_code), segs[i].start_time, segs[i].end_time, segs[i].source_row)
                        for pos, i in enumerate(order)]
                stored_documents.add_segments(con, rows)
                n_segments += len(rows)
                ids = {(s.start, s.end, s.position): s.id for s in stored_documents.segments(con, document_id=doc_id)}
                for pos, i in enumerate(order):
                    segs[i].id = ids[(segs[i].start, segs[i].end, pos)]
            else:
                first_pos = stored_documents.max_position(con, doc_id) + 1
                fresh = [s for s in segs if s.id is None]
                rows = [(doc_id, first_pos + k, s.start, s.end, s.speaker, s.case_id, s.kind, int(s.to_code), None, None,
                         None) for k, s in enumerate(sorted(fresh, key=lambda s: (s.start, s.end)))]
                stored_documents.add_segments(con, rows)
                n_segments += len(rows)
                ids = {(s.start, s.end, s.position): s.id for s in stored_documents.segments(con, document_id=doc_id)}
                for k, s in enumerate(sorted(fresh, key=lambda s: (s.start, s.end))):
                    s.id = ids[(s.start, s.end, first_pos + k)]
            doc_ids.append(doc_id)
        for coder, wanted in decisions.items():
            existing = {(r.segment_id, r.code, r.direction) for r in stored_codings.decisions_for(con, coder=coder)}
            todo = []
            for p, i, code, direction in wanted:
                segment_id = planned[p][2][i].id
                assert segment_id is not None
                decision_key = (segment_id, code, direction)
                if decision_key in existing:
                    kept += 1
                    continue
                existing.add(decision_key)
                todo.append(stored_codings.Decision(segment_id, "add", code, direction))
            counts = stored_codings.apply_decisions(con, coder, todo, source="qdpx", origin="imported")
            added[coder] = counts["add"]
        memo_by_coder: dict[str, list[Any]] = defaultdict(list)
        current = stored_codings.memos(con)
        for (p, i, coder), parts in memo_parts.items():
            segment_id = planned[p][2][i].id
            assert segment_id is not None
            text = "\n\n".join(dict.fromkeys(parts))
            before = current.get((segment_id, coder))
            if before and text in before:
                continue
            memo_by_coder[coder].append(stored_codings.Decision(segment_id, "memo",
                                                               memo=f"{before}\n\n{text}" if before else text))
        for coder, items in memo_by_coder.items():
            memos += stored_codings.apply_decisions(con, coder, items, source="qdpx", origin="imported")["memo"]
        stored_documents.mark_container_imported(con, content.sha256, path.name)
    created = len(written_cases)
    return QdpxImport(
        path.name, None, documents_new=len(planned) - reused_docs, documents_reused=reused_docs, segments=n_segments,
        cases_created=created, codes=len(plan.by_guid), codings=added, codings_kept=kept, memos=memos,
        codebook_created=new_codebook.name if new_codebook else None,
        unmatched_codes=tuple(plan.unmatched) if known is not None else (), repairs=tuple(repairs),
        warnings=tuple(warnings))


def _add_note(content: QdpxContent, guid: str, fallback_user: str | None, coder_for: Any,
              parts: dict[tuple[int, int, str], list[str]], where: tuple[int, int], seen: set[str],
              prefix: str = "") -> None:
    note = content.notes.get(guid)
    if note is None:
        return
    seen.add(guid)
    coder = coder_for(note.user or fallback_user)
    parts[(where[0], where[1], coder)].append(prefix + note.text)


def _layout(content: QdpxContent) -> tuple[Layout | None, str | None]:
    """qualcode's own segmentation when the file is a qualcode export (its note, see layout.py)."""
    texts = {src.guid: src.text for src in content.sources}
    for guid, note in sorted(content.notes.items()):
        if note.name == LAYOUT_NOTE:
            found = read_layout(note.text, texts)
            if found is not None:
                return found, guid
    return None, None
