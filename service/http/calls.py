"""Calling the application core from a request: off the event loop, errors as HTTP statuses.

``in_pool`` runs CPU work (parsing, tagging, embedding, index writes) in the bounded worker pool
and turns a full queue into 429 with ``Retry-After``; ``in_threads`` runs reads (search, a
letter) on the server's thread pool, which ingest never occupies. Both turn the core's
``CoreError`` into an ``HTTPException`` with its status.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import HTTPException
from fastapi.concurrency import run_in_threadpool

from congvan.service.core import CoreError
from congvan.service.workers import Busy, WorkPool

T = TypeVar("T")


def as_http(exc: CoreError) -> HTTPException:
    return HTTPException(exc.status, exc.detail)


def busy_http(exc: Busy) -> HTTPException:
    return HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)})


async def in_pool(pool: WorkPool, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return await pool.run(fn, *args, **kwargs)
    except Busy as exc:
        raise busy_http(exc) from exc
    except CoreError as exc:
        raise as_http(exc) from exc


@asynccontextmanager
async def pool_slot(pool: WorkPool) -> AsyncIterator[None]:
    """A place in the worker pool for a request's CPU steps: 429 when none is free, the core's
    refusals as their HTTP status."""
    try:
        async with pool.slot():
            yield
    except Busy as exc:
        raise busy_http(exc) from exc
    except CoreError as exc:
        raise as_http(exc) from exc


async def in_threads(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except CoreError as exc:
        raise as_http(exc) from exc
