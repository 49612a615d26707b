"""Serve at once, train in the background: a real server on a home without any tagger answers an
upload with provisional themes, the fine-tuning job (smoke preset, its own process) runs, and its
model is swapped in without a restart; stored clauses are re-tagged, staff corrections kept."""
from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from tests.inline_letters import LAI_CHAU_LETTER
from tests.servers import congvan_serve
from tests.tagger_toy import link_base_model

pytestmark = pytest.mark.slow


@pytest.fixture()
def server(tmp_path: Path):
    home = tmp_path / "home"
    link_base_model(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGVAN_")}
    env.update(CONGVAN_HOME=str(home), CONGVAN_TAGGER_PRESET="smoke", CONGVAN_SHARED_DIR=str(tmp_path / "none"))
    try:
        with congvan_serve(env, tmp_path / "server.log", timeout=240, poll=0.5) as srv:
            yield srv.base, home, srv.log_path
    finally:
        _stop_worker(home)


def _stop_worker(home: Path) -> None:
    """The job outlives the server by design; a test must not leave one behind."""
    from congvan.service.jobs import job_alive, read_state

    state = read_state(home) or {}
    pid = state.get("pid")
    if pid and job_alive(home):
        os.kill(int(pid), 15)


def _jobs(base: str) -> dict:
    # a generous read timeout: this test is about the swap, not latency (tests/test_server_ops.py
    # and tests/test_nonblocking.py time the server under load); on 2 cores shared with the
    # training worker and other work, one poll once took over 30 s
    r = httpx.get(f"{base}/api/jobs", timeout=120)
    assert r.status_code == 200
    return r.json()


def test_upload_gets_provisional_themes_then_the_fine_tuned_tagger_is_swapped_in(server) -> None:
    base, home, log = server
    # 0. the provisional tagger is fitted by the server's start-up thread (seconds); requests
    #    meanwhile answer without themes rather than wait
    deadline = time.monotonic() + 300
    while "TF-IDF" not in (_jobs(base)["tagger"] or {}).get("name", ""):
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(1)
    # 1. an upload: answered by the provisional tagger, no training in the request
    r = httpx.post(f"{base}/api/documents", json={"text": LAI_CHAU_LETTER, "filename": "lc.txt"}, timeout=90)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tagger"]["provisional"] is True and "TF-IDF" in body["tagger"]["name"], \
        (body["tagger"], log.read_text()[-3000:])
    directive = [c for c in body["clauses"] if c["kind"] == "directive"]
    assert any(c["themes"] for c in directive)
    assert not (home / "models" / "tagger" / "manifest.json").exists()  # nothing fine-tuned in the request

    # 2. the job runs in another process, its progress is visible in the API and on the page
    status = _jobs(base)
    assert status["tagger"]["provisional"] is True
    job = status["jobs"][0]
    assert job["job"] == "train-tagger" and job["status"] in ("queued", "running", "done")
    assert job.get("pid") and job["pid"] != os.getpid()
    page = httpx.get(f"{base}/", timeout=30).text
    if job["status"] != "done":
        assert "tagger-banner" in page and "tạm thời" in page

    # 3. a staff correction made before the swap
    corrected = directive[0]
    r = httpx.post(f"{base}/api/clauses/{corrected['clause_id']}/labels",
                   json={"themes": ["economy"], "lead": corrected["agencies"]["lead"],
                         "support": corrected["agencies"]["support"]}, timeout=30)
    assert r.status_code == 200, r.text

    # 4. the job finishes, passes the gate (no default yet) and is swapped in without a restart
    deadline = time.monotonic() + 600
    while True:
        status = _jobs(base)
        job = status["jobs"][0]
        assert job["status"] not in ("failed", "interrupted", "refused"), (job, log.read_text()[-3000:])
        if not status["tagger"]["provisional"] and status["retag"].get("status") == "done":
            break
        assert time.monotonic() < deadline, (status, log.read_text()[-3000:])
        time.sleep(2)
    assert job["status"] == "done" and job["percent"] == 100.0 and job["promoted"] is True
    assert (home / "models" / "tagger" / "manifest.json").is_file()
    assert status["retag"]["done"] >= len(directive) - 1

    # 5. new uploads and the stored clauses now carry the fine-tuned tagger's themes; the
    #    corrected clause kept its correction
    r = httpx.post(f"{base}/api/tag", json={"text": LAI_CHAU_LETTER}, timeout=90)
    assert r.json()["tagger"]["provisional"] is False
    stored = httpx.get(f"{base}/api/documents/{body['doc_id']}", timeout=30).json()
    by_id = {c["clause_id"]: c for c in stored["clauses"]}
    assert [t["id"] for t in by_id[corrected["clause_id"]]["themes"]] == ["economy"]
    fresh = {c["clause_id"]: [t["id"] for t in c["themes"]] for c in r.json()["clauses"]}
    others = [c for c in directive[1:] if c["clause_id"] in fresh]
    # re-tagged by the fine-tuned model: not the provisional scores any more, and the same themes as
    # a fresh tagging up to themes at the threshold (int8 lower layers make scores depend a little
    # on which clauses share a batch)
    assert others
    for c in others:
        stored_c = by_id[c["clause_id"]]["themes"]
        assert [(t["id"], t["score"]) for t in stored_c] != [(t["id"], t["score"]) for t in c["themes"]]
        got = {t["id"] for t in stored_c}
        assert got & set(fresh[c["clause_id"]]) or not (got or fresh[c["clause_id"]]), (got, fresh)
    assert "tagger-banner" not in httpx.get(f"{base}/", timeout=30).text


def test_a_dead_worker_is_reported_and_restarted_cleanly(tmp_path: Path) -> None:
    """State says running but no process holds the lock (a reboot): reported as interrupted, and
    the next start begins a fresh attempt instead of waiting forever."""
    from congvan.service.jobs import job_status, start_training_job, write_state

    home = tmp_path / "home"
    write_state(home, status="running", pid=999999, percent=40.0, preset="smoke", attempt=1)
    assert job_status(home)["status"] == "interrupted"
    state = start_training_job(home, "smoke", reason="test", env={"CONGVAN_TAGGER_PRESET": "smoke"})
    try:
        assert state["status"] == "queued" and state["attempt"] == 2 and state["percent"] == 0.0
        assert state["pid"] and state["pid"] != 999999
        again = start_training_job(home, "smoke")  # one at a time: no second worker
        assert again["pid"] == state["pid"]
    finally:
        try:
            os.kill(int(state["pid"]), 15)
        except ProcessLookupError:
            pass
