"""Where the service's data lives, from the settings: the corrections beside the index.

Corrections used to sit in ``$CONGVAN_HOME/corrections/corrections.jsonl`` whatever ``--index``
said; they now live in ``<index>/corrections/`` (:mod:`index.corrections`). Opening them here
copies any older records in first (once each, by id), so nothing staff entered is lost.
"""
from __future__ import annotations

from pathlib import Path

from congvan.index.corrections import CorrectionStore
from congvan.service.config import Settings

__all__ = ["corrections_file", "legacy_corrections_path", "migrate_legacy_corrections"]


def legacy_corrections_path(settings: Settings) -> Path:
    """Where versions before the move kept corrections."""
    return settings.home / "corrections" / "corrections.jsonl"


def migrate_legacy_corrections(settings: Settings, store: CorrectionStore) -> int:
    """Copy the older file's records that ``store`` lacks; returns how many."""
    legacy = legacy_corrections_path(settings)
    return store.migrate_from(legacy) if legacy.is_file() else 0


def corrections_file(settings: Settings) -> Path:
    """The corrections file of the configured index, older records copied in: what
    ``congvan train`` and ``congvan export-corrections`` read."""
    store = CorrectionStore.for_index(settings.index_dir)
    migrate_legacy_corrections(settings, store)
    return store.path
