"""``/admin/audit``: the audit log as a page, for whoever holds the write key (or a login)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from congvan.service import audit
from congvan.service.http.security import can_write
from congvan.service.web.rendering import login_redirect, render

router = APIRouter(include_in_schema=False)
#: Newest entries shown on the page (the CLI shows everything).
PAGE_LIMIT = 500


@router.get("/admin/audit", response_class=HTMLResponse)
async def audit_page(request: Request) -> Response:
    if not can_write(request):
        return login_redirect(request)
    action = request.query_params.get("action") or None
    since = request.query_params.get("since") or None
    ctx = {"nav": "admin", "page_title": "Nhật ký thao tác", "actions": audit.ACTIONS, "action": action,
           "since": since, "entries": [], "error": None, "truncated": False}
    try:
        entries = await run_in_threadpool(audit.read, request.app.state.settings.index_dir,
                                          since=since, action=action, limit=PAGE_LIMIT + 1)
    except ValueError as exc:
        ctx["error"] = str(exc)
        return render(request, "audit.html", ctx, status_code=422)
    ctx["truncated"] = len(entries) > PAGE_LIMIT
    ctx["entries"] = list(reversed(entries[-PAGE_LIMIT:]))
    return render(request, "audit.html", ctx)
