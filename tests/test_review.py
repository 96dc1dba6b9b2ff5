"""Human review: the queue, the terminal session, the Excel round trip, undo and reconcile."""
from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qualcode.store import codings
from qualcode.cli import main
from qualcode.store.codings import Decision, apply_decisions, decisions_for, history, replay
from qualcode.project import Project
from qualcode.records import Suggestion
from qualcode.review.queue import is_weak, review_queue

from conftest import CODEBOOK, add_document, libreoffice, match, store_codebook


def run(project: Project, *args: str, input: str | None = None):
    result = CliRunner().invoke(main, [*args, "--project", str(project.path)], input=input,
                                env={"QUALCODE_CODER": None, "QUALCODE_PROJECT": None})
    assert not isinstance(result.exception, (AssertionError, TypeError, AttributeError, KeyError)), result.output
    return result


def state(project: Project, coder: str | None = None) -> dict:
    return {(r.coder, r.segment_id, r.code, r.direction): r.status for r in decisions_for(project.con, coder)}


def accepted(project: Project, coder: str) -> set:
    return {(r.segment_id, r.code, r.direction) for r in decisions_for(project.con, coder) if r.status == "accepted"}


def replayed_equals_store(project: Project) -> bool:
    rows, memos = replay(history(project.con))
    from_log = {k: v["status"] for k, v in rows.items()}
    return from_log == state(project) and memos == {(c, s): t for (s, c), t in codings.memos(project.con).items()}


# -- the queue ---------------------------------------------------------------------------------
def test_queue_puts_weak_evidence_first_then_document_order(review):
    project, ids = review
    queue = review_queue(project.store, "anna")
    assert [i.segment.id for i in queue] == [ids[2], ids[3], ids[1], ids[4]]
    assert [i.reason for i in queue[:2]] == ["weak evidence", "weak evidence"]
    assert ids[0] not in [i.segment.id for i in queue], "the interviewer's turn is not coded"
    first = queue[0]
    assert first.case_label == "Expert 1" and first.before.id == ids[1] and first.after.id == ids[3]


def test_queue_brings_segments_sharing_words_with_accepted_ones_forward(project):
    ids = add_document(project, [
        ("R1", "R1", "De computer geeft feedback op toetsen, dat scheelt nakijkwerk."),
        ("R1", "R1", "Het rooster wordt door een algoritme gemaakt."),
        ("R2", "R2", "Ook de leerlingen krijgen nu feedback van de computer."),
        ("R2", "R2", "We hebben het gebouw verbouwd."),
    ])
    store_codebook(project)
    text = project.segment(ids[0]).text
    with project.transaction():
        codings.write_suggestions(project.con, [Suggestion(ids[0], "workload", "opportunity", "keyword", "k.v1", {
            "matches": [match(text, "nakijkwerk"), match(text, "toetsen"), match(text, "scheelt", "opportunity")]})],
            origin="keyword", segment_ids=ids, codebook_version=project.meta("codebook_version"))
    assert [i.segment.id for i in review_queue(project.store, "anna")] == ids
    apply_decisions(project.con, "anna", [Decision(ids[0], "accept", "workload", "opportunity")], done_segments=[ids[0]])
    queue = review_queue(project.store, "anna")
    assert [i.segment.id for i in queue] == [ids[2], ids[1], ids[3]]
    assert "in common with segments you accepted" in queue[0].reason


def test_a_cue_far_from_the_aspect_word_is_weak_evidence():
    def row(matches):
        return codings.CodingRow(1, 1, "workload", "risk", "keyword", None, "suggested", {"matches": matches},
                                 None, "k.v1", "v", "")

    word = {"text": "werkdruk", "start": 0, "end": 8, "kind": "aspect", "rule": "word:werkdruk"}
    other = {"text": "taken", "start": 20, "end": 25, "kind": "aspect", "rule": "word:taak"}
    assert is_weak(row([word]))
    assert is_weak(row([word, {"text": "meer", "start": 10, "end": 14, "kind": "increase"}]))
    assert not is_weak(row([word, other, {"text": "meer", "start": 30, "end": 34, "kind": "increase"}]))
    assert is_weak(row([word, other, {"text": "meer", "start": 200, "end": 204, "kind": "increase"}]))


def test_the_queue_uses_a_model_when_one_exists(review, monkeypatch):
    import sys
    import types

    project, ids = review
    learn = types.ModuleType("qualcode.coding.learn")
    # the model's margin |p - 0.5|: small means unsure, so that segment comes first
    learn.model_uncertainty = lambda project, segment_ids: {ids[4]: 0.02, ids[1]: 0.4, ids[2]: 0.3, ids[3]: 0.1}
    monkeypatch.setitem(sys.modules, "qualcode.coding.learn", learn)
    assert [i.segment.id for i in review_queue(project.store, "anna")] == [ids[4], ids[3], ids[2], ids[1]]


