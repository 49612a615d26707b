"""Theme rules from the taxonomy (letters.themes): cues, blockers, topics a letter inherits."""
from __future__ import annotations

import numpy as np
import pytest

from congvan.letters.parse import parse_letter
from congvan.letters.taxonomy import load_taxonomy
from congvan.letters.themes import ThemeRules, theme_rules
from congvan.models.tagger.inputs import subject_input, with_rule_themes
from congvan.training.records import Record
from congvan.training.theme_cues import CUE_PRECISION, cue_stats, topic_stats


@pytest.fixture(scope="module")
def rules() -> ThemeRules:
    return theme_rules()


def test_cues_decide_a_theme_in_any_clause(rules: ThemeRules) -> None:
    assert "communication" in rules.cues("Đài Phát thanh tỉnh tăng cường tuyên truyền cho người dân.")
    assert "vector_control" in rules.cues("Tổ chức chiến dịch diệt bọ gậy tại các hộ gia đình.")
    assert rules.cues("Các đơn vị báo cáo kết quả trước ngày 15 hằng tháng.") == []


def test_tone_marks_are_kept_unless_the_text_has_none(rules: ThemeRules) -> None:
    # "bão" (storm) is a topic of preparedness; "bảo" (ensure, protect) is not
    assert "preparedness" in rules.topics("V/v chủ động ứng phó với bão số 3")
    assert rules.topics("V/v bảo đảm an ninh trật tự dịp Tết") == []
    # a tone-less copy is folded on both sides, so it still finds its cue
    assert "communication" in rules.cues("Day manh tuyen truyen tren bao chi")


def test_blockers_keep_human_health_cues_out_of_animal_and_water_work(rules: ThemeRules) -> None:
    assert "testing" in rules.cues("Lấy mẫu xét nghiệm các trường hợp nghi ngờ mắc bệnh.")
    assert "testing" not in rules.cues("Lấy mẫu nước tại các vùng nuôi trồng thủy sản để quan trắc.")
    assert "vaccination" not in rules.cues("Tổ chức tiêm vắc xin cho đàn gia súc, gia cầm trong tháng 3.")
    # the letter's subject can block too
    assert "vaccination" not in rules.cues("Tổ chức tiêm vắc xin đợt 1 năm 2026.",
                                           subject="Kế hoạch tiêm phòng cho gia súc, gia cầm năm 2026")
    assert "vaccination" in rules.cues("Tổ chức tiêm vắc xin đợt 1 năm 2026.",
                                       subject="Kế hoạch tiêm chủng mở rộng năm 2026")


def test_a_letter_about_a_theme_passes_it_to_every_directive_clause(rules: ThemeRules) -> None:
    subject = "KẾ HOẠCH QUAN TRẮC MÔI TRƯỜNG NUÔI TRỒNG THỦY SẢN NĂM 2026"
    assert rules.topics(subject) == ["animal_health"]
    added = rules.added(["Tổ chức lựa chọn đơn vị thực hiện theo quy định.",
                         "Kịp thời thông tin kết quả cho người dân qua hệ thống loa."], subject)
    assert added[0] == ["animal_health"]
    assert set(added[1]) == {"communication", "animal_health"}
    assert rules.topics("V/v thành lập Ban quản lý khu kinh tế") == []  # "kinh tế" alone is no topic
    assert rules.topics(None) == [] and rules.topics("  ") == []


def test_captions_and_lines_that_only_name_a_body_inherit_no_topic(rules: ThemeRules) -> None:
    """A plan's duty list opens each part with the body it concerns ("Sở Văn hóa, Thể thao và Du
    lịch", "UBND các xã, phường:") and its parts with captions ("Hình thức", "Đối tượng thực hiện"):
    they order nothing, so they take no theme, while the tasks under them do."""
    subject = "KẾ HOẠCH TRUYỀN THÔNG VỀ GIẢM NGHÈO ĐA CHIỀU NĂM 2026"
    assert "social_welfare" in rules.topics(subject)
    lines = ["Sở Văn hóa, Thể thao và Du lịch", "UBND các xã, phường:", "Hình thức", "Đối tượng thực hiện",
             "Hỗ trợ hộ nghèo tiếp cận dịch vụ y tế, giáo dục và nhà ở."]
    added = rules.added(lines, subject)
    assert [("social_welfare" in a) for a in added] == [False, False, False, False, True]


