"""`POST /api/ask`, `/api/postback` and `/api/location`: the same pipeline as the webhook, as JSON (web simulator,
console, evaluation, monitoring). A postback is what LINE sends when a button is tapped, a location what it sends
when someone shares where they are; the simulator sends the same. `GET /api/districts`: the districts the
simulator offers as locations.

The API is anonymous, so it never acts as a LINE user: its `user_id` is pseudonymised in a namespace of its own, and a
caller who sends a LINE user's id starts a conversation of its own. Each conversation call stores a turn, so a client
address gets `API_ASK_PER_MINUTE` of them.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, field_validator, model_validator

from app.config import get_settings
from app.conversation.service import Reply, reply_to_location, reply_to_postback, reply_to_text
from app.db import session_scope, storable_json
from app.places.schemas import Point
from app.privacy import pseudonymise
from app.runtime import serving_content
from app.web.security import BODY_LIMITS, ClientRateLimiter

# What every /api route may answer besides 200 and FastAPI's own 422.
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not UTF-8, or its JSON cannot be parsed (e.g. nested too deep)"},
    413: {"description": f"The body is larger than {BODY_LIMITS['/api']} bytes; refused before it is read"},
    503: {"description": "Content is still loading after a start; retry in a few seconds"},
}
router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)
LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many calls from this address (API_ASK_PER_MINUTE); see Retry-After"},
}
_limiter = ClientRateLimiter()
# Our requests are flat: whatever is nested deeper than this is dropped before validation.
MAX_DEPTH = 8


class ApiRequest(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _clean(cls, data):
        """Every string cleaned before validation: a 422 echoes what it refused, and could not encode a lone
        surrogate either."""
        return storable_json(data, MAX_DEPTH)[0]


def within_rate_limit(request: Request) -> None:
    wait = _limiter.retry_after(request.client.host if request.client else "", get_settings().api_ask_per_minute)
    if wait is not None:
        raise HTTPException(429, "請求太頻繁，請稍後再試。Too many requests; retry later.",
                            headers={"Retry-After": str(wait)})


def api_user(user_id: str | None) -> str | None:
    """The API's own pseudonym: never the one a LINE user with this raw id has."""
    return pseudonymise(user_id, namespace="api")


class AskRequest(ApiRequest):
    text: str = Field(min_length=1, max_length=5000, description="What the citizen typed (LINE allows 5,000 chars)")
    user_id: str | None = Field(default=None, max_length=64,
                                      description="Keeps a conversation's state; stored hashed, apart from LINE users")
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


@router.post("/ask", response_model=AskResponse, responses=LIMITED, dependencies=[Depends(within_rate_limit)])
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
                user=api_user(body.user_id),
                language=body.lang,
            )

    return to_response(await run_in_threadpool(run))


class PostbackRequest(ApiRequest):
    data: str = Field(min_length=1, max_length=300, description="The tapped button's postback data (LINE allows 300)")
    user_id: str | None = Field(default=None, max_length=64,
                                      description="Keeps a conversation's state; stored hashed, apart from LINE users")
    lang: str | None = Field(default=None, max_length=8, description="Reply language (zh-TW, en, id, vi, th)")


@router.post("/postback", response_model=AskResponse, responses=LIMITED, dependencies=[Depends(within_rate_limit)])
async def postback(request: Request, body: PostbackRequest) -> AskResponse:
    content = serving_content(request)

    def run() -> Reply:
        with session_scope() as session:
            return reply_to_postback(
                session, body.data, kb=content.kb, channel="api", user=api_user(body.user_id), language=body.lang
            )

    return to_response(await run_in_threadpool(run))


class LocationRequest(ApiRequest):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    user_id: str | None = Field(default=None, max_length=64,
                                      description="Keeps a conversation's state; stored hashed, apart from LINE users")
    lang: str | None = Field(default=None, max_length=8, description="Reply language (zh-TW, en, id, vi, th)")


@router.post("/location", response_model=AskResponse, responses=LIMITED, dependencies=[Depends(within_rate_limit)])
async def location(request: Request, body: LocationRequest) -> AskResponse:
    content = serving_content(request)

    def run() -> Reply:
        with session_scope() as session:
            return reply_to_location(session, Point(lat=body.latitude, lon=body.longitude), kb=content.kb,
                                     channel="api", user=api_user(body.user_id), language=body.lang)

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
