"""The project's pseudonymisation key: brought up to date, turned into a replacer, checked before release.

:func:`pseudonymiser` is what every export calls: it adds the names of the cases file and
the names the detector is sure of to the key (so a name keeps its placeholder in every
later export and across documents), and returns a :class:`~.replace.Replacer` over the
whole key. :func:`check` is ``qualcode privacy check``: what would be replaced, how often,
an example in context, what the detector is unsure of and which capitalised words it left
alone. The key itself stays in the project file.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from qualcode.errors import ProjectReadOnlyError, UsageError
from qualcode.privacy import detect as _detect
from qualcode.privacy import terms as _terms
from qualcode.privacy.replace import Replacer
from qualcode.store import privacy as stored

if TYPE_CHECKING:
    from qualcode.store import Store


def language(store: "Store") -> str:
    """The codebook's language (placeholders follow it); Dutch before a codebook is loaded."""
    return stored.codebook_language(store.con, store.meta("codebook_version")) or "nl"


def speaker_names(store: "Store") -> list[_terms.SpeakerName]:
    """Every speaker label of the project, and whether it is treated as a person's name."""
    first = set(_detect.name_lists()[0])  # (once: a project may have thousands of speakers)
    out = []
    for speaker, case_id, pseudonym, _role in stored.speaker_cases(store.con):
        is_name, why = _terms.is_person_name(speaker, first)
        out.append(_terms.SpeakerName(speaker, case_id, pseudonym, is_name, why))
    return out


def _texts(store: "Store", study: str | None = None) -> list[tuple[str, str]]:
    docs = [(name, text) for _, name, text in stored.document_texts(store.con, study)]
    memos = stored.memo_texts(store.con) if study is None else []
    return docs + ([("memos", "\n\n".join(memos))] if memos else [])


def _words(text: str) -> str:
    """' het kompas ' from 'teamsessie-Het-Kompas.docx' or 'Het Kompas': folded words between spaces."""
    return " " + " ".join(re.findall(r"[^\W_]+", stored.fold(text))) + " "


def case_schools(document_cases: Iterable[tuple[str, tuple[str, ...]]]) -> Callable[[Iterable[str]], str | None]:
    """A school named in the file name of one case's documents ('teamsessie-het-kompas.docx' of 'Team school
    B') is that case: its placeholder is the case's pseudonym, '[Team school B]', in the text and the document
    name alike. The returned function gives it for a school's names, or None (no such file name, or the
    file names of two different cases name it)."""
    names = [(_words(name), cases[0]) for name, cases in document_cases if len(cases) == 1]

    def placeholder(terms: Iterable[str]) -> str | None:
        found = {case for term in terms if len(_words(term)) > 3 for name, case in names if _words(term) in name}
        return f"[{found.pop()}]" if len(found) == 1 else None

    return placeholder


def _taken_by_cases(pseudonyms: Iterable[str]) -> set[str]:
    """The numbered placeholders a case pseudonym seems to use ('Team school A' uses '[School A]'), so that a
    detected school does not get the letter of another case's school."""
    out = set()
    for pseudonym in pseudonyms:
        m = re.search(r"(?i)\b(school|leerling|pupil|collega|colleague)\s+(\w+)$", pseudonym)
        if m:
            out.add(f"[{m.group(1).capitalize()} {m.group(2).upper() if m.group(2).isalpha() else m.group(2)}]")
    return out


def _new_entries(entries: list[stored.KeyEntry], detection: _detect.Detection, lang: str,
                 school_of_case: Callable[[Iterable[str]], str | None] = lambda terms: None,
                 taken_by_cases: Iterable[str] = ()) -> list[stored.KeyEntry]:
    taken = {e.placeholder for e in entries} | set(taken_by_cases)
    out: list[stored.KeyEntry] = []
    # A finding takes the placeholder of the first entry (the stored ones, then the new ones in order) that
    # holds one of its terms: per folded term, the position and placeholder of its first entry (a term
    # already there gets no new entry).
    first: dict[str, tuple[int, str]] = {}
    for i, e in enumerate(entries):
        first.setdefault(stored.fold(e.term), (i, e.placeholder))
    next_number: dict[str, int] = {}  # per kind, where the search for a free number starts (taken only grows)
    for f in sorted((f for f in detection.findings if f.sure), key=lambda f: (f.document, f.start)):
        terms = [f.text, *f.parts]
        folds = [stored.fold(t) for t in terms]
        holding = [first[x] for x in folds if x in first]
        known = min(holding)[1] if holding else None
        placeholder = known or (school_of_case(terms) if f.kind == "school" else None)
        if not placeholder:
            placeholder, next_number[f.kind] = _terms.free_number(f.kind, lang, taken, next_number.get(f.kind, 1))
        taken.add(placeholder)
        for t, folded in zip(terms, folds):
            if folded not in first:
                first[folded] = (len(entries) + len(out), placeholder)
                out.append(stored.KeyEntry(t, placeholder, f.kind, "detected"))
    return out


