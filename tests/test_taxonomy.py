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
# v2 agencies, central level first, then province and local level (after the v1 ids)
SPEC_AGENCIES_V2 = ["chinh_phu", "bo_y_te", "cac_bo_nganh", "bo_khac", "ubnd_cac_tinh",
                    "so_nong_nghiep", "so_tai_chinh", "cong_an_tinh", "quan_su_bien_phong", "so_khac",
                    "ubnd_xa", "co_so_y_te", "tinh_uy"]


def test_builtin_taxonomy_has_the_spec_ids_in_order() -> None:
    tax = load_taxonomy()
    assert tax.version == 2
    assert tax.theme_ids == SPEC_THEMES + SPEC_THEMES_V2
    assert tax.agency_ids == SPEC_AGENCIES + SPEC_AGENCIES_V2


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
                     {"id": "bhxh", "name": "Bảo hiểm xã hội tỉnh", "aliases": ["Bảo hiểm xã hội tỉnh"]}],
    })
    tax = load_taxonomy(path)
    assert tax.agency_ids == [*SPEC_AGENCIES, *SPEC_AGENCIES_V2, "bhxh"]
    assert "Sở Y tế Lạng Sơn mới" in tax.agency("so_y_te").aliases
    assert "Giám đốc Sở Y tế" in tax.agency("so_y_te").aliases  # the built-in aliases are kept
    found = [m.agency for m in find_mentions("Bảo hiểm xã hội tỉnh phối hợp với Sở Y tế", tax)]
    assert found == ["bhxh", "so_y_te"]


def test_environment_variable_selects_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, _minimal())
    monkeypatch.setenv("CONGVAN_TAXONOMY", str(path))
    assert load_taxonomy().agency_ids == ["so_y_te"]
    monkeypatch.delenv("CONGVAN_TAXONOMY")
    assert load_taxonomy().agency_ids == SPEC_AGENCIES + SPEC_AGENCIES_V2


def test_v2_agencies_levels_names_and_unique_ids() -> None:
    tax = load_taxonomy()
    assert tax.central_ids == {"chinh_phu", "bo_y_te", "cac_bo_nganh", "bo_khac", "ubnd_cac_tinh"}
    assert tax.keep_name_ids == {"bo_khac", "so_khac"}
    names = [n for n, _ in tax.agency("bo_khac").members]
    assert "Bộ Công an" in names and "Ngân hàng Nhà nước Việt Nam" in names
    assert "Sở Tư pháp" in [n for n, _ in tax.agency("so_khac").members]
    # the former id-less bodies now have ids; cited sources carry none
    assert not any(b.id for b in (*tax.sources, *tax.other_bodies))
    other = {b.name for b in tax.other_bodies}
    assert not other & {"Công an tỉnh", "Sở Tài chính", "Trung tâm Y tế huyện", "Ban Tuyên giáo Tỉnh ủy"}


def test_contextual_wording_depends_on_level_and_date() -> None:
    tax = load_taxonomy()
    local = next(c for c in tax.contextual if c.name == "các địa phương")
    assert local.resolve(central=True) == "ubnd_cac_tinh"
    assert local.resolve(central=False, date="2024-12-30") == "ubnd_huyen"
    assert local.resolve(central=False, date="2025-07-01") == "ubnd_xa"
    assert local.resolve(central=False, date="2025") == "ubnd_huyen"  # year alone: not known to be after
    assert local.resolve(central=False, date=None) == "ubnd_huyen"


def test_a_source_reusing_an_agency_id_is_refused(tmp_path: Path) -> None:
    data = _minimal()
    data["sources"] = [{"id": data["agencies"][0]["id"], "name": "Bộ Y tế", "aliases": ["Bộ Y tế"]}]
    with pytest.raises(TaxonomyError, match="reuses agency id"):
        load_taxonomy(_write(tmp_path, data))


def test_contextual_entries_must_name_known_ids(tmp_path: Path) -> None:
    data = _minimal()
    data["contextual"] = [{"name": "các địa phương", "central": "nope", "provincial": data["agencies"][0]["id"]}]
    with pytest.raises(TaxonomyError, match="unknown agency id 'nope'"):
        load_taxonomy(_write(tmp_path, data))
