"""Label corrections: ``POST /api/clauses/{clause_id}/labels`` (the tagger's feedback loop).

Staff correct a clause's themes and responsible agencies; the correction is validated against
the taxonomy (422 names the unknown ids), stored durably (``training.corrections``: append-only
JSONL under CONGVAN_HOME, fsync-ed before the answer) with the clause text, the letter id and the
old and new labels, and the stored record is returned. ``congvan train`` merges the corrections
into its train split; ``congvan export-corrections`` writes them out as training data.

When the index offers ``Collection.update_clause_labels(clause_id, themes, lead, support)`` the
stored clause (and so the search filters) is updated at once (``applied_to_index: true``);
otherwise the correction is recorded and shows in search after the letter is re-ingested.
Writing needs the same rights as uploading (``service.http.security``: API key / login, CSRF,
same origin).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from congvan.index.store import DocumentNotFound
from congvan.letters.taxonomy import load_taxonomy
from congvan.service.api.schemas import ErrorResponse
from congvan.service.http.deps import CollectionDep, SettingsDep

try:  # the web engineer's write protection (API key / session, CSRF, origin)
    from congvan.service.http.security import WriteAccess
except ImportError:  # pragma: no cover - older checkouts without it
    WriteAccess = None  # type: ignore[assignment,misc]

router = APIRouter(prefix="/api", tags=["corrections"])
ERRORS = {code: {"model": ErrorResponse} for code in (401, 403, 404, 422)}


class LabelsIn(BaseModel):
    """New labels of a clause; a field left out keeps its current value."""

    model_config = ConfigDict(extra="forbid")

    themes: list[str] | None = Field(None, max_length=64, description="theme ids (taxonomy), e.g. [\"vaccination\"]")
    lead: list[str] | None = Field(None, max_length=64, description="lead agency ids, e.g. [\"so_y_te\"]")
    support: list[str] | None = Field(None, max_length=64, description="support agency ids")


class LabelSet(BaseModel):
    themes: list[str] = []
    lead: list[str] = []
    support: list[str] = []


class CorrectionOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    timestamp: str
    clause_id: str
    doc_id: str
    path: str | None = None
    kind: str | None = None
    text: str
    heading: str | None = None
    old: LabelSet
    new: LabelSet
    applied_to_index: bool


def _check_ids(body: LabelsIn) -> None:
    tax = load_taxonomy()
    themes, agencies = set(tax.theme_ids), set(tax.agency_ids)
    problems = []
    for field, allowed in (("themes", themes), ("lead", agencies), ("support", agencies)):
        values = getattr(body, field) or []
        unknown = [v for v in values if v not in allowed]
        if unknown:
            problems.append({"loc": ["body", field], "type": "unknown_id",
                             "msg": f"Mã không có trong danh mục (unknown {field} id): {', '.join(map(str, unknown))}; "
                                    f"known: {', '.join(sorted(allowed))}"})
    both = set(body.lead or []) & set(body.support or [])
    if both:
        problems.append({"loc": ["body", "support"], "type": "lead_and_support",
                         "msg": f"Một cơ quan không thể vừa chủ trì vừa phối hợp (both lead and support): "
                                f"{', '.join(sorted(both))}"})
    if problems:
        raise HTTPException(422, problems)


def _find_clause(collection: Any, clause_id: str) -> tuple[str, dict[str, Any]]:
    doc_id = clause_id.rsplit("-", 1)[0] if "-" in clause_id else clause_id
    try:
        letter = collection.get_letter(doc_id)
    except DocumentNotFound:
        letter = None
    if letter is not None:
        for clause in letter.get("clauses", []):
            if clause.get("clause_id") == clause_id:
                return doc_id, clause
    raise HTTPException(404, f"Không có điều khoản mã {clause_id!r} (unknown clause_id)")


def _unique(values: list[str] | None) -> list[str] | None:
    return None if values is None else list(dict.fromkeys(values))


async def _save_correction(clause_id: str, body: LabelsIn, settings: Any, collection: Any) -> dict[str, Any]:
    from congvan.training.corrections import CorrectionStore, corrections_path

    _check_ids(body)
    doc_id, clause = _find_clause(collection, clause_id)
    old = {"themes": [t["id"] if isinstance(t, dict) else str(t) for t in clause.get("themes", [])],
           "lead": list(clause.get("agencies", {}).get("lead", [])),
           "support": list(clause.get("agencies", {}).get("support", []))}
    new = {"themes": _unique(body.themes) if body.themes is not None else old["themes"],
           "lead": _unique(body.lead) if body.lead is not None else old["lead"],
           "support": _unique(body.support) if body.support is not None else old["support"]}
    new["support"] = [a for a in new["support"] if a not in new["lead"]]
    applied = False
    update = getattr(collection, "update_clause_labels", None)
    if callable(update):
        await run_in_threadpool(update, clause_id, new["themes"], new["lead"], new["support"])
        applied = True
    record = {"clause_id": clause_id, "doc_id": doc_id, "path": clause.get("path"),
              "kind": clause.get("kind"), "text": clause.get("text", ""), "heading": clause.get("heading"),
              "old": old, "new": new, "applied_to_index": applied}
    return await run_in_threadpool(CorrectionStore(corrections_path(settings.home)).append, record)


if WriteAccess is not None:
    @router.post("/clauses/{clause_id}/labels", response_model=CorrectionOut, responses=ERRORS,
                 summary="Correct a clause's themes and agencies (stored as training data)")
    async def correct_labels(clause_id: str, body: LabelsIn, settings: SettingsDep, collection: CollectionDep,
                             _access: WriteAccess) -> dict[str, Any]:
        return await _save_correction(clause_id, body, settings, collection)
else:  # pragma: no cover
    @router.post("/clauses/{clause_id}/labels", response_model=CorrectionOut, responses=ERRORS,
                 summary="Correct a clause's themes and agencies (stored as training data)")
    async def correct_labels(clause_id: str, body: LabelsIn, settings: SettingsDep,
                             collection: CollectionDep) -> dict[str, Any]:
        return await _save_correction(clause_id, body, settings, collection)
