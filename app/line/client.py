"""The LINE Messaging API, through the official SDK, with the operational rules a production bot needs.

Every call has an explicit timeout (the SDK's async default is 300 s). 429 and 5xx answers are retried with bounded
exponential back-off; an `Invalid reply token` is final; a timeout is never retried for a reply, because the token may
already be spent. Every answer's `X-Line-Request-Id` is logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from app.config import Settings

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.25
BACKOFF_MAX_SECONDS = 2.0


@dataclass(frozen=True)
class ReplyOutcome:
    delivered: bool
    request_id: str | None = None
    status: int | None = None
    error: str | None = None
    token_invalid: bool = False


def _request_id(headers) -> str | None:
    if not headers:
        return None
    return dict(headers).get("X-Line-Request-Id") or dict(headers).get("x-line-request-id")


def _error_message(exc: ApiException) -> str:
    try:
        return json.loads(exc.body or b"{}").get("message") or str(exc.reason)
    except (ValueError, AttributeError):
        return str(exc.reason)


class LineApi:
    """One per process: created in the app's lifespan, closed with it."""

    def __init__(self, settings: Settings):
        token = settings.line_channel_access_token
        self._configuration = Configuration(
            host=settings.line_api_base_url.rstrip("/"),
            access_token=token.get_secret_value() if token else None,
        )
        self._timeout = aiohttp.ClientTimeout(total=settings.line_timeout_seconds)
        self._max_retries = settings.line_max_retries
        self._client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None

    async def start(self) -> None:
        self._client = AsyncApiClient(self._configuration)
        self._api = AsyncMessagingApi(self._client)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = self._api = None

    @property
    def api(self) -> AsyncMessagingApi:
        if self._api is None:
            raise RuntimeError("LineApi.start() was not called")
        return self._api

    async def reply(self, reply_token: str, messages: list[dict]) -> ReplyOutcome:
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        for attempt in range(self._max_retries + 1):
            try:
                response = await self.api.reply_message_with_http_info(request, _request_timeout=self._timeout)
            except ApiException as exc:
                request_id = _request_id(exc.headers)
                message = _error_message(exc)
                if exc.status == 400 and "reply token" in message.lower():
                    log.warning("reply not sent: %s (X-Line-Request-Id %s)", message, request_id)
                    return ReplyOutcome(False, request_id, exc.status, message, token_invalid=True)
                if exc.status in RETRYABLE_STATUSES and attempt < self._max_retries:
                    delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
                    log.warning("LINE answered %s (X-Line-Request-Id %s); retry in %.2fs", exc.status, request_id, delay)
                    await asyncio.sleep(delay)
                    continue
                log.error("reply failed: %s %s (X-Line-Request-Id %s)", exc.status, message, request_id)
                return ReplyOutcome(False, request_id, exc.status, message)
            except (TimeoutError, aiohttp.ClientError) as exc:
                # Not retried: LINE may have accepted the reply and spent the token.
                log.error("reply not confirmed (%s): not retried, the reply token may be spent", type(exc).__name__)
                return ReplyOutcome(False, error=f"{type(exc).__name__}: {exc}")
            request_id = _request_id(response.headers)
            log.info("reply sent (X-Line-Request-Id %s)", request_id)
            return ReplyOutcome(True, request_id, response.status_code)
        raise AssertionError("unreachable")  # the loop always returns

    async def show_loading(self, user_id: str, seconds: int = 5) -> None:
        """Loading animation in a 1:1 chat while a slow answer is prepared; best effort, never blocks a reply."""
        try:
            await self.api.show_loading_animation(
                ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=seconds), _request_timeout=self._timeout
            )
        except (ApiException, TimeoutError, aiohttp.ClientError) as exc:
            log.info("loading animation not shown: %s", getattr(exc, "status", type(exc).__name__))

    async def profile_language(self, user_id: str) -> str | None:
        """The language of the user's LINE profile, when the user consented to share it."""
        try:
            profile = await self.api.get_profile(user_id, _request_timeout=self._timeout)
        except (ApiException, TimeoutError, aiohttp.ClientError) as exc:
            log.info("profile not available: %s", getattr(exc, "status", type(exc).__name__))
            return None
        return profile.language
