"""Menu, clarify, human handoff, feedback, greeting and the loading animation, each through signed webhook events
and the fake LINE API."""

from __future__ import annotations

import dataclasses
import time

from sqlmodel import select

from app.conversation import messages
from app.conversation.models import ConversationTurn, Feedback, UserState
from app.db import session_scope
from app.line import worker as line_worker
from app.nlu.service import Candidate, Understanding
from app.privacy import pseudonymise
from tests.conftest import post_webhook, text_event, webhook_body
from tests.conversation_helpers import (
    actions,
    exchange,
    flex_texts,
    follow_event,
    new_user,
    only_message,
    quick_data,
    quick_labels,
    say,
    tap,
)

MENU_TOPICS = ["青年/找工作", "薪資/勞資爭議", "職業安全", "移工", "身障就業", "退休/保險"]


def test_menu_shows_the_topics_and_a_person(client, line):
    menu = only_message(say(client, line, "選單", user=new_user()))
    labels = quick_labels(menu)
    assert labels[: len(MENU_TOPICS)] == MENU_TOPICS
    assert labels[-1] == "找真人"
    assert all(len(label) <= 20 for label in labels)


def test_choosing_a_topic_lists_its_services_and_a_service_opens_its_card(client, line):
    user = new_user()
    kb = client.app.state.runtime.content.kb
    menu = only_message(say(client, line, "選單", user=user))
    topic = only_message(tap(client, line, quick_data(menu, "青年/找工作"), user=user))
    assert topic["type"] == "flex" and topic["altText"].startswith("「青年/找工作」")
    listed = [messages.parse_postback(a["data"])["s"] for a in actions(topic["contents"]) if a["type"] == "postback"]
    assert sorted(listed) == sorted(s.id for s in kb.published if s.category == "youth_jobs")
    first = next(a for a in actions(topic["contents"]) if a["type"] == "postback")
    card = only_message(tap(client, line, first["data"], user=user))
    assert card["type"] == "flex"
    assert kb.service(listed[0]).title in flex_texts(card["contents"])


def test_menu_in_indonesian(client, line):
    menu = only_message(say(client, line, "menu bahasa", user=new_user()))
    assert "Topik apa" in menu["text"]
    assert "Pekerja migran" in quick_labels(menu)


def test_rich_menu_taps_use_the_users_language(client, line):
    user = new_user()
    say(client, line, "gaji saya belum dibayar majikan", user=user)  # the user writes Indonesian
    topic = only_message(tap(client, line, "a=cat&c=migrant", user=user))  # rich-menu postback: no language in it
    assert topic["altText"].startswith("Pekerja migran")


def with_engine(client, engine):
    """Answer with a scripted understanding (to test the reply to a decision, not the decision)."""
    runtime = client.app.state.runtime
    original = runtime.content
    runtime.content = dataclasses.replace(original, engine=engine)
    return original


class ScriptedEngine:
    def __init__(self, understanding: Understanding):
        self.understanding = understanding

    def understand(self, text: str) -> Understanding:
        return self.understanding


def test_clarify_offers_three_candidates_and_none_of_these(client, line):
    unsure = Understanding("clarify", "zh-TW", None, (
        Candidate("service:tc-union-leisure", 0.41), Candidate("service:tc-labour-rights-fund", 0.38),
        Candidate("service:tc-press-machine-subsidy", 0.30), Candidate("service:wages-unpaid", 0.2)), 0.41)
    original = with_engine(client, ScriptedEngine(unsure))
    try:
        user = new_user()
        clarify = only_message(say(client, line, "我想問補助", user=user))
    finally:
        client.app.state.runtime.content = original
    kb = original.kb
    labels = quick_labels(clarify)
    assert labels == [kb.service("tc-union-leisure").label, kb.service("tc-labour-rights-fund").label,
                      kb.service("tc-press-machine-subsidy").label, "都不是"]
    assert all(len(label) <= 20 for label in labels)
    assert kb.service("tc-labour-rights-fund").title in clarify["text"]
    chosen = only_message(tap(client, line, quick_data(clarify, labels[1]), user=user))
    assert kb.service("tc-labour-rights-fund").title in flex_texts(chosen["contents"])
    none = only_message(tap(client, line, quick_data(clarify, "都不是"), user=user))
    assert "換個說法" in none["text"] and "找真人" in quick_labels(none)


def test_asking_for_a_person_gives_phones_and_flags_the_user_for_staff(client, line):
    for text, expected in (("真人", "1955"), ("客服", "04-2217-7268"), ("I need a person", "free, 24 hours")):
        user = new_user()
        reply = only_message(say(client, line, text, user=user))
        assert expected in reply["text"], text
        for phone in ("1955", "04-2228-9111", "04-2217-7268"):
            assert phone in reply["text"]
        with session_scope() as session:
            state = session.get(UserState, pseudonymise(user))
            assert state is not None and state.handoff_requested_at is not None, text
    zh = only_message(say(client, line, "我要找真人", user=new_user()))["text"]
    assert "免付費、24 小時" in zh and "週一至週五" in zh and "免費律師" in zh


def test_handoff_from_the_menu_button(client, line):
    user = new_user()
    reply = only_message(tap(client, line, "a=human", user=user))
    assert "1955" in reply["text"]
    with session_scope() as session:
        assert session.get(UserState, pseudonymise(user)).handoff_requested_at is not None


