"""Which bodies a clause names, and which of them it makes responsible (lead) or cooperating.

Matching is accent-, case- and tone-placement-insensitive (on ``letters.text.fold`` text, which
keeps offsets), longest alias wins and matches never overlap. Besides the taxonomy's agencies the
matcher also knows *sources* (Bộ Y tế, Chính phủ, Tỉnh ủy …: cited issuers, never responsible) and
*other bodies* (Công an tỉnh, Sở Tài chính …: local bodies with no id), so that "Ban Chỉ đạo Quốc
gia" is not read as the provincial one and "Công an tỉnh chủ trì" is not given to someone else.

Role rules (documented here because the tagger, the tests and reviewers rely on them):

1. Names are grouped into *lists*: consecutive names joined only by commas, "và", "với",
   "các cơ quan liên quan" … (and, in subject position, ";", "đề nghị", "yêu cầu", "lãnh đạo").
2. A list in *subject position* — at the start of the clause or of a sentence/semicolon part,
   possibly after "Giao", "Yêu cầu", "Đề nghị", "Đối với", "Các đồng chí", "Thủ trưởng" …, or right
   after "giao"/"yêu cầu" anywhere — is **lead** ("Sở Y tế, UBND các huyện … có trách nhiệm",
   "Giao X chủ trì", "Yêu cầu A, B; đề nghị C" → several leads). If the list is followed by
   "phối hợp" it is **support** ("UBND các huyện phối hợp thực hiện"); if it is followed by
   "giao/yêu cầu/đề nghị" + another list, it is the speaker ("UBND tỉnh giao Sở Y tế …") and
   only a mention.
3. A list right after "phối hợp (chặt chẽ) (với)" or "sự phối hợp của" is **support**.
4. A list anywhere else followed by "chủ trì" ("do Sở Y tế chủ trì") is **lead**; followed by
   "phối hợp" it is **support**. A list the lead *directs* to act — right after "chỉ đạo",
   "hướng dẫn", "đôn đốc", "định hướng", "huy động" ("chỉ đạo các cơ quan báo chí tuyên truyền") — is
   **support**: those bodies carry the work out, and staff filtering by them expect the clause
   (the annotated dataset follows the same rule). Otherwise it is a **mention**: bodies one
   reports to ("báo cáo UBND tỉnh"), is accountable to ("trước Tỉnh ủy, UBND tỉnh") and issuers
   of cited documents ("Kế hoạch số 37/KH-UBND … của UBND tỉnh") are never lead or support.
5. "X là thành viên Ban Chỉ đạo …": X is folded into the body it is a member of; in "Sở Y tế -
   Cơ quan thường trực Ban Chỉ đạo tỉnh chủ trì" the Ban Chỉ đạo is only a mention.
6. Sources never get a role. A clause whose subject list holds only *other bodies* has its own
   subject (it does not inherit), though that subject has no id.
7. Inheritance: a clause that names no subject of its own takes its heading's lead and support
   (``inherited``) and adds the support it names itself; one that names its own subject keeps
   only its own roles ("- Chủ tịch UBND các huyện, thành phố chịu trách nhiệm …" under item 2
   has lead ``ubnd_huyen`` only). The parser passes the letter's single addressee as
   ``inherited`` for top-level items (see ``letters.parse``).
8. A clause left with no lead at all (none of its own, none inherited) whose subject list was
   told to "phối hợp" ("Đề nghị Ủy ban MTTQ tỉnh phối hợp vận động …") makes that list the lead:
   it is the body the clause tells to act.
9. A party body's clause left with no lead ("Ban cán sự đảng UBND tỉnh lãnh đạo, chỉ đạo UBND
   tỉnh: …", "Đảng đoàn HĐND tỉnh … lãnh đạo HĐND, UBND tỉnh …"): the party body has no id, the
   government bodies it steers are the lead.
10. An opening adverbial phrase does not hide the subject: "Để người dân …, Sở TT&TT …" and
   "Theo địa bàn được phân công, các đồng chí thành viên Ban Chỉ đạo …" name their subject.
11. The letter's level (taxonomy v2): national bodies (``"level": "central"`` in the taxonomy:
   Chính phủ, Bộ Y tế, the other ministries, the provinces as a group) take roles only in a central
   letter (``central=True``); in a provincial letter they stay cited sources, as in v1. The same
   "Bộ Y tế" is a mention when cited ("Thực hiện Công văn số … của Bộ Y tế") and the lead when told
   to act ("Giao Bộ Y tế chủ trì …"). Contextual wording ("các địa phương", "ngành y tế") takes
   the id the taxonomy's ``contextual`` section gives for the letter's level and date.
12. A ``keep_name`` id (``bo_khac``, ``so_khac``) keeps the body's own name: ``AgencyRoles.names``
   maps it to the names behind it ({"bo_khac": ["Bộ Công an"]}), inherited like the id.
13. A clause that opens with a body outside the taxonomy ("Văn phòng Ban Chỉ đạo … theo dõi …",
   "Đề nghị Viện kiểm sát nhân dân tỉnh …") or with a body named by its part in a procedure
   ("Cơ quan chủ trì có trách nhiệm …") names its own subject and inherits nothing.
14. A short name the letter defines ("… Mặt trận Tổ quốc (sau đây gọi chung là cơ quan, tổ chức)",
   "Các cơ quan đăng ký đầu tư (Sở Tài chính, …)") stands for those bodies in the clauses after
   it (``defined_terms``; the parser passes them as ``terms``), except in "cơ quan, tổ chức, cá nhân".
15. The letter's addressees ("Kính gửi: - Sở Y tế; - UBND các huyện …", one or several) lead a
   top-level item that names no subject at all (``addressees``): weaker than a heading — a clause
   whose own subject is only told to "phối hợp" (rule 8), one that opens with a body the taxonomy
   does not know (rule 13) or with a plural noun phrase ("Các lực lượng chức năng phải …") keeps
   its own subject.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from congvan.letters.gazetteer import provinces_of_unit
from congvan.letters.schema import AgencyMention, AgencyRoles
from congvan.letters.taxonomy import Body, Taxonomy, load_taxonomy
from congvan.letters.text import fold, nfc

__all__ = ["Hit", "Terms", "advised", "assign_roles", "defined_terms", "find_bodies", "find_mentions"]

Category = Literal["agency", "source", "other"]
Role = Literal["lead", "support", "mention"]


@dataclass(frozen=True)
class Hit:
    """One matched body name: ``agency`` is the taxonomy id (None for sources/other bodies);
    ``label`` the body's own name for a ``*_khac`` id ("Bộ Công an")."""

    start: int
    end: int
    text: str
    agency: str | None
    category: Category
    label: str | None = None


