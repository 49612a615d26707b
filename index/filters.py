"""Search filters (year, date range, province, issuer, theme, disease, agency, kind) as masks over clauses.

``ClauseTable`` holds the filterable metadata of every live clause in NumPy arrays aligned with
the search snapshot's slots, so a filter costs a few vectorised comparisons, not SQL.
"""
from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from congvan.letters.provinces import province_now
from congvan.letters.text import ABBREVIATIONS, fold, match_key
from congvan.models.artifacts import ArtifactError, link_or_write, read_json

KINDS = ("preamble", "directive", "closing")
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*$")
_PROVINCE_PREFIX = re.compile(r"^(tinh|thanh pho|tp\.?)\s+")


def _tuple(value: Any) -> tuple[str, ...] | None:
    """A multi-valued filter as a tuple; blank values (``?disease=``) are no filter, not one
    that matches nothing."""
    if value is None or isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v is not None and str(v).strip()) or None


#: Years a filter may name (the same bounds for ``year`` and for ``from``/``to``).
MIN_YEAR, MAX_YEAR = 1945, 2100


def _check_year(year: int, what: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{what}: năm phải từ {MIN_YEAR} đến {MAX_YEAR} (year must be {MIN_YEAR}–{MAX_YEAR})")


def _parse_date(value: str, *, end: bool) -> int:
    """'2022' / '2022-06' / '2022-06-15' → an ordinal yyyymmdd (range start or end)."""
    m = _DATE.match(str(value))
    if not m:
        raise ValueError(f"date filter {value!r}: use YYYY or YYYY-MM (e.g. 2021-06)")
    year = int(m.group(1))
    _check_year(year, f"date filter {value!r}")
    month = int(m.group(2)) if m.group(2) else (12 if end else 1)
    day = int(m.group(3)) if m.group(3) else (31 if end else 1)
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise ValueError(f"date filter {value!r}: month or day out of range")
    return year * 10000 + month * 100 + day


def province_key(name: str | None) -> str:
    """Accent-, case- and prefix-insensitive province name: 'Tỉnh Lạng Sơn' → 'lang son'."""
    if not name:
        return ""
    key = " ".join(fold(name).split())
    return _PROVINCE_PREFIX.sub("", key)


@lru_cache(maxsize=1)
def _folded_abbreviations() -> list[tuple[re.Pattern[str], str]]:
    """Tone-less full forms and abbreviations → one token ('uy ban nhan dan' → 'ubnd')."""
    pairs = []
    for abbr, fulls in ABBREVIATIONS.items():
        token = re.sub(r"[^\w]", "", fold(abbr))
        pairs.extend((fold(form), token) for form in (abbr, *fulls))
    pairs.sort(key=lambda p: -len(p[0]))
    return [(re.compile(r"(?<!\w)" + r"\s*".join(map(re.escape, form.split())) + r"(?!\w)"), token)
            for form, token in pairs]


def folded_canonical(text: str) -> str:
    """Tone-less text with its full forms and abbreviations made one token, as a letter's accented
    text is indexed ("trung tam kiem soat benh tat tinh" → "cdc tinh"): a tone-less query then
    matches the letters' token and counts it as one word, not six words the letters lack."""
    key = " ".join(fold(match_key(text)).split())
    for pattern, token in _folded_abbreviations():
        key = pattern.sub(token, key)
    return key


def issuer_key(name: str | None) -> str:
    """Accent-insensitive issuer text with abbreviations made equal ('Ủy ban nhân dân' = 'UBND')."""
    if not name:
        return ""
    key = fold(name)
    for pattern, token in _folded_abbreviations():
        key = pattern.sub(token, key)
    return " ".join(key.split())


@dataclass(frozen=True)
class SearchFilters:
    """Optional restrictions of a search; all given ones must hold."""

    year: int | None = None
    date_from: str | None = None  # YYYY or YYYY-MM (inclusive)
    date_to: str | None = None  # YYYY or YYYY-MM (inclusive)
    province: str | None = None  # accent-insensitive equality with province or province_now
    issuer: str | None = None  # accent-insensitive substring
    theme: tuple[str, ...] | None = None  # any of these theme ids
    disease: tuple[str, ...] | None = None  # any of these disease ids (letters/data/diseases.json)
    agency: tuple[str, ...] | None = None  # any of these agencies, as lead or support
    kind: tuple[str, ...] | None = None  # clause kinds; default: all
    doc_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "theme", _tuple(self.theme))
        object.__setattr__(self, "disease", _tuple(self.disease))
        object.__setattr__(self, "agency", _tuple(self.agency))
        object.__setattr__(self, "kind", _tuple(self.kind))
        if self.year is not None:
            try:
                object.__setattr__(self, "year", int(self.year))
            except (TypeError, ValueError):
                raise ValueError(f"year filter {self.year!r} is not a year") from None
            _check_year(self.year, f"year filter {self.year!r}")
        for k in self.kind or ():
            if k not in KINDS:
                raise ValueError(f"kind filter {k!r}: use one of {', '.join(KINDS)}")
        lo, hi = self.date_range()
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"date filter: from {self.date_from} is after to {self.date_to}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | SearchFilters | None) -> SearchFilters:
        """Build from a dict; accepts ``from``/``to`` for the date range; ``None`` values ignored."""
        if values is None:
            return cls()
        if isinstance(values, SearchFilters):
            return values
        names = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            key = {"from": "date_from", "to": "date_to"}.get(key, key)
            if key not in names:
                raise ValueError(f"unknown filter {key!r}; filters are {', '.join(sorted(names))}")
            if value is not None and value != "":
                kwargs[key] = value
        return cls(**kwargs)

    def date_range(self) -> tuple[int | None, int | None]:
        lo = _parse_date(self.date_from, end=False) if self.date_from else None
        hi = _parse_date(self.date_to, end=True) if self.date_to else None
        return lo, hi

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class TableDelta:
    """Rows and letters to replace in a ``ClauseTable``: every touched clause row id / letter
    doc id is dropped, then the current state of those still stored (``rows``, ``letters``,
    read from SQLite by id) is put in. JSON-serialisable (the derived folder keeps one)."""

    touched_rows: tuple[int, ...] = ()
    #: (row id, doc_id, kind, theme ids, agencies, disease ids) of touched rows still stored,
    #: ascending id
    rows: tuple[tuple[int, str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = ()
    touched_letters: tuple[str, ...] = ()
    #: ``Store.letter_meta`` dicts of touched letters still stored, ascending doc_id
    letters: tuple[Mapping[str, Any], ...] = ()

    def __len__(self) -> int:
        return len(self.touched_rows) + len(self.touched_letters)

    def then(self, later: TableDelta) -> TableDelta:
        """One delta with the effect of this one followed by ``later``."""
        rows = {r[0]: r for r in self.rows if r[0] not in set(later.touched_rows)}
        rows.update((r[0], r) for r in later.rows)
        gone = set(later.touched_letters)
        letters = {d["doc_id"]: d for d in self.letters if d["doc_id"] not in gone}
        letters.update((d["doc_id"], d) for d in later.letters)
        return TableDelta(tuple(sorted({*self.touched_rows, *later.touched_rows})),
                          tuple(rows[k] for k in sorted(rows)),
                          tuple(sorted({*self.touched_letters, *later.touched_letters})),
                          tuple(letters[k] for k in sorted(letters)))

    def to_json(self) -> dict[str, Any]:
        return {"touched_rows": list(self.touched_rows),
                "rows": [[*r[:3], *(list(labels) for labels in r[3:])] for r in self.rows],
                "touched_letters": list(self.touched_letters), "letters": [dict(d) for d in self.letters]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TableDelta:
        return cls(tuple(int(i) for i in data["touched_rows"]),
                   tuple((int(r[0]), r[1], r[2], tuple(r[3]), tuple(r[4]), tuple(r[5])) for r in data["rows"]),
                   tuple(data["touched_letters"]), tuple(data["letters"]))


def _letter_fields(d: Mapping[str, Any]) -> tuple[int, int, int, str, str, str]:
    """(year, first day, last day, province key, today's province key, issuer key) of a letter."""
    y, m, day = d["year"], d["month"], d["day"]
    if y is None:
        lo = hi = -1
    else:
        lo = y * 10000 + (m or 1) * 100 + (day or 1)
        hi = y * 10000 + (m or 12) * 100 + (day or 31)
    # taxonomy v2: a province filter also matches the province the area belongs to today
    # ("Ninh Bình" finds letters of the former Hà Nam and Nam Định; "Hà Nam" still finds them)
    return (y if y is not None else -1, lo, hi, province_key(d.get("province")),
            province_key(province_now(d.get("province"))), issuer_key(d.get("issuer")))


def _label_slots(labels: Iterable[Iterable[str]], first_slot: int = 0) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for slot, keys in enumerate(labels, first_slot):
        for key in set(keys):
            out[key].append(slot)
    return out


def _new_positions(n_new: int, fresh_pos: np.ndarray) -> np.ndarray:
    """Positions in a merged array of ``n_new`` items not taken by ``fresh_pos`` (ascending)."""
    taken = np.zeros(n_new, bool)
    taken[fresh_pos] = True
    return np.flatnonzero(~taken)


TABLE_ARRAYS = ("rowids", "doc_index", "kind", "year", "date_lo", "date_hi")
TABLE_STRINGS = ("doc_ids", "province", "province_now", "issuer")
#: label → slots of every multi-valued filter (theme, agency, disease), saved the same way
TABLE_SLOTS = ("theme_slots", "agency_slots", "disease_slots")
TABLE_FORMAT = "congvan-clause-table"
#: v1 had no disease_slots: such a saved table is refused and rebuilt from SQLite
TABLE_VERSION = 2
TABLE_JSON = "table.json"


def sorted_isin(values: np.ndarray, sorted_ref: np.ndarray) -> np.ndarray:
    """``np.isin`` for an ascending reference array (binary search, no sort)."""
    if not sorted_ref.shape[0]:
        return np.zeros(values.shape[0], bool)
    pos = np.minimum(np.searchsorted(sorted_ref, values), sorted_ref.shape[0] - 1)
    return sorted_ref[pos] == values


def _kind_code(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else 1


def _index(sorted_list: list[str], value: str) -> int | None:
    """Position of ``value`` in an ascending list, or None."""
    i = bisect.bisect_left(sorted_list, value)
    return i if i < len(sorted_list) and sorted_list[i] == value else None


def _slot_arrays(slots: Mapping[str, list[int]]) -> dict[str, np.ndarray]:
    return {k: np.array(slots[k], np.int64) for k in sorted(slots)}


def _pos_slots(labels: Sequence[Iterable[str]], slots: Sequence[int]) -> dict[str, list[int]]:
    """Label → the given slots carrying it (ascending when ``slots`` is)."""
    out: dict[str, list[int]] = defaultdict(list)
    for slot, keys in zip(slots, labels):
        for key in set(keys):
            out[key].append(slot)
    return out


def _remapped(old: Mapping[str, np.ndarray], slot_map: np.ndarray | None,
              fresh: Mapping[str, list[int]]) -> dict[str, np.ndarray]:
    """Label → slots after a change: old slots moved by ``slot_map`` (-1: dropped, monotonic
    otherwise, so they stay sorted; None: unmoved, the arrays are shared), fresh slots merged
    in; labels left without a slot vanish."""
    out = {}
    for key in sorted({*old, *fresh}):
        arr = old.get(key)
        if arr is None:
            moved = np.zeros(0, np.int64)
        elif slot_map is None:
            moved = arr
        else:
            moved = slot_map[arr]
            moved = moved[moved >= 0]
        add = np.array(fresh.get(key, ()), np.int64)
        if add.shape[0]:
            moved = np.insert(moved, np.searchsorted(moved, add), add)
        if moved.shape[0]:
            out[key] = moved
    return out


class ClauseTable:
    """Filterable metadata of the live clauses, slot-aligned (slot = rank of the row id).

    Built from every row (``__init__``), or from an earlier table plus what changed
    (``updated``: NumPy remapping of slots, only the changed rows read), or loaded from its
    saved arrays (``load``), so a write or a server start does not re-read every clause."""

    rowids: np.ndarray
    doc_index: np.ndarray
    kind: np.ndarray
    year: np.ndarray
    date_lo: np.ndarray
    date_hi: np.ndarray
    doc_ids: list[str]
    province: list[str]
    province_now: list[str]
    issuer: list[str]
    theme_slots: dict[str, np.ndarray]
    agency_slots: dict[str, np.ndarray]
    disease_slots: dict[str, np.ndarray]
    #: folder the table was saved in or loaded from, unchanged since (a save hard-links it)
    path: Path | None

    def __init__(self, rowids: np.ndarray, clause_docs: Sequence[str], kinds: Sequence[str],
                 themes: Sequence[Iterable[str]], agencies: Sequence[Iterable[str]],
                 letters: Sequence[Mapping[str, Any]], diseases: Sequence[Iterable[str]] = ()) -> None:
        self.path: Path | None = None
        self.rowids = np.asarray(rowids, np.int64)
        self.doc_ids = [d["doc_id"] for d in letters]
        doc_pos = {d: i for i, d in enumerate(self.doc_ids)}
        self.doc_index = np.array([doc_pos[d] for d in clause_docs], dtype=np.int32)
        self.kind = np.array([_kind_code(k) for k in kinds], dtype=np.int8)
        self._set_letters([_letter_fields(d) for d in letters])
        self.theme_slots = _slot_arrays(_label_slots(themes))
        self.agency_slots = _slot_arrays(_label_slots(agencies))
        self.disease_slots = _slot_arrays(_label_slots(diseases))

    def _set_letters(self, fields: Sequence[tuple[int, int, int, str, str, str]]) -> None:
        cols = list(zip(*fields)) if fields else [()] * 6
        self.year = np.array(cols[0], np.int32)
        self.date_lo = np.array(cols[1], np.int64)
        self.date_hi = np.array(cols[2], np.int64)
        self.province, self.province_now, self.issuer = list(cols[3]), list(cols[4]), list(cols[5])

    def updated(self, delta: TableDelta) -> ClauseTable:
        """A new table with ``delta`` applied; this one is unchanged (searches may still use it).
        Costs the changed rows plus vectorised copies, never a Python loop over every clause."""
        out = ClauseTable.__new__(ClauseTable)
        out.path = None
        # letters: drop the touched ones, put the stored ones back in doc_id order
        gone = [i for i in (_index(self.doc_ids, d) for d in sorted(set(delta.touched_letters))) if i is not None]
        keep_l = np.ones(len(self.doc_ids), bool)
        keep_l[gone] = False
        doc_ids = list(self.doc_ids)
        for i in reversed(gone):
            del doc_ids[i]
        fresh_l = sorted(delta.letters, key=lambda d: d["doc_id"])
        fresh_l_pos = np.array([bisect.bisect_left(doc_ids, d["doc_id"]) for d in fresh_l], np.int64) \
            + np.arange(len(fresh_l), dtype=np.int64)
        n_letters = len(doc_ids) + len(fresh_l)
        kept_l_pos = _new_positions(n_letters, fresh_l_pos)
        fields = [_letter_fields(d) for d in fresh_l]
        strings = [doc_ids, *(list(getattr(self, name)) for name in TABLE_STRINGS[1:])]
        for lst in strings[1:]:
            for i in reversed(gone):
                del lst[i]
        for pos, d, f in zip(fresh_l_pos.tolist(), fresh_l, fields):  # ascending final positions
            for lst, value in zip(strings, (d["doc_id"], *f[3:])):
                lst.insert(pos, value)
        out.doc_ids, out.province, out.province_now, out.issuer = strings
        for name, col in (("year", 0), ("date_lo", 1), ("date_hi", 2)):
            old = getattr(self, name)
            arr = np.empty(n_letters, old.dtype)
            arr[kept_l_pos] = old[keep_l]
            arr[fresh_l_pos] = [f[col] for f in fields]
            setattr(out, name, arr)
        letter_map = np.full(len(self.doc_ids), -1, np.int64)
        letter_map[keep_l] = kept_l_pos
        for i in gone:  # a replaced letter keeps the clauses not touched (none, in practice)
            j = _index(out.doc_ids, self.doc_ids[i])
            if j is not None:
                letter_map[i] = j
        # clauses: drop the touched rows, merge the stored ones in by row id
        touched = np.unique(np.asarray(delta.touched_rows, np.int64))
        keep = ~sorted_isin(self.rowids, touched)
        rows = sorted(delta.rows)
        fresh_ids = np.array([r[0] for r in rows], np.int64)
        # an ingest only appends (row ids only grow): every kept slot stays where it was
        appended = bool(keep.all()) and (not rows or not len(self) or int(fresh_ids[0]) > int(self.rowids[-1]))
        kept_ids = self.rowids if appended else self.rowids[keep]
        fresh_pos = np.searchsorted(kept_ids, fresh_ids) + np.arange(len(rows), dtype=np.int64)
        n = kept_ids.shape[0] + len(rows)
        kept_pos = None if appended else _new_positions(n, fresh_pos)

        def place(old: np.ndarray, fresh: Sequence[int] | np.ndarray) -> np.ndarray:
            fresh = np.asarray(fresh, old.dtype)
            if kept_pos is None:
                return np.concatenate([old, fresh])
            arr = np.empty(n, old.dtype)
            arr[kept_pos] = old[keep]
            arr[fresh_pos] = fresh
            return arr

        positions = {d: i for i, d in ((_index(out.doc_ids, r[1]), r[1]) for r in rows) if i is not None}
        if len(positions) != len({r[1] for r in rows}):
            raise ValueError("clauses refer to letters that are not stored; rebuild the table")
        out.rowids = place(self.rowids, fresh_ids)
        identity_letters = not gone and not fresh_l
        doc_index = self.doc_index if identity_letters else letter_map[self.doc_index].astype(np.int32)
        out.doc_index = place(doc_index, [positions[r[1]] for r in rows])
        if not identity_letters and (doc_index[keep] < 0).any():
            raise ValueError("clauses refer to letters that are not stored; rebuild the table")
        out.kind = place(self.kind, [_kind_code(r[2]) for r in rows])
        slot_map = None
        if kept_pos is not None:
            slot_map = np.full(len(self), -1, np.int64)
            slot_map[keep] = kept_pos
        fresh_slots = fresh_pos.tolist()
        out.theme_slots = _remapped(self.theme_slots, slot_map, _pos_slots([r[3] for r in rows], fresh_slots))
        out.agency_slots = _remapped(self.agency_slots, slot_map, _pos_slots([r[4] for r in rows], fresh_slots))
        out.disease_slots = _remapped(self.disease_slots, slot_map, _pos_slots([r[5] for r in rows], fresh_slots))
        return out

    def __len__(self) -> int:
        return int(self.rowids.shape[0])

    def same_as(self, other: ClauseTable) -> bool:
        """Equal content (tests compare an updated table with one built from scratch)."""
        return (all(np.array_equal(getattr(self, a), getattr(other, a)) for a in TABLE_ARRAYS)
                and all(getattr(self, a) == getattr(other, a) for a in TABLE_STRINGS)
                and all(list(getattr(self, a)) == list(getattr(other, a))
                        and all(np.array_equal(getattr(self, a)[k], getattr(other, a)[k]) for k in getattr(self, a))
                        for a in TABLE_SLOTS))

    # ------------------------------------------------------------------ disk
    def save(self, folder: Path) -> None:
        """Write the arrays (``.npy``) and the strings (``table.json``) into the new ``folder``;
        hard-linked instead when this table was saved before (``path``)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        writers: dict[str, Callable[[Path], None]] = {
            f"{name}.npy": (lambda dst, a=name: np.save(dst, np.asarray(getattr(self, a)), allow_pickle=False))
            for name in TABLE_ARRAYS}
        info: dict[str, Any] = {"format": TABLE_FORMAT, "version": TABLE_VERSION,
                                "clauses": len(self), "letters": len(self.doc_ids)}
        info.update({name: getattr(self, name) for name in TABLE_STRINGS})
        for name in TABLE_SLOTS:
            slots: dict[str, np.ndarray] = getattr(self, name)
            info[name] = list(slots)
            indptr = np.cumsum([0, *(int(v.shape[0]) for v in slots.values())], dtype=np.int64)
            flat = np.concatenate([np.zeros(0, np.int64), *slots.values()])
            writers[f"{name}_indptr.npy"] = lambda dst, a=indptr: np.save(dst, a, allow_pickle=False)
            writers[f"{name}.npy"] = lambda dst, a=flat: np.save(dst, a, allow_pickle=False)
        writers[TABLE_JSON] = lambda dst: dst.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        for name, write in writers.items():
            link_or_write(self.path / name if self.path is not None else None, folder / name, write)

    @classmethod
    def load(cls, folder: Path) -> ClauseTable:
        """A saved table (``ArtifactError`` saying why when it is unreadable or inconsistent;
        the collection then rebuilds it from SQLite)."""
        folder = Path(folder)
        info = read_json(folder / TABLE_JSON, "the index will be rebuilt from SQLite.")
        if info.get("format") != TABLE_FORMAT or info.get("version") != TABLE_VERSION:
            raise ArtifactError(f"{folder}: filter table format {info.get('format')} v{info.get('version')}, "
                             f"this version reads {TABLE_FORMAT} v{TABLE_VERSION}")
        out = cls.__new__(cls)
        out.path = folder
        try:
            for name in TABLE_ARRAYS:
                setattr(out, name, np.load(folder / f"{name}.npy", allow_pickle=False))
            slot_arrays = {name: (np.load(folder / f"{name}_indptr.npy", allow_pickle=False),
                                  np.load(folder / f"{name}.npy", allow_pickle=False))
                           for name in TABLE_SLOTS}
        except (OSError, EOFError, ValueError) as exc:
            raise ArtifactError(f"{folder}: a filter table array is unreadable ({exc})") from exc
        for name in TABLE_STRINGS:
            setattr(out, name, list(info[name]))
        for name, (indptr, flat) in slot_arrays.items():
            keys = info[name]
            if indptr.shape[0] != len(keys) + 1 or int(indptr[-1]) != flat.shape[0]:
                raise ArtifactError(f"{folder}: {name} arrays disagree in length (damaged)")
            setattr(out, name, {k: flat[indptr[i]:indptr[i + 1]] for i, k in enumerate(keys)})
        n, n_letters = len(out), len(out.doc_ids)
        if (n != info["clauses"] or n_letters != info["letters"] or out.doc_index.shape[0] != n
                or out.kind.shape[0] != n or out.year.shape[0] != n_letters):
            raise ArtifactError(f"{folder}: filter table arrays disagree in length (damaged)")
        return out

    def _doc_mask(self, filters: SearchFilters) -> np.ndarray | None:
        mask = None

        def both(m: np.ndarray) -> np.ndarray:
            return m if mask is None else mask & m

        if filters.year is not None:
            mask = both(self.year == filters.year)
        lo, hi = filters.date_range()
        if lo is not None:
            mask = both((self.date_hi >= lo) & (self.date_lo >= 0))
        if hi is not None:
            mask = both((self.date_lo <= hi) & (self.date_lo >= 0))
        if filters.province:
            want = province_key(filters.province)
            mask = both(np.array([want in (p, n) for p, n in zip(self.province, self.province_now)], bool))
        if filters.issuer:
            want = issuer_key(filters.issuer)
            mask = both(np.array([bool(i) and want in i for i in self.issuer], bool))
        if filters.doc_id:
            mask = both(np.array([d == filters.doc_id for d in self.doc_ids], bool))
        return mask

    def diseases_at(self, slots: np.ndarray) -> np.ndarray:
        """Bool matrix, one row per slot and one column per disease of the table: the diseases
        each clause names or inherits from its letter (the search's disease prior compares them)."""
        slots = np.asarray(slots, np.int64)
        out = np.zeros((slots.shape[0], len(self.disease_slots)), bool)
        for j, arr in enumerate(self.disease_slots.values()):  # each ascending
            if arr.shape[0]:
                at = np.minimum(np.searchsorted(arr, slots), arr.shape[0] - 1)
                out[:, j] = arr[at] == slots
        return out

    def mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Bool mask over slots, or None when nothing is filtered."""
        if filters is None or filters.is_empty():
            return None
        doc_mask = self._doc_mask(filters)
        mask = doc_mask[self.doc_index] if doc_mask is not None else np.ones(len(self), bool)
        if filters.kind:
            mask &= np.isin(self.kind, [KINDS.index(k) for k in filters.kind])
        for table, wanted in ((self.theme_slots, filters.theme), (self.agency_slots, filters.agency),
                              (self.disease_slots, filters.disease)):
            if wanted:
                sel = np.zeros(len(self), bool)
                for key in wanted:
                    if key in table:
                        sel[table[key]] = True
                mask &= sel
        return mask
