"""Classes of error of the keyword coder on real Dutch report text, each fixed in the default
codebook or the rules and pinned here with general sentences (none of them from the development
set): what a researcher relies on is that a class of sentence is coded the same way every time."""
from __future__ import annotations

import pytest

from qualcode.coding.codebook import Codebook, default_codebook_path, load_codebook
from qualcode.coding.keywords import suggest
from qualcode.records import Segment


@pytest.fixture(scope="module")
def nl() -> Codebook:
    return load_codebook(default_codebook_path("nl"))


def coded(codebook: Codebook, text: str) -> set[tuple[str, str]]:
    segment = Segment(id=1, document_id=1, start=0, end=len(text), text=text, speaker=None, case_id="c",
                      kind="paragraph")
    return {(s.code, s.direction) for s in suggest(codebook, [segment])}


def aspects(codebook: Codebook, text: str) -> set[str]:
    return {code for code, _ in coded(codebook, text)}


# -- 'tempo': the pace of change and the pupils' own pace are no pace of work
@pytest.mark.parametrize("text", [
    "Het hoge tempo van de technologische ontwikkelingen maakt beleid lastig.",
    "Het tempo waarmee nieuwe chatbots op de markt komen is hoog.",
    "Met adaptieve software werken leerlingen in hun eigen tempo.",
    "Scholen houden het tempo van de veranderingen nauwelijks bij.",
])
def test_the_pace_of_change_is_not_workload(nl, text):
    assert "workload" not in aspects(nl, text)


def test_the_pace_of_work_still_is(nl):
    assert coded(nl, "Docenten ervaren een hoger werktempo.") == {("workload", "risk")}
    assert coded(nl, "Door de nieuwe app ligt het tempo voor docenten hoger.") == {("workload", "risk")}


# -- 'verzuim' is the pupils' absence unless it is the staff's
def test_pupils_absence_is_not_workload_but_sickness_absence_of_staff_is(nl):
    assert "workload" not in aspects(nl, "De mentor houdt extra goed het verzuim per leerling bij.")
    assert coded(nl, "Het ziekteverzuim onder docenten stijgt.") == {("workload", "risk")}
    assert coded(nl, "Het verzuim onder docenten daalt door minder administratie.") == {("workload", "opportunity")}


# -- 'taken' without any staff in the segment are an AI system's tasks (a definition of AI)
def test_tasks_are_the_staffs_only_when_the_segment_names_the_staff(nl):
    assert coded(nl, "Machine learning kan taken automatiseren die eerder mensenwerk waren.") == set()
    assert coded(nl, "Een robot neemt taken over in de fabriek.") == set()
    assert coded(nl, "Voor docenten kan AI taken automatiseren.") == {("workload", "opportunity")}


# -- simplifying the work is an opportunity; words of harm are a risk
def test_simplifying_is_an_opportunity(nl):
    assert coded(nl, "De app vereenvoudigt de administratie van docenten.") == {("workload", "opportunity")}
    assert coded(nl, "Zo versimpel je als docent je lesvoorbereiding.") == {("workload", "opportunity")}


@pytest.mark.parametrize("text", [
    "Strakke protocollen ondermijnen de professionele ruimte van leraren.",
    "Een verplicht dashboard tast de autonomie van docenten aan.",
    "Meer toezicht is schadelijk voor het eigen oordeel van de docent.",
    "Veel leraren vinden dat verlies van zeggenschap onwenselijk.",
])
def test_words_of_harm_give_a_risk(nl, text):
    assert coded(nl, text) == {("autonomy", "risk")}


# -- a negative state of the staff is its own risk (as 'frustratie' and 'onzekerheid' were)
@pytest.mark.parametrize("text", [
    "Ik ben gefrustreerd over de nieuwe software.",
    "De vele storingen zijn een bron van ergernis voor leraren.",
    "Collega's raken gedemotiveerd door de eindeloze updates.",
])
def test_a_negative_state_of_the_staff_is_a_risk_to_enjoyment(nl, text):
    assert coded(nl, text) == {("enjoyment", "risk")}


def test_boring_describes_tasks_and_gives_no_risk_to_them(nl):
    # 'saai' qualifies the tasks: losing boring tasks is no risk to the workload
    found = coded(nl, "Er zijn taken die docenten saai vinden, en als die verdwijnen is dat prima.")
    assert ("workload", "risk") not in found


# -- a Dutch verb closes its clause after its object: the increase/decrease verb reaches back to it
@pytest.mark.parametrize("text, expected", [
    ("AI kan de werkdruk van docenten flink verlagen.", {("workload", "opportunity")}),
    ("We hopen dat de chatbot de administratieve lasten van leraren zal verminderen.", {("workload", "opportunity")}),
    ("Het is de bedoeling dat de app het nakijkwerk van de docent gaat overnemen.", {("workload", "opportunity")}),
    ("Ik ben bang dat het dashboard de zeggenschap van de vakgroep zal beperken.", {("autonomy", "risk")}),
])
def test_a_verb_cue_at_the_end_of_the_clause_reaches_its_object(nl, text, expected):
    assert coded(nl, text) == expected


