"""`qualcode decisions import`: a coder's codings from a table, matched by row id, as decisions."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.coding.codebook import default_codebook_path, load_codebook
from qualcode.errors import NotFoundError, ReviewImportError, UsageError
from qualcode.project import Project
from qualcode.store import codings, transaction

SEGMENTS = """id,text
r1,Door AI neemt de werkdruk van docenten af: het nakijken gaat veel sneller.
r2,Het contact met leerlingen wordt minder als alles via een scherm gaat.
r3,Docenten houden zelf de regie over hun lessen.
r4,We hebben het gebouw vorig jaar verbouwd.
r5,Ik ben bang dat mijn werkplezier verdwijnt als AI het ontwerpen van lessen overneemt.
r6,De school kocht nieuwe laptops.
"""

LABELS = """id,labels
r1,workload:opportunity
r2,interaction:risk
r3,autonomy:neutral
r4,none
r5,enjoyment:risk;workload:risk
r6,none
"""


@pytest.fixture
def tabled(tmp_path: Path):
    """A project with the six rows imported as a table (id column `id`) and the default codebook loaded."""
    (tmp_path / "segments.csv").write_text(SEGMENTS, encoding="utf-8")
    project = Project.init(tmp_path / "p.qualcode")
    project.import_files([tmp_path / "segments.csv"], text_columns=["text"], id_column="id")
    with transaction(project.con):
        codings.store_codebook(project.con, load_codebook(default_codebook_path("nl")))
    yield project, tmp_path
    project.close()


def _write(tmp_path: Path, text: str, name: str = "labels.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _accepted(project: Project, coder: str) -> dict[str, set[tuple[str, str]]]:
    rows = {s.id: s.source_row for s in project.segments()}
    out: dict[str, set[tuple[str, str]]] = {}
    for r in codings.decisions_for(project.con, coder):
        if r.status == "accepted":
            out.setdefault(str(rows[r.segment_id]), set()).add((r.code, r.direction))
    return out


def test_labels_are_stored_as_the_coders_decisions_in_one_undoable_batch(tabled):
    project, tmp = tabled
    summary = project.import_decisions(_write(tmp, LABELS), "gold", id_column="id", labels_column="labels")
    assert _accepted(project, "gold") == {
        "r1": {("workload", "opportunity")}, "r2": {("interaction", "risk")}, "r3": {("autonomy", "none")},
        "r5": {("enjoyment", "risk"), ("workload", "risk")},
    }
    assert (summary.segments, summary.codings, summary.added, summary.no_code) == (6, 5, 5, 2)
    # every row is decided, also the 'none' rows (they count as agreed absences in `agree`)
    assert codings.decided_segments(project.con, "gold") == {s.id for s in project.segments()}
    log = codings.history(project.con, coder="gold")
    assert len({e.batch for e in log}) == 1 and {e.source for e in log} == {"decisions import labels.csv"}
    assert all(r.origin == "imported" for r in codings.decisions_for(project.con, "gold"))
    # the same import again changes nothing; undo takes the whole import back
    again = project.import_decisions(tmp / "labels.csv", "gold", id_column="id", labels_column="labels")
    assert again.added == 0 and len(codings.history(project.con, coder="gold")) == len(log)
    project.undo("gold")
    assert codings.decisions_for(project.con, "gold") == []
    assert codings.decided_segments(project.con, "gold") == set()


def test_code_names_match_by_label_in_any_language_and_by_map(tabled):
    project, tmp = tabled
    path = _write(tmp, "id,codes\nr1,Werkdruk:kans\nr2,Human Interaction:risico\nr3,regie:none\nr4,geen\n")
    with pytest.raises(ReviewImportError, match=r"unknown codes \(1\): row 4, column 'codes': 'regie'"):
        project.import_decisions(path, "anna", id_column="id", labels_column="codes")
    assert codings.decisions_for(project.con, "anna") == []
    summary = project.import_decisions(path, "anna", id_column="id", labels_column="codes",
                                       mapping={"regie": "autonomie"})
    assert _accepted(project, "anna") == {"r1": {("workload", "opportunity")}, "r2": {("interaction", "risk")},
                                          "r3": {("autonomy", "none")}}
    assert summary.matched_by == {"Werkdruk": "workload", "Human Interaction": "interaction", "regie": "autonomy"}


def test_one_column_per_code(tabled):
    project, tmp = tabled
    path = _write(tmp, "id,werkdruk,autonomie\nr1,kans,\nr2,0,\nr3,,x\nr5,risk,\n")
    project.import_decisions(path, "bob", id_column="id", code_columns=["werkdruk", "autonomie"])
    assert _accepted(project, "bob") == {"r1": {("workload", "opportunity")}, "r3": {("autonomy", "none")},
                                         "r5": {("workload", "risk")}}
    assert len(codings.decided_segments(project.con, "bob")) == 4


@pytest.mark.parametrize(("table", "kwargs", "error", "message"), [
    ("id,labels\nr1,none\nx9,none\nx10,workload:risk\n", {}, NotFoundError,
     r"labels.csv: 2 of 3 ids match no imported segment: row 3 \(id 'x9'\), row 4 \(id 'x10'\); import the table "
     r"first \(`qualcode import TABLE --id-column id`\)"),
    ("id,labels\nr1,workload:maybe\nr2,none\n", {}, ReviewImportError,
     r"labels.csv: malformed labels \(1\): row 2, column 'labels': 'workload:maybe'; write code:direction pairs"),
    ("id,labels\nr1,stress:risk\nr2,none\n", {}, ReviewImportError,
     r"labels.csv: unknown codes \(1\): row 2, column 'labels': 'stress'; the codebook's codes are autonomy, "
     r"workload, interaction, enjoyment; map a name with --map stress=CODE"),
    ("id,labels\nr1,none\nr1,workload:risk\n", {}, ReviewImportError, r"repeated ids \(1\): rows 2 and 3 \(id 'r1'\)"),
    (LABELS, {"coder": "keyword"}, UsageError, r"'keyword' is reserved for machine suggestions"),
    (LABELS, {"coder": "model"}, UsageError, r"'model' is reserved for machine suggestions"),
    (LABELS, {"labels_column": "codes"}, Exception, r"labels.csv: no column 'codes'; the columns are"),
])
def test_refusals_are_one_line_and_store_nothing(tabled, table, kwargs, error, message):
    project, tmp = tabled
    options = {"coder": "gold", "id_column": "id", "labels_column": "labels", **kwargs}
    coder = options.pop("coder")
    with pytest.raises(error, match=message) as caught:
        project.import_decisions(_write(tmp, table), coder, **options)
    assert "\n" not in str(caught.value)
    assert codings.decisions_for(project.con) == [] and codings.history(project.con) == []


def test_a_segment_decided_otherwise_is_refused_unless_replace(tabled):
    project, tmp = tabled
    project.import_decisions(_write(tmp, LABELS), "gold", id_column="id", labels_column="labels")
    changed = _write(tmp, "id,labels\nr1,workload:risk\nr3,autonomy:neutral\n", "changed.csv")
    with pytest.raises(ReviewImportError, match=r"gold has already decided 1 of these segments otherwise: row 2 "
                                                r"\(id 'r1', segment \d+\); pass --replace"):
        project.import_decisions(changed, "gold", id_column="id", labels_column="labels")
    # a code added to a segment decided before is a change too, also on one decided as 'none'
    more = _write(tmp, "id,labels\nr4,workload:risk\n", "more.csv")
    with pytest.raises(ReviewImportError, match=r"already decided 1 of these segments otherwise: row 2 \(id 'r4'"):
        project.import_decisions(more, "gold", id_column="id", labels_column="labels")
    assert _accepted(project, "gold")["r1"] == {("workload", "opportunity")}
    summary = project.import_decisions(changed, "gold", id_column="id", labels_column="labels", replace=True)
    assert (summary.added, summary.removed) == (1, 1)
    assert _accepted(project, "gold")["r1"] == {("workload", "risk")}
    project.undo("gold")
    assert _accepted(project, "gold")["r1"] == {("workload", "opportunity")}


def test_empty_labels_cell_leaves_the_row_undecided(tabled):
    project, tmp = tabled
    summary = project.import_decisions(_write(tmp, "id,labels\nr1,workload:risk\nr2,\n"), "gold", id_column="id",
                                       labels_column="labels")
    assert summary.not_decided == 1 and summary.segments == 1
    assert len(codings.decided_segments(project.con, "gold")) == 1


def _alpha(a: list[bool], b: list[bool]) -> float:
    """Krippendorff's alpha, nominal, two coders, no missing values, from the coincidence matrix."""
    values = a + b
    n = len(values)
    ones = sum(values)
    zeros = n - ones
    disagreements = 2 * sum(1 for x, y in zip(a, b) if x != y)  # o_01 + o_10
    expected = 2 * ones * zeros / (n - 1)
    return 1 - disagreements / expected


