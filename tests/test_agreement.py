"""Agreement figures: published examples, hand-computed cases, degenerate cases, the CLI."""
from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from qualcode.analysis.agreement import ALL_CODES, ALL_DIRECTIONS, NOT_USED, TOO_FEW, agreement, agreement_frame, binary_agreement, cohen_kappa, krippendorff_alpha
from qualcode.cli import main
from qualcode.coding.codebook import Codebook
from qualcode.store.codings import Decision, apply_decisions, store_codebook, write_suggestions
from qualcode.errors import NotFoundError, UsageError
from qualcode.records import Suggestion

from conftest import add_document

nan = float("nan")
CODES = ("autonomy", "workload", "interaction", "work_enjoyment")


CODEBOOK = """\
codebook: test
language: nl
codes:
  - id: autonomy
    label: autonomie
    keywords: {words: [regie]}
  - id: workload
    label: werkdruk
    keywords: {words: [tijd]}
  - id: interaction
    label: menselijke interactie
    keywords: {words: [contact]}
  - id: work_enjoyment
    label: werkplezier
    keywords: {words: [plezier]}
"""


@pytest.fixture
def fifty(project):
    """A project with 50 segments to code and the stand-in codebook."""
    turns = [("R1" if i % 2 else "R2", "R1" if i % 2 else "R2", f"Uitspraak nummer {i} over het werk.") for i in range(50)]
    ids = add_document(project, turns)
    with project.transaction():
        store_codebook(project.con, Codebook.from_text(CODEBOOK, "test.yaml"))
    return project, ids


def decide(project, coder, ids, coded: dict[int, list[tuple[str, str]]]):
    """``coder`` has decided every segment in ``ids``; ``coded`` maps segment id to its (code, direction)s."""
    decisions = [Decision(sid, "add", code, direction) for sid, pairs in coded.items() for code, direction in pairs]
    apply_decisions(project.con, coder, decisions, done_segments=ids)


# -- published and textbook examples -----------------------------------------------------
def test_krippendorff_alpha_on_his_published_nominal_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
    # 4 observers, 12 units, missing values; nominal alpha = 0.743.
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
    assert round(krippendorff_alpha(data), 3) == 0.743


def test_krippendorff_alpha_on_his_two_coder_binary_example():
    # Krippendorff (2011), section A: two observers, binary data, 10 units; alpha = 0.095.
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert round(krippendorff_alpha([a, b]), 3) == 0.095
    # By hand: po = 6/10, pe = .8 * .6 + .2 * .4 = .56, kappa = (.6 - .56) / .44
    assert cohen_kappa(a, b) == pytest.approx(0.04 / 0.44)


def test_cohen_kappa_on_the_classic_fifty_item_table():
    # a=20 (both yes), b=5 (A yes, B no), c=10 (A no, B yes), d=15: po=.70, pe=.50, kappa=.40
    a = [True] * 20 + [True] * 5 + [False] * 10 + [False] * 15
    b = [True] * 20 + [False] * 5 + [True] * 10 + [False] * 15
    fig = binary_agreement(a, b)
    assert (fig["n"], fig["both"], fig["only_a"], fig["only_b"], fig["neither"]) == (50, 20, 5, 10, 15)
    assert fig["percent"] == pytest.approx(70.0)
    assert fig["kappa"] == pytest.approx(0.40)
    # alpha by hand: 1 - (n-1) * o01 / (n0 * n1) = 1 - 99 * 15 / (45 * 55) = 0.40
    assert fig["alpha"] == pytest.approx(0.40)


def test_the_fifty_item_table_through_the_project(fifty):
    project, ids = fifty
    decide(project, "anna", ids, {sid: [("workload", "risk")] for sid in ids[:25]})
    decide(project, "bob", ids, {sid: [("workload", "risk")] for sid in ids[:20] + ids[25:35]})
    result = agreement(project.store, "anna", "bob")
    row = result.row("workload")
    assert (row.n, row.both, row.only_a, row.only_b, row.neither) == (50, 20, 5, 10, 15)
    assert (row.percent, round(row.kappa, 3), round(row.alpha, 3)) == (70.0, 0.4, 0.4)
    assert row.label == "werkdruk"
    assert result.row("workload", "risk").kappa == pytest.approx(0.4)
    assert result.row("workload", "risk").direction_label == "risico"


