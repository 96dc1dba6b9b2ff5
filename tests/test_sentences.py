"""Dutch sentence ends around abbreviations (qualcode/coding/sentences.py), and what that changes for
the keyword coder: a cue of one sentence no longer reaches an aspect of the next."""
from __future__ import annotations

import pytest

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
