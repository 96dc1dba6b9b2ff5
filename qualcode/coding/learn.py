"""Learning from decisions: text classifiers trained on one coder's decisions, used only where they help.

Strategy ``tfidf-logreg.v1``: per code, a model of *presence* (the coder accepted
the code on a segment vs. decided the segment without it) and a model of
*direction* (opportunity vs. risk among the coder's accepted codings of that code).
Features are word TF-IDF (1-2 grams, lower-cased) joined with character n-gram
TF-IDF (``char_wb``, 3-5), which copes with Dutch compounds and inflection
(``werkdrukverlichting``, ``leraren``); the classifier is a class-balanced logistic
regression (liblinear, dual: fast when there are far more n-grams than segments).

**Only where it helps.** The model's suggestions are added to the keyword
coder's. Per code, a threshold is chosen at which the suggestions the model
*adds* (on segments where the keywords are silent) are at least as precise as
the keywords' own suggestions (and right at least half the time); among those
thresholds, the one that gives keywords + model the best F1. A code is *used*
(``code --with-model`` adds its suggestions) only when, in cross-validation, the
added suggestions reached that precision and found at least two more coded
segments. Everything the report says comes from nested cross-validation: an outer
stratified K-fold scores every segment once with a model that never saw it, and
the choice of C and of the threshold for that fold is made by an inner
cross-validation on the outer training folds only. The final model is fitted on
all decided segments, with the C the folds chose most often and the median of
their thresholds: the settings whose effect the report measured.

**Fast.** The texts are analysed once (:mod:`qualcode.coding.features`); each
training subset's TF-IDF is matrix arithmetic on those counts, equal to fitting a
vectoriser on the subset's texts.

Models are stored in the project (table ``models``); only the newest per (code,
target) is used; its metrics record whether it is used and at which threshold.
They are pickled scikit-learn objects; loading goes through an unpickler that
admits only scikit-learn, NumPy and SciPy classes, so a project file from
elsewhere cannot run code through a crafted model.
"""
from __future__ import annotations

import io
import pickle
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from qualcode.coding.codebook import stored_codebook_or_none
from qualcode.coding.features import CorpusFeatures
from qualcode.store import models, now
from qualcode.store.models import StoredModel
from qualcode.store.codings import decided_segments, decisions_for, suggestions_for
from qualcode.errors import ModelError, UsageError
from qualcode.records import Suggestion
from qualcode.coding.strategies import TFIDF_LOGREG

if TYPE_CHECKING:  # pragma: no cover - typing only
    import numpy as np

    from qualcode.store import Store

STRATEGY = TFIDF_LOGREG
C_VALUES = (0.1, 1.0, 10.0)
INNER_FOLDS = 3
SEED = 0
MIN_PRECISION = 0.5  # added suggestions must be right at least this often, whatever the keywords reach
MIN_ADDED_HITS = 2  # and find at least this many coded segments the keywords missed
# A few hundred decisions give few added suggestions, and 4 right of 7 is not yet evidence
# of a precision of 0.57. Precisions are therefore compared at the lower end of their Wilson
# interval (z = 1.645, 95 % one-sided), the keywords' as well as the model's, so a model is
# used only where the cross-validation shows, with confidence, that what it adds is as
# precise as the keywords: 3 right of 3 added is the least that passes the 0.5 minimum,
# 4 of 5 is not enough, 6 of 7 is.
CONFIDENCE_Z = 1.645


# -- records -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Fold:
    """One outer cross-validation fold: the segments trained on, the segments scored, what was chosen."""

    train_ids: tuple[int, ...]
    test_ids: tuple[int, ...]
    params: Mapping[str, Any]  # what the inner selection chose on train_ids: C, threshold (None: add nothing)


@dataclass(frozen=True)
class ModelResult:
    """One trained (or skipped) model of a code, with its cross-validated figures."""

    code: str
    target: str  # 'presence' or 'direction'
    n: int  # segments it learned from
    n_positive: int  # presence: segments with the code; direction: coded as opportunity
    n_negative: int  # presence: decided without the code; direction: coded as risk
    precision: float | None = None  # the model alone, cross-validated (direction: macro average)
    recall: float | None = None
    f1: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    skipped: str | None = None  # why no model was trained, in words
    model_id: int | None = None
    folds: tuple[Fold, ...] = ()
    # presence only: the keywords alone, what the model adds, keywords + model; all on the same folds
    keywords: Mapping[str, Any] | None = None
    added: Mapping[str, Any] | None = None
    combined: Mapping[str, Any] | None = None
    used: bool = False  # presence: `code --with-model` adds this code's suggestions
    threshold: float | None = None  # presence: the final model's threshold when used
    verdict: str = ""  # why it is used or not, in words
    scores: Mapping[int, float] = field(default_factory=dict)  # out-of-fold probability per segment id