# --------------------------------------------------------------------------- matching
def _alias_regex(alias: str) -> str:
    """Folded alias → regex tolerant of spacing around '-', '&', '/' and ','."""
    key = fold(alias)
    words = re.findall(r"\w+", key)
    seps = re.split(r"\w+", key)[1:-1]  # separators between consecutive words
    out = [re.escape(words[0])]
    for sep, word in zip(seps, words[1:]):
        if "," in sep:  # web copies and hurried typing drop the comma: "các sở ban ngành"
            out.append(r"(?:\s*,\s*|\s+)")
        elif re.search(r"[-–—&/.]", sep):  # "UB.MTTQVN", "TT-TT", "GD&ĐT"
            out.append(r"\s*[-–—&/.]?\s*")
        else:
            out.append(r"\s+")
        out.append(re.escape(word))
    return "".join(out)


def _first_word(alias: str) -> str | None:
    words = re.findall(r"\w+", fold(alias))
    return words[0] if words else None


def _pattern_regex(pattern: str) -> str:
    """A taxonomy pattern: a space in it matches any run of whitespace, and an optional space
    (" ?", as in "gd ?& ?dt") none as well: "Phòng GD&ĐT" is written without spaces too."""
    return pattern.replace(" ?", r"\s*").replace(" ", r"\s+")


@dataclass(frozen=True)
class _Entry:
    regex: re.Pattern[str]
    agency: str | None
    category: Category
    proper: bool  # only counts with a capital initial in the original text
    first_word: str | None  # an alias's first folded word: skip it when the text lacks that word
    place: bool = False  # only counts when a capitalised place name (not a big city) follows
    label: str | None = None  # a member's own name (``keep_name`` agencies)
    ctx: int | None = None  # index into ``Taxonomy.contextual``: the id depends on the letter
    #: proper aliases: the words capitalised in the alias must be so in the text ("Công an Thành
    #: phố", the city's police, is not "Công an thành phố Vinh")
    caps: tuple[int, ...] = ()


# A run of capitalised words right after a unit word: the place name in "UBND huyện Cao Lộc",
# "Ban Chỉ đạo … tỉnh Lạng Sơn"; absorbed into the hit so lists stay contiguous.
_UNIT_END = re.compile(r"(?:tinh|huyen|quan|thi xa|thanh pho|xa|phuong|thi tran|tinh uy|huyen uy|thanh uy)$")
_PLACE_WORD = re.compile(r"[ \t]*(?:-[ \t]*)?([^\W\d_][^\W_]*)")


# A name ending in "tỉnh" matched on folded text where the text says "tình" ("các tình huống").
_TINH_NOT_TINH = re.compile(r"(?i:tình)$")


def _city_unit_follows(text: str, end: int) -> bool:
    """A province's city (a district-level unit before the 2025 reform) is named after "Thành
    phố": "Lạng Sơn", "Vinh", "Thủ Đức"; "Thành phố Chỉ đạo …" (a capital typed by mistake) is not."""
    words = re.findall(r"\w+", text[end:end + 40])[:3]
    return any(words[k - 1][0].isupper() and provinces_of_unit("thành phố", " ".join(words[:k]))
               for k in range(len(words), 0, -1))


def _matches_at(regex: re.Pattern[str], folded: str, positions: list[int]) -> Iterator[re.Match[str]]:
    """``regex.finditer(folded)`` for a regex that can only start at ``positions``: the same
    non-overlapping matches, left to right."""
    end = 0
    for pos in positions:
        if pos < end:
            continue
        m = regex.match(folded, pos)
        if m is not None:
            end = max(m.end(), pos + 1)
            yield m


