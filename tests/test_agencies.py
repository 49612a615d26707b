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
    """'Bảo hiểm xã hội tỉnh chủ trì' names its own subject (no id): nothing is inherited."""
    assert roles("Bảo hiểm xã hội tỉnh chủ trì, phối hợp với Sở Y tế kiểm tra.",
                 AgencyRoles(["cac_so_nganh"], [])) == ([], ["so_y_te"])
    # v2: Công an tỉnh has its own id now
    assert roles("Công an tỉnh chủ trì, phối hợp với Sở Y tế kiểm tra.", AgencyRoles(["cac_so_nganh"], [])) == (
        ["cong_an_tinh"], ["so_y_te"])


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
    # the district health centres are not the district governments (v2: health facilities)
    assert roles("Trung tâm Y tế các huyện, thị xã, thành phố lập danh sách F0.") == (["co_so_y_te"], [])


def test_a_standing_body_description_is_not_a_second_lead() -> None:
    assert roles("Sở Y tế - Cơ quan thường trực Ban Chỉ đạo tỉnh chủ trì, phối hợp với UBND các huyện, "
                 "thị xã, thành phố:") == (["so_y_te"], ["ubnd_huyen"])


def test_party_committees_and_mass_organisations_in_subject_position() -> None:
    assert roles("Giao Ban cán sự đảng UBND tỉnh lãnh đạo, chỉ đạo UBND tỉnh thực hiện tốt việc chuyển "
                 "trạng thái, trong đó:")[0] == ["ubnd_tinh"]
    lead, _ = roles("Yêu cầu cấp ủy, tổ chức đảng, chính quyền các cấp, Mặt trận Tổ quốc và các đoàn thể "
                    "chính trị - xã hội quán triệt phương châm phòng dịch.")
    assert set(lead) == {"tinh_uy", "ubnd_huyen", "mttq"}  # v2: party committees are tinh_uy


def test_district_offices_and_past_assignments_are_not_agencies() -> None:
    assert roles("Phòng Giáo dục và Đào tạo các huyện, thị xã, thành phố rà soát học sinh thiếu thiết bị.") == ([], [])
    assert roles("Sở Tài chính bảo đảm kinh phí diễn tập từ nguồn đã giao cho Sở Y tế.") == (["so_tai_chinh"], [])
    assert roles("Sở Du lịch chủ trì, phối hợp với Sở Y tế, UBND các địa phương ban hành bộ tiêu chí.") == (
        ["so_khac"], ["so_y_te", "ubnd_huyen"])  # v2: other departments are so_khac


def test_a_named_district_level_city_is_a_district_government() -> None:
    assert roles("UBND thành phố Chí Linh, huyện Kinh Môn phối hợp với Sở Y tế bố trí điểm lấy mẫu.") == (
        ["ubnd_huyen"], ["so_y_te"])
    assert roles("Sở Công Thương phối hợp với UBND thành phố Tuyên Quang tháo gỡ khó khăn.") == (
        ["so_cong_thuong"], ["ubnd_huyen"])
    # a centrally-run city's committee, or "UBND Thành phố" with no name, is not a district body
    assert "ubnd_huyen" not in ids("UBND thành phố Hà Nội ban hành kế hoạch.")
    assert "ubnd_huyen" not in ids("UBND Thành phố chỉ đạo tiếp tục tiêm vắc xin.")


# --------------------------------------------------------------------------- v2: letter level
def croles(text: str, inherited: AgencyRoles | None = None, central: bool = True,
           date: str | None = None) -> AgencyRoles:
    return assign_roles(text, inherited, central=central, date=date)[0]


def test_a_ministry_cited_is_a_source_but_told_to_act_is_the_lead() -> None:
    cited = "Thực hiện Công văn số 2116/BYT-DP ngày 12/4/2023 của Bộ Y tế, các đơn vị tăng cường giám sát."
    assert croles(cited).lead == [] and "bo_y_te" not in croles(cited).support
    told = croles("Giao Bộ Y tế chủ trì, phối hợp với Bộ Công an hướng dẫn các địa phương giám sát tại cửa khẩu.")
    assert (told.lead, told.support) == (["bo_y_te"], ["bo_khac", "ubnd_cac_tinh"])
    assert told.names == {"bo_khac": ["Bộ Công an"]}
    # the same sentence in a provincial letter: ministries stay cited sources, as in v1
    local = croles("Giao Bộ Y tế chủ trì, phối hợp với Sở Y tế tổ chức giám sát.", central=False)
    assert (local.lead, local.support) == ([], ["so_y_te"])
    assert ids("Bộ Y tế, Chính phủ, Thủ tướng Chính phủ") == []  # find_mentions: provincial by default


def test_a_ministry_directing_its_force_and_the_government_asking_ministries() -> None:
    r = croles("Bộ Công an chỉ đạo lực lượng công an phối hợp với các địa phương kiểm soát chặt chẽ.")
    assert r.lead == ["bo_khac"] and r.names == {"bo_khac": ["Bộ Công an"]}
    assert "ubnd_cac_tinh" in r.support
    head = croles("Thủ tướng Chính phủ yêu cầu Bộ trưởng các Bộ, Thủ trưởng cơ quan ngang Bộ, cơ quan thuộc "
                  "Chính phủ, Chủ tịch Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương:")
    assert head.lead == ["cac_bo_nganh", "ubnd_cac_tinh"]
    assert croles("Theo dõi sát diễn biến mưa lũ, chủ động phương án sơ tán dân.", head).lead == head.lead


def test_ministries_listed_by_short_name_keep_their_names() -> None:
    r = croles("Các Bộ: Quốc phòng, Công an, Y tế theo chức năng, nhiệm vụ chủ động hỗ trợ địa phương.")
    assert r.lead == ["bo_khac", "bo_y_te"]
    assert r.names == {"bo_khac": ["Bộ Quốc phòng", "Bộ Công an"]}
    # inherited with the id
    sub = croles("Bố trí lực lượng, phương tiện sẵn sàng cứu hộ.", r)
    assert sub.lead == ["bo_khac", "bo_y_te"] and sub.names == r.names
    # "Các Bộ, cơ quan: …", "Các Bộ, ngành: …" list them the same way
    listed = croles("Các Bộ, cơ quan: Tài chính, Xây dựng, Y tế theo chức năng, nhiệm vụ hướng dẫn tỉnh.")
    assert listed.lead == ["bo_khac", "bo_y_te"] and listed.names == {"bo_khac": ["Bộ Tài chính", "Bộ Xây dựng"]}
    assert croles("Các Bộ, ngành: Công an, Quốc phòng phối hợp chặt chẽ.").lead == ["bo_khac"]
    # after "phối hợp với", the ministries listed by short name cooperate
    partners = croles("Bộ Y tế chủ trì, phối hợp với các Bộ: Tài chính, Công an triển khai tiêm vét.")
    assert (partners.lead, partners.support) == (["bo_y_te"], ["bo_khac"])


def test_localities_by_letter_level_and_date() -> None:
    text = "Các địa phương tổ chức tổng vệ sinh môi trường, diệt lăng quăng."
    assert croles(text, central=True).lead == ["ubnd_cac_tinh"]
    assert croles(text, central=False, date="2024-05-02").lead == ["ubnd_huyen"]
    assert croles(text, central=False, date="2025-09-15").lead == ["ubnd_xa"]
    assert croles(text, central=False).lead == ["ubnd_huyen"]
    # commune level has its own id at any date; health stations are health facilities
    r = croles("UBND các xã, phường, thị trấn chỉ đạo trạm y tế rà soát trẻ chưa tiêm.", central=False)
    assert (r.lead, r.support) == (["ubnd_xa"], ["co_so_y_te"])
    assert croles("Chủ tịch UBND cấp xã chịu trách nhiệm trước Chủ tịch UBND tỉnh.", central=False).lead == ["ubnd_xa"]


