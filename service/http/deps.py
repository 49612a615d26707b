"""Typed FastAPI dependencies: what ``lifespan`` (``service/app.py``) opened once per process."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from congvan.index.collection import Collection
from congvan.service.config import Settings
from congvan.service.core import AppCore
from congvan.service.workers import WorkPool


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_core(request: Request) -> AppCore:
    return request.app.state.core


def get_collection(request: Request) -> Collection:
    return request.app.state.core.collection


def get_pool(request: Request) -> WorkPool:
    return request.app.state.pool


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CoreDep = Annotated[AppCore, Depends(get_core)]
CollectionDep = Annotated[Collection, Depends(get_collection)]
PoolDep = Annotated[WorkPool, Depends(get_pool)]
