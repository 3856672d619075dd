"""The one settings object. Every value comes from the environment (or a `.env` file), documented in the README."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app import keys

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # LINE channel. Without both, the app starts and /callback refuses every request (logged) — nothing is answered.
    line_channel_secret: SecretStr | None = None
    line_channel_access_token: SecretStr | None = None
    line_api_base_url: str = "https://api.line.me"
    # Counted from when a request is sent: connecting, then waiting for LINE's answer.
    line_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    line_timeout_seconds: float = Field(default=5.0, gt=0)
    line_max_retries: int = Field(default=3, ge=0, description="Retries of a 429/5xx/timeout, with back-off")
    # A reply token is valid about a minute; older pending events are recorded as missed instead of replied to.
    reply_token_ttl_seconds: int = 50

    # Answer workers (`python -m app worker`): processes that take webhook events from the database queue.
    # `python -m app serve` starts this many beside the web server; 0 when workers run elsewhere.
    answer_workers: int = Field(default=1, ge=0)
    worker_concurrency: int = Field(default=16, ge=1, description="Events one worker answers at once")
    # An idle worker looks for new events this often (a busy one claims again as soon as it has room).
    worker_poll_seconds: float = Field(default=0.05, gt=0)
    # A claimed event is the worker's for this long, renewed while it works; a dead worker's events are taken over
    # by another within this time.
    claim_lease_seconds: float = Field(default=5.0, gt=0)
    # A stopping worker lets the events in hand finish this long (within `serve`'s 15 s before a kill); what is
    # still unfinished then is left to its lease: another worker takes it over and sends the reply saved for it.
    worker_stop_grace_seconds: float = Field(default=10.0, gt=0)
    # Finished events are kept this long (a late redelivery is still recognised), then deleted.
    webhook_retention_hours: float = Field(default=48.0, gt=0)

    # Persistence. SQLite file by default; postgresql+psycopg://user@host/db in production.
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'data' / 'laborbot.db'}"
    data_dir: Path = PROJECT_ROOT / "data"
    # Keyed hash for pseudonymising LINE user IDs. Unset: generated into DATA_DIR on first start (app/keys.py).
    # Empty until validation sets it.
    pseudonym_key: SecretStr = SecretStr("")

    # Knowledge and retrieval
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    intents_dir: Path = PROJECT_ROOT / "intents"
    seeds_dir: Path = PROJECT_ROOT.parent / "shared" / "seeds"
    # "builtin" trains the offline encoder from knowledge/ and intents/; otherwise a sentence-transformers model
    # name or local path (e.g. paraphrase-multilingual-MiniLM-L12-v2 baked into the image).
    embedding_model: str = "builtin"
    index_dir: Path = PROJECT_ROOT / "data" / "index"
    # How much the builtin encoder is trained: token tables from different seeds side by side (one table's routing
    # moved with its seed), and passes over the example pairs. Less builds faster and routes worse: for tests of
    # the index's life cycle, not for serving. An index is reused only when built the same way.
    builtin_members: int = Field(default=3, ge=1)
    builtin_epochs: int = Field(default=10, ge=1)
    # The first token table's seed (the others follow it). Part of how an index is built: `python -m app eval
    # --seeds 3` builds with this seed and the next two, since one build's figures move with its seed.
    builtin_seed: int = 20261121
    # Processes that build the cross-validation folds of an index side by side (each trains an encoder); this one
    # included. Two on the two cores a serving machine has: the build takes about half as long.
    index_build_processes: int = Field(default=2, ge=1)
    # How often each server process checks whether published content changed (and reloads its index).
    content_poll_seconds: float = Field(default=3.0, gt=0)

    # Conversation. An eligibility check left unanswered this long is over; the next message is a new question.
    eligibility_check_timeout_minutes: float = Field(default=30.0, gt=0)
    # What a conversation is about (its service, the facts stated) is forgotten after this long without a message.
    conversation_memory_minutes: float = Field(default=30.0, gt=0)
    # A font with Chinese glyphs for the rich-menu image; unset: found with fc-match or in Debian's fonts-noto-cjk.
    rich_menu_font: Path | None = None

    # Staff console
    # Signs console sessions. Unset: generated into DATA_DIR like PSEUDONYM_KEY. Empty until validation sets it.
    session_secret: SecretStr = SecretStr("")
    # Requests that came over HTTPS get a Secure cookie anyway; this forces it where TLS ends at a proxy whose
    # X-Forwarded-Proto does not reach the app.
    session_cookie_secure: bool = False
    # A console login lasts one working day; after that staff sign in again.
    console_session_hours: float = Field(default=8.0, gt=0)
    # Password guessing: this many failed logins within the window lock the username for the window, except from
    # an address the user signed in from before, where only that (username, address) pair is locked.
    console_login_max_failures: int = Field(default=5, ge=1)
    console_login_window_minutes: int = Field(default=15, ge=1)
    # Failures from one address over all usernames (password spraying); far above what an office's typos reach.
    console_login_max_failures_per_ip: int = Field(default=30, ge=1)

    # Anonymous /api/ask, /api/postback and /api/location calls per client address per minute (0: no limit); each
    # stores a conversation turn. Requests from the machine itself (127.0.0.1, ::1, tests) are not limited.
    api_ask_per_minute: int = Field(default=60, ge=0)

    # "production" refuses to start unless SESSION_SECRET and PSEUDONYM_KEY are configured (never generated).
    environment: Literal["development", "production"] = "development"

    log_level: str = "INFO"

    @model_validator(mode="after")
    def _no_known_keys(self) -> Settings:
        # An empty variable (SESSION_SECRET=) is unset, never an empty key.
        configured = {name: value.get_secret_value() if (value := getattr(self, name)) else None
                      for name in ("session_secret", "pseudonym_key")}
        if self.environment == "production":
            problems = [p for name, value in configured.items() if (p := keys.production_problem(name.upper(), value))]
            if problems:
                raise keys.SecretConfigError(
                    "ENVIRONMENT=production refuses to start: " + "; ".join(problems) + ". Set both in the "
                    "environment to random values, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        for name, value in configured.items():
            if not value:
                setattr(self, name, SecretStr(keys.generated_secret(self.data_dir, name)))
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
