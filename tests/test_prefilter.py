"""The prefilter of the keyword coder: the pipeline runs only on windows of a text, and the
suggestions and evidence are exactly those of the whole text through the pipeline (the
reference path, ``suggest_texts(windows=False)``)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.coding.codebook import Codebook, default_codebook_path, load_codebook
from qualcode.coding.keywords.prefilter import prefilter_for
from qualcode.coding.keywords.rules import compile_rules
from qualcode.coding.keywords.scan import analyse_doc
from qualcode.coding.keywords.stream import suggest_texts
from qualcode.coding.nlp import build_pipeline
from qualcode.project import Project
from qualcode.resources import sample_dir


@pytest.fixture(scope="module")
def nl() -> Codebook:
    return load_codebook(default_codebook_path("nl"))


@pytest.fixture(scope="module")
def compiled(nl):
    nlp = build_pipeline("nl")
    return compile_rules(nl, nlp), nlp


def both_paths(compiled, texts: list[str]):
    rules, nlp = compiled
    items = list(enumerate(texts, 1))
    return (list(suggest_texts(rules, nlp, items, 16, windows=True)),
            list(suggest_texts(rules, nlp, items, 16, windows=False)))


def analysed_sentences(compiled, text: str) -> list[tuple[int, int]]:
    """The sentences the full path analyses and finds a mention in."""
    rules, nlp = compiled
    return [(result.start, result.end) for result in analyse_doc(rules, nlp(text), text, 0, trace=False)]


def assert_complete(compiled, text: str) -> None:
    """Every sentence the full path yields a mention in lies inside one window."""
    rules, nlp = compiled
    windows, _ = prefilter_for(rules, nlp).windows(text)
    for start, end in analysed_sentences(compiled, text):
        assert any(w_start <= start and end <= w_end for w_start, w_end in windows), (text, (start, end), windows)


def test_the_default_pipeline_gets_a_prefilter(compiled):
    rules, nlp = compiled
    assert prefilter_for(rules, nlp) is not None


def test_a_text_without_any_aspect_word_goes_nowhere(compiled):
    rules, nlp = compiled
    windows, names_staff = prefilter_for(rules, nlp).windows("We hebben het gebouw vorig jaar verbouwd. Ik ben docent.")
    assert windows == []
    assert names_staff is True


def test_only_the_sentences_with_an_aspect_word_are_windows(compiled):
    rules, nlp = compiled
    text = ("Het gebouw is oud. De werkdruk neemt toe door de administratie. We praten over de kantine. "
            "Ik heb minder tijd voor leerlingen.")
    windows, _ = prefilter_for(rules, nlp).windows(text)
    assert [text[start:end] for start, end in windows] == [
        "De werkdruk neemt toe door de administratie.", "Ik heb minder tijd voor leerlingen."]
    assert_complete(compiled, text)
    windowed, whole = both_paths(compiled, [text])
    assert windowed == whole and whole


def test_a_separable_verb_and_its_particle_make_a_window(compiled):
    rules, nlp = compiled
    text = "Het regent. Ik kijk de toetsen nu sneller na dankzij AI, dat scheelt veel werk. Daarna eten we."
    windows, _ = prefilter_for(rules, nlp).windows(text)
    assert [text[start:end] for start, end in windows] == ["Ik kijk de toetsen nu sneller na dankzij AI, dat scheelt veel werk."]
    windowed, whole = both_paths(compiled, [text])
    assert windowed == whole and any(m["rule"] == "separable:nakijken" for s in whole for m in s.evidence["matches"])


def test_a_special_case_that_may_reach_across_runs_takes_the_whole_text(compiled):
    rules, nlp = compiled
    # ':(' is a special case of the tokenizer (a smiley): its two tokens may stand in two runs
    text = "De werkdruk is hoog: (zucht) zegt ze. Het gebouw is oud."
    assert prefilter_for(rules, nlp).windows(text) == ([(0, len(text))], None)
    windowed, whole = both_paths(compiled, [text])
    assert windowed == whole


def test_another_pipeline_gets_no_prefilter(nl):
    # a component after the sentencizer (a trained pipeline cannot be assumed installed here)
    nlp = build_pipeline.__wrapped__("nl")
    assert prefilter_for(compile_rules(nl, nlp), nlp) is not None
    other = build_pipeline.__wrapped__("nl")
    other.add_pipe("doc_cleaner")
    assert prefilter_for(compile_rules(nl, other), other) is None
    text = "Het gebouw is oud. De werkdruk neemt toe."
    items = [(1, text)]
    rules = compile_rules(nl, other)
    assert list(suggest_texts(rules, other, items, 16)) == list(suggest_texts(rules, other, items, 16, windows=False))


@pytest.fixture(scope="module")
def sample_texts(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("sample")
    with Project.init(Path(folder) / "sample.qualcode") as project:
        for study in ("vo-2025", "po-2019"):
            paths = sorted(p for p in (sample_dir() / study).iterdir() if p.suffix in (".txt", ".md", ".docx", ".vtt"))
            project.import_files(paths, study=study)
        return [segment.text for segment in project.store.segments(only_to_code=True)]


def test_the_sample_gives_the_same_suggestions_both_ways(compiled, sample_texts):
    assert len(sample_texts) > 20
    windowed, whole = both_paths(compiled, sample_texts)
    assert len(whole) > 20
    assert windowed == whole
    for text in sample_texts:
        assert_complete(compiled, text)


# Generated text: the codebook's own words in inflected, compound, hyphenated and capitalised
# forms, split verbs, cues, negations and clause breaks, with punctuation and whitespace of
# every kind between them (double spaces, newlines, quotes, brackets, abbreviations, numbers).
def _vocabulary(codebook: Codebook) -> list[str]:
    words: set[str] = set()
    for code in codebook.codes:
        keys = code.keywords
        for word in (*keys.words, *keys.phrases, *keys.exclude, *keys.opposite_valence):
            words.update(word.split())
        for pattern in keys.compounds:
            core = pattern.replace("*", "")
            words.update({core, "lesvoor" + core, core + "verlichting", core + "en"})
    directions = codebook.directions
    for cue in (*directions.opportunity.cues, *directions.risk.cues, *directions.increase, *directions.decrease):
        words.update(cue.split())
    words.update(codebook.negation.flip)
    words.update(codebook.negation.cancel)
    words.update(codebook.clause_breaks)
    words.update(word.replace("*", "") for word in codebook.staff)
    inflected = set()
    for word in words:
        inflected.update({word, word + "en", word + "s", word + "t", word.capitalize(), "ge" + word + "d"})
    return sorted(w for w in inflected if w.strip())


_FILLER = ["de", "het", "een", "ik", "we", "kijk", "na", "neemt", "toe", "op", "in", "niet", "geen", "maar",
           "gebouw", "kantine", "2024", "bijv.", "d.w.z.", "'s", "zo'n", "AI-tool", "e-mail", "...", "(", ")",
           "m.b.v.", "i.s.m.", "dat.", "enz.", "Al.", "dr.", "J.", "De", "Het", "Docenten", '"', "‘", "’", "-", "–", ":", ";", ",", ".", "!", "?", ".\n", "\n\n", "  ", "\t", ":(", ":-)", "a.s."]


@pytest.fixture(scope="module")
def vocabulary(nl) -> list[str]:
    return _vocabulary(nl)


def _texts(vocabulary: list[str]):
    word = st.sampled_from(vocabulary) | st.sampled_from(_FILLER)
    separator = st.sampled_from([" ", " ", " ", " ", "  ", "\n", " \n", ". ", "? ", "! ", ", ", "; ", ".\n\n"])
    piece = st.tuples(word, separator).map("".join)
    return st.lists(piece, min_size=1, max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_generated_text_gives_the_same_suggestions_both_ways(compiled, vocabulary, data):
    texts = data.draw(st.lists(_texts(vocabulary), min_size=1, max_size=4))
    windowed, whole = both_paths(compiled, texts)
    assert windowed == whole
    for text in texts:
        assert_complete(compiled, text)


@pytest.fixture(scope="module")
def english():
    codebook = load_codebook(default_codebook_path("en"))
    nlp = build_pipeline("en")
    return compile_rules(codebook, nlp), nlp, _vocabulary(codebook)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_english_generated_text_gives_the_same_suggestions_both_ways(english, data):
    rules, nlp, vocabulary = english
    assert prefilter_for(rules, nlp) is not None
    texts = data.draw(st.lists(_texts(vocabulary), min_size=1, max_size=4))
    windowed, whole = both_paths((rules, nlp), texts)
    assert windowed == whole


def test_the_run_cache_starts_over_when_full_and_nothing_changes(compiled, sample_texts, monkeypatch):
    from qualcode.coding.keywords import prefilter as prefilter_module

    rules, nlp = compiled
    prefilter = prefilter_for(rules, nlp)
    before = [prefilter.windows(text) for text in sample_texts]
    monkeypatch.setattr(prefilter_module, "_CACHE_LIMIT", 50)
    prefilter._clear()
    assert [prefilter.windows(text) for text in sample_texts] == before
    assert len(prefilter.flags) <= 50 + max(len(set(text.split())) for text in sample_texts)
    windowed, whole = both_paths(compiled, sample_texts[:30])
    assert windowed == whole


# -- the compiled windows (_windows.pyx) against the Python reference ---------------------------
def compiled_windows():
    """The compiled module. Built at install where a C compiler is found; CI (QUALCODE_CI=1, whose
    .ci/run installs one) fails without it, so its equality checks are never skipped there."""
    import os

    from qualcode.coding.keywords import prefilter as prefilter_module

    if prefilter_module._compiled_windows is None:
        if os.environ.get("QUALCODE_CI") == "1":
            pytest.fail("qualcode/coding/keywords/_windows.pyx is not built; `make install` builds it "
                        "(a C compiler and Cython; .ci/run installs the compiler)")
        pytest.skip("the compiled prefilter is not built here (no C compiler at install)")
    return prefilter_module._compiled_windows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_the_compiled_windows_are_the_reference_windows(compiled, vocabulary, data):
    windows = compiled_windows()
    rules, nlp = compiled
    prefilter = prefilter_for(rules, nlp)
    text = data.draw(_texts(vocabulary) | st.text(st.sampled_from(" \t\n\u00a0\u2003.?!,;:'\"-()ab"), max_size=30))
    assert prefilter.windows(text) == windows(prefilter, text) == prefilter.reference_windows(text)


def test_the_compiled_windows_are_the_reference_windows_on_the_sample_and_a_full_cache(compiled, sample_texts,
                                                                                        monkeypatch):
    from qualcode.coding.keywords import prefilter as prefilter_module

    windows = compiled_windows()
    rules, nlp = compiled
    prefilter = prefilter_for(rules, nlp)
    texts = [*sample_texts, "", "   ", "Werkdruk.Meer tijd", "m.b.v. AI. De werkdruk neemt toe."]
    assert [windows(prefilter, text) for text in texts] == [prefilter.reference_windows(text) for text in texts]
    monkeypatch.setattr(prefilter_module, "_CACHE_LIMIT", 50)  # the cache starts over while the text is read
    prefilter._clear()
    first = [windows(prefilter, text) for text in texts]
    prefilter._clear()
    assert first == [prefilter.reference_windows(text) for text in texts]


def test_without_the_compiled_module_the_suggestions_are_the_same(compiled, sample_texts, monkeypatch):
    """An install without a C compiler runs the Python windows end to end: the same suggestions."""
    from qualcode.coding.keywords import prefilter as prefilter_module

    compiled_windows()  # (fails under CI when it was not built: then this compares nothing)
    rules, nlp = compiled
    items = list(enumerate(sample_texts, 1))
    with_module = list(suggest_texts(rules, nlp, items, 16))
    monkeypatch.setattr(prefilter_module, "_compiled_windows", None)
    assert list(suggest_texts(rules, nlp, items, 16)) == with_module
    assert len(with_module) > 100
