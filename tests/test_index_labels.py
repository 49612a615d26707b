"""Staff label corrections reach the stored clause, search hits and filters at once."""
from __future__ import annotations

import pytest

from congvan.index.collection import ClauseNotFound, Collection
from congvan.index.testing import HashingEncoder, make_letter


def test_update_clause_labels_changes_hits_and_filters(tmp_path) -> None:
    letter = make_letter("doc-labels", [
        ("1", "directive", "Giao Sở Y tế chủ trì tổ chức tiêm vét vắc xin sởi cho trẻ em.",
         ["vaccination"], ["so_y_te"], []),
        ("2", "directive", "Sở Thông tin và Truyền thông tăng cường tuyên truyền phòng bệnh.",
         ["communication"], ["so_tttt"], []),
    ])
    with Collection.open(tmp_path, HashingEncoder()) as col:
        col.ingest_letters([letter])
        clause_id = letter.clauses[0].clause_id
        assert col.search("tiêm vét", filters={"theme": "supplies"}).total == 0

        old = col.update_clause_labels(clause_id, ["vaccination", "supplies"], ["so_y_te"], ["cdc"])
        assert old["lead"] == ["so_y_te"] and [t["id"] for t in old["themes"]] == ["vaccination"]

        hits = col.search("tiêm vét", filters={"theme": "supplies"}).hits
        assert [h.clause_id for h in hits] == [clause_id]
        assert hits[0].support == ["cdc"]
        assert col.search("tiêm vét", filters={"agency": "cdc"}).total == 1
        stored = {c["clause_id"]: c for c in col.get_letter("doc-labels")["clauses"]}
        assert stored[clause_id]["agencies"] == {"lead": ["so_y_te"], "support": ["cdc"]}

    with Collection.open(tmp_path, HashingEncoder()) as col:  # survives reopening
        assert col.search("tiêm vét", filters={"agency": "cdc"}).total == 1
        with pytest.raises(ClauseNotFound):
            col.update_clause_labels("khong-co", [], [], [])
