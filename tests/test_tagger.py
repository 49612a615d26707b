"""The tagger model: taxonomy as data, windows, cached-layer training path, thresholds, save/load
round trip, first-run training and CONGVAN_TAGGER=off, serving through tag_letter."""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from congvan.letters.schema import AgencyRoles, Clause, Letter
from congvan.letters.taxonomy import load_taxonomy
from congvan.models.tagger import (
    Tagger,
    TaggerNet,
    Windowing,
    clause_input,
    load_base_encoder,
    load_tagger,
    write_tagger_folder,
)
from congvan.models.tagger import default_tagger_dir as _default_tagger_dir
from congvan.service.config import BUNDLED_MODEL, Settings
from congvan.service.tagging import clear_tagger_cache, get_default_tagger
from tests.conftest import TEST_HOME
from tests.tagger_toy import smoke_run, write_toy_dataset

# Tests never start a full training: the service's first-run training uses the smoke preset.
os.environ.setdefault("CONGVAN_TAGGER_PRESET", "smoke")

BASE = TEST_HOME / "models" / "multilingual-e5-small"


@pytest.fixture(scope="module")
def base(encoder):  # encoder: converts the bundled model into the test home once
    model, tokenizer = load_base_encoder(BASE)
    return TaggerNet(model), tokenizer


@pytest.fixture(scope="module")
def run(tmp_path_factory, encoder) -> dict:
    return smoke_run(tmp_path_factory.mktemp("smoke"))


# --------------------------------------------------------------------------- taxonomy as data
def test_everything_reads_the_taxonomy_file() -> None:
    """Theme/agency ids come from letters/data/taxonomy.json, not from code."""
    tax = load_taxonomy()
    raw = json.loads(Path(tax.path).read_text(encoding="utf-8"))
    assert tax.theme_ids == [t["id"] for t in raw["themes"]]
    assert tax.agency_ids == [a["id"] for a in raw["agencies"]]
    assert len(tax.theme_ids) == 18 and "vaccination" in tax.theme_ids  # 14 v1 + 4 v2 themes
    assert all(t.keywords for t in tax.themes)  # the keyword baseline needs them
    from congvan.training.baselines import KeywordTagger

    assert KeywordTagger(tax).ids == tax.theme_ids
    assert KeywordTagger(tax).proba(["Tổ chức tiêm vét vắc xin cho trẻ"])[0, tax.theme_ids.index("vaccination")] == 1


def test_clause_input_puts_the_heading_first_only_when_asked() -> None:
    assert clause_input(" Tiêm  vắc xin ", "Giao Sở Y tế:") == "Tiêm vắc xin"
    assert clause_input("Tiêm vắc xin", "Giao Sở Y tế:", True) == "Giao Sở Y tế: | Tiêm vắc xin"
    assert clause_input("Tiêm vắc xin", None, True) == "Tiêm vắc xin"


# --------------------------------------------------------------------------- windows, cached path
def test_long_clauses_are_read_as_overlapping_windows(base) -> None:
    _, tokenizer = base
    win = Windowing(tokenizer, max_len=32, stride=8)
    assert win.split_prompt  # "passage:" + text tokens == tokenising the joined string
    short, long_ = "Tổ chức tiêm vét vắc xin.", " ".join(["Tăng cường giám sát dịch bệnh tại cửa khẩu."] * 12)
    ids, owners = win.encode([short, long_])
    assert owners.count(0) == 1 and owners.count(1) >= 3
    assert all(len(x) <= 32 for x in ids)
    assert ids[0] == tokenizer("passage: " + short)["input_ids"]
    one, _ = win.encode([long_], windows=False)
    assert len(one) == 1 and len(one[0]) == 32


def test_training_from_cached_frozen_layers_equals_the_full_forward(base) -> None:
    import torch

    net, tokenizer = base
    win = Windowing(tokenizer, max_len=64, stride=16)
    ids, _ = win.encode(["Giao Sở Y tế chủ trì tổ chức tiêm vét.", "Tăng cường tuyên truyền."])
    from congvan.models.tagger import pad_batch

    input_ids, mask = pad_batch(ids, win.pad)
    with torch.no_grad():
        full = net.embed(input_ids, mask)
        for start in (0, 6):
            cached = net.pool_from(net.hidden_at(input_ids, mask, start), mask, start)
            assert torch.allclose(full, cached, atol=1e-4), start


# --------------------------------------------------------------------------- thresholds
def _fake_tagger(probs: dict[str, float], thresholds: dict[str, float], agency: dict[str, float] | None = None,
                 cutoff: float = 0.5) -> Tagger:
    tax = load_taxonomy()
    theme_ids, agency_ids = tax.theme_ids, tax.agency_ids
    t = Tagger.__new__(Tagger)
    t.theme_ids, t.agency_ids = theme_ids, agency_ids
    t.thresholds = np.array([thresholds.get(k, 0.5) for k in theme_ids], np.float32)
    t.agency_cutoff, t.taxonomy, t.config = cutoff, tax, {}
    t.agency_head = object() if agency is not None else None
    row = np.array([probs.get(k, 0.0) for k in theme_ids], np.float32)
    arow = np.array([(agency or {}).get(k, 0.0) for k in agency_ids], np.float32)
    t.theme_proba = lambda texts, headings=None: np.tile(row, (len(texts), 1))
    t.agency_proba = lambda texts, headings: np.tile(arow, (len(texts), 1))
    return t


