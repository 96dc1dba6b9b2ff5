"""Find names in Dutch (and English) speech that no list of the researcher holds: persons, schools, places, contacts.

Strategy ``lists-rules.v1``: the first names, surnames and Dutch places of ``deduce`` (the
Dutch de-identification library; only its lookup lists are read, lazily: building its
full pipeline takes minutes the first time and seconds after) together with rules for how
names occur in speech:

* a title or role before a name: "meneer De Vries", "juf Annemiek", "meester Jan",
  "collega Esther", "een leerling, Daan," (the role word chooses the placeholder's kind);
* a known first name with a capital, also with a surname after it ("Koen Hoogland");
* schools: "basisschool De Regenboog", "obs Het Kompas", "het Berkenrode Lyceum",
  "Stedelijk College", "de Jozefschool";
* places: a known Dutch place with a capital ("in Zutphen"), "Stichting ..." as an organisation;
* e-mail addresses, phone numbers, web addresses, postcodes, dates of birth.

Words that occur in lower case elsewhere in the same texts are common words: at the start
of a sentence ("Echt niet", "Wil je ...") they are left alone and listed as unsure.
Capitalised words in the middle of a sentence that no rule explains are listed too
(:attr:`Detection.unexplained`), so a researcher can add or allow them.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Iterator

STRATEGY = "lists-rules.v1"

_NAME = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:-[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)?"
_PREFIX = r"(?:(?:[Vv]an|[Dd]e|[Dd]er|[Dd]en|[Tt]er|[Tt]en|[Ii]n|[Oo]p|'t|[Hh]et|[Ee]l|[Aa]l)\s+){0,3}"
_FULL = rf"{_NAME}(?:\s+{_PREFIX}{_NAME}){{0,2}}"
_SURNAME = rf"{_PREFIX}{_NAME}"
_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*")

TITLES_PERSON = {"meneer", "mevrouw", "mevr", "mw", "dhr", "heer", "mr", "mrs", "ms", "dr", "mister", "sir", "oom",
                 "tante", "opa", "oma", "zuster", "broeder", "pastoor", "dominee"}
TITLES_COLLEAGUE = {"juf", "juffrouw", "meester", "collega", "docent", "docente", "leraar", "lerares", "leerkracht",
                    "directeur", "directrice", "mentor", "teamleider", "conciërge", "onderwijsassistent", "ib'er",
                    "rector", "conrector", "teacher", "colleague", "principal", "coach", "stagiair", "stagiaire"}
TITLES_PUPIL = {"leerling", "leerlinge", "pupil", "student", "studente", "zoon", "dochter", "kind", "jongen",
                "meisje", "neefje", "nichtje", "son", "daughter", "kleuter", "scholier", "broertje", "zusje"}
_ROLE_BEFORE = {**dict.fromkeys(TITLES_PERSON, "person"), **dict.fromkeys(TITLES_COLLEAGUE, "colleague"),
                **dict.fromkeys(TITLES_PUPIL, "pupil")}
_DIRECT_TITLES = {"meneer", "mevrouw", "mevr", "mw", "dhr", "juf", "juffrouw", "meester", "mr", "mrs", "ms", "dr"}

_SCHOOL_BEFORE_WORDS = ("basisschool", "basisscholen", "school", "obs", "cbs", "pcbs", "rkbs", "ikc", "kindcentrum",
                        "scholengemeenschap", "montessorischool", "daltonschool", "jenaplanschool", "vrijeschool",
                        "sbo", "so", "vso", "praktijkschool", "mavo", "havo", "vwo-school", "lyceum", "college")
_SCHOOL_BEFORE = re.compile(
    rf"\b(?:{'|'.join(_SCHOOL_BEFORE_WORDS)})\s+"
    rf"((?:[Dd]e|[Hh]et|'t)\s+{_NAME}(?:\s+{_NAME})?|{_NAME}(?:[\s-]+{_NAME})?)")
_SCHOOL_AFTER_WORDS = ("Lyceum", "College", "Gymnasium", "Scholengemeenschap", "Academie", "Atheneum", "Mavo", "Havo",
                       "Vakcollege", "Montessorischool", "Daltonschool", "Basisschool", "School")
_SCHOOL_AFTER = re.compile(rf"\b((?:{_NAME}[\s-]+){{1,2}})({'|'.join(_SCHOOL_AFTER_WORDS)})\b")
_SCHOOL_COMPOUND = re.compile(rf"\b({_NAME}(?:school|college|lyceum))\b")
_SAINT = re.compile(rf"\b((?:Sint|St\.)[\s-]+{_NAME})")
_ORGANISATION_WORDS = ("Stichting", "Vereniging", "Scholengroep", "Onderwijsgroep", "Hogeschool", "Universiteit",
                       "Kenniscentrum", "Expertisecentrum", "Academie")
_ORGANISATION = re.compile(rf"\b((?:{'|'.join(_ORGANISATION_WORDS)})\s+{_PREFIX}{_NAME}(?:\s+{_NAME})?)")
_CONTACTS = {
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "url": re.compile(r"\b(?:https?://|www\.)[^\s<>\"')]+", re.IGNORECASE),
    "phone": re.compile(r"(?<![\w+])(?:\+31[\s-]?(?:\(0\))?|0)(?:6[\s-]?\d{8}|\d{2,3}[\s-]?\d{6,7}|6[\s-]?\d{2}[\s-]?"
                        r"\d{2}[\s-]?\d{2}[\s-]?\d{2})(?!\d)"),
    "postcode": re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b"),
    "date": re.compile(r"(?:geboren|geboortedatum|born|date of birth)\s*(?:op|:|on)?\s*"
                       r"(\d{1,2}[-/ ](?:\d{1,2}|[a-z]+)[-/ ]\d{2,4})", re.IGNORECASE),
}
# Words that are never taken for a name, whatever the lists say (sentence openers, days, months, subjects).
_NEVER = {
    "ik", "je", "jij", "u", "hij", "zij", "ze", "we", "wij", "jullie", "het", "de", "een", "en", "maar", "dus", "want",
    "dan", "toen", "nou", "ja", "nee", "oké", "ok", "eh", "uh", "hm", "nu", "ook", "wel", "niet", "zo", "daar",
    "hier", "die", "dat", "dit", "deze", "wat", "wie", "waar", "hoe", "waarom", "welke", "als", "of", "om", "op",
    "in", "aan", "bij", "met", "voor", "na", "naar", "van", "uit", "tot", "over", "onder", "door", "zonder", "goed",
    "mooi", "echt", "heel", "best", "zeker", "graag", "dank", "sorry", "haha", "vooral", "verder", "eerst", "daarna",
    "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag", "januari", "februari", "maart",
    "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december", "nederlands",
    "engels", "frans", "duits", "grieks", "latijn", "spaans", "wiskunde", "geschiedenis", "aardrijkskunde",
    "biologie", "scheikunde", "natuurkunde", "economie", "kerst", "pasen", "god", "jezus", "ai", "chatgpt",
    "teams", "google", "microsoft", "word", "excel", "magister", "somtoday", "snappet", "the", "and", "but", "so",
    "well", "yes", "no", "my", "our", "they", "he", "she", "it", "i", "you", "mevrouw", "meneer", "juf",
    "meester", "groep", "klas", "wil", "mag", "kan", "zal", "moet", "ben", "bent", "is", "zijn", "was", "had",
    "heeft", "hebben", "gaat", "komt", "laat", "kijk", "zie", "hoor", "weet", "denk", "vind", "stel", "neem",
    "interviewer", "respondent", "gespreksleider", "directeur", "leerkracht", "docent", "leraar", "expert",
    "hoi", "hallo", "hai", "hey", "hi", "hello", "dag", "goedemorgen", "goedemiddag", "goedenavond", "welkom",
    "beste", "lieve", "dear", "prof", "professor", "dr", "drs", "ir", "mr",
}


_PARTICLES = {"de", "van", "der", "den", "ter", "ten", "in", "op", "'t", "het", "el", "al"}


@dataclass(frozen=True)
class Finding:
    """A name found in a text: its words, what kind of name, how sure, and where (document, offset)."""

    text: str
    kind: str
    sure: bool
    document: str
    start: int
    rule: str
    parts: tuple[str, ...] = ()  # the name's parts that are replaced with it (first name, surname)


@dataclass
class Detection:
    """Everything the detector found in a set of texts."""

    findings: list[Finding] = field(default_factory=list)
    unexplained: Counter[str] = field(default_factory=Counter)  # capitalised mid-sentence words left alone
    examples: dict[str, tuple[str, int]] = field(default_factory=dict)  # word -> (document, offset)
    lists_available: bool = True


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str], bool]:
    """(first names, surnames, places, common words), casefolded, from deduce's lookup lists; and whether found."""
    # Found without importing deduce: its package sets up logging (and its pipeline is slow to build).
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("deduce")
    if spec is None or not spec.submodule_search_locations:
        return frozenset(), frozenset(), frozenset(), frozenset(_NEVER), False
    root = Path(list(spec.submodule_search_locations)[0]) / "data" / "lookup" / "src"

    def read(*parts: str) -> set[str]:
        try:
            text = root.joinpath(*parts).read_text(encoding="utf-8")
        except (FileNotFoundError, OSError):
            return set()
        return {line.strip().casefold() for line in text.splitlines() if line.strip()}

    first = read("names", "lst_first_name", "items.txt") - read("names", "lst_first_name", "exceptions.txt")
    surnames = read("names", "lst_surname", "items.txt") - read("names", "lst_surname", "exceptions.txt")
    # towns and municipalities (provinces and regions name too many people to identify anyone)
    places = (read("locations", "lst_placename", "lst_residence", "items.txt")
              | read("locations", "lst_placename", "lst_municipality", "items.txt"))
    places -= read("locations", "lst_placename", "lst_residence", "exceptions.txt")
    common = read("whitelist", "lst_common_word", "items.txt") | read("whitelist", "lst_stop_word", "items.txt")
    found = bool(first)
    return frozenset(first), frozenset(surnames), frozenset(places), frozenset(common | _NEVER), found


