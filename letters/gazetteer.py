"""Which province a commune, ward or district belongs to (``letters/data/local_units.json``).

Why: a commune's letter often never names its province. "ỦY BAN MTTQ VIỆT NAM XÃ LƯƠNG MINH"
with "Lương Minh, ngày …" is a Quảng Ninh letter, which only a list of the country's local
units can tell; a district's ("UBND HUYỆN CHÂU THÀNH") narrows the province to the five that
have one, and the text then picks among those. Two tables, because the 2025 reform abolished
districts and merged communes: ``communes_2025`` (the 3,305 xã, phường and đặc khu in force from
1 July 2025, under the 34 provinces) and ``districts_legacy`` (the 696 huyện, quận, thị xã and
provincial cities before it, under the 63 provinces).

The data file is built from the MIT-licensed PyPI package ``vietnamadminunits`` (1.0.4; its
data follow the official lists of administrative units) by ``python -m
congvan.letters.gazetteer --rebuild DIR`` where DIR is that package's ``data`` folder; the
package is not needed at run time.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from congvan.letters.text import canonical_tones, fold, nfc

__all__ = ["DATA_PATH", "provinces_of_unit"]

DATA_PATH = Path(__file__).parent / "data" / "local_units.json"
_KINDS_2025 = ("xa", "phuong", "dac khu")  # folded kinds of each table
_KINDS_LEGACY = ("huyen", "quan", "thi xa", "thanh pho")


def _key(kind: str, name: str, *, tones: bool) -> str:
    """"xa|lương minh" (the name's tone marks kept) or "xa|luong minh" (Lương Minh = Lượng Minh)."""
    kind, name = " ".join(kind.split()).lower(), " ".join(name.split()).lower()
    if fold(kind) == "quan" and fold(name).startswith("quan "):
        name = name.split(" ", 1)[1]  # "Quận 1" is kept as "1"
    if tones:
        return f"{fold(kind)}|{canonical_tones(nfc(name))}"
    return f"{fold(kind)}|{fold(name)}"


_KIND_SUFFIX = re.compile(r"\s*\((?:Huyện|Thị xã|Thành phố|Quận|Xã|Phường|Thị trấn)\)\s*$")


@lru_cache(maxsize=2)
def _tables(path: str = str(DATA_PATH)) -> dict[str, dict[str, list[str]]]:
    """Each table keyed twice: with tone marks, and folded (the provinces of every unit that
    folds alike, for headers whose tone marks were lost)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("version") != 1:
        raise ValueError(f"{path}: unsupported version {data.get('version')!r}; rebuild it with "
                         "`python -m congvan.letters.gazetteer --rebuild DIR`")
    out: dict[str, dict[str, list[str]]] = {}
    for name in ("communes_2025", "districts_legacy"):
        exact: dict[str, set[str]] = defaultdict(set)
        folded: dict[str, set[str]] = defaultdict(set)
        for k, provinces in data[name].items():
            kind, unit = k.split("|", 1)
            # the source tells apart a district and a town of one name by a suffix no letter prints:
            # "huyện|Kỳ Anh (Huyện)", "thị xã|Kỳ Anh (Thị xã)"
            unit = _KIND_SUFFIX.sub("", unit)
            exact[_key(kind, unit, tones=True)].update(provinces)
            folded[_key(kind, unit, tones=False)].update(provinces)
        out[name] = {k: sorted(v) for k, v in exact.items()}
        out[name + "/folded"] = {k: sorted(v) for k, v in folded.items()}
    return out


def provinces_of_unit(kind: str, name: str, *, after_2025_reform: bool | None = None) -> list[str]:
    """Provinces holding a local unit of that kind and name (several where the name repeats).

    ``kind`` is "xã", "phường", "đặc khu" (2025 communes) or "huyện", "quận", "thị xã", "thành
    phố" (districts before July 2025); ``after_2025_reform=False`` refuses the 2025 communes for
    an older letter (the communes were merged and renamed), ``True`` refuses the old districts.
    The name is matched with its tone marks, and without them where they were lost or nothing
    matched; then under the other kinds of its level.
    """
    folded_kind = fold(" ".join(kind.split()))
    if folded_kind in _KINDS_2025 and after_2025_reform is not False:
        table = "communes_2025"
    elif folded_kind in _KINDS_LEGACY and after_2025_reform is not True:
        table = "districts_legacy"
    else:
        return []
    tables = _tables()
    siblings = _KINDS_2025 if table == "communes_2025" else _KINDS_LEGACY
    # the kind first, then its siblings: units change kind (thị xã Đồng Xoài became a city in 2018)
    for k in (folded_kind, *(s for s in siblings if s != folded_kind)):
        if fold(name) != name.lower():  # tone marks present: trust them
            hit = tables[table].get(_key(k, name, tones=True))
            if hit is not None:
                return list(hit)
        hit = tables[table + "/folded"].get(_key(k, name, tones=False))
        if hit is not None:
            return list(hit)
    return []


# --------------------------------------------------------------------------- building the data
def rebuild(source: Path, out: Path = DATA_PATH) -> dict[str, int]:
    """Write ``out`` from the ``data`` folder of the ``vietnamadminunits`` package."""
    new = json.loads((source / "parser_from_2025.json").read_text(encoding="utf-8"))
    old = json.loads((source / "parser_legacy.json").read_text(encoding="utf-8"))
    communes: dict[str, set[str]] = defaultdict(set)
    for pkey, wards in new["DICT_PROVINCE_WARD_NO_ACCENTED"].items():
        province = new["DICT_PROVINCE"][pkey]["provinceShort"]
        for ward in wards.values():
            communes[f"{ward['wardType'].lower()}|{ward['wardShort']}"].add(province)
    districts: dict[str, set[str]] = defaultdict(set)
    for pkey, units in old["DICT_PROVINCE_DISTRICT"].items():
        province = old["DICT_PROVINCE"][pkey]["provinceShort"]
        for unit in units.values():
            kind = unit["districtType"].lower()
            name = re.sub(r"^Quận\s+(?=\d)", "", unit["districtShort"])  # "Quận 1" → "1"
            districts[f"{kind}|{name}"].add(province)
    data = {
        "version": 1,
        "_source": "Built by `python -m congvan.letters.gazetteer --rebuild DIR` from the data of the "
                   "PyPI package vietnamadminunits 1.0.4 (MIT licence, © Hieu Tran; "
                   "https://github.com/tranngocminhhieu/vietnamadminunits), which follows the official "
                   "lists of administrative units: the 3,321 units of the 2025 reform (Nghị quyết "
                   "202/2025/QH15 and the Standing Committee's resolutions on communes, in force 1 July "
                   "2025) and the districts before it.",
        "_doc": "communes_2025: 'kind|name' of a xã, phường or đặc khu from 1 July 2025 -> its "
                "province(s) among the 34; districts_legacy: 'kind|name' of a huyện, quận, thị xã or "
                "provincial city before July 2025 -> its province(s) among the 63.",
        "communes_2025": {k: sorted(v) for k, v in sorted(communes.items())},
        "districts_legacy": {k: sorted(v) for k, v in sorted(districts.items())},
    }
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    tmp.replace(out)
    return {"communes_2025": len(communes), "districts_legacy": len(districts)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m congvan.letters.gazetteer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", metavar="DIR", type=Path, required=True,
                        help="the data folder of the installed vietnamadminunits package")
    args = parser.parse_args(argv)
    if not (args.rebuild / "parser_from_2025.json").is_file():
        parser.error(f"{args.rebuild}: no parser_from_2025.json here; pass the package's data folder "
                     "(pip install vietnamadminunits, then …/site-packages/vietnamadminunits/data)")
    counts = rebuild(args.rebuild)
    print(f"{DATA_PATH}: {counts['communes_2025']} communes (2025), {counts['districts_legacy']} districts (before 2025)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
