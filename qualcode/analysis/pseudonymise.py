"""A pseudonymised copy of an :class:`~qualcode.analysis.results.Analysis`, for outputs that leave the project.

Every text a reader sees goes through the project's replacer (:mod:`qualcode.privacy`):
quotes, passages with their question and memos, the coded segments' text and speaker,
document names, the scenario draft's quotes and themes. Case attributes that hold personal data (the same column names the
import holds back: e-mail, IP address, phone, names, location) are left out unless kept
on purpose. Counts are untouched; the analysis the copy was made from is not changed.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterable

from qualcode.ingest.importers.survey import personal_data

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.analysis.passages import Passage
    from qualcode.analysis.results import Analysis
    from qualcode.privacy import Replacer

_TEXT_COLUMNS = ("text", "question", "speaker", "document")


def personal_columns(names: Iterable[str], keep: Iterable[str] = ()) -> set[str]:
    """The attribute names that hold personal data (by the import's rules), less those kept on purpose."""
    kept = {k.casefold() for k in keep}
    return {n for n in names if n.casefold() not in kept and personal_data(n) is not None}


def _passage(p: "Passage", r: "Replacer") -> "Passage":
    return replace(p, document=r.replace(p.document), text=r.replace(p.text), excerpt=r.replace(p.excerpt),
                   question=r.replace(p.question) if p.question else p.question,
                   memos=tuple((coder, r.replace(memo)) for coder, memo in p.memos))


def _frame(df: "pd.DataFrame | None", r: "Replacer", drop: set[str]) -> "pd.DataFrame | None":
    if df is None:
        return None
    out = df.drop(columns=[c for c in df.columns if c in drop]).copy()
    for column in _TEXT_COLUMNS:
        if column in out.columns:
            replaced: dict[str, str] = {}  # documents, speakers and a segment's text recur: each replaced once
            out[column] = [(replaced.get(v) or replaced.setdefault(v, r.replace(v))) if isinstance(v, str) else v
                           for v in out[column].tolist()]
    out.attrs = dict(df.attrs)
    return out


def pseudonymise(analysis: "Analysis", replacer: "Replacer", *, keep_columns: Iterable[str] = ()) -> "Analysis":
    """A copy of ``analysis`` with every text replaced and personal-data attributes left out."""
    keep = tuple(keep_columns)
    drop = personal_columns([*analysis.case_attributes, *analysis.codings.columns], keep)
    passages = {id(p): _passage(p, replacer) for p in analysis.passages}
    quotes = tuple(replace(q, passage=passages.get(id(q.passage)) or _passage(q.passage, replacer))
                   for q in analysis.quotes)
    attrs = [i for i, a in enumerate(analysis.case_attributes) if a not in drop]
    cases = tuple(replace(c, attributes=tuple(c.attributes[i] for i in attrs)) for c in analysis.cases)
    codings = _frame(analysis.codings, replacer, drop)
    assert codings is not None
    scenarios = tuple(
        replace(s, quotes=tuple(passages.get(id(p)) or _passage(p, replacer) for p in s.quotes),
                themes=tuple(replace(t, text=replacer.replace(t.text)) for t in s.themes))
        for s in analysis.scenarios)
    return replace(
        analysis, codings=codings, quotes=quotes, quotes_table=_frame(analysis.quotes_table, replacer, drop),
        presence=_frame(analysis.presence, replacer, drop),
        case_attributes=tuple(analysis.case_attributes[i] for i in attrs), cases=cases,
        passages=tuple(passages[id(p)] for p in analysis.passages), scenarios=scenarios,
        memos={sid: tuple((coder, replacer.replace(memo)) for coder, memo in memos)
               for sid, memos in analysis.memos.items()},
        parts=tuple(pseudonymise(part, replacer, keep_columns=keep) for part in analysis.parts))
