"""The same cases on both search backends: embedded (SQLite + FAISS + BM25 files) and Milvus.

Milvus runs as a real ``milvus-lite server`` process reached by URI, exactly as a cluster is.
Results and behaviour are checked, never Milvus score values (Lite is not a cluster's BM25).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from congvan.index.filters import SearchFilters
from congvan.index.milvus import (
    MilvusCollection,
    MilvusOptions,
    filter_expression,
    milvus_text,
    milvus_token,
    open_collection,
)
from congvan.index.store import DB_NAME, DocumentNotFound
from congvan.index.testing import HashingEncoder, MilvusLiteServer, make_letter
from tests.servers import committed_letters

pytest.importorskip("pymilvus")
REPO = Path(__file__).resolve().parents[1]
BACKENDS = ["embedded", "milvus"]


@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory):
    with MilvusLiteServer(tmp_path_factory.mktemp("milvus-lite")) as server:
        yield server


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def opener(backend, request):
    """``opener(folder)`` opens a collection on the parametrised backend."""
    kwargs = {}
    if backend == "milvus":
        server = request.getfixturevalue("milvus_server")
        kwargs["milvus"] = MilvusOptions(uri=server.uri)
    opened = []

    def open_(folder, encoder=None):
        col = open_collection(folder, encoder or HashingEncoder(), backend=backend, **kwargs)
        opened.append(col)
        return col

    open_.kwargs = kwargs
    yield open_
    for col in opened:
        col.close()


def corpus():
    return [
        make_letter("ls-1", [
            ("1", "preamble", "Thực hiện Công văn số 2116/BYT-DP của Bộ Y tế về tiêm vắc xin."),
            ("2", "directive", "Sở Y tế tổ chức tiêm vét vắc xin phòng COVID-19 cho người chưa tiêm đủ liều.",
             ["vaccination"], ["so_y_te"], ["ubnd_huyen"]),
            ("3", "directive", "UBND các huyện tổ chức cách ly F0 tại nhà, theo dõi sức khỏe hằng ngày.",
             ["quarantine"], ["ubnd_huyen"])],
            source="ls-1.txt", province="Lạng Sơn", issuer="UBND tỉnh Lạng Sơn", date=(2021, 8, 10),
            diseases=True),
        make_letter("qn-1", [
            ("1", "directive", "Sở Giáo dục và Đào tạo tổ chức xét nghiệm nhanh cho học sinh trước khi đến trường.",
             ["testing", "education"], ["so_gddt"]),
            ("2", "directive", "Tăng cường truyền thông về tiêm vắc xin mũi nhắc lại cho người dân.",
             ["communication", "vaccination"], ["so_tttt"])],
            source="qn-1.txt", province="Quảng Ninh", issuer="Sở Y tế tỉnh Quảng Ninh", date=(2022, 3, None),
            diseases=True),
        make_letter("hg-1", [
            ("1", "directive", "Chuẩn bị đủ vật tư, sinh phẩm xét nghiệm và thuốc điều trị COVID-19.",
             ["supplies"], ["so_y_te"]),
            ("2", "closing", "Yêu cầu các đơn vị nghiêm túc thực hiện.")],
            source="hg-1.txt", province="Hà Giang", issuer="UBND tỉnh Hà Giang", date=(2023, 1, 5),
            diseases=True),
    ]


def disease_corpus():
    """Three letters about three diseases; a clause naming none inherits its letter's."""
    return [
        make_letter("tv-sxh", [
            ("1", "directive",
             "Tổ chức chiến dịch diệt lăng quăng, bọ gậy tại các khu dân cư có ổ dịch sốt xuất huyết.",
             ["vector_control"], ["ubnd_huyen"]),
            ("2", "directive", "Trung tâm Y tế phun hóa chất diệt muỗi tại các ổ dịch mới phát hiện.",
             ["vector_control"], ["so_y_te"])],
            subject="V/v tăng cường phòng, chống dịch bệnh sốt xuất huyết", source="tv-sxh.txt",
            province="Trà Vinh", issuer="UBND tỉnh Trà Vinh", date=(2023, 7, 14), diseases=True),
        make_letter("hn-covid", [
            ("1", "directive", "Đẩy nhanh tiêm vắc xin phòng COVID-19 mũi nhắc lại cho người từ 50 tuổi trở lên.",
             ["vaccination"], ["so_y_te"]),
            ("2", "directive", "Các cơ sở y tế bảo đảm đủ thuốc điều trị, sinh phẩm xét nghiệm.",
             ["supplies"], ["so_y_te"])],
            subject="V/v tiếp tục phòng, chống dịch COVID-19", source="hn-covid.txt", province="Hà Nội",
            issuer="UBND thành phố Hà Nội", date=(2022, 5, 4), diseases=True),
        make_letter("yb-dai", [
            ("1", "directive", "Tổ chức tiêm vắc xin dại cho đàn chó, mèo tại các xã, thị trấn.",
             ["animal_health"], ["so_nong_nghiep"]),
            ("2", "directive", "Hướng dẫn người bị chó cắn đến cơ sở y tế tiêm vắc xin kịp thời.", ["vaccination"],
             ["so_y_te"])],
            subject="V/v tăng cường công tác phòng, chống bệnh dại", source="yb-dai.txt", province="Yên Bái",
            issuer="UBND tỉnh Yên Bái", date=(2023, 10, 3), diseases=True),
    ]


