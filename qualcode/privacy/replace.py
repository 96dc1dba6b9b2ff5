"""Replace the terms of the key in a text: longest first, whole words, once, with their inflections.

One regular expression holds every term, longest first, so that "Marieke de Vries" wins
over "Marieke" and over "de Vries" and an overlap is replaced once. A term matches as a
whole word (not inside "Daniëlle" for "Daan"), with the words of a multi-word term
separated by spaces, hyphens or underscores ("de-regenboog" in a file name), followed by
the Dutch and English inflections of a name: possessive ``s``/``'s``/``’s`` ("Daans",
"Ruben's"), kept after the placeholder ("[Leerling 1]'s"), and the diminutive
``-tje``/``-je``/``'tje`` ("Daantje"), replaced whole.

Case: multi-word terms and names whose lower-case form is no common word match in any
case ("DAAN", "daan"); a name that is also a word ("Bakker", "Roos") only with a capital
first letter, so the baker and the rose stay.
"""
from __future__ import annotations

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


def _term_parts(term: str, any_case: bool) -> tuple[str, str, str]:
    """:func:`_term_pattern` cut after its first element (the first character, or the class of its capital
    form): that element, the rest, and the characters the element names."""
    pattern = _term_pattern(term, any_case)
    word = term.split()[0]
    if not any_case and word[:1].isalpha():
        head, named = f"[{re.escape(word[0].upper())}]", word[0].upper()
    else:
        head, named = re.escape(word[0]), word[0]
    assert pattern.startswith(head)
    return head, pattern[len(head):], named


def _by_first_letter(alternatives: Sequence[tuple[str, str, str]]) -> str:
    """The alternation of ``alternatives`` (in their order), grouped by their first character, with the same
    matches: one alternation of hundreds of names is tried name by name at every offset of a text; grouped,
    a group whose first character is not there is passed over at once.

    A character that can match the first elements of two groups (case-insensitively: 'D' and '[D]', 'k' and
    the Kelvin sign) would let the group order change which name wins: such groups are one group, in which
    the names keep their order."""
    heads = list(dict.fromkeys(head for head, _, _ in alternatives))
    named = {head: chars for head, _, chars in alternatives}
    group = {head: head for head in heads}

    def root(head: str) -> str:
        while group[head] != head:
            head = group[head]
        return head

    for i, a in enumerate(heads):
        matches_a = re.compile(a, re.IGNORECASE)
        for b in heads[i + 1:]:
            matches_b = re.compile(b, re.IGNORECASE)
            if any(matches_a.fullmatch(c) for c in named[b]) or any(matches_b.fullmatch(c) for c in named[a]):
                group[root(b)] = root(a)
    members: dict[str, list[tuple[str, str]]] = {}
    for head, rest, _ in alternatives:
        members.setdefault(root(head), []).append((head, rest))
    out = []
    for names in members.values():
        runs: list[tuple[str, list[str]]] = []  # consecutive names with the same first element share it
        for head, rest in names:
            if runs and runs[-1][0] == head:
                runs[-1][1].append(rest)
            else:
                runs.append((head, [rest]))
        out.append("|".join(f"{head}(?:{'|'.join(rests)})" for head, rests in runs))
    return "|".join(f"(?:{g})" for g in out)


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
            alternatives.append(_term_parts(term, any_case))
        self._regex: re.Pattern[str] | None = None
        if alternatives:
            # (?i) per alternative is not possible in Python; case-sensitive terms carry explicit
            # capital classes and the rest is matched case-insensitively after checking below
            body = _by_first_letter(alternatives)
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
