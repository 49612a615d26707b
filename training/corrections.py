"""Label corrections made by staff (``POST /api/clauses/{clause_id}/labels``): durable store,
export as training data, and merge into the train split.

Store: ``<CONGVAN_HOME>/corrections/corrections.jsonl``, append-only, one JSON object per line,
each append under an exclusive file lock and ``fsync``-ed before the API answers, so an accepted
correction survives a crash. A record::

    {"id": "…", "timestamp": "2024-05-02T08:15:00Z", "clause_id": "…", "doc_id": "…",
     "path": "2.a", "kind": "directive", "text": "…", "heading": "…" | null,
     "old": {"themes": [...], "lead": [...], "support": [...]},
     "new": {"themes": [...], "lead": [...], "support": [...]},
     "applied_to_index": true | false}

Training use (``congvan train``): the *latest* correction of each clause text wins (corrections
are compared by folded, space-normalised text). A correction whose text is a train clause
replaces that clause's labels; a new text is added to train; a text that belongs to the dev or
test split is **not** used (it would leak held-out clauses into training) and is counted in the
run's report.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from congvan.training.dataset import Record, norm_text, read_jsonl, text_key

__all__ = ["CorrectionStore", "corrections_path", "merge_corrections", "to_records"]

FOLDER = "corrections"
FILE = "corrections.jsonl"


def corrections_path(home: Path) -> Path:
    """The corrections file under a data folder: ``<home>/corrections/corrections.jsonl``."""
    return Path(home) / FOLDER / FILE


class CorrectionStore:
    """Append-only JSONL of corrections (thread- and process-safe appends)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Add ``record`` (an ``id`` and ``timestamp`` are filled in) durably; return it."""
        from congvan.models.artifacts import fsync_dir

        record = {"id": uuid.uuid4().hex,
                  "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record}
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        new_file = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                # a previous writer killed mid-line leaves no newline: start on a fresh line
                size = os.fstat(fd).st_size
                if size:
                    with open(self.path, "rb") as fh:
                        fh.seek(size - 1)
                        if fh.read(1) != b"\n":
                            line = b"\n" + line
                os.write(fd, line)
                os.fsync(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        if new_file:
            fsync_dir(self.path.parent)
        return record

    def read(self) -> list[dict[str, Any]]:
        """Every stored correction, oldest first (a torn last line is ignored)."""
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict) and obj.get("text") and isinstance(obj.get("new"), dict):
                out.append(obj)
        return out

    def latest(self) -> list[dict[str, Any]]:
        """One correction per clause text: the latest."""
        by_text: dict[str, dict[str, Any]] = {}
        for obj in self.read():
            key = text_key(obj["text"])
            by_text.pop(key, None)  # keep insertion order = order of the latest correction
            by_text[key] = obj
        return list(by_text.values())


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