def test_disease_filter_hits_and_facet(opener, tmp_path):
    from congvan.index.directory import letter_directory
    from congvan.index.facets import compute_facets

    col = opener(tmp_path / "col")
    col.ingest_letters(disease_corpus())
    res = col.search("tiêm vắc xin", top_k=10, mode="bm25")
    got = {h["clause_id"]: h["diseases"] for h in res.to_dict()["hits"]}  # every hit carries its diseases
    assert got == {"hn-covid:1": ["covid19"], "yb-dai:1": ["rabies"], "yb-dai:2": ["rabies"]}
    assert [c["diseases"] for c in col.get_letter("tv-sxh")["clauses"]] == [["dengue"], ["dengue"]]
    # any of the given ids, with the other filters, in a ranked search and in browsing
    assert set(ids(col.search("tiêm vắc xin", filters={"disease": "rabies"}))) == {"yb-dai:1", "yb-dai:2"}
    assert set(ids(col.search("phun hóa chất diệt muỗi", filters={"disease": "dengue"}))) <= {"tv-sxh:1", "tv-sxh:2"}
    assert not col.search("phun hóa chất diệt muỗi", filters={"disease": "covid19"}, mode="bm25").hits
    browse = col.search("", top_k=10, filters={"disease": ["dengue", "covid19"]})
    assert {h.clause_id for h in browse.hits} == {"tv-sxh:1", "tv-sxh:2", "hn-covid:1", "hn-covid:2"}
    assert browse.total == 4 and browse.filters["disease"] == ("dengue", "covid19")
    assert col.search("", filters={"disease": "rabies", "year": 2022}).total == 0
    assert col.search("", filters={"disease": "measles"}).total == 0
    # the facet: multi-valued like themes, Vietnamese names, counted with the other filters only
    directory = letter_directory(col)

    def facets(query, filters):
        return {f.name: f for f in compute_facets(col, query, filters, col.snapshot, directory, {}, {})}

    disease = facets("", {})["disease"]
    assert disease.title == "Bệnh" and disease.multi
    assert {(v.value, v.label, v.count) for v in disease.values} == {
        ("dengue", "Sốt xuất huyết Dengue", 2), ("covid19", "COVID-19", 2), ("rabies", "Bệnh dại", 2)}
    picked = facets("", {"disease": ["rabies"]})
    assert [(v.value, v.count) for v in picked["disease"].values if v.selected] == [("rabies", 2)]
    assert len(picked["disease"].values) == 3  # the others stay offered
    assert sum(v.count for v in picked["year"].values) == 2
    assert {v.value: v.count for v in facets("", {"year": 2023})["disease"].values} == {"dengue": 2, "rabies": 2}
    # a deleted letter leaves the filter and the facet
    col.delete("yb-dai")
    assert col.search("", filters={"disease": "rabies"}).total == 0
    assert "rabies" not in {v.value for v in facets("", {})["disease"].values}


def ids(result):
    return [h.clause_id for h in result.hits]


