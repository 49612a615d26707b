"""Streaming ingest (kill -9 after N committed chunks keeps them; a rerun skips them) and online
backups (a backup taken during an ingest restores to a consistent, searchable index)."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from congvan.index import Collection
from congvan.index.backup import BackupError, backup, restore, verify
from congvan.index.collection import INGEST_CHUNK
from congvan.index.store import DB_NAME
from congvan.index.testing import HashingEncoder
from tests.servers import committed_letters
from tests.test_index_crash import letters

REPO = Path(__file__).resolve().parents[1]
N = 200

#: Letters come from a slow generator (as `congvan ingest` reads and tags files one by one).
STREAM = """
import sys, time
sys.path.insert(0, {repo!r})
from congvan.index import Collection
from congvan.index.testing import HashingEncoder
from tests.test_index_crash import letters

def slowly():
    for i, letter in enumerate(letters({n})):
        time.sleep({pause})  # reading + tagging one file
        print("read", i, flush=True)
        yield letter

col = Collection.open({folder!r}, HashingEncoder())
col.ingest_stream(slowly())
print("finished", flush=True)
"""


def _start(folder: Path, pause: float) -> subprocess.Popen:
    code = STREAM.format(repo=str(REPO), n=N, pause=pause, folder=str(folder))
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _wait_for(folder: Path, proc: subprocess.Popen, at_least: int) -> None:
    deadline = time.time() + 120
    while committed_letters(folder / DB_NAME) < at_least:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline, "ingest made no progress"
        time.sleep(0.02)


def _assert_consistent(col: Collection, n_docs: int) -> None:
    snap = col.snapshot
    conn = sqlite3.connect(col.folder / DB_NAME)
    docs, clauses = (conn.execute("SELECT COUNT(*) FROM letters").fetchone()[0],
                     conn.execute("SELECT COUNT(*) FROM clauses").fetchone()[0])
    conn.close()
    assert docs == n_docs and clauses == 4 * n_docs  # whole letters only
    assert len(snap) == snap.accented.n_docs == snap.folded.n_docs == clauses
    assert len(snap.vectors) - snap.stale == clauses
    assert np.array_equal(np.sort(snap.vectors.ids[snap.pos_slot >= 0]), snap.table.rowids)
    last = f"doc-{n_docs - 1:04d}"
    res = col.search(f"Văn bản {n_docs - 1}, khoản 1", top_k=5, filters={"doc_id": last})
    assert res.hits and res.hits[0].doc_id == last


def test_kill_during_streaming_ingest_keeps_committed_chunks_and_rerun_skips_them(tmp_path) -> None:
    folder = tmp_path / "col"
    letters_per_chunk = INGEST_CHUNK // 4  # 4 clauses per test letter
    proc = _start(folder, pause=0.01)
    _wait_for(folder, proc, 3 * letters_per_chunk)  # three chunks committed, more being read
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    out = proc.stdout.read().decode()
    assert "finished" not in out
    read = out.count("read ")
    committed = committed_letters(folder / DB_NAME)
    assert 3 * letters_per_chunk <= committed < N
    assert read < N, "every letter was read before the first commit: the ingest does not stream"
    assert read - committed <= letters_per_chunk + 1  # a kill loses at most the chunk in progress

    col = Collection.open(folder, HashingEncoder())
    _assert_consistent(col, committed)
    results = col.ingest_letters(iter(letters(N)))  # a generator again
    statuses = [r.status for r in results]
    assert statuses.count("unchanged") == committed and statuses.count("added") == N - committed
    _assert_consistent(col, N)
    col.close()


def test_backup_during_ingest_restores_to_a_consistent_index(tmp_path) -> None:
    folder = tmp_path / "col"
    with Collection.open(folder, HashingEncoder()) as col:  # a first batch with derived files
        col.ingest_letters(letters(20))
    (folder / "audit.jsonl").write_text('{"action": "ingest"}\n', encoding="utf-8")
    proc = _start(folder, pause=0.005)
    try:
        _wait_for(folder, proc, 60)
        manifest = backup(folder, tmp_path / "bk", model_dirs={"none": tmp_path / "missing"})
        assert proc.poll() is None, "the ingest finished before the backup: nothing was tested"
    finally:
        proc.kill()
        proc.wait()
    saved = manifest["index"]["documents"]
    assert 60 <= saved < N and manifest["index"]["clauses"] == 4 * saved
    assert "index/audit.jsonl" in manifest["files"]
    assert json.loads((tmp_path / "bk" / "manifest.json").read_text())["kind"] == "congvan-backup"

    target = tmp_path / "restored"
    restore(tmp_path / "bk", target)
    col = Collection.open(target, HashingEncoder())  # brings the derived files up to date
    stats = col.stats()
    assert (stats["documents"], stats["clauses"]) == (saved, 4 * saved)
    _assert_consistent(col, saved)
    col.close()
    assert (target / "audit.jsonl").read_text(encoding="utf-8").startswith('{"action"')


def test_restore_checks_the_manifest_and_keeps_the_old_index(tmp_path) -> None:
    folder = tmp_path / "col"
    with Collection.open(folder, HashingEncoder()) as col:
        col.ingest_letters(letters(10))
    backup(folder, tmp_path / "bk")
    with pytest.raises(BackupError, match="thư mục"):
        backup(folder, tmp_path / "bk")  # never over an existing backup
    with pytest.raises(BackupError, match="--force"):
        restore(tmp_path / "bk", folder)  # an index is there
    result = restore(tmp_path / "bk", folder, force=True)
    assert Path(result["previous"]).is_dir() and (Path(result["previous"]) / DB_NAME).is_file()
    db = tmp_path / "bk" / "index" / DB_NAME
    with open(db, "r+b") as fh:  # one flipped byte
        fh.seek(200)
        byte = fh.read(1)
        fh.seek(200)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(BackupError, match="checksum"):
        verify(tmp_path / "bk")
    with pytest.raises(BackupError, match="không phải bản sao lưu"):
        verify(tmp_path)


def test_cli_ingest_skips_stored_letters_and_backup_restore_round_trip(tmp_path) -> None:
    from tests.conftest import TEST_HOME

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CONGVAN_")},
           "CONGVAN_HOME": str(TEST_HOME), "CONGVAN_TAGGER": "off"}

    def congvan(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "congvan.service.cli", *args], capture_output=True,
                              text=True, env=env, timeout=600, cwd=REPO)

    samples = REPO / "samples" / "letters"
    index = tmp_path / "index"
    first = congvan("ingest", str(samples), "--json", "--index", str(index))
    assert first.returncode == 0, first.stderr
    rows = json.loads(first.stdout)["ingested"]
    assert len(rows) == 6 and {r["status"] for r in rows} == {"added"}
    again = congvan("ingest", str(samples), "--json", "--index", str(index))
    assert {r["status"] for r in json.loads(again.stdout)["ingested"]} == {"unchanged"}

    bk = congvan("backup", str(tmp_path / "bk"), "--index", str(index), "--json")
    assert bk.returncode == 0, bk.stderr
    assert json.loads(bk.stdout)["models"]["encoder"]["kind"]  # the encoder's manifest is recorded
    assert congvan("restore", str(tmp_path / "bk"), "--index", str(index)).returncode == 1  # needs --force
    back = congvan("restore", str(tmp_path / "bk"), "--index", str(tmp_path / "new"), "--json")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["documents"] == 6
    log = congvan("audit", "--index", str(tmp_path / "new"), "--json")
    actions = [e["action"] for e in json.loads(log.stdout)]
    assert actions == ["ingest"] * 6 + ["restore"]
    found = congvan("search", "tiem vet", "--json", "--index", str(tmp_path / "new"))
    assert found.returncode == 0 and json.loads(found.stdout)["hits"]