def test_former_bodies_without_an_id_have_v2_ids() -> None:
    r = croles("Công an tỉnh chủ trì, phối hợp với Bộ Chỉ huy Quân sự tỉnh, Sở Tài chính và Sở Nông nghiệp "
               "và Môi trường kiểm soát việc vận chuyển gia cầm.", central=False)
    assert (r.lead, r.support) == (["cong_an_tinh"], ["quan_su_bien_phong", "so_tai_chinh", "so_nong_nghiep"])
    r = croles("Sở Tư pháp, Sở Xây dựng và Ban Tuyên giáo Tỉnh ủy tuyên truyền quy định mới.", central=False)
    assert (r.lead, r.names) == (["so_khac", "tinh_uy"], {"so_khac": ["Sở Tư pháp", "Sở Xây dựng"]})
    assert croles("Các bệnh viện, Trung tâm Y tế huyện bố trí giường hồi sức.", central=False).lead == ["co_so_y_te"]


def test_a_party_committee_of_a_body_acts_for_that_body() -> None:
    r = croles("Giao Đảng ủy Bộ Tư pháp chủ trì, phối hợp với Đảng ủy Mặt trận Tổ quốc rà soát quy định.")
    assert (r.lead, r.support, r.names) == (["bo_khac"], ["mttq"], {"bo_khac": ["Bộ Tư pháp"]})


def test_names_travel_in_the_clause_json() -> None:
    from congvan.letters.parse import parse_letter

    letter = parse_letter("BỘ Y TẾ\nSố: 12/BYT-DP\nHà Nội, ngày 3 tháng 8 năm 2025\n\n"
                          "Kính gửi: Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương\n\n"
                          "1. Giao Bộ Công an chủ trì, phối hợp với các địa phương kiểm soát vận chuyển gia cầm.\n"
                          "2. Các địa phương tổ chức tiêm phòng cho đàn gia cầm.\n")
    assert letter.central
    by_path = {c.path: c for c in letter.clauses}
    one = by_path["1"].to_dict()["agencies"]
    assert one["lead"] == ["bo_khac"] and one["names"] == {"bo_khac": ["Bộ Công an"]}
    assert by_path["2"].agencies.lead == ["ubnd_cac_tinh"]


def test_related_bodies_are_the_ministries_only_in_a_central_letter() -> None:
    text = "Bộ Nông nghiệp và Môi trường chủ trì, phối hợp với Bộ Tư pháp và các cơ quan có liên quan rà soát."
    r = croles(text)
    assert (r.lead, r.support) == (["bo_khac"], ["cac_bo_nganh"])
    assert r.names == {"bo_khac": ["Bộ Nông nghiệp và Môi trường"]}  # the lead's name only
    # provincial: plain words, and the body named after them still cooperates
    r = croles("Sở Y tế chủ trì, phối hợp với các cơ quan liên quan và UBND các huyện triển khai.", central=False)
    assert (r.lead, r.support) == (["so_y_te"], ["ubnd_huyen"])


def test_task_field_lines_give_lead_and_support_to_the_tasks_above_them() -> None:
    """A plan's "Đơn vị chủ trì: X / Đơn vị phối hợp: Y" fields name who does the tasks listed
    above them, back to the item start or the previous field block (inline text, team-written)."""
    from congvan.letters.parse import parse_letter

    letter = parse_letter(
        "ỦY BAN NHÂN DÂN\nTỈNH HÀ TĨNH\nSố: 45/KH-UBND\nHà Tĩnh, ngày 12 tháng 3 năm 2024\n\n"
        "KẾ HOẠCH\nPhòng, chống bệnh dại năm 2024\n\n"
        "II. NHIỆM VỤ\n"
        "1. Tiêm phòng cho đàn chó, mèo\n"
        "- Tổ chức tiêm phòng dại tập trung cho chó, mèo vào tháng 3 và tháng 9.\n"
        "- Lập sổ theo dõi chó, mèo nuôi đến từng hộ gia đình.\n"
        "Đơn vị chủ trì thực hiện: Sở Nông nghiệp và Phát triển nông thôn.\n"
        "Đơn vị phối hợp: UBND các huyện, thành phố.\n"
        "Thời gian thực hiện: Tháng 3 và tháng 9.\n"
        "- Bảo đảm đủ vắc xin dại cho người bị chó cắn.\n"
        "Đơn vị chủ trì: Sở Y tế.\n"
        "2. Tuyên truyền phòng bệnh dại\n"
        "a) Nhiệm vụ: Thông tin để người dân đưa chó, mèo đi tiêm phòng.\n"
        "b) Cơ quan thực hiện:\n"
        "- Đơn vị chủ trì: Báo Hà Tĩnh.\n"
        "- Đơn vị phối hợp: Sở Y tế.\n")
    tasks = {c.text[:30]: (c.agencies.lead, c.agencies.support) for c in letter.clauses if c.kind == "directive"}
    assert tasks["Tiêm phòng cho đàn chó, mèo"] == (["so_nong_nghiep"], ["ubnd_huyen"])
    assert tasks["Tổ chức tiêm phòng dại tập tru"] == (["so_nong_nghiep"], ["ubnd_huyen"])
    assert tasks["Lập sổ theo dõi chó, mèo nuôi "] == (["so_nong_nghiep"], ["ubnd_huyen"])
    assert tasks["Bảo đảm đủ vắc xin dại cho ngư"] == (["so_y_te"], [])  # its own block, after the first
    assert tasks["Nhiệm vụ: Thông tin để người d"] == (["bao_chi"], ["so_y_te"])  # through "Cơ quan thực hiện:"


def test_a_field_line_that_says_who_leads_and_who_cooperates() -> None:
    """"Cơ quan thực hiện: Sở Y tế chủ trì, phối hợp với các sở, ngành" gives its tasks one lead
    and the cooperating bodies as support (not every body on the line as lead)."""
    from congvan.letters.parse import parse_letter

    letter = parse_letter(
        "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\nSố: 88/KH-UBND\nQuảng Ngãi, ngày 2 tháng 4 năm 2025\n\n"
        "KẾ HOẠCH\nPhòng, chống tác hại của thuốc lá năm 2025\n\n"
        "II. NHIỆM VỤ\n1. Hoạt động 1\na) Nội dung:\n"
        "- Tổ chức tập huấn cho cán bộ y tế cơ sở về tư vấn cai nghiện thuốc lá.\n"
        "b) Cơ quan thực hiện: Sở Y tế chủ trì, phối hợp với các sở, ban, ngành tỉnh.\n")
    tasks = {c.text[:30]: (c.agencies.lead, c.agencies.support) for c in letter.clauses if c.kind == "directive"}
    assert tasks["Tổ chức tập huấn cho cán bộ y "] == (["so_y_te"], ["cac_so_nganh"]), tasks


def test_bodies_named_in_brackets_after_a_role_label_lead() -> None:
    """"Các cơ quan đăng ký đầu tư (Sở Tài chính, …):" names the bodies its items address."""
    roles, _ = assign_roles("Các cơ quan đăng ký đầu tư (Sở Tài chính, Ban quản lý Khu kinh tế tỉnh):")
    assert roles.lead == ["so_tai_chinh"]
    roles, _ = assign_roles("Tăng cường phối hợp với các cơ quan (Sở Y tế, Công an tỉnh) trong kiểm tra.")
    assert roles.lead == []  # brackets inside a sentence are not a label


