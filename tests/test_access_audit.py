"""Access and records: failed keys are rate-limited, logout revokes the session on the server,
PROTECT_SEARCH covers docs and health details, junk text is refused, date filters agree, and
every write lands in the audit log (read back by ``congvan audit`` and ``/admin/audit``)."""
from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from congvan.service.app import create_app
from congvan.service.config import BUNDLED_MODEL, Settings
from tests.inline_letters import LAI_CHAU_LETTER
from tests.test_web_server import csrf_from, scratch_home

KEY = "khoa-bi-mat-123"


@pytest.fixture()
def make_client(tmp_path, encoder):
    clients = []

    def make(**overrides) -> TestClient:
        settings = Settings(home=scratch_home(tmp_path / "home"), model=BUNDLED_MODEL, index=tmp_path / "index",
                            tagger="off", **overrides)
        client = TestClient(create_app(settings)).__enter__()
        clients.append(client)
        for _ in range(600):
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.1)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def _upload(client: TestClient, name: str, text: str, **headers):
    return client.post("/api/documents", files={"file": (name, text.encode(), "text/plain")}, headers=headers)


def test_wrong_keys_get_429_after_the_limit_and_the_right_key_still_compares(make_client) -> None:
    client = make_client(api_key=KEY, auth_failure_limit=3)
    for _ in range(3):
        assert client.delete("/api/documents/x", headers={"X-API-Key": "sai"}).status_code == 401
    limited = client.delete("/api/documents/x", headers={"X-API-Key": "sai"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "thử lại" in limited.json()["detail"]
    # the limit is per client and is checked before the key: even the right key waits now
    assert client.delete("/api/documents/x", headers={"X-API-Key": KEY}).status_code == 429
    # logins count too
    token = csrf_from(client.get("/login").text)
    page = client.post("/login", data={"key": KEY, "csrf_token": token})
    assert page.status_code == 429 and "thử lại" in page.text


def test_logout_revokes_a_copied_session_cookie(make_client) -> None:
    client = make_client(api_key=KEY)
    token = csrf_from(client.get("/login").text)
    assert client.post("/login", data={"key": KEY, "csrf_token": token}, follow_redirects=False).status_code == 303
    stolen = client.cookies.get("congvan_session")
    headers = {"X-CSRF-Token": token}
    assert client.delete("/api/documents/none", headers=headers).status_code == 404  # logged in
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    client.cookies.set("congvan_session", stolen)  # an attacker replays the copied cookie
    assert client.delete("/api/documents/none", headers=headers).status_code == 401


def test_protect_search_covers_docs_openapi_and_health_details(make_client) -> None:
    client = make_client(api_key=KEY, protect_search=True)
    assert client.get("/openapi.json").status_code == 401
    assert client.get("/docs").status_code == 401
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 401
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok", "ready": True}
    assert set(client.get("/readyz").json()) == {"ready"}
    key = {"X-API-Key": KEY}
    assert client.get("/openapi.json", headers=key).status_code == 200
    assert client.get("/healthz", headers=key).json()["clauses"] == 0
    assert client.get("/docs", headers=key).status_code == 200


@pytest.mark.parametrize("body", [{"text": "a" * 5000}, {"text": "\x00\x01\x02\x03 rác" * 200},
                                  {"text": "The quick brown fox jumps over the lazy dog, " * 20}])
def test_text_that_is_not_vietnamese_prose_is_refused(make_client, body) -> None:
    client = make_client()
    for url in ("/api/tag", "/api/documents"):
        r = client.post(url, json=body)
        assert r.status_code == 422, (url, r.text)
        assert "(" in r.json()["detail"]  # Vietnamese message with the English reason
    assert client.get("/healthz").json()["documents"] == 0  # nothing stored


def test_a_short_real_letter_still_passes(make_client) -> None:
    client = make_client()
    short = ("ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN\nSố: 12/UBND-KGVX\nV/v tiêm vét vắc xin\n"
             "1. Sở Y tế tổ chức tiêm vét cho người dân chưa tiêm đủ mũi trên địa bàn tỉnh.\n")
    assert client.post("/api/tag", json={"text": short}).status_code == 200


def test_date_filters_are_validated_like_the_year(make_client) -> None:
    client = make_client()
    assert client.get("/api/search", params={"q": "tiêm", "year": 1800}).status_code == 422
    for bad in ("0000-01", "1800", "2023-13"):
        r = client.get("/api/search", params={"q": "tiêm", "from": bad})
        assert r.status_code == 422 and bad in r.json()["detail"], bad
    assert client.get("/api/search", params={"q": "tiêm", "from": "2021-06"}).status_code == 200


def test_audit_log_records_uploads_deletes_and_corrections(make_client, tmp_path, capsys) -> None:
    client = make_client(api_key=KEY)
    key = {"X-API-Key": KEY}
    assert _upload(client, "lai-chau.txt", LAI_CHAU_LETTER).status_code == 401  # refused: logged too
    up = _upload(client, "lai-chau.txt", LAI_CHAU_LETTER, **key)
    assert up.status_code == 200
    doc_id = up.json()["doc_id"]
    clause = up.json()["clauses"][0]["clause_id"]
    fix = client.post(f"/api/clauses/{clause}/labels", json={"themes": ["vaccination"]}, headers=key)
    assert fix.status_code == 200, fix.text
    assert client.delete(f"/api/documents/{doc_id}", headers=key).status_code == 200

    lines = (tmp_path / "index" / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["action"], e["result"]) for e in entries] == [
        ("upload", "refused"), ("upload", "ok"), ("correct", "ok"), ("delete", "ok")]
    assert entries[1]["target"] == doc_id and entries[2]["target"] == clause and entries[3]["target"] == doc_id
    assert entries[1]["actor"].startswith("key:") and KEY not in lines[1]  # who, never the key
    assert entries[0]["actor"] == "anonymous" and entries[0]["status"] == 401

    from congvan.service.cli import main

    assert main(["audit", "--index", str(tmp_path / "index"), "--action", "delete", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [e["target"] for e in shown] == [doc_id]
    assert main(["audit", "--index", str(tmp_path / "index"), "--since", "not-a-date"]) == 1

    assert client.get("/admin/audit", follow_redirects=False).status_code == 303  # needs the key
    page = client.get("/admin/audit", params={"action": "upload"}, headers=key)
    assert page.status_code == 200 and doc_id in page.text and "refused" in page.text
    assert "delete" not in page.text.split("<tbody>")[1]
