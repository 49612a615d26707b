"""Agency mentions and lead/support roles on real clause wording (see letters/agencies.py rules)."""
from __future__ import annotations

import pytest

from congvan.letters.agencies import assign_roles, find_bodies, find_mentions
from congvan.letters.schema import AgencyRoles


def ids(text: str) -> list[str]:
    return [m.agency for m in find_mentions(text)]


def roles(text: str, inherited: AgencyRoles | None = None) -> tuple[list[str], list[str]]:
    r, _ = assign_roles(text, inherited)
    return r.lead, r.support


# --------------------------------------------------------------------------- matching
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sở Y tế", ["so_y_te"]),
        ("SỞ Y TẾ", ["so_y_te"]),
        ("So Y te", ["so_y_te"]),  # typed without tone marks
        ("Uỷ ban nhân dân tỉnh", ["ubnd_tinh"]),  # new-style tone placement
        ("Sở TT&TT", ["so_tttt"]),
        ("Sở TTTT", ["so_tttt"]),
        ("Sở Thông tin và Truyền thông", ["so_tttt"]),
        ("Sở LĐ-TB&XH", ["so_ldtbxh"]),
        ("Sở Lao động – Thương binh và Xã hội", ["so_ldtbxh"]),  # en dash
        ("Sở GD&ĐT", ["so_gddt"]),
        ("ngành Giáo dục", ["so_gddt"]),
        ("CDC tỉnh", ["cdc"]),
        ("Trung tâm Kiểm soát bệnh tật tỉnh", ["cdc"]),
        ("UBND các huyện, thị xã, thành phố", ["ubnd_huyen"]),
        ("Uỷ ban nhân dân quận, huyện", ["ubnd_huyen"]),
        ("UBND huyện Quế Phong", ["ubnd_huyen"]),
        ("các địa phương", ["ubnd_huyen"]),
        ("Trưởng Ban Chỉ đạo phòng, chống dịch COVID-19 các huyện, thành phố", ["ubnd_huyen"]),
        ("Thủ trưởng các cơ quan, đơn vị", ["cac_so_nganh"]),
        ("các sở, ngành, đoàn thể", ["cac_so_nganh"]),
        ("Ủy ban MTTQ Việt Nam tỉnh", ["mttq"]),
        ("Mặt trận Tổ quốc", ["mttq"]),
        ("Báo Lạng Sơn", ["bao_chi"]),
        ("Đài Phát thanh và Truyền hình tỉnh", ["bao_chi"]),
        ("hệ thống thông tin cơ sở", ["bao_chi"]),
        ("Ban Dân vận Tỉnh ủy", ["ban_dan_van"]),
        ("thành viên Ban Chỉ đạo phòng, chống dịch COVID-19 tỉnh", ["bcd_tinh"]),
        ("Ủy viên Ban Thường vụ Tỉnh ủy", ["bcd_tinh"]),
        ("Cục QLTT", ["qltt"]),
    ],
)
def test_aliases_are_matched_case_and_accent_insensitively(text: str, expected: list[str]) -> None:
    assert ids(text) == expected


def test_longest_alias_wins_and_matches_do_not_overlap() -> None:
    mentions = find_mentions("Chủ tịch UBND các huyện, thành phố và Ban Dân vận Tỉnh ủy")
    assert [(m.agency, m.text) for m in mentions] == [
        ("ubnd_huyen", "Chủ tịch UBND các huyện, thành phố"),
        ("ban_dan_van", "Ban Dân vận Tỉnh ủy"),
    ]
    spans = [(m.start, m.start + len(m.text)) for m in mentions]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_offsets_point_into_the_original_text() -> None:
    text = "Giao Sở Y tế chủ trì, phối hợp với Sở GD&ĐT"
    for m in find_mentions(text):
        assert text[m.start:m.start + len(m.text)] == m.text


