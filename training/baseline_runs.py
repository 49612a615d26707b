"""The baselines of a training run, on the same split and metrics as the tagger (the report's
comparison table): keyword rules, TF-IDF + LR, frozen e5 + LR (models in ``training.baselines``)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from congvan.models.lexical import LexicalModel
from congvan.models.tagger import Head, Tagger, clause_input
from congvan.training.config import TrainConfig
from congvan.training.dataset import Record
from congvan.training.evaluate_tagger import decide, label_matrix, theme_metrics, tune_dev_thresholds
from congvan.training.finetune import normalize, window_max

__all__ = ["embed_directive", "run_baselines"]

Log = Callable[[str], None]

# --------------------------------------------------------------------------- baselines
def run_baselines(config: TrainConfig, train: Sequence[Record], dev: Sequence[Record], test: Sequence[Record],
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
        w, b = fit_logreg(normalize(base_emb["train"]), y, c=config.head_c, seed=config.seed)
        head = Head(w, b, True)
        probs = {}
        for name, recs in (("dev", dev), ("test", test)):
            emb, owners, idx = base_emb[name]
            full = np.zeros((len(recs), len(theme_ids)), np.float32)
            if idx:
                full[idx] = window_max(head.proba(emb), owners, len(idx))
            probs[name] = full
        th = tuned(probs["dev"])
        dev_out["frozen e5 + logistic regression"] = score(dev, probs["dev"], th)
        test_out["frozen e5 + logistic regression"] = score(test, probs["test"], th)
        log("  baseline: frozen e5 + logistic regression done")
    return dev_out, test_out


def embed_directive(tagger: Tagger, records: Sequence[Record], config: TrainConfig) -> tuple:
    idx = [i for i, r in enumerate(records) if r.kind == "directive"]
    inputs = [clause_input(records[i].text, records[i].heading, config.theme_heading) for i in idx]
    emb, owners = tagger.embed(inputs, windows=config.long_text == "windows")
    return emb, owners, idx
