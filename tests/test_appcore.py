"""The application core through the real app: content identity (issue 13.1), the worker pool's
429 (13.3), ``/api/tag`` behind the write key, and every write route carrying its check."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from congvan.service.app import create_app
from congvan.service.config import BUNDLED_MODEL, Settings
from congvan.service.http.access import (
    WRITE_GUARDS,
    check_write_routes,
    route_guards,
    unguarded_write_routes,
    write_routes,
)
from congvan.service.http.routing import write_router
from congvan.service.http.security import require_writer
from tests.inline_letters import LAI_CHAU_LETTER
from tests.tagger_toy import link_base_model
from tests.test_readers import encode_tcvn3, encode_vni

OTHER_LETTER = """UỶ BAN NHÂN DÂN
TỈNH LẠNG SƠN

Số: 45/UBND-KGVX
Lạng Sơn, ngày 12 tháng 4 năm 2023

V/v tăng cường phòng, chống sốt xuất huyết

Kính gửi: Sở Y tế; UBND các huyện, thành phố.

1. Sở Y tế chủ trì giám sát, phát hiện sớm các ổ dịch sốt xuất huyết.

2. UBND các huyện, thành phố tổ chức chiến dịch diệt bọ gậy tại khu dân cư.
"""


@contextmanager
def started(app):
    """A TestClient whose app has finished its background start-up (``/readyz`` is 200)."""
    with TestClient(app) as c:
        for _ in range(1200):
            if c.get("/readyz").status_code == 200:
                break
            time.sleep(0.1)
        yield c


@pytest.fixture(scope="module")
def home(tmp_path_factory, encoder) -> Path:  # encoder: the bundled model is converted once
    home = tmp_path_factory.mktemp("core-home")
    link_base_model(home)
    return home


def settings_for(home: Path, index: Path, **extra) -> Settings:
    return Settings(home=home, model=BUNDLED_MODEL, index=index, tagger="off", **extra)


@pytest.fixture(scope="module")
def client(home: Path, tmp_path_factory):
    with started(create_app(settings_for(home, tmp_path_factory.mktemp("core-index")))) as c:
        yield c


def upload(client: TestClient, name: str, data: bytes, **headers):
    return client.post("/api/documents", files={"file": (name, data, "text/plain")}, headers=headers)


# --------------------------------------------------------------------------- identity (13.1)
def test_two_different_letters_named_congvan_txt_both_stay(client: TestClient) -> None:
    before = client.get("/healthz").json()["documents"]
    first = upload(client, "congvan.txt", LAI_CHAU_LETTER.encode())
    second = upload(client, "congvan.txt", OTHER_LETTER.encode())
    assert first.status_code == 200 and second.status_code == 200, second.text
    a, b = first.json(), second.json()
    assert a["doc_id"] != b["doc_id"]
    assert b["status"] == "added" and b["replaced"] == [] and b["status_text"]
    assert client.get(f"/api/documents/{a['doc_id']}").status_code == 200  # the first one is still there
    assert client.get(f"/api/documents/{b['doc_id']}").status_code == 200
    assert client.get("/healthz").json()["documents"] == before + 2
    again = upload(client, "another name.txt", LAI_CHAU_LETTER.encode()).json()
    assert again["doc_id"] == a["doc_id"] and again["status"] == "unchanged"
    assert client.get("/healthz").json()["documents"] == before + 2


@pytest.mark.parametrize("encode", [encode_tcvn3, encode_vni], ids=["tcvn3", "vni"])
def test_same_letter_utf8_and_legacy_encoded_get_one_doc_id(client: TestClient, encode) -> None:
    utf8 = upload(client, "utf8.txt", OTHER_LETTER.encode()).json()
    # One TCVN3 font has no upper-case toned letters: such copies come lower-cased.
    legacy = upload(client, "legacy.txt", encode(OTHER_LETTER.lower())).json()
    assert legacy["doc_id"] == utf8["doc_id"]
    assert legacy["status"] == "unchanged"
    stored = client.get(f"/api/documents/{utf8['doc_id']}").json()
    assert stored["document"]["issuer"] == utf8["document"]["issuer"]  # the better-cased copy stays
    tagged = client.post("/api/tag", files={"file": ("x.txt", encode(OTHER_LETTER.lower()), "text/plain")})
    assert tagged.json()["document"]["doc_id"] == utf8["doc_id"]  # tag and store agree on the id


def test_upload_page_says_what_happened(client: TestClient) -> None:
    import re

    page = client.get("/upload")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    first = client.post("/upload", data={"csrf_token": token},
                        files={"file": ("congvan.txt", LAI_CHAU_LETTER.encode(), "text/plain")})
    assert first.status_code == 200 and "Đã có trong kho (nội dung không đổi)" in first.text


CITED_LETTER = """BỘ Y TẾ

Số: 4968/BYT-DP
Hà Nội, ngày 16 tháng 9 năm 2022

V/v tăng tốc độ tiêm vắc xin phòng COVID-19

Kính gửi: Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương.

1. Rà soát, tổ chức tiêm vét cho người chưa tiêm đủ liều.

