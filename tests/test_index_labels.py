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


def test_recorded_corrections_survive_retagging_and_a_new_version_of_the_file(tmp_path) -> None:
    from congvan.index.corrections import NoChange, record_correction

    a = "Giao Sở Y tế chủ trì tổ chức tiêm vét vắc xin sởi cho trẻ em."
    b = "Sở Thông tin và Truyền thông tăng cường tuyên truyền phòng bệnh."
    v1 = make_letter("doc-v1", [("1", "directive", a, ["vaccination"], ["so_y_te"], []),
                                ("2", "directive", b, ["communication"], ["so_tttt"], [])], source="/x/cv.txt")
    with Collection.open(tmp_path / "idx", HashingEncoder()) as col:
        col.ingest_letters([v1], replace_source=True)
        rec = record_correction(col, col.corrections, v1.clauses[0].clause_id, themes=["supplies"], lead=["cdc"])
        assert rec["new"] == {"themes": ["supplies"], "lead": ["cdc"], "support": []}
        assert (tmp_path / "idx" / "corrections" / "corrections.jsonl").is_file()
        with pytest.raises(NoChange):
            record_correction(col, col.corrections, v1.clauses[0].clause_id, themes=["supplies"])
        # The tagger is retrained: the same letter comes back with other tags, the correction stays.
        retagged = make_letter("doc-v1", [("1", "directive", a, ["leadership"], ["so_y_te"], []),
                                          ("2", "directive", b, ["leadership"], ["so_tttt"], [])], source="/x/cv.txt")
        assert [r.status for r in col.ingest_letters([retagged], replace_source=True)] == ["updated"]
        first = col.get_letter("doc-v1")["clauses"][0]
        assert [t["id"] for t in first["themes"]] == ["supplies"] and first["agencies"]["lead"] == ["cdc"]
        # A new version of the same file: the unchanged clause keeps its correction.
        v2 = make_letter("doc-v2", [("1", "directive", a, ["vaccination"], ["so_y_te"], []),
                                    ("2", "directive", "Một điều khoản mới về xét nghiệm.", ["testing"], [], [])],
                         source="/x/cv.txt")
        assert col.upsert_letter(v2, replace_source=True).status == "replaced"
        first = col.get_letter("doc-v2")["clauses"][0]
        assert [t["id"] for t in first["themes"]] == ["supplies"] and first["agencies"]["lead"] == ["cdc"]
        assert col.search("tiêm vét", filters={"agency": "cdc"}).total == 1
