"""Retrieval benchmarks through the service's own index and ranking code.

    congvan evaluate search --benchmark alqac --split test --mode hybrid
    congvan evaluate search --benchmark all          # bm25/dense/hybrid × every benchmark's test split
    congvan evaluate search --tune [--out FILE]      # grid over RankingParams, tuning splits only

Benchmarks (read from the ``benchmarks_dir`` setting: ``$CONGVAN_BENCHMARKS_DIR`` or
``$CONGVAN_SHARED_DIR/benchmarks``, default ``../shared/benchmarks``; never copied):

- ``alqac``: corpus = every article of ``law.json`` (one letter per law, one clause per article);
  split "test" = ``test_2023.json``, "train" = ``train_2023.json`` + ``extra_2025.json``;
  questions citing a law absent from ``law.json`` are skipped (and the one extra_2025 question
  citing an article the law lacks).
- ``vicov19qa``: corpus = every answer of the three CSVs, deduplicated; query = question,
  relevant = its answer; splits train / val / test.

The corpus is indexed once into ``<work_dir>/bench-index/<name>-<hash>`` (hash of corpus, encoder and
sequence length) with ``Collection.ingest_letters`` and reused; query embeddings are cached there
too. Ranking goes through ``Collection.rank`` — the function ``Collection.search`` pages through.
"""
from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from congvan.index.collection import Collection
from congvan.index.keyword import analyze_query
from congvan.index.ranking import DEFAULT_PARAMS, MODES, RankingParams
from congvan.index.windows import MAX_WINDOWS, MIN_WORDS, WINDOW_WORDS
from congvan.index.windows import VERSION as WINDOWS_VERSION
from congvan.letters.schema import Clause, Letter
from congvan.letters.text import nfc

BENCHMARKS = ("alqac", "vicov19qa", "staff")
SPLITS = {"alqac": ("train", "test"), "vicov19qa": ("train", "val", "test"), "staff": ("tune", "test")}
#: Splits used for tuning (never the test splits).
TUNING_SPLITS = {"alqac": ("train",), "vicov19qa": ("train", "val"), "staff": ("tune",)}
#: The long-question benchmarks ``tune`` fits the fusion on; the staff queries tune the
#: short-query part (``tune_short``).
LONG_BENCHMARKS = ("alqac", "vicov19qa")
K = 10
VICOV_GROUP = 100  # answers per synthetic "letter"

csv.field_size_limit(sys.maxsize)


@dataclass
class Benchmark:
    name: str
    split: str
    letters: list[Letter]
    #: (id, text, relevant): relevant (doc_id, path) as a set (grade 1) or a dict key → grade
    queries: list[tuple[str, str, Any]]
    #: extra facts to report (staff: how many annotated clauses the parser emits)
    info: dict[str, Any] | None = None


def _doc_id(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def _alqac(data: Path, split: str) -> Benchmark:
    laws = json.loads((data / "alqac" / "law.json").read_text(encoding="utf-8"))
    letters, law_doc, articles = [], {}, set()
    for law in laws:
        clauses = [Clause(clause_id=f"{law['id']}#{a['id']}", path=str(a["id"]), kind="directive",
                          text=nfc(a["text"]), order=i) for i, a in enumerate(law["articles"])]
        doc_id = _doc_id("alqac", law["id"], *(c.text for c in clauses))
        law_doc[law["id"]] = doc_id
        articles.update((law["id"], c.path) for c in clauses)
        letters.append(Letter(doc_id=doc_id, doc_type="Luật", subject=law["id"], clauses=clauses,
                              source=f"alqac/{law['id']}"))
    files = {"test": ["test_2023.json"], "train": ["train_2023.json", "extra_2025.json"]}[split]
    queries = []
    for name in files:
        for q in json.loads((data / "alqac" / name).read_text(encoding="utf-8")):
            rel = q["relevant_articles"]
            if not rel or any((r["law_id"], str(r["article_id"])) not in articles for r in rel):
                continue  # cites a law (or, once in extra_2025, an article) law.json doesn't have
            queries.append((f"{name}:{q['question_id']}", nfc(q["text"]),
                            {(law_doc[r["law_id"]], str(r["article_id"])) for r in rel}))
    return Benchmark("alqac", split, letters, queries)


def _vicov_rows(data: Path, split: str) -> list[tuple[str, str, str]]:
    path = data / "uit_vicov19qa" / f"UIT-ViCoV19QA_1ans_{split}.csv"
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="|")
        header = next(reader)
        if header[:3] != ["id", "Question", "Answer_1"]:
            raise ValueError(f"{path}: unexpected header {header}")
        return [(row[0], nfc(row[1]).strip(), nfc(row[2]).strip()) for row in reader if len(row) >= 3]


