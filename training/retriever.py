"""Contrastive fine-tuning of the e5 encoder for directive-letter search (issue: search quality).

Why: the bundled multilingual-e5-small was trained on web text; staff type 2–6 word queries
("tiem vet", "diệt bọ gậy") and ask long legal or health questions, and its cosine barely
separates the right clause from the genre's boilerplate. A short contrastive run on pairs from
the *tuning* splits only teaches it the domain:

- ALQAC 2023 train + extra 2025 (question → article),
- UIT-ViCoV19QA train (question → health-authority answer),
- the staff queries' ``tune`` half (query → every clause graded 1 or 2),
- staff-style queries generated from the real letters in the tagger's train/dev split and the
  team's sample letters (the most distinctive 2–6 syllables of a directive clause, half of them
  typed without tone marks → that clause).

Never used: the test splits of ALQAC / UIT-ViCoV19QA, the staff ``test`` half, and the real
letters of the tagger's test split. Each pair gets one BM25-mined hard negative (a highly ranked
passage that is not gold and, for generated queries, does not contain the query's words).
Loss: sentence-transformers' ``MultipleNegativesRankingLoss`` (in-batch + hard negatives), batches
without repeated positives. The word-embedding matrix (96 M of the 118 M parameters) is frozen:
a few thousand pairs cannot retrain a 250k-word vocabulary, and freezing makes CPU steps cheap.

The result is a sentence-transformers folder with a ``manifest.json`` (kind ``encoder``, the
weights' hash so cached ONNX exports and indexes notice a retrained model), ``metrics.json`` and
``command.txt``. Use it with ``CONGVAN_MODEL=<folder>``, then ``congvan rebuild --reembed``.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from congvan.letters.schema import Letter
from congvan.letters.text import fold
from congvan.letters.tokenize import segment, syllable_tokens, word_tokens

__all__ = ["Pair", "RetrieverConfig", "build_pairs", "generate_queries", "train_retriever"]

RETRIEVER_FORMAT = 1


@dataclass
class RetrieverConfig:
    """Settings of one retriever fine-tuning run (defaults: ~20 min on 2 CPU cores)."""

    #: Base sentence-transformers folder (the converted bundled e5 by default).
    base_model: str = ""
    #: Passes over the pairs.
    epochs: int = 1
    #: Pairs per step; every other pair's passages are in-batch negatives.
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    #: Tokens per passage while training (queries are short); search keeps its own limit.
    max_seq_length: int = 128
    #: Similarity scale of MultipleNegativesRankingLoss (its default).
    scale: float = 20.0
    #: Hard negatives per pair, mined with BM25 (0 = in-batch negatives only).
    hard_negatives: int = 1
    #: Freeze the word embeddings (see the module docstring).
    freeze_embeddings: bool = True
    #: Top transformer layers trained (of 12); the rest stay as e5 made them. Half the backward
    #: pass of a full fine-tune, which is what a 2-core CPU can afford in minutes.
    train_layers: int = 6
    #: Which pair sources to use.
    sources: tuple[str, ...] = ("alqac", "vicov19qa", "staff-tune", "generated")
    #: Generated queries per real/sample directive clause.
    queries_per_clause: int = 2
    #: Cap on ViCoV19QA pairs (its 3,499 train pairs would outweigh the directive genre; 0 = all).
    max_vicov_pairs: int = 2000
    seed: int = 13
    threads: int = 0


@dataclass
class Pair:
    query: str
    positive: str
    source: str
    negatives: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- staff-style queries
#: Function words staff leave out of a keyword query; a generated window never starts or ends on one.
_EDGE_STOP = frozenset([
    "và", "các", "của", "để", "cho", "trên", "tại", "với", "theo", "đã", "được", "những", "này", "đó", "trong",
    "khi", "là", "có", "không", "về", "từ", "đến", "như", "hoặc", "thì", "mà", "do", "vì", "nên", "phải",
    "cần", "bảo", "đảm", "việc", "một", "số", "sau", "trước", "ngày", "năm", "tháng",
])
_SPLIT = re.compile(r"[,;:.()\[\]“”\"!?…]+")


def _idf(texts: Iterable[list[str]]) -> dict[str, float]:
    df: Counter[str] = Counter()
    n = 0
    for toks in texts:
        n += 1
        df.update(set(toks))
    return {t: math.log(1 + n / c) for t, c in df.items()}


def generate_queries(text: str, idf: dict[str, float], n: int, rng: random.Random) -> list[str]:
    """Up to ``n`` staff-style queries for one clause: its most distinctive runs of 1–3 whole
    words (underthesea segmentation, 2–6 syllables) inside one phrase (between punctuation), not
    starting or ending on a function word, about half of them folded (typed without tone marks)."""
    candidates: list[tuple[float, int, str]] = []
    for phrase_no, phrase in enumerate(_SPLIT.split(text)):
        if not phrase.strip():
            continue
        words = [syllable_tokens(t.text) for t in segment(phrase) if not t.is_code]
        words = [w for w in words if w and not any(ch.isdigit() for s in w for ch in s)]
        for size in range(1, 4):
            for start in range(len(words) - size + 1):
                win = [s for w in words[start:start + size] for s in w]
                if not 2 <= len(win) <= 6 or win[0] in _EDGE_STOP or win[-1] in _EDGE_STOP:
                    continue
                score = sum(idf.get(w, 0.0) for w in win) / (len(win) ** 0.6)  # favour 3–4 syllables
                candidates.append((score, phrase_no * 1000 + start, " ".join(win)))
    candidates.sort(reverse=True)
    out: list[str] = []
    used: set[str] = set()
    for _, _, q in candidates:
        syl = set(q.split())
        if any(len(syl & set(o.split())) * 2 > len(syl) for o in used):
            continue  # another window of mostly the same words
        used.add(q)
        out.append(fold(q) if rng.random() < 0.5 else q)
        if len(out) >= n:
            break
    return out


# --------------------------------------------------------------------------- pairs
def _bench_pairs(name: str, split: str, benchmarks: Path) -> tuple[list[Pair], list[str]]:
    from congvan.training.eval_search import load_benchmark

    bench = load_benchmark(name, split, benchmarks)
    text_of = {(letter.doc_id, c.path): c.text for letter in bench.letters for c in letter.clauses}
    pairs = []
    for _, query, relevant in bench.queries:
        grades = relevant if isinstance(relevant, dict) else {k: 2 for k in relevant}
        for key, grade in grades.items():
            if grade > 0 and key in text_of:
                pairs.append(Pair(query, text_of[key], f"{name}-{split}" if name == "staff" else name))
    return pairs, list(text_of.values())


def _letters_for_generation(shared: Path | None, repo_samples: Path) -> list[Letter]:
    """Real letters of the tagger's train/dev split (never its test letters) + the team's samples."""
    from congvan.letters.pipeline import LetterReadError, corpus_letter
    from congvan.training.real_letters import letter_id_for

    files: list[Path] = sorted(repo_samples.glob("*.txt")) if repo_samples.is_dir() else []
    if shared is not None and (shared / "real_letters" / "texts").is_dir():
        from congvan.training.dataset import stored_splits

        allowed = {lid for lid, split in stored_splits().items() if split in ("train", "dev")}
        for path in sorted((shared / "real_letters" / "texts").glob("*.txt")):
            if letter_id_for(f"real_letters/texts/{path.name}") in allowed:
                files.append(path)
    letters = []
    for path in files:
        try:
            letters.append(corpus_letter(path))
        except LetterReadError as exc:
            print(f"  bỏ qua {path.name}: {exc}", file=sys.stderr)
    return letters


def _generated_pairs(letters: list[Letter], per_clause: int, rng: random.Random) -> tuple[list[Pair], list[str]]:
    clauses = [c.text for letter in letters for c in letter.clauses if c.kind == "directive" and len(c.text) > 40]
    idf = _idf(syllable_tokens(t) for t in clauses)
    pairs = [Pair(q, text, "generated") for text in clauses for q in generate_queries(text, idf, per_clause, rng)]
    return pairs, [c.text for letter in letters for c in letter.clauses]


def _mine_negatives(pairs: list[Pair], corpus: list[str], k: int, rng: random.Random) -> None:
    """Give each pair ``k`` hard negatives: BM25 (folded syllables + words) top hits that are not
    a gold passage of the same query and, for generated queries, do not contain all its words."""
    import numpy as np

    from congvan.index.keyword import BM25Index

    if k <= 0 or not pairs:
        return
    corpus = list(dict.fromkeys(corpus))
    index = BM25Index.build([[fold(t) for t in syllable_tokens(c) + word_tokens(c)] for c in corpus])
    gold: dict[str, set[str]] = {}
    for p in pairs:
        gold.setdefault(p.query, set()).add(p.positive)
    for p in pairs:
        q = [fold(t) for t in syllable_tokens(p.query) + word_tokens(p.query)]
        if not q:
            continue
        scores = index.scores(q)
        top = np.argsort(-scores)[:30]
        qsyl = {fold(t) for t in syllable_tokens(p.query)}
        options = []
        for i in top:
            if scores[i] <= 0 or corpus[i] in gold[p.query]:
                continue
            if p.source == "generated" and qsyl <= {fold(t) for t in syllable_tokens(corpus[i])}:
                continue  # holds every query word: likely also relevant, not a negative
            options.append(corpus[i])
            if len(options) >= 5:
                break
        if options:
            p.negatives = rng.sample(options, min(k, len(options)))


def build_pairs(config: RetrieverConfig, benchmarks: Path | None, shared: Path | None,
                samples: Path, log: Callable[[str], None] = print) -> list[Pair]:
    """Every training pair of the configured sources, with BM25 hard negatives, shuffled."""
    rng = random.Random(config.seed)
    pairs: list[Pair] = []
    corpora: dict[str, list[str]] = {}
    if benchmarks is not None and Path(benchmarks).is_dir():
        if "alqac" in config.sources:
            p, c = _bench_pairs("alqac", "train", benchmarks)
            pairs += p
            corpora["alqac"] = c
        if "vicov19qa" in config.sources:
            p, c = _bench_pairs("vicov19qa", "train", benchmarks)
            if config.max_vicov_pairs and len(p) > config.max_vicov_pairs:
                p = rng.sample(p, config.max_vicov_pairs)
            pairs += p
            corpora["vicov19qa"] = c
        if "staff-tune" in config.sources and shared is not None:
            p, c = _bench_pairs("staff", "tune", benchmarks)
            pairs += p
            corpora["staff-tune"] = c
    if "generated" in config.sources:
        p, c = _generated_pairs(_letters_for_generation(shared, samples), config.queries_per_clause, rng)
        pairs += p
        corpora["generated"] = c + corpora.get("staff-tune", [])
    if not pairs:
        raise ValueError("no training pairs: point CONGVAN_SHARED_DIR at the folder holding benchmarks/ "
                         "and real_letters/ (../shared)")
    for source, corpus in corpora.items():
        group = [p for p in pairs if p.source == source]
        log(f"  {source}: {len(group)} cặp; khai thác phản ví dụ khó bằng BM25 trên {len(set(corpus))} đoạn…")
        _mine_negatives(group, corpus, config.hard_negatives, rng)
    rng.shuffle(pairs)
    return pairs


def _batches(pairs: list[Pair], size: int) -> list[list[Pair]]:
    """Batches with no positive (or negative) text twice: a repeated passage would be its own
    in-batch negative."""
    pending = list(pairs)
    out: list[list[Pair]] = []
    while pending:
        batch: list[Pair] = []
        seen: set[str] = set()
        rest: list[Pair] = []
        for p in pending:
            texts = {p.positive, *p.negatives}
            if len(batch) < size and not (texts & seen):
                batch.append(p)
                seen |= texts
            else:
                rest.append(p)
        if len(batch) < 2:  # only repeats left: drop them
            break
        out.append(batch)
        pending = rest
    return out


# --------------------------------------------------------------------------- training
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def train_retriever(config: RetrieverConfig, pairs: list[Pair], out: Path, *, query_prompt: str = "query: ",
                    passage_prompt: str = "passage: ", command: str = "", show_progress: bool = True) -> dict[str, Any]:
    """Fine-tune ``config.base_model`` on ``pairs`` and save the model folder ``out`` atomically."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    from congvan.models.artifacts import atomic_folder, library_versions, write_manifest

    random.seed(config.seed)
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    model = SentenceTransformer(config.base_model, device="cpu", local_files_only=True)
    model.max_seq_length = config.max_seq_length
    if config.freeze_embeddings:
        for module in model.modules():
            if isinstance(module, torch.nn.Embedding) and module.num_embeddings > 10_000:
                module.weight.requires_grad_(False)
    layers = [m for name, m in model.named_modules() if re.fullmatch(r".*encoder\.layer\.\d+", name)]
    for layer in layers[:max(0, len(layers) - config.train_layers)]:
        layer.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    loss_fn = MultipleNegativesRankingLoss(model, scale=config.scale)
    prepare = getattr(model, "preprocess", None) or model.tokenize
    rng = random.Random(config.seed)
    plan = []
    for _ in range(config.epochs):
        shuffled = list(pairs)
        rng.shuffle(shuffled)
        plan += _batches(shuffled, config.batch_size)
    opt = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    sched = get_linear_schedule_with_warmup(opt, int(config.warmup_ratio * len(plan)), len(plan))
    model.train()
    losses: list[float] = []
    t0 = time.perf_counter()
    bar = tqdm(plan, desc="Tinh chỉnh bộ truy hồi", unit="lô", file=sys.stderr, disable=not show_progress)
    for batch in bar:
        k = min(len(p.negatives) for p in batch)
        columns = [[query_prompt + p.query for p in batch], [passage_prompt + p.positive for p in batch]]
        columns += [[passage_prompt + p.negatives[j] for p in batch] for j in range(k)]
        features = [prepare(col) for col in columns]
        loss = loss_fn(features, torch.empty(0))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}")
    model.eval()
    elapsed = time.perf_counter() - t0
    by_source = Counter(p.source for p in pairs)
    metrics = {"pairs": len(pairs), "pairs_by_source": dict(by_source), "steps": len(plan),
               "with_hard_negative": sum(1 for p in pairs if p.negatives), "train_s": round(elapsed, 1),
               "loss_first_20": round(sum(losses[:20]) / max(1, len(losses[:20])), 4),
               "loss_last_20": round(sum(losses[-20:]) / max(1, len(losses[-20:])), 4),
               "loss_curve": [round(x, 4) for x in losses[:: max(1, len(losses) // 50)]]}
    out = Path(out)
    with atomic_folder(out) as tmp:
        model.save(str(tmp))
        weights = tmp / "model.safetensors"
        (tmp / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
        (tmp / "command.txt").write_text(command + "\n", encoding="utf-8")
        write_manifest(tmp, kind="encoder", format_version=1, model=f"congvan-retriever ({Path(config.base_model).name})",
                       source=f"fine-tuned from {config.base_model}", base_model=str(config.base_model),
                       source_sha256=_sha256(weights), dimension=(getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)(),
                       retriever_format=RETRIEVER_FORMAT, training=asdict(config), metrics=metrics,
                       library_versions=library_versions("torch", "transformers", "sentence-transformers"))
    return metrics


# --------------------------------------------------------------------------- similarity floors
#: Percentile of held-out query–gold cosines a floor sits at (5: 95 % of relevant pairs pass).
FLOOR_PERCENTILE = 5.0


def _gold_cosines(encoder: Any, pairs: list[Pair]) -> np.ndarray:
    """Query–gold cosines as search computes them (the encoder's own prompts, backend, length)."""
    q = np.asarray(encoder.encode_queries([p.query for p in pairs]), np.float32)
    d = np.asarray(encoder.encode_passages([p.positive for p in pairs]), np.float32)
    return np.sum(q * d, axis=1)


def calibrate_floors(tuned: Any, base: Any, benchmarks: Path) -> dict[str, Any]:
    """Similarity floors for a fine-tuned encoder ``tuned`` (``base``: the encoder it was trained
    from, both as ``models.encoder.load_encoder`` gives them). A fine-tuned model spreads cosines
    differently from the model the ranking's floors were calibrated on: with those floors almost
    no clause of it "matches by meaning", and hybrid falls below BM25.

    Measured on UIT-ViCoV19QA *val*, which training never sees: ``dense_floor`` is the 5th
    percentile of the fine-tuned model's query–gold cosines there (the default was chosen the same
    way for the bundled model); ``dense_floor_short`` (staff queries, whose pairs were trained on)
    moves the default by the same shift the 5th percentile made from the base model."""
    from congvan.index.ranking import DEFAULT_PARAMS

    pairs, _ = _bench_pairs("vicov19qa", "val", Path(benchmarks))
    if not pairs:
        raise ValueError(f"no UIT-ViCoV19QA val pairs under {benchmarks}; cannot calibrate the floors")
    new = float(np.percentile(_gold_cosines(tuned, pairs), FLOOR_PERCENTILE))
    old = float(np.percentile(_gold_cosines(base, pairs), FLOOR_PERCENTILE))
    return {"dense_floor": round(new, 4),
            "dense_floor_short": round(DEFAULT_PARAMS.dense_floor_short + (new - old), 4),
            "calibration": {"pairs": len(pairs), "on": "UIT-ViCoV19QA val (never trained on)",
                            "percentile": FLOOR_PERCENTILE, "base_model": getattr(base, "name", None),
                            "base_percentile_cosine": round(old, 4), "percentile_cosine": round(new, 4)}}


#: Fusion weights of the dense score tried for a fine-tuned model (long queries).
DENSE_WEIGHT_GRID = (0.5, 0.6, 0.7, 0.8, 0.9)


def choose_dense_weight(tuned: Any, floors: dict[str, Any], benchmarks: Path, work_dir: Path) -> dict[str, Any]:
    """The fusion weight of the dense score for a fine-tuned encoder: best hybrid MRR@10 on
    UIT-ViCoV19QA *val* (never trained on, like the floors), with the floors just measured.
    The bundled model's 0.9 was tuned on splits this model was trained on, and a model that
    ranks by meaning better and spreads cosines lower wants a different balance."""
    from congvan.index.ranking import DEFAULT_PARAMS
    from congvan.training.eval_search import _prepare, _score

    prep = _prepare("vicov19qa", "val", encoder=tuned, benchmarks=Path(benchmarks), work_dir=Path(work_dir))
    try:
        params = DEFAULT_PARAMS.with_(dense_floor=floors["dense_floor"], dense_floor_short=floors["dense_floor_short"])
        scores = {w: _score(prep, "hybrid", params.with_(dense_weight=w))["mrr@10"] for w in DENSE_WEIGHT_GRID}
    finally:
        prep.col.close()
    best = max(scores, key=lambda w: (round(scores[w], 4), -abs(w - DEFAULT_PARAMS.dense_weight)))
    return {"dense_weight": best,
            "fusion_tuning": {"on": "UIT-ViCoV19QA val (never trained on)", "queries": len(prep.bench.queries),
                              "hybrid_mrr@10": {str(w): round(v, 4) for w, v in scores.items()}}}


def write_ranking(model_dir: Path, ranking: dict[str, Any]) -> None:
    """Record ``ranking`` (floors, fusion weight) in the model folder's manifest, atomically (write, fsync, rename);
    search reads it when the folder is the configured model (``models.encoder.model_ranking``)."""
    path = Path(model_dir) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["ranking"] = ranking
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, ensure_ascii=False, indent=2))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
