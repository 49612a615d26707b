"""Tone marks put back on tone-less queries for the dense side (index/tones.py)."""
from __future__ import annotations

from collections import Counter

import pytest

from congvan.index import Collection
from congvan.index.keyword import analyze_query
from congvan.index.testing import HashingEncoder, make_letter
from congvan.index.tones import _lexicon, restore_tones
from congvan.letters.tokenize import search_tokens

CLAUSES = [
    "Tổ chức tiêm vét vắc xin phòng COVID-19 cho người dân chưa tiêm đủ liều.",
    "Phun hóa chất diệt muỗi, diệt lăng quăng phòng, chống dịch sốt xuất huyết.",
    "Tiêm phòng dại cho chó, mèo; giám sát bệnh dại trên người.",
    "Đại biểu Hội đồng nhân dân tỉnh tiếp xúc cử tri tại các xã.",
    "Chuẩn bị cho năm học mới, bảo đảm an toàn trường học.",
]


def _doc_freq(texts: list[str]):
    df = Counter(t for text in texts for t in set(search_tokens(text)))
    return lambda tokens: [df.get(t, 0) for t in tokens]


@pytest.fixture(scope="module")
def df():
    if not _lexicon()[0]:
        pytest.fail("underthesea's Viet74K word list is missing: reinstall underthesea")
    return _doc_freq(CLAUSES)


@pytest.mark.parametrize(("typed", "restored"), [
    ("bien phap tiem vet", "biện pháp tiêm vét"),
    ("phun hoa chat diet muoi", "phun hóa chất diệt muỗi"),
    ("phong chong sot xuat huyet", "phòng chống sốt xuất huyết"),
    ("phong chong benh dai", "phòng chống bệnh dại"),  # "dại" (rabies) here …
    ("dai bieu tiep xuc cu tri", "đại biểu tiếp xúc cử tri"),  # … "đại" (deputy) there
    ("covid-19 2116/BYT-DP tiem vet", "covid-19 2116/BYT-DP tiêm vét"),  # codes kept as typed
])
def test_the_collection_decides_which_tones_a_syllable_gets(df, typed: str, restored: str) -> None:
    assert restore_tones(typed, df) == restored


def test_the_genres_names_beat_a_commoner_syllable() -> None:
    """Every letter prints "Số:" and cites "Công văn số …", so "số" outnumbers "sở" in any
    collection; the taxonomy's names ("Sở Y tế", "Sở Tài chính") still restore "so y te" as the
    department, and a disease's name ("sởi") its own tones."""
    texts = ["Công văn số 12/UBND-VX, số liệu, số ca mắc, số lượng vắc xin."] * 5 + [
        "Sở Y tế tổ chức tiêm vét.", "Sở Tài chính bố trí kinh phí.", "Tiêm vắc xin phòng sởi, rubella."]
    df = _doc_freq(texts)
    assert restore_tones("so y te tiem vet", df) == "sở y tế tiêm vét"
    assert restore_tones("so tai chinh bo tri kinh phi", df) == "sở tài chính bố trí kinh phí"
    assert restore_tones("so ca mac", df) == "số ca mắc"
    assert restore_tones("so tt&tt tuyen truyen", df).startswith("sở tt&tt")  # a name typed as one word


def test_queries_with_tones_or_without_syllables_are_left_alone(df) -> None:
    assert restore_tones("tiêm vét", df) is None
    assert restore_tones("2116/BYT-DP", df) is None
    assert restore_tones("", df) is None


class _Recording(HashingEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def encode_queries(self, texts):
        self.queries.extend(texts)
        return super().encode_queries(texts)


def test_search_embeds_the_restored_query(tmp_path) -> None:
    """The dense side reads the restored text; the keyword side keeps the folded match."""
    encoder = _Recording()
    col = Collection.open(tmp_path / "col", encoder)
    try:
        col.ingest_letters([make_letter("t-1", [(str(i + 1), "directive", text) for i, text in enumerate(CLAUSES)],
                                        source="t.txt", province="Lạng Sơn", date=(2024, 5, None))])
        acc = col.snapshot.accented
        assert list(acc.postings_count(["dại", "đại", "xyz", ""])) == list(acc.doc_freq(["dại", "đại", "xyz", ""])) \
            == [1, 1, 0, 0]  # no deletes: the upper bound is the count
        assert col.dense_text(analyze_query("phong chong benh dai")) == "phòng chống bệnh dại"
        assert col.dense_text(analyze_query("tiêm vét")) == "tiêm vét"
        res = col.search("giam sat benh dai", top_k=3)
        assert encoder.queries[-1] == "giám sát bệnh dại"
        assert res.hits[0].path == "3"  # the keyword side still matches the folded words
        col.search("tiêm vét", top_k=3)
        assert encoder.queries[-1] == "tiêm vét"
        # explain says what the encoder read when it is not what was typed
        assert col.search("giam sat benh dai", explain=True).hits[0].explain["dense_query"] == "giám sát bệnh dại"
        assert "dense_query" not in col.search("tiêm vét", explain=True).hits[0].explain
    finally:
        col.close()


def test_snippets_mark_the_words_of_the_restored_query(tmp_path) -> None:
    """A tone-less query's snippet marks the syllables in the tones it was read with: "tay chan
    mieng" marks "tay chân miệng", not the "chẩn" of "chẩn đoán"; "ve" of "ve sinh" is "vệ", not
    the function word "về" left unmarked."""
    col = Collection.open(tmp_path / "col", HashingEncoder())
    try:
        col.ingest_letters([make_letter("t-2", [
            ("1", "directive", "Bác sĩ chẩn đoán sớm bệnh tay chân miệng cho trẻ tại trường mầm non."),
            ("2", "directive", "Các xã tổ chức vệ sinh môi trường tại khu dân cư, báo cáo về huyện.")],
            source="t2.txt", province="Cần Thơ", date=(2024, 7, None))])
        snippets = {h.path: h.snippet for h in col.search("tay chan mieng", top_k=5).hits}
        assert "<mark>tay chân miệng</mark>" in snippets["1"] and "<mark>chẩn</mark>" not in snippets["1"]
        snippets = {h.path: h.snippet for h in col.search("ve sinh moi truong", top_k=5).hits}
        assert "<mark>vệ sinh môi trường</mark>" in snippets["2"], snippets
    finally:
        col.close()
