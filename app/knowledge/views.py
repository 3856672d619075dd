"""Read-only JSON of what the bot knows: every plan item of the seeds and every curated service."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from app.knowledge.schemas import PlanItem, Service

router = APIRouter(prefix="/api", tags=["knowledge"])


def _kb(request: Request):
    content = request.app.state.runtime.content
    if content is None:
        raise HTTPException(503, "content is still loading; retry in a few seconds")
    return content.kb


@router.get("/plan-items", response_model=list[PlanItem])
def plan_items(request: Request) -> list[PlanItem]:
    return list(_kb(request).plan_items)


@router.get("/services", response_model=list[Service])
def services(request: Request) -> list[Service]:
    """Every curated service with all its fields (published and draft; see `status`)."""
    return list(_kb(request).services)
