"""``congvan train``: fine-tune the theme tagger, fit the agency fallback, evaluate, save, promote.

One run, start to end (``run_training``):

1. load ``training/data/*.jsonl``, check it against the taxonomy, read the by-letter splits
   (``splits.json``); apply staff corrections to train (``training.corrections``);
2. load the base e5 encoder; freeze its embeddings and the lower ``12 - train_layers`` layers and
   cache their output once (the frozen part is never recomputed);
3. fine-tune (``bce``: linear head + BCE end-to-end; ``setfit``: in-batch contrastive pairs with
   Jaccard targets, then a logistic-regression head);
4. fit the lexical model (TF-IDF + logistic regression) on train; on dev: choose the blend weight
   of encoder and lexical scores, tune one threshold per theme, fit the agency classifier on
   train and tune its cut-off;
5. on test: the tagger, the three baselines (``training.baselines``) and lead-agency F1;
6. write the model folder atomically (manifest, weights, ``metrics.json``, ``report.md``,
   ``command.txt``) under ``<CONGVAN_HOME>/models/tagger-runs/`` (or ``--out``);
7. ``--promote``: install it as the default tagger if the gate passes (macro-F1 not more than one
   point below the current default's on the same test split).
"""
from __future__ import annotations

import json
import math
import random
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from congvan.letters.taxonomy import load_taxonomy
from congvan.models.artifacts import (
    atomic_folder,
    write_bytes_atomic,
    write_json_atomic,
)
from congvan.models.lexical import LexicalModel
from congvan.models.tagger import (
    Head,
    Tagger,
    TaggerNet,
    Windowing,
    clause_input,
    default_tagger_dir,
    load_base_encoder,
    pad_batch,
    quantize_lower_layers,
    resolve_base,
    runs_dir,
)
from congvan.training.config import TrainConfig
from congvan.training.dataset import (
    DatasetError,
    Record,
    dataset_hash,
    ensure_splits,
    label_counts,
    load_records,
    select,
    text_key,
)
from congvan.training.evaluate_tagger import (
    choose_clamp,
    compare,
    decide,
    evaluate_folder,
    evaluate_tagger_on,
    label_matrix,
    theme_metrics,
    tune_dev_thresholds,
)

__all__ = ["TrainResult", "install", "run_training"]

Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class TrainResult:
    folder: Path
    metrics: dict[str, Any]
    manifest: dict[str, Any]
    promoted: bool = False
    gate: dict[str, Any] | None = None
    installed: Path | None = None


# --------------------------------------------------------------------------- helpers
def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _subsample(records: Sequence[Record], n: int | None, seed: int) -> list[Record]:
    if not n or len(records) <= n:
        return list(records)
    import hashlib

    key = lambda r: hashlib.sha256(f"{seed}:{r.id}".encode()).hexdigest()  # noqa: E731
    keep = {r.id for r in sorted(records, key=key)[:n]}
    return [r for r in records if r.id in keep]


def _normalize(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _window_max(probs: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, probs.shape[1]), np.float32)
    if len(owners):
        np.maximum.at(out, owners, probs)
    return out


def _batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """Shuffled batches of similar lengths (little padding, still random)."""
    order = rng.permutation(len(lengths)).tolist()
    group = batch_size * 8
    batches: list[list[int]] = []
    for s in range(0, len(order), group):
        chunk = sorted(order[s:s + group], key=lambda i: lengths[i])
        batches += [chunk[k:k + batch_size] for k in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _pad_hidden(items: Sequence[Any]) -> tuple[Any, Any]:
    import torch

    width = max(h.shape[0] for h in items)
    dim = items[0].shape[1]
    hidden = torch.zeros((len(items), width, dim), dtype=items[0].dtype)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for i, h in enumerate(items):
        hidden[i, :h.shape[0]] = h
        mask[i, :h.shape[0]] = 1
    return hidden, mask


def _schedule(total: int, warmup_ratio: float) -> Callable[[int], float]:
    warm = max(1, int(total * warmup_ratio))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm))

    return factor


