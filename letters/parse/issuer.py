"""The issuing body and its province from the header units (and the text, for districts)."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from congvan.letters.parse.casing import _LOCATION, _ORG_HEADS, _PARTY_COMMITTEE, _org_case, _proper_name
from congvan.letters.parse.common import _UP, _canonical_province, _norm_space, _province_index
from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.letters.text import canonical_tones, fold, nfc


# =========================================================================== issuer / province
def _is_org_head(line: str) -> bool:
    low = line.lower()
    if any(low == h or low.startswith(h + " ") for h in _ORG_HEADS) or low.startswith(("ubnd", "đảng bộ")):
        return True
    key = fold(low)  # an OCR copy that lost its tone marks: "TONG CỤC THUÊ", "CUC THUE TINH …"
    return any(key == h or key.startswith(h + " ") for h in _FOLDED_HEADS)


_FOLDED_HEADS = tuple(fold(h) for h in _ORG_HEADS if len(h) > 4)


def _is_complete_body(unit: str) -> bool:
    """Does a header unit already name a whole body ("UBND TỈNH LẠNG SƠN", "TỈNH ỦY X")?"""
    low = unit.lower()
    key = fold(low)
    return bool(_LOCATION.search(low) or _PARTY_COMMITTEE.match(low)
                or low.startswith(("bộ ", "chính phủ")) or low.endswith("trung ương")
                or key == "cuc thue"  # "CỤC THUẾ" over the 2025 "THUẾ TỈNH …" offices
                or key.startswith(("tong cuc ", "bo "))  # "TỔNG CỤC THUẾ" ⏎ "CỤC THUẾ TỈNH …", OCR "BO …"
                or (key.startswith("ban chi dao ") and len(key.split()) >= 6)  # "BAN CHỈ ĐẠO VỀ PHÁT TRIỂN …"
                or re.search(r"\b(?:tinh|thanh pho|tp\.?|huyen|quan|thi xa)\s+\w", key))  # "… TP HỒ CHÍ MINH"


_SPECKS = re.compile(r"^[.:;`'_—=~\s]+(?=\w)|(?<=\w)\s+[.:;`'_—=~]+$")


def _issuer_units(lines: list[str]) -> list[str]:
    """Header issuer lines → bodies, top-down: wrapped lines joined, parent and sub-body split."""
    seen: set[str] = set()
    unique: list[str] = []
    # OCR specks set apart from the name: "THỦ TƯỚNG CHÍNH PHU .", "= BỘ Y TẾ"
    lines = [c for c in (_SPECKS.sub("", ln).strip() for ln in lines) if c]
    for line in lines:  # the same header may be repeated (page header, two copies)
        key = fold(line)
        if key not in seen:
            seen.add(key)
            unique.append(line)
    units: list[str] = []
    for line in unique:
        if units and not (_is_org_head(line) and _is_complete_body(units[-1])):
            units[-1] = f"{units[-1]} {line}"
        else:
            units.append(line)
    # the same body wrapped differently in a repeated header is still one body
    distinct: dict[str, str] = {}
    for unit in units:
        distinct.setdefault(fold(_norm_space(unit)), _norm_space(unit))
    return list(distinct.values())


_UNIT_WORDS = r"tỉnh|thành phố|huyện|quận|thị xã|xã|phường|thị trấn"


def _location_of(unit_cased: str) -> tuple[str, str] | None:
    """'UBND tỉnh Lạng Sơn' → ('tỉnh', 'Lạng Sơn'); 'Tỉnh ủy Lạng Sơn' → ('tỉnh', 'Lạng Sơn')."""
    m = re.search(rf"\b({_UNIT_WORDS})\s+(?!ủy\b)([{_UP}].*)$", unit_cased)
    if m:
        return m.group(1), m.group(2)
    m = re.match(r"^(Tỉnh|Thành|Huyện|Quận)\s+ủy\s+(.+)$", unit_cased)
    if m:
        kind = {"Tỉnh": "tỉnh", "Thành": "thành phố", "Huyện": "huyện", "Quận": "quận"}[m.group(1)]
        return kind, m.group(2)
    return None


def _issuer(units: list[str]) -> tuple[str | None, str | None]:
    """(issuer, parent body) from the header units: the last unit issues, the one above it is
    its parent. A sub-body without a place gets the parent's: 'Sở Y tế' under 'UBND tỉnh Lào
    Cai' → 'Sở Y tế tỉnh Lào Cai'; 'Ban Chỉ đạo … tỉnh' → '… tỉnh Lạng Sơn'; under a party
    committee (or a 'Văn phòng') the parent's whole name: 'Ban Tuyên giáo Tỉnh ủy X'."""
    if not units:
        return None, None
    cased = [_org_case(u) for u in units]
    if len(cased) == 1:
        return cased[0], None
    parent, sub = cased[-2], cased[-1]
    location = _location_of(parent)
    if _location_of(sub) or not location:
        return sub, parent
    kind, name = location
    if re.search(rf"\b(?:{_UNIT_WORDS})$", sub):
        return f"{sub} {name}", parent
    if _PARTY_COMMITTEE.match(parent.lower()) or sub.lower().startswith("văn phòng"):
        return f"{sub} {parent}", parent
    return f"{sub} {kind} {name}", parent


