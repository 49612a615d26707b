"""Index mechanics: SQLite store, vector indexes, BM25, derived folder manifests (round trips)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from congvan.index.collection import Collection
from congvan.index.derived import (
    ACCENTED_DIR,
    FOLDED_DIR,
    FORMAT_VERSION,
    IndexOptions,
    build_snapshot,
    load_snapshot,
    read_derived_manifest,
    save_snapshot,
)
from congvan.index.keyword import BM25Index, analyze_query, clause_tokens, code_tokens
from congvan.index.store import DB_NAME, ClauseRow, DocumentNotFound, Store
from congvan.index.testing import HashingEncoder, make_letter
from congvan.index.vectors import ExactIndex, FaissIndex, VectorOptions
from congvan.letters.tokenize import search_tokens
from congvan.models.artifacts import MANIFEST, ArtifactError

CLAUSES = [
    "Giao Sở Y tế chủ trì, phối hợp với UBND các huyện, thành phố đẩy nhanh tiến độ tiêm vắc xin.",
    "Sở Thông tin và Truyền thông đẩy mạnh tuyên truyền để người dân hiểu rõ lợi ích của tiêm vắc xin.",
    "Tăng cường giám sát tại các cửa khẩu Hữu Nghị, Tân Thanh, phát hiện sớm ca bệnh xâm nhập.",
    "Thực hiện Công văn số 2116/BYT-DP ngày 12/4/2023 của Bộ Y tế về phòng, chống dịch COVID-19.",
    "Sở Giáo dục và Đào tạo tổ chức dạy học trực tiếp, bảo đảm an toàn trường học.",
    "Chuẩn bị đầy đủ oxy y tế, thuốc điều trị, trang thiết bị và nhân lực sẵn sàng ứng phó.",
]


def _rows(encoder, texts):
    vecs = encoder.encode_passages(texts)
    letter = make_letter("doc-a", [(str(i + 1), "directive", t, ["vaccination"], ["so_y_te"], ["ubnd_huyen"])
                                   for i, t in enumerate(texts)], source="a.txt", province="Lạng Sơn",
                         issuer="UBND tỉnh Lạng Sơn", date=(2023, 4, None), subject="V/v phòng dịch")
    rows = [ClauseRow(c, *clause_tokens(c.text), v) for c, v in zip(letter.clauses, vecs)]
    return letter, rows


def test_clause_tokens_equal_search_tokens():
    text = CLAUSES[3]
    acc, folded = clause_tokens(text)
    assert acc == search_tokens(text)
    assert folded == search_tokens(text, folded=True)
    assert "2116/byt-dp" in acc
    assert code_tokens("theo 2116/BYT-DP và COVID-19, 557-QĐ/TU") == ["2116/byt-dp", "557-qđ/tu"]
    assert analyze_query("hoà giải").accented == analyze_query("hòa giải").accented


def test_store_round_trip_generation_and_delete(tmp_path):
    enc = HashingEncoder()
    store = Store(tmp_path / DB_NAME, encoder_name=enc.name, dim=enc.dim)
    assert store.generation() == 0
    letter, rows = _rows(enc, CLAUSES[:3])
    assert store.put_letter(letter, rows) == []
    assert store.generation() == 1
    assert store.counts() == (1, 3)
    got = store.get_letter("doc-a")
    assert got["document"]["province"] == "Lạng Sơn"
    assert [c["text"] for c in got["clauses"]] == CLAUSES[:3]
    assert got["clauses"][0]["agencies"] == {"lead": ["so_y_te"], "support": ["ubnd_huyen"]}
    ids, vecs = store.embeddings()
    assert vecs.dtype == np.float32 and vecs.shape == (3, enc.dim)
    assert np.allclose(vecs, enc.encode_passages(CLAUSES[:3]))
    assert next(store.iter_tokens()) == search_tokens(CLAUSES[0])
    assert next(store.iter_tokens(folded=True)) == search_tokens(CLAUSES[0], folded=True)
    store.close()
    # Reopen: same data; another encoder is refused with a hint.
    store = Store(tmp_path / DB_NAME, encoder_name=enc.name, dim=enc.dim)
    store.check_encoder()
    assert store.counts() == (1, 3)
    other = Store(tmp_path / DB_NAME, encoder_name="other", dim=8)
    with pytest.raises(ArtifactError, match="reembed"):
        other.check_encoder()
    other.close()
    with pytest.raises(DocumentNotFound) as err:
        store.delete_letter("missing")
    assert isinstance(err.value, KeyError)
    assert "missing" in str(err.value)
    store.delete_letter("doc-a")
    assert store.counts() == (0, 0)
    assert store.generation() == 2  # the failed delete rolled back, no bump
    store.close()


def test_store_replaces_same_source_only_when_asked(tmp_path):
    enc = HashingEncoder()
    store = Store(tmp_path / DB_NAME, encoder_name=enc.name, dim=enc.dim)
    letter, rows = _rows(enc, CLAUSES[:2])
    store.put_letter(letter, rows)
    letter2, rows2 = _rows(enc, CLAUSES[2:5])
    letter2.doc_id = "doc-b"  # another letter under the same file name "a.txt" (an upload)
    assert store.put_letter(letter2, rows2) == []
    assert store.counts() == (2, 5)
    letter3, rows3 = _rows(enc, CLAUSES[1:3])
    letter3.doc_id = "doc-c"  # changed content of the same file path (congvan ingest)
    assert sorted(store.put_letter(letter3, rows3, replace_source=True)) == ["doc-a", "doc-b"]
    assert store.counts() == (1, 2)
    store.close()


def test_store_token_counts_follow_every_write_and_recount_after_other_writers(tmp_path):
    """``token_counts`` (what the Milvus backend restores tones and weighs words by) equals a count over the stored
    clauses after adds, replacements and deletes; a store that does not keep it marks it stale
    and the next one that does recounts on open."""
    from collections import Counter

    def truth(store, folded=False):
        return Counter(t for toks in store.iter_tokens(folded=folded) for t in set(toks))

    enc = HashingEncoder()
    path = tmp_path / DB_NAME
    store = Store(path, encoder_name=enc.name, dim=enc.dim, token_counts=True)
    probe = ["vắc", "xin", "tiêm_vắc", "sở", "2116/byt-dp", "không-có"]
    letter, rows = _rows(enc, CLAUSES[:3])
    store.put_letter(letter, rows)
    letter2, rows2 = _rows(enc, CLAUSES[1:5])
    letter2.doc_id = "doc-b"
    store.put_letter(letter2, rows2)
    assert list(store.token_doc_freq(probe)) == [truth(store)[t] for t in probe]
    assert store.token_doc_freq(["vắc"])[0] == 3 and store.token_doc_freq(["không-có"])[0] == 0
    folded = ["vac", "xin", "so", "tiem_vac", "vắc"]
    assert list(store.token_doc_freq(folded, folded=True)) == [truth(store, True)[t] for t in folded]
    assert store.token_doc_freq(["vac"], folded=True)[0] == 3 and not store.token_doc_freq(["vắc"], folded=True)[0]
    letter3, rows3 = _rows(enc, CLAUSES[3:6])
    letter3.doc_id = "doc-c"
    assert store.put_letter(letter3, rows3, replace_source=True) == ["doc-a", "doc-b"]
    assert list(store.token_doc_freq(probe)) == [truth(store)[t] for t in probe]
    assert list(store.token_doc_freq(folded, folded=True)) == [truth(store, True)[t] for t in folded]
    store.delete_letter("doc-c")
    assert not store.conn.execute("SELECT COUNT(*) FROM token_counts").fetchone()[0]
    store.close()
    # a writer that keeps no counts (the embedded backend) makes them stale ...
    plain = Store(path, encoder_name=enc.name, dim=enc.dim)
    assert not plain.token_doc_freq(["vắc"]).any()
    plain.put_letter(*_rows(enc, CLAUSES[:2]))
    plain.close()
    # ... and the next store that keeps them recounts on open
    store = Store(path, encoder_name=enc.name, dim=enc.dim, token_counts=True)
    assert list(store.token_doc_freq(probe)) == [truth(store)[t] for t in probe]
    assert list(store.token_doc_freq(folded, folded=True)) == [truth(store, True)[t] for t in folded]
    assert store.token_doc_freq(["vắc"])[0] == 2
    store.close()


def _unit(n, dim, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_exact_and_faiss_agree(kind):
    dim, n = 32, 600
    x = _unit(n, dim)
    ids = np.arange(100, 100 + n)
    exact = ExactIndex(dim)
    exact.add(ids, x)
    fa = FaissIndex(dim, kind, VectorOptions(ef_search=200, brute_force_max=10))
    fa.add(ids, x)
    queries = _unit(20, dim, seed=1)
    overlap = []
    for q in queries:
        s1, p1 = exact.search(q, 10)
        s2, p2 = fa.search(q, 10)
        overlap.append(len(set(p1) & set(p2)) / 10)
        if kind == "flat":
            assert list(p1) == list(p2)
            assert np.allclose(s1, s2, atol=1e-5)
        assert np.allclose(fa.scores_at(q, p2), s2, atol=1e-5)
    assert np.mean(overlap) >= 0.95
    # Filtered search: only allowed positions come back, best first.
    allowed = np.zeros(n, bool)
    allowed[::3] = True
    for q in queries[:5]:
        s1, p1 = exact.search(q, 5, allowed)
        s2, p2 = fa.search(q, 5, allowed)
        assert allowed[p2].all() and allowed[p1].all()
        assert len(set(p1) & set(p2)) >= 4
    above = set(fa.count_above(queries[0], 0.2).tolist())
    assert above <= set(exact.count_above(queries[0], 0.2).tolist())


@pytest.mark.parametrize("kind", ["exact", "flat", "hnsw"])
def test_vector_save_load_round_trip(tmp_path, kind):
    dim = 16
    x = _unit(50, dim)
    idx = ExactIndex(dim) if kind == "exact" else FaissIndex(dim, kind)
    idx.add(np.arange(50), x)
    info = idx.save(tmp_path)
    assert info["kind"] == kind and info["count"] == 50
    loaded = (ExactIndex.load(tmp_path, info) if kind == "exact" else FaissIndex.load(tmp_path, info))
    q = x[7]
    assert list(loaded.search(q, 3)[1]) == list(idx.search(q, 3)[1])
    assert loaded.search(q, 1)[1][0] == 7
    assert np.array_equal(loaded.ids, idx.ids)


def test_faiss_kind_chosen_by_size():
    opts = VectorOptions(hnsw_threshold=100)
    assert FaissIndex.for_size(8, 99, opts).kind == "flat"
    assert FaissIndex.for_size(8, 100, opts).kind == "hnsw"


def test_bm25_save_load_round_trip(tmp_path):
    docs = [search_tokens(t) for t in CLAUSES]
    bm = BM25Index.build(docs)
    q = analyze_query("tiêm vắc xin").accented
    before = bm.scores(q)
    assert before.shape == (len(CLAUSES),)
    assert before.argmax() in (0, 1) and before[2] == 0
    bm.save(tmp_path / "bm25")
    assert not list((tmp_path / "bm25").glob("*.pkl"))
    loaded = BM25Index.load(tmp_path / "bm25")
    assert np.allclose(loaded.scores(q), before)
    assert loaded.containing(["2116/byt-dp"]).tolist() == [False, False, False, True, False, False]
    assert loaded.scores(["không-có-từ-này"]).sum() == 0
    empty = BM25Index.build([])
    empty.save(tmp_path / "empty")
    assert BM25Index.load(tmp_path / "empty").scores(q).shape == (0,)


def test_derived_manifest_and_tampered_version(tmp_path):
    enc = HashingEncoder()
    col = Collection.open(tmp_path / "col", enc)
    letter = make_letter("doc-a", [(str(i + 1), "directive", t) for i, t in enumerate(CLAUSES)])
    col.ingest_letters([letter])
    derived = col.derived_dir
    manifest = read_derived_manifest(derived)
    assert manifest["format_version"] == FORMAT_VERSION == 4
    assert manifest["encoder"] == enc.name and manifest["dim"] == enc.dim
    assert manifest["counts"]["clauses"] == len(CLAUSES)
    assert manifest["vector_index"] == "flat"
    assert manifest["generation"] == col.store.generation()
    assert "faiss-cpu" in manifest["libraries"] and manifest["bm25"]["segments"] == [len(CLAUSES)]
    assert (derived / ACCENTED_DIR).is_dir() and (derived / FOLDED_DIR).is_dir()
    # Round trip: the loaded snapshot ranks like the live one.
    loaded = load_snapshot(derived, col.store, IndexOptions())
    q = analyze_query("giám sát cửa khẩu").folded
    assert np.allclose(loaded.folded.scores(q), col.snapshot.folded.scores(q))
    col.close()
    # A folder written in another format version is refused…
    data = json.loads((derived / MANIFEST).read_text())
    data["format_version"] = 99
    (derived / MANIFEST).write_text(json.dumps(data))
    store = Store(tmp_path / "col" / DB_NAME, encoder_name=enc.name, dim=enc.dim)
    with pytest.raises(ArtifactError, match="format v99"):
        load_snapshot(derived, store, IndexOptions())
    store.close()
    # …and the collection, whose derived data is rebuildable, rebuilds it from SQLite.
    col = Collection.open(tmp_path / "col", enc)
    assert read_derived_manifest(derived)["format_version"] == FORMAT_VERSION
    assert col.search("cửa khẩu Hữu Nghị").hits[0].path == "3"
    col.close()


def test_snapshot_rebuild_reuses_vectors_and_drops_stale(tmp_path):
    enc = HashingEncoder()
    store = Store(tmp_path / DB_NAME, encoder_name=enc.name, dim=enc.dim)
    letter, rows = _rows(enc, CLAUSES)
    store.put_letter(letter, rows)
    opts = IndexOptions(vectors=VectorOptions(hnsw_threshold=1), stale_ratio=0.5)
    snap = build_snapshot(store, opts)
    assert snap.vectors.kind == "hnsw" and snap.stale == 0
    save_snapshot(snap, tmp_path / "derived")
    # Delete the letter, add a smaller one: HNSW keeps stale vectors under the ratio…
    letter2, rows2 = _rows(enc, CLAUSES[:5])
    letter2.doc_id, letter2.source = "doc-b", "b.txt"
    store.put_letter(letter2, rows2)
    store.delete_letter("doc-a")
    snap2 = build_snapshot(store, opts, base=snap.vectors)
    assert len(snap2) == 5
    assert len(snap.vectors) == 6  # the base was copied, not modified
    assert snap2.stale == 6 or len(snap2.vectors) == 5  # reused with tombstones, or rebuilt
    mask = snap2.position_mask(None)
    assert mask is None or mask.sum() == 5
    store.close()
