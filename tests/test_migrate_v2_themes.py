"""The team data's themes follow taxonomy v2 (``training.migrate_v2_themes``)."""
from __future__ import annotations

from congvan.training.migrate_v2_themes import main, migrate_themes


def test_the_shipped_team_data_is_already_migrated() -> None:
    assert main(["--check"]) == 0


def test_animal_vaccination_is_animal_health_not_vaccination() -> None:
    obj = {"id": "x-1", "kind": "directive", "themes": ["vaccination"],
           "text": "Tổ chức tiêm phòng vắc xin cúm gia cầm cho đàn gà, vịt tại các xã có nguy cơ cao."}
    assert migrate_themes(obj) == (["animal_health"], ["vaccination"])
    # people and animals in one clause: both themes
    both = {"id": "x-2", "kind": "directive", "themes": ["vaccination"],
            "text": "Tiêm vắc xin phòng dại cho người bị chó cắn; trên 80% đàn chó, mèo được tiêm phòng."}
    assert migrate_themes(both) == (["animal_health"], [])
    assert both["themes"] == ["vaccination", "animal_health"]


def test_larva_control_and_clean_up_get_their_v2_themes_and_preambles_nothing() -> None:
    obj = {"id": "x-3", "kind": "directive", "themes": ["prevention_measures"],
           "text": "Tổ chức chiến dịch diệt lăng quăng, tổng vệ sinh môi trường tại khu dân cư."}
    assert migrate_themes(obj) == (["vector_control", "sanitation"], [])
    pre = {"id": "x-4", "kind": "preamble", "themes": [], "text": "Trước tình hình dịch sốt xuất huyết, diệt muỗi …"}
    assert migrate_themes(pre) == ([], []) and pre["themes"] == []
