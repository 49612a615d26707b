"""Real processes in tests: a ``congvan serve`` started on a free port, waited for and always
stopped; and what another (perhaps killed) process committed to an index."""
from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from congvan.index.testing import stop_process

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def congvan_serve(env: dict[str, str], log_path: Path, *args: str, timeout: float = 180,
                  poll: float = 0.3) -> Iterator[Server]:
    """Run ``congvan serve --host 127.0.0.1 --port P *args`` with ``env`` until ``/healthz``
    answers (liveness only: the server may still be warming up), yield it, then stop it."""
    port = free_port()
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "congvan.service.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", proc, log_path)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited ({proc.returncode}):\n{server.log()[-3000:]}")
            try:
                if httpx.get(server.base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer /healthz in {timeout:.0f} s:\n{server.log()[-3000:]}")
            time.sleep(poll)
        yield server
    finally:
        stop_process(proc)
        log.close()


def committed_letters(db: Path) -> int:
    """Letters committed to ``db`` as another process sees it (0 before the file exists)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM letters").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
