"""Security headers on every response (JSON, errors and static files too, not only pages).

A pure ASGI middleware, so it also covers responses built by exception handlers and mounts.
Headers a route set itself (the pages' own CSP, the Swagger page's) are kept.
"""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Pages: no inline script or style, nothing from other hosts.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
#: Everything else (JSON, files): nothing may run or be framed.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"

ALWAYS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
    b"cross-origin-resource-policy": b"same-origin",
}


class SecurityHeaders:
    """Adds ``ALWAYS`` and a CSP (page or data) to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in ALWAYS.items():
                    if key not in present:
                        headers.append((key, value))
                if b"content-security-policy" not in present:
                    ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                    csp = PAGE_CSP if ctype.startswith(b"text/html") else DATA_CSP
                    headers.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
