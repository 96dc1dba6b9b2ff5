"""Quotes are chosen without making a passage of every coding: the workbook's analysis makes excerpts
only for the codings the choice looks at, and picks the quotes the full analysis picks."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SAMPLE_TURNS, add_document, store_codebook

from qualcode import Project
from qualcode.analysis import passages
from qualcode.analysis.passages import QUOTE_MIN_CHARS, choose_quotes
from qualcode.store.codings import Decision

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class _Coding:
    segment_id: int
    status: str
    codes_on_segment: int
    group: str | None
    case_key: str
    excerpt: str


def _chosen_by_sorting(cell: list[_Coding], per_cell: int, max_chars: int) -> list[_Coding]:
    """The choice as it was made before it was made lazily: every passage ranked by sorting."""
    ranked = sorted(cell, key=lambda p: (p.status != "accepted", not QUOTE_MIN_CHARS <= len(p.excerpt) <= max_chars,
                                         p.codes_on_segment > 1, p.segment_id))
    by_group: dict[str, list[_Coding]] = {}
    for p in ranked:
        by_group.setdefault(p.group if p.group is not None else "\uffff", []).append(p)
    picked: list[_Coding] = []
    seen: set[str] = set()
    progress = True
    while len(picked) < per_cell and progress:
        progress = False
        for group in sorted(by_group):
            if len(picked) >= per_cell:
                break
            fresh = next((p for p in by_group[group] if p.case_key not in seen), None)
            if fresh is not None:
                picked.append(fresh)
                seen.add(fresh.case_key)
                progress = True
    for p in ranked:
        if len(picked) >= per_cell:
            break
        if all(p.segment_id != q.segment_id for q in picked):
            picked.append(p)
    return picked


_codings = st.lists(
    st.tuples(st.sampled_from(["accepted", "suggested"]), st.integers(1, 3), st.sampled_from([None, "a", "b", "c"]),
              st.sampled_from(["s/1", "s/2", "s/3", "t/1"]), st.integers(0, 400)),
    max_size=40)


@settings(max_examples=300, deadline=None)
@given(_codings, st.integers(1, 6), st.sampled_from([80, 300]))
def test_the_lazy_choice_picks_what_ranking_every_passage_picked(rows, per_cell, max_chars):
    cell = [_Coding(i, status, n, group, case, "x" * length) for i, (status, n, group, case, length) in
            enumerate(rows)]
    assert choose_quotes(cell, per_cell, max_chars) == _chosen_by_sorting(cell, per_cell, max_chars)


def _counting_excerpts(monkeypatch) -> list[int]:
    made: list[int] = []
    real = passages.excerpt

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(passages, "excerpt", counted)
    return made


def test_the_workbook_makes_excerpts_only_of_the_codings_its_quotes_are_chosen_from(tmp_path, monkeypatch):
    project = Project.init(tmp_path / "p.qualcode")
    store_codebook(project)
    ids = add_document(project, turns=SAMPLE_TURNS * 100)
    to_code = sorted(s.id for s in project.segments(ids=ids) if s.case_id)
    project.decide("anna", [Decision(sid, "add", code, direction) for sid in to_code
                            for code, direction in (("workload", "risk"), ("autonomy", "opportunity"))])
    made = _counting_excerpts(monkeypatch)
    report = project.export_workbook(tmp_path / "results.xlsx", coder="anna")
    assert report.codings == 800
    # two cells, three quotes each; before, an excerpt (and a passage) was made of every coding
    assert 6 <= len(made) <= 30, len(made)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from qualcode.demo import run_demo

    out = tmp_path_factory.mktemp("quote-choice-demo")
    return run_demo(out, sample_dir=ROOT / "transcripts_sample", codebook=ROOT / "codebooks" / "werkbeleving.yaml",
                    echo=lambda line: None)


@pytest.mark.slow  # the demo (module fixture)
@pytest.mark.parametrize("selection", [
    {"coder": "anna", "by": "role"},
    {"coder": "anna", "include_suggested": True, "by": "school_type", "per_cell": 5},
    {"reconciled": True, "include_suggested": True},
    {"coder": "bob", "all_studies": True, "per_cell": 1},
])
def test_without_passages_the_analysis_quotes_the_same_and_cites_the_same_places_and_memos(demo, selection,
                                                                                            monkeypatch):
    with Project.open(demo.project) as project:
        full = project.analyse(**selection)
        made = _counting_excerpts(monkeypatch)
        lean = project.analyse(**selection, passages=False)
    assert len(full.scopes()) == len(lean.scopes())
    for whole, part in zip((full, *full.scopes()), (lean, *lean.scopes())):
        assert part.quotes == whole.quotes and part.quotes
        assert part.passages == () and len(whole.passages) == len(whole.codings)
        assert part.places == {p.segment_id: (p.position, p.start_time) for p in whole.passages}
        assert part.memos == {p.segment_id: p.memos for p in whole.passages if p.memos}
        assert part.memo_count == len({(p.segment_id, coder) for p in whole.passages for coder, _ in p.memos})
    codings = len(lean.codings) + sum(len(p.codings) for p in lean.parts)
    assert len(made) < codings / 2, (len(made), codings)
