"""A conversation, not one message at a time: follow-ups understood against the service being discussed, the asked
part answered first in a short message, facts the person states used for eligibility, a topic switch, 「重新開始」,
expiry, and the same in a migrant worker's language. Through signed webhook events and the fake LINE API, every
reply validated against LINE's schema; the state lives in the database, shown by a second server process."""

from __future__ import annotations

import datetime as dt

from app.config import get_settings
from app.conversation import answers, messages
from app.conversation.evaluation import outcome, short_enough
from app.conversation.models import UserState
from app.conversation.service import Match, Reply
from app.db import session_scope, utcnow
from app.knowledge.service import load_from_files
from app.nlu.aspects import Aspect, detect_aspect, follow_up_only, switches_topic
from app.nlu.facts import extract_facts
from app.privacy import pseudonymise
from tests.conftest import text_event, webhook_body
from tests.conversation_helpers import live_server, new_user, only_message, quick_data, quick_labels, say
from tests.line_schema import assert_valid

YOUTH = "tc-youth-employment-reward"


def knowledge():
    settings = get_settings()
    return load_from_files(settings.knowledge_dir, settings.intents_dir)


def state_of(user: str) -> UserState:
    with session_scope() as session:
        return session.get(UserState, pseudonymise(user))


def short_text(message: dict, service_id: str = YOUTH, lang: str = "zh-TW") -> str:
    """The text of a message well under the length of the service's whole card."""
    assert message["type"] == "text", message
    assert short_enough(message["text"], knowledge().service(service_id), lang), len(message["text"])
    return message["text"]


def test_follow_ups_are_answered_about_the_service_being_discussed(client, line):
    youth, user = knowledge().service(YOUTH), new_user()
    first = only_message(say(client, line, "台中年輕人就業獎勵怎麼申請", user=user))
    text = short_text(first)  # asked how to apply: the steps first, short, the card a tap away
    assert "申請步驟" in text and youth.steps[0][:12] in text
    assert quick_labels(first)[0] == "完整說明"
    assert state_of(user).topic_service_ids[0] == YOUTH

    documents = short_text(only_message(say(client, line, "那需要準備哪些東西", user=user)))
    assert "應備文件" in documents and all(d in documents for d in youth.documents[:3])

    amount = short_text(only_message(say(client, line, "最多可以拿多少", user=user)))
    assert "NT$12,000" in amount and "NT$43,000" in amount

    where = short_text(only_message(say(client, line, "在哪裡辦", user=user)))
    assert "市府路59-1號" in where

    phone = short_text(only_message(say(client, line, "電話呢", user=user)))
    assert "04-2222-5153" in phone and "04-2527-1812" in phone


def test_stated_facts_answer_the_eligibility_questions_they_settle(client, line):
    user = new_user()
    say(client, line, "台中年輕人就業獎勵怎麼申請", user=user)
    reply = only_message(say(client, line, "我26歲設籍西屯 符合嗎", user=user))
    # Household in Taichung and age are settled by what was said; the check asks the first open question
    assert "26 歲" in reply["text"] and "西屯區" in reply["text"]
    assert "資格檢查 3/4" in reply["text"] and "沒有工作" in reply["text"]
    assert state_of(user).facts == {"age": 26, "district": "西屯區", "in_taichung": True, "taichung_household": True}
    assert "資格檢查 4/4" in only_message(say(client, line, "對", user=user))["text"]


def test_a_fact_that_disqualifies_is_said_at_once(client, line):
    user = new_user()
    say(client, line, "台中青年就業獎勵金", user=user)
    reply = only_message(say(client, line, "我今年33歲 設籍豐原 可以領嗎", user=user))
    assert reply["type"] == "flex"
    assert "可能不符合" in reply["altText"] or "33 歲" in reply["altText"]


def test_a_message_naming_another_service_switches_topic(client, line):
    user = new_user()
    say(client, line, "台中年輕人就業獎勵怎麼申請", user=user)
    switched = only_message(say(client, line, "另外想問特休怎麼算", user=user))
    assert state_of(user).topic_service_ids[0] == "working-hours"
    assert "特別休假" in str(switched) or "特休" in str(switched)


def test_a_new_question_read_as_a_follow_up_still_offers_the_service_it_names(client, line):
    """「那勞保要帶什麼」 after unpaid wages: whether or not the bot stays on wages, labour insurance is a tap away."""
    user = new_user()
    say(client, line, "老闆欠薪三個月怎麼辦", user=user)
    reply = only_message(say(client, line, "那勞保要帶什麼", user=user))
    offered = [quick_data(reply, label) for label in quick_labels(reply) if label.startswith("或：")]
    assert state_of(user).topic_service_ids[0] == "labour-insurance" or any("s=labour-insurance" in d for d in offered)


