"""How well a clause respects the query's words: coverage, phrases (adjacency) and proximity.

BM25 sums per-token evidence, so for a 3-word staff query a short clause with one common word
("biện pháp") can beat a long item that holds the whole phrase ("… tổ chức tiêm vét …"). These
features look at the query as a sequence of syllables instead, on the candidates only:

- coverage: share of the query's syllables the clause contains, each weighted by its IDF in the
  index (so genre-common words — "biện", "pháp", "triển", "khai" — weigh little: learnt from the
  corpus, not from a list);
- adjacency: share of the query's syllable bigrams ("tiêm vét") found as adjacent syllables,
  weighted by the bigram's IDF (the segmented compound's document frequency when the analyser
  made one, so "biện pháp", "phòng chống" weigh little and "tiêm vét" a lot);
- window: the best coverage inside one window of a few syllables more than the query, so a long
  item scores by its best passage, not diluted by its length.

A clause's letter header (``index.letter_context``) and the heading its item sits under ("Giao Sở
Y tế chủ trì, phối hợp …:") count for coverage and phrases as if they were part of it.

An exact (accented) match counts 1, a match only once tones are removed ``fold_credit``; a
tone-less query matches folded forms fully. All three are in [0, 1]. The token streams come from
:mod:`index.keyword` (the single source of analysis); this module only scores.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress, count, pairwise
from operator import mul

import numpy as np

from congvan.index.filters import folded_canonical
from congvan.letters.text import fold
from congvan.letters.tokenize import search_tokens

_PARTS = re.compile(r"[^\W_]+")


def idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """BM25's IDF, never negative."""
    df = np.asarray(df, np.float64)
    return np.log1p((max(n_docs, 1) - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class QueryWords:
    """A query as a syllable sequence with IDF weights (see module docstring)."""

    accented: bool
    terms: tuple[str, ...]  # distinct syllables, accented form (folded when the query has no tones)
    terms_folded: tuple[str, ...]
    weights: np.ndarray  # per distinct syllable
    bigrams: tuple[tuple[int, int], ...]  # pairs of indices into ``terms``, in query order
    bigram_weights: np.ndarray

    @property
    def empty(self) -> bool:
        return not self.terms

    def phrases(self) -> list[str]:
        return [f"{self.terms[a]} {self.terms[b]}" for a, b in self.bigrams]


def query_words(text: str, accented: bool, df: Callable[[list[str]], np.ndarray],
                n_docs: int) -> QueryWords:
    """Analyse a query; ``df`` gives folded document frequencies from the index."""
    # tone-less: full forms as the one token the letters are indexed with (``folded_canonical``)
    seq = search_tokens(text if accented else folded_canonical(text), words=False)
    if not accented:
        seq = [fold(t) for t in seq]
    terms = tuple(dict.fromkeys(seq))
    folded = tuple(fold(t) for t in terms)
    index = {t: i for i, t in enumerate(terms)}
    pairs = tuple(dict.fromkeys((index[a], index[b]) for a, b in pairwise(seq) if a != b))
    if not terms:
        return QueryWords(accented, (), (), np.zeros(0), (), np.zeros(0))
    compounds = [f"{folded[a]}_{folded[b]}" for a, b in pairs]
    freq = np.asarray(df(list(folded) + compounds), np.float64)
    term_df, compound_df = freq[:len(terms)], freq[len(terms):]
    weights = idf(term_df, n_docs)
    # A bigram is at most as frequent as its rarer syllable; the analyser's compound word, when it
    # exists in the index, tells how common the phrase really is ("biện_pháp" in most letters).
    pair_df = np.array([compound_df[j] if compound_df[j] > 0 else min(term_df[a], term_df[b])
                        for j, (a, b) in enumerate(pairs)], np.float64)
    return QueryWords(accented, terms, folded, weights, pairs, idf(pair_df, n_docs))


@dataclass
class MatchFeatures:
    """Per candidate clause: the three features and which query words/phrases it matched."""

    coverage: np.ndarray
    adjacency: np.ndarray
    window: np.ndarray
    matched: list[list[str]]


Tokens = tuple[Sequence[str], Sequence[str]]  # (accented, folded), aligned


def _pair(tokens: Tokens | Sequence[str]) -> Tokens:
    """(accented, folded) of a clause given either way."""
    if isinstance(tokens, tuple) and len(tokens) == 2 and not isinstance(tokens[0], str):
        return tokens
    return list(tokens), [fold(t) for t in tokens]


def _credits(terms: Sequence[str], terms_folded: Sequence[str], accented: bool, acc_hit: set[str],
             fold_hit: set[str], fold_credit: float) -> list[float]:
    """Per query syllable: 1 (exact), ``fold_credit`` (only without tones) or 0."""
    if not accented:
        return [1.0 if tf in fold_hit else 0.0 for tf in terms_folded]
    return [1.0 if t in acc_hit else (fold_credit if tf in fold_hit else 0.0)
            for t, tf in zip(terms, terms_folded)]


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(map(mul, a, b))


_CODE_CHARS = re.compile(r"[/-]")


def _code_parts(tokens: Sequence[str]) -> set[str]:
    """Parts of document numbers: "1068/cđ-ttg" → {"1068", "cđ", "ttg"} ("1068" alone must match)."""
    out: set[str] = set()
    if not _CODE_CHARS.search(" ".join(tokens)):  # most clauses hold none: one C-level scan
        return out
    for t in tokens:
        if "/" in t or "-" in t:
            out.update(_PARTS.findall(t))
    return out


@dataclass(frozen=True)
class _Query:
    """``QueryWords`` as plain Python values for the per-clause loop (numpy's per-call overhead
    would dominate vectors of 2–6 syllables)."""

    q: QueryWords
    acc: frozenset[str]
    folded: frozenset[str]
    weights: list[float]
    total_w: float
    bigram_weights: list[float]
    total_bw: float
    phrases: list[str]

    @classmethod
    def of(cls, qw: QueryWords) -> _Query:
        weights = [float(w) for w in qw.weights]
        bigram_weights = [float(w) for w in qw.bigram_weights]
        return cls(qw, frozenset(qw.terms), frozenset(qw.terms_folded), weights, float(sum(weights)),
                   bigram_weights, float(sum(bigram_weights)), qw.phrases())


@dataclass(frozen=True)
class _Header:
    """What a letter header contributes, computed once per letter per query."""

    acc_hit: frozenset[str]
    fold_hit: frozenset[str]
    acc_pairs: frozenset[tuple[str, str]]
    fold_pairs: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, qd: _Query, header: Tokens) -> _Header:
        head_acc, head_fold = header
        return cls(qd.acc.intersection(head_acc), qd.folded.intersection(head_fold),
                   frozenset(pairwise(head_acc)), frozenset(pairwise(head_fold)))

    def __or__(self, other: _Header) -> _Header:
        return _Header(self.acc_hit | other.acc_hit, self.fold_hit | other.fold_hit,
                       self.acc_pairs | other.acc_pairs, self.fold_pairs | other.fold_pairs)


def _clause(qd: _Query, tokens: Tokens, fold_credit: float, window_pad: int,
            head: _Header) -> tuple[float, float, float, list[str]]:
    """Features of one clause. Syllables come first in the token streams (compound words, which
    hold "_", follow them), so positions of query syllables are positions in the text."""
    qw = qd.q
    acc_tokens, fold_tokens = tokens
    acc_clause = qd.acc.intersection(acc_tokens)
    fold_clause = qd.folded.intersection(fold_tokens)
    if len(fold_clause) < len(qd.folded):  # header tokens already hold their number's parts
        parts = _code_parts(acc_tokens)
        if parts:
            acc_clause |= qd.acc & parts
            fold_clause |= qd.folded & {fold(p) for p in parts}
    own = _credits(qw.terms, qw.terms_folded, qw.accented, acc_clause, fold_clause, fold_credit)
    if head.acc_hit or head.fold_hit:  # the letter's header holds query words too
        credit = _credits(qw.terms, qw.terms_folded, qw.accented, acc_clause | head.acc_hit,
                          fold_clause | head.fold_hit, fold_credit)
    else:
        credit = own
    total_w = qd.total_w
    coverage = _dot(credit, qd.weights) / total_w if total_w > 0 else 0.0
    matched = [t for t, c in zip(qw.terms, credit) if c > 0]
    # (Positions by a C-level scan: clauses run to hundreds of syllables.)
    pos = list(compress(count(), map(qd.folded.__contains__, fold_tokens))) if fold_clause else []
    if qw.bigrams:
        n = len(fold_tokens)
        fol_pairs = {(fold_tokens[i], fold_tokens[i + 1]) for i in pos if i + 1 < n}
        acc_pairs = {(acc_tokens[i], acc_tokens[i + 1]) for i in pos if i + 1 < n}
        pair_credit = []
        for a, b in qw.bigrams:
            acc_pair, fold_pair = (qw.terms[a], qw.terms[b]), (qw.terms_folded[a], qw.terms_folded[b])
            if qw.accented and (acc_pair in acc_pairs or acc_pair in head.acc_pairs):
                pair_credit.append(1.0)
            elif fold_pair in fol_pairs or fold_pair in head.fold_pairs:
                pair_credit.append(1.0 if not qw.accented else fold_credit)
            else:
                pair_credit.append(0.0)
        bw = qd.total_bw
        adjacency = _dot(pair_credit, qd.bigram_weights) / bw if bw > 0 else 0.0
        matched += [p for p, c in zip(qd.phrases, pair_credit) if c > 0]
    else:
        adjacency = coverage
    window = _dot(own, qd.weights) / total_w if total_w > 0 else 0.0
    if window > 0 and pos and pos[-1] - pos[0] >= len(qw.terms) + window_pad:
        window = _best_window(qw, [(p, fold_tokens[p]) for p in pos], np.asarray(own),
                              len(qw.terms) + window_pad, total_w)
    return coverage, adjacency, window, matched


def _best_window(qw: QueryWords, hits_at: list[tuple[int, str]], credit: np.ndarray,
                 width: int, total_w: float) -> float:
    """Largest weighted coverage of distinct query syllables within ``width`` consecutive
    syllables (two pointers over the positions of matched syllables)."""
    lookup = {t: i for i, t in enumerate(qw.terms_folded)}
    hits = [(p, lookup[f]) for p, f in hits_at if credit[lookup[f]] > 0]
    if not hits:
        return 0.0
    counts: dict[int, int] = {}
    value, best, lo = 0.0, 0.0, 0
    gain = credit * qw.weights
    for pos, term in hits:
        counts[term] = counts.get(term, 0) + 1
        if counts[term] == 1:
            value += gain[term]
        while pos - hits[lo][0] >= width:
            old = hits[lo][1]
            counts[old] -= 1
            if counts[old] == 0:
                value -= gain[old]
            lo += 1
        best = max(best, value)
    return best / total_w if total_w > 0 else 0.0


def match_features(qw: QueryWords, clauses: Sequence[Tokens | Sequence[str]], *, fold_credit: float,
                   window_pad: int, headers: Sequence[Tokens | Sequence[str]] | None = None,
                   headings: Sequence[Tokens | Sequence[str] | None] | None = None) -> MatchFeatures:
    """Features of each clause for the query. A clause is its accented search tokens, or the
    (accented, folded) pair when the folded stream is at hand (the index stores both); ``headers``
    (per clause, its letter's header tokens: ``index.letter_context``) count for coverage and
    adjacency, not for the window."""
    n = len(clauses)
    cov, adj, win = np.zeros(n), np.zeros(n), np.zeros(n)
    matched: list[list[str]] = [[] for _ in range(n)]
    if qw.empty:
        return MatchFeatures(cov, adj, win, matched)
    qd = _Query.of(qw)
    no_header = _Header.of(qd, ((), ()))
    # Headers repeat across a letter's clauses: one _Header per header token list (alive in
    # ``headers`` throughout, so its id is not reused).
    by_letter: dict[int, _Header] = {}
    for i, tokens in enumerate(clauses):
        if headers is None:
            head = no_header
        else:
            raw = headers[i]
            key = id(raw[0]) if isinstance(raw, tuple) else id(raw)
            head = by_letter.get(key)
            if head is None:
                head = by_letter[key] = _Header.of(qd, _pair(raw))
        if headings is not None and headings[i]:
            head = head | _Header.of(qd, _pair(headings[i]))
        cov[i], adj[i], win[i], matched[i] = _clause(qd, _pair(tokens), fold_credit, window_pad, head)
    return MatchFeatures(cov, adj, win, matched)