def test_ingest_and_search(opener, tmp_path):
    col = opener(tmp_path / "col")
    results = col.ingest_letters(corpus())
    assert [r.status for r in results] == ["added"] * 3
    assert col.stats()["clauses"] == 7 and len(col.snapshot) == 7
    # accented, tone-less and document-number queries find the same clause first
    assert ids(col.search("tiêm vét vắc xin", top_k=3))[0] == "ls-1:2"
    assert ids(col.search("tiem vet vac xin", top_k=3))[0] == "ls-1:2"
    assert ids(col.search("2116/BYT-DP", top_k=3))[0] == "ls-1:1"
    assert ids(col.search("cách ly F0", top_k=3, mode="bm25"))[0] == "ls-1:3"
    res = col.search("xét nghiệm nhanh học sinh", top_k=2)
    assert res.hits[0].clause_id == "qn-1:1" and res.hits[0].document["province"] == "Quảng Ninh"
    assert "<mark>" in res.hits[0].snippet
    # the search JSON is the same shape on both backends
    body = res.to_dict()
    assert {"query", "total", "hits", "top_k", "offset", "mode", "filters"} <= set(body)
    assert {"doc_id", "clause_id", "snippet", "themes", "document"} <= set(body["hits"][0])
    assert col.search("", top_k=10).total == 7
    # a province filter also matches letters of the areas merged into it (Hà Giang → Tuyên Quang)
    assert ids(col.search("vật tư xét nghiệm", top_k=3, filters={"province": "Tuyên Quang"}))[0] == "hg-1:1"
    assert not col.search("vật tư xét nghiệm", filters={"province": "Lạng Sơn"}, mode="bm25").hits


def test_toneless_query_embedded_with_its_tones_on_both_backends(opener, backend, tmp_path):
    """Both backends embed "tiem vet vac xin" as "tiêm vét vắc xin" (Milvus from the token
    counts SQLite keeps for it), say so in ``explain`` and rank by the query's words."""
    from congvan.index.keyword import analyze_query

    col = opener(tmp_path / "col")
    col.ingest_letters(corpus())
    assert col.dense_text(analyze_query("tiem vet vac xin")) == "tiêm vét vắc xin"
    assert col.dense_text(analyze_query("tiêm vét")) == "tiêm vét"
    hit = col.search("tiem vet vac xin", top_k=1, explain=True).hits[0]
    assert hit.clause_id == "ls-1:2" and hit.explain["dense_query"] == "tiêm vét vắc xin"
    # both rank a short query by its words' coverage and phrases (Milvus: counts from SQLite)
    assert hit.explain["coverage"] == 1.0 and "tiem vet" in hit.explain["matched"], hit.explain
    assert col.rank("tiem vet vac xin", mode="dense").dense_query == "tiêm vét vắc xin"
    if backend == "milvus":
        assert list(col.store.token_doc_freq(["vét", "vắc"])) == [1, 3]
        col.delete("ls-1")
        assert list(col.store.token_doc_freq(["vét", "vắc"])) == [0, 1]


def test_long_question_rescored_by_windows_on_both_backends(opener, tmp_path):
    """Window vectors of a long clause come from SQLite on either backend (``index.windows``)."""
    from tests.test_windows import LONG, QUESTION

    OTHER = "Các hộ gia đình vệ sinh môi trường quanh nhà, khơi thông cống rãnh để phòng bệnh."

    col = opener(tmp_path / "col", HashingEncoder(dim=256))
    col.ingest_letters([make_letter("doc-long", [("1", "directive", LONG)]),
                        make_letter("doc-other", [("1", "directive", OTHER)])])
    params = col.params.with_(dense_floor=0.0, dense_floor_short=0.0)  # hashing cosines are low
    keys = col.slot_keys()
    long_slot = keys.index(("doc-long", "1"))

    def cosine(p):
        ranked = col.rank(QUESTION, mode="hybrid", params=p)
        return ranked.parts["dense"][list(ranked.slots).index(long_slot)]

    assert cosine(params) > cosine(params.with_(window_vectors=0.0)) + 0.1


