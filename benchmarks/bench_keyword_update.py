"""Time to add and delete one 20-clause letter in a large collection (the keyword index update).

    .venv/bin/python benchmarks/bench_keyword_update.py --folder /tmp/col100k --size 100000 [--profile]

Builds the collection once in ``--folder`` (synthetic clauses and vectors, as
``bench_search.py``: real sentences recombined, the first 64 vectors real, the rest mixed from
them), or reopens it; then, twice, ingests one 20-clause letter and deletes it, printing the
seconds each took (the first add also imports the word segmenter). ``--profile`` prints where the
first add spent its time. Reopening a folder written by an older congvan converts it first
(``open_s`` is then the conversion).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_search as bs  # noqa: E402

from congvan.index.collection import Collection  # noqa: E402
from congvan.index.derived import IndexOptions  # noqa: E402
from congvan.index.testing import make_letter  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, required=True, help="collection folder (kept for reruns)")
    parser.add_argument("--size", type=int, default=100_000, help="clauses to build up to")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    from congvan.models.encoder import load_encoder
    from congvan.service.config import get_settings

    settings = get_settings()
    sents = bs.sentences()
    fake = bs.ReusingEncoder(load_encoder(settings), 64, 0.01)
    fake.encode_passages(sents[:64])  # the pool the synthetic vectors are mixed from
    t0 = time.perf_counter()
    col = Collection.open(args.folder, fake, options=IndexOptions.from_settings(settings))
    print(json.dumps({"open_s": round(time.perf_counter() - t0, 2), "clauses": len(col.snapshot)}), flush=True)
    have = len(col.snapshot)
    if have < args.size:
        t0 = time.perf_counter()
        col.ingest_letters(bs.synthetic_letters(args.size - have, sents, seed=args.size,
                                                start=have // bs.CLAUSES_PER_LETTER + 1))
        print(json.dumps({"build_s": round(time.perf_counter() - t0, 1)}), flush=True)
    try:
        for rep in range(2):
            texts = [c.text for letter in bs.synthetic_letters(20, sents, seed=args.size + 2 + rep)
                     for c in letter.clauses]
            letter = make_letter(f"bench-add-{rep}", [(str(i + 1), "directive", t) for i, t in enumerate(texts)],
                                 source=f"bench/add-{rep}.txt", province="Lạng Sơn", date=(2024, 5, None))
            prof = cProfile.Profile() if args.profile and rep == 0 else None
            t0 = time.perf_counter()
            if prof:
                prof.enable()
            col.ingest_letters([letter])
            if prof:
                prof.disable()
            add_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            col.delete(letter.doc_id)
            print(json.dumps({"add_letter_s": round(add_s, 3), "delete_letter_s": round(time.perf_counter() - t0, 3),
                              "keyword_segments": len(col.snapshot.accented.segments)}), flush=True)
            if prof:
                pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    finally:
        col.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
