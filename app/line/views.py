"""`POST /callback`: LINE's webhook. Verify, store, answer 200 — the reply is sent after the acknowledgement."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from linebot.v3.webhook import SignatureValidator

log = logging.getLogger(__name__)
router = APIRouter(tags=["line"])

# LINE's own payloads are a few KB; anything far larger is not LINE.
MAX_BODY_BYTES = 1_000_000


def _refuse(status: int, error: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": error})


@router.post("/callback", summary="LINE webhook")
async def callback(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    secret = runtime.settings.line_channel_secret
    if secret is None:
        log.error("webhook refused: LINE_CHANNEL_SECRET is not set, so no request can be verified")
        return _refuse(503, "LINE channel not configured")
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        return _refuse(413, "body too large")
    signature = request.headers.get("x-line-signature")
    body = await request.body()
    if not signature:
        log.warning("webhook refused: no X-Line-Signature header")
        return _refuse(400, "missing signature")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(400, "body is not UTF-8")
    if not SignatureValidator(secret.get_secret_value()).validate(text, signature):
        log.warning("webhook refused: invalid signature")
        return _refuse(400, "invalid signature")
    try:
        payload = json.loads(text)
    except ValueError:
        return _refuse(400, "body is not JSON")
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return _refuse(400, "body has no events list")
    pipeline = request.app.state.pipeline
    new_ids = await run_in_threadpool(pipeline.accept, payload["events"])
    pipeline.schedule(new_ids)
    return JSONResponse({"accepted": len(new_ids)})
