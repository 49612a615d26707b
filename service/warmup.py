"""Start-up in the background: the server listens at once and reports when it can search.

Loading the encoder, opening the index and loading underthesea's segmenter take seconds (and a
missing tagger used to mean minutes of training before the port even opened). ``Warmup`` does
that work in a daemon thread; ``/healthz`` (liveness) answers from the first moment,
``/readyz`` says 503 until search is warm, and a request that needs the index meanwhile waits
for it (``wait``) instead of failing. The tagger is loaded afterwards and is never trained
here: a server without a tagger still searches, and tags without themes.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from congvan.service.config import Settings

log = logging.getLogger("congvan.warmup")

#: How long a request that needs the index waits for start-up before it gets 503.
WAIT_S = 60.0


def open_collection(settings: Settings) -> Any:
    """The default opener: the encoder (its first query builds torch's kernels), then the index."""
    from congvan.index.collection import Collection
    from congvan.models.encoder import load_encoder

    encoder = load_encoder(settings)
    encoder.encode_queries(["khởi động"])
    return Collection.open(settings.index_dir, encoder)


class Warmup:
    """What start-up has loaded so far; ``run`` (a thread) fills in ``collection``.

    ``opener(settings)`` opens what requests need (default: the collection; anything with a
    ``close()``), ``publish(opened)`` hands it to the app (e.g. sets ``app.state.collection``).
    """

    def __init__(self, settings: Settings, publish: Callable[[Any], None] | None = None,
                 opener: Callable[[Settings], Any] = open_collection) -> None:
        self.settings = settings
        self.publish = publish
        self.opener = opener
        self.collection: Any = None  # what ``opener`` returned
        self.tagger: Any = None
        self.tagger_state = "pending"  # pending | loaded | missing | off | failed
        self.error: str | None = None
        self.started = time.time()
        self.ready_at: float | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="congvan-warmup", daemon=True)
        self._thread.start()

    def run(self) -> None:
        """Segmenter, then ``opener`` (encoder, index), then the tagger; errors are kept for
        ``/readyz``."""
        from congvan.index.tones import warm_up as warm_tones
        from congvan.letters.tokenize import warm_up

        try:
            warm_up()  # underthesea's CRF model, under its lock
            warm_tones()  # the word list tone-less queries get their tones back from
            opened = self.opener(self.settings)
            if self._closed:
                opened.close()
                return
            self.collection = opened
            if self.publish is not None:
                self.publish(opened)
            self.ready_at = time.time()
            log.info("congvan ready in %.1f s", self.ready_at - self.started)
        except Exception as exc:  # noqa: BLE001 - reported by /readyz, the process stays up
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("start-up failed")
            return
        finally:
            self._ready.set()
        self._load_tagger()

    def _load_tagger(self) -> None:
        from congvan.service.tagging import configured_tagger_dir, get_default_tagger

        if configured_tagger_dir(self.settings) is None:
            self.tagger_state = "off"
            return
        try:
            # Never train here: first-run training is a job of its own, not part of start-up.
            self.tagger = get_default_tagger(self.settings, train_if_missing=False)
            self.tagger_state = "loaded" if self.tagger is not None else "missing"
        except Exception as exc:  # noqa: BLE001 - search works without a tagger
            self.tagger_state = "failed"
            log.error("could not load the theme tagger: %s", exc)

    def close(self) -> None:
        self._closed = True
        if self.collection is not None:
            self.collection.close()

    # ---------------------------------------------------------------- queries
    @property
    def ready(self) -> bool:
        return self.collection is not None

    def wait(self, timeout: float = WAIT_S) -> Any:
        """What ``opener`` returned, waiting for start-up if needed; None if not ready in time or failed."""
        if self.collection is None:
            self._ready.wait(timeout)
        return self.collection

    def report(self) -> dict[str, Any]:
        return {"ready": self.ready, "error": self.error, "tagger": self.tagger_state,
                "seconds": round((self.ready_at or time.time()) - self.started, 1)}
