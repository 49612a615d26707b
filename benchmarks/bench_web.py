"""Latency of the staff web page against a running server: the full search results page
(ranked clauses + facet counts + rendered HTML) as a browser receives it.

    congvan ingest samples/letters            # or any index
    congvan serve --port 8000 &
    .venv/bin/python benchmarks/bench_web.py --url http://127.0.0.1:8000 --requests 100

Each request is a GET of ``/?q=…`` (queries rotate between accented and tone-less forms, some
with facet filters), timed until the whole HTML body has arrived; the warm-up requests are not
counted. Prints p50 / p95 / max per kind of page and checks the target (first results < 300 ms).
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


def run(url: str, n: int, warmup: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"search page (/?q=…)": [], "search API (/api/search)": [],
                                       "letter view (/letters/…)": []}
    with httpx.Client(base_url=url, timeout=60) as client:
        health = client.get("/healthz").json()
        print(f"server {url}: {health['documents']} letters, {health['clauses']} clauses, model {health['model']}")
        for i in range(warmup):
            timed_get(client, "/", QUERIES[i % len(QUERIES)])
        letter_urls = []
        for i in range(n):
            params = QUERIES[i % len(QUERIES)]
            ms, resp = timed_get(client, "/", params)
            resp.raise_for_status()
            if 'class="hit"' not in resp.text and "Không tìm thấy" not in resp.text:
                raise SystemExit(f"unexpected page for {params}: {resp.text[:300]}")
            timings["search page (/?q=…)"].append(ms)
            ms, resp = timed_get(client, "/api/search", params)
            resp.raise_for_status()
            timings["search API (/api/search)"].append(ms)
            hits = resp.json()["hits"]
            if hits:
                letter_urls.append(f"/letters/{hits[0]['doc_id']}?clause={hits[0]['clause_id']}")
        for i in range(min(n, len(letter_urls))):
            ms, resp = timed_get(client, letter_urls[i])
            resp.raise_for_status()
            timings["letter view (/letters/…)"].append(ms)
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
    print(f"\n{'page':<28}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'mean ms':>10}")
    for name, values in timings.items():
        if not values:
            continue
        print(f"{name:<28}{len(values):>5}{percentile(values, 50):>10.1f}{percentile(values, 95):>10.1f}"
              f"{max(values):>10.1f}{statistics.fmean(values):>10.1f}")
    p95 = percentile(timings["search page (/?q=…)"], 95)
    verdict = "meets" if p95 < TARGET_MS else "MISSES"
    print(f"\nsearch page p95 {p95:.0f} ms {verdict} the target of first results < {TARGET_MS:.0f} ms")
    return 0 if p95 < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
