"""A lexical theme model: TF-IDF of the folded clause + one logistic regression per theme.

Why it exists beside the fine-tuned encoder: the two make different mistakes (the encoder reads
meaning, this one reads the exact words and word pieces of the genre), and on the dev split their
blend beats either alone (``training/config.py``). It is also the TF-IDF baseline of the report.

Saved without pickle: the vocabularies as JSON, the IDF vectors and the weights as safetensors, so
a model folder stays inspectable and safe to load.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from congvan.letters.text import fold

__all__ = ["LexicalModel", "LEXICAL_VOCAB_FILE", "LEXICAL_WEIGHTS_FILE"]

LEXICAL_VOCAB_FILE = "lexical_vocab.json"
LEXICAL_WEIGHTS_FILE = "lexical.safetensors"

#: (name, analyzer, n-gram range, min_df): word 1-2-grams and character 2-5-grams inside words.
_PARTS: tuple[tuple[str, str, tuple[int, int], int], ...] = (
    ("word", "word", (1, 2), 1),
    ("char", "char_wb", (2, 5), 2),
)


def _vectorizer(analyzer: str, ngrams: tuple[int, int], min_df: int,
                vocabulary: dict[str, int] | None = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, min_df=min_df,
                           vocabulary=vocabulary, dtype=np.float32)


class LexicalModel:
    """TF-IDF (word + char n-grams of ``fold(text)``) → sigmoid per label."""

    def __init__(self, c: float = 10.0, seed: int = 13) -> None:
        self.c = c
        self.seed = seed
        self.vectorizers: list[Any] = []
        self.weight = np.zeros((0, 0), np.float32)  # (labels, features)
        self.bias = np.zeros(0, np.float32)

    @property
    def n_labels(self) -> int:
        return int(self.bias.shape[0])

    def _features(self, texts: Sequence[str]) -> Any:
        from scipy.sparse import hstack

        folded = [fold(t) for t in texts]
        return hstack([v.transform(folded) for v in self.vectorizers]).tocsr()

    def fit(self, texts: Sequence[str], y: np.ndarray) -> LexicalModel:
        """One class-balanced logistic regression per column of ``y`` (a label with one class only
        gets a constant score)."""
        from scipy.sparse import hstack
        from sklearn.linear_model import LogisticRegression

        folded = [fold(t) for t in texts]
        self.vectorizers = [_vectorizer(a, n, m) for _, a, n, m in _PARTS]
        x = hstack([v.fit_transform(folded) for v in self.vectorizers]).tocsr()
        self.weight = np.zeros((y.shape[1], x.shape[1]), np.float32)
        self.bias = np.zeros(y.shape[1], np.float32)
        for j in range(y.shape[1]):
            col = y[:, j]
            if col.min() == col.max():
                self.bias[j] = 12.0 if col.min() == 1 else -12.0
                continue
            clf = LogisticRegression(C=self.c, max_iter=3000, random_state=self.seed, class_weight="balanced")
            clf.fit(x, col)
            self.weight[j] = clf.coef_[0]
            self.bias[j] = clf.intercept_[0]
        return self

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.n_labels), np.float32)
        z = np.asarray(self._features(texts) @ self.weight.T).reshape(len(texts), -1) + self.bias
        return (1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))).astype(np.float32)

    # ---- saving / loading (no pickle)
    def save(self, folder: Path) -> dict[str, Any]:
        """Write the two files into ``folder``; returns the manifest entry."""
        from safetensors.numpy import save_file

        from congvan.models.artifacts import write_bytes_atomic

        vocab = {name: {k: int(i) for k, i in v.vocabulary_.items()}
                 for (name, *_), v in zip(_PARTS, self.vectorizers)}
        write_bytes_atomic(folder / LEXICAL_VOCAB_FILE, json.dumps(vocab, ensure_ascii=False).encode("utf-8"))
        tensors = {f"idf.{name}": np.ascontiguousarray(v.idf_, np.float32)
                   for (name, *_), v in zip(_PARTS, self.vectorizers)}
        tensors["weight"] = np.ascontiguousarray(self.weight)
        tensors["bias"] = np.ascontiguousarray(self.bias)
        save_file(tensors, str(folder / LEXICAL_WEIGHTS_FILE), metadata={"format": "congvan-lexical"})
        return {"vocab": LEXICAL_VOCAB_FILE, "weights": LEXICAL_WEIGHTS_FILE, "c": self.c,
                "features": int(self.weight.shape[1]), "parts": [p[0] for p in _PARTS]}

    @classmethod
    def load(cls, folder: Path, entry: dict[str, Any] | None = None) -> LexicalModel:
        """Read what ``save`` wrote; ``ValueError`` says which file is wrong."""
        from safetensors.numpy import load_file

        entry = entry or {}
        vocab_path = Path(folder) / entry.get("vocab", LEXICAL_VOCAB_FILE)
        weights_path = Path(folder) / entry.get("weights", LEXICAL_WEIGHTS_FILE)
        try:
            vocab = json.loads(vocab_path.read_text(encoding="utf-8"))
            tensors = load_file(str(weights_path))
        except (OSError, ValueError) as exc:
            raise ValueError(f"lexical model unreadable ({exc})") from exc
        model = cls(c=float(entry.get("c", 10.0)))
        for name, analyzer, ngrams, min_df in _PARTS:
            if name not in vocab or f"idf.{name}" not in tensors:
                raise ValueError(f"{vocab_path.name}/{weights_path.name}: part {name!r} missing")
            v = _vectorizer(analyzer, ngrams, min_df, vocabulary=vocab[name])
            idf = tensors[f"idf.{name}"].astype(np.float64)
            if idf.shape[0] != len(vocab[name]):
                raise ValueError(f"{weights_path.name}: idf.{name} does not match the vocabulary")
            v.idf_ = idf
            model.vectorizers.append(v)
        model.weight = tensors["weight"].astype(np.float32)
        model.bias = tensors["bias"].astype(np.float32)
        if model.weight.shape[1] != sum(len(vocab[p[0]]) for p in _PARTS):
            raise ValueError(f"{weights_path.name}: weights do not match the vocabulary")
        return model