# --------------------------------------------------------------------------- fine-tuning
def _cache_lower_layers(net: TaggerNet, ids: list[list[int]], pad: int, start: int, log: Log) -> list[Any]:
    import torch

    cache: list[Any] = [None] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    t0 = time.perf_counter()
    with torch.no_grad():
        for s in range(0, len(order), 32):
            part = order[s:s + 32]
            input_ids, mask = pad_batch([ids[i] for i in part], pad)
            hidden = net.hidden_at(input_ids, mask, start)
            for k, i in enumerate(part):
                cache[i] = hidden[k, :len(ids[i])].clone()
    log(f"  cached the frozen layers' output for {len(ids)} clauses in {time.perf_counter() - t0:.0f} s")
    return cache


def _fine_tune(net: TaggerNet, cache: list[Any], y: np.ndarray, start: int, config: TrainConfig,
               log: Log) -> Any:
    """Train the top layers (+ a linear head for ``bce``); returns the head (or None)."""
    import torch

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    encoder = net.encoder
    params = [p for p in encoder.parameters() if p.requires_grad]
    n_labels = y.shape[1]
    head = dropout = None
    groups: list[dict[str, Any]] = [{"params": params, "lr": config.learning_rate}]
    if config.method == "bce":
        head = torch.nn.Linear(net.dim, n_labels)
        with torch.no_grad():
            if config.head_init == "probe":
                # LP-FT: start from a logistic regression on the not-yet-tuned embeddings, so that
                # fine-tuning starts at the frozen-probe quality instead of a random head
                from congvan.training.baselines import fit_logreg

                emb = _pooled(net, cache, start)
                if config.head_normalize:
                    emb = _normalize(emb)
                w, b = fit_logreg(emb, y, c=config.head_c, seed=config.seed)
                head.weight.copy_(torch.from_numpy(w))
                head.bias.copy_(torch.from_numpy(b))
            else:
                torch.nn.init.normal_(head.weight, std=0.02)
                prior = np.clip(y.mean(axis=0), 0.01, 0.99)
                head.bias.copy_(torch.from_numpy(np.log(prior / (1 - prior)).astype(np.float32)))
        dropout = torch.nn.Dropout(config.dropout)
        groups.append({"params": list(head.parameters()), "lr": config.head_learning_rate, "weight_decay": 0.0})
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    lengths = [h.shape[0] for h in cache]
    steps_per_epoch = math.ceil(len(cache) / config.batch_size)
    total = max(1, steps_per_epoch * config.epochs)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(total, config.warmup_ratio))
    targets = torch.from_numpy(y.astype(np.float32))
    bce = torch.nn.BCEWithLogitsLoss(pos_weight=torch.full((n_labels,), float(config.pos_weight)))
    encoder.train()
    step, t0 = 0, time.perf_counter()
    for epoch in range(config.epochs):
        running, seen = 0.0, 0
        for batch in _batches(lengths, config.batch_size, rng):
            hidden, mask = _pad_hidden([cache[i] for i in batch])
            pooled = net.pool_from(hidden, mask, start)
            if config.method == "bce":
                if config.head_normalize:
                    pooled = torch.nn.functional.normalize(pooled, dim=1)
                logits = head(dropout(pooled))
                loss = bce(logits, targets[batch])
            else:
                loss = _pair_loss(pooled, y[batch])
                if loss is None:
                    continue
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params + (list(head.parameters()) if head is not None else []), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            running += float(loss.detach()) * len(batch)
            seen += len(batch)
            step += 1
            if step % 10 == 0 or step == total:
                log(f"  epoch {epoch + 1}/{config.epochs} step {step}/{total} "
                    f"loss {running / max(1, seen):.4f} ({time.perf_counter() - t0:.0f} s)")
    encoder.eval()
    return head


def _pooled(net: TaggerNet, cache: list[Any], start: int) -> np.ndarray:
    """Mean-pooled embeddings of the cached training windows through the (current) top layers."""
    import torch

    out = np.zeros((len(cache), net.dim), np.float32)
    order = sorted(range(len(cache)), key=lambda i: cache[i].shape[0])
    was_training = net.encoder.training
    net.encoder.eval()
    with torch.no_grad():
        for s in range(0, len(order), 32):
            part = order[s:s + 32]
            hidden, mask = _pad_hidden([cache[i] for i in part])
            out[part] = net.pool_from(hidden, mask, start).numpy()
    net.encoder.train(was_training)
    return out


