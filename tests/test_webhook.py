"""The LINE webhook end to end: signature, durable storage, one reply per event, errors of the LINE API."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlmodel import select

from app.conversation.models import ConversationTurn
from app.db import session_scope
from app.line.models import EventStatus, WebhookEvent
from tests.conftest import now_ms, post_webhook, sign, text_event, webhook_body
from tests.line_schema import assert_valid

SAMPLE_EVENTS = Path(__file__).resolve().parents[1].parent / "shared" / "line" / "sample-webhook-events.json"


def stored(event_id: str) -> WebhookEvent | None:
    with session_scope() as session:
        return session.get(WebhookEvent, event_id)


def wait_status(event_id: str, timeout: float = 15.0) -> WebhookEvent:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = stored(event_id)
        if event is not None and event.status not in (EventStatus.pending, EventStatus.processing):
            return event
        time.sleep(0.05)
    return stored(event_id)


def unsend_event(source: dict, message_id: str, event_id: str) -> dict:
    return {"type": "unsend", "mode": "active", "timestamp": now_ms(), "source": source, "webhookEventId": event_id,
            "deliveryContext": {"isRedelivery": False}, "unsend": {"messageId": message_id}}


def test_official_signature_vector():
    # From LINE's documentation (../shared/line/FACTS.md)
    body = b'{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}'
    assert sign(body, "8c570fa6dd201bb328f1c1eac23a96d8") == "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="


def test_empty_events_is_a_connectivity_check(client, line):
    response = post_webhook(client, webhook_body())
    assert response.status_code == 200
    assert line.requests == []


def test_missing_or_bad_signature_is_refused_and_nothing_happens(client, line):
    event = text_event("老闆欠薪怎麼辦")
    body = webhook_body(event)
    for signature in (None, "", "AAAA", sign(body, "another-secret"), sign(body + b" ")):
        response = post_webhook(client, body, signature=signature)
        assert response.status_code == 400, signature
        assert "error" in response.json()
    time.sleep(0.5)
    assert stored(event["webhookEventId"]) is None
    assert line.requests == []


def test_malformed_bodies_get_400_not_500(client, line):
    for body in (b"not json", b"\xff\xfe\x00", b"[1,2,3]", b'{"events": "nope"}', b""):
        response = post_webhook(client, body)
        assert response.status_code == 400, body
    assert line.requests == []


def test_text_message_gets_exactly_one_schema_valid_reply(client, line):
    event = text_event("公司三個月沒發薪水還叫我繼續做")
    response = post_webhook(client, webhook_body(event))
    assert response.status_code == 200
    replies = line.wait_for_replies(1, token=event["replyToken"])
    time.sleep(0.3)
    replies = line.replies(event["replyToken"])
    assert len(replies) == 1
    request = replies[0]
    assert request.headers["authorization"] == "Bearer test-access-token"
    assert "x-line-retry-key" not in request.headers  # a reply must not carry it (LINE answers 400)
    assert_valid(request.body, "ReplyMessageRequest")
    assert wait_status(event["webhookEventId"]).status is EventStatus.done
    assert stored(event["webhookEventId"]).payload is None  # the message text is not kept in the event store


def test_every_sample_event_is_accepted_without_error(client, line):
    payload = json.loads(SAMPLE_EVENTS.read_text())
    body = json.dumps(payload).encode()
    response = post_webhook(client, body)
    assert response.status_code == 200
    for raw in payload["events"]:
        event = wait_status(raw["webhookEventId"])
        assert event is not None, raw["type"]
        assert event.status is not EventStatus.failed, (raw["type"], event.error)


def test_redelivery_and_duplicates_give_one_reply(client, line):
    event = text_event("我被資遣了可以領失業給付嗎")
    first = post_webhook(client, webhook_body(event))
    duplicate_in_batch = post_webhook(client, webhook_body(event, event))
    redelivered = dict(event, deliveryContext={"isRedelivery": True})
    again = post_webhook(client, webhook_body(redelivered))
    assert {first.status_code, duplicate_in_batch.status_code, again.status_code} == {200}
    line.wait_for_replies(1, token=event["replyToken"])
    time.sleep(1.5)
    assert len(line.replies(event["replyToken"])) == 1


def test_each_event_of_a_batch_on_its_own(client, line):
    broken = {"type": "message", "webhookEventId": "BROKEN-EVENT-0001", "timestamp": now_ms(), "mode": "active",
              "replyToken": "broken-token", "message": {"type": "text"}}  # no text, no source
    good = text_event("衝剪機械安全防護補助怎麼申請")
    response = post_webhook(client, webhook_body(broken, good))
    assert response.status_code == 200
    assert len(line.wait_for_replies(1, token=good["replyToken"])) == 1


def test_standby_mode_sends_nothing(client, line):
    event = text_event("老闆欠薪", mode="standby")
    event.pop("replyToken")
    assert post_webhook(client, webhook_body(event)).status_code == 200
    assert wait_status(event["webhookEventId"]).status is EventStatus.done
    assert line.requests == []


def test_sticker_and_media_get_a_helpful_reply(client, line):
    for message in ({"type": "sticker", "id": "1", "packageId": "446", "stickerId": "1988",
                     "stickerResourceType": "STATIC", "quoteToken": "q"},
                    {"type": "image", "id": "2", "quoteToken": "q", "contentProvider": {"type": "line"}}):
        # (a shared location is answered with the nearest service points: tests/test_places.py)
        event = text_event("x")
        event["message"] = message
        assert post_webhook(client, webhook_body(event)).status_code == 200
        replies = line.wait_for_replies(1, token=event["replyToken"])
        assert len(replies) == 1, message["type"]
        assert_valid(replies[0].body)
        assert "文字" in json.dumps(replies[0].body, ensure_ascii=False)


def test_follow_is_greeted_and_unfollow_gets_nothing(client, line):
    follow = {"type": "follow", "mode": "active", "timestamp": now_ms(), "source": {"type": "user", "userId": "U" + "2" * 32},
              "webhookEventId": "FOLLOW-EVENT-0001", "deliveryContext": {"isRedelivery": False},
              "replyToken": "follow-token", "follow": {"isUnblocked": False}}
    unfollow = {"type": "unfollow", "mode": "active", "timestamp": now_ms(), "source": {"type": "user", "userId": "U" + "2" * 32},
                "webhookEventId": "UNFOLLOW-EVENT-0001", "deliveryContext": {"isRedelivery": False}}
    assert post_webhook(client, webhook_body(follow, unfollow)).status_code == 200
    replies = line.wait_for_replies(1, token="follow-token")
    assert len(replies) == 1
    assert_valid(replies[0].body)
    assert wait_status("UNFOLLOW-EVENT-0001").status is EventStatus.done
    assert len(line.replies()) == 1


def test_unknown_event_types_are_tolerated(client, line):
    event = {"type": "somethingNew", "mode": "active", "timestamp": now_ms(), "webhookEventId": "UNKNOWN-TYPE-0001",
             "source": {"type": "user", "userId": "U" + "3" * 32}, "replyToken": "unknown-token", "newField": {"x": 1},
             "deliveryContext": {"isRedelivery": False}}
    assert post_webhook(client, webhook_body(event)).status_code == 200
    assert wait_status("UNKNOWN-TYPE-0001").status is EventStatus.done
    assert line.requests == []


def test_unsend_erases_the_stored_text(client, line):
    event = text_event("我的電話是0912345678，老闆欠我薪水", message_id="MSG-TO-UNSEND-1")
    assert post_webhook(client, webhook_body(event)).status_code == 200
    line.wait_for_replies(1, token=event["replyToken"])
    wait_status(event["webhookEventId"])
    with session_scope() as session:
        turn = session.exec(select(ConversationTurn).where(ConversationTurn.line_message_id == "MSG-TO-UNSEND-1")).one()
        assert "0912345678" not in turn.text and "老闆欠我薪水" in turn.text  # masked when stored
    unsend = unsend_event(event["source"], "MSG-TO-UNSEND-1", "UNSEND-EVENT-0001")
    assert post_webhook(client, webhook_body(unsend)).status_code == 200
    assert wait_status("UNSEND-EVENT-0001").status is EventStatus.done
    with session_scope() as session:
        turn = session.exec(select(ConversationTurn).where(ConversationTurn.line_message_id == "MSG-TO-UNSEND-1")).one()
        assert turn.text is None


def test_invalid_reply_token_is_logged_not_retried(client, line, caplog):
    line.scripted.append((400, {"message": "Invalid reply token"}))
    event = text_event("勞保怎麼查")
    assert post_webhook(client, webhook_body(event)).status_code == 200
    done = wait_status(event["webhookEventId"])
    time.sleep(0.5)
    assert len(line.replies(event["replyToken"])) == 1
    assert done.status is EventStatus.done and "Invalid reply token" in done.error


def test_server_errors_and_rate_limits_are_retried_with_backoff(client, line):
    line.scripted.extend([(500, {"message": "error"}), (429, {"message": "The API rate limit has been exceeded."})])
    event = text_event("勞資爭議調解要怎麼申請")
    assert post_webhook(client, webhook_body(event)).status_code == 200
    done = wait_status(event["webhookEventId"])
    replies = line.replies(event["replyToken"])
    assert len(replies) == 3
    assert replies[2].at - replies[1].at >= 0.4  # back-off grows between attempts
    assert done.status is EventStatus.done and done.error is None and done.line_request_id.startswith("fake-")


def test_expired_reply_token_is_recorded_as_missed(client, line):
    event = text_event("老闆欠薪")
    event["timestamp"] = now_ms() - 10 * 60 * 1000
    assert post_webhook(client, webhook_body(event)).status_code == 200
    assert wait_status(event["webhookEventId"]).status is EventStatus.missed
    assert line.requests == []


def test_huge_message_is_answered(client, line):
    event = text_event("老闆欠薪三個月了，" + "我每天都加班到很晚。" * 490)
    assert len(event["message"]["text"]) > 4900
    assert post_webhook(client, webhook_body(event)).status_code == 200
    assert len(line.wait_for_replies(1, token=event["replyToken"])) == 1


def test_oversized_body_is_refused(client, line):
    body = b'{"events": [], "padding": "' + b"x" * 1_100_000 + b'"}'
    assert post_webhook(client, body).status_code == 413


def test_a_malformed_event_costs_only_itself(client, line):
    """Each of these once made the whole batch fail with a 500 (the audit's F5): now it is skipped or stored with
    what can be read, and the valid events of the same body are answered."""
    base = {"mode": "active", "deliveryContext": {"isRedelivery": False}, "replyToken": "0" * 32}
    bad = [
        {**base, "type": "message", "webhookEventId": "BAD-USERID-NUMBER", "source": {"type": "user", "userId": 12345},
         "timestamp": now_ms(), "message": {"id": "1", "type": "text", "text": "數字的 userId"}},
        {**base, "type": "message", "webhookEventId": "BAD-USERID-OBJECT", "source": {"type": "user", "userId": {"a": 1}},
         "timestamp": now_ms()},
        {**base, "type": "message", "webhookEventId": "BAD-TIMESTAMP-HUGE", "timestamp": 1e30},
        {**base, "type": "message", "webhookEventId": "BAD-TIMESTAMP-BIG-INT", "timestamp": 2**63},
        {**base, "type": "message", "webhookEventId": "BAD-TIMESTAMP-NEGATIVE", "timestamp": -5},
        {**base, "type": "message", "webhookEventId": "BAD-REPLY-TOKEN", "replyToken": "R" * 300, "timestamp": now_ms()},
        {**base, "type": "message", "webhookEventId": "BAD-NESTING", "x": json.loads("[" * 100 + "]" * 100)},
        "not an object",
        {**base, "type": 7, "webhookEventId": "BAD-TYPE-NUMBER"},
        {**base, "type": "message", "webhookEventId": 99, "timestamp": now_ms()},
        {**base, "type": "message", "webhookEventId": "BAD-SOURCE-STRING", "source": "user", "message": "text"},
    ]
    canaries = [text_event("老闆欠薪怎麼辦"), text_event("失業給付怎麼申請")]
    body = json.dumps({"destination": "U" + "0" * 32, "events": [canaries[0], *bad, canaries[1]]}).encode()
    body = body.replace(b'"BAD-USERID-OBJECT"', b'"BAD-USERID-OBJECT", "infinite": Infinity, "text": "\\ud800 \\u0000"')
    response = post_webhook(client, body)
    assert response.status_code == 200, response.text
    for canary in canaries:
        assert len(line.wait_for_replies(1, token=canary["replyToken"])) == 1
    for stored_id in ("BAD-USERID-NUMBER", "BAD-USERID-OBJECT", "BAD-TIMESTAMP-HUGE", "BAD-REPLY-TOKEN"):
        event = wait_status(stored_id)
        assert event is not None and event.status is not EventStatus.failed, (stored_id, event)
    assert stored("BAD-USERID-NUMBER").user_pseudonym is None
    assert stored("BAD-NESTING") is None  # deeper than any LINE event: skipped, logged


def test_nesting_too_deep_for_the_parser_is_a_bad_request(client, line):
    body = b'{"events": [' + b"[" * 5000 + b"]" * 5000 + b"]}"
    assert post_webhook(client, body).status_code == 400


def test_a_chunked_body_is_bounded_while_it_streams(client, line):
    def chunks():
        for _ in range(2000):
            yield b"x" * 1024

    response = client.post("/callback", content=chunks(), headers={"X-Line-Signature": "AAAA"})
    assert response.status_code == 413
    unsigned = client.post("/callback", content=chunks())
    assert unsigned.status_code == 400  # refused before reading: no signature


def test_a_reply_that_timed_out_is_retried_and_reaches_the_citizen_once(client, line):
    """LINE_TIMEOUT_SECONDS is 2 in tests: the first attempt gets no answer in time and is sent again. LINE's token
    is single use, so the retry is refused and the event counts as answered (the first attempt got through)."""
    line.delays.append(3.0)
    event = text_event("職災可以請什麼補償")
    assert post_webhook(client, webhook_body(event)).status_code == 200
    done = wait_status(event["webhookEventId"], timeout=20)
    assert [r.body["replyToken"] for r in line.replies()] == [event["replyToken"]] * 2
    assert done.status is EventStatus.done and done.error is None


def test_a_2xx_answer_the_sdk_cannot_read_is_not_sent_again(client, line):
    line.scripted.append((200, {"sentMessages": []}))  # the spec says at least one item
    event = text_event("特休怎麼算")
    assert post_webhook(client, webhook_body(event)).status_code == 200
    done = wait_status(event["webhookEventId"])
    time.sleep(1.0)
    assert len(line.replies(event["replyToken"])) == 1
    assert done.status is EventStatus.done and done.error is None


def test_unsending_an_edited_message_erases_the_edited_text_too(client, line):
    """F4: the edited text is stored under the message's id, so taking the message back erases both versions."""
    original = text_event("老闆欠薪 原文 甲", message_id="MSG-EDITED-1")
    assert post_webhook(client, webhook_body(original)).status_code == 200
    line.wait_for_replies(1, token=original["replyToken"])
    edited = {**text_event("老闆欠薪 改過的 乙", message_id="MSG-EDITED-1"), "type": "messageEdited"}
    assert post_webhook(client, webhook_body(edited)).status_code == 200
    line.wait_for_replies(1, token=edited["replyToken"])
    wait_status(edited["webhookEventId"])
    with session_scope() as session:
        stored_texts = session.exec(select(ConversationTurn.text)
                                    .where(ConversationTurn.line_message_id == "MSG-EDITED-1")).all()
    assert len(stored_texts) == 2 and any("改過的" in text for text in stored_texts)
    unsend = unsend_event(original["source"], "MSG-EDITED-1", "UNSEND-EDITED-0001")
    assert post_webhook(client, webhook_body(unsend)).status_code == 200
    assert wait_status("UNSEND-EDITED-0001").status is EventStatus.done
    with session_scope() as session:
        assert session.exec(select(ConversationTurn.text)
                            .where(ConversationTurn.line_message_id == "MSG-EDITED-1")).all() == [None, None]
