"""Generated name-dense Dutch interview text, for the detector's golden findings and benchmarks/bench_detect.py.

Deterministic for a seed: sentences that name persons (with titles and roles, first names
with and without a surname, inflected: Daans, Ruben's, Daantje), schools, places and
contacts, between ordinary capitalised words (sentence openers, products, subjects) and
names that are also words (Roos, Bakker, Wil, Echt).
"""
from __future__ import annotations

import random

FIRST = ["Daan", "Samira", "Ruben", "Annemiek", "Jan", "Koen", "Esther", "Wim", "Anouk", "Kevin", "Linda", "Peter",
         "Fatima", "Marieke", "Jeroen", "Sanne", "Noor", "Bram", "Lotte", "Thijs", "Yasmina", "Mehmet", "Roos", "Bas",
         "Iris", "Sem", "Kenji", "Xiomara", "Mirjam", "Hanneke", "Ilse", "Stijn"]
SURNAME = ["De Vries", "Bakker", "Janssen", "Van Dijk", "Hoogland", "Visser", "Mulder", "Vermeulen", "Van der Berg",
           "Smit", "Meijer", "De Boer", "Dekker", "Van den Heuvel", "El Amrani", "Ter Horst"]
SCHOOL = ["Berkenrode", "Regenboog", "Kompas", "Wilgen", "Kastanjehof", "Zonnewijzer", "Mozaïek", "Klimop"]
PLACE = ["Zutphen", "Utrecht", "Deventer", "Apeldoorn", "Harderwijk", "Doetinchem", "Leeuwarden", "Zwolle",
         "Den Haag", "Echt", "Tiel"]
FILLER = [
    "Dus ja, dat vind ik eigenlijk wel lastig.", "Echt waar, het kost ons veel tijd.",
    "Nou, we werken met Teams en Snappet.", "Wil je daar nog iets over weten?",
    "In het Nederlands gaat dat beter dan bij Engels.", "Heel eerlijk gezegd weet ik het niet.",
    "Goed, dan de volgende vraag.", "Op maandag is er teamoverleg.", "Rond Kerst en Sinterklaas is het druk.",
    "De Cito-toetsen zetten we in Magister.", "Met Kahoot gaat dat snel.", "Op de havo is dat anders dan op het vwo.",
    "Volgens de taxonomie van Bloom is dat een hogere orde vraag.", "Wiskunde B is voor veel leerlingen lastig.",
    "Roos, de bloem, staat op het werkblad.", "De bakker op de hoek levert de lunch.",
    "We hebben een Chromebook-kar voor groep 7 en 8.", "Het ICT'er-overleg is op dinsdag.",
    "Echt, ik wil dat niet.", "Bij de AVG moet je opletten.",
]


def _inflect(rng: random.Random, name: str) -> str:
    k = rng.random()
    if k < 0.1:
        return name + "'s"
    if k < 0.16 and not name.endswith("s"):
        return name + "s"
    if k < 0.2:
        return name + "tje"
    return name


def sentence(rng: random.Random) -> str:
    """One sentence of a name-dense interview."""
    p, q = rng.choice(FIRST), rng.choice(FIRST)
    s = rng.choice(SURNAME)
    form = _inflect(rng, p)
    school, place = rng.choice(SCHOOL), rng.choice(PLACE)
    k = rng.randrange(20)
    return [
        f"Ik had een leerling, {form}, die altijd te laat kwam.",
        f"Toen zei meneer {s} dat het niet kon.",
        f"Dat heb ik met juf {form} besproken.",
        f"Mijn collega {p} {s} doet dat al jaren.",
        f"Ik werk op basisschool De {school} in {place}.",
        f"Volgens {form} moet dat anders.",
        f"{p} vindt het ook lastig.",
        f"Dat was in {place} op een congres.",
        f"{p} en {q} zaten in dezelfde groep.",
        f"Dat zei {form} ook, eerlijk gezegd.",
        f"Volgens {s} klopt dat niet helemaal.",
        f"Mevrouw {s} belde gisteren nog.",
        f"Mail {p.lower()}.{s.split()[-1].lower()}@{school.lower()}.nl of bel 06-{rng.randrange(10**7, 10**8)}.",
        f"Het {school} Lyceum staat in {place}, 7412 AB.",
        f"De {school}school doet mee, en de Stichting {s.split()[-1]} ook.",
        f"Sint {p} is de school van {p} {s}.",
        f"Hij is geboren op {rng.randrange(1, 28)}-{rng.randrange(1, 12)}-20{rng.randrange(10, 19)}.",
        f"Zeg maar {p}, hoor; {q} {s} was er ook.",
        f"Tegen {p.upper()} zei ik: kijk op www.{school.lower()}.nl.",
        rng.choice(FILLER),
    ][k]


def name_dense_text(words: int, seed: int = 1) -> str:
    """About ``words`` words of interview turns, one name or more in most sentences."""
    rng = random.Random(seed)
    out: list[str] = []
    n = 0
    while n < words:
        turn = " ".join(sentence(rng) for _ in range(rng.randint(1, 6)))
        speaker = rng.choice(["Interviewer", "Respondent", "R", f"{rng.choice(FIRST)} {rng.choice(SURNAME)}"])
        out.append(f"{speaker}: {turn}")
        n += len(turn.split()) + 1
    return "\n\n".join(out) + "\n"