def test_long_question_keyword_windows_on_both_backends(opener, tmp_path):
    """A long question's best keyword passage of a long clause counts on either backend (Milvus:
    document frequencies from SQLite's token counts)."""
    from tests.test_windows import LONG, QUESTION

    col = opener(tmp_path / "col", HashingEncoder(dim=256))
    col.ingest_letters([make_letter("doc-long", [("1", "directive", LONG)]),
                        make_letter("doc-short", [("1", "directive", (
                            "Các hộ gia đình vệ sinh môi trường quanh nhà, phát quang bụi rậm, khơi thông "
                            "cống rãnh để phòng bệnh."))]),
                        make_letter("doc-dense", [("1", "directive", "Hộ gia đình diệt bọ gậy, loăng quăng, "
                                                                    "phòng bệnh sốt xuất huyết.")])])
    long_slot = col.slot_keys().index(("doc-long", "1"))

    def keyword(p):
        ranked = col.rank(QUESTION, mode="bm25", params=p)
        return ranked.parts["keyword"][list(ranked.slots).index(long_slot)]

    off = col.params.with_(keyword_windows=0.0)
    assert keyword(off) < 1.0  # not the best whole clause
    assert keyword(col.params) > keyword(off) + 0.05  # its best passage is


@pytest.mark.parametrize("filters, expected", [
    ({"year": 2022}, {"qn-1:2"}),
    ({"from": "2022", "to": "2023-12"}, {"qn-1:2"}),
    ({"province": "lang son"}, {"ls-1:2", "ls-1:1"}),
    ({"theme": "vaccination"}, {"ls-1:2", "qn-1:2"}),
    ({"theme": ["communication"], "province": "Quảng Ninh"}, {"qn-1:2"}),
    ({"agency": "so_y_te"}, {"ls-1:2"}),
    ({"kind": "preamble"}, {"ls-1:1"}),
    ({"issuer": "ủy ban nhân dân tỉnh lạng sơn"}, {"ls-1:2", "ls-1:1"}),
    ({"doc_id": "qn-1"}, {"qn-1:2"}),
    ({"disease": "covid19"}, {"ls-1:2", "ls-1:1"}),  # ls-1:1 names none: it inherits its letter's
])
def test_filters(opener, tmp_path, filters, expected):
    col = opener(tmp_path / "col")
    col.ingest_letters(corpus())
    res = col.search("tiêm vắc xin", top_k=10, filters=filters, mode="bm25")
    assert set(ids(res)) == expected
    flt = SearchFilters.from_mapping(filters)
    browse = col.search("", top_k=10, filters=flt)  # browsing applies the same filters
    assert {h.clause_id for h in browse.hits} >= expected and browse.total == len(browse.hits)
    assert col.search("", top_k=10).total == 7


def test_delete_and_unknown(opener, tmp_path):
    col = opener(tmp_path / "col")
    col.ingest_letters(corpus())
    col.delete("ls-1")
    assert "ls-1" not in {h.doc_id for h in col.search("tiêm vét vắc xin", top_k=10).hits}
    assert col.stats()["clauses"] == 4
    with pytest.raises(DocumentNotFound):
        col.delete("ls-1")
    assert ids(col.search("xét nghiệm nhanh học sinh", top_k=1)) == ["qn-1:1"]


def test_reingest_skips_replaces_and_retags(opener, tmp_path):
    col = opener(tmp_path / "col")
    col.ingest_letters(corpus())
    assert [r.status for r in col.ingest_letters(corpus())] == ["unchanged"] * 3
    # a changed version of the same source file replaces the old letter and its clauses
    new = make_letter("ls-2", [("1", "directive", "Tổ chức phun khử khuẩn khu cách ly tập trung.",
                                ["quarantine"], ["so_y_te"])],
                      source="ls-1.txt", province="Lạng Sơn", date=(2021, 9, 1))
    (res,) = col.ingest_letters([new], replace_source=True)  # congvan ingest of file paths
    assert res.status == "replaced" and res.replaced == ["ls-1"]
    assert "ls-1" not in {h.doc_id for h in col.search("tiêm vét vắc xin", top_k=10).hits}
    assert ids(col.search("phun khử khuẩn", top_k=1)) == ["ls-2:1"]
    # the same text with other tags (a retrained tagger) is updated in place
    retagged = corpus()[1]
    retagged.clauses[0].themes = []
    assert col.ingest_letters([retagged])[0].status == "updated"
    assert ids(col.search("xét nghiệm", filters={"theme": "testing"}, mode="bm25")) == []
    # a staff correction shows in the filters at once
    col.update_clause_labels("qn-1:1", ["testing"], ["so_gddt"], [])
    assert ids(col.search("xét nghiệm", filters={"theme": "testing"}, mode="bm25")) == ["qn-1:1"]
    assert col.stats()["clauses"] == 1 + 2 + 2