class _Matcher:
    def __init__(self, tax: Taxonomy) -> None:
        self.entries: list[_Entry] = []
        groups: list[tuple[Category, tuple[Body, ...]]] = [
            ("agency", tax.agencies), ("source", tax.sources), ("other", tax.other_bodies)]
        for category, bodies in groups:
            for body in bodies:
                agency = body.id if category == "agency" else None
                for alias in body.aliases:
                    if _first_word(alias):
                        self._add(_alias_regex(alias), agency, category, False, _first_word(alias))
                for name, aliases in body.members:
                    for alias in aliases:
                        if _first_word(alias):
                            self._add(_alias_regex(alias), agency, category, False, _first_word(alias),
                                      label=name)
                for alias in body.proper_aliases:
                    if _first_word(alias):
                        caps = tuple(i for i, w in enumerate(re.findall(r"\w+", alias)) if w[0].isupper())
                        self._add(_alias_regex(alias), agency, category, True, _first_word(alias), caps=caps)
                for pattern in body.patterns:
                    self._add(_pattern_regex(pattern), agency, category, False, None)
                for pattern in body.place_patterns:
                    self._add(_pattern_regex(pattern), agency, category, False, None, place=True)
        for n, ctx in enumerate(tax.contextual):
            for alias in ctx.aliases:
                if _first_word(alias):
                    self._add(_alias_regex(alias), ctx.provincial, "agency", False, _first_word(alias), ctx=n)
            for pattern in ctx.patterns:
                self._add(_pattern_regex(pattern), ctx.provincial, "agency", False, None, ctx=n)
        self.cities = tuple(sorted({fold(s) for p in tax.provinces if p.city for s in p.spellings},
                                   key=len, reverse=True))
        self.contextual = tax.contextual
        self.keep_name = tax.keep_name_ids
        self.central_ids = tax.central_ids
        # "Các Bộ: Quốc phòng, Công an, Y tế …", "các sở GD&ĐT, LĐ-TB&XH, Y tế": ministries and
        # departments listed by their short names
        self.short_names: dict[str, list[tuple[re.Pattern[str], str, str | None]]] = {}
        for prefix in ("bo", "so"):
            short: dict[str, tuple[str, str | None]] = {}
            for body in tax.agencies:
                named = [(a, None) for a in body.aliases] + [(a, n) for n, al in body.members for a in al]
                for alias, label in named:
                    key = fold(alias)
                    if key.startswith(prefix + " ") and len(key) > len(prefix) + 2 and body.id \
                            and "{" not in key and not key.endswith((" tinh", " thanh pho")):
                        short.setdefault(key[len(prefix) + 1:], (body.id, label))
            self.short_names[prefix] = [(re.compile(_alias_regex(k) + r"(?!\w)"), agency, label)
                                        for k, (agency, label) in sorted(short.items(), key=lambda kv: -len(kv[0]))]

    def _add(self, body: str, agency: str | None, category: Category, proper: bool,
             first_word: str | None, place: bool = False, label: str | None = None,
             ctx: int | None = None, caps: tuple[int, ...] = ()) -> None:
        regex = re.compile(rf"(?<!\w){body}(?!\w)")
        self.entries.append(_Entry(regex, agency, category, proper, first_word, place, label, ctx, caps))

    def _place_follows(self, text: str, folded: str, end: int) -> bool:
        word = _PLACE_WORD.match(text, end)
        if word is None or not word.group(1)[0].isupper():
            return False
        rest = folded[word.start(1):]
        return not any(rest.startswith(city) and not rest[len(city):len(city) + 1].isalnum()
                       for city in self.cities)

    def hits(self, text: str, central: bool = False, date: str | None = None, focus: bool = False,
             commune: bool = False) -> list[Hit]:
        """Bodies named in ``text``. In a provincial letter (``central`` False) a national body
        (Bộ Y tế, Chính phủ …) is only a cited source; contextual wording ("các địa phương") gets
        the id that fits the letter's level and ``date`` (ISO, possibly partial), and ``focus`` (a
        central letter about one province: "UBND tỉnh X" is then that province's committee)."""
        text = nfc(text)
        folded = fold(text)
        # where each word starts: an alias's regex begins with its first word, so it is tried only
        # there, not scanned over the whole text (a 700-character clause × 2,500 aliases was the
        # parser's hot spot on long letters)
        starts: dict[str, list[int]] = {}
        for w in re.finditer(r"\w+", folded):
            starts.setdefault(w.group(), []).append(w.start())
        found: list[tuple[int, int, _Entry]] = []
        for entry in self.entries:
            if entry.first_word is not None and entry.first_word not in starts:
                continue
            if entry.ctx is not None and self.contextual[entry.ctx].resolve(central, date, focus, commune) is None:
                # names no agency at this level: it does not hide a shorter name inside it ("Thuế
                # tỉnh" in "Thuế tỉnh X", "các cơ quan, đơn vị" in "… có liên quan")
                continue
            for m in (entry.regex.finditer(folded) if entry.first_word is None
                      else _matches_at(entry.regex, folded, starts[entry.first_word])):
                if m.end() == m.start():
                    continue
                if entry.proper and not text[m.start()].isupper():
                    continue
                if entry.proper and folded.endswith("thanh pho", 0, m.end()) and _city_unit_follows(text, m.end()):
                    continue  # "UBND Thành phố Lạng Sơn" is a city of a province, not "the" Thành phố
                if entry.caps:
                    said = re.findall(r"\w+", text[m.start():m.end()])
                    if not all(i >= len(said) or said[i][0].isupper() for i in entry.caps):
                        continue
                if entry.place and not self._place_follows(text, folded, m.end()):
                    continue
                if _TINH_NOT_TINH.match(text, max(m.start(), m.end() - 4), m.end()):
                    continue  # folded "các tỉnh" is also "các tình (huống)": the tone marks say which
                found.append((m.start(), m.end(), entry))
        # Longest first, then leftmost; keep only non-overlapping matches. A standalone name ("tỉnh
        # X") comes last: "HĐND tỉnh X" is the council's name, not the province's.
        found.sort(key=lambda f: (f[2].ctx is not None and self.contextual[f[2].ctx].standalone,
                                  -(f[1] - f[0]), f[0]))
        taken: list[tuple[int, int, _Entry]] = []
        for start, end, entry in found:
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, entry))
        taken.sort(key=lambda f: f[0])
        out: list[Hit] = []
        for i, (start, end, entry) in enumerate(taken):
            limit = taken[i + 1][0] if i + 1 < len(taken) else len(text)
            end = _extend_place(text, folded, start, end, limit)
            agency, category = entry.agency, entry.category
            if entry.ctx is not None:
                ctx = self.contextual[entry.ctx]
                agency = ctx.resolve(central, date, focus, commune)
                if agency is None:  # names no agency at this level: left as plain words
                    continue
                if ctx.standalone and _qualifies(text, start, out):
                    continue  # "HĐND tỉnh X", "Sở Y tế tỉnh X": the place belongs to the name before
            if not central and agency in self.central_ids:
                agency, category = None, "source"
            if out and folded.startswith("cac tinh", start) and not folded[out[-1].end:start].strip():
                continue  # "Sở Y tế các tỉnh, thành phố": the provinces whose departments are meant
            out.append(Hit(start, end, text[start:end], agency, category, entry.label))
        out = self._short_lists(text, folded, out, central)
        return _party_of_body(out, folded)

    def _short_lists(self, text: str, folded: str, hits: list[Hit], central: bool) -> list[Hit]:
        """"Các Bộ: Quốc phòng, Công an …", "các sở GD&ĐT, LĐ-TB&XH, Y tế", "Sở Giáo dục và Đào
        tạo, Lao động - Thương binh và Xã hội, Y tế": one "Bộ"/"Sở" for the list, each body named
        by its short name (capitalised, as names are) — one hit each."""
        # (where the list's words start, where its names start, "bo"/"so", the first name is a hit)
        starts = [(m.start(), m.end(), "bo", False) for m in _MINISTRY_LIST.finditer(folded)] \
            + [(m.start(), m.end(), "so", False) for m in _DEPARTMENT_LIST.finditer(folded)] \
            + [(h.start, h.end, "so", True) for h in hits if h.agency and h.agency.startswith("so_")
               and folded.startswith("so ", h.start)]
        for lo, pos, prefix, after_name in sorted(starts):
            if after_name:  # "Sở Giáo dục và Đào tạo, Lao động …": the list goes on after a comma
                sep = _COMMA.match(folded, pos)
                if sep is None:
                    continue
                pos = sep.end()
            found = self._short_names_at(text, folded, pos, prefix, central)
            if found and prefix == "so" and not after_name:
                # the list's own "sở" opens the first name: "giao cho các sở GD&ĐT, …" reads as "giao … Sở X"
                first, word = found[0], lo + len("cac ")
                found[0] = Hit(word, first.end, text[word:first.end], first.agency, first.category, first.label)
            if found:
                lo = found[0].start if after_name else lo
                hi = found[-1].end
                hits = sorted([h for h in hits if h.end <= lo or h.start >= hi] + found, key=lambda h: h.start)
        return hits

    def _short_names_at(self, text: str, folded: str, pos: int, prefix: str, central: bool) -> list[Hit]:
        """The short names listed from ``pos`` on ("Quốc phòng, Công an và Y tế"), longest first at
        each place, until something that is none."""
        found: list[Hit] = []
        while True:
            best = None
            for regex, agency, label in self.short_names[prefix]:
                hit = regex.match(folded, pos)
                if hit and text[hit.start()].isupper() and (best is None or hit.end() > best[0].end()):
                    best = (hit, agency, label)
            if best is None:
                return found
            hit, agency, label = best
            category: Category = "agency"
            if not central and agency in self.central_ids:
                agency, category = None, "source"
            word = "Bộ" if prefix == "bo" else "Sở"
            found.append(Hit(hit.start(), hit.end(), text[hit.start():hit.end()], agency, category,
                             label or (f"{word} {text[hit.start():hit.end()]}"
                                       if agency and agency in self.keep_name else None)))
            sep = _LIST_SEP.match(folded, hit.end())
            if sep is None:
                return found
            pos = sep.end()


# "Đảng ủy Bộ Tư pháp", "Đảng ủy Mặt trận Tổ quốc": a body's own party committee acts for it.
_PARTY_OF = re.compile(r"(?:dang uy|dang doan|ban can su dang)$")