def test_city_police_and_merged_press_bodies_of_2025() -> None:
    assert assign_roles("Giao Công an Thành phố chỉ đạo Công an các phường, xã rà soát dữ liệu.")[0].lead == ["cong_an_tinh"]
    # a district-level city's police is not the province's (the alias needs "Thành phố" capitalised)
    assert assign_roles("Công an thành phố Vinh phối hợp kiểm tra.")[0].lead == []
    roles, _ = assign_roles("Báo và Phát thanh, Truyền hình Sơn La mở chuyên mục tuyên truyền.")
    assert roles.lead == ["bao_chi"]
    # other proper names keep working beside them
    roles, _ = assign_roles("Ban Tuyên giáo Tỉnh ủy chỉ đạo Báo Bắc Ninh đưa tin kịp thời.")
    assert roles.lead == ["tinh_uy"] and roles.support == ["bao_chi"]


def test_a_preamble_lead_in_gives_its_addressees_to_the_items_below() -> None:
    """"… yêu cầu cấp ủy, tổ chức đảng, đoàn thể các cấp thực hiện các nhiệm vụ sau:" before the
    first item: the items that name no one are those bodies' tasks; the issuer's own "… hướng dẫn
    như sau:" names no addressee (inline text, team-written)."""
    from congvan.letters.parse import parse_letter

    head = ("TỈNH ỦY NINH BÌNH\nĐẢNG CỘNG SẢN VIỆT NAM\nSố: 21-CT/TU\nNinh Bình, ngày 3 tháng 5 năm 2024\n\n"
            "CHỈ THỊ\nVề tăng cường phòng, chống đuối nước trẻ em\n\n")
    items = ("1. Tổ chức dạy bơi cho học sinh tiểu học trong dịp hè.\n"
             "2. Sở Giáo dục và Đào tạo rà soát các điểm bơi an toàn.\n")
    letter = parse_letter(head + "Mùa hè đến gần, nguy cơ đuối nước trẻ em tăng cao. Ban Thường vụ Tỉnh ủy "
                          "yêu cầu các cấp ủy, tổ chức đảng, các đoàn thể tập trung thực hiện tốt các nhiệm vụ sau:\n"
                          + items)
    got = {c.path: (c.agencies.lead, c.agencies.support) for c in letter.clauses}
    assert got["1"] == (["tinh_uy", "mttq"], [])
    assert got["2"] == (["so_gddt"], [])  # its own subject
    letter = parse_letter(head + "Sở Giáo dục và Đào tạo hướng dẫn các nội dung như sau:\n" + items)
    assert {c.path: c.agencies.lead for c in letter.clauses}["1"] == []


def test_a_lead_in_paragraph_inside_an_item_gives_its_lead_to_the_sub_items() -> None:
    """An item titled by its topic whose next paragraph says who does the sub-items ("Giám đốc
    Sở Y tế có trách nhiệm thực hiện các nhiệm vụ sau:"): the sub-items inherit that lead."""
    from congvan.letters.parse import parse_letter

    letter = parse_letter(
        "ỦY BAN NHÂN DÂN\nTỈNH BẮC GIANG\nSố: 9/QĐ-UBND\nBắc Giang, ngày 4 tháng 1 năm 2024\n\n"
        "QUY CHẾ\nQuản lý hồ sơ bệnh án điện tử\n\n"
        "Điều 3. Trách nhiệm quản lý hồ sơ\n"
        "1. Hồ sơ bệnh án điện tử được lưu trữ tập trung.\n"
        "2. Quản lý kho dữ liệu\n"
        "Giám đốc Sở Y tế có trách nhiệm thực hiện các nhiệm vụ sau:\n"
        "a) Bảo đảm an toàn kho dữ liệu bệnh án.\n"
        "b) Hướng dẫn việc khai thác dữ liệu.\n")
    got = {c.path: c.agencies.lead for c in letter.clauses}
    assert got["Đ3.2.a"] == ["so_y_te"] and got["Đ3.2.b"] == ["so_y_te"], got


@pytest.mark.parametrize("text", [
    "Văn phòng Ban Chỉ đạo phòng thủ dân sự tỉnh theo dõi sát diễn biến, tổng hợp báo cáo.",
    "Đề nghị Viện kiểm sát nhân dân tỉnh, Tòa án nhân dân tỉnh đẩy nhanh việc xét xử.",
    "Cơ quan chủ trì có trách nhiệm lấy ý kiến các cơ quan liên quan.",
])
def test_a_subject_outside_the_taxonomy_does_not_inherit(text: str) -> None:
    """Rule 13: a clause opening with a body the taxonomy does not know, or with "Cơ quan chủ trì",
    has its own subject: it takes neither its heading's nor the addressee's lead."""
    assert roles(text, AgencyRoles(lead=["cac_so_nganh"])) == ([], [])
    assert roles("Theo dõi sát diễn biến, tổng hợp báo cáo.", AgencyRoles(lead=["cac_so_nganh"])) == (
        ["cac_so_nganh"], [])


def test_a_short_name_the_letter_defines_stands_for_its_bodies() -> None:
    """Rule 14: "(sau đây gọi chung là cơ quan, đơn vị)" and "Các cơ quan cấp phép (Sở Y tế, …)"
    define short names that later clauses use as subjects; "cơ quan, đơn vị, cá nhân" is not it."""
    from congvan.letters.agencies import defined_terms

    terms = defined_terms("Người đứng đầu Sở Y tế, Ủy ban MTTQ tỉnh (sau đây gọi chung là cơ quan, đơn vị) có trách "
                          "nhiệm: a) lập kế hoạch.")
    assert terms == {"co quan, don vi": ("so_y_te", "mttq")}
    r, _ = assign_roles("Người đứng đầu cơ quan, đơn vị quyết định việc công bố số liệu.", terms=terms)
    assert r.lead == ["so_y_te", "mttq"]
    r, _ = assign_roles("Cơ quan, đơn vị, cá nhân có quyền khai thác số liệu.", terms=terms)
    assert r.lead == []
    terms = defined_terms("Các cơ quan cấp phép hoạt động (Sở Y tế, Sở Công Thương) công khai thủ tục.")
    assert terms == {"co quan cap phep hoat dong": ("so_y_te", "so_cong_thuong")}


def test_the_parser_carries_defined_short_names_through_the_letter() -> None:
    from congvan.letters.parse import parse_letter

    letter = parse_letter(
        "ỦY BAN NHÂN DÂN\nTỈNH THANH HÓA\nSố: 5/QĐ-UBND\nThanh Hóa, ngày 2 tháng 2 năm 2024\n\n"
        "QUY ĐỊNH\nVề lưu trữ hồ sơ tiêm chủng\n\n"
        "Điều 1. Trách nhiệm\n"
        "1. Người đứng đầu Sở Y tế, các cơ sở y tế (sau đây gọi chung là cơ quan, đơn vị) có trách nhiệm "
        "lập danh mục hồ sơ.\n"
        "Điều 2. Hủy hồ sơ\n"
        "1. Người đứng đầu cơ quan, đơn vị quyết định hủy hồ sơ hết hạn lưu trữ.\n")
    got = {c.path: c.agencies.lead for c in letter.clauses}
    assert got["Đ2.1"] == ["so_y_te", "co_so_y_te"], got


def test_the_central_party_office_is_no_party_committee() -> None:
    """"Văn phòng Trung ương Đảng" is the Secretariat's office, not a party committee (tinh_uy):
    a body without an id, whose clause names its own subject."""
    assert ids("Văn phòng Trung ương Đảng hướng dẫn thực hiện Quy định này.") == []
    assert roles("Chánh Văn phòng Trung ương Đảng quyết định việc sao tài liệu.",
                 AgencyRoles(lead=["tinh_uy"])) == ([], [])


def test_the_delegate_is_the_lead() -> None:
    """"X ủy quyền cho Y thực hiện …": Y acts; X (the speaker) is a mention."""
    assert roles("Ban Thường vụ Tỉnh ủy ủy quyền cho Sở Y tế thực hiện các nhiệm vụ sau:") == (["so_y_te"], [])


