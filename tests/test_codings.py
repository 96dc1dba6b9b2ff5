"""Decisions, the decision log and the never-overwrite property of suggestion runs."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.store import codings
from qualcode.store.codings import Decision, apply_decisions, decisions_for, history, replay, undo, write_suggestions
from qualcode.errors import UsageError
from qualcode.records import Suggestion

CODES = ["autonomy", "workload", "interaction", "work_enjoyment"]


def _sug(seg, code, direction, word="werkdruk"):
    return Suggestion(seg, code, direction, "keyword", "keywords.v1", {"matches": [{"text": word}]})


def _state(project):
    return {(r.coder, r.segment_id, r.code, r.direction): (r.status, r.origin) for r in decisions_for(project.con)}


def _replayed(project):
    rows, _ = replay(history(project.con))
    return {k: (v["status"], v["origin"]) for k, v in rows.items()}


def test_accepting_a_suggestion_keeps_its_origin_and_evidence(seeded):
    project, ids = seeded
    write_suggestions(project.con, [_sug(ids[1], "workload", "opportunity")], origin="keyword",
                      segment_ids=ids, codebook_version="v1")
    counts = apply_decisions(project.con, "anna", [Decision(ids[1], "accept", "workload", "opportunity")])
    assert counts["accept"] == 1
    (row,) = decisions_for(project.con, "anna")
    assert (row.status, row.origin, row.evidence["matches"][0]["text"]) == ("accepted", "keyword", "werkdruk")


def test_change_direction_rejects_the_old_and_accepts_the_new(seeded):
    project, ids = seeded
    apply_decisions(project.con, "anna", [Decision(ids[1], "change_direction", "workload", "opportunity", "risk")])
    assert _state(project) == {
        ("anna", ids[1], "workload", "opportunity"): ("rejected", "human"),
        ("anna", ids[1], "workload", "risk"): ("accepted", "human"),
    }


def test_undo_takes_back_the_last_batch_only(seeded):
    project, ids = seeded
    apply_decisions(project.con, "anna", [Decision(ids[1], "add", "workload", "opportunity")])
    apply_decisions(project.con, "anna", [Decision(ids[2], "add", "interaction", "risk"),
                                          Decision(ids[2], "memo", memo="twijfel")])
    apply_decisions(project.con, "bob", [Decision(ids[2], "add", "interaction", "risk")])
    undone = undo(project.con, "anna")
    assert {(e.segment_id, e.action) for e in undone} == {(ids[2], "add"), (ids[2], "memo")}
    assert ("anna", ids[2], "interaction", "risk") not in _state(project)
    assert ("anna", ids[1], "workload", "opportunity") in _state(project)
    assert ("bob", ids[2], "interaction", "risk") in _state(project), "undo touched another coder"
    assert codings.memos(project.con, "anna") == {}
    assert _replayed(project) == _state(project)


def test_undo_with_nothing_to_undo_says_so(seeded):
    project, _ = seeded
    with pytest.raises(UsageError, match="no decisions to undo"):
        undo(project.con, "anna")


def test_machine_coder_names_are_reserved(seeded):
    project, ids = seeded
    with pytest.raises(UsageError, match="reserved"):
        apply_decisions(project.con, "keyword", [Decision(ids[1], "add", "workload", "risk")])


def test_an_unknown_code_applies_nothing(seeded):
    project, ids = seeded
    with pytest.raises(Exception, match="no code 'werkdruk'"):
        apply_decisions(project.con, "anna", [Decision(ids[1], "add", "workload", "risk"),
                                              Decision(ids[2], "add", "werkdruk", "risk")], valid_codes=CODES)
    assert _state(project) == {}
    assert history(project.con) == []


def test_done_segments_count_as_decided_and_undo_together(seeded):
    project, ids = seeded
    apply_decisions(project.con, "anna", [], done_segments=[ids[4]])
    assert codings.decided_segments(project.con, "anna") == {ids[4]}
    undo(project.con, "anna")
    assert codings.decided_segments(project.con, "anna") == set()


decision_st = st.builds(
    lambda seg, action, code, direction, new: (seg, action, code, direction, new),
    st.integers(1, 4), st.sampled_from(["accept", "reject", "add", "remove", "change_direction", "memo"]),
    st.sampled_from(CODES), st.sampled_from(["opportunity", "risk", "none"]),
    st.sampled_from(["opportunity", "risk", "none"]),
)
suggestion_st = st.lists(st.tuples(st.integers(1, 4), st.sampled_from(CODES),
                                   st.sampled_from(["opportunity", "risk", "none"])), max_size=8)
step_st = st.one_of(
    st.tuples(st.just("decide"), st.sampled_from(["anna", "bob"]), st.lists(decision_st, max_size=4)),
    st.tuples(st.just("code"), suggestion_st),
    st.tuples(st.just("undo"), st.sampled_from(["anna", "bob"])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step_st, max_size=12))
def test_property_code_runs_never_change_a_decision_and_the_log_replays_the_state(tmp_path_factory, steps):
    from conftest import add_document
    from qualcode.project import Project

    with Project.init(tmp_path_factory.mktemp("p") / "p.qualcode") as project:
        ids = add_document(project)
        for step in steps:
            if step[0] == "decide":
                _, coder, ds = step
                decisions = []
                for seg, action, code, direction, new in ds:
                    if action == "change_direction" and new == direction:
                        continue
                    decisions.append(Decision(ids[seg], action, code, direction,
                                              new if action == "change_direction" else None,
                                              memo=f"memo {seg}" if action == "memo" else None))
                apply_decisions(project.con, coder, decisions)
            elif step[0] == "code":
                before = _state(project)
                memos_before = codings.memos(project.con)
                write_suggestions(project.con, [_sug(ids[s], c, d) for s, c, d in step[1]], origin="keyword",
                                  segment_ids=ids, codebook_version="v1")
                assert _state(project) == before, "a suggestion run changed a human decision"
                assert codings.memos(project.con) == memos_before
            else:
                try:
                    undo(project.con, step[1])
                except UsageError:
                    pass
            assert _replayed(project) == _state(project)
            rows, memo_state = replay(history(project.con))
            assert memo_state == {(c, s): t for (s, c), t in codings.memos(project.con).items()}