def _party_of_body(hits: list[Hit], folded: str) -> list[Hit]:
    out: list[Hit] = []
    skip_to: int | None = None
    for i, hit in enumerate(hits):
        if skip_to is not None:  # the body after a party committee: the hit starts at the committee
            hit = Hit(skip_to, hit.end, hit.text, hit.agency, hit.category, hit.label)
            skip_to = None
        nxt = hits[i + 1] if i + 1 < len(hits) else None
        if (nxt is not None and nxt.agency and _PARTY_OF.match(folded[hit.start:hit.end])
                and not folded[hit.end:nxt.start].strip()):
            skip_to = hit.start
            continue
        out.append(hit)
    return out


_MINISTRY_LIST = re.compile(r"\bcac bo(?: truong)?(?: cac bo)?(?:\s*,\s*(?:co quan|nganh))?\s*:\s*")
_DEPARTMENT_LIST = re.compile(r"\bcac so\s*:?\s*")
_COMMA = re.compile(r"\s*,\s*")
_LIST_SEP = re.compile(r"\s*(?:,|;|\bva\b)\s*")


def _extend_place(text: str, folded: str, start: int, end: int, limit: int) -> int:
    """Absorb a capitalised place name after a unit word ("tỉnh" + "Lạng Sơn"), up to 4 words."""
    if not _UNIT_END.search(folded[start:end]):
        return end
    pos = end
    for _ in range(4):
        word = _PLACE_WORD.match(text, pos, limit)
        if word is None or not word.group(1)[0].isupper():
            break
        pos = word.end()
    return pos


def _qualifies(text: str, start: int, before: list[Hit]) -> bool:
    """A standalone name ("tỉnh X") that only completes the name before it: right after another
    name ("Sở Y tế tỉnh X") or after a capitalised word inside the sentence, the end of a proper
    name ("HĐND tỉnh X", "Ban Quản lý Khu kinh tế mở Chu Lai thành phố Đà Nẵng")."""
    if before and not text[before[-1].end:start].strip():
        return True
    sentence = max(text.rfind(c, 0, start) for c in ".;:!?\n,(") + 1
    words = text[sentence:start].split()
    return len(words) >= 2 and words[-1][0].isupper()


_MATCHERS: dict[int, tuple[Taxonomy, _Matcher]] = {}


def _matcher(tax: Taxonomy) -> _Matcher:
    """One compiled matcher per taxonomy object (the taxonomy is kept alive with it)."""
    cached = _MATCHERS.get(id(tax))
    if cached is None or cached[0] is not tax:
        cached = _MATCHERS[id(tax)] = (tax, _Matcher(tax))
    return cached[1]


def find_bodies(text: str, taxonomy: Taxonomy | None = None, *, central: bool = False,
                date: str | None = None, focus: bool = False, commune: bool = False) -> list[Hit]:
    """Every body named in ``text`` (agencies, sources, other bodies), in order.

    ``central``: the text is from a national body's letter (``Letter.central``): ministries, the
    Government and "các địa phương" (= the provinces) can then be responsible agencies; in a
    provincial letter they are cited sources. ``date``: the letter's ISO date, possibly partial.
    ``focus``: a central letter about one province (``letters.parse``): "UBND tỉnh X", "tỉnh X"
    are that province's committee (``ubnd_tinh``), not the provinces as a group.
    ``commune``: a commune's own letter: "các cơ quan, đơn vị" are its offices (no id).
    """
    tax = taxonomy or load_taxonomy()
    return _matcher(tax).hits(text, central, date, focus, commune)


# --------------------------------------------------------------------------- defined terms
#: Rule 14: "… (sau đây gọi chung là cơ quan, tổ chức)" and "Các cơ quan đăng ký đầu tư (Sở Tài
#: chính, …)" define a short name for the bodies before or inside the brackets; a letter goes on
#: using it ("Người đứng đầu cơ quan, tổ chức quyết định …").
_DEFINED_AS = re.compile(r"\bsau\s+day\s+goi\s+(?:chung|tat)\s+la\s*:?\s*[\"“']?([^()\"”';.]{3,60}?)[\"”']?\s*\)")
_LABEL_OF = re.compile(
    r"(?:^|[\s,;:])(?:cac\s+)?((?:co\s+quan|don\s+vi|to\s+chuc|luc\s+luong)\s+[^(),;:.]{3,50}?)\s*\(\s*([^()]+)\)")
#: "cơ quan, tổ chức, cá nhân": the short name is then one of several kinds of actor, not the term.
_TERM_CONTINUED = re.compile(r"\s*(?:,|va|hoac)\s*(?:cac\s+)?ca\s+nhan\b")

Terms = dict[str, tuple[str, ...]]


def defined_terms(text: str, taxonomy: Taxonomy | None = None, *, central: bool = False,
                  date: str | None = None, focus: bool = False, commune: bool = False) -> Terms:
    """Short names a clause defines for taxonomy bodies (rule 14): folded name → agency ids."""
    tax = taxonomy or load_taxonomy()
    text = nfc(text)
    folded = fold(text)
    out: Terms = {}
    for m in _DEFINED_AS.finditer(folded):
        open_at = folded.rfind("(", 0, m.start())
        inside = [h for h in find_bodies(text[open_at + 1:m.start()], tax, central=central, date=date, focus=focus,
                                         commune=commune) if h.agency]
        if not inside:  # "ban thường vụ tỉnh ủy, thành ủy (sau đây gọi chung là tỉnh ủy)"
            before = text[_boundary_before(folded, open_at):open_at]
            inside = _list_ending_at(before, [h for h in find_bodies(before, tax, central=central, date=date,
                                                                   focus=focus, commune=commune) if h.agency])
        _add_term(out, m.group(1), [h.agency for h in inside if h.agency])
    for m in _LABEL_OF.finditer(folded):
        inside = find_bodies(text[m.start(2):m.end(2)], tax, central=central, date=date, focus=focus, commune=commune)
        _add_term(out, m.group(1), [h.agency for h in inside if h.agency])
    return out


def _list_ending_at(before: str, hits: list[Hit]) -> list[Hit]:
    """The bodies listed right before a "(sau đây gọi … là …)": the last list ``_group`` finds in
    ``before``, if only glue follows it. A body named earlier in the sentence is not what the
    short name stands for ("Thực hiện Thông tri … của Thành ủy … năm 2025 (sau đây gọi tắt là
    Tháng hành động)" names an event)."""
    folded = fold(before)
    lists = _group(folded, hits) if hits else []
    if not lists or not _GLUE.match(folded[lists[-1].hits[-1].end:]):
        return []
    return lists[-1].hits


def _add_term(out: Terms, name: str, agencies: list[str]) -> None:
    name = " ".join(name.split()).strip(" ,")
    if agencies and len(name.split()) >= 2:
        out[name] = tuple(dict.fromkeys(agencies))


def _term_hits(text: str, folded: str, hits: list[Hit], terms: Terms) -> list[Hit]:
    """The hits of the letter's defined short names, where no taxonomy name is found."""
    extra: list[Hit] = []
    for name, agencies in terms.items():
        for m in re.finditer(rf"(?<!\w){_alias_regex(name)}(?!\w)", folded):
            taken = [h for h in (*hits, *extra) if h.start < m.end() and m.start() < h.end]
            if taken or _TERM_CONTINUED.match(folded, m.end()):
                continue
            extra += [Hit(m.start(), m.end(), text[m.start():m.end()], a, "agency") for a in agencies]
    return sorted([*hits, *extra], key=lambda h: h.start)


