"""Writes every state-changing request to the audit log (``service/audit.py``) before its
response leaves: one middleware, so neither front end can forget an entry.

The action comes from the route (method + path); the target from the path (delete, correction)
or from what the handler noted in ``request.state.audit_target`` (the ``doc_id`` an upload got).
Refused attempts (401, 403, 404, 422, 429 …) are logged too, with their status.
"""
from __future__ import annotations

import re

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from congvan.service import audit
from congvan.service.http.security import (
    API_KEY_HEADER,
    configured_key,
    key_fingerprint,
    key_matches,
    session_id,
)

#: (method, path pattern, action); the pattern's group, if any, is the target.
ROUTES = [
    ("POST", re.compile(r"^/api/documents/?$"), "upload"),
    ("POST", re.compile(r"^/upload/?$"), "upload"),
    ("DELETE", re.compile(r"^/api/documents/([^/]+)$"), "delete"),
    ("POST", re.compile(r"^/api/clauses/([^/]+)/labels$"), "correct"),
    ("POST", re.compile(r"^/login/?$"), "login"),
    ("POST", re.compile(r"^/logout/?$"), "logout"),
]


def match(method: str, path: str) -> tuple[str, str | None] | None:
    for verb, pattern, action in ROUTES:
        if method == verb and (m := pattern.match(path)):
            return action, (m.group(1) if m.groups() else None)
    return None


def actor_of(request: Request) -> str:
    settings = request.app.state.settings
    if configured_key(settings) is None:
        return "open"
    sent = request.headers.get(API_KEY_HEADER)
    if sent is not None:
        return key_fingerprint(sent) if key_matches(settings, sent) else "key:invalid"
    sid = session_id(request)
    return f"session:{sid}" if sid else "anonymous"


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = match(scope.get("method", ""), scope.get("path", "")) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        action, target = found
        request = Request(scope)
        actor = actor_of(request)  # before the handler: logout ends the session it names

        async def send_after_logging(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                state = scope.get("state") or {}
                settings = request.app.state.settings
                await anyio.to_thread.run_sync(lambda: audit.record(
                    settings.index_dir, actor=actor, action=action,
                    target=state.get("audit_target") or target,
                    result="ok" if status < 400 else "refused" if status < 500 else "error",
                    status=status, client=request.client.host if request.client else None,
                    detail=state.get("audit_detail")))
            await send(message)

        await self.app(scope, receive, send_after_logging)
