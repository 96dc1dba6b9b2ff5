"""Codebook loading and validation: every problem at once, with file and line."""
from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.coding.codebook import Codebook, default_codebook_path, load_codebook, pattern_kind
from qualcode.errors import CodebookError, QualcodeError

ROOT = Path(__file__).resolve().parent.parent


def problems_of(text: str, name: str = "bad.yaml") -> list[str]:
    """The problem lines of a codebook that must not load."""
    with pytest.raises(CodebookError) as caught:
        Codebook.from_text(textwrap.dedent(text).lstrip("\n"), name)
    message = str(caught.value)
    lines = message.splitlines()
    assert lines[0].split()[0].isdigit(), "the message starts with the count"
    assert int(lines[0].split()[0]) == len(lines) - 1
    assert list(caught.value.problems) == lines[1:]
    return lines[1:]


# --------------------------------------------------------------------------- the bundled codebooks


@pytest.mark.parametrize("language", ["nl", "en"])
def test_default_codebooks_load(language):
    path = default_codebook_path(language)
    codebook = load_codebook(path)
    assert codebook.language == language
    assert codebook.name == "werkbeleving"
    assert codebook.code_ids == ("autonomy", "workload", "interaction", "enjoyment")
    assert codebook.version == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(codebook.version) == 64 and codebook.short_version == codebook.version[:12]
    assert codebook.source_text == path.read_text(encoding="utf-8")
    for code in codebook.codes:
        assert code.definition.includes and code.definition.excludes and code.definition.example
        assert code.keywords.words and code.keywords.exclude
        assert code.color.startswith("#")
    assert codebook.directions.opportunity.cues and codebook.directions.risk.cues


def test_labels_and_directions_in_the_codebook_language():
    dutch = load_codebook(default_codebook_path("nl"))
    english = load_codebook(default_codebook_path("en"))
    assert dutch.label("workload") == "werkdruk"
    assert english.label("workload") == "workload"
    assert dutch.code("workload").labels["en"] == "workload"
    assert [dutch.direction_label(d) for d in ("opportunity", "risk", "none")] == ["kans", "risico", "geen richting"]
    assert [english.direction_label(d) for d in ("opportunity", "risk", "none")] == ["opportunity", "risk", "no direction"]
    assert dutch.code("workload").valence == "negative"
    assert dutch.code("autonomy").valence == "positive"


def test_code_path_follows_parents_and_unknown_code_names_the_known_ones():
    codebook = Codebook.from_text(textwrap.dedent("""\
        codebook: studie
        language: nl
        codes:
          - id: werk
            label: werk
          - id: workload
            label: werkdruk
            parent: werk
          - id: marking
            label: nakijken
            parent: workload
        """), "studie.yaml")
    assert codebook.code_path("werk") == "studie/werk"
    assert codebook.code_path("marking") == "studie/werk/workload/marking"
    assert [code.id for code in codebook.children("werk")] == ["workload"]
    with pytest.raises(KeyError, match="its codes are: werk, workload, marking"):
        codebook.code("autonomy")


def test_version_is_the_sha256_of_the_bytes(tmp_path):
    text = "codebook: x\nlanguage: en\ncodes:\n  - {id: a, label: A}\n"
    path = tmp_path / "x.yaml"
    path.write_bytes(text.encode("utf-8"))
    assert load_codebook(path).version == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert Codebook.from_text(text).version == load_codebook(path).version
    # a byte-order mark is read but counted in the version: it is a different file
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_codebook(path).code_ids == ("a",)


def test_patterns_are_lower_cased_and_kinds_follow_their_shape():
    codebook = Codebook.from_text(textwrap.dedent("""\
        codebook: x
        language: nl
        directions:
          opportunity: {label: kans, cues: [Besparen, "tijd over", "*winst"]}
        codes:
          - id: a
            label: A
            keywords:
              words: [Werkdruk]
              exclude: ["Op Tijd", Europese, "leesplezier*"]
        """))
    code = codebook.code("a")
    assert code.keywords.words == ("werkdruk",)
    assert code.keywords.exclude == ("op tijd", "europese", "leesplezier*")
    assert codebook.directions.opportunity.cues == ("besparen", "tijd over", "*winst")
    assert [pattern_kind(p) for p in ("tijd", "tijd*", "op tijd")] == ["word", "compound", "phrase"]


# --------------------------------------------------------------------------- validation, line by line