def find_mentions(text: str, taxonomy: Taxonomy | None = None, *, central: bool = False,
                  date: str | None = None) -> list[AgencyMention]:
    """Taxonomy agencies named in ``text`` (role "mention"; roles come from ``assign_roles``)."""
    return [AgencyMention(h.agency, "mention", h.text, h.start)
            for h in find_bodies(text, taxonomy, central=central, date=date) if h.agency]


# --------------------------------------------------------------------------- role cues
# What may sit between two names of one list (folded text).
_GLUE_WORDS = (r"va|cung|voi|cac|tinh|huyen|xa|phuong|cho|cap\s+(?:tinh|huyen|xa|trung uong)|"
               r"cac co quan(?:\s*,\s*don vi)?(?:\s+co)?\s+lien quan|cac don vi(?:\s+co)?\s+lien quan|"
               r"cac dia phuong(?:\s+co)?\s+lien quan|cac nganh(?:\s+co)?\s+lien quan|"
               # generic nouns with no id inside a list: "các Bộ, ngành, các cơ quan, địa phương",
               # "các sở, ban, ngành, đơn vị và UBND cấp xã"
               r"(?:cac\s+)?(?:co quan|don vi)(?:\s+(?:chuc nang|truc thuoc))?|"
               # a district's or commune's own offices: "các phòng, ban ngành, đoàn thể huyện, UBND các xã"
               r"(?:cac\s+)?phong(?:\s*,)?\s+ban(?:\s*,)?(?:\s+nganh)?(?:\s+chuyen\s+mon)?|(?:cac\s+)?ban(?:\s*,)?\s+nganh")
# Extra glue in subject position: "Yêu cầu A, B; đề nghị C", "…Tỉnh ủy; lãnh đạo các sở …".
_SUBJECT_GLUE_WORDS = (r"de nghi|kinh de nghi|yeu cau|giao|lanh dao|cac dong chi|dong chi|nguoi dung dau|"
                       r"(?:pho\s+)?(?:bo truong|thu truong|giam doc|chu tich|cuc truong|truong ban|truong phong|"
                       r"tong bien tap|chanh van phong|bi thu|hieu truong)")
_GLUE = re.compile(rf"^(?:[\s,()]|\b(?:{_GLUE_WORDS})\b)*$")
_SUBJECT_GLUE = re.compile(rf"^(?:[\s,;()]|\b(?:{_GLUE_WORDS}|{_SUBJECT_GLUE_WORDS})\b)*$")
# Words that may open a sentence before its subject list.
_SUBJECT_PREFIX = re.compile(
    rf"^(?:[\s,;:()\-–•+*]|\b(?:{_SUBJECT_GLUE_WORDS}|doi voi|rieng|cac|va|cho|dac biet|moi|"
    rf"(?:cac\s+)?cap uy(?:\s+dang)?|(?:cac\s+)?to chuc dang)\b)*$")
# "giao"/"yêu cầu" right before a list makes it the subject even mid-sentence.
# (a colon may follow: "Chủ tịch UBND thị xã yêu cầu: Chủ tịch UBND các xã, phường …")
_TRIGGER = re.compile(r"(?<!\bda\s)\b(?:giao(?:\s+(?:trach\s+nhiem|nhiem\s+vu)(?:\s+cu\s+the)?)?(?:\s+cho)?"
                      r"|yeu cau|de nghi)\s*:?\s*(?:cac\s+)?$")  # not "đã giao cho"
# Where a new sentence (or semicolon part) starts.
# (not the colon of "yêu cầu: A, B …", which goes on to the bodies asked)
_BOUNDARY = re.compile(r"(?:[.;!?]|(?<!yeu cau)(?<!de nghi)(?<!giao):|\n)\s+")
# Right after "phối hợp (chặt chẽ, có hiệu quả) với" / "với sự phối hợp của".
_SUPPORT_BEFORE = re.compile(
    r"(?:\bphoi hop(?:\s+chat che|\s+thuong xuyen|\s+dong bo|\s+tot|\s*,?\s*co hieu qua)*"
    r"(?:\s*,)?(?:\s+voi)?|\bsu\s+phoi hop(?:\s+chat che)?\s+cua|\bphoi hop\s+cua)"
    # "phối hợp với các cơ quan liên quan và UBND các huyện": the named body still cooperates
    r"(?:\s+cac\s+(?:co\s+quan|don\s+vi|nganh)(?:\s*,\s*don\s+vi)?(?:\s+co)?\s+lien\s+quan\s*(?:,|va)?)?"
    # "phối hợp với các Bộ: Quốc phòng, Công an …": the ministries listed by short name cooperate
    r"(?:\s+cac\s+bo(?:\s*,\s*(?:co\s+quan|nganh))?\s*:)?[\s(]*$")
# What follows a list: "(theo chức năng, nhiệm vụ) (có trách nhiệm) chủ trì" / "… phối hợp".
_DUTY = r"[\s,:]*(?:theo\s+chuc\s+nang\s*,?\s*nhiem\s+vu(?:\s+duoc\s+giao)?[\s,]*)?(?:co\s+trach\s+nhiem\s+)?"
_TAIL_LEAD = re.compile(rf"^{_DUTY}(?:lam\s+)?(?:la\s+co\s+quan\s+)?chu\s+tri")
_TAIL_SUPPORT = re.compile(rf"^{_DUTY}(?:chu\s+dong\s+|tham\s+gia\s+|cung\s+)?phoi\s+hop")
# "X là thành viên Ban Chỉ đạo …": X is one of Y's members.
_MEMBER_GAP = re.compile(r"^\s*la\s*(?:(?:cac\s+)?(?:thanh vien|uy vien)(?:\s+cua)?\s*)?$")
# "Sở Y tế - Cơ quan thường trực Ban Chỉ đạo tỉnh": the second name only describes the first.
_APPOSITIVE_GAP = re.compile(r"^\s*(?:[-–,(]|la)\s*(?:co\s+quan\s+)?thuong\s+truc(?:\s+cua)?\s*$")


@dataclass
class _List:
    hits: list[Hit]
    context: Literal["subject", "support", "proposer", "other"]
    members: set[int]  # indexes (into hits) folded into a later "thành viên" name
    role: Role = "mention"
    speaker: bool = False  # "UBND tỉnh giao …": the list that gives the order


# The kinds of letter a news item says a body issued or sent (folded).
DOC_KIND = r"(?:cong\s+van|van\s+ban|cong\s+dien|chi\s+thi|ke\s+hoach|thong\s+bao|quyet\s+dinh|ket\s+luan)"

