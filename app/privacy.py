"""Personal data protection (個人資料保護法): pseudonymous user ids and masking of what people type.

LINE user IDs are stored only as a keyed hash, so the database alone does not identify anyone. ID numbers, phone
numbers, emails and similar are masked before text is logged or stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from app.config import get_settings

# Order matters: the longer, more specific patterns run first so a phone inside an ID is not half-masked.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    # 身分證 / 居留證 (old and new formats): one letter, then 1/2 (citizen) or 8/9 or A-D (resident), 8 digits
    ("id_number", re.compile(r"(?<![A-Za-z0-9])[A-Za-z][12589A-Da-d]\d{8}(?!\d)")),
    # passports and ARC-style long alphanumerics are caught by the card/account rule below when digit-heavy
    ("card_number", re.compile(r"(?<!\d)(?:\d[ -]?){13,19}(?!\d)")),
    ("phone", re.compile(r"(?<!\d)(?:\+?886[ -]?|0)(?:9\d{2}[ -]?\d{3}[ -]?\d{3}|[2-8]\d?[ -]?\d{3,4}[ -]?\d{4})(?!\d)")),
)

_MASKS = {"email": "[email]", "id_number": "[ID]", "card_number": "[number]", "phone": "[phone]"}


def mask_personal_data(text: str) -> str:
    """Replace ID numbers, phone numbers, emails and long card/account numbers with placeholders."""
    for kind, pattern in _PATTERNS:
        text = pattern.sub(_MASKS[kind], text)
    return text


def pseudonymise(user_id: str | None) -> str | None:
    """Keyed hash (HMAC-SHA256) of a LINE user ID: stable per user, not reversible without the key."""
    if not user_id:
        return None
    key = get_settings().pseudonym_key.get_secret_value().encode()
    return hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:32]
