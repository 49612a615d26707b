"""``GET /api/search``: hybrid clause search with filters, pagination and (``facets=true``) the
facet counts the page shows, from the same ``index.facets`` code."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from congvan.index.filters import SearchFilters
from congvan.index.ranking import MODES
from congvan.service.http.calls import in_threads
from congvan.service.http.deps import CoreDep
from congvan.service.http.schemas import ErrorResponse, FacetedSearchResponse

router = APIRouter(prefix="/api", tags=["search"])
MAX_QUERY_CHARS = 1000


@router.get("/search", response_model=FacetedSearchResponse, responses={400: {"model": ErrorResponse},
                                                                  422: {"model": ErrorResponse}})
async def search(
    core: CoreDep,
    q: Annotated[str, Query(description="Từ khóa, có hoặc không dấu (query, with or without tones)")] = "",
    top_k: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    year: Annotated[int | None, Query(ge=1945, le=2100)] = None,
    date_from: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}(-\d{1,2})?$")] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}(-\d{1,2})?$")] = None,
    province: str | None = None,
    issuer: str | None = None,
    theme: Annotated[list[str] | None, Query()] = None,
    disease: Annotated[list[str] | None, Query(description="disease id (letters/data/diseases.json), "
                                                        "e.g. dengue; repeatable: any of them")] = None,
    agency: Annotated[list[str] | None, Query()] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    mode: Annotated[str, Query(pattern="^(" + "|".join(MODES) + ")$")] = "hybrid",
    facets: Annotated[bool, Query(description="also count matches per year, province, issuer, theme, disease, "
                                              "agency")] = False,
    explain: Annotated[bool, Query(description="Giải thích điểm của từng kết quả (score parts per hit)")] = False,
) -> dict:
    if len(q) > MAX_QUERY_CHARS:
        raise HTTPException(400, f"Câu tìm kiếm quá dài: tối đa {MAX_QUERY_CHARS} ký tự "
                                 f"(query longer than {MAX_QUERY_CHARS} characters)")
    filters = {"year": year, "from": date_from, "to": date_to, "province": province,
               "issuer": issuer, "theme": theme, "disease": disease, "agency": agency, "kind": kind}
    try:  # bad filters are a bad request shape: 422, like year=1800
        SearchFilters.from_mapping(filters)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    if facets:
        faceted = await in_threads(core.search_faceted, q, top_k=top_k, offset=offset, filters=filters, mode=mode)
        return {**faceted.result.to_dict(), "facets": faceted.facets_dict()}
    result = await in_threads(core.search, q, top_k=top_k, offset=offset, filters=filters, mode=mode,
                            explain=explain)
    return result.to_dict()
