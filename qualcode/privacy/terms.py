"""The names to replace: from the cases file (speaker labels), added by the researcher, and their placeholders.

A respondent's name (a speaker label such as "Marieke de Vries") is replaced by the case's
pseudonym ("[Expert 1]"), as a whole and in parts: the first name, the surname with its
prefix ("de Vries") and without it ("Vries"). Speaker labels that are no name ("R",
"Interviewer", "Leerkracht groep 3") are left alone, and :func:`speaker_names` says which.
Other names get a numbered placeholder of their kind in the codebook's language:
``[Leerling 1]``, ``[Collega 2]``, ``[Persoon 3]``, ``[School A]``, ``[Plaats 1]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Container, Iterable

from qualcode.store.privacy import KeyEntry

KINDS = ("respondent", "person", "pupil", "colleague", "school", "place", "organisation", "email", "phone", "url",
         "postcode", "date")
LABELS = {
    "nl": {"person": "Persoon", "pupil": "Leerling", "colleague": "Collega", "school": "School", "place": "Plaats",
           "organisation": "Organisatie", "email": "E-mail", "phone": "Telefoon", "url": "Website",
           "postcode": "Postcode", "date": "Datum"},
    "en": {"person": "Person", "pupil": "Pupil", "colleague": "Colleague", "school": "School", "place": "Place",
           "organisation": "Organisation", "email": "E-mail", "phone": "Phone", "url": "Website",
           "postcode": "Postcode", "date": "Date"},
}
LETTERED = ("school",)  # [School A], [School B]: schools read better with letters (as the sample's "Team school A")

# Dutch surname prefixes (tussenvoegsels) and Arabic/other name particles that stay with the surname.
PREFIXES = ("van der", "van den", "van de", "van 't", "in 't", "in de", "op de", "op den", "van", "de", "der", "den",
            "ter", "ten", "te", "het", "'t", "van het", "el", "al", "da", "di", "du", "le", "la", "von", "vd")
_PREFIX_WORDS = {w for p in PREFIXES for w in p.split()}
_ROLE_WORDS = {
    "interviewer", "interviewster", "gespreksleider", "moderator", "onderzoeker", "respondent", "deelnemer",
    "directeur", "leerkracht", "docent", "leraar", "lerares", "juf", "meester", "mentor", "coördinator",
    "coordinator", "intern", "begeleider", "ib'er", "ibér", "onderwijsassistent", "teamleider", "schoolleider",
    "expert", "bestuurder", "ouder", "leerling", "student", "groep", "team", "spreker", "speaker", "participant",
    "teacher", "principal", "pupil", "parent", "unknown", "onbekend", "allen", "iedereen", "voorzitter", "notulist",
}


@dataclass(frozen=True)
class SpeakerName:
    """A speaker label, the case it belongs to, and whether it is treated as a person's name (and why not)."""

    label: str
    case_id: str | None
    pseudonym: str | None
    is_name: bool
    reason: str = ""


def label(kind: str, language: str) -> str:
    return LABELS.get(language, LABELS["en"]).get(kind, LABELS["en"].get(kind, kind.title()))


def numbered(kind: str, language: str, taken: Iterable[str]) -> str:
    """The next free placeholder of ``kind``: [Leerling 3] after [Leerling 1] and [Leerling 2], [School C]."""
    return free_number(kind, language, set(taken))[0]


def free_number(kind: str, language: str, used: Container[str], start: int = 1) -> tuple[str, int]:
    """The first placeholder of ``kind`` from number ``start`` on that is not in ``used``, and its number (a
    caller whose ``used`` only grows may start the next search there: the numbers before were taken)."""
    word = label(kind, language)
    n = start
    while True:
        suffix = _letters(n) if kind in LETTERED else str(n)
        candidate = f"[{word} {suffix}]"
        if candidate not in used:
            return candidate, n
        n += 1


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def is_person_name(label_text: str, first_names: set[str]) -> tuple[bool, str]:
    """Whether a speaker label is a person's name: (answer, why not)."""
    words = label_text.split()
    if not words:
        return False, "empty"
    if any(ch.isdigit() for ch in label_text):
        return False, "holds a number"
    if any(w.casefold().strip(":.,") in _ROLE_WORDS for w in words):
        return False, "a role"
    if len(label_text) <= 2 or re.fullmatch(r"[A-Z]{1,3}\d*", label_text):
        return False, "a letter label"
    significant = [w for w in words if w.casefold() not in _PREFIX_WORDS]
    if not all(w[:1].isupper() for w in significant):
        return False, "not capitalised"
    if len(significant) >= 2 or words[0].casefold() in first_names:
        return True, ""
    return False, "one word that is no known first name (add it with `qualcode privacy add` if it is a name)"


def name_parts(full: str) -> list[str]:
    """The full name, the first name, the surname with prefix and the bare surname: 'Marieke de Vries' ->
    ['Marieke de Vries', 'Marieke', 'de Vries', 'Vries']."""
    words = full.split()
    out = [" ".join(words)]
    if len(words) >= 2:
        out.append(words[0])
        rest = words[1:]
        out.append(" ".join(rest))
        bare = [w for i, w in enumerate(rest) if not (w.casefold() in _PREFIX_WORDS and i < len(rest) - 1)]
        out.append(" ".join(bare))
        if len(rest) > 1:
            out.append(rest[-1])
    return [p for p in dict.fromkeys(out) if len(p) >= 2 and p.casefold() not in _PREFIX_WORDS]


def respondent_entries(speakers: Iterable[SpeakerName]) -> list[KeyEntry]:
    """Key entries for the speakers that are names: every part of the name -> the case's pseudonym in brackets."""
    out: list[KeyEntry] = []
    fallback = 0
    for s in speakers:
        if not s.is_name:
            continue
        parts = name_parts(s.label)
        shown = s.pseudonym or ""
        # a pseudonym that holds the name itself (a cases file with the real name as pseudonym) is no placeholder
        if not shown or any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", shown, re.IGNORECASE) for p in parts):
            fallback += 1
            shown = f"Respondent {s.case_id}" if s.case_id and not any(
                p.casefold() in s.case_id.casefold() for p in parts) else f"Respondent ?{fallback}"
        out += [KeyEntry(part, f"[{shown}]", "respondent", "cases") for part in parts]
    return out
