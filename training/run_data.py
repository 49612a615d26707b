"""The clauses one training run uses: the by-letter splits, staff corrections merged into train,
train clauses that repeat a held-out text dropped, optional subsampling (the smoke preset).

Shared by the fine-tuning run (``training.train``) and the provisional tagger
(``training.provisional``) so both learn from, and are tuned and tested on, the same clauses.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from congvan.letters.taxonomy import Taxonomy
from congvan.training.config import TrainConfig
from congvan.training.dataset import (
    DatasetError,
    Record,
    dataset_hash,
    ensure_splits,
    load_records,
    select,
    text_key,
)

__all__ = ["REAL_SOURCES", "RunData", "load_run_data"]

#: Record sources that are real letters (``training/real_letters.py``), not team-written.
REAL_SOURCES = frozenset({"real", "seed"})


@dataclass
class RunData:
    train: list[Record]
    dev: list[Record]
    test: list[Record]
    #: train clauses dropped because a dev/test clause has the same text
    dropped: list[Record]
    corrections: dict[str, int] = field(default_factory=lambda: {"corrections": 0})
    hash: str = ""


def subsample(records: Sequence[Record], n: int | None, seed: int) -> list[Record]:
    """A stable random subset of ``n`` records (all when ``n`` is None or larger)."""
    if not n or len(records) <= n:
        return list(records)
    key = lambda r: hashlib.sha256(f"{seed}:{r.id}".encode()).hexdigest()  # noqa: E731
    keep = {r.id for r in sorted(records, key=key)[:n]}
    return [r for r in records if r.id in keep]


def load_run_data(config: TrainConfig, tax: Taxonomy, *, data_dir: Path | str | None = None,
                  corrections_file: Path | None = None, write_splits: bool = True,
                  log: Callable[[str], None] = lambda _m: None, shared_dir: Path | None = None) -> RunData:
    """Read, split, correct and subsample the dataset for one run (``DatasetError`` if no train
    clause has a theme)."""
    records = load_records(data_dir, tax, shared_dir=shared_dir)  # + real letters when ../shared is there
    try:
        assign = ensure_splits(records, data_dir, seed=config.seed, write=write_splits)
    except OSError:  # a read-only install: use (and extend in memory) the shipped splits
        assign = ensure_splits(records, data_dir, seed=config.seed, write=False)
    train, dev, test = (select(records, assign, s) for s in ("train", "dev", "test"))
    held_keys = {text_key(r.text) for r in (*dev, *test)}
    dropped = [r for r in train if text_key(r.text) in held_keys]
    train = [r for r in train if text_key(r.text) not in held_keys]
    corr_info: dict[str, int] = {"corrections": 0}
    if corrections_file is not None:
        from congvan.training.corrections import CorrectionStore, merge_corrections

        latest = CorrectionStore(corrections_file).latest()
        if latest:
            train, corr_info = merge_corrections(train, [*dev, *test], latest)
            log(f"corrections: {corr_info}")
    train = subsample(train, config.max_train_examples, config.seed)
    if config.real_weight < 1:
        raise DatasetError(f"real_weight must be 1 or more (got {config.real_weight})")
    if config.real_weight > 1:  # real letters' clauses repeated (see TrainConfig.real_weight)
        train = train + [r for r in train if r.source in REAL_SOURCES] * (config.real_weight - 1)
    dev = subsample(dev, config.max_eval_examples, config.seed)
    test = subsample(test, config.max_eval_examples, config.seed)
    if not train or not any(r.themes for r in train):
        raise DatasetError("no training clauses with themes: add data to training/data")
    used_assign = {**assign, **{r.letter_id: "train" for r in train if r.source == "correction"}}
    data_hash = dataset_hash([*train, *dev, *test], used_assign, tax)
    log(f"data: {len(train)} train / {len(dev)} dev / {len(test)} test clauses "
        f"({len(dropped)} train clauses dropped: same text as a dev/test clause); hash {data_hash[:12]}")
    return RunData(train, dev, test, dropped, corr_info, data_hash)
