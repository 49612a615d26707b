"""Dataset, splits, config, metrics, corrections merge, and ``congvan train`` / ``evaluate tagger``
end to end with the tiny ``smoke`` preset (the full training never runs in tests)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from congvan.letters.taxonomy import load_taxonomy
from congvan.training.config import PRESETS, preset
from congvan.training.corrections import merge_corrections
from congvan.training.dataset import (
    DATA_DIR,
    DatasetError,
    Record,
    ensure_splits,
    label_counts,
    load_records,
    make_splits,
    select,
)
from congvan.training.evaluate_tagger import compare, confusion_pairs, theme_metrics, tune_thresholds, worst_errors
from tests.tagger_toy import smoke_run, toy_records, write_toy_dataset

# Tests never start a full training: the service's first-run training uses the smoke preset.
os.environ.setdefault("CONGVAN_TAGGER_PRESET", "smoke")

ROOT = Path(__file__).resolve().parents[1]


def _records(rows: list[dict]) -> list[Record]:
    return [Record.from_json(r, file=f"x.jsonl:{i + 1}") for i, r in enumerate(rows)]


# --------------------------------------------------------------------------- config
def test_presets_are_documented_dataclasses_and_smoke_is_tiny() -> None:
    full, smoke = PRESETS["full"], PRESETS["smoke"]
    assert full.max_seq_length == 128 and full.epochs >= 2
    assert smoke.max_train_examples <= 40 and smoke.epochs == 1 and smoke.max_seq_length <= 64
    assert preset("full", epochs=2).epochs == 2
    assert preset("full", epochs=None).epochs == full.epochs  # None = keep the preset's value
    with pytest.raises(TypeError):
        preset("full", no_such_option=1)
    with pytest.raises(KeyError):
        preset("huge")
    assert type(full).from_dict(full.to_dict()) == full


# --------------------------------------------------------------------------- dataset
def test_records_are_checked_against_the_taxonomy(tmp_path: Path) -> None:
    rows = toy_records(2)
    rows[1]["themes"] = ["vaccination", "no_such_theme"]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"a\.jsonl:2.*no_such_theme"):
        load_records(tmp_path)
    kept = load_records(tmp_path, strict=False)
    assert len(kept) == len(rows) - 1


def test_a_torn_last_line_of_a_file_being_written_is_skipped(tmp_path: Path) -> None:
    rows = toy_records(1)
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + '\n{"id": "half'
    (tmp_path / "a.jsonl").write_text(text, encoding="utf-8")
    assert len(load_records(tmp_path)) == len(rows)


def test_non_directive_clauses_take_no_labels() -> None:
    from congvan.training.dataset import validate

    rows = toy_records(1)
    rows[0]["themes"] = ["vaccination"]  # the preamble
    assert any("preamble clause takes no themes" in p for p in validate(_records(rows)))


def test_splits_are_by_letter_deterministic_and_keep_seeds_in_test(tmp_path: Path) -> None:
    rows = toy_records(20)
    for r in rows[:5]:
        r["source"] = "seed"  # letter toy00 is "real"
    recs = _records(rows)
    a = make_splits(recs, seed=13)
    assert a == make_splits(recs, seed=13)
    assert a["toy00"] == "test"
    assert set(a.values()) == {"train", "dev", "test"}
    sizes = {s: len(select(recs, a, s)) for s in ("train", "dev", "test")}
    assert sizes["train"] > sizes["dev"] and sizes["train"] > sizes["test"]
    assert 0.55 <= sizes["train"] / len(recs) <= 0.8
    # stored, then more letters arrive: nobody moves
    write_toy_dataset(tmp_path, 20)
    first = ensure_splits(load_records(tmp_path), tmp_path)
    (tmp_path / "more.jsonl").write_text("\n".join(
        json.dumps({**r, "id": "new-" + r["id"], "letter_id": "new-" + r["letter_id"]}, ensure_ascii=False)
        for r in toy_records(6)), encoding="utf-8")
    second = ensure_splits(load_records(tmp_path), tmp_path)
    assert all(second[k] == v for k, v in first.items())
    stored = json.loads((tmp_path / "splits.json").read_text(encoding="utf-8"))
    assert sum(len(v) for v in stored["letters"].values()) == 26


def test_a_frozen_split_takes_no_new_letters(tmp_path: Path) -> None:
    write_toy_dataset(tmp_path, 20)
    first = ensure_splits(load_records(tmp_path), tmp_path)
    path = tmp_path / "splits.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**stored, "frozen": ["test"]}), encoding="utf-8")
    (tmp_path / "more.jsonl").write_text("\n".join(
        json.dumps({**r, "id": "new-" + r["id"], "letter_id": "new-" + r["letter_id"]}, ensure_ascii=False)
        for r in toy_records(12)), encoding="utf-8")
    second = ensure_splits(load_records(tmp_path), tmp_path)
    new = {k: v for k, v in second.items() if k not in first}
    assert len(new) == 12 and "test" not in new.values() and set(new.values()) >= {"train"}
    assert sorted(k for k, v in second.items() if v == "test") == sorted(k for k, v in first.items() if v == "test")
    assert json.loads(path.read_text(encoding="utf-8"))["frozen"] == ["test"]


SHARED = ROOT.parent / "shared"  # ../shared: real letters and seeds (texts are never in git)
V1_AGENCIES = ["ubnd_tinh", "so_y_te", "cdc", "so_tttt", "so_ldtbxh", "so_gddt", "so_cong_thuong",
               "qltt", "ubnd_huyen", "cac_so_nganh", "mttq", "bao_chi", "ban_dan_van", "bcd_tinh"]


def test_the_shipped_dataset_is_valid_and_complete() -> None:
    """training/data: team clauses (every theme and v1 agency ≥ 30 examples); with ../shared also
    the labelled real letters and seeds, which bring every v2 agency."""
    recs = load_records(DATA_DIR)  # raises on any schema problem
    counts = label_counts(recs)
    tax = load_taxonomy()
    if counts["source"]["team"] < 600:
        pytest.skip(f"team clauses still being written ({counts['source']['team']} so far)")
    for theme in tax.theme_ids[:14]:  # the v1 themes; the v2 ones come with the real letters
        assert counts["themes"][theme] >= 30, theme
    for agency in V1_AGENCIES:
        assert counts["agency"][agency] >= 30, agency
    assert counts["multi"]["multi-theme"] >= 50
    assert counts["kind"]["preamble"] >= 30 and counts["kind"]["closing"] >= 30
    stored = json.loads((DATA_DIR / "splits.json").read_text(encoding="utf-8"))
    placed = {lid for v in stored["letters"].values() for lid in v}
    assert {r.letter_id for r in recs} <= placed, "splits.json misses letters: run congvan train"
    if not SHARED.is_dir():
        pytest.skip("../shared not found: real letters and seeds not checked")
    every = load_records(DATA_DIR, shared_dir=SHARED)
    all_counts = label_counts(every)
    seeds = [r for r in every if r.source == "seed"]
    assert all_counts["source"]["seed"] >= 30 and all_counts["source"]["real"] >= 1000
    assert {r.kind for r in seeds} == {"preamble", "directive", "closing"}
    assert {r.letter_id for r in seeds} <= set(stored["letters"]["test"])
    for agency in tax.agency_ids:
        assert all_counts["agency"][agency] >= 8, agency
    for theme in tax.theme_ids:
        assert all_counts["themes"][theme] >= 1, theme


def test_seed_labels_cover_every_clause_of_the_three_letters() -> None:
    """The seed labels (training/data/real, keyed by clause hash) meet the parsed seed letters."""
    from congvan.training.real_letters import load_annotations, load_real_records

    if not (SHARED / "seeds").is_dir():
        pytest.skip("shared seeds not found")
    files = [f for f in load_annotations()[0] if f.startswith("seeds/")]
    assert len(files) == 3
    got = load_real_records(SHARED, files=files)
    assert got.matched >= 0.9 * got.annotated and len(got.records) >= 30  # the parser may still evolve


# --------------------------------------------------------------------------- metrics
def test_theme_metrics_micro_macro_and_confusions() -> None:
    ids = ["a", "b", "c"]
    gold = [["a"], ["a", "b"], ["c"], []]
    pred = [["a"], ["a", "c"], [], ["b"]]
    m = theme_metrics(gold, pred, ids)
    assert m["per_label"]["a"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2, "predicted": 2}
    assert m["per_label"]["b"]["f1"] == 0.0 and m["per_label"]["c"]["f1"] == 0.0
    assert m["micro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert m["macro_f1"] == pytest.approx(1 / 3, abs=1e-3)
    assert confusion_pairs(gold, pred) == [{"gold": "b", "predicted": "c", "count": 1}]
    probs = np.array([[0.9, 0.1, 0.1], [0.9, 0.2, 0.7], [0.1, 0.1, 0.3], [0.1, 0.8, 0.1]])
    worst = worst_errors(["t1", "t2", "t3", "t4"], ["1", "2", "3", "4"], gold, pred, probs, ids, k=2)
    assert [w["id"] for w in worst] == ["2", "4"]  # 2: b missed (0.8) + c wrong (0.7)


def test_thresholds_are_tuned_per_label_and_clamped() -> None:
    probs = np.array([[0.95, 0.3], [0.9, 0.1], [0.35, 0.2], [0.05, 0.1]])
    gold = np.array([[1, 0], [1, 0], [0, 0], [0, 0]])
    th = tune_thresholds(probs, gold, lo=0.2, hi=0.8, default=0.5)
    assert 0.35 < th[0] <= 0.8  # separates 0.9 from 0.35
    assert th[1] == 0.5  # no positive on dev: the default
    low = tune_thresholds(np.array([[0.06], [0.01]]), np.array([[1], [0]]), lo=0.2, hi=0.8)
    assert low[0] == pytest.approx(0.2)  # clamped


def test_the_threshold_range_is_chosen_by_cross_validation_inside_dev() -> None:
    from congvan.training.evaluate_tagger import CLAMPS, tune_dev_thresholds

    rng = np.random.default_rng(0)
    gold = (rng.random((80, 4)) < 0.3).astype(np.int8)
    probs = np.clip(gold * 0.15 + rng.random((80, 4)) * 0.3, 0, 1)  # positives score higher, all low
    groups = [f"letter{i // 4}" for i in range(80)]
    th, info = tune_dev_thresholds(probs, gold, groups, preset("full"))
    assert tuple(info["range"]) in CLAMPS and len(info["cv"]) == len(CLAMPS)
    assert (th >= info["range"][0] - 1e-6).all() and (th <= info["range"][1] + 1e-6).all()
    assert info["range"][0] < 0.4  # low scores: the narrow range around 0.5 would miss everything
    fixed, info = tune_dev_thresholds(probs, gold, groups, preset("full", threshold_clamp="fixed"))
    assert info["range"] == [0.4, 0.6] and info["cv"] == []


def test_the_gate_refuses_a_model_more_than_one_point_worse() -> None:
    def metrics(macro: float) -> dict:
        return {"themes": {"per_label": {"a": {"f1": macro, "support": 3}}, "macro_f1": macro,
                           "micro": {"f1": macro}}}

    assert compare(metrics(0.90), metrics(0.895))["ok"]
    assert compare(metrics(0.90), metrics(0.95))["ok"]
    refused = compare(metrics(0.90), metrics(0.88))
    assert not refused["ok"] and "refuse" in refused["verdict"]
    assert refused["per_label"][0]["diff"] == pytest.approx(-0.02)


# --------------------------------------------------------------------------- corrections → train
def test_corrections_override_train_labels_latest_wins_and_never_leak_test() -> None:
    train = _records(toy_records(2))
    test = _records(toy_records(3)[10:])
    train_text = train[1].text
    corrections = [
        {"id": "1", "clause_id": "d-001", "doc_id": "d", "text": train_text,
         "new": {"themes": ["economy"], "lead": [], "support": []}},
        {"id": "2", "clause_id": "d-001", "doc_id": "d", "text": "  " + train_text.upper(),
         "new": {"themes": ["education"], "lead": ["so_gddt"], "support": []}},  # same text, later
        {"id": "3", "clause_id": "e-001", "doc_id": "e", "text": "Một điều khoản mới về tiêm chủng.",
         "new": {"themes": ["vaccination"], "lead": [], "support": []}},
        {"id": "4", "clause_id": "f-001", "doc_id": "f", "text": test[1].text,
         "new": {"themes": ["economy"], "lead": [], "support": []}},
    ]
    merged, info = merge_corrections(train, test, corrections)
    fixed = [r for r in merged if r.text == train_text]
    assert fixed[0].themes == ["education"] and fixed[0].lead == ["so_gddt"]
    assert info["overridden"] == 1 and info["added"] == 1 and info["held_out_skipped"] == 1
    assert any(r.source == "correction" and r.themes == ["vaccination"] for r in merged)
    assert len(merged) == len(train) + 1


# --------------------------------------------------------------------------- end to end (smoke)
@pytest.fixture(scope="module")
def run(tmp_path_factory, encoder) -> dict:  # encoder: the base model is converted once
    return smoke_run(tmp_path_factory.mktemp("smoke"))


def congvan(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "congvan.service.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600, cwd=ROOT)


def test_congvan_train_writes_a_complete_model_folder(run: dict) -> None:
    proc = run["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Themes (fine-tuned tagger" in proc.stdout and "micro" in proc.stdout
    # a progress bar with the phase and the time left, ending at 100 %
    assert "Huấn luyện:" in proc.stderr and "100%|" in proc.stderr and "tinh chỉnh" in proc.stderr
    folder: Path = run["folder"]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "tagger" and manifest["format_version"] == 2
    assert 0.0 < manifest["blend"] <= 1.0
    for key in ("config", "data", "library_versions", "metrics", "thresholds", "theme_ids", "agency_ids"):
        assert key in manifest, key
    assert len(manifest["data"]["hash"]) == 64
    assert manifest["config"]["preset"] == "smoke"
    assert set(manifest["thresholds"]) == set(load_taxonomy().theme_ids)
    for name in ("metrics.json", "report.md", "command.txt", "encoder_delta.safetensors", "heads.safetensors"):
        assert (folder / name).is_file(), name
    assert "congvan train --preset smoke" in (folder / "command.txt").read_text(encoding="utf-8")
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "worst errors" in report and "confused" in report
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert {"test", "dev", "timing", "data"} <= set(metrics)
    # no copy of the frozen 96M-weight embedding matrix: only the fine-tuned layers
    from safetensors import safe_open

    with safe_open(str(folder / "encoder_delta.safetensors"), "pt") as f:
        keys = list(f.keys())
    assert keys and not any("embeddings" in k for k in keys)
    # promoted: there was no default tagger
    assert (run["home"] / "models" / "tagger" / "manifest.json").is_file()
    # the dataset folder got its split file
    assert (run["data"] / "splits.json").is_file()


def test_congvan_evaluate_tagger_prints_the_tables(run: dict) -> None:
    out = congvan(run["env"], "evaluate", "tagger", "--data", str(run["data"]))
    assert out.returncode == 0, out.stderr[-3000:]
    assert "| theme | label | P | R | F1 | support | predicted |" in out.stdout
    assert "lead: rules + model fallback" in out.stdout
    js = congvan(run["env"], "evaluate", "tagger", "--data", str(run["data"]), "--split", "dev", "--json")
    body = json.loads(js.stdout)
    assert body["split"] == "dev" and "per_label" in body["themes"] and "lead" in body["agencies"]
    assert sum(m["directive"] for m in body["themes_by_source"].values()) == body["directive"]


def test_evaluate_compare_refuses_a_worse_model(run: dict, tmp_path: Path) -> None:
    import shutil

    def variant(name: str, threshold: float) -> Path:
        folder = tmp_path / name
        shutil.copytree(run["folder"], folder)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        manifest["thresholds"] = {k: threshold for k in manifest["thresholds"]}
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        return folder

    # OLD gives every theme (recall 1, F1 > 0 on each label with test examples); NEW gives none
    old, new = variant("old", 0.0), variant("new", 0.999)
    data = str(run["data"])
    same = congvan(run["env"], "evaluate", "tagger", "--data", data, "--compare", str(old), str(old))
    assert same.returncode == 0, same.stdout + same.stderr[-2000:]
    assert "OK" in same.stdout
    worse = congvan(run["env"], "evaluate", "tagger", "--data", data, "--compare", str(old), str(new))
    assert worse.returncode == 1, worse.stdout + worse.stderr[-2000:]
    assert "REFUSED" in worse.stdout and "| theme |" in worse.stdout


def test_export_corrections_writes_dataset_records(run: dict) -> None:
    from congvan.training.corrections import CorrectionStore

    store = CorrectionStore(run["home"] / "corrections" / "corrections.jsonl")
    store.append({"clause_id": "abc-001", "doc_id": "abc", "text": "Tổ chức tiêm vét vắc xin.", "heading": None,
                  "old": {"themes": [], "lead": [], "support": []},
                  "new": {"themes": ["vaccination"], "lead": ["so_y_te"], "support": []}})
    out = run["home"] / "export.jsonl"
    proc = congvan(run["env"], "export-corrections", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rows[-1]["source"] == "correction" and rows[-1]["themes"] == ["vaccination"]
    assert set(rows[-1]) >= {"id", "letter_id", "source", "doc", "heading", "path", "kind", "text", "themes",
                             "lead", "support"}


def test_real_weight_repeats_only_real_train_clauses() -> None:
    """``real_weight`` shows each real-letter train clause K times; dev and test stay as they are."""
    from congvan.training.run_data import REAL_SOURCES, load_run_data

    if not SHARED.is_dir():
        pytest.skip("../shared not found: no real letters to weigh")
    tax = load_taxonomy()
    once = load_run_data(preset("full"), tax, write_splits=False, shared_dir=SHARED)
    thrice = load_run_data(preset("full", real_weight=3), tax, write_splits=False, shared_dir=SHARED)
    real = [r for r in once.train if r.source in REAL_SOURCES]
    assert len(real) >= 300
    assert len(thrice.train) == len(once.train) + 2 * len(real)
    assert sum(r.source == "team" for r in thrice.train) == sum(r.source == "team" for r in once.train)
    assert [r.id for r in thrice.dev] == [r.id for r in once.dev] and len(thrice.test) == len(once.test)
    with pytest.raises(DatasetError, match="real_weight"):
        load_run_data(preset("full", real_weight=0), tax, write_splits=False, shared_dir=SHARED)