def _answer_key(text: str) -> str:
    return " ".join(text.split())


def _vicov(data: Path, split: str) -> Benchmark:
    answers: dict[str, int] = {}
    texts: list[str] = []
    by_split = {}
    for s in SPLITS["vicov19qa"]:
        by_split[s] = _vicov_rows(data, s)
        for _, _, answer in by_split[s]:
            key = _answer_key(answer)
            if key not in answers:
                answers[key] = len(texts)
                texts.append(answer)
    letters, where = [], {}
    for start in range(0, len(texts), VICOV_GROUP):
        group = texts[start:start + VICOV_GROUP]
        doc_id = _doc_id("vicov19qa", *group)
        clauses = []
        for i, text in enumerate(group):
            path = f"a{start + i}"
            clauses.append(Clause(clause_id=f"vicov-{start + i}", path=path, kind="directive",
                                  text=text, order=i))
            where[start + i] = (doc_id, path)
        letters.append(Letter(doc_id=doc_id, doc_type="Hỏi đáp", subject="UIT-ViCoV19QA",
                              clauses=clauses, source=f"vicov19qa/{start // VICOV_GROUP}"))
    queries = [(f"{split}:{qid}", question, {where[answers[_answer_key(answer)]]})
               for qid, question, answer in by_split[split] if question]
    return Benchmark("vicov19qa", split, letters, queries)


def _staff(data: Path, split: str) -> Benchmark:
    """Staff queries; ``data`` is the benchmarks folder, the letters are read from its parent
    (the shared folder: ``real_letters/``, ``seeds/``) and from the repository's samples."""
    from congvan.training import staff_bench

    queries = staff_bench.load_queries()
    corpus = staff_bench.load_corpus(queries, data.parent)
    chosen = [q for q in queries if q.split == split]
    info = {**staff_bench.coverage(chosen, corpus), "missing_files": corpus.missing_files}
    return Benchmark("staff", split, corpus.letters,
                     [(q.id, q.text, staff_bench.relevant_of(q, corpus)) for q in chosen], info)


def load_benchmark(name: str, split: str, data: Path) -> Benchmark:
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; use one of {', '.join(BENCHMARKS)}")
    if split not in SPLITS[name]:
        raise ValueError(f"{name} has splits {', '.join(SPLITS[name])}, not {split!r}")
    data = Path(data)
    if not data.is_dir():
        raise FileNotFoundError(f"benchmark data not found at {data}; set CONGVAN_SHARED_DIR (the folder holding "
                                f"benchmarks/) or CONGVAN_BENCHMARKS_DIR")
    if name == "staff":
        return _staff(data, split)
    return _alqac(data, split) if name == "alqac" else _vicov(data, split)


# ---------------------------------------------------------------------------- index + queries
def _corpus_hash(bench: Benchmark, encoder) -> str:
    h = hashlib.sha256()
    h.update(f"{encoder.name}|{encoder.dim}|{getattr(encoder, 'max_seq_length', '')}".encode())
    h.update(f"|windows v{WINDOWS_VERSION} {WINDOW_WORDS}/{MIN_WORDS}/{MAX_WINDOWS}".encode())  # older indexes lack them
    backend = getattr(encoder, "backend", "torch")
    if backend != "torch":  # ONNX vectors get their own index (torch keeps its cached one)
        h.update(f"|{backend}".encode())
    for letter in bench.letters:
        h.update(letter.doc_id.encode())
    return h.hexdigest()[:12]


def bench_collection(bench: Benchmark, encoder, home: Path, show_progress: bool = False,
                     backend: str = "embedded", milvus: Any = None) -> Collection:
    """The benchmark corpus indexed under ``home/bench-index``; built once (resumable), reused.

    ``backend="milvus"`` searches the same SQLite folder through Milvus (``milvus``: its
    ``MilvusOptions``); the clauses are copied to Milvus from SQLite, never re-embedded."""
    from congvan.index.milvus import open_collection

    folder = Path(home) / "bench-index" / f"{bench.name}-{_corpus_hash(bench, encoder)}"
    col = open_collection(folder, encoder, backend=backend, milvus=milvus, show_progress=show_progress)
    want = sum(len(letter.clauses) for letter in bench.letters)
    if col.stats()["clauses"] != want or len(col.snapshot) != want:
        col.ingest_letters(bench.letters, show_progress=show_progress)
    return col


