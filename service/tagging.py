"""The tagging step shared by ``congvan tag``, ingest and ``POST /api/tag``, and which tagger it uses.

Agencies come from the parser's rules (``letters.agencies``); themes, and the leads of clauses
the rules leave without one, come from the fine-tuned tagger (``models.tagger``), loaded once per
process. The promoted default lives in ``<CONGVAN_HOME>/models/tagger``; ``get_default_tagger``
loads it (reloading if a newer one is promoted) and, when there is none yet, trains one from the
shipped dataset first ("train at first run", preset ``CONGVAN_TAGGER_PRESET``). With
``CONGVAN_TAGGER=off`` (or if no tagger can be had) themes stay empty, which the contract allows,
and search works without them.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from pathlib import Path

from congvan.letters.schema import Letter
from congvan.models.artifacts import ArtifactError
from congvan.models.tagger import Tagger, default_tagger_dir, load_tagger
from congvan.service.config import Settings

log = logging.getLogger("congvan.tagger")


def tag_letter(letter: Letter, settings: Settings) -> Letter:
    """Fill ``clause.themes`` in place (directive clauses only) and return the letter.

    The first call in a home without a trained tagger trains one (``CONGVAN_TAGGER_PRESET``).
    """
    tagger = get_default_tagger(settings)
    if tagger is not None:
        tagger.tag_letter(letter)
    return letter


_cache_lock = threading.RLock()
_cache: dict[str, tuple[float, Tagger]] = {}
_failed: dict[str, float] = {}  # folder -> when first-run training last failed (no retry for a while)
RETRY_AFTER_S = 600.0


def first_run_preset(settings: Settings) -> str:
    """Preset of the first-run training: ``CONGVAN_TAGGER_PRESET`` (default ``full``).

    Under pytest (``PYTEST_CURRENT_TEST`` in the environment, inherited by the CLI subprocesses
    tests start) the default is ``smoke`` unless the preset was set explicitly: a test suite must
    never start a full training run.
    """
    import os

    explicit = "tagger_preset" in getattr(settings, "model_fields_set", set()) or \
        bool(os.environ.get("CONGVAN_TAGGER_PRESET"))
    name = str(getattr(settings, "tagger_preset", "full") or "full")
    if not explicit and os.environ.get("PYTEST_CURRENT_TEST"):
        return "smoke"
    return name


def _stamp(folder: Path) -> float | None:
    try:
        return (folder / "manifest.json").stat().st_mtime_ns
    except OSError:
        return None


def configured_tagger_dir(settings: Settings) -> Path | None:
    """The folder ``CONGVAN_TAGGER`` names (``auto``: the promoted default; ``off``: none)."""
    choice = str(getattr(settings, "tagger", "auto") or "auto").strip()
    if choice.lower() in ("off", "none", "false", "0", "disabled"):
        return None
    if choice.lower() in ("auto", "default", "on", "true", "1"):
        return default_tagger_dir(settings.models_dir)
    return Path(choice).expanduser()


def get_default_tagger(settings: Settings, train_if_missing: bool = True) -> Tagger | None:
    """The configured tagger, loaded once per process; trained first if there is none yet.

    Returns None when ``CONGVAN_TAGGER=off``, or when no tagger exists and one cannot be trained
    (the reason is logged; tagging then leaves themes empty, which the contract allows).
    """
    folder = configured_tagger_dir(settings)
    if folder is None:
        return None
    key = str(folder.resolve())
    with _cache_lock:
        stamp = _stamp(folder)
        hit = _cache.get(key)
        if hit is not None and stamp is not None and hit[0] == stamp:
            return hit[1]
        if stamp is None:
            if folder != default_tagger_dir(settings.models_dir):
                log.error("CONGVAN_TAGGER=%s: no tagger there; themes stay empty", folder)
                return None
            if not train_if_missing:
                return None
            if time.monotonic() - _failed.get(key, -1e9) < RETRY_AFTER_S:
                return None
            try:
                train_first_run(settings)
            except Exception as exc:  # noqa: BLE001 - tagging must not take the service down
                _failed[key] = time.monotonic()
                log.error("could not train the theme tagger (%s): themes stay empty", exc)
                return None
            stamp = _stamp(folder)
        try:
            tagger = load_tagger(folder, settings.models_dir, num_threads=settings.num_threads)
        except (ArtifactError, KeyError, OSError) as exc:
            log.error("could not load the theme tagger from %s (%s): themes stay empty. "
                      "Run `congvan train --promote` to rebuild it.", folder, exc)
            return None
        _cache[key] = (stamp or 0.0, tagger)
        return tagger


def clear_tagger_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _failed.clear()


@contextlib.contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def train_first_run(settings: Settings) -> Path:
    """Train and install a tagger from the shipped dataset (once; other processes wait for it)."""
    from congvan.service.storage import corrections_file
    from congvan.training.config import preset
    from congvan.training.train import run_training

    target = default_tagger_dir(settings.models_dir)
    with _file_lock(settings.models_dir / ".tagger-train.lock"):
        if _stamp(target) is not None:  # another process finished it while we waited
            return target
        name = first_run_preset(settings)
        config = preset(name)
        log.warning(
            "No trained theme tagger in %s yet: training one now from the shipped dataset "
            "(preset %r, about %.0f min on a 2-core CPU; done once, then cached). "
            "Set CONGVAN_TAGGER=off to skip, or run `congvan train --promote` beforehand.",
            target, name, max(config.expected_minutes, 1.0))
        start = time.perf_counter()
        result = run_training(config, settings.models_dir, corrections_file=corrections_file(settings),
                              num_threads=settings.num_threads, shared_dir=settings.shared_dir, promote="force",
                              command="(train at first run)",
                              log=lambda msg: log.info("%s", msg), write_splits=False)
        log.warning("Theme tagger trained in %.0f s and installed in %s (run %s)",
                    time.perf_counter() - start, target, result.folder)
    return target
