"""What a clause inherits from its letter: number, type, issuer, province, subject and date.

Staff name letters, not only words: "công điện 228", "quyết định 1994 an giang", "tháng 6/2022
tiêm vắc xin quảng ninh". Those words sit in the letter's header, not in its clauses, so clause
BM25 cannot find them. Each letter gets a bag of header syllables (analysed by
``letters.tokenize.search_tokens`` like everything else, plus the number's parts "228", "cđ",
"ttg" and date forms "6/2022", "12/6/2022", "2022"); a query's words found there count for every
clause of the letter (``index.matching`` merges them into coverage), and letters whose header
covers enough of the query bring their clauses in as candidates.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from congvan.letters.text import fold
from congvan.letters.tokenize import search_tokens

_PARTS = re.compile(r"[^\W_]+")


def header_tokens(doc: Mapping[str, Any]) -> list[str]:
    """Accented header syllables of one letter (``Letter.document_dict()``)."""
    date = doc.get("date") or {}
    d, m, y = date.get("day"), date.get("month"), date.get("year")
    words = [doc.get("doc_type") or "", doc.get("issuer") or "", doc.get("province") or "",
             doc.get("subject") or ""]
    toks = search_tokens(" . ".join(words), words=False)
    number = (doc.get("number") or "").strip()
    if number:
        toks += search_tokens(number, words=False)
        toks += [p.lower() for p in _PARTS.findall(number)]
    if y:
        toks.append(str(y))
        if m:
            toks += [f"{m}/{y}", f"{int(m):02d}/{y}", "tháng", str(m)]
            if d:
                toks += [f"{d}/{m}/{y}", f"{int(d):02d}/{int(m):02d}/{y}"]
    return list(dict.fromkeys(t for t in toks if t))


@dataclass
class LetterHeaders:
    """Header tokens of every letter of a snapshot, with folded postings for candidate lookup."""

    tokens: list[list[str]]  # per letter (snapshot's doc order), accented
    folded: list[list[str]]
    postings: dict[str, np.ndarray]  # folded token → letter indices

    @classmethod
    def build(cls, docs: Iterable[Mapping[str, Any]]) -> LetterHeaders:
        tokens = [header_tokens(doc) for doc in docs]
        folded = [[fold(t) for t in toks] for toks in tokens]
        post: dict[str, list[int]] = {}
        for i, toks in enumerate(folded):
            for t in set(toks):
                post.setdefault(t, []).append(i)
        return cls(tokens, folded, {t: np.array(v, np.int64) for t, v in post.items()})

    def pair(self, letter: int) -> tuple[list[str], list[str]]:
        return self.tokens[letter], self.folded[letter]

    def coverage(self, terms_folded: Iterable[str], weights: np.ndarray, n_letters: int) -> np.ndarray:
        """Share of the query's (IDF-weighted) syllables each letter's header holds (folded)."""
        out = np.zeros(n_letters)
        total = float(np.sum(weights))
        if total <= 0:
            return out
        for t, w in zip(terms_folded, weights):
            idx = self.postings.get(t)
            if idx is not None:
                out[idx] += w
        return out / total