def test_sub_items_of_a_chu_tri_phoi_hop_heading_name_the_partners() -> None:
    """"Sở Y tế: … b) Chủ trì, phối hợp:" then "- Sở Tài chính … bố trí kinh phí": Sở Y tế still
    leads each sub-item, the body it names is the partner (support)."""
    from congvan.letters.parse import parse_letter

    letter = parse_letter(
        "ỦY BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\nSố: 31/KH-UBND\nNam Định, ngày 9 tháng 4 năm 2024\n\n"
        "KẾ HOẠCH\nPhòng, chống bệnh sởi năm 2024\n\n"
        "III. TỔ CHỨC THỰC HIỆN\n"
        "1. Sở Y tế\n"
        "a) Tổ chức tiêm vắc xin sởi cho trẻ em chưa tiêm đủ mũi.\n"
        "b) Chủ trì, phối hợp:\n"
        "- Sở Tài chính và các đơn vị liên quan tham mưu UBND tỉnh bố trí kinh phí mua vắc xin.\n"
        "- Sở Giáo dục và Đào tạo rà soát tiền sử tiêm chủng của học sinh.\n")
    got = {c.path: (c.agencies.lead, c.agencies.support) for c in letter.clauses}
    assert got["III.1.b.-1"] == (["so_y_te"], ["so_tai_chinh"]), got
    assert got["III.1.b.-2"] == (["so_y_te"], ["so_gddt"])
    assert got["III.1.a"] == (["so_y_te"], [])


# --------------------------------------------------------------------------- round 2 (issue 10)
def r2(text: str, inherited: AgencyRoles | None = None, *, focus: bool = False,
           central: bool = True) -> tuple[list[str], list[str]]:
    r, _ = assign_roles(text, inherited, central=central, date="2025-11-20", focus=focus)
    return r.lead, r.support


def test_a_central_letter_about_one_province_names_that_provinces_committee() -> None:
    """A Thông báo kết luận of a working visit to one province: "UBND tỉnh X" and "tỉnh X cần …"
    are that province's own committee (``ubnd_tinh``); elsewhere in a central letter the named
    province is one of the provinces (``ubnd_cac_tinh``)."""
    text = "Đề nghị Ủy ban nhân dân tỉnh Quảng Trị chủ trì, phối hợp với Bộ Xây dựng rà soát quy hoạch."
    assert r2(text, focus=True) == (["ubnd_tinh"], ["bo_khac"])
    assert r2(text) == (["ubnd_cac_tinh"], ["bo_khac"])
    assert r2("Để đạt mục tiêu tăng trưởng, tỉnh Quảng Trị cần tập trung các nội dung sau:", focus=True) \
        == (["ubnd_tinh"], [])
    # the place only completes another name: no committee there
    assert [h.agency for h in find_bodies("HĐND tỉnh Quảng Trị quyết định", central=True, focus=True)] == [None]
    assert all(h.agency != "ubnd_tinh" for h in find_bodies(
        "Ban Quản lý Khu kinh tế mở Nam Chu thành phố Đà Nẵng là cơ quan", central=True, focus=True))
    # a provincial letter: "Thuế tỉnh X" is still the tax office
    assert [h.agency for h in find_bodies("Thuế tỉnh Quảng Trị", date="2025-11-20")] == [None]


def test_which_central_letters_are_about_one_province() -> None:
    from congvan.letters.parse import _about_one_province
    from congvan.letters.taxonomy import load_taxonomy

    tax = load_taxonomy()
    subject = "KẾT LUẬN CỦA PHÓ THỦ TƯỚNG TẠI BUỔI LÀM VIỆC VỚI LÃNH ĐẠO TỈNH QUẢNG TRỊ"
    assert _about_one_province(True, subject, [], tax)
    assert not _about_one_province(False, subject, [], tax)
    assert not _about_one_province(True, "Về việc ứng phó bão tại các tỉnh Quảng Trị, Huế", [], tax)
    assert not _about_one_province(True, "Về việc hỗ trợ khắc phục hậu quả bão", ["Bộ Tài chính"], tax)


def test_the_government_at_every_level_and_at_the_grassroots() -> None:
    """Central letter: "cấp ủy, tổ chức đảng, chính quyền, đoàn thể các cấp" names the provinces'
    committees too; "chính quyền cơ sở" is the commune level (``ubnd_xa``) at any level."""
    assert r2("Yêu cầu cấp ủy, tổ chức đảng, chính quyền, đoàn thể các cấp tập trung thực hiện:") \
        == (["tinh_uy", "ubnd_cac_tinh", "mttq"], [])
    assert r2("Đẩy mạnh xây dựng chính quyền số, chính quyền điện tử.") == ([], [])
    assert r2("Chủ tịch UBND các tỉnh chỉ đạo chính quyền cơ sở rà soát, thống kê thiệt hại.") \
        == (["ubnd_cac_tinh"], ["ubnd_xa"])
    assert r2("UBND các huyện chỉ đạo chính quyền cơ sở ra quân tổng vệ sinh.", central=False) \
        == (["ubnd_huyen"], ["ubnd_xa"])


def test_the_police_and_the_army_without_their_full_names() -> None:
    """"Công an" alone, "lực lượng quân đội, công an", "công an địa phương" are the provincial
    police; "Công an thành phố/huyện" (lower-case, a district's police) has no id."""
    assert r2("Chủ động phối hợp với Công an, lực lượng Hải quan tuần tra biên giới.",
                  AgencyRoles(lead=["quan_su_bien_phong"]), central=False) == (["quan_su_bien_phong"], ["cong_an_tinh"])
    assert r2("Bộ trưởng Bộ Quốc phòng chỉ đạo lực lượng quân đội, công an địa phương hỗ trợ người dân.")[1] \
        == ["quan_su_bien_phong", "cong_an_tinh"]
    assert r2("Huy động lực lượng quân đội, công an hỗ trợ sửa nhà.", AgencyRoles(lead=["ubnd_cac_tinh"]))[1] \
        == ["quan_su_bien_phong", "cong_an_tinh"]
    assert [h.agency for h in find_bodies("Công an thành phố xử lý vi phạm")] == [None]


def test_central_party_boards_are_party_committees() -> None:
    assert r2("Giao Ban Tổ chức Trung ương chủ trì, phối hợp với Bộ Nội vụ đánh giá tình hình.") \
        == (["tinh_uy"], ["bo_khac"])


def test_related_agencies_in_a_provincial_letter_are_its_departments() -> None:
    """"phối hợp với các cơ quan, đơn vị có liên quan" in a provincial letter: the wording names no
    agency of its own there, so it does not hide "các cơ quan, đơn vị" (the departments)."""
    assert r2("Chủ trì, phối hợp với các cơ quan, đơn vị có liên quan bố trí kinh phí.",
                  AgencyRoles(lead=["so_tai_chinh"]), central=False) == (["so_tai_chinh"], ["cac_so_nganh"])


def test_an_opening_phrase_ends_outside_brackets() -> None:
    """"Trong đó nơi phát hiện (bệnh viện, công an, chính quyền) …": the comma inside the brackets
    does not end an opening phrase, so the bracketed bodies are no subject."""
    inherited = AgencyRoles(lead=["tinh_uy", "mttq"])
    assert r2("Trong đó nơi phát hiện (bệnh viện, địa bàn dân cư, công an, chính quyền) là nơi chịu trách nhiệm.",
                  inherited)[0] == ["tinh_uy", "mttq"]


