"""How far two annotators agree on the themes of real clauses: the ceiling a tagger is judged under.

A second annotator labelled 154 directive clauses of the real letters' **train and dev** splits (up
to 6 drawn at random per letter, seed 7) blind, from the written guideline alone (the spec's
taxonomy, the guideline and the real-letter decisions in ``training/data/README.md``), seeing the
clause, its item heading and the letter's subject and issuer, not the team's labels. Both label
sets are keyed by file and clause key (``training/data/agreement/``, ``training/data/real/``), so
no letter text is needed and the figures are reproducible without ``../shared``:

    python -m congvan.training.agreement [--json]

The team's labels are taken as the reference, so "precision" is the share of the second
annotator's themes the team also gave. The test split is never sampled. ``--blind FILE`` scores
another blind set the same way (``real_themes_blind2_guideline_before/after.jsonl``: 73 further
clauses labelled without and with the written ``leadership``/``economy`` conventions;
``real_themes_blind3_guideline_narrowed.jsonl``: 61 more with the narrowed wording).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from congvan.training.records import DATA_DIR, read_jsonl

AGREEMENT_DIR = DATA_DIR / "agreement"
BLIND_THEMES = AGREEMENT_DIR / "real_themes_blind.jsonl"


def theme_agreement(blind_path: Path = BLIND_THEMES, real_dir: Path | None = None) -> dict[str, Any]:
    """Micro/macro agreement (``theme_metrics``) of the blind labels with the team's, per label too."""
    from congvan.letters.taxonomy import load_taxonomy
    from congvan.training.dataset import stored_splits
    from congvan.training.evaluate_tagger import theme_metrics
    from congvan.training.real_letters import REAL_DIR, letter_id_for, load_annotations

    clauses, _ = load_annotations(real_dir or REAL_DIR)
    split_of = stored_splits()
    team, blind, letters = [], [], set()
    for n, row in enumerate(read_jsonl(blind_path), start=1):
        note = clauses.get(row["file"], {}).get(row["key"])
        if note is None:
            raise ValueError(f"{blind_path.name}:{n}: no team label for {row['file']} key {row['key']} "
                             "(were the real annotations re-keyed? re-key this file the same way)")
        lid = letter_id_for(row["file"])
        if split_of.get(lid) == "test":
            raise ValueError(f"{blind_path.name}:{n}: {lid} is a test letter; agreement is measured on "
                             "train and dev letters only")
        team.append(list(note.get("themes") or []))
        blind.append(list(row.get("themes") or []))
        letters.add(lid)
    metrics = theme_metrics(team, blind, load_taxonomy().theme_ids)
    metrics["letters"] = len(letters)
    metrics["no_theme"] = {"team": sum(not t for t in team), "blind": sum(not b for b in blind)}
    return metrics


def agreement_line() -> str:
    """One line to read the real-letter rows of a tagger report against: how far two annotators agree."""
    try:
        m = theme_agreement()
    except (OSError, ValueError) as exc:  # the blind labels missing or not joining: say so, don't fail
        return f"(annotator agreement not available: {exc})"
    return (f"(for scale: a blind second annotator agrees with the team's theme labels at micro-F1 "
            f"{m['micro']['f1']:.3f} on {m['clauses']} real train/dev clauses — python -m "
            f"congvan.training.agreement)")


def format_agreement(m: dict[str, Any]) -> str:
    mi = m["micro"]
    head = (f"Theme agreement, {m['clauses']} real directive clauses of {m['letters']} train/dev letters "
            f"(team labels as reference): micro P {mi['precision']:.3f} R {mi['recall']:.3f} "
            f"F1 {mi['f1']:.3f}, macro-F1 {m['macro_f1']:.3f}, exact match {m['exact_match']:.3f}; "
            f"no theme: team {m['no_theme']['team']}, blind {m['no_theme']['blind']}")
    lines = [head, "| theme | P | R | F1 | team | blind |", "|---|---|---|---|---|---|"]
    for k, r in m["per_label"].items():
        if r["support"] or r["predicted"]:
            lines.append(f"| {k} | {r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.2f} "
                         f"| {r['support']} | {r['predicted']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--blind", type=Path, default=BLIND_THEMES, help="the second annotator's labels")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    m = theme_agreement(args.blind)
    print(json.dumps(m, ensure_ascii=False) if args.json else format_agreement(m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
