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
    q = queries[0]
    gold = staff_bench.relevant_of(q, corpus)
    assert max(gold.values()) == max(g for _, _, g in q.relevant)
