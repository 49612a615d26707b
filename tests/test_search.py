"""Search behaviour over a small collection of real-looking letters (hashing test encoder).

The keyword side (accents, codes, abbreviations), filters, pagination, snippets and ingest rules
don't depend on the embedding model; search quality with the real model is in
``test_search_real.py``.
"""
from __future__ import annotations

import re
import threading

import numpy as np
import pytest

from congvan.index import Collection, DocumentNotFound
from congvan.index.snippets import highlight_spans, make_snippet
from congvan.index.testing import HashingEncoder, make_letter

LANG_SON = make_letter(
    "ls-2023", [
        ("1", "preamble", "Thực hiện Công văn số 2116/BYT-DP ngày 12/4/2023 của Bộ Y tế về việc tăng cường "
                          "công tác phòng, chống dịch COVID-19; UBND tỉnh chỉ đạo như sau:"),
        ("2.a", "directive", "Giao Sở Y tế chủ trì, phối hợp với UBND các huyện, thành phố triển khai các biện "
                             "pháp tiêm vét vắc xin phòng COVID-19 cho người dân chưa tiêm đủ liều.",
         ["vaccination"], ["so_y_te"], ["ubnd_huyen"]),
        ("2.b", "directive", "Tăng cường giám sát tại các cửa khẩu, phát hiện sớm các biến thể mới của vi rút "
                             "SARS-CoV-2.", ["surveillance"], ["so_y_te"]),
        ("3", "directive", "Sở Thông tin và Truyền thông đẩy mạnh tuyên truyền để người dân hiểu rõ lợi ích của "
                           "tiêm vắc xin, hoà nhập cộng đồng.", ["communication"], ["so_tttt"], ["so_y_te"]),
        ("4", "closing", "UBND tỉnh yêu cầu các cơ quan liên quan thực hiện nghiêm túc các nội dung trên./."),
    ],
    source="lang-son.txt", province="Lạng Sơn", issuer="UBND tỉnh Lạng Sơn", date=(2023, 4, None),
    subject="V/v tăng cường công tác phòng, chống dịch COVID-19", number="/UBND-KGVX")

QUANG_NINH = make_letter(
    "qn-2022", [
        ("1", "preamble", "Thực hiện Công văn số 2690/BYT-DP ngày 26/5/2022 của Bộ Y tế về đẩy nhanh tiến độ "
                          "tiêm vắc xin phòng COVID-19."),
        ("2", "directive", "Ủy ban nhân dân các huyện, thị xã, thành phố rà soát đối tượng chưa tiêm, tổ chức "
                           "điểm tiêm lưu động.", ["vaccination"], ["ubnd_huyen"]),
        ("3", "directive", "Cac dia phuong tiep tuc trien khai bien phap tiem vet cho nguoi dan.",
         ["vaccination"], ["ubnd_huyen"]),
        ("4", "directive", "Sở Giáo dục và Đào tạo tổ chức dạy học trực tiếp <b>an toàn</b> & hòa nhập "
                           "cho học sinh.", ["education"], ["so_gddt"], ["so_y_te"]),
    ],
    source="quang-ninh.txt", province="Quảng Ninh",
    issuer="Ban Chỉ đạo phòng, chống dịch COVID-19 tỉnh Quảng Ninh", date=(2022, 6, 9),
    subject="Kết luận của Trưởng Ban Chỉ đạo", number="1127/TB-BCĐ", doc_type="Thông báo")

LONG = make_letter(
    "long-2021", [
        ("1", "directive", "Các cơ quan, đơn vị tiếp tục thực hiện nghiêm các quy định về phòng, chống dịch "
                           "bệnh, bảo đảm an toàn cho người lao động tại nơi làm việc, thường xuyên kiểm tra, "
                           "đôn đốc việc chấp hành các quy định của cơ quan chức năng; đồng thời chuẩn bị sẵn "
                           "sàng phương án xử lý khi phát hiện trường hợp nghi nhiễm, tổ chức khử khuẩn "
                           "toàn bộ khu vực liên quan và báo cáo kịp thời cho Trung tâm Kiểm soát bệnh tật tỉnh.",
         ["prevention_measures"], ["cac_so_nganh"], ["cdc"]),
    ],
    source="long.txt", province="Lạng Sơn", issuer="Sở Y tế tỉnh Lạng Sơn", date=(2021, 11, 2))

LETTERS = [LANG_SON, QUANG_NINH, LONG]


