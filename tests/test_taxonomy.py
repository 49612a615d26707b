"""The taxonomy data file: the spec's ids, validation with clear errors, extension without code."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from congvan.letters.agencies import find_mentions
from congvan.letters.taxonomy import BUILTIN_PATH, TaxonomyError, load_taxonomy

SPEC_THEMES = ["vaccination", "surveillance", "testing", "treatment", "quarantine",
               "prevention_measures", "communication", "supplies", "social_welfare", "education",
               "market_control", "leadership", "preparedness", "economy"]
# v2 (spec "v2: beyond one province's COVID-19 letters") adds themes after the v1 ids, which keep
# their meaning and order so stored tags and the v1-trained tagger stay valid.
SPEC_THEMES_V2 = ["vector_control", "animal_health", "sanitation", "food_safety"]
SPEC_AGENCIES = ["ubnd_tinh", "so_y_te", "cdc", "so_tttt", "so_ldtbxh", "so_gddt", "so_cong_thuong",
                 "qltt", "ubnd_huyen", "cac_so_nganh", "mttq", "bao_chi", "ban_dan_van", "bcd_tinh"]


def test_builtin_taxonomy_has_the_spec_ids_in_order() -> None:
    tax = load_taxonomy()
    assert tax.version == 2
    assert tax.theme_ids == SPEC_THEMES + SPEC_THEMES_V2
    assert tax.agency_ids == SPEC_AGENCIES


def test_labels_and_names_are_vietnamese() -> None:
    tax = load_taxonomy()
    assert tax.theme_labels["vaccination"] == "Tiêm chủng vắc xin"
    assert tax.theme_labels["market_control"] == "Quản lý thị trường"
    assert tax.agency_names["so_tttt"] == "Sở Thông tin và Truyền thông"
    assert tax.agency("ubnd_huyen").name == "UBND các huyện, thành phố"
    assert all(t.keywords for t in tax.themes)


def test_aliases_cover_real_world_variants() -> None:
    tax = load_taxonomy()
    assert {"Sở TT&TT", "Sở TTTT"} <= set(tax.agency("so_tttt").aliases)
    assert "Sở LĐ-TB&XH" in tax.agency("so_ldtbxh").aliases
    assert "Sở GD&ĐT" in tax.agency("so_gddt").aliases
    assert "CDC tỉnh" in tax.agency("cdc").aliases
    # "{province}" is expanded over the gazetteer: "Báo Lạng Sơn", "Báo Đắk Lắk" …
    assert {"Báo Lạng Sơn", "Báo Đắk Lắk"} <= set(tax.agency("bao_chi").proper_aliases)


def test_gazetteer_knows_centrally_run_cities() -> None:
    tax = load_taxonomy()
    cities = {p.name for p in tax.provinces if p.city}
    assert {"Hà Nội", "Hồ Chí Minh", "Cần Thơ", "Đà Nẵng", "Hải Phòng"} <= cities
    assert "Lạng Sơn" in {p.name for p in tax.provinces}


def test_unknown_id_lookup_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="so_y_te"):
        load_taxonomy().agency("so_khong_co")


def test_load_is_cached() -> None:
    assert load_taxonomy() is load_taxonomy()
    assert load_taxonomy(BUILTIN_PATH) is load_taxonomy()


def _write(tmp_path: Path, data: object, name: str = "tax.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _minimal() -> dict:
    return {"version": 1,
            "themes": [{"id": "vaccination", "label": "Tiêm chủng vắc xin"}],
            "agencies": [{"id": "so_y_te", "name": "Sở Y tế", "aliases": ["ngành Y tế"]}]}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["agencies"].append({"id": "so_y_te", "name": "Sở Y tế (2)"}), "duplicate agency id 'so_y_te'"),
        (lambda d: d["themes"].append({"id": "vaccination", "label": "X"}), "duplicate theme id 'vaccination'"),
        (lambda d: d["themes"][0].pop("label"), "missing or empty 'label'"),
        (lambda d: d["agencies"][0].update(id="Sở Y tế"), "snake_case"),
        (lambda d: d["agencies"][0].update(patterns=["(unclosed"]), "bad pattern"),
        (lambda d: d["agencies"][0].update(aliases="Sở Y tế"), "'aliases' must be a list"),
        (lambda d: d.update(version="1"), "'version' must be an integer"),
        (lambda d: d.update(themes=[]), "'themes' must be a non-empty list"),
    ],
)
def test_invalid_files_give_clear_errors(tmp_path: Path, mutate, message: str) -> None:
    data = _minimal()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(TaxonomyError, match=message) as err:
        load_taxonomy(path)
    assert str(path) in str(err.value)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="not valid JSON"):
        load_taxonomy(bad)


def test_a_province_extends_the_builtin_file_without_code(tmp_path: Path) -> None:
    """A local file adds an alias to an existing agency and a new agency; nothing else changes."""
    path = _write(tmp_path, {
        "extends": "builtin", "version": 1,
        "agencies": [{"id": "so_y_te", "name": "Sở Y tế", "aliases": ["Sở Y tế Lạng Sơn mới"]},
                     {"id": "cong_an", "name": "Công an tỉnh", "aliases": ["Công an tỉnh"]}],
    })
    tax = load_taxonomy(path)
    assert tax.agency_ids == [*SPEC_AGENCIES, "cong_an"]
    assert "Sở Y tế Lạng Sơn mới" in tax.agency("so_y_te").aliases
    assert "ngành Y tế" in tax.agency("so_y_te").aliases  # the built-in aliases are kept
    found = [m.agency for m in find_mentions("Công an tỉnh phối hợp với Sở Y tế", tax)]
    assert found == ["cong_an", "so_y_te"]


def test_environment_variable_selects_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, _minimal())
    monkeypatch.setenv("CONGVAN_TAXONOMY", str(path))
    assert load_taxonomy().agency_ids == ["so_y_te"]
    monkeypatch.delenv("CONGVAN_TAXONOMY")
    assert load_taxonomy().agency_ids == SPEC_AGENCIES