def test_feedback_is_stored_with_the_conversation_and_a_second_tap_changes_it(client, line):
    user = new_user()
    card = only_message(say(client, line, "老闆欠薪三個月怎麼辦", user=user))
    buttons = {a["label"]: a for a in actions(card["contents"]) if a["type"] == "postback"}
    down = only_message(tap(client, line, buttons["👎 沒幫助"]["data"], user=user))
    assert "改進" in down["text"] and "找真人" in quick_labels(down)
    with session_scope() as session:
        turn = session.exec(select(ConversationTurn).where(ConversationTurn.user_pseudonym == pseudonymise(user),
                                                           ConversationTurn.service_id == "wages-unpaid")).one()
        assert turn.text == "老闆欠薪三個月怎麼辦"
        stored = session.exec(select(Feedback).where(Feedback.user_pseudonym == pseudonymise(user))).all()
        assert [(f.service_id, f.turn_id, f.helpful) for f in stored] == [("wages-unpaid", turn.id, False)]
    up = only_message(tap(client, line, buttons["👍 有幫助"]["data"], user=user))
    assert "謝謝" in up["text"]
    with session_scope() as session:
        stored = session.exec(select(Feedback).where(Feedback.user_pseudonym == pseudonymise(user))).all()
        assert [(f.turn_id, f.helpful) for f in stored] == [(turn.id, True)]


def test_a_complaint_in_words_asks_to_rate_the_last_answer(client, line):
    user = new_user()
    say(client, line, "老闆欠薪三個月怎麼辦", user=user)
    reply = only_message(say(client, line, "你回答錯了", user=user))
    assert "有幫助嗎" in reply["text"]
    assert messages.parse_postback(quick_data(reply, "👎 沒幫助")) == {"a": "fb", "s": "wages-unpaid", "v": "0",
                                                                     "l": "zh-TW"}


def test_the_conversation_log_keeps_personal_data_masked(client, line):
    user = new_user()
    say(client, line, "我的電話 0912345678，身分證 A123456789，老闆欠薪", user=user)
    with session_scope() as session:
        text = session.exec(select(ConversationTurn.text).where(ConversationTurn.user_pseudonym == pseudonymise(user))).one()
    assert "0912345678" not in text and "A123456789" not in text and "[phone]" in text and "[ID]" in text


def test_follow_greets_with_the_menu_in_the_profile_language(client, line):
    line.profile_language = "th"
    user = new_user()
    greeting = only_message(exchange(client, line, follow_event(user=user)))
    assert "สวัสดี" in greeting["text"]
    assert "แรงงานข้ามชาติ" in quick_labels(greeting)
    with session_scope() as session:
        assert session.get(UserState, pseudonymise(user)).language == "th"
    # A later message with no language of its own ("menu") keeps to the profile's language
    menu = only_message(say(client, line, "menu", user=user))
    assert "แรงงานข้ามชาติ" in quick_labels(menu) and "หัวข้อ" in menu["text"]


def test_follow_without_a_shared_language_greets_in_chinese(client, line):
    greeting = only_message(exchange(client, line, follow_event(user=new_user())))
    assert "勞工服務小幫手" in greeting["text"]
    assert quick_labels(greeting)[:6] == MENU_TOPICS


def test_slow_answer_in_a_one_to_one_chat_shows_the_loading_animation_first(client, line, monkeypatch):
    original = line_worker.AnswerWorker._respond

    def slow(self, eid, raw, content, profile_language):
        time.sleep(1.5)
        return original(self, eid, raw, content, profile_language)

    monkeypatch.setattr(line_worker.AnswerWorker, "_respond", slow)
    user = new_user()
    event = text_event("老闆欠薪怎麼辦", user=user)
    assert post_webhook(client, webhook_body(event)).status_code == 200
    assert len(line.wait_for_replies(1, token=event["replyToken"])) == 1
    paths = [r.path for r in line.requests]
    loading = next(r for r in line.requests if r.path == "/v2/bot/chat/loading/start")
    assert loading.body == {"chatId": user, "loadingSeconds": line_worker.LOADING_SECONDS}
    assert paths.index("/v2/bot/chat/loading/start") < paths.index("/v2/bot/message/reply")


def test_fast_answer_needs_no_loading_animation(client, line):
    say(client, line, "選單", user=new_user())
    assert not [r for r in line.requests if r.path == "/v2/bot/chat/loading/start"]


def test_while_content_loads_the_citizen_sees_the_loading_animation(client, line):
    runtime = client.app.state.runtime
    content, runtime.content = runtime.content, None
    user = new_user()
    event = text_event("老闆欠薪怎麼辦", user=user)
    try:
        assert post_webhook(client, webhook_body(event)).status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not line.requests:
            time.sleep(0.05)
        assert [(r.path, r.body["chatId"]) for r in line.requests] == [("/v2/bot/chat/loading/start", user)]
        assert line.replies() == []
    finally:
        runtime.content = content
    # Once content is back, the answer worker answers the stored event.
    assert len(line.wait_for_replies(1, token=event["replyToken"], timeout=20)) == 1


def test_a_plan_item_choice_answers_with_that_plan_item(client, line):
    """A clarification can offer a plan item no service covers; tapping it answers with the plan's own text."""
    kb = client.app.state.runtime.content.kb
    item = next(p for p in kb.plan_items if p.citizen_answer)
    reply = only_message(tap(client, line, messages.postback_data("plan", p=item.id, l="zh-TW"), user=new_user()))
    assert reply["type"] == "text" and reply["text"].startswith(f"【{item.name}】{item.agency}")
    assert item.citizen_answer in reply["text"]