@pytest.mark.parametrize("subject,about", [
    ("V/v chủ động phòng, tránh, ứng phó với bão số 5 năm 2026", True),
    ("KẾ HOẠCH ỨNG PHÓ KHẨN CẤP VỚI BỆNH CÚM GIA CẦM", True),
    ("V/v tập trung ứng phó mưa, lũ tại các tỉnh miền Trung", True),
    ("THÁNG HÀNH ĐỘNG PHÒNG NGỪA, ỨNG PHÓ VỚI BẠO LỰC TRÊN CƠ SỞ GIỚI", False),
    ("V/v ứng phó với tác động của chính sách thuế đối ứng", False),
])
def test_a_response_to_disasters_and_epidemics_is_preparedness_not_any_response(
        rules: ThemeRules, subject: str, about: bool) -> None:
    """"Ứng phó" alone is any response (to violence, to tariffs): the letter is about readiness
    only when it responds to an epidemic, a storm, a flood or another emergency."""
    assert ("preparedness" in rules.topics(subject)) is about


def test_readiness_cues_need_an_epidemic_or_a_disaster(rules: ThemeRules) -> None:
    """"Sẵn sàng", "kịch bản" decide `preparedness` only where the clause or the letter's subject
    names an epidemic, a disaster or an emergency (the theme's ``cue_context``)."""
    assert "preparedness" in rules.cues("Xây dựng kịch bản ứng phó với các tình huống dịch bệnh.")
    assert "preparedness" in rules.cues("Chuẩn bị sẵn sàng lực lượng, phương tiện.",
                                        subject="V/v chủ động ứng phó với bão số 3")
    assert "preparedness" not in rules.cues("Đài Truyền hình xây dựng kịch bản chương trình lễ khánh thành.",
                                            subject="V/v tổ chức lễ khánh thành các công trình trọng điểm")
    assert "preparedness" not in rules.cues("Chủ đầu tư sẵn sàng đưa nhà máy điện vào vận hành thương mại.")
    assert rules.topics("KẾ HOẠCH KHẮC PHỤC MÔI TRƯỜNG SAU BÃO SỐ 13") == []  # recovery, not readiness


def test_disinfection_campaigns_are_animal_health(rules: ThemeRules) -> None:
    subject = "V/v triển khai tháng hành động vệ sinh, tiêu độc, khử trùng môi trường chăn nuôi"
    assert "animal_health" in rules.topics(subject)
    assert "animal_health" in rules.cues("Tổ chức phun hóa chất tiêu độc tại các chợ buôn bán gia cầm.")


def test_rule_themes_join_the_model_themes_sorted_by_score() -> None:
    tax = load_taxonomy()
    ids = tax.theme_ids
    thr = np.full(len(ids), 0.5, np.float32)
    probs = np.zeros((2, len(ids)), np.float32)
    probs[0, ids.index("leadership")] = 0.9
    probs[1, ids.index("education")] = 0.2  # below its threshold: the subject's topic adds it
    subject_probs = np.zeros(len(ids), np.float32)
    subject_probs[ids.index("economy")] = 0.8  # the model reads the subject as economy
    out = with_rule_themes(["Thủ trưởng các đơn vị chịu trách nhiệm trước Chủ tịch UBND tỉnh.",
                            "Rà soát cơ sở vật chất trước khai giảng."],
                           probs, ids, thr, subject="V/v chuẩn bị năm học mới", subject_probs=subject_probs)
    first = [(t.id, t.score) for t in out[0]]
    assert first[0] == ("leadership", 0.9) and {"education", "economy"} <= {t for t, _ in first}
    second = {t.id: t.score for t in out[1]}
    assert second["education"] == 0.5  # max(probability 0.2, threshold 0.5)
    assert "economy" in second
    # a heading that only names a body orders nothing: no theme, whatever the model reads in it
    heading = with_rule_themes(["Sở Tài chính", "Trách nhiệm thực hiện"], probs[[0, 0]], ids, thr,
                               subject="V/v chuẩn bị năm học mới")
    assert heading == [[], []]
    # nor do the fields of a published administrative procedure; a sentence about a fee does
    fields = with_rule_themes(["Cách thức thực hiện: Trực tiếp hoặc qua dịch vụ bưu chính công ích.",
                               "Phí, lệ phí: Không.", "Thành phần, số lượng hồ sơ",
                               "Lệ phí tuyển sinh được miễn cho học sinh."], probs[[0, 0, 0, 0]], ids, thr,
                              subject="V/v chuẩn bị năm học mới")
    assert fields[:3] == [[], [], []] and {t.id for t in fields[3]} >= {"leadership", "education"}


