"""The upload page (``/upload``): the drag-and-drop form (its script posts to
``/api/documents``) and the no-JavaScript fallback, one file per plain form post, stored through
the same ``AppCore.ingest`` in the same worker pool; the page says what happened (added,
already there, updated)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from congvan.service.config import Settings
from congvan.service.core import STATUS_TEXT
from congvan.service.http.access import require_form_writer
from congvan.service.http.calls import pool_slot
from congvan.service.http.deps import CoreDep, PoolDep, SettingsDep
from congvan.service.http.routing import write_router
from congvan.service.http.security import CSRF_FIELD, can_read, check_csrf
from congvan.service.http.uploads import read_upload_field
from congvan.service.web.rendering import detail_of, labels, login_redirect, render
from congvan.service.web.viewmodels import letter_summary

router = APIRouter(include_in_schema=False)
writes = write_router(require_form_writer, include_in_schema=False)


def _context(settings: Settings) -> dict[str, Any]:
    return {"nav": "upload", "page_title": "Tải công văn lên", "result": None, "error": None,
            "filename": None, "max_mb": settings.max_upload_mb, "max_bytes": settings.max_upload_bytes,
            "status_text": STATUS_TEXT}


@router.get("/upload", response_class=HTMLResponse)
async def upload_page(request: Request, settings: SettingsDep) -> Response:
    if not can_read(request):
        return login_redirect(request)
    return render(request, "upload.html", _context(settings))


@writes.post("/upload", response_class=HTMLResponse)
async def upload_form(request: Request, settings: SettingsDep, core: CoreDep, pool: PoolDep) -> Response:
    """The no-JavaScript fallback: one file from a plain multipart form."""
    ctx = _context(settings)
    try:
        limit = settings.max_upload_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit + 65536:
            raise StarletteHTTPException(413, f"Tệp quá lớn: giới hạn {limit / 1048576:.0f} MB (file too large)")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise StarletteHTTPException(415, "Hãy gửi biểu mẫu tải tệp (multipart/form-data)")
        form = await request.form(max_files=1, max_fields=10, max_part_size=limit + 1)
        check_csrf(request, form.get(CSRF_FIELD) if isinstance(form.get(CSRF_FIELD), str) else None)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise StarletteHTTPException(422, "Hãy chọn một tệp công văn (.txt, .md, .docx, .doc, .pdf) để tải lên")
        ctx["filename"] = upload.filename
        given = await read_upload_field(upload, settings)
        async with pool_slot(pool):
            outcome = await pool.in_thread(core.ingest, await given.prepare(core, pool))
            request.state.audit_target = outcome.doc_id  # for the audit log (service/http/auditing.py)
            request.state.audit_detail = f"{outcome.status}: {given.filename or ''}"
    except StarletteHTTPException as exc:
        ctx["error"] = detail_of(exc)
        response = render(request, "upload.html", ctx, status_code=exc.status_code)
        if exc.headers and "Retry-After" in exc.headers:
            response.headers["Retry-After"] = exc.headers["Retry-After"]
        return response
    _, themes, agencies = labels()
    ctx["result"] = letter_summary(outcome.letter, outcome.doc_id, outcome.status, themes, agencies)
    return render(request, "upload.html", ctx)