@pytest.mark.parametrize("text", [
    "Bộ Nội vụ trân trọng đề nghị Bộ Văn hóa, Thể thao và Du lịch, các cơ quan báo chí chỉ đạo định hướng thông tin.",
    "Sở Giáo dục và Đào tạo đề nghị tổ dân phố, chính quyền địa phương vận động phụ huynh.",
])
def test_the_body_that_makes_the_request_is_the_speaker(text: str) -> None:
    """"X (trân trọng) đề nghị …" at the head of a sentence: X is the letter's writer asking, not a
    lead — also when the bodies it asks have no id (inline text, team-written)."""
    roles, mentions = assign_roles(text, central=text.startswith("Bộ"), date="2025-11-20")
    assert "so_gddt" not in roles.lead
    speaker = next(m for m in mentions if m.text in ("Bộ Nội vụ", "Sở Giáo dục và Đào tạo"))
    assert speaker.role == "mention"


def test_a_body_ordering_its_own_units_still_leads() -> None:
    """"Sở Giáo dục và Đào tạo yêu cầu các trường …": a body that orders its units acts itself."""
    roles, _ = assign_roles("Sở Giáo dục và Đào tạo yêu cầu các trường tổng vệ sinh khuôn viên trước năm học.")
    assert roles.lead == ["so_gddt"]


_SEVERAL = ("ỦY BAN NHÂN DÂN\nTỈNH LONG AN\nSố: 88/UBND-VX\nLong An, ngày 5 tháng 3 năm 2024\n"
            "V/v phòng, chống sốt xuất huyết\n"
            "Kính gửi:\n- Sở Y tế;\n- Ủy ban nhân dân các huyện, thị xã, thành phố.\n\n")


def test_several_addressees_lead_the_items_that_name_no_one() -> None:
    """"Kính gửi: - Sở Y tế; - UBND các huyện …": an item with no subject of its own is every
    addressee's task; one with its own subject (named, plural noun, or told to "phối hợp") keeps
    it (inline text, team-written)."""
    from congvan.letters.parse import parse_letter

    letter = parse_letter(_SEVERAL + "Tình hình sốt xuất huyết trên địa bàn tỉnh diễn biến phức tạp.\n"
                          "1. Tăng cường giám sát, phát hiện sớm ca bệnh tại cộng đồng.\n"
                          "2. Sở Tài chính bố trí kinh phí mua hóa chất.\n"
                          "3. Các lực lượng chức năng phải kiểm tra thường xuyên các ổ dịch.\n"
                          "4. Ủy ban Mặt trận Tổ quốc tỉnh phối hợp vận động Nhân dân diệt lăng quăng.\n")
    got = {c.path: c.agencies.lead for c in letter.clauses}
    assert got["1"] == ["so_y_te", "ubnd_huyen"], got
    assert got["2"] == ["so_tai_chinh"]
    assert got["3"] == []
    assert got["4"] == ["mttq"]


def test_a_lead_in_naming_unlisted_bodies_overrides_the_addressees() -> None:
    """"… đề nghị các đơn vị triển khai các nội dung sau:": the lead-in says who acts (bodies with no
    id), so the items below are not the addressees' tasks."""
    from congvan.letters.parse import parse_letter

    letter = parse_letter(_SEVERAL + "Ủy ban nhân dân tỉnh đề nghị các đơn vị triển khai các nội dung sau:\n"
                          "1. Tăng cường giám sát, phát hiện sớm ca bệnh tại cộng đồng.\n")
    assert {c.path: c.agencies.lead for c in letter.clauses}["1"] == []


def test_a_preamble_lead_in_carries_the_roles_it_hands_down() -> None:
    """"Bộ Nội vụ trân trọng đề nghị A, B chỉ đạo … như sau:": annotators read the lead-in as a
    directive; the preamble clause carries the lead it gives the items (inline text)."""
    from congvan.letters.parse import parse_letter

    letter = parse_letter(
        "BỘ NỘI VỤ\nSố: 77/BNV-CQĐP\nHà Nội, ngày 20 tháng 11 năm 2025\nV/v định hướng thông tin\n"
        "Kính gửi:\n- Bộ Văn hóa, Thể thao và Du lịch;\n- Đài Truyền hình Việt Nam.\n\n"
        "Gần đây xuất hiện thông tin sai lệch trên mạng xã hội. Bộ Nội vụ trân trọng đề nghị Bộ Văn hóa, "
        "Thể thao và Du lịch, Đài Truyền hình Việt Nam chỉ đạo định hướng thông tin đúng, cụ thể như sau:\n"
        "1. Thông tin đầy đủ về chủ trương sắp xếp đơn vị hành chính.\n")
    got = {c.path: (c.kind, sorted(c.agencies.lead)) for c in letter.clauses}
    assert got["preamble"] == ("preamble", ["bao_chi", "bo_khac"]), got
    assert got["1"][1] == ["bao_chi", "bo_khac"]


def test_an_optional_space_in_a_taxonomy_pattern_may_be_absent() -> None:
    """Patterns write "gd ?& ?dt" for "GD & ĐT" and "GD&ĐT" alike: " ?" must also match no space,
    or "Phòng GD&ĐT các huyện" (the districts' education office, no id) reads as their committees."""
    got_lead, got_support = roles("Phòng GD&ĐT các huyện, thành phố tham mưu với UBND cấp huyện thành lập Hội đồng.")
    assert (got_lead, got_support) == ([], [])
    got_lead, _ = roles("Phòng GD & ĐT các huyện, thành phố tham mưu với UBND cấp huyện thành lập Hội đồng.")
    assert got_lead == []


def test_a_speaker_ordering_a_plural_body_is_no_lead() -> None:
    """"X yêu cầu các <bodies> …": "các" between the verb and the list keeps X the speaker."""
    r, _ = assign_roles("Theo đó, Thủ tướng yêu cầu các phương tiện thông tin đại chúng tập trung tuyên truyền.",
                        central=True)
    assert r.lead == ["bao_chi"]


def test_task_field_lines_show_the_roles_of_their_block() -> None:
    """A plan's field lines under a task are clauses too; "Cơ quan phối hợp: các sở, ngành" must
    not make the partners its leads: every line of the block shows the block's lead and support."""
    from congvan.letters.parse import parse_letter

    text = ("ỦY BAN NHÂN DÂN\nTỈNH ĐIỆN BIÊN\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
            "Số: 901/KH-UBND\nĐiện Biên, ngày 5 tháng 11 năm 2025\nKẾ HOẠCH\nTRIỂN KHAI THI HÀNH LUẬT ĐO LƯỜNG\n\n"
            "II. NỘI DUNG\n\n"
            "1. Tổ chức tập huấn, phổ biến nội dung Luật cho cán bộ, công chức.\n\n"
            "- Cơ quan chủ trì: Sở Khoa học và Công nghệ.\n\n"
            "- Cơ quan phối hợp: Các sở, ngành; Ủy ban nhân dân các xã, phường.\n\n"
            "- Thời gian thực hiện: Quý IV năm 2025.\n\n"
            "2. Tuyên truyền trên sóng phát thanh, truyền hình.\n\n"
            "- Cơ quan thực hiện: Báo và Phát thanh Truyền hình Điện Biên.\n\n"
            "3. Ban hành quy chế phối hợp đo lường.\n\n"
            "- Đơn vị thực hiện: Sở Khoa học và Công nghệ chủ trì tham mưu Ủy ban nhân dân tỉnh ban hành.\n")
    clauses = {c.text.split(":")[0]: c for c in parse_letter(text).clauses if c.kind == "directive"}
    for line in ("Tổ chức tập huấn, phổ biến nội dung Luật cho cán bộ, công chức.", "- Cơ quan chủ trì",
                 "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian thực hiện"):
        if line in clauses:
            got = clauses[line].agencies
            assert (got.lead, sorted(got.support)) == (["so_khac"], ["cac_so_nganh", "ubnd_xa"]), (line, got)
    assert {"Cơ quan phối hợp", "Thời gian thực hiện"} <= set(clauses)
    assert clauses["Cơ quan thực hiện"].agencies.lead == ["bao_chi"]  # the press body, comma or none
    # the body a field line's doer advises ("tham mưu UBND tỉnh ban hành") does not lead the task
    advising = next(c for c in parse_letter(text).clauses if c.text.startswith("Ban hành quy chế"))
    assert advising.agencies.lead == ["so_khac"]


