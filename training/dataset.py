"""The annotated clause dataset (``training/data/*.jsonl``): loading, checking, splitting, hashing.

Schema and annotation guideline: ``training/data/README.md``. Every record is one clause::

    {"id", "letter_id", "source", "doc", "heading", "path", "kind", "text",
     "themes", "lead", "support"}

Splits are **by letter** (clauses of one letter never straddle train/dev/test, so the model is
never tested on a sibling of a clause it learned), deterministic and stratified (greedy
iterative stratification over theme and lead-agency labels), ~70/15/15 of the clauses. The real
seed letters are always in **test**. The assignment is stored in ``training/data/splits.json``;
letters that are not in it yet (new data) are added without moving any existing letter.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.training.real_letters import load_real_records
from congvan.training.records import DATA_DIR, KINDS, DatasetError, Record, norm_text, read_jsonl, text_key

__all__ = [
    "DATA_DIR",
    "DatasetError",
    "Record",
    "SPLITS",
    "dataset_hash",
    "ensure_splits",
    "label_counts",
    "load_records",
    "make_splits",
    "norm_text",
    "read_jsonl",
    "select",
    "text_key",
    "validate",
]

SPLITS_FILE = "splits.json"
SPLITS = ("train", "dev", "test")
RATIOS = {"train": 0.70, "dev": 0.15, "test": 0.15}
#: Real letters (``source`` "real") are split by letter with their own ratios, test included:
#: the team's frozen test split stays as it was, and real letters are reported on their own.
REAL_RATIOS = {"train": 0.50, "dev": 0.15, "test": 0.35}


def load_records(data_dir: Path | str | None = None, taxonomy: Taxonomy | None = None,
                 strict: bool = True, shared_dir: Path | str | None = None) -> list[Record]:
    """All records of ``data_dir/*.jsonl`` (sorted by file name), checked against the taxonomy,
    plus the annotated real letters and seeds when ``shared_dir`` (``../shared``) is given and there
    (their text is read from it and parsed: ``training.real_letters``).

    ``strict``: raise on the first problem; otherwise drop bad records (``validate`` lists them).
    """
    data_dir = Path(data_dir or DATA_DIR)
    files = sorted(data_dir.glob("*.jsonl"))
    if not files:
        raise DatasetError(f"no *.jsonl dataset files in {data_dir}")
    records: list[Record] = []
    for path in files:
        for n, obj in enumerate(read_jsonl(path), start=1):
            try:
                records.append(Record.from_json(obj, file=f"{path.name}:{n}"))
            except (KeyError, TypeError) as exc:
                if strict:
                    raise DatasetError(f"{path.name}:{n}: missing field {exc}") from None
    if shared_dir is not None:
        records.extend(load_real_records(shared_dir).records)
    problems = validate(records, taxonomy)
    if problems and strict:
        raise DatasetError("dataset problems:\n  " + "\n  ".join(problems[:20]))
    if problems:
        bad = {p.split(":", 2)[0] + ":" + p.split(":", 2)[1] for p in problems}
        records = [r for r in records if r.file not in bad]
    return records


def validate(records: Sequence[Record], taxonomy: Taxonomy | None = None) -> list[str]:
    """Schema problems, one line each, prefixed with ``file:line``."""
    tax = taxonomy or load_taxonomy()
    themes, agencies = set(tax.theme_ids), set(tax.agency_ids)
    problems: list[str] = []
    seen: dict[str, str] = {}
    for r in records:
        where = r.file or r.id
        if r.id in seen:
            problems.append(f"{where}: duplicate id {r.id!r} (also {seen[r.id]})")
        seen[r.id] = where
        if not r.text:
            problems.append(f"{where}: empty text")
        if r.kind not in KINDS:
            problems.append(f"{where}: kind {r.kind!r} is not one of {', '.join(KINDS)}")
        for name, allowed, values in (("themes", themes, r.themes), ("lead", agencies, r.lead),
                                      ("support", agencies, r.support)):
            unknown = [v for v in values if v not in allowed]
            if unknown:
                problems.append(f"{where}: unknown {name} id(s) {unknown}")
            if len(set(values)) != len(values):
                problems.append(f"{where}: repeated {name} id(s) {values}")
        if r.kind != "directive" and (r.themes or r.lead or r.support):
            problems.append(f"{where}: a {r.kind} clause takes no themes or agencies")
        if set(r.lead) & set(r.support):
            problems.append(f"{where}: {sorted(set(r.lead) & set(r.support))} both lead and support")
    return problems


def label_counts(records: Iterable[Record]) -> dict[str, Counter[str]]:
    """How many clauses carry each theme / lead / support id (and each kind, source)."""
    out: dict[str, Counter[str]] = {k: Counter() for k in ("themes", "lead", "support", "agency",
                                                           "kind", "source", "multi")}
    for r in records:
        out["themes"].update(r.themes)
        out["lead"].update(r.lead)
        out["support"].update(r.support)
        out["agency"].update(set(r.lead) | set(r.support))
        out["kind"][r.kind] += 1
        out["source"][r.source] += 1
        out["multi"]["multi-theme" if len(r.themes) > 1 else f"{len(r.themes)}-theme"] += 1
    return out


# --------------------------------------------------------------------------- splitting
def _stable_hash(text: str, seed: int) -> int:
    return int(hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()[:12], 16)


def _letter_labels(recs: list[Record]) -> Counter[str]:
    c: Counter[str] = Counter()
    for r in recs:
        c.update(f"t:{t}" for t in r.themes)
        c.update(f"a:{a}" for a in r.lead)
    return c


def make_splits(records: Sequence[Record], seed: int = 13,
                fixed: dict[str, str] | None = None,
                frozen: Sequence[str] = ()) -> dict[str, str]:
    """letter_id → split. Seeds go to test; ``fixed`` letters keep their split; the rest are
    placed greedily, rarest labels first, where their labels are most under target. No new letter
    enters a ``frozen`` split (test is frozen once written, so its figures stay comparable).
    """
    by_letter: dict[str, list[Record]] = {}
    for r in records:
        by_letter.setdefault(r.letter_id, []).append(r)
    assign: dict[str, str] = {}
    for lid, recs in by_letter.items():
        if fixed and lid in fixed:
            assign[lid] = fixed[lid]
        elif any(r.source == "seed" for r in recs):
            assign[lid] = "test"

    team = {lid: recs for lid, recs in by_letter.items() if not any(r.source == "real" for r in recs)}
    real = {lid: recs for lid, recs in by_letter.items() if lid not in team}
    _place(team, assign, RATIOS, frozen, seed)
    _place(real, assign, REAL_RATIOS, (), seed)  # real letters may enter every split, test too
    return assign


def _place(by_letter: dict[str, list[Record]], assign: dict[str, str], ratios: dict[str, float],
           frozen: Sequence[str], seed: int) -> None:
    """Greedy stratified placement of the letters of ``by_letter`` not yet in ``assign``."""
    total_labels: Counter[str] = Counter()
    for recs in by_letter.values():
        total_labels.update(_letter_labels(recs))
    n_total = sum(len(v) for v in by_letter.values())
    have_labels = {s: Counter() for s in SPLITS}
    have_size = Counter()
    for lid in by_letter:
        if lid in assign:
            have_labels[assign[lid]].update(_letter_labels(by_letter[lid]))
            have_size[assign[lid]] += len(by_letter[lid])

    pending = [lid for lid in by_letter if lid not in assign]

    def rarity(lid: str) -> tuple[float, int]:
        labels = _letter_labels(by_letter[lid])
        rarest = min((total_labels[k] for k in labels), default=n_total + 1)
        return (rarest, _stable_hash(lid, seed))

    for lid in sorted(pending, key=rarity):
        labels = _letter_labels(by_letter[lid])
        size = len(by_letter[lid])

        def need(split: str) -> tuple[float, int]:
            # relative deficits: 1 = nothing there yet, 0 = on target, < 0 = over target
            target = ratios[split] * n_total
            size_need = (target - have_size[split]) / target
            label_need = sum((ratios[split] * total_labels[k] - have_labels[split][k])
                             / (ratios[split] * total_labels[k]) for k in labels) / max(1, len(labels))
            over = have_size[split] + size > 1.1 * target and split != "train"
            return (-1e9 if over else label_need + size_need, -SPLITS.index(split))

        split = max((s for s in SPLITS if s not in frozen), key=need)
        assign[lid] = split
        have_labels[split].update(labels)
        have_size[split] += size


def stored_splits(data_dir: Path | str | None = None) -> dict[str, str]:
    """Letter id → split as ``splits.json`` stores it (no new letters placed: ``ensure_splits``)."""
    stored = json.loads((Path(data_dir or DATA_DIR) / SPLITS_FILE).read_text(encoding="utf-8"))
    return {lid: split for split, letters in stored.get("letters", {}).items() for lid in letters}


def ensure_splits(records: Sequence[Record], data_dir: Path | str | None = None, seed: int = 13,
                  write: bool = True) -> dict[str, str]:
    """The stored letter → split map, extended to letters it does not know yet (and written back).

    A letter already in ``splits.json`` never moves (so test stays test across data updates).
    """
    path = Path(data_dir or DATA_DIR) / SPLITS_FILE
    fixed: dict[str, str] = {}
    frozen: list[str] = []
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        for split, letters in stored.get("letters", {}).items():
            for lid in letters:
                fixed[lid] = split
        seed = int(stored.get("seed", seed))
        frozen = [s for s in stored.get("frozen", []) if s in SPLITS]
    letters_now = {r.letter_id for r in records}
    assign = make_splits(records, seed=seed, fixed={k: v for k, v in fixed.items() if k in letters_now},
                         frozen=frozen)
    changed = set(assign) - set(fixed) or not path.is_file()
    if write and changed:
        # letters not loaded now (real letters when ../shared is absent) keep their stored split
        write_splits(path, {**fixed, **assign}, records, seed, frozen)
    return assign


def write_splits(path: Path, assign: dict[str, str], records: Sequence[Record], seed: int,
                 frozen: Sequence[str] = ()) -> None:
    from congvan.models.artifacts import write_json_atomic

    counts = {s: Counter() for s in SPLITS}
    for r in records:
        split = assign.get(r.letter_id)
        if split:
            counts[split]["clauses"] += 1
            counts[split]["directive"] += r.kind == "directive"
            counts[split][f"source:{r.source}"] += 1
    letters = {s: sorted(lid for lid, sp in assign.items() if sp == s) for s in SPLITS}
    write_json_atomic(path, {
        "version": 1,
        "seed": seed,
        "method": "by letter; seed letters (source 'seed', real) always in test; team letters "
                  "placed greedily (rarest theme/lead label first) where their labels are most "
                  "under the 70/15/15 target, no new team letter entering a frozen split; real "
                  "letters (source 'real') placed the same way among themselves, 50/15/35, test "
                  "included; letters already listed never move",
        "ratios": RATIOS,
        "real_ratios": REAL_RATIOS,
        "frozen": sorted(frozen),
        "counts": {s: dict(counts[s]) for s in SPLITS},
        "letters": letters,
    })


def select(records: Sequence[Record], assign: dict[str, str], split: str) -> list[Record]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    return [r for r in records if assign.get(r.letter_id) == split]


def dataset_hash(records: Sequence[Record], assign: dict[str, str], taxonomy: Taxonomy | None = None) -> str:
    """SHA-256 over the records (sorted by id), their splits and the taxonomy file."""
    h = hashlib.sha256()
    tax = taxonomy or load_taxonomy()
    try:
        h.update(Path(tax.path).read_bytes())
    except OSError:
        h.update(tax.path.encode())
    for r in sorted(records, key=lambda r: r.id):
        h.update(json.dumps([r.to_json(), assign.get(r.letter_id)], ensure_ascii=False,
                            sort_keys=True).encode())
    return h.hexdigest()
