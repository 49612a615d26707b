"""Window vectors: which window size and length threshold, measured on a benchmark split.

Usage (needs CONGVAN_SHARED_DIR or CONGVAN_BENCHMARKS_DIR, like ``congvan evaluate search``):

    python benchmarks/window_vectors.py --benchmark alqac --split train \
        --configs none 80/100 80/136 64/136

    python benchmarks/window_vectors.py --ingest-cost ../shared/real_letters
    python benchmarks/window_vectors.py --latency --benchmark alqac --split test

Each config ``WORDS/MIN`` sets ``index.windows.WINDOW_WORDS`` and ``MIN_WORDS`` (``none``: no
clause gets windows) and evaluates bm25, dense and hybrid with the configured encoder. Every
config gets its own benchmark index (the windows' sizes are part of its cache key), so the first
run of a config embeds the corpus and its windows once (ALQAC: ~3 min on 2 cores). Choose on
tuning splits (``alqac train``, ``vicov19qa val``, ``staff tune``), report on ``test``.

``--ingest-cost DIR`` instead ingests the letters of DIR (read and parsed once) into two fresh
collections, without windows and with the shipped sizes, and prints the embedding and storing
time and the vectors each made: what window vectors cost a real upload. ``--latency`` times
``Collection.rank`` (hybrid, query vectors precomputed) on the split's questions with window
scoring off (vector and keyword windows at 0) and as shipped, two alternating passes: what
reading and scoring the candidates' windows adds to a long query.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from congvan.index import windows
from congvan.models.encoder import load_encoder
from congvan.service.config import Settings
from congvan.training.eval_search import BENCHMARKS, SPLITS, evaluate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Compare window-vector sizes on a benchmark split.")
    ap.add_argument("--benchmark", choices=BENCHMARKS, default="alqac")
    ap.add_argument("--split", default="train", help="train/val/tune to choose; test to report")
    ap.add_argument("--configs", nargs="+", default=["none", f"{windows.WINDOW_WORDS}/{windows.MIN_WORDS}"],
                    help="WORDS/MIN pairs, or 'none' (default: none and the shipped sizes)")
    ap.add_argument("--modes", nargs="+", default=["dense", "hybrid"])
    ap.add_argument("--ingest-cost", type=Path, metavar="DIR",
                    help="measure what windows cost an ingest of the letters in DIR instead")
    ap.add_argument("--latency", action="store_true",
                    help="time ranking with and without windows on the split's queries instead")
    args = ap.parse_args(argv)
    if args.latency:
        return latency(args.benchmark, args.split)
    if args.ingest_cost:
        return ingest_cost(args.ingest_cost)
    if args.split not in SPLITS[args.benchmark]:
        ap.error(f"{args.benchmark} has splits {', '.join(SPLITS[args.benchmark])}")
    settings = Settings()
    encoder = load_encoder(settings)
    print("| windows (words/min) | mode | R@1 | R@10 | MRR@10 | nDCG@10 | s |\n|---|---|---|---|---|---|---|")
    rows = []
    for config in args.configs:
        if config == "none":
            windows.MIN_WORDS = 10**9
        else:
            size, least = (int(x) for x in config.split("/"))
            windows.WINDOW_WORDS, windows.MIN_WORDS = size, least
        for mode in args.modes:
            t0 = time.perf_counter()
            r = evaluate(args.benchmark, args.split, mode, encoder=encoder, benchmarks=settings.benchmarks_path,
                         work_dir=settings.home, show_progress=True)
            r["windows"] = config
            rows.append(r)
            print(f"| {config} | {mode} | {r['recall@1']:.3f} | {r['recall@10']:.3f} | {r['mrr@10']:.3f} | "
                  f"{r['ndcg@10']:.3f} | {time.perf_counter() - t0:.0f} |", flush=True)
    print(json.dumps(rows, ensure_ascii=False), file=sys.stderr)
    return 0


def latency(benchmark: str, split: str) -> int:
    import numpy as np

    from congvan.training.eval_search import _prepare

    settings = Settings()
    prep = _prepare(benchmark, split, encoder=load_encoder(settings), benchmarks=settings.benchmarks_path,
                    work_dir=settings.home, show_progress=True)
    col = prep.col
    print(f"{benchmark} {split}: {len(prep.terms)} queries\n| windows | rank p50 ms | rank p95 ms |\n|---|---|---|")
    for _ in range(2):
        for share in (0.0, 1.0):
            params = col.params.with_(window_vectors=share * col.params.window_vectors,
                                      keyword_windows=share * col.params.keyword_windows)
            took = []
            for terms, qv in zip(prep.terms, prep.vectors):
                t0 = time.perf_counter()
                col.rank(terms, mode="hybrid", params=params, query_vector=qv)
                took.append((time.perf_counter() - t0) * 1000)
            print(f"| {'on' if share else 'off'} | {np.percentile(took, 50):.1f} | {np.percentile(took, 95):.1f} |",
                  flush=True)
    col.close()
    return 0


def ingest_cost(folder: Path) -> int:
    from congvan.index.collection import Collection
    from congvan.letters.pipeline import iter_letter_files, letter_from_file

    encoder = load_encoder(Settings())
    letters = []
    for path in iter_letter_files([folder])[0]:
        try:
            letters.append(letter_from_file(path))
        except Exception as exc:  # noqa: BLE001 - a file the product refuses is not this measure
            print(f"  skipped {path.name}: {exc}", file=sys.stderr)
    clauses = sum(len(letter.clauses) for letter in letters)
    encoder.encode_passages(["khởi động"])  # warm-up
    print(f"{len(letters)} letters, {clauses} clauses\n| windows | ingest s | clause vectors | window vectors |\n"
          "|---|---|---|---|")
    shipped = windows.MIN_WORDS
    for label, least in (("none", 10**9), (f"{windows.WINDOW_WORDS}/{shipped}", shipped)):
        windows.MIN_WORDS = least
        with tempfile.TemporaryDirectory() as tmp:
            col = Collection.open(Path(tmp) / "idx", encoder)
            t0 = time.perf_counter()
            col.ingest_letters(letters)
            took = time.perf_counter() - t0
            stored = col.store.windows_by_id(col.store.clause_ids().tolist())
            print(f"| {label} | {took:.1f} | {col.stats()['clauses']} | "
                  f"{sum(m.shape[0] for m in stored.values())} |", flush=True)
            col.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