# -- hand-computed small cases -----------------------------------------------------------
def test_a_small_case_by_hand():
    # 4 units: agree present, agree absent, A only, B only -> po = .5, pe = .5, kappa = 0
    fig = binary_agreement([True, False, True, False], [True, False, False, True])
    assert fig["percent"] == 50.0 and fig["kappa"] == pytest.approx(0.0)
    # alpha: n=8 values, four 1s and four 0s, two disagreeing units: 1 - 7 * 2 / (4 * 4) = 0.125
    assert fig["alpha"] == pytest.approx(0.125)


def test_pooled_figure_is_over_all_segment_by_code_units(fifty):
    project, ids = fifty
    few = ids[:4]
    decide(project, "anna", few, {few[0]: [("workload", "risk")], few[1]: [("autonomy", "opportunity")]})
    decide(project, "bob", few, {few[0]: [("workload", "risk")], few[2]: [("autonomy", "opportunity")]})
    result = agreement(project.store, "anna", "bob")
    pooled = result.row(ALL_CODES)
    assert pooled.n == 4 * len(CODES)
    assert (pooled.both, pooled.only_a, pooled.only_b) == (1, 1, 1)
    a = [0] * 16
    b = [0] * 16
    a[0] = b[0] = 1  # the same unit coded by both
    a[1] = 1
    b[2] = 1
    assert pooled.kappa == pytest.approx(cohen_kappa(a, b))
    assert pooled.alpha == pytest.approx(krippendorff_alpha([a, b]))
    pooled_dir = result.row(ALL_CODES, ALL_DIRECTIONS)
    assert pooled_dir.n == 4 * len(CODES) * 2  # opportunity and risk per code ('none' is used by no one)


def test_same_code_other_direction_is_its_own_kind_of_disagreement(fifty):
    project, ids = fifty
    few = ids[:6]
    decide(project, "anna", few, {few[0]: [("workload", "opportunity")], few[1]: [("workload", "risk")],
                                  few[2]: [("workload", "risk")]})
    decide(project, "bob", few, {few[0]: [("workload", "risk")], few[1]: [("workload", "risk")],
                                 few[3]: [("workload", "risk")]})
    result = agreement(project.store, "anna", "bob")
    assert result.row("workload").only_a == 1 and result.row("workload").only_b == 1  # few[2], few[3]
    opp = result.row("workload", "opportunity")
    assert (opp.only_a, opp.only_b, opp.other_direction) == (0, 0, 1)
    risk = result.row("workload", "risk")
    assert (risk.both, risk.only_a, risk.only_b, risk.other_direction) == (1, 1, 1, 1)
    overall = result.row(ALL_CODES, ALL_DIRECTIONS)
    assert (overall.only_a, overall.only_b, overall.other_direction) == (1, 1, 2)


# -- degenerate cases: words, never NaN ----------------------------------------------------
def test_a_code_neither_coder_used_is_explained(fifty):
    project, ids = fifty
    decide(project, "anna", ids[:5], {ids[0]: [("workload", "risk")]})
    decide(project, "bob", ids[:5], {ids[0]: [("workload", "risk")], ids[1]: [("workload", "risk")]})
    row = agreement(project.store, "anna", "bob").row("autonomy")
    assert (row.percent, row.kappa, row.alpha) == (100.0, None, None)
    assert row.note == NOT_USED == "not used by either coder: agreement is trivially 100%, kappa/alpha undefined"


def test_perfect_agreement_with_one_category_is_explained():
    fig = binary_agreement([True, True, True], [True, True, True])
    assert (fig["percent"], fig["kappa"], fig["alpha"]) == (100.0, None, None)
    assert "100% with one category" in fig["note"]


def test_fewer_than_two_units_is_explained(fifty):
    project, ids = fifty
    decide(project, "anna", ids[:2], {ids[0]: [("workload", "risk")]})
    decide(project, "bob", ids[1:3], {ids[1]: [("workload", "risk")]})
    result = agreement(project.store, "anna", "bob")
    row = result.row("workload")
    assert row.n == 1 and row.kappa is None and row.alpha is None and row.note == TOO_FEW


def test_no_shared_segment_is_explained(fifty):
    project, ids = fifty
    decide(project, "anna", ids[:2], {ids[0]: [("workload", "risk")]})
    decide(project, "bob", ids[2:4], {ids[2]: [("workload", "risk")]})
    row = agreement(project.store, "anna", "bob").row("workload")
    assert row.n == 0 and row.percent is None and "no segments decided by both" in row.note


