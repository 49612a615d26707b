"""Window vectors: a long clause is also embedded piece by piece, so a long question that
matches one of its sentences finds it.

The encoder reads the first ``max_seq_length`` tokens of a clause (256 by default), and one
vector for a 400-word law article or task-table row averages many topics: a question about
its fourth paragraph lands far from it (ALQAC: 42 % of the test split's gold articles are
longer than 256 tokens). A clause longer than ``MIN_WORDS`` words therefore also gets one
vector per window of about ``WINDOW_WORDS`` words, cut at sentence ends and overlapping by one
sentence, each led by the clause's heading line (an article's "Điều 12. …" title) when it has
one. Search uses them to *rescore* its candidates for long queries (``RankingParams``'
``window_vectors``): the clause's cosine becomes the best of its own and its windows'.
Short staff queries keep the whole clause's cosine (windows did not help them on the staff
tuning split).

Sizes were chosen on ALQAC train + extra 2025 (``python benchmarks/window_vectors.py``; the
grid is in ``index.ranking.TUNING_NOTES``): windows of about 96 tokens beat 128 and 200; legal
text runs 1.13 e5 tokens a word, so 80 words. Cutting by words keeps the windows the same
whatever encoder is configured.

The keyword side (``keyword_window_scores``) scores runs of a clause's stored search tokens with
BM25 at query time, for the best keyword candidates of long queries only: no second index.
"""
from __future__ import annotations

import re

import numpy as np

#: A clause longer than this many words gets window vectors (about 115 e5 tokens).
MIN_WORDS = 100
#: Words in one window, the heading included (about 96 tokens).
WINDOW_WORDS = 80
#: A heading line longer than this is body text, not a title.
HEADING_WORDS = 24
#: Bump when the cutting changes (benchmark indexes are rebuilt on it).
VERSION = 2
#: At most this many windows a clause (a 2,500-word annex row is read in its first 32 windows).
MAX_WINDOWS = 32

_SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+|\n+")


def _sentences(body: str) -> list[list[str]]:
    """Sentences as word lists; a sentence longer than a window is cut into window-sized runs."""
    out: list[list[str]] = []
    for part in _SENTENCE_END.split(body):
        words = part.split()
        for start in range(0, len(words), WINDOW_WORDS):
            if words[start:start + WINDOW_WORDS]:
                out.append(words[start:start + WINDOW_WORDS])
    return out


def clause_windows(text: str) -> list[str]:
    """The window texts of a clause ([] for a clause short enough to embed whole)."""
    if len(text.split()) <= MIN_WORDS:
        return []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    head = lines[0] if len(lines) > 1 and len(lines[0].split()) <= HEADING_WORDS else ""
    body = "\n".join(lines[1:]) if head else "\n".join(lines)
    room = max(WINDOW_WORDS - len(head.split()), WINDOW_WORDS // 2)
    windows: list[list[list[str]]] = []
    current: list[list[str]] = []
    size = 0
    for sentence in _sentences(body):
        if current and size + len(sentence) > room:
            windows.append(current)
            # overlap by the last sentence, unless it filled the window alone or leaves no room
            keep = len(current) > 1 and len(current[-1]) + len(sentence) <= room
            current = current[-1:] if keep else []
            size = sum(len(s) for s in current)
        current.append(sentence)
        size += len(sentence)
    if current:
        windows.append(current)
    prefix = f"{head}\n" if head else ""
    return [prefix + " ".join(" ".join(s) for s in window) for window in windows[:MAX_WINDOWS]]


def pack(vectors: np.ndarray | None, dim: int) -> bytes | None:
    """Window vectors as a float32 little-endian BLOB (None when the clause has none)."""
    if vectors is None or not len(vectors):
        return None
    return np.asarray(vectors, dtype="<f4").reshape(-1, dim).tobytes()


def unpack(blob: bytes | None, dim: int) -> np.ndarray:
    """The (k, dim) window matrix of a stored BLOB (k = 0 for None)."""
    if not blob:
        return np.zeros((0, dim), np.float32)
    mat = np.frombuffer(blob, dtype="<f4")
    if mat.shape[0] % dim:
        raise ValueError(f"window BLOB of {mat.shape[0]} floats is not a multiple of dim {dim}")
    return mat.reshape(-1, dim).astype(np.float32)


def best_window(query: np.ndarray, windows: list[np.ndarray]) -> np.ndarray:
    """Per clause, the best cosine of its windows (−inf for a clause without windows)."""
    q = np.asarray(query, np.float32)
    return np.array([float((w @ q).max()) if w.shape[0] else -np.inf for w in windows], np.float64)


def keyword_window_scores(docs: list[list[str]], terms: list[str], idf: np.ndarray, *, size: int,
                          k1: float, b: float) -> np.ndarray:
    """Best BM25 score of any run of ``size`` search tokens (half-overlapping) in each document.

    The keyword side of window scoring: a long question's words cluster in one paragraph of a
    long article, and whole-clause BM25 dilutes them by the article's length. Term weights
    (``idf``, aligned with ``terms``) come from the whole collection; a window's length is its
    token count against ``size``. A document no longer than 1.5 windows scores 0 (its
    whole-clause score already says it)."""
    out = np.zeros(len(docs), np.float64)
    if not terms:
        return out
    index = {t: i for i, t in enumerate(terms)}
    step = max(size // 2, 1)
    weights = np.asarray(idf, np.float64)
    for d, tokens in enumerate(docs):
        if len(tokens) <= size + step:
            continue
        ids = np.array([index.get(t, -1) for t in tokens], np.int64)
        hit = ids >= 0
        if not hit.any():
            continue
        counts = np.zeros((len(terms), len(tokens) + 1), np.int32)  # running count of each term
        counts[ids[hit], np.flatnonzero(hit) + 1] = 1
        np.cumsum(counts, axis=1, out=counts)
        starts = np.arange(0, max(len(tokens) - step, 1), step)
        ends = np.minimum(starts + size, len(tokens))
        tf = (counts[:, ends] - counts[:, starts]).astype(np.float64)  # terms × windows
        norm = k1 * (1.0 - b + b * (ends - starts) / size)
        out[d] = float((weights[:, None] * tf * (k1 + 1.0) / (tf + norm)).sum(axis=0).max())
    return out
