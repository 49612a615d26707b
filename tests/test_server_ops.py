"""A real ``congvan serve`` (uvicorn subprocess, loopback) started cold and without a tagger:
it listens at once, liveness and readiness are separate, 20 concurrent first searches all get
200, every response carries the security headers, ``/docs`` needs no internet, and SIGTERM
stops it within seconds."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from congvan.service.config import BUNDLED_MODEL
from tests.conftest import TEST_HOME
from tests.servers import congvan_serve

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "letters"

COLD_SEGMENTER = """
import threading
from congvan.letters.tokenize import segment
errors, done = [], []
start = threading.Barrier(8)
def work():
    start.wait()
    try:
        done.append(len(segment("Tăng cường biện pháp tiêm vét vắc xin phòng COVID-19 tại xã")))
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=work) for _ in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
print("errors", errors, "done", len(done))
assert not errors and len(done) == 8
"""


def test_cold_segmenter_is_safe_from_many_threads() -> None:
    """underthesea half-loaded in one thread used to crash the others (NoneType has no 'process')."""
    out = subprocess.run([sys.executable, "-c", COLD_SEGMENTER], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


def _home_without_tagger(folder: Path) -> Path:
    """A CONGVAN_HOME with the converted encoder but no trained tagger."""
    models = folder / "models"
    models.mkdir(parents=True)
    (models / "multilingual-e5-small").symlink_to(TEST_HOME / "models" / "multilingual-e5-small",
                                                  target_is_directory=True)
    return folder


def _build_index(folder: Path, encoder) -> int:
    from congvan.index.collection import Collection
    from congvan.letters.pipeline import letter_from_file

    letters = [letter_from_file(p) for p in sorted(SAMPLES.glob("*.txt"))]
    with Collection.open(folder, encoder) as col:
        col.ingest_letters(letters)
    return len(letters)


@pytest.fixture(scope="module")
def cold_server(tmp_path_factory, encoder):
    """Index first, then a server started on it; yields (base URL, process, log path)."""
    index = tmp_path_factory.mktemp("ops-index")
    _build_index(index, encoder)
    home = _home_without_tagger(tmp_path_factory.mktemp("ops-home"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGVAN_")}
    env.update(CONGVAN_HOME=str(home), CONGVAN_MODEL=BUNDLED_MODEL, CONGVAN_TAGGER="auto",
               CONGVAN_QUERY_THREADS="1")
    # liveness only: the first searches go out before the server is warm
    with congvan_serve(env, index / "server.log", "--index", str(index), timeout=120, poll=0.05) as srv:
        yield srv.base, srv.proc, srv.log_path


def test_cold_server_answers_20_concurrent_first_searches(cold_server) -> None:
    base, _proc, log_path = cold_server
    first = httpx.get(base + "/healthz", timeout=5).json()
    assert first["status"] == "ok"

    def search(i: int) -> tuple[int, str]:
        r = httpx.get(base + "/api/search", params={"q": ["tiêm vét", "sốt xuất huyết", "tay chân miệng",
                                                          "trường học"][i % 4]}, timeout=120)
        return r.status_code, r.headers.get("content-type", "")

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(search, range(20)))
    assert [code for code, _ in results] == [200] * 20, (results, log_path.read_text()[-3000:])
    ready = httpx.get(base + "/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["ready"] is True
    health = httpx.get(base + "/healthz", timeout=5).json()
    assert health["documents"] == 6 and health["clauses"] > 0
    assert health["tagger"] == "missing"  # no tagger, and no training blocked start-up
    assert "Traceback" not in log_path.read_text()


def test_security_headers_on_every_response_and_docs_offline(cold_server) -> None:
    base, _proc, _log = cold_server
    for path in ("/api/search?q=ti%C3%AAm", "/api/documents/nope", "/healthz", "/openapi.json",
                 "/docs", "/docs/static/init.js"):
        r = httpx.get(base + path, timeout=60)
        assert r.headers.get("x-content-type-options") == "nosniff", path
        assert r.headers.get("x-frame-options") == "DENY", path
        assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", ""), path
    docs = httpx.get(base + "/docs", timeout=10)
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower() and "<script>" not in docs.text  # no CDN, no inline script
    assert "script-src 'self';" in docs.headers["content-security-policy"]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "init.js"):
        r = httpx.get(base + "/docs/static/" + asset, timeout=10)
        assert r.status_code == 200 and len(r.content) > 100, asset
    assert httpx.get(base + "/docs/static/..%2Fsecret", timeout=10).status_code == 404
    assert "/api/search" in httpx.get(base + "/openapi.json", timeout=10).json()["paths"]


def test_health_answers_while_the_first_tag_runs_on_a_home_without_a_tagger(cold_server) -> None:
    """No tagger in this home: the first /api/tag never trains inside the request (the
    provisional tagger answers, fine-tuning is a background job), and /healthz keeps answering."""
    base, _proc, log_path = cold_server
    from tests.inline_letters import LAI_CHAU_LETTER

    with ThreadPoolExecutor(1) as pool:
        tagging = pool.submit(httpx.post, base + "/api/tag", json={"text": LAI_CHAU_LETTER}, timeout=600)
        slowest = 0.0
        while not tagging.done():
            t0 = time.monotonic()
            assert httpx.get(base + "/healthz", timeout=30).status_code == 200
            slowest = max(slowest, time.monotonic() - t0)
            time.sleep(0.2)
        tagged = tagging.result()
    assert tagged.status_code == 200, tagged.text
    assert tagged.json()["tagger"]["provisional"] is True  # no fine-tuned tagger yet: marked so
    assert slowest < 10, f"/healthz took {slowest:.1f} s while a letter was tagged"
    assert httpx.get(base + "/api/search", params={"q": "sốt xuất huyết"}, timeout=60).status_code == 200


def test_sigterm_stops_the_server_within_seconds(cold_server) -> None:
    base, proc, log_path = cold_server
    assert httpx.get(base + "/healthz", timeout=5).status_code == 200
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("server ignored SIGTERM for 15 s:\n" + log_path.read_text()[-2000:])
    # uvicorn shuts down cleanly, then re-raises the signal (exit status -15)
    assert proc.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in log_path.read_text()
