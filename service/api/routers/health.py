"""``GET /healthz``: liveness plus what is loaded."""
from __future__ import annotations

from fastapi import APIRouter

from congvan.service.http.deps import CoreDep
from congvan.service.http.schemas import HealthResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthResponse)
def healthz(core: CoreDep) -> HealthResponse:
    return HealthResponse(**core.health())
