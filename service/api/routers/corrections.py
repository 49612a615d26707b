"""Label corrections: ``POST /api/clauses/{clause_id}/labels`` (the tagger's feedback loop).

Staff correct a clause's themes and responsible agencies; ``AppCore.correct`` validates them
against the taxonomy (422 names the unknown ids; 422 too for a correction that changes
nothing), writes them into the index at once (search, filters and the letter page read the same
labels) and stores the record durably beside the index (``index.corrections``), which is
returned. ``congvan train`` learns from them; ``congvan export-corrections`` writes them out.
The route is made by ``write_router``, so it always carries the write check (API key / login,
CSRF, same origin).
"""
from __future__ import annotations

from typing import Any

from congvan.service.http.calls import in_pool
from congvan.service.http.deps import CoreDep, PoolDep
from congvan.service.http.routing import write_router
from congvan.service.http.schemas import CorrectionOut, ErrorResponse, LabelsIn

writes = write_router(prefix="/api", tags=["corrections"])
ERRORS = {code: {"model": ErrorResponse} for code in (401, 403, 404, 422, 429)}


@writes.post("/clauses/{clause_id}/labels", response_model=CorrectionOut, responses=ERRORS,
             summary="Correct a clause's themes and agencies (stored as training data)")
async def correct_labels(clause_id: str, body: LabelsIn, core: CoreDep, pool: PoolDep) -> dict[str, Any]:
    return await in_pool(pool, core.correct, clause_id, body.themes, body.lead, body.support)
