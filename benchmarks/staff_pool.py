"""Pool the staff-query benchmark for judging: the command line over ``training.staff_pool``
(which takes plain arguments; this script reads the settings).

    python benchmarks/staff_pool.py pool --split test tune --out /tmp/pool
    python benchmarks/staff_pool.py apply --sheet /tmp/pool/test.jsonl --grades GRADES.tsv

See ``training/staff_pool.py`` for the method and ``training/data/search/README.md`` for the rubric.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from congvan.training import staff_bench
from congvan.training.staff_pool import SYSTEMS, apply_grades, build_pool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pool = sub.add_parser("pool", help="write the judging sheets of the chosen splits")
    pool.add_argument("--split", nargs="+", default=["test"], choices=staff_bench.SPLITS)
    pool.add_argument("--out", type=Path, required=True, help="folder OUTSIDE the repository for the sheets")
    pool.add_argument("--depth", type=int, default=10, help="top-k of each system pooled (default 10)")
    pool.add_argument("--threads", type=int, default=1, help="torch threads for txtai (default 1)")
    pool.add_argument("--seed", type=int, default=20261205, help="shuffle seed")
    pool.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS,
                      help="runs to pool (default all; after a change to congvan's ranking its own modes "
                           "are enough and txtai need not be installed)")
    apply = sub.add_parser("apply", help="write a graded sheet's judgments into the query file")
    apply.add_argument("--sheet", type=Path, required=True, help="the sheet (<out>/<split>.jsonl)")
    apply.add_argument("--grades", type=Path, required=True, help="lines '<sheet line index>\\t<grade 0|1|2>'")
    args = parser.parse_args(argv)
    if args.command == "apply":
        counts = apply_grades(args.sheet, args.grades)
        print(f"added: grade 2 = {counts[2]}, grade 1 = {counts[1]}, judged zero = {counts[0]}", file=sys.stderr)
        return 0
    out = args.out.resolve()
    if out.is_relative_to(staff_bench.REPO_ROOT):
        parser.error("--out must be outside the repository (the sheet holds letter text)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from congvan.models.encoder import ensure_builtin_model, load_encoder
    from congvan.service.config import get_settings

    settings = get_settings()
    out.mkdir(parents=True, exist_ok=True)
    for split in args.split:
        counts = build_pool(split, encoder=load_encoder(settings), benchmarks=settings.benchmarks_path,
                            work_dir=settings.home, model_folder=ensure_builtin_model(settings.model, settings.models_dir) or Path(settings.model),
                            depth=args.depth, threads=args.threads, out=out, seed=args.seed,
                            systems=tuple(args.systems))
        print(f"{split}: {json.dumps(counts)} → {out / (split + '.jsonl')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
