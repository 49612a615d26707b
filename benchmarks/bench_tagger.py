"""Tagging latency: a 20-clause letter through the tagger (themes + agency fallback), on this CPU.

    python benchmarks/bench_tagger.py [--model DIR] [--repeats 20] [--clauses 20] [--threads N]

The letter is made of the first 20 directive clauses of the three real seed letters
(``../shared/seeds``: long clauses, 20-220 tokens — harder than the average clause of 45 tokens)
and, second, of the first 20 team-written directive clauses of the dataset's test split. Prints the model load time and the median
and 90th-percentile wall time of ``Tagger.tag_letter`` (parsing excluded, then included).
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from congvan.letters.parse import parse_letter  # noqa: E402
from congvan.letters.schema import Letter  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"


def seed_letter(n: int) -> str:
    clauses = []
    for path in sorted(SEEDS.glob("*.txt")):
        clauses += [c.text for c in parse_letter(path.read_text(encoding="utf-8")).clauses if c.kind == "directive"]
    return _as_letter(clauses[:n])


def dataset_letter(n: int) -> str:
    from congvan.training.dataset import ensure_splits, load_records, select

    recs = load_records()
    test = [r.text for r in select(recs, ensure_splits(recs, write=False), "test")
            if r.kind == "directive" and r.source != "seed"]
    return _as_letter(test[:n])


def _as_letter(clauses: list[str]) -> str:
    body = "\n\n".join(f"{i}. {text}" for i, text in enumerate(clauses, start=1))
    return ("ỦY BAN NHÂN DÂN\nTỈNH LẠNG SƠN\n\nSố: 1/UBND-KGVX\nLạng Sơn, ngày 1 tháng 4 năm 2023\n\n"
            "V/v tăng cường công tác phòng, chống dịch\n\nKính gửi: Các sở, ban, ngành.\n\n" + body + "\n")


def _time(fn, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.9 * len(times)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="tagger folder (default: the installed default tagger)")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--clauses", type=int, default=20)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    args = ap.parse_args()

    import torch

    from congvan.models.tagger import load_tagger
    from congvan.service.config import get_settings
    from congvan.service.tagging import configured_tagger_dir

    if args.threads:
        torch.set_num_threads(args.threads)
    settings = get_settings()
    folder = Path(args.model) if args.model else configured_tagger_dir(settings)
    if folder is None or not (folder / "manifest.json").is_file():
        print(f"no tagger at {folder}: run `congvan train` first (or pass --model)", file=sys.stderr)
        return 1
    start = time.perf_counter()
    tagger = load_tagger(folder, settings.models_dir, num_threads=settings.num_threads)
    load_s = time.perf_counter() - start
    print(f"tagger {folder} (int8: {tagger.manifest.get('quantized')}), loaded in {load_s:.1f} s, "
          f"{torch.get_num_threads()} torch threads")

    for name, text in (("seed letters' clauses (long)", seed_letter(args.clauses)),
                       ("test-split clauses (typical)", dataset_letter(args.clauses))):
        letter = parse_letter(text)
        n = sum(c.kind == "directive" for c in letter.clauses)
        tokens = sum(len(tagger.tokenizer(c.text)["input_ids"]) for c in letter.clauses)

        def tag_only(letter: Letter = letter) -> None:
            tagger.tag_letter(copy.deepcopy(letter))

        def parse_and_tag(text: str = text) -> None:
            tagger.tag_letter(parse_letter(text))

        tag_only()  # warm-up
        med, p90 = _time(tag_only, args.repeats)
        med2, _ = _time(parse_and_tag, max(3, args.repeats // 4))
        print(f"{name}: {n} clauses, {tokens} tokens — tagging median {med * 1000:.0f} ms "
              f"(p90 {p90 * 1000:.0f} ms); parse + tag median {med2 * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
