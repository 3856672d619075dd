"""The FastAPI application: `uvicorn app.main:app`.

At start it brings the database schema up to date, seeds curated content into an empty database, and builds the
retrieval index in the background when none matches the content (`/readyz` says when it is ready). The web process
acknowledges LINE's webhooks and answers the JSON API and the console; answer workers (`app.line.worker`) reply to
the stored webhook events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.config import get_settings
from app.console.views import router as console_router
from app.conversation.views import router as ask_router
from app.db import get_engine, is_reachable, migrate, session_scope, startup_lock
from app.knowledge.service import PLACES, database_is_empty, load_from_files, seed_database, seed_places
from app.knowledge.views import router as knowledge_router
from app.line.intake import GroupWriter
from app.line.metrics import router as metrics_router
from app.line.views import router as line_router
from app.privacy import install_log_masking
from app.runtime import Runtime
from app.web.security import BodyLimitMiddleware, SecurityHeadersMiddleware
from app.web.views import router as web_router

log = logging.getLogger("app")


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
                elif database_is_empty(session, PLACES):  # made before places were kept in it (migration 0006)
                    count = seed_places(session, load_from_files(settings.knowledge_dir, settings.intents_dir))
                    log.info("added %d service points from %s to the database", count, settings.knowledge_dir)
        except IntegrityError:  # a process on another machine seeded it first
            log.info("the database was seeded by another process")


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    await asyncio.to_thread(prepare_database)
    if not settings.line_channel_secret:
        log.warning("LINE_CHANNEL_SECRET not set: /callback refuses every request")
    runtime = Runtime(settings)
    intake = GroupWriter(lambda: Session(get_engine(), expire_on_commit=False))
    app.state.settings, app.state.runtime, app.state.intake = settings, runtime, intake
    polling = asyncio.create_task(runtime.poll_content_forever())
    try:
        yield
    finally:
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await asyncio.to_thread(intake.close)


def create_app() -> FastAPI:
    install_log_masking()  # the app's, uvicorn's (query strings: /console/try?q=…) and the LINE SDK's log records
    app = FastAPI(
        title="Labour services LINE bot",
        description="Finds the Taiwanese labour service that fits a citizen's question; who is eligible, how to apply.",
        version="0.1.0",
        lifespan=lifespan,
        # /docs is served from local files by app.web.views (no CDN); ReDoc would load from a CDN, so it is off.
        docs_url=None,
        redoc_url=None,
    )
    # The last added runs first: the 413 of an oversized body gets the security headers too.
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.include_router(line_router)
    app.include_router(metrics_router)
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
            body["answering_from"] = runtime.content.engine.basis
        if (build := runtime.build) is not None:
            body["index_build"] = build.as_json()
        if runtime.last_error:
            body["error"] = runtime.last_error
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    return app


app = create_app()