def _pair_loss(pooled: Any, labels: np.ndarray) -> Any:
    """SetFit's cosine-similarity loss over every pair of the batch, the target being the Jaccard
    overlap of the two theme sets (1 for two clauses without themes); positive and negative
    pairs weigh the same."""
    import torch

    n = pooled.shape[0]
    if n < 2:
        return None
    e = torch.nn.functional.normalize(pooled, dim=1)
    cos = e @ e.T
    lab = labels.astype(bool)
    inter = (lab[:, None, :] & lab[None, :, :]).sum(-1)
    union = (lab[:, None, :] | lab[None, :, :]).sum(-1)
    target = np.where(union == 0, 1.0, inter / np.maximum(union, 1)).astype(np.float32)
    iu = np.triu_indices(n, k=1)
    t = torch.from_numpy(target[iu])
    c = cos[torch.from_numpy(iu[0]), torch.from_numpy(iu[1])]
    err = (c - t) ** 2
    pos = t > 0
    parts = [err[pos].mean()] if pos.any() else []
    if (~pos).any():
        parts.append(err[~pos].mean())
    return sum(parts) / len(parts)


# --------------------------------------------------------------------------- agencies
def _fit_agency_head(tagger: Tagger, train: Sequence[Record], agency_ids: list[str], config: TrainConfig) -> Head:
    from congvan.training.baselines import fit_logreg

    recs = [r for r in train if r.kind == "directive"]
    emb, _ = tagger.embed([clause_input(r.text, r.heading, True) for r in recs], windows=False)
    y = label_matrix([r.lead for r in recs], agency_ids)
    w, b = fit_logreg(_normalize(emb), y, c=config.head_c, seed=config.seed)
    return Head(w, b, True)


def _tune_agency_cutoff(tagger: Tagger, dev: Sequence[Record], agency_ids: list[str]) -> tuple[float, list]:
    """The cut-off maximising dev lead micro-F1 of rules + fallback (ties: closest to 0.5)."""
    from congvan.training.evaluate_tagger import agency_metrics

    recs = [r for r in dev if r.kind == "directive"]
    if not recs or tagger.agency_head is None:
        return 0.5, []
    texts, heads = [r.text for r in recs], [r.heading for r in recs]
    from congvan.models.tagger import doc_context

    rules = tagger.predict_leads(texts, heads, use_model=False, contexts=[doc_context(r.doc) for r in recs])
    todo = [i for i, lead in enumerate(rules) if not lead]
    probs = tagger.agency_proba([texts[i] for i in todo], [heads[i] for i in todo]) if todo else None
    gold = [r.lead for r in recs]
    curve = []
    for cutoff in [*np.round(np.arange(0.3, 0.951, 0.05), 2).tolist(), 1.01]:
        pred = [list(x) for x in rules]
        if probs is not None and cutoff <= 1.0:
            for i, row in zip(todo, probs):
                pred[i] = [agency_ids[j] for j in np.argsort(-row) if row[j] >= cutoff]
        curve.append((cutoff, agency_metrics(gold, pred, agency_ids)["micro"]["f1"]))
    best = max(f for _, f in curve)
    cutoff = min((c for c, f in curve if f >= best - 1e-9), key=lambda c: abs(c - 0.5))
    return float(cutoff), curve