def test_no_nan_anywhere_in_json_csv_or_the_frame(fifty):
    project, ids = fifty
    decide(project, "anna", ids[:6], {ids[0]: [("workload", "risk")]})
    decide(project, "bob", ids[:6], {ids[0]: [("workload", "risk")]})
    result = agreement(project.store, "anna", "bob")
    text = json.dumps(result.to_dict())
    assert "NaN" not in text
    frame = agreement_frame(result)
    csv = frame.to_csv(index=False)
    assert "nan" not in csv.lower()
    for column in ("kappa", "alpha", "% agreement"):
        assert not any(isinstance(v, float) and math.isnan(v) for v in frame[column])
    assert "not used by either coder" in csv


# -- units: only segments both decided -----------------------------------------------------
def test_segments_decided_by_one_coder_are_left_out_and_counted(fifty):
    project, ids = fifty
    decide(project, "anna", ids[:5], {ids[0]: [("workload", "risk")], ids[1]: [("workload", "risk")]})
    decide(project, "bob", ids[2:9], {ids[2]: [("workload", "risk")], ids[8]: [("workload", "risk")]})
    result = agreement(project.store, "anna", "bob")
    assert result.units == 3
    assert (result.groups[0].only_a, result.groups[0].only_b) == (2, 4)
    assert result.row("workload").n == 3
    assert result.row("workload").only_b == 1 and result.row("workload").only_a == 0
    assert "left out: 2 decided only by anna, 4 only by bob" in result.summary()[0]


def test_a_segment_decided_as_no_code_counts_as_a_unit(fifty):
    project, ids = fifty
    decide(project, "anna", ids[:3], {})
    decide(project, "bob", ids[:3], {ids[0]: [("workload", "risk")]})
    row = agreement(project.store, "anna", "bob").row("workload")
    assert (row.n, row.only_b, row.neither) == (3, 1, 2)


# -- keyword (machine) against a human -----------------------------------------------------
def _keyword(sid, code, direction="none"):
    return Suggestion(sid, code, direction, "keyword", "keywords.v1",
                      {"matches": [{"text": "werkdruk", "start": 0, "end": 8, "rule": "word:werkdruk", "kind": "aspect"}]})


def test_precision_recall_f1_of_keyword_against_a_human(fifty):
    project, ids = fifty
    # keyword suggests workload on 0..5; the human coded workload on 3..9 (after deciding all 50)
    write_suggestions(project.con, [_keyword(s, "workload", "risk") for s in ids[:6]], origin="keyword",
                      segment_ids=ids, codebook_version="v1")
    decide(project, "anna", ids, {s: [("workload", "risk")] for s in ids[3:10]})
    result = agreement(project.store, "anna", "keyword")
    assert result.truth == "anna"
    row = result.row("workload")
    # tp = 3 (3,4,5), fp = 3 (0,1,2), fn = 4 (6..9)
    assert (row.both, row.only_b, row.only_a) == (3, 3, 4)
    assert row.precision == pytest.approx(3 / 6)
    assert row.recall == pytest.approx(3 / 7)
    assert row.f1 == pytest.approx(2 * (0.5 * 3 / 7) / (0.5 + 3 / 7))
    auto = result.row("autonomy")
    assert auto.precision is None and auto.recall is None and auto.note == NOT_USED


def test_keyword_counts_every_segment_to_code_as_decided(fifty):
    project, ids = fifty
    write_suggestions(project.con, [_keyword(ids[0], "workload")], origin="keyword", segment_ids=ids,
                      codebook_version="v1")
    decide(project, "anna", ids[:10], {ids[1]: [("interaction", "risk")]})
    result = agreement(project.store, "anna", "keyword")
    assert result.units == 10 and result.groups[0].only_b == 40
    inter = result.row("interaction")
    assert inter.precision is None and "keyword never suggested it: precision undefined" in inter.note
    assert inter.recall == 0.0
    # reversed order: the human is still the truth
    reverse = agreement(project.store, "keyword", "anna")
    assert reverse.truth == "anna" and reverse.row("interaction").recall == 0.0


def test_keyword_without_any_suggestion_says_what_to_run(fifty):
    project, ids = fifty
    decide(project, "anna", ids[:3], {})
    with pytest.raises(NotFoundError, match="no keyword suggestions .*run `qualcode code` first"):
        agreement(project.store, "anna", "keyword")


