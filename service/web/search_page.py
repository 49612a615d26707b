"""The search page (``/``): a page of results with facets, from ``AppCore.search_faceted`` —
the same ``index.facets`` code as ``GET /api/search?facets=true``."""
from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from congvan.service.core import AppCore
from congvan.service.http.calls import in_threads
from congvan.service.http.deps import CoreDep
from congvan.service.http.security import can_read
from congvan.service.web import views
from congvan.service.web.rendering import labels, login_redirect, render
from congvan.service.web.viewmodels import (
    FILTER_KEYS,
    MAX_OFFSET,
    PAGE_SIZE,
    active_filters,
    facet_links,
    filters_of,
    hit_view,
    letter_link,
    link_params,
    search_state,
)

router = APIRouter(include_in_schema=False)
EXAMPLES = ["tiêm vét vắc xin", "sốt xuất huyết", "phong chong dich truong hoc", "2116/BYT-DP"]


def _search(core: AppCore, state: dict, landing: bool):
    faceted = core.search_faceted(state["q"], top_k=PAGE_SIZE, offset=(state["page"] - 1) * PAGE_SIZE,
                                  filters=filters_of(state))
    recent = core.recent_letters() if landing else []
    return faceted, recent, len(core.collection.snapshot)


@router.get("/", response_class=HTMLResponse)
async def search_page(request: Request, core: CoreDep) -> Response:
    if not can_read(request):
        return login_redirect(request)
    state, problems = search_state(request.query_params)
    _, themes, agencies = labels()
    has_filters = any(state[k] for k in FILTER_KEYS)
    landing = not state["q"] and not has_filters
    try:
        faceted, recent, n_clauses = await in_threads(_search, core, state, landing)
    except HTTPException as exc:  # a filter the index refuses (e.g. from after to)
        if exc.status_code != 400:
            raise
        problems.append(f"Bộ lọc không hợp lệ: {exc.detail}")
        state.update({"from": "", "to": ""})
        faceted, recent, n_clauses = await in_threads(_search, core, state, landing)
    result = faceted.result
    pages = max(1, math.ceil(min(result.total, MAX_OFFSET) / PAGE_SIZE))
    params = link_params(state)
    hits = [hit_view(h, state["q"], themes, agencies) for h in result.hits]
    start = (state["page"] - 1) * PAGE_SIZE
    title = f"{state['q']} – Tra cứu công văn" if state["q"] else "Tra cứu công văn"
    return render(request, "search.html", {
        "nav": "search", "page_title": title, "state": state, "problems": problems,
        "hits": hits, "total": result.total, "facets": facet_links(faceted.facets, state),
        "active_filters": active_filters(state, themes, agencies), "has_filters": has_filters,
        "clear_url": "/" + views.query_string({"q": state["q"]}), "landing": landing,
        "recent": [letter_link(info) for info in recent], "n_letters": len(faceted.directory.letters),
        "n_clauses": n_clauses,
        "page": state["page"], "pages": pages, "page_window": views.page_window(state["page"], pages),
        "page_url": lambda p: "/" + views.query_string(params, page=p if p > 1 else None),
        "first": start + 1, "last": start + len(hits), "examples": EXAMPLES,
        "hidden": [(k, v) for k, v in params.items() if k not in ("q", "from", "to")
                   for v in (v if isinstance(v, list) else [v]) if v],
    })
