"""Window vectors of long clauses: cutting, storage round trip, migration of older files, and
the rescoring of long queries (index mechanics with the hashing encoder; the quality effect is
measured by ``congvan evaluate search``, see the README)."""
from __future__ import annotations

import itertools
import sqlite3

import numpy as np
import pytest

from congvan.index.collection import Collection
from congvan.index.keyword import clause_tokens
from congvan.index.ranking import DEFAULT_PARAMS, window_rescore
from congvan.index.store import DB_NAME, ClauseRow, Store
from congvan.index.testing import HashingEncoder, make_letter
from congvan.index.windows import MAX_WINDOWS, MIN_WORDS, WINDOW_WORDS, clause_windows, pack, unpack

HEAD = "Điều 7. Trách nhiệm của Ủy ban nhân dân cấp xã"
SENTENCES = [
    ("Ủy ban nhân dân cấp xã chỉ đạo các thôn, tổ dân phố rà soát, lập danh sách người dân trong độ tuổi "
    "chưa được tiêm đủ liều vắc xin và báo cáo Trạm Y tế trước ngày 15 hằng tháng."),
    ("Bố trí địa điểm tiêm bảo đảm thông thoáng, có khu vực chờ, khu vực theo dõi sau tiêm và phương án "
    "xử trí phản ứng sau tiêm theo hướng dẫn của ngành y tế."),
    ("Huy động lực lượng đoàn viên thanh niên, hội phụ nữ hỗ trợ đưa đón người cao tuổi, người có bệnh nền "
    "đến điểm tiêm, không để ai bị bỏ lại phía sau."),
    ("Tổ chức tuyên truyền trên hệ thống loa truyền thanh cơ sở về lợi ích của tiêm chủng và lịch tiêm "
    "cụ thể của từng thôn, bản trong tuần."),
    ("Phối hợp với Trung tâm Y tế huyện kiểm tra công tác bảo quản vắc xin, dây chuyền lạnh và sổ sách "
    "ghi chép tại các điểm tiêm trên địa bàn."),
    ("Vận động các hộ gia đình thường xuyên lật úp dụng cụ chứa nước, thả cá vào bể nước lớn và thu gom "
    "vật phế thải quanh nhà để diệt bọ gậy, loăng quăng phòng bệnh sốt xuất huyết."),
]
LONG = HEAD + "\n" + " ".join(SENTENCES)


def test_short_clause_has_no_windows():
    assert clause_windows("Giao Sở Y tế chủ trì tổ chức tiêm vét cho trẻ em.") == []
    assert clause_windows(" ".join(["từ"] * MIN_WORDS)) == []


def test_long_clause_is_cut_at_sentence_ends_with_its_heading():
    assert len(LONG.split()) > MIN_WORDS
    windows = clause_windows(LONG)
    assert len(windows) >= 2
    for w in windows:
        assert w.startswith(HEAD + "\n")
        assert len(w.split()) <= WINDOW_WORDS
        body = w[len(HEAD) + 1:]
        # every window is whole sentences of the clause, in order
        assert any(body.startswith(s[:40]) for s in SENTENCES)
        assert body.endswith(".")
    joined = " ".join(windows)
    for s in SENTENCES:  # nothing is lost
        assert s in joined
    # neighbours overlap by a sentence (a question spanning the cut still finds one window)
    assert any(a.split("\n", 1)[1].split(". ")[-1] in b for a, b in itertools.pairwise(windows))


def test_a_long_first_line_is_body_not_heading_and_runs_are_capped():
    text = " ".join(SENTENCES * 2)  # one paragraph: no heading
    windows = clause_windows(text)
    assert windows and not any(w.startswith(HEAD) for w in windows)
    assert windows[0].startswith(SENTENCES[0][:30])
    endless = " ".join(["Tăng cường kiểm tra, giám sát"] * 4000)  # no sentence end at all
    windows = clause_windows(endless)
    assert len(windows) == MAX_WINDOWS
    assert all(len(w.split()) <= WINDOW_WORDS for w in windows)


def test_pack_unpack_round_trip():
    mat = np.random.default_rng(1).normal(size=(3, 8)).astype(np.float32)
    assert np.array_equal(unpack(pack(mat, 8), 8), mat)
    assert pack(np.zeros((0, 8), np.float32), 8) is None
    assert unpack(None, 8).shape == (0, 8)
    with pytest.raises(ValueError, match="multiple of dim"):
        unpack(pack(mat, 8)[:-4], 8)


def test_rescore_never_lowers_and_only_long_queries_use_windows():
    whole = np.array([0.5, 0.8, 0.7])
    best = np.array([0.9, 0.6, -np.inf])
    assert window_rescore(whole, best, 1.0).tolist() == pytest.approx([0.9, 0.8, 0.7])
    assert window_rescore(whole, best, 0.5).tolist() == pytest.approx([0.7, 0.8, 0.7])
    assert window_rescore(whole, best, 0.0).tolist() == whole.tolist()
    p = DEFAULT_PARAMS
    assert p.window_share(3) == 0.0          # "tiêm vét sở y tế": the whole clause's cosine
    assert p.window_share(p.match_long_terms) == 1.0  # a question: the best window counts
    assert p.with_(window_vectors=0.0).window_share(40) == 0.0


