"""The segmented keyword index: same scores as bm25s and as a rebuild, after any adds/deletes."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from congvan.index.keyword import (
    PARAMS_FILE,
    BM25Index,
    MergePolicy,
    Segment,
)
from congvan.models.artifacts import ArtifactError

VOCAB = [f"w{i}" for i in range(60)] + ["tiêm", "vắc_xin", "2116/byt-dp", "cách_ly"]


def _docs(n: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, len(VOCAB) + 1)
    p /= p.sum()
    return [[VOCAB[i] for i in rng.choice(len(VOCAB), rng.integers(0, 25), p=p)] for _ in range(n)]


QUERIES = [["w0"], ["w1", "w5", "w30"], ["tiêm", "vắc_xin", "w2"], ["2116/byt-dp"], ["nope", "w59"],
           ["w3", "w3", ""], []]


def _same(a: BM25Index, b: BM25Index) -> None:
    assert a.n_docs == b.n_docs
    for q in QUERIES:
        assert np.allclose(a.scores(q), b.scores(q), rtol=1e-5, atol=1e-6), q
        assert a.doc_freq(q).tolist() == b.doc_freq(q).tolist()
        assert a.containing(q).tolist() == b.containing(q).tolist()


def test_scores_equal_bm25s():
    bm25s = pytest.importorskip("bm25s")
    docs = _docs(300, 1)
    ours = BM25Index.build(docs, k1=1.2, b=0.75)
    ref = bm25s.BM25(k1=1.2, b=0.75)
    ref.index(docs, show_progress=False)
    for q in QUERIES:
        ids = [ref.vocab_dict[t] for t in dict.fromkeys(q) if t and t in ref.vocab_dict]
        want = ref.get_scores_from_ids(ids) if ids else np.zeros(len(docs))
        assert np.allclose(ours.scores(q), want, rtol=1e-5, atol=1e-6), q


@pytest.mark.parametrize("policy", [MergePolicy(), MergePolicy(ratio=10.0, max_segments=100),
                                    MergePolicy(ratio=0.0, max_segments=0), MergePolicy(ratio=10.0, max_segments=2)])
def test_incremental_adds_and_deletes_equal_a_rebuild(policy):
    rng = np.random.default_rng(3)
    docs = dict(zip(range(1, 201), _docs(200, 2)))
    index = BM25Index.build(list(docs.values()), k1=1.2, rowids=np.array(list(docs)))
    next_id = 201
    for step in range(12):
        live = np.array(sorted(docs))
        gone = rng.choice(live, rng.integers(0, 15), replace=False) if step % 3 else np.zeros(0, np.int64)
        for r in gone:
            del docs[int(r)]
        new = _docs(int(rng.integers(0, 20)), 10 + step)
        for d in new:
            docs[next_id] = d
            next_id += 1
        target = np.array(sorted(docs), np.int64)
        added, removed = index.changes(target)
        assert sorted(removed.tolist()) == sorted(int(g) for g in gone)
        index = index.updated(added, [docs[int(r)] for r in added], removed, policy)
        assert index.rowids().tolist() == target.tolist()
        _same(index, BM25Index.build([docs[int(r)] for r in target], k1=1.2, rowids=target))
    if policy.max_segments >= 100 and policy.ratio >= 10:
        assert len(index.segments) > 5 and index.deleted.shape[0] > 0  # really incremental


def test_changes_refuses_older_additions():
    index = BM25Index.build(_docs(5, 1), rowids=np.array([10, 11, 12, 13, 14]))
    assert index.changes(np.array([5, 10, 11, 12, 13, 14])) is None
    added, removed = index.changes(np.array([10, 12, 20]))
    assert added.tolist() == [20] and removed.tolist() == [11, 13, 14]


def test_save_load_round_trip_maps_and_links(tmp_path):
    docs = _docs(120, 4)
    index = BM25Index.build(docs, k1=1.2, rowids=np.arange(120))
    index = index.updated(np.array([500, 501]), _docs(2, 5), np.array([3, 7]),
                          MergePolicy(ratio=10.0))
    assert len(index.segments) == 2
    index.save(tmp_path / "a")
    index.saved_in(tmp_path / "a")
    loaded = BM25Index.load(tmp_path / "a")
    _same(loaded, index)
    assert isinstance(loaded.segments[0].docs, np.memmap)
    assert not list((tmp_path / "a").rglob("*.pkl"))
    # The next save hard-links the segments already on disk instead of writing them again.
    more = loaded.updated(np.array([600]), _docs(1, 6), np.zeros(0, np.int64), MergePolicy(ratio=10.0))
    more.save(tmp_path / "b")
    first = more.segments[0].name
    assert os.stat(tmp_path / "b" / first / "docs.npy").st_ino == os.stat(tmp_path / "a" / first / "docs.npy").st_ino
    _same(BM25Index.load(tmp_path / "b"), more)
    empty = BM25Index.build([])
    empty.save(tmp_path / "empty")
    assert BM25Index.load(tmp_path / "empty").scores(["w0"]).shape == (0,)


def test_old_or_damaged_folders_say_how_to_fix(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / PARAMS_FILE).write_text(json.dumps({"n_docs": 3, "k1": 1.2, "b": 0.75}))
    with pytest.raises(ArtifactError, match="congvan rebuild"):
        BM25Index.load(tmp_path / "old")
    index = BM25Index.build(_docs(10, 1))
    index.save(tmp_path / "new")
    seg = index.segments[0].name
    np.save(tmp_path / "new" / seg / "dl.npy", np.zeros(3, np.int32))
    with pytest.raises(ArtifactError, match="rebuilt from SQLite"):
        BM25Index.load(tmp_path / "new")


def test_merge_drops_terms_of_deleted_documents():
    seg = Segment.build([["a", "b"], ["c"]], np.array([1, 2]))
    merged = Segment.merge([(seg, np.array([False, True]))])
    assert len(merged) == 1 and merged.terms.shape[0] == 1 and merged.rowids.tolist() == [2]


# ------------------------------------------------------------------ through the collection
def _letter(i: int, n: int = 4):
    from congvan.index.testing import make_letter

    places = ["xã Tân Thanh", "phường Chi Lăng", "huyện Cao Lộc", "cửa khẩu Hữu Nghị"]
    return make_letter(f"kw-{i:03d}", [(str(j + 1), "directive",
                                        f"Văn bản {i}: tăng cường tiêm vắc xin tại {places[(i + j) % 4]}, "
                                        f"điểm {i * 7 + j}, theo Công văn {100 + i}/BYT-DP.")
                                       for j in range(n)], source=f"kw-{i:03d}.txt")


def _rebuilt(col) -> tuple[BM25Index, BM25Index]:
    ids = col.store.clause_ids()
    return (BM25Index.build(list(col.store.iter_tokens(False)), k1=col.options.bm25_k1, rowids=ids),
            BM25Index.build(list(col.store.iter_tokens(True)), k1=col.options.bm25_k1, rowids=ids))


def _same_as_rebuild(col) -> None:
    acc, fol = _rebuilt(col)
    for q in (["tiêm", "vắc_xin"], ["cửa", "khẩu", "hữu", "nghị"], ["105/byt-dp"], ["điểm", "21"]):
        assert np.allclose(col.snapshot.accented.scores(q), acc.scores(q), rtol=1e-5, atol=1e-6)
        assert np.allclose(col.snapshot.folded.scores(q), fol.scores(q), rtol=1e-5, atol=1e-6)
        assert col.snapshot.accented.containing(q).tolist() == acc.containing(q).tolist()


def test_collection_updates_keyword_segments_incrementally(tmp_path):
    from congvan.index.collection import Collection
    from congvan.index.derived import IndexOptions
    from congvan.index.testing import HashingEncoder

    opts = IndexOptions(keyword_merge=MergePolicy(ratio=10.0, max_segments=100))
    col = Collection.open(tmp_path / "col", HashingEncoder(), options=opts)
    col.ingest_letters([_letter(i) for i in range(10)])
    for i in range(10, 14):
        col.upsert_letter(_letter(i))
    col.delete("kw-003")
    col.delete("kw-011")
    snap = col.snapshot
    assert [len(s) for s in snap.accented.segments] == [40, 4, 4, 4, 4]
    assert snap.accented.deleted.shape[0] == 8 and len(snap) == 48
    _same_as_rebuild(col)
    before = [(h.clause_id, round(h.score, 5)) for h in col.search("tiêm vắc xin cửa khẩu", top_k=20).hits]
    col.close()
    # Reopen: the saved segments are loaded (memory-mapped), not rebuilt.
    col = Collection.open(tmp_path / "col", HashingEncoder(), options=opts)
    assert [len(s) for s in col.snapshot.accented.segments] == [40, 4, 4, 4, 4]
    assert [(h.clause_id, round(h.score, 5)) for h in col.search("tiêm vắc xin cửa khẩu", top_k=20).hits] == before
    # A commit another process made (or a crash after the commit) is applied to the saved segments.
    other = Collection.open(tmp_path / "col", HashingEncoder(), options=opts)
    other.store.put_letter(*_rows(other, _letter(20)))
    other.close()
    col.search("tiêm")  # refresh → brought up to date
    assert len(col.snapshot.accented.segments) == 6 and len(col.snapshot) == 52
    _same_as_rebuild(col)
    incremental = [(h.clause_id, round(h.score, 5)) for h in col.search("tiêm vắc xin cửa khẩu", top_k=20).hits]
    col.rebuild()
    assert [(h.clause_id, round(h.score, 5)) for h in col.search("tiêm vắc xin cửa khẩu", top_k=20).hits] == incremental
    assert len(col.snapshot.accented.segments) == 1
    col.close()


def _rows(col, letter):
    from congvan.index.keyword import clause_tokens
    from congvan.index.store import ClauseRow

    vecs = col.encoder.encode_passages([c.text for c in letter.clauses])
    return letter, [ClauseRow(c, *clause_tokens(c.text), v) for c, v in zip(letter.clauses, vecs)]


def test_merge_policy_keeps_results(tmp_path):
    from congvan.index.collection import Collection
    from congvan.index.testing import HashingEncoder

    col = Collection.open(tmp_path / "col", HashingEncoder())  # default policy: merges often here
    for i in range(12):
        col.upsert_letter(_letter(i, n=2 + i % 3))
        if i % 4 == 3:
            col.delete(f"kw-{i - 2:03d}")
        _same_as_rebuild(col)
    assert len(col.snapshot.accented.segments) <= 1 + MergePolicy().max_segments
    col.close()


def test_v1_folder_is_converted_on_open(tmp_path, caplog):
    import logging
    import shutil

    from congvan.index.collection import Collection
    from congvan.index.derived import ACCENTED_DIR, FOLDED_DIR, FORMAT_VERSION, read_derived_manifest
    from congvan.index.testing import HashingEncoder
    from congvan.models.artifacts import MANIFEST

    col = Collection.open(tmp_path / "col", HashingEncoder())
    col.ingest_letters([_letter(i) for i in range(5)])
    want = [h.clause_id for h in col.search("cửa khẩu Hữu Nghị", top_k=5).hits]
    derived = col.derived_dir
    col.close()
    # What congvan wrote before: manifest v1 and a bm25s folder per stream.
    manifest = json.loads((derived / MANIFEST).read_text())
    manifest["format_version"] = 1
    (derived / MANIFEST).write_text(json.dumps(manifest))
    for name in (ACCENTED_DIR, FOLDED_DIR):
        shutil.rmtree(derived / name)
        (derived / name).mkdir()
        (derived / name / PARAMS_FILE).write_text(json.dumps({"n_docs": 20, "k1": 1.2, "b": 0.75}))
    with caplog.at_level(logging.INFO, logger="congvan.index.collection"):
        col = Collection.open(tmp_path / "col", HashingEncoder())
    assert "converting them to segments" in caplog.text
    assert read_derived_manifest(derived)["format_version"] == FORMAT_VERSION
    assert [h.clause_id for h in col.search("cửa khẩu Hữu Nghị", top_k=5).hits] == want
    col.close()


def test_postings_are_ordered_by_tf_and_v1_order_is_converted_on_open(tmp_path, caplog):
    """Segments keep each term's postings by tf, then document (scoring sums the tf-1 slice);
    a collection saved with postings by document (derived v3, segments v1) is re-ordered once."""
    import logging

    from congvan.index.collection import Collection
    from congvan.index.derived import ACCENTED_DIR, FOLDED_DIR, FORMAT_VERSION, read_derived_manifest
    from congvan.index.testing import HashingEncoder
    from congvan.models.artifacts import MANIFEST

    col = Collection.open(tmp_path / "col", HashingEncoder())
    col.ingest_letters([_letter(i) for i in range(6)])
    queries = ["cửa khẩu Hữu Nghị", "xét nghiệm", "tiem vet"]
    want = {q: [(h.clause_id, round(h.score, 5)) for h in col.search(q, top_k=8).hits] for q in queries}
    derived = col.derived_dir
    col.close()

    def ordered_by_tf(seg) -> bool:
        for i in range(len(seg.indptr) - 1):
            lo, hi = int(seg.indptr[i]), int(seg.indptr[i + 1])
            key = np.asarray(seg.tf[lo:hi], np.int64) * 10**9 + np.asarray(seg.docs[lo:hi])
            if np.any(np.diff(key) <= 0):
                return False
        return True

    repeated = 0
    for name in (ACCENTED_DIR, FOLDED_DIR):
        index = BM25Index.load(derived / name)
        assert all(ordered_by_tf(seg) for seg in index.segments)
        repeated += sum(int((np.asarray(seg.tf) > 1).sum()) for seg in index.segments)
        # Rewrite as congvan wrote it before: postings by document within a term.
        for seg in index.segments:
            folder = derived / name / seg.name
            term_of = np.repeat(np.arange(len(seg.indptr) - 1), np.diff(np.asarray(seg.indptr)))
            order = np.lexsort((np.asarray(seg.docs), term_of))
            docs, tf = np.asarray(seg.docs)[order], np.asarray(seg.tf)[order]
            np.save(folder / "docs.npy", docs)
            np.save(folder / "tf.npy", tf)
        params = json.loads((derived / name / PARAMS_FILE).read_text())
        params["version"] = 1
        (derived / name / PARAMS_FILE).write_text(json.dumps(params))
    assert repeated, "the test letters should repeat some words in a clause"
    manifest = json.loads((derived / MANIFEST).read_text())
    manifest["format_version"] = 3
    (derived / MANIFEST).write_text(json.dumps(manifest))

    with caplog.at_level(logging.INFO, logger="congvan.index.collection"):
        col = Collection.open(tmp_path / "col", HashingEncoder())
    assert "re-ordering them by term frequency" in caplog.text
    assert read_derived_manifest(derived)["format_version"] == FORMAT_VERSION
    for name in (ACCENTED_DIR, FOLDED_DIR):
        assert json.loads((derived / name / PARAMS_FILE).read_text())["version"] == 2
        assert all(ordered_by_tf(seg) for seg in BM25Index.load(derived / name).segments)
    for q in queries:
        assert [(h.clause_id, round(h.score, 5)) for h in col.search(q, top_k=8).hits] == want[q], q
    col.close()


def test_scatter_add_compiled_equals_numpy():
    """The SciPy kernel and ``np.add.at`` add the same, for a scalar and per-posting values,
    into views of a larger array (how segments write into the global score array)."""
    from congvan.index.keyword import scatter_add

    rng = np.random.default_rng(3)
    docs = np.sort(rng.choice(5000, 1200, replace=False)).astype(np.int32)
    values = rng.random(1200).astype(np.float32)
    for value in (np.float32(1.7), values):
        a, b = np.zeros(8000, np.float32), np.zeros(8000, np.float32)
        scatter_add(a[1000:6000], docs, value)
        scatter_add(b[1000:6000], docs, value, compiled=False)
        assert np.allclose(a, b) and a[1000 + docs].min() > 0 and a[:1000].max() == 0
    c = np.zeros(5000, np.float32)
    scatter_add(c, docs.astype(np.int64), values)
    assert np.allclose(c[docs], values)
