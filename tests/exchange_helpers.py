"""Helpers for the REFI-QDA tests: schema validation with lxml, building .qdpx files by hand, dumps."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "refi-qda"
if not SHARED.exists():  # the worktree lives next to /work/shared
    SHARED = Path("/work/shared/refi-qda")
SAMPLES = SHARED / "samples"

_schemas: dict[str, object] = {}


def schema(name: str):
    from lxml import etree

    if name not in _schemas:
        _schemas[name] = etree.XMLSchema(etree.parse(str(SHARED / name)))
    return _schemas[name]


def assert_valid_qdpx(path: Path) -> bytes:
    """Validate the project.qde of an export against Project.xsd; return it."""
    from lxml import etree

    with zipfile.ZipFile(path) as zf:
        qde = zf.read("project.qde")
    xsd = schema("Project.xsd")
    ok = xsd.validate(etree.fromstring(qde))
    assert ok, str(xsd.error_log)
    return qde


def assert_valid_qdc(path: Path) -> None:
    from lxml import etree

    xsd = schema("Codebook.xsd")
    assert xsd.validate(etree.parse(str(path))), str(xsd.error_log)


def make_qdpx(path: Path, qde: str | bytes, members: dict[str, bytes] | None = None,
              qde_name: str = "project.qde") -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(qde_name, qde if isinstance(qde, bytes) else qde.encode("utf-8"))
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    path.write_bytes(buf.getvalue())
    return path


def dump(project) -> dict:
    """What a round trip must keep: documents, cases, attributes, coders, codings, memos (no internal ids)."""
    from qualcode.store import codings

    segs = {s.id: s for s in project.segments()}
    cases = {c.case_id: c for c in project.cases()}
    texts = {d.id: project.store.document_text(d.id) for d in project.documents()}

    def case_of(s):
        return cases[s.case_id].pseudonym if s.case_id else None

    return {
        "documents": sorted((d.name, d.study, texts[d.id]) for d in project.documents()),
        "cases": sorted((c.pseudonym, c.role, tuple(sorted((k, repr(v)) for k, v in c.attributes.items())))
                        for c in project.cases()),
        "segment_cases": sorted((s.document_name, s.start, s.end, s.speaker or "", case_of(s) or "")
                                for s in segs.values() if s.to_code and s.kind != "selection"),
        "codings": sorted((segs[d.segment_id].document_name, segs[d.segment_id].start, segs[d.segment_id].end,
                           d.coder, d.code, d.direction, case_of(segs[d.segment_id]) or "")
                          for d in codings.decisions_for(project.con) if d.status == "accepted"),
        "memos": sorted((segs[k[0]].document_name, segs[k[0]].start, segs[k[0]].end, k[1], v)
                        for k, v in codings.memos(project.con).items()),
    }



@pytest.fixture(autouse=False)
def validate_every_export(monkeypatch):
    """Every .qdpx written during a test is validated against Project.xsd before it is written."""
    from lxml import etree

    from qualcode.exchange import qdpx_write

    original = qdpx_write._write_zip

    def checked(path, project, members):
        xsd = schema("Project.xsd")
        assert xsd.validate(etree.fromstring(project)), str(xsd.error_log)
        validated.append(path)
        return original(path, project, members)

    validated: list = []
    monkeypatch.setattr(qdpx_write, "_write_zip", checked)
    return validated


def exact_dump(project) -> dict:
    """Everything qualcode codes by, per document: what a qualcode -> .qdpx -> qualcode trip must give back
    exactly (no internal ids): documents (text, format, unit, study), every segment in order (span, to_code,
    case pseudonym, speaker, kind, source row, times), cases (role, study, typed attributes), accepted
    codings per coder, memos."""
    from qualcode.store import codings

    con = project.con
    segs = {s.id: s for s in project.segments()}
    cases = {c.case_id: c for c in project.cases()}
    times = {row[0]: (row[1], row[2]) for row in con.execute("SELECT id, start_time, end_time FROM segments")}

    def case_of(s):
        return cases[s.case_id].pseudonym if s.case_id else None

    def where(segment_id):
        s = segs[segment_id]
        return (s.document_name, s.start, s.end)

    return {
        "documents": sorted((d.name, d.format, d.unit, d.study, project.store.document_text(d.id))
                            for d in project.documents()),
        "segments": sorted((s.document_name, s.position, s.start, s.end, s.to_code, case_of(s), s.speaker, s.kind,
                            s.source_row, times[s.id]) for s in segs.values()),
        "cases": sorted((c.pseudonym, c.role, c.study,
                         tuple(sorted((k, type(v).__name__, repr(v)) for k, v in c.attributes.items())))
                        for c in cases.values()),
        "codings": sorted((*where(d.segment_id), d.coder, d.code, d.direction)
                          for d in codings.decisions_for(con) if d.status == "accepted"),
        "memos": sorted((*where(k[0]), k[1], v) for k, v in codings.memos(con).items()),
    }


def matrix_text(project, coder: str) -> str:
    result = project.matrix(coder=coder)
    return f"n_cases={result.n_cases} n_segments={result.n_segments}\n{result.matrix.to_string()}"
