"""The web chat simulator in a real headless Chromium (Debian's, driven by Playwright) against a real uvicorn process:
landing page, a typed question answered with a card drawn like LINE's, quick replies, the menu, and the eligibility
check clicked through to its verdict. Screenshots land in $SIMULATOR_SCREENSHOT_DIR (default /tmp)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conversation_helpers import live_server

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("SIMULATOR_SCREENSHOT_DIR", "/tmp"))

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make browser)")


@dataclass
class Seen:
    base_url: str
    outside_requests: list[str] = field(default_factory=list)  # must stay empty: no CDN, no network
    errors: list[str] = field(default_factory=list)  # JavaScript errors


@pytest.fixture(scope="module")
def browser_page():
    server = live_server()
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 480, "height": 900}, locale="zh-TW")
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        seen = Seen(server.url)
        tab.on("request", lambda r: None if r.url.startswith(server.url) else seen.outside_requests.append(r.url))
        tab.on("pageerror", lambda e: seen.errors.append(str(e)))
        yield tab, seen
        browser.close()


def test_landing_page_says_what_the_bot_is_and_links_on(browser_page):
    page, seen = browser_page
    page.goto(seen.base_url + "/")
    assert "勞工服務小幫手" in page.text_content("h1")
    hrefs = page.eval_on_selector_all("nav a", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["/try", "/docs", "/console"]
    page.click("text=試用聊天模擬器")
    page.wait_for_url("**/try")


def test_question_card_quick_reply_and_eligibility_check(browser_page):
    page, seen = browser_page
    page.goto(seen.base_url + "/try")
    page.fill("#text", "老闆欠薪三個月怎麼辦")
    page.click("#send")
    card = page.locator(".flex-bubble").last
    card.wait_for()
    assert "老闆欠薪" in card.locator(".flex-block.header").inner_text()
    body = card.inner_text()
    for heading in ("適用對象／資格", "申請步驟", "洽詢", "資料最後確認"):
        assert heading in body
    assert card.locator("a.flex-button[href^='tel:']").count() >= 1
    assert card.locator("a.flex-button[href^='https:']").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "simulator-card.png"), full_page=False)
    card.evaluate("bubble => bubble.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SCREENSHOTS / "simulator-card-top.png"), full_page=False)

    # A quick reply under the card: the menu, then a topic, then a service in it
    page.click(".quick .chip:text-is('選單')")
    page.locator(".quick .chip:text-is('青年/找工作')").click()
    topic = page.locator(".flex-bubble:has-text('點選想了解的服務')").last
    topic.wait_for()
    topic.screenshot(path=str(SCREENSHOTS / "simulator-topic.png"))
    topic.locator(".flex-button:has-text('臺中青年就業獎勵金')").click()
    page.locator(".flex-bubble .flex-button:text-is('我符合資格嗎？')").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "simulator-youth-card.png"), full_page=False)

    # The eligibility check, clicked through
    page.locator(".flex-bubble .flex-button:text-is('我符合資格嗎？')").last.click()
    for number in range(1, 5):
        page.locator(f".bubble.text:has-text('資格檢查 {number}/4')").wait_for()
        page.screenshot(path=str(SCREENSHOTS / f"simulator-check-{number}.png"), full_page=False)
        page.click(".quick .chip:text-is('是')")
    verdict = page.locator(".flex-bubble:has-text('看起來符合')")
    verdict.wait_for()
    assert "接下來" in verdict.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "simulator-verdict.png"), full_page=False)
    # What the user tapped shows as their own message, as LINE shows displayText
    assert page.locator(".row.user .bubble:text-is('我符合資格嗎？')").count() == 1
    assert seen.errors == [] and seen.outside_requests == []


def say_in_a_new_conversation(page, seen, text: str) -> None:
    page.goto(seen.base_url + "/try")
    page.click("#restart")
    page.fill("#text", text)
    page.click("#send")


def test_typed_answer_and_cancel_in_the_simulator(browser_page):
    page, seen = browser_page
    say_in_a_new_conversation(page, seen, "選單")
    page.locator(".quick .chip:text-is('青年/找工作')").click()
    page.locator(".flex-bubble .flex-button:has-text('臺中青年就業獎勵金')").click()
    page.locator(".flex-bubble .flex-button:text-is('我符合資格嗎？')").last.click()
    page.locator(".bubble.text:has-text('資格檢查 1/4')").wait_for()
    page.fill("#text", "是")
    page.click("#send")
    page.locator(".bubble.text:has-text('資格檢查 2/4')").wait_for()
    page.click(".quick .chip:text-is('取消')")
    page.locator(".bubble.text:has-text('已取消資格檢查')").wait_for()
    assert seen.errors == [] and seen.outside_requests == []


def test_the_menu_button_keeps_the_language_of_the_conversation(browser_page):
    page, seen = browser_page
    say_in_a_new_conversation(page, seen, "Gaji saya belum dibayar majikan selama tiga bulan")
    page.locator(".flex-bubble").last.wait_for()
    page.click("#menu")
    page.locator(".bubble.text:has-text('Topik apa yang Anda perlukan?')").wait_for()
    assert page.locator(".row.user .bubble:text-is('Menu')").count() == 1
    assert page.locator(".bubble.text:has-text('想了解哪一類服務')").count() == 0  # not switched to Chinese
    assert seen.errors == [] and seen.outside_requests == []


def test_a_long_card_is_shown_from_its_title_above_the_quick_replies_and_rated_once(browser_page):
    page, seen = browser_page
    say_in_a_new_conversation(page, seen, "臺中青年就業獎勵金")
    card = page.locator(".flex-bubble").last
    card.wait_for()
    page.locator(".quick .chip").first.wait_for()
    log_box, header = page.locator("#log").bounding_box(), card.locator(".flex-block.header").bounding_box()
    quick_box = page.locator("#quick").bounding_box()
    # the card's title is in view, and nothing of the log lies under the quick-reply bar
    assert log_box["y"] <= header["y"] < log_box["y"] + log_box["height"]
    assert log_box["y"] + log_box["height"] <= quick_box["y"] + 1
    assert page.locator(".meta").count() == 0  # the debug line is for staff (?debug=1) only
    helpful = card.locator("button.flex-button:text-is('👍 有幫助')")
    helpful.click()
    page.locator(".bubble.text:has-text('謝謝')").last.wait_for()
    assert helpful.is_disabled() and card.locator("button.flex-button:text-is('👎 沒幫助')").is_disabled()
    page.goto(seen.base_url + "/try?debug=1")
    page.fill("#text", "老闆欠薪三個月怎麼辦")
    page.click("#send")
    page.locator(".meta").first.wait_for()
    assert "answer" in page.locator(".meta").first.inner_text()
    assert seen.errors == [] and seen.outside_requests == []
