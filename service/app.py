"""The FastAPI application: the core (models, index, corrections) and the worker pool are
opened once in ``lifespan``, never at import; the API and the page are adapters over them."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from congvan.service.api.routers import corrections, health, jobs, letters, search
from congvan.service.config import Settings, get_settings
from congvan.service.http.access import check_write_routes
from congvan.service.http.auditing import AuditMiddleware
from congvan.service.http.docs import install_docs
from congvan.service.http.headers import SecurityHeaders
from congvan.service.http.security import require_reader
from congvan.service.web import install_web


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; ``settings`` defaults to the environment's (tests pass their own)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from congvan.service.warmup import Warmup
        from congvan.service.workers import WorkPool

        cfg = settings or get_settings()
        app.state.settings = cfg
        app.state.pool = WorkPool(cfg.cpu_workers, cfg.cpu_queue, cfg.retry_after_s,
                                  processes=cfg.parse_in_processes)
        def publish(core) -> None:
            app.state.core = core
            app.state.collection = core.collection  # what older code and tests read
            # auto backend, first start: serve on torch now, export ONNX for the next start meanwhile
            from congvan.models.encoder import export_in_background
            from congvan.service.jobs import BackgroundTagging

            export_in_background(cfg, on_ready=core.collection.use_encoder)
            # Themes: the fine-tuned tagger if there is one, else the provisional one while the
            # fine-tuning job runs in another process; never trained inside a request.
            app.state.background = BackgroundTagging(cfg, core.collection,
                                                     auto_train=cfg.background_training).start()
            core.load_tagger()  # loads an existing fine-tuned tagger; never trains (service/tagging.py)

        # The core (encoder, index) opens in a background thread: the port opens at once,
        # /healthz answers, /readyz says when search is warm (service/warmup.py).
        warm = Warmup(cfg, publish=publish, opener=open_core)
        app.state.warmup = warm
        warm.start()
        try:
            yield
        finally:
            background = getattr(app.state, "background", None)
            if background is not None:
                background.stop()
            app.state.pool.shutdown(wait=False)  # SIGTERM: do not wait for queued work
            warm.close()

    app = FastAPI(
        title="congvan",
        summary="Tìm kiếm và gắn nhãn công văn chỉ đạo (search and tag Vietnamese directive letters)",
        version="1.0",
        lifespan=lifespan,
        docs_url=None, redoc_url=None, openapi_url=None,  # served from the package: http/docs.py
    )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Same {"detail": …} shape as every other error, with the field names kept.
        return JSONResponse(status_code=422, content={"detail": jsonable_errors(exc)})

    app.include_router(health.router)
    # Reading is open unless CONGVAN_PROTECT_SEARCH (with CONGVAN_API_KEY); every write route
    # comes from write_router and carries its own check (service/http/access.py).
    for read_router in (letters.router, search.router, jobs.router):
        app.include_router(read_router, dependencies=[Depends(require_reader)])
    for write in (letters.tagging, letters.writes, corrections.writes):
        app.include_router(write)
    install_web(app)
    check_write_routes(app.routes)
    install_docs(app)
    app.add_middleware(AuditMiddleware)  # every write, before its response leaves
    app.add_middleware(SecurityHeaders)  # outermost: every response, errors included
    return app


def open_core(settings: Settings):
    """What the server needs before it can search: the core, with the encoder's first query run."""
    from congvan.service.core import AppCore

    core = AppCore.open(settings)
    core.encoder.encode_queries(["khởi động"])
    return core


def jsonable_errors(exc: RequestValidationError) -> list[dict]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()]
