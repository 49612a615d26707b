"""The letter page (``/letters/{doc_id}``): the whole letter with the labels search reads (one
source of truth: corrections are already in the index), references linked to indexed letters,
and the letters that cite it."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from congvan.service.http.calls import in_threads
from congvan.service.http.deps import CoreDep
from congvan.service.http.security import can_read
from congvan.service.web import views
from congvan.service.web.rendering import error_page, labels, login_redirect, render
from congvan.service.web.viewmodels import MAX_QUERY_CHARS, letter_view

router = APIRouter(include_in_schema=False)


@router.get("/letters/{doc_id}", response_class=HTMLResponse)
async def letter_page(doc_id: str, request: Request, core: CoreDep) -> Response:
    if not can_read(request):
        return login_redirect(request)
    query = request.query_params.get("q", "").strip()[:MAX_QUERY_CHARS]
    hit = request.query_params.get("clause", "")
    try:
        read = await in_threads(core.read_letter, doc_id)
    except HTTPException as exc:
        if exc.status_code != 404:
            raise
        return error_page(request, 404, "Không tìm thấy văn bản",
                          f"Không có văn bản mã “{doc_id}” trong kho. Có thể văn bản đã bị xóa "
                          "hoặc đường dẫn bị sai.")
    tax, themes, agencies = labels()
    marked = await in_threads(core.query_as_read, query) if query else ""
    ctx = letter_view(read, marked, hit, tax, themes, agencies)
    doc = ctx["doc"]
    back = "/" + views.query_string({"q": query}) if query else "/"
    return render(request, "letter.html", {
        **ctx, "query": query, "hit_clause": hit, "back_url": back,
        "page_title": f"{doc.get('subject') or 'Văn bản'} – Tra cứu công văn",
    })