# The gap between a speaker list and the list it addresses: "UBND tỉnh giao Sở Y tế", "Ban Thường
# vụ Tỉnh ủy (…) ủy quyền cho Chánh Văn phòng Tỉnh ủy" (the delegate acts).
_SPEAKER_GAP = re.compile(r"^[\s)]*(?:(?:tran\s+trong|kinh|da|vua|cung)\s+)?"
                          r"(?:giao(?:\s+(?:trach\s+nhiem|nhiem\s+vu)(?:\s+cu\s+the)?)?(?:\s+cho)?|yeu\s+cau"
                          r"|de\s+nghi|uy\s+quyen(?:\s+cho)?)\s*:?\s*(?:cac\s+)?"
                          # a body with no id asked first: "… yêu cầu Ban Chỉ huy Phòng, chống thiên tai
                          # và Tìm kiếm cứu nạn tỉnh, Thủ trưởng các sở …"
                          r"(?:(?:ban|bo chi huy|hoi dong|trung tam|chi cuc|doan|lien doan|cong ty|tong cong ty)\s"
                          r"[^;:.]{0,90}?,\s*)?$")
# A list at the head of its sentence followed by "(trân trọng) đề nghị": the letter's writer
# making a request ("Bộ Nội vụ trân trọng đề nghị …", "Sở GD&ĐT đề nghị tổ dân phố …"), whatever
# follows — a speaker, not a lead, even when the bodies asked have no id. Not "X yêu cầu các
# trường …": a body that orders its own units is the one that acts.
_SPEAKER_TAIL = re.compile(r"^[\s)]*(?:(?:tran\s+trong|kinh|tiep\s+tuc)\s+)?de\s+nghi\b"
                           # a news item: "Ban Thường vụ Thành ủy vừa ban hành Công văn số …, yêu cầu …"
                           rf"|^\s+(?:(?:vua|da|moi|cung)\s+)+(?:ky\s+)?(?:ban\s+hanh|co)\s+{DOC_KIND}\b[^.;]{{0,160}}?"
                           r"\b(?:yeu\s+cau|de\s+nghi|giao|gui)\b")  # not "chỉ đạo Y": X leads, Y supports
# "giao" as an order, folded: not "giáo dục", "giao thông", "giao lưu", "bàn giao hàng" …
GIAO = r"giao(?!\s+(?:duc|thong|luu|dich|vien|trinh|tiep|ban|hang|nhan|an)\b)"
_ORDER_BEFORE = re.compile(rf"\b(?:{GIAO}|yeu\s+cau|de\s+nghi|gui)\b")  # "… công văn gửi X đề nghị …": X is asked


def _boundary_before(folded: str, pos: int) -> int:
    start = 0
    for m in _BOUNDARY.finditer(folded, 0, pos):
        start = m.end()
    return start


# Right after the lead's directing verb: "chỉ đạo (cho) các cơ quan báo chí", "hướng dẫn, đôn đốc".
_DIRECTED_BEFORE = re.compile(
    r"\b(?:chi\s+dao|huong\s+dan|don\s+doc|dinh\s+huong|huy\s+dong(?:\s+toi\s+da)?)"
    r"(?:\s*(?:,|va)\s*(?:chi\s+dao|huong\s+dan|don\s+doc|dinh\s+huong|kiem\s+tra))*"
    r"(?:\s+(?:kip\s+thoi|thuong\s+xuyen|cu\s+the|sat\s+sao))?"  # "hướng dẫn kịp thời chính quyền cấp xã"
    r"(?:\s+(?:cho|toi|den))?[\s(,]*"
    # a generic body with no id before the named one: "chỉ đạo cơ quan chức năng và chính quyền cơ sở"
    r"(?:(?:cac\s+)?(?:co quan|don vi|luc luong)(?:\s+(?:chuc nang|truc thuoc))?\s*(?:,|va)\s*)?$")


# An opening adverbial phrase before the subject: "Để người dân …, Sở TT&TT …", "Theo địa bàn
# được phân công, các đồng chí thành viên Ban Chỉ đạo …".
_INTRO = re.compile(r"^\s*(?:de|theo|trong|tren co so|can cu|nham|truoc|sau khi|khi|ngay khi|tu nay)\b[^;:()]*,")
# The linking words that open a news copy's paragraphs: "Đồng thời, Sở GD&ĐT phối hợp với Sở Y tế
# …", "Song song đó, các sở, ngành …". Only at the head of the clause: inside an item, "Đồng thời,
# cấp ủy … phải …" goes on with the item's own doers (real train+dev: one such item, labelled so).
_LINK_INTRO = re.compile(r"^\s*(?:dong thoi|song song(?: voi)? (?:do|viec do)|ben canh do|ngoai ra|mat khac"
                         r"|cung voi do|tiep do|truoc mat|dac biet)\s*,")


# A role label whose members follow in brackets, at the start: "Các cơ quan đăng ký đầu tư (Sở Tài
# chính, Ban quản lý Khu kinh tế …):" — the bracketed bodies are the ones the label names.
_LABEL_BRACKET = re.compile(r"^[\s\-–•+*\d.)]*(?:cac\s+)?(?:co\s+quan|don\s+vi|to\s+chuc|luc\s+luong)\b[^(),;:.]{0,60}\(\s*$")


# A duty heading names its doer: "Điều 14. Trách nhiệm của Sở Khoa học và Công nghệ", "Nhiệm vụ,
# quyền hạn của UBND cấp xã" — one named body, not a generic plural ("Trách nhiệm của các cơ quan,
# đơn vị, địa phương:" only groups the items below, each naming its own subject).
_DUTY_HEAD = re.compile(r"^[\s\-–•+*\d.)]*(?:trach nhiem|nhiem vu)"
                        r"(?:\s*(?:,|va)\s*(?:trach nhiem|nhiem vu|quyen han))*\s+cua\s*$")


# Whose proposal or instruction it was: "trên cơ sở đề xuất của Y", "theo đề nghị của Y" — Y
# proposed, someone else acts ("Sở Tài chính, trên cơ sở đề xuất của các cơ quan, đơn vị, chủ trì …").
_PROPOSER_BEFORE = re.compile(r"\b(?:de xuat|de nghi|y kien|to trinh|bao cao|chi dao|huong dan)\s+cua\s*$")


# Whom a body advises: "(Sở Nội vụ) tham mưu UBND tỉnh ban hành …" — the advised body decides
# later; the adviser is the one who acts now.
_ADVISED_BEFORE = re.compile(r"\btham\s+muu(?:\s+(?:cho|voi))?[\s(]*$")


# Cooperation as the task itself: "Tăng cường (sự) phối hợp (chặt chẽ, hiệu quả) giữa các sở, ban,
# ngành và các địa phương" — the bodies between whom it runs are the ones told to do it (guideline
# rule 5), when no other body is named before them.
_BETWEEN_BEFORE = re.compile(r"\bphoi\s+hop\b[^;:.()]{0,40}?\bgiua\s*$")


# The addressee of a letter a news item reports: "Bộ Y tế vừa có công điện gửi UBND các tỉnh …
# quan tâm chỉ đạo …" — the body it was sent to is the one asked to act.
_SENT_TO_BEFORE = re.compile(rf"\b{DOC_KIND}\b[^.;]{{0,40}}?"
                             r"\bgui(?:\s+(?:toi|den))?\s*$")


