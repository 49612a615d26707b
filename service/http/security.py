"""Optional API key, login sessions and CSRF protection, shared by the API and the staff page.

The rules (the README repeats them for administrators):

* **No ``CONGVAN_API_KEY``** (the default): everything is open, as on a single trusted machine.
  Requests that come from another web site are still refused (see *origin check*), so a page on
  the internet cannot make an office browser upload or delete letters.
* **``CONGVAN_API_KEY`` set**: upload (``POST /api/documents``, ``POST /upload``), delete
  (``DELETE /api/documents/{id}``) and label corrections (``POST /api/clauses/{id}/labels``)
  need either the header ``X-API-Key: <key>`` (scripts, other services) or the session cookie
  that the page's ``/login`` form sets after the key was typed in (staff in a browser).
  Searching and reading stay open unless ``CONGVAN_PROTECT_SEARCH=true``, which puts the same
  check on ``/``, ``/letters/…``, ``/api/search``, ``GET /api/documents/…`` and ``/api/tag``.
* **CSRF** (double-submit token): every page sets the random cookie ``congvan_csrf`` and puts the
  same value in the page (hidden form field ``csrf_token``, ``<meta name="csrf-token">``).
  A state-changing request is checked — the submitted token must equal the cookie — when it is

  - a form post of the page (``/login``, ``/logout``, ``/upload``): always;
  - authenticated by the session cookie (key set, no ``X-API-Key``): token in ``X-CSRF-Token``;
  - sent by the page's JavaScript: it always sends ``X-CSRF-Token``, and a header that is present
    is always checked.

  API clients that send ``X-API-Key``, or nothing at all on an open server, carry no cookies, so
  they need no token: another site's page can neither add an ``X-API-Key`` header nor read the
  CSRF cookie, and its form posts are refused by the origin check.
* **Origin check**: a state-changing request whose ``Origin`` differs from the server's own
  address, or that a browser marks ``Sec-Fetch-Site: cross-site``, gets 403.

Sessions are server-side (``service/sessions.py``): logout ends them for every copy of the
cookie, and changing the key logs everyone out. After ``auth_failure_limit`` wrong keys or
logins from one client within ``auth_failure_window_s``, that client gets 429 with
``Retry-After`` (``service/http/ratelimit.py``). Cookies are ``HttpOnly`` and ``SameSite=Lax`` (``Secure`` over HTTPS).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from congvan.service.config import Settings
from congvan.service.http.ratelimit import check_not_limited, record_failure, record_success
from congvan.service.sessions import SESSIONS

SESSION_COOKIE = "congvan_session"
CSRF_COOKIE = "congvan_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
API_KEY_HEADER = "X-API-Key"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

MSG_LOGIN = ("Cần đăng nhập (trang /login) hoặc gửi khóa API trong tiêu đề X-API-Key "
             "(login or X-API-Key header required)")
MSG_BAD_KEY = "Khóa API không đúng (wrong X-API-Key)"
MSG_CSRF = ("Phiên làm việc của trang đã hết hạn hoặc không hợp lệ; hãy tải lại trang rồi thử lại "
            "(CSRF token missing or wrong)")
MSG_ORIGIN = "Yêu cầu gửi từ trang web khác bị từ chối (cross-origin request refused)"


# --------------------------------------------------------------------------- settings
def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def configured_key(settings: Settings) -> str | None:
    key = getattr(settings, "api_key", None)
    if key is None:
        return None
    value = key.get_secret_value() if hasattr(key, "get_secret_value") else str(key)
    return value or None


def key_matches(settings: Settings, candidate: str | None) -> bool:
    key = configured_key(settings)
    if not key or candidate is None:
        return False
    return hmac.compare_digest(candidate.encode(), key.encode())


# --------------------------------------------------------------------------- sessions
def make_session(settings: Settings, now: float | None = None) -> str:
    """A new server-side session (``service/sessions.py``); the cookie holds only its token."""
    key = configured_key(settings)
    if not key:
        raise ValueError("no API key configured: sessions are not needed")
    return SESSIONS.create(key, settings.session_hours * 3600, now=now)


def session_valid(settings: Settings, value: str | None, now: float | None = None) -> bool:
    return SESSIONS.get(value, configured_key(settings), now=now) is not None


def session_id(request: Request) -> str | None:
    """The public id of the request's live session (for the audit log), if any."""
    found = SESSIONS.get(request.cookies.get(SESSION_COOKIE), configured_key(settings_of(request)))
    return found.session_id if found is not None else None


def revoke_session(request: Request) -> None:
    """Logout: the session ends on the server, so a copied cookie stops working too."""
    SESSIONS.revoke(request.cookies.get(SESSION_COOKIE))


