"""`POST /api/ask`, `/api/postback` and `/api/location`: the same pipeline as the webhook, as JSON (web simulator,
console, evaluation, monitoring). A postback is what LINE sends when a button is tapped, a location what it sends
when someone shares where they are; the simulator sends the same. `GET /api/districts`: the districts the
simulator offers as locations."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, field_validator

from app.conversation.service import Reply, reply_to_location, reply_to_postback, reply_to_text
from app.db import session_scope
from app.places.schemas import Point
from app.privacy import pseudonymise
from app.runtime import serving_content

router = APIRouter(prefix="/api", tags=["api"])


class AskRequest(BaseModel):
    text: str = Field(min_length=1, max_length=5000, description="What the citizen typed (LINE allows 5,000 chars)")
    user_id: str | None = Field(default=None, max_length=64, description="Keeps a conversation's state; stored hashed")
    lang: str | None = Field(default=None, max_length=8, description="Reply language (zh-TW, en, id, vi, th)")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is blank")
        return value


class MatchOut(BaseModel):
    service_id: str | None
    title: str
    agency: str
    plan_items: list[str] = Field(description="The seed plan items (重要計畫項目) the service comes from, exactly as written")
    score: float


class AskResponse(BaseModel):
    kind: Literal["answer", "clarify", "fallback", "smalltalk"]
    language: str
    matches: list[MatchOut] = Field(description="answer: the services answered; clarify: the choices offered")
    alternatives: list[MatchOut] = Field(default_factory=list, description="Other plausible services, a tap away")
    aspect: str | None = Field(default=None, description="The part of the service answered first, if one was asked")
    messages: list[dict] = Field(description="The LINE message objects the bot would send")


def to_response(reply: Reply) -> AskResponse:
    return AskResponse(
        kind=reply.kind,
        language=reply.language,
        matches=[MatchOut(**vars(m)) for m in reply.matches],
        alternatives=[MatchOut(**vars(m)) for m in reply.alternatives],
        aspect=reply.aspect,
        messages=reply.messages,
    )


@router.post("/ask", response_model=AskResponse)
async def ask(request: Request, body: AskRequest) -> AskResponse:
    content = serving_content(request)

    def run() -> Reply:
        with session_scope() as session:
            return reply_to_text(
                session,
                body.text,
                kb=content.kb,
                engine=content.engine,
                channel="api",
                user=pseudonymise(body.user_id),
                language=body.lang,
            )

    return to_response(await run_in_threadpool(run))


class PostbackRequest(BaseModel):
    data: str = Field(min_length=1, max_length=300, description="The tapped button's postback data (LINE allows 300)")
    user_id: str | None = Field(default=None, max_length=64, description="Keeps a conversation's state; stored hashed")
    lang: str | None = Field(default=None, max_length=8, description="Reply language (zh-TW, en, id, vi, th)")


@router.post("/postback", response_model=AskResponse)
async def postback(request: Request, body: PostbackRequest) -> AskResponse:
    content = serving_content(request)

    def run() -> Reply:
        with session_scope() as session:
            return reply_to_postback(
                session, body.data, kb=content.kb, channel="api", user=pseudonymise(body.user_id), language=body.lang
            )

    return to_response(await run_in_threadpool(run))


class LocationRequest(BaseModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    user_id: str | None = Field(default=None, max_length=64, description="Keeps a conversation's state; stored hashed")
    lang: str | None = Field(default=None, max_length=8, description="Reply language (zh-TW, en, id, vi, th)")


@router.post("/location", response_model=AskResponse)
async def location(request: Request, body: LocationRequest) -> AskResponse:
    content = serving_content(request)

    def run() -> Reply:
        with session_scope() as session:
            return reply_to_location(session, Point(lat=body.latitude, lon=body.longitude), kb=content.kb,
                                     channel="api", user=pseudonymise(body.user_id), language=body.lang)

    return to_response(await run_in_threadpool(run))


class DistrictOut(BaseModel):
    name: str
    names: dict[str, str]
    latitude: float
    longitude: float


@router.get("/districts", response_model=list[DistrictOut])
def districts(request: Request) -> list[DistrictOut]:
    """Taichung's districts with their centres (what "share my location" sends from the simulator)."""
    geography = serving_content(request).kb.geography
    return [DistrictOut(name=d.name, names=d.names, latitude=d.centre.lat, longitude=d.centre.lon)
            for d in geography.districts.values()]
