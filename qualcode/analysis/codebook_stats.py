"""How well the codebook's keyword rules serve the coders, and which words they miss.

Three views, all from the store:

* **rules**: per keyword rule (the ``rule`` of each match in the keyword
  suggestions' evidence, such as ``word:werkdruk``, ``cue:zorgen`` or
  ``decrease:minder``), on how many segments it fired and how often the coder kept
  what it suggested: for a code rule (kind ``aspect``) the code, for a direction
  cue (``cue:``, ``increase:``, ``decrease:``) the code with the direction it
  pointed to. Its precision
  is accepted / (accepted + rejected) over the segments the coder decided
  (without ``--coder``, each human coder's decision on a segment counts once).
* **recall gaps**: per code, the segments where the coder applied the code but no
  keyword rule had suggested it.
* **candidate keywords** for those gaps: lemmas frequent in the gap segments and
  rare in the segments decided without the code, ranked by the log-odds ratio
  with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin'
  words"), as a z-score. Stop words and words the code's rules already cover are
  left out.
"""
from __future__ import annotations

import fnmatch
import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from qualcode.store.codings import coders as all_coders
from qualcode.store.codings import decided_segments, decisions_for, suggestions_for
from qualcode.coding.codebook import stored_codebook_or_none
from qualcode.errors import NotFoundError
from qualcode.records import Evidence, EvidenceMatch, split_rule

if TYPE_CHECKING:  # pragma: no cover - typing only
    from qualcode.store import Store

PRIOR_SIZE = 100.0  # alpha_0 of the Dirichlet prior: how many pseudo-tokens the background is worth
MIN_SEGMENTS = 2  # a candidate must occur in at least this many gap segments
MIN_Z = 1.96
EXAMPLES = 5
CANDIDATES = 10


@dataclass(frozen=True)
class RuleStats:
    code: str
    rule: str  # e.g. 'word:werkdruk', 'compound:werkdruk*', 'phrase:tijd besparen', 'cue:minder'
    kind: str  # 'code' (the rule suggests the code) or 'cue' (it suggests the direction)
    fired: int  # segments on which it fired
    decided: int  # of those, decided by the coder(s)
    accepted: int
    rejected: int

    @property
    def precision(self) -> float | None:
        return self.accepted / self.decided if self.decided else None


@dataclass(frozen=True)
class Candidate:
    lemma: str
    z: float  # log-odds ratio / its standard deviation (Monroe et al. 2008)
    log_odds: float
    gap_segments: int  # gap segments that contain it
    other_segments: int  # segments decided without the code that contain it


@dataclass(frozen=True)
class RecallGap:
    code: str
    coded: int  # segments the coder(s) applied the code to
    without_keyword: int  # of those, where no keyword rule suggested the code
    examples: tuple[int, ...]  # segment ids
    candidates: tuple[Candidate, ...]

    @property
    def keyword_recall(self) -> float | None:
        return (self.coded - self.without_keyword) / self.coded if self.coded else None


@dataclass(frozen=True)
class CodebookStats:
    coders: tuple[str, ...]
    rules: tuple[RuleStats, ...]
    gaps: tuple[RecallGap, ...]


def _rule_kind(match: EvidenceMatch) -> str:
    """'code' for a rule that suggests the code (kind 'aspect'), 'cue' for one that gives the direction."""
    return "cue" if match.is_cue else "code"


def codebook_stats(store: "Store", coder: str | None = None) -> CodebookStats:
    """Rule precision, recall gaps and candidate keywords, from ``coder``'s decisions (or every human coder's)."""
    con = store.con
    names = [coder] if coder else list(all_coders(con))
    if coder and coder not in all_coders(con):
        raise NotFoundError(f"coder {coder!r} has decided nothing; the coders are: {', '.join(all_coders(con)) or 'none yet'}")
    decided = {name: decided_segments(con, name) for name in names}
    accepted: dict[str, set[tuple[int, str, str]]] = {name: set() for name in names}
    for name in names:
        for r in decisions_for(con, name):
            if r.status == "accepted":
                accepted[name].add((r.segment_id, r.code, r.direction))
    accepted_code = {name: {(s, c) for s, c, _ in rows} for name, rows in accepted.items()}

    # rule -> code -> segment -> directions it pointed to
    fired: dict[tuple[str, str, str], dict[int, set[str]]] = {}
    suggested_codes: set[tuple[int, str]] = set()
    for r in suggestions_for(con, origin="keyword"):
        suggested_codes.add((r.segment_id, r.code))
        for match in Evidence.from_json(r.evidence).matches:
            rule = match.rule
            if not rule:
                continue
            kind = _rule_kind(match)
            # a cue's own kind is the direction it pointed to; the suggestion's direction may combine several
            direction = match.kind if match.kind in ("opportunity", "risk") else r.direction
            fired.setdefault((r.code, rule, kind), {}).setdefault(r.segment_id, set()).add(direction)

    rules = []
    for (code, rule, kind), segments in fired.items():
        n_decided = n_accepted = 0
        for sid, directions in segments.items():
            for name in names:
                if sid not in decided[name]:
                    continue
                n_decided += 1
                if kind == "code":
                    ok = (sid, code) in accepted_code[name]
                else:
                    ok = any((sid, code, d) in accepted[name] for d in directions)
                n_accepted += ok
        rules.append(RuleStats(code, rule, kind, len(segments), n_decided, n_accepted, n_decided - n_accepted))
    rules.sort(key=lambda r: (r.code, r.kind, -r.fired, r.rule))

    gaps = _recall_gaps(store, names, decided, accepted_code, suggested_codes, fired)
    return CodebookStats(tuple(names), tuple(rules), tuple(gaps))