def test_sources_and_national_bodies_are_not_agencies() -> None:
    assert ids("Bộ Y tế, Chính phủ, Thủ tướng Chính phủ, Văn phòng Chính phủ") == []
    # "Ban Chỉ đạo Quốc gia" must not be read as the provincial steering committee
    assert ids("kết luận của Ban Chỉ đạo Quốc gia phòng, chống dịch COVID-19") == []
    assert [h.category for h in find_bodies("Bộ Y tế")] == ["source"]


def test_proper_alias_needs_a_capital() -> None:
    assert ids("Báo Lạng Sơn") == ["bao_chi"]
    assert ids("thông báo Lạng Sơn") == []


# --------------------------------------------------------------------------- roles: seeds
def test_giao_x_chu_tri_phoi_hop_voi_y() -> None:
    assert roles("Giao Sở Y tế chủ trì, phối hợp với UBND các huyện, thành phố và các cơ quan liên quan") \
        == (["so_y_te"], ["ubnd_huyen"])


def test_bodies_the_lead_directs_to_act_are_support() -> None:
    text = ("Giao Sở Thông tin và Truyền thông chủ trì, phối hợp với Sở Y tế, UBND các huyện, thành phố "
            "chỉ đạo các cơ quan truyền thông tiếp tục tăng cường tuyên truyền phòng bệnh")
    r, mentions = assign_roles(text, None)
    assert (r.lead, r.support) == (["so_tttt"], ["so_y_te", "ubnd_huyen", "bao_chi"])
    assert [(m.agency, m.role) for m in mentions][-1] == ("bao_chi", "support")
    r, _ = assign_roles("Sở Y tế hướng dẫn, đôn đốc Trung tâm Kiểm soát bệnh tật tỉnh giám sát ca bệnh", None)
    assert (r.lead, r.support) == (["so_y_te"], ["cdc"])


def test_several_bodies_addressed_are_several_leads() -> None:
    assert roles("Sở Y tế, UBND các huyện, thành phố theo chức năng, nhiệm vụ có trách nhiệm chủ trì, "
                 "phối hợp chặt chẽ, có hiệu quả với các cơ quan liên quan:") == (["so_y_te", "ubnd_huyen"], [])
    assert roles("Yêu cầu sở, ban, ngành, UBND các huyện, thành phố; đề nghị Ủy ban Mặt trận Tổ quốc và "
                 "các tổ chức chính trị - xã hội tỉnh theo chức năng, nhiệm vụ:") \
        == (["cac_so_nganh", "ubnd_huyen", "mttq"], [])
    assert roles("Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh, Ban Dân vận Tỉnh ủy tiếp tục chỉ đạo "
                 "triển khai vận động các nguồn lực") == (["mttq", "ban_dan_van"], [])


def test_cited_issuers_are_never_leads() -> None:
    text = ("Yêu cầu các sở, ban, ngành, UBND các huyện, thành phố tiếp tục quán triệt các chỉ đạo của Chính "
            "phủ, Thủ tướng Chính phủ, Tỉnh ủy; triển khai Kế hoạch số 37/KH-UBND ngày 16/02/2023 của UBND tỉnh.")
    r, mentions = assign_roles(text, None)
    assert r.lead == ["cac_so_nganh", "ubnd_huyen"]
    assert ("ubnd_tinh", "mention") in [(m.agency, m.role) for m in mentions]
    assert "ubnd_tinh" not in r.lead + r.support


def test_bao_chi_lead_with_its_own_support() -> None:
    text = ("Báo Lạng Sơn, Đài Phát thanh và Truyền hình tỉnh tăng cường tuyên truyền về tình hình tiêm vắc "
            "xin; phối hợp với Sở Y tế cập nhật số liệu và phát trên sóng của Đài.")
    assert roles(text) == (["bao_chi"], ["so_y_te"])


def test_membership_folds_into_the_steering_committee() -> None:
    text = ("Các đồng chí Ủy viên Ban Thường vụ Tỉnh ủy; lãnh đạo các sở, ban, ngành là thành viên Ban Chỉ "
            "đạo phòng, chống dịch COVID-19 tỉnh")
    assert roles(text) == (["bcd_tinh"], [])


