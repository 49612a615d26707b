"""The staff web page's routes, one module per page, plus the two refusals of its form posts.

Search (``search_page``), letter view (``letter_page``), upload (``upload_page``), login and
logout (``login_page``); view models in ``viewmodels``, rendering in ``rendering``. Basic
search, reading and a single-file upload work without JavaScript.
"""
from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from congvan.service.http.access import FormRefused, LoginRequired
from congvan.service.web import letter_page, login_page, search_page, upload_page
from congvan.service.web.rendering import STATIC_DIR, TEMPLATES_DIR, detail_of, error_page, login_redirect

router = APIRouter(include_in_schema=False)
for _module in (search_page, letter_page, upload_page, login_page):
    router.include_router(_module.router)
    if hasattr(_module, "writes"):
        router.include_router(_module.writes)


def install_handlers(app: FastAPI) -> None:
    """A form post without rights goes to ``/login``; one from another site gets an error page."""

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        return login_redirect(request)

    @app.exception_handler(FormRefused)
    async def _form_refused(request: Request, exc: FormRefused) -> Response:
        return error_page(request, exc.status_code, "Yêu cầu bị từ chối", detail_of(exc))


__all__ = ["router", "install_handlers", "STATIC_DIR", "TEMPLATES_DIR"]