# -- the terminal review -----------------------------------------------------------------------
def test_terminal_review_accept_reject_add_direction_and_memo(review):
    project, ids = review
    keys = "\n".join([
        "d", "1", "",                         # #2: interaction risk -> opportunity, confirm
        "r",                                  # #3: reject autonomy
        "m", "twijfel over de richting", "1", "",  # #1: memo, tick workload-opportunity only, confirm
        "c", "4", "1", "",                    # #4: add work_enjoyment opportunity, confirm
    ]) + "\n"
    result = run(project, "review", "--coder", "anna", input=keys)
    assert result.exit_code == 0, result.output
    assert f"[1 of 4] segment #{ids[2]} · Expert 1 · R1 · int-01.txt" in result.output
    assert "werkdruk → kans: 'nakijkwerk' (compound nakijk*), 'tijd', cue 'sneller'" in result.output
    assert state(project, "anna") == {
        ("anna", ids[2], "interaction", "risk"): "rejected",
        ("anna", ids[2], "interaction", "opportunity"): "accepted",
        ("anna", ids[3], "autonomy", "opportunity"): "rejected",
        ("anna", ids[1], "workload", "opportunity"): "accepted",
        ("anna", ids[1], "workload", "risk"): "rejected",
        ("anna", ids[4], "work_enjoyment", "opportunity"): "accepted",
    }
    assert codings.memos(project.con, "anna") == {(ids[1], "anna"): "twijfel over de richting"}
    assert ("Decided 4 segments: 1 accepted, 2 rejected, 1 added, 1 direction changed, 1 memo. "
            "Skipped 0; 0 still to decide.") in result.output
    accepted_row = next(r for r in decisions_for(project.con, "anna") if r.segment_id == ids[1] and r.status == "accepted")
    assert accepted_row.origin == "keyword" and accepted_row.evidence["matches"][0]["text"] == "nakijkwerk"
    assert replayed_equals_store(project)


def test_accept_all_then_quit_and_resume_where_it_stopped(review):
    project, ids = review
    first = run(project, "review", "--coder", "anna", input="a\nq\n")
    assert first.exit_code == 0, first.output
    assert accepted(project, "anna") == {(ids[2], "interaction", "risk")}
    assert "Decided 1 segment: 1 accepted" in first.output and "3 still to decide" in first.output
    second = run(project, "review", "--coder", "anna", input="s\nb\na\nq\n")
    assert f"[1 of 3] segment #{ids[3]}" in second.output
    assert f"[2 of 3] segment #{ids[1]}" in second.output
    assert second.output.count(f"[1 of 3] segment #{ids[3]}") == 2, "b went back to the skipped segment"
    assert (ids[3], "autonomy", "opportunity") in accepted(project, "anna")
    assert codings.decided_segments(project.con, "anna") == {ids[2], ids[3]}


def test_end_of_input_quits_and_keeps_what_was_confirmed(review):
    project, ids = review
    result = run(project, "review", "--coder", "anna", input="a\n1\n")  # '1' ticks, never confirmed
    assert result.exit_code == 0
    assert accepted(project, "anna") == {(ids[2], "interaction", "risk")}
    assert codings.decided_segments(project.con, "anna") == {ids[2]}


def test_review_of_one_code(review):
    project, ids = review
    result = run(project, "review", "--coder", "anna", "--code", "workload", input="1\n\n")
    assert "[1 of 1]" in result.output
    assert state(project, "anna") == {("anna", ids[1], "workload", "opportunity"): "accepted",
                                      ("anna", ids[1], "workload", "risk"): "rejected"}
    assert "Nothing to review" in run(project, "review", "--coder", "anna", "--code", "workload").output
    unknown = run(project, "review", "--coder", "anna", "--code", "werkdruk")
    assert unknown.exit_code == 1 and "no code 'werkdruk' in the codebook" in unknown.output


def test_review_needs_a_coder_and_a_codebook(seeded):
    project, _ = seeded
    result = run(project, "review")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: who is deciding? pass --coder NAME or set QUALCODE_CODER=NAME"
    result = run(project, "review", "--coder", "anna")
    assert result.exit_code == 1 and "no codebook in this project yet" in result.output


