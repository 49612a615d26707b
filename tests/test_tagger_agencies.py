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


# --------------------------------------------------------------------------- a conclusion notice
_VPCP_NOTICE = (
    "VĂN PHÒNG CHÍNH PHỦ\n-------\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
    "Số: 701/TB-VPCP\nHà Nội, ngày 20 tháng 11 năm 2025\n\nTHÔNG BÁO\n"
    "KẾT LUẬN CỦA PHÓ THỦ TƯỚNG CHÍNH PHỦ TẠI BUỔI LÀM VIỆC VỚI LÃNH ĐẠO TỈNH CAO BẰNG\n\n"
    "Ngày 15 tháng 11 năm 2025, Phó Thủ tướng Chính phủ đã làm việc với lãnh đạo tỉnh Cao Bằng. "
    "Sau khi nghe báo cáo, Phó Thủ tướng Chính phủ kết luận như sau:\n\n"
    "I. ĐÁNH GIÁ CHUNG\n\n"
    "1. Thay mặt Thủ tướng Chính phủ, biểu dương Đảng bộ, chính quyền và Nhân dân tỉnh Cao Bằng đã nỗ lực "
    "khắc phục hậu quả mưa lũ.\n\n"
    "2. Tỉnh Cao Bằng đã hoàn thành xóa nhà tạm, nhà dột nát trước thời hạn.\n\n"
    "3. Tỉnh Cao Bằng cần khẩn trương khắc phục tình trạng giải ngân vốn đầu tư công chậm.\n\n"
    "II. NHIỆM VỤ, GIẢI PHÁP TRONG THỜI GIAN TỚI\n\n"
    "1. Rà soát, bố trí kinh phí phòng, chống dịch bệnh cho các trạm y tế xã vùng biên giới.\n\n"
    "2. Về kiến nghị của tỉnh về hỗ trợ xe cứu thương:\n\n"
    "Giao Bộ Tài chính chủ trì, phối hợp với Bộ Y tế xem xét, báo cáo cấp có thẩm quyền.\n\n"
    "3. Để hoàn thành các dự án, đề nghị:\n\n"
    "(i) Bộ Xây dựng hướng dẫn chủ đầu tư hoàn thiện hồ sơ;\n\n"
    "(ii) Ủy ban nhân dân tỉnh Cao Bằng chỉ đạo các sở bàn giao mặt bằng đúng tiến độ;\n\n"
    "(iii) Bộ Công Thương hướng dẫn đấu nối lưới điện.\n\n"
    "Văn phòng Chính phủ thông báo để Ủy ban nhân dân tỉnh Cao Bằng và các Bộ, cơ quan liên quan biết, "
    "thực hiện./.\n")


def _clause(letter, start: str):
    return next(c for c in letter.clauses if c.text.startswith(start))


def test_a_conclusion_notice_about_one_province() -> None:
    """A VPCP notice of a working session with one province's leaders, with no "Kính gửi": what it
    orders without naming a doer is that province's; its evaluation and commendation are report
    (no agencies), unless they order something; "(i) (ii) (iii)" are sibling items under their
    lead-in; a topic caption leads nothing itself."""
    from congvan.letters.parse import parse_letter

    letter = parse_letter(_VPCP_NOTICE)
    assert letter.central and letter.doc_type.lower() == "thông báo"
    praise, done = _clause(letter, "Thay mặt Thủ tướng"), _clause(letter, "Tỉnh Cao Bằng đã hoàn thành")
    assert praise.kind == done.kind == "preamble" and not praise.agencies.lead
    order = _clause(letter, "Tỉnh Cao Bằng cần khẩn trương")
    assert order.kind == "directive" and order.agencies.lead == ["ubnd_tinh"]
    assert _clause(letter, "Rà soát, bố trí kinh phí").agencies.lead == ["ubnd_tinh"]
    caption = _clause(letter, "Về kiến nghị của tỉnh")
    assert caption.agencies.lead == []
    assert _clause(letter, "Giao Bộ Tài chính").agencies.lead == ["bo_khac"]
    items = [c for c in letter.clauses if c.path.startswith("II.3.")]
    assert [c.path for c in items] == ["II.3.i", "II.3.ii", "II.3.iii"]
    assert items[0].text.startswith("Bộ Xây dựng") and items[0].agencies.lead == ["bo_khac"]
    assert items[1].agencies.lead == ["ubnd_tinh"]