def test_a_duty_heading_names_the_doer_of_its_items() -> None:
    """"Điều 14. Trách nhiệm của Sở Khoa học và Công nghệ" leads the items under it; a heading that
    only groups generic bodies ("Trách nhiệm của các cơ quan, đơn vị, địa phương:") does not."""
    lead, _ = assign_roles("Trách nhiệm của Sở Khoa học và Công nghệ")
    assert lead.lead == ["so_khac"]
    assert assign_roles("Nhiệm vụ, quyền hạn của Sở Tài chính")[0].lead == ["so_tai_chinh"]
    grouping = assign_roles("Trách nhiệm của các cơ quan, đơn vị, địa phương:")[0]
    own = assign_roles("Sở Tài chính phối hợp với Sở Y tế bảo đảm kinh phí chống dịch.", grouping)[0]
    assert own.lead == ["so_tai_chinh"]
    assert assign_roles("Nâng cao trách nhiệm của Sở Y tế trong công tác phòng dịch.")[0].lead == []


def test_a_short_name_for_an_event_is_not_a_body_named_earlier_in_its_sentence() -> None:
    """"Thực hiện Thông tri … của Thành ủy … (sau đây gọi tắt là Tháng hành động)": the short name
    stands for the event, so later items about the "Tháng hành động" get no Thành ủy lead."""
    from congvan.letters.agencies import defined_terms

    assert defined_terms("Thực hiện Thông tri số 02-TT/TU ngày 03/10/2025 của Thành ủy về phát động phong trào "
                         "năm 2025 (sau đây gọi tắt là Tháng hành động);") == {}
    # the bodies listed right before the brackets are what it stands for
    assert defined_terms("Sở Y tế, Sở Giáo dục và Đào tạo (sau đây gọi chung là các sở chuyên ngành) chỉ đạo.") \
        == {"cac so chuyen nganh": ("so_y_te", "so_gddt")}


@pytest.mark.parametrize(("text", "lead"), [
    ("Sở Tài chính, trên cơ sở đề xuất của các cơ quan, đơn vị, địa phương, chủ trì tổng hợp dự toán.",
     ["so_tai_chinh"]),
    ("Trên cơ sở đề nghị của Sở Y tế, Sở Tài chính chủ trì thẩm định kinh phí.", ["so_tai_chinh"]),
    ("Theo đề xuất của Sở Nội vụ, UBND các huyện chủ trì rà soát biên chế.", ["ubnd_huyen"]),
])
def test_whoever_proposed_is_no_lead(text: str, lead: list[str]) -> None:
    """"(trên cơ sở / theo) đề xuất, đề nghị của Y": Y proposed, the clause's subject acts."""
    assert assign_roles(text)[0].lead == lead


@pytest.mark.parametrize(("text", "lead"), [
    ("Mẫu tờ khai: Theo quy định của Bảo hiểm xã hội Việt Nam, Bộ Y tế.", []),
    ("Theo hướng dẫn của Bộ Y tế, Sở Y tế chủ trì tổ chức tiêm vét.", ["so_y_te"]),
    ("Theo kế hoạch, các sở, ngành: báo cáo trước ngày 15.", ["cac_so_nganh"]),
])
def test_an_intro_that_runs_to_the_end_of_the_sentence_names_no_subject(text: str, lead: list[str]) -> None:
    """"Theo quy định của A, B." ends on B: B goes on the intro's list; a body followed by what it
    does (or by the colon of its duties) is the subject after the intro."""
    assert assign_roles(text, None, central=True)[0].lead == lead


@pytest.mark.parametrize("doers", [
    "Bộ trưởng, Thủ trưởng cơ quan ngang bộ, cơ quan trực thuộc Chính phủ",
    "Các bộ, cơ quan ngang bộ, cơ quan trực thuộc Chính phủ",
])
def test_the_bodies_under_the_government_are_not_the_government(doers: str) -> None:
    """"cơ quan (trực) thuộc Chính phủ" is one of the ministries' kind: no Chính phủ lead."""
    r = croles(f"{doers}, Chủ tịch Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương chủ trì "
               "rà soát, phân loại các dự án.")
    assert r.lead == ["cac_bo_nganh", "ubnd_cac_tinh"]


@pytest.mark.parametrize(("text", "lead"), [
    ("Các sở, ban, ngành, đoàn thể cấp tỉnh và UBND các xã, phường tổ chức tuyên truyền.",
     ["cac_so_nganh", "ubnd_xa"]),
    ("Các sở, ngành cấp tỉnh, UBND cấp xã rà soát đối tượng chưa tiêm.", ["cac_so_nganh", "ubnd_xa"]),
])
def test_a_level_after_a_name_does_not_end_the_list(text: str, lead: list[str]) -> None:
    """"… cấp tỉnh và UBND các xã": the level belongs to the name before it; the list goes on."""
    assert assign_roles(text)[0].lead == lead


@pytest.mark.parametrize(("text", "lead"), [
    # a centrally-run city's own committee calls itself "Thành phố", capitalised
    ("Ủy ban nhân dân Thành phố chỉ đạo các sở, ngành bám sát cơ sở.", ["ubnd_tinh"]),
    ("Chủ tịch UBND Thành phố chỉ đạo các sở.", ["ubnd_tinh"]),
    # a province's city (district level before the 2025 reform) is named after it
    ("UBND Thành phố Vinh chỉ đạo các phường.", ["ubnd_huyen"]),
    ("UBND Thành phố Thủ Đức triển khai tiêm vét.", ["ubnd_huyen"]),
    # lowercase "thành phố" with no name stays unread: in a province's letter it is one of its cities
    ("Ủy ban nhân dân thành phố chỉ đạo các phường.", []),
])
def test_the_capitalised_thanh_pho_is_the_city_province(text: str, lead: list[str]) -> None:
    assert assign_roles(text)[0].lead == lead


@pytest.mark.parametrize(("text", "lead", "support"), [
    ("Nhiệm vụ: Tham mưu UBND tỉnh phối hợp với Sở Tư pháp rà soát chiến lược dữ liệu.", [], ["so_khac"]),
    ("Sở Y tế tham mưu Ủy ban nhân dân tỉnh chỉ đạo các địa phương.", ["so_y_te"], ["ubnd_huyen"]),
])
def test_the_body_advised_is_no_doer(text: str, lead: list[str], support: list[str]) -> None:
    """"tham mưu UBND tỉnh …": the committee decides later; the adviser acts now."""
    r = assign_roles(text)[0]
    assert (r.lead, r.support) == (lead, support)


def test_aliases_tried_at_their_first_word_find_what_a_scan_finds() -> None:
    """The matcher tries an alias only where its first word starts: the same matches as a scan."""
    import re

    from congvan.letters.agencies import _matches_at

    folded = "cac so, nganh va cac so, nganh, cac so y te; cacso nganh; cac so, nganh"
    regex = re.compile(r"(?<!\w)cac\s+so\s*,\s*nganh(?!\w)")
    starts = [m.start() for m in re.finditer(r"\w+", folded) if m.group() == "cac"]
    assert [m.span() for m in _matches_at(regex, folded, starts)] == [m.span() for m in regex.finditer(folded)]
    assert len(list(regex.finditer(folded))) == 3


