"""Exactly-once replies across server processes, and no acknowledged event lost when a process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import sign, text_event, webhook_body
from tests.servers import ServerProcess, private_database


def post(url: str, body: bytes) -> int:
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
    return httpx.post(url + "/callback", content=body, headers=headers, timeout=10).status_code


@pytest.fixture
def shared_env(client, tmp_path):
    """A database of its own shared by the server processes of one test (the index is the session's, already built)."""
    with private_database(tmp_path) as url:
        yield {"DATABASE_URL": url, "DATA_DIR": str(tmp_path)}


def test_two_processes_on_one_database_reply_once_per_event(shared_env, line, tmp_path):
    servers = [ServerProcess(shared_env, tmp_path / f"server{n}.log") for n in range(2)]
    try:
        for server in servers:
            server.wait_ready()
        events = [text_event(question) for question in ("老闆欠薪怎麼辦", "失業給付怎麼申請", "衝床補助", "我想找工作")]
        bodies = [webhook_body(event) for event in events]
        statuses: list[int] = []
        # Every event is delivered to both processes at the same moment (LINE redelivery racing the original).
        threads = [threading.Thread(target=lambda s=s, b=b: statuses.append(post(s.url, b)))
                   for b in bodies for s in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * len(threads)
        for event in events:
            assert len(line.wait_for_replies(1, token=event["replyToken"])) == 1
        time.sleep(2.5)  # nothing more arrives
        for event in events:
            assert len(line.replies(event["replyToken"])) == 1, event["message"]["text"]
    finally:
        for server in servers:
            server.stop()


def test_event_acknowledged_before_a_crash_is_answered_after_restart(shared_env, line, tmp_path):
    # The first process has no index yet, so it stores and acknowledges events while it builds one; it is killed
    # (SIGKILL: no shutdown code runs) before it could answer.
    cold = ServerProcess({**shared_env, "INDEX_DIR": str(tmp_path / f"cold-index-{uuid.uuid4().hex}")},
                         tmp_path / "cold.log").wait_listening()
    event = text_event("公司倒閉了薪水拿不到")
    try:
        assert httpx.get(cold.url + "/readyz").status_code == 503
        assert post(cold.url, webhook_body(event)) == 200
        assert httpx.get(cold.url + "/readyz").status_code == 503, "answered before the crash: test is void"
    finally:
        cold.kill()
    assert line.replies(event["replyToken"]) == []
    restarted = ServerProcess(shared_env, tmp_path / "restarted.log")
    try:
        restarted.wait_ready()
        replies = line.wait_for_replies(1, token=event["replyToken"], timeout=30)
        assert len(replies) == 1
        time.sleep(1.5)
        assert len(line.replies(event["replyToken"])) == 1
    finally:
        restarted.stop()


def test_serve_starts_an_answer_worker_again_when_one_dies(shared_env, line, tmp_path):
    server = ServerProcess(shared_env, tmp_path / "server.log", answer_workers=1)
    try:
        server.wait_ready()

        def worker_pids() -> list[int]:
            children = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
            pids = [int(pid) for pid in children.stdout.split()]
            return [pid for pid in pids if b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]

        [worker] = worker_pids()
        os.kill(worker, signal.SIGKILL)
        event = text_event("加班費怎麼算")
        assert post(server.url, webhook_body(event)) == 200
        assert len(line.wait_for_replies(1, token=event["replyToken"], timeout=60)) == 1
        [restarted] = worker_pids()
        assert restarted != worker
    finally:
        server.stop()
