"""The three baselines the fine-tuned tagger must beat, on the same split and the same metrics.

1. **keyword rules** — a theme is given when one of its taxonomy keywords occurs in the clause
   (accent-, case- and spacing-insensitive, whole words). No training, no thresholds.
2. **TF-IDF + logistic regression** — word 1-2-grams and character 2-5-grams of the folded text,
   one class-balanced logistic regression per theme (``models.lexical.LexicalModel``, the lexical
   half of the blended tagger, here alone), per-theme thresholds tuned on dev.
3. **frozen e5 + logistic regression** — the *base* (not fine-tuned) e5 embeddings of
   ``"passage: " + clause``, one logistic regression per theme, thresholds tuned on dev (long
   clauses: best window, as for the tagger).

Every baseline predicts only for ``directive`` clauses, like the tagger.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.letters.text import fold
from congvan.models.lexical import LexicalModel

__all__ = ["KeywordTagger", "fit_logreg", "fit_tfidf", "keyword_proba"]


def _kw_regex(keyword: str) -> re.Pattern[str]:
    words = re.findall(r"\w+", fold(keyword))
    if not words:
        return re.compile(r"(?!x)x")
    return re.compile(r"(?<!\w)" + r"[\s\-,./&]+".join(map(re.escape, words)) + r"(?!\w)")


class KeywordTagger:
    """Taxonomy keywords as rules (baseline 1)."""

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        tax = taxonomy or load_taxonomy()
        self.ids = tax.theme_ids
        self.rules = [[_kw_regex(k) for k in (t.keywords or (t.label,))] for t in tax.themes]

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.ids)), np.float32)
        for i, text in enumerate(texts):
            folded = fold(text)
            for j, regexes in enumerate(self.rules):
                if any(r.search(folded) for r in regexes):
                    out[i, j] = 1.0
        return out


@lru_cache(maxsize=1)
def _keyword_tagger(path: str) -> KeywordTagger:
    return KeywordTagger(load_taxonomy(path))


def keyword_proba(texts: Sequence[str], taxonomy: Taxonomy | None = None) -> np.ndarray:
    tax = taxonomy or load_taxonomy()
    return _keyword_tagger(tax.path).proba(texts)


def fit_logreg(x: np.ndarray, y: np.ndarray, c: float = 4.0, seed: int = 13,
               balanced: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per column of ``y`` → (weight (labels, dim), bias (labels,)).

    A label without positive (or negative) training examples gets a constant far-negative
    (positive) score instead of a fit.
    """
    from sklearn.linear_model import LogisticRegression

    weight = np.zeros((y.shape[1], x.shape[1]), np.float32)
    bias = np.full(y.shape[1], -12.0, np.float32)
    for j in range(y.shape[1]):
        col = y[:, j]
        if col.min() == col.max():
            bias[j] = 12.0 if col.min() == 1 else -12.0
            continue
        clf = LogisticRegression(C=c, max_iter=3000, random_state=seed,
                                 class_weight="balanced" if balanced else None)
        clf.fit(x, col)
        weight[j] = clf.coef_[0]
        bias[j] = clf.intercept_[0]
    return weight, bias


def fit_tfidf(texts: Sequence[str], y: np.ndarray, seed: int = 13, c: float = 10.0) -> LexicalModel:
    """Baseline 2 is the tagger's own lexical component, alone (``models.lexical``)."""
    return LexicalModel(c=c, seed=seed).fit(texts, y)
