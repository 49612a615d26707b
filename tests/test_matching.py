"""Query-word features (coverage, phrases, best window, letter headers) and the short-query ranking.

Pure functions first (hand-made document frequencies), then ranking through ``Collection`` with
the hashing test encoder, so the keyword side is what decides.
"""
from __future__ import annotations

import numpy as np
import pytest

from congvan.index import Collection
from congvan.index.keyword import clause_tokens
from congvan.index.letter_context import LetterHeaders, header_tokens, heading_tokens
from congvan.index.matching import match_features, query_words
from congvan.index.testing import HashingEncoder, make_letter


def _df(table: dict[str, int]):
    return lambda toks: np.array([table.get(t, 0) for t in toks])


def _features(query: str, texts: list[str], df: dict[str, int], n: int = 1000, **kw):
    from congvan.letters.text import has_diacritics

    qw = query_words(query, has_diacritics(query), _df(df), n)
    return qw, match_features(qw, [clause_tokens(t)[0] for t in texts], fold_credit=0.5, window_pad=6, **kw)


COMMON = {"bien": 600, "phap": 600, "bien_phap": 500, "tiem": 200, "vet": 5, "tiem_vet": 4}


def test_common_phrase_weighs_little_and_full_coverage_wins():
    qw, f = _features("biện pháp tiêm vét", [
        "Triển khai các biện pháp phòng dịch.",
        "Tổ chức tiêm vét cho người dân chưa tiêm đủ liều.",
        "Áp dụng biện pháp tiêm vét tại các thôn."], COMMON)
    # "biện pháp" is in most clauses of the corpus: its bigram and syllables weigh less than "vét"
    assert qw.bigram_weights[0] < qw.bigram_weights[-1]
    assert qw.weights[list(qw.terms).index("vét")] > qw.weights[list(qw.terms).index("biện")]
    assert f.coverage[2] == pytest.approx(1.0) and f.adjacency[2] == pytest.approx(1.0)
    assert f.coverage[1] > f.coverage[0] and f.adjacency[1] > f.adjacency[0]
    assert "tiêm vét" in f.matched[1] and "tiêm vét" not in f.matched[0]


def test_exact_accents_beat_folded_match_and_toneless_query_matches_both():
    texts = ["Tổ chức tiêm vét cho người dân.", "To chuc tiem vet cho nguoi dan."]
    _, accented = _features("tiêm vét", texts, COMMON)
    assert accented.coverage[0] == pytest.approx(1.0) and 0 < accented.coverage[1] < 1
    _, toneless = _features("tiem vet", texts, COMMON)
    assert toneless.coverage[0] == pytest.approx(toneless.coverage[1]) == pytest.approx(1.0)


def test_window_rewards_words_close_together():
    near = "Tổ chức tiêm vét tại vùng có tỷ lệ tiêm thấp. " + "Nội dung khác của văn bản. " * 20
    far = "Tổ chức tiêm cho trẻ. " + "Nội dung khác của văn bản. " * 20 + "Rà soát vét các đối tượng."
    _, f = _features("tiêm vét", [near, far], COMMON)
    assert f.coverage[0] == pytest.approx(f.coverage[1])
    assert f.window[0] > f.window[1]


def test_document_number_parts_match():
    _, f = _features("công điện 1068", ["Thực hiện Công điện số 1068/CĐ-TTg ngày 27/7/2020."], {})
    assert f.coverage[0] == pytest.approx(1.0)


def test_letter_header_counts_for_its_clauses():
    doc = {"doc_type": "Công điện", "number": "228/CĐ-TTg", "province": None, "issuer": "Thủ tướng Chính phủ",
           "subject": "Về khắc phục hậu quả mưa lũ", "date": {"year": 2025, "month": 11, "day": 24}}
    toks = header_tokens(doc)
    assert {"228", "cđ", "11/2025", "2025"} <= set(toks)
    headers = LetterHeaders.build([doc, {"doc_type": "Công văn", "number": "12/UBND-VX"}])
    qw = query_words("cong dien 228", False, _df({}), 10)
    cov = headers.coverage(qw.terms_folded, qw.weights, 2)
    assert cov[0] == pytest.approx(1.0) and cov[1] < 0.5
    _, f = _features("cong dien 228", ["Các bộ, ngành khẩn trương thực hiện."], {}, headers=[toks])
    assert f.coverage[0] == pytest.approx(1.0) and f.window[0] == 0.0


