"""Service cards: every curated service's card, in every reply language, is valid for LINE (schema and limits) and
leads with what a citizen acts on — who qualifies, the numbered steps, the buttons to call, check eligibility and
open the official page — while 「完整說明」, one tap away, brings everything else: documents, amounts with their
year, notes, whom to call, the sources and when it was last checked."""

from __future__ import annotations

import json
from functools import lru_cache

import pytest

from app.config import get_settings
from app.conversation import messages, texts
from app.db import taipei_today
from app.knowledge.schemas import Status
from app.knowledge.service import load_from_files
from tests.conversation_helpers import (
    BUBBLE_BYTES,
    actions,
    assert_within_limits,
    flex_texts,
    new_user,
    only_message,
    say,
    tap,
)
from tests.line_schema import assert_valid

LANGUAGES = ("zh-TW", "en", "id", "vi", "th")


@lru_cache
def curated():
    settings = get_settings()
    return load_from_files(settings.knowledge_dir, settings.intents_dir)


def all_services():
    return curated().services


def test_there_are_curated_services_to_check():
    assert len(all_services()) >= 50
    assert any(s.translations for s in all_services())
    assert any(s.eligibility_check for s in all_services())


def details_tap(card: dict) -> dict:
    """The 「完整說明」 button of a card."""
    return next(a for a in actions(card["contents"]["footer"]) if a["type"] == "postback"
                and messages.parse_postback(a["data"]).get("d"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_service_card_and_its_details_are_valid_for_line_in_every_language(lang):
    largest = (0, "")
    for service in all_services():
        card, details = messages.service_card(service, lang), messages.service_details(service, lang)
        # the card is one bubble (a carousel's bubbles are drawn as tall as its tallest, pushing the buttons down)
        assert card["type"] == "flex" and card["contents"]["type"] == "bubble", (service.id, lang)
        assert details["type"] == "flex", (service.id, lang)  # never the plain-text fallback
        for message in (card, details):
            assert_valid({"replyToken": "t", "messages": [message]}, "ReplyMessageRequest")
            assert_within_limits(message)
        # the details: one bubble, or — too long for one — two side by side
        shown = details["contents"]
        bubbles = shown["contents"] if shown["type"] == "carousel" else [shown]
        assert len(bubbles) <= 2 and len(json.dumps(details["contents"]).encode()) <= 50_000, (service.id, lang)
        for bubble in [card["contents"], *bubbles]:
            largest = max(largest, (len(json.dumps(bubble).encode()), service.id))
    assert largest[0] <= BUBBLE_BYTES, largest
    print(f"\nlargest {lang} bubble: {largest[1]} {largest[0]:,} bytes")


def test_card_leads_with_what_a_citizen_acts_on():
    service = curated().service("tc-youth-employment-reward")
    assert len(service.eligibility) > messages.LEAD_ITEMS and len(service.steps) > messages.LEAD_ITEMS
    card = messages.service_card(service, "zh-TW")
    bubble = card["contents"]
    shown = flex_texts(bubble)
    assert service.title in shown and service.agency in shown
    assert service.summary in shown  # drawn in at most two lines; whole in the details
    # who qualifies and the steps, first; the first few of each, each in at most two lines, and how many more
    assert shown.index("適用對象／資格") < shown.index("申請步驟")
    assert [line for line in service.eligibility if line in shown] == service.eligibility[:messages.LEAD_ITEMS]
    assert [step for step in service.steps if step in shown] == service.steps[:messages.LEAD_ITEMS]
    assert ["1.", "2.", "3."] == [t for t in shown if t.endswith(".") and t[:-1].isdigit()]
    assert f"…還有 {len(service.steps) - messages.LEAD_ITEMS} 項，請按「完整說明」" in shown
    clamped = [c for c in _components(bubble["body"]) if c.get("text") in service.steps + service.eligibility]
    assert clamped and all(c["maxLines"] == messages.LEAD_LINES for c in clamped)
    # the rest is for the details
    for heading in ("應備文件", "補助／金額", "洽詢", "資料來源"):
        assert heading not in shown
    assert not any(t.startswith("資料最後確認") for t in shown)
    buttons = {a["label"]: a for a in actions(bubble["footer"])}
    call = next(a for label, a in buttons.items() if label.startswith("📞"))
    assert call["uri"] == "tel:0422225153,230"
    page = buttons["🌐 官方網頁"]
    assert page["uri"].startswith("https://") and "taichung.gov.tw" in page["uri"]
    check = buttons["我符合資格嗎？"]
    assert messages.parse_postback(check["data"]) == {"a": "elig", "s": service.id, "l": "zh-TW"}
    assert messages.parse_postback(buttons["完整說明"]["data"]) == {"a": "svc", "s": service.id, "d": "1", "l": "zh-TW"}
    assert messages.parse_postback(buttons["👍 有幫助"]["data"])["v"] == "1"
    assert messages.parse_postback(buttons["👎 沒幫助"]["data"])["v"] == "0"
    # call first, then the eligibility check, then the official page beside 「完整說明」, then the rating
    assert list(buttons) == [call["label"], "我符合資格嗎？", "🌐 官方網頁", "完整說明", "👍 有幫助", "👎 沒幫助"]
    # The notification preview is a readable sentence: the title, then the start of the summary.
    assert card["altText"].startswith(f"{service.title}：{service.summary[:20]}")


def test_the_details_have_everything_whole():
    service = curated().service("tc-youth-employment-reward")
    details = messages.service_details(service, "zh-TW")
    bubble = details["contents"]
    assert bubble["type"] == "bubble" and "footer" not in bubble
    shown = flex_texts(bubble)
    assert f"{service.title}（詳細資料）" in shown and service.summary in shown
    for heading in ("適用對象／資格", "申請步驟", "應備文件", "補助／金額", "洽詢", "資料來源"):
        assert heading in shown
    assert all(line in shown for line in service.eligibility) and all(step in shown for step in service.steps)
    assert not any("maxLines" in c for c in _components(bubble))
    # Every amount with its year
    assert any("NT$5,000" in t and "2025 年" in t for t in shown)
    in_force = [b for _, b in service.benefits_on(taipei_today())]
    assert in_force and all(any(b.description in t and str(b.year) in t for t in shown) for b in in_force)
    assert f"資料最後確認：{service.last_verified}" in shown
    # each source with its year, a source with a page opening it
    for source in service.sources:
        assert any(source.title in t and (not source.year or str(source.year) in t) for t in shown)
    assert {str(s.url) for s in service.sources if s.url} <= {a["uri"] for a in actions(bubble) if a["type"] == "uri"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_nothing_curated_is_lost_every_field_is_one_tap_from_the_card(lang):
    for service in (s for s in all_services() if s.status is Status.published):
        card = messages.service_card(service, lang)
        assert messages.parse_postback(details_tap(card)["data"]) == {"a": "svc", "s": service.id, "d": "1", "l": lang}
        card_lang = messages.card_language(service, lang)
        fields = messages.localized(service, card_lang)
        shown = "\n".join(flex_texts(messages.service_details(service, lang)["contents"]))
        curated_lines = [fields["title"], fields["summary"], *fields["eligibility"], *fields["steps"],
                         *fields["documents"], *fields["notes"], *messages.window_lines(service, card_lang),
                         *messages.benefit_lines(service, card_lang), *(s.title for s in service.sources),
                         texts.text("last_verified", card_lang).format(date=service.last_verified.isoformat())]
        for contact in messages.localized_contacts(service, card_lang):
            curated_lines += [contact.name, *filter(None, [contact.hours, contact.address])]
            if contact.phone:
                curated_lines.append(messages.display_phone(contact.phone, card_lang))
        assert [line for line in curated_lines if line not in shown] == [], (service.id, lang)


def test_the_card_s_full_details_button_brings_them(client, line):
    user = new_user()
    card = only_message(say(client, line, "老闆欠薪三個月怎麼辦", user=user))
    service = curated().service("wages-unpaid")
    assert service.title in flex_texts(card["contents"])
    details = only_message(tap(client, line, details_tap(card)["data"], user=user))
    shown = flex_texts(details["contents"])
    assert f"{service.title}（詳細資料）" in shown and "洽詢" in shown and "資料來源" in shown
    assert all(note in "\n".join(shown) for note in service.notes)
    # still about that service: a follow-up is answered about it
    follow_up = only_message(say(client, line, "電話呢", user=user))
    assert service.title in follow_up.get("text", "") or service.title in flex_texts(follow_up.get("contents", {}))


def _components(node) -> list[dict]:
    if isinstance(node, dict):
        return [node] + [c for key, value in node.items() if key != "action" for c in _components(value)]
    if isinstance(node, list):
        return [c for value in node for c in _components(value)]
    return []


def test_eligibility_button_only_where_there_is_a_check():
    for service in all_services():
        labels = [a["label"] for a in actions(messages.service_card(service, "zh-TW")["contents"])]
        assert ("我符合資格嗎？" in labels) == bool(service.eligibility_check), service.id


def test_documents_section_only_when_there_are_documents():
    for service in all_services():
        shown = flex_texts(messages.service_details(service, "zh-TW")["contents"])
        assert ("應備文件" in shown) == bool(service.documents), service.id


def test_every_published_service_card_can_be_acted_on():
    for service in (s for s in all_services() if s.status is Status.published):
        uris = [a["uri"] for a in actions(messages.service_card(service, "zh-TW")["contents"]) if a["type"] == "uri"]
        assert any(u.startswith("tel:") for u in uris) or any(u.startswith("https:") for u in uris), service.id


def test_translated_service_card_speaks_the_users_language():
    service = curated().service("wages-unpaid")
    card = messages.service_card(service, "id")
    shown = flex_texts(card["contents"])
    assert service.translations["id"].title in shown
    assert texts.text("h_eligibility", "id") in shown and texts.text("h_steps", "id") in shown
    assert "Biro Tenaga Kerja Kota Taichung（臺中市政府勞工局）" in shown
    translation = service.translations["id"]
    assert card["altText"].startswith(f"{translation.title}: {translation.summary[:20]}")  # a Latin colon in Latin text
    assert texts.text("see_1955", "id") not in " ".join(shown)  # nothing to apologise for: it is translated


def test_untranslated_service_card_is_chinese_with_a_1955_line_in_the_users_language():
    service = curated().service("tc-press-machine-subsidy")
    assert "vi" not in service.translations
    card = messages.service_card(service, "vi")
    shown = flex_texts(card["contents"])
    assert service.title in shown and "適用對象／資格" in shown
    assert "🌏 " + texts.text("see_1955", "vi") in shown
    assert any(a["uri"] == "tel:1955" and "tiếng Việt" in a["label"] for a in actions(card["contents"])
               if a["type"] == "uri")


def test_long_content_gets_compact_details_that_keep_every_line():
    service = curated().service("tc-youth-employment-reward")
    long_steps = [f"第{n}步：" + "請攜帶身分證明文件到就業服務站辦理登記並等候通知。" * 2 for n in range(1, 25)]
    longer = service.model_copy(update={"steps": long_steps})
    card, details = messages.service_card(longer, "zh-TW"), messages.service_details(longer, "zh-TW")
    assert card["contents"]["type"] == "bubble" and details["contents"]["type"] == "bubble"
    assert "…還有 21 項，請按「完整說明」" in flex_texts(card["contents"])
    assert len(json.dumps(details["contents"]).encode()) <= BUBBLE_BYTES
    assert_valid({"replyToken": "t", "messages": [card, details]})
    joined = "\n".join(flex_texts(details["contents"]))
    assert all(step in joined for step in long_steps)


def test_details_too_long_for_one_bubble_are_split_in_two_then_sent_as_text_rather_than_refused():
    service = curated().service("tc-youth-employment-reward")
    step = "請攜帶身分證明文件到就業服務站辦理登記並等候通知。" * 3
    long_steps, long_notes = [f"第{n}步：" + step for n in range(1, 26)], [f"注意{n}：" + step for n in range(1, 26)]
    longer = service.model_copy(update={"steps": long_steps, "notes": long_notes})
    card, message = messages.service_card(longer, "zh-TW"), messages.service_details(longer, "zh-TW")
    assert card["contents"]["type"] == "bubble"  # the card shows the first steps, whatever their number
    # what to do on the first bubble, the rest on the second
    first, second = message["contents"]["contents"]
    assert message["contents"]["type"] == "carousel"
    assert any(long_steps[-1] in t for t in flex_texts(first)) and any(long_notes[0] in t for t in flex_texts(second))
    assert_valid({"replyToken": "t", "messages": [card, message]})
    assert_within_limits(message)

    too_long = service.model_copy(update={"steps": [f"第{n}步：" + step for n in range(1, 80)]})
    message = messages.service_details(too_long, "zh-TW")
    assert message["type"] == "text" and message["text"].startswith(f"【{service.title}】")
    assert_valid({"replyToken": "t", "messages": [message]})
    assert_within_limits(message)
    assert messages.service_card(too_long, "zh-TW")["contents"]["type"] == "bubble"


def test_plain_text_fallback_has_the_same_facts():
    service = curated().service("tc-youth-employment-reward")
    text = messages.service_text(service, "zh-TW")
    for part in (service.title, "申請步驟", "1. " + service.steps[0], "04-2222-5153 分機 230",
                 f"資料最後確認：{service.last_verified}"):
        assert part in text


def test_phone_numbers_read_as_people_write_them():
    assert messages.display_phone("0422289111,35099") == "04-2228-9111 分機 35099"
    assert messages.display_phone("0800777888") == "0800-777-888"
    assert messages.display_phone("0912206273") == "0912-206-273"
    assert messages.display_phone("1955") == "1955"
    assert messages.display_phone("0422289111,35500", "en") == "04-2228-9111 ext. 35500"


def test_a_question_through_the_webhook_gets_the_card(client, line):
    body = say(client, line, "老闆欠薪三個月怎麼辦", user=new_user())
    card = only_message(body)
    assert card["type"] == "flex" and card["contents"]["type"] == "bubble"
    service = curated().service("wages-unpaid")
    assert service.title in flex_texts(card["contents"])
    assert card["altText"].startswith(service.title)


def test_cli_prints_the_plain_text_answer(client, capsys):
    from app.cli import main

    assert main(["ask", "老闆欠薪三個月怎麼辦"]) == 0
    printed = capsys.readouterr().out
    assert "申請步驟" in printed and "1. " in printed and "資料最後確認" in printed
