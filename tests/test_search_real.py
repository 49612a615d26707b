"""End to end with the real encoder (bundled multilingual-e5-small): ingest, hybrid search, reopen."""
from __future__ import annotations

from pathlib import Path

import pytest

from congvan.index import Collection
from congvan.index.testing import make_letter

pytestmark = pytest.mark.slow

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

LETTER = make_letter(
    "hg-2022", [
        ("1", "preamble", "Thực hiện Công văn số 2116/BYT-DP ngày 12/4/2023 của Bộ Y tế về việc tăng cường "
                          "công tác phòng, chống dịch COVID-19."),
        ("2", "directive", "Đẩy mạnh tiêm vắc xin phòng COVID-19 cho trẻ em từ 5 đến dưới 12 tuổi, bảo đảm an "
                           "toàn, hiệu quả.", ["vaccination"], ["so_y_te"], ["so_gddt"]),
        ("3", "directive", "Rà soát đối tượng chưa tiêm, tổ chức các biện pháp tiêm vét cho người dân tại các "
                           "thôn, bản vùng sâu, vùng xa.", ["vaccination"], ["ubnd_huyen"]),
        ("4", "directive", "Tăng cường giám sát tại các cửa khẩu, phát hiện sớm ca bệnh xâm nhập từ nước ngoài.",
         ["surveillance"], ["so_y_te"]),
        ("5", "directive", "Chuẩn bị đầy đủ oxy y tế, thuốc điều trị, trang thiết bị và nhân lực sẵn sàng ứng "
                           "phó khi dịch bùng phát.", ["supplies"], ["so_y_te"]),
        ("6", "directive", "Sở Thông tin và Truyền thông chỉ đạo các cơ quan báo chí tuyên truyền về lợi ích "
                           "của việc tiêm chủng.", ["communication"], ["so_tttt"], ["bao_chi"]),
        ("7", "directive", "Kiểm tra an toàn thực phẩm tại bếp ăn tập thể, khu công nghiệp và các cơ sở kinh "
                           "doanh dịch vụ ăn uống.", ["market_control"], ["so_cong_thuong"]),
        ("8", "closing", "Yêu cầu Thủ trưởng các cơ quan, đơn vị nghiêm túc triển khai, thực hiện./."),
    ],
    source="ha-giang.txt", province="Hà Giang", issuer="UBND tỉnh Hà Giang", date=(2022, 9, None))


@pytest.fixture(scope="module")
def real_col(tmp_path_factory, encoder):
    folder = tmp_path_factory.mktemp("real")
    col = Collection.open(folder, encoder)
    col.ingest_letters([LETTER])
    yield col, folder
    col.close()


def _paths(res):
    return [h.path for h in res.hits]


def test_hybrid_with_real_encoder(real_col, encoder):
    col, folder = real_col
    assert col.stats()["encoder"] == encoder.name and col.stats()["dim"] == encoder.dim == 384
    # Meaning without shared words: "chích ngừa cho trẻ nhỏ" ≈ "tiêm vắc xin cho trẻ em".
    assert _paths(col.search("chích ngừa cho trẻ nhỏ", mode="dense"))[0] == "2"
    assert _paths(col.search("chích ngừa cho trẻ nhỏ"))[0] == "2"
    assert _paths(col.search("thiếu bình ô-xy và thuốc men trong bệnh viện"))[0] == "5"
    # Keyword precision stays: accents, tone-less, document code.
    assert _paths(col.search("biện pháp tiêm vét"))[0] == "3"
    assert _paths(col.search("bien phap tiem vet"))[0] == "3"
    assert _paths(col.search("2116/BYT-DP"))[0] == "1"
    assert _paths(col.search("tiêm", filters={"agency": "so_gddt"})) == ["2"]
    res = col.search("giám sát dịch ở biên giới")
    assert _paths(res)[0] == "4" and res.total >= 1
    # Reopening loads the saved vectors (no re-embedding) and ranks the same.
    before = col.search("chích ngừa cho trẻ nhỏ").to_dict()
    with Collection.open(folder, encoder) as again:
        assert again.search("chích ngừa cho trẻ nhỏ").to_dict() == before


def test_seed_letters_end_to_end(tmp_path, encoder):
    parse = pytest.importorskip("congvan.letters.parse")
    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        pytest.skip("no seed letters in ../shared/seeds")
    from congvan.letters.text import clean_text

    letters = [parse.parse_letter(clean_text(p.read_text(encoding="utf-8")), source=p.name) for p in seeds]
    with Collection.open(tmp_path / "seeds", encoder) as col:
        results = col.ingest_letters(letters)
        assert all(r.status == "added" for r in results)
        res = col.search("2116/BYT-DP")
        assert res.hits and "2116/BYT-DP" in res.hits[0].text
        assert "<mark>2116/BYT-DP</mark>" in res.hits[0].snippet
        res = col.search("tiêm vắc xin", filters={"province": "Lạng Sơn"})
        assert res.total >= 1 and all(h.document["province"] == "Lạng Sơn" for h in res.hits)
        assert col.ingest_letters(letters)[0].status == "unchanged"


SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "letters"


@pytest.fixture(scope="module", params=["directives_encoder", "encoder"])
def samples_col(request, tmp_path_factory):
    """The quick-start index: the six sample letters through the real pipeline, with the default
    search model and with the bundled one."""
    from congvan.letters.pipeline import letter_from_file

    letters = [letter_from_file(p) for p in sorted(SAMPLES.glob("*.txt"))]
    col = Collection.open(tmp_path_factory.mktemp("samples"), request.getfixturevalue(request.param))
    col.ingest_letters(letters)
    yield col
    col.close()


@pytest.mark.parametrize("query", ["biện pháp tiêm vét", "bien phap tiem vet"])
def test_quick_start_tiem_vet_fills_the_top(samples_col, query):
    """Every clause that says "tiêm vét" ranks above clauses that only share "biện pháp"."""
    from congvan.letters.text import fold

    have = [h for h in samples_col.search("tiêm vét", mode="bm25", top_k=50).hits
            if "tiem vet" in " ".join(fold(h.text).lower().split())]
    want = min(3, len(have))
    assert want >= 1
    res = samples_col.search(query, top_k=10, explain=True)
    top = res.hits[:want]
    assert all("tiem vet" in " ".join(fold(h.text).lower().split()) for h in top), \
        [(h.path, h.explain) for h in res.hits[:5]]
    assert "tiêm vét" in top[0].explain["matched"] or "tiem vet" in top[0].explain["matched"]
