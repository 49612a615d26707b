"""Staff label corrections, in one place: the store, recording one, applying it to the index,
and laying the corrections over a re-ingested letter.

Where: ``<index>/corrections/`` beside the collection it corrects (so ``--index`` is respected),
a folder with a versioned ``manifest.json`` and ``corrections.jsonl``: append-only, one JSON
object per line, each append under an exclusive file lock and ``fsync``-ed before the caller
answers, so an accepted correction survives a crash. A record::

    {"id": "…", "timestamp": "2024-05-02T08:15:00Z", "clause_id": "…", "doc_id": "…",
     "path": "2.a", "kind": "directive", "text": "…", "heading": "…" | null,
     "old": {"themes": [...], "lead": [...], "support": [...]},
     "new": {"themes": [...], "lead": [...], "support": [...]},
     "applied_to_index": true}

One source of truth: a correction is written into the collection's clause rows at once
(``Collection.update_clause_labels``), so search, filters and the letter page all read the same
labels; re-ingesting the letter (same content → same ``doc_id``) lays the latest correction of
each clause text over the tagger's labels again, so a re-ingest never undoes staff work.
``training.corrections`` reads this store to learn from it. Older versions kept the file in
``$CONGVAN_HOME/corrections/corrections.jsonl``; :meth:`CorrectionStore.migrate_from` copies
its records in (once each, by id).
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

from congvan.letters.schema import AgencyRoles, Letter, ThemeScore
from congvan.letters.text import fold
from congvan.models.artifacts import ArtifactError, fsync_dir, read_manifest, write_manifest

__all__ = ["CorrectionStore", "NoChange", "UnknownLabels", "check_labels", "corrections_dir",
           "overlay", "record_correction"]

FOLDER = "corrections"
FILE = "corrections.jsonl"
KIND = "congvan-corrections"
FORMAT_VERSION = 1
ROLES = ("themes", "lead", "support")


class NoChange(ValueError):
    """The correction would leave the clause's labels as they are."""


class UnknownLabels(ValueError):
    """Ids outside the taxonomy (or an agency both lead and support); ``problems`` says which."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(p["msg"] for p in problems))
        self.problems = problems


def corrections_dir(index_folder: Path) -> Path:
    """``<index>/corrections``: the corrections of the collection in ``index_folder``."""
    return Path(index_folder) / FOLDER


def text_key(text: str) -> str:
    """What "the same clause text" means for corrections: folded (tone-less, lower case), single
    spaces, so a TCVN3 copy's lower-cased clause matches its UTF-8 original."""
    return " ".join(fold(" ".join(str(text).split())).split())