_VOCABULARIES: dict[str, frozenset[str]] = {}  # the last few vocabularies, by the hash of their texts


def lowercase_vocabulary(texts: Iterable[str]) -> set[str]:
    """The words that occur with a lower-case first letter somewhere in ``texts``: common words there.

    An export asks for it twice (the detector, then the replacer) and a session may export again: the
    answer for the same texts is kept, by their hash (far cheaper than finding the words again)."""
    texts = list(texts)
    digest = hashlib.sha256()
    for text in texts:
        digest.update(f"{len(text)}:".encode("ascii"))
        digest.update(text.encode("utf-8", "surrogatepass"))
    key = digest.hexdigest()
    if key not in _VOCABULARIES:
        words: set[str] = set()
        for text in texts:
            words.update(_WORD_RE.findall(text))  # each distinct form once: far fewer than the words of the text
        while len(_VOCABULARIES) >= 4:
            del _VOCABULARIES[next(iter(_VOCABULARIES))]
        _VOCABULARIES[key] = frozenset(w.casefold() for w in words if w[:1].islower())
    return set(_VOCABULARIES[key])


def _sentence_start(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t\"'“‘(-–—":
        i -= 1
    # a speaker label before the turn ("R: Samira ...") ends in ':', a WebVTT cue line in a line end
    return i < 0 or text[i] in ".!?…:;\n>"


def _base(word: str) -> str:
    """'Ruben's' -> 'Ruben', 'Daans' -> 'Daan' is left to the caller (a plain s may belong to the name)."""
    return re.sub(r"['’]s$", "", word)


def _find_all(text: str, literal: str) -> list[int]:
    """Every offset at which ``literal`` occurs in ``text`` (overlapping ones too)."""
    out = []
    i = text.find(literal)
    while i >= 0:
        out.append(i)
        i = text.find(literal, i + 1)
    return out


def _matches(pattern: re.Pattern[str], text: str, starts: Iterable[int] | None) -> Iterator[re.Match[str]]:
    """What ``pattern.finditer(text)`` gives, trying only ``starts``: every offset at which a match can begin
    (more do no harm). None: no such offsets are known, and the whole text is searched."""
    if starts is None:
        yield from pattern.finditer(text)
        return
    end = 0
    for p in sorted(set(starts)):
        if p < end or p < 0:
            continue
        m = pattern.match(text, p)  # (with an offset, not a slice: \b and look-behinds see what comes before)
        if m is not None:
            end = m.end() if m.end() > p else p + 1
            yield m


def _is_name_letter(ch: str) -> bool:
    """One of the letters of _NAME: [A-ZÀ-ÖØ-Þa-zà-öø-ÿ]."""
    return "a" <= ch <= "z" or "A" <= ch <= "Z" or ("À" <= ch <= "ÿ" and ch not in "×ß÷")


def _segments_before(text: str, end: int, limit: int, *, spaces: bool) -> list[int]:
    """The starts of the last ``limit`` runs of name letters before ``end``, going back over name letters,
    hyphens and (with ``spaces``) white space only: where a match of up to ``limit`` such runs ending at
    ``end`` can begin."""
    out: list[int] = []
    i = end - 1
    while i >= 0 and len(out) < limit:
        ch = text[i]
        if _is_name_letter(ch):
            if i == 0 or not _is_name_letter(text[i - 1]):
                out.append(i)
        elif not (ch == "-" or (spaces and ch.isspace())):
            break
        i -= 1
    return out


def _anchors(keywords: Iterable[str], literals: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """For keywords of an alternation, literals to look for and how far after a keyword's start each can be:
    every keyword holds one of ``literals``, so a keyword occurs only where one of them does."""
    out: dict[str, set[int]] = {}
    order = list(literals)
    for keyword in keywords:
        literal = next(x for x in order if x in keyword)  # (StopIteration at import: add a literal)
        out.setdefault(literal, set()).update(i for i in range(len(keyword)) if keyword.startswith(literal, i))
    return {literal: tuple(sorted(offsets)) for literal, offsets in out.items()}


class _Text:
    """One text, with what several rules look up in it found once: where literals occur, its lower-case form."""

    def __init__(self, text: str):
        self.text = text
        self._found: dict[str, list[int]] = {}
        lowered = text.lower()
        # (a character that lower-cases to two, such as 'İ', would shift the offsets: then no lower-case form)
        self.lowered: str | None = lowered if len(lowered) == len(text) else None

    def find_all(self, literal: str, *, lowered: bool = False) -> list[int]:
        key = ("\0" if lowered else "") + literal
        if key not in self._found:
            where = self.lowered if lowered else self.text
            assert where is not None
            self._found[key] = _find_all(where, literal)
        return self._found[key]

    def keyword_starts(self, anchors: dict[str, tuple[int, ...]], *, lowered: bool = False) -> list[int] | None:
        """Where a keyword with these anchors can begin; None when the text has no lower-case form to search."""
        if lowered and self.lowered is None:
            return None
        return [i - offset for literal, offsets in anchors.items() for i in self.find_all(literal, lowered=lowered)
                for offset in offsets]


# The keywords of the rules' alternations (the patterns above are built from the same words, in this order).
_URL_ANCHORS = _anchors(("http", "www."), ("http", "www."))  # searched for in the lower-case text
_DATE_ANCHORS = _anchors(("geboren", "geboortedatum", "born", "date of birth"), ("gebo", "born", "date"))
_ORGANISATION_ANCHORS = _anchors(_ORGANISATION_WORDS, _ORGANISATION_WORDS)
_SCHOOL_BEFORE_ANCHORS = _anchors(_SCHOOL_BEFORE_WORDS, ("school", "schol", "bs", "ikc", "kindcentrum", "sbo",
                                                         "so", "avo", "lyceum", "college"))
_SCHOOL_AFTER_ANCHORS = _anchors(_SCHOOL_AFTER_WORDS, ("Lyceum", "College", "Gymnasium", "Scho", "Academie",
                                                       "Atheneum", "avo", "Vakcollege", "school"))
_COMPOUND_ANCHORS = _anchors(("school", "college", "lyceum"), ("school", "college", "lyceum"))
_SAINT_ANCHORS = _anchors(("Sint", "St."), ("Sint", "St."))
_PHONE_START = re.compile(r"[0+]")
_POSTCODE_START = re.compile(r"[1-9]\d{3}")  # (a postcode inside a longer run of digits has no \b before it)
_TITLE = re.compile(rf"\b([A-Za-zë']+)[,:]?\s+({_FULL})")
# No match of _TITLE holds any other character: a title rule's match lies between two of these.
_TITLE_BARRIER = re.compile(r"[^A-Za-zÀ-ÖØ-Þà-öø-ÿ,:'\s-]")
_ROLE_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzë'")
_ROLE_LONGEST = max(len(r) for r in _ROLE_BEFORE)
_ROLE_LENGTHS = sorted({len(r) for r in _ROLE_BEFORE})
# Read in the reversed text from just before a capital: white space, perhaps [,:], and the role characters
# before them (as many as the longest role word has).
_BEFORE_NAME_BACKWARDS = re.compile(rf"\s+[,:]?([A-Za-zë']{{1,{_ROLE_LONGEST}}})")


@lru_cache(maxsize=4096)
def _ends_in_role(reversed_run: str) -> bool:
    """Whether the run of role characters (reversed) ends in a role word ("... juf", "een leerling")."""
    run = reversed_run[::-1].casefold()  # (the role characters fold one to one)
    return any(run[-n:] in _ROLE_BEFORE for n in _ROLE_LENGTHS if n <= len(run))


_TAIL = re.compile(rf"\s+({_SURNAME})")
_ARTICLE = re.compile(r"(?:Den|Ter|Ten|'s-?|St\.?|Sint)[\s-]*$")
_ACRONYM = re.compile(r"[A-Z0-9]{2,}[-'’]")
_NOT_A_SCHOOL_NAME = re.compile(r"(?:hoge|basis|middelbare|vak|groot|school)", re.IGNORECASE)
_NON_LATIN1 = re.compile(r"[^\x00-\xff]")
_WORD_CHARACTER = re.compile(r"[\w'’-]")  # what a word of _WORD_RE continues with
_LETTER = re.compile(r"[^\W\d_]")  # what a word of _WORD_RE starts with
_NO_WORD_CHARACTER = frozenset(" \t\n\r.,;:!?\"()[]/“”…")  # (a quick answer for the common characters)


@lru_cache(maxsize=64)
def _capitals(extra: str) -> re.Pattern[str]:
    """The capital letters: the Latin-1 ones and ``extra`` (those of a text outside Latin-1)."""
    return re.compile(f"[A-ZÀ-ÖØ-Þ{extra}]")


def _capital_offsets(text: str) -> list[int]:
    """Where ``text`` has an upper-case character (str.isupper); the first letter of every capitalised word."""
    extra = "".join(sorted(c for c in set(_NON_LATIN1.findall(text)) if c.isupper()))
    return [m.start() for m in _capitals(re.escape(extra) if extra else "").finditer(text)]


def _starts_a_word(text: str, i: int) -> bool:
    """Whether a word of _WORD_RE, as ``_WORD_RE.finditer(text)`` finds them, starts at ``i`` (a letter)."""
    j = i - 1
    while j >= 0 and text[j] not in _NO_WORD_CHARACTER and _WORD_CHARACTER.match(text, j):
        if _LETTER.match(text, j):
            return False  # the word of that letter runs on through i
        j -= 1
    return True


def _title_matches(text: str, capitals: Iterable[int]) -> Iterator[re.Match[str]]:
    """What ``_TITLE.finditer(text)`` gives where a role word can be its first group (the others are of no use).

    A match lies between two barrier characters and the matches between two of them are those of a search
    from the first: so only the stretches in which a role word stands before a capital are searched."""
    done = 0
    backwards = text[::-1]  # the text reversed: what comes before an offset, searched for with a regex
    for c in capitals:
        if c < done or text[c] > "Þ":  # (the name after a title starts with one of [A-ZÀ-ÖØ-Þ])
            continue
        before = _BEFORE_NAME_BACKWARDS.match(backwards, len(text) - c)
        if before is None or not _ends_in_role(before.group(1)):
            continue
        j = len(text) - 1 - before.start(1)  # the last character of the role word
        barrier = _TITLE_BARRIER.search(backwards, len(text) - 1 - j)
        begin = max(done, len(text) - barrier.start() if barrier else 0)
        barrier = _TITLE_BARRIER.search(text, c)
        done = barrier.start() if barrier else len(text)
        yield from _TITLE.finditer(text, begin, done)


@dataclass(frozen=True)
class _Form:
    """What the word rule needs to know of a capitalised word form, whatever its place in the text."""

    word: str
    base: str
    folded: str
    left_out: bool  # allowed or known
    name: str | None  # the first name it is (without a possessive s), if it is one
    place: bool
    unexplained: bool  # a capitalised word no rule explains (if in mid-sentence)


def detect(documents: Iterable[tuple[str, str]], *, known: Iterable[str] = (), allowed: Iterable[str] = ()) -> Detection:
    """Find names in ``documents`` ((name, text) pairs); ``known`` terms and ``allowed`` words are not reported."""
    docs = list(documents)
    first, surnames, places, common, available = name_lists()
    vocabulary = lowercase_vocabulary(t for _, t in docs)
    common_here = set(common) | vocabulary
    skip = {" ".join(a.split()).casefold() for a in allowed}
    known_folded = {" ".join(k.split()).casefold() for k in known}
    out = Detection(lists_available=available)
    covered = bytearray()  # of the document at hand: 1 where a finding is

    names: dict[str, tuple[str, str]] = {}  # a found text -> the name it is, and folded (each text once)

    def add(doc: str, text: str, kind: str, start: int, sure: bool, rule: str, parts: tuple[str, ...] = ()) -> None:
        if text not in names:
            name = " ".join(text.split()).strip(" -")
            names[text] = (name, name.casefold())
        name, folded = names[text]
        if not name or folded in skip or folded in _NEVER:
            return
        if skip:
            parts = tuple(p for p in parts if p.casefold() not in skip)
        out.findings.append(Finding(name, kind, sure, doc, start, rule, parts))
        covered[start:start + len(text)] = b"\x01" * len(text)

    first_names: dict[str, bool] = {}

    def is_first(word: str) -> bool:
        if word not in first_names:
            w = _base(word).casefold()
            first_names[word] = w in first and w not in _NEVER
        return first_names[word]

    forms: dict[str, _Form | None] = {}  # each distinct word form is looked at once

    def form_of(token: str) -> _Form | None:
        word = token.rstrip("'’-")
        if not word[:1].isupper():
            return None
        base = _base(word)
        folded = base.casefold()
        left_out = folded in skip or folded in known_folded
        name = None
        if is_first(base) or (base.endswith("s") and is_first(base[:-1]) and base.casefold() not in common_here):
            name = base if is_first(base) else base[:-1]
        acronym = base.isupper() or _ACRONYM.match(base)
        return _Form(word, base, folded, left_out, name, folded in places and folded not in common,
                     not acronym and folded not in common_here and folded not in _NEVER and len(base) > 2)

    for doc, text in docs:
        covered[:] = bytearray(len(text) + 1)
        here = _Text(text)
        contact_starts = {
            "email": [i for a in here.find_all("@") for i in range(_local_part_start(text, a), a)],
            "url": here.keyword_starts(_URL_ANCHORS, lowered=True),
            "phone": [m.start() for m in _PHONE_START.finditer(text)],
            "postcode": [m.start() for m in _POSTCODE_START.finditer(text)],
            "date": here.keyword_starts(_DATE_ANCHORS, lowered=True),
        }
        for kind, pattern in _CONTACTS.items():
            for m in _matches(pattern, text, contact_starts[kind]):
                group = 1 if pattern.groups else 0
                add(doc, m.group(group), kind, m.start(group), True, kind)
        for m in _matches(_ORGANISATION, text, here.keyword_starts(_ORGANISATION_ANCHORS)):
            add(doc, m.group(1), "organisation", m.start(1), True, "Stichting ...")
        school_after = [start for s in here.keyword_starts(_SCHOOL_AFTER_ANCHORS) or ()
                        if s >= 0 and text.startswith(_SCHOOL_AFTER_WORDS, s)
                        for start in _segments_before(text, s, 4, spaces=True)]
        compound = [start for s in here.keyword_starts(_COMPOUND_ANCHORS) or ()
                    for start in _segments_before(text, s, 2, spaces=False)]
        for pattern, rule, starts in ((_SCHOOL_BEFORE, "basisschool ...", here.keyword_starts(_SCHOOL_BEFORE_ANCHORS)),
                                      (_SCHOOL_AFTER, "... Lyceum/College", school_after),
                                      (_SCHOOL_COMPOUND, "...school", compound),
                                      (_SAINT, "Sint ...", here.keyword_starts(_SAINT_ANCHORS))):
            for m in _matches(pattern, text, starts):
                if covered[m.start(1)]:
                    continue
                if pattern is _SCHOOL_COMPOUND and _NOT_A_SCHOOL_NAME.match(m.group(1)):
                    continue
                name = m.group(1) if pattern is not _SCHOOL_AFTER else (m.group(1) + m.group(2))
                start = m.start(1)
                words = name.split()
                if pattern is _SCHOOL_BEFORE and words[-1].casefold() in common_here and len(words) == 1:
                    continue
                if pattern is _SCHOOL_AFTER:
                    own = [w for w in m.group(1).split() if w.casefold() not in common_here]
                    if not own:
                        continue
                    parts = tuple(own) if len(own) == 1 else (" ".join(own),)
                    add(doc, name, "school", start, True, rule, parts)
                else:
                    add(doc, name, "school", start, True, rule)
        capitals = _capital_offsets(text)
        # titles and roles before a name
        for m in _title_matches(text, capitals):
            role = m.group(1).casefold()
            if role not in _ROLE_BEFORE:
                continue
            title_name = _base(m.group(2))
            words = title_name.split()
            # "de leerling Daan" / "juf Annemiek" / "meneer De Vries": after a plain role word only a known
            # first name (or a name that is no common word) counts; after meneer/juf anything capitalised
            lead = next((w for w in words if w.casefold() not in _PARTICLES), words[-1]).casefold()
            if role not in _DIRECT_TITLES and (lead in common_here or lead in _NEVER) and not is_first(words[0]):
                continue
            if role in _DIRECT_TITLES and lead in _NEVER:
                continue
            parts = (words[0], " ".join(words[1:])) if len(words) > 1 and words[0].casefold() not in _PARTICLES else ()
            add(doc, title_name, _ROLE_BEFORE[role], m.start(2), True, f"{m.group(1)} ...", parts)
        # known first names (with a surname after them), places: the capitalised words only (no rule takes others)
        for start in capitals:
            if covered[start] or not _starts_a_word(text, start):
                continue
            token = _WORD_RE.match(text, start)
            if token is None:
                continue
            if token.group(0) not in forms:
                forms[token.group(0)] = form_of(token.group(0))
            form = forms[token.group(0)]
            if form is None or form.left_out:
                continue
            word, base, folded = form.word, form.base, form.folded
            at_start = _sentence_start(text, start)
            if form.name is not None:
                name = form.name
                tail = _TAIL.match(text, start + len(word))
                full = name
                if tail and (tail.group(1).split()[-1].casefold() in surnames
                             or tail.group(1).split()[-1].casefold() not in common_here):
                    full = f"{name} {tail.group(1)}"
                sure = name.casefold() not in common_here or (not at_start and name.casefold() not in common)
                if name.casefold() in common_here and at_start:
                    sure = False
                parts = (name, tail.group(1)) if full != name and tail else ()
                before = text[max(0, start - 6):start].casefold().split()
                kind = "place" if (before and before[-1] in {"in", "uit", "naar", "te"} and full == name
                                   and folded in places) else "person"
                add(doc, full, kind, start, sure, "first name", parts)
                continue
            if form.place:
                sure = folded not in common_here and not at_start
                article = _ARTICLE.search(text[max(0, start - 5):start])
                if article:  # Den Haag, Den Helder, Ter Apel, 's-Hertogenbosch
                    add(doc, article.group(0) + base, "place", start - len(article.group(0)), sure, "place")
                else:
                    add(doc, base, "place", start, sure, "place")
                continue
            if not at_start and form.unexplained:
                out.unexplained[base] += 1
                out.examples.setdefault(base, (doc, start))
    return out


_LOCAL_CHARACTER = re.compile(r"[\w.+-]")


def _local_part_start(text: str, at: int) -> int:
    """Where the run of e-mail address characters before an '@' at ``at`` begins."""
    i = at
    while i > 0 and _LOCAL_CHARACTER.match(text, i - 1):
        i -= 1
    return i
