"""Helpers for tests of the index mechanics (not for search quality: use the real encoder there).

``HashingEncoder`` maps text to a deterministic bag-of-hashed-syllables vector, instantly and
without a model, so store/index/crash tests run in seconds. ``make_letter`` builds a ``Letter``
from plain tuples.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import numpy as np

from congvan.letters.diseases import clause_diseases
from congvan.letters.schema import AgencyRoles, Clause, DateParts, Letter, ThemeScore
from congvan.letters.text import fold
from congvan.letters.tokenize import syllable_tokens


class HashingEncoder:
    """Encoder interface (name, dim, encode_queries, encode_passages) over hashed syllables."""

    def __init__(self, dim: int = 64, delay: float = 0.0, name: str = "test/hashing") -> None:
        self.name = name
        self.dim = dim
        self.delay = delay  # seconds per passage, to make ingests slow enough to interrupt

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, np.float32)
        for tok in syllable_tokens(text):
            h = int.from_bytes(hashlib.blake2b(fold(tok).encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("Pass a list of strings")
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._vector(t) for t in texts])

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay * len(texts))
        return self.encode_queries(texts)


def make_letter(doc_id: str, clauses: Sequence[tuple], *, source: str | None = None,
                province: str | None = None, issuer: str | None = None,
                date: tuple[int | None, int | None, int | None] = (None, None, None),
                subject: str | None = None, number: str | None = None,
                doc_type: str | None = "Công văn", diseases: bool = False) -> Letter:
    """``clauses``: (path, kind, text[, themes[, lead[, support]]]) tuples. ``diseases``: give
    each clause and the letter their diseases as the parser does (named, else the letter's)."""
    out = []
    for i, spec in enumerate(clauses):
        path, kind, text, *rest = spec
        themes = rest[0] if len(rest) > 0 else []
        lead = rest[1] if len(rest) > 1 else []
        support = rest[2] if len(rest) > 2 else []
        out.append(Clause(clause_id=f"{doc_id}:{path}", path=path, kind=kind, text=text, order=i,
                          themes=[ThemeScore(t, 0.9) for t in themes],
                          agencies=AgencyRoles(list(lead), list(support))))
    if diseases:
        for clause, found in zip(out, clause_diseases([c.text for c in out], subject)):
            clause.diseases = found
    return Letter(doc_id=doc_id, doc_type=doc_type, issuer=issuer, province=province,
                  number=number, date=DateParts(*date), subject=subject, clauses=out,
                  text="\n".join(c.text for c in out), source=source,
                  diseases=list(dict.fromkeys(d for c in out for d in c.diseases)))


def stop_process(proc, timeout: float = 30.0) -> None:
    """Terminate a server process started for a test or benchmark; kill it if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except Exception:  # noqa: BLE001 - it must go, one way or the other
        proc.kill()
        proc.wait()


class MilvusLiteServer:
    """A real ``milvus-lite server`` process on a free local port, reached by URI like a cluster.

        with MilvusLiteServer(tmp_path / "milvus") as server:
            MilvusOptions(uri=server.uri)
    """

    def __init__(self, data_dir, host: str = "127.0.0.1", port: int | None = None,
                 startup_timeout: float = 60.0) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.proc = None

    @property
    def uri(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MilvusLiteServer:
        import shutil
        import socket
        import subprocess
        import sys
        from pathlib import Path

        if self.port is None:
            with socket.socket() as s:
                s.bind((self.host, 0))
                self.port = s.getsockname()[1]
        exe = shutil.which("milvus-lite") or str(Path(sys.executable).with_name("milvus-lite"))
        if not Path(exe).exists():
            raise RuntimeError("milvus-lite is not installed: pip install 'congvan[milvus]' (or milvus-lite)")
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        self.log = open(Path(self.data_dir) / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([exe, "server", "--data-dir", str(self.data_dir), "--host", self.host,
                                      "--port", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + self.startup_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited with {self.proc.returncode}; see "
                                   f"{Path(self.data_dir) / 'server.log'}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"milvus-lite server did not listen on {self.uri} within {self.startup_timeout} s")

    def stop(self) -> None:
        stop_process(self.proc, timeout=20)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self) -> MilvusLiteServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
