"""A real ``congvan serve`` process keeps answering searches while it parses a huge letter
(issue 13.3): CPU work runs in the worker pool, off the event loop. Relative delays only."""
from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path

import httpx
import pytest

from congvan.service.config import BUNDLED_MODEL
from tests.inline_letters import LAI_CHAU_LETTER
from tests.servers import congvan_serve
from tests.tagger_toy import link_base_model

ROOT = Path(__file__).resolve().parents[1]
MAX_DELAY_S = 1.0


def huge_letter(n: int = 900) -> str:
    head = LAI_CHAU_LETTER.split("1. Giao")[0]
    items = "\n\n".join(f"{i}. Giao Sở Y tế chủ trì, phối hợp với UBND huyện số {i} rà soát, tổ chức tiêm vét "
                        f"vắc xin cho người chưa tiêm đủ liều tại xã số {i}." for i in range(1, n + 1))
    return head + items + "\n\nUBND tỉnh yêu cầu các cơ quan liên quan thực hiện nghiêm túc./.\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory, encoder) -> str:  # encoder: the bundled model is converted once
    home = tmp_path_factory.mktemp("nb-home")
    link_base_model(home)
    index = tmp_path_factory.mktemp("nb-index")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGVAN_")}
    env.update(CONGVAN_HOME=str(home), CONGVAN_MODEL=BUNDLED_MODEL, CONGVAN_TAGGER="off")
    with congvan_serve(env, index / "server.log", "--index", str(index)) as srv:
        assert httpx.post(srv.base + "/api/documents", json={"text": LAI_CHAU_LETTER}, timeout=120).status_code == 200
        yield srv.base


def _search(base: str, i: int) -> float:
    start = time.perf_counter()
    resp = httpx.get(base + "/api/search", params={"q": f"tiêm vét vắc xin xã {i}"}, timeout=120)
    assert resp.status_code == 200, resp.text
    return time.perf_counter() - start


def test_a_900_clause_tag_does_not_delay_a_concurrent_search(server: str) -> None:
    for i in range(3):  # warm-up (first query, segmenter)
        _search(server, 1000 + i)
    idle = statistics.median(_search(server, i) for i in range(7))
    outcome: dict = {}

    def tag() -> None:
        start = time.perf_counter()
        outcome["resp"] = httpx.post(server + "/api/tag", json={"text": huge_letter()}, timeout=300)
        outcome["seconds"] = time.perf_counter() - start

    worker = threading.Thread(target=tag)
    worker.start()
    time.sleep(0.3)  # the body is sent and the server is parsing
    during, i = [], 100
    while worker.is_alive() and i < 400:
        during.append(_search(server, i))
        i += 1
    worker.join()
    print(f"\nidle search median {idle:.3f} s; during a {outcome['seconds']:.2f} s /api/tag: "
          f"{len(during)} searches, max {max(during or [0]):.3f} s, median {statistics.median(during or [0]):.3f} s")
    assert outcome["resp"].status_code == 200, outcome["resp"].text[:500]
    assert len(outcome["resp"].json()["clauses"]) >= 900
    assert during, "the tag ended before a search could start"
    worst = max(during)
    assert worst - idle < MAX_DELAY_S, (f"search took {worst:.2f} s during the tag vs {idle:.2f} s idle "
                                        f"(tag {outcome['seconds']:.2f} s, {len(during)} searches)")
    assert len(during) >= 2, f"the tag took only {outcome['seconds']:.2f} s: searches did not overlap it"
