"""Theme rules from the taxonomy: wording that decides a theme, and letters whose subject does.

The fine-tuned tagger learns themes from annotated clauses, but a clause of a letter about an
aquaculture plan or investment procedures rarely repeats what the letter is about, and real letters
cover domains the training letters hardly show. Two rules, both data in ``taxonomy.json``, add to
what the model gives (never remove):

* **cues**: a clause containing one is given the theme ("tuyên truyền" → communication), unless a
  ``cue_blockers`` wording occurs in the clause or the letter's subject (water sampling is not
  ``testing``, vaccinating pigs is not ``vaccination``);
* **topics**: a letter whose subject names one is about the theme, so each of its directive
  clauses inherits it (as a clause inherits the letter's disease).

A theme may also list ``cue_context``: its cues then count only where the clause or the letter's
subject names one of those words too ("sẵn sàng", "kịch bản" are readiness for an epidemic or a
disaster, not for opening a power plant or filming a ceremony).

Matching keeps tone marks ("bão" is not "bảo") unless a text has none, then both sides are folded.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from congvan.letters.agencies import find_bodies
from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.letters.text import fold, has_diacritics, match_key

__all__ = ["ThemeRules", "compile_phrases", "is_section_caption", "matches", "names_only_bodies", "text_form",
           "theme_rules"]


def _phrase(words: str) -> str:
    parts = re.findall(r"\w+", words)
    return r"(?<!\w)" + r"[\s\-,./&]+".join(map(re.escape, parts)) + r"(?!\w)" if parts else ""


def compile_phrases(phrases: Iterable[str]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """(accented, folded) alternations of ``phrases``; ``None`` when there are none."""
    phrases = [p for p in phrases if p.strip()]
    if not phrases:
        return None, None
    accented = "|".join(filter(None, (_phrase(match_key(p)) for p in phrases)))
    folded = "|".join(filter(None, (_phrase(fold(p)) for p in phrases)))
    return re.compile(accented), re.compile(folded)


@dataclass(frozen=True)
class _Rule:
    theme: str
    cues: tuple[re.Pattern[str] | None, re.Pattern[str] | None]
    blockers: tuple[re.Pattern[str] | None, re.Pattern[str] | None]
    topics: tuple[re.Pattern[str] | None, re.Pattern[str] | None]
    context: tuple[re.Pattern[str] | None, re.Pattern[str] | None] = (None, None)


def matches(pair: tuple[re.Pattern[str] | None, re.Pattern[str] | None], text: str, accented: bool) -> bool:
    """Whether ``compile_phrases``'s pair finds a phrase in ``text`` (in ``text_form``'s form)."""
    rx = pair[0] if accented else pair[1]
    return bool(rx is not None and rx.search(text))


def text_form(text: str) -> tuple[str, bool]:
    """The form a text is matched in: (tone-kept key, True), or (folded, False) when it has no marks."""
    return (match_key(text), True) if has_diacritics(text) else (fold(text), False)


class ThemeRules:
    """The compiled cue, blocker and topic lists of a taxonomy's themes."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.rules = [_Rule(t.id, compile_phrases(t.cues), compile_phrases(t.cue_blockers),
                            compile_phrases(t.topics), compile_phrases(t.cue_context)) for t in taxonomy.themes]
        #: themes a letter can be about as a whole (those with topics)
        self.topic_themes = [r.theme for r in self.rules if r.topics[0] is not None]

    def topics(self, subject: str | None) -> list[str]:
        """Themes the letter's subject names as what the whole letter is about."""
        if not subject or not subject.strip():
            return []
        text, accented = text_form(subject)
        return [r.theme for r in self.rules if matches(r.topics, text, accented)]

    def cues(self, text: str, subject: str | None = None) -> list[str]:
        """Themes a clause's own wording decides (blocked where the clause or subject says so)."""
        form, accented = text_form(text)
        subj = text_form(subject) if subject else None
        out = []
        for r in self.rules:
            if not matches(r.cues, form, accented):
                continue
            if matches(r.blockers, form, accented) or (subj is not None and matches(r.blockers, *subj)):
                continue
            if r.context != (None, None) and not (matches(r.context, form, accented)
                                                  or (subj is not None and matches(r.context, *subj))):
                continue
            out.append(r.theme)
        return out

    def added(self, texts: Sequence[str], subject: str | None = None,
              letter_themes: Iterable[str] = ()) -> list[list[str]]:
        """Per clause text, the themes the rules add: its cues, the subject's topics and
        ``letter_themes`` (themes a model read in the subject, among those with topics). A
        plan's section caption ("Mục đích", "Yêu cầu", "Tổ chức thực hiện") inherits nothing:
        it orders nothing itself."""
        inherited = list(dict.fromkeys([*self.topics(subject), *letter_themes]))
        return [list(dict.fromkeys([*self.cues(t, subject),
                                    *([] if is_section_caption(t) or names_only_bodies(t) else inherited)]))
                for t in texts]


