"""Text features for learning: every segment analysed once, TF-IDF per training subset by matrix arithmetic.

Cross-validation fits a TF-IDF vectoriser on each training subset (outer folds,
inner folds, per code). Fitting one means analysing every text again (word and
character n-grams), which was most of the time `learn` took. Here the corpus is
analysed once into count matrices; the TF-IDF of a training subset is then
computed from those counts: its vocabulary is the n-grams that occur in the
subset's rows, its IDF their document frequency there. The result equals what
``TfidfVectorizer(sublinear_tf=True)`` fitted on the subset's texts gives (the
n-grams outside the subset's vocabulary are zero columns instead of absent ones,
which a linear model gives zero weight), so a model trained on a subset sees
nothing of the other rows, not even their words.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # pragma: no cover - typing only
    import numpy as np

# The feature blocks, each a TfidfVectorizer configuration (without the TF-IDF part):
# words: 1-2 grams, lower-cased; chars: char_wb 3-5 grams, which copes with Dutch
# compounds and inflection (werkdrukverlichting, leraren).
BLOCKS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("words", {"lowercase": True, "ngram_range": (1, 2)}),
    ("chars", {"lowercase": True, "analyzer": "char_wb", "ngram_range": (3, 5)}),
)


def feature_union() -> Any:
    """An unfitted union of the blocks as TF-IDF vectorisers: what a stored model applies to new text."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([(name, TfidfVectorizer(sublinear_tf=True, **options)) for name, options in BLOCKS])


@dataclass
class _Block:
    log_tf: Any  # csr matrix, rows = corpus texts: 1 + log(count) where the count is positive
    presence: Any  # csr matrix of the same shape, 1.0 where the n-gram occurs


class CorpusFeatures:
    """The texts of a corpus analysed once; :meth:`fold` gives the TF-IDF of any training subset."""

    def __init__(self, texts: Sequence[str]):
        import numpy as np
        from sklearn.feature_extraction.text import CountVectorizer

        self.n = len(texts)
        self._blocks: list[_Block] = []
        self._vocabularies: list[dict[str, int]] = []
        for _, options in BLOCKS:
            vectorizer = CountVectorizer(**options)
            counts = vectorizer.fit_transform(texts).tocsr().astype(np.float64)
            self._vocabularies.append(vectorizer.vocabulary_)
            counts.sort_indices()
            presence = counts.copy()
            presence.data[:] = 1.0
            log_tf = counts
            np.log(log_tf.data, out=log_tf.data)
            log_tf.data += 1.0
            self._blocks.append(_Block(log_tf, presence))

    def fold(self, train_rows: "Sequence[int] | np.ndarray") -> "FoldFeatures":
        """The TF-IDF fitted on ``train_rows`` only (vocabulary and IDF), to apply to any rows."""
        import numpy as np

        rows = np.asarray(train_rows, dtype=np.int64)
        weights = []
        for block in self._blocks:
            df = np.asarray(block.presence[rows].sum(axis=0)).ravel()
            idf = np.zeros_like(df)
            seen = df > 0
            # TfidfTransformer(smooth_idf=True): idf = ln((1 + n) / (1 + df)) + 1
            idf[seen] = np.log((1.0 + len(rows)) / (1.0 + df[seen])) + 1.0
            weights.append(idf)
        return FoldFeatures(self, weights)

    def fitted_union(self, train_rows: "Sequence[int] | np.ndarray") -> Any:
        """A fitted :func:`feature_union` that gives new texts the columns of ``fold(train_rows).matrix``.

        Its vocabulary is the whole corpus's, with IDF 0 for the n-grams outside
        ``train_rows`` (so they weigh nothing, as in the fold's matrix): a classifier
        fitted on the fold's matrix can be put behind it in a pipeline unchanged.
        """
        union = feature_union()
        for (_, vectorizer), vocabulary, idf in zip(union.transformer_list, self._vocabularies,
                                                    self.fold(train_rows)._idf):
            vectorizer.vocabulary_ = dict(vocabulary)
            vectorizer.idf_ = idf
        return union


class FoldFeatures:
    """TF-IDF with one training subset's vocabulary and IDF."""

    def __init__(self, corpus: CorpusFeatures, idf: list[Any]):
        self._corpus = corpus
        self._idf = idf

    def matrix(self, rows: "Sequence[int] | np.ndarray") -> Any:
        """The rows' TF-IDF, each block L2-normalised, blocks side by side (as a FeatureUnion)."""
        import numpy as np
        import scipy.sparse as sp  # type: ignore[import-untyped]  # no stubs in the test extra
        from sklearn.preprocessing import normalize

        index = np.asarray(rows, dtype=np.int64)
        parts = []
        for block, idf in zip(self._corpus._blocks, self._idf):
            part = block.log_tf[index].multiply(idf).tocsr()
            part.eliminate_zeros()
            parts.append(normalize(part, norm="l2", copy=False))
        return sp.hstack(parts, format="csr")