def _province_from_units(units: list[str], tax: Taxonomy) -> str | None:
    index = _province_index(tax)
    for unit in units:
        key = fold(_norm_space(unit))
        m = re.search(r"\b(?:tinh(?: uy)?|thanh uy)\s+(.+)$", key) or re.search(r"\b(?:thanh pho|tp\.?)\s+(.+)$", key)
        if not m:
            continue
        name = m.group(1).strip()
        if name == "uy":  # a bare "TỈNH ỦY" names no province
            continue
        hit = index.get(name) or index.get(name.replace("-", " - "))
        if hit and (hit[1] or "thanh pho" not in key[:m.start(1)] or "tinh" in key[:m.start(1)]):
            return hit[0]
        if "tinh" in key[:m.start(1)] and name:
            return _proper_name(unit[-len(name):])
    # a body named with its province and no "tỉnh": "Sở Y tế Hà Tĩnh", "CDC Bắc Giang"
    for unit in units:
        key = fold(_norm_space(unit)).strip(" .,")
        for spelling, (name, _city) in index.items():
            if " " in spelling and key.endswith(" " + spelling) and len(key) > len(spelling) + 3:
                return name
    return None


_CENTRAL = re.compile(r"^(?:bo\s|chinh phu|thu tuong|van phong chinh phu|quoc hoi|ban chi dao quoc gia"
                      r"|ban chap hanh trung uong|ban bi thu|bo chinh tri|tong cuc\s|cuc\s(?!.*\btinh\b)"
                      r"|kiem toan nha nuoc|ngan hang nha nuoc|thanh tra chinh phu|ban chi dao nha nuoc"
                      r"|(?:ban chi dao|bcd) (?:lien nganh )?trung uong|bcd quoc gia|uy ban thuong vu quoc hoi"
                      r"|hoi dong quoc gia|uy ban quoc gia"
                      r"|toa an nhan dan toi cao|vien kiem sat nhan dan toi cao|bao hiem xa hoi viet nam"
                      r"|uy ban trung uong mat tran|dang uy chinh phu|dang uy quoc hoi|van phong trung uong"
                      r"|ban (?:to chuc|kiem tra|tuyen giao|dan van|noi chinh|chinh sach)[\w\s]*trung uong"
                      r"|uy ban kiem tra trung uong|tong lien doan lao dong viet nam|thong tan xa viet nam)")
# A sub-body in a province ("CỤC THUẾ" ⏎ "THUẾ TỈNH TÂY NINH"): the letter is that province's.
_PROVINCIAL_UNIT = re.compile(r"\b(?:tinh|thanh pho|tp\.?)\s+\w")


