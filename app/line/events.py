"""A stored LINE webhook event → the conversation's inbound message (`app.conversation.inbound`).

Fields are read from the event as LINE sent it, each type-checked, instead of through the SDK's strict models: LINE
adds fields and types (a new mentionee type, a new source type), and the bot must tolerate them rather than drop the
message. The LINE user id is pseudonymised here, so the conversation never sees it.
"""

from __future__ import annotations

from typing import TypeGuard

from app.conversation import inbound
from app.privacy import pseudonymise

MEDIA = frozenset({"image", "video", "audio", "file", "sticker"})


def to_inbound(raw: dict) -> inbound.Inbound:
    kind = value if isinstance(value := raw.get("type"), str) else "unknown"
    user = _user(raw)
    message = value if isinstance(value := raw.get("message"), dict) else {}
    message_id = message.get("id") if isinstance(message.get("id"), str) else None
    if kind in ("message", "messageEdited"):
        text = message.get("text")
        if message.get("type") == "text" and isinstance(text, str) and text.strip():
            return inbound.Text(user, text, message_id, edited=kind == "messageEdited")
        latitude, longitude = message.get("latitude"), message.get("longitude")
        if message.get("type") == "location" and _number(latitude) and _number(longitude):
            return inbound.SharedLocation(user, float(latitude), float(longitude))
        if kind == "message" and message.get("type") in MEDIA:
            return inbound.Media(user, message_id)
        return inbound.Other(f"{kind}:{message.get('type')}")
    if kind == "postback":
        postback = value if isinstance(value := raw.get("postback"), dict) else {}
        data = postback.get("data")
        return inbound.Tap(user, data) if isinstance(data, str) else inbound.Other("postback without data")
    if kind == "follow":
        return inbound.Followed(user)
    if kind == "unsend":
        unsend = value if isinstance(value := raw.get("unsend"), dict) else {}
        unsent_id = unsend.get("messageId")
        return inbound.Unsent(user, unsent_id) if isinstance(unsent_id, str) else inbound.Other("unsend without id")
    return inbound.Other(kind)


def line_user_id(raw: dict) -> str | None:
    """The raw LINE user id, for calls to LINE about this user (profile, loading animation); never stored."""
    source = value if isinstance(value := raw.get("source"), dict) else {}
    user_id = source.get("userId")
    return user_id if isinstance(user_id, str) and user_id else None


def one_to_one_chat(raw: dict) -> str | None:
    """The user id when the event is a message or a tap in a 1:1 chat (LINE shows loading only there)."""
    source = value if isinstance(value := raw.get("source"), dict) else {}
    if raw.get("type") in ("message", "postback") and source.get("type") == "user":
        return line_user_id(raw)
    return None


def _user(raw: dict) -> str | None:
    user_id = line_user_id(raw)
    return pseudonymise(user_id) if user_id else None


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= 180
