"""A faster encoder path: the converted e5 model run by ONNX Runtime (fp32, or int8 weights).

Why: on a small CPU the torch path spends most of a query in framework overhead, and ingest in
fp32 matrix products. The sentence-transformers folder is exported once with ``torch.onnx``
(transformer + mean pooling + L2 normalisation in one graph), then quantised dynamically to int8
weights (``onnxruntime.quantization``, per output channel: mean cosine 0.996 to
fp32 where per-tensor scales gave 0.986), and cached beside it in ``<folder>-onnx/`` with a
manifest that records the source model's hash (a changed source means a re-export). Tokenisation
uses the folder's own ``tokenizer.json`` (same truncation as sentence-transformers). The torch
path stays for training and as the fallback when ``onnxruntime`` is absent.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from congvan.models.artifacts import ArtifactError, atomic_folder, library_versions, read_manifest, write_manifest

__all__ = ["ONNX_KIND", "ONNX_VERSION", "OnnxEncoder", "ensure_onnx_export", "onnx_available", "onnx_dir"]

ONNX_KIND = "onnx-encoder"
ONNX_VERSION = 2
FILES = {"onnx": "model.onnx", "onnx-int8": "model.int8.onnx"}
BATCH_TOKENS = 256  # padded tokens per batch (rows × longest row)


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def onnx_dir(st_folder: Path) -> Path:
    """Where the export of ``st_folder`` is cached: a sibling ``<name>-onnx`` folder (of the real
    folder, so homes that link one converted model share one export)."""
    st_folder = Path(st_folder).resolve()
    return st_folder.parent / f"{st_folder.name}-onnx"


def _source_id(st_folder: Path) -> str:
    """What the export depends on: the source folder's manifest hash, else its weights' size+mtime."""
    man = Path(st_folder) / "manifest.json"
    if man.is_file():
        try:
            data = json.loads(man.read_text(encoding="utf-8"))
            if data.get("source_sha256"):
                return f"sha256:{data['source_sha256']}:v{data.get('format_version')}"
        except ValueError:
            pass
    weights = next((p for p in (Path(st_folder) / "model.safetensors", Path(st_folder) / "pytorch_model.bin")
                    if p.is_file()), None)
    if weights is None:
        raise ArtifactError(f"{st_folder}: no model weights to export to ONNX")
    st = weights.stat()
    return f"file:{weights.name}:{st.st_size}:{st.st_mtime_ns}"


def _export(st_folder: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # no "pooler weights newly initialised" report: the pooler is unused
    try:
        bert = AutoModel.from_pretrained(str(st_folder), local_files_only=True, add_pooling_layer=False)
    finally:
        hf_logging.set_verbosity(verbosity)
    model = Pooled(bert).eval()
    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow: shapes are dynamic
        torch.onnx.export(model, (ids, mask), str(out), input_names=["input_ids", "attention_mask"],
                          output_names=["embedding"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                        "attention_mask": {0: "batch", 1: "seq"}, "embedding": {0: "batch"}})


def export_is_current(st_folder: Path) -> bool:
    """True when ``st_folder`` has a complete export of the current format from its current weights."""
    target = onnx_dir(st_folder)
    try:
        manifest = read_manifest(target, kind=ONNX_KIND, format_version=ONNX_VERSION)
        return manifest.get("source") == _source_id(st_folder) and \
            all((target / f).is_file() for f in FILES.values())
    except ArtifactError:
        return False


_export_lock = threading.Lock()


def ensure_onnx_export(st_folder: Path) -> Path:
    """The cached export of ``st_folder`` (fp32 + int8), exporting it first if missing or stale."""
    st_folder = Path(st_folder)
    target = onnx_dir(st_folder)
    with _export_lock:
        if export_is_current(st_folder):
            return target
        return _export_all(st_folder, target)


def _export_all(st_folder: Path, target: Path) -> Path:
    import shutil

    from onnxruntime.quantization import QuantType, quantize_dynamic

    print(f"Xuất mô hình {st_folder.name} sang ONNX (fp32 và int8) vào {target} (một lần, ~1 phút)…",
          file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    root = logging.getLogger()
    level = root.level
    with atomic_folder(target) as tmp:
        _export(st_folder, tmp / FILES["onnx"])
        root.setLevel(logging.ERROR)  # onnxruntime's "consider pre-processing" hint is for static quantisation
        try:
            quantize_dynamic(str(tmp / FILES["onnx"]), str(tmp / FILES["onnx-int8"]), weight_type=QuantType.QInt8,
                             per_channel=True)
        finally:
            root.setLevel(level)
        shutil.copy2(st_folder / "tokenizer.json", tmp / "tokenizer.json")
        write_manifest(tmp, kind=ONNX_KIND, format_version=ONNX_VERSION, source=_source_id(st_folder),
                       source_folder=str(st_folder.resolve()), files=FILES, export_s=round(time.perf_counter() - t0, 1),
                       outputs="mean-pooled, L2-normalised embedding",
                       int8={"method": "dynamic", "weights": "QInt8", "per_channel": True},
                       library_versions=library_versions("torch", "onnx", "onnxruntime", "transformers", "tokenizers"))
    return target


class OnnxEncoder:
    """Same calls as ``models.encoder.Encoder`` (query / passage embeddings, float32, unit rows)."""

    def __init__(self, folder: Path, variant: str, name: str, settings: Any, dim: int) -> None:
        from tokenizers import Tokenizer

        if variant not in FILES:
            raise ValueError(f"unknown ONNX variant {variant!r}; use one of {', '.join(FILES)}")
        self.folder = Path(folder)
        self.variant = variant
        self.backend = variant
        self.name = name
        self.path: Path | None = Path(read_manifest(folder, ONNX_KIND, ONNX_VERSION)["source_folder"])
        self.dim = int(dim)
        self.query_prompt = settings.query_prompt
        self.passage_prompt = settings.passage_prompt
        self.batch_size = settings.batch_size
        self.max_seq_length = min(int(settings.max_seq_length), 512)
        self.num_threads = int(settings.num_threads)
        self.query_threads = int(settings.query_threads) or self.num_threads
        self._tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_seq_length)
        self._pad = self._tokenizer.token_to_id("<pad>") or 1
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OnnxEncoder(name={self.name!r}, variant={self.variant}, dim={self.dim})"

    @property
    def tokenizer(self) -> Any:
        return self._tokenizer

    def _session(self, threads: int) -> Any:
        import onnxruntime as ort

        with self._lock:
            sess = self._sessions.get(threads)
            if sess is None:
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = threads  # 0 = all cores
                opts.inter_op_num_threads = 1
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                sess = ort.InferenceSession(str(self.folder / FILES[self.variant]), opts,
                                            providers=["CPUExecutionProvider"])
                self._sessions[threads] = sess
            return sess

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Indices grouped longest first, each batch at most ``BATCH_TOKENS`` padded tokens and
        ``batch_size`` rows. Why: on a small CPU, int8 inference slows down sharply with big
        padded batches (measured on the seed paragraphs, 2 cores: 16 rows 59 clauses/s, a 256-token
        budget on two single-thread runs 174 clauses/s)."""
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        out: list[list[int]] = []
        cur: list[int] = []
        for i in order:
            if cur and ((len(cur) + 1) * lengths[cur[0]] > BATCH_TOKENS or len(cur) >= self.batch_size):
                out.append(cur)
                cur = []
            cur.append(i)
        if cur:
            out.append(cur)
        return out

    def _encode(self, texts: list[str], prompt: str, threads: int, show_progress: bool = False) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("Pass a list of strings, e.g. encode_queries([text]).")
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encs = self._tokenizer.encode_batch([prompt + t for t in texts])
        batches = self._batches([len(e.ids) for e in encs])
        out = np.zeros((len(texts), self.dim), np.float32)
        workers = min(threads or os.cpu_count() or 1, len(batches))
        # Several batches: one single-thread session run from ``workers`` Python threads at once
        # (ONNX Runtime releases the GIL and allows concurrent runs); faster than one session
        # spreading each small batch over the cores.
        sess = self._session(1 if workers > 1 else threads)

        def run(part: list[int]) -> list[int]:
            width = max(len(encs[i].ids) for i in part)
            ids = np.full((len(part), width), self._pad, np.int64)
            mask = np.zeros((len(part), width), np.int64)
            for k, i in enumerate(part):
                n = len(encs[i].ids)
                ids[k, :n] = encs[i].ids
                mask[k, :n] = 1
            out[part] = sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            return part

        bar = None
        if show_progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="Nhúng", unit="đoạn", file=sys.stderr)
        try:
            if workers > 1:
                with ThreadPoolExecutor(workers, thread_name_prefix="onnx-encode") as pool:
                    for part in pool.map(run, batches):
                        if bar is not None:
                            bar.update(len(part))
            else:
                for batch in batches:
                    run(batch)
                    if bar is not None:
                        bar.update(len(batch))
        finally:
            if bar is not None:
                bar.close()
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries (``query: `` prefix) on ``query_threads`` threads."""
        return self._encode(texts, self.query_prompt, self.query_threads)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Embed clauses to index (``passage: `` prefix), batched by ``batch_size``."""
        return self._encode(texts, self.passage_prompt, self.num_threads, show_progress)
