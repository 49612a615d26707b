"""Shared fixtures: the real encoder, converted once into a cache reused across test runs."""
from __future__ import annotations

from pathlib import Path

import pytest

TEST_HOME = Path(__file__).resolve().parents[1] / ".cache" / "test-home"


@pytest.fixture(scope="session")
def encoder():
    """The bundled e5 encoder (first run converts it into ``.cache/test-home``: ~10 s)."""
    from congvan.models.encoder import load_encoder
    from congvan.service.config import BUNDLED_MODEL, Settings

    # the torch path: the reference the ONNX export is tested against (tests/test_encoder_onnx.py)
    return load_encoder(Settings(home=TEST_HOME, model=BUNDLED_MODEL, encoder_backend="torch"))


@pytest.fixture(autouse=True)
def _congvan_loggers_enabled():
    """Some libraries the suite starts in-process (Ray, Milvus clients, uvicorn) call
    ``logging.config.dictConfig``, which disables every logger that existed before; tests that
    read congvan's log lines with ``caplog`` must not depend on which of them ran first."""
    import logging

    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith("congvan") and isinstance(logger, logging.Logger):
            logger.disabled = False
    yield
