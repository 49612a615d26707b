"""The staff-query benchmark: its query file, graded metrics, and gold found in parsed letters."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from congvan.training import staff_bench
from congvan.training.eval_search import _metrics

SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_query_file_is_split_and_graded():
    queries = staff_bench.load_queries()
    assert len(queries) >= 200
    assert {q.split for q in queries} == set(staff_bench.SPLITS)
    assert all(q.relevant and {g for _, _, g in q.relevant} <= {1, 2} for q in queries)
    # half of them typed without tone marks, as staff do
    assert sum("folded" in q.tags for q in queries) >= len(queries) // 3


def test_judged_zero_is_never_gold(tmp_path):
    """Pooled clauses judged not relevant are kept (as ``judged_zero`` or ``grade: 0``) but are
    never gold: not in ``relevant``, not in the ideal ranking, not counted by recall."""
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "x1", "query": "q", "split": "test", "relevant": ['
        '{"file": "a.txt", "key": "k1", "grade": 2}, {"file": "a.txt", "key": "k2", "grade": 0}], '
        '"judged_zero": [{"file": "a.txt", "key": "k3"}]}\n', encoding="utf-8")
    (q,) = staff_bench.load_queries(path)
    assert q.relevant == [("a.txt", "k1", 2)]
    assert set(q.judged_zero) == {("a.txt", "k2"), ("a.txt", "k3")}
    corpus = staff_bench.StaffCorpus([], where={("a.txt", "k1"): ("d", "1"), ("a.txt", "k3"): ("d", "3")})
    gold = staff_bench.relevant_of(q, corpus)
    assert gold == {("d", "1"): 2}
    assert _metrics([("d", "3"), ("d", "1")], gold)["recall@10"] == 1.0


def test_query_file_judgments_are_disjoint():
    """A clause is judged once per query: graded relevant or judged zero, never both."""
    for q in staff_bench.load_queries():
        graded = [(f, k) for f, k, _ in q.relevant]
        assert len(set(graded)) == len(graded), q.id
        assert not set(graded) & set(q.judged_zero), q.id


def test_graded_metrics():
    gold = {("d", "1"): 2, ("d", "2"): 1}
    perfect = _metrics([("d", "1"), ("d", "2")], gold)
    assert perfect["ndcg@10"] == pytest.approx(1.0) and perfect["mrr@10"] == 1.0
    swapped = _metrics([("d", "2"), ("d", "1")], gold)
    ideal = 2 + 1 / math.log2(3)
    assert swapped["ndcg@10"] == pytest.approx((1 + 2 / math.log2(3)) / ideal)
    assert swapped["mrr@10"] == 1.0 and swapped["recall@10"] == 1.0
    # a set of relevant keys still means grade 1 each (the public benchmarks)
    assert _metrics([("x", "1")], {("d", "1")})["ndcg@10"] == 0.0


@pytest.mark.skipif(not (SHARED / "real_letters").is_dir(), reason="../shared not present")
def test_parser_emits_most_annotated_clauses():
    queries = staff_bench.load_queries()
    corpus = staff_bench.load_corpus(queries, SHARED)
    cov = staff_bench.coverage(queries, corpus)
    assert not corpus.missing_files
    assert cov["emitted"] >= 0.9 * cov["relevant_keys"], cov
    # distractor paragraphs are keyed by source and text, so pooled judgments can name them
    assert len(corpus.distractor_keys) == staff_bench.N_LEGAL + staff_bench.N_QA
    assert {f for f, _ in corpus.distractor_keys.values()} == {"distractors/vilegalbert", "distractors/vicov19qa"}
    assert all(corpus.where[pair] for pair in corpus.distractor_keys.values())
    q = queries[0]
    gold = staff_bench.relevant_of(q, corpus)
    assert max(gold.values()) == max(g for _, _, g in q.relevant)
