"""Writes cost their own letters: the filter table, the vector delta and the data hash are
updated, saved and loaded incrementally, and always equal a snapshot built from scratch."""
from __future__ import annotations

import json
import shutil
import sqlite3

import numpy as np
import pytest

from congvan.index.collection import DERIVED_DIR, Collection
from congvan.index.derived import (
    FORMAT_VERSION,
    TABLE_DIR,
    IndexOptions,
    build_snapshot,
    load_snapshot,
    read_derived_manifest,
)
from congvan.index.filters import ClauseTable, SearchFilters, TableDelta
from congvan.index.keyword import clause_tokens
from congvan.index.letter_context import LetterHeaders
from congvan.index.store import DB_NAME, ClauseRow, Store, _fingerprint_values
from congvan.index.testing import HashingEncoder, make_letter
from congvan.index.vectors import LayeredIndex, VectorOptions
from congvan.models.artifacts import MANIFEST, ArtifactError

PLACES = ["xã Tân Thanh", "phường Chi Lăng", "huyện Cao Lộc", "cửa khẩu Hữu Nghị"]
THEMES = ["y_te", "giao_duc", "an_ninh", "moi_truong"]
AGENCIES = ["so_y_te", "cong_an", "ubnd_huyen"]
PROVINCES = ["Lạng Sơn", "Hà Nam", "Nam Định", None]
#: a clause naming none inherits its letter's diseases (some letters name none at all)
DISEASES = ["phòng, chống sốt xuất huyết", "phòng COVID-19", "", "phòng bệnh dại", "", ""]


def _letter(i: int, n: int = 3):
    return make_letter(
        f"inc-{i:03d}",
        [(str(j + 1), "directive" if j else "preamble",
          f"Văn bản {i}: tăng cường tiêm vắc xin {DISEASES[(i * (j + 1)) % 6]} tại {PLACES[(i + j) % 4]}, "
          f"điểm {i * 7 + j}.",
          [THEMES[(i + j) % 4]] + ([THEMES[(i + 2) % 4]] if j == 2 else []),
          [AGENCIES[i % 3]], [AGENCIES[(i + j) % 3]] if j else [])
         for j in range(n)],
        source=f"inc-{i:03d}.txt", province=PROVINCES[i % 4], issuer="UBND tỉnh" if i % 2 else "Sở Y tế",
        date=(2020 + i % 4, 1 + i % 12, None if i % 3 else 5), diseases=True)


QUERIES = ["tiêm vắc xin", "cửa khẩu Hữu Nghị", "điểm 21", "phuong chi lang"]
FILTERS = [None, {"theme": "y_te"}, {"agency": ["cong_an", "so_y_te"]}, {"province": "Ninh Bình"},
           {"from": "2021", "to": "2022-06", "kind": "directive"}, {"issuer": "ủy ban nhân dân tỉnh"},
           {"disease": "dengue"}, {"disease": ["covid19", "rabies"], "kind": "directive"}]


def _results(col: Collection, snap) -> list:
    out = []
    for q in QUERIES:
        for flt in FILTERS:
            res = col.search(q, top_k=8, filters=flt, snapshot=snap)
            out.append((res.total, [(h.clause_id, round(h.score, 5)) for h in res.hits]))
    return out


def _same_as_scratch(col: Collection) -> None:
    """The collection's incremental snapshot equals one built from SQLite alone."""
    snap = col.snapshot
    scratch = build_snapshot(col.store, col.options)
    assert snap.table.same_as(scratch.table)
    assert np.array_equal(snap.accented.rowids(), scratch.table.rowids)
    for flt in FILTERS:
        a, b = snap.table.mask(SearchFilters.from_mapping(flt)), scratch.table.mask(SearchFilters.from_mapping(flt))
        assert (a is None and b is None) or np.array_equal(a, b), flt
    assert _results(col, snap) == _results(col, scratch)
    # letter headers: analysed once per letter, kept between snapshots; equal to a fresh build
    kept = col._headers(snap)
    docs = col.store.documents()
    fresh = LetterHeaders.build(docs.get(d, {}) for d in snap.table.doc_ids)
    assert kept.tokens == fresh.tokens and kept.folded == fresh.folded
    assert kept.postings.keys() == fresh.postings.keys()
    assert all(np.array_equal(kept.postings[k], fresh.postings[k]) for k in fresh.postings)


