"""Staff label corrections, shown on the letter view as soon as they are saved.

``POST /api/clauses/{id}/labels`` always records a correction durably
(``training.corrections``, JSONL under CONGVAN_HOME) and updates the index only when the index
can (``applied_to_index``). The letter view lays the latest correction of each clause over the
stored labels, so what a staff member just fixed is what the page shows after a reload either
way, with a note that the labels were corrected by hand. Read-only; cached per file version.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()
_CACHE: dict[str, tuple[tuple[int, int], dict[str, dict[str, dict[str, Any]]]]] = {}


def _store_path(settings) -> Path | None:
    try:
        from congvan.training.corrections import corrections_path
    except ImportError:  # the corrections feature is not installed
        return None
    return corrections_path(settings.home)


def corrections_for(settings, doc_id: str) -> dict[str, dict[str, Any]]:
    """clause_id → latest correction record of that clause, for one letter."""
    path = _store_path(settings)
    if path is None:
        return {}
    try:
        stat = path.stat()
    except OSError:
        return {}
    version = (stat.st_mtime_ns, stat.st_size)
    key = str(path)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is None or cached[0] != version:
        from congvan.training.corrections import CorrectionStore

        by_doc: dict[str, dict[str, dict[str, Any]]] = {}
        for record in CorrectionStore(path).read():  # oldest first: later ones overwrite
            cid, did = record.get("clause_id"), record.get("doc_id")
            if cid and did:
                by_doc.setdefault(did, {})[cid] = record
        cached = (version, by_doc)
        with _LOCK:
            _CACHE[key] = cached
    return cached[1].get(doc_id, {})


def apply_correction(clause: dict[str, Any], record: dict[str, Any] | None) -> dict[str, Any]:
    """The stored clause dict with the correction's labels (and ``corrected_at``) laid over it."""
    if not record:
        return clause
    new = record.get("new") or {}
    out = dict(clause)
    if isinstance(new.get("themes"), list):
        out["themes"] = [{"id": t, "score": 1.0} for t in new["themes"] if isinstance(t, str)]
    agencies = dict(clause.get("agencies") or {})
    for role in ("lead", "support"):
        if isinstance(new.get(role), list):
            agencies[role] = [a for a in new[role] if isinstance(a, str)]
    out["agencies"] = agencies
    out["corrected_at"] = record.get("timestamp")
    return out
