"""The staff web page: search (``/``), letter view (``/letters/{doc_id}``), upload, login.

Server-rendered Jinja2 (autoescaped) plus one small vanilla JS file; basic search, reading and
a single-file upload work without JavaScript. Security rules: :mod:`service.http.security`.
"""
from __future__ import annotations

import asyncio
import hashlib
import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.templating import Jinja2Templates

from congvan.index.store import DocumentNotFound
from congvan.letters.taxonomy import load_taxonomy
from congvan.service.http.deps import CollectionDep, SettingsDep
from congvan.service.http.security import (
    CSRF_FIELD,
    auth_required,
    can_read,
    can_write,
    check_csrf,
    check_origin,
    clear_session_cookie,
    csrf_token,
    has_session,
    key_matches,
    remember_csrf,
    set_session_cookie,
)
from congvan.service.http.uploads import letter_from_request
from congvan.service.web import views
from congvan.service.web.corrected import apply_correction, corrections_for
from congvan.service.web.directory import letter_directory
from congvan.service.web.facets import DIMENSIONS
from congvan.service.web.searching import search_with_facets

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
PAGE_SIZE = 10
MAX_OFFSET = 10_000
MAX_QUERY_CHARS = 1000
_MONTH = re.compile(r"^\d{4}(-\d{1,2})?$")

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

router = APIRouter(include_in_schema=False)


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


def _taxonomy():
    tax = load_taxonomy()
    return tax, tax.theme_labels, tax.agency_names


