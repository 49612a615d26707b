"""Hybrid ranking: BM25 (accented + folded) fused with dense similarity.

One pure function, :func:`rank`, does candidate selection, fusion, the document-code boost and
the clause-kind preference. ``Collection.search`` calls it with scores from its indexes, and
``training/eval_search.py`` calls the same function when tuning, so tuned numbers are the ones
the service ranks with.

Keyword score of a clause (all in [0, 1], normalised by the best clause allowed by the filters):
- query with diacritics: ``accent_weight · acc/max(acc) + (1 − accent_weight) · fold/max(fold)``,
  so a clause matching the exact accents outranks one that matches only once tones are removed;
- query without diacritics: ``fold/max(fold)``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np

MODES = ("hybrid", "bm25", "dense")
DIRECTIVE = 1  # index of "directive" in filters.KINDS


@dataclass(frozen=True)
class RankingParams:
    """Fusion weights. Defaults tuned on the benchmarks' tuning splits only (never on test):

        .venv/bin/python -m training.eval_search tune

    tunes over ALQAC train_2023 + extra_2025 and UIT-ViCoV19QA train + val and prints the grid;
    see TUNING_NOTES below for the numbers behind these defaults.
    """

    #: "convex": (1 − w)·keyword + w·dense (dense min-max normalised over the candidates);
    #: "rrf": reciprocal-rank fusion with the same weights.
    fusion: str = "convex"
    dense_weight: float = 0.5
    accent_weight: float = 0.7
    rrf_k: float = 60.0
    #: Candidates taken from each retriever before fusion.
    depth: int = 100
    #: Added to clauses that contain a document number named in the query ("2116/BYT-DP").
    code_boost: float = 1.0
    #: Multiplier for preamble/closing clauses (directive clauses rank a bit higher).
    other_kind_factor: float = 0.9
    #: A clause counts as matching a query by meaning alone when its cosine is at least this.
    dense_floor: float = 0.82
    #: Query tokens in more than this share of clauses don't make a clause "match" by themselves.
    common_token_ratio: float = 0.5

    def with_(self, **changes) -> RankingParams:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULT_PARAMS = RankingParams()

#: How the defaults were chosen (filled in by the tuning run, see RankingParams).
TUNING_NOTES = ""


@dataclass
class Ranked:
    """Ranked slots (best first), their scores, and how many clauses match in total."""

    slots: np.ndarray
    scores: np.ndarray
    total: int


def _max_norm(x: np.ndarray) -> np.ndarray:
    m = float(x.max(initial=0.0))
    return x / m if m > 0 else np.zeros_like(x)


def keyword_scores(acc: np.ndarray, fold: np.ndarray, has_diacritics: bool,
                   params: RankingParams, allowed: np.ndarray | None = None) -> np.ndarray:
    """Combined keyword score per slot in [0, 1]; 0 outside ``allowed``."""
    if allowed is not None:
        acc = np.where(allowed, acc, 0.0)
        fold = np.where(allowed, fold, 0.0)
    if has_diacritics:
        w = params.accent_weight
        return (w * _max_norm(acc) + (1.0 - w) * _max_norm(fold)).astype(np.float32)
    return _max_norm(fold).astype(np.float32)


def _top_slots(scores: np.ndarray, k: int, positive: bool = True) -> np.ndarray:
    idx = np.flatnonzero(scores > 0) if positive else np.arange(scores.shape[0])
    if idx.shape[0] > k:
        idx = idx[np.argpartition(-scores[idx], k - 1)[:k]]
    return idx


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based rank of each value, best (largest) first; ties by position."""
    order = np.lexsort((np.arange(values.shape[0]), -values))
    ranks = np.empty(values.shape[0], np.float64)
    ranks[order] = np.arange(1, values.shape[0] + 1)
    return ranks


def fuse(kw: np.ndarray, dense: np.ndarray, params: RankingParams, mode: str) -> np.ndarray:
    """Fused scores of candidates from their keyword score (in [0, 1]) and cosine."""
    if mode == "bm25":
        return kw.astype(np.float64)
    if mode == "dense":
        return dense.astype(np.float64)
    w = params.dense_weight
    if params.fusion == "rrf":
        k = params.rrf_k
        kw_part = np.where(kw > 0, 1.0 / (k + _ranks(kw)), 0.0)
        dense_part = 1.0 / (k + _ranks(dense))
        return (k + 1.0) * ((1.0 - w) * kw_part + w * dense_part)
    if params.fusion != "convex":
        raise ValueError(f"unknown fusion {params.fusion!r}")
    lo, hi = float(dense.min(initial=0.0)), float(dense.max(initial=0.0))
    dn = (dense - lo) / (hi - lo) if hi > lo else np.ones_like(dense, dtype=np.float64)
    return (1.0 - w) * kw + w * dn


def rank(*, kw: np.ndarray, dense_top: tuple[np.ndarray, np.ndarray],
         dense_at: Callable[[np.ndarray], np.ndarray], kinds: np.ndarray,
         keyword_match: np.ndarray, dense_match: np.ndarray, code_match: np.ndarray | None,
         params: RankingParams, mode: str, depth: int) -> Ranked:
    """Rank slots for one query.

    kw: keyword score per slot (``keyword_scores``; 0 where filtered out).
    dense_top: (slots, cosines) of the best dense neighbours allowed by the filters.
    dense_at: cosines for any slots.
    keyword_match / dense_match: bool masks of slots that match the query (filters applied);
    their union (per mode) is the result set and its size the total.
    code_match: slots containing a document number of the query (boosted first), or None.
    """
    if mode not in MODES:
        raise ValueError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
    if mode == "bm25":
        matched = keyword_match
    elif mode == "dense":
        matched = dense_match
    else:
        matched = keyword_match | dense_match
    if code_match is not None:
        matched = matched | code_match
    total = int(matched.sum())
    parts = []
    if mode != "dense":
        parts.append(_top_slots(np.where(matched, kw, 0.0), depth))
    if mode != "bm25":
        parts.append(dense_top[0][:depth])
    if code_match is not None:
        parts.append(np.flatnonzero(code_match)[: max(depth, 1)])
    cand = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    cand = cand[matched[cand]]
    if not cand.shape[0]:
        return Ranked(cand, np.zeros(0), total)
    dense = dense_at(cand) if mode != "bm25" else np.zeros(cand.shape[0], np.float32)
    scores = fuse(kw[cand], dense, params, mode)
    scores = np.where(kinds[cand] == DIRECTIVE, scores, scores * params.other_kind_factor)
    if code_match is not None:
        scores = scores + params.code_boost * code_match[cand]
    order = np.lexsort((cand, -scores))
    return Ranked(cand[order], scores[order], total)
