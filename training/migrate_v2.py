"""Migrate the team-written clauses (``training/data/team_*.jsonl``) from agency labels v1 to v2.

Under v1 the guideline left bodies without an id unlabelled ("Công an tỉnh, Sở Tài chính, các
bệnh viện … → lead để trống"). Taxonomy v2 gives them ids (``cong_an_tinh``, ``so_tai_chinh``,
``co_so_y_te``, ``so_khac`` …). This script adds such a v2 id to a clause's ``lead`` or
``support`` when the v2 agency rules (``models.tagger.rule_roles``, the clause's text and
heading, the letter's level and date) give the body that role — i.e. the clause or its heading
names it as subject, "chủ trì" or "phối hợp" — and the clause does not carry that id yet.

It never removes or moves a label and never adds a v1 id (their labels were decided by hand under
v1 and stay as they are). Rerunnable: a second run changes nothing. ``--check`` only reports
(exit status 1 when something would change).

The parser oracles (``samples/letters`` and ``tests/data/letters``: ``*.expected.json`` with
``agencies_by_item``, also team-written) are migrated the same way with ``--oracles``: an item
takes the parser's v2 roles when they only add v2 ids to its v1 labels (same order as the parser).

    python -m congvan.training.migrate_v2 [--check] [--data-dir training/data] [--oracles]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.training.records import DATA_DIR, read_jsonl

__all__ = ["V1_AGENCY_IDS", "main", "migrate_file", "migrate_oracle", "migrate_record"]

#: The agency ids of taxonomy v1 (shared/spec/taxonomy.md): their labels are never touched.
V1_AGENCY_IDS = frozenset({
    "ubnd_tinh", "so_y_te", "cdc", "so_tttt", "so_ldtbxh", "so_gddt", "so_cong_thuong", "qltt",
    "ubnd_huyen", "cac_so_nganh", "mttq", "bao_chi", "ban_dan_van", "bcd_tinh"})


def migrate_record(obj: dict, tax: Taxonomy) -> dict[str, list[str]]:
    """The v2 ids to add to one record, by role ({"lead": [...], "support": [...]}); edits ``obj``."""
    from congvan.models.tagger import doc_context, rule_roles

    added: dict[str, list[str]] = {"lead": [], "support": []}
    if (obj.get("kind") or "directive") != "directive":
        return added
    roles = rule_roles(obj["text"], obj.get("heading"), tax, **doc_context(obj.get("doc")))
    have = set(obj.get("lead") or []) | set(obj.get("support") or [])
    for role, ids in (("lead", roles.lead), ("support", roles.support)):
        for agency in ids:
            if agency in V1_AGENCY_IDS or agency in have:
                continue
            obj.setdefault(role, []).append(agency)
            have.add(agency)
            added[role].append(agency)
    return added


def migrate_file(path: Path, tax: Taxonomy, write: bool = True) -> Counter[str]:
    """Migrate one JSONL file in place (same key order and formatting); counts per role:id."""
    counts: Counter[str] = Counter()
    objs = read_jsonl(path)
    for obj in objs:
        added = migrate_record(obj, tax)
        for role, ids in added.items():
            counts.update(f"{role}:{a}" for a in ids)
        if any(added.values()):
            counts["clauses"] += 1
    if write and counts:
        path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")
    return counts


def migrate_oracle(path: Path, tax: Taxonomy, write: bool = True) -> Counter[str]:
    """Add v2 ids to an oracle's ``agencies_by_item`` where the parser's roles only add v2 ids."""
    from congvan.letters.parse import parse_letter

    counts: Counter[str] = Counter()
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data.get("agencies_by_item") or {}
    if not items:
        return counts
    text = path.with_name(path.name.replace(".expected.json", ".txt")).read_text(encoding="utf-8")
    letter = parse_letter(text, source=path.name, taxonomy=tax)
    by_path = {c.path: c for c in letter.clauses}
    directives = [c for c in letter.clauses if c.kind == "directive"]
    for key, want in items.items():
        clause = by_path.get(key) or by_path.get(f"Đ{key}") or (
            directives[0] if key == "1" and len(directives) == 1 else None)
        if clause is None:
            continue
        changed = False
        for role in ("lead", "support"):
            got = list(getattr(clause.agencies, role))
            old = list(want.get(role) or [])
            new = [a for a in got if a not in V1_AGENCY_IDS and a not in old]
            v1_part = [a for a in got if a not in new]
            same = v1_part == old if role == "lead" else sorted(v1_part) == sorted(old)
            if new and same:
                want[role] = got if role == "lead" else [*old, *new]
                counts.update(f"{role}:{a}" for a in new)
                changed = True
        counts["clauses"] += changed
    if write and counts.get("clauses"):
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR)
    ap.add_argument("--check", action="store_true", help="report only; exit 1 when something would change")
    ap.add_argument("--oracles", action="store_true",
                    help="also the parser oracles of samples/letters and tests/data/letters")
    args = ap.parse_args(argv)
    tax = load_taxonomy()
    total: Counter[str] = Counter()
    for path in sorted(args.data_dir.glob("team_*.jsonl")):
        counts = migrate_file(path, tax, write=not args.check)
        total.update(counts)
        print(f"{path.name}: {counts.get('clauses', 0)} clauses changed")
    if args.oracles:
        root = args.data_dir.resolve().parents[1]
        for path in sorted([*(root / "samples" / "letters").glob("*.expected.json"),
                            *(root / "tests" / "data" / "letters").glob("*.expected.json")]):
            counts = migrate_oracle(path, tax, write=not args.check)
            total.update(counts)
            if counts.get("clauses"):
                print(f"{path.name}: {counts['clauses']} items changed")
    for key, n in sorted(total.items()):
        if key != "clauses":
            print(f"  {key}: +{n}")
    print(f"total: {total.get('clauses', 0)} clauses {'would change' if args.check else 'changed'}")
    return 1 if args.check and total.get("clauses") else 0


if __name__ == "__main__":
    sys.exit(main())