@pytest.mark.parametrize("doers", ["Các sở ngành liên quan", "Các sở ban ngành", "Các sở ban, ngành", "Các sở, ban ngành"])
def test_a_list_alias_without_its_commas(doers: str) -> None:
    """Web copies and hurried typing drop the commas of "các sở, ban, ngành"."""
    assert assign_roles(f"{doers} phối hợp thu thập, chuẩn hóa dữ liệu quy hoạch; chủ động triển khai.")[0].lead \
        == ["cac_so_nganh"]


def test_a_duty_heading_with_a_doer_the_taxonomy_lacks_hands_down_nothing() -> None:
    """"Trách nhiệm của các cơ quan quản lý cấp trên:" names its doer: the steering committee
    above it does not lead its items."""
    above = AgencyRoles(lead=["bcd_tinh"])
    heading = assign_roles("Trách nhiệm của các cơ quan quản lý cấp trên (kể cả cơ quan quản lý ngành):", above)[0]
    assert heading.lead == []
    assert assign_roles("Trách nhiệm của Sở Y tế:", above)[0].lead == ["so_y_te"]
    assert assign_roles("Đôn đốc đơn vị cấp dưới thực hiện kiểm kê.", above)[0].lead == ["bcd_tinh"]


def test_a_body_directed_with_an_adverb_between_supports() -> None:
    """"hướng dẫn kịp thời chính quyền cấp xã": the communes are told how, they support."""
    r = assign_roles("Ủy ban nhân dân tỉnh chỉ đạo các sở, ngành hướng dẫn kịp thời chính quyền cấp xã "
                     "tháo gỡ khó khăn.")[0]
    assert (r.lead, r.support) == (["ubnd_tinh"], ["cac_so_nganh", "ubnd_xa"])


@pytest.mark.parametrize(("text", "lead"), [
    ("Tăng cường sự phối hợp giữa Sở Y tế và Sở Giáo dục và Đào tạo trong công tác y tế trường học.",
     ["so_y_te", "so_gddt"]),
    ("Bảo đảm sự phối hợp chặt chẽ, thường xuyên giữa các sở, ban, ngành trong triển khai Kế hoạch.",
     ["cac_so_nganh"]),
    # another body is the subject: the ones it coordinates are not told to act
    ("Sở Y tế chủ trì, bảo đảm phối hợp giữa Trung tâm Kiểm soát bệnh tật và các bệnh viện.", ["so_y_te"]),
])
def test_cooperation_between_bodies_as_the_task_makes_them_lead(text: str, lead: list[str]) -> None:
    """Guideline rule 5: "tăng cường phối hợp giữa A và B" tells A and B to cooperate."""
    assert assign_roles(text)[0].lead == lead


@pytest.mark.parametrize(("central", "lead"), [(True, ["cac_bo_nganh"]), (False, ["cac_so_nganh"])])
def test_the_generic_bodies_are_ministries_in_a_central_letter(central: bool, lead: list[str]) -> None:
    """"Thủ trưởng các cơ quan, đơn vị" are the ministries and agencies in a central letter and
    the departments in a provincial one (guideline rule 6)."""
    r = assign_roles("Thủ trưởng các cơ quan, đơn vị tổ chức quán triệt, thực hiện nghiêm Công điện này.",
                     central=central)[0]
    assert r.lead == lead


@pytest.mark.parametrize(("text", "central", "lead", "support"), [
    # a generic noun with no id inside the list does not end it
    ("Bộ Y tế hướng dẫn các Bộ, ngành, các cơ quan, địa phương triển khai các biện pháp phòng dịch.",
     True, ["bo_y_te"], ["cac_bo_nganh", "ubnd_cac_tinh"]),
    ("Sở Tài chính chủ trì, phối hợp với các sở, ban, ngành, đơn vị và Ủy ban nhân dân cấp xã bố trí kinh phí.",
     False, ["so_tai_chinh"], ["cac_so_nganh", "ubnd_xa"]),
    # the directing verb list ends on a comma, or a generic body comes first
    ("Giao Phó Thủ tướng chỉ đạo, đôn đốc, kiểm tra, các bộ, cơ quan, địa phương thực hiện Công điện này.",
     True, ["chinh_phu"], ["cac_bo_nganh", "ubnd_cac_tinh"]),
    ("Chủ tịch Ủy ban nhân dân các tỉnh chỉ đạo cơ quan chức năng và chính quyền cơ sở rà soát, thống kê thiệt hại.",
     True, ["ubnd_cac_tinh"], ["ubnd_xa"]),
])
def test_generic_nouns_inside_a_list_of_directed_bodies(text: str, central: bool, lead: list[str],
                                                      support: list[str]) -> None:
    r = assign_roles(text, central=central, date="2025-10-01")[0]
    assert (r.lead, r.support) == (lead, support)


@pytest.mark.parametrize(("text", "central", "lead", "support"), [
    # a partner with no id opens the list: the known bodies after it cooperate too
    (("Giao Sở Xây dựng chủ trì, phối hợp với Trung tâm Phục vụ hành chính công tỉnh, Công an tỉnh, Ủy ban "
      "nhân dân các xã, phường rà soát số nhà."), False, ["so_khac"], ["cong_an_tinh", "ubnd_xa"]),
    # "phối hợp với địa phương" without "các"
    ("Bộ Giáo dục và Đào tạo chủ động phối hợp với địa phương bảo đảm an toàn cho học sinh.", True,
     ["bo_khac"], ["ubnd_cac_tinh"]),
])
def test_partners_after_an_unknown_body_or_a_bare_locality(text: str, central: bool, lead: list[str],
                                                           support: list[str]) -> None:
    r = assign_roles(text, central=central, date="2025-10-01")[0]
    assert (r.lead, r.support) == (lead, support)


@pytest.mark.parametrize(("text", "lead"), [
    # "đề nghị X …" mid-sentence asks X to act, as "yêu cầu" and "giao" do
    (("Bên cạnh đó, Ủy ban nhân dân xã cũng đề nghị UBMTTQVN và các đoàn thể xã tăng cường tuyên truyền, "
      "vận động Nhân dân diệt bọ gậy."), ["mttq"]),
    ("Đề nghị UB MTTQ tỉnh vận động Nhân dân hưởng ứng chiến dịch.", ["mttq"]),
    ("Sở Y tế đề nghị Ủy ban nhân dân tỉnh xem xét, bố trí kinh phí.", ["ubnd_tinh"]),
])
def test_a_request_mid_sentence_and_the_fronts_short_names(text: str, lead: list[str]) -> None:
    assert assign_roles(text, date="2025-10-01")[0].lead == lead


def test_a_news_items_issuer_is_the_speaker_not_the_doer() -> None:
    """"Ban Thường vụ Tỉnh ủy vừa ban hành Công văn số …, yêu cầu …": the body that wrote the letter
    asks; it is not told to act."""
    r = assign_roles("Ban Thường vụ Tỉnh ủy vừa ban hành Công văn số 120-CV/TU ngày 3-6-2019, yêu cầu các "
                     "huyện ủy, thành ủy tăng cường lãnh đạo công tác phòng, chống dịch tả lợn châu Phi.")[0]
    assert r.lead == ["tinh_uy"]
    news, mentions = assign_roles("Ban Thường vụ Thành ủy vừa ban hành Công văn số 3261-CV/TU, yêu cầu "
                                  "Ban cán sự đảng UBND thành phố tăng cường lãnh đạo.")
    assert news.lead == [] and [m.role for m in mentions if m.text == "Ban Thường vụ Thành ủy"] == ["mention"]


def test_the_short_name_of_the_education_department() -> None:
    """News pages write "Sở Giáo dục" for the Sở Giáo dục và Đào tạo."""
    r = assign_roles("UBND thành phố giao Sở Giáo dục phối hợp Sở Y tế hướng dẫn các trường biện pháp "
                     "phòng, chống dịch.")[0]
    assert (r.lead, r.support) == (["so_gddt"], ["so_y_te"])