@pytest.fixture(scope="module")
def col(tmp_path_factory):
    c = Collection.open(tmp_path_factory.mktemp("search"), HashingEncoder())
    c.ingest_letters(LETTERS)
    yield c
    c.close()


@pytest.fixture
def fresh(tmp_path):
    c = Collection.open(tmp_path / "col", HashingEncoder())
    yield c
    c.close()


def _keys(result):
    return [(h.doc_id, h.path) for h in result.hits]


def test_accented_query_ranks_exact_accent_first(col):
    res = col.search("biện pháp tiêm vét")
    assert _keys(res)[0] == ("ls-2023", "2.a")
    # The clause typed without tones still matches (tone-less), but below the exact one.
    assert ("qn-2022", "3") in _keys(res)
    assert _keys(res).index(("qn-2022", "3")) > 0


def test_toneless_query_finds_tiem_vet(col):
    res = col.search("bien phap tiem vet")
    assert set(_keys(res)[:2]) == {("ls-2023", "2.a"), ("qn-2022", "3")}
    hit = next(h for h in res.hits if h.path == "2.a")
    assert "<mark>biện pháp tiêm vét</mark>" in hit.snippet


def test_old_and_new_tone_placement_equal(col):
    a, b = col.search("hoà nhập"), col.search("hòa nhập")
    assert _keys(a) == _keys(b)
    assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits])
    assert a.total == b.total >= 2
    assert "<mark>hoà nhập</mark>" in next(h.snippet for h in a.hits if h.path == "3")


def test_document_code_query_puts_citing_clause_first(col):
    res = col.search("2116/BYT-DP")
    assert _keys(res)[0] == ("ls-2023", "1")
    assert "<mark>2116/BYT-DP</mark>" in res.hits[0].snippet
    # Another code of the same ministry does not take its place.
    assert _keys(col.search("2690/BYT-DP"))[0] == ("qn-2022", "1")


def test_abbreviation_matches_full_form(col):
    full = col.search("Ủy ban nhân dân các huyện", top_k=20)
    abbr = col.search("UBND các huyện", top_k=20)
    for res in (full, abbr):
        assert {("ls-2023", "2.a"), ("qn-2022", "2")} <= set(_keys(res)[:3])
    snippet = next(h.snippet for h in abbr.hits if h.path == "2" and h.doc_id == "qn-2022")
    assert "<mark>Ủy ban nhân dân các huyện</mark>" in snippet


def test_toneless_full_form_finds_the_abbreviated_body(fresh):
    """Letters' full forms are indexed as their abbreviation ("Trung tâm Kiểm soát bệnh tật" →
    "cdc"); a tone-less query spelling the full form must still find them."""
    from congvan.index.keyword import analyze_query
    from congvan.index.matching import query_words

    # the full form is the one token the letters hold, tones or not, so a clause naming the body
    # covers the whole query (it used to match one syllable of six, "bệnh", in the coverage)
    assert analyze_query("trung tam kiem soat benh tat").folded == ["cdc"]
    assert analyze_query("trung tâm kiểm soát bệnh tật").folded[0] == "cdc"
    assert "cdc" not in analyze_query("trung tâm y tế huyện").folded
    assert query_words("uy ban nhan dan tinh tiem vet", False, lambda t: np.ones(len(t)), 10).terms == (
        "ubnd", "tinh", "tiem", "vet")
    fresh.ingest_letters([*LETTERS, make_letter("cdc-2024", [
        ("1", "directive", "Các đơn vị gửi báo cáo kết quả giám sát về Trung tâm Kiểm soát bệnh tật tỉnh "
                           "trước ngày 25 hằng tháng.", ["surveillance"], ["cdc"]),
        ("2", "directive", "Trung tâm Y tế các huyện tăng cường kiểm soát nhiễm khuẩn, thu dung người bệnh "
                           "tại trung tâm.", ["treatment"], ["trung_tam_y_te"])],
        source="cdc.txt", province="Lạng Sơn", date=(2024, 3, None))])
    for mode in ("bm25", "hybrid"):
        res = fresh.search("trung tam kiem soat benh tat", top_k=5, mode=mode)
        assert ("cdc-2024", "1") in _keys(res), (mode, _keys(res))
    assert _keys(fresh.search("trung tam kiem soat benh tat", top_k=10))[0] == ("cdc-2024", "1")


