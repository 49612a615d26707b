"""Typed FastAPI dependencies: what ``lifespan`` (``service/app.py``) opened once per process."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from congvan.index.collection import Collection
from congvan.service.config import Settings
from congvan.service.core import AppCore
from congvan.service.workers import WorkPool


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


MSG_STARTING = ("Máy chủ đang khởi động (nạp mô hình và chỉ mục); hãy thử lại sau ít giây "
                "(server starting, retry shortly)")


def get_core(request: Request) -> AppCore:
    """The application core; while the server starts, waits for it (sync: runs in a worker
    thread, the event loop stays free), then 503 with ``Retry-After`` (service/warmup.py)."""
    core = getattr(request.app.state, "core", None)
    if core is not None:
        return core
    warm = getattr(request.app.state, "warmup", None)
    core = warm.wait() if warm is not None else None
    if core is None:
        raise HTTPException(503, MSG_STARTING, headers={"Retry-After": "5"})
    return core


def get_collection(request: Request) -> Collection:
    return get_core(request).collection


def get_pool(request: Request) -> WorkPool:
    return request.app.state.pool


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CoreDep = Annotated[AppCore, Depends(get_core)]
CollectionDep = Annotated[Collection, Depends(get_collection)]
PoolDep = Annotated[WorkPool, Depends(get_pool)]