# --------------------------------------------------------------------------- rendering
def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    tax, themes, agencies = _taxonomy()
    base = {
        "csrf_token": csrf_token(request),
        "auth_required": auth_required(request.app.state.settings),
        "logged_in": has_session(request),
        "can_write": can_write(request),
        "theme_labels": themes,
        "agency_labels": agencies,
        "nav": "",
        "page_title": "Tra cứu công văn",
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


def _detail(exc: StarletteHTTPException) -> str:
    detail = exc.detail
    if isinstance(detail, str):
        return detail
    return "Yêu cầu không hợp lệ (invalid request)"


# --------------------------------------------------------------------------- search page
def _search_state(request: Request) -> tuple[dict[str, Any], list[str]]:
    """Query parameters → (state, problems); bad values are dropped with a message, never a 4xx."""
    qp = request.query_params
    problems: list[str] = []
    q = qp.get("q", "").strip()
    if len(q) > MAX_QUERY_CHARS:
        problems.append(f"Câu tìm kiếm dài quá {MAX_QUERY_CHARS} ký tự nên đã được cắt bớt.")
        q = q[:MAX_QUERY_CHARS]
    try:
        page = max(1, int(qp.get("page", "1")))
    except ValueError:
        page = 1
    page = min(page, MAX_OFFSET // PAGE_SIZE)
    year = qp.get("year", "").strip()
    if year and not (year.isdigit() and 1945 <= int(year) <= 2100):
        problems.append(f"“{year}” không phải là năm hợp lệ nên bộ lọc năm đã được bỏ qua.")
        year = ""
    dates = {}
    for key, label in (("from", "Từ tháng"), ("to", "Đến tháng")):
        value = qp.get(key, "").strip()
        if value and not _MONTH.match(value):
            problems.append(f"{label} “{value}” cần có dạng NNNN-TT (ví dụ 2023-04) nên đã được bỏ qua.")
            value = ""
        dates[key] = value
    if dates["from"] and dates["to"] and _month_key(dates["from"]) > _month_key(dates["to"], end=True):
        problems.append("Khoảng thời gian không hợp lệ (tháng bắt đầu sau tháng kết thúc) nên đã được bỏ qua.")
        dates = {"from": "", "to": ""}
    state = {
        "q": q, "page": page, "year": year, "from": dates["from"], "to": dates["to"],
        "province": qp.get("province", "").strip(), "issuer": qp.get("issuer", "").strip(),
        "theme": [v for v in dict.fromkeys(qp.getlist("theme")) if v.strip()],
        "agency": [v for v in dict.fromkeys(qp.getlist("agency")) if v.strip()],
    }
    return state, problems


def _month_key(value: str, end: bool = False) -> tuple[int, int]:
    year, _, month = value.partition("-")
    return int(year), int(month) if month else (12 if end else 1)


def _filters(state: dict[str, Any]) -> dict[str, Any]:
    return {"year": int(state["year"]) if state["year"] else None, "from": state["from"] or None,
            "to": state["to"] or None, "province": state["province"] or None,
            "issuer": state["issuer"] or None, "theme": state["theme"] or None,
            "agency": state["agency"] or None}


def _link_params(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state[k] for k in ("q", "year", "from", "to", "province", "issuer", "theme", "agency")}


def _hit_view(hit, query: str, themes: dict[str, str], agencies: dict[str, str]) -> dict[str, Any]:
    doc = hit.document or {}
    q = f"&q={quote(query)}" if query else ""
    return {
        "url": f"/letters/{quote(hit.doc_id)}?clause={quote(hit.clause_id)}{q}#c-{quote(hit.clause_id)}",
        "doc_id": hit.doc_id, "clause_id": hit.clause_id,
        "subject": doc.get("subject") or "(Không có trích yếu)",
        "issuer": doc.get("issuer"), "number": doc.get("number"), "doc_type": doc.get("doc_type"),
        "date": views.format_date(doc.get("date")), "province": doc.get("province"),
        "path_label": views.path_label(hit.path, hit.kind), "kind": hit.kind,
        # The one place where stored text is marked safe: make_snippet escapes it and adds <mark>.
        "snippet": Markup(hit.snippet),
        "themes": views.labelled(views.theme_ids(hit.themes), themes),
        "lead": views.labelled(hit.lead, agencies), "support": views.labelled(hit.support, agencies),
    }


def _run_search(collection, state: dict[str, Any]) -> dict[str, Any]:
    tax, themes, agencies = _taxonomy()
    filters = _filters(state)
    offset = (state["page"] - 1) * PAGE_SIZE
    directory = letter_directory(collection)
    result, facets = search_with_facets(collection, state["q"], filters, top_k=PAGE_SIZE, offset=offset,
                                        directory=directory, theme_labels=themes, agency_labels=agencies)
    return {"result": result, "facets": facets, "directory": directory,
            "hits": [_hit_view(h, state["q"], themes, agencies) for h in result.hits]}


def _active_filters(state: dict[str, Any], themes: dict[str, str], agencies: dict[str, str]) -> list[dict]:
    params = _link_params(state)
    chips = []
    if state["year"]:
        chips.append({"label": f"Năm {state['year']}", "url": "/" + views.query_string(params, year=None)})
    if state["from"] or state["to"]:
        span = f"{views.format_iso(state['from']) or '…'} – {views.format_iso(state['to']) or '…'}"
        chips.append({"label": f"Thời gian: {span}", "url": "/" + views.query_string(params, **{"from": None, "to": None})})
    if state["province"]:
        chips.append({"label": state["province"], "url": "/" + views.query_string(params, province=None)})
    if state["issuer"]:
        chips.append({"label": state["issuer"], "url": "/" + views.query_string(params, issuer=None)})
    for t in state["theme"]:
        rest = [x for x in state["theme"] if x != t]
        chips.append({"label": f"Chủ đề: {themes.get(t, t)}", "url": "/" + views.query_string(params, theme=rest)})
    for a in state["agency"]:
        rest = [x for x in state["agency"] if x != a]
        chips.append({"label": f"Cơ quan: {agencies.get(a, a)}", "url": "/" + views.query_string(params, agency=rest)})
    return chips


def _facet_links(facets, state: dict[str, Any]) -> list[dict[str, Any]]:
    params = _link_params(state)
    out = []
    for facet in facets:
        items = []
        for v in facet.values:
            if facet.multi:
                current = list(state[facet.name])
                new = [x for x in current if x != v.value] if v.selected else [*current, v.value]
                url = "/" + views.query_string(params, **{facet.name: new})
            else:
                url = "/" + views.query_string(params, **{facet.name: None if v.selected else v.value})
            items.append({"label": v.label, "count": v.count, "selected": v.selected, "url": url})
        out.append({"name": facet.name, "title": facet.title, "items": items, "multi": facet.multi})
    return out


@router.get("/", response_class=HTMLResponse)
async def search_page(request: Request, collection: CollectionDep) -> Response:
    if not can_read(request):
        return login_redirect(request)
    state, problems = _search_state(request)
    _, themes, agencies = _taxonomy()
    try:
        data = await run_in_threadpool(_run_search, collection, state)
    except ValueError as exc:  # a filter the index refuses (e.g. from after to)
        problems.append(f"Bộ lọc không hợp lệ: {exc}")
        state.update({"from": "", "to": ""})
        data = await run_in_threadpool(_run_search, collection, state)
    result = data["result"]
    total = result.total
    pages = max(1, math.ceil(min(total, MAX_OFFSET) / PAGE_SIZE))
    params = _link_params(state)
    has_filters = any(state[k] for k in ("year", "from", "to", "province", "issuer", "theme", "agency"))
    landing = not state["q"] and not has_filters
    directory = data["directory"]
    recent = []
    if landing:
        for info in list(directory.letters.values())[:8]:
            recent.append({"url": f"/letters/{quote(info.doc_id)}", "subject": info.subject or "(Không có trích yếu)",
                           "issuer": info.issuer, "number": info.number, "doc_type": info.doc_type,
                           "date": views.format_date({"year": info.year, "month": info.month, "day": info.day})})
    start = (state["page"] - 1) * PAGE_SIZE
    title = f"{state['q']} – Tra cứu công văn" if state["q"] else "Tra cứu công văn"
    return render(request, "search.html", {
        "nav": "search", "page_title": title, "state": state, "problems": problems,
        "hits": data["hits"], "total": total, "facets": _facet_links(data["facets"], state),
        "active_filters": _active_filters(state, themes, agencies), "has_filters": has_filters,
        "clear_url": "/" + views.query_string({"q": state["q"]}), "landing": landing,
        "recent": recent, "n_letters": len(directory.letters), "n_clauses": len(collection.snapshot),
        "page": state["page"], "pages": pages, "page_window": views.page_window(state["page"], pages),
        "page_url": lambda p: "/" + views.query_string(params, page=p if p > 1 else None),
        "first": start + 1, "last": start + len(data["hits"]),
        "examples": ["tiêm vét vắc xin", "sốt xuất huyết", "phong chong dich truong hoc", "2116/BYT-DP"],
        "hidden": [(k, v) for k, v in params.items() if k not in ("q", "from", "to")
                   for v in (v if isinstance(v, list) else [v]) if v],
    })


# --------------------------------------------------------------------------- letter view
def _letter_context(collection, settings, doc_id: str, query: str, hit_clause: str) -> dict[str, Any]:
    tax, themes, agencies = _taxonomy()
    stored = collection.get_letter(doc_id)
    corrections = corrections_for(settings, doc_id)
    directory = letter_directory(collection)
    doc = stored.get("document") or {}
    references, links = [], []
    for ref in doc.get("references") or []:
        targets = directory.resolve(ref, exclude=doc_id)
        items = [{"url": f"/letters/{quote(t.doc_id)}", "subject": t.subject, "issuer": t.issuer,
                  "number": t.number} for t in targets]
        references.append({"type": ref.get("type"), "number": ref.get("number"),
                           "date": views.format_iso(ref.get("date")), "issuer": ref.get("issuer"),
                           "text": ref.get("text"), "targets": items})
        if items and ref.get("number"):
            links.append((ref["number"], items[0]["url"]))
    cited_by = [{"url": f"/letters/{quote(t.doc_id)}", "subject": t.subject or "(Không có trích yếu)",
                 "issuer": t.issuer, "number": t.number,
                 "date": views.format_date({"year": t.year, "month": t.month, "day": t.day})}
                for t in directory.cited_by(doc_id)]
    clauses = []
    for c in stored.get("clauses") or []:
        c = apply_correction(c, corrections.get(c["clause_id"]))
        ids = views.theme_ids(c.get("themes"))
        ag = c.get("agencies") or {}
        clauses.append({
            "id": c["clause_id"], "path_label": views.path_label(c.get("path"), c.get("kind")),
            "kind": c.get("kind"), "heading": c.get("heading"),
            "html": views.render_text(c.get("text", ""), query, links),
            "themes": views.labelled(ids, themes), "lead": views.labelled(ag.get("lead") or [], agencies),
            "support": views.labelled(ag.get("support") or [], agencies),
            "theme_ids": ids, "lead_ids": list(ag.get("lead") or []), "support_ids": list(ag.get("support") or []),
            "is_hit": c["clause_id"] == hit_clause,
            "corrected_at": views.format_iso((c.get("corrected_at") or "")[:10]),
        })
    date = views.format_date(doc.get("date"))
    signer = doc.get("signer") or {}
    return {"doc_id": doc_id, "doc": doc, "date": date, "clauses": clauses, "references": references,
            "cited_by": cited_by, "signer": signer, "recipients": doc.get("recipients") or [],
            "theme_choices": [(t.id, t.label) for t in tax.themes],
            "agency_choices": [(a.id, a.name) for a in tax.agencies if a.id],
            "n_hit": sum(1 for c in clauses if c["is_hit"])}


@router.get("/letters/{doc_id}", response_class=HTMLResponse)
async def letter_page(doc_id: str, request: Request, collection: CollectionDep,
                      settings: SettingsDep) -> Response:
    if not can_read(request):
        return login_redirect(request)
    query = request.query_params.get("q", "").strip()[:MAX_QUERY_CHARS]
    hit = request.query_params.get("clause", "")
    try:
        ctx = await run_in_threadpool(_letter_context, collection, settings, doc_id, query, hit)
    except DocumentNotFound:
        return error_page(request, 404, "Không tìm thấy văn bản",
                          f"Không có văn bản mã “{doc_id}” trong kho. Có thể văn bản đã bị xóa "
                          "hoặc đường dẫn bị sai.")
    doc = ctx["doc"]
    back = "/" + views.query_string({"q": query}) if query else "/"
    return render(request, "letter.html", {
        **ctx, "query": query, "hit_clause": hit, "back_url": back,
        "page_title": f"{doc.get('subject') or 'Văn bản'} – Tra cứu công văn",
    })


# --------------------------------------------------------------------------- upload
def _letter_summary(letter, doc_id: str, status: str) -> dict[str, Any]:
    _, themes, agencies = _taxonomy()
    doc = letter.document_dict()
    clauses = []
    for c in letter.to_dict()["clauses"]:
        ag = c.get("agencies") or {}
        clauses.append({"path_label": views.path_label(c.get("path"), c.get("kind")),
                        "text": c.get("text", ""),
                        "themes": views.labelled(views.theme_ids(c.get("themes")), themes),
                        "lead": views.labelled(ag.get("lead") or [], agencies),
                        "support": views.labelled(ag.get("support") or [], agencies)})
    return {"doc_id": doc_id, "url": f"/letters/{quote(doc_id)}", "status": status,
            "subject": doc.get("subject") or "(Không có trích yếu)", "issuer": doc.get("issuer"),
            "number": doc.get("number"), "date": views.format_date(doc.get("date")),
            "doc_type": doc.get("doc_type"), "clauses": clauses}


STATUS_TEXT = {"added": "Đã thêm vào kho", "unchanged": "Đã có trong kho (nội dung không đổi)",
               "replaced": "Đã thay bản cũ của cùng tệp"}


@router.get("/upload", response_class=HTMLResponse)
async def upload_page(request: Request, settings: SettingsDep) -> Response:
    if not can_read(request):
        return login_redirect(request)
    return render(request, "upload.html", {"nav": "upload", "page_title": "Tải công văn lên",
                                            "result": None, "error": None, "filename": None,
                                            "max_mb": settings.max_upload_mb, "max_bytes": settings.max_upload_bytes,
                                            "status_text": STATUS_TEXT})


@router.post("/upload", response_class=HTMLResponse)
async def upload_form(request: Request, settings: SettingsDep, collection: CollectionDep) -> Response:
    """The no-JavaScript fallback: one file from a plain multipart form."""
    if not can_write(request):
        return login_redirect(request)
    ctx = {"nav": "upload", "page_title": "Tải công văn lên", "result": None, "error": None,
           "filename": None, "max_mb": settings.max_upload_mb, "max_bytes": settings.max_upload_bytes,
           "status_text": STATUS_TEXT}
    try:
        check_origin(request)
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
            raise StarletteHTTPException(422, "Hãy chọn một tệp công văn (.txt, .md, .docx, .pdf) để tải lên")
        ctx["filename"] = upload.filename
        letter = await letter_from_request(request, settings)
        if not letter.clauses:
            raise StarletteHTTPException(422, "Không tách được điều khoản nào từ văn bản (no clauses found)")
        result = await run_in_threadpool(collection.upsert_letter, letter)
    except StarletteHTTPException as exc:
        ctx["error"] = _detail(exc)
        return render(request, "upload.html", ctx, status_code=exc.status_code)
    ctx["result"] = _letter_summary(letter, result.doc_id, result.status)
    return render(request, "upload.html", ctx)


# --------------------------------------------------------------------------- login
def _safe_next(target: str | None) -> str:
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 33 for ch in target)):  # browsers drop tabs: "/\t/evil" → "//evil"
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    return render(request, "login.html", {"nav": "login", "page_title": "Đăng nhập", "error": None,
                                           "next": _safe_next(request.query_params.get("next"))})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, settings: SettingsDep) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    target = _safe_next(form.get("next") if isinstance(form.get("next"), str) else None)
    ctx = {"nav": "login", "page_title": "Đăng nhập", "next": target, "error": None}
    try:
        check_origin(request)
        check_csrf(request, form.get(CSRF_FIELD) if isinstance(form.get(CSRF_FIELD), str) else None)
    except StarletteHTTPException as exc:
        ctx["error"] = _detail(exc)
        return render(request, "login.html", ctx, status_code=exc.status_code)
    if not auth_required(settings):
        return finish(request, RedirectResponse(target, status_code=303))
    key = form.get("key")
    if not isinstance(key, str) or not key_matches(settings, key.strip()):
        await asyncio.sleep(0.5)  # slows down guessing
        ctx["error"] = "Khóa truy cập không đúng. Hãy kiểm tra lại hoặc hỏi người quản trị."
        return render(request, "login.html", ctx, status_code=401)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response)
    return finish(request, response)


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    try:
        check_origin(request)
        check_csrf(request, form.get(CSRF_FIELD) if isinstance(form.get(CSRF_FIELD), str) else None)
    except StarletteHTTPException as exc:
        return error_page(request, exc.status_code, "Không đăng xuất được", _detail(exc))
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return finish(request, response)


__all__ = ["router", "STATIC_DIR", "TEMPLATES_DIR", "DIMENSIONS"]
