"""Every non-empty text of ../shared/benchmarks must ingest (interface v2): the share that gives
at least one clause, over every vilegalbert row and every UIT-ViCoV19QA answer.

Usage: python benchmarks/ingest_all.py [--shared ../shared] [--limit N]
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from congvan.letters.pipeline import letter_from_text
from congvan.letters.text import clean_text

ROOT = Path(__file__).resolve().parent.parent
csv.field_size_limit(sys.maxsize)


def texts(shared: Path) -> Iterator[tuple[str, str]]:
    for split in ("train", "validation", "test"):
        with open(shared / "benchmarks" / "vilegalbert" / f"{split}.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                yield f"vilegalbert/{split}/{row['id']}", row["text"]
    for split in ("train", "val", "test"):
        path = shared / "benchmarks" / "uit_vicov19qa" / f"UIT-ViCoV19QA_1ans_{split}.csv"
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="|")
            next(reader)
            for row in reader:
                if len(row) >= 3:
                    yield f"vicov19qa/{split}/{row[0]}", row[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--limit", type=int, default=0, help="stop after N texts (0 = all)")
    args = ap.parse_args()
    total = ok = 0
    failed: list[str] = []
    for n, (name, text) in enumerate(texts(args.shared)):
        if args.limit and n >= args.limit:
            break
        if not any(ch.isalpha() for ch in clean_text(text)):
            continue  # empty: not a text to ingest
        total += 1
        if letter_from_text(text, source=name).clauses:
            ok += 1
        else:
            failed.append(name)
    print(json.dumps({"texts": total, "ingested": ok, "share": round(ok / total, 4) if total else None,
                      "failed": failed[:20]}))


if __name__ == "__main__":
    main()
