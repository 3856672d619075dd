"""The answer worker: takes webhook events from the database queue and answers each once.

The web process only acknowledges (verify, store, 200); answering happens here, in processes of their own
(`python -m app worker`; `python -m app serve` starts them beside the web server), so a burst of questions never slows
the acknowledgements LINE waits for. One worker answers up to `worker_concurrency` events at once, oldest first (one
person's messages one at a time, in order: `app.line.queue`); more workers, on this machine or others sharing one
PostgreSQL, answer more. The life of one event:

    claim (lease) → read it → answer from the current content → reply to LINE (retried while the token lives) → finish

Meanwhile the worker renews the leases of the events it holds, so that a worker that died is noticed within
`claim_lease_seconds` and its events are answered by another. Housekeeping runs beside it: events whose token ran
out are recorded as missed, events that failed too often as failed, finished events past retention deleted, quiet
conversations forgotten.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging

from app.config import Settings
from app.conversation import context
from app.conversation.service import respond_to_event
from app.db import checkpoint_wal, session_scope, utcnow
from app.line import queue
from app.line.client import LineApi
from app.line.events import line_user_id, one_to_one_chat, to_inbound
from app.line.models import EventStatus, WebhookEvent
from app.line.queue import Outcome
from app.runtime import Content, Runtime

log = logging.getLogger(__name__)

# An answer not ready after this long gets LINE's loading animation in a 1:1 chat, so the citizen sees it coming.
LOADING_AFTER_SECONDS = 1.0
LOADING_SECONDS = 10  # 5..60 in steps of 5; the animation stops as soon as the reply arrives
# While content is still loading (a first start builds the index), people who write see the animation this long.
CONTENT_LOADING_SECONDS = 30
HOUSEKEEPING_SECONDS = 1.0
OUTCOME_ATTEMPTS = 3  # a failed write of outcomes (a deadlock, a dropped connection) is tried again at once
# Forgetting quiet conversations and retention are cheap but not urgent.
FORGET_EVERY = dt.timedelta(seconds=60)


class AnswerWorker:
    def __init__(self, runtime: Runtime, line: LineApi | None, settings: Settings):
        self.runtime = runtime
        self.line = line
        self.settings = settings
        self.id = queue.new_worker_id()
        self._held: dict[str, asyncio.Task] = {}  # event id → the task answering it
        self._room = asyncio.Event()  # set when a slot frees up
        self._shown_loading: set[str] = set()  # events waiting for content that already show the animation
        # Outcomes waiting to be written: whatever finished while the previous write ran goes in the next one.
        self._outcomes: list[tuple[str, Outcome, asyncio.Future]] = []
        self._outcomes_waiting = asyncio.Event()
        # Renewing leases and writing outcomes both update rows this worker holds: one at a time, so that their
        # transactions never wait for each other's row locks (on PostgreSQL that was a deadlock).
        self._writing_held_rows = asyncio.Lock()

    async def run(self, stop: asyncio.Event) -> None:
        """Answer until `stop` is set, then let the events in hand finish (for `worker_stop_grace_seconds`)."""
        log.info("answer worker %s started (%d at once)", self.id, self.settings.worker_concurrency)
        helpers = [asyncio.create_task(self._renew_leases_forever()), asyncio.create_task(self._housekeeping_forever()),
                   asyncio.create_task(self._write_outcomes_forever())]
        try:
            while not stop.is_set():
                if not await self._claim_and_start():
                    self._room.clear()
                    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(self._room.wait())]
                    await asyncio.wait(waits, timeout=self.settings.worker_poll_seconds,
                                       return_when=asyncio.FIRST_COMPLETED)
                    for wait in waits:
                        wait.cancel()
        finally:
            if self._held:
                _finished, unfinished = await asyncio.wait(list(self._held.values()),
                                                           timeout=self.settings.worker_stop_grace_seconds)
                if unfinished:
                    log.warning("stopping with %d event(s) unfinished: their leases will run out and another "
                                "worker answers them", len(unfinished))
                for task in unfinished:
                    task.cancel()
                await asyncio.gather(*unfinished, return_exceptions=True)
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            log.info("answer worker %s stopped", self.id)

    async def _claim_and_start(self) -> bool:
        """Claim as many events as there is room for; False when there was nothing to do (or no room)."""
        content = self.runtime.content
        room = self.settings.worker_concurrency - len(self._held)
        if content is None:
            await self._show_loading_while_content_loads()
            return False
        self._shown_loading.clear()
        # Busy: claim again once a quarter of the slots are free, so that claims come in batches, not one by one.
        if room <= 0 or (self._held and room < max(1, self.settings.worker_concurrency // 4)):
            return False
        events = await asyncio.to_thread(self._claim, room, list(self._held))
        for event in events:
            task = asyncio.create_task(self._answer(event, content))
            self._held[event.id] = task
            task.add_done_callback(functools.partial(self._release, event.id))
        return bool(events)

    async def _show_loading_while_content_loads(self) -> None:
        """Nothing can be answered before the first index is ready; who writes meanwhile sees that a reply comes."""
        if self.line is None:
            return
        for eid, chat in await asyncio.to_thread(self._waiting_chats):
            if eid not in self._shown_loading:
                self._shown_loading.add(eid)
                await self.line.show_loading(chat, CONTENT_LOADING_SECONDS)

    @staticmethod
    def _waiting_chats() -> list[tuple[str, str]]:
        with session_scope() as session:
            return [(event.id, chat) for event in queue.waiting(session, limit=100)
                    if (chat := one_to_one_chat(json.loads(event.payload or "{}")))]

    def _release(self, eid: str, _done: object) -> None:
        self._held.pop(eid, None)
        self._room.set()

    def _claim(self, room: int, in_hand: list[str]) -> list[WebhookEvent]:
        with session_scope() as session:
            return queue.claim_batch(session, self.id, room, lease_seconds=self.settings.claim_lease_seconds,
                                     in_hand=in_hand)

    async def _answer(self, event: WebhookEvent, content: Content) -> None:
        try:
            outcome = await self._reply(event, content)
        except Exception as exc:
            log.exception("event %s failed (attempt %d)", event.id, event.attempts)
            retry = event.attempts < queue.MAX_ATTEMPTS and utcnow() < self._valid_until(event)
            outcome = Outcome(EventStatus.pending if retry else EventStatus.failed,
                              error=f"{type(exc).__name__}: {exc}")
        done = asyncio.get_running_loop().create_future()
        self._outcomes.append((event.id, outcome, done))
        self._outcomes_waiting.set()
        await done  # the event stays this worker's (its lease renewed) until its outcome is written

    async def _reply(self, event: WebhookEvent, content: Content) -> Outcome:
        if event.mode == "standby":
            return Outcome(EventStatus.done)  # another channel answers this chat
        if event.reply_token and utcnow() >= self._valid_until(event):
            log.warning("event %s is older than its reply token's life: recorded as missed", event.id)
            return Outcome(EventStatus.missed, error="reply token expired before the event could be answered")
        messages = event.reply_messages  # answered before, by a worker that died or timed out before finishing
        if messages is None:
            raw = json.loads(event.payload or "{}")
            profile_language = await self._profile_language(raw) if raw.get("type") == "follow" else None
            loading = asyncio.create_task(self._loading_later(one_to_one_chat(raw)))
            try:
                messages = await asyncio.to_thread(self._respond, event.id, raw, content, profile_language)
            finally:
                loading.cancel()
        if not messages or not event.reply_token:
            return Outcome(EventStatus.done)
        if self.line is None:
            return Outcome(EventStatus.failed, error="LINE channel not configured")
        sent = await self.line.reply(event.reply_token, messages, valid_until=self._valid_until(event))
        return Outcome(EventStatus.done, sent.request_id, sent.error)

    def _respond(self, eid: str, raw: dict, content: Content, profile_language: str | None) -> list[dict]:
        """Answer, and save the reply in the transaction that changed the conversation: exactly once, however
        often the reply must be sent."""
        with session_scope() as session:
            reply = respond_to_event(session, to_inbound(raw), kb=content.kb, engine=content.engine,
                                     profile_language=profile_language)
            messages = reply.messages if reply is not None else []
            queue.save_reply(session, eid, messages)
            return messages

    async def _loading_later(self, chat_id: str | None) -> None:
        """LINE's loading animation when the answer takes a while; never delays the reply itself."""
        if chat_id and self.line is not None:
            await asyncio.sleep(LOADING_AFTER_SECONDS)
            await self.line.show_loading(chat_id, LOADING_SECONDS)

    async def _profile_language(self, raw: dict) -> str | None:
        user_id = line_user_id(raw)
        if user_id is None or self.line is None:
            return None
        return await self.line.profile_language(user_id)

    def _valid_until(self, event: WebhookEvent) -> dt.datetime:
        return queue.reply_deadline(event, self.settings.reply_token_ttl_seconds)

    async def _write_outcomes_forever(self) -> None:
        while True:
            await self._outcomes_waiting.wait()
            self._outcomes_waiting.clear()
            written, self._outcomes = self._outcomes, []
            # In the order of the rows' keys, so that two workers' writes never wait for each other crosswise.
            outcomes = sorted(((eid, outcome) for eid, outcome, _ in written), key=lambda pair: pair[0])
            try:
                for attempt in range(1, OUTCOME_ATTEMPTS + 1):
                    try:
                        async with self._writing_held_rows:
                            await asyncio.to_thread(self._finish, outcomes)
                        break
                    except Exception:  # after the last attempt the events stay claimed: their leases run out and
                        log.exception("recording the outcome of %d event(s) failed (attempt %d)", len(written),
                                      attempt)
                        await asyncio.sleep(0.05 * attempt)  # they are taken up again, and their saved reply resent
            finally:  # whatever happened, the answers waiting for this write end: a worker never stalls on one
                for _eid, _outcome, done in written:
                    if not done.done():
                        done.set_result(None)

    def _finish(self, outcomes: list[tuple[str, Outcome]]) -> None:
        with session_scope() as session:
            queue.finish(session, self.id, outcomes)

    async def _renew_leases_forever(self) -> None:
        every = self.settings.claim_lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            try:
                async with self._writing_held_rows:
                    await asyncio.to_thread(self._renew, sorted(self._held))
            except Exception:
                log.exception("renewing leases failed")

    def _renew(self, event_ids: list[str]) -> None:
        with session_scope() as session:
            queue.renew_leases(session, self.id, event_ids, lease_seconds=self.settings.claim_lease_seconds)

    async def _housekeeping_forever(self) -> None:
        last_forget = dt.datetime.min.replace(tzinfo=dt.UTC)
        while True:
            try:
                forget = utcnow() - last_forget >= FORGET_EVERY
                await asyncio.to_thread(self._housekeeping, forget)
                if forget:
                    last_forget = utcnow()
            except Exception:
                log.exception("housekeeping failed")
            await asyncio.sleep(HOUSEKEEPING_SECONDS)

    def _housekeeping(self, forget: bool) -> None:
        with session_scope() as session:
            if missed := queue.miss_expired(session, ttl_seconds=self.settings.reply_token_ttl_seconds):
                log.warning("%d event(s) waited past their reply token's life: recorded as missed", missed)
            if failed := queue.give_up_exhausted(session):
                log.error("%d event(s) failed %d times: recorded as failed", failed, queue.MAX_ATTEMPTS)
            if not forget:
                return
            retention = dt.timedelta(hours=self.settings.webhook_retention_hours)
            if deleted := queue.delete_finished(session, older_than=retention):
                log.info("deleted %d finished event(s) past retention", deleted)
            if cleared := context.forget_quiet(session, memory_minutes=self.settings.conversation_memory_minutes):
                log.info("forgot %d quiet conversation(s)", cleared)
        checkpoint_wal()  # erased text must not linger in SQLite's write-ahead log


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """`python -m app worker`: this process's content, LINE client and worker, until `stop`."""
    runtime = Runtime(settings)
    line = None
    if settings.line_channel_access_token:
        line = LineApi(settings)
        await line.start()
    else:
        log.warning("LINE_CHANNEL_ACCESS_TOKEN not set: events are answered but no reply can be sent")
    polling = asyncio.create_task(runtime.poll_content_forever())
    try:
        await AnswerWorker(runtime, line, settings).run(stop)
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        if line is not None:
            await line.close()
