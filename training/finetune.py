"""Fine-tuning the tagger's encoder: frozen-layer cache, the training loop, the agency fallback.

Why a cache: only the top ``train_layers`` blocks learn, so the lower blocks' output is computed
once per training window and reused every epoch (most of the cost of a naive loop).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from congvan.models.tagger import Head, Tagger, TaggerNet, clause_input, pad_batch
from congvan.training.config import TrainConfig
from congvan.training.dataset import Record
from congvan.training.evaluate_tagger import label_matrix

__all__ = ["cache_lower_layers", "fine_tune", "fit_agency_head", "normalize", "pooled_embeddings",
           "tune_agency_cutoff", "window_max"]

Log = Callable[[str], None]
#: ``(done, total)`` progress of a loop
Step = Callable[[int, int], None]


def normalize(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def window_max(probs: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
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
def cache_lower_layers(net: TaggerNet, ids: list[list[int]], pad: int, start: int, log: Log,
                       on_step: Step | None = None) -> list[Any]:
    """Run the frozen lower layers once over every training window (they never change)."""
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
            if on_step is not None:
                on_step(min(s + 32, len(order)), len(order))
    log(f"  cached the frozen layers' output for {len(ids)} clauses in {time.perf_counter() - t0:.0f} s")
    return cache


def fine_tune(net: TaggerNet, cache: list[Any], y: np.ndarray, start: int, config: TrainConfig,
              log: Log, on_step: Step | None = None) -> Any:
    """Train the top layers (+ a linear head for ``bce``); returns the head (or None).
    ``on_step(step, total)`` after every optimiser step (progress bars, job state)."""
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

                emb = pooled_embeddings(net, cache, start)
                if config.head_normalize:
                    emb = normalize(emb)
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
            if on_step is not None:
                on_step(step, total)
            if step % 10 == 0 or step == total:
                log(f"  epoch {epoch + 1}/{config.epochs} step {step}/{total} "
                    f"loss {running / max(1, seen):.4f} ({time.perf_counter() - t0:.0f} s)")
    encoder.eval()
    return head


def pooled_embeddings(net: TaggerNet, cache: list[Any], start: int) -> np.ndarray:
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
def fit_agency_head(tagger: Tagger, train: Sequence[Record], agency_ids: list[str], config: TrainConfig) -> Head:
    from congvan.training.baselines import fit_logreg

    recs = [r for r in train if r.kind == "directive"]
    emb, _ = tagger.embed([clause_input(r.text, r.heading, True) for r in recs], windows=False)
    y = label_matrix([r.lead for r in recs], agency_ids)
    w, b = fit_logreg(normalize(emb), y, c=config.head_c, seed=config.seed)
    return Head(w, b, True)


def tune_agency_cutoff(tagger: Tagger, dev: Sequence[Record], agency_ids: list[str]) -> tuple[float, list]:
    """The cut-off maximising dev lead micro-F1 of rules + fallback (ties: closest to 0.5)."""
    from congvan.training.evaluate_tagger import agency_metrics

    recs = [r for r in dev if r.kind == "directive"]
    if not recs or tagger.agency_head is None:
        return 0.5, []
    texts, heads = [r.text for r in recs], [r.heading for r in recs]
    from congvan.models.tagger import doc_context

    rules = tagger.predict_leads(texts, heads, use_model=False, contexts=[doc_context(r.doc) for r in recs],
                                 parsed=[r.parsed_lead for r in recs])
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
