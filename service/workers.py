"""A bounded pool for the CPU work of requests (parsing, tagging, embedding, index writes).

The event loop only reads bodies and writes answers; everything heavy runs here, so a 900-clause
letter never stalls a search. The pool has ``workers`` threads and room for ``queue`` more
waiting jobs; beyond that ``submit`` raises ``Busy`` at once (the API answers 429 with
``Retry-After``) instead of piling up requests until memory or patience runs out. Searches do
not go through this pool: they stay on the server's own thread pool, so they never wait behind
an ingest.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["Busy", "WorkPool"]


class Busy(Exception):
    """The pool and its queue are full; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Máy chủ đang bận xử lý các văn bản khác; hãy thử lại sau {retry_after} giây "
                         f"(server busy: retry after {retry_after} s)")
        self.retry_after = retry_after


class WorkPool:
    """``workers`` threads plus ``queue`` waiting places; ``run`` refuses a job beyond them."""

    def __init__(self, workers: int = 1, queue: int = 8, retry_after: int = 5) -> None:
        if workers < 1 or queue < 0:
            raise ValueError("workers must be ≥ 1 and queue ≥ 0")
        self.workers = workers
        self.capacity = workers + queue
        self.retry_after = retry_after
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="congvan-cpu")
        self._lock = threading.Lock()
        self._taken = 0

    @property
    def pending(self) -> int:
        """Jobs running or waiting."""
        return self._taken

    def _take(self) -> None:
        with self._lock:
            if self._taken >= self.capacity:
                raise Busy(self.retry_after)
            self._taken += 1

    def _give(self) -> None:
        with self._lock:
            self._taken -= 1

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` in the pool and await its result (``Busy`` when full)."""
        self._take()
        try:
            future = self._executor.submit(fn, *args, **kwargs)
        except BaseException:
            self._give()
            raise
        future.add_done_callback(lambda _f: self._give())  # freed when the work ends, not the wait
        return await asyncio.wrap_future(future)

    def shutdown(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=True)