def test_store_keeps_window_vectors(tmp_path):
    enc = HashingEncoder()
    store = Store(tmp_path / DB_NAME, encoder_name=enc.name, dim=enc.dim)
    letter = make_letter("doc-w", [("1", "directive", LONG), ("2", "directive", SENTENCES[0])])
    windows = clause_windows(LONG)
    mats = [enc.encode_passages(windows), None]
    vecs = enc.encode_passages([c.text for c in letter.clauses])
    store.put_letter(letter, [ClauseRow(c, *clause_tokens(c.text), v, m)
                              for c, v, m in zip(letter.clauses, vecs, mats)])
    ids = store.clause_ids().tolist()
    stored = store.windows_by_id(ids)
    assert list(stored) == [ids[0]]  # the short clause has none
    assert np.allclose(stored[ids[0]], mats[0])
    by_text = store.embeddings_by_text("doc-w")  # retagging reuses them, windows included
    assert set(by_text) == {LONG, SENTENCES[0], *windows}
    assert np.allclose(by_text[windows[-1]], mats[0][-1])
    store.close()


def _collection(folder, enc):
    col = Collection.open(folder, enc)
    col.ingest_letters([make_letter("doc-long", [("1", "directive", LONG)]),
                        make_letter("doc-short", [("1", "directive",
                                    ("Các hộ gia đình vệ sinh môi trường quanh nhà, phát quang bụi rậm, "
                                    "khơi thông cống rãnh để phòng bệnh."))])])
    return col


QUESTION = ("hộ gia đình phải làm gì để diệt bọ gậy, loăng quăng, lật úp dụng cụ chứa nước "
            "phòng bệnh sốt xuất huyết")


def test_long_question_finds_the_window_of_a_long_clause(tmp_path):
    enc = HashingEncoder(dim=256)
    with _collection(tmp_path / "idx", enc) as col:
        assert len(col.store.windows_by_id(col.store.clause_ids().tolist())) == 1
        keys = col.slot_keys()
        params = col.params.with_(dense_floor=0.0, dense_floor_short=0.0)  # hashing cosines are low
        on = col.rank(QUESTION, mode="dense", params=params)
        off = col.rank(QUESTION, mode="dense", params=params.with_(window_vectors=0.0))
        long_slot = keys.index(("doc-long", "1"))
        score_on = on.scores[list(on.slots).index(long_slot)]
        score_off = off.scores[list(off.slots).index(long_slot)]
        assert score_on > score_off + 0.1
        assert keys[on.slots[0]] == ("doc-long", "1")
        # a short query keeps the whole clause's cosine
        short = col.rank("diệt bọ gậy", mode="dense", params=params)
        short_off = col.rank("diệt bọ gậy", mode="dense", params=params.with_(window_vectors=0.0))
        assert np.allclose(short.scores, short_off.scores)


def test_older_file_gains_windows_on_rebuild_reembed(tmp_path):
    enc = HashingEncoder(dim=256)
    folder = tmp_path / "idx"
    with _collection(folder, enc):
        pass
    conn = sqlite3.connect(folder / DB_NAME)  # a file written before window vectors: no such column
    conn.execute("ALTER TABLE clauses RENAME COLUMN windows TO unused")
    conn.commit()
    conn.close()
    with Collection.open(folder, enc) as col:
        ids = col.store.clause_ids().tolist()
        assert col.store.windows_by_id(ids) == {}  # searchable as before, no windows yet
        assert col.rank(QUESTION).slots.shape[0] >= 1
        col.rebuild(reembed=True)
        stored = col.store.windows_by_id(ids)
        assert len(stored) == 1
        assert next(iter(stored.values())).shape == (len(clause_windows(LONG)), enc.dim)


def test_keyword_windows_find_where_the_words_cluster():
    from congvan.index.windows import keyword_window_scores

    filler = ["rà", "soát", "báo", "cáo", "định", "kỳ", "theo", "quy", "định", "hiện", "hành", "của", "cơ", "quan", "cấp", "trên"]
    terms = ["diệt", "bọ_gậy", "loăng_quăng"]
    idf = np.array([2.0, 3.0, 3.0])
    clustered = filler * 6 + ["diệt", "bọ_gậy", "loăng_quăng", "diệt"] + filler * 2
    spread = filler * 2 + ["diệt"] + filler * 2 + ["bọ_gậy"] + filler * 2 + ["loăng_quăng"] + filler * 2 + ["diệt"]
    short = filler + ["diệt", "bọ_gậy"]
    got = keyword_window_scores([clustered, spread, short], terms, idf, size=30, k1=1.2, b=0.75)
    assert got[2] == 0.0  # no longer than 1.5 windows: the whole-clause score says it
    assert got[0] > got[1] > 0
    # the best window of the clustered text, by hand: diệt ×2, bọ gậy, loăng quăng in a full window
    norm = 1.2 * (1 - 0.75 + 0.75 * 30 / 30)
    by_hand = sum(w * tf * 2.2 / (tf + norm) for w, tf in zip(idf, (2, 1, 1)))
    assert got[0] == pytest.approx(by_hand)
    assert keyword_window_scores([clustered], [], np.zeros(0), size=30, k1=1.2, b=0.75).tolist() == [0.0]


def test_long_question_keyword_windows_in_bm25_mode(tmp_path):
    enc = HashingEncoder(dim=256)
    with _collection(tmp_path / "idx", enc) as col:
        # a short clause with many of the question's words wins whole-clause BM25
        col.ingest_letters([make_letter("doc-dense", [("1", "directive", ("Hộ gia đình diệt bọ gậy, loăng quăng, "
                                                        "phòng bệnh sốt xuất huyết."))])])
        keys = col.slot_keys()
        long_slot = keys.index(("doc-long", "1"))

        def keyword(p):
            ranked = col.rank(QUESTION, mode="bm25", params=p)
            return ranked.parts["keyword"][list(ranked.slots).index(long_slot)]

        off = col.params.with_(keyword_windows=0.0)
        assert keyword(off) < 1.0  # not the best whole clause
        assert keyword(col.params) > keyword(off) + 0.05  # its last sentences: the best keyword window
        assert col.params.keyword_window_share(3) == 0.0