@dataclass(frozen=True)
class TrainingReport:
    coder: str
    codebook_version: str | None
    results: tuple[ModelResult, ...]
    notes: tuple[str, ...] = ()

    @property
    def trained(self) -> list[ModelResult]:
        return [r for r in self.results if r.skipped is None]

    @property
    def skipped(self) -> list[ModelResult]:
        return [r for r in self.results if r.skipped is not None]

    @property
    def used(self) -> list[str]:
        return [r.code for r in self.results if r.target == "presence" and r.used]

    def result(self, code: str, target: str = "presence") -> ModelResult:
        for r in self.results:
            if r.code == code and r.target == target:
                return r
        raise KeyError((code, target))


@dataclass(frozen=True)
class Explanation:
    """Why the model does or does not suggest one code for one segment."""

    code: str
    probability: float
    suggested: bool
    direction: str
    direction_probability: float | None  # P(opportunity), None without a direction model
    terms_for: tuple[tuple[str, float], ...]  # the words that pushed towards the code, strongest first
    terms_against: tuple[tuple[str, float], ...]
    threshold: float | None = None  # None: the model is not used for this code

    def __str__(self) -> str:
        if self.threshold is None:
            verdict = "not used for this code (it did not beat the keywords in cross-validation)"
        else:
            verdict = ("suggested" if self.suggested else "not suggested") + f" (threshold {self.threshold:.2f})"
        direction = "" if self.direction_probability is None else \
            f", {self.direction} (P(opportunity) = {self.direction_probability:.2f})"
        line = f"model: {self.code} p = {self.probability:.2f}, {verdict}{direction}"
        if self.terms_for:
            line += "; for: " + ", ".join(f"{t} {w:+.2f}" for t, w in self.terms_for[:5])
        if self.terms_against:
            line += "; against: " + ", ".join(f"{t} {w:+.2f}" for t, w in self.terms_against[:3])
        return line


