"""Login and logout (``/login``, ``/logout``): staff type the API key once; the session cookie
then carries their write rights (rules in :mod:`service.http.security`)."""
from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from congvan.service.http.access import require_form_origin
from congvan.service.http.deps import SettingsDep
from congvan.service.http.ratelimit import check_not_limited, record_failure, record_success
from congvan.service.http.routing import write_router
from congvan.service.http.security import (
    CSRF_FIELD,
    auth_required,
    check_csrf,
    clear_session_cookie,
    key_matches,
    revoke_session,
    set_session_cookie,
)
from congvan.service.web.rendering import detail_of, error_page, finish, render

router = APIRouter(include_in_schema=False)
writes = write_router(require_form_origin, include_in_schema=False)


def safe_next(target: str | None) -> str:
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 33 for ch in target)):  # browsers drop tabs: "/\t/evil" → "//evil"
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    return render(request, "login.html", {"nav": "login", "page_title": "Đăng nhập", "error": None,
                                           "next": safe_next(request.query_params.get("next"))})


@writes.post("/login", response_class=HTMLResponse)
async def login(request: Request, settings: SettingsDep) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    target = safe_next(form.get("next") if isinstance(form.get("next"), str) else None)
    ctx = {"nav": "login", "page_title": "Đăng nhập", "next": target, "error": None}
    try:
        check_csrf(request, form.get(CSRF_FIELD) if isinstance(form.get(CSRF_FIELD), str) else None)
    except StarletteHTTPException as exc:
        ctx["error"] = detail_of(exc)
        return render(request, "login.html", ctx, status_code=exc.status_code)
    if not auth_required(settings):
        return finish(request, RedirectResponse(target, status_code=303))
    try:
        check_not_limited(request)  # 429 after too many wrong keys from this client
    except StarletteHTTPException as exc:
        ctx["error"] = detail_of(exc)
        return render(request, "login.html", ctx, status_code=exc.status_code)
    key = form.get("key")
    if not isinstance(key, str) or not key_matches(settings, key.strip()):
        record_failure(request)
        await asyncio.sleep(0.5)  # slows down guessing
        ctx["error"] = "Khóa truy cập không đúng. Hãy kiểm tra lại hoặc hỏi người quản trị."
        return render(request, "login.html", ctx, status_code=401)
    record_success(request)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response)
    return finish(request, response)


@writes.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    try:
        check_csrf(request, form.get(CSRF_FIELD) if isinstance(form.get(CSRF_FIELD), str) else None)
    except StarletteHTTPException as exc:
        return error_page(request, exc.status_code, "Không đăng xuất được", detail_of(exc))
    revoke_session(request)  # server-side: a copied cookie stops working too
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return finish(request, response)
