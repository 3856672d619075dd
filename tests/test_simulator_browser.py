"""The web chat simulator in a real headless Chromium (Debian's, driven by Playwright) against a real uvicorn process:
landing page, a typed question answered with a card drawn like LINE's, quick replies, the menu, and the eligibility
check clicked through to its verdict. Screenshots land in $SIMULATOR_SCREENSHOT_DIR (default /tmp)."""

from __future__ import annotations

import os
import subprocess
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
    for heading in ("適用對象／資格", "申請步驟"):
        assert heading in body
    assert card.locator("a.flex-button[href^='tel:']").count() >= 1
    assert card.locator("a.flex-button[href^='https:']").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "simulator-card.png"), full_page=False)
    card.evaluate("bubble => bubble.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SCREENSHOTS / "simulator-card-top.png"), full_page=False)
    # Whom to call and when it was checked: behind 「完整說明」
    card.locator("button.flex-button:text-is('完整說明')").click()
    details = page.locator(".flex-bubble:has-text('（詳細資料）')").last
    details.wait_for()
    for heading in ("洽詢", "資料來源", "資料最後確認"):
        assert heading in details.inner_text()

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


PHONE = {"width": 390, "height": 844}
# A card's first bubble as drawn: its height, and how far down its call and eligibility buttons end, from the
# bubble's top (CSS px; the simulator draws a giga bubble at this width as LINE does on a phone).
MEASURE_CARDS = """(checkLabels) => Array.from(document.querySelectorAll('#log .flex-container')).map(container => {
  const bubble = container.querySelector('.flex-bubble');
  const top = bubble.getBoundingClientRect().top;
  const end = node => node ? Math.round(node.getBoundingClientRect().bottom - top) : null;
  return {
    height: Math.round(bubble.getBoundingClientRect().height),
    call: end(bubble.querySelector("a.flex-button[href^='tel:']")),
    check: end(Array.from(bubble.querySelectorAll('.flex-button')).find(b => checkLabels.includes(b.textContent))),
  };
})"""


def thai_font_installed() -> bool:
    """Without one Chromium draws Thai as boxes of another size, so its Thai cards measure nothing real."""
    found = subprocess.run(["fc-list", ":lang=th"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def test_a_card_shows_what_to_act_on_within_a_phones_first_screen(browser_page):
    """On a 390 × 844 phone every published card's first bubble is at most 900 px tall, its call and eligibility
    buttons inside the first 844 px, and 「完整說明」 brings the rest."""
    from app.conversation import messages, texts, where
    from app.knowledge.schemas import Status
    from app.places.service import nearest_to_district
    from tests.test_conversation_cards import LANGUAGES, curated

    def card(service, lang: str) -> dict:
        """The card as someone in 大里 gets it, with its 「📍 離您最近」 line where the service has places."""
        nearby = nearest_to_district(curated().geography, "大里區", service.id)
        closest = where.nearest_line(nearby[0], messages.card_language(service, lang), "大里區") if nearby else None
        return messages.service_card(service, lang, closest=closest)

    page, seen = browser_page
    check_labels = sorted({texts.text("btn_check", lang) for lang in LANGUAGES})
    measured = {}
    page.set_viewport_size(PHONE)
    try:
        for name, question, title in (("youth", "台中年輕人就業獎勵怎麼申請", "臺中青年就業獎勵金"),
                                      ("wages", "老闆欠薪三個月怎麼辦", "老闆欠薪"),
                                      ("migrant-id", "Majikan menahan paspor saya", "menahan paspor")):
            say_in_a_new_conversation(page, seen, question)
            page.locator(".quick .chip").first.wait_for()
            if page.locator(".flex-bubble").count() == 0:  # the asked part came first, the card a tap away
                page.click(".quick .chip:text-is('完整說明')")
            bubble = page.locator(".flex-bubble").last
            bubble.wait_for()
            assert title in bubble.locator(".flex-block.header").inner_text()
            bubble.evaluate("bubble => bubble.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(SCREENSHOTS / f"simulator-phone-{name}.png"), full_page=False)
            measured[name] = page.evaluate(MEASURE_CARDS, check_labels)[-1]
        # 「完整說明」 on the card: the details, whole, in a bubble of their own
        bubble.locator(".flex-button").get_by_text(texts.text("btn_full", "id"), exact=True).click()
        details = page.locator(".flex-bubble").last
        details.locator(f"text={texts.text('h_contacts', 'id')}").wait_for()
        assert texts.text("h_sources", "id") in details.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "simulator-phone-details.png"), full_page=False)

        # Every published card in every language, as the bot sends it, drawn by the simulator
        services = [s for s in curated().services if s.status is Status.published]
        for lang in [lang for lang in LANGUAGES if lang != "th" or thai_font_installed()]:
            reply = {"kind": "answer", "language": lang, "matches": [],
                     "messages": [card(s, lang) for s in services]}
            page.route("**/api/ask", lambda route, _request, reply=reply: route.fulfill(json=reply))
            say_in_a_new_conversation(page, seen, "every card")
            page.locator(".flex-container").nth(len(services) - 1).wait_for()
            page.unroute("**/api/ask")
            drawn = page.evaluate(MEASURE_CARDS, check_labels)
            for service, shown in zip(services, drawn, strict=True):
                measured[(service.id, lang)] = shown
                assert shown["call"] or not messages.phone_contact(service), (service.id, lang)
                assert (shown["check"] is not None) == bool(service.eligibility_check), (service.id, lang)
            tallest = max(range(len(drawn)), key=lambda i: drawn[i]["height"])
            page.locator(".flex-bubble").nth(tallest).evaluate("bubble => bubble.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(SCREENSHOTS / f"simulator-phone-tallest-{lang}.png"), full_page=False)
    finally:
        page.set_viewport_size({"width": 480, "height": 900})
    tallest = sorted(measured.items(), key=lambda item: -item[1]["height"])[:10]
    print(f"\n{measured['youth']=}\n{measured['wages']=}\n{measured['migrant-id']=}\ntallest:", *tallest, sep="\n")
    too_tall = {key: shown for key, shown in measured.items() if shown["height"] > 900}
    below = {key: shown for key, shown in measured.items()
             if max(shown["call"] or 0, shown["check"] or 0) > PHONE["height"]}
    assert not too_tall and not below, (too_tall, below)
    assert seen.errors == [] and seen.outside_requests == []