def _recall_gaps(store: "Store", names: Sequence[str], decided: Mapping[str, set[int]],
                 accepted_code: Mapping[str, set[tuple[int, str]]], suggested: set[tuple[int, str]],
                 fired: Mapping[tuple[str, str, str], Any]) -> list[RecallGap]:
    coded: dict[str, set[int]] = {}
    for name in names:
        for sid, code in accepted_code[name]:
            coded.setdefault(code, set()).add(sid)
    if not coded:
        return []
    all_decided = set().union(*decided.values()) if decided else set()
    codebook = stored_codebook_or_none(store)
    order = [c.id for c in codebook.codes] if codebook is not None else []
    codes = [c for c in order if c in coded] + sorted(set(coded) - set(order))

    gap_ids = {code: sorted(s for s in coded[code] if (s, code) not in suggested) for code in codes}
    needed = set(all_decided)
    lemmas = _lemmas(store, sorted(needed), codebook.language if codebook is not None else "nl")

    out = []
    for code in codes:
        gaps = gap_ids[code]
        candidates: tuple[Candidate, ...] = ()
        if gaps:
            others = [s for s in all_decided if s not in coded[code] and s in lemmas]
            covered = _covered_by_rules(codebook, code, [rule for (c, rule, kind) in fired if c == code and kind == "code"])
            candidates = tuple(candidate_keywords([lemmas[s] for s in gaps if s in lemmas],
                                                  [lemmas[s] for s in others], exclude=covered))
        out.append(RecallGap(code, len(coded[code]), len(gaps), tuple(gaps[:EXAMPLES]), candidates))
    return out


def _lemmas(store: "Store", segment_ids: Sequence[int], language: str) -> dict[int, list[str]]:
    """Content-word lemmas per segment (no stop words, punctuation, numbers or one/two-letter words)."""
    from qualcode.coding.nlp import build_pipeline

    nlp = build_pipeline(language)
    segments = [s for s in store.segments(ids=list(segment_ids)) if s.to_code]
    out = {}
    for segment, doc in zip(segments, nlp.pipe(s.text for s in segments)):
        out[segment.id] = [
            (t.lemma_ or t.lower_).lower() for t in doc
            if t.is_alpha and not t.is_stop and len(t.text) > 2 and (t.lemma_ or t.lower_).lower() not in nlp.Defaults.stop_words
        ]
    return out


def _covered_by_rules(codebook: Any, code: str, rules: Iterable[str]) -> list[str]:
    """Patterns (words, or compounds with '*') that the code's rules already match."""
    patterns: list[str] = []
    if codebook is not None and code in codebook.code_ids:  # else: its rules from the evidence suffice
        keywords = codebook.code(code).keywords
        patterns += [*keywords.words, *keywords.compounds, *keywords.opposite_valence]
        patterns += [w for phrase in keywords.phrases for w in phrase.split()]
    for rule in rules:
        _, pattern = split_rule(rule)
        patterns += pattern.split() if " " in pattern else [pattern]
    return [p.lower() for p in patterns if p]


def _is_covered(lemma: str, patterns: Sequence[str]) -> bool:
    for p in patterns:
        if "*" in p:
            if fnmatch.fnmatchcase(lemma, p):
                return True
        elif lemma == p:
            return True
    return False


def candidate_keywords(target: Sequence[Sequence[str]], background: Sequence[Sequence[str]], *,
                       exclude: Sequence[str] = (), prior_size: float = PRIOR_SIZE, min_segments: int = MIN_SEGMENTS,
                       min_z: float = MIN_Z, limit: int = CANDIDATES) -> list[Candidate]:
    """Lemmas over-represented in ``target`` segments against ``background`` segments.

    Log-odds ratio with an informative Dirichlet prior (Monroe et al. 2008, eq. 16-22):
    the prior is the pooled frequency of each word scaled to ``prior_size``
    pseudo-counts; a word is ranked by its z-score and kept when it is at least
    ``min_z`` and occurs in at least ``min_segments`` target segments.
    """
    y_i = Counter(w for seg in target for w in seg)
    y_j = Counter(w for seg in background for w in seg)
    df_i = Counter(w for seg in target for w in set(seg))
    df_j = Counter(w for seg in background for w in set(seg))
    n_i, n_j = sum(y_i.values()), sum(y_j.values())
    pooled = y_i + y_j
    total = n_i + n_j
    if not n_i or not total:
        return []
    a0 = prior_size
    out = []
    for word, count in y_i.items():
        if df_i[word] < min(min_segments, len(target)) or _is_covered(word, exclude):
            continue
        a_w = a0 * pooled[word] / total
        if n_i + a0 - count - a_w <= 0 or n_j + a0 - y_j[word] - a_w <= 0:
            continue  # the word is (nearly) all there is: no odds to compare
        d = (math.log((count + a_w) / (n_i + a0 - count - a_w))
             - math.log((y_j[word] + a_w) / (n_j + a0 - y_j[word] - a_w)))
        variance = 1.0 / (count + a_w) + 1.0 / (y_j[word] + a_w)
        z = d / math.sqrt(variance)
        if z >= min_z:
            out.append(Candidate(word, z, d, df_i[word], df_j[word]))
    out.sort(key=lambda c: (-c.z, c.lemma))
    return out[:limit]