# The generic section names of plans and directives (a caption, not an order): "Mục đích",
# "Mục tiêu cụ thể", "Nhiệm vụ và giải pháp", "Tổ chức thực hiện", "Trước khi xảy ra thiên tai" …
_SECTION_CAPTION = re.compile(
    r"^(?:mục đích|yêu cầu|mục đích,? yêu cầu|mục tiêu(?: chung| cụ thể)?|quan điểm|nguyên tắc|phạm vi(?: áp dụng)?"
    r"|đối tượng(?: áp dụng| thực hiện)?|(?:nội dung|hình thức)(?:(?:,| và) (?:nội dung|hình thức))?"
    r"(?: thực hiện| hoạt động| chủ yếu| tuyên truyền)?|nhiệm vụ(?:,? giải pháp| chủ yếu| cụ thể)?"
    r"|(?:các )?nhiệm vụ(?:,| và) giải pháp(?: chủ yếu)?|giải pháp(?: thực hiện| chủ yếu)?|tổ chức thực hiện"
    r"|kinh phí(?: thực hiện)?|phân công (?:nhiệm vụ|trách nhiệm)|trách nhiệm thực hiện|chế độ (?:thông tin,? )?báo cáo"
    r"|thời gian(?: thực hiện)?|(?:trước|trong|sau) khi (?:xảy ra )?[^\W\d_]+(?:,? [^\W\d_]+){0,4})\s*[:.]?$")


def is_section_caption(text: str) -> bool:
    """A bare section name of a plan ("Mục đích", "Yêu cầu", "Trong khi xảy ra bão")."""
    t = " ".join(text.split()).lower()
    return len(t.split()) <= 8 and bool(_SECTION_CAPTION.match(t))


# The fields of an administrative procedure as a decision publishes it ("công bố thủ tục hành
# chính"): "Cách thức thực hiện: Trực tiếp …", "Thành phần, số lượng hồ sơ", "Phí, lệ phí: Không".
# A record of how a procedure runs orders no work of a theme. The field's name ends the line or
# is followed by its colon: "Lệ phí trước bạ được miễn …" is a sentence, not a field.
_PROCEDURE_FIELD = re.compile(
    r"^(?:trình tự thực hiện|cách thức thực hiện|thành phần(?:,? số lượng)? hồ sơ|số lượng hồ sơ"
    r"|thời (?:hạn|gian) giải quyết|(?:cơ quan|đối tượng|kết quả|địa điểm) thực hiện (?:thủ tục hành chính|tthc)"
    r"|phí,? lệ phí|lệ phí|(?:tên )?mẫu đơn,? (?:mẫu )?tờ khai|yêu cầu,? điều kiện(?: thực hiện)?(?: thủ tục hành chính| tthc)?"
    r"|căn cứ pháp lý(?: của thủ tục hành chính)?)\s*(?::|\.?$)")


def is_procedure_field(text: str) -> bool:
    """A field line of a published administrative procedure (see ``_PROCEDURE_FIELD``)."""
    return bool(_PROCEDURE_FIELD.match(" ".join(text.split()).lower().lstrip("-+•* ")))


@lru_cache(maxsize=4096)  # asked twice per clause when tagging (inherited themes, then the model's)
def names_only_bodies(text: str) -> bool:
    """A line that only names who acts ("Sở Văn hóa, Thể thao và Du lịch", "UBND các xã, phường:"),
    a heading of a plan's duty list: it orders nothing, so it takes no theme (guideline, themes)."""
    t = " ".join(text.split()).strip(" .:;-*")
    if not t or len(t.split()) > 14:
        return False
    rest = t
    for hit in sorted(find_bodies(t), key=lambda h: -h.start):
        rest = rest[:hit.start] + rest[hit.end:]
    return not re.sub(r"(?i)\b(?:và|các|cơ quan|đơn vị|liên quan|tỉnh|thành phố)\b|[\s,;:.&()\-]", "", rest)


@lru_cache(maxsize=8)
def _cached(path: str) -> ThemeRules:
    return ThemeRules(load_taxonomy(path))


def theme_rules(taxonomy: Taxonomy | None = None) -> ThemeRules:
    """The rules of ``taxonomy`` (default: the configured one), compiled once per file."""
    tax = taxonomy or load_taxonomy()
    return _cached(str(tax.path)) if tax.path else ThemeRules(tax)
