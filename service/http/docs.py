"""``/docs`` and ``/openapi.json`` served from the installed packages: no CDN, strict CSP.

FastAPI's own ``/docs`` loads Swagger UI from a CDN with an inline script, which breaks on an
office network without internet and under the pages' Content-Security-Policy. Here the assets
come from the PyPI package ``fastapi-offline`` (MIT; it vendors Swagger UI 5, which reads the
OpenAPI 3.1 that FastAPI writes) and the start-up code is a file of ours. Both routes follow the read rule (``CONGVAN_PROTECT_SEARCH``), like search.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from congvan.service.http.headers import PAGE_CSP
from congvan.service.http.security import can_read, require_reader

HERE = Path(__file__).resolve().parent
INIT_JS = HERE / "docs_static" / "init.js"
#: The only Swagger UI files the page needs (the package also ships source maps etc.).
ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "favicon.png"}
#: The pages' strict policy: Swagger UI 5 renders under it (checked in a real browser).
DOCS_CSP = PAGE_CSP


def swagger_dir() -> Path:
    """The installed Swagger UI assets (``fastapi-offline`` is a dependency; only its files are used)."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def _page(title: str) -> str:
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>{escape(title)} — API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
<link rel="icon" href="/docs/static/favicon.png">
</head><body data-openapi="/openapi.json">
<div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/init.js"></script>
</body></html>"""


def install_docs(app: FastAPI) -> None:
    """Add ``/docs``, its assets and ``/openapi.json`` (create the app with ``docs_url=None``,
    ``redoc_url=None``, ``openapi_url=None``)."""

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_reader)])
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        if not can_read(request):
            return HTMLResponse(
                "<!doctype html><meta charset='utf-8'><p>Cần đăng nhập để xem tài liệu API: "
                "<a href='/login?next=/docs'>đăng nhập</a> (login required)</p>", status_code=401)
        return HTMLResponse(_page(app.title), headers={"Content-Security-Policy": DOCS_CSP,
                                                       "Cache-Control": "no-store"})

    @app.get("/docs/static/{name}", include_in_schema=False, dependencies=[Depends(require_reader)])
    async def docs_asset(name: str) -> FileResponse:
        if name == "init.js":
            return FileResponse(INIT_JS, media_type="text/javascript")
        if name not in ASSETS:
            raise HTTPException(404, "Không có tệp này (no such file)")
        return FileResponse(swagger_dir() / name, headers={"Cache-Control": "public, max-age=86400"})
