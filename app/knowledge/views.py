"""Read-only JSON of what the bot knows: every plan item of the seeds and every curated service."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.knowledge.schemas import PlanItem, Service
from app.runtime import serving_content

router = APIRouter(prefix="/api", tags=["knowledge"])


def _kb(request: Request):
    return serving_content(request).kb


@router.get("/plan-items", response_model=list[PlanItem])
def plan_items(request: Request) -> list[PlanItem]:
    return list(_kb(request).plan_items)


@router.get("/services", response_model=list[Service])
def services(request: Request) -> list[Service]:
    """Every curated service with all its fields (published and draft; see `status`)."""
    return list(_kb(request).services)
