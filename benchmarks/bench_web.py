"""Latency of the staff web page against a running server: the full search results page
(ranked clauses + facet counts + rendered HTML) as a browser receives it.

    congvan ingest samples/letters            # or any index
    congvan serve --port 8000 &
    .venv/bin/python benchmarks/bench_web.py --url http://127.0.0.1:8000 --requests 100

Each request is a GET, timed until the whole HTML body has arrived; warm-up requests are not
counted. Kinds of request:

- *new query*: a query the server has not seen (base queries, accented and tone-less, some with
  facet filters, each combined with a different extra word), so the query is embedded: this is
  "first results" for a staff member typing a search;
- *same query, next page / facet*: the query repeated with a page number or a facet filter (what
  clicking in the results does); the page reuses the cached query vector;
- the JSON API (``/api/search``) for comparison, and the letter view.

Prints p50 / p95 / max per kind and checks the target (new-query p95 < 300 ms).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import httpx

QUERIES = [
    {"q": "tiêm vét vắc xin"},
    {"q": "tiem vet vac xin"},
    {"q": "sốt xuất huyết"},
    {"q": "sot xuat huyet"},
    {"q": "biện pháp phòng, chống dịch COVID-19"},
    {"q": "bien phap phong chong dich"},
    {"q": "giám sát tại cửa khẩu"},
    {"q": "trường học mầm non tay chân miệng"},
    {"q": "2116/BYT-DP"},
    {"q": "tuyên truyền người dân", "year": "2023"},
    {"q": "phong chong dich", "province": "Lạng Sơn"},
    {"q": "tiêm chủng", "agency": "so_y_te"},
]
TARGET_MS = 300.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed_get(client: httpx.Client, path: str, params: dict | None = None) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    resp = client.get(path, params=params)
    _ = resp.content  # the whole body
    return (time.perf_counter() - start) * 1000, resp


EXTRA = ["khẩn trương", "trên địa bàn", "cộng đồng", "người dân", "kịp thời", "nghiêm túc",
         "cơ sở y tế", "huyện", "xã phường", "hướng dẫn", "kiểm tra", "báo cáo", "tổ chức", "bảo đảm",
         "theo dõi", "chủ động", "phối hợp", "triển khai", "tăng cường", "thường xuyên"]
NEW_PAGE = "search page, new query"
SAME_PAGE = "search page, same query (page 2 / facet)"
API = "search API, new query"
LETTER = "letter view (/letters/…)"


def new_queries(n: int, offset: int = 0) -> list[dict]:
    """``n`` distinct queries: each base query with a different extra word."""
    out = []
    for i in range(offset, offset + n):
        base = dict(QUERIES[i % len(QUERIES)])
        base["q"] = f"{base['q']} {EXTRA[(i // len(QUERIES)) % len(EXTRA)]}"
        out.append(base)
    return out


def run(url: str, n: int, warmup: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {NEW_PAGE: [], SAME_PAGE: [], API: [], LETTER: []}
    with httpx.Client(base_url=url, timeout=60) as client:
        health = client.get("/healthz").json()
        print(f"server {url}: {health['documents']} letters, {health['clauses']} clauses, model {health['model']}")
        for params in new_queries(warmup, offset=len(QUERIES) * len(EXTRA) - warmup):
            timed_get(client, "/", params)
        letter_urls = []
        for params in new_queries(n):
            ms, resp = timed_get(client, "/", params)
            resp.raise_for_status()
            if 'class="hit"' not in resp.text and "Không tìm thấy" not in resp.text:
                raise SystemExit(f"unexpected page for {params}: {resp.text[:300]}")
            timings[NEW_PAGE].append(ms)
            follow = {**params, "page": 2} if "province" in params or "year" in params else {**params, "year": "2022"}
            ms, resp = timed_get(client, "/", follow)
            resp.raise_for_status()
            timings[SAME_PAGE].append(ms)
        for params in new_queries(n, offset=n):
            ms, resp = timed_get(client, "/api/search", params)
            resp.raise_for_status()
            timings[API].append(ms)
            hits = resp.json()["hits"]
            if hits:
                letter_urls.append(f"/letters/{hits[0]['doc_id']}?clause={hits[0]['clause_id']}")
        for i in range(min(n, len(letter_urls))):
            ms, resp = timed_get(client, letter_urls[i])
            resp.raise_for_status()
            timings[LETTER].append(ms)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="base URL of a running congvan serve")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per kind (≥ 50)")
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)
    if args.requests < 50:
        parser.error("use at least 50 requests")
    try:
        timings = run(args.url.rstrip("/"), args.requests, args.warmup)
    except httpx.ConnectError:
        print(f"no server at {args.url}: start one with `congvan serve --port …`", file=sys.stderr)
        return 2
    print(f"\n{'request':<42}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'mean ms':>10}")
    for name, values in timings.items():
        if not values:
            continue
        print(f"{name:<42}{len(values):>5}{percentile(values, 50):>10.1f}{percentile(values, 95):>10.1f}"
              f"{max(values):>10.1f}{statistics.fmean(values):>10.1f}")
    p95 = percentile(timings[NEW_PAGE], 95)
    verdict = "meets" if p95 < TARGET_MS else "MISSES"
    print(f"\nsearch page p95 {p95:.0f} ms {verdict} the target of first results < {TARGET_MS:.0f} ms")
    return 0 if p95 < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
