"""The FastAPI application: `uvicorn app.main:app`.

At start it brings the database schema up to date, seeds curated content into an empty database, and builds the
retrieval index in the background when none matches the content (`/readyz` says when it is ready). Events LINE
sends meanwhile are stored and answered as soon as content is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from app.config import get_settings
from app.console.views import router as console_router
from app.conversation import context
from app.conversation.views import router as ask_router
from app.db import is_reachable, migrate, session_scope, startup_lock
from app.knowledge.service import database_is_empty, load_from_files, seed_database
from app.knowledge.views import router as knowledge_router
from app.line.client import LineApi
from app.line.flows import EventPipeline
from app.line.views import router as line_router
from app.runtime import Runtime
from app.web.views import router as web_router

log = logging.getLogger("app")
# How often each process clears conversations that have been quiet longer than CONVERSATION_MEMORY_MINUTES.
FORGET_EVERY_SECONDS = 60


def prepare_database() -> None:
    """Schema to the newest revision; curated files into an empty database (idempotent, safe across processes)."""
    settings = get_settings()
    with startup_lock():
        migrate()
        try:
            with session_scope() as session:
                if database_is_empty(session):
                    kb = load_from_files(settings.knowledge_dir, settings.intents_dir)
                    count = seed_database(session, kb)
                    log.info("seeded the database with %d services from %s", count, settings.knowledge_dir)
        except IntegrityError:  # a process on another machine seeded it first
            log.info("the database was seeded by another process")


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    await asyncio.to_thread(prepare_database)
    line = None
    if settings.line_channel_secret and settings.line_channel_access_token:
        line = LineApi(settings)
        await line.start()
    else:
        log.warning("LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN not set: /callback refuses every request")
    runtime = Runtime(settings, line)
    pipeline = EventPipeline(runtime)
    app.state.runtime, app.state.pipeline = runtime, pipeline
    tasks = [asyncio.create_task(runtime.poll_content_forever()), asyncio.create_task(pipeline.sweep_forever()),
             asyncio.create_task(forget_quiet_conversations_forever(settings.conversation_memory_minutes))]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await pipeline.drain()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if line is not None:
            await line.close()


async def forget_quiet_conversations_forever(memory_minutes: float) -> None:
    """What people said about themselves is not kept past the quiet period, even if they never write again."""

    def forget() -> int:
        with session_scope() as session:
            return context.forget_quiet(session, memory_minutes=memory_minutes)

    while True:
        try:
            if cleared := await asyncio.to_thread(forget):
                log.info("forgot %d quiet conversation(s)", cleared)
        except Exception:
            log.exception("forgetting quiet conversations failed")
        await asyncio.sleep(FORGET_EVERY_SECONDS)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Labour services LINE bot",
        description="Finds the Taiwanese labour service that fits a citizen's question; who is eligible, how to apply.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(line_router)
    app.include_router(ask_router)
    app.include_router(knowledge_router)
    app.include_router(web_router)
    app.include_router(console_router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        return {"status": "alive"}

    @app.get("/readyz", tags=["ops"])
    def readyz() -> JSONResponse:
        runtime = app.state.runtime
        checks = {"database": is_reachable(), "index": runtime.ready}
        body = {"ready": all(checks.values()), **checks}
        if runtime.content is not None:
            body["content_revision"] = runtime.content.revision
            body["index_complete"] = runtime.content.engine.complete  # False while the full index is being rebuilt
        if runtime.last_error:
            body["error"] = runtime.last_error
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    return app


app = create_app()
