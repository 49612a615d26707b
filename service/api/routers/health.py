"""``GET /healthz`` (liveness: the process answers) and ``GET /readyz`` (readiness: it can search).

Both are ``async`` and touch neither the database nor a worker thread, so they answer while
models load, a tagger trains or every worker is busy. Counts and the model name are details:
with ``CONGVAN_PROTECT_SEARCH`` only a caller who may read gets them.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from congvan.service.http.schemas import HealthResponse
from congvan.service.http.security import can_read

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthResponse, response_model_exclude_none=True)
async def healthz(request: Request) -> HealthResponse:
    warm = getattr(request.app.state, "warmup", None)
    collection = getattr(request.app.state, "collection", None)
    body = HealthResponse(status="ok", ready=collection is not None)
    if collection is not None and can_read(request):
        snap = collection.snapshot  # in memory: no database read on the liveness path
        body.documents = len(snap.table.doc_ids)
        body.clauses = len(snap)
        body.model = collection.encoder.name
        if warm is not None:
            body.tagger = warm.tagger_state
    return body


@router.get("/readyz", responses={503: {"description": "still starting (or start-up failed)"}})
async def readyz(request: Request) -> JSONResponse:
    warm = getattr(request.app.state, "warmup", None)
    report = warm.report() if warm is not None else {"ready": True}
    if not can_read(request):
        report = {"ready": report["ready"]}
    return JSONResponse(report, status_code=200 if report["ready"] else 503,
                        headers={} if report["ready"] else {"Retry-After": "5"})
