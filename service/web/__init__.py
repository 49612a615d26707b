"""The staff web page (search, letter view, upload, login) served beside the API."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def install_web(app: FastAPI) -> None:
    """Add the page's routes and its ``/static`` files to ``app``."""
    from congvan.service.web.routes import STATIC_DIR, install_handlers, router

    app.include_router(router)
    install_handlers(app)
    from congvan.service.web.admin import router as admin_router

    app.include_router(admin_router)
    app.mount("/static", VersionedStaticFiles(directory=STATIC_DIR), name="static")


class VersionedStaticFiles(StaticFiles):
    """The page links its CSS/JS as ``/static/app.css?v=<hash>``: such URLs never change
    content, so browsers may keep them for a year (no refetch on every page)."""

    async def get_response(self, path: str, scope):
        response = await super().get_response(path, scope)
        if b"v=" in scope.get("query_string", b"") and response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


__all__ = ["install_web"]