def has_session(request: Request) -> bool:
    return session_valid(settings_of(request), request.cookies.get(SESSION_COOKIE))


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response) -> None:
    settings = settings_of(request)
    response.set_cookie(SESSION_COOKIE, make_session(settings), max_age=int(settings.session_hours * 3600),
                        httponly=True, samesite="lax", secure=_secure(request), path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


# --------------------------------------------------------------------------- who may do what
def auth_required(settings: Settings) -> bool:
    return configured_key(settings) is not None


def can_write(request: Request) -> bool:
    """May this request upload, delete or correct (ignoring CSRF)?"""
    settings = settings_of(request)
    if not auth_required(settings):
        return True
    return key_matches(settings, request.headers.get(API_KEY_HEADER)) or has_session(request)


def can_read(request: Request) -> bool:
    settings = settings_of(request)
    if not (auth_required(settings) and settings.protect_search):
        return True
    return can_write(request)


# --------------------------------------------------------------------------- CSRF and origin
def csrf_token(request: Request) -> str:
    """The page's CSRF token: the cookie's, or a new one (``remember_csrf`` sets the cookie)."""
    token = getattr(request.state, "csrf_token", None)
    if token:
        return token
    token = request.cookies.get(CSRF_COOKIE) or ""
    if not (20 <= len(token) <= 128 and token.replace("-", "").replace("_", "").isalnum()):
        token = secrets.token_urlsafe(32)
        request.state.csrf_new = True
    request.state.csrf_token = token
    return token


def remember_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie on ``response`` if this request created a new token."""
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(CSRF_COOKIE, request.state.csrf_token, httponly=True, samesite="lax",
                            secure=_secure(request), path="/")


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())


def check_csrf(request: Request, submitted: str | None) -> None:
    if not csrf_ok(request, submitted):
        raise HTTPException(403, MSG_CSRF)


def same_origin(request: Request) -> bool:
    """False when a browser says the request comes from another site."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if not origin:
        return True  # not a browser, or a same-origin GET
    if origin == "null":
        return False
    parts = urlsplit(origin)
    default = {"http": "80", "https": "443"}.get(parts.scheme, "")

    def with_port(host: str) -> str:
        host = host.strip().lower()
        return host if ":" in host.rsplit("]", 1)[-1] else f"{host}:{default}"

    # Behind a reverse proxy that rewrites Host, X-Forwarded-Host names the public address
    # (a page on another site cannot add that header to a browser's request).
    hosts = {with_port(request.headers.get("host", ""))}
    forwarded = request.headers.get("x-forwarded-host")
    if forwarded:
        hosts.add(with_port(forwarded.split(",")[0]))
    return with_port(parts.netloc) in hosts


def check_origin(request: Request) -> None:
    if request.method not in SAFE_METHODS and not same_origin(request):
        raise HTTPException(403, MSG_ORIGIN)


# --------------------------------------------------------------------------- dependencies
def key_fingerprint(key: str) -> str:
    """A short, non-reversible id of an API key for the audit log."""
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:8]


def check_sent_key(request: Request, settings: Settings, sent_key: str) -> None:
    """401 for a wrong ``X-API-Key`` (counted), 429 once a client failed too often."""
    check_not_limited(request)
    if not key_matches(settings, sent_key):
        record_failure(request)
        raise HTTPException(401, MSG_BAD_KEY, headers={"WWW-Authenticate": API_KEY_HEADER})
    record_success(request)


async def require_writer(request: Request) -> str:
    """Dependency of every state-changing API endpoint; returns how the caller got in
    (``"api-key"``, ``"session"`` or ``"open"``) and notes who for the audit log."""
    check_origin(request)
    settings = settings_of(request)
    sent_key = request.headers.get(API_KEY_HEADER)
    if auth_required(settings):
        if sent_key is not None:
            check_sent_key(request, settings, sent_key)
            how = "api-key"
            request.state.actor = key_fingerprint(sent_key)
        elif has_session(request):
            how = "session"
            request.state.actor = f"session:{session_id(request)}"
        else:
            raise HTTPException(401, MSG_LOGIN, headers={"WWW-Authenticate": API_KEY_HEADER})
    else:
        how = "open"
        request.state.actor = "open"
    submitted = request.headers.get(CSRF_HEADER)
    if how == "session" or submitted is not None:
        check_csrf(request, submitted)
    return how


async def require_reader(request: Request) -> None:
    """Dependency of the read endpoints: open unless CONGVAN_PROTECT_SEARCH (with a key)."""
    settings = settings_of(request)
    sent_key = request.headers.get(API_KEY_HEADER)
    if auth_required(settings) and settings.protect_search and sent_key is not None:
        check_sent_key(request, settings, sent_key)
        return
    if not can_read(request):
        raise HTTPException(401, MSG_LOGIN, headers={"WWW-Authenticate": API_KEY_HEADER})


WriteAccess = Annotated[str, Depends(require_writer)]