# -- the model ---------------------------------------------------------------------------
def _classifier(C: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    # liblinear's dual solver: with tens of thousands of n-grams and a few hundred
    # segments it converges several times faster than the primal one
    return LogisticRegression(C=C, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000,
                              random_state=SEED)


def _folds(y: "np.ndarray", k: int, seed: int = SEED) -> list[tuple["np.ndarray", "np.ndarray"]]:
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def _oof(features: CorpusFeatures, rows: "np.ndarray", y: "np.ndarray", k: int,
         C_values: Sequence[float]) -> dict[float, "np.ndarray"]:
    """Out-of-fold probabilities over ``rows`` per C, from a k-fold CV on these rows only."""
    import numpy as np

    out = {C: np.full(len(rows), np.nan) for C in C_values}
    for train, test in _folds(y, k):
        fold = features.fold(rows[train])
        x_train, x_test = fold.matrix(rows[train]), fold.matrix(rows[test])
        for C in C_values:
            out[C][test] = _classifier(C).fit(x_train, y[train]).predict_proba(x_test)[:, 1]
    return out


def _inner_folds(y: "np.ndarray") -> int:
    import numpy as np

    return int(min(INNER_FOLDS, np.sum(y == 1), np.sum(y == 0)))


def precision_lower_bound(right: Any, suggested: Any, z: float = CONFIDENCE_Z) -> Any:
    """The lower end of the Wilson score interval of ``right / suggested`` (arrays or numbers; 0 where none)."""
    import numpy as np

    n = np.maximum(np.asarray(suggested, dtype=np.float64), 1e-12)
    p = np.asarray(right, dtype=np.float64) / n
    bound = (p + z * z / (2 * n) - z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
    return np.where(np.asarray(suggested) > 0, bound, 0.0)


def choose_threshold(proba: "np.ndarray", y: "np.ndarray", kw: "np.ndarray") -> tuple[float | None, float]:
    """The threshold for adding the model's suggestions to the keywords', and the F1 of the two together.

    A suggestion is added where the model's probability is at least the threshold
    and the keywords are silent. Thresholds qualify where the added suggestions,
    and the model's suggestions as a whole, are at least as precise as the keywords'
    (each precision at the lower end of its interval, :func:`precision_lower_bound`),
    the added ones at least :data:`MIN_PRECISION`, and they find at least
    :data:`MIN_ADDED_HITS` coded segments; of those, the one with the best F1 of
    keywords + model, a tie going to the higher threshold. ``(None, F1 of the
    keywords alone)`` when none qualifies.
    """
    import numpy as np

    y = np.asarray(y, dtype=np.int64)
    kw = np.asarray(kw, dtype=np.int64)
    positives = int(y.sum())
    kw_n, kw_tp = int(kw.sum()), int((kw & y).sum())
    kw_lower = float(precision_lower_bound(kw_tp, kw_n))
    floor = max(kw_lower, MIN_PRECISION)
    kw_f1 = 2 * kw_tp / (positives + kw_n) if positives + kw_n else 0.0
    order = np.argsort(-proba, kind="stable")
    p, truth, silent = proba[order], y[order], 1 - kw[order]
    model_tp, model_n = np.cumsum(truth), np.arange(1, len(p) + 1)
    add_tp, add_n = np.cumsum(truth * silent), np.cumsum(silent)
    last_of_tie = np.append(p[1:] < p[:-1], True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (last_of_tie & (add_tp >= MIN_ADDED_HITS) & (precision_lower_bound(add_tp, add_n) >= floor - 1e-12)
              & (precision_lower_bound(model_tp, model_n) >= kw_lower - 1e-12))
    if not ok.any():
        return None, kw_f1
    f1 = 2 * (kw_tp + add_tp) / (positives + kw_n + add_n)
    f1 = np.where(ok, f1, -1.0)
    best = float(f1.max())
    i = int(np.flatnonzero(f1 >= best - 1e-12)[0])  # the first in descending order: the highest threshold
    return float(p[i]), best


def _select(features: CorpusFeatures, rows: "np.ndarray", y: "np.ndarray", kw: "np.ndarray") -> dict[str, Any]:
    """Choose C and threshold by an inner CV on these rows only.

    The C whose out-of-fold probabilities allow the best F1 of keywords + model
    (:func:`choose_threshold`); a tie, or no qualifying threshold, goes to C nearest 1.
    """
    import math

    k = _inner_folds(y)
    if k < 2:
        return {"C": 1.0, "threshold": None, "selected": False}
    best: tuple[float, float, float | None] | None = None  # (F1, -|log C|, threshold)
    chosen = 1.0
    for C, proba in _oof(features, rows, y, k, C_VALUES).items():
        threshold, f1 = choose_threshold(proba, y, kw)
        key = (round(f1, 9) if threshold is not None else -1.0, -abs(math.log10(C)), threshold)
        if best is None or key[:2] > best[:2]:
            best, chosen = key, C
    assert best is not None
    return {"C": chosen, "threshold": best[2], "selected": True, "inner_f1": round(best[0], 4)}


def _select_direction(features: CorpusFeatures, rows: "np.ndarray", y: "np.ndarray") -> dict[str, Any]:
    """Choose C for a direction model (macro F1 over opportunity and risk at 0.5) by an inner CV on these rows."""
    import math

    from sklearn.metrics import f1_score

    k = _inner_folds(y)
    if k < 2:
        return {"C": 1.0, "selected": False}
    mean = {C: float(f1_score(y, (p >= 0.5).astype(int), average="macro", zero_division=0))
            for C, p in _oof(features, rows, y, k, C_VALUES).items()}
    best = max(C_VALUES, key=lambda C: (round(mean[C], 9), -abs(math.log10(C))))  # a tie goes to C nearest 1
    return {"C": best, "selected": True, "inner_f1": {str(C): round(m, 4) for C, m in mean.items()}}


def _fit(features: CorpusFeatures, rows: "np.ndarray", y: "np.ndarray", C: float) -> Any:
    """A classifier fitted on these rows, with the TF-IDF of these rows only."""
    return _classifier(C).fit(features.fold(rows).matrix(rows), y)


def _scores(y: Sequence[int], predicted: Sequence[int], average: str = "binary") -> dict[str, Any]:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(y, predicted, average=average, zero_division=0)
    out: dict[str, Any] = {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4)}
    if average == "binary":
        out["alpha"] = _alpha(y, predicted)
        out["suggested"] = int(sum(predicted))
        out["right"] = int(sum(1 for a, b in zip(y, predicted) if a and b))
    return out


def _alpha(a: Sequence[int], b: Sequence[int]) -> float | None:
    """Krippendorff's alpha (nominal) of two binary codings of the same units; None when undefined."""
    n = 2 * len(a)
    disagree = sum(1 for x, y in zip(a, b) if x != y)
    ones = sum(a) + sum(b)
    zeros = n - ones
    if not ones or not zeros:
        return None
    return round(1.0 - (n - 1) * disagree / (ones * zeros), 4)


# -- training ----------------------------------------------------------------------------
def _training_data(store: "Store", coder: str) -> tuple[dict[int, str], dict[int, set[tuple[str, str]]]]:
    """Texts of the to-code segments the coder decided, and what they accepted on each."""
    decided = decided_segments(store.con, coder)
    texts = {s.id: s.text for s in store.segments(ids=sorted(decided), only_to_code=True)}
    accepted: dict[int, set[tuple[str, str]]] = {sid: set() for sid in texts}
    for r in decisions_for(store.con, coder):
        if r.status == "accepted" and r.segment_id in accepted:
            accepted[r.segment_id].add((r.code, r.direction))
    return texts, accepted


def _codes(store: "Store", accepted: Mapping[int, set[tuple[str, str]]]) -> list[str]:
    codebook = stored_codebook_or_none(store)
    codes = [c.id for c in codebook.codes] if codebook is not None else []
    return codes + sorted({c for pairs in accepted.values() for c, _ in pairs} - set(codes))


def _keyword_hits(store: "Store", ids: Sequence[int]) -> tuple[dict[str, set[int]], str | None]:
    """Per code, the segments the keyword coder suggests it for; and a note when none are stored.

    The stored keyword suggestions are used (what the researcher reviews); a project
    that was never coded has none, and the model is then compared with keywords that
    suggest nothing.
    """
    wanted = set(ids)
    hits: dict[str, set[int]] = {}
    rows = [r for r in suggestions_for(store.con, origin="keyword") if r.segment_id in wanted]
    for r in rows:
        hits.setdefault(r.code, set()).add(r.segment_id)
    note = None if rows else ("no keyword suggestions on these segments: the models are compared with keywords "
                              "that suggest nothing; run `qualcode code` first for a fair comparison")
    return hits, note


def train_models(store: "Store", coder: str, *, min_positive: int = 8, folds: int = 5,
                 codes: Iterable[str] | None = None, progress: Callable[[str], None] | None = None) -> TrainingReport:
    """Train, cross-validate and store presence and direction models per code from ``coder``'s decisions.

    A code (or a code's direction) with fewer than ``min_positive`` examples of a
    class is skipped with the reason in the report. Raises ModelError when the
    coder has decided nothing. ``progress`` is called with "code target" before each model.
    """
    import numpy as np

    if min_positive < 2:
        raise UsageError("--min-positive must be at least 2 (cross-validation needs two examples of each class)")
    if folds < 2:
        raise UsageError("--folds must be at least 2")
    texts, accepted = _training_data(store, coder)
    if not texts:
        raise ModelError(f"coder {coder!r} has decided no segments to learn from; review some first "
                         f"(`qualcode review --coder {coder}`)")
    ids = sorted(texts)
    corpus = [texts[i] for i in ids]
    features = CorpusFeatures(corpus)  # every text analysed once, for every fold and code
    keyword_hits, note = _keyword_hits(store, ids)
    version = store.meta("codebook_version")
    wanted = list(codes) if codes is not None else _codes(store, accepted)
    results: list[ModelResult] = []
    fitted: dict[int, tuple[Any, np.ndarray]] = {}  # index in results -> (fitted classifier, its training rows)
    for code in wanted:
        if progress is not None:
            progress(f"{code} presence")
        y = np.array([int(any(c == code for c, _ in accepted[i])) for i in ids], dtype=np.int64)
        kw = np.array([int(i in keyword_hits.get(code, ())) for i in ids], dtype=np.int64)
        result, model = _train_presence(features, code, ids, y, kw, min_positive, folds)
        if model is not None:
            fitted[len(results)] = (model, np.arange(len(ids)))
        results.append(result)
        # direction: segments where the coder gave this code exactly one of opportunity/risk
        rows, dir_y = [], []
        for row, i in enumerate(ids):
            directions = {d for c, d in accepted[i] if c == code and d in ("opportunity", "risk")}
            if len(directions) == 1:
                rows.append(row)
                dir_y.append(int("opportunity" in directions))
        if progress is not None:
            progress(f"{code} direction")
        result, model = _train_direction(features, code, ids, np.asarray(rows, dtype=np.int64),
                                         np.asarray(dir_y, dtype=np.int64), min_positive, folds)
        if model is not None:
            fitted[len(results)] = (model, np.asarray(rows, dtype=np.int64))
        results.append(result)
    results = _store_models(store, coder, version, results, fitted, features, corpus)
    return TrainingReport(coder, version, tuple(results), (note,) if note else ())


def _train_presence(features: CorpusFeatures, code: str, ids: Sequence[int], y: "np.ndarray", kw: "np.ndarray",
                    min_positive: int, folds: int) -> tuple[ModelResult, Any]:
    import numpy as np

    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    base: dict[str, Any] = {"code": code, "target": "presence", "n": len(y), "n_positive": positives,
                            "n_negative": negatives}
    keywords = _scores(y.tolist(), kw.tolist())
    reason = _too_few(code, "presence", positives, negatives, min_positive)
    if reason:
        return ModelResult(**base, skipped=reason, keywords=keywords, verdict="not used: " + reason), None
    k = min(folds, positives, negatives)
    rows = np.arange(len(y))
    proba = np.full(len(y), np.nan)
    model_says = np.zeros(len(y), dtype=np.int64)
    records = []
    for train, test in _folds(y, k):
        params = _select(features, rows[train], y[train], kw[train])
        model = _fit(features, rows[train], y[train], params["C"])
        proba[test] = model.predict_proba(features.fold(rows[train]).matrix(rows[test]))[:, 1]
        if params["threshold"] is not None:
            model_says[test] = (proba[test] >= params["threshold"]).astype(np.int64)
        records.append(Fold(tuple(int(ids[i]) for i in train), tuple(int(ids[i]) for i in test), params))
    added = model_says & (1 - kw)
    model_scores = _scores(y.tolist(), model_says.tolist())
    combined = _scores(y.tolist(), (model_says | kw).tolist())
    added_scores = {"suggested": int(added.sum()), "right": int((added & y).sum()),
                    "precision": round(float((added & y).sum() / added.sum()), 4) if added.sum() else None}
    final = _final_params(records)
    used, verdict = _verdict(keywords, model_scores, added_scores, final["threshold"])
    params = dict(final, folds=k, fold_C=[f.params["C"] for f in records],
                  fold_threshold=[f.params["threshold"] for f in records])
    model = _fit(features, rows, y, final["C"])
    return ModelResult(**base, precision=model_scores["precision"], recall=model_scores["recall"],
                       f1=model_scores["f1"], params=params, folds=tuple(records), keywords=keywords,
                       added=added_scores, combined=combined, used=used,
                       threshold=final["threshold"] if used else None, verdict=verdict,
                       scores={int(ids[i]): float(proba[i]) for i in range(len(ids))}), model


def _final_params(folds: Sequence[Fold]) -> dict[str, Any]:
    """C and threshold of the final model: those the outer folds chose, whose effect the report measured.

    The threshold is the median of the folds' thresholds (of those that chose one),
    the C the one chosen most often (a tie goes to C nearest 1). A fresh selection on
    all decisions would be one more noisy draw, and one the report did not evaluate.
    """
    import math
    import statistics

    thresholds = [f.params["threshold"] for f in folds if f.params["threshold"] is not None]
    chosen = [f.params["C"] for f in folds]
    C = max(sorted(set(chosen)), key=lambda c: (chosen.count(c), -abs(math.log10(c))))
    return {"C": C, "threshold": float(statistics.median(thresholds)) if thresholds else None,
            "selected": "by the outer folds"}


def _verdict(keywords: Mapping[str, Any], model: Mapping[str, Any], added: Mapping[str, Any],
             final_threshold: float | None) -> tuple[bool, str]:
    """Whether the model's suggestions are added for a code, and why, from the cross-validated figures.

    The same test as :func:`choose_threshold` applies, to the outer folds' figures.
    """
    kw_lower = float(precision_lower_bound(keywords["right"], keywords["suggested"]))
    floor = max(kw_lower, MIN_PRECISION)
    against = (f"the keywords' ({keywords['precision']:.2f}, lower bound {kw_lower:.2f})" if kw_lower >= MIN_PRECISION
               else f"the minimum {MIN_PRECISION:.2f}")
    if not added["suggested"]:
        return False, "not used: in cross-validation no threshold made its added suggestions as precise as " + against
    lower = float(precision_lower_bound(added["right"], added["suggested"]))
    what = (f"{added['suggested']} added suggestions, {added['right']} right "
            f"(precision {float(added['precision']):.2f}, lower bound {lower:.2f})")
    if added["right"] < MIN_ADDED_HITS:
        return False, f"not used: {what}; too few found"
    if lower < floor - 1e-12:
        return False, f"not used: {what}; less precise than {against}"
    model_lower = float(precision_lower_bound(model["right"], model["suggested"]))
    if model_lower < kw_lower - 1e-12:
        return False, (f"not used: the model's suggestions as a whole (precision {model['precision']:.2f}, "
                       f"lower bound {model_lower:.2f}) are less precise than {against}")
    if final_threshold is None:  # pragma: no cover - added suggestions imply a fold that chose a threshold
        return False, f"not used: {what} in cross-validation, but no fold chose a threshold"
    return True, f"used: {what}; as precise as {against}"


def _train_direction(features: CorpusFeatures, code: str, ids: Sequence[int], rows: "np.ndarray", y: "np.ndarray",
                     min_positive: int, folds: int) -> tuple[ModelResult, Any]:
    import numpy as np

    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    base: dict[str, Any] = {"code": code, "target": "direction", "n": len(y), "n_positive": positives,
                            "n_negative": negatives}
    reason = _too_few(code, "direction", positives, negatives, min_positive)
    if reason:
        return ModelResult(**base, skipped=reason), None
    k = min(folds, positives, negatives)
    proba = np.full(len(y), np.nan)
    records = []
    for train, test in _folds(y, k):
        params = _select_direction(features, rows[train], y[train])
        model = _fit(features, rows[train], y[train], params["C"])
        proba[test] = model.predict_proba(features.fold(rows[train]).matrix(rows[test]))[:, 1]
        records.append(Fold(tuple(int(ids[rows[i]]) for i in train), tuple(int(ids[rows[i]]) for i in test), params))
    scores = _scores(y.tolist(), (proba >= 0.5).astype(int).tolist(), "macro")
    final = _select_direction(features, rows, y)
    params = dict(final, folds=k, fold_C=[f.params["C"] for f in records])
    return ModelResult(**base, **scores, params=params, folds=tuple(records),
                       scores={int(ids[rows[i]]): float(proba[i]) for i in range(len(y))}), \
        _fit(features, rows, y, final["C"])


def _too_few(code: str, target: str, positives: int, negatives: int, min_positive: int) -> str | None:
    if target == "presence":
        if positives < min_positive:
            return (f"code {code!r}: {positives} accepted example{'s' if positives != 1 else ''}, "
                    f"at least {min_positive} needed; review more segments")
        if negatives < min_positive:
            return (f"code {code!r}: only {negatives} decided segment{'s' if negatives != 1 else ''} without it, "
                    f"at least {min_positive} needed; review more segments")
        return None
    if positives < min_positive or negatives < min_positive:
        return (f"code {code!r} direction: {positives} accepted as opportunity and {negatives} as risk, "
                f"at least {min_positive} of each needed; its suggestions get direction 'none'")
    return None


def _store_models(store: "Store", coder: str, version: str | None, results: list[ModelResult],
                  fitted: Mapping[int, tuple[Any, "np.ndarray"]], features: CorpusFeatures,
                  corpus: Sequence[str]) -> list[ModelResult]:
    """Store the fitted models in one transaction; return the results with their model ids.

    Each stored model is a pipeline of TF-IDF vectorisers and the classifier; a
    classifier's columns are those of the vectorisers fitted on its own training texts.
    """
    from dataclasses import replace

    from sklearn.pipeline import Pipeline

    out = list(results)
    at = now()
    with store.transaction():
        for index, (classifier, rows) in fitted.items():
            result = results[index]
            union = features.fitted_union(rows)
            pipeline = Pipeline([("features", union), ("classifier", classifier)])
            metrics = {"precision": result.precision, "recall": result.recall, "f1": result.f1,
                       "average": "binary" if result.target == "presence" else "macro",
                       "n_negative": result.n_negative, "params": dict(result.params),
                       "keywords": result.keywords, "added": result.added, "combined": result.combined,
                       "used": result.used if result.target == "presence" else None,
                       "threshold": result.threshold if result.target == "presence" else 0.5,
                       "verdict": result.verdict,
                       # so agreement with 'model' can say which units are in-sample
                       "trained_on": sorted({i for f in result.folds for i in f.test_ids})}
            model_id = models.add_model(
                store.con, at=at, coder=coder, codebook_version=version, code=result.code, target=result.target,
                n_train=result.n, n_positive=result.n_positive, metrics=metrics,
                blob=pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL), strategy=STRATEGY)
            out[index] = replace(result, model_id=model_id)
    return out


# -- loading -----------------------------------------------------------------------------
_SAFE_MODULES = ("sklearn", "numpy", "scipy")
_SAFE_BUILTINS = {("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "slice", "int", "float",
                                             "complex", "str", "bytes", "bytearray", "bool", "object", "type")}
_SAFE_OTHERS = {("copyreg", "_reconstructor"), ("collections", "OrderedDict"), ("_codecs", "encode"),
                ("re", "_compile"), ("functools", "partial")}


class _ModelUnpickler(pickle.Unpickler):
    """Admits only the classes a fitted scikit-learn pipeline is made of."""

    def find_class(self, module: str, name: str) -> Any:
        top = module.split(".")[0]
        if top in _SAFE_MODULES or (module, name) in _SAFE_BUILTINS or (module, name) in _SAFE_OTHERS:
            return super().find_class(module, name)
        raise ModelError(f"a stored model refers to {module}.{name}, which qualcode does not load; "
                         "retrain with `qualcode learn`")


def stored_models(store: "Store") -> dict[tuple[str, str], StoredModel]:
    """The newest model per (code, target), without loading the fitted objects."""
    return models.newest_models(store.con, STRATEGY)


_LOADED: dict[tuple[str, str, int], Any] = {}  # stored models never change: load each once


def trained_segments(store: "Store") -> set[int]:
    """Segments the current presence models were trained on."""
    out: set[int] = set()
    for (_, target), meta in stored_models(store).items():
        if target == "presence":
            out.update(meta.metrics.get("trained_on", ()))
    return out


def _load(store: "Store", model_id: int) -> Any:
    key = (store.project_id, str(store.path), model_id)
    if key not in _LOADED:
        blob = models.model_blob(store.con, model_id)
        if blob is None:
            raise ModelError(f"no stored model {model_id}; run `qualcode learn --coder NAME`")
        try:
            model = _ModelUnpickler(io.BytesIO(blob)).load()
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"stored model {model_id} cannot be loaded ({exc}); retrain with `qualcode learn`") from None
        if len(_LOADED) >= 32:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = model
    return _LOADED[key]