2. Báo cáo kết quả tiêm chủng hằng tuần.
"""


def test_a_stored_letter_lists_its_resolved_references_and_citing_letters(client: TestClient) -> None:
    cited = upload(client, "byt.txt", CITED_LETTER.encode()).json()
    citing = upload(client, "congvan.txt", LAI_CHAU_LETTER.encode()).json()
    read = client.get(f"/api/documents/{citing['doc_id']}").json()
    ref = next(r for r in read["document"]["references"] if r["number"] == "4968/BYT-DP")
    assert ref["doc_ids"] == [cited["doc_id"]]
    back = client.get(f"/api/documents/{cited['doc_id']}").json()
    assert citing["doc_id"] in [c["doc_id"] for c in back["cited_by"]]
    faceted = client.get("/api/search", params={"q": "tiêm vét", "facets": "true"}).json()
    years = next(f for f in faceted["facets"] if f["name"] == "year")["values"]
    assert sum(v["count"] for v in years) == faceted["total"]  # the page's facets, over the API


# --------------------------------------------------------------------------- access
def test_every_write_route_carries_a_write_check(client: TestClient) -> None:
    app = client.app
    writes = write_routes(app.routes)
    assert ("POST", "/api/documents") in writes and ("POST", "/api/clauses/{clause_id}/labels") in writes
    assert ("POST", "/upload") in writes and ("DELETE", "/api/documents/{doc_id}") in writes
    for key, route in writes.items():
        assert route_guards(route) & set(WRITE_GUARDS), f"{key} has no access check"
    for key in (("POST", "/api/documents"), ("DELETE", "/api/documents/{doc_id}"),
                ("POST", "/api/clauses/{clause_id}/labels")):
        assert require_writer in route_guards(writes[key]), key
    assert unguarded_write_routes(app.routes) == []


def test_an_unguarded_write_route_cannot_be_served() -> None:
    app = FastAPI()

    @app.post("/api/oops")
    def oops() -> dict:
        return {}

    with pytest.raises(RuntimeError, match="POST /api/oops"):
        check_write_routes(app.routes)
    with pytest.raises(ValueError):
        write_router(lambda: None)


def test_tag_follows_the_write_key(home: Path, tmp_path: Path) -> None:
    body = {"text": LAI_CHAU_LETTER}
    with started(create_app(settings_for(home, tmp_path / "a", api_key="k3y"))) as c:
        assert c.post("/api/tag", json=body).status_code == 401
        assert c.post("/api/tag", json=body, headers={"X-API-Key": "k3y"}).status_code == 200
        assert c.get("/api/search", params={"q": "tiêm"}).status_code == 200  # reading stays open
    with started(create_app(settings_for(home, tmp_path / "b", api_key="k3y", tag_requires_key=False))) as c:
        assert c.post("/api/tag", json=body).status_code == 200


# --------------------------------------------------------------------------- queue (13.3)
def test_a_full_queue_gives_429_with_retry_after(home: Path, tmp_path: Path) -> None:
    settings = settings_for(home, tmp_path / "idx", cpu_workers=1, cpu_queue=0, retry_after_s=7)
    with started(create_app(settings)) as c:
        pool, release = c.app.state.pool, threading.Event()
        held = c.portal.start_task_soon(pool.run, release.wait)
        deadline = time.monotonic() + 30
        while pool.pending < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            busy = upload(c, "a.txt", LAI_CHAU_LETTER.encode())
            assert busy.status_code == 429, busy.text
            assert busy.headers["Retry-After"] == "7" and "thử lại" in busy.json()["detail"]
            assert c.post("/api/tag", json={"text": LAI_CHAU_LETTER}).status_code == 429
            assert c.get("/api/search", params={"q": "tiêm vét"}).status_code == 200  # reads don't queue
            assert c.get("/healthz").json()["documents"] == 0  # nothing half-stored
        finally:
            release.set()
            held.result(timeout=30)
        assert upload(c, "a.txt", LAI_CHAU_LETTER.encode()).status_code == 200


def test_work_pool_frees_its_places() -> None:
    import asyncio

    from congvan.service.workers import Busy, WorkPool

    async def main() -> None:
        pool = WorkPool(workers=1, queue=1, retry_after=3)
        gate = threading.Event()
        first = asyncio.ensure_future(pool.run(gate.wait))
        second = asyncio.ensure_future(pool.run(lambda: 2))
        await asyncio.sleep(0)
        with pytest.raises(Busy) as exc:
            await pool.run(lambda: 3)
        assert exc.value.retry_after == 3
        gate.set()
        assert await first is True and await second == 2
        assert pool.pending == 0 and await pool.run(lambda: 4) == 4
        pool.shutdown()

    asyncio.run(main())


def test_parse_workers_exit_when_the_server_is_killed(tmp_path) -> None:
    """A server killed with SIGKILL never shuts its pool down: its spawned parse workers must
    notice and exit instead of waiting for work forever (they did, found after a test run)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "server.py"
    script.write_text(
        "import asyncio, os, time\n"
        "from congvan.service.workers import WorkPool\n"
        "async def main():\n"
        "    pool = WorkPool(workers=1, processes=True)\n"
        "    print(await pool.in_process(os.getpid), flush=True)\n"
        "    time.sleep(600)\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n", encoding="utf-8")
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(server.stdout.readline())
        assert worker != server.pid
        os.kill(worker, 0)  # alive while the server is
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        try:  # reap it if it became our child (a subreaper); otherwise init does
            os.waitpid(worker, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"parse worker {worker} outlived its killed server")