def test_blind_double_coding(review):
    project, ids = review
    run(project, "review", "--coder", "anna", input="a\nq\n")
    blind = run(project, "review", "--coder", "bob", input="q\n")
    assert f"[1 of 4] segment #{ids[2]}" in blind.output, "anna's decision does not take the segment from bob"
    assert "anna" not in blind.output
    seeing = run(project, "review", "--coder", "bob", "--show-others", input="q\n")
    assert "anna accepted: menselijke interactie → risico" in seeing.output
    assert review_queue(project.store, "bob")[0].others == ()


def test_undo_puts_the_last_segment_back_in_the_queue(review):
    project, ids = review
    run(project, "review", "--coder", "anna", input="a\nr\nq\n")
    result = run(project, "undo", "--coder", "anna")
    assert result.exit_code == 0, result.output
    assert f"on 1 segment: #{ids[3]}" in result.output
    assert state(project, "anna") == {("anna", ids[2], "interaction", "risk"): "accepted"}
    assert review_queue(project.store, "anna")[0].segment.id == ids[3]
    assert replayed_equals_store(project)
    nothing = run(project, "undo", "--coder", "zoe")
    assert nothing.exit_code == 1 and "coder 'zoe' has no decisions to undo" in nothing.output


def test_history_shows_who_decided_what(review):
    project, ids = review
    run(project, "review", "--coder", "anna", input="a\nq\n")
    result = run(project, "history", str(ids[2]))
    assert result.exit_code == 0, result.output
    line = next(text for text in result.output.splitlines() if "interaction" in text)
    assert "anna" in line and "accept" in line and "- → accepted (keyword)" in line and "terminal" in line
    assert run(project, "history", "999").exit_code == 1


def test_replay_of_the_log_equals_the_state_after_sessions_and_undo(review):
    project, ids = review
    run(project, "review", "--coder", "anna", input="d\n1\n\nm\nnote\nr\n1\n2\n\nq\n")
    run(project, "review", "--coder", "bob", input="a\na\na\n")
    run(project, "undo", "--coder", "anna")
    run(project, "review", "--coder", "anna", input="m\n-\nc\n2\n2\n\n")
    assert replayed_equals_store(project)


# -- reconcile ---------------------------------------------------------------------------------
def test_reconcile_lists_and_settles_differences(review):
    project, ids = review
    run(project, "review", "--coder", "anna", input="a\na\n1\n\nr\n")
    run(project, "review", "--coder", "bob", input="r\na\n2\n\nr\n")
    listed = run(project, "reconcile", "--coders", "anna,bob", "--list")
    assert listed.exit_code == 0, listed.output
    listed_ids = [int(line.split()[0]) for line in listed.output.splitlines() if "Expert" in line]
    assert listed_ids == [ids[1], ids[2]]
    assert "werkdruk → kans" in listed.output and "werkdruk → risico" in listed.output
    assert "2 segments differ, 2 not settled" in listed.output
    settled = run(project, "reconcile", "--coders", "anna,bob", "--coder", "carla", input="e\n1\n2\n\n1\n")
    assert settled.exit_code == 0, settled.output
    assert "Settled 2 segments; skipped 0; 0 still in dispute." in settled.output
    assert accepted(project, codings.RECONCILED) == {(ids[2], "interaction", "risk"), (ids[1], "workload", "opportunity"),
                                                     (ids[1], "workload", "risk")}
    memos = codings.memos(project.con, codings.RECONCILED)
    assert memos[(ids[2], codings.RECONCILED)] == "settled by carla: took anna's codings"
    assert {e.source for e in history(project.con, coder=codings.RECONCILED)} == {"reconcile"}
    assert "0 not settled" in run(project, "reconcile", "--coders", "anna,bob", "--list").output
    assert "Nothing to settle" in run(project, "reconcile", "--coders", "anna,bob").output
    assert replayed_equals_store(project)


def test_reconcile_names_the_coders_when_one_is_unknown(review):
    project, _ = review
    run(project, "review", "--coder", "anna", input="a\n")
    result = run(project, "reconcile", "--coders", "anna,zoe", "--list")
    assert result.exit_code == 1
    assert "coder 'zoe' has decided nothing; the coders are: anna" in result.output


# -- the Excel round trip ----------------------------------------------------------------------
def export(project: Project, tmp_path: Path, coder: str = "anna", *extra: str) -> Path:
    path = tmp_path / f"review-{coder}.xlsx"
    result = run(project, "review", "export", str(path), "--coder", coder, *extra)
    assert result.exit_code == 0, result.output
    return path


def rows_by_segment(ws) -> dict[int, dict[str, openpyxl.cell.Cell]]:
    header = [c.value for c in ws[1]]
    return {row[0].value: dict(zip(header, row)) for row in ws.iter_rows(min_row=2)}


