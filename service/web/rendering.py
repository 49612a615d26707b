"""How every page is rendered: templates, static URLs, security headers, error and login pages.

Server-rendered Jinja2 (autoescaped, ``StrictUndefined``) plus one small vanilla JS file.
Security rules: :mod:`service.http.security`.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.templating import Jinja2Templates

from congvan.letters.diseases import disease_labels
from congvan.letters.taxonomy import load_taxonomy
from congvan.service.http.security import auth_required, can_write, csrf_token, has_session, remember_csrf
from congvan.service.web import views

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

#: Sent with every HTML page: no inline script or style, nothing from other hosts.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _static_versions() -> dict[str, str]:
    out = {}
    for path in STATIC_DIR.rglob("*"):
        if path.is_file():
            out[path.relative_to(STATIC_DIR).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return out


_VERSIONS = _static_versions()


def static_url(name: str) -> str:
    return f"/static/{name}?v={_VERSIONS.get(name, '0')}"


_env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.globals.update(static_url=static_url, format_date=views.format_date, format_iso=views.format_iso,
                    number_text=views.number_text, qs=views.query_string)
templates = Jinja2Templates(env=_env)


def labels() -> tuple[Any, dict[str, str], dict[str, str]]:
    """(taxonomy, theme id → label, agency id → name)."""
    tax = load_taxonomy()
    return tax, tax.theme_labels, tax.agency_names


def _tagger_banner(request: Request) -> dict[str, Any] | None:
    """Provisional themes / training progress / re-tagging, for ``base.html``'s banner."""
    from congvan.service.jobs import banner

    background = getattr(request.app.state, "background", None)
    return banner(background.status()) if background is not None else None


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    _, themes, agencies = labels()
    base = {
        "csrf_token": csrf_token(request),
        "auth_required": auth_required(request.app.state.settings),
        "logged_in": has_session(request),
        "can_write": can_write(request),
        "theme_labels": themes,
        "agency_labels": agencies,
        "disease_labels": disease_labels(),
        "nav": "",
        "page_title": "Tra cứu công văn",
        "tagger_banner": _tagger_banner(request),
    }
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
    return finish(request, response)


def finish(request: Request, response: Response) -> Response:
    remember_csrf(request, response)
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"title": title, "message": message, "page_title": title},
                  status_code=status)


def detail_of(exc: StarletteHTTPException) -> str:
    detail = exc.detail
    if isinstance(detail, str):
        return detail
    return "Yêu cầu không hợp lệ (invalid request)"