def test_filters(col):
    def docs(**flt):
        return {h.doc_id for h in col.search("tiêm vắc xin phòng dịch", top_k=50, filters=flt).hits}

    assert docs(year=2022) == {"qn-2022"}
    assert docs(province="lang son") == {"ls-2023", "long-2021"}
    assert docs(province="Tỉnh Quảng Ninh") == {"qn-2022"}
    assert docs(**{"from": "2023-01"}) == {"ls-2023"}
    assert docs(**{"from": "2021-06", "to": "2022-12"}) == {"qn-2022", "long-2021"}
    assert docs(to="2021") == {"long-2021"}
    assert docs(issuer="ủy ban nhân dân tỉnh lang son") == {"ls-2023"}
    assert docs(issuer="ban chi dao") == {"qn-2022"}
    res = col.search("tiêm", top_k=50, filters={"theme": "vaccination"})
    assert set(_keys(res)) == {("ls-2023", "2.a"), ("qn-2022", "2"), ("qn-2022", "3")}
    assert all("vaccination" in h.to_dict()["themes"] for h in res.hits)
    res = col.search("tổ chức", top_k=50, filters={"agency": "so_y_te"})  # lead or support
    assert ("qn-2022", "4") in _keys(res)
    assert all(h.doc_id != "long-2021" for h in res.hits)
    res = col.search("Bộ Y tế", top_k=50, filters={"kind": "preamble"})
    assert {h.kind for h in res.hits} == {"preamble"} and res.total == 2
    assert col.search("tiêm", filters={"theme": "no_such_theme"}).total == 0
    with pytest.raises(ValueError):
        col.search("tiêm", filters={"from": "06/2021"})
    with pytest.raises(ValueError):
        col.search("tiêm", filters={"colour": "red"})


def test_pagination_and_total(col):
    full = col.search("tiêm vắc xin", top_k=10)
    assert full.total == len(full.hits) >= 5  # every clause with a keyword match, nothing else
    page1 = col.search("tiêm vắc xin", top_k=2, offset=0)
    page2 = col.search("tiêm vắc xin", top_k=2, offset=2)
    assert page1.total == page2.total == full.total
    assert _keys(page1) + _keys(page2) == _keys(full)[:4]
    assert col.search("tiêm vắc xin", top_k=2, offset=full.total).hits == []
    assert col.search("xyzzy quux").total == 0 or col.search("xyzzy quux", mode="bm25").total == 0
    assert col.search("", filters={"province": "Quảng Ninh"}).total == 4  # browse with filters
    with pytest.raises(ValueError):
        col.search("tiêm", top_k=0)


def test_kind_preference(col):
    # "UBND tỉnh" appears in the preamble and the closing of ls-2023 and in clause 2.a; the
    # directive clause must not sink below non-directive clauses with a similar match.
    res = col.search("UBND", mode="bm25", top_k=10)
    kinds = [h.kind for h in res.hits]
    assert "directive" in kinds


def test_search_json_contract(col):
    d = col.search("giám sát cửa khẩu", filters={"province": "Lạng Sơn"}).to_dict()
    assert d["query"] == "giám sát cửa khẩu" and d["total"] >= 1
    hit = d["hits"][0]
    assert {"doc_id", "clause_id", "path", "kind", "text", "snippet", "score", "themes", "agencies",
            "document"} <= set(hit)
    assert hit["path"] == "2.b" and hit["themes"] == ["surveillance"]
    assert hit["agencies"] == {"lead": ["so_y_te"], "support": []}
    assert hit["document"]["province"] == "Lạng Sơn"
    assert hit["document"]["date"] == {"year": 2023, "month": 4, "day": None}
    assert set(hit["document"]) >= {"subject", "issuer", "province", "number", "date", "province_now", "diseases"}
    assert isinstance(hit["document"]["diseases"], list) and isinstance(hit["diseases"], list)


def test_snippet_offsets_accented_and_toneless():
    text = "Giao Sở Y tế triển khai các biện pháp tiêm vét vắc xin cho người dân."
    for query in ("tiêm vét", "tiem vet", "TIÊM VÉT"):
        spans = highlight_spans(text, query)
        assert [text[s:e] for s, e in spans] == ["tiêm vét"]
    assert make_snippet(text, "tiem vet") == text.replace("tiêm vét", "<mark>tiêm vét</mark>")
    # Exact accents preferred: "tiềm" is not highlighted for "tiêm" when "tiêm" is there.
    text2 = "Yếu tố tiềm ẩn; tiêm vắc xin."
    assert [text2[s:e] for s, e in highlight_spans(text2, "tiêm")] == ["tiêm"]
    assert [text2[s:e] for s, e in highlight_spans(text2, "tiem")] == ["tiềm", "tiêm"]


