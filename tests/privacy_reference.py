"""A frozen copy of the name detector and replacer as they were at commit 0e7beb4, before the speed work.

tests/test_privacy_equality.py compares the live code in :mod:`qualcode.privacy` with this copy on
random texts: the findings and the replaced text must be the same. Do not edit the code below (it is
qualcode/privacy/detect.py and qualcode/privacy/replace.py verbatim, one after the other, and
the key's ``_new_entries`` with the ``numbered`` placeholders it uses); when the
detector's output is changed on purpose, the equality test has to be rethought, not this file patched.
"""
from __future__ import annotations

# ruff: noqa

# ==== qualcode/privacy/detect.py at 0e7beb4 ====================================================

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

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

_SCHOOL_BEFORE = re.compile(
    r"\b(?:basisschool|basisscholen|school|obs|cbs|pcbs|rkbs|ikc|kindcentrum|scholengemeenschap|montessorischool|"
    r"daltonschool|jenaplanschool|vrijeschool|sbo|so|vso|praktijkschool|mavo|havo|vwo-school|lyceum|college)\s+"
    rf"((?:[Dd]e|[Hh]et|'t)\s+{_NAME}(?:\s+{_NAME})?|{_NAME}(?:[\s-]+{_NAME})?)")
_SCHOOL_AFTER = re.compile(
    rf"\b((?:{_NAME}[\s-]+){{1,2}})(Lyceum|College|Gymnasium|Scholengemeenschap|Academie|Atheneum|Mavo|Havo|"
    r"Vakcollege|Montessorischool|Daltonschool|Basisschool|School)\b")
_SCHOOL_COMPOUND = re.compile(rf"\b({_NAME}(?:school|college|lyceum))\b")
_SAINT = re.compile(rf"\b((?:Sint|St\.)[\s-]+{_NAME})")
_ORGANISATION = re.compile(rf"\b((?:Stichting|Vereniging|Scholengroep|Onderwijsgroep|Hogeschool|Universiteit|"
                           rf"Kenniscentrum|Expertisecentrum|Academie)\s+{_PREFIX}{_NAME}(?:\s+{_NAME})?)")
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


def lowercase_vocabulary(texts: Iterable[str]) -> set[str]:
    """The words that occur with a lower-case first letter somewhere in ``texts``: common words there."""
    words: set[str] = set()
    for text in texts:
        words.update(_WORD_RE.findall(text))  # each distinct form once: far fewer than the words of the text
    return {w.casefold() for w in words if w[:1].islower()}


