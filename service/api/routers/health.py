"""``GET /healthz``: liveness plus what is loaded."""
from __future__ import annotations

from fastapi import APIRouter

from congvan.service.api.schemas import HealthResponse
from congvan.service.http.deps import CollectionDep

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthResponse)
def healthz(collection: CollectionDep) -> HealthResponse:
    docs, clauses = collection.store.counts()
    return HealthResponse(status="ok", documents=docs, clauses=clauses, model=collection.encoder.name)
