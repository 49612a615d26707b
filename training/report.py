"""The human-readable ``report.md`` written next to each trained model."""
from __future__ import annotations

from typing import Any

from congvan.training.evaluate_tagger import _theme_table, format_tables

__all__ = ["render_report"]


def _short(text: str, n: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def render_report(metrics: dict[str, Any], manifest: dict[str, Any], labels: dict[str, str],
                  command: str) -> str:
    cfg = manifest.get("config", {})
    data = manifest.get("data", {})
    timing = metrics.get("timing", {})
    lines = [
        f"# Theme tagger run `{manifest.get('run', '')}`",
        "",
        f"- command: `{command}`",
        f"- created: {manifest.get('created', '')}; preset `{cfg.get('preset')}`, method `{cfg.get('method')}`, "
        f"{cfg.get('epochs')} epochs, top {cfg.get('train_layers')} layers fine-tuned, "
        f"max_seq_length {cfg.get('max_seq_length')} ({cfg.get('long_text')}), seed {cfg.get('seed')}, "
        f"int8 inference: {manifest.get('quantized')}",
        f"- data: {data.get('records')} clauses ({data.get('splits')}), hash `{str(data.get('hash', ''))[:16]}…`; "
        f"corrections: {data.get('corrections')}",
        f"- time: fine-tuning {timing.get('train_s', 0):.0f} s, whole run {timing.get('total_s', 0):.0f} s "
        f"on {timing.get('threads')} CPU thread(s)",
        "",
        "## Test split (held out: never used for training or tuning)",
        "",
        "```",
        format_tables(metrics["test"], labels),
        "```",
        "",
        "## Dev split (thresholds and the agency cut-off are tuned here)",
        "",
    ]
    dev = metrics.get("dev", {})
    if dev.get("themes"):
        lines += _theme_table(dev["themes"], labels)
    if dev.get("baselines"):
        lines += ["", "| system (dev) | micro-F1 | macro-F1 |", "|---|---|---|"]
        lines.append(f"| fine-tuned tagger | {dev['themes']['micro']['f1']:.3f} | {dev['themes']['macro_f1']:.3f} |")
        for name, m in dev["baselines"].items():
            lines.append(f"| {name} | {m['micro']['f1']:.3f} | {m['macro_f1']:.3f} |")
    if dev.get("agency_cutoff_curve"):
        lines += ["", "Agency fallback cut-off on dev (lead micro-F1): " + ", ".join(
            f"{c}: {f:.3f}" for c, f in dev["agency_cutoff_curve"])]
    rng = dev.get("thresholds", {})
    if rng.get("cv"):
        lines += ["", f"Threshold range {rng['range']} chosen by 2-fold letter cross-validation inside dev "
                      "(mean of micro- and macro-F1 on the held-out half): " +
                  ", ".join(f"{r['range']}: {r['cv_score']:.3f}" for r in rng["cv"])]
    thresholds = manifest.get("thresholds", {})
    if thresholds:
        lines += ["", "Per-theme thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in thresholds.items())]
    lines += ["", f"Agency fallback cut-off: {manifest.get('agency_cutoff')}", ""]

    pairs = metrics["test"].get("confusion_pairs", [])
    lines += ["## Most confused theme pairs (test)", "",
              "| gold (missed) | predicted instead | clauses |", "|---|---|---|"]
    lines += [f"| {p['gold']} | {p['predicted']} | {p['count']} |" for p in pairs] or ["| — | — | 0 |"]
    lines += ["", "## 20 worst errors (test)", ""]
    for n, e in enumerate(metrics["test"].get("worst_errors", [])[:20], start=1):
        scores = ", ".join(f"{k} {v:.2f}" for k, v in e["scores"].items())
        lines.append(f"{n}. `{e['id']}` gold {e['gold']} → predicted {e['predicted']} (scores of the wrong "
                     f"decisions: {scores})  \n   {_short(e['text'])}")
    lines.append("")
    return "\n".join(lines)
