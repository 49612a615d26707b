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

import bisect
import functools
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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


@functools.lru_cache(maxsize=4096)
def heading_tokens(heading: str) -> tuple[list[str], list[str]]:
    """(accented, folded) search syllables of a clause's heading, the lead-in its item sits under
    ("Giao Sở Y tế chủ trì, phối hợp với …:"): the doer and matter named there are the item's too.
    Cached: a heading repeats over its items and across queries."""
    toks = search_tokens(heading, words=False)
    return toks, [fold(t) for t in toks]


@dataclass
class LetterHeaders:
    """Header tokens of every letter of a snapshot, with folded postings for candidate lookup."""

    tokens: list[list[str]]  # per letter (snapshot's doc order), accented
    folded: list[list[str]]
    postings: Mapping[str, np.ndarray]  # folded token → letter indices (ascending)

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


class _SnapshotPostings(Mapping[str, np.ndarray]):
    """A ``HeaderIndex``'s postings (header numbers) seen as one snapshot's letter indices,
    mapped per token when a query asks for it."""

    def __init__(self, postings: dict[str, list[int]], to_letter: np.ndarray) -> None:
        self._postings, self._to_letter = postings, to_letter
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, token: str) -> np.ndarray:
        hit = self._cache.get(token)
        if hit is None:
            numbers = self._postings.get(token, [])
            # numbers ascend; those past this snapshot belong to letters it does not have
            numbers = numbers[:bisect.bisect_left(numbers, self._to_letter.shape[0])]
            letters = self._to_letter[np.array(numbers, np.int64)]
            hit = np.sort(letters[letters >= 0])
            self._cache[token] = hit
        if not hit.shape[0]:
            raise KeyError(token)
        return hit

    def __iter__(self) -> Iterator[str]:
        return (t for t in list(self._postings) if t in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class HeaderIndex:
    """Header tokens of the letters a collection has stored, read once (by doc_id and storage
    time; ``put_letter`` stores them analysed) and kept between snapshots: analysing every header
    again after each write cost 1.6 s per 10k letters on the first search. A snapshot's
    ``LetterHeaders`` maps its letters onto them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._known: dict[str, tuple[float | None, int]] = {}  # doc_id → (stored at, number)
        self._tokens: list[list[str]] = [[]]  # number 0: no header (a letter deleted since)
        self._folded: list[list[str]] = [[]]
        self._postings: dict[str, list[int]] = {}  # folded token → numbers, ascending

    def headers(self, doc_ids: Sequence[str], stamps: Mapping[str, float],
                analysed: Callable[[list[str]], Mapping[str, tuple[list[str], list[str]]]]) -> LetterHeaders:
        """``LetterHeaders`` of ``doc_ids`` (a snapshot's letters); ``stamps``: doc_id → when
        each stored letter was stored; ``analysed(doc_ids)``: their (accented, folded) header
        tokens (``Store.letter_headers``)."""
        with self._lock:
            if len(self._tokens) > 2 * len(stamps) + 1024:  # mostly deleted or replaced letters
                self._reset()
            known = self._known
            todo = [d for d in doc_ids if d in stamps and known.get(d, (None,))[0] != stamps[d]]
            found = analysed(todo)
            for d in todo:
                number = len(self._tokens)
                tokens, folded = found.get(d, ([], []))
                self._tokens.append(tokens)
                self._folded.append(folded)
                for t in set(folded):
                    self._postings.setdefault(t, []).append(number)
                known[d] = (stamps[d], number)
            numbers = np.array([known[d][1] if d in stamps else 0 for d in doc_ids], np.int64)
            to_letter = np.full(len(self._tokens), -1, np.int64)
            to_letter[numbers] = np.arange(numbers.shape[0])
            to_letter[0] = -1
            tokens = [self._tokens[i] for i in numbers.tolist()]
            folded = [self._folded[i] for i in numbers.tolist()]
            return LetterHeaders(tokens, folded, _SnapshotPostings(self._postings, to_letter))
