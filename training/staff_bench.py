"""The staff-query benchmark: short queries as provincial staff type them, over real letters.

Queries live in ``training/data/search/staff_queries.jsonl`` (team-written, half tone-less, split
``tune`` / ``test``), each with graded relevance per clause keyed as ``{"file", "key", "grade"}``:
``file`` relative to the shared folder (``real_letters/texts/…``, ``seeds/…``) or to the repository
(``samples/letters/…``), ``key`` a :mod:`training.clause_keys` key. No letter text is stored here.

Corpus: every letter the queries cite, read and parsed through the real pipeline
(``corpus_letter``, the ingest parser), plus a fixed sample of real distractor paragraphs from the shared
benchmarks (viLegalBERT article rows and UIT-ViCoV19QA answers, chosen by a hash of their text so
the sample never changes with file order). Gold clauses are found by recomputing the keys of
every parsed clause; annotated clauses the parser does not emit stay in the ideal ranking (they
cost nDCG and recall), and ``coverage`` says how many there are.

Grades: 2 = answers the query, 1 = related; clauses judged not relevant are listed per query in
``judged_zero`` (``{"file", "key"}``; a ``grade: 0`` entry in ``relevant`` means the same) so that
pooling (:mod:`training.staff_pool`) only asks for what no one judged yet. Grade 0 is never gold.
Distractor paragraphs are keyed ``file = "distractors/vilegalbert"`` or ``"distractors/vicov19qa"``
and ``key = clause_key(text)`` (the sample is fixed by text hashes, so these keys are stable).
"""
from __future__ import annotations

import csv
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from congvan.letters.schema import Clause, Letter
from congvan.letters.text import nfc
from congvan.training.clause_keys import clause_key, clause_keys

QUERIES_FILE = Path(__file__).resolve().parent / "data" / "search" / "staff_queries.jsonl"
REPO_ROOT = Path(__file__).resolve().parent.parent
SPLITS = ("tune", "test")
#: Fixed distractor sample sizes (by sha1 of the text): legal articles and health-authority answers.
N_LEGAL = 1000
N_QA = 400
GROUP = 100  # distractor paragraphs per synthetic letter

csv.field_size_limit(sys.maxsize)


@dataclass
class StaffQuery:
    id: str
    text: str
    split: str
    tags: list[str]
    relevant: list[tuple[str, str, int]]  # (file, key, grade), grade 1 or 2
    #: (file, key) of clauses judged not relevant (pooled and read: grade 0)
    judged_zero: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StaffCorpus:
    letters: list[Letter]
    #: (file, key) → (doc_id, path) of the parsed clause carrying that key
    where: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    missing_files: list[str] = field(default_factory=list)
    #: (doc_id, path) of a distractor paragraph → its (file, key)
    distractor_keys: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)


def load_queries(path: Path = QUERIES_FILE) -> list[StaffQuery]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        graded = [(r["file"], r["key"], int(r["grade"])) for r in row["relevant"]]
        zero = [(r["file"], r["key"]) for r in row.get("judged_zero", [])]
        zero += [(f, k) for f, k, g in graded if g <= 0]
        out.append(StaffQuery(row["id"], nfc(row["query"]), row["split"], list(row.get("tags", [])),
                              [r for r in graded if r[2] > 0], zero))
    return out


def distractor_file(source: str) -> str:
    """The ``file`` a distractor paragraph of ``source`` (vilegalbert, vicov19qa) is keyed under."""
    return f"distractors/{source}"


