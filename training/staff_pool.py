"""Pool the staff-query benchmark for judging (TREC-style): what several systems retrieve, unjudged.

    python benchmarks/staff_pool.py pool --split test tune --out /tmp/pool
    python benchmarks/staff_pool.py apply --sheet /tmp/pool/test.jsonl --grades GRADES.tsv

For each query of the chosen split(s) the pool is the union of the top ``--depth`` (10) clauses
of congvan's ``bm25``, ``dense`` and ``hybrid`` modes (``Collection.rank`` over the cached bench
index, exactly as ``congvan evaluate search`` ranks) and of txtai's hybrid index (as in
``benchmarks/bench_txtai.py``: same corpus, same bundled e5 folder, e5 prompts as instructions).
Clauses already judged for that query (graded in ``relevant`` or listed in ``judged_zero``) are
dropped. The judging sheet, ``<out>/<split>.jsonl``, holds per item the query, the letter's
subject/number/issuer, the clause's heading and text and its ``(file, key)`` — shuffled (fixed
seed), with no trace of which system or rank found it. Write it OUTSIDE the repository: it holds
letter text. Distractor paragraphs are keyed ``distractors/vilegalbert`` / ``distractors/vicov19qa``
+ the clause key of their text (see :mod:`training.staff_bench`).

Pooling done so far (judged blind by one annotator, rubric of ``training/data/search/README.md``):

- 2026-12-05, depth 10, systems congvan bm25/dense/hybrid at a5c4ba4 + txtai 9 hybrid;
  test: 134 queries, 2,697 pooled items (29 graded 2, 286 graded 1, 2,382 judged 0);
  tune: 135 queries, 2,608 pooled items (17 graded 2, 283 graded 1, 2,308 judged 0).
  Details in ``training/data/search/README.md``.
- 2026-12-06, depth 10, congvan bm25/dense/hybrid at 22a9561 (test 484, tune 443 pooled).
- 2026-12-06 (stop 19), depth 10, congvan bm25/dense/hybrid at 4b82d21 with the shipped adapter as the
  default model (test 646 pooled: 5 graded 2, 44 graded 1; tune 695: 1 and 49).
"""
from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from congvan.training import staff_bench
from congvan.training.clause_keys import clause_keys

SYSTEMS = ("bm25", "dense", "hybrid", "txtai")


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def clause_index(corpus: staff_bench.StaffCorpus) -> dict[tuple[str, str], dict]:
    """(doc_id, path) → what a judge sees and the keys the clause may be judged under."""
    out: dict[tuple[str, str], dict] = {}
    for letter in corpus.letters:
        for c in letter.clauses:
            pair = corpus.distractor_keys.get((letter.doc_id, c.path))
            if pair:
                file_c, keys = pair[0], [pair[1]]
            else:
                file_c, keys = letter.source or "", clause_keys(c.text)
            out[(letter.doc_id, c.path)] = {
                "file": file_c, "key": keys[0], "keys": keys,
                "subject": letter.subject, "doc_type": letter.doc_type, "number": letter.number,
                "issuer": letter.issuer or letter.issuer_header, "heading": c.heading, "text": c.text}
    return out


def txtai_setup(letters: list, model_folder: Path, threads: int = 0):
    """txtai's hybrid ``Embeddings`` as ``benchmarks/bench_txtai.py`` configures it (the bundled e5
    folder, e5 prompts as instructions), not yet indexed; with its rows and uid → (doc_id, path)."""
    try:
        from txtai import Embeddings
    except ImportError:
        raise SystemExit("txtai is not installed: python -m pip install -e '.[bench]'") from None
    import torch

    if threads:
        torch.set_num_threads(threads)
    rows, keys = [], {}
    for letter in letters:
        for c in letter.clauses:
            uid = f"{letter.doc_id}|{c.path}"
            keys[uid] = (letter.doc_id, c.path)
            rows.append((uid, c.text, None))
    emb = Embeddings(path=str(model_folder), content=True, hybrid=True, batch=16, encodebatch=16,
                     instructions={"query": "query: ", "data": "passage: "})
    return emb, rows, keys


def txtai_rankings(letters: list, texts: list[str], depth: int, threads: int, cache: Path,
                   model_folder: Path) -> list[list[tuple[str, str]]]:
    """Top ``depth`` (doc_id, path) of txtai's hybrid index per query (index saved under ``cache``)."""
    emb, rows, keys = txtai_setup(letters, model_folder, threads)
    stamp = cache / "uids.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == sorted(keys):
        _say(f"txtai: loading index from {cache}")
        emb.load(str(cache))
    else:
        _say(f"txtai: indexing {len(rows)} passages (minutes)")
        t0 = time.perf_counter()
        emb.index(rows)
        emb.save(str(cache))
        stamp.write_text(json.dumps(sorted(keys)))
        _say(f"txtai: indexed in {time.perf_counter() - t0:.0f} s")
    return [[keys[r["id"]] for r in emb.search(text, depth)] for text in texts]


