"""What a person sent, as the conversation sees it: no channel's payload types, only what the bot answers from.

Channel adapters build these (LINE: `app.line.events`); `user` is already pseudonymised, never a platform's id.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    user: str | None
    text: str
    message_id: str | None  # unsend erases what was stored under it
    edited: bool = False  # the person edited an earlier message: answered as a new question


@dataclass(frozen=True)
class Tap:
    """A button's postback data."""

    user: str | None
    data: str


@dataclass(frozen=True)
class SharedLocation:
    user: str | None
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Media:
    """A sticker, image, video, audio or file: not something the bot can read."""

    user: str | None
    message_id: str | None


@dataclass(frozen=True)
class Followed:
    """A new friend, or one who unblocked the account."""

    user: str | None


@dataclass(frozen=True)
class Unsent:
    user: str | None
    message_id: str


@dataclass(frozen=True)
class Other:
    """Anything else (unfollow, joins, beacons, types LINE adds later): tolerated, nothing is sent."""

    kind: str


Inbound = Text | Tap | SharedLocation | Media | Followed | Unsent | Other
