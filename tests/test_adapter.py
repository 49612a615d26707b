"""Low-rank adapters (models/adapter.py): extract → apply round trip, refusals, and the shipped one."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from congvan.models.adapter import ADAPTER_KIND, WEIGHTS, apply_adapter, extract_adapter, read_adapter
from congvan.models.artifacts import ArtifactError, write_manifest


def _folder(path: Path, state: dict[str, np.ndarray], source: str = "base-source") -> Path:
    from safetensors.numpy import save_file

    path.mkdir(parents=True)
    save_file(state, str(path / "model.safetensors"))
    (path / "config.json").write_text(json.dumps({"hidden_size": 12}), encoding="utf-8")
    write_manifest(path, kind="encoder", format_version=1, model="toy", source_sha256=source, dimension=12)
    return path


@pytest.fixture()
def toy(tmp_path):
    rng = np.random.default_rng(7)
    base = {"layer.w": rng.normal(size=(20, 12)).astype(np.float32),
            "layer.b": rng.normal(size=20).astype(np.float32),
            "emb": rng.normal(size=(30, 12)).astype(np.float32)}
    change = (rng.normal(size=(20, 3)) @ rng.normal(size=(3, 12)) * 0.01).astype(np.float32)
    tuned = dict(base, **{"layer.w": base["layer.w"] + change, "layer.b": base["layer.b"] + 0.5})
    return _folder(tmp_path / "base", base), _folder(tmp_path / "tuned", tuned, "tuned-source"), base, tuned


def test_extract_then_apply_gives_the_tuned_weights(toy, tmp_path):
    from safetensors.numpy import load_file

    base_dir, tuned_dir, base, tuned = toy
    manifest = extract_adapter(base_dir, tuned_dir, tmp_path / "adapter", rank=3, ranking={"dense_weight": 0.6})
    assert manifest["kind"] == ADAPTER_KIND and manifest["rank"] == 3 and manifest["base_source_sha256"] == "base-source"
    assert manifest["matrices"] == 1 and manifest["vectors"] == 1 and manifest["change_kept"]["min"] > 0.9999
    stored = load_file(str(tmp_path / "adapter" / WEIGHTS))
    assert sorted(stored) == ["layer.b.delta", "layer.w.lora_a", "layer.w.lora_b"]  # "emb" did not change
    assert stored["layer.w.lora_a"].shape == (3, 12) and stored["layer.w.lora_b"].dtype == np.float16

    out = apply_adapter(base_dir, tmp_path / "adapter", tmp_path / "applied", model="toy-directives")
    got = load_file(str(tmp_path / "applied" / "model.safetensors"))
    assert np.allclose(got["layer.w"], tuned["layer.w"], atol=1e-4)
    assert np.allclose(got["layer.b"], tuned["layer.b"]) and np.array_equal(got["emb"], base["emb"])
    assert out["model"] == "toy-directives" and out["ranking"] == {"dense_weight": 0.6}
    assert out["adapter_sha256"] == manifest["weights_sha256"] and out["source_sha256"] != "base-source"
    assert (tmp_path / "applied" / "config.json").is_file()  # the rest of the folder is the base's


def test_a_lower_rank_keeps_less_of_the_change(toy, tmp_path):
    base_dir, tuned_dir, _, _ = toy
    assert extract_adapter(base_dir, tuned_dir, tmp_path / "r1", rank=1)["change_kept"]["min"] < 0.99


def test_refusals_say_what_to_do(toy, tmp_path):
    base_dir, tuned_dir, base, _ = toy
    with pytest.raises(ArtifactError, match="nothing to extract"):
        extract_adapter(base_dir, base_dir, tmp_path / "none", rank=4)
    with pytest.raises(ValueError, match="rank"):
        extract_adapter(base_dir, tuned_dir, tmp_path / "zero", rank=0)
    extract_adapter(base_dir, tuned_dir, tmp_path / "adapter", rank=3)
    other = _folder(tmp_path / "other", base, source="another-source")
    with pytest.raises(ArtifactError, match="another base model"):
        apply_adapter(other, tmp_path / "adapter", tmp_path / "out", model="x")
    assert not (tmp_path / "out").exists()
    (tmp_path / "adapter" / WEIGHTS).write_bytes(b"broken")
    with pytest.raises(ArtifactError, match="does not match"):
        read_adapter(tmp_path / "adapter")


@pytest.mark.slow
def test_the_shipped_adapter_builds_the_default_search_model(encoder):
    """The default model is the bundled e5 plus the shipped adapter: built once, named with the
    adapter's hash (an index built with another model asks for a re-embed), carrying its ranking."""
    from congvan.models.encoder import DIRECTIVES_ADAPTER, DIRECTIVES_MODEL, ensure_directives_model, load_encoder
    from congvan.service.config import Settings
    from tests.conftest import TEST_HOME

    settings = Settings(home=TEST_HOME, encoder_backend="torch")
    assert settings.model == DIRECTIVES_MODEL
    shipped = read_adapter(DIRECTIVES_ADAPTER)
    assert (DIRECTIVES_ADAPTER / WEIGHTS).stat().st_size < 10 * 1024 * 1024  # fits in git
    folder = ensure_directives_model(settings.models_dir)
    built = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert built["adapter_sha256"] == shipped["weights_sha256"]
    assert {"dense_floor", "dense_floor_short", "dense_weight"} <= set(built["ranking"])
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert ensure_directives_model(settings.models_dir) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp  # built once

    tuned = load_encoder(settings)
    assert tuned.name == f"{DIRECTIVES_MODEL}@{shipped['weights_sha256'][:12]}"
    q = ["biện pháp tiêm vét", "diệt bọ gậy phòng sốt xuất huyết"]
    a, b = tuned.encode_queries(q), encoder.encode_queries(q)
    cos = np.sum(a * b, axis=1)
    assert np.all(cos < 0.999) and np.all(cos > 0.5)  # another encoder, still the same model family


def test_an_index_of_the_old_default_says_the_default_changed():
    from congvan.index.store import _default_changed
    from congvan.models.encoder import BUNDLED_MODEL, DIRECTIVES_MODEL

    assert "default search model" in _default_changed(BUNDLED_MODEL, f"{DIRECTIVES_MODEL}@0123456789ab")
    assert _default_changed(BUNDLED_MODEL, "/models/mine@0123456789ab") == ""
    assert _default_changed(f"{DIRECTIVES_MODEL}@0123456789ab", BUNDLED_MODEL) == ""
