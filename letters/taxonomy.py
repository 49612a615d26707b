"""The tag taxonomy (themes, agencies, gazetteer) loaded from data, never hard-coded.

Why a data file: a province adds its own aliases (or a new agency) without touching code, and the
parser, the tagger, the model and the evaluation all read the same ids. ``load_taxonomy()`` reads
``letters/data/taxonomy.json`` unless a path (or ``$CONGVAN_TAXONOMY``) names another file; such a
file may say ``"extends": "builtin"`` (or a path) and then only lists what it adds: entries are
merged by id, aliases/keywords/patterns appended.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "BUILTIN_PATH",
    "Agency",
    "Body",
    "ContextualBody",
    "Province",
    "Taxonomy",
    "TaxonomyError",
    "Theme",
    "load_taxonomy",
]

BUILTIN_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.json"
ENV_VAR = "CONGVAN_TAXONOMY"
# Ids are stable API values: lowercase ASCII snake case.
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PROVINCE_SLOT = "{province}"
_CITY_SLOT = "{city}"  # centrally-run cities only


class TaxonomyError(ValueError):
    """The taxonomy file is missing, not JSON, or breaks a rule (message names file and entry)."""


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    #: wording that decides the theme on its own in any clause (``letters.themes``)
    cues: tuple[str, ...] = ()
    #: wording that switches ``cues`` off in a clause or letter (animals for ``testing``)
    cue_blockers: tuple[str, ...] = ()
    #: a letter whose subject names one of these is about the theme: its directive clauses inherit it
    topics: tuple[str, ...] = ()
    #: when set, ``cues`` count only where the clause or the letter's subject also names one of
    #: these (readiness is for an epidemic or a disaster: "sẵn sàng đưa nhà máy vào vận hành" is not)
    cue_context: tuple[str, ...] = ()


@dataclass(frozen=True)
class Body:
    """A named body: agencies (with an id), external sources, or local bodies without an id.

    ``aliases`` are already expanded (``{province}`` filled in); ``patterns`` are regexes over
    ``letters.text.fold`` text; ``proper_aliases`` only count with a capital initial;
    ``place_patterns`` only count when a capitalised place name follows that is not a centrally-run
    city ("UBND thành phố Vinh" is a district-level body, "UBND thành phố Hà Nội" is not).
    """

    id: str | None
    name: str
    aliases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    proper_aliases: tuple[str, ...] = ()
    place_patterns: tuple[str, ...] = ()
    level: str = ""  # "central": a national body; in a provincial letter only a cited source
    keep_name: bool = False  # a ``*_khac`` id: each mention keeps the body's own name
    members: tuple[tuple[str, tuple[str, ...]], ...] = ()  # keep_name bodies: (name, aliases)


Agency = Body


@dataclass(frozen=True)
class ContextualBody:
    """Wording whose id depends on the letter: "các địa phương" is ``ubnd_cac_tinh`` in a central
    letter, ``ubnd_huyen`` in a provincial one and ``ubnd_xa`` in a provincial one dated on or
    after ``since_date`` (the 2025 reorganisation)."""

    name: str
    aliases: tuple[str, ...]
    patterns: tuple[str, ...]
    central: str
    provincial: str | None  # None: in a provincial letter the wording names no agency
    since_date: str | None = None
    since_id: str | None = None
    #: the id in a central letter about one province ("Thông báo kết luận … làm việc với lãnh đạo
    #: tỉnh X"): there "UBND tỉnh X" is that province's own committee, not the provinces as a group
    focus: str | None = None
    #: only a name of its own: not where it qualifies the name before it ("HĐND tỉnh X")
    standalone: bool = False
    #: in a commune's own letter (``"commune"`` in the data, null allowed): "các cơ quan, đơn vị"
    #: there are the commune's offices, which have no id, not the province's departments
    has_commune: bool = False
    commune: str | None = None

    def resolve(self, central: bool, date: str | None = None, focus: bool = False,
                commune: bool = False) -> str | None:
        if central:
            return self.focus if focus and self.focus else self.central
        if commune and self.has_commune:
            return self.commune
        if self.since_date and self.since_id and date and len(date) >= 7 and date >= self.since_date[:len(date)]:
            return self.since_id
        return self.provincial


@dataclass(frozen=True)
class Province:
    name: str
    aliases: tuple[str, ...] = ()
    city: bool = False  # centrally-run city ("thành phố Hà Nội" is a province-level unit)

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Taxonomy:
    version: int
    themes: tuple[Theme, ...]
    agencies: tuple[Body, ...]
    sources: tuple[Body, ...] = ()
    other_bodies: tuple[Body, ...] = ()
    provinces: tuple[Province, ...] = ()
    path: str = ""
    contextual: tuple[ContextualBody, ...] = ()
    _themes_by_id: dict[str, Theme] = field(default_factory=dict, repr=False, compare=False)
    _agencies_by_id: dict[str, Body] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._themes_by_id.update({t.id: t for t in self.themes})
        self._agencies_by_id.update({a.id: a for a in self.agencies if a.id})

    @property
    def theme_ids(self) -> list[str]:
        return [t.id for t in self.themes]

    @property
    def agency_ids(self) -> list[str]:
        return [a.id for a in self.agencies if a.id]

    @property
    def theme_labels(self) -> dict[str, str]:
        return {t.id: t.label for t in self.themes}

    @property
    def agency_names(self) -> dict[str, str]:
        return {a.id: a.name for a in self.agencies if a.id}

    def theme(self, theme_id: str) -> Theme:
        try:
            return self._themes_by_id[theme_id]
        except KeyError:
            raise KeyError(f"unknown theme id {theme_id!r}; known: {', '.join(self.theme_ids)}") from None

    def agency(self, agency_id: str) -> Body:
        try:
            return self._agencies_by_id[agency_id]
        except KeyError:
            raise KeyError(f"unknown agency id {agency_id!r}; known: {', '.join(self.agency_ids)}") from None

    @property
    def central_ids(self) -> set[str]:
        """Agencies of the national level: in a provincial letter they are only cited sources."""
        return {a.id for a in self.agencies if a.id and a.level == "central"}

    @property
    def keep_name_ids(self) -> set[str]:
        return {a.id for a in self.agencies if a.id and a.keep_name}

    def province_spellings(self) -> list[str]:
        return [s for p in self.provinces for s in p.spellings]


# --------------------------------------------------------------------------- loading
def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy at ``path`` (else ``$CONGVAN_TAXONOMY``, else the built-in file), cached."""
    chosen = path if path is not None else os.environ.get(ENV_VAR) or BUILTIN_PATH
    return _load_cached(str(Path(chosen).resolve()))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Taxonomy:
    return _build(_read_merged(Path(path), seen=()), path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaxonomyError(f"taxonomy file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise TaxonomyError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise TaxonomyError(f"{path}: the top level must be an object")
    return data


def _read_merged(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """Read ``path``, resolving ``extends`` (an extension file only lists additions)."""
    if path in seen:
        raise TaxonomyError(f"{path}: 'extends' loops back to itself")
    data = _read_json(path)
    parent_ref = data.get("extends")
    if not parent_ref:
        return data
    parent_path = BUILTIN_PATH if parent_ref == "builtin" else (path.parent / str(parent_ref)).resolve()
    return _merge(_read_merged(parent_path, (*seen, path)), data)


_LIST_KEYS = ("aliases", "patterns", "proper_aliases", "place_patterns", "keywords", "cues", "cue_blockers",
              "cue_context",
              "topics")


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Entries with a known id/name extend the base entry; others are appended."""
    out = dict(base)
    for section in ("themes", "agencies", "sources", "other_bodies", "contextual", "provinces"):
        merged = [dict(e) for e in base.get(section, [])]
        index = {e.get("id") or e.get("name"): e for e in merged}
        for entry in extra.get(section, []):
            key = entry.get("id") or entry.get("name")
            target = index.get(key)
            if target is None:
                merged.append(dict(entry))
                index[key] = merged[-1]
                continue
            for k, v in entry.items():
                if k in _LIST_KEYS:
                    target[k] = [*target.get(k, []), *v]
                else:
                    target[k] = v
        out[section] = merged
    if "version" in extra:
        out["version"] = extra["version"]
    return out


# --------------------------------------------------------------------------- validation
def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TaxonomyError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _required_str(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"{where}: missing or empty '{key}'")
    return value.strip()


def _check_id(value: str, where: str, seen: set[str], kind: str) -> None:
    if not _ID_RE.match(value):
        raise TaxonomyError(f"{where}: id {value!r} must be lowercase ASCII snake_case")
    if value in seen:
        raise TaxonomyError(f"{where}: duplicate {kind} id {value!r}")
    seen.add(value)


def _check_patterns(patterns: tuple[str, ...], where: str) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise TaxonomyError(f"{where}: bad pattern {pattern!r}: {exc}") from None


def _expand(aliases: tuple[str, ...], provinces: tuple[Province, ...]) -> tuple[str, ...]:
    """Fill ``{province}`` with every province spelling, ``{city}`` with every centrally-run city's."""
    out: list[str] = []
    for alias in aliases:
        if _PROVINCE_SLOT in alias:
            out.extend(alias.replace(_PROVINCE_SLOT, s) for p in provinces for s in p.spellings)
        elif _CITY_SLOT in alias:
            out.extend(alias.replace(_CITY_SLOT, s) for p in provinces if p.city for s in p.spellings)
        else:
            out.append(alias)
    return tuple(dict.fromkeys(out))


def _body(entry: Any, where: str, provinces: tuple[Province, ...], need_id: bool) -> Body:
    if not isinstance(entry, dict):
        raise TaxonomyError(f"{where}: each entry must be an object")
    body_id = _required_str(entry, "id", where) if need_id else entry.get("id")
    name = _required_str(entry, "name", where)
    aliases = _strings(entry.get("aliases"), where, "aliases")
    patterns = _strings(entry.get("patterns"), where, "patterns")
    proper = _strings(entry.get("proper_aliases"), where, "proper_aliases")
    place = _strings(entry.get("place_patterns"), where, "place_patterns")
    _check_patterns(patterns + place, where)
    level = str(entry.get("level") or "")
    if level not in ("", "central", "local"):
        raise TaxonomyError(f"{where}: 'level' must be 'central' or 'local'")
    members: list[tuple[str, tuple[str, ...]]] = []
    for j, member in enumerate(entry.get("members") or []):
        mwhere = f"{where}: members[{j}]"
        if not isinstance(member, dict):
            raise TaxonomyError(f"{mwhere}: each member must be an object")
        mname = _required_str(member, "name", mwhere)
        members.append((mname, _expand((mname, *_strings(member.get("aliases"), mwhere, "aliases")), provinces)))
    own = (name, *aliases) if not members else aliases
    return Body(body_id, name, _expand(own, provinces), patterns, _expand(proper, provinces), place,
                level, bool(entry.get("keep_name")), tuple(members))


def _contextual(raw: Any, path: str, provinces: tuple[Province, ...], ids: set[str]) -> tuple[ContextualBody, ...]:
    out = []
    for i, entry in enumerate(raw or []):
        where = f"{path}: contextual[{i}]"
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{where}: each entry must be an object")
        name = _required_str(entry, "name", where)
        patterns = _strings(entry.get("patterns"), where, "patterns")
        _check_patterns(patterns, where)
        central = _required_str(entry, "central", where)
        provincial = _required_str(entry, "provincial", where) if entry.get("provincial") is not None else None
        since = entry.get("provincial_since") or {}
        since_date, since_id = since.get("date"), since.get("id")
        focus = entry.get("focus")
        commune = entry.get("commune")
        for ref in (central, provincial, since_id, focus, commune):
            if ref is not None and ref not in ids:
                raise TaxonomyError(f"{where}: unknown agency id {ref!r}")
        out.append(ContextualBody(name, _expand((name, *_strings(entry.get("aliases"), where, "aliases")), provinces),
                                  patterns, central, provincial, since_date, since_id, focus,
                                  bool(entry.get("standalone")), "commune" in entry, commune))
    return tuple(out)


def _provinces(raw: Any, path: str) -> tuple[Province, ...]:
    out = []
    for i, entry in enumerate(raw or []):
        where = f"{path}: provinces[{i}]"
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{where}: each entry must be an object")
        out.append(Province(_required_str(entry, "name", where),
                            _strings(entry.get("aliases"), where, "aliases"), bool(entry.get("city"))))
    return tuple(out)


def _build(data: dict[str, Any], path: str) -> Taxonomy:
    version = data.get("version")
    if not isinstance(version, int):
        raise TaxonomyError(f"{path}: 'version' must be an integer")
    provinces = _provinces(data.get("provinces"), path)
    themes: list[Theme] = []
    seen: set[str] = set()
    raw_themes = data.get("themes")
    if not isinstance(raw_themes, list) or not raw_themes:
        raise TaxonomyError(f"{path}: 'themes' must be a non-empty list")
    for i, entry in enumerate(raw_themes):
        where = f"{path}: themes[{i}]"
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{where}: each theme must be an object")
        theme_id = _required_str(entry, "id", where)
        _check_id(theme_id, f"{path}: theme {theme_id!r}", seen, "theme")
        themes.append(Theme(theme_id, _required_str(entry, "label", where),
                            str(entry.get("description") or ""),
                            _strings(entry.get("keywords"), where, "keywords"),
                            _strings(entry.get("cues"), where, "cues"),
                            _strings(entry.get("cue_blockers"), where, "cue_blockers"),
                            _strings(entry.get("topics"), where, "topics"),
                            _strings(entry.get("cue_context"), where, "cue_context")))
    raw_agencies = data.get("agencies")
    if not isinstance(raw_agencies, list) or not raw_agencies:
        raise TaxonomyError(f"{path}: 'agencies' must be a non-empty list")
    agencies: list[Body] = []
    seen_agencies: set[str] = set()
    for i, entry in enumerate(raw_agencies):
        body = _body(entry, f"{path}: agencies[{i}]", provinces, need_id=True)
        assert body.id is not None
        _check_id(body.id, f"{path}: agency {body.id!r}", seen_agencies, "agency")
        agencies.append(body)
    sources = tuple(_body(e, f"{path}: sources[{i}]", provinces, need_id=False)
                    for i, e in enumerate(data.get("sources") or []))
    others = tuple(_body(e, f"{path}: other_bodies[{i}]", provinces, need_id=False)
                   for i, e in enumerate(data.get("other_bodies") or []))
    for section, bodies in (("sources", sources), ("other_bodies", others)):
        for body in bodies:  # a cited issuer is never an agency: ids stay unique across sections
            if body.id and body.id in seen_agencies:
                raise TaxonomyError(f"{path}: {section} entry {body.name!r} reuses agency id {body.id!r}")
    contextual = _contextual(data.get("contextual"), path, provinces, seen_agencies)
    return Taxonomy(version, tuple(themes), tuple(agencies), sources, others, provinces, path, contextual=contextual)
