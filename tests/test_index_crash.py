"""kill -9 in the middle of an ingest: the collection still opens, is consistent, and resumes."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from congvan.index import Collection
from congvan.index.collection import DERIVED_DIR
from congvan.index.derived import read_derived_manifest
from congvan.index.store import DB_NAME
from congvan.index.testing import HashingEncoder, make_letter
from tests.servers import committed_letters

N_LETTERS = 200
REPO = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
from congvan.index import Collection
from congvan.index.testing import HashingEncoder
from tests.test_index_crash import letters
col = Collection.open({folder!r}, HashingEncoder(delay=0.004))
col.ingest_letters(letters())
print("finished", flush=True)
"""


def letters(n: int = N_LETTERS):
    places = ["xã Tân Thanh", "phường Chi Lăng", "huyện Cao Lộc", "thị trấn Đồng Đăng"]
    return [make_letter(
        f"doc-{i:04d}",
        [(str(j + 1), "directive",
          f"Văn bản {i}, khoản {j + 1}: tăng cường tiêm vắc xin phòng COVID-19 tại "
          f"{places[(i + j) % 4]}, mã điểm tiêm {i * 10 + j}.") for j in range(4)],
        source=f"letter-{i:04d}.txt", province="Lạng Sơn", date=(2022, 1 + i % 12, None))
        for i in range(n)]


def test_kill_during_ingest_then_reopen_and_resume(tmp_path):
    folder = tmp_path / "col"
    enc = HashingEncoder()
    with Collection.open(folder, enc) as col:  # a first, complete batch
        col.ingest_letters(letters(20))
    good = read_derived_manifest(folder / DERIVED_DIR)
    assert good["counts"]["documents"] == 20

    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(repo=str(REPO), folder=str(folder))],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while committed_letters(folder / DB_NAME) < 60 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    out = proc.stdout.read().decode() + proc.stderr.read().decode()
    assert "finished" not in out, f"ingest ended before it could be killed: {out}"
    committed = committed_letters(folder / DB_NAME)
    assert 60 <= committed < N_LETTERS

    # The last good derived folder is still there and readable.
    assert read_derived_manifest(folder / DERIVED_DIR)["generation"] == good["generation"]

    col = Collection.open(folder, enc)
    stats = col.stats()
    snap = col.snapshot
    conn = sqlite3.connect(folder / DB_NAME)
    n_docs, n_clauses = (conn.execute("SELECT COUNT(*) FROM letters").fetchone()[0],
                         conn.execute("SELECT COUNT(*) FROM clauses").fetchone()[0])
    conn.close()
    assert stats["documents"] == n_docs == committed
    assert stats["clauses"] == n_clauses == 4 * committed  # whole letters only
    assert len(snap) == snap.accented.n_docs == snap.folded.n_docs == n_clauses
    assert len(snap.vectors) - snap.stale == n_clauses
    assert np.array_equal(np.sort(snap.vectors.ids[snap.pos_slot >= 0]), snap.table.rowids)
    manifest = read_derived_manifest(folder / DERIVED_DIR)
    assert manifest["generation"] == col.store.generation()  # brought up to date and saved
    assert manifest["counts"]["clauses"] == n_clauses
    last = f"doc-{committed - 1:04d}"
    res = col.search(f"Văn bản {committed - 1}, khoản 1", top_k=5, filters={"doc_id": last})
    assert res.hits and res.hits[0].doc_id == last

    # Re-running the ingest completes the batch, skipping what was committed.
    results = col.ingest_letters(letters())
    statuses = [r.status for r in results]
    assert statuses.count("unchanged") == committed
    assert statuses.count("added") == N_LETTERS - committed
    assert col.stats()["documents"] == N_LETTERS and len(col.snapshot) == 4 * N_LETTERS
    col.close()
