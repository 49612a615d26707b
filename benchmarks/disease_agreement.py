"""Letter- and clause-level diseases against the real-letter annotations (micro P/R/F1).

Usage: python benchmarks/disease_agreement.py [--shared ../shared]
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


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = ap.parse_args()
    letters: dict[str, set[str]] = {}
    clauses: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for path in sorted((ROOT / "training" / "data" / "real").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("record") == "letter":
                letters[row["file"]] = set(row.get("diseases", []))
            elif row.get("key") and row.get("kind") == "directive":
                clauses[row["file"]][row["key"]] = set(row.get("diseases", []))
    counts = {"letter": [0, 0, 0], "clause": [0, 0, 0]}
    for file, gold in letters.items():
        letter = parse_letter(clean_text((args.shared / file).read_text(encoding="utf-8")))
        got = set(letter.diseases)
        counts["letter"][0] += len(got & gold)
        counts["letter"][1] += len(got - gold)
        counts["letter"][2] += len(gold - got)
        for c in letter.clauses:
            last = c.path.split(".")[-1].split("~")[0]
            keys = [*clause_keys(c.text), clause_key(f"({last}) {c.text}"), clause_key(f"Điều {last[1:]}. {c.text}")]
            want = next((clauses[file][k] for k in keys if k in clauses[file]), None)
            if want is None:
                continue
            have = set(c.diseases)
            counts["clause"][0] += len(have & want)
            counts["clause"][1] += len(have - want)
            counts["clause"][2] += len(want - have)
    print(json.dumps({level: _prf(*v) for level, v in counts.items()}))


if __name__ == "__main__":
    main()
