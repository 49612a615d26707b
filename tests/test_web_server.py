"""The staff web page, server side (no browser): rendering, escaping, facets, references,
security (API key, login session, CSRF, origin check). Real encoder, real index on disk."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from congvan.index.directory import number_key
from congvan.service.app import create_app
from congvan.service.config import BUNDLED_MODEL, Settings
from congvan.service.web import views
from tests.conftest import TEST_HOME

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "letters"
SEEDS = ROOT.parent / "shared" / "seeds"
KEY = "khoa-thu-nghiem-123"

#: A letter whose number is cited by the Lạng Sơn letters (Công văn số 2116/BYT-DP ngày 12/4/2023).
BYT_LETTER = """BỘ Y TẾ

Số: 2116/BYT-DP
Hà Nội, ngày 12 tháng 4 năm 2023

V/v tăng cường phòng, chống dịch COVID-19 trong tình hình mới

Kính gửi: Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương.

Bộ Y tế đề nghị Ủy ban nhân dân các tỉnh, thành phố chỉ đạo như sau:

1. Giao Sở Y tế chủ trì đẩy mạnh tiêm vắc xin phòng COVID-19 mũi nhắc lại cho nhóm nguy cơ cao.

2. Sở Thông tin và Truyền thông tăng cường truyền thông về đeo khẩu trang nơi đông người.

Bộ Y tế đề nghị các địa phương thực hiện nghiêm túc./.
"""

SCRIPT_LETTER = """ỦY BAN NHÂN DÂN
TỈNH BẮC KẠN

Số: 77/UBND-VX
Bắc Kạn, ngày 03 tháng 3 năm 2021

V/v thử nghiệm <script>alert("xss")</script> hiển thị

Kính gửi: Sở Y tế.

1. Giao Sở Y tế kiểm tra chữ đặc biệt <script>alert('clause')</script> và <img src=x onerror=alert(3)> quyettam khi hiển thị.

2. Sở Thông tin và Truyền thông theo dõi việc hiển thị ký tự & < > trên trang quyettam.

