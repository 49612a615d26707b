"""Retriever fine-tuning: staff-style query generation, batches, one real training step saved as
a model folder, and an index that notices the new model and re-embeds with ``congvan rebuild``."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_HOME

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "letters"

CLAUSES = [
    "Tổ chức tiêm vét vắc xin sởi cho trẻ em chưa tiêm đủ liều tại các xã vùng sâu, vùng xa.",
    "Phun hóa chất diệt muỗi, diệt lăng quăng bọ gậy tại các hộ gia đình có ca bệnh sốt xuất huyết.",
    "Cách ly y tế tại nhà đối với người tiếp xúc gần trong 7 ngày, theo dõi sức khỏe hằng ngày.",
    "Kiểm tra, xử lý nghiêm các hành vi găm hàng, nâng giá vật tư y tế, trang thiết bị phòng dịch.",
    "Tiêu độc khử trùng chuồng trại, tiêm phòng vắc xin lở mồm long móng cho đàn gia súc.",
    "Sở Giáo dục và Đào tạo chỉ đạo các trường học tổ chức dạy học trực tuyến cho học sinh.",
]


def test_generated_queries_are_short_distinctive_and_half_folded() -> None:
    from congvan.letters.text import fold, has_diacritics
    from congvan.letters.tokenize import syllable_tokens
    from congvan.training.retriever import _idf, generate_queries

    idf = _idf(syllable_tokens(t) for t in CLAUSES)
    rng = random.Random(3)
    queries = [(t, q) for t in CLAUSES for q in generate_queries(t, idf, 2, rng)]
    assert len(queries) >= len(CLAUSES)
    for text, q in queries:
        n = len(q.split())
        assert 2 <= n <= 6, q
        # the words come from the clause, in order (folded or not)
        assert " ".join(fold(s) for s in q.split()) in " ".join(fold(s) for s in syllable_tokens(text)), (q, text)
        assert q.split()[0] not in ("và", "các", "của", "cho", "tại") and q.split()[-1] not in ("và", "các", "của")
    folded = sum(1 for _, q in queries if not has_diacritics(q))
    assert 0 < folded < len(queries)


def test_batches_never_repeat_a_passage() -> None:
    from congvan.training.retriever import Pair, _batches

    pairs = [Pair(f"q{i}", CLAUSES[i % 3], "generated", [CLAUSES[3 + i % 3]]) for i in range(12)]
    batches = _batches(pairs, 4)
    assert batches
    for batch in batches:
        texts = [t for p in batch for t in (p.positive, *p.negatives)]
        assert len(texts) == len(set(texts))


def test_hard_negatives_are_close_but_not_gold() -> None:
    from congvan.letters.text import fold
    from congvan.letters.tokenize import syllable_tokens
    from congvan.training.retriever import Pair, _mine_negatives

    corpus = [*CLAUSES, "Tiêm vét vắc xin sởi cho trẻ em tại các điểm tiêm lưu động.",
              "Tổ chức tiêm vắc xin phòng bệnh dại cho chó, mèo nuôi tại các hộ gia đình."]
    pairs = [Pair("tiem vet vac xin soi", CLAUSES[0], "generated"), Pair("diệt bọ gậy", CLAUSES[1], "generated"),
             Pair("tiêm vắc xin cho trẻ em", CLAUSES[0], "alqac")]
    _mine_negatives(pairs, corpus, 1, random.Random(0))
    for p in (pairs[0], pairs[2]):
        assert len(p.negatives) == 1 and p.negatives[0] != p.positive
    assert pairs[1].negatives == []  # no other passage shares its words: no negative rather than a random one
    # a generated query's negative never holds all its words (it would likely be relevant too)
    first = {fold(t) for t in syllable_tokens(pairs[0].negatives[0])}
    assert not {"tiem", "vet", "vac", "xin", "soi"} <= first
    # a close passage is chosen, not a random one: it shares a query word
    assert {"tiem", "vac", "xin", "cho", "tre", "em"} & {fold(t) for t in syllable_tokens(pairs[2].negatives[0])}


def _env(index: Path, model: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGVAN_")}
    env.update(CONGVAN_HOME=str(TEST_HOME), CONGVAN_INDEX=str(index), HF_HUB_OFFLINE="1",
               CONGVAN_ENCODER_BACKEND="torch", CONGVAN_BACKGROUND_TRAINING="false")
    if model:
        env["CONGVAN_MODEL"] = model
    return env


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "congvan.service.cli", *args], check=False, capture_output=True,
                          text=True, env=env, timeout=900, cwd=ROOT)


def test_training_makes_a_model_folder_that_the_index_reembeds_with(encoder, tmp_path: Path) -> None:
    from congvan.models.artifacts import read_manifest
    from congvan.models.encoder import EncoderConfig, load_encoder, model_identity
    from congvan.training.retriever import Pair, RetrieverConfig, train_retriever

    pairs = [Pair(" ".join(t.split()[1:4]).lower(), t, "generated", [CLAUSES[(i + 1) % len(CLAUSES)]])
             for i, t in enumerate(CLAUSES)]
    config = RetrieverConfig(base_model=str(encoder.path), batch_size=6, train_layers=1, threads=1,
                             learning_rate=1e-4)
    out = tmp_path / "retriever"
    metrics = train_retriever(config, pairs, out, command="pytest", show_progress=False)
    assert metrics["steps"] >= 1 and metrics["pairs"] == len(pairs)
    manifest = read_manifest(out, "encoder", 1)
    assert manifest["retriever_format"] == 1 and manifest["training"]["train_layers"] == 1
    assert json.loads((out / "metrics.json").read_text())["with_hard_negative"] == len(pairs)
    assert (out / "command.txt").read_text().strip() == "pytest"
    # the folder loads as an encoder whose name carries the weights' hash, and its vectors moved
    tuned = load_encoder(EncoderConfig(models_dir=tmp_path / "models", model=str(out)))
    assert tuned.name == model_identity(str(out)) and tuned.name.startswith(f"{out}@")
    a = encoder.encode_passages([CLAUSES[0]])[0]
    b = tuned.encode_passages([CLAUSES[0]])[0]
    assert 0.9 < float(a @ b) < 0.999999

    # its low-rank adapter (what ships as the default model) rebuilds it from the base
    from congvan.models.adapter import apply_adapter

    adapter = tmp_path / "adapter"
    no_bench = dict(_env(tmp_path / "unused"), CONGVAN_BENCHMARKS_DIR=str(tmp_path / "no-benchmarks"))
    made = _cli("train-retriever", "--extract-adapter", str(out), "--adapter-out", str(adapter),
                "--adapter-rank", "8", env=no_bench)
    assert made.returncode == 0, made.stderr
    shipped = read_manifest(adapter, "encoder-adapter", 1)
    assert shipped["rank"] == 8 and shipped["training_command"] == "pytest" and shipped["matrices"] >= 6
    apply_adapter(encoder.path, adapter, tmp_path / "applied", model="applied")
    applied = load_encoder(EncoderConfig(models_dir=tmp_path / "models", model=str(tmp_path / "applied")))
    assert float(applied.encode_passages([CLAUSES[0]])[0] @ b) > 0.999  # rank 8 keeps a few steps' change

    # an index built with the bundled model refuses the new one until `congvan rebuild --reembed`
    index = tmp_path / "index"
    letter = min(SAMPLES.glob("*.txt"))
    built = _cli("ingest", str(letter), env=_env(index))
    assert built.returncode == 0, built.stderr
    refused = _cli("search", "tiem vet", "--json", env=_env(index, str(out)))
    assert refused.returncode != 0 and "congvan rebuild --reembed" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    rebuilt = _cli("rebuild", "--reembed", env=_env(index, str(out)))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert tuned.name in rebuilt.stderr
    found = _cli("search", "giam sat dich benh", "--json", env=_env(index, str(out)))
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] > 0


@pytest.mark.parametrize("missing", ["benchmarks"])
def test_train_retriever_without_data_says_where_to_point(tmp_path: Path, missing: str) -> None:
    from congvan.training.retriever import RetrieverConfig, build_pairs

    config = RetrieverConfig(sources=("alqac", "vicov19qa"))
    with pytest.raises(ValueError, match="CONGVAN_SHARED_DIR"):
        build_pairs(config, tmp_path / missing, None, tmp_path / "no-samples")


def test_calibrated_floors_travel_with_the_model_folder(tmp_path: Path) -> None:
    """A retriever folder's manifest records its own similarity floors (atomically rewritten);
    a collection opened with that encoder ranks with them, any other encoder with the defaults."""
    from congvan.index.collection import Collection
    from congvan.index.ranking import DEFAULT_PARAMS, params_for
    from congvan.index.testing import HashingEncoder
    from congvan.training.retriever import write_ranking

    folder = tmp_path / "retr"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"kind": "encoder", "format_version": 1,
                                                      "base_model": "e5"}), encoding="utf-8")
    write_ranking(folder, {"dense_floor": 0.61, "dense_floor_short": 0.52, "calibration": {"pairs": 3}})
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert data["kind"] == "encoder" and data["ranking"]["dense_floor"] == 0.61
    assert not list(folder.glob("*.tmp"))

    class FolderEncoder(HashingEncoder):
        path = folder

    params = params_for(FolderEncoder())
    assert (params.dense_floor, params.dense_floor_short) == (0.61, 0.52)
    assert params.with_(dense_floor=DEFAULT_PARAMS.dense_floor, dense_floor_short=DEFAULT_PARAMS.dense_floor_short) \
        == DEFAULT_PARAMS
    assert params_for(HashingEncoder()) == DEFAULT_PARAMS
    with Collection.open(tmp_path / "col", FolderEncoder()) as col:
        assert col.params.dense_floor == 0.61
    # a fusion weight tuned for the model travels the same way
    write_ranking(folder, {"dense_floor": 0.61, "dense_floor_short": 0.52, "dense_weight": 0.6})
    assert params_for(FolderEncoder()).dense_weight == 0.6
    assert params_for(FolderEncoder()).dense_weight_for(20) == 0.6  # long queries use it


def test_calibrate_floors_uses_held_out_cosines_of_both_encoders(monkeypatch) -> None:
    """The long floor is the tuned encoder's 5th percentile of held-out gold cosines; the short
    floor moves the default by the shift from the base encoder."""
    import numpy as np

    from congvan.index.ranking import DEFAULT_PARAMS
    from congvan.training import retriever

    pairs = [retriever.Pair(f"câu hỏi {i}", f"đoạn {i}", "vicov19qa") for i in range(40)]
    monkeypatch.setattr(retriever, "_bench_pairs", lambda name, split, path: (pairs, []))

    class Fixed:
        """Unit vectors whose query–passage cosine is ``cos[i]`` for pair i."""

        def __init__(self, cos: np.ndarray, name: str) -> None:
            self.cos, self.name = cos, name

        def encode_queries(self, texts):
            return np.tile([1.0, 0.0], (len(texts), 1))

        def encode_passages(self, texts):
            return np.stack([self.cos, np.sqrt(1 - self.cos ** 2)], axis=1)

    tuned = Fixed(np.linspace(0.3, 0.9, 40), "tuned")
    base = Fixed(np.linspace(0.8, 0.95, 40), "base")
    out = retriever.calibrate_floors(tuned, base, Path("unused"))
    assert out["dense_floor"] == round(float(np.percentile(tuned.cos, 5)), 4)
    shift = np.percentile(tuned.cos, 5) - np.percentile(base.cos, 5)
    assert out["dense_floor_short"] == round(DEFAULT_PARAMS.dense_floor_short + shift, 4)
    assert out["calibration"]["base_model"] == "base" and out["calibration"]["pairs"] == 40


def test_train_retriever_on_a_folder_it_did_not_write_says_so(tmp_path: Path) -> None:
    for flags in (["--calibrate", str(tmp_path)],
                  ["--extract-adapter", str(tmp_path), "--adapter-out", str(tmp_path / "adapter")]):
        done = _cli("train-retriever", *flags, env=_env(tmp_path / "index"))
        assert done.returncode == 1 and "not a folder written by `congvan train-retriever`" in done.stderr
        assert "Traceback" not in done.stderr
