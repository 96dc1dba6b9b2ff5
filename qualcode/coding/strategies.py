"""The named coding strategies. Every machine suggestion and stored model carries the name
of the strategy that made it, so a changed strategy gets a new name (``keywords.v2``)."""
from __future__ import annotations

from dataclasses import dataclass

from qualcode.errors import UsageError

KEYWORDS = "keywords.v1"
TFIDF_LOGREG = "tfidf-logreg.v1"


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    module: str  # the module that implements it


STRATEGIES = {s.name: s for s in (
    Strategy(KEYWORDS, "the codebook's keyword rules: words, compounds, phrases, direction cues, negation",
             "qualcode.coding.keywords"),
    Strategy(TFIDF_LOGREG, "a logistic regression on TF-IDF features per code, trained on a coder's decisions",
             "qualcode.coding.learn"),
)}


def strategy(name: str) -> Strategy:
    """The strategy called ``name``; UsageError listing the known names if there is none."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise UsageError(f"unknown strategy {name!r}; the known strategies are: {', '.join(STRATEGIES)}") from None
