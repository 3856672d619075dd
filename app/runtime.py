"""Process-wide state: settings, the LINE client, and the content citizens are answered from.

Content is a (knowledge, engine) pair swapped as one. Each process polls the database's content revision and, when
staff publish, builds the new engine in a thread while the old one keeps answering, then swaps — so every process
answers from new content within seconds, without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

from app.config import Settings
from app.db import session_scope
from app.knowledge.service import KnowledgeBase, current_revision, load_from_database
from app.line.client import LineApi
from app.nlu.service import NluEngine, build_engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Content:
    kb: KnowledgeBase
    engine: NluEngine
    revision: int


class Runtime:
    def __init__(self, settings: Settings, line: LineApi | None = None):
        self.settings = settings
        self.line = line
        self.content: Content | None = None  # None until the first engine is built
        self.last_error: str | None = None
        self._refresh_lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self.content is not None

    def refresh(self) -> bool:
        """Load and build content when the database revision moved on; True when new content was swapped in."""
        with self._refresh_lock:
            with session_scope() as session:
                revision = current_revision(session)
                if self.content is not None and self.content.revision == revision:
                    return False
                kb = load_from_database(session, self.settings.knowledge_dir)
            try:
                engine = build_engine(kb, self.settings)
            except Exception as exc:  # keep answering from the old content; say why in /readyz and the log
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("content revision %s could not be built; still answering from the previous one", revision)
                return False
            self.content = Content(kb, engine, revision)
            self.last_error = None
            log.info("answering from content revision %s (%d published services)", revision, len(kb.published))
            return True

    async def poll_content_forever(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:
                log.exception("content refresh failed")
            await asyncio.sleep(self.settings.content_poll_seconds)
