"""Compressed vectors: HNSW over 8-bit scalar-quantised codes keeps recall@10 ≥ 0.95 against
exact search, and the recall measured at build time is recorded in the derived manifest."""
from __future__ import annotations

import numpy as np

from congvan.index.collection import Collection
from congvan.index.derived import IndexOptions, read_derived_manifest
from congvan.index.testing import HashingEncoder, make_letter
from congvan.index.vectors import ExactIndex, FaissIndex, VectorOptions, kind_for_size, measure_recall


def _clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, dim))
    x = centres[rng.integers(0, 50, n)] + 0.6 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_kind_by_size():
    opts = VectorOptions(hnsw_threshold=100, sq8_threshold=1000)
    assert [kind_for_size(n, opts) for n in (99, 100, 999, 1000)] == ["flat", "hnsw", "hnsw", "hnsw_sq8"]


def test_hnsw_sq8_recall_and_round_trip(tmp_path):
    vecs = _clustered(6000)
    ids = np.arange(10, 6010, dtype=np.int64)
    sq8 = FaissIndex(64, "hnsw_sq8", VectorOptions(ef_search=128))
    sq8.add(ids, vecs)
    recall = measure_recall(sq8, vecs, 64)
    assert recall >= 0.95
    exact = ExactIndex(64)
    exact.add(ids, vecs)
    q = vecs[7]
    assert sq8.search(q, 1)[1][0] == exact.search(q, 1)[1][0] == 7
    assert abs(float(sq8.scores_at(q, np.array([7]))[0]) - 1.0) < 0.02  # decoded codes are close
    sq8.recall_at_10 = recall
    info = sq8.save(tmp_path)
    assert info["kind"] == "hnsw_sq8" and info["bytes_per_vector"] == 64 and info["recall_at_10"] == recall
    again = FaissIndex.load(tmp_path, info, VectorOptions(ef_search=128))
    assert again.recall_at_10 == recall and np.array_equal(again.ids, ids)
    assert again.search(q, 5)[1].tolist() == sq8.search(q, 5)[1].tolist()
    # vectors added later are encoded with the trained ranges and found
    extra = _clustered(10, seed=3)
    sq8.add(np.arange(9000, 9010), extra)
    assert sq8.search(extra[4], 1)[1][0] == 6004


def test_collection_records_recall_in_manifest(tmp_path):
    options = IndexOptions(vectors=VectorOptions(hnsw_threshold=50, sq8_threshold=100, ef_search=128))
    letters = [make_letter(f"d{i}", [(str(j), "directive", f"Khoản {j} của văn bản {i}: tiêm vắc xin đợt {i * j}")
                                     for j in range(1, 5)]) for i in range(40)]
    with Collection.open(tmp_path / "col", HashingEncoder(), options=options) as col:
        col.ingest_letters(letters)
        assert col.stats()["vector_index"] == "hnsw_sq8"
        manifest = read_derived_manifest(tmp_path / "col" / "derived")
        assert manifest["vector_index"] == "hnsw_sq8"
        assert manifest["vectors"]["recall_at_10"] >= 0.95
        assert col.search("văn bản 7", top_k=3, mode="bm25").hits
