"""How Vietnamese a decoded text looks (common syllables, well-formed syllables, valid letters): the judge between candidate encodings."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# --------------------------------------------------------------------------- plausibility
_VI_LOWER = ("aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợ"
             "uùúủũụưừứửữựyỳýỷỹỵđ")
_VI_LETTERS = frozenset(_VI_LOWER + _VI_LOWER.upper() + "bcdfghjklmnpqrstvwxz"
                        + "BCDFGHJKLMNPQRSTVWXZ")
_GOOD_PUNCT = frozenset("“”‘’–—…•·°€₫")

_COMMON_SYLLABLES = frozenset("""
của và các được ngày tháng năm tỉnh thành phố huyện xã phường thị trấn phòng sở ban nhân dân
ủy uỷ hội đồng thực hiện theo quy định về việc có không cho với trong những này đã để đến người
là một tại trên từ số công văn quyết chỉ thị kế hoạch tổ chức cơ quan đơn vị địa phương triển
khai báo cáo đề nghị yêu cầu nội dung bản thông tin tư pháp kinh tế giáo dục đào tạo y lao bảo
hiểm chính phủ thủ tướng bộ trưởng giám đốc chủ tịch phó trách nhiệm vụ quản lý hướng dẫn kiểm
tra giải hồ sơ hành cải cách an toàn chống dịch bệnh tác tăng cường đảm đảng cộng sản việt nam
độc lập tự do hạnh phúc hà nội lực lượng nơi nhận lưu như kính gửi căn cứ luật điều khoản mục
tiêu giai đoạn phát xây dựng môi trường tài nguyên sách hỗ trợ học sinh đất đai nông nghiệp
thương mại ngân vốn đầu dự án thời gian hạn trước sau khi các cấp ngành liên phối hợp trì tham
mưu tổng kết quả xuất ra vào lên bị sẽ đang cũng nhằm đối tượng trình nước quốc gia trung ương
văn hóa hoá xã biết sự năng hiệu còn hơn nhiều mới làm tình hình năm nay toàn trọng trân tất
cả hoặc mà nên vì nếu đó thì phải cần đúng đủ kịp thời rà soát đánh giá thống kê khẩn
""".split())

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWEL_CLUSTERS = sorted("""
a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi ua uâ uê ui uô uơ
uy ưa ưi ưu ươ yê iêu yêu oai oay oeo uây uôi uya uyê uyu ươi ươu
""".split(), key=len, reverse=True)
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    rf"(?:{'|'.join(_VOWEL_CLUSTERS)})(?:ng|nh|ch|[cmnpt])?")


def _valid_syllable(word: str) -> bool:
    decomposed = unicodedata.normalize("NFD", word)
    if sum(ch in _TONE_MARKS for ch in decomposed) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return bool(base) and _SYLLABLE.fullmatch(base) is not None


@dataclass(frozen=True)
class _Score:
    good: float     # share of non-space characters that are plausible in a Vietnamese letter
    valid: float    # share of words that are well-formed Vietnamese syllables
    common: float   # share of words that are frequent syllables of administrative Vietnamese
    words: int

    @property
    def total(self) -> float:
        return 2.0 * self.good + 0.5 * self.valid + 1.0 * self.common


def _plausibility(text: str) -> _Score:
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return _Score(0.0, 0.0, 0.0, 0)
    good = sum(ch in _VI_LETTERS or (ch.isascii() and ch.isprintable()) or ch in _GOOD_PUNCT
               for ch in chars) / len(chars)
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words:
        return _Score(good, 0.0, 0.0, 0)
    valid = sum(_valid_syllable(w) for w in words) / len(words)
    common = sum(w in _COMMON_SYLLABLES for w in words) / len(words)
    return _Score(good, valid, common, len(words))


def _is_vietnamese(score: _Score) -> bool:
    return score.good >= 0.97 and (score.valid >= 0.6 or score.common >= 0.15)


_SCORE_SAMPLE = 200_000  # characters; enough to tell encodings apart, keeps big files fast


def _suspicious_words(text: str) -> str:
    """The words of ``text`` that contain non-ASCII characters (ASCII words score the same
    under every candidate and would only dilute the difference), at most a sample of them."""
    words = [w for w in text[: 4 * _SCORE_SAMPLE].split() if not w.isascii()]
    return (" ".join(words) if words else text)[:_SCORE_SAMPLE]