def query_vectors(col: Collection, texts: list[str], show_progress: bool = False) -> np.ndarray:
    """Query embeddings, cached next to the benchmark index (keyed by the query texts)."""
    h = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]
    path = col.folder / f"queries-{h}.npy"
    if path.is_file():
        vecs = np.load(path, allow_pickle=False)
        if vecs.shape == (len(texts), col.encoder.dim):
            return vecs
    vecs = np.zeros((0, col.encoder.dim), np.float32)
    parts = []
    step = 256
    for start in range(0, len(texts), step):
        parts.append(col.encoder.encode_queries(texts[start:start + step]))
        if show_progress:
            print(f"  queries {min(start + step, len(texts))}/{len(texts)}", file=sys.stderr, flush=True)
    if parts:
        vecs = np.concatenate(parts).astype(np.float32)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vecs, allow_pickle=False)
    os.replace(tmp, path)
    return vecs


# ---------------------------------------------------------------------------- metrics
def _metrics(ranked: list[tuple[str, str]], relevant: Any) -> dict[str, float]:
    """R@1, R@10 (any grade), MRR@10 (first relevant of any grade), nDCG@10 with the grade as
    gain (a set of relevant keys: every grade 1)."""
    grades = relevant if isinstance(relevant, dict) else dict.fromkeys(relevant, 1)
    top = ranked[:K]
    gains = [float(grades.get(key, 0)) for key in top]
    hits = [1.0 if g > 0 else 0.0 for g in gains]
    first = next((i for i, h in enumerate(hits) if h), None)
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(grades.values(), reverse=True)[:K]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return {
        "recall@1": sum(hits[:1]) / len(grades),
        "recall@10": sum(hits) / len(grades),
        "mrr@10": 1.0 / (first + 1) if first is not None else 0.0,
        "ndcg@10": dcg / idcg if idcg else 0.0,
    }


@dataclass
class _Prepared:
    col: Collection
    bench: Benchmark
    terms: list
    vectors: np.ndarray
    keys: list[tuple[str, str]]


def _prepare(name: str, split: str, *, encoder: Any, benchmarks: Path, work_dir: Path,
             show_progress: bool = False, backend: str = "embedded", milvus: Any = None) -> _Prepared:
    bench = load_benchmark(name, split, Path(benchmarks))
    col = bench_collection(bench, encoder, Path(work_dir), show_progress=show_progress, backend=backend,
                           milvus=milvus)
    texts = [q[1] for q in bench.queries]
    terms = [analyze_query(t) for t in texts]
    # what search embeds: tone-less queries with their tones restored (Collection.dense_text)
    vecs = query_vectors(col, [col.dense_text(t) for t in terms], show_progress=show_progress)
    return _Prepared(col, bench, terms, vecs, col.slot_keys())


