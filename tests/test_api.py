"""What a notebook does through qualcode.Project alone: import, code, decide, undo, matrix."""
from __future__ import annotations

from pathlib import Path

import pytest

from qualcode import Project
from qualcode.store.codings import Decision

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # the whole sample through the API, ~2 s
def test_a_notebook_session_through_the_project_api(tmp_path):
    transcript = tmp_path / "int-01.txt"
    transcript.write_text(
        "Interviewer: Wat doet AI met uw werk?\n"
        "R1: Het nakijkwerk kost me nu veel minder tijd, dat is echt werkdrukverlichting.\n"
        "Interviewer: En het contact met leerlingen?\n"
        "R1: Ik ben bang dat het contact met leerlingen minder wordt.\n",
        encoding="utf-8",
    )
    with Project.init(tmp_path / "nb.qualcode") as project:
        report = project.import_files([transcript])
        assert [f.segments for f in report.imported] == [4]
        coded = project.code(ROOT / "codebooks" / "werkbeleving.yaml")
        assert coded.per_code.get("workload", 0) >= 1
        queue = project.review_queue("anna")
        assert {item.segment.speaker for item in queue} == {"R1"}
        first, second = sorted(item.segment.id for item in queue)
        project.decide("anna", [Decision(first, "accept", "workload", "opportunity"),
                                Decision(second, "add", "interaction", "risk")])
        matrix = project.matrix().matrix
        assert int(matrix.loc["werkdruk", ("opportunity", "segments")]) == 1
        assert int(matrix.loc["menselijke interactie", ("risk", "segments")]) == 1
        assert [e.action for e in project.history(coder="anna")][:2] == ["accept", "add"]
        project.undo("anna")
        assert project.history(coder="anna")[-1].action == "undo"
        assert project.review_queue("anna"), "after the undo the segments are open again"