def test_themes_are_those_above_their_own_threshold_sorted_by_score() -> None:
    t = _fake_tagger({"vaccination": 0.62, "supplies": 0.9, "testing": 0.45, "education": 0.3},
                     {"vaccination": 0.6, "supplies": 0.5, "testing": 0.5, "education": 0.25})
    clauses = [Clause("d-000", "preamble", "preamble", "Thực hiện Công văn số 1/BYT-DP …"),
               Clause("d-001", "1", "directive", "Bảo đảm vắc xin, vật tư …")]
    t.tag_clauses(clauses)
    assert clauses[0].themes == []  # preambles get no themes
    assert [(s.id, s.score) for s in clauses[1].themes] == [("supplies", 0.9), ("vaccination", 0.62),
                                                             ("education", 0.3)]
    assert "testing" not in [s.id for s in clauses[1].themes]  # 0.45 < 0.5


def test_the_agency_model_only_fills_in_when_the_rules_find_no_lead() -> None:
    t = _fake_tagger({}, {}, agency={"ubnd_tinh": 0.8, "cdc": 0.4}, cutoff=0.5)
    ruled = Clause("d-001", "1", "directive", "Giao Sở Y tế chủ trì …", AgencyRoles(["so_y_te"], ["ubnd_huyen"]))
    implicit = Clause("d-002", "2", "directive", "Chỉ đạo rà soát phương án …", AgencyRoles([], ["ubnd_tinh"]))
    t.tag_clauses([ruled, implicit])
    assert ruled.agencies.lead == ["so_y_te"] and ruled.agencies.support == ["ubnd_huyen"]
    assert implicit.agencies.lead == ["ubnd_tinh"] and implicit.agencies.support == []
    never = _fake_tagger({}, {}, agency={"ubnd_tinh": 0.99}, cutoff=1.01)
    c = Clause("d-003", "3", "directive", "Chỉ đạo …")
    never.tag_clauses([c])
    assert c.agencies.lead == []


# --------------------------------------------------------------------------- saved model
def test_save_load_round_trip_gives_the_same_predictions(run: dict, tmp_path: Path) -> None:
    assert run["proc"].returncode == 0, run["proc"].stderr[-3000:]
    settings = Settings(home=run["home"], model=BUNDLED_MODEL)
    tagger = load_tagger(run["folder"], settings.models_dir)
    texts = ["Giao Sở Y tế chủ trì tổ chức tiêm vét vắc xin cho trẻ em chưa tiêm đủ liều.",
             "Đẩy mạnh tuyên truyền trên báo chí về phòng chống dịch sốt xuất huyết."]
    if tagger.lexical is None:  # the smoke run's dev chose the encoder alone: blend one in anyway
        from congvan.models.lexical import LexicalModel

        y = np.zeros((4, len(tagger.theme_ids)), np.float32)
        y[[0, 1], tagger.theme_ids.index("vaccination")] = 1
        y[[2, 3], tagger.theme_ids.index("communication")] = 1
        tagger.lexical = LexicalModel().fit(["tiêm vắc xin mũi 3", "tiêm vét cho trẻ", "tuyên truyền trên báo",
                                             "thông tin cơ sở, loa phát thanh"], y)
        tagger.blend = 0.7
    before = tagger.theme_proba(texts)
    assert before.shape == (2, len(load_taxonomy().theme_ids)) and ((before >= 0) & (before <= 1)).all()
    assert not np.allclose(before, tagger.encoder_theme_proba(texts))  # the blend is applied
    manifest = json.loads((run["folder"] / "manifest.json").read_text(encoding="utf-8"))
    np.testing.assert_allclose(tagger.thresholds, [manifest["thresholds"][k] for k in tagger.theme_ids], atol=1e-6)
    # write it again from the loaded object, load that: same numbers
    from congvan.models.artifacts import atomic_folder

    n_q = manifest["quantized_lower_layers"]  # the smoke run quantises its frozen lower layers
    assert n_q == 12 - manifest["config"]["train_layers"]
    top = tuple(f"encoder.layer.{i}." for i in range(n_q, 12))
    trainable = [n for n in tagger.net.encoder.state_dict() if n.startswith(top)]
    with atomic_folder(tmp_path / "copy") as tmp:
        write_tagger_folder(tmp, net=tagger.net, trainable=trainable, theme_head=tagger.theme_head,
                            agency_head=tagger.agency_head,
                            manifest_fields={k: manifest[k] for k in ("config", "theme_ids", "thresholds",
                                                                      "agency_ids", "agency_cutoff", "base_model",
                                                                      "quantized_lower_layers")},
                            lexical=tagger.lexical, blend=tagger.blend)
    again = load_tagger(tmp_path / "copy", settings.models_dir)
    assert again.blend == pytest.approx(tagger.blend) and again.lexical is not None
    np.testing.assert_allclose(again.theme_proba(texts), before, atol=1e-5)
    assert again.agency_cutoff == tagger.agency_cutoff


