"""Keyword search: BM25 (bm25s) over two token streams of every clause.

- accented: ``search_tokens(text)``: syllables with canonical tones and abbreviations, document
  codes whole, plus underthesea compound words;
- folded: the same tokens without tone marks (``search_tokens(text, folded=True)``), so a query
  typed without diacritics ("bien phap tiem vet") still finds "biện pháp tiêm vét".

Saved with bm25s' own non-pickle format (``.npy`` arrays + JSON vocabulary).
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from congvan.letters.text import (
    canonical_abbreviations,
    fold,
    has_diacritics,
    match_key,
)
from congvan.letters.tokenize import find_codes, search_tokens

PARAMS_FILE = "bm25.json"


def clause_tokens(text: str) -> tuple[list[str], list[str]]:
    """(accented, folded) search tokens of a clause: one segmentation, folded from the same list.

    Equal to ``search_tokens(text)`` and ``search_tokens(text, folded=True)``.
    """
    accented = search_tokens(text)
    return accented, [fold(t) for t in accented]


_DOC_NUMBER = re.compile(r"\d.*/|/.*\d")


def code_tokens(text: str) -> list[str]:
    """Document numbers in ``text`` ("2116/BYT-DP", "557-QĐ/TU") as search tokens.

    Only codes with a digit and a slash count (dates such as "12/4/2023" too, they are as exact);
    "COVID-19" is a code to the tokenizer but not a document number.
    """
    key = match_key(text)
    out = []
    for start, end in find_codes(key):
        span = key[start:end]
        if "/" in span and _DOC_NUMBER.search(span) and any(ch.isalpha() for ch in span):
            out.append(canonical_abbreviations(span))
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class QueryTerms:
    """A query as the keyword indexes see it."""

    text: str
    accented: list[str]
    folded: list[str]
    has_diacritics: bool
    codes: list[str]  # document numbers, accented-stream tokens

    @property
    def empty(self) -> bool:
        return not self.accented

    @property
    def n_syllables(self) -> int:
        """Query length in syllables (compound-word tokens not counted twice)."""
        return sum("_" not in t for t in self.accented)


def analyze_query(query: str) -> QueryTerms:
    accented = list(dict.fromkeys(search_tokens(query)))
    folded = list(dict.fromkeys(fold(t) for t in accented))
    return QueryTerms(query, accented, folded, has_diacritics(query), code_tokens(query))


class BM25Index:
    """BM25 scores of every document (clause) for a list of query tokens."""

    def __init__(self, retriever=None, n_docs: int = 0, k1: float = 1.5, b: float = 0.75) -> None:
        self.retriever = retriever
        self.n_docs = int(n_docs)
        self.k1, self.b = k1, b

    @classmethod
    def build(cls, docs: list[list[str]], k1: float = 1.5, b: float = 0.75) -> BM25Index:
        if not docs:
            return cls(None, 0, k1, b)
        import bm25s

        retriever = bm25s.BM25(k1=k1, b=b)
        _quiet_bm25s()
        retriever.index(docs, show_progress=False)
        return cls(retriever, len(docs), k1, b)

    def _ids(self, tokens: list[str]) -> list[int]:
        if self.retriever is None:
            return []
        vocab = self.retriever.vocab_dict
        return [vocab[t] for t in dict.fromkeys(tokens) if t and t in vocab]

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document (float32, zeros where nothing matches)."""
        ids = self._ids(tokens)
        if not ids:
            return np.zeros(self.n_docs, np.float32)
        return np.asarray(self.retriever.get_scores_from_ids(ids), dtype=np.float32)

    def doc_freq(self, tokens: list[str]) -> np.ndarray:
        """Number of documents containing each token (0 for unknown tokens)."""
        if self.retriever is None:
            return np.zeros(len(tokens), np.int64)
        vocab, indptr = self.retriever.vocab_dict, self.retriever.scores["indptr"]
        return np.array([int(indptr[vocab[t] + 1] - indptr[vocab[t]]) if t in vocab else 0
                         for t in tokens], dtype=np.int64)

    def containing(self, tokens: list[str]) -> np.ndarray:
        """Bool mask of documents that contain at least one of ``tokens``."""
        mask = np.zeros(self.n_docs, bool)
        if self.retriever is None:
            return mask
        sc = self.retriever.scores
        for tid in self._ids(tokens):
            mask[sc["indices"][sc["indptr"][tid]:sc["indptr"][tid + 1]]] = True
        return mask

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / PARAMS_FILE).write_text(json.dumps(
            {"n_docs": self.n_docs, "k1": self.k1, "b": self.b}), encoding="utf-8")
        if self.retriever is not None:
            self.retriever.save(str(folder), show_progress=False, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        folder = Path(folder)
        params = json.loads((folder / PARAMS_FILE).read_text(encoding="utf-8"))
        if not params["n_docs"]:
            return cls(None, 0, params["k1"], params["b"])
        import bm25s

        _quiet_bm25s()
        retriever = bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False)
        return cls(retriever, params["n_docs"], params["k1"], params["b"])


def _quiet_bm25s() -> None:
    logging.getLogger("bm25s").setLevel(logging.WARNING)
