"""The staff web page (search, letter view, upload, login) served beside the API."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def install_web(app: FastAPI) -> None:
    """Add the page's routes and its ``/static`` files to ``app``."""
    from service.web.routes import STATIC_DIR, router

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


__all__ = ["install_web"]