@pytest.mark.slow
def test_agree_gold_keyword_after_import_equals_a_hand_computation(tmp_path):
    (tmp_path / "segments.csv").write_text(SEGMENTS, encoding="utf-8")
    _write(tmp_path, LABELS)
    runner = CliRunner()
    p = ["--project", str(tmp_path / "p.qualcode")]
    for args in (["init", str(tmp_path / "p.qualcode")],
                 ["import", str(tmp_path / "segments.csv"), "--text-column", "text", "--id-column", "id", *p],
                 ["code", *p],
                 ["decisions", "import", str(tmp_path / "labels.csv"), "--coder", "gold", "--id-column", "id",
                  "--labels-column", "labels", *p]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
    assert "Imported gold's decisions from labels.csv: 6 segments, 5 codings" in result.output
    result = runner.invoke(main, ["agree", "--coders", "gold,keyword", "--format", "json", *p])
    assert result.exit_code == 0, result.output
    rows = {(r["code"], r["direction"]): r for r in json.loads(result.output)["rows"]}
    gold = {line.split(",")[0]: line.split(",")[1] for line in LABELS.splitlines()[1:]}
    with Project.open(tmp_path / "p.qualcode") as project:
        row_of = {s.id: s.source_row for s in project.segments()}
        keyword: dict[str, set[str]] = {}
        for s in codings.suggestions_for(project.con, origin="keyword"):
            keyword.setdefault(str(row_of[s.segment_id]), set()).add(s.code)
    ids = [f"r{i}" for i in range(1, 7)]
    for code in ("autonomy", "workload", "interaction", "enjoyment"):
        a = [code in {p.split(":")[0] for p in gold[i].split(";")} for i in ids]
        b = [code in keyword.get(i, set()) for i in ids]
        row = rows[(code, None)]
        tp = sum(x and y for x, y in zip(a, b))
        assert (row["both"], row["only_a"], row["only_b"]) == (tp, sum(a) - tp, sum(b) - tp)
        assert (row["count_a"], row["count_b"]) == (sum(a), sum(b))
        if sum(b):
            assert row["precision"] == pytest.approx(tp / sum(b))
        if sum(a):
            assert row["recall"] == pytest.approx(tp / sum(a))
        if len(set(a + b)) > 1:
            assert row["alpha"] == pytest.approx(_alpha(a, b))
    assert any(rows[(c, None)]["both"] for c in ("workload", "interaction", "enjoyment", "autonomy"))


def test_the_cli_refuses_in_one_line_with_a_nonzero_exit(tabled):
    project, tmp = tabled
    _write(tmp, "id,labels\nr1,none\nzz,none\n")
    project.close()
    result = CliRunner().invoke(main, ["decisions", "import", str(tmp / "labels.csv"), "--coder", "gold",
                                       "--id-column", "id", "--labels-column", "labels",
                                       "--project", str(tmp / "p.qualcode")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: labels.csv: 1 of 2 ids match no imported segment: row 3 (id 'zz'); import the table first "
        "(`qualcode import TABLE --id-column id`) or check the id column; nothing was stored"]


def test_an_xlsx_table_with_numeric_ids(tmp_path):
    import openpyxl

    (tmp_path / "segments.csv").write_text("nr,text\n1,Het nakijken kost me veel extra tijd.\n2,Geen idee.\n",
                                           encoding="utf-8")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["nr", "codes"])
    sheet.append([1, "werkdruk:risico"])  # a number cell, as Excel keeps a typed-in id
    sheet.append([2, "none"])
    workbook.save(tmp_path / "coded.xlsx")
    with Project.init(tmp_path / "p.qualcode") as project:
        project.import_files([tmp_path / "segments.csv"], text_columns=["text"], id_column="nr")
        with transaction(project.con):
            codings.store_codebook(project.con, load_codebook(default_codebook_path("nl")))
        summary = project.import_decisions(tmp_path / "coded.xlsx", "anna", id_column="nr", labels_column="codes")
        assert (summary.segments, summary.codings, summary.no_code) == (2, 1, 1)
        assert _accepted(project, "anna") == {"1": {("workload", "risk")}}
