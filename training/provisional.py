"""Fit the provisional tagger (``models.tagger.provisional``) in seconds on the shipped dataset.

Why: it serves themes from the first upload while the fine-tuned tagger trains in the background.
Same data handling as the fine-tuning run (train split plus staff corrections, thresholds tuned
on dev by the same cross-validated procedure), so it is the report's TF-IDF baseline, installed.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from congvan.letters.taxonomy import load_taxonomy
from congvan.models.artifacts import atomic_folder
from congvan.models.lexical import LexicalModel
from congvan.models.tagger.provisional import ProvisionalTagger, provisional_dir, write_provisional
from congvan.training.config import preset
from congvan.training.evaluate_tagger import decide, label_matrix, theme_metrics, tune_dev_thresholds
from congvan.training.run_data import load_run_data

__all__ = ["train_provisional"]


def train_provisional(models_dir: Path, *, corrections_file: Path | None = None,
                      data_dir: Path | str | None = None, out: Path | None = None,
                      log: Callable[[str], None] = lambda _m: None) -> Path:
    """Fit, tune and save the provisional tagger; returns its folder (default
    ``<models_dir>/tagger-provisional``, replaced atomically)."""
    t0 = time.perf_counter()
    config = preset("full")
    tax = load_taxonomy()
    theme_ids = tax.theme_ids
    data = load_run_data(config, tax, data_dir=data_dir, corrections_file=corrections_file, write_splits=False)
    train, dev, test = data.train, data.dev, data.test
    y = label_matrix([r.themes for r in train], theme_ids).astype(np.float32)
    lexical = LexicalModel(c=config.lexical_c, seed=config.seed).fit([r.text for r in train], y)
    d_dev = [r for r in dev if r.kind == "directive"]
    if d_dev:
        gold = label_matrix([r.themes for r in d_dev], theme_ids)
        thresholds, _ = tune_dev_thresholds(lexical.proba([r.text for r in d_dev]), gold,
                                            [r.letter_id for r in d_dev], config)
    else:
        thresholds = np.full(len(theme_ids), config.default_threshold, np.float32)
    tagger = ProvisionalTagger(lexical, theme_ids, thresholds)
    d_test = [r for r in test if r.kind == "directive"]
    metrics = {}
    if d_test:
        pred = decide(lexical.proba([r.text for r in d_test]), tagger.thresholds, theme_ids)
        m = theme_metrics([r.themes for r in d_test], pred, theme_ids)
        metrics = {"test": {"theme_micro_f1": m["micro"]["f1"], "theme_macro_f1": m["macro_f1"]}}
    folder = Path(out) if out else provisional_dir(models_dir)
    fit_s = time.perf_counter() - t0
    with atomic_folder(folder) as tmp:
        write_provisional(tmp, tagger, name="TF-IDF + hồi quy logistic (tạm thời)",
                          data={"hash": data.hash, "train": len(train), "dev": len(dev), "test": len(test),
                                "corrections": data.corrections},
                          metrics=metrics, timing={"fit_s": round(fit_s, 1)})
    log(f"provisional tagger (TF-IDF + LR) fitted in {fit_s:.1f} s: {folder} {metrics}")
    return folder
