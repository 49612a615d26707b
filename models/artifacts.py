"""Saved artefacts: folders with a versioned ``manifest.json``, written atomically.

Every model or index folder the product writes goes through here so that a crash mid-save
never leaves a half-written folder where a good one used to be (write to a temporary sibling,
fsync, rename), and so that a folder written by an incompatible version is refused on load
with a message that says how to fix it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


class ArtifactError(RuntimeError):
    """A saved folder is missing, corrupt or from an incompatible format version."""


def library_versions(*names: str) -> dict[str, str]:
    """Installed versions of the given distributions (recorded in manifests)."""
    out = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    """Flush a directory entry so a rename inside it survives a power loss."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write a file via temp file + fsync + rename: readers see the old or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it owner-only; artefacts are shared read-only
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, obj: Any) -> None:
    write_bytes_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2).encode("utf-8"))


def link_or_write(src: Path | None, dst: Path, write: Callable[[Path], None]) -> None:
    """Hard-link ``src`` (a file saved earlier and unchanged since) as ``dst``, so a save inside
    an ``atomic_folder`` costs only what changed; ``write(dst)`` when there is no such file or it
    cannot be linked (another file system, the old folder already gone)."""
    if src is not None:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    write(dst)


def read_json(path: Path, fix: str) -> Any:
    """A JSON file's content; ``ArtifactError`` naming the file and ``fix`` when unreadable."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{path} is unreadable ({exc}); {fix}") from exc


def _fsync_tree(root: Path) -> None:
    """Flush every file and directory entry below ``root``; files with more than one link were
    hard-linked from a folder saved (and flushed) before (``link_or_write``), so only their new
    directory entries need flushing (a save of a large index then flushes what it wrote)."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with open(Path(dirpath) / name, "rb") as f:
                if os.fstat(f.fileno()).st_nlink == 1:
                    os.fsync(f.fileno())
        fsync_dir(Path(dirpath))


@contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``target`` in one rename.

    The old folder (if any) is moved aside first and deleted only after the new one is in
    place, so at every instant either the old or the new complete folder exists.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp makes it owner-only
    try:
        yield tmp
        _fsync_tree(tmp)
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}-{time.time_ns()}"
            os.replace(target, old)
        os.replace(tmp, target)
        fsync_dir(target.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_manifest(folder: Path, kind: str, format_version: int, **fields: Any) -> dict[str, Any]:
    """Write ``manifest.json`` (kind, format version, creation time, plus ``fields``)."""
    manifest = {
        "kind": kind,
        "format_version": format_version,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **fields,
    }
    write_json_atomic(Path(folder) / MANIFEST, manifest)
    return manifest


def read_manifest(folder: Path, kind: str, format_version: int | tuple[int, ...]) -> dict[str, Any]:
    """Load and check a manifest; raise ``ArtifactError`` saying how to repair on mismatch.

    ``format_version``: the version this code writes, or every version it can still read.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ArtifactError(f"{folder} has no {MANIFEST}: it is not a congvan {kind} folder "
                            f"(delete it and let congvan rebuild it).")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{path} is unreadable ({exc}); delete {folder} and rebuild it.") from exc
    if manifest.get("kind") != kind:
        raise ArtifactError(f"{folder} holds a {manifest.get('kind')!r}, expected a {kind!r}.")
    readable = format_version if isinstance(format_version, tuple) else (format_version,)
    if manifest.get("format_version") not in readable:
        raise ArtifactError(
            f"{folder} was written in {kind} format v{manifest.get('format_version')}, this version "
            f"reads v{'/v'.join(map(str, readable))}: delete the folder and rebuild it with this version "
            f"of congvan."
        )
    return manifest
