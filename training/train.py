"""``congvan train``: one training run of the theme tagger, start to end (``run_training``).

1. load ``training/data/*.jsonl``, check it against the taxonomy, read the by-letter splits
   (``splits.json``); apply staff corrections to train (``training.corrections``);
2. load the base e5 encoder; freeze its embeddings and the lower ``12 - train_layers`` layers and
   cache their output once (``training.finetune``);
3. fine-tune (``bce``: linear head + BCE end-to-end; ``setfit``: in-batch contrastive pairs with
   Jaccard targets, then a logistic-regression head);
4. fit the lexical model (TF-IDF + logistic regression) on train; on dev: choose the blend weight
   of encoder and lexical scores, tune one threshold per theme, fit the agency classifier on
   train and tune its cut-off;
5. on test: the tagger, the three baselines (``training.baseline_runs``) and lead-agency F1;
6. write the model folder atomically (manifest, weights, ``metrics.json``, ``report.md``,
   ``command.txt``) under ``<CONGVAN_HOME>/models/tagger-runs/`` (or ``--out``);
7. ``--promote``: install it as the default tagger behind the compare gate (``training.promotion``).

Progress: ``progress(fraction, phase)`` callbacks (phase names in Vietnamese, shown as they are by
the CLI's progress bar, the job state file and the web page's banner).
"""
from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from congvan.letters.taxonomy import load_taxonomy
from congvan.models.artifacts import atomic_folder, write_bytes_atomic, write_json_atomic
from congvan.models.lexical import LexicalModel
from congvan.models.tagger import (
    Head,
    Tagger,
    TaggerNet,
    Windowing,
    clause_input,
    load_base_encoder,
    quantize_lower_layers,
    resolve_base,
    runs_dir,
)
from congvan.training.baseline_runs import embed_directive, run_baselines
from congvan.training.config import TrainConfig
from congvan.training.dataset import (
    label_counts,
)
from congvan.training.evaluate_tagger import (
    choose_clamp,
    decide,
    evaluate_tagger_on,
    label_matrix,
    theme_metrics,
    tune_dev_thresholds,
)
from congvan.training.finetune import cache_lower_layers, fine_tune, fit_agency_head, normalize, tune_agency_cutoff
from congvan.training.promotion import install, promote_run
from congvan.training.run_data import load_run_data

__all__ = ["PHASES", "Progress", "TrainResult", "install", "run_training"]

Log = Callable[[str], None]
#: ``progress(fraction of the whole run, phase name)``
Progress = Callable[[float, str], None]

#: phase -> (start, end) fraction of a full run (measured shares of the time on 2 cores), label
PHASES: dict[str, tuple[float, float, str]] = {
    "data": (0.0, 0.02, "đọc dữ liệu"),
    "load": (0.02, 0.04, "nạp mô hình e5"),
    "frozen": (0.04, 0.10, "nhúng cho mô hình cơ sở"),
    "cache": (0.10, 0.20, "tính trước các lớp cố định"),
    "tune": (0.20, 0.82, "tinh chỉnh"),
    "dev": (0.82, 0.88, "ngưỡng và kết hợp trên tập dev"),
    "eval": (0.88, 0.93, "đánh giá"),
    "baselines": (0.93, 0.97, "mô hình đối chứng"),
    "save": (0.97, 0.99, "lưu mô hình"),
    "promote": (0.99, 1.0, "so sánh và cài đặt"),
}


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _step(report: Progress, phase: str) -> Callable[[int, int], None]:
    start, end, label = PHASES[phase]
    return lambda done, total: report(start + (end - start) * done / max(1, total), label)


