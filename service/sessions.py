"""Server-side login sessions: logout (or a key change) ends a session everywhere.

The cookie holds only a random token; the server keeps its SHA-256 digest with the expiry and a
digest of the API key it was granted under. A copied cookie therefore stops working as soon as
its owner logs out, and changing ``CONGVAN_API_KEY`` logs everyone out. Sessions live in the
server process's memory: restarting the server also logs everyone out (staff type the key again).
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

#: Most sessions kept at once; the oldest are dropped first (a flood of logins cannot fill memory).
MAX_SESSIONS = 10_000


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    expiry: float
    key_digest: str
    session_id: str  # a short public id for the audit log (never the token)


class SessionStore:
    """Token digest → ``Session``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def create(self, key: str, lifetime_s: float, now: float | None = None) -> str:
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        digest = _digest(token)
        with self._lock:
            self._prune(now)
            while len(self._sessions) >= MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
            self._sessions[digest] = Session(now + lifetime_s, _digest("key:" + key), digest[:12])
        return token

    def get(self, token: str | None, key: str | None, now: float | None = None) -> Session | None:
        """The live session of ``token`` granted under ``key``; None if unknown, expired or revoked."""
        if not token or not key or len(token) > 256:
            return None
        now = time.time() if now is None else now
        with self._lock:
            found = self._sessions.get(_digest(token))
        if found is None or found.expiry < now:
            return None
        if not secrets.compare_digest(found.key_digest, _digest("key:" + key)):
            return None
        return found

    def revoke(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            return self._sessions.pop(_digest(token), None) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _prune(self, now: float) -> None:
        for digest in [d for d, s in self._sessions.items() if s.expiry < now]:
            del self._sessions[digest]


#: The process's sessions (one server process serves one index).
SESSIONS = SessionStore()
