"""Typed FastAPI dependencies: the settings, encoder and collection opened in ``lifespan``."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from congvan.index.collection import Collection
from congvan.service.config import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_collection(request: Request) -> Collection:
    return request.app.state.collection


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CollectionDep = Annotated[Collection, Depends(get_collection)]