def test_subject_in_capitals_is_lowercased_for_the_model() -> None:
    assert subject_input("V/V CHỦ ĐỘNG ỨNG PHÓ MƯA LŨ") == "v/v chủ động ứng phó mưa lũ"
    assert subject_input("V/v tăng cường  công tác") == "V/v tăng cường công tác"


def test_taggers_use_the_letter_subject() -> None:
    from tests.test_tagger import _fake_tagger

    t = _fake_tagger({}, {})
    letter = parse_letter("UBND TỈNH X\nSố: 12/UBND-NN\nV/v phòng, chống dịch tả lợn châu Phi\n"
                          "1. Các xã rà soát tổng đàn, báo cáo trước ngày 20/3.\n"
                          "2. Sở Tài chính bố trí kinh phí thực hiện.\n")
    assert letter.subject and "dịch tả lợn" in letter.subject
    t.tag_letter(letter)
    directive = [c for c in letter.clauses if c.kind == "directive"]
    assert directive and all("animal_health" in [s.id for s in c.themes] for c in directive)
    assert "supplies" in [s.id for s in directive[-1].themes]


def test_audit_counts_cues_and_topics_on_annotations() -> None:
    tax = load_taxonomy()
    recs = [Record(id="a-1", letter_id="a", text="Đẩy mạnh tuyên truyền trên báo chí.", themes=["communication"],
                   doc={"subject": "V/v phòng, chống dịch tả lợn châu Phi"}),
            Record(id="a-2", letter_id="a", text="Tuyên truyền, vận động người chăn nuôi.", themes=["animal_health"],
                   doc={"subject": "V/v phòng, chống dịch tả lợn châu Phi"})]
    row = next(r for r in cue_stats(recs, tax) if r["cue"] == "tuyên truyền")
    assert (row["clauses"], row["right"], row["precision"]) == (2, 1, 0.5)
    (topic,) = topic_stats(recs, tax)
    assert (topic["theme"], topic["right"], topic["clauses"]) == ("animal_health", 1, 2)


def test_shipped_cues_hold_on_the_team_annotations() -> None:
    """Every cue seen in ≥ 3 annotated team clauses (train+dev) keeps its precision there; the
    full audit with the real letters is ``python -m congvan.training.theme_cues --shared``."""
    from congvan.training.dataset import ensure_splits, load_records

    records = load_records(shared_dir=None)
    assign = ensure_splits(records, write=False)
    chosen = [r for r in records if r.kind == "directive" and assign.get(r.letter_id) in ("train", "dev")]
    assert len(chosen) > 1000
    weak = [r for r in cue_stats(chosen, load_taxonomy()) if r["clauses"] >= 3 and r["precision"] < CUE_PRECISION - 0.1]
    assert not weak, weak


@pytest.mark.parametrize("caption", ["Mục đích", "Yêu cầu", "Mục tiêu cụ thể", "Tổ chức thực hiện",
                                     "Nhiệm vụ và giải pháp", "Trong khi xảy ra bão, lũ"])
def test_a_plans_section_caption_inherits_no_theme(rules: ThemeRules, caption: str) -> None:
    """"Mục đích" of a storm-readiness plan orders nothing: the letter's topic is not its theme;
    the plan's items still inherit it."""
    subject = "KẾ HOẠCH CHỦ ĐỘNG PHÒNG, TRÁNH, ỨNG PHÓ VỚI BÃO SỐ 5 NĂM 2026"
    assert "preparedness" in rules.topics(subject)
    added = rules.added([caption, "Rà soát phương án sơ tán dân đến nơi an toàn."], subject)
    assert added[0] == []
    assert "preparedness" in added[1]