def _resolve(file: str, shared: Path) -> Path:
    return REPO_ROOT / file if file.startswith("samples/") else shared / file


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _distractor_texts(benchmarks: Path) -> list[tuple[str, str]]:
    """(source, text) of the fixed distractor sample."""
    legal: dict[str, str] = {}
    for name in ("train.csv", "validation.csv", "test.csv"):
        path = benchmarks / "vilegalbert" / name
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                text = " ".join(nfc(row.get("article") or row.get("text") or "").split())
                if len(text) >= 40:
                    legal.setdefault(_sha(text), text)
    qa: dict[str, str] = {}
    for split in ("train", "val", "test"):
        path = benchmarks / "uit_vicov19qa" / f"UIT-ViCoV19QA_1ans_{split}.csv"
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="|")
            next(reader)
            for row in reader:
                if len(row) >= 3:
                    text = " ".join(nfc(row[2]).split())
                    if len(text) >= 40:
                        qa.setdefault(_sha(text), text)
    pick = [("vilegalbert", legal[h]) for h in sorted(legal)[:N_LEGAL]]
    pick += [("vicov19qa", qa[h]) for h in sorted(qa)[:N_QA]]
    return pick


def _distractor_letters(benchmarks: Path,
                        keys: dict[tuple[str, str], tuple[str, str]] | None = None) -> list[Letter]:
    """The distractor sample as synthetic letters of ``GROUP`` paragraphs; ``keys`` gets each
    paragraph's (doc_id, path) → (file, key)."""
    texts = _distractor_texts(benchmarks)
    letters = []
    for start in range(0, len(texts), GROUP):
        group = texts[start:start + GROUP]
        doc_id = _sha("staff-distractors\0" + "\0".join(t for _, t in group))[:16]
        clauses = [Clause(clause_id=f"distractor-{start + i}", path=f"d{start + i}", kind="directive",
                          text=text, order=i) for i, (_, text) in enumerate(group)]
        letters.append(Letter(doc_id=doc_id, doc_type="Tham khảo", subject=f"{group[0][0]} distractors",
                              clauses=clauses, source=f"distractors/{start // GROUP}"))
        if keys is not None:
            for (source, text), clause in zip(group, clauses):
                keys[(doc_id, clause.path)] = (distractor_file(source), clause_key(text))
    return letters


def load_corpus(queries: list[StaffQuery], shared: Path) -> StaffCorpus:
    """Parse every cited letter (real pipeline) and add the distractors."""
    from congvan.letters.pipeline import corpus_letter

    shared = Path(shared)
    benchmarks = shared / "benchmarks"
    if not benchmarks.is_dir():
        raise FileNotFoundError(f"benchmark data not found at {benchmarks}; set CONGVAN_SHARED_DIR")
    files = sorted({f for q in queries for f, _, _ in q.relevant if not f.startswith("distractors/")})
    corpus = StaffCorpus([])
    seen: set[str] = set()
    for file in files:
        path = _resolve(file, shared)
        if not path.is_file():
            corpus.missing_files.append(file)
            continue
        letter = corpus_letter(path)
        if letter.doc_id in seen:
            continue
        seen.add(letter.doc_id)
        letter.source = file
        corpus.letters.append(letter)
        for clause in letter.clauses:
            for key in clause_keys(clause.text):
                corpus.where.setdefault((file, key), (letter.doc_id, clause.path))
    corpus.letters.extend(_distractor_letters(benchmarks, corpus.distractor_keys))
    for slot, pair in corpus.distractor_keys.items():
        corpus.where.setdefault(pair, slot)
    return corpus


def relevant_of(query: StaffQuery, corpus: StaffCorpus) -> dict[tuple[str, str], int]:
    """Graded gold of a query as (doc_id, path) → grade; unparsed clauses keep a placeholder key
    that no ranked slot can have, so they still count in the ideal ranking."""
    gold: dict[tuple[str, str], int] = {}
    for file, key, grade in query.relevant:
        if grade <= 0:
            continue
        slot = corpus.where.get((file, key), ("missing:" + file, key))
        gold[slot] = max(gold.get(slot, 0), grade)
    return gold


def coverage(queries: list[StaffQuery], corpus: StaffCorpus) -> dict[str, int]:
    """How many annotated relevant clauses the parser emits (by key)."""
    pairs = {(f, k) for q in queries for f, k, g in q.relevant if g > 0}
    found = sum(p in corpus.where for p in pairs)
    return {"relevant_keys": len(pairs), "emitted": found, "not_emitted": len(pairs) - found}
