"""Dutch sentence ends around abbreviations (qualcode/coding/sentences.py), and what that changes for
the keyword coder: a cue of one sentence no longer reaches an aspect of the next."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.coding.codebook import default_codebook_path, load_codebook
from qualcode.coding.keywords import suggest
from qualcode.coding.nlp import build_pipeline
from qualcode.records import Segment


def sentences(text: str) -> list[str]:
    return [sentence.text for sentence in build_pipeline("nl")(text).sents]


@pytest.mark.parametrize("text, expected", [
    # a Dutch word the tokenizer keeps with its full stop ('dat.', 'al.', 'pas.', 'top.')
    ("Veel collega's doen dat. Daarna gaat de bel.", ["Veel collega's doen dat.", "Daarna gaat de bel."]),
    ("Wij gebruiken het al. Leerlingen vinden het prima.", ["Wij gebruiken het al.", "Leerlingen vinden het prima."]),
    ("Het rooster is pas. Morgen begint de toetsweek.", ["Het rooster is pas.", "Morgen begint de toetsweek."]),
    # the OCR spelling 'Al' of 'AI' at the end of a sentence, and 'et al.' before a new one
    ("We spraken over Al. Sommige scholen twijfelen.", ["We spraken over Al.", "Sommige scholen twijfelen."]),
    ("Dat schrijven Jansen et al. De vraag blijft open.", ["Dat schrijven Jansen et al.", "De vraag blijft open."]),
    # a closing abbreviation, and any abbreviation before a word that opens a sentence
    ("Er zijn roosters, lijsten enz. Het kost veel.", ["Er zijn roosters, lijsten enz.", "Het kost veel."]),
    ("Denk aan toetsen e.d. Ook het rooster telt.", ["Denk aan toetsen e.d.", "Ook het rooster telt."]),
    # an abbreviation the tokenizer does not know keeps its full stop
    ("Lessen maken i.s.m. ChatGPT gaat snel.", ["Lessen maken i.s.m. ChatGPT gaat snel."]),
    ("Zo gaat het m.b.v. Copilot en Gemini.", ["Zo gaat het m.b.v. Copilot en Gemini."]),
    ("Zo gaat het m.b.v. een app. De rest blijft.", ["Zo gaat het m.b.v. een app.", "De rest blijft."]),
])
def test_a_sentence_ends_after_an_abbreviation_only_when_the_next_one_starts(text, expected):
    assert sentences(text) == expected


@pytest.mark.parametrize("text", [
    "Dat zei dr. Visser gisteren al.",                   # a title: a name follows
    "Volgens prof. De Boer is het zo.",
    "Het boek van J. De Graaf gaat erover.",             # an initial
    "Zie o.a. Nederland en België.",                      # a mid-sentence abbreviation before a name
    "We gebruiken bijv. Magister voor de cijfers.",
    "Zie blz. 12 voor de tabel.",
    "Jansen et al. (2020) schrijven dat ook.",
])
def test_titles_initials_and_mid_sentence_abbreviations_do_not_end_a_sentence(text):
    assert sentences(text) == [text]


def test_english_pipeline_is_not_changed():
    doc = build_pipeline("en")("We use it e.g. The tool works.")
    assert len(list(doc.sents)) == 1  # spaCy's own splitter, as before


def test_a_cue_of_the_next_sentence_no_longer_reaches_the_aspect():
    codebook = load_codebook(default_codebook_path("nl"))
    text = "De werkdruk van docenten bespraken we al. Risico's voor leerlingen zagen we niet."
    found = {(s.code, s.direction) for s in suggest(codebook, [
        Segment(id=1, document_id=1, start=0, end=len(text), text=text, speaker=None, case_id="c", kind="paragraph")])}
    assert found == {("workload", "none")}  # one sentence before: ('workload', 'risk') from 'Risico's'


# -- the sentencizer: spaCy's rule, read from the forms (qualcode/coding/sentences.py sentencizer)

def _reference_pipeline(language: str):
    """The default pipeline with spaCy's own Sentencizer in place of qualcode's (no Dutch correction)."""
    import spacy

    from qualcode.coding.nlp import LEMMATIZER_NAME

    build_pipeline(language)  # registers qualcode's components
    nlp = spacy.blank(language)
    nlp.add_pipe(LEMMATIZER_NAME, config={"language": language})
    nlp.add_pipe("sentencizer")
    nlp.initialize()
    return nlp


def _starts(nlp, text: str) -> list[bool]:
    with nlp.select_pipes(disable=[name for name in nlp.pipe_names if name == "qualcode_sentence_fix"]):
        return [bool(token.is_sent_start) for token in nlp(text)]


_PIECES = st.sampled_from([
    "De", "werkdruk", "stijgt", "AI", "ik", "docent", "o.a.", "bijv.", "m.b.v", "enz.", "3,5", "2025",
    ".", "..", "...", "!", "?", "?!", "!!", ",", ";", ":", "-", "(", ")", '"', "'", "”", "“", "»", "…",
    "。", "！", "؟", "‽", "‼", "¡", "¿", "*", "/", "•", "§", "%", "€", "#1", "Ü", "İ", "ΣΑ",
])


@pytest.mark.parametrize("language", ["nl", "en"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.tuples(_PIECES, st.sampled_from(["", " ", "  ", "\n", "\n\n", " \t"])), max_size=40))
def test_the_sentencizer_starts_sentences_where_spacys_does(language, pieces):
    text = "".join(piece + space for piece, space in pieces)
    ours, reference = build_pipeline(language), _reference_pipeline_cached(language)
    assert type(ours.get_pipe("sentencizer")).__name__ == "FormSentencizer"
    assert _starts(ours, text) == _starts(reference, text)
    # without the lemmatiser before it, it reads the forms from the doc
    alone, spacys = _alone_cached(language)
    assert _starts(alone, text) == _starts(spacys, text)


def test_the_sentencizer_starts_sentences_where_spacys_does_on_interview_text():
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "transcripts_sample"
    texts = [path.read_bytes().decode("utf-8", "replace") for path in sorted(sample.rglob("*.txt"))]
    assert len(texts) >= 5
    ours, reference = build_pipeline("nl"), _reference_pipeline_cached("nl")
    with ours.select_pipes(disable=["qualcode_sentence_fix"]):
        got = [[bool(t.is_sent_start) for t in doc] for doc in ours.pipe(texts)]
    expected = [[bool(t.is_sent_start) for t in doc] for doc in reference.pipe(texts)]
    assert got == expected
    assert sum(map(sum, got)) > 20 * len(texts)  # many sentences, not one per text


def test_lower_casing_never_changes_what_the_sentencizer_sees():
    """The sentencizer classifies tokens by their lower-cased forms: that is exact only because
    punctuation lower-cases to itself and nothing else lower-cases to punctuation."""
    import sys

    from spacy.lang.lex_attrs import is_punct
    from spacy.pipeline import Sentencizer

    changed = [hex(point) for point in range(sys.maxunicode + 1)
               if is_punct(chr(point)) != is_punct(chr(point).lower())
               or (chr(point).lower() in Sentencizer.default_punct_chars) != (chr(point) in Sentencizer.default_punct_chars)]
    assert changed == []


_REFERENCE: dict[str, object] = {}


def _reference_pipeline_cached(language: str):
    if language not in _REFERENCE:
        _REFERENCE[language] = _reference_pipeline(language)
    return _REFERENCE[language]


def _alone_cached(language: str):
    """A blank pipeline with qualcode's sentencizer alone, and one with spaCy's."""
    key = f"{language}-alone"
    if key not in _REFERENCE:
        import spacy

        from qualcode.coding.nlp import SENTENCIZER_NAME

        build_pipeline(language)  # registers qualcode's components
        alone, spacys = spacy.blank(language), spacy.blank(language)
        alone.add_pipe(SENTENCIZER_NAME, name="sentencizer")
        spacys.add_pipe("sentencizer")
        _REFERENCE[key] = (alone, spacys)
    return _REFERENCE[key]
