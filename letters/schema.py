"""Plain data types for a parsed letter, shared by parser, index, tagger and API.

They serialise to exactly the JSON of ``shared/spec/interface.md`` (``to_dict``); extra fields
are additions, never renames.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ClauseKind = Literal["preamble", "directive", "closing"]


@dataclass
class DateParts:
    """A possibly partial date: drafts leave the day blank ("ngày   tháng 4 năm 2023")."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    def iso(self) -> str | None:
        """``2023-04-12``, ``2023-04`` or ``2023``; None when the year is unknown."""
        if self.year is None:
            return None
        out = f"{self.year:04d}"
        if self.month is not None:
            out += f"-{self.month:02d}"
            if self.day is not None:
                out += f"-{self.day:02d}"
        return out


@dataclass
class Signer:
    name: str | None = None
    title: str | None = None


@dataclass
class Reference:
    """A document the letter cites: "Công văn số 2116/BYT-DP ngày 12/4/2023 của Bộ Y tế"."""

    type: str | None
    number: str | None
    date: str | None = None  # ISO, possibly partial
    issuer: str | None = None
    text: str = ""  # the mention as written


@dataclass
class AgencyMention:
    """One agency named in a clause, with the role its wording gives it."""

    agency: str  # canonical id from the taxonomy
    role: Literal["lead", "support", "mention"]
    text: str  # the words matched
    start: int = -1  # character offset in the clause text, -1 when inherited
    inherited: bool = False  # True when taken from the item's heading


@dataclass
class AgencyRoles:
    lead: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    # interface v2: the bodies' own names behind a ``*_khac`` id ({"bo_khac": ["Bộ Công an"]})
    names: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ThemeScore:
    id: str
    score: float


@dataclass
class Clause:
    clause_id: str
    path: str
    kind: ClauseKind
    text: str
    agencies: AgencyRoles = field(default_factory=AgencyRoles)
    themes: list[ThemeScore] = field(default_factory=list)
    heading: str | None = None  # the text of the item heading this clause sits under
    mentions: list[AgencyMention] = field(default_factory=list)
    order: int = 0  # position in the letter, 0-based
    diseases: list[str] = field(default_factory=list)  # disease ids (v2); inherited from the letter

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["themes"] = [asdict(t) for t in self.themes]
        return d


@dataclass
class Letter:
    doc_id: str
    doc_type: str | None = None  # Công văn, Chỉ thị, Kế hoạch, Quyết định, Thông báo …
    issuer: str | None = None
    parent_body: str | None = None  # "Tỉnh ủy Lạng Sơn" above "Ban Chỉ đạo …"
    province: str | None = None
    number: str | None = None  # "…/UBND-KGVX" as written, blanks kept
    place: str | None = None
    date: DateParts = field(default_factory=DateParts)
    subject: str | None = None
    recipients: list[str] = field(default_factory=list)
    signer: Signer = field(default_factory=Signer)
    references: list[Reference] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)
    text: str = ""  # the normalised full text the clauses were cut from
    source: str | None = None  # file name it came from, if any
    issuer_header: str | None = None  # the issuing-body header as printed ("UBND … / SỞ …")
    central: bool = False  # a national body (ministry, Government, central party): no province
    province_now: str | None = None  # the province that area belongs to after the 2025 merger (v2)
    diseases: list[str] = field(default_factory=list)  # disease ids the letter is about (v2)
    #: which theme tagger filled ``themes`` (``{"name", "provisional"}``), set by the tagging step
    tagger: dict[str, Any] | None = None

    def document_dict(self) -> dict[str, Any]:
        """The ``document`` object of the tag JSON."""
        return {
            "doc_id": self.doc_id,
            "doc_type": self.doc_type,
            "issuer": self.issuer,
            "parent_body": self.parent_body,
            "province": self.province,
            "number": self.number,
            "place": self.place,
            "date": asdict(self.date),
            "subject": self.subject,
            "recipients": list(self.recipients),
            "signer": asdict(self.signer),
            "references": [asdict(r) for r in self.references],
            "source": self.source,
            "province_now": self.province_now,
            "diseases": list(self.diseases),
            "issuer_header": self.issuer_header,
            "central": self.central,
        }

    def to_dict(self) -> dict[str, Any]:
        """The full ``congvan tag --json`` object."""
        out: dict[str, Any] = {"document": self.document_dict(), "clauses": [c.to_dict() for c in self.clauses]}
        if self.tagger is not None:
            out = {"tagger": dict(self.tagger), **out}
        return out