def test_adds_deletes_and_label_changes_equal_a_rebuild(tmp_path):
    opts = IndexOptions(vectors=VectorOptions(delta_max=5), table_delta_min=4, table_delta_ratio=0.0)
    col = Collection.open(tmp_path / "col", HashingEncoder(), options=opts)
    col.ingest_letters([_letter(i) for i in range(12)])
    _same_as_scratch(col)
    rng = np.random.default_rng(0)
    nxt = 12
    for step in range(14):
        op = step % 5
        live = sorted(d["doc_id"] for d in col.letters())
        if op in (0, 3):
            col.ingest_letters([_letter(nxt), _letter(nxt + 1, n=2)])
            nxt += 2
        elif op == 1:
            col.delete(live[int(rng.integers(len(live)))])
        elif op == 2:
            doc = col.get_letter(live[int(rng.integers(len(live)))])
            cid = doc["clauses"][-1]["clause_id"]
            col.update_clause_labels(cid, ["giao_duc", "moi"], ["cong_an"], [])
        else:  # a retagged letter: same doc_id, replaced in one transaction
            letter = _letter(int(live[0].split("-")[1]), n=4)
            col.ingest_letters([letter])
        if op in (0, 3):  # (a flat index is rebuilt when a clause is deleted)
            assert isinstance(col.snapshot.vectors, LayeredIndex) and len(col.snapshot.vectors.delta) <= 5
        _same_as_scratch(col)
    col.close()


def test_saved_table_and_vector_delta_round_trip(tmp_path):
    opts = IndexOptions(table_delta_min=1000)
    col = Collection.open(tmp_path / "col", HashingEncoder(), options=opts)
    col.ingest_letters([_letter(i) for i in range(10)])
    col.delete("inc-003")  # (a flat index is rebuilt when a clause is deleted)
    col.ingest_letters([_letter(10), _letter(11)])  # into the vector delta and the table delta
    col.update_clause_labels("inc-005:2", ["an_ninh"], [], ["so_y_te"])
    snap = col.snapshot
    assert len(snap.vectors.delta) == 6 and len(snap.table_delta) > 0
    manifest = read_derived_manifest(col.derived_dir)
    assert manifest["format_version"] == FORMAT_VERSION == 4
    assert manifest["vectors"]["layers"]["delta"]["count"] == 6 and manifest["vectors"]["kind"] == "flat"
    assert manifest["table"]["delta"] == len(snap.table_delta)
    # the main vector index and the table base are hard links of the previous save's files
    main = col.derived_dir / "vectors" / "main" / "faiss.index"
    assert main.stat().st_nlink == 1  # (the old folder is gone; it was linked, not rewritten)
    before = _results(col, snap)
    loaded = load_snapshot(col.derived_dir, col.store, opts)
    assert loaded.table.same_as(snap.table) and loaded.table_base.same_as(snap.table_base)
    assert isinstance(loaded.vectors, LayeredIndex) and np.array_equal(loaded.vectors.ids, snap.vectors.ids)
    assert _results(col, loaded) == before
    col.close()
    col = Collection.open(tmp_path / "col", HashingEncoder(), options=opts)
    assert _results(col, col.snapshot) == before
    _same_as_scratch(col)
    col.close()