# A partner the taxonomy has no id for opens the list: "phối hợp với Trung tâm Chuyển đổi số Thành
# phố, Công an Thành phố, Sở Nông nghiệp …" — the known bodies after it cooperate too.
_AFTER_UNKNOWN_PARTNER = re.compile(r"\bphoi\s+hop(?:\s+chat\s+che)?\s+voi\s+(?:[^\W\d_]+\s+){0,7}?[^\W\d_]+\s*(?:,|\bva)\s*$")


def advised(text: str, start: int) -> bool:
    """The body at ``start`` is the one advised ("tham mưu UBND tỉnh ban hành …"), not a doer."""
    folded = fold(nfc(text)[:start])  # ``start`` is an offset in the NFC text (``find_bodies``)
    return bool(_ADVISED_BEFORE.search(folded[_boundary_before(folded, len(folded)):]))


def _context(folded: str, hit: Hit) -> Literal["subject", "support", "proposer", "other"]:
    opening = _boundary_before(folded, hit.start)
    before = folded[opening:hit.start]
    if _ADVISED_BEFORE.search(before):
        return "proposer"
    if _SUPPORT_BEFORE.search(folded[:hit.start]) or _DIRECTED_BEFORE.search(before):
        return "support"
    if _SUBJECT_PREFIX.match(before) or _TRIGGER.search(before) or _LABEL_BRACKET.match(folded[:hit.start]):
        return "subject"
    if _PROPOSER_BEFORE.search(before):
        return "proposer"
    if _DUTY_HEAD.match(folded[:hit.start]) and not folded[hit.start:].startswith("cac "):
        return "subject"
    if (_INTRO.match(before) or (opening == 0 and _LINK_INTRO.match(before))) \
            and _SUBJECT_PREFIX.match(before.rsplit(",", 1)[1]) and folded[hit.end:].strip(" .;*"):
        # "Theo quy định của Bảo hiểm xã hội Việt Nam, Bộ Y tế." ends on the name: it is the
        # intro's list going on, not the subject after it
        return "subject"
    return "other"


# A party body that "lãnh đạo, chỉ đạo" a government body: "Ban cán sự đảng UBND tỉnh lãnh đạo,
# chỉ đạo UBND tỉnh: …" — the party body has no id; the body it steers is the one that acts.
_PARTY_SUBJECT = re.compile(
    r"^[\s\-–•+*\d.)(]*(?:(?:giao|yeu cau|de nghi)\s+)?(?:dang doan|ban can su dang|ban thuong vu|cac cap uy|cap uy|tinh uy|thanh uy|"
    r"huyen uy|dang uy)\b")
_STEERED_BEFORE = re.compile(r"\b(?:lanh\s+dao|chi\s+dao)(?:\s*(?:,|va)\s*chi\s+dao)?[\s(]*$")


def _context_after(folded: str, hits: list[Hit], i: int) -> Literal["subject", "support", "other"]:
    """What the words since the previous name make of a name ``_context`` found nothing for: the
    bodies cooperation runs between, a reported letter's addressee, partners after one with no id."""
    gap = folded[hits[i - 1].end if i else 0:hits[i].start]
    if (i == 0 and _BETWEEN_BEFORE.search(folded[:hits[i].start])) or _SENT_TO_BEFORE.search(gap):
        return "subject"
    if _AFTER_UNKNOWN_PARTNER.search(gap):
        return "support"
    return "other"


def _group(folded: str, hits: list[Hit]) -> list[_List]:
    """Cut the hits into lists (rule 1), each with the context of its first name."""
    lists: list[_List] = []
    i = 0
    while i < len(hits):
        context = _context(folded, hits[i])
        if context == "other":
            context = _context_after(folded, hits, i)
        if lists and _SPEAKER_GAP.match(folded[lists[-1].hits[-1].end:hits[i].start]):
            lists[-1].speaker = True
            context = "subject"
        glue = _SUBJECT_GLUE if context == "subject" else _GLUE
        group, members = [hits[i]], set()
        j = i + 1
        while j < len(hits):
            gap = folded[hits[j - 1].end:hits[j].start]
            if _SPEAKER_GAP.match(gap):
                break
            if context == "proposer" and "," in gap and _context(folded, hits[j]) == "subject":
                break  # "Trên cơ sở đề nghị của Sở Y tế, Sở Tài chính chủ trì …": the intro ends
            if glue.match(gap):
                pass
            elif context == "subject" and _MEMBER_GAP.match(gap):
                members.add(len(group) - 1)
            elif context == "subject" and _APPOSITIVE_GAP.match(gap):
                members.add(len(group))
            else:
                break
            group.append(hits[j])
            j += 1
        lists.append(_List(group, context, members))
        i = j
    return lists


def _decide(folded: str, lists: list[_List]) -> None:
    """Give each list its role (rules 2-4)."""
    for lst in lists:
        tail = folded[lst.hits[-1].end:]
        if lst.speaker or (lst.context == "subject" and _SPEAKER_TAIL.match(tail)
                           and not _ORDER_BEFORE.search(folded[_boundary_before(folded, lst.hits[0].start):
                                                               lst.hits[0].start])):
            lst.speaker, lst.role = True, "mention"
        elif lst.context == "proposer":
            lst.role = "mention"
        elif lst.context == "support":
            lst.role = "support"
        elif _TAIL_LEAD.match(tail):
            lst.role = "lead"
        elif _TAIL_SUPPORT.match(tail):
            lst.role = "support"
        elif lst.context == "subject":
            lst.role = "lead"
        else:
            lst.role = "mention"


def _promote_addressed_support(lists: list[_List], mentions: list[AgencyMention],
                               lead: list[str], support: list[str]) -> None:
    """Rule 8: "Đề nghị Ủy ban MTTQ tỉnh phối hợp vận động" with no lead anywhere: the body the
    clause addresses is the one told to act, so it is the lead."""
    promoted = {h.agency for lst in lists if lst.context == "subject" and lst.role == "support"
                for h in lst.hits if h.agency}
    if not promoted:
        return
    for m in mentions:
        if m.agency in promoted and m.role == "support":
            m.role = "lead"
    lead.extend(a for a in dict.fromkeys(support) if a in promoted)
    support[:] = [a for a in support if a not in promoted]


def _promote_steered(folded: str, lists: list[_List], mentions: list[AgencyMention],
                     lead: list[str], support: list[str]) -> None:
    """Rule 9: a party body's clause with no lead ("Ban cán sự đảng UBND tỉnh lãnh đạo, chỉ đạo
    UBND tỉnh: …"): the government bodies it steers are the lead."""
    if not _PARTY_SUBJECT.match(folded):
        return
    steered = {h.agency for lst in lists for h in lst.hits[:1]
               if h.agency and _STEERED_BEFORE.search(folded[:h.start])}
    steered |= {h.agency for lst in lists if lst.hits[0].agency in steered for h in lst.hits if h.agency}
    if not steered:
        return
    for m in mentions:
        if m.agency in steered and m.role in ("support", "mention"):
            m.role = "lead"
    lead.extend(a for a in dict.fromkeys(m.agency for m in mentions if m.agency in steered))
    support[:] = [a for a in support if a not in steered]


