"""Distributed ingest throughput with 1 and 2 Ray workers (and a plain ingest for reference).

    .venv/bin/python benchmarks/bench_ray_ingest.py                       # samples + ../shared/real_letters
    .venv/bin/python benchmarks/bench_ray_ingest.py --limit 20 --workers 1 2

Every run starts from an empty index in a temporary folder and does the whole job: read,
parse, tag (the installed tagger, as ``congvan ingest``) and embed (the real encoder) on Ray
workers, then store (SQLite + the embedded backend) on the driver. Each worker is one actor with
``CONGVAN_WORKER_THREADS`` torch threads (default 1), so 2 workers use 2 cores. Worker start-up
(loading the encoder and the tagger) is included in the time and printed separately.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path,
                        default=[REPO / "samples" / "letters", REPO.parent / "shared" / "real_letters" / "texts"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--limit", type=int, help="only the first N files")
    parser.add_argument("--address", help="a Ray cluster (default: a local Ray with as many CPUs as workers)")
    args = parser.parse_args(argv)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")

    import ray

    from congvan.index.collection import Collection
    from congvan.letters.pipeline import iter_letter_files
    from congvan.models.encoder import load_encoder
    from congvan.service.config import get_settings
    from congvan.service.ray_ingest import default_pipeline, ray_ingest

    settings = get_settings()
    files, _ = iter_letter_files(args.paths)
    files = files[:args.limit] if args.limit else files
    print(f"{len(files)} letter files", file=sys.stderr)
    encoder = load_encoder(settings)
    rows = []
    for n in args.workers:
        folder = Path(tempfile.mkdtemp(prefix="bench-ray-"))
        try:
            if args.address:
                ray.init(address=args.address, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(num_cpus=n, include_dashboard=False, log_to_driver=False)
            t0 = time.perf_counter()
            ray.get([ray.remote(num_cpus=1)(lambda: 1).remote() for _ in range(n)])
            with Collection.open(folder, encoder) as col:
                report = ray_ingest(files, col, build=default_pipeline(settings), workers=n,
                                    max_bytes=settings.max_upload_bytes, show_progress=sys.stderr.isatty())
            total = time.perf_counter() - t0
            rows.append((n, report, total))
            print(f"workers {n}: {report.clauses} clauses of {len(report.ingested)} letters in {report.seconds:.1f} s "
                  f"→ {report.clauses_per_s:.2f} clauses/s ({len(report.skipped)} files skipped)",
                  file=sys.stderr, flush=True)
        finally:
            ray.shutdown()
            shutil.rmtree(folder, ignore_errors=True)
    print("| Ray workers | letters | clauses | seconds (incl. model loading) | clauses/s | speed-up |")
    print("|---|---|---|---|---|---|")
    base = rows[0][1].clauses_per_s if rows else 0
    for n, report, _total in rows:
        print(f"| {n} | {len(report.ingested)} | {report.clauses} | {report.seconds:.1f} | "
              f"{report.clauses_per_s:.2f} | {report.clauses_per_s / base if base else 0:.2f}× |")
    print(f"\nMachine load average: {os.getloadavg()[0]:.1f} (2 cores; > 2 means other jobs compete).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
