"""HTTP API through FastAPI's TestClient: real model, real index on disk, real letters."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from congvan.service.app import create_app
from congvan.service.config import BUNDLED_MODEL, Settings
from tests.conftest import TEST_HOME
from tests.inline_letters import DENGUE_LETTER, RABIES_LETTER
from tests.inline_letters import LAI_CHAU_LETTER as LETTER

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "letters"



@pytest.fixture(scope="module")
def client(tmp_path_factory, encoder) -> TestClient:  # encoder: converts the model once
    settings = Settings(home=TEST_HOME, model=BUNDLED_MODEL, index=tmp_path_factory.mktemp("api-index"),
                        max_upload_mb=2)
    with TestClient(create_app(settings)) as c:
        yield c


def _upload(client: TestClient, name: str, data: bytes, url: str = "/api/documents"):
    return client.post(url, files={"file": (name, data, "application/octet-stream")})


def test_health_reports_model_and_counts(client: TestClient) -> None:
    for _ in range(600):  # start-up runs in the background: wait until ready
        if client.get("/readyz").status_code == 200:
            break
        time.sleep(0.1)
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert "e5" in body["model"]
    assert body["documents"] >= 0 and body["clauses"] >= 0


def test_tag_file_returns_contract_json_and_stores_nothing(client: TestClient) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"shared seeds not found at {SEEDS}")
    before = client.get("/healthz").json()["documents"]
    resp = _upload(client, "000.txt", (SEEDS / "000_c27e4899c8171dca.txt").read_bytes(), "/api/tag")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    doc = body["document"]
    assert doc["issuer"] == "UBND tỉnh Lạng Sơn"
    assert doc["date"] == {"year": 2023, "month": 4, "day": None}
    assert doc["number"] == "/UBND-KGVX"
    assert any(r["number"] == "2116/BYT-DP" for r in doc["references"])
    paths = [c["path"] for c in body["clauses"]]
    assert {"2.a", "2.b", "2.c"} <= set(paths)
    clause_2b = next(c for c in body["clauses"] if c["path"] == "2.b")
    assert clause_2b["agencies"]["lead"] == ["so_y_te"]
    assert client.get("/healthz").json()["documents"] == before


def test_tag_json_text(client: TestClient) -> None:
    resp = client.post("/api/tag", json={"text": LETTER})
    assert resp.status_code == 200, resp.text
    assert resp.json()["document"]["province"] == "Lai Châu"


def test_upload_search_get_delete_round_trip(client: TestClient) -> None:
    first = _upload(client, "lai-chau.txt", LETTER.encode())
    assert first.status_code == 200, first.text
    doc_id = first.json()["doc_id"]
    again = _upload(client, "lai-chau-copy.txt", LETTER.encode())
    assert again.json()["doc_id"] == doc_id  # same content, same id, no duplicate
    docs = client.get("/healthz").json()["documents"]

    for query in ("biện pháp tiêm vét", "bien phap tiem vet"):
        hits = client.get("/api/search", params={"q": query}).json()["hits"]
        assert hits and hits[0]["doc_id"] == doc_id
        assert "<mark>" in hits[0]["snippet"]
        assert hits[0]["document"]["date"]["year"] == 2022
        assert "explain" not in hits[0]  # only on request: the contract's JSON is unchanged
    explained = client.get("/api/search", params={"q": "biện pháp tiêm vét", "explain": "true"}).json()
    why = explained["hits"][0]["explain"]
    assert {"keyword", "dense", "coverage", "adjacency", "matched"} <= set(why)
    assert "tiêm vét" in why["matched"] and why["coverage"] > 0
    code_hits = client.get("/api/search", params={"q": "4968/BYT-DP"}).json()
    assert code_hits["hits"][0]["doc_id"] == doc_id

    filtered = client.get("/api/search", params={"q": "tiêm vét", "year": 2019}).json()
    assert filtered["total"] == 0 and filtered["hits"] == []
    by_agency = client.get("/api/search", params={"q": "tiêm vét", "agency": "so_y_te"}).json()
    assert all("so_y_te" in h["agencies"]["lead"] + h["agencies"]["support"] for h in by_agency["hits"])

    stored = client.get(f"/api/documents/{doc_id}").json()
    assert stored["doc_id"] == doc_id and stored["clauses"]

    assert client.delete(f"/api/documents/{doc_id}").status_code == 200
    assert client.get(f"/api/documents/{doc_id}").status_code == 404
    assert client.get("/healthz").json()["documents"] == docs - 1
    hits = client.get("/api/search", params={"q": "tiêm vét"}).json()["hits"]
    assert all(h["doc_id"] != doc_id for h in hits)


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("big.txt", b"a" * (3 * 1024 * 1024), 413),
        ("virus.exe", b"MZ\x90\x00binary", 415),
        ("broken.pdf", b"\x00\x01garbage not a pdf", 400),
        ("empty.txt", b"", 400),
        ("blank.txt", b"   \n\n  ", 400),
    ],
)
def test_bad_uploads_get_clear_4xx_and_lose_nothing(client: TestClient, name: str, data: bytes,
                                                     status: int) -> None:
    deadline = time.monotonic() + 120
    while not client.get("/healthz").json()["ready"] and time.monotonic() < deadline:
        time.sleep(0.5)  # start-up opens the collection in the background
    before = client.get("/healthz").json()
    assert before["ready"] and before["documents"] is not None
    resp = _upload(client, name, data)
    assert resp.status_code == status, resp.text
    detail = resp.json()["detail"]
    assert isinstance(detail, str) and len(detail) > 10
    after = client.get("/healthz").json()
    # the stored data is unchanged (the tagger may finish loading in the background meanwhile)
    assert (after["documents"], after["clauses"]) == (before["documents"], before["clauses"])


def test_request_errors(client: TestClient) -> None:
    assert client.post("/api/tag", content=b"hello", headers={"content-type": "text/plain"}).status_code == 415
    assert client.post("/api/tag", json={"wrong": 1}).status_code == 422
    assert client.post("/api/tag", data={"other": "x"}).status_code in (415, 422)
    assert client.delete("/api/documents/khong-co").status_code == 404
    long = client.get("/api/search", params={"q": "tiêm " * 2000})
    assert long.status_code == 400 and "ký tự" in long.json()["detail"]
    punct = client.get("/api/search", params={"q": "?!…,;.--"})
    assert punct.status_code == 200 and isinstance(punct.json()["total"], int)
    assert client.get("/api/search", params={"q": "x", "top_k": 0}).status_code == 422
    assert client.get("/api/search", params={"q": "x", "from": "2023-13x"}).status_code == 422


def test_concurrent_ingest_and_search(client: TestClient) -> None:
    letters = sorted(SAMPLES.glob("*.txt"))[:3]
    assert letters, "samples/letters is empty"
    errors: list[str] = []

    def ingest() -> None:
        for path in letters:
            r = _upload(client, path.name, path.read_bytes())
            if r.status_code != 200:
                errors.append(f"ingest {path.name}: {r.status_code} {r.text}")

    def search() -> None:
        for _ in range(15):
            r = client.get("/api/search", params={"q": "giám sát dịch bệnh"})
            if r.status_code != 200:
                errors.append(f"search: {r.status_code} {r.text}")

    threads = [threading.Thread(target=ingest), threading.Thread(target=search)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    health = client.get("/healthz").json()
    assert health["documents"] >= len(letters)


def test_openapi_lists_the_contract_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/healthz", "/api/tag", "/api/documents", "/api/documents/{doc_id}", "/api/search"):
        assert p in paths


def test_disease_filter_hits_and_facet(client: TestClient) -> None:
    docs = {}
    for name, text, disease in (("sxh.txt", DENGUE_LETTER, "dengue"), ("dai.txt", RABIES_LETTER, "rabies")):
        resp = _upload(client, name, text.encode())
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["document"]["diseases"] == [disease]
        assert all(c["diseases"] == [disease] for c in body["clauses"])
        assert all(c["diseases"] == [disease] for c in client.get(f"/api/documents/{body['doc_id']}").json()["clauses"])
        docs[disease] = body["doc_id"]
    rabies = client.get("/api/search", params={"q": "tiêm vắc xin", "disease": "rabies", "top_k": 100}).json()
    assert rabies["hits"] and {h["doc_id"] for h in rabies["hits"]} == {docs["rabies"]}
    assert all(h["diseases"] == ["rabies"] for h in rabies["hits"])
    # repeatable: any of them; a blank value is no filter
    both = client.get("/api/search", params=[("disease", "rabies"), ("disease", "dengue"), ("top_k", "100")]).json()
    assert {docs["rabies"], docs["dengue"]} <= {h["doc_id"] for h in both["hits"]}
    assert all({"rabies", "dengue"} & set(h["diseases"]) for h in both["hits"])
    assert both["filters"]["disease"] == ["rabies", "dengue"]
    assert client.get("/api/search", params={"q": "", "disease": ""}).json()["total"] == \
        client.get("/api/search", params={"q": ""}).json()["total"]
    faceted = client.get("/api/search", params={"q": "phòng, chống", "disease": "dengue", "facets": "true"}).json()
    facet = next(f for f in faceted["facets"] if f["name"] == "disease")
    assert facet["title"] == "Bệnh" and facet["multi"]
    picked = [v for v in facet["values"] if v["selected"]]
    assert picked == [{"value": "dengue", "label": "Sốt xuất huyết Dengue", "count": faceted["total"],
                       "selected": True}]
    assert any(v["value"] == "rabies" for v in facet["values"])  # the others stay offered
    for doc_id in docs.values():
        assert client.delete(f"/api/documents/{doc_id}").status_code == 200