# Changes whenever the detector or its name lists could find something else in the same texts.
DETECTOR_VERSION = "1"


def _fingerprint(texts: list[tuple[str, str]], lang: str, allowed: Iterable[str], entries: list[stored.KeyEntry],
                 document_cases: list[tuple[str, tuple[str, ...]]], pseudonyms: Iterable[str]) -> str:
    """Everything the detector's new entries depend on, as one hash."""
    digest = hashlib.sha256()
    lists = _detect.name_lists()  # (the name lists come with an installed package: a new version may differ)
    head = [DETECTOR_VERSION, [len(x) for x in lists[:4]], bool(lists[4]), lang, sorted(allowed),
            sorted((e.term, e.placeholder, e.kind) for e in entries),
            [[name, list(cases)] for name, cases in document_cases], sorted(pseudonyms)]
    digest.update(json.dumps(head, ensure_ascii=False).encode("utf-8"))
    for name, text in texts:
        digest.update(f"\0{len(name)}:{name}{len(text)}:".encode("utf-8"))
        digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _pending_entries(store: "Store", *, detect: bool) \
        -> tuple[list[stored.KeyEntry], list[stored.KeyEntry], str | None]:
    """The stored key, what is new (the cases file's names and the detector's sure findings), and, when the
    detector found nothing new, the fingerprint of this state.

    Detecting names reads every text of the project (seconds per million words, on every export). It is
    deterministic, so a state (texts, key, allowed words, cases) in which it found nothing new gives nothing
    new again: that state's fingerprint is kept, and while it holds the detector is not run again. A state
    in which it did add names is not kept (with the new names known, the next run may still find more).
    """
    lang = language(store)
    allowed = stored.allowed_terms(store.con)
    skip = {stored.fold(a) for a in allowed}
    entries = list(stored.key_entries(store.con))
    have = {stored.fold(e.term) for e in entries}
    new: list[stored.KeyEntry] = []
    for entry in _terms.respondent_entries(speaker_names(store)):
        if stored.fold(entry.term) not in skip and stored.fold(entry.term) not in have:
            have.add(stored.fold(entry.term))
            new.append(entry)
    if not detect:
        return entries, new, None
    texts = _texts(store)  # inside the caller's transaction: what is scanned is what the fingerprint says
    document_cases = stored.document_cases(store.con)
    pseudonyms = stored.case_pseudonyms(store.con)
    fingerprint = None
    if not new:
        fingerprint = _fingerprint(texts, lang, allowed, entries, document_cases, pseudonyms)
        if fingerprint == stored.scanned_state(store.con):
            return entries, new, fingerprint
    detection = _detect.detect(texts, known=[e.term for e in entries + new], allowed=allowed)
    new += [e for e in _new_entries(entries + new, detection, lang, case_schools(document_cases),
                                    _taken_by_cases(pseudonyms))
            if stored.fold(e.term) not in have]
    return entries, new, (fingerprint if not new else None)


def update_key(store: "Store", *, detect: bool = True) -> int:
    """Add the cases file's names and the detector's sure findings to the key; how many terms were added."""
    with store.transaction() as con:
        _, new, fingerprint = _pending_entries(store, detect=detect)
        if fingerprint is not None and fingerprint != stored.scanned_state(con):
            stored.set_scanned_state(con, fingerprint)
        return sum(stored.add_entry(con, entry) for entry in new)


def _key_in_memory(store: "Store", *, detect: bool) -> dict[str, str]:
    """What :func:`update_key` would store, without writing: the stored key plus the new terms."""
    entries, new, _ = _pending_entries(store, detect=detect)
    return {e.term: e.placeholder for e in entries + new}


def common_words(store: "Store", texts: list[tuple[str, str]] | None = None) -> set[str]:
    """Words that are names only with a capital in this project (they occur in lower case in its texts)."""
    texts = _texts(store)  # inside the caller's transaction: what is scanned is what the fingerprint says
    return _detect.lowercase_vocabulary(t for _, t in texts) | set(_detect.name_lists()[3])


def pseudonymiser(store: "Store", *, detect: bool = True) -> Replacer:
    """The key brought up to date, as a replacer: what every export runs its text through."""
    try:
        update_key(store, detect=detect)
        key = {e.term: e.placeholder for e in stored.key_entries(store.con)}
    except ProjectReadOnlyError:
        # A project that cannot be written (a copy on a read-only share) can still be exported: the
        # new names get their placeholders for this export only. They are derived from the stored key
        # and the project's texts in a fixed order, so the next export of the same project gives the same.
        key = _key_in_memory(store, detect=detect)
    return Replacer(key, common_words=common_words(store), allowed=stored.allowed_terms(store.con))


