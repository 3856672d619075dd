"""The content citizens are answered from, as each process (web or answer worker) holds it.

Content is a (knowledge, engine, revision) triple swapped as one. Each process polls the content revision; when staff
publish, it answers from the new content within a poll interval and a second: the new documents are indexed with the
current engine's encoder and calibration (`reindex`), and the complete engine — encoder trained on the new content,
calibration refitted, one to two minutes — is built in a background thread and swapped in when ready. Processes
sharing an index directory build it once: the others wait for it and load it. A process starting on content that has
no index yet (a restart soon after a publish) does the same, starting from the newest index on disk; with no index on
disk at all (a first start) it answers within seconds from the lexical signals alone, calibrated for them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Protocol

from fastapi import HTTPException, Request

from app.config import Settings
from app.db import session_scope
from app.knowledge.service import KnowledgeBase, current_revision, load_from_database
from app.nlu.service import BuildProgress, NluEngine, build_engine, lexical_engine, load_engine, newest_engine, reindex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Content:
    kb: KnowledgeBase
    engine: NluEngine
    revision: int


def serving_content(request: Request) -> Content:
    """The content a request is answered from; 503 while the first engine is still being built at start."""
    content = request.app.state.runtime.content
    if content is None:
        raise HTTPException(503, "content is still loading; retry in a few seconds")
    return content


_BASIS_LOG = {
    "complete": "complete index",
    "reindexed": "an earlier index over the new content while the complete index is built",
    "lexical": "words alone while the complete index is built (a first start: one to two minutes)",
}


class ContentSource(Protocol):
    def revision(self) -> int: ...

    def knowledge(self) -> KnowledgeBase: ...


class DatabaseContent:
    """Published content as staff left it in the database."""

    def __init__(self, settings: Settings):
        self._settings = settings

    def revision(self) -> int:
        with session_scope() as session:
            return current_revision(session)

    def knowledge(self) -> KnowledgeBase:
        with session_scope() as session:
            return load_from_database(session, self._settings.knowledge_dir)


class Runtime:
    def __init__(self, settings: Settings, source: ContentSource | None = None):
        self.settings = settings
        self.source = source or DatabaseContent(settings)
        self.content: Content | None = None  # None until the first engine is ready
        self.last_error: str | None = None
        self._refresh_lock = threading.Lock()
        self._completion_lock = threading.Lock()
        self._to_complete: KnowledgeBase | None = None  # newest content waiting for its complete engine
        self._completer: threading.Thread | None = None
        self.build: BuildProgress | None = None  # the complete engine this process is building, while it does

    @property
    def ready(self) -> bool:
        return self.content is not None

    def refresh(self) -> bool:
        """Answer from the newest published content; True when new content was swapped in."""
        with self._refresh_lock:
            revision = self.source.revision()
            if self.content is not None and self.content.revision == revision:
                return False
            kb = self.source.knowledge()
            try:
                engine = self._engine_now(kb)
            except Exception as exc:  # keep answering from the old content; say why in /readyz and the log
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("content revision %s could not be built; still answering from the previous one", revision)
                return False
            self.content = Content(kb, engine, revision)
            self.last_error = None
            log.info("answering from content revision %s (%d published services; %s)", revision, len(kb.published),
                     _BASIS_LOG[engine.basis])
            return True

    def _engine_now(self, kb: KnowledgeBase) -> NluEngine:
        engine = load_engine(kb, self.settings)
        if engine is not None:
            return engine
        # A restart after staff published starts from the newest index on disk; a first start from the words alone.
        base = self.content.engine if self.content is not None else newest_engine(kb, self.settings)
        if base is None:
            log.info("no retrieval index on disk yet: building one from the words alone to answer with meanwhile")
            started = time.monotonic()
            engine = lexical_engine(kb, self.settings)
            log.info("lexical engine ready in %.1fs", time.monotonic() - started)
        else:
            engine = reindex(base, kb)
        self._complete_later(kb)
        return engine

    def _complete_later(self, kb: KnowledgeBase) -> None:
        with self._completion_lock:
            self._to_complete = kb  # content published meanwhile replaces what was waiting: only the newest is built
            if self._completer is None:
                self.build = BuildProgress()  # shown on /readyz from now, not from when the thread gets going
                self._completer = threading.Thread(target=self._complete_engines, name="nlu-complete", daemon=True)
                self._completer.start()

    def _complete_engines(self) -> None:
        while True:
            with self._completion_lock:
                kb, self._to_complete = self._to_complete, None
                if kb is None:
                    self._completer = None
                    return
            self.build = self.build or BuildProgress()
            try:
                engine = build_engine(kb, self.settings, self.build)
            except Exception:  # the engine answering now keeps answering; the next publish tries again
                log.exception("building the complete NLU engine for knowledge %s failed", kb.version)
                continue
            finally:
                self.build = None
            with self._refresh_lock:
                if self.content is not None and self.content.kb.version == kb.version:
                    self.content = replace(self.content, engine=engine)
                    log.info("complete NLU engine for knowledge %s swapped in", kb.version)

    def wait_for_complete_engine(self, timeout: float) -> bool:
        """Tests and benchmarks: block until no background build runs; True if none does."""
        completer = self._completer
        if completer is not None:
            completer.join(timeout)
        return self._completer is None

    async def poll_content_forever(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:
                log.exception("content refresh failed")
            await asyncio.sleep(self.settings.content_poll_seconds)