_COMMUNE_LETTER = (
    "ỦY BAN NHÂN DÂN\nXÃ TÂN HƯNG\n-------\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
    "Số: 215/UBND-VP\nV/v tăng cường phòng, chống dịch sốt xuất huyết trên địa bàn xã\n"
    "{place}, ngày 12 tháng 8 năm 2025\n\nKính gửi:\n- Các ban, ngành, đoàn thể xã;\n- Trạm Y tế xã;\n"
    "- Trưởng các thôn, ấp.\n\n"
    "Thực hiện Công văn số 1432/SYT-NVY ngày 05/8/2025 của Sở Y tế tỉnh Tây Ninh về việc tăng cường phòng, "
    "chống sốt xuất huyết; Ủy ban nhân dân xã đề nghị các cơ quan, đơn vị thực hiện tốt một số nội dung sau:\n"
    "1. Các ban, ngành, đoàn thể xã tăng cường tuyên truyền để người dân chủ động diệt lăng quăng, bọ gậy.\n"
    "2. Giao Trạm Y tế xã chủ trì, phối hợp với Công an xã tổ chức phun hóa chất diệt muỗi tại các ổ dịch.\n"
    "3. Các cơ quan, đơn vị trên địa bàn tổ chức tổng vệ sinh khuôn viên cơ quan vào sáng thứ Sáu hằng tuần.\n"
    "4. Trưởng các thôn, ấp vận động nhân dân ngủ màn, phát quang bụi rậm.\n"
    "Đề nghị các cơ quan, đơn vị nghiêm túc thực hiện./.\n\nNơi nhận:\n- Như trên;\n- Lưu: VT.\n"
    "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Văn An\n"
)


@pytest.mark.parametrize(("header", "commune"), [("ỦY BAN NHÂN DÂN\nXÃ TÂN HƯNG", True),
                                                  ("ỦY BAN NHÂN DÂN\nTHỊ XÃ TÂN HƯNG", False),
                                                  ("ỦY BAN NHÂN DÂN\nTỈNH TÂY NINH", False)])
def test_a_communes_offices_are_not_the_provinces_departments(header: str, commune: bool) -> None:
    """In a commune's own letter "các cơ quan, đơn vị" are the commune's offices, which have no id
    (guideline: a commune's offices, hamlets and staff → nothing), so neither they nor the items
    their lead-in covers read as the province's departments; its named bodies keep their ids. The
    same words in a province's (or a district-level town's, "thị xã") letter are `cac_so_nganh`."""
    from congvan.letters.parse import parse_letter

    letter = parse_letter(_COMMUNE_LETTER.replace("ỦY BAN NHÂN DÂN\nXÃ TÂN HƯNG", header)
                          .replace("{place}", "Tân Hưng"))
    offices = _clause(letter, "Các cơ quan, đơn vị trên địa bàn")
    hamlets = _clause(letter, "Trưởng các thôn")
    assert _clause(letter, "Giao Trạm Y tế xã").agencies.lead == ["co_so_y_te"]
    if commune:
        assert offices.agencies.lead == [] and hamlets.agencies.lead == []
    else:
        assert offices.agencies.lead == ["cac_so_nganh"] and hamlets.agencies.lead == ["cac_so_nganh"]


def test_lone_letters_i_v_x_stay_letters() -> None:
    """"(h) … (i) … (k)": a lone "(i)" after "(h)" is the letter i, not a roman one."""
    from congvan.letters.parse.markers import _marker, resolve_romans

    marks = resolve_romans([_marker(t) for t in ("(h) Sở Y tế tiêm vắc xin.", "(i) Sở Tài chính bố trí kinh phí.",
                                                 "(k) Công an tỉnh bảo đảm an ninh.")])
    assert [m.kind for m in marks] == ["pletter", "pletter", "pletter"]
    marks = resolve_romans([_marker(t) for t in ("(iv) Sở Y tế tiêm vắc xin.", "(v) Sở Tài chính bố trí kinh phí.")])
    assert [(m.kind, m.value) for m in marks] == [("proman", 4), ("proman", 5)]


def test_the_issuers_own_plan_is_no_lead_in_giao_duc_is_no_giao() -> None:
    """"… của Sở Giáo dục và Đào tạo …; UBND tỉnh ban hành Kế hoạch …, cụ thể như sau:" orders
    nobody: folded, "Giáo dục" reads "giao", which must not make the preamble a lead-in whose
    speaker every item inherits."""
    from congvan.letters.parse import parse_letter

    text = ("ỦY BAN NHÂN DÂN\nTỈNH BÌNH ĐỊNH\nSố: 22/KH-UBND\nBình Định, ngày 15 tháng 2 năm 2023\nKẾ HOẠCH\n"
            "Triển khai Chương trình Sức khỏe học đường năm 2023\n"
            "Thực hiện Quyết định số 85/QĐ-TTg của Thủ tướng Chính phủ; trên cơ sở đề xuất của Sở Giáo dục và Đào "
            "tạo; UBND tỉnh ban hành Kế hoạch triển khai Chương trình Sức khỏe học đường, cụ thể như sau:\n"
            "I. MỤC TIÊU\n1. Nâng cao chất lượng y tế trường học.\n")
    letter = parse_letter(text)
    assert [c.agencies.lead for c in letter.clauses if c.kind == "directive"] == [[]]