# --------------------------------------------------------------------------- baselines
def _baselines(config: TrainConfig, train: Sequence[Record], dev: Sequence[Record], test: Sequence[Record],
               theme_ids: list[str], base_emb: dict[str, Any] | None, log: Log,
               lexical: LexicalModel | None = None) -> tuple[dict, dict]:
    """(dev metrics, test metrics) of the three baselines. ``lexical``: the blend's lexical model,
    already fitted on the same train texts (reused as the TF-IDF baseline when inputs match)."""
    from congvan.training.baselines import fit_logreg, fit_tfidf, keyword_proba

    def directive_probs(records: Sequence[Record], fn: Callable[[list[Record]], np.ndarray]) -> np.ndarray:
        out = np.zeros((len(records), len(theme_ids)), np.float32)
        idx = [i for i, r in enumerate(records) if r.kind == "directive"]
        if idx:
            out[idx] = fn([records[i] for i in idx])
        return out

    def score(records: Sequence[Record], probs: np.ndarray, thresholds: np.ndarray) -> dict[str, Any]:
        pred = decide(probs, thresholds, theme_ids)
        return theme_metrics([r.themes for r in records], pred, theme_ids)

    def tuned(dev_probs: np.ndarray) -> np.ndarray:
        d_idx = [i for i, r in enumerate(dev) if r.kind == "directive"]
        gold = label_matrix([dev[i].themes for i in d_idx], theme_ids)
        return tune_dev_thresholds(dev_probs[d_idx], gold, [dev[i].letter_id for i in d_idx], config)[0]

    dev_out, test_out = {}, {}
    half = np.full(len(theme_ids), 0.5, np.float32)
    kw = lambda recs: keyword_proba([r.text for r in recs])  # noqa: E731
    dev_out["keyword rules"] = score(dev, directive_probs(dev, kw), half)
    test_out["keyword rules"] = score(test, directive_probs(test, kw), half)
    log("  baseline: keyword rules done")

    y = label_matrix([r.themes for r in train], theme_ids)
    if lexical is not None and not config.theme_heading:
        tfidf = lexical
    else:
        tfidf = fit_tfidf([clause_input(r.text, r.heading, config.theme_heading) for r in train], y,
                          seed=config.seed, c=config.lexical_c)
    tf = lambda recs: tfidf.proba([clause_input(r.text, r.heading, config.theme_heading) for r in recs])  # noqa: E731
    dprobs = directive_probs(dev, tf)
    th = tuned(dprobs)
    dev_out["TF-IDF + logistic regression"] = score(dev, dprobs, th)
    test_out["TF-IDF + logistic regression"] = score(test, directive_probs(test, tf), th)
    log("  baseline: TF-IDF + logistic regression done")

    if base_emb is not None:
        w, b = fit_logreg(_normalize(base_emb["train"]), y, c=config.head_c, seed=config.seed)
        head = Head(w, b, True)
        probs = {}
        for name, recs in (("dev", dev), ("test", test)):
            emb, owners, idx = base_emb[name]
            full = np.zeros((len(recs), len(theme_ids)), np.float32)
            if idx:
                full[idx] = _window_max(head.proba(emb), owners, len(idx))
            probs[name] = full
        th = tuned(probs["dev"])
        dev_out["frozen e5 + logistic regression"] = score(dev, probs["dev"], th)
        test_out["frozen e5 + logistic regression"] = score(test, probs["test"], th)
        log("  baseline: frozen e5 + logistic regression done")
    return dev_out, test_out


def _embed_directive(tagger: Tagger, records: Sequence[Record], config: TrainConfig) -> tuple:
    idx = [i for i, r in enumerate(records) if r.kind == "directive"]
    inputs = [clause_input(records[i].text, records[i].heading, config.theme_heading) for i in idx]
    emb, owners = tagger.embed(inputs, windows=config.long_text == "windows")
    return emb, owners, idx


