"""Learning from decisions: text classifiers trained on one coder's accepted and rejected codes.

Strategy ``tfidf-logreg.v1``: per code, a model of *presence* (the coder accepted
the code on a segment vs. decided the segment without it) and a model of
*direction* (opportunity vs. risk among the coder's accepted codings of that code).
Features are word TF-IDF (1-2 grams, lower-cased) joined with character n-gram
TF-IDF (``char_wb``, 3-5), which copes with Dutch compounds and inflection
(``werkdrukverlichting``, ``leraren``); the classifier is a class-balanced logistic
regression whose C is chosen by cross-validation (on F1; for direction the
macro average over opportunity and risk).

The reported precision, recall and F1 are honest: an outer stratified K-fold
scores every segment once with a model that never saw it, and the choice of C is
made by an inner cross-validation on the outer training folds only (nested CV).
The final model is then fitted on all decided segments with C chosen the same way.

Models are stored in the project (table ``models``); only the newest per (code,
target) is used. They are pickled scikit-learn objects; loading goes through an
unpickler that admits only scikit-learn, NumPy and SciPy classes, so a project
file from elsewhere cannot run code through a crafted model.
"""
from __future__ import annotations

import io
import pickle
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from qualcode.coding.codebook import stored_codebook_or_none
from qualcode.store import models, now
from qualcode.store.models import StoredModel
from qualcode.store.codings import decided_segments, decisions_for, suggestions_for
from qualcode.errors import ModelError, UsageError
from qualcode.records import Suggestion
from qualcode.coding.strategies import TFIDF_LOGREG

if TYPE_CHECKING:  # pragma: no cover - typing only
    from qualcode.store import Store

STRATEGY = TFIDF_LOGREG
C_VALUES = (0.1, 1.0, 10.0)
INNER_FOLDS = 3
SEED = 0


# -- records -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Fold:
    """One outer cross-validation fold: the segments trained on and the segments scored."""

    train_ids: tuple[int, ...]
    test_ids: tuple[int, ...]
    params: Mapping[str, Any]  # what the inner selection chose on train_ids


@dataclass(frozen=True)
class ModelResult:
    """One trained (or skipped) model of a code."""

    code: str
    target: str  # 'presence' or 'direction'
    n: int  # segments it learned from
    n_positive: int  # presence: segments with the code; direction: coded as opportunity
    n_negative: int  # presence: decided without the code; direction: coded as risk
    precision: float | None = None  # cross-validated (direction: macro average over opportunity/risk)
    recall: float | None = None
    f1: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    skipped: str | None = None  # why no model was trained, in words
    model_id: int | None = None
    folds: tuple[Fold, ...] = ()
    baseline: Mapping[str, Any] | None = None  # the keyword rules on the same segments, for comparison


@dataclass(frozen=True)
class TrainingReport:
    coder: str
    codebook_version: str | None
    results: tuple[ModelResult, ...]

    @property
    def trained(self) -> list[ModelResult]:
        return [r for r in self.results if r.skipped is None]

    @property
    def skipped(self) -> list[ModelResult]:
        return [r for r in self.results if r.skipped is not None]

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

    def __str__(self) -> str:
        verdict = "suggested" if self.suggested else "not suggested"
        direction = "" if self.direction_probability is None else \
            f", {self.direction} (P(opportunity) = {self.direction_probability:.2f})"
        line = f"model: {self.code} p = {self.probability:.2f}, {verdict}{direction}"
        if self.terms_for:
            line += "; for: " + ", ".join(f"{t} {w:+.2f}" for t, w in self.terms_for[:5])
        if self.terms_against:
            line += "; against: " + ", ".join(f"{t} {w:+.2f}" for t, w in self.terms_against[:3])
        return line


