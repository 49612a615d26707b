"""The FastAPI application: models and index are opened in ``lifespan``, never at import."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from congvan.service.api.routers import corrections, health, letters, search
from congvan.service.config import Settings, get_settings
from congvan.service.http.security import require_reader
from congvan.service.web import install_web


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; ``settings`` defaults to the environment's (tests pass their own)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from congvan.index.collection import Collection
        from congvan.models.encoder import load_encoder

        cfg = settings or get_settings()
        encoder = load_encoder(cfg)
        collection = Collection.open(cfg.index_dir, encoder)
        app.state.settings = cfg
        app.state.collection = collection
        # The theme tagger, loaded once per process (trained first if this home has none yet).
        from fastapi.concurrency import run_in_threadpool

        from congvan.service.tagging import get_default_tagger

        app.state.tagger = await run_in_threadpool(get_default_tagger, cfg)
        try:
            yield
        finally:
            collection.close()

    app = FastAPI(
        title="congvan",
        summary="Tìm kiếm và gắn nhãn công văn chỉ đạo (search and tag Vietnamese directive letters)",
        version="1.0",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Same {"detail": …} shape as every other error, with the field names kept.
        return JSONResponse(status_code=422, content={"detail": jsonable_errors(exc)})

    app.include_router(health.router)
    # Reading is open unless CONGVAN_PROTECT_SEARCH (with CONGVAN_API_KEY); writes carry their
    # own require_writer dependency (see service/http/security.py for the rules).
    for module in (letters, search):
        app.include_router(module.router, dependencies=[Depends(require_reader)])
    app.include_router(corrections.router)  # POST carries require_writer itself
    install_web(app)
    return app


def jsonable_errors(exc: RequestValidationError) -> list[dict]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()]
