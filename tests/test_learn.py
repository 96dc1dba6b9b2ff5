"""Learning from decisions: honest CV, refusal, model suggestions; and codebook statistics.

The corpus is generated, so the truth is known: a code is signalled mostly by words
the keyword rules do not contain (synonyms), as in real interviews.
"""
from __future__ import annotations

import pickle
import random

import pytest
from click.testing import CliRunner
from sklearn.pipeline import Pipeline

from conftest import add_document
from qualcode.coding import learn
from qualcode import store
from qualcode.store import schema
from qualcode.analysis.codebook_stats import candidate_keywords, codebook_stats
from qualcode.cli import main
from qualcode.store.codings import Decision, apply_decisions, decisions_for, history, write_suggestions
from qualcode.errors import ModelError, UsageError
from qualcode.records import Suggestion

# What a code sounds like. Only 'werkdruk' and 'contact' are keyword rules; the rest are synonyms.
SIGNALS = {
    ("workload", "opportunity"): [
        "het nakijken gaat nu veel sneller", "ik ben minder uren kwijt aan verslagen", "dat scheelt ons uren per week",
        "de administratie kost nu minder tijd", "roosters maken gaat vanzelf", "ik hoef minder te corrigeren",
        "lesvoorbereiding kost de helft van de tijd",
    ],
    ("workload", "risk"): [
        "ik maak elke week overuren", "de taken stapelen zich op", "ik zit tot laat te corrigeren",
        "het werk is nooit af", "er komen steeds meer verantwoordingsformulieren bij", "de agenda loopt over",
        "alles moet ik dubbel controleren en dat kost avonden",
    ],
    ("interaction", "opportunity"): [
        "ik heb meer tijd voor gesprekken met leerlingen", "de band met de klas wordt sterker",
        "ik kan leerlingen persoonlijk begeleiden", "mentorgesprekken worden beter", "er is ruimte voor aandacht per kind",
    ],
    ("interaction", "risk"): [
        "leerlingen praten vooral met een scherm", "de relatie met de klas verwatert", "het persoonlijke gaat verloren",
        "ouders zien we bijna niet meer", "leerlingen voelen zich minder gezien",
    ],
}
KEYWORD_SIGNALS = {"workload": "de werkdruk is het punt", "interaction": "het contact telt"}
NEUTRAL = [
    "het gebouw is vorig jaar verbouwd", "de kantine heeft nieuwe tafels", "de bus rijdt om acht uur",
    "we hebben een nieuw logo", "de gymzaal ligt aan de overkant", "het schoolplein is groen gemaakt",
    "de fietsenstalling is vol", "de verwarming doet het weer", "in de aula hangt kunst van leerlingen",
    "de werkdruk bij de gemeente is geen onderwerp hier",  # the keyword in another sense
]
FILLERS = ["eerlijk gezegd", "volgens mij", "zeker", "denk ik", "op onze school", "dit jaar", "soms", "vaak",
           "in de bovenbouw", "bij ons", "naar mijn idee", "inmiddels"]


def generate(n: int, seed: int) -> list[tuple[str, set[tuple[str, str]]]]:
    """n unique segments with their true (code, direction)s."""
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        truth: set[tuple[str, str]] = set()
        parts = []
        for code in ("workload", "interaction"):
            if rng.random() < 0.4:
                direction = rng.choice(["opportunity", "risk"])
                truth.add((code, direction))
                parts.append(rng.choice(SIGNALS[(code, direction)]))
                if rng.random() < 0.25:
                    parts.append(KEYWORD_SIGNALS[code])
        parts.append(rng.choice(NEUTRAL))
        rng.shuffle(parts)
        text = f"{rng.choice(FILLERS).capitalize()} {', '.join(parts)}, {rng.choice(FILLERS)}."
        if text not in seen:
            seen.add(text)
            out.append((text, truth))
    return out


def keyword_rules(text: str) -> set[str]:
    """A stand-in for the auto-coder's word rules: 'werkdruk' -> workload, 'contact' -> interaction."""
    lower = text.lower()
    return {code for code, word in (("workload", "werkdruk"), ("interaction", "contact")) if word in lower}


