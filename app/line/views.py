"""`POST /callback`: LINE's webhook. Verify, store, answer 200; answer workers reply from the stored events.

Nothing slow happens here: LINE waits for this acknowledgement (and counts a slow one as a failure), while the answer
to the citizen may take a moment longer.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from linebot.v3.webhook import SignatureValidator

from app.line import metrics

log = logging.getLogger(__name__)
router = APIRouter(tags=["line"])

_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Missing or invalid signature, or a body that is not a LINE webhook"},
    413: {"description": "Body larger than 1 MB (app.web.security.BODY_LIMITS, counted while it streams)"},
    503: {"description": "LINE_CHANNEL_SECRET is not set, so no request can be verified"},
}


def _refuse(status: int, error: str) -> JSONResponse:
    metrics.WEBHOOK_REQUESTS.labels(error).inc()
    return JSONResponse(status_code=status, content={"error": error})


@router.post("/callback", summary="LINE webhook", responses=_REFUSALS)
async def callback(request: Request) -> JSONResponse:
    started = time.perf_counter()
    secret = request.app.state.settings.line_channel_secret
    if secret is None:
        log.error("webhook refused: LINE_CHANNEL_SECRET is not set, so no request can be verified")
        return _refuse(503, "LINE channel not configured")
    signature = request.headers.get("x-line-signature")
    if not signature:  # refused before the body is read: nothing unsigned costs memory
        log.warning("webhook refused: no X-Line-Signature header")
        return _refuse(400, "missing signature")
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(400, "body is not UTF-8")
    if not SignatureValidator(secret.get_secret_value()).validate(text, signature):
        log.warning("webhook refused: invalid signature")
        return _refuse(400, "invalid signature")
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        return _refuse(400, "body is not JSON")
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return _refuse(400, "body has no events list")
    stored = await request.app.state.intake.store(payload["events"])
    metrics.acknowledged(stored, time.perf_counter() - started)
    return JSONResponse({"accepted": stored.new})

