"""How many annotated clause keys of the real corpus the parser emits (a check of clause cutting).

Usage: python benchmarks/clause_coverage.py [--shared ../shared] [--missing]
The annotations (``training/data/real/*.jsonl``) are keyed by ``clause_keys(text)``; a clause the
parser cuts differently (merged with the next item, split mid-sentence) does not match its key.
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from congvan.letters.parse import parse_letter
from congvan.letters.text import clean_text
from congvan.training.clause_keys import clause_key, clause_keys

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--missing", action="store_true", help="list the files with unmatched keys")
    args = ap.parse_args()
    wanted: dict[str, set[str]] = defaultdict(set)
    for path in sorted((ROOT / "training" / "data" / "real").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("key"):
                wanted[row["file"]].add(row["key"])
    total = found = 0
    for file, keys in sorted(wanted.items()):
        text = clean_text((args.shared / file).read_text(encoding="utf-8"))
        emitted: set[str] = set()
        for c in parse_letter(text, source=file).clauses:
            emitted.update(clause_keys(c.text))
            # annotators kept a "(1)" / "(a)" marker in the text they keyed; the parser drops it
            last = c.path.split(".")[-1].split("~")[0]
            emitted.add(clause_key(f"({last}) {c.text}"))
            if last.startswith("Đ"):  # and "Điều 2." in front of an article's text
                emitted.add(clause_key(f"Điều {last[1:]}. {c.text}"))
        hit = len(keys & emitted)
        total += len(keys)
        found += hit
        if args.missing and hit < len(keys):
            print(f"{file}: {hit}/{len(keys)}")
    print(json.dumps({"letters": len(wanted), "annotated": total, "emitted": found,
                      "coverage": round(found / total, 4) if total else None}))


if __name__ == "__main__":
    main()
