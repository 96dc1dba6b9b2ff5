"""Round trip as a property: qualcode -> .qdpx -> qualcode keeps documents, cases, attributes, coders,
codings (code, direction, offsets) and memos, for generated projects (non-ASCII, emoji, CRLF, BOM)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from exchange_helpers import (
    assert_valid_qdc,
    assert_valid_qdpx,
    dump,
    validate_every_export,  # noqa: F401
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.coding.codebook import load_codebook
from qualcode.exchange.qdc import import_codebook
from qualcode.project import Project
from qualcode.store import cases as stored_cases
from qualcode.store import codings as stored_codings
from qualcode.store import transaction
from qualcode.store.codings import Decision

pytestmark = pytest.mark.usefixtures("validate_every_export")  # every .qdpx written is checked against Project.xsd

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = load_codebook(ROOT / "codebooks" / "werkbeleving.yaml")
EMOJI = "😅🎓👩‍🏫✅"

words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from(EMOJI),
                min_size=1, max_size=30).filter(lambda t: t.strip())
memo_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Zl", "Zp"),
                                           whitelist_characters="\n") | st.sampled_from(EMOJI),
                    min_size=1, max_size=40).filter(lambda t: t.strip())
turn = st.tuples(st.sampled_from(["Interviewer", "R1", "Anna", "Bram de Vries"]), words)
document = st.fixed_dictionaries({
    "turns": st.lists(turn, min_size=1, max_size=6),
    "crlf": st.booleans(),
    "bom": st.booleans(),
})
attribute_value = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=64),
                            st.booleans(), words, st.none())
decision = st.tuples(st.sampled_from(["anna", "bob"]), st.integers(0, 50), st.sampled_from(CODEBOOK.code_ids),
                     st.sampled_from(["opportunity", "risk", "none"]))


@settings(max_examples=int(__import__("os").environ.get("QC_EXAMPLES", "30")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(docs=st.lists(document, min_size=1, max_size=3), decisions=st.lists(decision, max_size=12),
       memos=st.lists(st.tuples(st.sampled_from(["anna", "bob"]), st.integers(0, 50), memo_text), max_size=4),
       attributes=st.dictionaries(st.sampled_from(["age", "fte", "lead", "school"]), attribute_value, max_size=4),
       study=st.sampled_from([None, "vo-2025", "wave één"]))
def test_qdpx_round_trip_keeps_everything_a_researcher_made(docs, decisions, memos, attributes, study):
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        files = []
        for i, doc in enumerate(docs):
            newline = "\r\n" if doc["crlf"] else "\n"
            text = newline.join(f"{speaker}: {content}" for speaker, content in doc["turns"]) + newline
            data = text.encode("utf-8")
            files.append(tmp / f"gesprek-{i}.txt")
            files[-1].write_bytes((b"\xef\xbb\xbf" if doc["bom"] else b"") + data)
        with Project.init(tmp / "a.qualcode") as original:
            original.import_files(files, study=study)
            with transaction(original.con):
                stored_codings.store_codebook(original.con, CODEBOOK)
                first_case = original.cases()[0].case_id if original.cases() else None
                if first_case:
                    stored_cases.upsert_case(original.con, first_case, None, None, attributes, None)
            coded = original.segments(only_to_code=True)
            if coded:
                for coder, i, code, direction in decisions:
                    original.decide(coder, [Decision(coded[i % len(coded)].id, "add", code, direction)])
                for coder, i, text in memos:
                    original.decide(coder, [Decision(coded[i % len(coded)].id, "memo", memo=text)])
            original.export_qdpx(tmp / "a.qdpx", all_coders=True)
            assert_valid_qdpx(tmp / "a.qdpx")
            expected = dump(original)
        with Project.init(tmp / "b.qualcode") as copy:
            report = copy.import_qdpx(tmp / "a.qdpx")
            assert report.warnings == ()
            assert dump(copy) == expected
            assert {r.origin for r in stored_codings.decisions_for(copy.con)} <= {"imported"}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(codes=st.lists(st.tuples(words, st.sampled_from(["#e07b39", "#abc", "#4E79A7"]), words,
                                st.sampled_from(["positive", "negative"])), min_size=1, max_size=5),
       language=st.sampled_from(["nl", "en"]))
def test_qdc_round_trip_keeps_every_code(codes, language):
    import yaml

    from qualcode.coding.codebook import Codebook
    from qualcode.exchange.qdc import export_qdc

    entries = [{"id": f"code{i}", "label": label.strip(), "color": color,
                "definition": {"includes": " ".join(definition.split())}, "valence": valence,
                **({"parent": "code0"} if i > 1 else {})}
               for i, (label, color, definition, valence) in enumerate(codes)]
    source = yaml.safe_dump({"codebook": "gen", "language": language, "codes": entries}, allow_unicode=True)
    original = Codebook.from_text(source)
    with tempfile.TemporaryDirectory() as tmp_dir:
        out = Path(tmp_dir) / "gen.qdc"
        export_qdc(original, out, "project-1")
        assert_valid_qdc(out)
        back = Codebook.from_text(import_codebook(out).yaml_text)
    from qualcode.exchange.codetree import normalise_color

    # colours come back as #rrggbb (the standard's form), everything else as it was (in tree order)
    assert sorted((c.id, c.label, c.color, c.parent, c.definition, c.valence) for c in back.codes) == \
           sorted((c.id, c.label, normalise_color(c.color)[0], c.parent, c.definition, c.valence)
                  for c in original.codes)
    assert back.language == language
