"""Slow down key guessing: after ``limit`` failed API keys or logins from one client within
``window_s``, that client gets 429 with ``Retry-After`` until the window has passed.

Failures are counted per client address (``request.client.host``; behind a reverse proxy every
client shares the proxy's address, so the limit then protects the key, not fairness). A success
clears the client's count. The key itself is still compared in constant time
(``security.key_matches``).
"""
from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import HTTPException, Request

MSG_TOO_MANY = ("Nhập sai khóa quá nhiều lần; hãy đợi {wait} giây rồi thử lại "
                "(too many failed keys or logins; retry after {wait} s)")
#: Most clients tracked at once (older entries are dropped first).
MAX_CLIENTS = 10_000


class FailureLimiter:
    """Sliding-window count of failed authentications per client; thread-safe."""

    def __init__(self, limit: int = 5, window_s: float = 300.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[client]
        return times

    def retry_after(self, client: str, now: float | None = None) -> int:
        """Seconds this client must wait (0: may try)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(client, now)
            if len(times) < self.limit:
                return 0
            return max(1, int(times[-self.limit] + self.window_s - now) + 1)

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._failures.setdefault(client, deque(maxlen=self.limit * 4))
            times.append(now)
            while len(self._failures) > MAX_CLIENTS:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limiter_of(request: Request) -> FailureLimiter:
    """The app's limiter (created on first use; one per app, so tests do not share counts)."""
    state = request.app.state
    limiter = getattr(state, "auth_failures", None)
    if limiter is None:
        settings = getattr(state, "settings", None)
        limiter = FailureLimiter(limit=getattr(settings, "auth_failure_limit", 5),
                                 window_s=getattr(settings, "auth_failure_window_s", 300.0))
        state.auth_failures = limiter
    return limiter


def check_not_limited(request: Request) -> None:
    """429 if this client failed too often lately."""
    wait = limiter_of(request).retry_after(client_of(request))
    if wait:
        raise HTTPException(429, MSG_TOO_MANY.format(wait=wait), headers={"Retry-After": str(wait)})


def record_failure(request: Request) -> None:
    limiter_of(request).failed(client_of(request))


def record_success(request: Request) -> None:
    limiter_of(request).succeeded(client_of(request))
