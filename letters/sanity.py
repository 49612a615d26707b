"""Is this text a Vietnamese letter at all? Refuse junk before it is tagged and stored.

``{"text": "aaaa…"}``, binary garbage that slipped through a reader, or an English page used to
be stored as letters. The check is deliberately conservative — a short real letter, with or
without tone marks, must pass: it asks only for enough words, mostly made of letters, some
variety, and a handful of the commonest Vietnamese words (compared without tones).
"""
from __future__ import annotations

import re

from congvan.letters.text import fold

MIN_WORDS = 8
MIN_DISTINCT = 5
MIN_COMMON = 3
#: Very frequent Vietnamese words (tone-less), every real letter has many of them.
COMMON = frozenset("""
va cua cac co trong duoc cho ve khong voi tai theo nay nhung de den nguoi nam so ngay thang
tinh huyen xa uy ban nhan dan bo y te cong van chi thi ke hoach quyet dinh thuc hien tren
dia phuong don vi phong chong dich benh tang cuong can bao cao tu la mot da se viec
""".split())
_WORD = re.compile(r"[^\W\d_]+")


def prose_problem(text: str) -> str | None:
    """Why ``text`` is not a Vietnamese letter (a message for the user), or None if it may be."""
    stripped = "".join(text.split())
    if not stripped:
        return "Văn bản trống (empty text)"
    bad = sum(1 for ch in stripped if ch == "\ufffd" or (ord(ch) < 32) or 0xE000 <= ord(ch) <= 0xF8FF)
    if bad / len(stripped) > 0.05:
        return ("Tệp chứa nhiều ký tự không đọc được: có thể là tệp nhị phân hoặc sai bảng mã; hãy lưu "
                "lại dạng .txt (UTF-8), .docx hoặc .pdf có chữ (binary or undecodable content)")
    letters = sum(ch.isalpha() for ch in stripped)
    if letters / len(stripped) < 0.5:
        return "Văn bản có quá ít chữ cái, không giống một công văn (too few letters for a letter)"
    words = [fold(w.lower()) for w in _WORD.findall(text)]
    if len(words) < MIN_WORDS or len(set(words)) < MIN_DISTINCT:
        return (f"Văn bản quá ngắn hoặc lặp lại: cần ít nhất {MIN_WORDS} từ, {MIN_DISTINCT} từ khác nhau "
                f"(too short or repetitive to be a letter)")
    if len(set(words) & COMMON) < MIN_COMMON:
        return "Văn bản không giống tiếng Việt: hãy tải lên công văn tiếng Việt (text is not Vietnamese prose)"
    return None
