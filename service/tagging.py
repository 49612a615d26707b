"""The tagging step shared by ``congvan tag``, ingest and ``POST /api/tag``, and which tagger it uses.

Agencies come from the parser's rules (``letters.agencies``); themes, and the leads of clauses
the rules leave without one, come from the fine-tuned tagger (``models.tagger``), loaded once per
process from ``<CONGVAN_HOME>/models/tagger`` (reloaded when a newer one is promoted there).

Until a fine-tuned tagger exists, themes come from the **provisional** tagger (TF-IDF + LR,
``models.tagger.provisional``): it fits in seconds on the shipped dataset, so it is fitted the
first time it is needed (in the CLI, or in the server's start-up thread) and cached in
``<CONGVAN_HOME>/models/tagger-provisional``. Fine-tuning itself never runs here: it is a
background job in another process (``service.jobs``), which the server starts. Every tagged
letter records which tagger answered (``letter.tagger = {"name", "provisional"}``).
With ``CONGVAN_TAGGER=off`` themes stay empty, which the contract allows.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import Any

from congvan.letters.schema import Letter
from congvan.models.artifacts import ArtifactError
from congvan.models.tagger import Tagger, default_tagger_dir, load_tagger
from congvan.models.tagger.provisional import ProvisionalTagger, load_provisional, provisional_dir
from congvan.service.config import Settings

log = logging.getLogger("congvan.tagger")

FINE_TUNED_NAME = "e5 tinh chỉnh"
PROVISIONAL_NAME = "TF-IDF + hồi quy logistic (tạm thời)"
#: how long the CLI waits for the provisional model another process is fitting
PROVISIONAL_WAIT_S = 300.0

AnyTagger = Tagger | ProvisionalTagger


def tag_letter(letter: Letter, settings: Settings, wait: bool = True) -> Letter:
    """Fill ``clause.themes`` in place (directive clauses only), record the tagger, return the letter.

    ``wait=False`` (HTTP requests): never wait for a model being fitted; until the provisional
    tagger exists (the first seconds of a fresh server) themes stay empty, marked provisional.
    """
    tagger = active_tagger(settings, fit_provisional=wait and not _serving)
    if tagger is not None:
        tagger.tag_letter(letter)
    letter.tagger = tagger_info(tagger, off=configured_tagger_dir(settings) is None)
    return letter


def tagger_info(tagger: AnyTagger | None, off: bool = False) -> dict[str, Any]:
    """``{"name", "provisional"}`` for the JSON and the page."""
    if tagger is None and off:
        return {"name": "không có (CONGVAN_TAGGER=off)", "provisional": False}
    if tagger is None:  # the provisional model could not be had (the log says why)
        return {"name": "chưa có mô hình (chủ đề để trống)", "provisional": True}
    if isinstance(tagger, ProvisionalTagger):
        return {"name": PROVISIONAL_NAME, "provisional": True}
    run = tagger.manifest.get("run") if tagger.manifest else None
    return {"name": f"{FINE_TUNED_NAME} ({run})" if run else FINE_TUNED_NAME, "provisional": False}


#: set by the server (``service.jobs.BackgroundTagging``): its requests never wait for a model
_serving = False


def set_serving(on: bool) -> None:
    global _serving
    _serving = on


_cache_lock = threading.RLock()
_cache: dict[str, tuple[float, AnyTagger]] = {}


def first_run_preset(settings: Settings) -> str:
    """Preset of the background training: ``CONGVAN_TAGGER_PRESET`` (default ``full``).

    Under pytest (``PYTEST_CURRENT_TEST`` in the environment, inherited by the CLI subprocesses
    tests start) the default is ``smoke`` unless the preset was set explicitly: a test suite must
    never start a full training run.
    """
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


def has_fine_tuned(settings: Settings) -> bool:
    folder = configured_tagger_dir(settings)
    return folder is not None and _stamp(folder) is not None


def _cached(folder: Path, loader, load: bool = True) -> AnyTagger | None:
    """The tagger of ``folder``, loaded once per version. ``load=False`` (requests): only what is
    loaded already — a newer version is loaded by the server's background thread, so a request
    keeps the previous tagger meanwhile instead of waiting seconds for the load."""
    key = str(folder.resolve())
    stamp = _stamp(folder)
    if stamp is None:
        return None
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and (hit[0] == stamp or not load):
            return hit[1]
    if not load:
        return None
    tagger = loader(folder)  # outside the lock: loading the e5 tagger takes seconds
    with _cache_lock:
        _cache[key] = (stamp, tagger)
    return tagger


def get_default_tagger(settings: Settings, train_if_missing: bool = True, load: bool = True) -> Tagger | None:
    """The configured fine-tuned tagger, loaded once per process (None if there is none yet:
    this never trains; see ``active_tagger``). ``load=False``: only if already loaded."""
    folder = configured_tagger_dir(settings)
    if folder is None:
        return None
    if _stamp(folder) is None:
        if folder != default_tagger_dir(settings.models_dir):
            log.error("CONGVAN_TAGGER=%s: no tagger there; themes stay empty", folder)
        return None
    try:
        return _cached(folder, lambda f: load_tagger(f, settings.models_dir, num_threads=settings.num_threads),
                       load=load)
    except (ArtifactError, KeyError, OSError) as exc:
        log.error("could not load the theme tagger from %s (%s): the provisional tagger answers. "
                  "Run `congvan train --promote` to rebuild it.", folder, exc)
        return None


def active_tagger(settings: Settings, fit_provisional: bool = True) -> AnyTagger | None:
    """The tagger that answers now: the fine-tuned one if it exists, else the provisional one
    (fitted here first if missing: seconds, never the long fine-tuning). ``fit_provisional=False``
    (requests): nothing is fitted or loaded here, only what the background thread has loaded."""
    folder = configured_tagger_dir(settings)
    if folder is None:
        return None
    tagger = get_default_tagger(settings, load=fit_provisional)
    if tagger is not None:
        return tagger
    return provisional_tagger(settings, fit=fit_provisional)


def provisional_tagger(settings: Settings, fit: bool = True) -> ProvisionalTagger | None:
    folder = provisional_dir(settings.models_dir)
    try:
        tagger = _cached(folder, load_provisional)
    except ArtifactError as exc:
        log.warning("provisional tagger unreadable (%s): fitting it again", exc)
        tagger = None
    if tagger is not None or not fit:
        return tagger  # type: ignore[return-value]
    try:
        ensure_provisional(settings)
        return _cached(folder, load_provisional)  # type: ignore[return-value]
    except Exception as exc:  # noqa: BLE001 - tagging must not take the service down
        log.error("could not fit the provisional theme tagger (%s): themes stay empty", exc)
        return None


def clear_tagger_cache() -> None:
    with _cache_lock:
        _cache.clear()


@contextlib.contextmanager
def _file_lock(path: Path, timeout_s: float | None = None):
    import time

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"{path} is held by another process") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def ensure_provisional(settings: Settings) -> Path:
    """Fit and save the provisional tagger once (other threads/processes wait for it, briefly)."""
    from congvan.service.storage import corrections_file
    from congvan.training.provisional import train_provisional

    target = provisional_dir(settings.models_dir)
    with _file_lock(settings.models_dir / ".tagger-provisional.lock", timeout_s=PROVISIONAL_WAIT_S):
        if _stamp(target) is not None:
            return target
        log.warning("No theme tagger in %s yet: fitting the provisional one (TF-IDF + LR, seconds); "
                    "the fine-tuned tagger trains in the background (`congvan serve`, or `congvan train`).",
                    settings.models_dir)
        return train_provisional(settings.models_dir, corrections_file=corrections_file(settings),
                                 log=lambda m: log.info("%s", m))


def correction_keeper(settings: Settings):
    """``keep(clause_id, text)``: true for clauses staff corrected (re-tagging leaves them). It
    re-reads the corrections file when it changes, so a correction saved mid-re-tag still wins."""
    from congvan.service.storage import corrections_file
    from congvan.training.corrections import CorrectionStore
    from congvan.training.dataset import text_key

    path = corrections_file(settings)
    seen: dict[str, Any] = {"stamp": None, "ids": set(), "texts": set()}

    def keep(clause_id: str, text: str) -> bool:
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            stamp = None
        if stamp != seen["stamp"]:
            records = CorrectionStore(path).read() if stamp is not None else []
            seen.update(stamp=stamp, ids={r.get("clause_id") for r in records},
                        texts={text_key(r["text"]) for r in records if r.get("text")})
        return clause_id in seen["ids"] or text_key(text) in seen["texts"]

    return keep
