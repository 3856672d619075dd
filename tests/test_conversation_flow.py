"""The eligibility check through LINE: a multi-turn flow kept in the database per pseudonymised user — so it carries
on across server processes — that ends in "you appear to qualify — next steps" or "you appear not to, because …
— try …", can be cancelled, expires, takes typed answers (「對」, 「沒有」, 「我今年25歲」) and waits while the
citizen asks something else."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from app.config import get_settings
from app.conversation import flows, messages
from app.conversation.models import ConversationTurn, UserState
from app.db import session_scope, utcnow
from app.knowledge.service import load_from_files
from app.privacy import pseudonymise
from tests.conftest import webhook_body
from tests.conversation_helpers import (
    actions,
    flex_texts,
    live_server,
    new_user,
    only_message,
    postback_event,
    quick_data,
    quick_labels,
    say,
    tap,
)
from tests.line_schema import assert_valid

SERVICE_ID = "tc-youth-employment-reward"


def youth_reward():
    settings = get_settings()
    return load_from_files(settings.knowledge_dir, settings.intents_dir).service(SERVICE_ID)


def state_of(user: str) -> UserState | None:
    with session_scope() as session:  # a fresh session: what any process would read
        return session.get(UserState, pseudonymise(user))


def start(client, line, user: str) -> dict:
    """Open the card and tap 「我符合資格嗎？」 on it, as a citizen does."""
    card = only_message(tap(client, line, messages.postback_data("svc", s=SERVICE_ID, l="zh-TW"), user=user))
    check = next(b["action"] for b in card["contents"]["footer"]["contents"]
                 if b.get("type") == "button" and b["action"]["label"] == "我符合資格嗎？")
    return only_message(tap(client, line, check["data"], user=user))


def test_answering_every_question_yes_qualifies_with_next_steps(client, line):
    service, user = youth_reward(), new_user()
    question = start(client, line, user)
    for number, expected in enumerate(service.eligibility_check, 1):
        assert question["type"] == "text"
        assert f"資格檢查 {number}/{len(service.eligibility_check)}" in question["text"]
        assert expected.question in question["text"]
        assert quick_labels(question) == ["是", "否", "不確定", "取消"]
        stored = state_of(user)
        assert (stored.flow, stored.flow_service_id, stored.flow_step) == ("eligibility", SERVICE_ID, number - 1)
        question = only_message(tap(client, line, quick_data(question, "是"), user=user))
    result = question
    assert result["type"] == "flex"
    verdict = flex_texts(result["contents"])[-1]
    assert "看起來符合" in verdict and "接下來" in verdict
    assert f"1. {service.steps[0]}" in verdict
    assert "04-2222-5153 分機 230" in verdict
    assert any(a.get("uri") == "tel:0422225153,230" for a in actions(result["contents"]))
    assert state_of(user).flow is None  # finished: the next message is a new question
    # For the statistics: one service shown, then the steps of one check — not a question answered per step
    with session_scope() as session:
        kinds = session.exec(select(ConversationTurn.kind).where(ConversationTurn.user_pseudonym == pseudonymise(user))
                             .order_by(ConversationTurn.id)).all()
    assert kinds == ["answer"] + ["flow"] * (len(service.eligibility_check) + 1)


def test_a_disqualifying_answer_says_why_and_what_to_try(client, line):
    service, user = youth_reward(), new_user()
    question = start(client, line, user)
    question = only_message(tap(client, line, quick_data(question, "是"), user=user))  # household in Taichung
    result = only_message(tap(client, line, quick_data(question, "否"), user=user))  # not 29 or under
    verdict = flex_texts(result["contents"])[-1]
    assert "可能不符合" in verdict
    assert service.eligibility_check[1].reason_if_not in verdict  # 30歲以上 … 中高齡就業獎勵
    assert "1955" in verdict and "04-2222-5153" in verdict
    assert state_of(user).flow is None


def test_not_sure_sends_the_citizen_to_the_office(client, line):
    user = new_user()
    question = start(client, line, user)
    result = only_message(tap(client, line, quick_data(question, "不確定"), user=user))
    verdict = flex_texts(result["contents"])[-1]
    assert "承辦人" in verdict and "04-2222-5153" in verdict
    assert state_of(user).flow is None


def test_typed_answers_work_like_the_buttons(client, line):
    user = new_user()
    start(client, line, user)
    second = only_message(say(client, line, "是", user=user))
    assert "資格檢查 2/4" in second["text"]
    third = only_message(say(client, line, "對", user=user))
    assert "資格檢查 3/4" in third["text"]
    assert state_of(user).flow_answers == {"registered_in_taichung": True, "aged_29_or_under": True}


def test_the_check_carries_on_across_two_server_processes(client, line):
    """Process A (the test app) starts the check; process B (another uvicorn) takes the next answer from the database;
    A takes the one after."""
    other = live_server()
    user = new_user()
    first = start(client, line, user)
    event = postback_event(quick_data(first, "是"), user=user)
    assert other.post_webhook(webhook_body(event)).status_code == 200
    replies = line.wait_for_replies(1, token=event["replyToken"], timeout=30)
    assert len(replies) == 1
    assert_valid(replies[0].body)
    second = only_message(replies[0].body)
    assert "資格檢查 2/4" in second["text"]
    third = only_message(tap(client, line, quick_data(second, "是"), user=user))
    assert "資格檢查 3/4" in third["text"]
    assert state_of(user).flow_step == 2


def test_cancel_ends_the_check(client, line):
    user = new_user()
    question = start(client, line, user)
    cancelled = only_message(tap(client, line, quick_data(question, "取消"), user=user))
    assert "已取消資格檢查" in cancelled["text"]
    assert state_of(user).flow is None
    # Typing it works too, in the languages we serve
    start(client, line, user)
    assert "已取消" in only_message(say(client, line, "取消", user=user))["text"]
    assert state_of(user).flow is None


def test_a_new_question_in_the_middle_is_answered_while_the_check_waits(client, line):
    user = new_user()
    start(client, line, user)
    answer = only_message(say(client, line, "老闆欠薪三個月怎麼辦", user=user))
    assert answer["type"] == "flex"
    assert "老闆欠薪" in answer["contents"]["header"]["contents"][1]["text"]
    assert state_of(user).flow == "eligibility"  # the check waits for its answer
    assert quick_labels(answer)[0] == "↩ 繼續資格檢查"
    again = only_message(tap(client, line, quick_data(answer, "↩ 繼續資格檢查"), user=user))
    assert "資格檢查 1/4" in again["text"]
    # A typed answer still goes to the check
    after = only_message(say(client, line, "對", user=user))
    assert "資格檢查 2/4" in after["text"]


def test_a_stated_fact_answers_the_question_asked(client, line):
    user = new_user()
    question = only_message(tap(client, line, quick_data(start(client, line, user), "是"), user=user))
    assert "29歲以下" in question["text"]
    assert "資格檢查 3/4" in only_message(say(client, line, "我今年25歲", user=user))["text"]
    user = new_user()
    question = only_message(tap(client, line, quick_data(start(client, line, user), "是"), user=user))
    verdict = flex_texts(only_message(say(client, line, "我已經35歲了", user=user))["contents"])
    assert any("可能不符合" in text for text in verdict)


def leave_unanswered(user: str) -> None:
    """As if the citizen had not answered for longer than the check waits."""
    timeout = get_settings().eligibility_check_timeout_minutes
    with session_scope() as session:
        state = session.get(UserState, pseudonymise(user))
        state.updated_at = utcnow() - dt.timedelta(minutes=timeout + 1)
        session.add(state)


def test_the_check_expires_after_inactivity(client, line):
    user = new_user()
    question = start(client, line, user)
    leave_unanswered(user)
    late = only_message(tap(client, line, quick_data(question, "是"), user=user))
    assert "已經結束" in late["text"]
    assert quick_labels(late)[0] == "重新檢查"
    assert state_of(user).flow is None
    restarted = only_message(tap(client, line, quick_data(late, "重新檢查"), user=user))
    assert "資格檢查 1/4" in restarted["text"]


def test_a_typed_answer_after_expiry_offers_to_start_again(client, line):
    user = new_user()
    start(client, line, user)
    leave_unanswered(user)
    late = only_message(say(client, line, "是", user=user))
    assert "已經結束" in late["text"] and quick_labels(late)[0] == "重新檢查"
    assert state_of(user).flow is None


def test_an_old_button_re_asks_the_current_question(client, line):
    user = new_user()
    first = start(client, line, user)
    tap(client, line, quick_data(first, "是"), user=user)
    again = only_message(tap(client, line, quick_data(first, "否"), user=user))  # the first question's 「否」
    assert "資格檢查 2/4" in again["text"]
    assert state_of(user).flow_step == 1


def test_translated_check_runs_in_the_users_language(client, line):
    user = new_user()
    check = messages.postback_data("elig", s=SERVICE_ID, l="vi")
    question = only_message(tap(client, line, check, user=user))
    assert youth_reward().eligibility_check[0].translations["vi"] in question["text"]
    assert quick_labels(question) == ["Có", "Không", "Không chắc", "Hủy"]
    assert "Kiểm tra điều kiện 2/4" in only_message(say(client, line, "có", user=user))["text"]


def test_api_without_a_user_gets_the_questions_as_a_checklist(client):
    body = client.post("/api/postback", json={"data": messages.postback_data("elig", s=SERVICE_ID)}).json()
    assert body["kind"] == "answer" and body["matches"][0]["service_id"] == SERVICE_ID
    text = flex_texts(body["messages"][0]["contents"])[-1]
    assert all(q.question in text for q in youth_reward().eligibility_check)
    assert_valid({"replyToken": "t", "messages": body["messages"]})


def test_api_steps_report_answer_with_the_service(client):
    user = new_user()
    first = client.post("/api/postback", json={"user_id": user, "data": messages.postback_data("elig", s=SERVICE_ID)})
    body = first.json()
    assert body["kind"] == "answer" and body["matches"][0]["service_id"] == SERVICE_ID
    second = client.post("/api/ask", json={"user_id": user, "text": "是"}).json()
    assert second["kind"] == "answer" and "2/4" in second["messages"][0]["text"]


def test_typed_answer_words():
    assert flows.typed_answer("是的！") == "yes"
    assert flows.typed_answer("Ya") == "yes"
    assert flows.typed_answer("không") == "no"
    assert flows.typed_answer("ไม่แน่ใจ") == "unsure"
    assert flows.typed_answer("Cancel") == "cancel"
    assert flows.typed_answer("是不是要先登記") is None
    for yes in ("對", "對啊", "沒錯", "有", "iya", "ya benar", "vâng", "có ạ", "ใช่ครับ", "yup", "oo"):
        assert flows.typed_answer(yes) == "yes", yes
    for no in ("沒有", "不是", "沒", "nggak", "gak", "không ạ", "chưa", "ไม่ครับ", "hindi", "nope"):
        assert flows.typed_answer(no) == "no", no



def test_a_check_whose_questions_staff_shortened_is_restarted_not_crashed(client, line):
    user = new_user()
    question = start(client, line, user)
    tap(client, line, quick_data(question, "是"), user=user)
    with session_scope() as session:
        state = session.get(UserState, pseudonymise(user))
        state.flow_step = 9  # as if the service now had fewer questions than the step reached
        session.add(state)
    late = only_message(tap(client, line, messages.postback_data("ans", s=SERVICE_ID, q="x", v="1"), user=user))
    assert "已經結束" in late["text"]
    assert state_of(user).flow is None
