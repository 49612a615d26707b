"""The app (API and staff page) on the Milvus backend: upload, search, facets, read, delete."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from congvan.index.testing import MilvusLiteServer
from congvan.service.app import create_app
from congvan.service.config import BUNDLED_MODEL, Settings
from tests.conftest import TEST_HOME

pytest.importorskip("pymilvus")
SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "letters"


def test_app_on_milvus(tmp_path, encoder):  # encoder: converts the model once
    sample = sorted(SAMPLES.glob("*.txt"))[0]
    with MilvusLiteServer(tmp_path / "milvus") as server:
        settings = Settings(home=TEST_HOME, model=BUNDLED_MODEL, index=tmp_path / "index", tagger="off",
                            backend="milvus", milvus_uri=server.uri)
        with TestClient(create_app(settings)) as client:
            up = client.post("/api/documents", files={"file": (sample.name, sample.read_bytes(), "text/plain")})
            assert up.status_code in (200, 201), up.text
            doc_id = up.json()["doc_id"]
            body = client.get("/api/search", params={"q": "biện pháp cấp bách phòng chống dịch", "top_k": 3}).json()
            assert body["hits"] and body["hits"][0]["doc_id"] == doc_id and body["total"] >= 1
            assert client.get("/api/search", params={"q": "biện pháp phòng chống dịch", "year": 1990}).json()["hits"] == []
            page = client.get("/", params={"q": "bien phap phong chong dich"})
            assert page.status_code == 200 and "<mark>" in page.text
            assert client.get(f"/letters/{doc_id}").status_code == 200
            assert client.delete(f"/api/documents/{doc_id}").status_code == 200
            assert client.get("/api/search", params={"q": "biện pháp phòng chống dịch"}).json()["hits"] == []