def edit(path: Path, change) -> None:
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)


def test_excel_round_trip(review, tmp_path):
    project, ids = review
    apply_decisions(project.con, "anna", [Decision(ids[3], "reject", "autonomy", "opportunity")], done_segments=[ids[3]])
    path = export(project, tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Review", "Instructions", "_meta"]
    assert wb["_meta"].sheet_state == "hidden"
    ws = wb["Review"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref.startswith("A1:")
    header = [c.value for c in ws[1]]
    assert header == ["segment_id", "case", "speaker", "document", "time", "text", "autonomie", "werkdruk",
                      "menselijke interactie", "werkplezier", "evidence", "memo", "decided"]
    rows = rows_by_segment(ws)
    assert [rows[i]["time"].value for i in ids[1:]] == [f"positie {project.segment(i).position}" for i in ids[1:]]
    assert list(rows) == ids[1:], "rows in transcript order, without the interviewer"
    assert rows[ids[1]]["werkdruk"].value == "kans+risico"
    assert rows[ids[1]]["case"].value == rows[ids[1]]["speaker"].value == "Expert 1"
    assert rows[ids[1]]["evidence"].value == "werkdruk: nakijkwerk, tijd, vrijgekomen tijd (cue: sneller, opgevuld)"
    assert rows[ids[3]]["autonomie"].value == "-" and rows[ids[3]]["decided"].value == "ja", "earlier decision prefilled"
    assert rows[ids[4]]["werkplezier"].value == "-" and rows[ids[4]]["decided"].value is None
    validations = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert validations == {'"kans,risico,kans+risico,geen richting,-"', '"ja"'}

    def fill(wb):
        rows = rows_by_segment(wb["Review"])
        rows[ids[1]]["werkdruk"].value = "risico"       # one of two suggested directions cleared
        rows[ids[1]]["decided"].value = "ja"
        rows[ids[2]]["menselijke interactie"].value = "kans"  # direction changed
        rows[ids[2]]["decided"].value = "ja"
        rows[ids[3]]["memo"].value = "toch niet?"       # memo on a row left as it was
        rows[ids[4]]["werkplezier"].value = "kans+risico"  # typed where nothing was suggested
        rows[ids[4]]["autonomie"].value = "Kans"
        rows[ids[4]]["decided"].value = "ja"

    edit(path, fill)
    result = run(project, "review", "import", str(path), "--coder", "anna")
    assert result.exit_code == 0, result.output
    assert ("Imported review-anna.xlsx for anna: 4 rows decided, 0 skipped; 1 accepted, 1 rejected, "
            "1 direction changed, 3 added, 1 memo.") in result.output
    assert state(project, "anna") == {
        ("anna", ids[1], "workload", "opportunity"): "rejected",
        ("anna", ids[1], "workload", "risk"): "accepted",
        ("anna", ids[2], "interaction", "risk"): "rejected",
        ("anna", ids[2], "interaction", "opportunity"): "accepted",
        ("anna", ids[3], "autonomy", "opportunity"): "rejected",
        ("anna", ids[4], "work_enjoyment", "opportunity"): "accepted",
        ("anna", ids[4], "work_enjoyment", "risk"): "accepted",
        ("anna", ids[4], "autonomy", "opportunity"): "accepted",
    }
    assert codings.memos(project.con, "anna") == {(ids[3], "anna"): "toch niet?"}
    assert codings.decided_segments(project.con, "anna") == set(ids[1:])
    assert {e.source for e in history(project.con, coder="anna") if e.action != "segment_done"} == {"api", "excel"}
    assert len({e.batch for e in history(project.con, coder="anna") if e.source == "excel"}) == 1, "one transaction"
    again = run(project, "review", "import", str(path), "--coder", "anna")
    assert "0 accepted, 0 rejected, 0 direction changed, 0 added, 0 memos" in again.output, "a repeated import is a no-op"
    assert replayed_equals_store(project)


def test_rows_not_marked_decided_are_skipped(review, tmp_path):
    project, ids = review
    path = export(project, tmp_path)
    edit(path, lambda wb: setattr(rows_by_segment(wb["Review"])[ids[1]]["decided"], "value", "yes"))
    result = run(project, "review", "import", str(path), "--coder", "anna")
    assert "1 rows decided, 3 skipped; 2 accepted" in result.output
    assert accepted(project, "anna") == {(ids[1], "workload", "opportunity"), (ids[1], "workload", "risk")}


def test_export_refuses_to_overwrite_a_workbook(review, tmp_path):
    project, _ = review
    path = export(project, tmp_path)
    again = run(project, "review", "export", str(path), "--coder", "anna")
    assert again.exit_code == 1 and "exists (a filled-in review?); import it first" in again.output
    assert run(project, "review", "export", str(path), "--coder", "anna", "--force").exit_code == 0


def test_export_with_others_and_one_code(review, tmp_path):
    project, ids = review
    apply_decisions(project.con, "bob", [Decision(ids[2], "accept", "interaction", "risk")], done_segments=[ids[2]])
    path = export(project, tmp_path, "anna", "--code", "workload", "--show-others")
    ws = openpyxl.load_workbook(path)["Review"]
    assert [c.value for c in ws[1]][6:] == ["werkdruk", "other coders", "evidence", "memo", "decided"]
    assert rows_by_segment(ws)[ids[2]]["other coders"].value == "bob: menselijke interactie risico"
    blind = openpyxl.load_workbook(export(project, tmp_path, "carla"))["Review"]
    assert "other coders" not in [c.value for c in blind[1]]


def test_options_before_a_subcommand_are_refused(review, tmp_path):
    project, _ = review
    result = CliRunner().invoke(main, ["review", "--coder", "anna", "export", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 1
    assert "put --coder after `export`" in result.output


def _many_segments(project: Project, n: int = 40) -> list[int]:
    """A second interview of ``n`` respondent turns; every third one mentions 'tijd' and is suggested."""
    turns = [("R3", "R3", f"Antwoord {i}: " + ("dat kost veel tijd." if i % 3 == 0 else "we hebben een pilot."))
             for i in range(n)]
    ids = add_document(project, turns, name="int-02.txt")
    texts = {s.id: s.text for s in project.segments(ids=ids)}
    rows = [Suggestion(i, "workload", "risk", "keyword", "keywords.v1", {"matches": [match(texts[i], "tijd")]})
            for i in ids if "tijd" in texts[i]]
    with project.transaction():
        codings.write_suggestions(project.con, rows, origin="keyword", segment_ids=ids,
                                  codebook_version=project.meta("codebook_version"))
    return ids


def exported_ids(path: Path) -> list[int]:
    return list(rows_by_segment(openpyxl.load_workbook(path)["Review"]))


def test_export_filters_select_what_they_say(review, tmp_path):
    project, ids = review
    more = _many_segments(project)
    in_order = [s.id for s in project.segments(only_to_code=True)]  # transcript order
    suggested = {r.segment_id for r in codings.suggestions_for(project.con, None)}
    assert exported_ids(export(project, tmp_path)) == in_order

    only = exported_ids(export(project, tmp_path, "anna", "--only-suggested", "--force"))
    assert only == [i for i in in_order if i in suggested] and len(only) == 3 + 14

    first = exported_ids(export(project, tmp_path, "anna", "--limit", "7", "--force"))
    assert first == in_order[:7]

    sample = exported_ids(export(project, tmp_path, "anna", "--sample", "10", "--seed", "5", "--force"))
    assert len(sample) == 10 and set(sample) <= set(in_order)
    assert sample == [i for i in in_order if i in set(sample)], "a sample is shown in transcript order"
    again = exported_ids(export(project, tmp_path, "anna", "--sample", "10", "--seed", "5", "--force"))
    other = exported_ids(export(project, tmp_path, "anna", "--sample", "10", "--seed", "6", "--force"))
    assert again == sample and other != sample
    both = exported_ids(export(project, tmp_path, "anna", "--only-suggested", "--sample", "5", "--limit", "3",
                               "--force"))
    assert len(both) == 3 and set(both) <= suggested

    # A part of the review comes back like the whole: only its rows become decisions.
    path = export(project, tmp_path, "anna", "--only-suggested", "--limit", "4", "--force")
    meta = dict(openpyxl.load_workbook(path)["_meta"].iter_rows(min_col=1, max_col=2, values_only=True))
    assert meta["rows"] == f"4 of {len(in_order)} (only suggested, limit 4)"
    edit(path, lambda wb: [setattr(row["decided"], "value", "ja") for row in rows_by_segment(wb["Review"]).values()])
    result = run(project, "review", "import", str(path), "--coder", "anna")
    assert result.exit_code == 0, result.output
    assert codings.decided_segments(project.con, "anna") == set(only[:4])
    assert more


def test_export_refuses_past_the_excel_row_limit_and_warns_when_large(review, tmp_path, monkeypatch):
    from qualcode.review import excel

    project, _ = review
    _many_segments(project, 10)
    monkeypatch.setattr(excel, "EXCEL_MAX_ROWS", 10)
    path = tmp_path / "big.xlsx"
    result = run(project, "review", "export", str(path), "--coder", "anna")
    assert result.exit_code == 1 and not path.exists()
    assert ("Error: 14 segments do not fit in one Excel sheet (at most 9 rows); export part of them: --study NAME, "
            "--only-suggested, --sample N --seed S or --limit N") in result.output
    monkeypatch.setattr(excel, "LARGE_REVIEW_ROWS", 5)
    result = run(project, "review", "export", str(path), "--coder", "anna", "--limit", "9")
    assert result.exit_code == 0, result.output
    assert "Warning: 9 rows in one review workbook (of 14 segments)" in result.output
    assert "Wrote " + str(path) + ": 9 of 14 segments" in result.output


def test_review_shows_timestamps_or_the_position(review, tmp_path):
    project, ids = review
    with project.transaction():
        project.con.execute("UPDATE segments SET start_time = 754.2, end_time = 3725.0 WHERE id = ?", (ids[2],))
        project.con.execute("UPDATE segments SET start_time = 62 WHERE id = ?", (ids[3],))
    rows = rows_by_segment(openpyxl.load_workbook(export(project, tmp_path))["Review"])
    assert rows[ids[2]]["time"].value == "00:12:34–01:02:05"
    assert rows[ids[3]]["time"].value == "00:01:02"
    assert rows[ids[1]]["time"].value == "positie 1"
    result = run(project, "review", "--coder", "anna", input="s\ns\ns\nq\n")
    assert f"segment #{ids[2]} · Expert 1 · R1 · int-01.txt · 00:12:34–01:02:05" in result.output
    assert f"segment #{ids[1]} · Expert 1 · R1 · int-01.txt · positie 1" in result.output


FORMULA_LIKE = ["=SUM(A1)", "- minder werk", "+ tijdwinst", "@home", "=HYPERLINK(\"http://x\",\"klik\")"]


def test_formula_like_text_survives_export_and_import_unchanged(project, tmp_path):
    ids = add_document(project, [("R1", "R1", text) for text in FORMULA_LIKE])
    store_codebook(project)
    path = export(project, tmp_path, "anna", "--no-pseudonymise")  # exact text (the web address would be replaced)
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet, "no formula in the file"
    ws = openpyxl.load_workbook(path)["Review"]
    cells = {row[0].value: row[5] for row in ws.iter_rows(min_row=2)}
    assert [cells[i].value for i in ids] == FORMULA_LIKE
    assert all(cells[i].data_type == "s" and cells[i].quotePrefix and cells[i].number_format == "@" for i in ids)

    def decide_all(wb):
        for row in rows_by_segment(wb["Review"]).values():
            row["decided"].value = "ja"
        rows_by_segment(wb["Review"])[ids[0]]["memo"].value = "- eerst navragen"

    edit(path, decide_all)
    result = run(project, "review", "import", str(path), "--coder", "anna")
    assert result.exit_code == 0, result.output
    assert codings.decided_segments(project.con, "anna") == set(ids)
    assert [project.segment(i).text for i in ids] == FORMULA_LIKE
    assert codings.memos(project.con, "anna") == {(ids[0], "anna"): "- eerst navragen"}


@pytest.mark.slow  # starts LibreOffice, ~2 s
def test_libreoffice_keeps_formula_like_text_as_text(project, tmp_path):
    office = libreoffice()
    ids = add_document(project, [("R1", "R1", text) for text in FORMULA_LIKE])
    store_codebook(project)
    path = export(project, tmp_path, "anna", "--no-pseudonymise")  # exact text (the web address would be replaced)
    out = tmp_path / "lo"
    out.mkdir()
    proc = subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "xlsx", "--outdir", str(out), str(path)], capture_output=True, timeout=120)
    assert proc.returncode == 0 and (out / path.name).exists(), f"LibreOffice could not convert: {proc.stderr.decode()[:200]}"
    ws = openpyxl.load_workbook(out / path.name)["Review"]
    assert [row[5].value for row in ws.iter_rows(min_row=2)] == FORMULA_LIKE
    assert {row[5].number_format for row in ws.iter_rows(min_row=2)} == {"@"}, "still text when edited there"
    result = run(project, "review", "import", str(out / path.name), "--coder", "anna")
    assert result.exit_code == 0, result.output
    assert "0 rows decided, 5 skipped" in result.output and ids


# -- refusals: every one applies nothing -------------------------------------------------------
def _set(segment_index: int, column: str, value):
    def change(wb, ids):
        rows_by_segment(wb["Review"])[ids[segment_index]][column].value = value
    return change


def _decide_all_and(change):
    def both(wb, ids):
        for row in rows_by_segment(wb["Review"]).values():
            row["decided"].value = "ja"
        change(wb, ids)
    return both


def _header(column: str, value):
    def change(wb, ids):
        ws = wb["Review"]
        next(c for c in ws[1] if c.value == column).value = value
    return change


def _duplicate_row(wb, ids):
    ws = wb["Review"]
    for cell in ws[2]:
        ws.cell(row=ws.max_row + 1, column=cell.column, value=cell.value)


def _meta(key: str, value):
    def change(wb, ids):
        ws = wb["_meta"]
        next(row for row in ws.iter_rows() if row[0].value == key)[1].value = value
    return change


REFUSALS = {
    "missing sheet": (lambda wb, ids: wb.remove(wb["_meta"]), "sheet '_meta' is missing"),
    "renamed sheet": (lambda wb, ids: setattr(wb["Review"], "title", "Beoordeling"), "sheet 'Review' is missing"),
    "missing column": (_header("decided", None), "column 'decided' is missing"),
    "unknown column": (_header("werkplezier", "werkplezier!"),
                       "Review, row 1, column werkplezier! (J): unknown column; the code columns are"),
    "coder missing": (_meta("coder", None), "_meta, column coder: the coder is missing"),
    "other project": (_meta("project_id", "0000"), "this workbook belongs to another project"),
    "older codebook": (_meta("codebook_version", "abc123"), "exported with codebook version abc123"),
    "unknown value": (_set(1, "werkdruk", "kansen"),
                      "Review, row 2, column werkdruk: 'kansen' is not a direction; choose kans, risico, "
                      "kans+risico, geen richting or -"),
    "decided value": (_set(1, "decided", "misschien"), "'misschien' is not 'ja'"),
    "unknown segment": (_set(1, "segment_id", 999), "Review, row 2, column segment_id: there is no segment 999"),
    "interviewer segment": (lambda wb, ids: _set(1, "segment_id", ids[0])(wb, ids), "was not in this workbook"),
    "changed text": (_set(2, "text", "Ik ben blij met het contact."), "the transcript text of segment"),
    "duplicated row": (_duplicate_row, "is also in row 2; keep one of the two rows"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_import_refuses_a_bad_workbook_and_applies_nothing(review, tmp_path, case):
    project, ids = review
    path = export(project, tmp_path)
    change, message = REFUSALS[case]
    edit(path, lambda wb: _decide_all_and(change)(wb, ids))
    result = run(project, "review", "import", str(path), "--coder", "anna")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: review-anna.xlsx: ") and "nothing was applied" in result.output
    assert message in result.output
    assert history(project.con) == [] and codings.memos(project.con) == {}


def test_import_lists_every_problem_up_to_twenty(project, tmp_path):
    ids = add_document(project, [("R1", "R1", f"Fragment nummer {n} over tijd.") for n in range(25)])
    store_codebook(project)
    path = export(project, tmp_path)

    def spoil(wb):
        for row in rows_by_segment(wb["Review"]).values():
            row["werkdruk"].value = "veel"

    edit(path, spoil)
    result = run(project, "review", "import", str(path), "--coder", "anna")
    assert result.exit_code == 1
    assert "25 problems, nothing was applied" in result.output
    assert result.output.count("is not a direction") == 20 and "... and 5 more" in result.output
    assert history(project.con) == [] and ids


def test_import_refuses_what_is_not_a_workbook(review, tmp_path):
    project, _ = review
    fake = tmp_path / "review.xlsx"
    fake.write_text("segment_id;werkdruk\n1;kans\n")
    result = run(project, "review", "import", str(fake), "--coder", "anna")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {fake}: not an Excel workbook (.xlsx); import the file written by `qualcode review export` "
        "(saved as .xlsx, not .xls, .ods or .csv)"]
    missing = run(project, "review", "import", str(tmp_path / "nope.xlsx"), "--coder", "anna")
    assert missing.exit_code == 1 and "no such file" in missing.output
    assert history(project.con) == []


def test_import_refuses_another_coder_and_a_missing_coder(review, tmp_path):
    project, _ = review
    path = export(project, tmp_path)
    other = run(project, "review", "import", str(path), "--coder", "bob")
    assert other.exit_code == 1 and "exported for coder 'anna', not 'bob'; import it with --coder anna" in other.output
    none = run(project, "review", "import", str(path))
    assert none.exit_code == 1 and "who is deciding?" in none.output
    assert history(project.con) == []


def test_import_refuses_a_workbook_of_another_project_unless_asked(review, tmp_path):
    project, ids = review
    path = export(project, tmp_path)
    edit(path, lambda wb: setattr(rows_by_segment(wb["Review"])[ids[2]]["decided"], "value", "ja"))
    other = Project.init(tmp_path / "other.qualcode")
    try:
        add_document(other)  # the same transcript: same segment ids and texts
        store_codebook(other)
        result = run(other, "review", "import", str(path), "--coder", "anna")
        assert result.exit_code == 1 and "belongs to another project" in result.output
        assert history(other.con) == []
        allowed = run(other, "review", "import", str(path), "--coder", "anna", "--from-other-project")
        assert allowed.exit_code == 0, allowed.output
        assert accepted(other, "anna") == {(ids[2], "interaction", "risk")}
    finally:
        other.close()


def test_import_refuses_after_the_codebook_changed(review, tmp_path):
    project, _ = review
    path = export(project, tmp_path)
    store_codebook(project, CODEBOOK.replace("plezier]", "plezier, motivatie]"))
    result = run(project, "review", "import", str(path), "--coder", "anna")
    assert result.exit_code == 1 and "but the project now uses" in result.output


def test_every_review_command_has_help_with_an_example():
    for args in (["review"], ["review", "export"], ["review", "import"], ["history"], ["undo"], ["reconcile"]):
        result = CliRunner().invoke(main, [*args, "-h"])
        assert result.exit_code == 0 and "Example" in result.output, args


def test_review_items_read_in_chunks_equal_the_queue(review):
    """The Excel export reads a chunk of segments at a time; its items are the queue's items."""
    from qualcode.review.queue import review_items

    project, ids = review
    _many_segments(project, 7)
    apply_decisions(project.con, "anna", [Decision(ids[1], "accept", "workload", "risk"),
                                          Decision(ids[1], "reject", "workload", "opportunity"),
                                          Decision(ids[2], "memo", memo="later")], done_segments=[ids[1]])
    queue = sorted(review_queue(project.store, "anna", include_decided=True),
                   key=lambda i: (i.segment.document_id, i.segment.position))
    order = [i.segment.id for i in queue]
    for chunk in (1, 3, 2000):
        items = list(review_items(project.store, "anna", order, chunk=chunk))
        assert [(i.segment, i.suggestions, i.decisions, i.memo, i.decided, i.case_label) for i in items] == \
               [(i.segment, i.suggestions, i.decisions, i.memo, i.decided, i.case_label) for i in queue]
    assert [i.decided for i in items].count(True) == 1 and items[1].memo == "later"


def test_import_in_chunks_of_one_row_checks_and_applies_the_same(review, tmp_path, monkeypatch):
    from qualcode.review import excel

    monkeypatch.setattr(excel, "IMPORT_CHUNK_ROWS", 1)
    project, ids = review
    path = export(project, tmp_path)
    edit(path, lambda wb: _duplicate_row(wb, ids))
    refused = run(project, "review", "import", str(path), "--coder", "anna")
    assert refused.exit_code == 1 and "is also in row 2; keep one of the two rows" in refused.output
    path = export(project, tmp_path, "anna", "--force")
    edit(path, lambda wb: _decide_all_and(_set(2, "menselijke interactie", "kans"))(wb, ids))
    result = run(project, "review", "import", str(path), "--coder", "anna")
    assert result.exit_code == 0, result.output
    assert "4 rows decided, 0 skipped; 3 accepted, 0 rejected, 1 direction changed" in result.output
    assert codings.decided_segments(project.con, "anna") == set(ids[1:])


def test_export_applies_a_replacer_to_every_transcript_value(review, tmp_path):
    """The hook for pseudonymised exports: case, speaker, document, text and memo go out replaced."""
    from qualcode.review.excel import export_review

    class Upper:
        def replace(self, text: str) -> str:
            return text.upper()

    project, ids = review
    apply_decisions(project.con, "anna", [Decision(ids[1], "memo", memo="vraag Expert 1")])
    path = tmp_path / "p.xlsx"
    export_review(project.store, path, "anna", replacer=Upper())
    wb = openpyxl.load_workbook(path)
    row = rows_by_segment(wb["Review"])[ids[1]]
    assert [row[h].value for h in ("case", "speaker", "document", "memo")] == ["EXPERT 1", "EXPERT 1", "INT-01.TXT",
                                                                                "VRAAG EXPERT 1"]
    assert row["text"].value == project.segment(ids[1]).text.upper()
    meta = dict(wb["_meta"].iter_rows(min_col=1, max_col=2, values_only=True))
    assert meta["pseudonymised"] == "yes"
    assert "VRAAG EXPERT 1" in [c for r in wb["_meta"].iter_rows(min_col=6, max_col=6, values_only=True) for c in r]
    assert not list(tmp_path.glob(".p.xlsx.*")), "no temporary file left behind"