def test_table_files_round_trip_and_deltas_compose(tmp_path):
    letters = [{"doc_id": f"d{i}", "year": 2020 + i, "month": None, "day": None, "province": "Hà Nam",
                "issuer": "UBND", "doc_type": None} for i in range(3)]
    table = ClauseTable(np.array([1, 2, 5]), ["d0", "d1", "d2"], ["directive", "preamble", "closing"],
                        [["a"], ["a", "b"], []], [["x"], [], ["x", "y"]], letters,
                        diseases=[["dengue"], [], ["rabies", "dengue"]])
    table.save(tmp_path / "t")
    loaded = ClauseTable.load(tmp_path / "t")
    assert loaded.same_as(table) and loaded.path == tmp_path / "t"
    assert {k: v.tolist() for k, v in loaded.disease_slots.items()} == {"dengue": [0, 2], "rabies": [2]}
    assert not loaded.same_as(ClauseTable(table.rowids, ["d0", "d1", "d2"], ["directive", "preamble", "closing"],
                                          [["a"], ["a", "b"], []], [["x"], [], ["x", "y"]], letters))
    first = TableDelta((2, 7), ((7, "d3", "directive", ("b",), ("y",), ("covid19",)),), ("d3",),
                       ({**letters[0], "doc_id": "d3", "year": 2024},))
    second = TableDelta((7, 1), ((1, "d0", "directive", ("c",), (), ()),), (), ())
    step = loaded.updated(first).updated(second)
    once = loaded.updated(first.then(second))
    assert step.same_as(once) and once.rowids.tolist() == [1, 5]
    assert once.theme_slots.keys() == {"c"} and once.doc_ids == ["d0", "d1", "d2", "d3"]
    assert {k: v.tolist() for k, v in once.disease_slots.items()} == {"dengue": [1], "rabies": [1]}
    assert {k: v.tolist() for k, v in loaded.updated(first).disease_slots.items()} == \
        {"dengue": [0, 1], "rabies": [1], "covid19": [2]}
    assert once.mask(SearchFilters(disease=("rabies", "covid19"))).tolist() == [False, True]
    assert TableDelta.from_json(json.loads(json.dumps(first.to_json()))) == first
    (tmp_path / "t" / "rowids.npy").write_bytes(b"")
    with pytest.raises(ArtifactError, match="unreadable"):
        ClauseTable.load(tmp_path / "t")


def _write_behind_its_back(folder, letter) -> None:
    """A commit the derived folder never saw (another process, killed before its save)."""
    enc = HashingEncoder()
    store = Store(folder / DB_NAME, encoder_name=enc.name, dim=enc.dim)
    vecs = enc.encode_passages([c.text for c in letter.clauses])
    store.put_letter(letter, [ClauseRow(c, *clause_tokens(c.text), v) for c, v in zip(letter.clauses, vecs)])
    store.close()


def test_commit_without_derived_save_is_repaired_on_open(tmp_path):
    folder = tmp_path / "col"
    with Collection.open(folder, HashingEncoder()) as col:
        col.ingest_letters([_letter(i) for i in range(8)])
        col.ingest_letters([_letter(8)])
    saved = read_derived_manifest(folder / DERIVED_DIR)
    _write_behind_its_back(folder, _letter(9))
    with Collection.open(folder, HashingEncoder()) as col:
        manifest = read_derived_manifest(folder / DERIVED_DIR)
        assert manifest["generation"] == saved["generation"] + 1 == col.store.generation()
        assert manifest["counts"]["clauses"] == 30 and len(col.snapshot) == 30
        assert col.search("điểm 63", filters={"doc_id": "inc-009"}).hits
        _same_as_scratch(col)
    # Same generation, other rows (a folder copied from another state): the data hash tells.
    store = Store(folder / DB_NAME, encoder_name="test/hashing", dim=64)
    first = store.data_hash()
    with store.write() as conn:  # delete a letter and bump nothing else but the generation …
        store._delete(conn, "inc-002")
    conn = store.conn
    conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (str(manifest["generation"]),))
    assert store.generation() == manifest["generation"] and store.data_hash() != first
    store.close()
    with Collection.open(folder, HashingEncoder()) as col:  # … the stale folder is brought up to date
        assert len(col.snapshot) == 27 and "inc-002" not in col.snapshot.table.doc_ids
        _same_as_scratch(col)


def test_format_v2_folder_is_converted_on_open(tmp_path):
    folder = tmp_path / "col"
    with Collection.open(folder, HashingEncoder()) as col:
        col.ingest_letters([_letter(i) for i in range(6)])
        before = _results(col, col.snapshot)
    derived = folder / DERIVED_DIR
    shutil.rmtree(derived / TABLE_DIR)  # what format v2 lacked
    data = json.loads((derived / MANIFEST).read_text())
    data["format_version"] = 2
    (derived / MANIFEST).write_text(json.dumps(data))
    with Collection.open(folder, HashingEncoder()) as col:
        assert read_derived_manifest(derived)["format_version"] == FORMAT_VERSION
        assert (derived / TABLE_DIR).is_dir()
        assert _results(col, col.snapshot) == before
    # a damaged table is rebuilt from SQLite; the vectors and keyword segments are kept
    (derived / TABLE_DIR / "base" / "kind.npy").write_bytes(b"garbage")
    inode = (derived / "vectors" / "main" / "faiss.index").stat().st_ino  # (a v2 index is the main layer)
    with Collection.open(folder, HashingEncoder()) as col:
        assert _results(col, col.snapshot) == before
        assert (derived / "vectors" / "main" / "faiss.index").stat().st_ino == inode  # linked, not rebuilt


