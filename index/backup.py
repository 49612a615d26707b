"""Consistent online backups of a collection folder, and restoring them after a check.

``backup`` may run while a server or an ingest writes: SQLite's backup API copies the database
as of one committed transaction (whole letters only), the derived search files are copied only
while no writer holds ``write.lock`` (otherwise left out: they are rebuilt from SQLite on the
first open, without re-embedding), and the audit log is copied after the database, so it holds
every entry of every letter the copy has. The backup is a folder with a versioned
``manifest.json`` (counts, encoder, SHA-256 of every file, the models' manifests), written
atomically. ``restore`` verifies all of that before it touches the index, and keeps the index it
replaces beside it.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from congvan.models.artifacts import (
    MANIFEST,
    ArtifactError,
    atomic_folder,
    fsync_dir,
    read_manifest,
    sha256_file,
    write_manifest,
)

KIND = "congvan-backup"
FORMAT_VERSION = 1
INDEX = "index"
DB_NAME = "collection.sqlite3"
DERIVED = "derived"
LOCK_FILE = "write.lock"
AUDIT = "audit.jsonl"
CORRECTIONS = "corrections"
EXTRA = "extra"
MODELS = "models"


class BackupError(ArtifactError):
    """A backup cannot be made or restored; the message says how to fix it."""


def _counts(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60)
    try:
        docs = conn.execute("SELECT COUNT(*) FROM letters").fetchone()[0]
        clauses = conn.execute("SELECT COUNT(*) FROM clauses").fetchone()[0]
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()
    return {"documents": docs, "clauses": clauses, "generation": int(meta.get("generation", 0)),
            "encoder": meta.get("encoder"), "dim": meta.get("dim")}


def _try_lock(folder: Path) -> int | None:
    """An exclusive flock on the collection's write lock, or None if a writer holds it."""
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _unlock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def backup(index_dir: Path, dest: Path, *, extra_files: Mapping[str, Path] | None = None,
           model_dirs: Mapping[str, Path] | None = None) -> dict[str, Any]:
    """Copy the collection in ``index_dir`` into the new folder ``dest``; returns its manifest.

    ``extra_files``: name → file kept with the backup (e.g. label corrections);
    ``model_dirs``: name → model folder whose ``manifest.json`` is recorded (not the weights).
    """
    index_dir, dest = Path(index_dir).expanduser(), Path(dest).expanduser()
    db = index_dir / DB_NAME
    if not db.is_file():
        raise BackupError(f"không có chỉ mục ở {index_dir} (no {DB_NAME}): chạy `congvan ingest` trước "
                          f"hoặc chỉ đúng --index")
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"thư mục {dest} đã có dữ liệu: chọn một thư mục mới cho bản sao lưu "
                          f"(backup folder must be new or empty)")
    if dest.exists():
        dest.rmdir()
    with atomic_folder(dest) as tmp:
        (tmp / INDEX).mkdir()
        src = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60)
        dst = sqlite3.connect(tmp / INDEX / DB_NAME)
        try:
            src.backup(dst)  # one step: a single read transaction, a consistent copy
        finally:
            dst.close()
            src.close()
        derived = False
        fd = _try_lock(index_dir)
        if fd is not None:
            try:
                if (index_dir / DERIVED).is_dir():
                    shutil.copytree(index_dir / DERIVED, tmp / INDEX / DERIVED)
                    derived = True
            finally:
                _unlock(fd)
        if (index_dir / AUDIT).is_file():  # after the database: covers every letter it holds
            shutil.copy2(index_dir / AUDIT, tmp / INDEX / AUDIT)
        if (index_dir / CORRECTIONS).is_dir():  # staff label corrections (append-only JSONL)
            shutil.copytree(index_dir / CORRECTIONS, tmp / INDEX / CORRECTIONS)
        for name, path in (extra_files or {}).items():
            if Path(path).is_file():
                (tmp / EXTRA).mkdir(exist_ok=True)
                shutil.copy2(path, tmp / EXTRA / name)
        models: dict[str, Any] = {}
        for name, folder in (model_dirs or {}).items():
            man = Path(folder) / MANIFEST
            if man.is_file():
                (tmp / MODELS / name).mkdir(parents=True)
                shutil.copy2(man, tmp / MODELS / name / MANIFEST)
                models[name] = json.loads(man.read_text(encoding="utf-8"))
        files = {p.relative_to(tmp).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
                 for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = write_manifest(tmp, KIND, FORMAT_VERSION, source=str(index_dir),
                                  index=_counts(tmp / INDEX / DB_NAME), derived_included=derived,
                                  files=files, models=models)
    return manifest


def verify(src: Path) -> dict[str, Any]:
    """Check a backup folder (manifest, every file's checksum, the database's counts)."""
    src = Path(src).expanduser()
    try:
        manifest = read_manifest(src, KIND, FORMAT_VERSION)
    except ArtifactError as exc:
        raise BackupError(f"{src} không phải bản sao lưu congvan hợp lệ: {exc}") from exc
    for rel, info in manifest.get("files", {}).items():
        path = src / rel
        if not path.is_file():
            raise BackupError(f"bản sao lưu thiếu tệp {rel} (backup incomplete): dùng bản sao lưu khác")
        if path.stat().st_size != info["bytes"] or sha256_file(path) != info["sha256"]:
            raise BackupError(f"tệp {rel} trong bản sao lưu đã bị thay đổi hoặc hỏng (checksum mismatch)")
    if f"{INDEX}/{DB_NAME}" not in manifest.get("files", {}):
        raise BackupError(f"bản sao lưu {src} không có cơ sở dữ liệu {DB_NAME}")
    counts = _counts(src / INDEX / DB_NAME)
    want = manifest["index"]
    if (counts["documents"], counts["clauses"]) != (want["documents"], want["clauses"]):
        raise BackupError(f"số văn bản/điều khoản trong bản sao lưu ({counts['documents']}/{counts['clauses']}) "
                          f"khác manifest ({want['documents']}/{want['clauses']})")
    return manifest


def restore(src: Path, index_dir: Path, *, force: bool = False) -> dict[str, Any]:
    """Replace the collection in ``index_dir`` by the verified backup ``src``.

    The replaced folder is kept as ``<index>.before-restore-<time>``. Refused while a writer holds
    the index's lock; a running server must be stopped first (it would keep the old files open).
    Returns the manifest plus ``previous`` (where the old index went, or None).
    """
    src, index_dir = Path(src).expanduser(), Path(index_dir).expanduser()
    manifest = verify(src)
    had_index = (index_dir / DB_NAME).is_file()
    if had_index and not force:
        raise BackupError(f"{index_dir} đã có một chỉ mục: dừng máy chủ rồi chạy lại với --force để thay nó "
                          f"(chỉ mục cũ được giữ lại bên cạnh)")
    fd = _try_lock(index_dir) if index_dir.is_dir() else None
    if index_dir.is_dir() and fd is None:
        raise BackupError(f"{index_dir} đang được ghi (ingest hoặc máy chủ): dừng chúng rồi khôi phục")
    try:
        index_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = index_dir.parent / f".{index_dir.name}.restore-{os.getpid()}-{time.time_ns()}"
        shutil.copytree(src / INDEX, staging)
        previous = None
        if index_dir.exists():
            previous = index_dir.parent / f"{index_dir.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}"
            os.replace(index_dir, previous)
        os.replace(staging, index_dir)
        fsync_dir(index_dir.parent)
    finally:
        if fd is not None:
            _unlock(fd)
    return {**manifest, "previous": str(previous) if previous else None}


def extra_file(src: Path, name: str) -> Path | None:
    """A file kept with the backup under ``extra/`` (None if it has none)."""
    path = Path(src) / EXTRA / name
    return path if path.is_file() else None
