"""A bounded pool for the CPU work of requests (parsing, tagging, embedding, index writes).

The event loop only reads bodies and writes answers; everything heavy runs here, so a 900-clause
letter never stalls a search. At most ``workers + queue`` requests hold a place at once;
beyond that ``slot()`` raises ``Busy`` at once (the API answers 429 with ``Retry-After``)
instead of piling up requests until memory or patience runs out.

Two kinds of work: *parsing* is pure Python, so in a thread it would hold the interpreter lock
that searches need; it runs in worker **processes** (``processes=True``, spawned, so nothing of
the server's threads or models is copied). Tagging, embedding and index writes use the loaded
models and the open index and release the lock in their native code; they run in worker
**threads**. Searches go through neither: they stay on the server's own thread pool.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["Busy", "WorkPool"]


class Busy(Exception):
    """The pool and its queue are full; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Máy chủ đang bận xử lý các văn bản khác; hãy thử lại sau {retry_after} giây "
                         f"(server busy: retry after {retry_after} s)")
        self.retry_after = retry_after


def _watch_parent(parent: int) -> None:
    """Worker-process initializer: exit when the server that spawned us is gone. A server killed
    with SIGKILL (or by the OOM killer) never tells its pool to stop, and a spawned worker holds
    both ends of its task queue, so it would otherwise wait for work forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="congvan-parent-watch", daemon=True).start()


def _ready() -> bool:
    """A no-op run once per worker process at start, so the first upload does not pay for it."""
    import congvan.letters.pipeline  # noqa: F401 - imports the parser and the taxonomy

    return True


class WorkPool:
    """``workers`` threads (and processes) plus ``queue`` waiting places."""

    def __init__(self, workers: int = 1, queue: int = 8, retry_after: int = 5, processes: bool = False) -> None:
        if workers < 1 or queue < 0:
            raise ValueError("workers must be ≥ 1 and queue ≥ 0")
        self.workers = workers
        self.capacity = workers + queue
        self.retry_after = retry_after
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="congvan-cpu")
        self._processes: Executor | None = None
        if processes:
            self._processes = ProcessPoolExecutor(max_workers=workers,
                                                  mp_context=multiprocessing.get_context("spawn"),
                                                  initializer=_watch_parent, initargs=(os.getpid(),))
            self._processes.submit(_ready)
        self._lock = threading.Lock()
        self._taken = 0

    @property
    def pending(self) -> int:
        """Requests running or waiting."""
        return self._taken

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one place for a request's whole CPU work (``Busy`` when none is free)."""
        with self._lock:
            if self._taken >= self.capacity:
                raise Busy(self.retry_after)
            self._taken += 1
        try:
            yield
        finally:
            with self._lock:
                self._taken -= 1

    async def in_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` in a worker thread (call inside ``slot()``)."""
        return await asyncio.wrap_future(self._threads.submit(fn, *args, **kwargs))

    async def in_process(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a picklable, model-free ``fn`` in a worker process (a thread if none)."""
        if self._processes is None:
            return await self.in_thread(fn, *args)
        return await asyncio.wrap_future(self._processes.submit(fn, *args))

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn`` in a worker thread, holding a place while it runs (``Busy`` when full)."""
        async with self.slot():
            return await self.in_thread(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True) -> None:
        self._threads.shutdown(wait=wait, cancel_futures=True)
        if self._processes is not None:
            self._processes.shutdown(wait=wait, cancel_futures=True)