class CorrectionStore:
    """Append-only JSONL of corrections (thread- and process-safe appends).

    ``CorrectionStore(path)`` opens a bare file (training exports, tests);
    ``CorrectionStore.for_index(folder)`` the one beside a collection, with its manifest.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_index(cls, index_folder: Path) -> CorrectionStore:
        folder = corrections_dir(index_folder)
        if (folder / "manifest.json").exists():
            read_manifest(folder, KIND, FORMAT_VERSION)  # ArtifactError names the fix
        elif folder.exists() and any(folder.iterdir()):
            raise ArtifactError(f"{folder} holds files but no manifest.json: move it aside; "
                                f"corrections are re-read from its corrections.jsonl by hand")
        else:
            folder.mkdir(parents=True, exist_ok=True)
            write_manifest(folder, KIND, FORMAT_VERSION, file=FILE)
        return cls(folder / FILE)

    # ------------------------------------------------------------------ writing
    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Add ``record`` durably (an ``id`` and ``timestamp`` are filled in unless given)."""
        return self._append_many([record])[0]

    def _append_many(self, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        out = [{"id": uuid.uuid4().hex, "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **r}
               for r in records]
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out).encode("utf-8")
        new_file = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                size = os.fstat(fd).st_size  # a writer killed mid-line left no newline
                if size:
                    with open(self.path, "rb") as fh:
                        fh.seek(size - 1)
                        if fh.read(1) != b"\n":
                            data = b"\n" + data
                os.write(fd, data)
                os.fsync(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        if new_file:
            fsync_dir(self.path.parent)
        return out

    def migrate_from(self, legacy: Path) -> int:
        """Copy the records of an older corrections file that this store lacks (by id)."""
        if Path(legacy).resolve() == self.path.resolve():
            return 0
        old = CorrectionStore(legacy).read()
        if not old:
            return 0
        known = {r.get("id") for r in self.read()}
        missing = [r for r in old if r.get("id") not in known]
        if missing:
            self._append_many(missing)
        return len(missing)

    # ------------------------------------------------------------------ reading
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
        """One correction per clause text: the latest (what training learns from)."""
        by_text: dict[str, dict[str, Any]] = {}
        for obj in self.read():
            key = text_key(obj["text"])
            by_text.pop(key, None)  # keep insertion order = order of the latest correction
            by_text[key] = obj
        return list(by_text.values())

    def latest_for_doc(self, doc_id: str) -> dict[str, dict[str, Any]]:
        """clause text key → the latest correction of that text in one letter."""
        return self.latest_by_doc({doc_id}).get(doc_id, {})

    def latest_by_doc(self, doc_ids: set[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """doc_id → (clause text key → latest correction), for ``doc_ids``, in one read."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for obj in self.read():
            doc_id = obj.get("doc_id")
            if doc_id in doc_ids:
                out.setdefault(doc_id, {})[text_key(obj["text"])] = obj
        return out


# --------------------------------------------------------------------------- validating
def check_labels(themes: Sequence[str] | None, lead: Sequence[str] | None,
                 support: Sequence[str] | None) -> None:
    """Raise ``UnknownLabels`` for ids outside the taxonomy or an agency both lead and support."""
    from congvan.letters.taxonomy import load_taxonomy

    tax = load_taxonomy()
    allowed = {"themes": set(tax.theme_ids), "lead": set(tax.agency_ids), "support": set(tax.agency_ids)}
    problems = []
    for field, values in (("themes", themes), ("lead", lead), ("support", support)):
        unknown = [v for v in values or [] if v not in allowed[field]]
        if unknown:
            problems.append({"loc": ["body", field], "type": "unknown_id",
                             "msg": f"Mã không có trong danh mục (unknown {field} id): {', '.join(map(str, unknown))}; "
                                    f"known: {', '.join(sorted(allowed[field]))}"})
    both = set(lead or []) & set(support or [])
    if both:
        problems.append({"loc": ["body", "support"], "type": "lead_and_support",
                         "msg": f"Một cơ quan không thể vừa chủ trì vừa phối hợp (both lead and support): "
                                f"{', '.join(sorted(both))}"})
    if problems:
        raise UnknownLabels(problems)


def _labels_of(clause: dict[str, Any]) -> dict[str, list[str]]:
    agencies = clause.get("agencies") or {}
    return {"themes": [t["id"] if isinstance(t, dict) else str(t) for t in clause.get("themes") or []],
            "lead": list(agencies.get("lead") or []), "support": list(agencies.get("support") or [])}


# --------------------------------------------------------------------------- recording
def record_correction(collection, store: CorrectionStore, clause_id: str, *,
                      themes: Sequence[str] | None = None, lead: Sequence[str] | None = None,
                      support: Sequence[str] | None = None) -> dict[str, Any]:
    """Validate, apply to the index and store one correction; returns the stored record.

    A field left as None keeps its current value. Raises ``UnknownLabels`` (bad ids),
    ``ClauseNotFound`` (unknown clause) or ``NoChange`` (the labels would stay as they are).
    """
    from congvan.index.store import ClauseNotFound, DocumentNotFound

    check_labels(themes, lead, support)
    doc_id = collection.store.clause_doc_id(clause_id)
    if doc_id is None:
        raise ClauseNotFound(clause_id)
    try:
        letter = collection.get_letter(doc_id)
    except DocumentNotFound as exc:  # deleted meanwhile
        raise ClauseNotFound(clause_id) from exc
    clause = next((c for c in letter["clauses"] if c["clause_id"] == clause_id), None)
    if clause is None:
        raise ClauseNotFound(clause_id)
    old = _labels_of(clause)
    asked = {"themes": themes, "lead": lead, "support": support}
    new = {k: list(dict.fromkeys(v)) if v is not None else old[k] for k, v in asked.items()}
    new["support"] = [a for a in new["support"] if a not in new["lead"]]
    if all(set(new[k]) == set(old[k]) for k in ROLES):
        raise NoChange("Nhãn mới giống hệt nhãn hiện có nên không có gì để sửa "
                       "(the correction changes nothing)")
    collection.update_clause_labels(clause_id, new["themes"], new["lead"], new["support"])
    return store.append({"clause_id": clause_id, "doc_id": doc_id, "path": clause.get("path"),
                         "kind": clause.get("kind"), "text": clause.get("text", ""),
                         "heading": clause.get("heading"), "old": old, "new": new,
                         "applied_to_index": True})


# --------------------------------------------------------------------------- overlay
def overlay(letter: Letter, corrections: dict[str, dict[str, Any]]) -> Letter:
    """``letter`` with the latest correction of each clause text laid over its labels
    (``corrections`` from :meth:`CorrectionStore.latest_for_doc`)."""
    if not corrections:
        return letter
    clauses = []
    for clause in letter.clauses:
        record = corrections.get(text_key(clause.text))
        new = (record or {}).get("new") or {}
        if not record:
            clauses.append(clause)
            continue
        themes = [ThemeScore(t, 1.0) for t in new.get("themes") or [] if isinstance(t, str)]
        roles = AgencyRoles(lead=[a for a in new.get("lead") or [] if isinstance(a, str)],
                            support=[a for a in new.get("support") or [] if isinstance(a, str)])
        clauses.append(replace(clause, themes=themes, agencies=replace(clause.agencies, lead=roles.lead,
                                                                         support=roles.support)))
    return replace(letter, clauses=clauses)
