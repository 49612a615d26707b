"""Audit the taxonomy's theme rules against the annotations: how often each cue and topic is right.

A cue decides a theme on its own, so it is kept only where the annotated **train+dev** clauses
agree with it (precision ≥ 0.85 over at least two clauses, or wording the taxonomy spec lists for
the theme); the test split is never read here. Topics are checked per letter: the share of a
matched letter's directive clauses that carry the theme (real letters need ``--shared``).

    python -m congvan.training.theme_cues --shared ../shared [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.letters.themes import ThemeRules, compile_phrases, matches, text_form

CUE_PRECISION = 0.85


def cue_stats(records: list[Any], taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Per (theme, cue): directive clauses containing it and how many carry the theme."""
    forms = [text_form(r.text) for r in records]
    subjects = [text_form((r.doc or {}).get("subject") or "") for r in records]
    rows = []
    for theme in taxonomy.themes:
        context = compile_phrases(theme.cue_context)
        in_context = [context == (None, None) or matches(context, *forms[i]) or matches(context, *subjects[i])
                      for i in range(len(records))]  # a cue counts only where its context holds
        for cue in theme.cues:
            pair = compile_phrases([cue])
            hits = [i for i, (text, accented) in enumerate(forms)
                    if in_context[i] and matches(pair, text, accented)]
            right = sum(theme.id in records[i].themes for i in hits)
            rows.append({"theme": theme.id, "cue": cue, "clauses": len(hits), "right": right,
                         "precision": round(right / len(hits), 3) if hits else None})
    return rows


def topic_stats(records: list[Any], taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Per letter whose subject names a topic: the share of its directive clauses with the theme."""
    rules = ThemeRules(taxonomy)
    letters: dict[str, list[Any]] = defaultdict(list)
    for r in records:
        letters[r.letter_id].append(r)
    rows = []
    for lid, members in sorted(letters.items()):
        subject = (members[0].doc or {}).get("subject")
        for theme in rules.topics(subject):
            right = sum(theme in r.themes for r in members)
            rows.append({"letter": lid, "theme": theme, "clauses": len(members), "right": right,
                         "subject": subject})
    return rows


def main(argv: list[str] | None = None) -> int:
    from congvan.training.dataset import ensure_splits, load_records

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=None, help="../shared (real letters and seeds)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    tax = load_taxonomy()
    records = load_records(shared_dir=args.shared)
    assign = ensure_splits(records, write=False)
    chosen = [r for r in records if r.kind == "directive" and assign.get(r.letter_id) in ("train", "dev")]
    cues, topics = cue_stats(chosen, tax), topic_stats(chosen, tax)
    if args.json:
        print(json.dumps({"cues": cues, "topics": topics}, ensure_ascii=False))
        return 0
    print(f"{len(chosen)} annotated train+dev directive clauses")
    print(f"{'theme':20s} {'cue':32s} right/clauses precision")
    for row in cues:
        flag = "" if row["precision"] is None or row["clauses"] < 2 or row["precision"] >= CUE_PRECISION else "  < 0.85"
        prec = "—" if row["precision"] is None else f"{row['precision']:.2f}"
        print(f"{row['theme']:20s} {row['cue']:32s} {row['right']:4d}/{row['clauses']:<4d}  {prec}{flag}")
    print("\nletters whose subject names a topic (train+dev): clauses with the theme")
    for row in topics:
        print(f"{row['letter']:18s} {row['theme']:16s} {row['right']:3d}/{row['clauses']:<3d} {str(row['subject'])[:70]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
