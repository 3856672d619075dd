"""The answer queue: oldest first, leases a dead worker loses within seconds, missed and failed recorded, metrics."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from app.db import make_engine, migrate
from app.line import intake, queue
from app.line.models import EventStatus, WebhookEvent
from app.line.queue import Outcome
from tests.conftest import now_ms, post_webhook, sign, text_event, webhook_body
from tests.servers import ServerProcess, WorkerProcess, private_database


@pytest.fixture
def private_queue(tmp_path):
    """A database of its own, of the suite's kind: the test process's answer worker must not take these events."""
    with private_database(tmp_path) as url:
        migrate(url)
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            yield session
        engine.dispose()


def add(session: Session, *events: dict) -> None:
    intake.accept(session, list(events))
    session.commit()


def test_events_are_claimed_oldest_first_and_only_once(private_queue):
    events = [text_event(f"問題 {n}", user=f"U{n:032d}") for n in range(6)]
    for n, event in enumerate(events):
        event["timestamp"] = now_ms() - (n + 1) * 1000  # the last one is the oldest
    add(private_queue, *events)
    first = queue.claim_batch(private_queue, "worker-a", 4, lease_seconds=5)
    second = queue.claim_batch(private_queue, "worker-b", 4, lease_seconds=5)
    assert [e.id for e in first] == [e["webhookEventId"] for e in reversed(events)][:4]
    assert {e.id for e in second} == {e["webhookEventId"] for e in events[:2]}
    assert queue.claim_batch(private_queue, "worker-c", 4, lease_seconds=5) == []


def test_a_lease_that_ran_out_is_taken_over_and_a_renewed_one_is_not(private_queue):
    kept, lost = text_event("有人在處理", user="U" + "1" * 32), text_event("處理的人不見了", user="U" + "2" * 32)
    add(private_queue, kept, lost)
    claimed = queue.claim_batch(private_queue, "worker-a", 2, lease_seconds=0.5)
    assert len(claimed) == 2
    time.sleep(0.3)
    queue.renew_leases(private_queue, "worker-a", [kept["webhookEventId"]], lease_seconds=5)
    time.sleep(0.4)
    taken = queue.claim_batch(private_queue, "worker-b", 5, lease_seconds=5)
    assert [e.id for e in taken] == [lost["webhookEventId"]] and taken[0].attempts == 2
    # The first worker's late renewal cannot take it back.
    queue.renew_leases(private_queue, "worker-a", [lost["webhookEventId"]], lease_seconds=5)
    assert private_queue.get(WebhookEvent, lost["webhookEventId"], populate_existing=True).claimed_by == "worker-b"


def test_a_worker_never_takes_again_an_event_it_still_has_in_hand(private_queue):
    """A worker too busy to renew in time must not start a second answer to an event it is answering."""
    slow, other = text_event("慢慢答", user="U" + "3" * 32), text_event("下一題", user="U" + "4" * 32)
    add(private_queue, slow)
    [held] = queue.claim_batch(private_queue, "worker-a", 5, lease_seconds=0.01)
    time.sleep(0.05)  # its lease ran out unrenewed
    add(private_queue, other)
    again = queue.claim_batch(private_queue, "worker-a", 5, lease_seconds=5, in_hand=[held.id])
    assert [e.id for e in again] == [other["webhookEventId"]]
    # Once it is out of hand (its answer lost without an outcome), the lapsed lease is the worker's to take again.
    assert [e.id for e in queue.claim_batch(private_queue, "worker-a", 5, lease_seconds=5)] == [held.id]


def test_expired_tokens_are_missed_exhausted_events_failed_and_totals_only_grow(private_queue):
    old, fine = text_event("很久以前", user="U" + "3" * 32), text_event("剛剛", user="U" + "4" * 32)
    old["timestamp"] = now_ms() - 120_000
    add(private_queue, old, fine)
    assert queue.miss_expired(private_queue, ttl_seconds=50) == 1
    event = queue.claim_batch(private_queue, "worker-a", 5, lease_seconds=5)[0]
    assert event.id == fine["webhookEventId"]
    for _ in range(queue.MAX_ATTEMPTS - 1):  # every attempt fails and hands the event back
        queue.finish(private_queue, "worker-a", [(event.id, Outcome(EventStatus.pending, error="boom"))])
        assert queue.claim_batch(private_queue, "worker-a", 5, lease_seconds=0.01)
    time.sleep(0.05)
    assert queue.give_up_exhausted(private_queue) == 1
    before = queue.backlog(private_queue)
    assert (before.totals["missed"], before.totals["failed"], before.waiting) == (1, 1, 0)
    assert queue.delete_finished(private_queue, older_than=dt.timedelta(0)) == 2
    assert private_queue.exec(select(WebhookEvent)).all() == []
    assert queue.backlog(private_queue).totals == before.totals


def test_metrics_show_the_queue_and_how_events_ended(client, line):
    def total(text: str, outcome: str) -> float:
        line_ = f'laborbot_webhook_events_finished_total{{outcome="{outcome}"}}'
        return next(float(row.split()[-1]) for row in text.splitlines() if row.startswith(line_))

    before = client.get("/metrics").text
    event = text_event("加班費怎麼算")
    missed = text_event("太久以前的問題")
    missed["timestamp"] = now_ms() - 10 * 60 * 1000
    assert post_webhook(client, webhook_body(event, missed)).status_code == 200
    line.wait_for_replies(1, token=event["replyToken"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = client.get("/metrics")
        if total(after.text, "missed") > total(before, "missed") and total(after.text, "replied") > total(before, "replied"):
            break
        time.sleep(0.1)
    assert after.headers["content-type"].startswith("text/plain")
    assert total(after.text, "replied") == total(before, "replied") + 1
    assert total(after.text, "missed") == total(before, "missed") + 1
    for name in ('laborbot_queue_events{state="waiting"}', "laborbot_queue_oldest_unanswered_seconds",
                 'laborbot_webhook_requests_total{outcome="accepted"}', "laborbot_webhook_ack_seconds_bucket"):
        assert name in after.text, name


def test_a_dead_worker_s_event_is_answered_by_another_within_its_lease(client, line, tmp_path):
    """The worker is killed while LINE holds its reply (in flight): another worker takes the event over once the
    lease (5 s) has run out, not after half a minute, while the reply token can still be valid, and sends the reply
    the first one saved (the conversation is not answered twice)."""
    with private_database(tmp_path) as url:
        answered_by_another_worker(url, line, tmp_path)


def answered_by_another_worker(url: str, line, tmp_path) -> None:
    env = {"DATABASE_URL": url, "DATA_DIR": str(tmp_path), "LINE_TIMEOUT_SECONDS": "30"}
    web = ServerProcess(env, tmp_path / "web.log", answer_workers=0)
    first = WorkerProcess(env, tmp_path / "first.log")
    second = None
    try:
        web.wait_ready()
        line.delays.append(20.0)  # the first attempt hangs at LINE
        event = text_event("資遣費怎麼算")
        body = webhook_body(event)
        headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
        assert httpx.post(web.url + "/callback", content=body, headers=headers).status_code == 200
        assert line.wait_for_replies(1, token=event["replyToken"], timeout=120)
        first.kill()
        killed_at = time.monotonic()
        second = WorkerProcess(env, tmp_path / "second.log")
        replies = line.wait_for_replies(2, token=event["replyToken"], timeout=60)
        assert len(replies) == 2, (tmp_path / "second.log").read_text()[-2000:]
        assert replies[1].at - killed_at < 5 + 15  # lease, plus the second worker's start-up (index on disk)
        assert replies[1].body == replies[0].body  # the saved reply, not a second answer to the same message
    finally:
        for process in (first, second, web):
            if process is not None:
                process.stop()


def test_a_backlog_after_a_quiet_spell_is_claimed_oldest_first_and_no_more_than_asked(private_queue):
    """The database's statistics come from the quiet spell, when nothing was waiting. On PostgreSQL the claim
    planned from them once took more events than asked (36 for 16), and 30 ms instead of 3."""
    now = now_ms()
    answered = [text_event(f"問題 {n}", user=f"U{n:032d}") for n in range(1000)]
    for n, event in enumerate(answered):
        event["timestamp"] = now - 600_000 + n
    add(private_queue, *answered)
    taken = queue.claim_batch(private_queue, "worker-a", len(answered), lease_seconds=5)
    queue.finish(private_queue, "worker-a", [(e.id, Outcome(EventStatus.done)) for e in taken])
    private_queue.execute(text("ANALYZE webhook_event"))
    private_queue.commit()
    backlog = [text_event(f"新問題 {n}", user=f"U{n + 5000:032d}") for n in range(500)]
    for n, event in enumerate(backlog):
        event["timestamp"] = now - 10_000 + n
    add(private_queue, *backlog)
    claimed = queue.claim_batch(private_queue, "worker-b", 16, lease_seconds=5)
    assert [e.id for e in claimed] == [e["webhookEventId"] for e in backlog[:16]]


def test_one_person_s_messages_are_answered_in_order_one_at_a_time(private_queue):
    user = "U" + "7" * 32
    first, second = text_event("我想做資格檢查", user=user), text_event("是", user=user)
    second["timestamp"] = first["timestamp"] + 1
    other = text_event("別人的問題", user="U" + "8" * 32)
    add(private_queue, second, first, other)
    claimed = queue.claim_batch(private_queue, "worker-a", 10, lease_seconds=5)
    assert {e.id for e in claimed} == {first["webhookEventId"], other["webhookEventId"]}
    assert queue.claim_batch(private_queue, "worker-b", 10, lease_seconds=5) == []  # 「是」 waits for its question
    queue.finish(private_queue, "worker-a", [(first["webhookEventId"], Outcome(EventStatus.done))])
    assert [e.id for e in queue.claim_batch(private_queue, "worker-b", 10, lease_seconds=5)] == [second["webhookEventId"]]


def test_a_stopped_worker_leaves_a_reply_stuck_at_line_to_its_lease(line, tmp_path):
    """SIGTERM while LINE holds a reply: the worker ends within its grace period instead of waiting for LINE (or
    forever), and the event is left to its lease, not lost."""
    with private_database(tmp_path) as url:
        env = {"DATABASE_URL": url, "LINE_TIMEOUT_SECONDS": "60", "WORKER_STOP_GRACE_SECONDS": "1"}
        engine = make_engine(url)
        migrate(url)
        event = text_event("選單")  # answered without retrieval
        with Session(engine) as session:
            add(session, event)
        worker = WorkerProcess(env, tmp_path / "worker.log")
        try:
            line.delays.append(60.0)
            assert line.wait_for_replies(1, token=event["replyToken"], timeout=120), worker.log_path.read_text()
            stopped_at = time.monotonic()
            worker.stop()
            assert time.monotonic() - stopped_at < 1 + 5, worker.log_path.read_text()[-2000:]
            assert worker.process.returncode == 0, worker.log_path.read_text()[-2000:]
            assert "1 event(s) unfinished" in worker.log_path.read_text()
            with Session(engine) as session:
                stored = session.get(WebhookEvent, event["webhookEventId"])
                assert stored.status is EventStatus.processing and stored.reply_messages  # its lease runs out
        finally:
            worker.stop()
            engine.dispose()