def test_a_question_the_engine_cannot_place_alone_is_about_the_service_being_discussed(client, line):
    """On its own, 「我開店還沒滿一年的也可以嗎」 is spread over youth and start-up services (a choice list); in a
    conversation about start-up loans it is about those."""
    question = "我開店還沒滿一年的也可以嗎"
    alone = only_message(say(client, line, question, user=new_user()))
    assert "請選一個" in alone["text"] and "s=startup-loans" in str(alone), f"no longer ambiguous alone: {alone}"
    user = new_user()
    say(client, line, "創業鳳凰貸款要怎麼申請", user=user)
    assert state_of(user).topic_service_ids[0] == "startup-loans"
    reply = only_message(say(client, line, question, user=user))
    assert "請選一個" not in str(reply) and state_of(user).topic_service_ids[0] == "startup-loans", reply


def test_start_over_forgets_the_conversation(client, line):
    user = new_user()
    say(client, line, "台中年輕人就業獎勵怎麼申請", user=user)
    reset = only_message(say(client, line, "重新開始", user=user))
    assert "重新開始" in reset["text"]
    stored = state_of(user)
    assert stored.topic_service_ids == [] and stored.facts == {}
    after = only_message(say(client, line, "那需要準備哪些東西", user=user))
    assert "就業獎勵" not in str(after)


def test_a_quiet_conversation_is_forgotten(client, line):
    user = new_user()
    say(client, line, "台中年輕人就業獎勵怎麼申請", user=user)
    with session_scope() as session:
        state = session.get(UserState, pseudonymise(user))
        state.updated_at = utcnow() - dt.timedelta(minutes=get_settings().conversation_memory_minutes + 1)
        session.add(state)
    after = only_message(say(client, line, "那需要準備哪些東西", user=user))
    assert "就業獎勵" not in str(after)


def test_the_conversation_lives_in_the_database_across_two_processes(client, line):
    """Process A (the test app) answers the first message; process B (another uvicorn) the follow-up."""
    other, user = live_server(), new_user()
    say(client, line, "Majikan saya belum bayar gaji 2 bulan", user=user)
    event = text_event("Alamat kantornya di mana?", user=user)
    assert other.post_webhook(webhook_body(event)).status_code == 200
    replies = line.wait_for_replies(1, token=event["replyToken"], timeout=30)
    assert len(replies) == 1
    assert_valid(replies[0].body, "ReplyMessageRequest")
    reply = only_message(replies[0].body)
    topic = state_of(user).topic_service_ids[0]
    assert topic in ("wages-unpaid", "migrant-worker-help")
    text = short_text(reply, topic, "id")
    assert "Kontak" in text  # the contacts, headed in Indonesian
    assert state_of(user).language == "id"
    # And back to process A, which reads what B stored
    documents = short_text(only_message(say(client, line, "Dokumen apa yang harus dibawa?", user=user)), topic, "id")
    assert "Dokumen" in documents


def test_a_clear_favourite_is_answered_with_the_next_services_one_tap_away(client, line):
    user = new_user()
    reply = only_message(say(client, line, "被叫去加班都沒給錢", user=user))
    assert reply["type"] == "flex" and reply["altText"].startswith("工時、加班")
    assert any(label.startswith("或：") for label in quick_labels(reply))
    alternative = next(label for label in quick_labels(reply) if label.startswith("或："))
    assert quick_data(reply, alternative).startswith("a=svc")


def test_a_tapped_part_answers_that_part(client, line):
    user = new_user()
    card = only_message(say(client, line, "被叫去加班都沒給錢", user=user))
    contacts = only_message(tap_label(client, line, card, "電話地址", user))
    assert "洽詢" in short_text(contacts, "working-hours")


def tap_label(client, line, message: dict, label: str, user: str) -> dict:
    from tests.conversation_helpers import tap

    return tap(client, line, quick_data(message, label), user=user)


# --- the parts: which aspect, which facts, which message ---------------------------------------------------------


def test_aspects_are_read_in_every_language():
    cases = {
        "證件要帶哪些？": Aspect.documents, "我符合嗎": Aspect.eligibility, "多少錢": Aspect.amount,
        "電話呢": Aspect.contact, "在哪裡辦": Aspect.apply, "要多久": Aspect.deadline,
        "Alamat kantornya di mana?": Aspect.contact, "Where do I go?": Aspect.apply,
        "Cần giấy tờ gì?": Aspect.documents, "ต้องใช้เอกสารอะไรบ้าง": Aspect.documents,
        "how much can I get": Aspect.amount, "Berapa lama prosesnya? kapan": Aspect.deadline,
        "頭家欠我兩個月薪水": None,
    }
    for text, aspect in cases.items():
        assert detect_aspect(text) == aspect, text