def test_accented_word_never_marks_a_function_word_without_its_tones():
    """"vệ sinh" typed (or restored) with tones falls back to tone-less matches only for words
    that are not function words: "về" is another word, a misspelt "vê" is still found."""
    text = "Báo cáo về huyện; các xã tổ chức vê sinh môi trường."
    marked = [text[s:e] for s, e in highlight_spans(text, "vệ sinh")]
    assert "về" not in marked and "vê sinh" in marked
    # typed without tones "ve" may be the function word "về": left unmarked, as before
    assert [text[s:e] for s, e in highlight_spans(text, "ve sinh")] == ["sinh"]


def test_snippet_escapes_html_and_windows_long_text(col):
    snippet = make_snippet("Dạy học <b>an toàn</b> & <script>x()</script> hòa nhập", "an toàn")
    assert "<b>" not in snippet and "<script>" not in snippet
    assert "&lt;b&gt;<mark>an toàn</mark>&lt;/b&gt; &amp; &lt;script&gt;" in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0
    res = col.search("Trung tâm Kiểm soát bệnh tật", filters={"doc_id": "long-2021"})
    snip = res.hits[0].snippet
    assert snip.startswith("… ") and "<mark>Trung tâm Kiểm soát bệnh tật</mark>" in snip
    assert len(re.sub(r"</?mark>", "", snip)) < len(LONG.clauses[0].text)
    hit = col.search("an toàn cho học sinh", filters={"doc_id": "qn-2022"}).hits[0]
    assert "&lt;b&gt;" in hit.snippet and "<b>" not in hit.snippet


def test_reingest_same_content_no_duplicates(fresh):
    first = fresh.ingest_letters(LETTERS)
    assert [r.status for r in first] == ["added"] * 3
    generation = fresh.stats()["generation"]
    again = fresh.ingest_letters([LANG_SON, LANG_SON])
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert fresh.stats()["generation"] == generation
    assert fresh.stats()["clauses"] == 10
    assert _keys(fresh.search("2116/BYT-DP", top_k=50)).count(("ls-2023", "1")) == 1


def test_retagged_letter_updates_without_reembedding(tmp_path):
    class Counting(HashingEncoder):
        passages = 0

        def encode_passages(self, texts, show_progress=False):
            Counting.passages += len(texts)
            return super().encode_passages(texts, show_progress)

    with Collection.open(tmp_path / "c", Counting()) as col:
        col.ingest_letters([LANG_SON])
        embedded = Counting.passages
        assert embedded == len(LANG_SON.clauses)
        retagged = make_letter(LANG_SON.doc_id, [(c.path, c.kind, c.text, ["leadership"]) for c in LANG_SON.clauses],
                               source=LANG_SON.source, province="Lạng Sơn", date=(2023, 4, None))
        assert [r.status for r in col.ingest_letters([retagged])] == ["updated"]
        assert Counting.passages == embedded  # stored vectors reused
        assert col.stats()["clauses"] == len(LANG_SON.clauses)
        assert col.search("tiêm vét", filters={"theme": "leadership"}).total >= 1
        assert col.search("tiêm vét", filters={"theme": "vaccination"}).total == 0
        assert [r.status for r in col.ingest_letters([retagged])] == ["unchanged"]


def test_changed_file_replaces_old_version(fresh):
    fresh.ingest_letters([LANG_SON])
    changed = make_letter("ls-2023-v2", [("1", "directive", "Tổ chức tiêm vét cho người cao tuổi.")],
                          source="lang-son.txt", province="Lạng Sơn")
    result = fresh.upsert_letter(changed, replace_source=True)  # congvan ingest of the same file path
    assert result.status == "replaced" and result.replaced == ["ls-2023"]
    assert fresh.stats()["documents"] == 1 and fresh.stats()["clauses"] == 1
    with pytest.raises(DocumentNotFound):
        fresh.get_letter("ls-2023")
    assert _keys(fresh.search("tiêm vét")) == [("ls-2023-v2", "1")]