def _current_models(store: "Store") -> tuple[dict[str, tuple[StoredModel, Any]], dict[str, tuple[StoredModel, Any]]]:
    """(presence models, direction models) by code, loaded; codes no longer in the codebook are left out."""
    codebook = stored_codebook_or_none(store)
    current = {c.id for c in codebook.codes} if codebook is not None else None
    presence: dict[str, tuple[StoredModel, Any]] = {}
    direction: dict[str, tuple[StoredModel, Any]] = {}
    for (code, target), meta in sorted(stored_models(store).items()):
        if current is not None and code not in current:
            continue
        (presence if target == "presence" else direction)[code] = (meta, _load(store, meta.id))
    return presence, direction


def _require_models(store: "Store") -> tuple[dict, dict]:
    presence, direction = _current_models(store)
    if not presence:
        raise ModelError(f"no trained model in {store.path}; run `qualcode learn --coder NAME` first "
                         "(it needs reviewed segments)")
    return presence, direction


# -- explaining --------------------------------------------------------------------------
_WORD = re.compile(r"\w\w+")


def term_weights(model: Any, text: str) -> list[tuple[str, float]]:
    """Each word's (and word pair's) contribution to the model's score for ``text``, strongest first.

    A word's weight is its word-feature contribution (TF-IDF × coefficient) plus its
    share of the contributions of the character n-grams it contains, so a compound
    like ``werkdrukverlichting`` is credited as one word.
    """
    features = model.named_steps["features"]
    coef = model.named_steps["classifier"].coef_[0]
    x = features.transform([text]).tocsr()
    names = _feature_names(features)
    contribution = {names[j]: float(v * coef[j]) for j, v in zip(x.indices, x.data)}
    weights: dict[str, float] = {}
    for name, value in contribution.items():
        if name.startswith("words__"):
            term = name[len("words__"):]
            weights[term] = weights.get(term, 0.0) + value
    chars = dict(features.transformer_list)["chars"]
    analyse = chars.build_analyzer()
    words = _WORD.findall(text.lower())
    owners: dict[str, list[str]] = {}
    for word in words:
        for gram in set(analyse(word)):
            owners.setdefault(gram, []).append(word)
    for gram, holders in owners.items():
        weight = contribution.get("chars__" + gram)
        if weight:
            for word in holders:
                weights[word] = weights.get(word, 0.0) + weight / len(holders)
    return sorted(((t, w) for t, w in weights.items() if w), key=lambda tw: -abs(tw[1]))