# --------------------------------------------------------------------------- install
def install(folder: Path, target: Path) -> Path:
    """Copy a run folder to ``target`` atomically (the old default stays until the rename)."""
    with atomic_folder(target) as tmp:
        for item in Path(folder).iterdir():
            if item.is_file():
                shutil.copy2(item, tmp / item.name)
        manifest = json.loads((tmp / "manifest.json").read_text(encoding="utf-8"))
        manifest["installed_from"] = str(folder)
        manifest["installed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_json_atomic(tmp / "manifest.json", manifest)
    return target


# --------------------------------------------------------------------------- the run
def run_training(config: TrainConfig, models_dir: Path, *, corrections_file: Path | None = None,
                 num_threads: int = 0, data_dir: Path | str | None = None, shared_dir: Path | None = None,
                 out: Path | str | None = None, promote: bool | Literal["force"] = False,
                 command: str | None = None, log: Log = _stderr, use_corrections: bool = True,
                 write_splits: bool = True) -> TrainResult:
    """Train, evaluate and save one tagger (see the module docstring)."""
    import torch

    t_start = time.perf_counter()
    if config.num_threads > 0:
        torch.set_num_threads(config.num_threads)
    elif num_threads > 0:
        torch.set_num_threads(num_threads)
    _seed_everything(config.seed)
    tax = load_taxonomy()
    theme_ids, agency_ids = tax.theme_ids, tax.agency_ids

    # ---- data
    records = load_records(data_dir, tax, shared_dir=shared_dir)  # + real letters when ../shared is there
    try:
        assign = ensure_splits(records, data_dir, seed=config.seed, write=write_splits)
    except OSError:  # a read-only install: use (and extend in memory) the shipped splits
        assign = ensure_splits(records, data_dir, seed=config.seed, write=False)
    train, dev, test = (select(records, assign, s) for s in ("train", "dev", "test"))
    held_keys = {text_key(r.text) for r in (*dev, *test)}
    leaked = [r for r in train if text_key(r.text) in held_keys]
    train = [r for r in train if text_key(r.text) not in held_keys]
    corr_info: dict[str, int] = {"corrections": 0}
    if use_corrections and corrections_file is not None:
        from congvan.training.corrections import CorrectionStore, merge_corrections

        latest = CorrectionStore(corrections_file).latest()
        if latest:
            train, corr_info = merge_corrections(train, [*dev, *test], latest)
            log(f"corrections: {corr_info}")
    train = _subsample(train, config.max_train_examples, config.seed)
    dev = _subsample(dev, config.max_eval_examples, config.seed)
    test = _subsample(test, config.max_eval_examples, config.seed)
    if not train or not any(r.themes for r in train):
        raise DatasetError("no training clauses with themes: add data to training/data")
    used_assign = {**assign, **{r.letter_id: "train" for r in train if r.source == "correction"}}
    data_hash = dataset_hash([*train, *dev, *test], used_assign, tax)
    log(f"data: {len(train)} train / {len(dev)} dev / {len(test)} test clauses "
        f"({len(leaked)} train clauses dropped: same text as a dev/test clause); hash {data_hash[:12]}")

    # ---- model
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
        t0 = time.perf_counter()
        base = make_tagger(net, dummy)
        base_emb = {"train": base.embed(train_inputs, windows=False)[0],
                    "dev": _embed_directive(base, dev, config), "test": _embed_directive(base, test, config)}
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
    cache = _cache_lower_layers(net, ids, windowing.pad, start, log)
    head = _fine_tune(net, cache, y_train, start, config, log)
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
        w, b = fit_logreg(_normalize(emb), y_train, c=config.head_c, seed=config.seed)
        theme_head = Head(w, b, True)
    tagger = make_tagger(served_net, theme_head)

    # ---- dev: blend with the lexical model, thresholds, agency fallback
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
        tagger.agency_head = _fit_agency_head(tagger, train, agency_ids, config)
        tagger.agency_cutoff, curve = _tune_agency_cutoff(tagger, dev, agency_ids)
    else:
        curve = []
    train_s = time.perf_counter() - t_tune
    log(f"fine-tuning, heads and thresholds: {train_s:.0f} s")

    dev_metrics: dict[str, Any] = evaluate_tagger_on(tagger, dev, "dev")
    dev_summary: dict[str, Any] = {"themes": dev_metrics["themes"], "agencies": dev_metrics["agencies"],
                                   "agency_cutoff_curve": curve, "thresholds": threshold_info,
                                   "blend": {"chosen": tagger.blend, "cv": blend_info}}

    # ---- test
    test_metrics = evaluate_tagger_on(tagger, test, "test")
    if config.baselines:
        dev_summary["baselines"], test_metrics["baselines"] = _baselines(
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
        target = default_tagger_dir(models_dir)
        if promote != "force" and (target / "manifest.json").is_file():
            try:
                old = evaluate_folder(target, models_dir, "test", data_dir, shared_dir)
            except Exception as exc:  # noqa: BLE001 - an unreadable old model must not block
                log(f"current default tagger unreadable ({exc}): replacing it")
                old = None
            if old is not None:
                new = test_metrics if not config.max_eval_examples else evaluate_folder(folder, models_dir, "test", data_dir, shared_dir)
                result.gate = compare(old, new)
        if promote == "force" or result.gate is None or result.gate["ok"]:
            result.installed = install(folder, target)
            result.promoted = True
            log(f"installed as the default tagger: {target}")
        else:
            log(f"NOT installed: {result.gate['verdict']}")
    return result