def test_delete(fresh):
    fresh.ingest_letters(LETTERS)
    with pytest.raises(KeyError, match="no document with doc_id 'nope'"):
        fresh.delete("nope")
    fresh.delete("qn-2022")
    assert all(h.doc_id != "qn-2022" for h in fresh.search("tiêm", top_k=50).hits)
    assert fresh.stats()["documents"] == 2
    with pytest.raises(DocumentNotFound):
        fresh.get_letter("qn-2022")
    letter = fresh.get_letter("ls-2023")
    assert letter["document"]["issuer"] == "UBND tỉnh Lạng Sơn" and len(letter["clauses"]) == 5


def test_reopen_and_search_during_ingest(tmp_path):
    enc = HashingEncoder()
    col = Collection.open(tmp_path / "c", enc)
    col.ingest_letters([LANG_SON])
    errors, seen = [], []

    def searcher():
        try:
            for _ in range(30):
                res = col.search("tiêm vắc xin", top_k=50)
                seen.append(len({h.doc_id for h in res.hits}))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=searcher)
    t.start()
    col.ingest_letters([QUANG_NINH, LONG])
    t.join()
    assert not errors and seen
    col.close()
    col2 = Collection.open(tmp_path / "c", enc)
    assert col2.stats()["clauses"] == 10
    assert _keys(col2.search("2116/BYT-DP"))[0] == ("ls-2023", "1")
    # A second handle (another process in real life) sees writes made through the first.
    col3 = Collection.open(tmp_path / "c", enc)
    col3.delete("long-2021")
    assert all(h.doc_id != "long-2021" for h in col2.search("Trung tâm Kiểm soát bệnh tật").hits)
    col2.close()
    col3.close()


def test_snippet_window_prefers_more_distinct_query_words() -> None:
    from congvan.index.snippets import make_snippet

    text = ("Rà soát học sinh chưa tiêm đủ liều vắc xin phòng COVID-19 và lập danh sách gửi trạm y tế "
            "xã, phường, thị trấn; sau khi tổng hợp đầy đủ, phối hợp với nhà trường để tổ chức tiêm vét "
            "cho các em trong thời gian sớm nhất, bảo đảm an toàn.")
    snippet = make_snippet(text, "bien phap tiem vet", width=80)
    assert "<mark>tiêm vét</mark>" in snippet


def test_staff_shorthand_searches_its_full_form(fresh):
    """Staff type "tcm", "sxh", "syt"; letters spell them out. The query keeps its length class
    (a two-word query still ranks as a short one) and stays tone-less when typed so."""
    from congvan.index.keyword import analyze_query
    from congvan.letters.text import expand_shorthands

    assert expand_shorthands("tcm trường mầm non") == "tcm tay chân miệng trường mầm non"
    assert expand_shorthands("sxh diet lang quang") == "sxh sot xuat huyet diet lang quang"
    assert expand_shorthands("kế hoạch 58/KH-UBND") == "kế hoạch 58/KH-UBND"  # inside a number
    assert expand_shorthands("sốt xuất huyết sxh") == "sốt xuất huyết sxh"  # already spelled out
    terms = analyze_query("tcm mầm non")
    assert terms.n_syllables == 3 and "miệng" in terms.accented
    assert not analyze_query("sxh diet lang quang").has_diacritics
    fresh.ingest_letters([*LETTERS, make_letter("hfmd-2024", [
        ("1", "directive", "Chỉ đạo các trường mầm non thực hiện vệ sinh, khử khuẩn đồ chơi, lớp học để "
                           "phòng bệnh tay chân miệng cho trẻ.", ["education"], ["so_gddt"])],
        source="hfmd.txt", province="Lạng Sơn", date=(2024, 7, None))])
    for mode in ("bm25", "hybrid"):
        assert _keys(fresh.search("tcm", top_k=3, mode=mode))[0] == ("hfmd-2024", "1"), mode


def test_words_written_two_ways_match_either_spelling(col):
    """"covid" is one token and "COVID-19" another; letters write "vắc xin", answers "vaccine"."""
    from congvan.index.keyword import analyze_query

    for query in ("covid", "vaccine", "vacxin"):
        res = col.search(query, top_k=10, mode="bm25")
        assert ("ls-2023", "2.a") in _keys(res), query  # "… vắc xin phòng COVID-19 …"
    terms = analyze_query("tiêm vét covid")
    assert terms.n_syllables == 3 and terms.text == "tiêm vét covid"  # keyword side only
    long = "Tôi đã tiêm hai mũi vaccine covid thì có cần tiêm mũi nhắc lại sau sáu tháng nữa không ạ"
    assert "covid-19" not in analyze_query(long).accented  # a long question keeps its own words
