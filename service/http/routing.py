"""``write_router``: the only way the API and the page register routes that change things."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends

from congvan.service.http.access import WRITE_GUARDS
from congvan.service.http.security import require_writer


def write_router(guard: Callable[..., Any] = require_writer, **kwargs: Any) -> APIRouter:
    """An ``APIRouter`` whose every route carries ``guard`` (one of ``WRITE_GUARDS``)."""
    if guard not in WRITE_GUARDS:
        raise ValueError(f"{getattr(guard, '__name__', guard)!r} is not a write access check")
    dependencies = [Depends(guard), *kwargs.pop("dependencies", [])]
    return APIRouter(dependencies=dependencies, **kwargs)