def test_unknown_coder_and_same_coder_are_refused(fifty):
    project, ids = fifty
    decide(project, "anna", ids[:3], {})
    with pytest.raises(NotFoundError, match="coder 'zoe' has decided no segments; the coders are: anna"):
        agreement(project.store, "anna", "zoe")
    with pytest.raises(UsageError, match="both coders are 'anna'"):
        agreement(project.store, "anna", "anna")


# -- split by a case attribute -------------------------------------------------------------
def test_by_study_splits_the_figures(project):
    ids_vo = add_document(project, [("R1", "R1", f"vo zin {i}") for i in range(4)], name="a.txt", study="vo-2025")
    ids_po = add_document(project, [("R9", "R9", f"po zin {i}") for i in range(4)], name="b.txt", study="po-2019")
    everything = ids_vo + ids_po
    decide(project, "anna", everything, {ids_vo[0]: [("workload", "risk")], ids_po[0]: [("workload", "risk")]})
    decide(project, "bob", everything, {ids_vo[0]: [("workload", "risk")], ids_po[1]: [("workload", "risk")]})
    result = agreement(project.store, "anna", "bob", by="study")
    assert [g.group for g in result.groups] == [None, "po-2019", "vo-2025"]
    assert result.row("workload", group="vo-2025").percent == 100.0
    assert result.row("workload", group="po-2019").percent == 50.0
    assert result.row("workload").n == 8
    frame = agreement_frame(result)
    assert list(frame.columns[:2]) == ["study", "code"]
    assert set(frame["study"]) == {"(all)", "po-2019", "vo-2025"}
    with pytest.raises(UsageError, match="unknown attribute 'school'"):
        agreement(project.store, "anna", "bob", by="school")


# -- the frame and the CLI ----------------------------------------------------------------------
def test_agreement_frame_has_the_columns_for_the_workbook(fifty):
    project, ids = fifty
    write_suggestions(project.con, [_keyword(ids[0], "workload", "risk")], origin="keyword", segment_ids=ids,
                      codebook_version="v1")
    decide(project, "anna", ids[:4], {ids[0]: [("workload", "risk")]})
    frame = agreement_frame(agreement(project.store, "anna", "keyword"))
    assert list(frame.columns) == ["code", "label", "direction", "direction label", "n", "both", "neither",
                                   "only anna", "only keyword", "other direction", "% agreement", "kappa", "alpha",
                                   "precision", "recall", "F1", "note"]
    assert frame.attrs["summary"][0].startswith("4 segments decided by both anna and keyword")


@pytest.fixture
def cli_project(tmp_path):
    from qualcode.project import Project

    path = tmp_path / "p.qualcode"
    with Project.init(path) as project:
        ids = add_document(project, [("R1", "R1", f"zin {i}") for i in range(6)])
        decide(project, "anna", ids, {ids[0]: [("workload", "risk")], ids[1]: [("workload", "opportunity")]})
        decide(project, "bob", ids, {ids[0]: [("workload", "risk")], ids[2]: [("workload", "risk")]})
    return str(path)


def test_cli_agree_table_json_csv(cli_project):
    runner = CliRunner()
    result = runner.invoke(main, ["agree", "--coders", "anna,bob", "--project", cli_project])
    assert result.exit_code == 0, result.output
    assert "kappa" in result.output and "alpha" in result.output and "workload" in result.output
    assert "6 segments decided by both anna and bob" in result.output
    result = runner.invoke(main, ["agree", "--coders", "anna,bob", "--format", "json", "--project", cli_project])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["coder_a"] == "anna" and any(r["code"] == "workload" for r in data["rows"])
    result = runner.invoke(main, ["agree", "--coders", "anna,bob", "--format", "csv", "--project", cli_project])
    assert result.exit_code == 0 and result.output.startswith("code,label,direction")


def test_cli_agree_errors_are_one_line(cli_project):
    runner = CliRunner()
    result = runner.invoke(main, ["agree", "--coders", "anna", "--project", cli_project])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --coders needs two names separated by a comma (e.g. anna,bob), not 'anna'"
    result = runner.invoke(main, ["agree", "--coders", "anna,keyword", "--project", cli_project])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: no keyword suggestions in ")


def test_cli_agree_has_help():
    result = CliRunner().invoke(main, ["agree", "-h"])
    assert result.exit_code == 0 and "Example" in result.output