def _feature_names(features: Any) -> Any:
    cached = getattr(features, "_qualcode_names", None)
    if cached is None:
        cached = features.get_feature_names_out()
        features._qualcode_names = cached
    return cached


def _top(weights: list[tuple[str, float]], k: int, sign: int) -> list[list[Any]]:
    chosen = [(t, w) for t, w in weights if w * sign > 0]
    chosen.sort(key=lambda tw: -tw[1] * sign)
    return [[t, round(w, 4)] for t, w in chosen[:k]]


# -- using -------------------------------------------------------------------------------
def _segments_to_score(store: "Store", segment_ids: Iterable[int] | None) -> list[Any]:
    if segment_ids is None:
        return store.segments(only_to_code=True)
    return [s for s in store.segments(ids=list(segment_ids)) if s.to_code]


def usable_threshold(meta: StoredModel) -> float | None:
    """The threshold at which a stored presence model adds suggestions; None when it is not to be used.

    Models stored before the cross-validated selection (no ``used`` in their
    metrics) are used as they were, at 0.5.
    """
    used = meta.metrics.get("used")
    if used is None:
        return float(meta.metrics.get("threshold") or 0.5)
    threshold = meta.metrics.get("threshold")
    return float(threshold) if used and threshold is not None else None


def model_suggestions(store: "Store", *, threshold: float | None = None,
                      segment_ids: Iterable[int] | None = None) -> list[Suggestion]:
    """Model suggestions (origin 'model') for to-code segments, for the codes where the model helps.

    Only codes whose stored model is used (it beat the keywords in cross-validation,
    see :func:`train_models`) get suggestions, where the probability is at least the
    threshold `learn` chose for the code, or ``threshold`` when given. The direction
    comes from the code's direction model (``none`` without one). Nothing is
    written: pass the result to ``codings.write_suggestions``.
    """
    if threshold is not None and not 0.0 < threshold < 1.0:
        raise UsageError(f"--threshold must be between 0 and 1 (exclusive), not {threshold}")
    presence, direction = _require_models(store)
    segments = _segments_to_score(store, segment_ids)
    if not segments:
        return []
    texts = [s.text for s in segments]
    out: list[Suggestion] = []
    for code, (meta, model) in presence.items():
        chosen = usable_threshold(meta)
        if chosen is None:
            continue
        cut = chosen if threshold is None else threshold
        probs = model.predict_proba(texts)[:, 1]
        hits = [i for i, p in enumerate(probs) if p >= cut]
        if not hits:
            continue
        dir_model = direction.get(code)
        dir_probs = dir_model[1].predict_proba([texts[i] for i in hits])[:, 1] if dir_model else [None] * len(hits)
        for i, q in zip(hits, dir_probs):
            p = float(probs[i])
            d = "none" if q is None else ("opportunity" if q >= 0.5 else "risk")
            evidence = {"terms": _top(term_weights(model, texts[i]), 8, +1), "probability": round(p, 4),
                        "threshold": round(cut, 4),
                        "direction_probability": None if q is None else round(float(q), 4),
                        "model_id": meta.id, "trained_by": meta.coder}
            out.append(Suggestion(segments[i].id, code, d, "model", STRATEGY, evidence, score=p))
    out.sort(key=lambda s: (s.segment_id, s.code))
    return out