def test_a_broken_or_foreign_folder_is_refused_with_a_fix(tmp_path: Path, run: dict) -> None:
    from congvan.models.artifacts import ArtifactError

    settings = Settings(home=run["home"], model=BUNDLED_MODEL)
    with pytest.raises(ArtifactError, match="manifest"):
        load_tagger(tmp_path, settings.models_dir)
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "tagger", "format_version": 99}), encoding="utf-8")
    with pytest.raises(ArtifactError, match="rebuild"):
        load_tagger(tmp_path, settings.models_dir)


# --------------------------------------------------------------------------- serving
def test_tagger_off_gives_no_themes(tmp_path: Path) -> None:
    from congvan.service.tagging import tag_letter

    settings = Settings(home=tmp_path, model=BUNDLED_MODEL, tagger="off")
    assert get_default_tagger(settings) is None
    letter = Letter("x", clauses=[Clause("x-001", "1", "directive", "Tổ chức tiêm vét vắc xin.")])
    assert tag_letter(letter, settings).clauses[0].themes == []
    assert not _default_tagger_dir(settings.models_dir).exists()  # nothing trained


def test_first_use_fits_the_provisional_tagger_and_never_fine_tunes(tmp_path: Path, caplog, monkeypatch) -> None:
    """No tagger in a fresh home: tag_letter fits the provisional TF-IDF tagger (seconds), marks
    the letter provisional and trains nothing else; the model is saved with a manifest, loaded once."""
    import congvan.training.dataset as dataset_mod
    from congvan.letters.parse import parse_letter
    from congvan.models.tagger.provisional import load_provisional, provisional_dir
    from congvan.service.tagging import active_tagger, tag_letter

    data = write_toy_dataset(tmp_path / "data")
    monkeypatch.setattr(dataset_mod, "DATA_DIR", data)  # the "shipped" dataset of this test
    home = tmp_path / "home"
    settings = Settings(home=home, model=BUNDLED_MODEL, tagger_preset="smoke")
    clear_tagger_cache()
    letter = parse_letter("1. Giao Sở Y tế chủ trì tổ chức tiêm vét vắc xin cho người chưa tiêm đủ liều.\n"
                          "2. Sở Thông tin và Truyền thông đẩy mạnh tuyên truyền trên báo chí.\n")
    with caplog.at_level(logging.INFO, logger="congvan.tagger"):
        tag_letter(letter, settings)
    assert "fitting the provisional one" in caplog.text
    assert letter.tagger == {"name": letter.tagger["name"], "provisional": True}
    assert letter.to_dict()["tagger"]["provisional"] is True
    assert not _default_tagger_dir(settings.models_dir).exists()  # no fine-tuning in the tagging step
    assert get_default_tagger(settings) is None
    assert not (data / "splits.json").exists()
    first = active_tagger(settings)
    assert active_tagger(settings) is first  # loaded once per process
    saved = load_provisional(provisional_dir(settings.models_dir))
    assert saved.manifest["kind"] == "provisional-tagger" and saved.theme_ids == first.theme_ids
    thresholds = dict(zip(first.theme_ids, first.thresholds))
    for clause in letter.clauses:
        scores = [t.score for t in clause.themes]
        assert scores == sorted(scores, reverse=True)
        assert all(t.score >= thresholds[t.id] - 1e-4 for t in clause.themes)
    assert any(t.id == "vaccination" for t in letter.clauses[0].themes)
    assert letter.clauses[0].agencies.lead == ["so_y_te"]  # rules kept
    clear_tagger_cache()


def test_lexical_model_round_trip_without_pickle(tmp_path: Path) -> None:
    from congvan.models.lexical import LEXICAL_VOCAB_FILE, LEXICAL_WEIGHTS_FILE, LexicalModel

    texts = ["Tổ chức tiêm vét vắc xin cho trẻ chưa tiêm đủ liều.", "Tăng cường tuyên truyền trên báo chí.",
             "Rà soát đối tượng chưa tiêm mũi nhắc lại.", "Cung cấp thông tin chính thống cho người dân."]
    y = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], np.float32)
    model = LexicalModel().fit(texts, y)
    probe = ["tiem vet vac xin", "Tuyên truyền, thông tin", ""]
    before = model.proba(probe)
    assert before[0, 0] > before[0, 1] and before[1, 1] > before[1, 0]  # accent-free query still read
    entry = model.save(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {LEXICAL_VOCAB_FILE, LEXICAL_WEIGHTS_FILE}
    again = LexicalModel.load(tmp_path, entry)
    np.testing.assert_allclose(again.proba(probe), before, atol=1e-6)
    (tmp_path / LEXICAL_VOCAB_FILE).write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="missing"):
        LexicalModel.load(tmp_path, entry)
