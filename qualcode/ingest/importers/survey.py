"""Survey exports: the extra header rows of survey tools, and columns that hold personal data.

Layouts recognised on the first filled rows of a table (the rows as the tool writes them):

- **Qualtrics** (current): row 1 column names (``StartDate``, ``Q1``, ``Q2_TEXT``), row 2
  the question texts, row 3 ``{"ImportId":"QID2_TEXT"}``; the third row may be missing
  (older "Export data" settings) -- row 2 is then recognised by ``Start Date``/``Response ID``.
- **Qualtrics legacy** (before 2017): row 1 ``V1, V2, ... Q1``, row 2 ``ResponseID,
  ResponseSet, Name, ..., question text``; the V-columns take their row-2 names.
- **SurveyMonkey**: row 1 ``Respondent ID, Collector ID, ...`` and the question texts
  (a multiple-choice question spans several columns, named once), row 2 ``Response``,
  ``Open-Ended Response`` or the answer options; a column is named ``question - option``.
- **LimeSurvey**, **Google Forms**, **Microsoft Forms**: one header row; recognised by
  their fixed columns (``submitdate``/``lastpage``; ``Timestamp``/``Tijdstempel``;
  ``Start time``/``Completion time``) so the import can say what it read.

Whatever the layout, a column whose name (or question text) says it holds personal data
(IP address, e-mail, names, phone, latitude/longitude, location, distribution-list
references) is never a case attribute unless the user keeps it (``--keep-column``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

_IMPORT_ID = re.compile(r'\s*\{\s*"ImportId"\s*:', re.IGNORECASE)
_LEGACY_V = re.compile(r"V\d+")
_QUALTRICS_CODE = re.compile(r"Q(?:ID)?\d+(?:[._#]\d+)*(?:_TEXT|_\d+_TEXT)?|SC\d+|Q_[A-Za-z]+")
_QUALTRICS_META = {"startdate", "enddate", "status", "ipaddress", "progress", "durationinseconds", "finished",
                   "recordeddate", "responseid", "recipientlastname", "recipientfirstname", "recipientemail",
                   "externalreference", "locationlatitude", "locationlongitude", "distributionchannel",
                   "userlanguage"}


def _looks_like_data(cell: str) -> bool:
    """A number or a date: a data row, not a row of question texts."""
    return re.fullmatch(r"[-+]?\d+(?:[.,]\d+)?|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*", cell) is not None
_SURVEYMONKEY_MARKERS = {"response", "open-ended response", "antwoord", "open antwoord", "reactie",
                         "open reactie", "other (please specify)", "anders (graag specificeren)"}


@dataclass(frozen=True)
class Header:
    """What the header rows of a table say: names, question texts and where the data starts."""

    columns: tuple[str, ...]
    labels: tuple[str, ...]  # question text per column ("" when the tool wrote none)
    data_from: int  # index into the filled rows of the first data row
    layout: str | None  # 'Qualtrics', 'SurveyMonkey', ... or None for a plain table


def _key(value: Any) -> str:
    """A header cell's letters and digits, for comparing with the names survey tools write (all short:
    a long cell, a whole answer in a header-like row, is cut rather than normalised whole)."""
    return re.sub(r"[^0-9a-z]", "", str(value or "")[:200].casefold())


def _cells(row: Sequence[str]) -> list[str]:
    return [str(value) for value in row]


def read_header(rows: Sequence[Sequence[str]]) -> Header:
    """The header of a table whose first filled rows, as trimmed cell texts, are ``rows``."""
    first = _cells(rows[0])
    second = _cells(rows[1]) if len(rows) > 1 else []
    third = _cells(rows[2]) if len(rows) > 2 else []
    keys = {_key(cell) for cell in first}
    no_labels = ("",) * len(first)

    if third and sum(bool(_IMPORT_ID.match(cell)) for cell in third) * 2 >= max(1, sum(bool(c) for c in third)):
        return Header(tuple(first), _pad(second, len(first)), 3, "Qualtrics")
    second_keys = {_key(cell) for cell in second}
    if {"startdate", "responseid"} <= keys and ({"startdate", "responseid"} <= second_keys) and second != first:
        return Header(tuple(first), _pad(second, len(first)), 2, "Qualtrics")
    codes = sum(bool(_QUALTRICS_CODE.fullmatch(cell)) for cell in first)
    if second and codes >= 2 and codes * 2 >= sum(bool(c) for c in first) - len(keys & _QUALTRICS_META) and \
            not any(_QUALTRICS_CODE.fullmatch(cell) for cell in second) and second != first and \
            not any(_looks_like_data(cell) for cell in second if cell):
        # Qualtrics without its metadata columns: Q1, Q2_TEXT over their question texts
        return Header(tuple(first), _pad(second, len(first)), 2, "Qualtrics")
    if second and sum(bool(_LEGACY_V.fullmatch(cell)) for cell in first) >= 3 and "responseid" in second_keys:
        columns = tuple(
            (second[i] or cell) if _LEGACY_V.fullmatch(cell) and i < len(second) else cell
            for i, cell in enumerate(first)
        )
        labels = tuple(
            "" if _LEGACY_V.fullmatch(cell) or i >= len(second) else second[i] for i, cell in enumerate(first)
        )
        return Header(columns, labels, 2, "Qualtrics (legacy)")
    if second and any(cell.casefold() in _SURVEYMONKEY_MARKERS for cell in second) and (
        {"respondentid", "collectorid"} & keys or not second[0]
    ):
        return _surveymonkey(first, second)
    if {"submitdate", "lastpage"} <= keys or {"submitdate", "startlanguage"} <= keys \
            or {"datesubmitted", "lastpage"} <= keys:
        return Header(tuple(first), no_labels, 1, "LimeSurvey")
    if keys & {"timestamp", "tijdstempel", "zeitstempel", "horodateur", "marcatemporale"} and first and \
            _key(first[0]) in {"timestamp", "tijdstempel", "zeitstempel", "horodateur", "marcatemporale"}:
        return Header(tuple(first), no_labels, 1, "Google Forms")
    if {"starttime", "completiontime"} <= keys or {"begintijd", "tijdvanvoltooien"} <= keys:
        return Header(tuple(first), no_labels, 1, "Microsoft Forms")
    return Header(tuple(first), no_labels, 1, None)


def _pad(cells: list[str], width: int) -> tuple[str, ...]:
    return tuple(cells[:width]) + ("",) * (width - len(cells))


def _surveymonkey(first: list[str], second: list[str]) -> Header:
    width = max(len(first), len(second))
    first, second = list(_pad(first, width)), list(_pad(second, width))
    columns: list[str] = []
    labels: list[str] = []
    question = ""
    for top, sub in zip(first, second):
        if top:
            question = top
        if not sub or sub.casefold() in {"response", "open-ended response", "antwoord", "open antwoord",
                                         "reactie", "open reactie"}:
            name = top or (f"{question} - {sub}" if question and sub else question)
        else:
            name = f"{question} - {sub}" if question else sub
        columns.append(name)
        labels.append(question)
    seen: dict[str, int] = {}
    unique = []
    for name in columns:  # a question may repeat its text over several columns
        n = seen.get(name.casefold(), 0) + 1
        seen[name.casefold()] = n
        unique.append(name if n == 1 or not name else f"{name} ({n})")
    return Header(tuple(unique), tuple(labels), 2, "SurveyMonkey")


# -- personal data -------------------------------------------------------------------------
_PERSONAL_EXACT = {
    "IP address": {"ipaddress", "ipaddr", "ip", "ipadres", "ipadresse"},
    "e-mail address": {"email", "emailaddress", "emailadres", "mail", "recipientemail", "emailadresse", "courriel"},
    "name": {"name", "naam", "fullname", "volledigenaam", "firstname", "lastname", "voornaam", "achternaam",
             "surname", "familienaam", "tussenvoegsel", "recipientfirstname", "recipientlastname", "respondentname",
             "username", "gebruikersnaam", "displayname", "vorname", "nachname"},
    "phone number": {"phone", "phonenumber", "telephone", "telefoon", "telefoonnummer", "mobile", "mobiel",
                     "mobilenumber", "mobielnummer", "gsm", "tel"},
    "location": {"latitude", "longitude", "locationlatitude", "locationlongitude", "locationaccuracy", "location",
                 "locatie", "address", "adres", "streetaddress", "straat", "huisnummer", "woonplaats", "geolocation",
                 "gps"},
    "distribution-list reference": {"externalreference", "externaldatareference", "recipientid", "token",
                                    "panelid", "contactid"},
    "referring web address": {"refurl", "referrer", "referer", "referrerurl"},
}
_PERSONAL_WORDS = [
    ("e-mail address", re.compile(r"\be-?mail", re.IGNORECASE)),
    ("IP address", re.compile(r"\bip[ -]?(?:address|adres)", re.IGNORECASE)),
    ("phone number", re.compile(r"\b(?:phone|telefoon|mobiel)", re.IGNORECASE)),
    ("location", re.compile(r"\b(?:latitude|longitude|location ?(?:latitude|longitude))", re.IGNORECASE)),
    ("name", re.compile(r"\b(?:first|last|full|sur) ?name\b|\b(?:voor|achter)naam\b", re.IGNORECASE)),
]


def personal_data(column: str, label: str = "") -> str | None:
    """Why this column holds personal data ("IP address", "e-mail address", ...), or None."""
    key = _key(column)
    for reason, keys in _PERSONAL_EXACT.items():
        if key in keys or (_key(label) in keys and label):
            return reason
    for reason, pattern in _PERSONAL_WORDS:
        if pattern.search(column) or (label and pattern.search(label)):
            return reason
    return None