def model_uncertainty(store: "Store", segment_ids: Iterable[int]) -> dict[int, float]:
    """Per segment, min over codes of |p - 0.5|: small means the model is unsure (review it first).

    Empty when no model is stored, so a review queue can call it unconditionally.
    """
    presence, _ = _current_models(store)
    segments = _segments_to_score(store, segment_ids)
    if not presence or not segments:
        return {}
    texts = [s.text for s in segments]
    margin = [0.5] * len(segments)
    for _, model in presence.values():
        for i, p in enumerate(model.predict_proba(texts)[:, 1]):
            margin[i] = min(margin[i], abs(float(p) - 0.5))
    return {s.id: m for s, m in zip(segments, margin)}


def explain_model(store: "Store", segment_id: int, *, threshold: float | None = None,
                  k: int = 8) -> list[Explanation]:
    """Per code: the model's probability for this segment and the words that weighed most, for and against.

    ``suggested`` follows :func:`model_suggestions` (only codes the model is used for,
    at their threshold or ``threshold``). Most probable code first; empty when no
    model is stored (so `qualcode explain` works without one).
    """
    presence, direction = _current_models(store)
    if not presence:
        return []
    segment = store.segment(segment_id)
    out = []
    for code, (meta, model) in presence.items():
        p = float(model.predict_proba([segment.text])[0, 1])
        weights = term_weights(model, segment.text)
        q = float(direction[code][1].predict_proba([segment.text])[0, 1]) if code in direction else None
        d = "none" if q is None else ("opportunity" if q >= 0.5 else "risk")
        chosen = usable_threshold(meta)
        cut = None if chosen is None else (chosen if threshold is None else threshold)
        out.append(Explanation(code, p, cut is not None and p >= cut, d, q,
                               tuple((t, w) for t, w in _top(weights, k, +1)),
                               tuple((t, w) for t, w in _top(weights, k, -1)), cut))
    out.sort(key=lambda e: -e.probability)
    return out