# -- the researcher's terms -------------------------------------------------------------------------
def add_terms(store: "Store", terms: Iterable[str], *, placeholder: str | None = None, kind: str = "person") -> \
        list[stored.KeyEntry]:
    """Add names to the key (a researcher's list); without ``placeholder`` each gets the next free one of ``kind``."""
    if kind not in _terms.LABELS["en"]:
        raise UsageError(f"unknown kind {kind!r}; choose one of {', '.join(_terms.LABELS['en'])}")
    lang = language(store)
    out = []
    with store.transaction() as con:
        entries = stored.key_entries(con)
        taken = {e.placeholder for e in entries}
        for term in terms:
            term = " ".join(term.split())
            if not term:
                continue
            if placeholder is not None and not (placeholder.startswith("[") and placeholder.endswith("]")):
                raise UsageError(f"--as {placeholder!r}: write the placeholder in square brackets, e.g. "
                                 f"--as \"[School A]\"")
            chosen = placeholder or _terms.numbered(kind, lang, taken)
            taken.add(chosen)
            entry = stored.KeyEntry(term, chosen, kind, "added")
            stored.add_entry(con, entry, replace=True)
            stored.disallow_term(con, term)  # a name added on purpose is no longer allowed through
            out.append(entry)
    return out


def allow(store: "Store", terms: Iterable[str]) -> list[str]:
    """Let words through that are no names ("Kennisnet"): the detector leaves them, the key forgets them."""
    out = []
    with store.transaction() as con:
        for term in terms:
            term = " ".join(term.split())
            if term:
                stored.allow_term(con, term)
                out.append(term)
    return out


def key(store: "Store") -> list[stored.KeyEntry]:
    return stored.key_entries(store.con)


# -- privacy check ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Occurrence:
    term: str
    placeholder: str
    kind: str
    source: str
    count: int
    example: str  # the first occurrence in context, already pseudonymised around it
    document: str


@dataclass(frozen=True)
class Unsure:
    text: str
    kind: str
    count: int
    example: str
    document: str
    why: str


@dataclass(frozen=True)
class PrivacyCheck:
    study: str | None
    replaced: tuple[Occurrence, ...]
    unsure: tuple[Unsure, ...]
    left_alone: tuple[Unsure, ...]
    speakers_not_names: tuple[_terms.SpeakerName, ...]
    lists_available: bool
    documents: int


def _context(text: str, start: int, end: int, width: int = 45) -> str:
    a, b = max(0, start - width), min(len(text), end + width)
    snippet = " ".join(text[a:b].split())
    return ("…" if a else "") + snippet + ("…" if b < len(text) else "")


def check(store: "Store", *, study: str | None = None) -> PrivacyCheck:
    """What the exports would replace (the key brought up to date first), and what a researcher should look at."""
    store.check_study(study)
    replacer = pseudonymiser(store)
    entries = {stored.fold(e.term): e for e in stored.key_entries(store.con)}
    docs = _texts(store, study)
    counts: Counter[str] = Counter()
    examples: dict[str, tuple[str, str]] = {}
    for name, text in docs:
        new_text, offsets = replacer.replace_with_offsets(text)
        for r in offsets.replacements:
            folded = stored.fold(r.term)
            counts[folded] += 1
            if folded not in examples:
                a, b = max(0, r.new_start - 45), min(len(new_text), r.new_end + 45)
                snippet = " ".join((new_text[a:r.new_start] + f"»{r.found}« → " + new_text[r.new_start:b]).split())
                examples[folded] = (name, ("…" if a else "") + snippet + ("…" if b < len(new_text) else ""))
    replaced = tuple(sorted((Occurrence(entries[f].term, entries[f].placeholder, entries[f].kind, entries[f].source,
                                        n, examples[f][1], examples[f][0]) for f, n in counts.items() if f in entries),
                            key=lambda o: (o.placeholder, -o.count, o.term)))
    allowed = stored.allowed_terms(store.con)
    detection = _detect.detect(docs, known=[e.term for e in entries.values()], allowed=allowed)
    texts = dict(docs)
    unsure_counts: Counter[tuple[str, str]] = Counter()
    unsure_first: dict[tuple[str, str], _detect.Finding] = {}
    for f in detection.findings:
        if f.sure or stored.fold(f.text) in entries:
            continue
        k = (f.text, f.kind)
        unsure_counts[k] += 1
        unsure_first.setdefault(k, f)
    unsure = tuple(Unsure(t, kind, n, _context(texts[unsure_first[(t, kind)].document], unsure_first[(t, kind)].start,
                                               unsure_first[(t, kind)].start + len(t)),
                          unsure_first[(t, kind)].document, "a known name, but also a word here (sentence start)")
                   for (t, kind), n in unsure_counts.most_common())
    left = tuple(Unsure(w, "", n, _context(texts[detection.examples[w][0]], detection.examples[w][1],
                                           detection.examples[w][1] + len(w)),
                        detection.examples[w][0], "capitalised in mid-sentence, in no list")
                 for w, n in detection.unexplained.most_common() if stored.fold(w) not in entries)
    return PrivacyCheck(study, replaced, unsure, left, tuple(s for s in speaker_names(store) if not s.is_name),
                        detection.lists_available, len([d for d in docs if d[0] != "memos"]))