def keyword_suggestions(segments):
    out = []
    for sid, text in segments:
        for code in keyword_rules(text):
            word = "werkdruk" if code == "workload" else "contact"
            start = text.lower().index(word)
            out.append(Suggestion(sid, code, "none", "keyword", "keywords.v1", {"matches": [
                {"text": word, "start": start, "end": start + len(word), "rule": f"word:{word}", "kind": "aspect"}]}))
    return out


def _build_corpus(project):
    """160 segments decided by anna (the truth) and 100 held out; keyword suggestions on all of them."""
    train = generate(260, seed=1)
    ids = add_document(project, [("R1", "R1", text) for text, _ in train])
    truth = {sid: t for sid, (_, t) in zip(ids, train)}
    texts = {sid: text for sid, (text, _) in zip(ids, train)}
    train_ids, held_out = ids[:160], ids[160:]
    write_suggestions(project.con, keyword_suggestions([(s, texts[s]) for s in ids]), origin="keyword",
                      segment_ids=ids, codebook_version="v1")
    apply_decisions(project.con, "anna", [Decision(s, "add", c, d) for s in train_ids for c, d in truth[s]],
                    done_segments=train_ids)
    return project, train_ids, held_out, truth, texts


@pytest.fixture
def corpus(project):
    """The generated corpus in a fresh project, untrained."""
    return _build_corpus(project)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The generated corpus with models trained once (3 folds), shared by tests that only read it."""
    from qualcode.project import Project

    project = Project.init(tmp_path_factory.mktemp("trained") / "corpus.qualcode")
    built = _build_corpus(project)
    report = learn.train_models(project.store, "anna", folds=3)
    yield (*built, report)
    project.close()


def f1(predicted: set[int], actual: set[int]) -> float:
    tp = len(predicted & actual)
    if not tp:
        return 0.0
    p, r = tp / len(predicted), tp / len(actual)
    return 2 * p * r / (p + r)


# -- learning ------------------------------------------------------------------------------
@pytest.mark.slow  # five-fold training, ~1.5-3 s
def test_the_model_is_used_where_it_beats_the_keywords_and_helps_on_held_out_segments(corpus):
    project, train_ids, held_out, truth, texts = corpus
    report = learn.train_models(project.store, "anna", min_positive=8, folds=5)
    for code in ("workload", "interaction"):
        result = report.result(code)
        assert result.skipped is None and result.model_id is not None
        assert result.used and result.threshold is not None, result.verdict
        assert result.combined["f1"] > result.keywords["f1"] + 0.2, "keywords + model should beat the keywords"
        assert result.added["precision"] >= result.keywords["precision"]
    assert sorted(report.used) == ["interaction", "workload"]

    suggestions = learn.model_suggestions(project.store, segment_ids=held_out)
    for code in ("workload", "interaction"):
        actual = {s for s in held_out if any(c == code for c, _ in truth[s])}
        by_keyword = {s for s in held_out if code in keyword_rules(texts[s])}
        by_both = by_keyword | {s.segment_id for s in suggestions if s.code == code}
        assert f1(by_both, actual) > f1(by_keyword, actual) + 0.2, code
        assert f1(by_both, actual) > 0.8, code
    # the direction model gets the direction of the correctly found segments mostly right
    right = [s for s in suggestions if (s.code, s.direction) in truth[s.segment_id]]
    found = [s for s in suggestions if any(c == s.code for c, _ in truth[s.segment_id])]
    assert len(right) / len(found) > 0.8


def _build_noisy_corpus(project):
    """Like the corpus, but anna codes workload exactly where the keyword fires, plus at random elsewhere.

    The keywords are then perfectly precise for workload and nothing in the text tells
    the random extra codings apart: a model cannot add workload suggestions as precise.
    """
    rng = random.Random(7)
    project, train_ids, held_out, truth, texts = _build_corpus(project)
    noisy = {}
    for s in train_ids:
        pairs = {(c, d) for c, d in truth[s] if c != "workload"}
        if "workload" in keyword_rules(texts[s]) or rng.random() < 0.15:
            pairs.add(("workload", "risk"))
        noisy[s] = pairs
    with project.transaction():
        project.con.execute("DELETE FROM codings WHERE coder = 'anna'")
    apply_decisions(project.con, "anna", [Decision(s, "add", c, d) for s in train_ids for c, d in noisy[s]],
                    done_segments=train_ids)
    return project, train_ids, held_out, noisy, texts


@pytest.mark.slow  # trains models on the generated corpus, ~1.5 s
def test_a_code_whose_cv_precision_is_below_the_keywords_gets_no_model_suggestions(project):
    project, train_ids, held_out, noisy, texts = _build_noisy_corpus(project)
    report = learn.train_models(project.store, "anna", folds=4)
    workload, interaction = report.result("workload"), report.result("interaction")
    assert workload.keywords["precision"] == 1.0
    assert workload.skipped is None and not workload.used and workload.threshold is None
    assert workload.verdict.startswith("not used: "), workload.verdict
    assert interaction.used, interaction.verdict
    # what the stored model records, and what it then suggests: interaction only
    stored = learn.stored_models(project.store)
    assert stored[("workload", "presence")].metrics["used"] is False
    assert stored[("interaction", "presence")].metrics["used"] is True
    everything = train_ids + held_out
    suggested = {s.code for s in learn.model_suggestions(project.store, segment_ids=everything)}
    assert suggested == {"interaction"}
    # an explicit threshold does not bring an unused code back
    assert {s.code for s in learn.model_suggestions(project.store, threshold=0.05, segment_ids=everything)} == \
        {"interaction"}
    explained = {e.code: e for e in learn.explain_model(project.store, held_out[0])}
    assert not explained["workload"].suggested and explained["workload"].threshold is None
    assert "not used for this code" in str(explained["workload"])
    # and `code --with-model` stores model suggestions for interaction only
    result = CliRunner().invoke(main, ["code", "--with-model", "--project", str(project.path)])
    assert result.exit_code == 0, result.output
    stored_codes = {r[0] for r in project.con.execute(
        "SELECT DISTINCT code FROM codings WHERE origin = 'model' AND coder IS NULL")}
    assert stored_codes == {"interaction"}


def test_the_threshold_qualifies_only_where_the_added_suggestions_are_as_precise_as_the_keywords():
    import numpy as np

    # keywords fire on rows 0-4, 3 of them coded: precision 0.6, lower bound 0.27, so the floor is 0.5
    y = np.array([1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0])
    kw = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    proba = np.array([0.95] * 5 + [0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.1, 0.05])
    assert learn.precision_lower_bound(3, 5) == pytest.approx(0.272, abs=1e-3)
    assert learn.precision_lower_bound(5, 5) == pytest.approx(0.649, abs=1e-3)
    assert learn.precision_lower_bound(5, 6) == pytest.approx(0.498, abs=1e-3)
    # at 0.7 the model adds rows 5-9, 5 of 5 right (lower bound 0.65): the only threshold that qualifies
    # (one more, 5 of 6, is just below 0.5; adding down to 0.55 is 6 of 8, lower bound 0.46)
    threshold, f1_both = learn.choose_threshold(proba, y, kw)
    assert threshold == 0.7 and f1_both == pytest.approx(2 * 8 / (9 + 5 + 5))
    # keywords always right (5 of 5, lower bound 0.65) and a model that adds 1 of 1, 1 of 2, 2 of 3 ...:
    # nothing it adds is as precise
    y2 = np.array([1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0])
    assert learn.choose_threshold(proba, y2, kw) == (None, pytest.approx(2 * 5 / (9 + 5)))
    # a single right addition is not enough
    assert learn.choose_threshold(np.array([0.9, 0.1, 0.1]), np.array([1, 0, 1]), np.array([0, 0, 1]))[0] is None


@pytest.mark.slow  # uses `trained`: models trained once, ~1.5 s
def test_model_suggestions_carry_strategy_probability_and_terms(trained):
    project, train_ids, held_out, truth, texts, report = trained
    (s, *_) = [s for s in learn.model_suggestions(project.store, segment_ids=held_out) if s.code == "workload"]
    assert (s.origin, s.strategy) == ("model", "tfidf-logreg.v1")
    assert s.score == s.evidence["probability"] or abs(s.score - s.evidence["probability"]) < 1e-4
    threshold = report.result("workload").threshold
    assert s.score >= threshold and s.evidence["threshold"] == round(threshold, 4)
    assert s.direction in ("opportunity", "risk")
    terms = s.evidence["terms"]
    assert terms and all(weight > 0 for _, weight in terms)
    assert all(term in texts[s.segment_id].lower() for term, _ in terms), "evidence names words of the segment"
    assert learn.model_suggestions(project.store, threshold=0.99, segment_ids=held_out) != learn.model_suggestions(
        project.store, segment_ids=held_out)


@pytest.mark.slow  # trains models on the generated corpus, ~1.5 s
def test_cross_validation_never_scores_a_segment_with_a_model_trained_on_it(corpus, monkeypatch):
    import numpy as np

    from qualcode.coding import features as features_module

    project, train_ids, _, _, texts = corpus
    # every TF-IDF made from a training subset is applied to those rows (to fit) or to rows outside it (to score)
    calls: list[tuple[frozenset, frozenset]] = []
    fold, matrix = features_module.CorpusFeatures.fold, features_module.FoldFeatures.matrix

    def spy_fold(self, train_rows):
        made = fold(self, train_rows)
        made.train_rows = frozenset(int(i) for i in train_rows)
        return made

    def spy_matrix(self, rows):
        calls.append((self.train_rows, frozenset(int(i) for i in rows)))
        return matrix(self, rows)

    monkeypatch.setattr(features_module.CorpusFeatures, "fold", spy_fold)
    monkeypatch.setattr(features_module.FoldFeatures, "matrix", spy_matrix)
    report = learn.train_models(project.store, "anna", folds=4, codes=["workload"])
    assert calls and all(rows == trained_on or not rows & trained_on for trained_on, rows in calls)
    assert any(rows != trained_on for trained_on, rows in calls)
    monkeypatch.undo()

    result = report.result("workload")
    # the outer folds: disjoint, and together every decided segment is scored once
    tested = [i for f in result.folds for i in f.test_ids]
    assert sorted(tested) == sorted(train_ids) == sorted(result.scores)
    for f in result.folds:
        assert not set(f.train_ids) & set(f.test_ids)
        # each score is what a model fitted from scratch on the fold's training texts alone gives
        y = [int(any(c == "workload" for c, _ in _anna(project).get(i, set()))) for i in f.train_ids]
        fresh = Pipeline([("features", features_module.feature_union()), ("classifier", learn._classifier(f.params["C"]))])
        fresh.fit([texts[i] for i in f.train_ids], y)
        expected = fresh.predict_proba([texts[i] for i in f.test_ids])[:, 1]
        assert np.allclose(expected, [result.scores[i] for i in f.test_ids], atol=1e-4)


def _coded(project, segment_id: int) -> set[str]:
    return {c for c, _ in _anna(project).get(segment_id, set())}


def _anna(project) -> dict[int, set[tuple[str, str]]]:
    out: dict[int, set[tuple[str, str]]] = {}
    for r in decisions_for(project.con, "anna"):
        if r.status == "accepted":
            out.setdefault(r.segment_id, set()).add((r.code, r.direction))
    return out


@pytest.mark.slow  # uses `trained`: models trained once, ~1.5 s
def test_the_report_figures_follow_from_the_folds_and_match_the_stored_model(trained):
    from sklearn.metrics import precision_recall_fscore_support

    project, train_ids, held_out, truth, texts, report = trained
    stored = learn.stored_models(project.store)
    for code in ("workload", "interaction"):
        result = report.result(code)
        y = [int(any(c == code for c, _ in truth[s])) for s in train_ids]
        kw = [int(code in keyword_rules(texts[s])) for s in train_ids]
        threshold_of = {i: f.params["threshold"] for f in result.folds for i in f.test_ids}
        model = [int(threshold_of[s] is not None and result.scores[s] >= threshold_of[s]) for s in train_ids]
        both = [a | b for a, b in zip(kw, model)]
        for figures, predicted in ((result.keywords, kw), (result.combined, both)):
            p, r, f, _ = precision_recall_fscore_support(y, predicted, average="binary", zero_division=0)
            assert (figures["precision"], figures["recall"], figures["f1"]) == \
                (round(p, 4), round(r, 4), round(f, 4))
            assert figures["suggested"] == sum(predicted)
        added = [m & (1 - k) for m, k in zip(model, kw)]
        assert (result.added["suggested"], result.added["right"]) == \
            (sum(added), sum(a & t for a, t in zip(added, y)))
        metrics = stored[(code, "presence")].metrics
        assert metrics["used"] == result.used and metrics["threshold"] == result.threshold
        assert metrics["keywords"] == result.keywords and metrics["combined"] == result.combined
        assert stored[(code, "presence")].id == result.model_id
    # and the CLI prints the same figures
    out = CliRunner().invoke(main, ["learn", "--coder", "anna", "--folds", "3", "--format", "json",
                                    "--project", str(project.path)])
    assert out.exit_code == 0, out.output
    import json

    payload = json.loads(out.output[out.output.index("{"):])
    printed = {(r["code"], r["target"]): r for r in payload["results"]}
    for code in ("workload", "interaction"):
        assert printed[(code, "presence")]["combined"] == report.result(code).combined
        assert printed[(code, "presence")]["used"] == report.result(code).used
    assert payload["used"] == report.used


def test_too_few_positives_is_refused_with_the_reason(project):
    ids = add_document(project, [("R1", "R1", f"zin nummer {i} over de school") for i in range(30)])
    apply_decisions(project.con, "anna", [Decision(s, "add", "autonomy", "risk") for s in ids[:3]]
                    + [Decision(s, "add", "workload", "risk") for s in ids[3:13]], done_segments=ids)
    report = learn.train_models(project.store, "anna", min_positive=8)
    assert report.result("autonomy").skipped == \
        "code 'autonomy': 3 accepted examples, at least 8 needed; review more segments"
    assert report.result("workload").skipped is None
    assert report.result("workload", "direction").skipped == (
        "code 'workload' direction: 0 accepted as opportunity and 10 as risk, at least 8 of each needed; "
        "its suggestions get direction 'none'")
    assert report.notes and "no keyword suggestions" in report.notes[0]
    # without a direction model the model's verdicts have direction 'none'
    assert {e.direction for e in learn.explain_model(project.store, ids[5])} == {"none"}
    # a model stored before the selection (no 'used' in its metrics) is used as it was: every code at 0.5
    import json

    with project.transaction():
        for row in project.con.execute("SELECT id, metrics FROM models WHERE target = 'presence'").fetchall():
            metrics = {k: v for k, v in json.loads(row["metrics"]).items() if k not in ("used", "threshold")}
            project.con.execute("UPDATE models SET metrics = ? WHERE id = ?", (json.dumps(metrics), row["id"]))
    probability = {sid: {e.code: e.probability for e in learn.explain_model(project.store, sid)} for sid in ids}
    expected = {(sid, "workload") for sid in ids if probability[sid]["workload"] >= 0.5}
    assert expected and {(s.segment_id, s.code) for s in learn.model_suggestions(project.store)} == expected


def test_nothing_to_learn_from_and_no_model_are_errors(project):
    add_document(project)
    with pytest.raises(ModelError, match="coder 'anna' has decided no segments to learn from"):
        learn.train_models(project.store, "anna")
    with pytest.raises(ModelError, match="no trained model .* run `qualcode learn --coder NAME` first"):
        learn.model_suggestions(project.store)
    with pytest.raises(UsageError, match="--min-positive must be at least 2"):
        learn.train_models(project.store, "anna", min_positive=1)
    assert learn.model_uncertainty(project.store, [1, 2]) == {}
    assert learn.explain_model(project.store, 2) == []


@pytest.mark.slow  # uses `trained`: models trained once, ~1.7 s
def test_model_suggestions_never_touch_human_decisions(trained):
    project, train_ids, held_out, truth, texts, _ = trained
    before = [(r.segment_id, r.code, r.direction, r.status, r.origin) for r in decisions_for(project.con)]
    log_before = len(history(project.con))
    everything = train_ids + held_out
    with project.transaction():
        write_suggestions(project.con, project.model_suggestions(segment_ids=everything), origin="model",
                          segment_ids=everything, codebook_version="v1")
    after = [(r.segment_id, r.code, r.direction, r.status, r.origin) for r in decisions_for(project.con)]
    assert after == before and len(history(project.con)) == log_before
    stored = project.con.execute("SELECT count(*) FROM codings WHERE origin = 'model' AND coder IS NULL").fetchone()[0]
    assert stored > 0
    # and the model now counts as a coder for agreement, with anna as the truth
    from qualcode.analysis.agreement import agreement

    result = agreement(project.store, "anna", "model")
    assert result.truth == "anna" and result.row("workload").recall > 0.8


@pytest.mark.slow  # trains models on the generated corpus, 1.1-2.3 s
def test_models_are_stored_and_the_newest_is_used(corpus):
    project, *_ = corpus
    assert schema.SCHEMA_VERSION >= 2  # the models table came with schema 2
    first = learn.train_models(project.store, "anna", folds=2, codes=["workload"]).result("workload").model_id
    second = learn.train_models(project.store, "anna", folds=2, codes=["workload"]).result("workload").model_id
    assert second > first
    current = learn.stored_models(project.store)
    assert current[("workload", "presence")].id == second
    row = project.con.execute("SELECT coder, target, n_train, n_positive, strategy, metrics FROM models WHERE id = ?",
                              (second,)).fetchone()
    assert (row["coder"], row["target"], row["n_train"], row["strategy"]) == ("anna", "presence", 160, "tfidf-logreg.v1")
    import json

    metrics = json.loads(row["metrics"])
    assert {"precision", "recall", "f1", "params"} <= metrics.keys() and metrics["params"]["C"] in learn.C_VALUES


def test_a_stored_model_with_foreign_code_is_not_loaded(corpus):
    import os

    project, *_ = corpus
    with project.transaction():
        project.con.execute(
            "INSERT INTO models(created_at, coder, codebook_version, code, target, n_train, n_positive, metrics, blob, "
            "strategy) VALUES (?, 'mallory', 'v1', 'workload', 'presence', 1, 1, '{}', ?, 'tfidf-logreg.v1')",
            (store.now(), pickle.dumps(os.getcwd)),
        )
    with pytest.raises(ModelError, match="does not load; retrain with `qualcode learn`"):
        learn.model_suggestions(project.store)


@pytest.mark.slow  # uses `trained`: models trained once, ~1.7 s
def test_uncertainty_and_explanation(trained):
    project, train_ids, held_out, truth, texts, _ = trained
    margins = learn.model_uncertainty(project.store, held_out[:10])
    assert set(margins) == set(held_out[:10]) and all(0 <= m <= 0.5 for m in margins.values())
    sid = next(s for s in held_out if any(c == "workload" for c, _ in truth[s]))
    explanations = learn.explain_model(project.store, sid)
    top = explanations[0]
    assert top.code == "workload" and top.suggested and top.terms_for
    assert str(top).startswith("model: workload p = ")


@pytest.mark.slow  # trains models on the generated corpus, 1.1-2.3 s
def test_cli_learn_reports_scores_and_skips(corpus):
    project, *_ = corpus
    path = str(project.path)
    result = CliRunner().invoke(main, ["learn", "--coder", "anna", "--folds", "2", "--min-positive", "30",
                                       "--project", path])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Keywords alone and keywords + model, cross-validated on anna's decisions" in out
    workload = next(line for line in out.splitlines() if line.startswith("workload "))
    assert workload.split()[:3] == ["workload", "160", str(len([s for s in project.store.segments() if s.id < 161
                                                                and "workload" in _coded(project, s.id)]))]
    assert "  workload: used: " in out or "  workload: not used: " in out
    assert "at least 30 of each needed" in out
    assert "The model adds suggestions for: " in out or "The model beats the keywords for no code" in out
    result = CliRunner().invoke(main, ["learn", "--project", path])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: who is deciding? pass --coder NAME or set QUALCODE_CODER=NAME"


# -- codebook statistics ---------------------------------------------------------------------
@pytest.mark.slow  # uses `trained`: models trained once, ~1.7 s
def test_rule_precision_and_recall_gaps(trained):
    project, train_ids, held_out, truth, texts, _ = trained
    stats = codebook_stats(project.store, "anna")
    rule = next(r for r in stats.rules if r.rule == "word:werkdruk")
    fired = [s for s in train_ids + held_out if "werkdruk" in texts[s].lower()]
    kept = [s for s in train_ids if "werkdruk" in texts[s].lower() and any(c == "workload" for c, _ in truth[s])]
    decided = [s for s in fired if s in train_ids]
    assert (rule.fired, rule.decided, rule.accepted) == (len(fired), len(decided), len(kept))
    assert rule.precision == pytest.approx(len(kept) / len(decided))
    gap = next(g for g in stats.gaps if g.code == "workload")
    coded = [s for s in train_ids if any(c == "workload" for c, _ in truth[s])]
    assert gap.coded == len(coded)
    assert gap.without_keyword == len([s for s in coded if "werkdruk" not in texts[s].lower()])
    assert 0 < len(gap.examples) <= 5
    lemmas = [c.lemma for c in gap.candidates]
    assert lemmas, "the synonyms should surface as candidate keywords"
    assert "werkdruk" not in lemmas, "a word the rules already have is no candidate"
    assert not {"de", "het", "een", "en", "ik"} & set(lemmas), "stop words are no candidates"
    assert any(lemma.startswith(("overu", "uur", "corrig", "taak", "agenda", "nakijk", "verslag", "tijd"))
               for lemma in lemmas), lemmas


def test_candidate_keywords_rank_words_frequent_in_the_gaps_and_rare_elsewhere():
    target = [["overuur", "week"], ["overuur", "avond"], ["overuur", "week", "school"]]
    background = [["school", "gebouw"], ["school", "week"], ["gebouw", "kantine"], ["school"]] * 5
    ranked = candidate_keywords(target, background, min_z=0.0)
    assert ranked[0].lemma == "overuur"
    assert "school" not in [c.lemma for c in ranked]
    assert candidate_keywords(target, background, exclude=["over*"], min_z=0.0)[0].lemma != "overuur"


@pytest.mark.slow  # uses `trained`: models trained once, ~1.7 s
def test_cli_codebook_stats(trained):
    project, *_ = trained
    result = CliRunner().invoke(main, ["codebook", "stats", "--coder", "anna", "--project", str(project.path)])
    assert result.exit_code == 0, result.output
    assert "word:werkdruk" in result.output and "candidate keywords" in result.output


def test_a_direction_cue_is_kept_only_when_its_direction_is(project):
    ids = add_document(project, [("R1", "R1", f"Het kost minder tijd, zin {i}.") for i in range(3)])
    evidence = {"matches": [
        {"text": "tijd", "start": 13, "end": 17, "rule": "word:tijd", "kind": "aspect"},
        {"text": "minder", "start": 6, "end": 12, "rule": "decrease:minder", "kind": "opportunity"}]}
    write_suggestions(project.con, [Suggestion(s, "workload", "opportunity", "keyword", "keywords.v1", evidence)
                                    for s in ids], origin="keyword", segment_ids=ids, codebook_version="v1")
    apply_decisions(project.con, "anna", [Decision(ids[0], "add", "workload", "opportunity"),
                                          Decision(ids[1], "add", "workload", "risk")], done_segments=ids)
    stats = codebook_stats(project.store, "anna")
    word = next(r for r in stats.rules if r.rule == "word:tijd")
    cue = next(r for r in stats.rules if r.rule == "decrease:minder")
    assert (word.kind, word.fired, word.accepted, word.rejected) == ("code", 3, 2, 1)
    assert (cue.kind, cue.fired, cue.accepted, cue.rejected) == ("cue", 3, 1, 2)
    assert stats.gaps[0].without_keyword == 0 and stats.gaps[0].candidates == ()


@pytest.mark.slow  # uses `trained`: models trained once, ~1.7 s
def test_agreement_with_the_model_says_which_units_it_was_trained_on(trained):
    project, train_ids, held_out, *_ = trained
    from qualcode.analysis.agreement import agreement

    everything = train_ids + held_out
    with project.transaction():
        write_suggestions(project.con, project.model_suggestions(segment_ids=everything), origin="model",
                          segment_ids=everything, codebook_version="v1")
    result = agreement(project.store, "anna", "model")
    assert result.in_sample == len(train_ids)
    assert "trained on 160 of these segments" in " ".join(result.summary())
