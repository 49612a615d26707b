"""Lead/support agencies as the tagger decides them, on the seed letters' own sentences.

The parser's rule tests live in tests/test_agencies.py; here: the dataset-level path
(``models.tagger.rule_roles``: a clause known by its text and heading), agreement with the
hand labels of the three real letters, and the full ``congvan tag`` pipeline on a seed letter.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from congvan.letters.taxonomy import load_taxonomy
from congvan.models.tagger import doc_context, rule_roles
from congvan.training.dataset import DATA_DIR, load_records
from congvan.training.evaluate_tagger import agency_metrics

os.environ.setdefault("CONGVAN_TAGGER_PRESET", "smoke")

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
HEAD_2 = "Giao Sở Y tế chủ trì, phối hợp với UBND các huyện, thành phố và các cơ quan liên quan"


def lead_support(text: str, heading: str | None = None) -> tuple[list[str], list[str]]:
    r = rule_roles(text, heading)
    return r.lead, r.support


def test_chu_tri_is_lead_and_phoi_hop_is_support() -> None:
    assert lead_support(HEAD_2) == (["so_y_te"], ["ubnd_huyen"])
    assert lead_support("Sở Lao động - Thương binh và Xã hội chủ trì, phối hợp với các cơ quan liên quan "
                        "tiếp tục rà soát các chính sách an sinh xã hội.") == (["so_ldtbxh"], [])


def test_lettered_sub_items_inherit_the_heading() -> None:
    text = "Thúc đẩy tiêm vắc xin phòng COVID-19 đạt mục tiêu đề ra của Chính phủ, Thủ tướng Chính phủ;"
    assert lead_support(text, HEAD_2) == (["so_y_te"], ["ubnd_huyen"])


def test_a_sub_item_naming_its_own_subject_does_not_inherit() -> None:
    head = ("Sở Y tế, UBND các huyện, thành phố theo chức năng, nhiệm vụ có trách nhiệm chủ trì, phối hợp "
            "chặt chẽ, có hiệu quả với các cơ quan liên quan:")
    text = ("Chủ tịch UBND các huyện, thành phố chịu trách nhiệm chỉ đạo về việc tổ chức tiêm vắc xin "
            "phòng COVID-19 trên địa bàn.")
    assert lead_support(head) == (["so_y_te", "ubnd_huyen"], [])  # several leads
    assert lead_support(text, head) == (["ubnd_huyen"], [])


def test_several_bodies_addressed_are_all_leads() -> None:
    text = ("Yêu cầu các sở, ban, ngành, UBND các huyện, thành phố, đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam "
            "tỉnh và các tổ chức chính trị - xã hội tỉnh theo chức năng, nhiệm vụ tiếp tục quán triệt …")
    assert lead_support(text) == (["cac_so_nganh", "ubnd_huyen", "mttq"], [])
    assert lead_support("Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh, Ban Dân vận Tỉnh ủy tiếp tục chỉ "
                        "đạo triển khai vận động các nguồn lực cho phòng, chống dịch.") == (["mttq", "ban_dan_van"], [])


def test_referenced_issuers_are_not_responsible() -> None:
    cited = ("Triển khai thực hiện nghiêm Công điện số 11/CĐ-TTg của Thủ tướng Chính phủ và Công văn số "
             "2116/BYT-DP của Bộ Y tế về tăng cường phòng, chống dịch.")
    assert lead_support(cited) == ([], [])
    assert lead_support(cited, HEAD_2) == (["so_y_te"], ["ubnd_huyen"])
    text = ("Tăng cường giám sát tại các cửa khẩu; phối hợp chặt chẽ với các đơn vị của Bộ Y tế để chủ động "
            "phát hiện sớm các biến thể mới của vi rút SARS-CoV-2;")
    assert lead_support(text, HEAD_2) == (["so_y_te"], ["ubnd_huyen"])


def test_the_object_of_the_leads_action_is_support_not_lead() -> None:
    text = ("Sở Thông tin và Truyền thông chủ trì, phối hợp các cơ quan liên quan chỉ đạo các cơ quan báo chí, "
            "truyền thông và hệ thống thông tin cơ sở tập trung triển khai công tác tuyên truyền.")
    assert lead_support(text) == (["so_tttt"], ["bao_chi"])


def _real_records() -> list:
    if not SEEDS.is_dir():
        pytest.skip("../shared not found: the real letters' texts are not in git")
    return [r for r in load_records(DATA_DIR, shared_dir=SEEDS.parent) if r.kind == "directive"]


def test_rules_agree_with_the_hand_labels_of_the_real_letters() -> None:
    """Seed letters (provincial, 2022-2023): the v1 rules' home ground, near perfect."""
    seeds = [r for r in _real_records() if r.source == "seed"]
    assert len(seeds) >= 25
    ids = load_taxonomy().agency_ids
    pred = [rule_roles(r.text, r.heading, **doc_context(r.doc)) for r in seeds]
    lead = agency_metrics([r.lead for r in seeds], [p.lead for p in pred], ids)["micro"]["f1"]
    support = agency_metrics([r.support for r in seeds], [p.support for p in pred], ids)["micro"]["f1"]
    assert lead >= 0.9 and support >= 0.8, (lead, support)


def test_rules_on_the_real_letters_of_every_level() -> None:
    """69 real letters (central and provincial, 2015-2025), train+dev split: a floor that catches a
    regression (figures in training/data/README.md; the letter level and date are passed)."""
    splits = json.loads((DATA_DIR / "splits.json").read_text(encoding="utf-8"))["letters"]
    dev = set(splits["train"]) | set(splits["dev"])
    recs = [r for r in _real_records() if r.source == "real" and r.letter_id in dev]
    assert len(recs) >= 500
    ids = load_taxonomy().agency_ids
    pred = [rule_roles(r.text, r.heading, **doc_context(r.doc)) for r in recs]
    lead = agency_metrics([r.lead for r in recs], [p.lead for p in pred], ids)["micro"]
    assert lead["precision"] >= 0.8 and lead["f1"] >= 0.65, lead
    # without the letter level, central letters lose their ministries: the flag matters
    flat = [rule_roles(r.text, r.heading) for r in recs]
    assert agency_metrics([r.lead for r in recs], [p.lead for p in flat], ids)["micro"]["f1"] < lead["f1"]


def test_tag_a_seed_letter_end_to_end(encoder) -> None:  # encoder: model converted in the test home
    if not SEEDS.is_dir():
        pytest.skip("shared seeds not found")
    from congvan.letters.pipeline import letter_from_file
    from congvan.service.config import BUNDLED_MODEL, Settings
    from congvan.service.tagging import tag_letter
    from tests.conftest import TEST_HOME

    letter = tag_letter(letter_from_file(SEEDS / "000_c27e4899c8171dca.txt"),
                        Settings(home=TEST_HOME, model=BUNDLED_MODEL))
    by_path = {c.path: c for c in letter.clauses}
    assert by_path["2.a"].agencies.lead == ["so_y_te"] and by_path["2.a"].agencies.support == ["ubnd_huyen"]
    assert by_path["3"].agencies.lead == ["so_tttt"]
    assert by_path["preamble"].themes == [] and by_path["closing"].themes == []
    known = set(load_taxonomy().theme_ids)
    for c in letter.clauses:
        assert {t.id for t in c.themes} <= known
        assert [t.score for t in c.themes] == sorted((t.score for t in c.themes), reverse=True)
