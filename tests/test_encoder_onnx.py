"""The ONNX Runtime encoder path against the torch model it was exported from: cosine per
sentence (queries and passages, accented, tone-less, messy), top-1 agreement on a small
retrieval check, the export's manifest and cache, and backend selection."""
from __future__ import annotations

import json

import numpy as np
import pytest

from congvan.models.artifacts import ArtifactError
from congvan.models.encoder import AUTO_ONNX_VARIANT, clear_cache, load_encoder, resolve_backend
from congvan.service.config import BUNDLED_MODEL, Settings
from tests.conftest import TEST_HOME
from tests.test_encoder import PASSAGES, QUERIES, SENTENCES, _linked_copy

pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.slow


def _settings(backend: str) -> Settings:
    return Settings(home=TEST_HOME, model=BUNDLED_MODEL, encoder_backend=backend)


@pytest.fixture(scope="module", params=["onnx", "onnx-int8"])
def onnx_encoder(request):
    return load_encoder(_settings(request.param))


def test_auto_picks_onnx_once_exported_and_torch_stays_available(encoder, onnx_encoder, tmp_path) -> None:
    assert resolve_backend(_settings("auto")) == AUTO_ONNX_VARIANT  # exported by the fixture
    assert resolve_backend(_settings("torch")) == "torch"
    assert encoder.backend == "torch" and onnx_encoder.backend == onnx_encoder.variant
    with pytest.raises(ArtifactError, match="auto, torch, onnx, onnx-int8"):
        resolve_backend(_settings("tensorrt"))
    # a model folder without an export yet: auto serves on torch (a first start never waits)
    copy = tmp_path / "model"
    _linked_copy(TEST_HOME / "models" / "multilingual-e5-small", copy)
    fresh = Settings(home=tmp_path / "home", model=str(copy), encoder_backend="auto")
    assert resolve_backend(fresh) == "torch"


def test_vectors_match_torch(encoder, onnx_encoder) -> None:
    """fp32: the same model (cosine > 0.9999); int8 weights: close (min 0.95, mean 0.98)."""
    for kind in ("queries", "passages"):
        ref = getattr(encoder, f"encode_{kind}")(SENTENCES)
        got = getattr(onnx_encoder, f"encode_{kind}")(SENTENCES)
        assert got.shape == ref.shape and got.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
        cos = (got * ref).sum(axis=1)
        if onnx_encoder.variant == "onnx":
            assert cos.min() > 0.9999, (kind, cos.min())
        else:
            assert cos.min() > 0.95 and cos.mean() > 0.98, (kind, cos.min(), cos.mean())


def test_retrieval_top1_matches_torch(encoder, onnx_encoder) -> None:
    queries = [q for q, _ in QUERIES]
    ref = encoder.encode_queries(queries) @ encoder.encode_passages(PASSAGES).T
    got = onnx_encoder.encode_queries(queries) @ onnx_encoder.encode_passages(PASSAGES).T
    assert got.argmax(axis=1).tolist() == ref.argmax(axis=1).tolist() == [i for _, i in QUERIES]


def test_batching_and_truncation_do_not_change_vectors(onnx_encoder) -> None:
    """Sorting by length and padding per batch must give each text (about) the vector it gets alone."""
    texts = [PASSAGES[0], PASSAGES[1] * 40, PASSAGES[2]]  # the second is cut at max_seq_length
    together = onnx_encoder.encode_passages(texts)
    alone = np.vstack([onnx_encoder.encode_passages([t]) for t in texts])
    if onnx_encoder.variant == "onnx":
        np.testing.assert_allclose(together, alone, atol=2e-3)
    else:  # dynamic int8 scales activations per batch: close, not equal
        assert (together * alone).sum(axis=1).min() > 0.98
    assert onnx_encoder.encode_passages([]).shape == (0, onnx_encoder.dim)
    with pytest.raises(TypeError):
        onnx_encoder.encode_queries("a bare string")


def test_export_is_cached_with_a_manifest_and_redone_when_the_source_changes(onnx_encoder, tmp_path) -> None:
    from congvan.models.onnx_encoder import ensure_onnx_export, onnx_dir

    folder = onnx_dir(TEST_HOME / "models" / "multilingual-e5-small")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "onnx-encoder" and manifest["format_version"] == 2
    assert set(manifest["files"]) == {"onnx", "onnx-int8"} and manifest["source"].startswith("sha256:")
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    assert ensure_onnx_export(TEST_HOME / "models" / "multilingual-e5-small") == folder
    assert (folder / "model.onnx").stat().st_mtime_ns == stamp  # reused, not re-exported
    # a manifest of another format version is refused (and would be rebuilt)
    from congvan.models.artifacts import read_manifest

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text(json.dumps({"kind": "onnx-encoder", "format_version": 99}))
    with pytest.raises(ArtifactError, match="rebuild"):
        read_manifest(bad, "onnx-encoder", 2)
    clear_cache()


def test_a_first_server_switches_to_the_export_once_it_is_ready(encoder, onnx_encoder, tmp_path) -> None:
    """What ``congvan serve`` does on a fresh machine: it opens the index on torch, exports in the
    background, then its collection answers on the ONNX encoder without a restart — and refuses
    an encoder of another model, whose vectors would not compare with the stored ones."""
    from congvan.index.collection import Collection
    from congvan.index.testing import HashingEncoder, make_letter
    from congvan.models.encoder import export_then_swap

    letter = make_letter("ls-onnx", [
        ("1", "directive", "Giao Sở Y tế chủ trì tổ chức tiêm vét vắc xin cho người dân chưa tiêm đủ liều.",
         ["vaccination"], ["so_y_te"]),
        ("2", "directive", "Sở Giáo dục và Đào tạo bảo đảm an toàn trường học khi học sinh đi học trực tiếp.",
         ["education"], ["so_gddt"])], source="onnx.txt", province="Lạng Sơn", date=(2023, 4, None))
    col = Collection.open(tmp_path / "col", encoder)
    try:
        col.ingest_letters([letter])
        before = [h.path for h in col.search("biện pháp tiêm vét").hits]
        assert col.encoder.backend == "torch"
        assert col.use_encoder(HashingEncoder(dim=encoder.dim)) is False and col.encoder is encoder
        export_then_swap(_settings("auto"), on_ready=col.use_encoder)  # the export exists (fixture)
        assert col.encoder.backend == AUTO_ONNX_VARIANT and col.encoder.name == encoder.name
        assert [h.path for h in col.search("biện pháp tiêm vét").hits][:1] == before[:1] == ["1"]
    finally:
        col.close()
