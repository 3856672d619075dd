"""The life of a webhook event: accept (store, then 200) → process after the acknowledgement → reply once.

A sweeper in every process picks up what no live process is handling: events stored while the content was still
loading, and events of a process that died after acknowledging them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging

from app.conversation.service import respond_to_event
from app.db import session_scope, utcnow
from app.line import service
from app.line.models import EventStatus, WebhookEvent
from app.runtime import Runtime

log = logging.getLogger(__name__)

# An event just stored is being handled by the process that stored it; the sweeper leaves it alone this long.
SETTLE = dt.timedelta(seconds=2)
SWEEP_SECONDS = 1.0
# An answer not ready after this long gets LINE's loading animation in a 1:1 chat, so the citizen sees it coming.
LOADING_AFTER_SECONDS = 1.0
LOADING_SECONDS = 10  # 5..60 in steps of 5; the animation stops as soon as the reply arrives
CONTENT_LOADING_SECONDS = 30


class EventPipeline:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._tasks: set[asyncio.Task] = set()

    def accept(self, events: list[dict]) -> list[str]:
        """Store the batch durably; the caller answers 200 only after this returns."""
        with session_scope() as session:
            return service.store_events(session, events)

    def schedule(self, event_ids: list[str]) -> None:
        for eid in event_ids:
            task = asyncio.create_task(self.process(eid))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def process(self, eid: str) -> None:
        content = self.runtime.content
        if content is None:
            # Still loading: the sweeper takes the event once content is ready; meanwhile the citizen sees dots.
            await self._show_loading(await asyncio.to_thread(self._chat_of, eid), CONTENT_LOADING_SECONDS)
            return
        event = await asyncio.to_thread(self._claim, eid)
        if event is None:
            return
        try:
            status, request_id, error = await self._handle(event, content)
        except Exception as exc:
            log.exception("event %s failed (attempt %d)", eid, event.attempts)
            status, request_id, error = EventStatus.failed, None, f"{type(exc).__name__}: {exc}"
            if event.attempts < service.MAX_ATTEMPTS and not self._token_expired(event):
                status = EventStatus.pending  # another attempt by the sweeper
        await asyncio.to_thread(self._finish, eid, status, request_id, error)

    async def _handle(self, event: WebhookEvent, content) -> tuple[EventStatus, str | None, str | None]:
        if event.mode == "standby":
            return EventStatus.done, None, None  # another channel answers this chat
        if event.reply_token and self._token_expired(event):
            log.warning("event %s is older than the reply token's life: recorded as missed", event.id)
            return EventStatus.missed, None, "reply token expired before processing"
        raw = json.loads(event.payload or "{}")
        profile_language = await self._profile_language(raw) if raw.get("type") == "follow" else None
        answering = asyncio.ensure_future(asyncio.to_thread(self._respond, raw, content, profile_language))
        done, _ = await asyncio.wait({answering}, timeout=LOADING_AFTER_SECONDS)
        if not done:
            await self._show_loading(_one_to_one_chat(raw), LOADING_SECONDS)
        reply = await answering
        if reply is None or not reply.messages or not event.reply_token:
            return EventStatus.done, None, None
        if self.runtime.line is None:
            return EventStatus.failed, None, "LINE channel not configured"
        outcome = await self.runtime.line.reply(event.reply_token, reply.messages)
        return EventStatus.done, outcome.request_id, outcome.error

    async def _show_loading(self, chat_id: str | None, seconds: int) -> None:
        if chat_id and self.runtime.line is not None:
            await self.runtime.line.show_loading(chat_id, seconds)

    @staticmethod
    def _chat_of(eid: str) -> str | None:
        with session_scope() as session:
            event = session.get(WebhookEvent, eid)
            return _one_to_one_chat(json.loads(event.payload)) if event and event.payload else None

    async def _profile_language(self, raw: dict) -> str | None:
        user_id = (raw.get("source") or {}).get("userId")
        if not user_id or self.runtime.line is None:
            return None
        return await self.runtime.line.profile_language(user_id)

    def _respond(self, raw: dict, content, profile_language: str | None):
        with session_scope() as session:
            return respond_to_event(session, raw, kb=content.kb, engine=content.engine, profile_language=profile_language)

    def _token_expired(self, event: WebhookEvent) -> bool:
        return service.reply_token_expired(event, self.runtime.settings.reply_token_ttl_seconds)

    @staticmethod
    def _claim(eid: str) -> WebhookEvent | None:
        with session_scope() as session:
            return service.claim(session, eid)

    @staticmethod
    def _finish(eid: str, status: EventStatus, request_id: str | None, error: str | None) -> None:
        with session_scope() as session:
            if status is EventStatus.pending:
                event = session.get(WebhookEvent, eid)
                event.status, event.error = EventStatus.pending, error
                session.add(event)
            else:
                service.finish(session, eid, status, request_id=request_id, error=error)

    async def sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("sweep failed")
            await asyncio.sleep(SWEEP_SECONDS)

    async def sweep(self) -> None:
        if self.runtime.content is None:
            return
        ids = await asyncio.to_thread(self._unfinished)
        for eid in ids:
            await self.process(eid)

    @staticmethod
    def _unfinished() -> list[str]:
        with session_scope() as session:
            service.give_up_exhausted(session)
            return service.unfinished_ids(session, settled_before=utcnow() - SETTLE)

    async def drain(self) -> None:
        """Wait for events in flight (shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _one_to_one_chat(raw: dict) -> str | None:
    """The user id when the event is a message or a tap in a 1:1 chat (LINE shows loading only there)."""
    source = raw.get("source") or {}
    if raw.get("type") in ("message", "postback") and source.get("type") == "user":
        return source.get("userId")
    return None