# --------------------------------------------------------------------------- roles: rules
def test_sub_items_inherit_unless_they_name_their_own_subject() -> None:
    heading = AgencyRoles(["so_y_te", "ubnd_huyen"], [])
    assert roles("Bảo đảm đủ số lượng, phân bổ kịp thời vắc xin phòng COVID-19.", heading) == (
        ["so_y_te", "ubnd_huyen"], [])
    assert roles("Chủ tịch UBND các huyện, thành phố chịu trách nhiệm chỉ đạo về việc tổ chức tiêm vắc xin "
                 "theo chỉ đạo của Chính phủ", heading) == (["ubnd_huyen"], [])


def test_inherited_mentions_are_flagged() -> None:
    _, mentions = assign_roles("Tổ chức tiêm vét;", AgencyRoles(["so_y_te"], ["ubnd_huyen"]))
    assert [(m.agency, m.role, m.inherited, m.start) for m in mentions] == [
        ("so_y_te", "lead", True, -1), ("ubnd_huyen", "support", True, -1)]


def test_a_sub_item_adds_its_own_support_to_the_inherited_roles() -> None:
    assert roles("Phối hợp với Sở Giáo dục và Đào tạo tổ chức tiêm cho học sinh.",
                 AgencyRoles(["so_y_te"], ["ubnd_huyen"])) == (["so_y_te"], ["ubnd_huyen", "so_gddt"])


def test_speaker_is_not_the_lead() -> None:
    assert roles("UBND tỉnh giao Sở Y tế chủ trì tổ chức thực hiện.") == (["so_y_te"], [])


def test_chu_tri_after_the_name_anywhere() -> None:
    assert roles("Việc rà soát đối tượng do Sở Y tế chủ trì, phối hợp với Sở GD&ĐT thực hiện.") == (
        ["so_y_te"], ["so_gddt"])


def test_subject_told_to_cooperate_is_support_under_a_lead() -> None:
    assert roles("Giao Sở TT&TT chủ trì, Sở Y tế phối hợp tuyên truyền.") == (["so_tttt"], ["so_y_te"])


def test_with_no_lead_anywhere_the_addressed_body_leads() -> None:
    assert roles("Đề nghị Ủy ban MTTQ tỉnh phối hợp vận động Nhân dân.") == (["mttq"], [])
    # but under a heading with a lead it stays support
    assert roles("Đề nghị Ủy ban MTTQ tỉnh phối hợp vận động.", AgencyRoles(["so_y_te"], [])) == (
        ["so_y_te"], ["mttq"])


def test_a_body_outside_the_taxonomy_is_still_a_subject() -> None:
    """'Công an tỉnh chủ trì' names its own subject: nothing is inherited, Sở Y tế supports."""
    assert roles("Công an tỉnh chủ trì, phối hợp với Sở Y tế kiểm tra.", AgencyRoles(["cac_so_nganh"], [])) == (
        [], ["so_y_te"])


def test_bodies_reported_to_or_answered_to_are_mentions() -> None:
    text = ("Tổ chức thực hiện nghiêm túc, chịu trách nhiệm trước Tỉnh ủy, UBND tỉnh, Chủ tịch UBND tỉnh; "
            "kiến nghị, đề xuất Trưởng Ban Chỉ đạo phòng, chống dịch tỉnh xem xét.")
    r, mentions = assign_roles(text, None)
    assert (r.lead, r.support) == ([], [])
    assert {m.role for m in mentions} == {"mention"}


def test_no_agency_no_roles() -> None:
    assert roles("Các nhà trường bố trí phòng cách ly tạm thời.") == ([], [])