def _is_central(units: list[str]) -> bool:
    """A national body (Bộ Y tế, Chính phủ, a Tổng cục, Kiểm toán Nhà nước …): it has no
    province, unless the issuing sub-body under it is a province's own office."""
    return bool(units) and bool(_CENTRAL.match(fold(units[0]))) \
        and not any(_PROVINCIAL_UNIT.search(fold(u)) for u in units[1:])


# A commune's own body ("UBND xã Tân Hưng", "Đảng ủy phường 3"); "UBND thị xã X" is a district.
_COMMUNE = re.compile(r"^(?:uy ban nhan dan|ubnd|dang uy|hoi dong nhan dan|hdnd|tram y te)\s+"
                      r"(?:xa|phuong|thi tran|dac khu)\b")


def is_commune_issuer(issuer: str | None) -> bool:
    """A commune's letter: its "các cơ quan, đơn vị" are the commune's offices, not the province's
    departments (the guideline: the commune's offices, hamlets and staff take no id)."""
    return bool(issuer) and bool(_COMMUNE.match(fold(issuer or "")))


def _province_from_place(place: str | None, tax: Taxonomy) -> str | None:
    if not place:
        return None
    name = re.sub(r"^(?:tp\.?|thành phố|tỉnh)\s*", "", place.strip(), flags=re.IGNORECASE)
    return _canonical_province(name, tax)


_BARE_BODY = re.compile(r"^(?:UBND|HĐND|Ủy ban nhân dân|Hội đồng nhân dân|Tỉnh ủy)$", re.IGNORECASE)


def _complete_bare_issuer(issuer: str | None, place: str | None, tax: Taxonomy) -> str | None:
    """A web copy that dropped the header's second line ("ỦY BAN NHÂN DÂN" ⏎ [TỈNH THANH HÓA])
    leaves a body with no place; the place-date line names it when it is a province: "Thanh
    Hóa, ngày …" → "UBND tỉnh Thanh Hóa". A district's letters are dated at the district, so
    those stay as they are."""
    if not issuer or not _BARE_BODY.match(issuer.strip()):
        return issuer
    province = _province_from_place(place, tax)
    if province is None:
        return issuer
    if issuer.strip().lower() == "tỉnh ủy":
        return f"Tỉnh ủy {province}"
    city = next((c for name, c in _province_index(tax).values() if name == province), False)
    return f"{issuer.strip()} {'thành phố' if city else 'tỉnh'} {province}"


@lru_cache(maxsize=4)
def _province_mention_re(tax_path: str) -> tuple[re.Pattern[str], dict[str, tuple[str, bool]]]:
    """One regex for 'tỉnh X' / 'thành phố X' (X a known province spelling, folded)."""
    index = _province_index(load_taxonomy(tax_path))
    alternation = "|".join(re.escape(n) for n in sorted(index, key=len, reverse=True))
    return re.compile(rf"\b(tinh|thanh pho)\s+({alternation})\b"), index


def _province_mentions(text: str, tax: Taxonomy) -> Counter[str]:
    """How often the text names each province ('tỉnh X', or 'thành phố X' for a centrally-run city)."""
    regex, index = _province_mention_re(tax.path)
    counts: Counter[str] = Counter()
    for m in regex.finditer(fold(text)):
        canonical, city = index[m.group(2)]
        if m.group(1) == "tinh" or city:
            counts[canonical] += 1
    return counts


def _province_from_text(text: str, tax: Taxonomy) -> str | None:
    """The province the text names most."""
    best = _province_mentions(text, tax).most_common(1)
    return best[0][0] if best else None


_LOCAL_UNIT = re.compile(r"\b(thi xa|xa|phuong|dac khu|huyen|quan|thanh pho|tx\.|tp\.)\s*(\S.*)$")
_UNIT_ABBREVIATIONS = {"tx.": "thị xã", "tp.": "thành phố"}  # "UBND TX. ĐỒNG XOÀI"


