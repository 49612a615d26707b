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



@pytest.fixture(scope="session")
def directives_encoder():
    """The default search model (the bundled e5 plus the shipped adapter; built once, seconds)."""
    from congvan.models.encoder import load_encoder
    from congvan.service.config import DIRECTIVES_MODEL, Settings

    return load_encoder(Settings(home=TEST_HOME, model=DIRECTIVES_MODEL, encoder_backend="torch"))