HEADING = "Giao Sở Y tế chủ trì, phối hợp với Ủy ban nhân dân các huyện, thành phố:"
ITEM = "Tăng cường giám sát ca bệnh sốt xuất huyết tại cộng đồng, xử lý triệt để ổ dịch."


def test_heading_counts_for_its_items():
    """An item under "Giao Sở Y tế chủ trì …:" is Sở Y tế's task: the heading's words count for
    its coverage and phrases (not its window), as the letter header's do."""
    df = {"so": 300, "y": 200, "te": 200, "sot": 20, "xuat": 30, "huyet": 20}
    _, f = _features("sở y tế sốt xuất huyết", [ITEM, ITEM], df, headings=[heading_tokens(HEADING), None])
    assert f.coverage[0] == pytest.approx(1.0) and f.coverage[1] < 0.8
    assert f.adjacency[0] > f.adjacency[1]
    assert "y tế" in f.matched[0] and "y tế" not in f.matched[1]
    assert f.window[0] == pytest.approx(f.window[1])


def test_heading_context_ranks_the_doers_items_first(tmp_path):
    from congvan.letters.schema import Clause, Letter

    duty = Letter(doc_id="x", doc_type="Công văn", province="Lai Châu", clauses=[
        Clause(clause_id="x:2", path="2", kind="directive", text=HEADING, order=0),
        Clause(clause_id="x:2.a", path="2.a", kind="directive", text=ITEM, heading=HEADING, order=1)])
    funding = "Sở Tài chính bố trí kinh phí phòng, chống sốt xuất huyết cho các huyện, thành phố."
    other = make_letter("y", [("1", "directive", funding)], province="Lai Châu")
    # words in most clauses of a tiny collection would count as too common to match by
    rest = make_letter("z", [(str(i), "directive", text) for i, text in enumerate([
        "Sở Giáo dục và Đào tạo tổ chức kỳ thi an toàn.", "Công an tỉnh bảo đảm an ninh trật tự.",
        "Các xã tổ chức vệ sinh môi trường sau lũ.", "Sở Công Thương bình ổn giá mặt hàng thiết yếu."])])
    c = Collection.open(tmp_path / "col", HashingEncoder())
    try:
        c.ingest_letters([duty, other, rest])
        query = "sở y tế sốt xuất huyết"
        on = c.search(query, params=c.params.with_(heading_context=True), explain=True)
        off = c.search(query, params=c.params.with_(heading_context=False), explain=True)
        assert on.hits[0].clause_id == "x:2.a", [(h.clause_id, h.explain) for h in on.hits]
        assert off.hits[0].clause_id != "x:2.a", [(h.clause_id, h.explain) for h in off.hits]
    finally:
        c.close()


FILLER = ("Ủy ban nhân dân các huyện, thành phố chỉ đạo các cơ quan chuyên môn rà soát danh sách đối tượng "
          "theo từng thôn, bản, tổ dân phố, phân công cán bộ theo dõi, đôn đốc, báo cáo kết quả hằng tuần về "
          "Sở Y tế để tổng hợp, đồng thời bảo đảm đủ nhân lực, vật tư, phương tiện cho các điểm tiêm lưu động; ")
LONG_ITEM = FILLER + "tổ chức tiêm vét tại vùng có tỷ lệ tiêm thấp, bảo đảm không bỏ sót đối tượng. " + FILLER


@pytest.fixture(scope="module")
def col(tmp_path_factory):
    letters = [
        make_letter("a", [("1", "directive", LONG_ITEM)], province="Bình Dương", number="12/UBND-VX"),
        make_letter("b", [("1", "directive", "Thực hiện các biện pháp phòng dịch."),
                          ("2", "directive", "Tăng cường biện pháp kiểm soát."),
                          ("3", "directive", "Biện pháp cách ly y tế tại nhà.")], province="Hà Giang"),
        make_letter("c", [("1", "directive", "Các sở, ngành khẩn trương khắc phục hậu quả mưa lũ."),
                          ("2", "directive", "Bảo đảm an toàn tính mạng cho Nhân dân.")],
                    number="228/CĐ-TTg", doc_type="Công điện", date=(2025, 11, 24)),
    ]
    c = Collection.open(tmp_path_factory.mktemp("matching"), HashingEncoder())
    c.ingest_letters(letters)
    yield c
    c.close()


@pytest.mark.parametrize("query", ["biện pháp tiêm vét", "bien phap tiem vet"])
def test_long_item_with_the_phrase_beats_short_clauses_with_a_common_word(col, query):
    res = col.search(query, explain=True)
    assert res.hits[0].doc_id == "a", [(h.doc_id, h.explain) for h in res.hits]
    assert res.hits[0].explain["adjacency"] > res.hits[1].explain["adjacency"]