def _score(prep: _Prepared, mode: str, params: RankingParams) -> dict[str, float]:
    totals = {"recall@1": 0.0, "recall@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    for (_, _, relevant), terms, qv in zip(prep.bench.queries, prep.terms, prep.vectors):
        ranked = prep.col.rank(terms, mode=mode, params=params, query_vector=qv)
        m = _metrics([prep.keys[s] for s in ranked.slots[:K]], relevant)
        for k, v in m.items():
            totals[k] += v
    n = max(len(prep.bench.queries), 1)
    return {k: round(v / n, 4) for k, v in totals.items()}


def evaluate(benchmark: str, split: str = "test", mode: str = "hybrid", *, encoder: Any, benchmarks: Path,
             work_dir: Path, params: RankingParams | None = None, show_progress: bool = False,
             backend: str = "embedded", milvus: Any = None) -> dict[str, Any]:
    """Recall@1/10, MRR@10 and nDCG@10 of ``mode`` on a benchmark split (on ``backend``)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    prep = _prepare(benchmark, split, encoder=encoder, benchmarks=benchmarks, work_dir=work_dir,
                    show_progress=show_progress, backend=backend, milvus=milvus)
    try:
        scores = _score(prep, mode, params or prep.col.params)
    finally:
        prep.col.close()
    row = {"benchmark": benchmark, "split": split, "mode": mode, "backend": backend,
           "queries": len(prep.bench.queries), **scores}
    if prep.bench.info:
        row["info"] = prep.bench.info
    return row


# ---------------------------------------------------------------------------- tuning
def fusion_grid() -> list[RankingParams]:
    grid = []
    for w, a in itertools.product((0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95), (0.7, 0.9)):
        grid.append(DEFAULT_PARAMS.with_(fusion="convex", dense_weight=w, accent_weight=a))
    for w, k in itertools.product((0.4, 0.5, 0.6, 0.7), (20.0, 60.0)):
        grid.append(DEFAULT_PARAMS.with_(fusion="rrf", dense_weight=w, rrf_k=k))
    return grid


#: (k1, b) pairs tried for BM25 once the fusion is chosen.
BM25_GRID = ((1.5, 0.75), (1.2, 0.75), (0.9, 0.4), (1.2, 0.5), (1.5, 0.9), (2.0, 0.75), (1.2, 0.3))


def gold_cosines(prep: _Prepared) -> np.ndarray:
    """Cosine between each tuning query and its relevant clause(s) (to calibrate dense_floor)."""
    snap = prep.col.snapshot
    slot_of = {key: i for i, key in enumerate(prep.keys)}
    out = []
    for (_, _, relevant), qv in zip(prep.bench.queries, prep.vectors):
        slots = np.array([slot_of[r] for r in relevant if r in slot_of], np.int64)
        out.extend(snap.vectors.scores_at(qv, snap.slot_pos[slots]).tolist())
    return np.array(out)


def _objective(preps: list[_Prepared], mode: str, params: RankingParams) -> tuple[float, dict]:
    """Mean over the two benchmarks of the query-weighted MRR@10 of their tuning splits."""
    per = {f"{p.bench.name}/{p.bench.split}": _score(p, mode, params) for p in preps}
    by_bench = []
    for name in LONG_BENCHMARKS:
        parts = [p for p in preps if p.bench.name == name]
        n = sum(len(p.bench.queries) for p in parts)
        by_bench.append(sum(per[f"{name}/{p.bench.split}"]["mrr@10"] * len(p.bench.queries)
                            for p in parts) / n)
    return round(sum(by_bench) / len(by_bench), 4), per


def tune(*, encoder: Any, benchmarks: Path, work_dir: Path, show_progress: bool = False) -> dict[str, Any]:
    """Tune on the tuning splits only: dense_floor (5th percentile of gold cosines), the fusion
    (grid, best mean MRR@10 over the two benchmarks), then BM25 k1/b with that fusion."""
    from congvan.index.derived import IndexOptions

    def say(msg: str) -> None:
        if show_progress:
            print(msg, file=sys.stderr, flush=True)

    preps = [_prepare(name, split, encoder=encoder, benchmarks=benchmarks, work_dir=work_dir,
                      show_progress=show_progress)
             for name in LONG_BENCHMARKS for split in TUNING_SPLITS[name]]
    cos = np.concatenate([gold_cosines(p) for p in preps])
    floor = round(float(np.percentile(cos, 5)), 2)
    params0 = DEFAULT_PARAMS.with_(dense_floor=floor)
    say(f"dense_floor = {floor} (5th percentile of {len(cos)} gold cosines)")
    base = {mode: _objective(preps, mode, params0) for mode in ("bm25", "dense")}
    rows = []
    for params in fusion_grid():
        params = params.with_(dense_floor=floor)
        objective, per = _objective(preps, "hybrid", params)
        rows.append({"params": {k: getattr(params, k) for k in ("fusion", "dense_weight", "accent_weight", "rrf_k")},
                     "objective": objective, "scores": per})
        say(f"  {rows[-1]['params']} → {objective:.4f}")
    rows.sort(key=lambda r: -r["objective"])
    best = params0.with_(**rows[0]["params"])
    bm25_rows = []
    for k1, b in BM25_GRID:
        options = IndexOptions(bm25_k1=k1, bm25_b=b)
        for p in preps:
            p.col.reconfigure(options)
        hybrid, per = _objective(preps, "hybrid", best)
        plain, _ = _objective(preps, "bm25", best)
        bm25_rows.append({"k1": k1, "b": b, "hybrid": hybrid, "bm25": plain, "scores": per})
        say(f"  BM25 k1={k1} b={b}: hybrid {hybrid:.4f}, bm25 {plain:.4f}")
    for p in preps:
        p.col.close()
    bm25_rows.sort(key=lambda r: -r["hybrid"])
    return {"best": {"params": best.to_dict(), "objective": rows[0]["objective"],
                     "bm25": {"k1": bm25_rows[0]["k1"], "b": bm25_rows[0]["b"]},
                     "objective_with_bm25": bm25_rows[0]["hybrid"], "scores": rows[0]["scores"]},
            "baselines": {m: {"objective": o, "scores": per} for m, (o, per) in base.items()},
            "grid": rows, "bm25_grid": bm25_rows,
            "gold_cosine_percentiles": {f"p{q}": round(float(np.percentile(cos, q)), 4)
                                        for q in (1, 5, 10, 25, 50)},
            "queries": {f"{p.bench.name}/{p.bench.split}": len(p.bench.queries) for p in preps}}


# ---------------------------------------------------------------------------- short-query tuning
def matching_grid() -> list[dict[str, float]]:
    """Weights of the query-word features (index.matching) tried on the staff tuning split."""
    grid = []
    for sdw, cov, adj, win in itertools.product((0.2, 0.35, 0.5), (0.2, 0.5, 0.8, 1.2), (0.4, 0.8, 1.2),
                                                (0.0, 0.3)):
        grid.append({"short_dense_weight": sdw, "coverage_weight": cov, "adjacency_weight": adj,
                     "window_weight": win, "fold_credit": 0.5})
    return grid


#: Letter-prior weights tried once the feature weights are chosen; the smallest weight within
#: ``LETTER_SLACK`` of the best objective is kept (the prior fills the top with one letter's
#: clauses, so no more of it than the tuning split asks for).
LETTER_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
LETTER_SLACK = 0.005


def tune_short(*, encoder: Any, benchmarks: Path, work_dir: Path, show_progress: bool = False,
               base: RankingParams | None = None) -> dict[str, Any]:
    """Tune the short-query part of the ranking on the staff tuning split only: the short-query
    dense floor (5th percentile of query–gold cosines), then the query-word feature weights
    (objective: mean of nDCG@10 and MRR@10), then the letter prior. Long questions are unaffected
    (the ramp is 0)."""
    base = base or DEFAULT_PARAMS
    prep = _prepare("staff", "tune", encoder=encoder, benchmarks=benchmarks, work_dir=work_dir,
                    show_progress=show_progress)
    try:
        cos = gold_cosines(prep)
        floor = round(float(np.percentile(cos, 5)), 2)
        params0 = base.with_(dense_floor_short=floor)
        rows = []
        for weights in matching_grid():
            params = params0.with_(**weights)
            sc = _score(prep, "hybrid", params)
            rows.append({"params": weights, "objective": round((sc["ndcg@10"] + sc["mrr@10"]) / 2, 4),
                         "scores": sc})
            if show_progress:
                print(f"  {weights} → {rows[-1]['objective']:.4f} {sc}", file=sys.stderr, flush=True)
        rows.sort(key=lambda r: -r["objective"])
        letter_rows = []
        chosen = params0.with_(**rows[0]["params"])
        for weight in LETTER_WEIGHTS:
            sc = _score(prep, "hybrid", chosen.with_(letter_weight=weight))
            letter_rows.append({"letter_weight": weight, "objective": round((sc["ndcg@10"] + sc["mrr@10"]) / 2, 4),
                                "scores": sc})
            if show_progress:
                print(f"  letter_weight {weight} → {letter_rows[-1]['objective']:.4f} {sc}", file=sys.stderr,
                      flush=True)
        best_letter = max(r["objective"] for r in letter_rows)
        letter_weight = min(r["letter_weight"] for r in letter_rows if r["objective"] >= best_letter - LETTER_SLACK)
        before = _score(prep, "hybrid", base)
    finally:
        prep.col.close()
    return {"dense_floor_short": floor, "gold_cosine_percentiles": {
                f"p{q}": round(float(np.percentile(cos, q)), 4) for q in (1, 5, 10, 25, 50)},
            "before": before, "best": {**rows[0], "letter_weight": letter_weight}, "grid": rows,
            "letter_grid": letter_rows}
