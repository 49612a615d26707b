"""Side by side with txtai (the all-in-one framework users would otherwise pick): the same
corpus, the same converted e5 folder, txtai's hybrid index vs ours, in one run.

    python -m pip install -e ".[bench]"          # txtai + msgpack (benchmarks only)
    HF_HUB_OFFLINE=1 python benchmarks/bench_txtai.py [--benchmark alqac|staff|vicov19qa] [--split test]

Corpus: every article of the benchmark (``training.eval_search``: ALQAC = 2,131 articles). For
each system: index build time (embedding included), search p50/p95 over the split's queries
(one query at a time, the query embedding included; ours = ``Collection.search``, the call the
service makes, txtai = ``Embeddings.search``), and R@1 / R@10 / MRR@10 / nDCG@10 of the top 10.
Ours runs with the configured encoder backend (``CONGVAN_ENCODER_BACKEND``, default auto =
ONNX int8 once exported); txtai embeds with sentence-transformers on torch, the same model folder, the e5
prompts as txtai ``instructions``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from congvan.index.collection import Collection
from congvan.models.encoder import ensure_bundled_model, load_encoder
from congvan.service.config import BUNDLED_MODEL, get_settings
from congvan.training.eval_search import K, _metrics, load_benchmark


def _summary(latencies: list[float], metrics: list[dict[str, float]]) -> dict[str, float]:
    out = {"p50_ms": statistics.median(latencies), "p95_ms": float(np.percentile(latencies, 95))}
    for key in metrics[0]:
        out[key] = sum(m[key] for m in metrics) / len(metrics)
    return out


def run_ours(bench, settings, work: Path, threads: int) -> dict[str, float]:
    encoder = load_encoder(settings)
    t0 = time.perf_counter()
    col = Collection.open(work / "ours", encoder)
    col.ingest_letters(bench.letters)
    build = time.perf_counter() - t0
    col.search(bench.queries[0][1], top_k=K)  # warm-up
    lat, mets = [], []
    for _, text, relevant in bench.queries:
        t = time.perf_counter()
        res = col.search(text, top_k=K)
        lat.append((time.perf_counter() - t) * 1000)
        mets.append(_metrics([(h.doc_id, h.path) for h in res.hits], relevant))
    col.close()
    return {"build_s": build, **_summary(lat, mets), "backend": getattr(encoder, "backend", "torch")}


def run_txtai(bench, model_folder: Path, work: Path, threads: int) -> dict[str, float]:
    from congvan.training.staff_pool import txtai_setup

    emb, rows, keys = txtai_setup(bench.letters, model_folder, threads)
    t0 = time.perf_counter()
    emb.index(rows)
    build = time.perf_counter() - t0
    emb.search(bench.queries[0][1], K)  # warm-up
    lat, mets = [], []
    for _, text, relevant in bench.queries:
        t = time.perf_counter()
        res = emb.search(text, K)
        lat.append((time.perf_counter() - t) * 1000)
        mets.append(_metrics([keys[r["id"]] for r in res], relevant))
    return {"build_s": build, **_summary(lat, mets), "backend": "torch (sentence-transformers)"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="alqac", choices=["alqac", "vicov19qa", "staff"])
    parser.add_argument("--split", default="test")
    parser.add_argument("--threads", type=int, default=0, help="torch threads for txtai (0 = default)")
    args = parser.parse_args(argv)
    settings = get_settings()
    if settings.model != BUNDLED_MODEL:
        print("this benchmark compares on the bundled model folder; unset CONGVAN_MODEL", file=sys.stderr)
        return 2
    model_folder = ensure_bundled_model(settings.models_dir)
    bench = load_benchmark(args.benchmark, args.split, settings.benchmarks_path)
    n = sum(len(letter.clauses) for letter in bench.letters)
    print(f"{args.benchmark} {args.split}: {n} passages, {len(bench.queries)} queries; model {model_folder}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-txtai-") as tmp:
        ours = run_ours(bench, settings, Path(tmp), args.threads)
        print(f"  ours done (build {ours['build_s']:.0f} s): p50 {ours['p50_ms']:.1f} ms, p95 {ours['p95_ms']:.1f} ms, "
              f"MRR@10 {ours['mrr@10']:.4f}", flush=True)
        theirs = run_txtai(bench, model_folder, Path(tmp), args.threads)
        print(f"  txtai done (build {theirs['build_s']:.0f} s)", flush=True)
    print(f"\n{'system':<36}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}{'R@1':>8}{'R@10':>8}{'MRR@10':>8}{'nDCG@10':>9}")
    for name, r in ((f"congvan hybrid ({ours['backend']})", ours), (f"txtai hybrid ({theirs['backend']})", theirs)):
        print(f"{name:<36}{r['build_s']:>9.1f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['recall@1']:>8.4f}"
              f"{r['recall@10']:>8.4f}{r['mrr@10']:>8.4f}{r['ndcg@10']:>9.4f}")
    print(f"\nours / txtai: search p50 {ours['p50_ms'] / theirs['p50_ms']:.2f}×, build "
          f"{ours['build_s'] / theirs['build_s']:.2f}×, MRR@10 {ours['mrr@10'] - theirs['mrr@10']:+.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
