"""Read-only JSON of what the bot knows: every plan item of the seeds and every published service."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.conversation.views import API_ERRORS
from app.knowledge.schemas import PlanItem, Service
from app.runtime import serving_content

router = APIRouter(prefix="/api", tags=["knowledge"], responses={503: API_ERRORS[503]})


def _kb(request: Request):
    return serving_content(request).kb


@router.get("/plan-items", response_model=list[PlanItem])
def plan_items(request: Request) -> list[PlanItem]:
    return list(_kb(request).plan_items)


@router.get("/services", response_model=list[Service])
def services(request: Request) -> list[Service]:
    """Every published service with all its fields. Drafts and unpublished services are for staff (the console) only:
    a service taken offline may be wrong or not yet approved."""
    return list(_kb(request).published)