def test_reopen_sees_the_same_index(opener, tmp_path, caplog):
    col = opener(tmp_path / "col")
    col.ingest_letters(corpus())
    before = col.search("tiêm vắc xin", top_k=10).to_dict()
    col.close()
    with caplog.at_level("INFO"):
        col = opener(tmp_path / "col")
    assert "recreating" not in caplog.text and "adding" not in caplog.text  # nothing copied again
    after = col.search("tiêm vắc xin", top_k=10).to_dict()
    assert [h["clause_id"] for h in after["hits"]] == [h["clause_id"] for h in before["hits"]]


# ------------------------------------------------------------------------- kill -9 during ingest
N_LETTERS = 120
SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
from congvan.index.milvus import MilvusOptions, open_collection
from congvan.index.testing import HashingEncoder
from tests.test_backends import many_letters
kwargs = {{"milvus": MilvusOptions(uri={uri!r})}} if {backend!r} == "milvus" else {{}}
col = open_collection({folder!r}, HashingEncoder(delay=0.004), backend={backend!r}, **kwargs)
col.ingest_letters(many_letters())
print("finished", flush=True)
"""


def many_letters(n: int = N_LETTERS):
    return [make_letter(f"doc-{i:04d}", [
        (str(j + 1), "directive", f"Văn bản {i}, khoản {j + 1}: tăng cường tiêm vắc xin tại điểm tiêm {i * 10 + j}.")
        for j in range(4)], source=f"letter-{i:04d}.txt", province=["Lạng Sơn", "Hà Giang"][i % 2],
        date=(2022, 1 + i % 12, None)) for i in range(n)]


def test_kill_during_ingest_then_reopen_and_resume(opener, backend, tmp_path):
    folder = tmp_path / "col"
    col = opener(folder)
    col.ingest_letters(many_letters(10))
    col.close()
    uri = opener.kwargs["milvus"].uri if backend == "milvus" else ""
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(repo=str(REPO), folder=str(folder), uri=uri,
                                                                 backend=backend)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 180
    while committed_letters(folder / DB_NAME) < 40 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    out = proc.stdout.read().decode() + proc.stderr.read().decode()
    assert "finished" not in out, f"ingest ended before it could be killed: {out}"
    committed = committed_letters(folder / DB_NAME)
    assert 40 <= committed < N_LETTERS

    col = opener(folder)
    assert col.stats()["documents"] == committed and len(col.snapshot) == 4 * committed
    if backend == "milvus":  # Milvus holds exactly SQLite's clauses again
        assert col.stats()["vectors"] == 4 * committed
        assert col._milvus_ids().tolist() == col.store.clause_ids().tolist()
    last = f"doc-{committed - 1:04d}"
    res = col.search(f"Văn bản {committed - 1}, khoản 1", top_k=5, filters={"doc_id": last})
    assert res.hits and res.hits[0].doc_id == last
    statuses = [r.status for r in col.ingest_letters(many_letters())]
    assert statuses.count("unchanged") == committed and statuses.count("added") == N_LETTERS - committed
    assert col.stats()["documents"] == N_LETTERS
    total = col.search("tiêm vắc xin", top_k=5, mode="bm25").total
    # Milvus counts matches among its candidates unless exact_total is on (tested below)
    assert total == 4 * N_LETTERS if backend == "embedded" else total >= 100


# ------------------------------------------------------------------------- Milvus specifics
def test_milvus_tokens_stay_whole_and_distinct():
    toks = ["2116/byt-dp", "vắc_xin", "1.000", "quận", "q2fq", "covid-19"]
    out = [milvus_token(t) for t in toks]
    assert all(o.isalnum() for o in out)
    assert len(set(out)) == len(out)
    assert milvus_token("q/") != milvus_token("q2fq") and milvus_token("qq") != milvus_token("q")
    assert milvus_text(["Tiêm", "vét"]) == "tiêm vét"


def test_filter_expression():
    assert filter_expression(SearchFilters()) == ""
    expr = filter_expression(SearchFilters.from_mapping(
        {"year": 2022, "province": "Tỉnh Lạng Sơn", "theme": ["vaccination"], "from": "2021-06"}))
    assert "year == 2022" in expr and 'province == "lang son"' in expr and 'province_now == "lang son"' in expr
    assert 'array_contains_any(themes, ["vaccination"])' in expr and "date_hi >= 20210601" in expr
    expr = filter_expression(SearchFilters(disease=("dengue", "covid19"), theme=("vector_control",)))
    assert 'array_contains_any(diseases, ["dengue", "covid19"])' in expr and "themes" in expr


def test_milvus_native_rankers(milvus_server, tmp_path):
    for ranker in ("rrf", "weighted"):
        col = MilvusCollection.open(tmp_path / ranker, HashingEncoder(),
                                    milvus=MilvusOptions(uri=milvus_server.uri, ranker=ranker))
        try:
            col.ingest_letters(corpus())
            assert "ls-1:2" in ids(col.search("tiêm vét vắc xin", top_k=3))
            assert set(ids(col.search("tiêm vắc xin", filters={"province": "Quảng Ninh"}))) <= {"qn-1:1", "qn-1:2"}
        finally:
            col.close()


def test_milvus_exact_total_counts_every_match(milvus_server, tmp_path):
    col = MilvusCollection.open(tmp_path / "col", HashingEncoder(),
                                milvus=MilvusOptions(uri=milvus_server.uri, exact_total=True))
    try:
        col.ingest_letters(many_letters(40))
        assert col.search("tiêm vắc xin", top_k=5, mode="bm25", params=col.params.with_(depth=10)).total == 160
        assert col.search("tiêm vắc xin", top_k=5, mode="bm25", filters={"province": "Hà Giang"},
                          params=col.params.with_(depth=10)).total == 80
    finally:
        col.close()


def test_milvus_wiped_or_other_server_is_refilled_from_sqlite(milvus_server, tmp_path):
    """The sync file says Milvus was in step; a wiped collection (or the folder pointed at another
    server) must be refilled from SQLite on open, not searched empty."""
    from pymilvus import MilvusClient

    folder, options = tmp_path / "col", MilvusOptions(uri=milvus_server.uri)
    col = MilvusCollection.open(folder, HashingEncoder(), milvus=options)
    try:
        col.ingest_letters(corpus())
        name = col.name
    finally:
        col.close()
    client = MilvusClient(uri=milvus_server.uri)
    try:
        client.drop_collection(name)
    finally:
        client.close()
    col = MilvusCollection.open(folder, HashingEncoder(), milvus=options)
    try:
        assert col._milvus_ids().tolist() == col.store.clause_ids().tolist()
        assert ids(col.search("tiêm vét vắc xin", top_k=3))[0] == "ls-1:2"
    finally:
        col.close()


def test_milvus_unreachable_says_how_to_fix(tmp_path):
    with pytest.raises(ConnectionError, match="CONGVAN_MILVUS_URI"):
        MilvusCollection.open(tmp_path / "x", HashingEncoder(),
                              milvus=MilvusOptions(uri="http://127.0.0.1:9", timeout=2))


def test_milvus_collection_without_diseases_is_recreated(milvus_server, tmp_path, caplog, monkeypatch):
    """A collection an older version made (schema 2: no ``diseases`` field) is recreated from
    SQLite on open, with a warning naming the missing field; the disease filter then works."""
    import pymilvus

    from congvan.index import milvus as milvus_mod

    opts = MilvusOptions(uri=milvus_server.uri)
    add_field, entity = pymilvus.CollectionSchema.add_field, milvus_mod._entity
    with monkeypatch.context() as old:  # the fields and rows of schema 2
        old.setattr(pymilvus.CollectionSchema, "add_field", lambda self, name, *a, **kw:
                    self if name == "diseases" else add_field(self, name, *a, **kw))
        old.setattr(milvus_mod, "FIELDS", tuple(f for f in milvus_mod.FIELDS if f != "diseases"))
        old.setattr(milvus_mod, "_entity", lambda row: {k: v for k, v in entity(row).items() if k != "diseases"})
        col = MilvusCollection.open(tmp_path / "col", HashingEncoder(), milvus=opts)
        col.ingest_letters(disease_corpus())
        assert "diseases" not in {f["name"] for f in col.client.describe_collection(col.name)["fields"]}
        col.close()
    with caplog.at_level("WARNING"):
        col = MilvusCollection.open(tmp_path / "col", HashingEncoder(), milvus=opts)
    try:
        assert "no field diseases" in caplog.text and "recreating it from SQLite" in caplog.text
        assert col.stats()["vectors"] == 6
        assert set(ids(col.search("tiêm vắc xin", filters={"disease": "rabies"}))) == {"yb-dai:1", "yb-dai:2"}
    finally:
        col.close()
