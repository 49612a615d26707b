"""Nearest-neighbour search over clause embeddings (inner product of L2-normalised vectors).

Two implementations of one small protocol:

- ``ExactIndex``: a NumPy matrix, brute force. The reference (tests compare FAISS against it).
- ``FaissIndex``: ``IndexFlatIP`` below ``hnsw_threshold`` vectors, ``IndexHNSWFlat`` (inner
  product) at or above it; which one is chosen is recorded in the derived folder's manifest.

Positions are the order vectors were added in; ``ids[position]`` is the clause row id in SQLite.
Stale positions (clauses deleted since) are filtered out by the caller through ``allowed``.

``LayeredIndex`` puts either in front of a small flat index of the vectors added since it was
built, so adding a letter to a large collection costs the letter, not a copy of the graph.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from congvan.models.artifacts import ArtifactError, link_or_write

IDS_FILE = "ids.npy"
EXACT_FILE = "vectors.npy"
FAISS_FILE = "faiss.index"
MAIN_DIR = "main"
DELTA_DIR = "delta"


@dataclass(frozen=True)
class VectorOptions:
    """How the vector index is built; defaults measured in ``benchmarks/bench_search.py``."""

    #: Below this many vectors an exact ``IndexFlatIP``; at or above, HNSW.
    hnsw_threshold: int = 20_000
    hnsw_m: int = 32
    ef_construction: int = 80
    #: Search breadth. benchmarks/bench_search.py at 100k clauses, recall@10 against exact search
    #: / HNSW search time: ef 96 0.84 / 0.3 ms, 256 0.94 / 0.7 ms, 384 0.96 / 1.0 ms, 512 0.97 /
    #: 1.3 ms (a hard synthetic distribution: vectors mixed from 512 real ones).
    ef_search: int = 384
    #: Filtered searches that leave at most this many vectors are answered by brute force.
    brute_force_max: int = 8192
    #: At or above this many vectors "auto" stores them 8-bit scalar-quantised in the HNSW graph
    #: (``IndexHNSWSQ``: 384 B instead of 1,536 B per 384-d vector; 1M clauses ≈ 0.4 GB + graph).
    sq8_threshold: int = 250_000
    #: Queries used to measure recall@10 against exact search when an index is built (manifest).
    recall_queries: int = 64
    #: Vectors added since the main index was built wait in a flat "delta" index searched beside
    #: it (a write then neither copies nor rewrites the main index); past this many they are
    #: added to a copy of the main index. Brute force over 8,192 384-d vectors: ≈ 1 ms.
    delta_max: int = 8192


class VectorIndex(Protocol):
    kind: str  # "exact" | "flat" | "hnsw"
    dim: int
    ids: np.ndarray  # int64, position → clause row id

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def search(self, query: np.ndarray, k: int,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, positions) of the ``k`` best vectors, best first; ``allowed`` is a bool
        mask over positions."""
        ...

    def scores_at(self, query: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Exact inner products of ``query`` with the vectors at ``positions``."""
        ...

    def count_above(self, query: np.ndarray, threshold: float,
                    allowed: np.ndarray | None = None) -> np.ndarray:
        """Positions whose score is ≥ ``threshold`` (approximate for HNSW)."""
        ...

    def copy(self) -> VectorIndex: ...

    def save(self, folder: Path) -> dict: ...


def _as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    mat = np.ascontiguousarray(vectors, dtype=np.float32)
    if mat.ndim != 2 or mat.shape[1] != dim:
        raise ValueError(f"expected vectors of shape (n, {dim}), got {mat.shape}")
    return mat


def _top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < scores.shape[0] else np.arange(scores.shape[0])
    order = part[np.lexsort((part, -scores[part]))]
    return scores[order].astype(np.float32), order.astype(np.int64)


class ExactIndex:
    """Brute-force inner product over a NumPy matrix."""

    kind = "exact"

    def __init__(self, dim: int) -> None:
        self.dim = int(dim)
        self.matrix = np.zeros((0, self.dim), np.float32)
        self.ids = np.zeros(0, np.int64)
        #: folder this index's files were saved in or loaded from, unchanged since
        self.path: Path | None = None
        self.recall_at_10: float | None = None

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        mat = _as_matrix(vectors, self.dim)
        self.matrix = np.concatenate([self.matrix, mat]) if len(self) else mat.copy()
        self.ids = np.concatenate([self.ids, np.asarray(ids, np.int64)])
        self.path = None

    def search(self, query, k, allowed=None):
        if not len(self):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self.matrix @ np.asarray(query, np.float32)
        if allowed is not None:
            keep = np.flatnonzero(allowed)
            s, order = _top(scores[keep], k)
            return s, keep[order]
        return _top(scores, k)

    def scores_at(self, query, positions):
        return self.matrix[np.asarray(positions, np.int64)] @ np.asarray(query, np.float32)

    def count_above(self, query, threshold, allowed=None):
        if not len(self):
            return np.zeros(0, np.int64)
        hit = (self.matrix @ np.asarray(query, np.float32)) >= threshold
        if allowed is not None:
            hit &= allowed
        return np.flatnonzero(hit)

    def copy(self) -> ExactIndex:
        out = ExactIndex(self.dim)
        out.matrix, out.ids = self.matrix, self.ids  # add() never mutates in place
        return out

    def save(self, folder: Path) -> dict:
        """Write (or hard-link, when unchanged since the last save) the matrix and ids."""
        _save_files(self.path, Path(folder), {
            EXACT_FILE: lambda dst: np.save(dst, self.matrix, allow_pickle=False),
            IDS_FILE: lambda dst: np.save(dst, self.ids, allow_pickle=False)})
        return {"kind": self.kind, "dim": self.dim, "count": len(self)}

    @classmethod
    def load(cls, folder: Path, info: dict) -> ExactIndex:
        out = cls(info["dim"])
        out.matrix = np.load(Path(folder) / EXACT_FILE, allow_pickle=False)
        out.ids = np.load(Path(folder) / IDS_FILE, allow_pickle=False)
        out.path = Path(folder)
        return out


class FaissIndex:
    """FAISS flat or HNSW index over inner product; the kind is fixed at construction."""

    def __init__(self, dim: int, kind: str, options: VectorOptions | None = None, index=None) -> None:
        import faiss

        self.options = options or VectorOptions()
        self.dim = int(dim)
        if kind not in ("flat", "hnsw", "hnsw_sq8"):
            raise ValueError(f"unknown FAISS index kind {kind!r}")
        self.kind = kind
        if index is None:
            if kind == "flat":
                index = faiss.IndexFlatIP(self.dim)
            elif kind == "hnsw":
                index = faiss.IndexHNSWFlat(self.dim, self.options.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            else:
                index = faiss.IndexHNSWSQ(self.dim, faiss.ScalarQuantizer.QT_8bit, self.options.hnsw_m,
                                          faiss.METRIC_INNER_PRODUCT)
            if kind != "flat":
                index.hnsw.efConstruction = self.options.ef_construction
        if kind != "flat":
            index.hnsw.efSearch = self.options.ef_search
        self.index = index
        self.ids = np.zeros(index.ntotal, np.int64)
        #: recall@10 against exact search, measured when the index was built from all vectors
        self.recall_at_10: float | None = None
        #: folder this index's files were saved in or loaded from, unchanged since
        self.path: Path | None = None

    @classmethod
    def for_size(cls, dim: int, n: int, options: VectorOptions | None = None) -> FaissIndex:
        """The kind suited to ``n`` vectors: flat below the threshold, HNSW from it."""
        return cls(dim, kind_for_size(n, options), options)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        mat = _as_matrix(vectors, self.dim)
        if mat.shape[0]:
            if not self.index.is_trained:
                # 8-bit codes need each dimension's range; the first batch (the whole collection
                # when built from SQLite) sets it, widened by 10 % for vectors added later.
                import faiss

                faiss.downcast_index(self.index.storage).sq.rangestat_arg = 0.1
                self.index.train(mat)
            self.index.add(mat)
            self.ids = np.concatenate([self.ids, np.asarray(ids, np.int64)])
            self.path = None

    def _params(self, allowed: np.ndarray | None, k: int):
        import faiss

        if allowed is None:
            bits, sel = None, None
        else:
            bits = np.packbits(allowed, bitorder="little")
            sel = faiss.IDSelectorBitmap(len(self), faiss.swig_ptr(bits))
        if self.kind != "flat":
            params = faiss.SearchParametersHNSW(efSearch=max(self.options.ef_search, k))
        else:
            params = faiss.SearchParameters()
        if sel is not None:
            params.sel = sel
        return params, (bits, sel)  # keep the bitmap alive while FAISS reads it

    def search(self, query, k, allowed=None):
        n = len(self)
        if not n or k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        q = np.asarray(query, np.float32).reshape(1, -1)
        if allowed is not None:
            keep = np.flatnonzero(allowed)
            if keep.shape[0] <= max(self.options.brute_force_max, k):
                s, order = _top(self.scores_at(q[0], keep), k)
                return s, keep[order]
        params, _alive = self._params(allowed, k)
        scores, pos = self.index.search(q, min(k, n), params=params)
        valid = pos[0] >= 0
        return scores[0][valid].astype(np.float32), pos[0][valid].astype(np.int64)

    def scores_at(self, query, positions):
        positions = np.asarray(positions, np.int64)
        if not positions.shape[0]:
            return np.zeros(0, np.float32)
        vecs = self.index.reconstruct_batch(positions)
        return vecs @ np.asarray(query, np.float32)

    def count_above(self, query, threshold, allowed=None):
        if not len(self):
            return np.zeros(0, np.int64)
        params, _alive = self._params(allowed, 0)
        lims, _scores, pos = self.index.range_search(
            np.asarray(query, np.float32).reshape(1, -1), float(threshold), params=params)
        return np.unique(pos[lims[0]:lims[1]].astype(np.int64))

    def copy(self) -> FaissIndex:
        import faiss

        out = FaissIndex(self.dim, self.kind, self.options, faiss.clone_index(self.index))
        out.ids = self.ids.copy()
        out.recall_at_10 = self.recall_at_10
        return out

    def save(self, folder: Path) -> dict:
        """Write (or hard-link, when unchanged since the last save) the FAISS file and ids."""
        import faiss

        _save_files(self.path, Path(folder), {
            FAISS_FILE: lambda dst: faiss.write_index(self.index, str(dst)),
            IDS_FILE: lambda dst: np.save(dst, self.ids, allow_pickle=False)})
        info = {"kind": self.kind, "dim": self.dim, "count": len(self)}
        if self.kind != "flat":
            info.update(hnsw_m=self.options.hnsw_m, ef_construction=self.options.ef_construction,
                        ef_search=self.options.ef_search, recall_at_10=self.recall_at_10,
                        bytes_per_vector=self.dim if self.kind == "hnsw_sq8" else 4 * self.dim)
        return info

    @classmethod
    def load(cls, folder: Path, info: dict, options: VectorOptions | None = None) -> FaissIndex:
        import faiss

        index = faiss.read_index(str(Path(folder) / FAISS_FILE))
        out = cls(info["dim"], info["kind"], options, index)
        out.ids = np.load(Path(folder) / IDS_FILE, allow_pickle=False)
        out.recall_at_10 = info.get("recall_at_10")
        out.path = Path(folder)
        if out.index.ntotal != out.ids.shape[0] or out.index.d != out.dim:
            raise ArtifactError(f"{folder}: FAISS index holds {out.index.ntotal}×{out.index.d}, "
                                f"ids say {out.ids.shape[0]}×{out.dim}; rebuild the index.")
        return out


def _save_files(saved: Path | None, folder: Path, writers: dict) -> None:
    """Each file name → writer, into ``folder``; hard-linked from ``saved`` when it is set."""
    for name, write in writers.items():
        link_or_write(saved / name if saved is not None else None, folder / name, write)


class LayeredIndex:
    """A main index (never modified once built, so snapshots share it and saves hard-link its
    files) plus a flat index of the vectors added since. Positions are the main index's, then
    the delta's (offset by ``len(main)``); searches ask both and merge by score."""

    def __init__(self, main: VectorIndex, delta: VectorIndex | None = None,
                 options: VectorOptions | None = None) -> None:
        self.main = main
        self.options = options or getattr(main, "options", None) or VectorOptions()
        self.delta = delta if delta is not None else _flat_like(main, self.options)
        self.kind, self.dim = main.kind, main.dim
        self._ids: np.ndarray | None = None

    @property
    def ids(self) -> np.ndarray:
        if self._ids is None:
            self._ids = np.concatenate([self.main.ids, self.delta.ids])
        return self._ids

    @property
    def recall_at_10(self) -> float | None:
        return getattr(self.main, "recall_at_10", None)

    def __len__(self) -> int:
        return len(self.main) + len(self.delta)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.delta.add(ids, vectors)
        self._ids = None

    def _split(self, allowed: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        if allowed is None:
            return None, None
        n = len(self.main)
        return allowed[:n], allowed[n:]

    def search(self, query, k, allowed=None):
        main_ok, delta_ok = self._split(allowed)
        s1, p1 = self.main.search(query, k, main_ok)
        if not len(self.delta):
            return s1, p1
        s2, p2 = self.delta.search(query, k, delta_ok)
        scores = np.concatenate([s1, s2])
        pos = np.concatenate([p1, p2 + len(self.main)])
        order = np.lexsort((pos, -scores))[:k]  # best first; ties: lower position first
        return scores[order].astype(np.float32), pos[order]

    def scores_at(self, query, positions):
        positions = np.asarray(positions, np.int64)
        n = len(self.main)
        out = np.zeros(positions.shape[0], np.float32)
        low = positions < n
        if low.any():
            out[low] = self.main.scores_at(query, positions[low])
        if (~low).any():
            out[~low] = self.delta.scores_at(query, positions[~low] - n)
        return out

    def count_above(self, query, threshold, allowed=None):
        main_ok, delta_ok = self._split(allowed)
        above = self.main.count_above(query, threshold, main_ok)
        if not len(self.delta):
            return above
        return np.concatenate([above, self.delta.count_above(query, threshold, delta_ok) + len(self.main)])

    def copy(self) -> LayeredIndex:
        """Shares the main index (never modified); copies the small delta."""
        return LayeredIndex(self.main, self.delta.copy(), self.options)

    def merged(self) -> LayeredIndex:
        """The delta's vectors added to a copy of the main index (once the delta is large)."""
        if not len(self.delta):
            return self
        main = self.main.copy()
        positions = np.arange(len(self.delta), dtype=np.int64)
        main.add(self.delta.ids, _vectors_at(self.delta, positions))
        return LayeredIndex(main, None, self.options)

    def save(self, folder: Path) -> dict:
        """The main index (hard-linked when it was saved before) and the delta, in subfolders."""
        folder = Path(folder)
        (folder / MAIN_DIR).mkdir()
        (folder / DELTA_DIR).mkdir()
        main = self.main.save(folder / MAIN_DIR)
        delta = self.delta.save(folder / DELTA_DIR)
        return {**main, "count": len(self), "layers": {"main": main, "delta": delta}}

    def saved_in(self, folder: Path) -> None:
        """Record that the layers now live in ``folder`` (after the atomic rename)."""
        self.main.path = Path(folder) / MAIN_DIR
        self.delta.path = Path(folder) / DELTA_DIR

    @classmethod
    def load(cls, folder: Path, info: dict, options: VectorOptions | None = None) -> LayeredIndex:
        layers = info["layers"]
        main = load_vector_index(Path(folder) / MAIN_DIR, layers["main"], options)
        delta = load_vector_index(Path(folder) / DELTA_DIR, layers["delta"], options)
        return cls(main, delta, options)


def _flat_like(main: VectorIndex, options: VectorOptions) -> VectorIndex:
    """An empty delta: exact beside an exact index (tests), else a FAISS flat index (the same
    inner-product kernel as a flat main index, so scores equal a rebuild's)."""
    if main.kind == "exact":
        return ExactIndex(main.dim)
    return FaissIndex(main.dim, "flat", options)


def _vectors_at(index: VectorIndex, positions: np.ndarray) -> np.ndarray:
    if isinstance(index, ExactIndex):
        return index.matrix[positions]
    return index.index.reconstruct_batch(positions)  # type: ignore[attr-defined]


def kind_for_size(n: int, options: VectorOptions | None = None) -> str:
    """"flat" below ``hnsw_threshold``, "hnsw" below ``sq8_threshold``, then "hnsw_sq8"."""
    options = options or VectorOptions()
    if n < options.hnsw_threshold:
        return "flat"
    return "hnsw" if n < options.sq8_threshold else "hnsw_sq8"


def measure_recall(index: VectorIndex, vectors: np.ndarray, n_queries: int = 64, k: int = 10,
                   seed: int = 0) -> float:
    """recall@k of ``index`` against exact search over ``vectors`` (its contents, in order), for
    queries near stored vectors (a stored vector plus noise, re-normalised)."""
    n = vectors.shape[0]
    if n <= k or n_queries <= 0:
        return 1.0
    rng = np.random.default_rng(seed)
    q = vectors[rng.choice(n, min(n_queries, n), replace=False)]
    q = q + rng.normal(0, 0.05, q.shape).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    hits = 0
    for row in q:
        exact = set(np.argpartition(-(vectors @ row), k)[:k].tolist())
        _, pos = index.search(row, k)
        hits += len(exact & set(pos.tolist()))
    return round(hits / (k * q.shape[0]), 4)


def new_vector_index(kind: str, dim: int, n: int, options: VectorOptions | None = None) -> VectorIndex:
    """``kind``: "auto" (FAISS flat/HNSW/HNSW+SQ8 by size), "exact", "flat", "hnsw", "hnsw_sq8"."""
    if kind == "exact":
        return ExactIndex(dim)
    if kind == "auto":
        return FaissIndex.for_size(dim, n, options)
    return FaissIndex(dim, kind, options)


def load_vector_index(folder: Path, info: dict, options: VectorOptions | None = None) -> VectorIndex:
    if "layers" in info:
        return LayeredIndex.load(folder, info, options)
    if info.get("kind") == "exact":
        return ExactIndex.load(folder, info)
    if info.get("kind") in ("flat", "hnsw", "hnsw_sq8"):
        return FaissIndex.load(folder, info, options)
    raise ArtifactError(f"{folder}: unknown vector index kind {info.get('kind')!r}; rebuild the index.")
