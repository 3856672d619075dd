"""`python -m app serve` starts the answer workers beside the web server and keeps them running.

A worker that exits (a crash, an out-of-memory kill) is started again after a short pause; when the web server stops,
its workers stop too. Workers started on their own (`python -m app worker`, on this machine or another) need none of
this: any number of them share the database queue.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

log = logging.getLogger(__name__)
RESTART_PAUSE_SECONDS = 1.0


class AnswerWorkers:
    def __init__(self, count: int):
        self.count = count
        self._processes: list[subprocess.Popen] = []
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._keep_running, name="answer-workers", daemon=True)

    def __enter__(self) -> AnswerWorkers:
        if self.count:
            self._processes = [self._start() for _ in range(self.count)]
            self._watcher.start()
        else:
            log.warning("no answer workers started here: webhook events wait for `python -m app worker` elsewhere")
        return self

    def __exit__(self, *_exc) -> None:
        self._stopping.set()
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    @staticmethod
    def _start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "app", "worker", "--parent", str(os.getpid())])

    def _keep_running(self) -> None:
        while not self._stopping.wait(RESTART_PAUSE_SECONDS):
            for n, process in enumerate(self._processes):
                if process.poll() is not None and not self._stopping.is_set():
                    log.error("answer worker %d exited with %s: started again", process.pid, process.returncode)
                    self._processes[n] = self._start()
