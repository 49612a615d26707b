"""View models: what the templates get, built from the core's results (no I/O here).

Query parameters → search state (bad values dropped with a message, never a 4xx), hits and
facets → links, a ``LetterRead`` → the letter page, an ingest → the upload summary.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from congvan.index.directory import LetterInfo
from congvan.index.facets import Facet
from congvan.index.results import Hit
from congvan.letters.diseases import disease_labels
from congvan.letters.schema import Letter
from congvan.service.core import LetterRead
from congvan.service.web import views

PAGE_SIZE = 10
MAX_OFFSET = 10_000
MAX_QUERY_CHARS = 1000
FILTER_KEYS = ("year", "from", "to", "province", "issuer", "theme", "disease", "agency")
#: the multi-valued filters (repeatable query parameters) and the chip prefix of each
MULTI_FILTERS = {"theme": "Chủ đề", "disease": "Bệnh", "agency": "Cơ quan"}
_MONTH = re.compile(r"^\d{4}(-\d{1,2})?$")


# --------------------------------------------------------------------------- search state
def search_state(qp) -> tuple[dict[str, Any], list[str]]:
    """Query parameters → (state, problems)."""
    problems: list[str] = []
    q = qp.get("q", "").strip()
    if len(q) > MAX_QUERY_CHARS:
        problems.append(f"Câu tìm kiếm dài quá {MAX_QUERY_CHARS} ký tự nên đã được cắt bớt.")
        q = q[:MAX_QUERY_CHARS]
    try:
        page = max(1, int(qp.get("page", "1")))
    except ValueError:
        page = 1
    page = min(page, MAX_OFFSET // PAGE_SIZE)
    year = qp.get("year", "").strip()
    if year and not (year.isdigit() and 1945 <= int(year) <= 2100):
        problems.append(f"“{year}” không phải là năm hợp lệ nên bộ lọc năm đã được bỏ qua.")
        year = ""
    dates = {}
    for key, label in (("from", "Từ tháng"), ("to", "Đến tháng")):
        value = qp.get(key, "").strip()
        if value and not (_MONTH.match(value) and 1945 <= int(value[:4]) <= 2100):
            problems.append(f"{label} “{value}” cần có dạng NNNN-TT (ví dụ 2023-04) nên đã được bỏ qua.")
            value = ""
        dates[key] = value
    if dates["from"] and dates["to"] and _month_key(dates["from"]) > _month_key(dates["to"], end=True):
        problems.append("Khoảng thời gian không hợp lệ (tháng bắt đầu sau tháng kết thúc) nên đã được bỏ qua.")
        dates = {"from": "", "to": ""}
    state = {
        "q": q, "page": page, "year": year, "from": dates["from"], "to": dates["to"],
        "province": qp.get("province", "").strip(), "issuer": qp.get("issuer", "").strip(),
        **{key: [v for v in dict.fromkeys(qp.getlist(key)) if v.strip()] for key in MULTI_FILTERS},
    }
    return state, problems


def _month_key(value: str, end: bool = False) -> tuple[int, int]:
    year, _, month = value.partition("-")
    return int(year), int(month) if month else (12 if end else 1)


def filters_of(state: dict[str, Any]) -> dict[str, Any]:
    return {"year": int(state["year"]) if state["year"] else None, "from": state["from"] or None,
            "to": state["to"] or None, "province": state["province"] or None,
            "issuer": state["issuer"] or None, **{key: state[key] or None for key in MULTI_FILTERS}}


def link_params(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state[k] for k in ("q", *FILTER_KEYS)}


# --------------------------------------------------------------------------- results
def hit_view(hit: Hit, query: str, themes: dict[str, str], agencies: dict[str, str]) -> dict[str, Any]:
    doc = hit.document or {}
    q = f"&q={quote(query)}" if query else ""
    return {
        "url": f"/letters/{quote(hit.doc_id)}?clause={quote(hit.clause_id)}{q}#c-{quote(hit.clause_id)}",
        "doc_id": hit.doc_id, "clause_id": hit.clause_id,
        "subject": doc.get("subject") or "(Không có trích yếu)",
        "issuer": doc.get("issuer"), "number": doc.get("number"), "doc_type": doc.get("doc_type"),
        "date": views.format_date(doc.get("date")), "province": doc.get("province"),
        "path_label": views.path_label(hit.path, hit.kind), "kind": hit.kind,
        # The one place where stored text is marked safe: make_snippet escapes it and adds <mark>.
        "snippet": Markup(hit.snippet),
        "themes": views.labelled(views.theme_ids(hit.themes), themes),
        "lead": views.labelled(hit.lead, agencies), "support": views.labelled(hit.support, agencies),
        "diseases": views.labelled(hit.diseases, disease_labels()),
    }


def active_filters(state: dict[str, Any], themes: dict[str, str], agencies: dict[str, str]) -> list[dict]:
    params = link_params(state)
    chips = []
    if state["year"]:
        chips.append({"label": f"Năm {state['year']}", "url": "/" + views.query_string(params, year=None)})
    if state["from"] or state["to"]:
        span = f"{views.format_iso(state['from']) or '…'} – {views.format_iso(state['to']) or '…'}"
        chips.append({"label": f"Thời gian: {span}", "url": "/" + views.query_string(params, **{"from": None, "to": None})})
    if state["province"]:
        chips.append({"label": state["province"], "url": "/" + views.query_string(params, province=None)})
    if state["issuer"]:
        chips.append({"label": state["issuer"], "url": "/" + views.query_string(params, issuer=None)})
    names = {"theme": themes, "disease": disease_labels(), "agency": agencies}
    for key, prefix in MULTI_FILTERS.items():
        for value in state[key]:
            rest = [x for x in state[key] if x != value]
            chips.append({"label": f"{prefix}: {names[key].get(value, value)}",
                          "url": "/" + views.query_string(params, **{key: rest})})
    return chips


def facet_links(facets: list[Facet], state: dict[str, Any]) -> list[dict[str, Any]]:
    params = link_params(state)
    out = []
    for facet in facets:
        items = []
        for v in facet.values:
            if facet.multi:
                current = list(state[facet.name])
                new = [x for x in current if x != v.value] if v.selected else [*current, v.value]
                url = "/" + views.query_string(params, **{facet.name: new})
            else:
                url = "/" + views.query_string(params, **{facet.name: None if v.selected else v.value})
            items.append({"label": v.label, "count": v.count, "selected": v.selected, "url": url})
        out.append({"name": facet.name, "title": facet.title, "items": items, "multi": facet.multi})
    return out


def letter_link(info: LetterInfo) -> dict[str, Any]:
    return {"url": f"/letters/{quote(info.doc_id)}", "subject": info.subject or "(Không có trích yếu)",
            "issuer": info.issuer, "number": info.number, "doc_type": info.doc_type,
            "date": views.format_date({"year": info.year, "month": info.month, "day": info.day})}


# --------------------------------------------------------------------------- letter page
def letter_view(read: LetterRead, query: str, hit_clause: str, tax, themes: dict[str, str],
                agencies: dict[str, str]) -> dict[str, Any]:
    stored, doc_id = read.stored, read.doc_id
    doc = stored.get("document") or {}
    references, links = [], []
    for ref, targets in read.references:
        items = [{"url": f"/letters/{quote(t.doc_id)}", "subject": t.subject, "issuer": t.issuer,
                  "number": t.number} for t in targets]
        references.append({"type": ref.get("type"), "number": ref.get("number"),
                           "date": views.format_iso(ref.get("date")), "issuer": ref.get("issuer"),
                           "text": ref.get("text"), "targets": items})
        if items and ref.get("number"):
            links.append((ref["number"], items[0]["url"]))
    cited_by = [letter_link(t) for t in read.cited_by]
    clauses = []
    for c in stored.get("clauses") or []:
        ids = views.theme_ids(c.get("themes"))
        ag = c.get("agencies") or {}
        clauses.append({
            "id": c["clause_id"], "path_label": views.path_label(c.get("path"), c.get("kind")),
            "kind": c.get("kind"), "heading": c.get("heading"),
            "html": views.render_text(c.get("text", ""), query, links),
            "themes": views.labelled(ids, themes), "lead": views.labelled(ag.get("lead") or [], agencies),
            "support": views.labelled(ag.get("support") or [], agencies),
            "diseases": views.labelled(c.get("diseases") or [], disease_labels()),
            "theme_ids": ids, "lead_ids": list(ag.get("lead") or []), "support_ids": list(ag.get("support") or []),
            "is_hit": c["clause_id"] == hit_clause,
            "corrected_at": views.format_iso((read.corrected_at.get(c["clause_id"]) or "")[:10]),
        })
    return {"doc_id": doc_id, "doc": doc, "date": views.format_date(doc.get("date")), "clauses": clauses,
            "references": references, "cited_by": cited_by, "signer": doc.get("signer") or {},
            "recipients": doc.get("recipients") or [],
            "theme_choices": [(t.id, t.label) for t in tax.themes],
            "agency_choices": [(a.id, a.name) for a in tax.agencies if a.id],
            "n_hit": sum(1 for c in clauses if c["is_hit"])}


# --------------------------------------------------------------------------- upload result
def letter_summary(letter: Letter, doc_id: str, status: str, themes: dict[str, str],
                   agencies: dict[str, str]) -> dict[str, Any]:
    doc = letter.document_dict()
    clauses = []
    for c in letter.to_dict()["clauses"]:
        ag = c.get("agencies") or {}
        clauses.append({"path_label": views.path_label(c.get("path"), c.get("kind")),
                        "text": c.get("text", ""),
                        "themes": views.labelled(views.theme_ids(c.get("themes")), themes),
                        "lead": views.labelled(ag.get("lead") or [], agencies),
                        "support": views.labelled(ag.get("support") or [], agencies),
                        "diseases": views.labelled(c.get("diseases") or [], disease_labels())})
    return {"doc_id": doc_id, "url": f"/letters/{quote(doc_id)}", "status": status,
            "subject": doc.get("subject") or "(Không có trích yếu)", "issuer": doc.get("issuer"),
            "number": doc.get("number"), "date": views.format_date(doc.get("date")),
            "doc_type": doc.get("doc_type"), "clauses": clauses}
