"""``GET /api/search``: hybrid clause search with filters and pagination."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from congvan.index.ranking import MODES
from congvan.service.api.schemas import ErrorResponse, SearchResponse
from congvan.service.http.deps import CollectionDep

router = APIRouter(prefix="/api", tags=["search"])
MAX_QUERY_CHARS = 1000


@router.get("/search", response_model=SearchResponse, responses={400: {"model": ErrorResponse},
                                                                  422: {"model": ErrorResponse}})
async def search(
    collection: CollectionDep,
    q: Annotated[str, Query(description="Từ khóa, có hoặc không dấu (query, with or without tones)")] = "",
    top_k: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    year: Annotated[int | None, Query(ge=1945, le=2100)] = None,
    date_from: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}(-\d{1,2})?$")] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}(-\d{1,2})?$")] = None,
    province: str | None = None,
    issuer: str | None = None,
    theme: Annotated[list[str] | None, Query()] = None,
    agency: Annotated[list[str] | None, Query()] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    mode: Annotated[str, Query(pattern="^(" + "|".join(MODES) + ")$")] = "hybrid",
) -> dict:
    if len(q) > MAX_QUERY_CHARS:
        raise HTTPException(400, f"Câu tìm kiếm quá dài: tối đa {MAX_QUERY_CHARS} ký tự "
                                 f"(query longer than {MAX_QUERY_CHARS} characters)")
    filters = {"year": year, "from": date_from, "to": date_to, "province": province,
               "issuer": issuer, "theme": theme, "agency": agency, "kind": kind}
    try:
        result = await run_in_threadpool(collection.search, q, top_k=top_k, offset=offset,
                                         filters=filters, mode=mode)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    return result.to_dict()