def test_a_follow_up_is_told_from_a_question_with_a_topic_of_its_own():
    assert follow_up_only("那需要準備哪些東西")
    assert follow_up_only("Where do I go?")
    assert not follow_up_only("失業給付要帶哪些證件")
    assert switches_topic("另外想問特休怎麼算") and not switches_topic("那電話呢")


def test_facts_are_read_only_when_said_plainly():
    assert extract_facts("我26歲設籍西屯 符合嗎") == {"age": 26, "district": "西屯區", "in_taichung": True,
                                                "taichung_household": True}
    assert extract_facts("I was laid off last week, I'm 45 years old") == {
        "age": 45, "unemployed": True, "involuntary_leaver": True}
    assert extract_facts("saya pekerja migran umur 30") == {"age": 30, "migrant_worker": True}
    assert extract_facts("自己離職的 可以領嗎") == {"involuntary_leaver": False}
    assert extract_facts("世界和平") == {} and extract_facts("台中有什麼好玩") == {}


def test_every_aspect_answer_of_every_service_is_short_valid_and_curated():
    """Built from the curated fields only; a part the service does not list says so and gives the number."""
    for service in knowledge().published:
        for aspect in Aspect:
            for lang in ("zh-TW", "en", "id", "vi", "th"):
                message = answers.aspect_message(service, aspect, lang)
                assert_valid({"replyToken": "x", "messages": [message]}, "ReplyMessageRequest")
                assert short_enough(message["text"], service, lang), (service.id, aspect, lang)
                assert messages.service_title(service, lang) in message["text"]
        if not service.documents:
            assert "沒有列出固定的應備文件" in answers.aspect_message(service, Aspect.documents, "zh-TW")["text"]


def test_outcomes_are_scored_as_a_citizen_meets_them():
    def match(service_id):
        return Match(service_id, service_id, "", [], 0.5)

    right = Reply("answer", [], matches=[match("wages-unpaid")])
    offered = Reply("answer", [], matches=[match("minimum-wage")], alternatives=[match("wages-unpaid")])
    wrong = Reply("answer", [], matches=[match("minimum-wage")])
    clarify = Reply("clarify", [], matches=[match("minimum-wage"), match("wages-unpaid")])
    fallback = Reply("fallback", [])
    acceptable = frozenset({"wages-unpaid", "dispute-mediation"})
    assert [outcome(r, acceptable) for r in (right, offered, wrong, clarify, fallback)] == [
        "right", "recoverable", "harmful", "recoverable", "unhelped"]
    assert outcome(wrong, frozenset({"out_of_scope"})) == "harmful"
    assert outcome(fallback, frozenset({"out_of_scope"})) == "rejected"


def test_two_services_answered_together_are_valid_for_line():
    from app.conversation.service import match_of, pair_reply

    kb = knowledge()
    services = [kb.service("dispute-mediation"), kb.service("unemployment-benefits")]
    for lang in ("zh-TW", "en", "vi"):
        reply = pair_reply(services, lang, [match_of(s) for s in services])
        assert_valid({"replyToken": "x", "messages": reply.messages}, "ReplyMessageRequest")
        assert 1 <= len(reply.messages) <= 5 and "quickReply" in reply.messages[-1]
        if len(reply.messages) == 1:
            assert reply.messages[0]["contents"]["type"] == "carousel"
            assert len(reply.messages[0]["contents"]["contents"]) == 2
        assert [m.service_id for m in reply.matches] == ["dispute-mediation", "unemployment-benefits"]


def test_what_people_said_is_cleared_after_the_quiet_period_even_if_they_never_write_again(client, line):
    from app.conversation import context

    user, other = new_user(), new_user()
    say(client, line, "我26歲設籍西屯 想問台中青年就業獎勵金", user=user)
    say(client, line, "我26歲設籍西屯 想問台中青年就業獎勵金", user=other)
    assert state_of(user).facts and state_of(user).topic_service_ids
    memory = get_settings().conversation_memory_minutes
    with session_scope() as session:
        state = session.get(UserState, pseudonymise(user))
        state.updated_at = utcnow() - dt.timedelta(minutes=memory + 1)
        session.add(state)
    with session_scope() as session:
        assert context.forget_quiet(session, memory_minutes=memory) == 1
    quiet, active = state_of(user), state_of(other)
    assert (quiet.facts, quiet.topic_service_ids, quiet.topic_aspect) == ({}, [], None)
    assert active.facts["age"] == 26 and active.topic_service_ids
    with session_scope() as session:
        assert context.forget_quiet(session, memory_minutes=memory) == 0  # nothing left to clear
