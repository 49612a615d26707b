"""The blind second annotation of real train/dev clauses: keyed like the team's, scored against it."""
from __future__ import annotations

import json

import pytest

from congvan.training.agreement import (
    BLIND_AGENCIES,
    BLIND_THEMES,
    agency_agreement,
    agreement_line,
    format_agency_agreement,
    format_agreement,
    theme_agreement,
)
from congvan.training.real_letters import load_annotations
from congvan.training.records import DATA_DIR, read_jsonl


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_shipped_blind_labels_join_the_team_labels_and_disagree_somewhere():
    m = theme_agreement()
    assert m["clauses"] == len(read_jsonl(BLIND_THEMES)) >= 150
    assert m["letters"] >= 30
    # two annotators of real letters do not agree perfectly: this is the ceiling the tagger meets
    assert 0.5 < m["micro"]["f1"] < 1.0
    assert "| leadership |" in format_agreement(m)


def test_identical_labels_agree_fully_and_a_missed_theme_costs_recall(tmp_path):
    clauses, _ = load_annotations()
    rows = [r for r in read_jsonl(BLIND_THEMES)][:20]
    same = [{**r, "themes": clauses[r["file"]][r["key"]].get("themes") or []} for r in rows]
    _write(tmp_path / "same.jsonl", same)
    assert theme_agreement(tmp_path / "same.jsonl")["micro"]["f1"] == 1.0
    labelled = next(i for i, r in enumerate(same) if r["themes"])
    missing = [dict(r) for r in same]
    missing[labelled]["themes"] = []
    _write(tmp_path / "missing.jsonl", missing)
    m = theme_agreement(tmp_path / "missing.jsonl")
    assert m["micro"]["precision"] == 1.0 and m["micro"]["recall"] < 1.0


def test_test_letters_and_unknown_keys_are_refused(tmp_path):
    splits = json.loads((DATA_DIR / "splits.json").read_text(encoding="utf-8"))["letters"]
    clauses, _ = load_annotations()
    test_file = next(f for f in clauses if f.startswith("real_letters/texts/")
                     and f"real-{f.split('/')[-1][:3]}" in splits["test"])
    key = next(iter(clauses[test_file]))
    _write(tmp_path / "test.jsonl", [{"file": test_file, "key": key, "themes": []}])
    with pytest.raises(ValueError, match="test letter"):
        theme_agreement(tmp_path / "test.jsonl")
    _write(tmp_path / "unknown.jsonl", [{"file": test_file, "key": "000000000000", "themes": []}])
    with pytest.raises(ValueError, match="no team label"):
        theme_agreement(tmp_path / "unknown.jsonl")


def test_tagger_report_puts_the_real_rows_beside_the_annotator_agreement():
    from congvan.training.evaluate_tagger import format_tables, theme_metrics

    ids = ["communication", "leadership"]
    themes = theme_metrics([["communication"], ["leadership"]], [["communication"], []], ids)
    row = {"directive": 2, "micro": themes["micro"], "macro_f1": themes["macro_f1"],
           "model_alone": themes["micro"], "lead": themes["micro"], "support": themes["micro"]}
    text = format_tables({"split": "test", "directive": 2, "themes": themes,
                          "themes_by_source": {"real": row, "team": row}}, real_note=agreement_line())
    expected = theme_agreement()["micro"]["f1"]
    assert f"agrees with the team's theme labels at micro-F1 {expected:.3f}" in text
    assert "| real | 2 |" in text


def test_second_sample_was_labelled_twice_on_the_same_clauses():
    before = BLIND_THEMES.parent / "real_themes_blind2_guideline_before.jsonl"
    after = BLIND_THEMES.parent / "real_themes_blind2_guideline_after.jsonl"
    keys = [[(r["file"], r["key"]) for r in read_jsonl(path)] for path in (before, after)]
    assert keys[0] == keys[1] and len(keys[0]) >= 70
    first = {(r["file"], r["key"]) for r in read_jsonl(BLIND_THEMES)}
    assert not first & set(keys[0])  # fresh clauses, not the first sample again
    for path in (before, after):
        assert 0.5 < theme_agreement(path)["micro"]["f1"] < 1.0


def test_third_sample_is_fresh_and_scores():
    third = BLIND_THEMES.parent / "real_themes_blind3_guideline_narrowed.jsonl"
    keys = {(r["file"], r["key"]) for r in read_jsonl(third)}
    earlier = {(r["file"], r["key"]) for path in BLIND_THEMES.parent.glob("real_themes_blind*.jsonl")
               if path != third for r in read_jsonl(path)}
    assert len(keys) >= 60 and not keys & earlier
    assert 0.5 < theme_agreement(third)["micro"]["f1"] < 1.0


def test_agency_labels_of_a_second_annotator_join_and_score_lead_and_support(tmp_path):
    m = agency_agreement()
    assert m["clauses"] == len(read_jsonl(BLIND_AGENCIES)) >= 150
    assert 0.5 < m["lead"]["micro"]["f1"] < 1.0 and 0.5 < m["support"]["micro"]["f1"] <= 1.0
    assert "| lead |" in format_agency_agreement(m)
    clauses, _ = load_annotations()
    rows = read_jsonl(BLIND_AGENCIES)[:30]
    same = [{**r, "lead": clauses[r["file"]][r["key"]].get("lead") or [],
             "support": clauses[r["file"]][r["key"]].get("support") or []} for r in rows]
    _write(tmp_path / "same.jsonl", same)
    assert agency_agreement(tmp_path / "same.jsonl")["lead"]["micro"]["f1"] == 1.0
    swapped = [{**r, "lead": r["support"], "support": r["lead"]} for r in same]
    _write(tmp_path / "swapped.jsonl", swapped)
    assert agency_agreement(tmp_path / "swapped.jsonl")["lead"]["micro"]["f1"] < 0.5