UBND tỉnh yêu cầu thực hiện nghiêm túc./.
"""


#: Team-written letters of the web tests (a Lạng Sơn letter citing 2116/BYT-DP among them), so the
#: tests hold on a clone without ``../shared``; the real seeds are added when present.
WEB_LETTERS = ROOT / "tests" / "data" / "web"


def letter_paths() -> list[Path]:
    paths = sorted(SAMPLES.glob("*.txt")) + sorted(WEB_LETTERS.glob("*.txt"))
    if SEEDS.is_dir():
        paths += sorted(SEEDS.glob("*.txt"))
    return paths


def build_index(folder: Path, encoder) -> int:
    """Ingest the sample letters and the shared seeds into ``folder``; returns the letter count."""
    from congvan.index.collection import Collection
    from congvan.letters.pipeline import letter_from_file
    from congvan.service.tagging import tag_letter

    settings = Settings(home=TEST_HOME, model=BUNDLED_MODEL, index=folder)
    letters = []
    for path in letter_paths():
        letter = letter_from_file(path)
        letter.source = path.name
        letters.append(tag_letter(letter, settings))
    with Collection.open(folder, encoder) as col:
        col.ingest_letters(letters)
    return len(letters)


def scratch_home(folder: Path) -> Path:
    """A CONGVAN_HOME of its own (corrections land here, not in the shared test cache) that
    reuses the converted model of TEST_HOME."""
    folder.mkdir(parents=True, exist_ok=True)
    models = folder / "models"
    if not models.exists():
        (TEST_HOME / "models").mkdir(parents=True, exist_ok=True)
        models.symlink_to(TEST_HOME / "models", target_is_directory=True)
    return folder


def csrf_from(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture(scope="module")
def app_client(tmp_path_factory, encoder):
    folder = tmp_path_factory.mktemp("web-index")
    build_index(folder, encoder)
    home = scratch_home(tmp_path_factory.mktemp("web-home"))
    settings = Settings(home=home, model=BUNDLED_MODEL, index=folder, max_upload_mb=2)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture()
def client(app_client: TestClient):
    """The shared client, open (no API key), with a clean cookie jar."""
    app = app_client.app
    original = app.state.settings
    app_client.cookies.clear()
    yield app_client
    app.state.settings = original
    app_client.cookies.clear()


def with_key(client: TestClient, protect_search: bool = False) -> None:
    app = client.app
    app.state.settings = app.state.settings.model_copy(update={"api_key": KEY, "protect_search": protect_search})


def upload(client: TestClient, name: str, text: str, **headers):
    return client.post("/api/documents", files={"file": (name, text.encode(), "text/plain")}, headers=headers)


# --------------------------------------------------------------------------- pages
def test_search_page_renders_results_with_tone_less_query(client: TestClient) -> None:
    for query in ("tiêm vét", "tiem vet"):
        resp = client.get("/", params={"q": query})
        assert resp.status_code == 200
        html = resp.text
        assert '<html lang="vi">' in html
        assert "điều khoản phù hợp" in html
        assert html.count('class="hit"') == 10
        assert "<mark>" in html
        assert 'role="search"' in html and '<main id="main"' in html
        assert f'value="{query}"' in html  # the query stays in the box (and the URL)
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "http" not in csp
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_page_shows_the_same_hits_as_the_api(client: TestClient) -> None:
    cases = [{"q": "tiêm vét"}, {"q": "phong chong dich", "province": "Lạng Sơn"},
             {"q": "sốt xuất huyết", "page": 2}, {"q": "", "year": 2023},
             {"q": "phòng chống dịch", "disease": "dengue"}]
    for params in cases:
        html = client.get("/", params=params).text
        shown = re.findall(r'class="hit-title"><a href="/letters/[^?"]+\?clause=([^&"#]+)', html)
        api_params = {k: v for k, v in params.items() if k != "page"}
        api_params["offset"] = (params.get("page", 1) - 1) * 10
        api = client.get("/api/search", params=api_params).json()
        assert shown == [h["clause_id"] for h in api["hits"]], params
        assert f"{api['total']} điều khoản phù hợp" in html, params


def test_landing_page_lists_letters_and_facets(client: TestClient) -> None:
    html = client.get("/").text
    assert "Văn bản mới cập nhật" in html
    assert "Năm ban hành" in html and "Tỉnh, thành phố" in html
    assert "Lạng Sơn" in html


def test_no_results_suggests_removing_filters_and_checking_spelling(client: TestClient) -> None:
    html = client.get("/", params={"q": "tiêm vét", "year": "1999"}).text
    assert "Không tìm thấy" in html
    assert "Bỏ bớt bộ lọc" in html and "chính tả" in html
    # bad filter values are dropped with a message, never a 422
    resp = client.get("/", params={"q": "tiêm", "year": "abc", "from": "2023-13x", "page": "x"})
    assert resp.status_code == 200 and "không phải là năm hợp lệ" in resp.text


def test_static_files_are_versioned_and_bad_date_ranges_are_explained(client: TestClient) -> None:
    html = client.get("/").text
    for name in ("app.css", "app.js"):
        url = re.search(rf'"(/static/{re.escape(name)}\?v=\w+)"', html).group(1)
        resp = client.get(url)
        assert resp.status_code == 200 and "immutable" in resp.headers["cache-control"]
    resp = client.get("/", params={"q": "tiêm", "from": "2024-01", "to": "2020-01"})
    assert resp.status_code == 200 and "Khoảng thời gian không hợp lệ" in resp.text
    resp = client.get("/", params={"q": "tiêm", "from": "2023-01", "to": "2023-06"})
    assert "Thời gian: tháng 1/2023 – tháng 6/2023" in resp.text


def test_facet_counts_match_totals(client: TestClient, app_client: TestClient) -> None:
    from congvan.index.directory import letter_directory
    from congvan.index.facets import compute_facets

    collection = app_client.app.state.collection
    directory = letter_directory(collection)
    query = "phòng, chống dịch"
    result = collection.search(query, top_k=5)
    facets = {f.name: f for f in compute_facets(collection, query, {}, collection.snapshot, directory, {}, {})}
    years = facets["year"].values
    assert years and sum(v.count for v in years) == result.total
    provinces = facets["province"].values
    lang_son = next(v for v in provinces if v.label == "Lạng Sơn")
    filtered = collection.search(query, top_k=5, filters={"province": "Lạng Sơn"})
    assert lang_son.count == filtered.total
    # Disjunctive: with the province chosen, the province facet still lists the others,
    # and the year facet counts only Lạng Sơn clauses.
    facets = {f.name: f for f in compute_facets(collection, query, {"province": "Lạng Sơn"},
                                                collection.snapshot, directory, {}, {})}
    assert len(facets["province"].values) == len(provinces)
    assert [v for v in facets["province"].values if v.selected][0].count == filtered.total
    assert sum(v.count for v in facets["year"].values) == filtered.total


def test_facet_links_apply_and_remove_filters(client: TestClient) -> None:
    html = client.get("/", params={"q": "phòng chống dịch"}).text
    link = re.search(r'<a class="facet-link" href="([^"]*province=[^"]*)"', html)
    assert link
    url = link.group(1).replace("&amp;", "&")
    filtered = client.get(url).text
    assert 'class="chip chip-filter"' in filtered and "Xóa tất cả bộ lọc" in filtered
    remove = re.search(r'<a class="chip chip-filter" href="([^"]*)"', filtered).group(1).replace("&amp;", "&")
    assert "province" not in remove
    assert 'class="chip chip-filter"' not in client.get(remove).text


def test_disease_facet_filters_and_hits_show_diseases(client: TestClient) -> None:
    html = client.get("/", params={"q": "phòng chống dịch"}).text
    assert '<h2 id="facet-disease" class="facet-title">Bệnh</h2>' in html
    link = re.search(r'<a class="facet-link" href="([^"]*disease=dengue[^"]*)"', html)
    assert link
    filtered = client.get(link.group(1).replace("&amp;", "&")).text
    assert "Bệnh: Sốt xuất huyết Dengue" in filtered  # the active-filter chip
    hits = re.findall(r'<li class="hit">(.*?)</li>\s*(?=<li class="hit">|</ol>)', filtered, re.S)
    assert hits and all('class="chip chip-disease" data-id="dengue">Sốt xuất huyết Dengue<' in h for h in hits)
    api = client.get("/api/search", params={"q": "phòng chống dịch", "disease": "dengue"}).json()
    assert f"{api['total']} điều khoản phù hợp" in filtered
    letter = client.get(f"/letters/{api['hits'][0]['doc_id']}").text
    assert 'class="chip chip-disease" data-id="dengue"' in letter and '"diseases": {' in letter


def test_letter_view_marks_hit_clause_and_unknown_letter_is_404(client: TestClient) -> None:
    hit = client.get("/api/search", params={"q": "sốt xuất huyết"}).json()["hits"][0]
    resp = client.get(f"/letters/{hit['doc_id']}", params={"clause": hit["clause_id"], "q": "sốt xuất huyết"})
    assert resp.status_code == 200
    html = resp.text
    assert f'id="c-{hit["clause_id"]}"' in html
    assert re.search(rf'class="clause clause-\w+ is-hit" id="c-{hit["clause_id"]}"', html)
    assert "<mark>" in html and "Thông tin văn bản" in html
    # a tone-less query is marked in the tones search read it with, as in the result snippets:
    # "ve" is "vệ" of "vệ sinh", not the unmarked function word "về"
    toneless = client.get(f"/letters/{hit['doc_id']}", params={"q": "ve sinh moi truong"}).text
    marks = set(re.findall(r"<mark>([^<]*)</mark>", toneless))
    assert "vệ sinh" in marks and "về" not in marks, marks
    missing = client.get("/letters/khong-co-van-ban-nay")
    assert missing.status_code == 404 and "Không tìm thấy văn bản" in missing.text


def test_references_link_to_indexed_letters_and_back(client: TestClient) -> None:
    resp = upload(client, "byt-2116.txt", BYT_LETTER)
    assert resp.status_code == 200, resp.text
    byt_id = resp.json()["doc_id"]
    lang_son = client.get("/api/search", params={"q": "2116/BYT-DP", "province": "Lạng Sơn"}).json()["hits"]
    assert lang_son
    html = client.get(f"/letters/{lang_son[0]['doc_id']}").text
    assert f'href="/letters/{byt_id}"' in html  # metadata panel and the number in the text
    assert re.search(rf'<a class="ref-link" href="/letters/{byt_id}">2116/BYT-DP</a>', html)
    back = client.get(f"/letters/{byt_id}").text
    assert f'href="/letters/{lang_son[0]["doc_id"]}"' in back  # "cited by"
    assert client.delete(f"/api/documents/{byt_id}").status_code == 200


def test_script_in_a_letter_is_rendered_as_text(client: TestClient) -> None:
    resp = upload(client, "xss.txt", SCRIPT_LETTER)
    assert resp.status_code == 200, resp.text
    doc_id = resp.json()["doc_id"]
    try:
        pages = [client.get("/", params={"q": "quyettam"}).text, client.get(f"/letters/{doc_id}").text]
        for html in pages:
            assert "quyettam" in html
            assert "<script>alert" not in html and "<img src=x" not in html
            assert "&lt;script&gt;alert" in html
        assert "&lt;img src=x onerror=alert(3)&gt;" in pages[1]
    finally:
        client.delete(f"/api/documents/{doc_id}")


def test_no_js_upload_form_posts_one_file(client: TestClient) -> None:
    page = client.get("/upload")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    token = csrf_from(page.text)
    ok = client.post("/upload", data={"csrf_token": token},
                     files={"file": ("byt.txt", BYT_LETTER.encode(), "text/plain")})
    assert ok.status_code == 200, ok.text
    assert "Đã thêm vào kho" in ok.text or "Đã có trong kho" in ok.text
    doc_id = re.search(r'href="/letters/([0-9a-f]+)"', ok.text).group(1)
    bad = client.post("/upload", data={"csrf_token": token},
                      files={"file": ("hong.pdf", b"\x00\x01 not a pdf", "application/pdf")})
    assert bad.status_code == 400 and "Không tải được “hong.pdf”" in bad.text
    no_token = client.post("/upload", files={"file": ("byt.txt", BYT_LETTER.encode(), "text/plain")})
    assert no_token.status_code == 403 and "tải lại trang" in no_token.text
    assert client.delete(f"/api/documents/{doc_id}").status_code == 200


def test_correction_shows_on_the_letter_view(client: TestClient) -> None:
    hit = client.get("/api/search", params={"q": "sốt xuất huyết"}).json()["hits"][0]
    url = f"/letters/{hit['doc_id']}"
    html = client.get(url).text
    assert f'data-url="/api/clauses/{hit["clause_id"]}/labels"' in html
    token = csrf_from(html)
    resp = client.post(f"/api/clauses/{hit['clause_id']}/labels", headers={"X-CSRF-Token": token},
                       json={"themes": ["surveillance"], "lead": ["cdc"], "support": ["so_y_te"]})
    assert resp.status_code == 200, resp.text
    html = client.get(url).text
    block = html.split(f'id="c-{hit["clause_id"]}"', 1)[1].split("</li>\n", 1)[0]
    assert "Giám sát, phát hiện dịch" in block and "Trung tâm Kiểm soát bệnh tật tỉnh" in block
    assert "sửa tay" in block
    bad = client.post(f"/api/clauses/{hit['clause_id']}/labels", headers={"X-CSRF-Token": "x" * 40},
                      json={"themes": ["surveillance"]})
    assert bad.status_code == 403


# --------------------------------------------------------------------------- security
def test_open_server_checks_csrf_header_and_origin(client: TestClient) -> None:
    client.get("/")  # sets the CSRF cookie
    wrong = upload(client, "a.txt", BYT_LETTER, **{"X-CSRF-Token": "not-the-cookie-value-xxxxxxxx"})
    assert wrong.status_code == 403
    cross = upload(client, "a.txt", BYT_LETTER, Origin="https://evil.example")
    assert cross.status_code == 403 and "trang web khác" in cross.json()["detail"]
    cross_site = client.delete("/api/documents/x", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    same = upload(client, "a.txt", BYT_LETTER, Origin="http://testserver")
    assert same.status_code == 200
    proxied = client.delete("/api/documents/khong-co", headers={"Origin": "https://congvan.office",
                                                               "X-Forwarded-Host": "congvan.office"})
    assert proxied.status_code == 404  # got past the origin check
    assert client.delete(f"/api/documents/{same.json()['doc_id']}").status_code == 200


def test_api_key_protects_writes_but_not_reads(client: TestClient) -> None:
    with_key(client)
    assert client.get("/api/search", params={"q": "tiêm"}).status_code == 200
    assert client.get("/").status_code == 200
    assert upload(client, "a.txt", BYT_LETTER).status_code == 401
    assert upload(client, "a.txt", BYT_LETTER, **{"X-API-Key": "sai"}).status_code == 401
    assert client.delete("/api/documents/khong-co").status_code == 401
    ok = upload(client, "a.txt", BYT_LETTER, **{"X-API-Key": KEY})  # no CSRF needed with the key
    assert ok.status_code == 200
    assert client.delete(f"/api/documents/{ok.json()['doc_id']}", headers={"X-API-Key": KEY}).status_code == 200
    html = client.get("/upload").text
    assert "Cần đăng nhập" in html and 'id="upload-form"' not in html


def test_login_session_needs_csrf_for_writes(client: TestClient) -> None:
    with_key(client)
    token = csrf_from(client.get("/login").text)
    bad = client.post("/login", data={"key": "sai", "csrf_token": token, "next": "/upload"})
    assert bad.status_code == 401 and "không đúng" in bad.text
    no_csrf = client.post("/login", data={"key": KEY, "next": "/upload"})
    assert no_csrf.status_code == 403
    good = client.post("/login", data={"key": KEY, "csrf_token": token, "next": "/upload"},
                       follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == "/upload"
    assert "congvan_session" in client.cookies
    assert "httponly" in good.headers["set-cookie"].lower()
    assert upload(client, "a.txt", BYT_LETTER).status_code == 403  # session but no CSRF token
    ok = upload(client, "a.txt", BYT_LETTER, **{"X-CSRF-Token": token})
    assert ok.status_code == 200
    doc_id = ok.json()["doc_id"]
    assert client.delete(f"/api/documents/{doc_id}").status_code == 403
    assert client.delete(f"/api/documents/{doc_id}", headers={"X-CSRF-Token": token}).status_code == 200
    assert 'id="upload-form"' in client.get("/upload").text
    # an open redirect through ?next= is refused
    again = client.post("/login", data={"key": KEY, "csrf_token": token, "next": "//evil.example/"},
                        follow_redirects=False)
    assert again.headers["location"] == "/"
    tab = client.post("/login", data={"key": KEY, "csrf_token": token, "next": "/\t/evil.example/"},
                      follow_redirects=False)
    assert tab.headers["location"] == "/"
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert upload(client, "a.txt", BYT_LETTER, **{"X-CSRF-Token": token}).status_code == 401


def test_protect_search_requires_login_for_reading(client: TestClient) -> None:
    with_key(client, protect_search=True)
    page = client.get("/", params={"q": "tiêm"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    assert client.get("/api/search", params={"q": "tiêm"}).status_code == 401
    assert client.get("/api/search", params={"q": "tiêm"}, headers={"X-API-Key": KEY}).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/login").status_code == 200


def test_session_tokens_expire_and_depend_on_the_key() -> None:
    from congvan.service.http.security import make_session, session_valid

    settings = Settings(home=TEST_HOME, api_key=KEY, session_hours=1)
    token = make_session(settings, now=1_000_000)
    assert session_valid(settings, token, now=1_000_100)
    assert not session_valid(settings, token, now=1_000_000 + 3601)
    assert not session_valid(settings.model_copy(update={"api_key": "khac"}), token, now=1_000_100)
    assert not session_valid(settings, "123.abc", now=0)
    assert not session_valid(Settings(home=TEST_HOME), token, now=1_000_100)


# --------------------------------------------------------------------------- helpers
def test_render_text_escapes_and_marks() -> None:
    html = views.render_text("Theo Công văn số 2116/BYT-DP <b>và</b> 12116/BYT-DP & tiêm vét",
                             "tiem vet", [("2116/BYT-DP", "/letters/abc")])
    assert "&lt;b&gt;và&lt;/b&gt;" in html and "&amp;" in html
    assert html.count('<a class="ref-link" href="/letters/abc">') == 1
    assert "<mark>tiêm vét</mark>" in html


def test_small_formatters() -> None:
    assert views.path_label("2.b", "directive") == "Mục 2.b"
    assert views.path_label("1.-3", "directive") == "Mục 1, ý 3"
    assert views.path_label("preamble.2", "preamble") == "Phần mở đầu (đoạn 2)"
    assert views.format_date({"year": 2023, "month": 4, "day": None}) == "tháng 4/2023"
    assert views.format_date({"year": 2023, "month": 8, "day": 14}) == "14/08/2023"
    assert views.page_window(6, 12) == [1, None, 4, 5, 6, 7, 8, None, 12]
    assert number_key(" 2116/byt-dp") == "2116/BYT-DP" and number_key("/UBND-KGVX") is None
    assert views.query_string({"q": "tiêm", "theme": ["a", "b"]}, theme=["a"], page=None) == "?q=ti%C3%AAm&theme=a"
