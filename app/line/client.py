"""The LINE Messaging API, through the official SDK, with the operational rules a production bot needs.

Timeouts count from the moment a request is sent (connecting, then waiting for LINE's answer), never the time spent
waiting for a pooled connection inside this process: a slow queue of our own is not a LINE failure. A reply's 429,
5xx, timeout or dropped connection is retried with bounded exponential back-off while the reply token can still be
valid. A retry cannot send a reply twice: LINE's reply tokens are single use, so a retry of a reply LINE did receive
is answered `Invalid reply token`, which ends the attempts. Any failure after LINE answered 2xx (an answer the SDK
cannot parse) counts as delivered and is not sent again. Every answer's `X-Line-Request-Id` is logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from dataclasses import dataclass

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from app.config import Settings
from app.db import utcnow

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# The reply endpoint as the SDK's generated `reply_message_with_http_info` calls it.
REPLY_PATH = "/v2/bot/message/reply"
REPLY_RESPONSES = {"200": "ReplyMessageResponse", "400": "ErrorResponse", "429": "ErrorResponse"}
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
        # One pooled connection per event a worker answers at once (and a few for loading animations), so a request
        # rarely waits for a connection; when it does, that wait is not part of its timeout.
        self._configuration.connection_pool_maxsize = settings.worker_concurrency + 4
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=settings.line_connect_timeout_seconds,
                                              sock_read=settings.line_timeout_seconds)
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

    async def reply(self, reply_token: str, messages: list[dict], *, valid_until: dt.datetime) -> ReplyOutcome:
        """Send a reply; retried while the token is valid (`valid_until`), at most `line_max_retries` times."""
        body = {"replyToken": reply_token, "messages": messages}
        attempt = 0
        maybe_received = False  # an earlier attempt timed out or lost its connection: LINE may have it
        while True:
            try:
                response = await self._send_reply(body)
            except ApiException as exc:
                request_id, message = _request_id(exc.headers), _error_message(exc)
                if exc.status == 400 and "reply token" in message.lower():
                    if maybe_received:  # the earlier attempt that got no answer was delivered and spent the token
                        log.info("reply token spent by an earlier attempt (X-Line-Request-Id %s)", request_id)
                        return ReplyOutcome(True, request_id, exc.status)
                    log.warning("reply not sent: %s (X-Line-Request-Id %s)", message, request_id)
                    return ReplyOutcome(False, request_id, exc.status, message, token_invalid=True)
                failure = ReplyOutcome(False, request_id, exc.status, message)
                if exc.status not in RETRYABLE_STATUSES:
                    log.error("reply failed: %s %s (X-Line-Request-Id %s)", exc.status, message, request_id)
                    return failure
            except (TimeoutError, aiohttp.ClientError) as exc:
                failure = ReplyOutcome(False, error=f"{type(exc).__name__}: {exc}")
                maybe_received = True
            except Exception as exc:  # LINE answered 2xx, the SDK could not read the answer: the reply was sent
                log.warning("reply sent, LINE's answer not understood (%s)", type(exc).__name__)
                return ReplyOutcome(True, None, 200)
            else:
                request_id = _request_id(response.headers)
                log.info("reply sent (X-Line-Request-Id %s)", request_id)
                return ReplyOutcome(True, request_id, response.status_code)
            delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
            if attempt >= self._max_retries or utcnow() + dt.timedelta(seconds=delay) >= valid_until:
                log.error("reply not sent after %d attempt(s): %s", attempt + 1, failure.error or failure.status)
                return failure
            log.warning("reply attempt %d: %s; retry in %.2fs", attempt + 1, failure.error or failure.status, delay)
            await asyncio.sleep(delay)
            attempt += 1

    async def _send_reply(self, body: dict):
        """The SDK's reply call, given the message JSON as it is. `reply_message_with_http_info` would first turn a
        card into the SDK's pydantic models and back into JSON: two thirds of a worker's CPU time under load. Our
        messages are checked against LINE's OpenAPI schema by the tests, and LINE checks them again."""
        if self._client is None:
            raise RuntimeError("LineApi.start() was not called")
        return await self._client.call_api(
            REPLY_PATH, "POST", {}, [], {"Accept": "application/json", "Content-Type": "application/json"},
            body=body, post_params=[], files={}, response_types_map=REPLY_RESPONSES, auth_settings=["Bearer"],
            _request_timeout=self._timeout)

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
