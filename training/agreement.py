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

``--agencies`` scores lead and support the same way: ``real_agencies_blind.jsonl`` holds the lead
and support agencies of the first sample's 154 clauses, labelled by another annotator who read the
guideline and the whole letters (stop 17). Not fully blind: the guideline's "Agencies v2" notes in
``training/data/README.md`` report the team's decision on about eight of those clauses.
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
#: lead/support of the first sample's clauses, labelled blind by another annotator (stop 17)
BLIND_AGENCIES = AGREEMENT_DIR / "real_agencies_blind.jsonl"


def _joined(blind_path: Path, real_dir: Path | None = None) -> tuple[list[dict], list[dict], set[str]]:
    """(team labels, blind labels, letters) of a blind file, row by row; refuses rows that do not
    join the team's annotations and rows of test letters."""
    from congvan.training.dataset import stored_splits
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
        team.append(note)
        blind.append(row)
        letters.add(lid)
    return team, blind, letters


def theme_agreement(blind_path: Path = BLIND_THEMES, real_dir: Path | None = None) -> dict[str, Any]:
    """Micro/macro agreement (``theme_metrics``) of the blind labels with the team's, per label too."""
    from congvan.letters.taxonomy import load_taxonomy
    from congvan.training.evaluate_tagger import theme_metrics

    team_rows, blind_rows, letters = _joined(blind_path, real_dir)
    team = [list(note.get("themes") or []) for note in team_rows]
    blind = [list(row.get("themes") or []) for row in blind_rows]
    metrics = theme_metrics(team, blind, load_taxonomy().theme_ids)
    metrics["letters"] = len(letters)
    metrics["no_theme"] = {"team": sum(not t for t in team), "blind": sum(not b for b in blind)}
    return metrics


def agency_agreement(blind_path: Path = BLIND_AGENCIES, real_dir: Path | None = None) -> dict[str, Any]:
    """Lead and support agreement (micro over agency ids, as ``congvan evaluate tagger`` scores
    the rules) of a blind agency annotation with the team's."""
    from congvan.letters.taxonomy import load_taxonomy
    from congvan.training.evaluate_tagger import agency_metrics

    team_rows, blind_rows, letters = _joined(blind_path, real_dir)
    ids = load_taxonomy().agency_ids
    out: dict[str, Any] = {"clauses": len(team_rows), "letters": len(letters)}
    for role in ("lead", "support"):
        team = [list(note.get(role) or []) for note in team_rows]
        blind = [list(row.get(role) or []) for row in blind_rows]
        out[role] = agency_metrics(team, blind, ids)
        out[role]["none"] = {"team": sum(not t for t in team), "blind": sum(not b for b in blind)}
    return out


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
    return "\n".join([head, *_label_table("theme", m["per_label"])])


def _label_table(name: str, per_label: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown rows of per-label agreement, labels either annotator used."""
    lines = [f"| {name} | P | R | F1 | team | blind |", "|---|---|---|---|---|---|"]
    for k, r in per_label.items():
        if r["support"] or r["predicted"]:
            lines.append(f"| {k} | {r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.2f} "
                         f"| {r['support']} | {r['predicted']} |")
    return lines


def format_agency_agreement(m: dict[str, Any]) -> str:
    head = (f"Agency agreement, {m['clauses']} real directive clauses of {m['letters']} train/dev letters "
            f"(team labels as reference):")
    lines = [head, "| role | P | R | F1 | exact match | none: team | none: blind |", "|---|---|---|---|---|---|---|"]
    for role in ("lead", "support"):
        r = m[role]
        lines.append(f"| {role} | {r['micro']['precision']:.3f} | {r['micro']['recall']:.3f} | "
                     f"{r['micro']['f1']:.3f} | {r['exact_match']:.3f} | {r['none']['team']} | {r['none']['blind']} |")
    return "\n".join([*lines, *_label_table("agency (lead)", m["lead"]["per_label"])])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--blind", type=Path, default=None, help="the second annotator's labels "
                    "(default: the first theme sample, or with --agencies the agency sample)")
    ap.add_argument("--agencies", action="store_true", help="score lead/support agencies instead of themes")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.agencies:
        m = agency_agreement(args.blind or BLIND_AGENCIES)
        print(json.dumps(m, ensure_ascii=False) if args.json else format_agency_agreement(m))
        return 0
    m = theme_agreement(args.blind or BLIND_THEMES)
    print(json.dumps(m, ensure_ascii=False) if args.json else format_agreement(m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