def test_query_naming_a_letter_finds_its_clauses(col):
    res = col.search("cong dien 228", explain=True)
    assert {h.doc_id for h in res.hits[:2]} == {"c"}, [(h.doc_id, h.explain) for h in res.hits]
    assert "228" in res.hits[0].explain["matched"]


def test_letter_prior_brings_the_best_hits_siblings_up_for_short_queries_only():
    """Two clauses of letter 0 (one strong, one weaker) and one of letter 1 just above the weaker:
    a short query lifts the sibling of the best hit; a long question ranks as before."""
    from congvan.index.ranking import DEFAULT_PARAMS, letter_best, rank

    kw = np.array([1.0, 0.5, 0.55], np.float32)
    every = np.ones(3, bool)

    def order(n_terms: int, weight: float) -> list[int]:
        ranked = rank(kw=kw, dense_top=(np.zeros(0, np.int64), np.zeros(0, np.float32)),
                      dense_at=lambda s: np.zeros(len(s), np.float32), kinds=np.ones(3, np.int8),
                      keyword_match=every, dense_match=~every, code_match=None,
                      params=DEFAULT_PARAMS.with_(letter_weight=weight), mode="hybrid", depth=10,
                      n_terms=n_terms, letters=np.array([0, 0, 1]))
        return ranked.slots.tolist()

    assert letter_best(np.array([3, 1, 3, 1]), np.array([0.2, 0.9, 0.7, 0.1])).tolist() == [0.7, 0.9, 0.7, 0.9]
    assert order(3, 0.0) == [0, 2, 1]
    assert order(3, 0.5) == [0, 1, 2]
    assert order(20, 0.5) == [0, 2, 1]


def test_disease_prior_brings_clauses_on_the_best_hits_disease_up_for_short_queries_only():
    """The three best candidates are dengue clauses: a weaker dengue clause passes a slightly
    stronger COVID-19 one for a short query; a long question ranks as before."""
    from congvan.index.ranking import DEFAULT_PARAMS, label_overlap, rank

    kw = np.array([1.0, 0.9, 0.8, 0.5, 0.55], np.float32)
    labels = np.array([[False, True], [False, True], [False, True], [False, True], [True, False]])
    every = np.ones(5, bool)

    def order(n_terms: int, weight: float) -> list[int]:
        ranked = rank(kw=kw, dense_top=(np.zeros(0, np.int64), np.zeros(0, np.float32)),
                      dense_at=lambda s: np.zeros(len(s), np.float32), kinds=np.ones(5, np.int8),
                      keyword_match=every, dense_match=~every, code_match=None,
                      params=DEFAULT_PARAMS.with_(letter_weight=0.0, disease_weight=weight), mode="hybrid",
                      depth=10, n_terms=n_terms, letters=np.arange(5), diseases_at=lambda s: labels[s])
        return ranked.slots.tolist()

    overlap = label_overlap(np.array([[True, False], [True, True], [False, False]]), np.array([0.9, 0.1, 0.5]), 1)
    assert overlap.tolist() == [1.0, 0.5, 0.0]
    assert order(3, 0.0) == [0, 1, 2, 4, 3]
    assert order(3, 0.25) == [0, 1, 2, 3, 4]
    assert order(20, 0.25) == [0, 1, 2, 4, 3]


def test_clause_table_reports_each_clauses_diseases(tmp_path):
    letters = [make_letter("d", [("1", "directive", "Tăng cường phòng, chống sốt xuất huyết, diệt bọ gậy."),
                                 ("2", "directive", "Tiêm vắc xin phòng COVID-19 cho trẻ em.")], diseases=True),
               make_letter("e", [("1", "directive", "Bảo đảm an ninh trật tự dịp Tết.")], diseases=True)]
    c = Collection.open(tmp_path / "col", HashingEncoder())
    try:
        c.ingest_letters(letters)
        table = c.snapshot.table
        names = list(table.disease_slots)
        keys = c.slot_keys()
        got = {keys[s]: {names[j] for j in np.flatnonzero(row)}
               for s, row in enumerate(table.diseases_at(np.arange(len(keys))))}
        assert got[("d", "1")] == {"dengue"} and got[("d", "2")] == {"covid19"}
        assert got[("e", "1")] == set()
    finally:
        c.close()
