"""Letter text → ``Letter``: header metadata, references and clauses (shared/spec/interface.md).

The package splits the work along its seams: ``layout`` (normalise web tables, markdown, wrapped
header cells) with ``tables`` (task tables → one item per row), ``header`` (fields by what they
are), ``portal`` (number/date/issuer of header-less portal copies from the opening sentence),
``issuer``, ``signer``, ``references``, ``markers``, ``paragraphs`` and ``clauses``; ``casing``
and ``common`` are shared. Diseases (``letters.diseases``) and ``province_now``
(``letters.provinces``) are filled last. Any non-empty text gives at least one clause.

The input is text already extracted from .txt/.md/.docx/.pdf. Real letters arrive in many shapes
(the two header columns interleaved or merged on one line, hard-wrapped PDF lines, page breaks
inside a sentence, OCR slips such as "2.Giao" or stray '*', drafts with blank numbers and days,
pasted excerpts with no header at all), so every step degrades gracefully: a field that is not
there is None, never invented.

Layout, top to bottom: *header* (issuer, motto, "Số:", place and date, "V/v" subject or a title
such as "KẾ HOẠCH" with its subject lines), *recipients* ("Kính gửi:", or "… điện:" in a công
điện), *body* (clauses), *footer* ("Nơi nhận:" and the signature block). See ``_split_layout``.

Metadata rules:
- issuer: the last body named in the header ("TỈNH ỦY X / BAN CHỈ ĐẠO … TỈNH" → issuer "Ban Chỉ
  đạo … tỉnh X", parent_body "Tỉnh ủy X"); a sub-body gets its parent's place ("Sở Y tế tỉnh X").
- province: from the header, else from the place line, else (a letter with a header, e.g. from a
  district) the province the text keeps naming; none for national bodies (Bộ, Chính phủ …) and
  none for a bare excerpt.
- signer: name = last name-like line of the footer; title = the signing capacity under the
  TM./KT./TL. markers ("PHÓ CHỦ TỊCH"); a concurrent post printed above the name ("CHỦ TỊCH UBND
  TỈNH" in a Ban Chỉ đạo letter) is not the title.

Clause rules (interface.md): a clause is the smallest numbered (1., 1.1., I., "Điều 1."),
lettered (a)) or bulleted (-, +, •, *) item; an item heading with text is a clause of its own
("2" then "2.a"); an item with several paragraphs gives one clause per paragraph (paths ``3``,
``3.2``, ``3.3``); bullets get ``1.-1``, ``1.-2``; "Điều 2" is ``Đ2``. An all-caps section
caption ("I. MỤC ĐÍCH, YÊU CẦU") is structure, not a clause: it is its sub-items' ``heading``, and
a paragraph right under it takes the section's own path ("III"). Paragraphs before the first item
are ``preamble``; the formula after the last item ("… yêu cầu … thực hiện nghiêm túc …/.", "Trên
đây là …") and decision formulas ("Quyết định này có hiệu lực …") are ``closing``. Letters with
no items: paragraphs get paths ``p1``, ``p2`` …; a body that is one long paragraph is cut into
sentences ``s1``, ``s2`` …. Paths are unique within a letter (a clash gets a "~2" suffix).

Agencies (``letters.agencies``): directive clauses get lead/support from their own wording, else
from their heading item; top-level items of a letter addressed to a single taxonomy body
("Kính gửi: Các thành viên Ban Chỉ đạo … tỉnh") inherit that body as lead; so do the top-level
items under a preamble lead-in that orders bodies to act ("… yêu cầu các cấp ủy, đoàn thể thực hiện
các nhiệm vụ sau:"), and the sub-items under an item paragraph ending in ":" that names its lead.
"""
from __future__ import annotations

import re

from congvan.letters.diseases import clause_diseases
from congvan.letters.parse.clauses import _addressee_roles, _build_clauses, _unique_paths, _unnumbered_clauses
from congvan.letters.parse.common import (
    _MOTTO,
    _SUBJECT_START,
    VV_LABEL,
    _canonical_province,
    _is_upper_line,
    _norm_space,
    doc_id_for,
)
from congvan.letters.parse.header import _attachment_split, _split_layout, _type_from_number
from congvan.letters.parse.issuer import (
    _complete_bare_issuer,
    _is_central,
    _issuer,
    _issuer_units,
    _province_from_local_unit,
    _province_from_place,
    _province_from_text,
    _province_from_units,
    _province_mentions,
    _snap_province_names,
    is_commune_issuer,
)
from congvan.letters.parse.layout import normalise_layout
from congvan.letters.parse.paragraphs import _paragraphs
from congvan.letters.parse.portal import opening_speaker, portal_header
from congvan.letters.parse.references import _references
from congvan.letters.parse.signer import _signer
from congvan.letters.parse.tables import row_columns
from congvan.letters.provinces import province_now
from congvan.letters.schema import AgencyRoles, Clause, Letter
from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.letters.text import clean_text, fold

