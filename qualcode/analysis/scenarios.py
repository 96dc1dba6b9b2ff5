"""The scenario draft: per aspect and direction, the facts a report's "Scenario's per aspect" is written from.

For each aspect × direction of one scope (a study, or the pooled studies) a
:class:`Scenario` holds the matrix cell (segments, cases, share), the same cell per group
(role by default), the recurring themes of its passages (the aspect keywords matched most
often, counted per segment, or the sub-codes where the codebook has them), the cells coded
together with it, and two or three quotes from different cases. Nothing here is worded:
:mod:`qualcode.outputs` writes the paragraph skeletons in the codebook's language.

Every text that leaves (the themes' matched words, the quotes) is held in these records,
inside the :class:`~qualcode.analysis.results.Analysis`, so that a transform of the
analysis (pseudonymisation) reaches the scenario draft too; renderers do not read the store.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from qualcode.records import Evidence

if TYPE_CHECKING:
    from qualcode.analysis.passages import Pair, Passage

# results.py builds the draft (and imports this module), so its Cell and Matrix are not imported here
Cell = Any  # qualcode.analysis.results.Cell
Matrix = Any  # qualcode.analysis.results.Matrix

QUOTES = 3  # quotes per scenario, each from another case
THEMES = 5  # recurring themes shown per scenario
MIN_THEME_SEGMENTS = 2  # a theme recurs: it is matched in at least this many segments
DIRECTIONS = ("opportunity", "risk")  # the directions a scenario is written for ('none' has no scenario)


@dataclass(frozen=True)
class Theme:
    """A recurring theme of a cell's passages: a matched keyword (its most frequent form) or a sub-code."""

    text: str  # the matched words as said (lower case), or the sub-code's id
    segments: int  # in how many of the cell's segments it occurs
    kind: str = "keyword"  # 'keyword' or 'subcode'


@dataclass(frozen=True)
class Together:
    """Another aspect × direction coded on the same segments as this one."""

    code: str
    direction: str
    segments: int
    cases: int


@dataclass(frozen=True)
class Scenario:
    """One aspect × direction of one scope: the figures, the groups, the themes, the quotes."""

    code: str
    direction: str
    cell: Cell
    by: str | None  # the attribute of ``groups`` (role by default)
    groups: tuple[tuple[str, Cell], ...]  # (group value, its cell): the same counting as the matrix by group
    themes: tuple[Theme, ...]
    keyword_segments: int  # of the cell's segments, how many carry matched keywords (the themes' base)
    together: tuple[Together, ...]
    quotes: tuple["Passage", ...]  # from different cases, spread over the groups


def _pattern_key(pattern: str) -> str:
    return pattern.strip("*").lower()


def themes_of(passages: Sequence["Passage"], evidence: dict[tuple[int, str, str], str]) -> tuple[
        tuple[Theme, ...], int]:
    """The aspect keywords matched most often in ``passages`` (counted once per segment) and how many carry any."""
    per_rule: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    with_keywords = 0
    any_direction: dict[tuple[int, str], str] = {}
    for (segment_id, code, _), value in evidence.items():
        any_direction.setdefault((segment_id, code), value)
    for p in passages:
        # a direction changed by a coder: the evidence of the code's suggestion in the other direction
        raw = evidence.get((p.segment_id, p.code, p.direction)) or any_direction.get((p.segment_id, p.code))
        found = Evidence.from_json(json.loads(raw)) if raw else Evidence()
        rules: dict[str, str] = {}
        for m in found.matches:
            if m.is_aspect and (m.code in (None, p.code)):
                rules.setdefault(_pattern_key(m.pattern or m.text), " ".join(m.text.lower().split()))
        if rules:
            with_keywords += 1
        for key, form in rules.items():
            per_rule[key] += 1
            forms.setdefault(key, Counter())[form] += 1
    ranked = sorted(per_rule.items(), key=lambda kv: (-kv[1], kv[0]))
    themes = tuple(Theme(forms[key].most_common(1)[0][0], n) for key, n in ranked if n >= MIN_THEME_SEGMENTS)
    return themes[:THEMES], with_keywords


def subcode_themes(codebook: Any, code: str, direction: str, codings_df: Any) -> tuple[Theme, ...]:
    """The sub-codes of ``code`` coded in this direction, most segments first (when the codebook has them)."""
    children = [c.id for c in getattr(codebook, "codes", ()) if getattr(c, "parent", None) == code]
    if not children or not len(codings_df):
        return ()
    rows = codings_df[(codings_df["code"].isin(children)) & (codings_df["direction"] == direction)]
    counts = rows.groupby("code")["segment_id"].nunique()
    ranked = sorted(((str(c), int(n)) for c, n in counts.items()), key=lambda kv: (-kv[1], kv[0]))
    return tuple(Theme(c, n, "subcode") for c, n in ranked[:THEMES])


def _together(code: str, direction: str, pairs: Iterable["Pair"]) -> tuple[Together, ...]:
    out = []
    for p in pairs:
        if p.first == (code, direction):
            out.append(Together(p.second[0], p.second[1], p.segments, p.cases))
        elif p.second == (code, direction):
            out.append(Together(p.first[0], p.first[1], p.segments, p.cases))
    recurring = (t for t in out if t.segments >= MIN_THEME_SEGMENTS)
    return tuple(sorted(recurring, key=lambda t: (-t.segments, -t.cases))[:3])


def scenario_quotes(passages: Sequence["Passage"], max_chars: int = 300, n: int = QUOTES) -> tuple["Passage", ...]:
    """Up to ``n`` quotes of a cell, each from another case, spread over the groups (see ``choose_quotes``)."""
    from qualcode.analysis.passages import choose_quotes

    picked, cases = [], set()
    for p in choose_quotes(passages, len(passages), max_chars):
        if p.case_key not in cases:
            picked.append(p)
            cases.add(p.case_key)
        if len(picked) == n:
            break
    return tuple(picked)


def scenario_draft(matrix: Matrix, groups: Matrix | None, passages: Sequence["Passage"],
                   pairs: Sequence["Pair"], evidence: dict[tuple[int, str, str], str], codebook: Any,
                   codings_df: Any, max_chars: int = 300) -> tuple[Scenario, ...]:
    """The scenarios of one scope: per aspect of ``matrix`` and direction (opportunity, risk) one :class:`Scenario`.

    ``groups``: the same selection counted per group (the matrix by role); its cells are the
    groups' figures, so they equal the matrix by group. ``passages`` are the scope's passages.
    """
    out = []
    for code in matrix.codes:
        for direction in DIRECTIONS:
            if direction not in matrix.directions:
                continue
            cell_passages = [p for p in passages if p.code == code and p.direction == direction]
            themes = subcode_themes(codebook, code, direction, codings_df)
            keyword_segments = 0
            if not themes:
                themes, keyword_segments = themes_of(cell_passages, evidence)
            group_cells: tuple[tuple[str, Cell], ...] = ()
            if groups is not None:
                group_cells = tuple((g, groups.cell(code, direction, g)) for g in groups.groups)
            out.append(Scenario(
                code=code, direction=direction, cell=matrix.cell(code, direction),
                by=groups.by if groups is not None else None, groups=group_cells, themes=themes,
                keyword_segments=keyword_segments, together=_together(code, direction, pairs),
                quotes=scenario_quotes(cell_passages, max_chars)))
    return tuple(out)
