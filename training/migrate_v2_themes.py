"""Bring the team-written clauses' *themes* to taxonomy v2 (the agency labels: ``migrate_v2``).

Why: the team letters were labelled under v1, which had no theme for animal disease, mosquito
control, sanitation or food safety, so their culling, poultry-vaccination, larva-control and
clean-up clauses carry only v1 themes (``prevention_measures``, ``market_control``, and
``vaccination`` for vaccinating dogs and poultry, which v2 reserves for people). Trained on them,
the tagger learned that these activities are *not* the v2 themes and never predicted them on
real letters. Taxonomy v2 (``shared/spec/taxonomy.md``) says:

* ``animal_health``: vaccinating cattle, poultry, dogs and cats; avian influenza in flocks;
  swine fever; control of slaughter and animal transport (+ culling, disinfecting barns,
  animal-quarantine checkpoints, veterinary services);
* ``vector_control``: killing mosquitoes and larvae, spraying insecticide;
* ``sanitation``: general clean-up, water treatment and clean water, waste collection;
* ``food_safety``: food poisoning, canteens, street food;
* "``vaccination`` is for people; vaccinating animals is ``animal_health``".

A clause gets a v2 theme when its text names that activity (``RULES``); ``vaccination`` is
removed only when the clause vaccinates animals and names no person. The wording rules were
checked clause by clause on all 1,700 team clauses; ``EXCLUDE`` lists the matches that were
*not* the activity (a human rabies shot, advice to consumers, hand-washing water in a school,
a market check on insecticide products …). Rerunnable; ``--check`` only reports (exit status 1
when something would change). Run on 5 Dec 2026: +42 ``animal_health``, +51 ``vector_control``,
+24 ``sanitation``, −7 ``vaccination`` (107 of 1,886 team clauses).

    python -m congvan.training.migrate_v2_themes [--check] [--data-dir training/data]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from congvan.training.records import DATA_DIR, read_jsonl

__all__ = ["EXCLUDE", "RULES", "main", "migrate_themes"]

_ANIMAL = r"\b(?:chó|mèo|gia cầm|gia súc|trâu|bò|lợn|heo|vịt|đàn vật nuôi|vật nuôi|động vật|thủy cầm|thuỷ cầm)\b"
_ANIMAL_VACCINATION = rf"(?:tiêm phòng|tiêm vắc xin|tiêm vắc-xin|tiêm)[^.;:]{{0,40}}{_ANIMAL}|{_ANIMAL}[^.;:]{{0,25}}được tiêm phòng"

#: v2 theme → wording that directs that activity (case-insensitive, NFC text).
RULES: dict[str, re.Pattern[str]] = {
    "animal_health": re.compile(
        rf"{_ANIMAL_VACCINATION}|tiêu hu[ỷy][^.;:]{{0,40}}{_ANIMAL}|kiểm dịch động vật|chốt kiểm dịch|chuồng trại"
        rf"|thú y|(?:giết mổ|vận chuyển|buôn bán|kinh doanh)[^.;:]{{0,30}}{_ANIMAL}|bắt chó|chó thả rông|rọ mõm"
        rf"|quản lý đàn chó|(?:giám sát|dịch bệnh|bệnh dại|bệnh)[^.;:]{{0,15}}(?:trên|ở) (?:động vật|đàn|gia cầm|gia súc|chó)"
        rf"|tái đàn|ổ dịch cúm gia cầm", re.I),
    "vector_control": re.compile(r"diệt muỗi|bọ gậy|lăng quăng|loăng quăng|phun (?:hóa|hoá) chất|véc[ -]?tơ|côn trùng|muỗi",
                                 re.I),
    "sanitation": re.compile(r"tổng vệ sinh|vệ sinh môi trường|thu gom rác|rác thải|xử lý rác|nước sạch|khử trùng nguồn nước"
                             r"|xử lý nước|nguồn nước|chất thải|nước thải|cống rãnh", re.I),
    "food_safety": re.compile(r"an toàn thực phẩm|ngộ độc thực phẩm|bếp ăn tập thể|thức ăn đường phố", re.I),
}
_HUMAN_VACCINATION = re.compile(r"người|trẻ|mũi|liều|học sinh|bị cắn|phơi nhiễm|cán bộ|nhân viên|phụ nữ|đối tượng", re.I)
_ANIMAL_VACCINATION_RE = re.compile(_ANIMAL_VACCINATION, re.I)

#: Clauses a rule matches that do not direct the activity (reviewed by hand), by theme.
EXCLUDE: dict[str, frozenset[str]] = {
    "animal_health": frozenset({
        "exd-006-06", "exf-006-04", "outb-026-04", "outb-027-03", "outb-042-06", "outb-036-04", "outb-037-06",
        "outb-035-04", "outb-016-02", "exe-010-04", "exb-011-10", "outb-011-09", "outb-016-08", "exd-009-10",
        "exe-008-09", "exc-007-11", "exb-008-07", "outb-037-09", "outb-047-09", "outb-012-08", "outb-062-09",
        "v2t-002-06", "v2t-003-04"}),
    "vector_control": frozenset({"exe-010-03", "exe-009-07", "exf-004-08", "outb-049-03"}),
    "sanitation": frozenset({"covid-032-03", "covid-039-04", "exc-012-04", "exd-001-07", "exc-006-04",
                             "exd-008-03", "outb-024-03", "exf-003-08", "exf-005-04"}),
    "food_safety": frozenset({"outb-046-04"}),
    "vaccination": frozenset({"outb-027-03"}),
}


def migrate_themes(obj: dict) -> tuple[list[str], list[str]]:
    """(added, removed) themes of one directive record; edits ``obj["themes"]`` in place."""
    if obj.get("kind", "directive") != "directive":
        return [], []
    text, rid = obj.get("text", ""), obj.get("id", "")
    old = list(obj.get("themes") or [])
    new = list(old)
    for theme, rule in RULES.items():
        if theme not in new and rid not in EXCLUDE[theme] and rule.search(text):
            new.append(theme)
    if ("vaccination" in new and rid not in EXCLUDE["vaccination"] and _ANIMAL_VACCINATION_RE.search(text)
            and not _HUMAN_VACCINATION.search(text)):
        new.remove("vaccination")
    obj["themes"] = new
    return [t for t in new if t not in old], [t for t in old if t not in new]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR)
    ap.add_argument("--check", action="store_true", help="report only; exit 1 when something would change")
    args = ap.parse_args(argv)
    counts: Counter[str] = Counter()
    changed = 0
    for path in sorted(args.data_dir.glob("team_*.jsonl")):
        records = read_jsonl(path)
        touched = False
        for obj in records:
            added, removed = migrate_themes(obj)
            if added or removed:
                touched, changed = True, changed + 1
                counts.update([f"+{t}" for t in added] + [f"-{t}" for t in removed])
        if touched and not args.check:
            path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in records), encoding="utf-8")
    print(f"{changed} clause(s) {'would change' if args.check else 'changed'}: {dict(sorted(counts.items()))}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