def build_pool(split: str, *, encoder, benchmarks: Path, work_dir: Path, model_folder: Path, depth: int,
               threads: int, out: Path, seed: int, systems: tuple[str, ...] = SYSTEMS) -> dict:
    """Write ``out/<split>.jsonl`` (the sheet) and ``out/<split>-systems.json`` (who found what,
    for analysis after judging); return counts. ``encoder``, ``benchmarks`` (the shared
    benchmarks folder), ``work_dir`` (where the bench index is cached) and ``model_folder`` (the
    e5 folder txtai loads) come from the caller's settings (``benchmarks/staff_pool.py``).
    ``systems``: the runs pooled (after a change to congvan's ranking, its own modes are enough:
    what txtai finds does not change)."""
    from congvan.training.eval_search import _prepare

    prep = _prepare("staff", split, encoder=encoder, benchmarks=benchmarks, work_dir=work_dir,
                    show_progress=True)
    queries = {q.id: q for q in staff_bench.load_queries()}
    corpus = staff_bench.load_corpus(list(queries.values()), Path(benchmarks).parent)
    info = clause_index(corpus)
    texts = [q[1] for q in prep.bench.queries]
    runs: dict[str, list[list[tuple[str, str]]]] = {}
    for mode in ("bm25", "dense", "hybrid"):
        if mode not in systems:
            continue
        runs[mode] = [[prep.keys[s] for s in prep.col.rank(t, mode=mode, query_vector=v).slots[:depth]]
                      for t, v in zip(prep.terms, prep.vectors)]
        _say(f"{split}: congvan {mode} ranked {len(texts)} queries")
    prep.col.close()
    if "txtai" in systems:
        runs["txtai"] = txtai_rankings(corpus.letters, texts, depth, threads, out / "txtai-index", model_folder)
        _say(f"{split}: txtai ranked {len(texts)} queries")
    items, systems, counts = [], {}, {"queries": len(texts), "retrieved": 0, "judged_already": 0, "pool": 0}
    for i, (qid, text, _) in enumerate(prep.bench.queries):
        q = queries[qid]
        judged = {(f, k) for f, k, _ in q.relevant} | set(q.judged_zero)
        seen: dict[tuple[str, str], list[str]] = {}
        for system in runs:
            for rank, slot in enumerate(runs[system][i]):
                seen.setdefault(slot, []).append(f"{system}@{rank + 1}")
        counts["retrieved"] += len(seen)
        for slot, found in seen.items():
            c = info[slot]
            if any((c["file"], k) in judged for k in c["keys"]):
                counts["judged_already"] += 1
                continue
            items.append({"qid": qid, "query": text, "file": c["file"], "key": c["key"],
                          "letter": " | ".join(x for x in (c["doc_type"], c["number"], c["subject"]) if x),
                          "issuer": c["issuer"], "heading": c["heading"], "text": c["text"]})
            systems[f"{qid}|{c['file']}|{c['key']}"] = found
    # one clause can repeat under two slots (same key): judge it once
    unique = {(it["qid"], it["file"], it["key"]): it for it in items}
    items = list(unique.values())
    random.Random(seed).shuffle(items)
    counts["pool"] = len(items)
    with open(out / f"{split}.jsonl", "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    (out / f"{split}-systems.json").write_text(json.dumps(systems, ensure_ascii=False, indent=0), encoding="utf-8")
    return counts


def apply_grades(sheet: Path, grades: Path, queries_file: Path = staff_bench.QUERIES_FILE) -> dict:
    """Write the judgments of a graded sheet into the query file: grades 1/2 join ``relevant``,
    grade 0 joins ``judged_zero``. ``grades`` has lines ``<sheet line index>\t<grade>`` (the
    last line for an index wins). Returns counts per grade."""
    items = [json.loads(line) for line in Path(sheet).read_text(encoding="utf-8").splitlines() if line.strip()]
    graded: dict[int, int] = {}
    for line in Path(grades).read_text().splitlines():
        if line.strip():
            index, grade = line.split("\t")[:2]
            graded[int(index)] = int(grade)
    if missing := [i for i in range(len(items)) if i not in graded]:
        _say(f"warning: {len(missing)} sheet items are not graded; they stay unjudged")
    rows = [json.loads(line) for line in Path(queries_file).read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {row["id"]: row for row in rows}
    counts = {0: 0, 1: 0, 2: 0}
    for index, grade in sorted(graded.items()):
        it = items[index]
        row = by_id[it["qid"]]
        pair = {"file": it["file"], "key": it["key"]}
        known = {(r["file"], r["key"]) for r in row["relevant"]} | {
            (r["file"], r["key"]) for r in row.get("judged_zero", [])}
        if (it["file"], it["key"]) in known:
            continue
        if grade > 0:
            row["relevant"].append({**pair, "grade": grade})
        else:
            row.setdefault("judged_zero", []).append(pair)
        counts[grade] += 1
    Path(queries_file).write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                                  encoding="utf-8")
    return counts
