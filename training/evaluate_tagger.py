"""Metrics of the theme tagger and the agency roles, threshold tuning, and the promotion gate.

Definitions used in every table:

* per-label precision / recall / F1 over the clauses of a split (only ``directive`` clauses can
  carry themes; the tagger never tags the others, so they add no true or false positives);
* **micro** P/R/F1 pool every (clause, label) decision; **macro-F1** is the mean of the per-label
  F1 over the labels that have at least one gold example in the split;
* **lead-agency micro-F1**: the same pooling over (clause, lead agency) pairs of directive clauses;
* **confusion pairs**: within one clause, a gold label the model missed (A) next to a label it
  gave wrongly (B) counts as "A → B";
* **worst errors**: clauses ranked by the summed distance between the gold 0/1 and the
  predicted probability of the labels decided wrongly.

The gate (``compare``): a new model whose macro-F1 is more than ``tolerance`` (1 point) below the
old one on the same split is refused.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CLAMPS",
    "GATE_TOLERANCE",
    "choose_clamp",
    "tune_dev_thresholds",
    "agency_metrics",
    "compare",
    "confusion_pairs",
    "evaluate_folder",
    "format_compare",
    "format_tables",
    "decide",
    "label_matrix",
    "theme_metrics",
    "tune_thresholds",
    "worst_errors",
]

GATE_TOLERANCE = 0.01


def label_matrix(labels: Sequence[Sequence[str]], ids: Sequence[str]) -> np.ndarray:
    index = {k: j for j, k in enumerate(ids)}
    y = np.zeros((len(labels), len(ids)), np.int8)
    for i, row in enumerate(labels):
        for k in row:
            if k in index:
                y[i, index[k]] = 1
    return y


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def theme_metrics(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
                  ids: Sequence[str]) -> dict[str, Any]:
    """Per-label, micro and macro scores of multi-label predictions."""
    y, p = label_matrix(gold, ids), label_matrix(pred, ids)
    per: dict[str, dict[str, float]] = {}
    tps = fps = fns = 0
    f1s = []
    for j, k in enumerate(ids):
        tp = int(((y[:, j] == 1) & (p[:, j] == 1)).sum())
        fp = int(((y[:, j] == 0) & (p[:, j] == 1)).sum())
        fn = int(((y[:, j] == 1) & (p[:, j] == 0)).sum())
        tps, fps, fns = tps + tp, fps + fp, fns + fn
        per[k] = {**_prf(tp, fp, fn), "support": tp + fn, "predicted": tp + fp}
        if tp + fn:
            f1s.append(per[k]["f1"])
    exact = float(np.mean([(y[i] == p[i]).all() for i in range(len(y))])) if len(y) else 0.0
    return {"per_label": per, "micro": _prf(tps, fps, fns),
            "macro_f1": round(float(np.mean(f1s)), 4) if f1s else 0.0,
            "labels_with_support": len(f1s), "clauses": len(gold), "exact_match": round(exact, 4)}


def agency_metrics(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
                   ids: Sequence[str]) -> dict[str, Any]:
    m = theme_metrics(gold, pred, ids)
    return {"micro": m["micro"], "macro_f1": m["macro_f1"], "per_label": m["per_label"],
            "clauses": m["clauses"], "exact_match": m["exact_match"]}


def tune_thresholds(probs: np.ndarray, gold: np.ndarray, *, lo: float = 0.2, hi: float = 0.8,
                    default: float = 0.5) -> np.ndarray:
    """Per-label threshold maximising dev F1 (middle of the best plateau), clamped to [lo, hi];
    ``default`` for a label without a positive on dev."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    out = np.full(probs.shape[1], default, np.float32)
    for j in range(probs.shape[1]):
        y = gold[:, j] == 1
        if not y.any():
            continue
        scores = []
        for t in grid:
            pr = probs[:, j] >= t
            tp = int((pr & y).sum())
            fp = int((pr & ~y).sum())
            fn = int((~pr & y).sum())
            scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        scores = np.asarray(scores)
        best = np.flatnonzero(scores >= scores.max() - 1e-9)
        # the longest run of best thresholds, its middle
        runs, run = [], [best[0]]
        for b in best[1:]:
            if b == run[-1] + 1:
                run.append(b)
            else:
                runs.append(run)
                run = [b]
        runs.append(run)
        longest = max(runs, key=len)
        out[j] = float(np.clip(grid[longest[len(longest) // 2]], lo, hi))
    return out


#: Threshold ranges tried by ``choose_clamp``.
CLAMPS = ((0.05, 0.95), (0.2, 0.8), (0.3, 0.7), (0.4, 0.6))


def choose_clamp(probs: np.ndarray, gold: np.ndarray, groups: Sequence[str],
                 clamps: Sequence[tuple[float, float]] = CLAMPS, repeats: int = 20,
                 seed: int = 13) -> tuple[tuple[float, float], list[dict[str, Any]]]:
    """Pick the threshold range by 2-fold cross-validation *within dev*, by letter: tune per-label
    thresholds on half the dev letters, score (mean of micro- and macro-F1) on the other half,
    ``repeats`` random halvings. Dev holds few positives per label, so an unconstrained per-label
    search overfits it; this lets the data say how much freedom the thresholds get."""
    letters = sorted(set(groups))
    if len(letters) < 4:
        return clamps[-1], []
    rng = np.random.default_rng(seed)
    groups_arr = np.asarray(list(groups))
    ids = [str(j) for j in range(gold.shape[1])]
    scores: dict[tuple[float, float], list[float]] = {c: [] for c in clamps}
    for _ in range(repeats):
        half = set(rng.permutation(letters)[: len(letters) // 2].tolist())
        a = np.flatnonzero(np.isin(groups_arr, list(half)))
        b = np.flatnonzero(~np.isin(groups_arr, list(half)))
        for fit, ev in ((a, b), (b, a)):
            gold_ev = [[ids[j] for j in np.flatnonzero(row)] for row in gold[ev]]
            for c in clamps:
                th = tune_thresholds(probs[fit], gold[fit], lo=c[0], hi=c[1])
                m = theme_metrics(gold_ev, decide(probs[ev], th, ids), ids)
                scores[c].append((m["micro"]["f1"] + m["macro_f1"]) / 2)
    table = [{"range": list(c), "cv_score": round(float(np.mean(v)), 4)} for c, v in scores.items()]
    best = max(clamps, key=lambda c: (round(float(np.mean(scores[c])), 4), -(c[1] - c[0])))
    return best, table


def tune_dev_thresholds(probs: np.ndarray, gold: np.ndarray, groups: Sequence[str], config: Any
                        ) -> tuple[np.ndarray, dict[str, Any]]:
    """Per-label thresholds on dev, in the range ``choose_clamp`` picks (or the config's fixed one)."""
    if getattr(config, "threshold_clamp", "cv") == "cv":
        (lo, hi), table = choose_clamp(probs, gold, groups, seed=config.seed)
    else:
        (lo, hi), table = (config.threshold_min, config.threshold_max), []
    th = tune_thresholds(probs, gold, lo=lo, hi=hi, default=config.default_threshold)
    return th, {"range": [lo, hi], "cv": table}


def decide(probs: np.ndarray, thresholds: np.ndarray, ids: Sequence[str]) -> list[list[str]]:
    return [[ids[j] for j in np.argsort(-row) if row[j] >= thresholds[j]] for row in probs]


def confusion_pairs(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], top: int = 10) -> list[dict[str, Any]]:
    pairs: Counter[tuple[str, str]] = Counter()
    for g, p in zip(gold, pred):
        missed = set(g) - set(p)
        extra = set(p) - set(g)
        for a in missed:
            for b in extra:
                pairs[(a, b)] += 1
    return [{"gold": a, "predicted": b, "count": n} for (a, b), n in pairs.most_common(top)]


def worst_errors(texts: Sequence[str], ids: Sequence[str], gold: Sequence[Sequence[str]],
                 pred: Sequence[Sequence[str]], probs: np.ndarray, labels: Sequence[str],
                 k: int = 20) -> list[dict[str, Any]]:
    y = label_matrix(gold, labels)
    p = label_matrix(pred, labels)
    wrong = y != p
    cost = (np.abs(y - probs) * wrong).sum(axis=1)
    order = [i for i in np.argsort(-cost, kind="stable") if wrong[i].any()][:k]
    out = []
    for i in order:
        out.append({"id": ids[i], "text": texts[i], "gold": list(gold[i]), "predicted": list(pred[i]),
                    "scores": {labels[j]: round(float(probs[i, j]), 3) for j in np.flatnonzero(wrong[i])},
                    "cost": round(float(cost[i]), 3)})
    return out


# --------------------------------------------------------------------------- the gate
def compare(old: dict[str, Any], new: dict[str, Any], tolerance: float = GATE_TOLERANCE) -> dict[str, Any]:
    """Per-label F1 difference (new - old) and whether the new model may replace the old.
    Models are compared alone: the taxonomy's theme rules add the same themes to both."""
    o, n = old.get("themes_model_alone") or old["themes"], new.get("themes_model_alone") or new["themes"]
    labels = list(dict.fromkeys([*o["per_label"], *n["per_label"]]))
    rows = []
    for k in labels:
        of = o["per_label"].get(k, {}).get("f1", 0.0)
        nf = n["per_label"].get(k, {}).get("f1", 0.0)
        rows.append({"label": k, "old_f1": of, "new_f1": nf, "diff": round(nf - of, 4),
                     "support": n["per_label"].get(k, {}).get("support", 0)})
    drop = o["macro_f1"] - n["macro_f1"]
    ok = drop <= tolerance + 1e-9
    out = {"per_label": rows,
           "macro_f1": {"old": o["macro_f1"], "new": n["macro_f1"], "diff": round(n["macro_f1"] - o["macro_f1"], 4)},
           "micro_f1": {"old": o["micro"]["f1"], "new": n["micro"]["f1"],
                        "diff": round(n["micro"]["f1"] - o["micro"]["f1"], 4)},
           "tolerance": tolerance, "ok": ok}
    if "agencies" in old and "agencies" in new:
        ol, nl = old["agencies"]["lead"]["micro"]["f1"], new["agencies"]["lead"]["micro"]["f1"]
        out["lead_f1"] = {"old": ol, "new": nl, "diff": round(nl - ol, 4)}
    out["verdict"] = ("promote: macro-F1 did not drop by more than "
                      f"{tolerance * 100:.0f} point" if ok else
                      f"refuse: macro-F1 dropped by {drop * 100:.1f} points (> {tolerance * 100:.0f})")
    return out


def format_compare(cmp: dict[str, Any], old_name: str = "OLD", new_name: str = "NEW") -> str:
    lines = [f"| theme | {old_name} F1 | {new_name} F1 | Δ | support |", "|---|---|---|---|---|"]
    for r in cmp["per_label"]:
        lines.append(f"| {r['label']} | {r['old_f1']:.3f} | {r['new_f1']:.3f} | {r['diff']:+.3f} | {r['support']} |")
    m, mi = cmp["macro_f1"], cmp["micro_f1"]
    lines.append(f"| **macro-F1** | {m['old']:.3f} | {m['new']:.3f} | {m['diff']:+.3f} | |")
    lines.append(f"| **micro-F1** | {mi['old']:.3f} | {mi['new']:.3f} | {mi['diff']:+.3f} | |")
    if "lead_f1" in cmp:
        le = cmp["lead_f1"]
        lines.append(f"| lead-agency micro-F1 | {le['old']:.3f} | {le['new']:.3f} | {le['diff']:+.3f} | |")
    lines.append("")
    lines.append(("OK — " if cmp["ok"] else "REFUSED — ") + cmp["verdict"])
    return "\n".join(lines)


# --------------------------------------------------------------------------- tables
def _theme_table(m: dict[str, Any], labels: dict[str, str] | None = None) -> list[str]:
    labels = labels or {}
    lines = ["| theme | label | P | R | F1 | support | predicted |", "|---|---|---|---|---|---|---|"]
    for k, r in m["per_label"].items():
        lines.append(f"| {k} | {labels.get(k, '')} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} "
                     f"| {r['support']} | {r['predicted']} |")
    mi = m["micro"]
    lines.append(f"| **micro** | | {mi['precision']:.3f} | {mi['recall']:.3f} | {mi['f1']:.3f} | | |")
    lines.append(f"| **macro** | | | | {m['macro_f1']:.3f} | | |")
    return lines


def format_tables(metrics: dict[str, Any], labels: dict[str, str] | None = None,
                  real_note: str | None = None) -> str:
    """The printable summary of an evaluation (``congvan evaluate tagger``); ``real_note`` is
    printed under the by-source table when it has real letters (``training.agreement.agreement_line``)."""
    out: list[str] = []
    split = metrics.get("split", "test")
    out.append(f"Split: {split} — {metrics['themes']['clauses']} clauses "
               f"({metrics.get('directive', '?')} directive), model {metrics.get('model', '')}")
    out.append("")
    out.append("Themes (fine-tuned tagger, thresholds tuned on dev, plus the taxonomy's theme rules):")
    out.extend(_theme_table(metrics["themes"], labels))
    if metrics.get("baselines"):
        out.append("")
        out.append("Comparison on the same split:")
        out.append("| system | micro-P | micro-R | micro-F1 | macro-F1 |")
        out.append("|---|---|---|---|---|")
        rows = [("fine-tuned tagger + theme rules", metrics["themes"])]
        if metrics.get("themes_model_alone"):
            rows.append(("fine-tuned tagger alone", metrics["themes_model_alone"]))
        rows += list(metrics["baselines"].items())
        for name, m in rows:
            mi = m["micro"]
            out.append(f"| {name} | {mi['precision']:.3f} | {mi['recall']:.3f} | {mi['f1']:.3f} | {m['macro_f1']:.3f} |")
    by_source = metrics.get("themes_by_source") or {}
    if len(by_source) > 1:
        out.append("")
        out.append("By source (real = real letters of ../shared/real_letters, seed = the three real Lạng Sơn "
                   "seed letters, team = written by the team):")
        out.append("| source | directive clauses | themes micro-P | micro-R | micro-F1 | macro-F1 "
                   "| micro-F1 model alone | lead F1 | support F1 |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for source, m in by_source.items():
            mi = m["micro"]
            lead = m.get("lead", {}).get("f1", float("nan"))
            support = m.get("support", {}).get("f1", float("nan"))
            alone = m.get("model_alone", {}).get("f1", float("nan"))
            out.append(f"| {source} | {m['directive']} | {mi['precision']:.3f} | {mi['recall']:.3f} | {mi['f1']:.3f} "
                       f"| {m['macro_f1']:.3f} | {alone:.3f} | {lead:.3f} | {support:.3f} |")
        out.append("(themes: the model plus the taxonomy's theme rules, as the product tags; 'model alone' "
                   "without the rules)")
        if "real" in by_source and real_note:
            out.append(real_note)
    ag = metrics.get("agencies")
    if ag:
        out.append("")
        out.append("Responsible agencies (directive clauses):")
        out.append("| system | P | R | micro-F1 |")
        out.append("|---|---|---|---|")
        for name, key in (("lead: rules only", "lead_rules"), ("lead: rules + model fallback", "lead"),
                          ("support: rules", "support_rules")):
            if key in ag:
                mi = ag[key]["micro"]
                out.append(f"| {name} | {mi['precision']:.3f} | {mi['recall']:.3f} | {mi['f1']:.3f} |")
        if "fallback_used" in ag:
            out.append(f"(model fallback used on {ag['fallback_used']} clause(s) where the rules found no lead)")
    pairs = metrics.get("confusion_pairs")
    if pairs:
        out.append("")
        out.append("Most confused (gold missed → predicted instead): " +
                   ", ".join(f"{p['gold']}→{p['predicted']} ({p['count']})" for p in pairs[:8]))
    return "\n".join(out)


# --------------------------------------------------------------------------- evaluating a folder
def predict_records(tagger: Any, records: Sequence[Any], rules: bool = True) -> tuple[np.ndarray, list[list[str]]]:
    """Theme probabilities and decisions for dataset records (non-directive: none); with ``rules``
    the decisions include the taxonomy's theme rules, as the product tags (``letters.themes``)."""
    probs = np.zeros((len(records), len(tagger.theme_ids)), np.float32)
    idx = [i for i, r in enumerate(records) if r.kind == "directive"]
    if idx:
        probs[idx] = tagger.theme_proba([records[i].text for i in idx], [records[i].heading for i in idx])
    preds = decide(probs, tagger.thresholds, tagger.theme_ids)
    for i, r in enumerate(records):
        if r.kind != "directive":
            preds[i] = []
    if rules and hasattr(tagger, "themes_with_rules"):
        # what the product does per letter: the taxonomy's cues and the letter subject's topics
        letters: dict[str, list[int]] = {}
        for i in idx:
            letters.setdefault(records[i].letter_id, []).append(i)
        for members in letters.values():
            subject = (getattr(records[members[0]], "doc", None) or {}).get("subject")
            themes = tagger.themes_with_rules([records[i].text for i in members], probs[members], subject)
            for i, row in zip(members, themes):
                preds[i] = [t.id for t in row]
    return probs, preds


def evaluate_tagger_on(tagger: Any, records: Sequence[Any], split: str, labels: Sequence[str] | None = None,
                       agency_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Theme and agency metrics of a loaded tagger on ``records``."""
    from congvan.letters.taxonomy import load_taxonomy

    tax = load_taxonomy()
    labels = list(labels or tax.theme_ids)
    agency_ids = list(agency_ids or tax.agency_ids)
    probs, preds = predict_records(tagger, records)
    model_alone = [row if r.kind == "directive" else []
                   for r, row in zip(records, decide(probs, tagger.thresholds, tagger.theme_ids))]
    gold = [r.themes for r in records]
    # align the tagger's labels with the taxonomy's (a label the model lacks is never predicted)
    full = np.zeros((len(records), len(labels)), np.float32)
    for j, k in enumerate(labels):
        if k in tagger.theme_ids:
            full[:, j] = probs[:, tagger.theme_ids.index(k)]
    themes = theme_metrics(gold, preds, labels)
    themes_model_alone = theme_metrics(gold, model_alone, labels)
    texts = [r.text for r in records]
    headings = [r.heading for r in records]
    kinds = [r.kind for r in records]
    from congvan.models.tagger import doc_context, rule_roles

    contexts = [doc_context(getattr(r, "doc", None)) for r in records]
    # real letters: the roles the parser gave on the whole letter (what the product shows)
    parsed = [getattr(r, "parsed_lead", None) for r in records]
    rules = tagger.predict_leads(texts, headings, kinds, use_model=False, contexts=contexts, parsed=parsed)
    combined = tagger.predict_leads(texts, headings, kinds, use_model=True, contexts=contexts, parsed=parsed)
    directive = [i for i, r in enumerate(records) if r.kind == "directive"]
    support_rules = [records[i].parsed_support if getattr(records[i], "parsed_support", None) is not None
                     else rule_roles(records[i].text, records[i].heading, tax, **contexts[i]).support
                     for i in directive]
    agencies = {
        "lead_rules": agency_metrics([records[i].lead for i in directive], [rules[i] for i in directive], agency_ids),
        "lead": agency_metrics([records[i].lead for i in directive], [combined[i] for i in directive], agency_ids),
        "support_rules": agency_metrics([records[i].support for i in directive], support_rules, agency_ids),
        "fallback_used": sum(1 for i in directive if not rules[i] and combined[i]),
    }
    # real letters vs team-written ones: the real ones are the best evidence of generalisation
    by_source = {}
    for source in sorted({getattr(r, "source", "team") for r in records}):
        idx = [i for i in directive if getattr(records[i], "source", "team") == source]
        if idx:
            m = theme_metrics([gold[i] for i in idx], [preds[i] for i in idx], labels)
            pos = {i: k for k, i in enumerate(directive)}
            lead = agency_metrics([records[i].lead for i in idx], [combined[i] for i in idx], agency_ids)
            support = agency_metrics([records[i].support for i in idx], [support_rules[pos[i]] for i in idx],
                                     agency_ids)
            alone = theme_metrics([gold[i] for i in idx], [model_alone[i] for i in idx], labels)
            by_source[source] = {"directive": len(idx), "micro": m["micro"], "macro_f1": m["macro_f1"],
                                 "model_alone": alone["micro"],
                                 "lead": lead["micro"], "support": support["micro"]}
    return {
        "split": split, "directive": len(directive), "themes": themes, "themes_model_alone": themes_model_alone,
        "agencies": agencies,
        "themes_by_source": by_source,
        "confusion_pairs": confusion_pairs(gold, preds),
        "worst_errors": worst_errors(texts, [r.id for r in records], gold, preds, full, labels),
    }


def evaluate_folder(folder: Path | str, models_dir: Path, split: str = "test",
                    data_dir: Path | str | None = None, shared_dir: Path | None = None) -> dict[str, Any]:
    """Load a tagger folder and evaluate it on a split of the dataset (as stored in splits.json)."""
    from congvan.models.tagger import load_tagger
    from congvan.training.dataset import ensure_splits, load_records, select

    records = load_records(data_dir, shared_dir=shared_dir)
    assign = ensure_splits(records, data_dir, write=False)
    chosen = select(records, assign, split)
    tagger = load_tagger(folder, models_dir)
    metrics = evaluate_tagger_on(tagger, chosen, split)
    metrics["model"] = str(folder)
    return metrics
