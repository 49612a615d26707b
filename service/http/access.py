"""The access checks a route can carry, and the rule that every write route carries one.

``service.http.security`` holds the rules (API key, sessions, CSRF, origin); here they become
the dependencies routes are registered with. ``write_router`` (``service.http.routing``) attaches
one of ``WRITE_GUARDS`` to every route it makes, and ``create_app`` refuses to start if any
POST/PUT/PATCH/DELETE route lacks one (``check_write_routes``), so a write route can never be
served without its check, whatever an import did.
"""
from __future__ import annotations

from fastapi import HTTPException, Request

from congvan.service.http.security import (
    API_KEY_HEADER,
    MSG_LOGIN,
    MSG_ORIGIN,
    can_write,
    require_reader,
    require_writer,
    same_origin,
    settings_of,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(HTTPException):
    """A page's form post without write rights: the web front end redirects to ``/login``."""

    def __init__(self) -> None:
        super().__init__(401, MSG_LOGIN, headers={"WWW-Authenticate": API_KEY_HEADER})


class FormRefused(HTTPException):
    """A page's form post refused before reading it (another site's form)."""


async def require_tag_access(request: Request) -> str:
    """``POST /api/tag`` costs CPU like an upload: with ``tag_requires_key`` (default) it needs
    the same rights as writing; otherwise it is as open as searching."""
    if settings_of(request).tag_requires_key:
        return await require_writer(request)
    await require_reader(request)
    return "open"


async def require_form_origin(request: Request) -> None:
    """Form posts of the page (``/login``, ``/logout``): same origin only; the CSRF token
    inside the form is checked by the handler once the form is read."""
    if not same_origin(request):
        raise FormRefused(403, MSG_ORIGIN)


async def require_form_writer(request: Request) -> None:
    """The page's upload form: same origin and write rights (else a redirect to ``/login``)."""
    await require_form_origin(request)
    if not can_write(request):
        raise LoginRequired()


#: Dependencies that count as a write route's access check.
WRITE_GUARDS = (require_writer, require_tag_access, require_form_origin, require_form_writer)


def flat_routes(routes) -> list:
    """Every route as served (router includes flattened, router dependencies merged in)."""
    try:  # FastAPI ≥ 0.16x keeps included routers lazily
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI lists the routes flat
        return list(routes)
    return list(iter_route_contexts(routes))


def route_guards(route) -> set:
    """Every dependency callable of ``route`` (router-level ones included), recursively."""
    dependant = getattr(route, "dependant", None)
    found, todo = set(), list(dependant.dependencies if dependant is not None else [])
    while todo:
        dep = todo.pop()
        found.add(dep.call)
        todo.extend(dep.dependencies)
    return found


def write_routes(routes) -> dict[tuple[str, str], object]:
    """(method, path) → route, of every POST/PUT/PATCH/DELETE route."""
    out = {}
    for route in flat_routes(routes):
        for method in (getattr(route, "methods", None) or set()) & WRITE_METHODS:
            out[(method, route.path)] = route
    return out


def unguarded_write_routes(routes) -> list[str]:
    """``METHOD path`` of each write route that carries none of ``WRITE_GUARDS``."""
    return sorted(f"{m} {p}" for (m, p), route in write_routes(routes).items()
                  if not route_guards(route) & set(WRITE_GUARDS))


def check_write_routes(routes) -> None:
    """Refuse to build an app whose write routes are not all guarded."""
    bad = unguarded_write_routes(routes)
    if bad:
        raise RuntimeError(f"write routes without an access check: {', '.join(bad)}; "
                           "register them with service.http.routing.write_router")