# -- the model ---------------------------------------------------------------------------
def _features() -> Any:
    """Word 1-2 gram and character 3-5 gram TF-IDF, side by side."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("words", TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True)),
        ("chars", TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
    ])


def _classifier(C: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    # liblinear: an order of magnitude faster than lbfgs on a few hundred short texts
    return LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=1000)


def _pipeline(C: float = 1.0) -> Any:
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", _features()), ("classifier", _classifier(C))])


def _select_and_fit(texts: Sequence[str], y: Sequence[int], average: str = "binary",
                    seed: int = SEED) -> tuple[Any, dict[str, Any]]:
    """Choose C by an inner stratified CV on these texts only, then fit a pipeline on all of them.

    The features are fitted once per inner split and shared by the C values (the
    same as a grid search over the pipeline, three times faster).
    """
    import numpy as np
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    texts = list(texts)
    labels = np.asarray(y)
    minority = int(min(np.sum(labels == 1), np.sum(labels == 0)))
    inner = min(INNER_FOLDS, minority)
    if inner < 2:  # too few to choose: the default C
        return _pipeline(1.0).fit(texts, labels), {"C": 1.0, "selected": False}
    scores: dict[float, list[float]] = {C: [] for C in C_VALUES}
    for train, test in StratifiedKFold(n_splits=inner, shuffle=True, random_state=seed).split(np.zeros(len(labels)), labels):
        features = _features()
        x_train = features.fit_transform([texts[i] for i in train], labels[train])
        x_test = features.transform([texts[i] for i in test])
        for C in C_VALUES:
            predicted = _classifier(C).fit(x_train, labels[train]).predict(x_test)
            scores[C].append(float(f1_score(labels[test], predicted, average=average, zero_division=0)))
    mean = {C: sum(v) / len(v) for C, v in scores.items()}
    best = max(C_VALUES, key=lambda C: (round(mean[C], 9), -abs(np.log10(C))))  # a tie goes to C nearest 1
    return _pipeline(best).fit(texts, labels), {"C": best, "selected": True,
                                          "inner_f1": {str(C): round(m, 4) for C, m in mean.items()}}


def cross_validate(texts: Sequence[str], y: Sequence[int], ids: Sequence[int], folds: int,
                   average: str = "binary", seed: int = SEED) -> tuple[list[float], list[Fold]]:
    """Out-of-fold probabilities (in input order) from nested CV, and the folds used.

    Every segment is scored exactly once, by a model whose fitting and whose choice
    of C saw only the other folds.
    """
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(y)
    texts = list(texts)
    proba = np.full(len(texts), np.nan)
    records = []
    outer = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in outer.split(np.zeros(len(texts)), y):
        model, params = _select_and_fit([texts[i] for i in train], labels[train], average, seed)
        proba[test] = model.predict_proba([texts[i] for i in test])[:, 1]
        records.append(Fold(tuple(int(ids[i]) for i in train), tuple(int(ids[i]) for i in test), params))
    return proba.tolist(), records


def _scores(y: Sequence[int], predicted: Sequence[int], average: str) -> dict[str, float]:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(y, predicted, average=average, zero_division=0)
    return {"precision": float(p), "recall": float(r), "f1": float(f)}


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


def _keyword_baseline(store: "Store", code: str, ids: Sequence[int], y: Sequence[int]) -> dict[str, Any] | None:
    """The keyword rules' precision/recall on the same segments and labels, if they ran."""
    rows = suggestions_for(store.con, origin="keyword")
    if not rows:
        return None
    hit = {r.segment_id for r in rows if r.code == code}
    return _scores(list(y), [int(i in hit) for i in ids], "binary")


def train_models(store: "Store", coder: str, *, min_positive: int = 8, folds: int = 5,
                 codes: Iterable[str] | None = None, progress: Callable[[str], None] | None = None) -> TrainingReport:
    """Train, cross-validate and store presence and direction models per code from ``coder``'s decisions.

    A code (or a code's direction) with fewer than ``min_positive`` examples of a
    class is skipped with the reason in the report. Raises ModelError when the
    coder has decided nothing. ``progress`` is called with "code target" before each model.
    """
    if min_positive < 2:
        raise UsageError("--min-positive must be at least 2 (cross-validation needs two examples of each class)")
    if folds < 2:
        raise UsageError("--folds must be at least 2")
    texts, accepted = _training_data(store, coder)
    if not texts:
        raise ModelError(f"coder {coder!r} has decided no segments to learn from; review some first "
                         f"(`qualcode review --coder {coder}`)")
    ids = sorted(texts)
    version = store.meta("codebook_version")
    wanted = list(codes) if codes is not None else _codes(store, accepted)
    results: list[ModelResult] = []
    fitted: dict[int, Any] = {}  # index in results -> fitted pipeline
    for code in wanted:
        if progress is not None:
            progress(f"{code} presence")
        y = [int(any(c == code for c, _ in accepted[i])) for i in ids]
        result, model = _train_one(store, code, "presence", ids, [texts[i] for i in ids], y, min_positive, folds)
        if model is not None:
            fitted[len(results)] = model
        results.append(result)
        # direction: segments where the coder gave this code exactly one of opportunity/risk
        dir_ids, dir_y = [], []
        for i in ids:
            directions = {d for c, d in accepted[i] if c == code and d in ("opportunity", "risk")}
            if len(directions) == 1:
                dir_ids.append(i)
                dir_y.append(int("opportunity" in directions))
        if progress is not None:
            progress(f"{code} direction")
        result, model = _train_one(store, code, "direction", dir_ids, [texts[i] for i in dir_ids], dir_y,
                                   min_positive, folds)
        if model is not None:
            fitted[len(results)] = model
        results.append(result)
    results = _store_models(store, coder, version, results, fitted)
    return TrainingReport(coder, version, tuple(results))


