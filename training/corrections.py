"""Learning from staff label corrections: export them as training data and merge them into the
train split. The corrections themselves (store, recording, applying to the index, overlay on
re-ingest) live in :mod:`index.corrections`, beside the index they correct.

Training use (``congvan train``): the *latest* correction of each clause text wins (corrections
are compared by folded, space-normalised text). A correction whose text is a train clause
replaces that clause's labels; a new text is added to train; a text that belongs to the dev or
test split is **not** used (it would leak held-out clauses into training) and is counted in the
run's report.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from congvan.index.corrections import CorrectionStore
from congvan.training.dataset import Record, norm_text, read_jsonl, text_key

__all__ = ["CorrectionStore", "export_jsonl", "merge_corrections", "to_records"]


def to_records(corrections: Sequence[dict[str, Any]]) -> list[Record]:
    """Corrections as dataset records (``source: "correction"``, schema of training/data)."""
    out = []
    for c in corrections:
        new = c["new"]
        doc_id = str(c.get("doc_id") or "unknown")
        clause = str(c.get("clause_id") or c["id"])
        out.append(Record(id=f"corr-{clause}", letter_id=f"corr-{doc_id}", text=norm_text(c["text"]),
                          kind="directive", themes=list(new.get("themes", [])),
                          lead=list(new.get("lead", [])), support=list(new.get("support", [])),
                          heading=c.get("heading"), path=str(c.get("path") or ""), source="correction",
                          doc={"doc_id": doc_id, "corrected_at": c.get("timestamp")}))
    return out


def export_jsonl(corrections: Sequence[dict[str, Any]], out: Path) -> int:
    """Write the latest corrections in the dataset schema; returns how many."""
    from congvan.models.artifacts import write_bytes_atomic

    records = to_records(corrections)
    data = "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records)
    write_bytes_atomic(Path(out), data.encode("utf-8"))
    return len(records)


def merge_corrections(train: Sequence[Record], held_out: Sequence[Record],
                      corrections: Sequence[dict[str, Any]]) -> tuple[list[Record], dict[str, int]]:
    """Train records with corrections applied (see module docstring) and what happened."""
    from congvan.letters.taxonomy import load_taxonomy

    tax = load_taxonomy()
    themes, agencies = set(tax.theme_ids), set(tax.agency_ids)
    held = {text_key(r.text) for r in held_out}
    latest: dict[str, Record] = {}
    info = {"corrections": len(corrections), "overridden": 0, "added": 0, "held_out_skipped": 0,
            "invalid_skipped": 0}
    for rec in to_records(corrections):
        if (set(rec.themes) - themes) or (set(rec.lead) - agencies) or (set(rec.support) - agencies):
            info["invalid_skipped"] += 1  # the taxonomy changed since
            continue
        key = text_key(rec.text)
        if key in held:
            info["held_out_skipped"] += 1
            continue
        latest[key] = rec
    out: list[Record] = []
    used: set[str] = set()
    for r in train:
        key = text_key(r.text)
        fix = latest.get(key)
        if fix is not None:
            used.add(key)
            out.append(replace(r, themes=fix.themes, lead=fix.lead, support=fix.support,
                               kind="directive", source=f"{r.source}+correction"))
            info["overridden"] += 1
        else:
            out.append(r)
    for key, rec in latest.items():
        if key not in used:
            out.append(rec)
            info["added"] += 1
    return out, info


def read_corrections_file(path: Path) -> list[dict[str, Any]]:
    return read_jsonl(path)