def test_unknown_key_with_a_suggestion_and_its_line():
    problems = problems_of("""
        codebook: werkbeleving
        language: nl
        codes:
          - id: workload
            label: werkdruk
            keywrods:
              words: [werkdruk]
        """, "werkbeleving.yaml")
    assert problems == [
        "werkbeleving.yaml:6: code 'workload': unknown key 'keywrods' (did you mean 'keywords'?)",
    ]


def test_every_problem_is_reported_at_once_in_line_order():
    problems = problems_of("""
        codebook: demo
        language: de
        descripton: blue
        codes:
          - id: workload
            label: werkdruk
            keywords:
              words: [werkdruk, "extra werk"]
              compounds: ["**druk", "*", ""]
              phrases: ["(tijd besparen", "tijd*"]
          - id: workload
            label: nog eens
          - label: zonder id
          - id: autonomy
            parent: bestaatniet
        """)
    assert problems == [
        "bad.yaml:2: language 'de' is not supported; use 'nl' (Dutch) or 'en' (English)",
        "bad.yaml:3: codebook file: unknown key 'descripton' (did you mean 'description'?)",
        "bad.yaml:8: code 'workload': keywords.words: 'extra werk' has several words; put it under 'phrases'",
        "bad.yaml:9: code 'workload': keywords.compounds: empty pattern; remove it",
        "bad.yaml:9: code 'workload': keywords.compounds: pattern '*' would match every word; give it letters, e.g. 'werkdruk*'",
        "bad.yaml:9: code 'workload': keywords.compounds: pattern '**druk' has '**'; one '*' already matches any run of letters",
        "bad.yaml:10: code 'workload': keywords.phrases: pattern '(tijd besparen' has an unbalanced bracket; remove it (patterns are plain words, not regular expressions)",
        "bad.yaml:10: code 'workload': keywords.phrases: phrase 'tijd*' has '*'; phrases match whole words on their lemma, put word parts under 'compounds'",
        "bad.yaml:11: code 'workload': duplicate id (first on line 5); give each code its own id",
        "bad.yaml:13: code #3: missing 'id'; add e.g. `id: workload`",
        "bad.yaml:14: code 'autonomy': missing 'label'; add e.g. `label: werkdruk`",
    ]


def test_a_parent_that_does_not_exist():
    problems = problems_of("""
        codebook: demo
        language: nl
        codes:
          - id: workload
            label: werkdruk
          - id: marking
            label: nakijken
            parent: workloud
        """)
    assert problems == [
        "bad.yaml:8: code 'marking': parent 'workloud' does not exist (did you mean 'workload'?); "
        "use the id of another code or remove 'parent'",
    ]


def test_a_parent_cycle_is_named_once():
    problems = problems_of("""
        codebook: demo
        language: nl
        codes:
          - id: a
            label: A
            parent: c
          - id: b
            label: B
            parent: a
          - id: c
            label: C
            parent: b
        """)
    assert problems == [
        "bad.yaml:6: parent cycle 'a' → 'c' → 'b' → 'a'; one of these codes must have another parent (or none)",
    ]


def test_yaml_syntax_error_names_line_and_column():
    problems = problems_of("""
        codebook: demo
        language: nl
        codes:
          - id: workload
            label: [werkdruk
          - id: autonomy
        """)
    assert len(problems) == 1
    assert problems[0].startswith("bad.yaml:6: YAML syntax error at column 7:")
    assert "check indentation and quotes" in problems[0]


def test_tab_indentation_is_a_syntax_error_with_position():
    (problem,) = problems_of("codebook: demo\nlanguage: nl\ncodes:\n\t- id: a\n")
    assert problem.startswith("bad.yaml:4: YAML syntax error at column 1:")


def test_unquoted_colour_and_bad_values_say_how_to_fix_them():
    problems = problems_of("""
        codebook: demo
        language: nl
        negation: {before: 20, flop: [geen]}
        codes:
          - id: werk druk
            label: werkdruk
          - id: autonomy
            label: autonomie
            color: #4e79a7
            valence: positief
            negation: misschien
            label2: x
        """)
    assert problems == [
        "bad.yaml:3: negation.before: expected a number of words from 0 to 10, got int 20",
        "bad.yaml:3: negation: unknown key 'flop' (did you mean 'flip'?)",
        "bad.yaml:5: code 'werk druk': an id may contain only letters, digits, '_', '-' and '.' (no spaces or '/'); e.g. 'work_enjoyment'",
        "bad.yaml:9: code 'autonomy': color is empty; in YAML '#' starts a comment, so write the colour in quotes: \"#e07b39\"",
        "bad.yaml:10: code 'autonomy': valence 'positief' is not 'positive' or 'negative' (did you mean 'positive'?)",
        "bad.yaml:11: code 'autonomy': negation must be true or false, got str 'misschien'",
        "bad.yaml:12: code 'autonomy': unknown key 'label2' (did you mean 'label'?)",
    ]