@dataclass
class TrainResult:
    folder: Path
    metrics: dict[str, Any]
    manifest: dict[str, Any]
    promoted: bool = False
    gate: dict[str, Any] | None = None
    installed: Path | None = None


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# --------------------------------------------------------------------------- the run
def run_training(config: TrainConfig, models_dir: Path, *, corrections_file: Path | None = None,
                 num_threads: int = 0, data_dir: Path | str | None = None, shared_dir: Path | None = None,
                 out: Path | str | None = None, promote: bool | Literal["force"] = False,
                 command: str | None = None, log: Log = _stderr, use_corrections: bool = True,
                 write_splits: bool = True, progress: Progress | None = None) -> TrainResult:
    """Train, evaluate and save one tagger (see the module docstring). ``progress(fraction,
    phase)`` is called often (fraction 0..1 of the whole run) for progress bars and job state."""
    import torch

    report = progress or (lambda _f, _p: None)
    report(0.0, PHASES["data"][2])
    t_start = time.perf_counter()
    if config.num_threads > 0:
        torch.set_num_threads(config.num_threads)
    elif num_threads > 0:
        torch.set_num_threads(num_threads)
    _seed_everything(config.seed)
    tax = load_taxonomy()
    theme_ids, agency_ids = tax.theme_ids, tax.agency_ids

    # ---- data
    data = load_run_data(config, tax, data_dir=data_dir, corrections_file=corrections_file if use_corrections else None,
                         write_splits=write_splits, log=log, shared_dir=shared_dir)
    train, dev, test = data.train, data.dev, data.test
    leaked, corr_info, data_hash = data.dropped, data.corrections, data.hash

    # ---- model
    report(PHASES["load"][0], PHASES["load"][2])
    t_train = time.perf_counter()
    base_folder, base_id = resolve_base(config.base_model, models_dir)
    encoder, tokenizer = load_base_encoder(base_folder)
    net = TaggerNet(encoder)
    if not 1 <= config.train_layers <= net.n_layers:
        raise ValueError(f"train_layers must be 1..{net.n_layers}")
    windowing = Windowing(tokenizer, config.max_seq_length, config.window_stride)
    cfg = config.to_dict()
    dummy = Head(np.zeros((len(theme_ids), net.dim), np.float32), np.zeros(len(theme_ids), np.float32), False)

    def make_tagger(n: TaggerNet, head: Head, thresholds: np.ndarray | None = None) -> Tagger:
        return Tagger(n, tokenizer, theme_ids=theme_ids, theme_head=head,
                      thresholds=thresholds if thresholds is not None else np.full(len(theme_ids), 0.5),
                      agency_ids=agency_ids, agency_head=None, agency_cutoff=1.01, config=cfg, taxonomy=tax)

    train_inputs = [clause_input(r.text, r.heading, config.theme_heading) for r in train]
    y_train = label_matrix([r.themes for r in train], theme_ids).astype(np.float32)

    base_emb = None
    if config.baselines:  # frozen-encoder embeddings, before fine-tuning changes the weights
        report(PHASES["frozen"][0], PHASES["frozen"][2])
        t0 = time.perf_counter()
        base = make_tagger(net, dummy)
        base_emb = {"train": base.embed(train_inputs, windows=False)[0],
                    "dev": embed_directive(base, dev, config), "test": embed_directive(base, test, config)}
        log(f"  frozen e5 embeddings for the baseline in {time.perf_counter() - t0:.0f} s")
    t_tune = time.perf_counter()

    start = net.n_layers - config.train_layers
    n_quantized = quantize_lower_layers(encoder, start) if config.quantize else 0
    for p in encoder.parameters():
        p.requires_grad_(False)
    for block in encoder.encoder.layer[start:]:
        for p in block.parameters():
            p.requires_grad_(True)
    trainable = [n for n, p in encoder.named_parameters() if p.requires_grad]
    ids, _ = windowing.encode(train_inputs, windows=False)
    log(f"fine-tuning ({config.method}): top {config.train_layers} of {net.n_layers} layers, "
        f"{sum(p.numel() for p in encoder.parameters() if p.requires_grad) / 1e6:.1f} M weights, "
        f"{config.epochs} epoch(s) × {math.ceil(len(ids) / config.batch_size)} steps")
    report(PHASES["cache"][0], PHASES["cache"][2])
    cache = cache_lower_layers(net, ids, windowing.pad, start, log, on_step=_step(report, "cache"))
    head = fine_tune(net, cache, y_train, start, config, log, on_step=_step(report, "tune"))
    del cache
    for p in encoder.parameters():
        p.requires_grad_(False)

    served_net = net
    if head is not None:
        theme_head = Head(head.weight.detach().numpy().copy(), head.bias.detach().numpy().copy(),
                          config.head_normalize)
    else:
        from congvan.training.baselines import fit_logreg

        emb, _ = make_tagger(served_net, dummy).embed(train_inputs, windows=False)
        w, b = fit_logreg(normalize(emb), y_train, c=config.head_c, seed=config.seed)
        theme_head = Head(w, b, True)
    tagger = make_tagger(served_net, theme_head)

    # ---- dev: blend with the lexical model, thresholds, agency fallback
    report(PHASES["dev"][0], PHASES["dev"][2])
    d_idx = [i for i, r in enumerate(dev) if r.kind == "directive"]
    dev_gold = label_matrix([dev[i].themes for i in d_idx], theme_ids)
    dev_probs = tagger.encoder_theme_proba([dev[i].text for i in d_idx], [dev[i].heading for i in d_idx])
    encoder_dev_probs = dev_probs
    blend_info: list[dict[str, Any]] = []
    lexical: LexicalModel | None = None
    if len(d_idx) and config.blend != 1.0:
        lexical = LexicalModel(c=config.lexical_c, seed=config.seed).fit([r.text for r in train], y_train)
        lex_dev = lexical.proba([dev[i].text for i in d_idx])
        grid = [config.blend] if config.blend is not None else list(config.blend_grid)
        groups = [dev[i].letter_id for i in d_idx]
        for w in grid:
            _, table = choose_clamp(w * dev_probs + (1 - w) * lex_dev, dev_gold, groups, seed=config.seed)
            blend_info.append({"blend": w, "cv_score": max((t["cv_score"] for t in table), default=0.0)})
        best = max(blend_info, key=lambda b: (b["cv_score"], b["blend"]))["blend"]
        if best < 1.0:
            tagger.lexical, tagger.blend = lexical, float(best)
            dev_probs = best * dev_probs + (1 - best) * lex_dev
        log(f"blend encoder/lexical: {tagger.blend} (dev cross-validation {blend_info})")
    threshold_info: dict[str, Any] = {}
    if len(d_idx):
        tagger.thresholds, threshold_info = tune_dev_thresholds(
            dev_probs, dev_gold, [dev[i].letter_id for i in d_idx], config)
        log(f"thresholds: range {threshold_info['range']} (dev cross-validation {threshold_info['cv']})")
    else:
        tagger.thresholds = np.full(len(theme_ids), config.default_threshold, np.float32)
    if config.agency_fallback:
        tagger.agency_head = fit_agency_head(tagger, train, agency_ids, config)
        tagger.agency_cutoff, curve = tune_agency_cutoff(tagger, dev, agency_ids)
    else:
        curve = []
    train_s = time.perf_counter() - t_tune
    log(f"fine-tuning, heads and thresholds: {train_s:.0f} s")

    report(PHASES["eval"][0], PHASES["eval"][2])
    dev_metrics: dict[str, Any] = evaluate_tagger_on(tagger, dev, "dev")
    dev_summary: dict[str, Any] = {"themes": dev_metrics["themes"], "agencies": dev_metrics["agencies"],
                                   "agency_cutoff_curve": curve, "thresholds": threshold_info,
                                   "blend": {"chosen": tagger.blend, "cv": blend_info}}

    # ---- test
    test_metrics = evaluate_tagger_on(tagger, test, "test")
    if config.baselines:
        report(PHASES["baselines"][0], PHASES["baselines"][2])
        dev_summary["baselines"], test_metrics["baselines"] = run_baselines(
            config, train, dev, test, theme_ids, base_emb, log, lexical)
        if tagger.lexical is not None and len(d_idx):
            # the blend's two halves alone, each with its own dev-tuned thresholds (transparency)
            enc_th, _ = tune_dev_thresholds(encoder_dev_probs, dev_gold, [dev[i].letter_id for i in d_idx], config)
            t_idx = [i for i, r in enumerate(test) if r.kind == "directive"]
            enc_test = np.zeros((len(test), len(theme_ids)), np.float32)
            if t_idx:
                enc_test[t_idx] = tagger.encoder_theme_proba([test[i].text for i in t_idx],
                                                             [test[i].heading for i in t_idx])
            test_metrics["baselines"]["fine-tuned encoder alone (no blend)"] = theme_metrics(
                [r.themes for r in test], decide(enc_test, enc_th, theme_ids), theme_ids)
    total_s = time.perf_counter() - t_start
    timing = {"train_s": round(train_s, 1), "frozen_baseline_embeddings_s": round(t_tune - t_train, 1),
              "total_s": round(total_s, 1), "threads": torch.get_num_threads()}
    metrics = {"test": test_metrics, "dev": dev_summary, "timing": timing,
               "data": {"train": len(train), "dev": len(dev), "test": len(test), "hash": data_hash,
                        "corrections": corr_info, "train_dropped_as_duplicates": len(leaked)}}

    # ---- save
    report(PHASES["save"][0], PHASES["save"][2])
    run = f"{time.strftime('%Y%m%d-%H%M%S')}-{config.preset}-{config.method}"
    folder = Path(out) if out else runs_dir(models_dir) / run
    counts = label_counts([*train, *dev, *test])
    command = command or "congvan " + " ".join(sys.argv[1:])
    manifest_fields = {
        "run": run, "config": cfg, "base_model": base_id, "theme_ids": theme_ids,
        "thresholds": {k: round(float(t), 3) for k, t in zip(theme_ids, tagger.thresholds)},
        "blend": tagger.blend,
        "agency_ids": agency_ids, "agency_cutoff": tagger.agency_cutoff,
        "quantized": bool(n_quantized), "quantized_lower_layers": n_quantized,
        "trainable_layers": config.train_layers, "taxonomy_version": tax.version,
        "data": {"hash": data_hash, "records": len(train) + len(dev) + len(test),
                 "splits": {"train": len(train), "dev": len(dev), "test": len(test)},
                 "dir": str(Path(data_dir).resolve()) if data_dir else "training/data (shipped)",
                 "corrections": corr_info, "themes": dict(counts["themes"]), "lead": dict(counts["lead"])},
        "metrics": {
            "test": {"theme_micro_f1": test_metrics["themes"]["micro"]["f1"],
                     "theme_macro_f1": test_metrics["themes"]["macro_f1"],
                     "lead_micro_f1": test_metrics["agencies"]["lead"]["micro"]["f1"],
                     "lead_rules_micro_f1": test_metrics["agencies"]["lead_rules"]["micro"]["f1"],
                     "baselines": {k: {"micro_f1": v["micro"]["f1"], "macro_f1": v["macro_f1"]}
                                   for k, v in test_metrics.get("baselines", {}).items()}},
            "dev": {"theme_micro_f1": dev_summary["themes"]["micro"]["f1"],
                    "theme_macro_f1": dev_summary["themes"]["macro_f1"],
                    "lead_micro_f1": dev_summary["agencies"]["lead"]["micro"]["f1"]}},
        "timing": timing, "command": command,
    }
    from congvan.models.tagger import write_tagger_folder
    from congvan.training.report import render_report

    with atomic_folder(folder) as tmp:
        manifest = write_tagger_folder(tmp, net=net, trainable=trainable, theme_head=theme_head,
                                       agency_head=tagger.agency_head, manifest_fields=manifest_fields,
                                       lexical=tagger.lexical, blend=tagger.blend)
        write_json_atomic(tmp / "metrics.json", metrics)
        labels = tax.theme_labels
        write_bytes_atomic(tmp / "report.md", render_report(metrics, manifest, labels, command).encode("utf-8"))
        write_bytes_atomic(tmp / "command.txt", (command + "\n").encode("utf-8"))
    log(f"model saved in {folder}")
    result = TrainResult(folder, metrics, manifest)

    # ---- promote
    if promote:
        report(PHASES["promote"][0], PHASES["promote"][2])
        done = promote_run(folder, test_metrics if not config.max_eval_examples else None, models_dir,
                           data_dir=data_dir, shared_dir=shared_dir, force=promote == "force", log=log)
        result.promoted, result.gate, result.installed = done.promoted, done.gate, done.installed
    report(1.0, "xong")
    return result