# Rule 13: a clause that opens with a body the taxonomy does not know ("Văn phòng Ban Chỉ đạo …
# theo dõi …", "Đề nghị Viện kiểm sát nhân dân tỉnh, Tòa án nhân dân tỉnh:") or with a body named
# by its part in a procedure ("Cơ quan chủ trì có trách nhiệm …") names its own subject: it does
# not inherit its heading's or the letter's addressee.
_UNLISTED_SUBJECT = re.compile(
    r"^[\s\-–•+*\d.)]*(?:(?:Đề nghị|Giao|Yêu cầu)\s+)?"
    r"(?:(?:Văn phòng|Viện|Tòa án|Toà án|Cục|Chi cục|Tổng cục|Kho bạc|Ngân hàng|Liên đoàn|Thanh tra|Học viện|"
    r"Bảo hiểm xã hội)\s+\w"
    r"|[Cc]ơ quan (?:chủ trì|phối hợp)\b(?!\s*[:(]))")


# A duty heading: "Trách nhiệm của X", "Nhiệm vụ, quyền hạn của X" — X is the doer, known or not
# (``_DUTY_HEAD`` with the doer's first word after it).
_DUTY_OF = re.compile(_DUTY_HEAD.pattern.removesuffix(r"\s*$") + r"\s+\w")


# Rule 15: a clause that opens with a plural noun phrase ("Các lực lượng chức năng phải …", "Những
# trường hợp …") has a subject of its own, though without an id: it is not the addressees' task.
_NOUN_SUBJECT = re.compile(r"^[\s\-–•+*\d.)]*(?:cac|nhung|moi|toan the|truong hop)\s")


def _noun_subject(folded: str) -> bool:
    """Rule 15: the clause, or its sentence after an opening phrase ("Trước khi …, các nhà trường
    thực hiện:"), opens with a plural noun phrase."""
    intro = _INTRO.match(folded)
    return bool(_NOUN_SUBJECT.match(folded) or (intro and _NOUN_SUBJECT.match(folded[intro.end():])))


def _unique(ids: list[str], exclude: list[str] | None = None) -> list[str]:
    skip = set(exclude or [])
    return [i for i in dict.fromkeys(ids) if i not in skip]


def assign_roles(text: str, inherited: AgencyRoles | None = None,
                 taxonomy: Taxonomy | None = None, *, central: bool = False,
                 date: str | None = None, terms: Terms | None = None,
                 focus: bool = False, commune: bool = False, addressees: AgencyRoles | None = None,
                 ) -> tuple[AgencyRoles, list[AgencyMention]]:
    """Lead/support agencies of one clause, plus every agency mention with its role.

    ``inherited`` is the heading's roles (or the letter's addressee): used when the clause names
    no subject of its own (module docstring, rule 7). ``central`` and ``date`` are the letter's
    context (``Letter.central``, ``Letter.date.iso()``): the same "Bộ Y tế" is a cited source in a
    provincial letter and can be told to act in a central one (rule 11). ``terms``: the short names
    the letter defined before this clause (``defined_terms``, rule 14). ``focus``: a central letter
    about one province (``find_bodies``). ``addressees``: the letter's addressees, for a top-level
    item with no heading (rule 15).
    """
    tax = taxonomy or load_taxonomy()
    text = nfc(text)
    hits = find_bodies(text, tax, central=central, date=date, focus=focus, commune=commune)
    folded = fold(text)
    if terms:
        hits = _term_hits(text, folded, hits, terms)
    lists = _group(folded, hits)
    _decide(folded, lists)

    mentions: list[AgencyMention] = []
    lead: list[str] = []
    support: list[str] = []
    labels: dict[tuple[str, str], list[str]] = {}  # (agency, role) -> own names of *_khac bodies
    own_subject = False
    for lst in lists:
        if lst.role == "lead" and any(h.category != "source" for h in lst.hits):
            own_subject = True
        for idx, hit in enumerate(lst.hits):
            if hit.agency is None:
                continue
            role: Role = "mention" if idx in lst.members else lst.role
            mentions.append(AgencyMention(hit.agency, role, hit.text, hit.start))
            if role == "lead":
                lead.append(hit.agency)
            elif role == "support":
                support.append(hit.agency)
            if hit.label:
                labels.setdefault((hit.agency, role), []).append(hit.label)

    if not own_subject and _UNLISTED_SUBJECT.match(text):
        own_subject = True  # rule 13: a body the taxonomy does not know is the subject
    if not own_subject and not lead and _DUTY_OF.match(folded):
        # "Trách nhiệm của các cơ quan quản lý cấp trên:" names its doer, one with no id: the
        # items below are that doer's, not the body's above the heading
        own_subject = True
    if not lead and not (inherited and inherited.lead):
        _promote_addressed_support(lists, mentions, lead, support)
        if not lead:
            _promote_steered(folded, lists, mentions, lead, support)
        own_subject = own_subject or bool(lead)
    if inherited is None and addressees is not None and not own_subject and not _noun_subject(folded):
        inherited = addressees  # rule 15: the letter's addressees, weaker than a heading
    if own_subject or inherited is None:
        roles = AgencyRoles(_unique(lead), _unique(support, lead))
        roles.names = _names(roles, mentions, labels, None)
        return roles, mentions

    roles = AgencyRoles(_unique(inherited.lead),
                        _unique([*inherited.support, *support], inherited.lead))
    roles.names = _names(roles, mentions, labels, inherited)
    names = tax.agency_names
    taken = {(m.agency, m.role) for m in mentions}
    for agency in roles.lead:
        mentions.append(AgencyMention(agency, "lead", names.get(agency, agency), -1, inherited=True))
    for agency in inherited.support:
        if agency in roles.support and (agency, "support") not in taken:
            mentions.append(AgencyMention(agency, "support", names.get(agency, agency), -1,
                                          inherited=True))
    return roles, mentions


def _names(roles: AgencyRoles, mentions: list[AgencyMention], labels: dict[tuple[str, str], list[str]],
           inherited: AgencyRoles | None) -> dict[str, list[str]]:
    """Rule 12: the own names behind each ``*_khac`` id of the clause's lead and support."""
    out: dict[str, list[str]] = {}
    for agency in (*roles.lead, *roles.support):
        role = "lead" if agency in roles.lead else "support"
        found: list[str] = []
        if inherited is not None and agency in (inherited.lead if role == "lead" else inherited.support):
            found += inherited.names.get(agency, [])
        found += labels.get((agency, role), [])
        if not found:  # promoted from another role (rules 8, 9)
            found = [x for (a, _), xs in labels.items() if a == agency for x in xs]
        if found:
            out[agency] = list(dict.fromkeys(found))
    return out
