"""The ``congvan`` command as a user runs it: real processes, exit codes, JSON, no tracebacks."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_HOME
from tests.inline_letters import DENGUE_LETTER, RABIES_LETTER

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
SAMPLES = ROOT / "samples" / "letters"


def congvan(*args: str, stdin: str | None = None, index: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "CONGVAN_HOME": str(TEST_HOME)}
    if index is not None:
        env["CONGVAN_INDEX"] = str(index)
    return subprocess.run([sys.executable, "-m", "congvan.service.cli", *args], capture_output=True, text=True,
                          env=env, input=stdin, timeout=600, cwd=ROOT)


def test_help_lists_every_command() -> None:
    out = congvan("--help")
    assert out.returncode == 0
    for cmd in ("tag", "ingest", "search", "serve", "evaluate"):
        assert cmd in out.stdout
    assert "--province" in congvan("search", "--help").stdout


def test_tag_seed_json_follows_the_contract() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"shared seeds not found at {SEEDS}")
    out = congvan("tag", str(SEEDS / "002_0496534501040767.txt"), "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    doc = body["document"]
    for key in ("issuer", "province", "number", "place", "date", "subject", "recipients", "signer",
                "references"):
        assert key in doc
    assert doc["date"] == {"year": 2022, "month": 8, "day": None}
    assert doc["signer"]["name"] == "Dương Xuân Huyền"
    for clause in body["clauses"]:
        assert set(clause) >= {"clause_id", "path", "kind", "text", "themes", "agencies"}
        assert clause["kind"] in {"preamble", "directive", "closing"}
        assert set(clause["agencies"]) >= {"lead", "support"}


def test_tag_reads_stdin() -> None:
    out = congvan("tag", "-", "--json", stdin="1. Giao Sở Y tế chủ trì tổ chức tiêm vét vắc xin sởi.\n"
                                              "2. Sở Giáo dục và Đào tạo phối hợp rà soát học sinh.")
    assert out.returncode == 0, out.stderr
    clauses = json.loads(out.stdout)["clauses"]
    assert [c["path"] for c in clauses] == ["1", "2"]
    assert clauses[0]["agencies"]["lead"] == ["so_y_te"]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("garbage.pdf", os.urandom(2048), "PDF"),
        ("empty.txt", b"", "rỗng"),
        ("table.xlsx", b"PK\x03\x04", "hỗ trợ"),
    ],
)
def test_tag_bad_input_is_one_clear_line(tmp_path: Path, name: str, data: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    out = congvan("tag", str(path))
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert words.lower() in out.stderr.lower()
    assert name in out.stderr


def test_ingest_reports_bad_files_and_indexes_the_rest_then_search(tmp_path: Path) -> None:
    letters = tmp_path / "letters"
    letters.mkdir()
    good = sorted(SAMPLES.glob("*.txt"))[:2]
    for path in good:
        (letters / path.name).write_bytes(path.read_bytes())
    (letters / "hong.pdf").write_bytes(b"%PDF-1.4 broken")
    index = tmp_path / "index"
    out = congvan("ingest", str(letters), "--json", index=index)
    assert out.returncode == 1, out.stderr  # something was skipped
    body = json.loads(out.stdout)
    assert len(body["ingested"]) == 2
    assert [Path(s["path"]).name for s in body["skipped"]] == ["hong.pdf"]
    assert all(row["clauses"] > 0 for row in body["ingested"])

    again = congvan("ingest", str(letters / good[0].name), "--json", index=index)
    assert again.returncode == 0
    assert json.loads(again.stdout)["ingested"][0]["doc_id"] == body["ingested"][0]["doc_id"]

    found = congvan("search", "giam sat dich benh", "--json", "--top-k", "3", index=index)
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert result["total"] > 0 and 0 < len(result["hits"]) <= 3
    hit = result["hits"][0]
    assert set(hit) >= {"doc_id", "clause_id", "path", "kind", "text", "snippet", "score", "themes",
                        "agencies", "document"}

    shown = congvan("search", "giám sát dịch bệnh", "--explain", "--top-k", "2", index=index)
    assert shown.returncode == 0, shown.stderr
    assert "giải thích: từ khóa" in shown.stdout and "khớp:" in shown.stdout
    # matches print as «…» with the right closing mark, never «…«, and no raw markup
    assert "«" in shown.stdout.split("\n", 1)[1] and "<mark>" not in shown.stdout
    for line in shown.stdout.splitlines()[1:]:
        assert line.count("«") == line.count("»"), line
    toneless = congvan("search", "giam sat dich benh", "--explain", "--top-k", "1", index=index)
    assert "câu hỏi mô hình đọc: «giám sát dịch bệnh»" in toneless.stdout  # tones put back


def test_search_without_index_says_what_to_do(tmp_path: Path) -> None:
    out = congvan("search", "tiêm vét", index=tmp_path / "none")
    assert out.returncode != 0
    assert "congvan ingest" in out.stderr and "Traceback" not in out.stderr


def test_search_disease_filter(tmp_path: Path) -> None:
    letters = tmp_path / "letters"
    letters.mkdir()
    (letters / "sxh.txt").write_text(DENGUE_LETTER, encoding="utf-8")
    (letters / "dai.txt").write_text(RABIES_LETTER, encoding="utf-8")
    index = tmp_path / "index"
    assert congvan("ingest", str(letters), "--json", index=index).returncode == 0
    assert "--disease" in congvan("search", "--help").stdout
    out = congvan("search", "tiêm phòng, phun hóa chất", "--disease", "rabies", "--json", "--top-k", "20", index=index)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["hits"] and all(h["diseases"] == ["rabies"] for h in result["hits"])
    assert result["filters"]["disease"] == ["rabies"]