@pytest.mark.parametrize(("text", "lead"), [
    # the body a reported letter was sent to is the one asked to act; the sender only speaks
    (("Bộ Y tế vừa có công điện gửi Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương quan tâm chỉ "
      "đạo phòng, chống dịch bệnh mùa hè."), ["ubnd_cac_tinh"]),
    (("Bộ Y tế vừa có Công văn khẩn số 5995 gửi Chủ tịch Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung "
      "ương đề nghị tăng cường phòng, chống cúm gia cầm."), ["ubnd_cac_tinh"]),
    # "đã giao cho X": the one who gave the task is no doer
    ("Thủ tướng Chính phủ đã giao cho Bộ Y tế chủ trì thành lập các đoàn công tác kiểm tra.", ["bo_y_te"]),
])
def test_a_news_items_sender_and_addressee(text: str, lead: list[str]) -> None:
    assert assign_roles(text, central=True)[0].lead == lead


def test_a_ministry_that_directs_in_a_news_item_leads() -> None:
    """"Bộ Nông nghiệp và PTNT vừa có văn bản chỉ đạo Chủ tịch UBND các tỉnh …": the ministry
    directs (lead), the provinces are directed (support), as in a letter; "PTNT" is the short form."""
    r = assign_roles("Trước tình hình này, Bộ Nông nghiệp và PTNT vừa có văn bản chỉ đạo Chủ tịch UBND các tỉnh, "
                     "thành phố trực thuộc Trung ương chấn chỉnh công tác phòng, chống dịch bệnh động vật.",
                     central=True)[0]
    assert (r.lead, r.support) == (["bo_khac"], ["ubnd_cac_tinh"])


def test_the_provinces_after_a_department_qualify_it() -> None:
    """"Sở Y tế các tỉnh, thành phố" are the provinces' health departments, not the provinces'
    committees as well; "Bộ Y tế, các tỉnh, thành phố" names both."""
    assert assign_roles("Đề nghị Sở Y tế các tỉnh, thành phố tăng cường giám sát bệnh sởi.", central=True)[0].lead \
        == ["so_y_te"]
    assert assign_roles("Đề nghị Bộ Y tế, các tỉnh, thành phố tăng cường giám sát bệnh sởi.", central=True)[0].lead \
        == ["bo_y_te", "ubnd_cac_tinh"]


def test_every_provinces_committee_without_cac_in_a_central_letter() -> None:
    """"Ủy ban nhân dân tỉnh, thành phố trực thuộc Trung ương" with no "các" still means every
    province's committee in a central letter, not one province's."""
    text = "Ủy ban nhân dân tỉnh, thành phố trực thuộc Trung ương khẩn trương bố trí kinh phí cho công tác này."
    assert assign_roles(text, central=True, date="2018-05")[0].lead == ["ubnd_cac_tinh"]


@pytest.mark.parametrize("opening", ["Đồng thời, ", "Song song đó, ", "Ngoài ra, ", ""])
def test_a_linking_word_at_the_head_does_not_hide_the_subject(opening: str) -> None:
    """A news copy's paragraphs open with linking words; the body after them still acts."""
    roles = assign_roles(opening + "Sở Giáo dục và Đào tạo phối hợp với Sở Y tế kiểm tra vệ sinh trường học.")[0]
    assert (roles.lead, roles.support) == (["so_gddt"], ["so_y_te"])


@pytest.mark.parametrize(("text", "lead"), [
    ("UBND tỉnh giao cho các sở GD&ĐT, LĐ-TB&XH, Y tế chỉ đạo các trường học tổng vệ sinh.",
     ["so_gddt", "so_ldtbxh", "so_y_te"]),
    ("Giao Sở Giáo dục và Đào tạo, Lao động - Thương binh và Xã hội, Y tế chỉ đạo các trường học.",
     ["so_gddt", "so_ldtbxh", "so_y_te"]),
    ("Giám đốc các Sở: Y tế, Tài chính, Công Thương chủ động triển khai kế hoạch.",
     ["so_y_te", "so_tai_chinh", "so_cong_thuong"]),
    # a generic plural and a department followed by another body are no short-name lists
    ("Các sở, ban, ngành tăng cường kiểm tra.", ["cac_so_nganh"]),
    ("Sở Y tế, Công an tỉnh phối hợp kiểm tra cơ sở kinh doanh.", ["so_y_te", "cong_an_tinh"]),
])
def test_departments_listed_under_one_so(text: str, lead: list[str]) -> None:
    """"các sở GD&ĐT, LĐ-TB&XH, Y tế": one "Sở" for the list, each department by its short name."""
    assert assign_roles(text)[0].lead == lead


def test_a_districts_own_offices_glue_its_list() -> None:
    """"các phòng, ban ngành, đoàn thể huyện, UBND các xã" — the district's offices have no id but
    do not end the list of bodies asked to act."""
    text = ("UBND huyện yêu cầu các phòng, ban ngành, UBND các xã, thị trấn thực hiện tốt một số nội dung sau:")
    assert "ubnd_xa" in assign_roles(text)[0].lead


@pytest.mark.parametrize("mark", [":", ""])
def test_a_colon_after_yeu_cau_goes_on_to_the_bodies_asked(mark: str) -> None:
    """"Chủ tịch UBND thị xã yêu cầu: Chủ tịch UBND các xã, phường …" — the colon does not end the
    sentence, so the speaker stays the speaker and the communes are asked."""
    text = (f"Để chủ động ứng phó với bão, Chủ tịch Ủy ban nhân dân thị xã yêu cầu{mark} Chủ tịch UBND các xã, "
            "phường triển khai một số nội dung sau:")
    assert assign_roles(text)[0].lead == ["ubnd_xa"]


def test_cac_tinh_huong_is_no_provinces_and_an_unknown_body_asked_first() -> None:
    """Folded, "các tình huống" reads "các tỉnh"; the tone marks say which. A body with no id asked
    first ("yêu cầu Ban Chỉ huy … tỉnh, Thủ trưởng các sở …") still leaves the speaker a speaker."""
    text = ("Để chủ động ứng phó các tình huống thiên tai, Chủ tịch UBND tỉnh yêu cầu Ban Chỉ huy Phòng, chống "
            "thiên tai và Tìm kiếm cứu nạn tỉnh, Thủ trưởng các sở, ban, ngành, Chủ tịch UBND các huyện tổ chức "
            "thực hiện tốt các nội dung sau:")
    assert not [h for h in find_bodies(text) if h.text.lower() == "các tình"]
    assert assign_roles(text)[0].lead == ["cac_so_nganh", "ubnd_huyen"]


@pytest.mark.parametrize("verb", ["giao trách nhiệm cụ thể cho", "giao nhiệm vụ cho", "giao cho"])
def test_giao_trach_nhiem_cho_asks_the_body_after_it(verb: str) -> None:
    text = f"UBND tỉnh cũng {verb} Sở Y tế chủ trì tổ chức kiểm tra an toàn thực phẩm."
    assert assign_roles(text)[0].lead == ["so_y_te"]


@pytest.mark.parametrize("text", ["Ban Chỉ huy Quân sự xã, Công an xã bố trí lực lượng giúp các hộ neo đơn.",
                                  "Ban CHQS phường, Công an phường bố trí lực lượng giúp các hộ neo đơn."])
def test_a_communes_military_command_is_the_armed_forces(text: str) -> None:
    """Guideline: "Công an xã", "Ban Chỉ huy Quân sự xã" → `cong_an_tinh`, `quan_su_bien_phong`."""
    assert assign_roles(text)[0].lead == ["quan_su_bien_phong", "cong_an_tinh"]