__all__ = ["doc_id_for", "parse_letter"]


def parse_letter(text: str, source: str | None = None, taxonomy: Taxonomy | None = None) -> Letter:
    """Parse one letter's extracted text. Never raises for unusual but valid input."""
    tax = taxonomy or load_taxonomy()
    cleaned = clean_text(text)
    doc_id = doc_id_for(cleaned)
    lines = normalise_layout(cleaned)
    layout = _split_layout(lines)
    header = layout.header

    units = [_snap_province_names(u, tax) for u in _issuer_units(header.issuer_lines)]
    issuer, parent = _issuer(units)
    body_text = "\n".join(layout.body)
    portal = None
    if not units and header.number is None and header.date.year is None:
        # a portal copy with no header: "Ngày 13/9/2021, UBND tỉnh … ban hành Công văn số …"
        # the opening of the whole copy: a page that reprints the letter in full after its news
        # sentence may leave little of it in the body
        portal = portal_header("\n".join(lines), tax, page=cleaned)
        if portal is not None:
            header.number = portal.number
            header.date = portal.date or header.date
            header.title = header.title or portal.doc_type
            header.subject = header.subject or portal.subject
            issuer = portal.issuer
        elif (speaker := opening_speaker(body_text)) is not None:
            issuer = speaker  # "Thủ tướng Chính phủ yêu cầu …" opening a copy: a central letter
    if units and not _is_central(units):
        issuer = _complete_bare_issuer(issuer, header.place, tax)
    named = units or ([issuer] if issuer else [])  # a portal copy's or opening speaker's body
    province = _province_from_units(named, tax)
    if province is None and not _is_central(named):  # a ministry in Hà Nội is not "Hà Nội"
        province = _province_from_place(header.place, tax)
    if province is None and not _is_central(named) and named:  # "XÃ LƯƠNG MINH" → Quảng Ninh
        province = _province_from_local_unit(named, header.date.year, header.date.month,
                                             f"{header.subject or ''}\n{body_text}", tax)
    if province is None and not _is_central(named) and (named or header.number or header.place):
        # e.g. "UBND HUYỆN CAO LỘC": the province is the one the letter keeps naming. A bare
        # excerpt gets none: nothing is inferred for text with no header at all.
        province = _province_from_text(f"{header.subject or ''}\n{body_text}", tax)
    # a "V/v" subject with no title is a công văn whatever the number's codes say ("…/CT-CS" is
    # Cục Thuế, not a chỉ thị); a subject in capitals ("VỀ VIỆC TRIỂN KHAI …") is what is left of
    # a title block whose title line a web copy lost: the number's code says which ("24/CT-UBND")
    vv = bool(header.subject and _SUBJECT_START.match(header.subject))
    title_left = vv and _is_upper_line(header.subject or "") and not VV_LABEL.match(header.subject or "")
    # "…/CT-TTHT" of a Cục Thuế is the office's code, not a chỉ thị; a letter with
    # recipients and no title is a công văn, numbered or not (a copy that starts at "Kính gửi:")
    tax_office = "cuc thue" in fold(" ".join(named))
    by_number = None if tax_office else _type_from_number(header.number)
    doc_type = header.title or ("Công văn" if vv and not title_left else None) \
        or by_number or ("Công văn" if title_left or header.recipients else None)

    paras = _paragraphs(layout.body)
    # the agency rules depend on the letter's level and date (taxonomy v2: a ministry is a cited
    # source in a provincial letter, a lead in a central one; "các địa phương" by level and date)
    central = _is_central(named)
    ctx = {"central": central, "date": header.date.iso(),
           "focus": _about_one_province(central, header.subject, header.recipients, tax),
           "commune": not central and is_commune_issuer(issuer)}
    addressee = _addressee_roles(header.recipients, tax, **ctx)
    if addressee is None and ctx["focus"] and not header.recipients and fold(doc_type or "").startswith("thong bao"):
        # a central notice about one province with no "Kính gửi" (a thông báo kết luận of a
        # working session with its leaders): what it orders without naming a doer is the province's
        addressee = AgencyRoles(lead=["ubnd_tinh"])
    clauses = _build_clauses(paras, doc_id, addressee, tax, **ctx)
    footer, attached = _attachment_split(layout.footer)
    if attached:  # a plan, list or appendix printed after the signature: its items are directives
        att_paras = _paragraphs(attached)
        extra = _build_clauses(att_paras, doc_id, None, tax, **ctx)
        for clause in extra:
            clause.path = f"PL.{clause.path}"
        clauses += extra
        paras += att_paras
    clauses = [c for c in clauses if _has_content(c.text, tax)]
    if not clauses and cleaned.strip():
        # any non-empty text ingests (interface v2): no recognisable structure → one clause per
        # paragraph (per sentence for one long paragraph), header and footer lines included
        clauses = _unnumbered_clauses(_paragraphs(lines), doc_id, addressee, tax, **ctx) or [
            Clause(f"{doc_id}-000", "p1", "directive", _norm_space(cleaned))]
        if header.number or header.date.year:
            # a letter's header whose body the page lost ("… QUYẾT ĐỊNH BAN HÀNH QUY ĐỊNH …" cut off):
            # its rows are kept for search, but they order nothing
            for clause in clauses:
                clause.kind, clause.agencies = "preamble", AgencyRoles()
    for order, clause in enumerate(clauses):
        clause.order, clause.clause_id = order, f"{doc_id}-{order:03d}"
    _unique_paths(clauses)
    _assign_diseases(clauses, header.subject)
    references = _references("\n".join(filter(None, [header.subject, *(row_columns(p)[0] for p in paras)])))

    return Letter(
        doc_id=doc_id, doc_type=doc_type, issuer=issuer, parent_body=parent, province=province,
        number=header.number, place=header.place, date=header.date, subject=header.subject,
        recipients=header.recipients, signer=_signer(footer), references=references,
        clauses=clauses, text=cleaned, source=source,
        issuer_header=" / ".join(_norm_space(u) for u in units) or None, central=central,
        province_now=province_now(province),
        diseases=list(dict.fromkeys(d for c in clauses for d in c.diseases)))


