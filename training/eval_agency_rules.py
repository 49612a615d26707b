"""Lead/support micro-F1 of the agency *rules* (no model) on the annotated clauses, by group.

Two views of the same rules:

* ``dataset``: ``models.tagger.rule_roles`` on a clause known by its text, its immediate heading
  and its letter's level and date (``doc_context``) — what ``congvan evaluate tagger`` reports;
* ``parser``: the roles the parser gives while parsing a whole real letter (full item tree, the
  letter's single addressee, level and date), joined to the annotations by clause key.

Groups: real letters train+dev (develop on these), real test (report only), the three seed
letters, the team test split and all team clauses. Real letters need ``--shared`` (../shared).

    python -m congvan.training.eval_agency_rules --shared ../shared [--errors errors.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from congvan.letters.taxonomy import load_taxonomy


def _row(name: str, gl: list, pl: list, gs: list, ps: list, ids: list[str]) -> dict[str, Any]:
    from congvan.training.evaluate_tagger import agency_metrics

    lead = agency_metrics(gl, pl, ids)["micro"]
    sup = agency_metrics(gs, ps, ids)["micro"]
    print(f"{name:26s} n={len(gl):4d}  lead P/R/F1 {lead['precision']:.3f}/{lead['recall']:.3f}/{lead['f1']:.3f}"
          f"  support P/R/F1 {sup['precision']:.3f}/{sup['recall']:.3f}/{sup['f1']:.3f}")
    return {"group": name, "clauses": len(gl), "lead": lead, "support": sup}


def main(argv: list[str] | None = None) -> int:
    from congvan.models.tagger import doc_context, rule_roles
    from congvan.training.dataset import load_records, stored_splits

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=None, help="../shared (real letters and seeds)")
    ap.add_argument("--errors", type=Path, default=None, help="write the real train+dev disagreements here")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    tax = load_taxonomy()
    ids = tax.agency_ids
    split_of = stored_splits()
    recs = [r for r in load_records(shared_dir=args.shared) if r.kind == "directive"]
    groups = {
        "dataset real train+dev": lambda r: r.source == "real" and split_of.get(r.letter_id) in ("train", "dev"),
        "dataset real test": lambda r: r.source == "real" and split_of.get(r.letter_id) == "test",
        "dataset seed": lambda r: r.source == "seed",
        "dataset team test": lambda r: r.source == "team" and split_of.get(r.letter_id) == "test",
        "dataset team all": lambda r: r.source == "team",
    }
    rows, errors = [], []
    for name, keep in groups.items():
        sel = [r for r in recs if keep(r)]
        if not sel:
            continue
        pred = [rule_roles(r.text, r.heading, tax, **doc_context(r.doc)) for r in sel]
        rows.append(_row(name, [r.lead for r in sel], [p.lead for p in pred],
                         [r.support for r in sel], [p.support for p in pred], ids))
    if args.shared is not None and Path(args.shared).is_dir():
        rows += _parser_rows(Path(args.shared), split_of, ids, errors)
    if args.errors is not None:
        args.errors.write_text(json.dumps(errors, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    return 0


def _parser_rows(shared: Path, split_of: dict[str, str], ids: list[str], errors: list) -> list[dict[str, Any]]:
    from congvan.letters.pipeline import corpus_letter
    from congvan.training.clause_keys import clause_keys
    from congvan.training.real_letters import letter_id_for, load_annotations

    clauses, _ = load_annotations()
    res: dict[str, tuple[list, list, list, list]] = {}
    for file in sorted(clauses):
        notes, path = clauses[file], shared / file
        if not path.is_file():
            continue
        lid = letter_id_for(file)
        group = "parser seed" if file.startswith("seeds/") else (
            "parser real test" if split_of.get(lid) == "test" else "parser real train+dev")
        letter = corpus_letter(path)
        used: set[str] = set()
        for c in letter.clauses:
            note = next((notes[k] for k in clause_keys(c.text) if k in notes and k not in used), None)
            if note is None:
                continue
            used.add(note["key"])
            if (note.get("kind") or "directive") != "directive":
                continue
            g = res.setdefault(group, ([], [], [], []))
            gold_lead, gold_sup = note.get("lead") or [], note.get("support") or []
            g[0].append(gold_lead), g[1].append(c.agencies.lead), g[2].append(gold_sup), g[3].append(c.agencies.support)
            if group == "parser real train+dev" and (set(gold_lead) != set(c.agencies.lead)
                                                     or set(gold_sup) != set(c.agencies.support)):
                errors.append({"clause": f"{lid}:{c.path}", "central": letter.central,
                               "gold": [gold_lead, gold_sup], "rules": [c.agencies.lead, c.agencies.support]})
    return [_row(name, *res[name], ids) for name in ("parser real train+dev", "parser real test", "parser seed")
            if name in res]


if __name__ == "__main__":
    sys.exit(main())