def test_an_adverb_cue_does_not_reach_that_far(nl):
    # 'meer' is no verb: four words away it does not act on 'werkdruk'
    assert coded(nl, "De werkdruk van de docenten op school is meer dan vroeger.") == {("workload", "none")}


# -- negation: on the aspect itself it names no change; on the change it flips it
def test_a_negation_on_the_aspect_names_no_change(nl):
    assert coded(nl, "De software neemt geen taken van docenten over.") == {("workload", "none")}
    assert coded(nl, "Docenten willen geen werkzaamheden overnemen van de roostermaker.") == {("workload", "none")}
    # the negation of the change itself still flips it
    assert coded(nl, "Voor docenten betekent het geen hogere werkdruk.") == {("workload", "opportunity")}
    assert coded(nl, "Dit levert geen extra werk op.") == {("workload", "opportunity")}


# -- a keyword that needs a cue needs one that acts on it, not any cue of its clause
def test_an_increase_cue_that_acts_on_nothing_does_not_count_as_a_cue(nl):
    assert coded(nl, "De app biedt quizzen, AI-mentoren voor leerlingen en nog veel meer.") == set()
    assert coded(nl, "Met AI wordt de begeleiding van leerlingen minder persoonlijk.") == {("interaction", "risk")}


# -- descriptions and idioms
@pytest.mark.parametrize("text", [
    "Na de lunch gingen de schoolleiders in groepjes met elkaar in gesprek.",  # a description, no effect
    "Een map met lesideeën van collega-scholen, ter inspiratie.",              # 'ter inspiratie': as examples
    "De app meet de motivatie van de klas tijdens de les.",                    # the class: the pupils
])
def test_descriptions_and_idioms_are_not_coded(nl, text):
    assert coded(nl, text) == set()


# -- missing something and depersonalised contact
def test_missing_and_impersonal_contact_are_a_risk(nl):
    assert coded(nl, "Sinds de chatbot er is, mis ik het contact met mijn leerlingen.") == {("interaction", "risk")}
    assert coded(nl, "Veel leraren missen de tijd om goede feedback te geven.") == {("workload", "risk")}
    assert coded(nl, "Door de app wordt het contact met ouders afstandelijk.") == {("interaction", "risk")}
    assert coded(nl, "Mailen maakt de band met ouders formeler en minder persoonlijk.") == {("interaction", "risk")}


def test_missing_a_task_is_felt_as_a_loss_not_as_less_work(nl):
    # 'missen' says the thing was valued: a risk cue, not a decrease (less marking would be an opportunity)
    assert ("workload", "opportunity") not in coded(nl, "Sommige docenten zeggen: ik mis het nakijken.")


# -- the English codebook has every rule key and kind of the Dutch one
ROOT = default_codebook_path("nl").parent


def _keys(path) -> dict[str, object]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        "top": set(data),
        "directions": set(data["directions"]),
        "codes": {code["id"]: set(code["keywords"]) for code in data["codes"]},
    }


def test_the_english_codebook_uses_the_same_rule_keys_as_the_dutch_one():
    assert _keys(ROOT / "werkbeleving.en.yaml") == _keys(ROOT / "werkbeleving.yaml")


@pytest.fixture(scope="module")
def en() -> Codebook:
    return load_codebook(default_codebook_path("en"))


def test_english_rule_kinds_work_on_english_sentences(en):
    # hedges
    assert coded(en, "It is still unclear whether AI will reduce the workload of teachers.") == {("workload", "none")}
    # only_about_staff: 'tasks' of an AI system in a definition, no staff in the segment
    assert coded(en, "Machine learning can automate tasks that used to need people.") == set()
    assert coded(en, "For teachers, AI can take over tasks and save time.") == {("workload", "opportunity")}
    # not_about: the pupils' motivation
    assert coded(en, "Adaptive software raises the motivation of the pupils in the class.") == set()
    # only_with_cue: contact as a description
    assert coded(en, "Teachers are in contact with their pupils every day.") == set()
    assert coded(en, "Teachers have less contact with parents.") == {("interaction", "risk")}
    # exclusions of the pace of change
    assert "workload" not in {c for c, _ in coded(en, "The high pace of technological change worries schools.")}
    # new cues: simplify, words of harm, missing
    assert coded(en, "The tool helps teachers simplify their marking.") == {("workload", "opportunity")}
    assert coded(en, "Rigid dashboards undermine the professional judgement of teachers.") == {("autonomy", "risk")}
    assert coded(en, "Since the chatbot arrived I miss the contact with my pupils.") == {("interaction", "risk")}