def test_data_hash_is_sql_aggregates_and_changes_with_rows(tmp_path):
    enc = HashingEncoder()
    store = Store(tmp_path / DB_NAME, encoder_name=enc.name, dim=enc.dim)
    hashes = {store.data_hash()}
    for i in range(3):
        letter = _letter(i)
        vecs = enc.encode_passages([c.text for c in letter.clauses])
        store.put_letter(letter, [ClauseRow(c, *clause_tokens(c.text), v) for c, v in zip(letter.clauses, vecs)])
        hashes.add(store.data_hash())
    store.delete_letter("inc-001")
    hashes.add(store.data_hash())
    letter = _letter(1)  # the same letter again: same count and letters, new row ids
    vecs = enc.encode_passages([c.text for c in letter.clauses])
    store.put_letter(letter, [ClauseRow(c, *clause_tokens(c.text), v) for c, v in zip(letter.clauses, vecs)])
    hashes.add(store.data_hash())
    assert len(hashes) == 6
    # the counters the triggers keep equal a count over the rows; a file written before the
    # triggers existed gets them on open
    kept = dict(store.conn.execute("SELECT key, value FROM meta"))
    assert all(kept[k] == v for k, v in _fingerprint_values(store.conn))
    current = store.data_hash()
    conn = store.conn
    for trigger in ("clauses_fingerprint_insert", "clauses_fingerprint_delete",
                    "letters_fingerprint_insert", "letters_fingerprint_delete"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DELETE FROM meta WHERE key IN ('clause_count', 'clause_id_sum', 'clause_id_sq', 'letter_count')")
    reopened = Store(tmp_path / DB_NAME, encoder_name=enc.name, dim=enc.dim)
    assert reopened.data_hash() == current
    reopened.close()
    # the store's change log covers its own writes, not a gap
    g = store.generation()
    changes = store.changes_since(g - 2, g)
    assert changes is not None and changes.letters == {"inc-001"} and len(changes.rows) == 6
    assert store.changes_since(-5, g) is None
    store.close()


@pytest.mark.parametrize("kind", ["exact", "flat", "hnsw"])
def test_layered_index_answers_like_one_index(tmp_path, kind):
    from congvan.index.vectors import load_vector_index, new_vector_index

    rng = np.random.default_rng(1)
    vecs = rng.normal(size=(300, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(1, 301, dtype=np.int64) * 3
    opts = VectorOptions(hnsw_threshold=1, ef_search=400)
    one = new_vector_index(kind, 16, 300, opts)
    one.add(ids, vecs)
    main = new_vector_index(kind, 16, 250, opts)
    main.add(ids[:250], vecs[:250])
    layered = LayeredIndex(main, options=opts)
    layered.add(ids[250:], vecs[250:])
    assert layered.kind == kind and np.array_equal(layered.ids, ids) and len(layered.delta) == 50
    allowed = rng.random(300) < 0.5
    for q in vecs[[3, 260, 299]] + 0.01:
        for mask in (None, allowed):
            s1, p1 = one.search(q, 10, mask)
            s2, p2 = layered.search(q, 10, mask)
            assert p2.tolist() == p1.tolist() and np.allclose(s1, s2)
            assert sorted(layered.count_above(q, 0.3, mask).tolist()) == sorted(one.count_above(q, 0.3, mask).tolist())
        pos = np.array([0, 249, 250, 299])
        assert np.allclose(layered.scores_at(q, pos), vecs[pos] @ q, atol=1e-5)
    # saved in two layers; the next save hard-links the main one; merged = one index
    (tmp_path / "a").mkdir()
    info = layered.save(tmp_path / "a")
    layered.saved_in(tmp_path / "a")
    assert info["kind"] == kind and info["count"] == 300 and info["layers"]["delta"]["count"] == 50
    (tmp_path / "b").mkdir()
    layered.copy().save(tmp_path / "b")
    assert all(f.stat().st_nlink == 2 for f in (tmp_path / "b" / "main").iterdir())
    loaded = load_vector_index(tmp_path / "a", info, opts)
    assert isinstance(loaded, LayeredIndex) and np.array_equal(loaded.ids, ids)
    assert loaded.search(vecs[7], 10)[1].tolist() == layered.search(vecs[7], 10)[1].tolist()
    merged = layered.merged()
    assert len(merged.delta) == 0 and np.array_equal(merged.ids, ids) and len(layered.delta) == 50
    if kind != "hnsw":  # (a graph built in another order may differ in its approximate answers)
        assert merged.search(vecs[7], 10)[1].tolist() == one.search(vecs[7], 10)[1].tolist()


def test_letters_stored_before_the_header_column_are_analysed(tmp_path):
    folder = tmp_path / "col"
    with Collection.open(folder, HashingEncoder()) as col:
        col.ingest_letters([_letter(i) for i in range(5)])
        stored = col.store.letter_headers(["inc-001", "inc-002"])
        col.store.conn.execute("UPDATE letters SET header = NULL, header_folded = NULL WHERE doc_id = 'inc-001'")
        assert col.store.letter_headers(["inc-001", "inc-002"]) == stored
        _same_as_scratch(col)
    # a file from before the columns gets them, filled, on open
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("ALTER TABLE letters DROP COLUMN header")
    conn.execute("ALTER TABLE letters DROP COLUMN header_folded")
    conn.execute("DELETE FROM meta WHERE key = 'letter_headers'")
    conn.commit()
    conn.close()
    with Collection.open(folder, HashingEncoder()) as col:
        assert col.store.conn.execute("SELECT count(*) FROM letters WHERE header IS NULL").fetchone()[0] == 0
        assert col.store.letter_headers(["inc-001", "inc-002"]) == stored
        _same_as_scratch(col)


def test_database_from_before_diseases_gets_them_and_an_old_table_is_rebuilt(tmp_path):
    """A collection written before clauses had diseases (no column, tables of format v1): on
    open the column is added and filled as the parser would, the saved filter table is rebuilt
    from SQLite, and the disease filter works without re-ingesting."""
    folder = tmp_path / "col"
    letters = [_letter(i) for i in range(6)]
    with Collection.open(folder, HashingEncoder()) as col:
        col.ingest_letters(letters)
        want = {h.clause_id: h.diseases for h in col.search("", top_k=50).hits}
        assert set(want) == {c.clause_id for l in letters for c in l.clauses}
        # named in the clause, else the letter's (inc-001:2 names none)
        assert (want["inc-001:1"], want["inc-001:2"], want["inc-001:3"]) == (
            ["covid19"], ["covid19", "rabies"], ["rabies"])
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("ALTER TABLE clauses DROP COLUMN diseases")
    conn.commit()
    conn.close()
    base = folder / DERIVED_DIR / TABLE_DIR / "base"
    info = json.loads((base / "table.json").read_text())
    info["version"] = 1
    del info["disease_slots"]
    (base / "table.json").write_text(json.dumps(info))
    for name in ("disease_slots.npy", "disease_slots_indptr.npy"):
        (base / name).unlink()
    with pytest.raises(ArtifactError, match="v1"):
        ClauseTable.load(base)
    with Collection.open(folder, HashingEncoder()) as col:
        got = {h.clause_id: h.diseases for h in col.search("", top_k=50).hits}
        assert got == want
        assert [c["diseases"] for c in col.get_letter("inc-001")["clauses"]] == [
            ["covid19"], ["covid19", "rabies"], ["rabies"]]
        dengue = col.search("tiêm vắc xin", top_k=50, filters={"disease": "dengue"}, mode="bm25")
        assert dengue.hits and {h.clause_id for h in dengue.hits} == {c for c, d in want.items() if "dengue" in d}
        assert json.loads((base / "table.json").read_text())["version"] == 2
        _same_as_scratch(col)
