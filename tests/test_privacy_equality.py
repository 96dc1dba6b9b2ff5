"""The name detector and the replacer give exactly what they gave before they were made faster.

Two pins, because a name that slips through is the worst bug this package can have:

* golden findings: the detector's findings (text, kind, sure, offset, rule, parts) and the
  words it left alone, on the sample transcripts and on generated name-dense text, and the
  spans the project's pseudonymiser replaces in the sample; regenerate only for an intended change:
  ``QUALCODE_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_privacy_equality.py``
* the live code against :mod:`privacy_reference`, a frozen copy of the detector and the replacer
  from before the speed work, on random Dutch-ish texts (hypothesis) and on the golden texts.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import privacy_reference as ref
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from privacy_texts import name_dense_text

from conftest import check_golden

from qualcode.privacy import detect as live_detect
from qualcode.privacy import replace as live_replace

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("QUALCODE_EQUALITY_EXAMPLES", "300"))  # more for a long search after a change


def _detection_lines(detection: Any) -> str:
    lines = [json.dumps({"document": f.document, "start": f.start, "text": f.text, "kind": f.kind, "sure": f.sure,
                         "rule": f.rule, "parts": list(f.parts)}, ensure_ascii=False) for f in detection.findings]
    lines += [json.dumps({"unexplained": w, "count": n, "example": list(detection.examples[w])}, ensure_ascii=False)
              for w, n in sorted(detection.unexplained.items())]
    return "\n".join(lines) + "\n"


def _as_tuples(detection: Any) -> tuple[Any, ...]:
    return ([dataclasses.astuple(f) for f in detection.findings], dict(detection.unexplained),
            list(detection.unexplained), dict(detection.examples), detection.lists_available)


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory):
    from qualcode import Project
    from qualcode.demo import TABLE_OPTIONS

    sample = ROOT / "transcripts_sample"
    path = tmp_path_factory.mktemp("privacy-golden") / "p.qualcode"
    with Project.init(path) as project:
        project.import_files([sample / "vo-2025", sample / "po-2019"], cases=sample / "cases.csv", **TABLE_OPTIONS)
    return path


def _sample_texts(project_path: Path) -> list[tuple[str, str]]:
    from qualcode import Project
    from qualcode.store import privacy as stored

    with Project.open(project_path) as project:
        return [(name, text) for _, name, text in stored.document_texts(project.store.con)]


def _dense_docs() -> list[tuple[str, str]]:
    return [(f"dense-{seed}", name_dense_text(6000, seed=seed)) for seed in (1, 2, 3)]


def _key_of(detection: Any, known: dict[str, str]) -> dict[str, str]:
    """The pipeline's key in short: the known terms, then every sure finding and its parts."""
    key = dict(known)
    for n, f in enumerate((f for f in detection.findings if f.sure), start=1):
        for term in (f.text, *f.parts):
            key.setdefault(term, f"[X {n}]")
    return key


def _replacement_lines(replacer: Any, docs: list[tuple[str, str]]) -> str:
    lines = []
    for name, text in docs:
        for r in replacer.replacements(text):
            lines.append(json.dumps([name, *dataclasses.astuple(r)], ensure_ascii=False))
    return "\n".join(lines) + "\n"


def test_golden_findings_on_the_sample_transcripts(sample_project):
    texts = _sample_texts(sample_project)
    check_golden("privacy-findings-sample.jsonl", _detection_lines(live_detect.detect(texts)))


def test_golden_replacements_of_the_pseudonymiser_on_the_sample(sample_project):
    from qualcode import Project
    from qualcode.privacy.key import pseudonymiser

    texts = _sample_texts(sample_project)
    with Project.open(sample_project) as project:
        replacer = pseudonymiser(project.store)
    check_golden("privacy-replacements-sample.jsonl", _replacement_lines(replacer, texts))


