"""Keyword evidence as records (qualcode.records.Evidence) and the strategy registry."""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.coding import learn
from qualcode.coding.codebook import default_codebook_path, load_codebook
from qualcode.coding.keywords import STRATEGY, explain, suggest
from qualcode.coding.strategies import KEYWORDS, STRATEGIES, TFIDF_LOGREG, strategy
from qualcode.errors import UsageError
from qualcode.records import (MATCH_KINDS, RULE_KINDS, Evidence, Segment, cancelled_json, evidence_json,
                              evidence_text, evidence_text_of, match_json)

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    ("AI zorgt voor werkdrukverlichting, omdat ik minder tijd kwijt ben aan nakijken. "
     "De Europese AI-verordening zegt iets over autonomie."),
    "Het bespaart geen tijd, maar de werkdruk neemt niet toe. Ik kijk de toetsen sneller na.",
    "Minder onzekerheid en meer een-op-een begeleiding; geen extra werk.",
    "Het contact met leerlingen verdwijnt als alles via een scherm gaat.",
]


@pytest.fixture(scope="module")
def nl():
    return load_codebook(default_codebook_path("nl"))


def segments():
    return [Segment(id=n, document_id=1, start=0, end=len(t), text=t, speaker="R1", case_id="R1", kind="turn")
            for n, t in enumerate(TEXTS, 1)]


def golden_evidence():
    lines = (ROOT / "tests" / "golden" / "suggestions-sample.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["evidence"] for line in lines]


def test_evidence_round_trips_the_stored_json_exactly(nl):
    for evidence in golden_evidence():
        assert Evidence.from_json(evidence).to_json() == evidence
    suggestions = list(suggest(nl, segments()))
    assert suggestions
    for s in suggestions:  # key order too: the store writes the text as it is
        assert evidence_text(Evidence.from_json(s.evidence).to_json()) == evidence_text(s.evidence)


def test_the_coder_writes_only_the_kinds_defined_with_the_record(nl):
    stored = [Evidence.from_json(e) for e in golden_evidence()]
    stored += [Evidence.from_json(s.evidence) for s in suggest(nl, segments())]
    matches = [m for e in stored for m in e.matches] + [c.match for e in stored for c in e.cancelled]
    explained = [explain(nl, segment) for segment in segments()]
    matches += [m for x in explained for s in x.sentences for m in s.matches]
    matches += [c.match for x in explained for s in x.sentences for c in s.cancelled]
    assert {m.kind for m in matches} <= set(MATCH_KINDS)
    assert {m.rule_kind for m in matches} <= set(RULE_KINDS)
    # a suggestion's own matches name its aspect or give its direction
    assert {m.kind for e in stored for m in e.matches} == {"aspect", "opportunity", "risk"}


def test_evidence_fields():
    evidence = Evidence.from_json({
        "matches": [{"text": "neemt", "start": 4, "end": 9, "rule": "decrease:afnemen", "kind": "opportunity",
                     "note": "less of 'werkdruk' (negative valence)"},
                    {"text": "werkdruk", "start": 10, "end": 18, "rule": "compound:*werkdruk*", "kind": "aspect"}],
        "sentence": [0, 19], "sentences": [[0, 19]],
        "cancelled": [{"text": "autonomie", "start": 30, "end": 39, "rule": "word:autonomie", "kind": "aspect",
                       "reason": "exclusion 'Europese' in the same sentence", "code": "autonomy"}],
    })
    cue, aspect = evidence.matches
    assert (cue.rule_kind, cue.pattern, cue.is_cue, cue.is_aspect) == ("decrease", "afnemen", True, False)
    assert (aspect.rule_kind, aspect.pattern, aspect.rule, aspect.code) == ("compound", "*werkdruk*", "compound:*werkdruk*", None)
    assert evidence.sentences == ((0, 19),)
    assert evidence.cancelled[0].match.code == "autonomy"
    # a model's evidence has no matches
    assert Evidence.from_json({"terms": [["werkdruk", 1.2]], "probability": 0.8}) == Evidence()
    assert Evidence.from_json(None) == Evidence()


def test_strategy_registry():
    assert STRATEGY == KEYWORDS == "keywords.v1" and learn.STRATEGY == TFIDF_LOGREG == "tfidf-logreg.v1"
    for name, known in STRATEGIES.items():
        assert strategy(name) is known and importlib.import_module(known.module).STRATEGY == name
    with pytest.raises(UsageError, match="unknown strategy 'keywords.v9'; the known strategies are: keywords.v1, tfidf-logreg.v1"):
        strategy("keywords.v9")


_texts = st.text(st.characters(codec="utf-8"), max_size=12)  # quotes, backslashes, control characters, any letter
_offsets = st.integers(min_value=0, max_value=10**7)
_rows = st.tuples(_texts, _offsets, _offsets, _texts, st.sampled_from(MATCH_KINDS), st.one_of(st.just(""), _texts))


@settings(max_examples=300, deadline=None)
@given(matches=st.lists(_rows, max_size=4), sentences=st.lists(st.tuples(_offsets, _offsets), max_size=3),
       cancelled=st.lists(st.tuples(_rows, _texts, st.one_of(st.none(), st.just(""), _texts)), max_size=3))
def test_the_coder_writes_the_same_json_as_the_encoder(matches, sentences, cancelled):
    """The keyword coder writes its evidence's JSON itself: it must be what the JSON encoder writes
    of the same evidence, character for character (the stored text, not only its value)."""
    as_dicts = evidence_json([match_json(*row) for row in matches], sentences,
                             [cancelled_json(match_json(*row), reason, code) for row, reason, code in cancelled])
    written = evidence_text_of(matches, sentences, cancelled)
    assert written == evidence_text(as_dicts)
    assert json.loads(written) == as_dicts