def _train_one(store: "Store", code: str, target: str, ids: list[int], texts: list[str], y: list[int],
               min_positive: int, folds: int) -> tuple[ModelResult, Any]:
    positives, negatives = sum(y), len(y) - sum(y)
    base: dict[str, Any] = {"code": code, "target": target, "n": len(y), "n_positive": positives,
                            "n_negative": negatives}
    reason = _too_few(code, target, positives, negatives, min_positive)
    if reason:
        return ModelResult(**base, skipped=reason), None
    k = min(folds, positives, negatives)
    average = "binary" if target == "presence" else "macro"
    proba, fold_records = cross_validate(texts, y, ids, k, average)
    predicted = [int(p >= 0.5) for p in proba]
    scores: dict[str, Any] = dict(_scores(y, predicted, average))
    model, params = _select_and_fit(texts, y, average)
    params = dict(params, folds=k, fold_C=[f.params["C"] for f in fold_records])
    baseline = _keyword_baseline(store, code, ids, y) if target == "presence" else None
    return ModelResult(**base, **scores, params=params, folds=tuple(fold_records), baseline=baseline), model


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
                  fitted: Mapping[int, Any]) -> list[ModelResult]:
    """Store the fitted models in one transaction; return the results with their model ids."""
    from dataclasses import replace

    out = list(results)
    at = now()
    with store.transaction():
        for index, model in fitted.items():
            result = results[index]
            metrics = {"precision": result.precision, "recall": result.recall, "f1": result.f1,
                       "average": "binary" if result.target == "presence" else "macro",
                       "n_negative": result.n_negative, "params": dict(result.params),
                       "keyword_baseline": result.baseline, "threshold": 0.5,
                       # so agreement with 'model' can say which units are in-sample
                       "trained_on": sorted({i for f in result.folds for i in f.test_ids})}
            model_id = models.add_model(
                store.con, at=at, coder=coder, codebook_version=version, code=result.code, target=result.target,
                n_train=result.n, n_positive=result.n_positive, metrics=metrics,
                blob=pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), strategy=STRATEGY)
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


def model_suggestions(store: "Store", *, threshold: float = 0.5,
                      segment_ids: Iterable[int] | None = None) -> list[Suggestion]:
    """Model suggestions (origin 'model') for to-code segments whose probability is at least ``threshold``.

    The direction comes from the code's direction model (``none`` without one).
    Nothing is written: pass the result to ``codings.write_suggestions``.
    """
    if not 0.0 < threshold < 1.0:
        raise UsageError(f"--threshold must be between 0 and 1 (exclusive), not {threshold}")
    presence, direction = _require_models(store)
    segments = _segments_to_score(store, segment_ids)
    if not segments:
        return []
    texts = [s.text for s in segments]
    out: list[Suggestion] = []
    for code, (meta, model) in presence.items():
        probs = model.predict_proba(texts)[:, 1]
        hits = [i for i, p in enumerate(probs) if p >= threshold]
        if not hits:
            continue
        dir_model = direction.get(code)
        dir_probs = dir_model[1].predict_proba([texts[i] for i in hits])[:, 1] if dir_model else [None] * len(hits)
        for i, q in zip(hits, dir_probs):
            p = float(probs[i])
            d = "none" if q is None else ("opportunity" if q >= 0.5 else "risk")
            evidence = {"terms": _top(term_weights(model, texts[i]), 8, +1), "probability": round(p, 4),
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


def explain_model(store: "Store", segment_id: int, *, threshold: float = 0.5, k: int = 8) -> list[Explanation]:
    """Per code: the model's probability for this segment and the words that weighed most, for and against.

    Most probable code first; empty when no model is stored (so `qualcode explain` works without one).
    """
    presence, direction = _current_models(store)
    if not presence:
        return []
    segment = store.segment(segment_id)
    out = []
    for code, (_, model) in presence.items():
        p = float(model.predict_proba([segment.text])[0, 1])
        weights = term_weights(model, segment.text)
        q = float(direction[code][1].predict_proba([segment.text])[0, 1]) if code in direction else None
        d = "none" if q is None else ("opportunity" if q >= 0.5 else "risk")
        out.append(Explanation(code, p, p >= threshold, d, q,
                               tuple((t, w) for t, w in _top(weights, k, +1)),
                               tuple((t, w) for t, w in _top(weights, k, -1))))
    out.sort(key=lambda e: -e.probability)
    return out