def test_a_party_body_steering_the_government_makes_it_the_lead() -> None:
    assert roles("Ban cán sự đảng UBND tỉnh lãnh đạo, chỉ đạo UBND tỉnh tập trung các nội dung:") == (
        ["ubnd_tinh"], [])
    assert roles("Đảng đoàn HĐND tỉnh, Ban cán sự đảng Ủy ban nhân dân tỉnh lãnh đạo, chỉ đạo "
                 "Ủy ban nhân dân tỉnh bố trí nguồn lực cho phòng, chống dịch.")[0] == ["ubnd_tinh"]
    # a government lead keeps directed bodies as support (rule 4), party rule does not apply
    assert roles("Sở TT&TT chủ trì, chỉ đạo các cơ quan báo chí tuyên truyền.") == (["so_tttt"], ["bao_chi"])


def test_an_opening_phrase_does_not_hide_the_subject() -> None:
    assert roles("Để người dân chủ động đăng ký trước khi về, Sở Thông tin và Truyền thông phối hợp với "
                 "Sở Y tế hướng dẫn các cơ quan báo chí thông báo rộng rãi quy trình.") == (
        ["so_tttt"], ["so_y_te", "bao_chi"])
    assert roles("Theo địa bàn được phân công, các đồng chí thành viên Ban Chỉ đạo phòng, chống dịch "
                 "COVID-19 tỉnh kiểm tra, đôn đốc việc tổ chức các hoạt động vui Xuân.")[0] == ["bcd_tinh"]


def test_lists_of_sectors_and_localities() -> None:
    assert roles("Sở Y tế chủ trì, phối hợp với các sở, ngành, địa phương:") == (
        ["so_y_te"], ["cac_so_nganh", "ubnd_huyen"])
    assert roles("Sở Y tế phối hợp với các quận, huyện điều tra dịch tễ.")[1] == ["ubnd_huyen"]
    # the district health centres are not the district governments
    assert roles("Trung tâm Y tế các huyện, thị xã, thành phố lập danh sách F0.") == ([], [])


def test_a_standing_body_description_is_not_a_second_lead() -> None:
    assert roles("Sở Y tế - Cơ quan thường trực Ban Chỉ đạo tỉnh chủ trì, phối hợp với UBND các huyện, "
                 "thị xã, thành phố:") == (["so_y_te"], ["ubnd_huyen"])


def test_party_committees_and_mass_organisations_in_subject_position() -> None:
    assert roles("Giao Ban cán sự đảng UBND tỉnh lãnh đạo, chỉ đạo UBND tỉnh thực hiện tốt việc chuyển "
                 "trạng thái, trong đó:")[0] == ["ubnd_tinh"]
    lead, _ = roles("Yêu cầu cấp ủy, tổ chức đảng, chính quyền các cấp, Mặt trận Tổ quốc và các đoàn thể "
                    "chính trị - xã hội quán triệt phương châm phòng dịch.")
    assert set(lead) == {"ubnd_huyen", "mttq"}


def test_district_offices_and_past_assignments_are_not_agencies() -> None:
    assert roles("Phòng Giáo dục và Đào tạo các huyện, thị xã, thành phố rà soát học sinh thiếu thiết bị.") == ([], [])
    assert roles("Sở Tài chính bảo đảm kinh phí diễn tập từ nguồn đã giao cho Sở Y tế.") == ([], [])
    assert roles("Sở Du lịch chủ trì, phối hợp với Sở Y tế, UBND các địa phương ban hành bộ tiêu chí.") == (
        [], ["so_y_te", "ubnd_huyen"])


def test_a_named_district_level_city_is_a_district_government() -> None:
    assert roles("UBND thành phố Chí Linh, huyện Kinh Môn phối hợp với Sở Y tế bố trí điểm lấy mẫu.") == (
        ["ubnd_huyen"], ["so_y_te"])
    assert roles("Sở Công Thương phối hợp với UBND thành phố Tuyên Quang tháo gỡ khó khăn.") == (
        ["so_cong_thuong"], ["ubnd_huyen"])
    # a centrally-run city's committee, or "UBND Thành phố" with no name, is not a district body
    assert "ubnd_huyen" not in ids("UBND thành phố Hà Nội ban hành kế hoạch.")
    assert "ubnd_huyen" not in ids("UBND Thành phố chỉ đạo tiếp tục tiêm vắc xin.")