def _sentence_start(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t\"'“‘(-–—":
        i -= 1
    # a speaker label before the turn ("R: Samira ...") ends in ':', a WebVTT cue line in a line end
    return i < 0 or text[i] in ".!?…:;\n>"


def _base(word: str) -> str:
    """'Ruben's' -> 'Ruben', 'Daans' -> 'Daan' is left to the caller (a plain s may belong to the name)."""
    return re.sub(r"['’]s$", "", word)


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

    def add(doc: str, text: str, kind: str, start: int, sure: bool, rule: str, parts: tuple[str, ...] = ()) -> None:
        name = " ".join(text.split()).strip(" -")
        folded = name.casefold()
        if not name or folded in skip or folded in _NEVER:
            return
        out.findings.append(Finding(name, kind, sure, doc, start, rule, tuple(p for p in parts if p.casefold()
                                                                              not in skip)))
        covered[start:start + len(text)] = b"\x01" * len(text)

    def is_first(word: str) -> bool:
        w = _base(word).casefold()
        return w in first and w not in _NEVER

    for doc, text in docs:
        covered[:] = bytearray(len(text) + 1)
        for kind, pattern in _CONTACTS.items():
            for m in pattern.finditer(text):
                group = 1 if pattern.groups else 0
                add(doc, m.group(group), kind, m.start(group), True, kind)
        for m in _ORGANISATION.finditer(text):
            add(doc, m.group(1), "organisation", m.start(1), True, "Stichting ...")
        for pattern, rule in ((_SCHOOL_BEFORE, "basisschool ..."), (_SCHOOL_AFTER, "... Lyceum/College"),
                              (_SCHOOL_COMPOUND, "...school"), (_SAINT, "Sint ...")):
            for m in pattern.finditer(text):
                if covered[m.start(1)]:
                    continue
                if pattern is _SCHOOL_COMPOUND and re.match(r"(?:hoge|basis|middelbare|vak|groot|school)",
                                                            m.group(1), re.IGNORECASE):
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
        # titles and roles before a name
        for m in re.finditer(rf"\b([A-Za-zë']+)[,:]?\s+({_FULL})", text):
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
        # known first names (with a surname after them), places
        for m in _WORD_RE.finditer(text):
            word = m.group(0).rstrip("'’-")
            if not word[:1].isupper() or covered[m.start()]:
                continue
            base = _base(word)
            folded = base.casefold()
            if folded in skip or folded in known_folded:
                continue
            at_start = _sentence_start(text, m.start())
            if is_first(base) or (base.endswith("s") and is_first(base[:-1]) and base.casefold() not in common_here):
                name = base if is_first(base) else base[:-1]
                tail = re.match(rf"\s+({_SURNAME})", text[m.start() + len(word):])
                full = name
                if tail and (tail.group(1).split()[-1].casefold() in surnames
                             or tail.group(1).split()[-1].casefold() not in common_here):
                    full = f"{name} {tail.group(1)}"
                sure = name.casefold() not in common_here or (not at_start and name.casefold() not in common)
                if name.casefold() in common_here and at_start:
                    sure = False
                parts = (name, tail.group(1)) if full != name and tail else ()
                before = text[max(0, m.start() - 6):m.start()].casefold().split()
                kind = "place" if (before and before[-1] in {"in", "uit", "naar", "te"} and full == name
                                   and folded in places) else "person"
                add(doc, full, kind, m.start(), sure, "first name", parts)
                continue
            if folded in places and folded not in common:
                sure = folded not in common_here and not at_start
                article = re.search(r"(?:Den|Ter|Ten|'s-?|St\.?|Sint)[\s-]*$", text[max(0, m.start() - 5):m.start()])
                if article:  # Den Haag, Den Helder, Ter Apel, 's-Hertogenbosch
                    add(doc, article.group(0) + base, "place", m.start() - len(article.group(0)), sure, "place")
                else:
                    add(doc, base, "place", m.start(), sure, "place")
                continue
            acronym = base.isupper() or re.match(r"[A-Z0-9]{2,}[-'’]", base)  # ICT, AVG, ICT'er: no names
            if not at_start and not acronym and folded not in common_here and folded not in _NEVER and len(base) > 2:
                out.unexplained[base] += 1
                out.examples.setdefault(base, (doc, m.start()))
    return out

# ==== qualcode/privacy/replace.py at 0e7beb4 ===================================================

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

_WORD = r"[^\W_]"
_POSSESSIVE = r"(?:['’]s|s)"
_DIMINUTIVE = r"(?:['’]?tje|['’]?je)"


@dataclass(frozen=True)
class Replacement:
    """One replaced span: where it was in the original text, where it is in the new one, and what replaced it."""

    start: int
    end: int
    new_start: int
    new_end: int
    term: str  # the key's term it matched
    found: str  # the text it replaced
    placeholder: str
    new: str  # the placeholder, with a possessive kept ("[Leerling 1]'s")


def _term_pattern(term: str, any_case: bool) -> str:
    words = term.split()
    parts = []
    for word in words:
        escaped = re.escape(word)
        if not any_case and word[:1].isalpha():
            first = word[0]
            escaped = f"[{re.escape(first.upper())}]" + re.escape(word[1:])
        parts.append(escaped)
    return r"[\s\-_]+".join(parts)


class Replacer:
    """Replaces the terms of a key (term -> placeholder); ``common_words`` are matched with a capital only."""

    def __init__(self, key: Mapping[str, str], *, common_words: Iterable[str] = (), allowed: Iterable[str] = ()):
        common = {w.casefold() for w in common_words}
        skip = {" ".join(a.split()).casefold() for a in allowed}
        self.placeholders: dict[str, str] = {}
        self.terms: dict[str, str] = {}
        for term, placeholder in key.items():
            folded = " ".join(term.split()).casefold()
            if not folded or folded in skip:
                continue
            self.placeholders[folded] = placeholder
            self.terms[folded] = term
        ordered = sorted(self.terms.items(), key=lambda kv: (-len(kv[0]), kv[0]))
        alternatives = []
        for folded, term in ordered:
            any_case = len(term.split()) > 1 or folded not in common
            alternatives.append(_term_pattern(term, any_case))
        self._regex: re.Pattern[str] | None = None
        if alternatives:
            # (?i) per alternative is not possible in Python; case-sensitive terms carry explicit
            # capital classes and the rest is matched case-insensitively after checking below
            body = "|".join(f"(?:{a})" for a in alternatives)
            self._regex = re.compile(
                rf"(?<!{_WORD})(?P<term>{body})(?P<suffix>{_POSSESSIVE}|{_DIMINUTIVE})?(?!{_WORD})",
                re.IGNORECASE)
            self._capital_only = {f for f, t in self.terms.items() if len(t.split()) == 1 and f in common}

    def __bool__(self) -> bool:
        return self._regex is not None

    def _placeholder_for(self, matched: str) -> tuple[str, str] | None:
        folded = re.sub(r"[\s\-_]+", " ", matched).casefold()
        if folded not in self.placeholders:
            return None
        if folded in self._capital_only and not matched[:1].isupper():
            return None
        return self.terms[folded], self.placeholders[folded]

    def replacements(self, text: str) -> list[Replacement]:
        """The spans of ``text`` to replace, left to right, with their offsets in the new text."""
        out: list[Replacement] = []
        if self._regex is None or not text:
            return out
        shift = 0
        for m in self._regex.finditer(text):
            found = self._placeholder_for(m.group("term"))
            if found is None:
                continue
            term, placeholder = found
            suffix = m.group("suffix") or ""
            new = placeholder + ("'s" if suffix and re.fullmatch(_POSSESSIVE, suffix) else "")
            start, end = m.start(), m.end()
            out.append(Replacement(start, end, start + shift, start + shift + len(new), term, m.group(0), placeholder,
                                   new))
            shift += len(new) - (end - start)
        return out

    def replace(self, text: str) -> str:
        """``text`` with every term replaced by its placeholder."""
        if not text or self._regex is None:
            return text
        return _apply(text, self.replacements(text))

    def replace_with_offsets(self, text: str) -> tuple[str, "OffsetMap"]:
        """The replaced text and a map from offsets in ``text`` to offsets in it."""
        reps = self.replacements(text)
        return _apply(text, reps), OffsetMap(reps)


def _apply(text: str, replacements: Sequence[Replacement]) -> str:
    parts, last = [], 0
    for r in replacements:
        parts += [text[last:r.start], r.new]
        last = r.end
    parts.append(text[last:])
    return "".join(parts)


class OffsetMap:
    """Maps a code-point offset in the original text to the pseudonymised text.

    An offset inside a replaced span goes to the start of its placeholder (a selection
    start) or to its end (a selection end), so a selection never cuts a placeholder.
    """

    def __init__(self, replacements: Sequence[Replacement]):
        self.replacements = list(replacements)

    def start(self, offset: int) -> int:
        return self._map(offset, at_end=False)

    def end(self, offset: int) -> int:
        return self._map(offset, at_end=True)

    def _map(self, offset: int, *, at_end: bool) -> int:
        shift = 0
        for r in self.replacements:
            if offset <= r.start:
                break
            if offset < r.end:
                return r.new_end if at_end else r.new_start
            shift = r.new_end - r.end
        return offset + shift


# ==== qualcode/privacy/key.py and terms.py at 0e7beb4: _new_entries and the placeholders it numbers ===========
from typing import Callable  # noqa: E402

from qualcode.store.privacy import KeyEntry  # noqa: E402
from qualcode.privacy.terms import label  # noqa: E402


def _fold(term: str) -> str:  # qualcode.store.privacy.fold
    return " ".join(term.split()).casefold()


LETTERED = ("school",)


def numbered(kind: str, language: str, taken: Iterable[str]) -> str:
    """The next free placeholder of ``kind``: [Leerling 3] after [Leerling 1] and [Leerling 2], [School C]."""
    word = label(kind, language)
    used = set(taken)
    n = 1
    while True:
        suffix = _letters(n) if kind in LETTERED else str(n)
        candidate = f"[{word} {suffix}]"
        if candidate not in used:
            return candidate
        n += 1


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def _new_entries(entries: list[KeyEntry], detection: Detection, lang: str,
                 school_of_case: Callable[[Iterable[str]], str | None] = lambda terms: None,
                 taken_by_cases: Iterable[str] = ()) -> list[KeyEntry]:
    have = {_fold(e.term) for e in entries}
    taken = {e.placeholder for e in entries} | set(taken_by_cases)
    out: list[KeyEntry] = []
    for f in sorted((f for f in detection.findings if f.sure), key=lambda f: (f.document, f.start)):
        terms = [f.text, *f.parts]
        known = next((e.placeholder for e in [*entries, *out] if _fold(e.term) in
                      {_fold(t) for t in terms}), None)
        placeholder = known or (school_of_case(terms) if f.kind == "school" else None) \
            or numbered(f.kind, lang, taken)
        taken.add(placeholder)
        for t in terms:
            if _fold(t) not in have:
                have.add(_fold(t))
                out.append(KeyEntry(t, placeholder, f.kind, "detected"))
    return out
