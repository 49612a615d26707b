"""``POST /api/clauses/{clause_id}/labels`` through the real app: validation, 404, durable store,
write protection, and the corrections reaching the training data."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from congvan.service.app import create_app
from congvan.service.config import BUNDLED_MODEL, Settings
from tests.inline_letters import LAI_CHAU_LETTER as LETTER
from tests.tagger_toy import link_base_model


@pytest.fixture(scope="module")
def home(tmp_path_factory, encoder) -> Path:  # encoder: the bundled model is converted once
    home = tmp_path_factory.mktemp("corr-home")
    link_base_model(home)
    return home


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corr-index")


@pytest.fixture(scope="module")
def client(home: Path, index_dir: Path):
    settings = Settings(home=home, model=BUNDLED_MODEL, index=index_dir, tagger="off")
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def doc(client: TestClient) -> dict:
    resp = client.post("/api/documents", json={"text": LETTER, "filename": "812.txt"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _clause(doc: dict, path: str) -> dict:
    return next(c for c in doc["clauses"] if c["path"] == path)


def test_a_correction_is_validated_stored_and_returned(client: TestClient, doc: dict, index_dir: Path) -> None:
    clause = _clause(doc, "2")
    url = f"/api/clauses/{clause['clause_id']}/labels"
    resp = client.post(url, json={"themes": ["communication", "vaccination"], "lead": ["so_tttt"],
                                  "support": ["bao_chi"]})
    assert resp.status_code == 200, resp.text
    rec = resp.json()
    assert rec["clause_id"] == clause["clause_id"] and rec["doc_id"] == doc["doc_id"]
    assert rec["text"] == clause["text"] and rec["timestamp"].endswith("Z") and rec["id"]
    assert rec["old"]["lead"] == clause["agencies"]["lead"]
    assert rec["new"] == {"themes": ["communication", "vaccination"], "lead": ["so_tttt"], "support": ["bao_chi"]}
    assert isinstance(rec["applied_to_index"], bool)
    lines = (index_dir / "corrections" / "corrections.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1]) == rec  # durable, exactly what was returned


def test_a_field_left_out_keeps_its_value(client: TestClient, doc: dict) -> None:
    clause = _clause(doc, "1")
    rec = client.post(f"/api/clauses/{clause['clause_id']}/labels", json={"themes": ["vaccination"]}).json()
    assert rec["new"]["lead"] == clause["agencies"]["lead"] == ["so_y_te"]
    assert rec["new"]["support"] == clause["agencies"]["support"]


@pytest.mark.parametrize("body", [{"themes": ["vaccinations"]}, {"lead": ["bo_khong_co"]},
                                  {"support": ["so_y_te"], "lead": ["so_y_te"]}, {"themes": "vaccination"},
                                  {"themes": [], "extra": 1}])
def test_unknown_ids_and_bad_bodies_are_422(client: TestClient, doc: dict, body: dict) -> None:
    resp = client.post(f"/api/clauses/{_clause(doc, '1')['clause_id']}/labels", json=body)
    assert resp.status_code == 422, resp.text
    assert "detail" in resp.json()


def test_unknown_clause_is_404(client: TestClient, doc: dict) -> None:
    for cid in ("ffffffffffffffff-001", f"{doc['doc_id']}-999", "nonsense"):
        resp = client.post(f"/api/clauses/{cid}/labels", json={"themes": ["vaccination"]})
        assert resp.status_code == 404, resp.text


def test_corrections_need_write_access_when_a_key_is_set(home: Path, tmp_path: Path) -> None:
    settings = Settings(home=home, model=BUNDLED_MODEL, index=tmp_path / "idx", tagger="off", api_key="s3cret")
    with TestClient(create_app(settings)) as c:
        stored = c.post("/api/documents", json={"text": LETTER}, headers={"X-API-Key": "s3cret"})
        assert stored.status_code == 200, stored.text
        cid = stored.json()["clauses"][1]["clause_id"]
        assert c.post(f"/api/clauses/{cid}/labels", json={"themes": ["vaccination"]}).status_code == 401
        ok = c.post(f"/api/clauses/{cid}/labels", json={"themes": ["vaccination"]}, headers={"X-API-Key": "s3cret"})
        assert ok.status_code == 200, ok.text


def test_stored_corrections_become_training_data(client: TestClient, doc: dict, index_dir: Path) -> None:
    from congvan.training.corrections import CorrectionStore, merge_corrections, to_records
    from congvan.training.dataset import Record

    clause = _clause(doc, "2")
    client.post(f"/api/clauses/{clause['clause_id']}/labels", json={"themes": ["communication"]})
    latest = CorrectionStore(index_dir / "corrections" / "corrections.jsonl").latest()
    mine = [c for c in latest if c["clause_id"] == clause["clause_id"]]
    assert len(mine) == 1 and mine[0]["new"]["themes"] == ["communication"]  # the later one won
    records = to_records(latest)
    assert all(r.source == "correction" and r.kind == "directive" for r in records)
    train = [Record(id="t-1", letter_id="t", text=clause["text"], themes=["economy"])]
    merged, info = merge_corrections(train, [], latest)
    assert merged[0].themes == ["communication"] and info["overridden"] == 1


def test_a_correction_that_changes_nothing_is_refused(client: TestClient, doc: dict, index_dir: Path) -> None:
    clause = _clause(doc, "1")
    current = client.get(f"/api/documents/{doc['doc_id']}").json()
    labels = next(c for c in current["clauses"] if c["clause_id"] == clause["clause_id"])
    store = index_dir / "corrections" / "corrections.jsonl"
    before = store.read_text(encoding="utf-8") if store.exists() else ""
    same = {"themes": [t["id"] for t in labels["themes"]], "lead": labels["agencies"]["lead"],
            "support": labels["agencies"]["support"]}
    resp = client.post(f"/api/clauses/{clause['clause_id']}/labels", json=same)
    assert resp.status_code == 422 and "không có gì để sửa" in resp.json()["detail"]
    assert client.post(f"/api/clauses/{clause['clause_id']}/labels", json={}).status_code == 422
    assert (store.read_text(encoding="utf-8") if store.exists() else "") == before  # nothing stored


def test_a_reingest_keeps_the_correction_and_page_and_search_agree(client: TestClient, index_dir: Path) -> None:
    text = LETTER.replace("812/UBND-VX", "813/UBND-VX")  # a letter of its own
    doc = client.post("/api/documents", json={"text": text}).json()
    clause = next(c for c in doc["clauses"] if c["path"] == "2")
    fix = {"themes": ["market_control"], "lead": ["qltt"], "support": []}
    assert client.post(f"/api/clauses/{clause['clause_id']}/labels", json=fix).status_code == 200

    def labels_everywhere() -> tuple:
        stored = client.get(f"/api/documents/{doc['doc_id']}").json()
        on_page = next(c for c in stored["clauses"] if c["clause_id"] == clause["clause_id"])
        hits = client.get("/api/search", params={"q": "813/UBND-VX cơ quan báo chí", "theme": "market_control",
                                                 "agency": "qltt", "top_k": 50}).json()["hits"]
        in_search = [h for h in hits if h["clause_id"] == clause["clause_id"]]
        return on_page, in_search

    on_page, in_search = labels_everywhere()
    assert [t["id"] for t in on_page["themes"]] == ["market_control"] and on_page["corrected_at"]
    assert in_search and in_search[0]["themes"] == ["market_control"] and in_search[0]["agencies"]["lead"] == ["qltt"]
    # Same content again: same doc_id, nothing changes; deleted and uploaded again: still corrected.
    again = client.post("/api/documents", json={"text": text, "filename": "other.txt"}).json()
    assert again["doc_id"] == doc["doc_id"] and again["status"] == "unchanged"
    assert client.delete(f"/api/documents/{doc['doc_id']}").status_code == 200
    back = client.post("/api/documents", json={"text": text}).json()
    assert back["doc_id"] == doc["doc_id"] and back["status"] == "added"
    on_page, in_search = labels_everywhere()
    assert [t["id"] for t in on_page["themes"]] == ["market_control"] and on_page["agencies"]["lead"] == ["qltt"]
    assert in_search and in_search[0]["themes"] == ["market_control"]


def test_older_corrections_under_home_are_moved_beside_the_index(tmp_path: Path) -> None:
    from congvan.index.corrections import CorrectionStore
    from congvan.service.storage import corrections_file

    home, index = tmp_path / "home", tmp_path / "idx"
    old = CorrectionStore(home / "corrections" / "corrections.jsonl")
    rec = old.append({"clause_id": "abc-001", "doc_id": "abc", "text": "Tổ chức tiêm vét.",
                      "old": {"themes": [], "lead": [], "support": []},
                      "new": {"themes": ["vaccination"], "lead": [], "support": []}})
    settings = Settings(home=home, index=index)
    path = corrections_file(settings)
    assert path == index / "corrections" / "corrections.jsonl"
    assert (index / "corrections" / "manifest.json").is_file()
    assert [r["id"] for r in CorrectionStore(path).read()] == [rec["id"]]
    corrections_file(settings)  # idempotent: copied once
    assert len(CorrectionStore(path).read()) == 1