#: Wording that names a group of provinces, whatever single "tỉnh X" follows it.
_SEVERAL_PROVINCES = re.compile(r"\bcac (?:tinh|thanh pho|dia phuong)\b|\bkhu vuc\b|\bvung\b")


def _about_one_province(central: bool, subject: str | None, recipients: list[str], tax: Taxonomy) -> bool:
    """A central letter about one province: its subject names that one province ("Thông báo kết
    luận … tại buổi làm việc với lãnh đạo tỉnh Đắk Lắk"), or it goes to that province alone. There
    "UBND tỉnh X" and "tỉnh X cần …" are that province's committee (``ubnd_tinh``), as the
    annotators read them, not the provinces as a group."""
    if not central:
        return False
    for text in (subject or "", "\n".join(recipients)):
        if _SEVERAL_PROVINCES.search(fold(text)):
            continue
        if len(_province_mentions(text, tax)) == 1:
            return True
    return False


_WORD = re.compile(r"[^\W\d_]{2,}")


def _has_content(text: str, tax: Taxonomy) -> bool:
    """A clause says something: not a bare figure or cell of a statistics table ("7.897", "89,0%",
    "3(1)", a province's name: "TP Hà Nội", "Bắc Ninh"), a rule line, or the motto of a form
    printed in an annex."""
    if not _WORD.search(text):
        return False
    if len(text) < 40 and _canonical_province(re.sub(r"^(?:tp\.?|thành phố|tỉnh)\s+", "", text.strip(" .,;:*"),
                                                     flags=re.IGNORECASE), tax):
        return False
    return not (len(text) < 120 and not _MOTTO.sub("", fold(text)).strip(" -–._"))


def _assign_diseases(clauses: list[Clause], subject: str | None) -> None:
    """Each clause's diseases: those it names, else the letter's (subject and all clauses)."""
    for clause, diseases in zip(clauses, clause_diseases([c.text for c in clauses], subject)):
        clause.diseases = diseases