def _province_from_local_unit(units: list[str], year: int | None, month: int | None, text: str,
                              tax: Taxonomy) -> str | None:
    """A commune's or district's province from the list of local units ("XÃ LƯƠNG MINH" → Quảng
    Ninh): the one province holding a unit of that name, or, where several do, the one of them
    the text names most. Communes are looked up among those of the 2025 reform for letters from
    July 2025 on, districts among those before it for older letters."""
    from congvan.letters.gazetteer import provinces_of_unit

    if year is None:  # an undated page: the years its text names ("vụ thu năm 2023") say which list
        years = [int(y) for y in re.findall(r"\bnăm\s+((?:19|20)\d{2})\b", text)]
        after = False if years and max(years) < 2025 else None
    else:
        after = (year, month or 12) >= (2025, 7)
    named = _province_mentions(text, tax)
    for unit in reversed(units):  # the issuing body first, then its parent
        cased = _norm_space(unit)
        m = _LOCAL_UNIT.search(fold(cased))
        if not m:
            continue
        kind, name = _UNIT_ABBREVIATIONS.get(m.group(1), m.group(1)), cased[m.start(2):].strip(" .,")
        candidates = [_canonical_province(c, tax) or c for c in provinces_of_unit(kind, name, after_2025_reform=after)]
        if named and not any(c in named for c in candidates):
            continue  # the text names other provinces: a unit of the same name elsewhere ("xã Tiền Tiến")
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            counts = Counter({p: n for p, n in named.items() if p in candidates})
            best = counts.most_common(2)
            if best and (len(best) == 1 or best[0][1] > best[1][1]):
                return best[0][0]
    if after:
        return None
    # a commune's letter names its district ("… của Ủy ban nhân dân huyện Gia Viễn về việc …"):
    # the province of the one district the text names, if that district's name is unique
    found = {c for m in _DISTRICT_NAMED.finditer(text)
             for c in provinces_of_unit(m.group(1).lower(), m.group(2), after_2025_reform=False)}
    return (_canonical_province(found.pop(), tax) or None) if len(found) == 1 else None


# A district named in the text, by its kind and capitalised name: "huyện Gia Viễn", "thị xã Sơn Tây".
_DISTRICT_NAMED = re.compile(rf"\b([Hh]uyện|[Tt]hị xã|[Qq]uận|[Tt]hành phố)\s+([{_UP}][\w]+(?:\s+[{_UP}][\w]+){{0,3}})")


@lru_cache(maxsize=4)
def _province_spellings(tax_path: str) -> tuple[tuple[re.Pattern[str], str, frozenset[str]], ...]:
    """Per folded province spelling: its pattern, the canonical name, every accented spelling."""
    tax = load_taxonomy(tax_path)
    groups: dict[str, tuple[str, set[str]]] = {}
    for p in tax.provinces:
        for s in (p.name, *p.spellings):
            key = fold(s)
            accented = groups.setdefault(key, (p.name, set()))[1]
            if key != s.lower():
                accented.add(canonical_tones(nfc(s.lower())))
    return tuple((re.compile(rf"\b{re.escape(k)}\b"), name, frozenset(acc))
                 for k, (name, acc) in sorted(groups.items(), key=lambda kv: -len(kv[0])) if acc)


def _snap_province_names(unit: str, tax: Taxonomy) -> str:
    """A province's name misread by OCR in its tone marks ("TỈNH LÂM ĐÒNG") gets them back
    ("TỈNH LÂM ĐỒNG"): a header names real places, and no two provinces fold alike. A name
    printed without any tone mark, or in any of its known spellings ("ĐĂK LĂK"), stays."""
    key = fold(unit)
    if len(key) != len(unit):
        return unit
    for pattern, name, spellings in _province_spellings(tax.path):
        for m in pattern.finditer(key):
            span = unit[m.start():m.end()]
            if fold(span) == span.lower() or canonical_tones(nfc(span.lower())) in spellings:
                continue
            fixed = name.upper() if span.isupper() else name
            unit = unit[:m.start()] + fixed + unit[m.end():]
    return unit
