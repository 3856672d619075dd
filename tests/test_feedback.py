"""👎 asks what was wrong, through signed webhook events and the fake LINE API: the reason (答非所問 / 資料有誤 / 看不懂
/ 其他) goes on the rating, 「其他」 takes the next message as a comment (masked, not answered), one rating per
answer; and the statistics count questions — not the steps of an eligibility check."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from sqlmodel import select

from app.config import get_settings
from app.console import service as console
from app.conversation import messages, texts
from app.conversation.models import ConversationTurn, Feedback
from app.db import session_scope, utcnow
from app.privacy import pseudonymise
from tests.conftest import now_ms, post_webhook, webhook_body
from tests.conversation_helpers import actions, new_user, only_message, quick_data, quick_labels, say, tap

QUESTION = "老闆欠薪三個月怎麼辦"
SERVICE = "wages-unpaid"
REASONS = ("wrong_answer", "wrong_information", "unclear", "other")


def thumbs_down_on_the_card(client, line, user: str, question: str = QUESTION) -> dict:
    card = only_message(say(client, line, question, user=user))
    down = next(a for a in actions(card["contents"]) if a["type"] == "postback" and a["label"] == "👎 沒幫助")
    return only_message(tap(client, line, down["data"], user=user))


def rating_of(user: str) -> Feedback:
    with session_scope() as session:
        [feedback] = session.exec(select(Feedback).where(Feedback.user_pseudonym == pseudonymise(user))).all()
        return feedback


def test_thumbs_down_thanks_and_asks_what_was_wrong_then_keeps_the_reason(client, line):
    user = new_user()
    asked = thumbs_down_on_the_card(client, line, user)
    assert "改進" in asked["text"] and asked["text"].endswith("哪裡不好？請點下方選一項。")
    assert quick_labels(asked) == ["答非所問", "資料有誤", "看不懂", "其他", "選單", "找真人"]
    assert rating_of(user).reason is None
    forwarded = only_message(tap(client, line, quick_data(asked, "資料有誤"), user=user))
    assert forwarded["text"].startswith("謝謝，已轉給承辦同仁") and "找真人" in quick_labels(forwarded)
    feedback = rating_of(user)
    assert (feedback.service_id, feedback.helpful, feedback.reason) == (SERVICE, False, "wrong_information")
    with session_scope() as session:
        answered = session.get(ConversationTurn, feedback.turn_id)
    assert answered.text == QUESTION and answered.kind == "answer"


def test_tapping_thumbs_down_again_does_not_thank_twice(client, line):
    user = new_user()
    card = only_message(say(client, line, QUESTION, user=user))
    down = next(a for a in actions(card["contents"]) if a["type"] == "postback" and a["label"] == "👎 沒幫助")
    first = only_message(tap(client, line, down["data"], user=user))
    again = only_message(tap(client, line, down["data"], user=user))
    assert "謝謝" in first["text"] and "謝謝" not in again["text"]
    assert again["text"] == texts.text("feedback_ask_reason", "zh-TW") and "看不懂" in quick_labels(again)
    tap(client, line, quick_data(again, "看不懂"), user=user)
    after_reason = only_message(tap(client, line, down["data"], user=user))
    assert after_reason["text"] == texts.text("feedback_already", "zh-TW")
    assert rating_of(user).reason == "unclear"  # still one rating, with its reason


@pytest.mark.parametrize("lang", ["en", "id", "vi", "th"])
def test_the_reasons_are_asked_in_the_users_language(client, line, lang):
    user = new_user()
    asked = only_message(tap(client, line, messages.postback_data("fb", s=SERVICE, v="0", l=lang), user=user))
    assert texts.text("feedback_ask_reason", lang) in asked["text"]
    labels = quick_labels(asked)
    assert labels[:4] == [texts.text(f"reason_{reason}", lang) for reason in REASONS]
    assert len(set(labels[:4]) | {texts.text(f"reason_{r}", "zh-TW") for r in REASONS}) == 8  # translated, not zh-TW
    assert messages.parse_postback(quick_data(asked, labels[3])) == {"a": "fb", "s": SERVICE, "v": "0", "r": "other",
                                                                      "l": lang}


def test_other_takes_the_next_message_as_a_masked_comment_and_answers_the_one_after(client, line):
    user = new_user()
    say(client, line, QUESTION, user=user)
    prompt = only_message(say(client, line, "你回答錯了", user=user))  # the feedback prompt's 👎, not the card's
    asked = only_message(tap(client, line, quick_data(prompt, "👎 沒幫助"), user=user))
    wait = only_message(tap(client, line, quick_data(asked, "其他"), user=user))
    assert "下一則訊息會轉給承辦同仁" in wait["text"]
    # A comment that reads like a question is still the comment: the next message is, predictably
    thanks = only_message(say(client, line, "電話 0912345678 打不通，資遣費怎麼算", user=user))
    assert thanks["text"] == texts.text("feedback_forwarded", "zh-TW")
    assert quick_labels(thanks) == quick_labels(messages.menu_message("zh-TW"))
    feedback = rating_of(user)
    assert feedback.reason == "other"
    with session_scope() as session:
        comment = session.get(ConversationTurn, feedback.comment_turn_id)
    assert "0912345678" not in comment.text and "[phone]" in comment.text and "打不通" in comment.text
    assert comment.kind == "smalltalk" and comment.service_id is None  # not answered, not counted as a question
    # only the next message: the one after is answered again
    answered = only_message(say(client, line, QUESTION, user=user))
    assert answered["type"] == "flex"
    # unsent, the comment is erased like any message
    unsend = {"type": "unsend", "mode": "active", "timestamp": now_ms(), "source": {"type": "user", "userId": user},
              "webhookEventId": uuid.uuid4().hex.upper()[:26], "deliveryContext": {"isRedelivery": False},
              "unsend": {"messageId": comment.line_message_id}}
    assert post_webhook(client, webhook_body(unsend)).status_code == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with session_scope() as session:
            if session.get(ConversationTurn, feedback.comment_turn_id).text is None:
                break
        time.sleep(0.1)
    else:
        raise AssertionError("the unsent comment was not erased")


def test_a_comment_is_not_awaited_past_the_conversation_memory(client, line):
    user = new_user()
    asked = thumbs_down_on_the_card(client, line, user)
    tap(client, line, quick_data(asked, "其他"), user=user)
    with session_scope() as session:
        feedback = session.exec(select(Feedback).where(Feedback.user_pseudonym == pseudonymise(user))).one()
        minutes = get_settings().conversation_memory_minutes
        feedback.comment_requested_at = utcnow() - dt.timedelta(minutes=minutes + 1)
        session.add(feedback)
    answered = only_message(say(client, line, QUESTION, user=user))
    assert answered["type"] == "flex"
    assert rating_of(user).comment_turn_id is None


def test_five_questions_and_a_four_step_check_count_as_five_answers(client, line):
    service_id = "tc-youth-employment-reward"

    def answers() -> int:
        with session_scope() as session:
            figures = console.analytics(session, None, days=1)
        return {sid: n for sid, _, n in figures.top_services}.get(service_id, 0)

    before, user = answers(), new_user()
    replies = []
    for text in ("臺中市青年就業獎勵", "那要帶什麼", "可以領多少", "要去哪裡辦", "什麼時候截止"):
        replies.append(only_message(say(client, line, text, user=user)))
        with session_scope() as session:
            last = session.exec(select(ConversationTurn).where(ConversationTurn.user_pseudonym == pseudonymise(user))
                                .order_by(ConversationTurn.id.desc())).first()
        assert (last.kind, last.service_id) == ("answer", service_id), text
    # the check, from the first answer's card: four questions and the verdict
    check = next(a for a in actions(replies[0]["contents"]) if a["label"] == "我符合資格嗎？")
    question = only_message(tap(client, line, check["data"], user=user))
    for _ in range(4):
        question = only_message(tap(client, line, quick_data(question, "是"), user=user))
    assert "看起來符合" in str(question)
    assert answers() - before == 5


def test_an_anonymous_callers_reason_is_not_a_second_rating(client):
    def ratings() -> int:
        with session_scope() as session:
            return len(session.exec(select(Feedback.id).where(Feedback.user_pseudonym.is_(None))).all())

    before = ratings()
    down = client.post("/api/postback", json={"data": messages.postback_data("fb", s=SERVICE, v="0")}).json()
    [asked] = down["messages"]
    forwarded = client.post("/api/postback", json={"data": quick_data(asked, "答非所問")}).json()
    assert forwarded["messages"][0]["text"] == texts.text("feedback_forwarded", "zh-TW")
    assert ratings() - before == 1