def test_structure_problems():
    assert problems_of("") == ["bad.yaml:1: the codebook is empty; start from a copy of the default one "
                               "(`qualcode codebook show --default` says where it is)"]
    assert problems_of("- a\n- b\n") == [
        "bad.yaml:1: codebook file: expected a mapping of codebook, language, description, directions, "
        "negation, clause_breaks, hedges, staff, codes, got a list",
        "bad.yaml:1: missing key 'codes'; list the codes under `codes:`",
        "bad.yaml:1: missing key 'language'; add `language: nl` or `language: en`",
    ]
    assert problems_of("language: nl\ncodes: []\n") == ["bad.yaml:2: codes: the list is empty; add at least one code"]
    assert problems_of("language: nl\ncodes:\n  - id: a\n    label: {en: A}\n") == [
        "bad.yaml:4: code 'a': label has no 'nl' text; add `nl: ...` (the codebook language)",
    ]
    assert problems_of("language: nl\nlanguage: en\ncodes:\n  - {id: a, label: A}\n") == [
        "bad.yaml:2: codebook file: key 'language' appears twice (first on line 1); keep one",
    ]


def test_pattern_characters_that_look_like_regular_expressions():
    problems = problems_of("""
        language: nl
        codes:
          - id: a
            label: A
            keywords:
              compounds: ["werk.*", "druk?"]
              exclude: ["op tijd]"]
        """)
    assert problems == [
        "bad.yaml:6: code 'a': keywords.compounds: pattern 'druk?' contains '?'; use letters, digits, '-', apostrophes and '*' only (patterns are not regular expressions)",
        "bad.yaml:6: code 'a': keywords.compounds: pattern 'werk.*' contains '.'; use letters, digits, '-', apostrophes and '*' only (patterns are not regular expressions)",
        "bad.yaml:7: code 'a': keywords.exclude: pattern 'op tijd]' has an unbalanced ']'; remove it",
    ]


def test_missing_file_and_non_utf8_file(tmp_path):
    with pytest.raises(CodebookError, match="does not exist; check the path, or leave out --codebook"):
        load_codebook(tmp_path / "nope.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes("codebook: café\n".encode("latin-1"))
    with pytest.raises(CodebookError, match="is not UTF-8; save the codebook as UTF-8"):
        load_codebook(path)


def test_the_file_name_is_in_every_line(tmp_path):
    path = tmp_path / "mijn.yaml"
    path.write_text("language: nl\ncodes:\n  - id: a\n    label: A\n    kleur: rood\n", encoding="utf-8")
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert str(caught.value).splitlines()[1] == f"{path}:5: code 'a': unknown key 'kleur'"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc:-[]{}#*'\" \n\t\\|>&!%@`")), max_size=80))
def test_any_text_gives_a_codebook_or_one_codebook_error(text):
    try:
        Codebook.from_text(text, "fuzz.yaml")
    except CodebookError as error:
        assert str(error).split()[0].isdigit()
        assert all(line.startswith("fuzz.yaml:") for line in str(error).splitlines()[1:])
    except QualcodeError as error:  # pragma: no cover - would be a bug
        pytest.fail(f"unexpected error type {type(error).__name__}: {error}")


def test_narrowing_lists_name_the_codes_own_keywords_and_single_words():
    problems = problems_of("""
        language: nl
        staff: [docent, "goede docent"]
        codes:
          - id: a
            label: A
            keywords:
              words: [taak]
              only_with_cue: [taak, lesplan]
              not_about: [leerling, "de leerling"]
        """)
    assert problems == [
        "bad.yaml:2: staff: 'goede docent' is a phrase; write single words or * patterns",
        "bad.yaml:8: code 'a': keywords.only_with_cue: 'lesplan' is not one of the code's keywords; add it to "
        "words, compounds, phrases or opposite_valence",
        "bad.yaml:9: code 'a': keywords.not_about: 'de leerling' is a phrase; write single words or * patterns",
    ]
    good = Codebook.from_text(textwrap.dedent("""\
        language: nl
        staff: [docent, "leraar*"]
        codes:
          - id: a
            label: A
            keywords: {words: [taak], only_with_cue: [taak], only_about_staff: [taak], not_about: ["leerling*"]}
        """))
    assert good.staff == ("docent", "leraar*")
    assert good.code("a").keywords.only_with_cue == ("taak",) and good.code("a").keywords.not_about == ("leerling*",)