def test_golden_findings_and_replacements_on_name_dense_text():
    docs = _dense_docs()
    detection = live_detect.detect(docs, known=["Marieke de Vries"], allowed=["Kahoot"])
    check_golden("privacy-findings-dense.jsonl", _detection_lines(detection))
    key = _key_of(detection, {"Marieke de Vries": "[Respondent 1]", "Marieke": "[Respondent 1]"})
    common = live_detect.lowercase_vocabulary(t for _, t in docs) | set(live_detect.name_lists()[3])
    replacer = live_replace.Replacer(key, common_words=common, allowed=["Kahoot"])
    check_golden("privacy-replacements-dense.jsonl", _replacement_lines(replacer, docs))


def _same_as_reference(docs: list[tuple[str, str]], known: list[str], allowed: list[str],
                       key: dict[str, str] | None = None, common: set[str] | None = None) -> None:
    assert live_detect.lowercase_vocabulary(t for _, t in docs) == ref.lowercase_vocabulary(t for _, t in docs)
    new = live_detect.detect(docs, known=known, allowed=allowed)
    old = ref.detect(docs, known=known, allowed=allowed)
    assert _as_tuples(new) == _as_tuples(old)
    if key is None:
        key = _key_of(old, dict.fromkeys(known, "[Known]"))
    if common is None:
        common = ref.lowercase_vocabulary(t for _, t in docs) | set(ref.name_lists()[3])
    new_replacer = live_replace.Replacer(key, common_words=common, allowed=allowed)
    old_replacer = ref.Replacer(key, common_words=common, allowed=allowed)
    assert bool(new_replacer) == bool(old_replacer)
    for _, text in docs:
        new_reps = [dataclasses.astuple(r) for r in new_replacer.replacements(text)]
        assert new_reps == [dataclasses.astuple(r) for r in old_replacer.replacements(text)]
        assert new_replacer.replace(text) == old_replacer.replace(text)
        new_text, new_map = new_replacer.replace_with_offsets(text)
        old_text, old_map = old_replacer.replace_with_offsets(text)
        assert new_text == old_text
        for offset in range(0, len(text) + 1, max(1, len(text) // 50)):
            assert (new_map.start(offset), new_map.end(offset)) == (old_map.start(offset), old_map.end(offset))


@pytest.mark.slow
def test_the_sample_and_dense_text_as_the_reference_finds_and_replaces_them(sample_project):
    _same_as_reference(_sample_texts(sample_project), known=["Marieke de Vries"], allowed=[])
    _same_as_reference(_dense_docs(), known=["Marieke de Vries", "Bakker"], allowed=["Kahoot", "Roos"])


# -- random Dutch-ish texts ---------------------------------------------------------------------------------
KEY = {
    "Marieke de Vries": "[Respondent 1]", "Marieke": "[Respondent 1]", "de Vries": "[Respondent 1]",
    "Vries": "[Respondent 1]", "Daan": "[Leerling 1]", "Bakker": "[Persoon 1]", "Roos": "[Persoon 2]",
    "De Regenboog": "[School A]", "Berkenrode Lyceum": "[School B]", "Zutphen": "[Plaats 1]", "Den Haag": "[Plaats 2]",
    "jan@school.nl": "[E-mail 1]", "Van der Berg": "[Persoon 3]", "Anne-Fleur": "[Persoon 4]", "El Amrani": "[Persoon 5]",
    "Zoë": "[Persoon 6]", "Wil": "[Persoon 7]", "Echt": "[Plaats 3]", "Ruben": "[Leerling 2]", "Sem": "[Leerling 3]",
    "Ilse": "[Collega 1]", "İlse": "[Collega 2]", "Sint Jozef": "[School C]", "06-12345678": "[Telefoon 1]",
    "Straße": "[Plaats 4]", "ǅemal": "[Persoon 8]", "'s-Hertogenbosch": "[Plaats 5]", "Ééntje": "[Persoon 9]",
    "\u212aevin": "[Persoon 10]", "Koen": "[Persoon 11]", "ſem": "[Persoon 12]", "stijn": "[Persoon 13]",
}
NAMES = ["Marieke", "Vries", "De Vries", "de Vries", "Daan", "Daniëlle", "Bakker", "Roos", "Ruben", "Sem", "Ilse",
         "İlse", "Anne-Fleur", "Koen", "Hoogland", "Annemiek", "Jan", "Esther", "Samira", "Zoë", "Van der Berg",
         "El Amrani", "Noor", "Bram", "Thijs", "Wil", "Kenji", "Xiomara", "Fatima", "Peter", "Linda", "DAAN", "daan",
         "Kevin", "Jeroen", "Sanne", "Lotte", "Mehmet"]
CAPITALISED = ["Echt", "Wil", "Teams", "Snappet", "Kahoot", "Het", "De", "Den", "Ter", "Van", "Kerst", "Engels",
               "Dus", "Nou", "Goed", "Ik", "Wij", "Zutphen", "Utrecht", "Apeldoorn", "Den Haag", "Ter Apel",
               "'s-Hertogenbosch", "Berkenrode", "Regenboog", "Kompas", "Bloom", "Magister", "Chromebook-kar",
               "ICT", "AVG", "ICT'er", "Cito-toetsen", "Ééntje", "ǅemal", "Ǆ", "Straße", "Ab", "Xy", "Qqq", "Wilgen",
               "Łukasz", "Ωmega", "Ⅻ", "ÆØÅ", "İstanbul", "\u212aoen", "ẞ", "Basisschool De Regenboog",
               "Het Berkenrode Lyceum", "de Jozefschool", "Sint-Jozef", "St. Jan", "Stichting Het Kompas",
               "Daniëlle-Fleur", "Ruben’s", "Daans"]
LOWER = ["echt", "roos", "bakker", "de", "van", "der", "het", "wil", "school", "lyceum", "in", "uit", "naar", "te",
         "en", "ik", "dat", "leerling", "zei", "ook", "een", "kompas", "regenboog", "wilgen", "sem", "daan", "'t"]
ROLES = ["juf", "meneer", "Meneer", "mevrouw", "leerling,", "leerling", "collega", "meester", "Juf", "dochter",
         "de leerling", "oom", "directeur:", "mr", "dr"]
SCHOOLISH = ["basisschool", "obs", "cbs", "school", "Lyceum", "College", "Stichting", "Sint", "St.", "Jozefschool",
             "Basisschool", "Montessorischool", "Academie", "Vereniging", "hogeschool", "basisschool De", "Scholengroep"]
CONTACTS = ["jan@school.nl", "a.b-c@x.y.nl", "mail@", "06-12345678", "0612345678", "+31 6 12345678", "1234 AB",
            "7412AB", "1234 SS", "www.school.nl", "https://x.nl/a", "geboren op 1-2-2010", "geboortedatum: 3 mei 2011",
            "J.", "A.B.", "J.P.", "K", "R:", "Interviewer:", "HTTP://X.NL", "Www.x.nl", "ſchool",
            "GEBOREN op 1-1-2011", "xy'juf", "zo'n", "x@y.z", "@", "a@b"]
PUNCT = [".", ",", "?", ":", "!", "…", ";", "'", "’s", "'s", "s", "tje", "je", "-", "(", ")", '"', "“", "‘", ">", "–",
         "_", "3", "12", "’", "+", "0"]
SEPARATORS = [" ", " ", " ", "  ", "\n", "\n\n", "\t", "", "-", ", ", ". "]

tokens = st.one_of(st.sampled_from(NAMES), st.sampled_from(CAPITALISED), st.sampled_from(LOWER),
                   st.sampled_from(ROLES), st.sampled_from(SCHOOLISH), st.sampled_from(CONTACTS),
                   st.sampled_from(PUNCT),
                   st.text(alphabet="aAbDeEëiIİJkKlnNorRsStTvVzZ'’-. ", min_size=1, max_size=7))
texts = st.lists(st.tuples(tokens, st.sampled_from(SEPARATORS)), max_size=60).map(
    lambda parts: "".join(t + s for t, s in parts))
terms = st.sampled_from(sorted({*KEY, *NAMES, *CAPITALISED[:20], "Kahoot", "Roos", "Daan", "De Regenboog"}))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(texts, min_size=1, max_size=3), known=st.lists(terms, max_size=4),
       allowed=st.lists(terms, max_size=3))
def test_detector_and_replacer_equal_the_reference_on_random_texts(docs, known, allowed):
    named = [(f"d{i}", t) for i, t in enumerate(docs)]
    _same_as_reference(named, known, allowed)


@settings(max_examples=EXAMPLES * 2 // 3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, chosen=st.lists(st.sampled_from(sorted(KEY)), min_size=1, max_size=len(KEY), unique=True),
       common=st.lists(st.sampled_from(sorted({w.casefold() for w in [*NAMES, *CAPITALISED, *LOWER]})), max_size=12),
       allowed=st.lists(terms, max_size=2))
def test_replacer_equals_the_reference_on_random_keys(text, chosen, common, allowed):
    key = {term: KEY[term] for term in chosen}
    _same_as_reference([("d", text)], [], allowed, key=key, common=set(common))


def test_what_the_faster_detector_assumes_of_unicode():
    """The url and date rules are case-insensitive: their keywords are looked for in the lower-case text, so
    no other character may match their letters; the capitals of Latin-1 are [A-ZÀ-ÖØ-Þ]."""
    import re

    every = "".join(map(chr, range(0x110000)))
    for letter in set("http" + "www." + "gebo" + "born" + "date"):
        assert {c.lower() for c in re.findall("(?i)" + re.escape(letter), every)} == {letter}
    latin1 = "".join(map(chr, range(256)))
    assert re.findall("[A-ZÀ-ÖØ-Þ]", latin1) == [c for c in latin1 if c.isupper()]


def test_the_vocabulary_kept_by_hash_follows_the_texts():
    vocabulary = live_detect.lowercase_vocabulary
    assert vocabulary(["Daan zei"]) == {"zei"}
    assert vocabulary(["Daan zei", "daan"]) == {"zei", "daan"}
    assert vocabulary(["ab", "c"]) == {"ab", "c"} and vocabulary(["a", "bc"]) == {"a", "bc"}
    kept = vocabulary(["Daan zei"])
    kept.add("changed by a caller")
    assert vocabulary(["Daan zei"]) == {"zei"}


# -- the key's new entries ------------------------------------------------------------------------------------
POOL = ["Daan", "daan", "Daan de Vries", "de Vries", "Vries", "Bakker", "De Regenboog", "Regenboog", "Het Kompas",
        "Kompas", "Zutphen", "jan@school.nl", "Sem", "SEM", "Ilse  Smit", "Ilse Smit", "Smit"]
PLACEHOLDERS = ["[Persoon 1]", "[Persoon 2]", "[Leerling 1]", "[School A]", "[School B]", "[Plaats 1]",
                "[Respondent R1]", "[Collega 3]", "[Team school B]"]
entries_strategy = st.lists(st.builds(lambda t, p, k: (t, p, k), st.sampled_from(POOL), st.sampled_from(PLACEHOLDERS),
                                      st.sampled_from(["person", "school", "respondent"])), max_size=8)
findings_strategy = st.lists(st.tuples(st.sampled_from(POOL), st.sampled_from(["person", "pupil", "colleague", "school",
                                                                                 "place", "email"]),
                                       st.booleans(), st.sampled_from(["a.txt", "b.txt"]), st.integers(0, 50),
                                       st.lists(st.sampled_from(POOL), max_size=2)), max_size=25)


@settings(max_examples=EXAMPLES, deadline=None)
@given(entries=entries_strategy, found=findings_strategy, taken_by_cases=st.lists(st.sampled_from(PLACEHOLDERS),
                                                                                  max_size=3),
       lang=st.sampled_from(["nl", "en"]))
def test_new_key_entries_equal_the_reference(entries, found, taken_by_cases, lang):
    from qualcode.privacy import key as live_key
    from qualcode.store.privacy import KeyEntry

    stored_entries = [KeyEntry(t, p, k, "cases") for t, p, k in entries]
    detection = live_detect.Detection(findings=[live_detect.Finding(t, kind, sure, doc, start, "rule", tuple(parts))
                                                for t, kind, sure, doc, start, parts in found])

    def school_of_case(terms):
        return "[Team school B]" if any("Kompas" in t for t in terms) else None

    new = live_key._new_entries(stored_entries, detection, lang, school_of_case, taken_by_cases)
    old = ref._new_entries(stored_entries, detection, lang, school_of_case, taken_by_cases)
    assert new == old
