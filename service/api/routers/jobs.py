"""``GET /api/jobs``: which theme tagger answers, and the background fine-tuning job's progress."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter(prefix="/api", tags=["jobs"])


@router.get("/jobs", summary="Background jobs: tagger training progress and re-tagging")
def jobs(request: Request) -> dict[str, Any]:
    """``{"tagger": {"name", "provisional"}, "jobs": [{"job", "status", "percent", "eta_s", "phase", …}],
    "retag": {"status", "done", "total"}}``; ``status`` is one of none, queued, running, done,
    refused (the gate kept the old model), failed, interrupted."""
    from congvan.service.jobs import BackgroundTagging, job_status

    background: BackgroundTagging | None = getattr(request.app.state, "background", None)
    if background is None:
        return {"tagger": None, "jobs": [job_status(request.app.state.settings.home)], "retag": {}}
    return background.status()
