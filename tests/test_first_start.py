"""A first start on a fresh machine (no retrieval index on disk): the bot answers within seconds from the words alone,
says so on /readyz with the complete build's progress and in the simulator, and swaps in the complete index when it
is built — through a real `python -m app serve` (web process and answer worker), signed webhooks and the fake LINE API.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import sign, text_event, webhook_body
from tests.servers import ServerProcess, private_database

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
# The lexical engine takes about 12 s on an idle two-core machine; this allows for a busy one.
ANSWERING_DEADLINE_SECONDS = 120
COMPLETE_DEADLINE_SECONDS = 600


@pytest.fixture
def cold_server(client, tmp_path):
    """`serve` on a database of its own and an empty index directory: nothing it can load."""
    with private_database(tmp_path) as url:
        # The complete index trained lightly: what is tested is the start, not how well that index routes.
        env = {"DATABASE_URL": url, "DATA_DIR": str(tmp_path), "INDEX_DIR": str(tmp_path / f"index-{uuid.uuid4().hex}"),
               "BUILTIN_MEMBERS": "1", "BUILTIN_EPOCHS": "2"}
        server = ServerProcess(env, tmp_path / "cold.log").wait_listening()
        try:
            yield server
        finally:
            server.stop()


def readiness(server: ServerProcess) -> tuple[int, dict]:
    response = httpx.get(server.url + "/readyz", timeout=5)
    return response.status_code, response.json()


def wait_until(condition, deadline_seconds: float, what: str, server: ServerProcess):
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {deadline_seconds}s:\n{server.log_path.read_text()[-3000:]}")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make browser)")
def test_a_first_start_answers_from_the_words_alone_then_from_the_complete_index(cold_server, line):
    started = time.monotonic()
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-TW")
        page.set_default_timeout(ANSWERING_DEADLINE_SECONDS * 1000)
        page.goto(cold_server.url + "/try")
        banner = page.locator("#startup")
        banner.wait_for(state="visible")
        assert "啟動" in banner.inner_text(), "the simulator's user is told the bot is starting"

        status, body = wait_until(lambda: (r := readiness(cold_server))[0] == 200 and r, ANSWERING_DEADLINE_SECONDS,
                                  "answering", cold_server)
        answering_after = time.monotonic() - started
        assert body["answering_from"] == "lexical" and not body["index_complete"], body
        build = body["index_build"]
        assert build["steps"] >= 2 and build["steps_done"] < build["steps"], "the complete build's progress is shown"

        event = text_event("老闆欠我兩個月薪水怎麼辦")
        payload = webhook_body(event)
        response = httpx.post(cold_server.url + "/callback", content=payload,
                              headers={"Content-Type": "application/json", "X-Line-Signature": sign(payload)})
        assert response.status_code == 200
        reply = line.wait_for_replies(1, token=event["replyToken"], timeout=30)[0]
        assert "wages-unpaid" in str(reply.body["messages"]), "answered from the words alone, with the right service"
        log = cold_server.log_path.read_text()
        assert "no retrieval index on disk yet" in log and "lexical engine ready" in log, "the log says so"

        playwright_api.expect(banner).to_contain_text("關鍵字比對")
        page.fill("#text", "老闆欠薪三個月怎麼辦")
        page.click("#send")
        card = page.locator(".flex-bubble").last
        card.wait_for()
        assert "欠薪" in card.inner_text()

        wait_until(lambda: readiness(cold_server)[1].get("answering_from") == "complete", COMPLETE_DEADLINE_SECONDS,
                   "the complete index", cold_server)
        assert "index_build" not in readiness(cold_server)[1]
        log = cold_server.log_path.read_text()
        assert log.count("lexical engine ready") == 2 and log.count("lexical engine for knowledge") == 1, \
            "the web process and the worker both answer from the lexical engine, which one of them built"
        playwright_api.expect(banner).to_be_hidden(timeout=10_000)
        browser.close()
    print(f"first start: answering after {answering_after:.1f}s, complete after {time.monotonic() - started:.1f}s")
