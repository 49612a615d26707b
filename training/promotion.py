"""Installing a trained tagger as the default, behind the compare gate.

Why a gate: a retrained model (new data, corrections, another preset) must not silently replace a
better one. The new run is installed only if its test macro-F1 is not more than one point below
the current default's on the same test split (``evaluate_tagger.compare``); with no default yet,
or with ``force``, it is installed directly. The copy is atomic: the server that watches the
default folder sees either the old or the new complete model.
"""
from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from congvan.models.artifacts import atomic_folder, write_json_atomic
from congvan.models.tagger import default_tagger_dir
from congvan.training.evaluate_tagger import compare, evaluate_folder

__all__ = ["Promotion", "install", "promote_run"]


@dataclass
class Promotion:
    promoted: bool
    gate: dict[str, Any] | None = None
    installed: Path | None = None


def install(folder: Path, target: Path) -> Path:
    """Copy a run folder to ``target`` atomically (the old default stays until the rename)."""
    with atomic_folder(target) as tmp:
        for item in Path(folder).iterdir():
            if item.is_file():
                shutil.copy2(item, tmp / item.name)
        manifest = json.loads((tmp / "manifest.json").read_text(encoding="utf-8"))
        manifest["installed_from"] = str(folder)
        manifest["installed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_json_atomic(tmp / "manifest.json", manifest)
    return target


def promote_run(folder: Path, test_metrics: dict[str, Any] | None, models_dir: Path, *,
                data_dir: Path | str | None = None, shared_dir: Path | None = None, force: bool = False,
                log: Callable[[str], None] = lambda _m: None) -> Promotion:
    """Install ``folder`` as the default tagger if the gate passes. ``test_metrics``: the run's
    own test metrics when they cover the whole test split (else it is evaluated again)."""
    target = default_tagger_dir(models_dir)
    gate = None
    if not force and (target / "manifest.json").is_file():
        try:
            old = evaluate_folder(target, models_dir, "test", data_dir, shared_dir)
        except Exception as exc:  # noqa: BLE001 - an unreadable old model must not block
            log(f"current default tagger unreadable ({exc}): replacing it")
            old = None
        if old is not None:
            new = test_metrics if test_metrics is not None else evaluate_folder(folder, models_dir, "test", data_dir, shared_dir)
            gate = compare(old, new)
    if force or gate is None or gate["ok"]:
        installed = install(folder, target)
        log(f"installed as the default tagger: {target}")
        return Promotion(True, gate, installed)
    log(f"NOT installed: {gate['verdict']}")
    return Promotion(False, gate)
