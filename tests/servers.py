"""Real server processes for tests that need more than one process or a crash: `python -m app serve` (the web server
and its answer workers) or `python -m app worker` alone, in subprocesses with the test environment, on a free port
of 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import fully_ready

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def private_database(folder: Path) -> Iterator[str]:
    """A database URL of its own for the server processes of one test, of the kind the suite runs on: the answer
    worker of the test process itself must not answer their events."""
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgresql"):
        yield f"sqlite:///{folder / 'private.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{make_url(url).database}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    def __init__(self, command: list[str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "app", *command], cwd=ROOT, env={**os.environ, **env},
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hook runs, as in a crash."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


class WorkerProcess(Process):
    """`python -m app worker`: answers what the web servers stored."""

    def __init__(self, env: dict[str, str], log_path: Path):
        super().__init__(["worker"], env, log_path)


class ServerProcess(Process):
    """`python -m app serve`: `workers` web processes and `answer_workers` answer workers."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 1, answer_workers: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
                          "--answer-workers", str(answer_workers)], env, log_path)

    def wait_listening(self, timeout: float = 60) -> ServerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                httpx.get(self.url + "/healthz", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise TimeoutError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def wait_ready(self, timeout: float = 300) -> ServerProcess:
        self.wait_listening()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = httpx.get(self.url + "/readyz", timeout=5)
            if fully_ready(response.status_code, response.json()):
                return self
            time.sleep(0.2)
        raise TimeoutError(f"server not ready: {self.log_path.read_text()[-3000:]}")

