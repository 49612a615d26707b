"""An append-only audit log of every write: who, when, what, on which letter or clause, result.

A records office must be able to say who uploaded, deleted or relabelled a letter. Each write
(upload, delete, label correction, login/logout, ``congvan ingest``/``restore``) appends one JSON
line to ``<index>/audit.jsonl`` and fsyncs it before the response leaves, so a crash cannot lose
an acknowledged entry. Lines are never rewritten; ``congvan audit`` and ``/admin/audit`` read
them. Who is written as ``key:<8 hex of SHA-256>``, ``session:<id>``, ``open`` (no key set) or
``cli:<user>`` — never the key itself.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

AUDIT_FILE = "audit.jsonl"
#: Field order of a record (every record has them all).
FIELDS = ("time", "actor", "action", "target", "result", "status", "client", "detail")
ACTIONS = ("upload", "delete", "correct", "login", "logout", "ingest", "restore")

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def audit_path(index_dir: Path) -> Path:
    return Path(index_dir) / AUDIT_FILE


def _lock_for(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(str(path), threading.Lock())


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record(index_dir: Path, *, actor: str, action: str, target: str | None = None, result: str = "ok",
           status: int | None = None, client: str | None = None, detail: str | None = None) -> dict[str, Any]:
    """Append one entry (O_APPEND, one ``write`` per line, then fsync) and return it."""
    entry = {"time": now_iso(), "actor": actor, "action": action, "target": target, "result": result,
             "status": status, "client": client, "detail": detail}
    line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    path = audit_path(index_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock_for(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    return entry


def _parse_since(value: str | None) -> str | None:
    """``2026-12-01`` or a full ISO time → a comparable ISO prefix (UTC)."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"--since {value!r}: dùng dạng YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM "
                         f"(use an ISO date, e.g. 2026-12-01)") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read(index_dir: Path, *, since: str | None = None, action: str | None = None,
         limit: int | None = None) -> list[dict[str, Any]]:
    """Entries oldest first, filtered; a damaged line (torn by a crash) is skipped."""
    if action is not None and action not in ACTIONS:
        raise ValueError(f"action {action!r}: dùng một trong {', '.join(ACTIONS)} (unknown action)")
    start = _parse_since(since)
    out = [e for e in _lines(audit_path(index_dir))
           if (start is None or str(e.get("time", "")) >= start) and (action is None or e.get("action") == action)]
    return out[-limit:] if limit else out


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        fh = open(path, encoding="utf-8")
    except FileNotFoundError:
        return
    with fh:
        for raw in fh:
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield entry
