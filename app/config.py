"""The one settings object. Every value comes from the environment (or a `.env` file), documented in the README."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # LINE channel. Without both, the app starts and /callback refuses every request (logged) — nothing is answered.
    line_channel_secret: SecretStr | None = None
    line_channel_access_token: SecretStr | None = None
    line_api_base_url: str = "https://api.line.me"
    line_timeout_seconds: float = Field(default=5.0, gt=0)
    line_max_retries: int = Field(default=3, ge=0, description="Retries of a 429/5xx answer, with back-off")
    # A reply token is valid about a minute; older pending events are recorded as missed instead of replied to.
    reply_token_ttl_seconds: int = 50

    # Persistence. SQLite file by default; postgresql+psycopg://user@host/db in production.
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'data' / 'laborbot.db'}"
    data_dir: Path = PROJECT_ROOT / "data"
    # Keyed hash for pseudonymising LINE user IDs. Set it in production; the default is only for local runs.
    pseudonym_key: SecretStr = SecretStr("local-development-only-change-me")

    # Knowledge and retrieval
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    intents_dir: Path = PROJECT_ROOT / "intents"
    seeds_dir: Path = PROJECT_ROOT.parent / "shared" / "seeds"
    # "builtin" trains the offline encoder from knowledge/ and intents/; otherwise a sentence-transformers model
    # name or local path (e.g. paraphrase-multilingual-MiniLM-L12-v2 baked into the image).
    embedding_model: str = "builtin"
    index_dir: Path = PROJECT_ROOT / "data" / "index"
    # How often each server process checks whether published content changed (and reloads its index).
    content_poll_seconds: float = Field(default=3.0, gt=0)

    # Conversation. An eligibility check left unanswered this long is over; the next message is a new question.
    eligibility_check_timeout_minutes: float = Field(default=30.0, gt=0)
    # What a conversation is about (its service, the facts stated) is forgotten after this long without a message.
    conversation_memory_minutes: float = Field(default=30.0, gt=0)
    # A font with Chinese glyphs for the rich-menu image; unset: found with fc-match or in Debian's fonts-noto-cjk.
    rich_menu_font: Path | None = None

    # Staff console
    session_secret: SecretStr = SecretStr("local-development-only-change-me")
    session_cookie_secure: bool = False
    # A console login lasts one working day; after that staff sign in again.
    console_session_hours: float = Field(default=8.0, gt=0)
    # Password guessing: this many failed logins within the window lock the username, and the IP, for the window.
    console_login_max_failures: int = Field(default=5, ge=1)
    console_login_window_minutes: int = Field(default=15, ge=1)

    log_level: str = "INFO"


@lru_cache
def get_settings() -> Settings:
    return Settings()
