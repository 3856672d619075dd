"""Validated schema of the knowledge base: plan items imported from the seeds and curated services.

Staff edit services as YAML files in `knowledge/services/` (one file per service) or in the console; both go through
these models, so a file that does not validate never reaches a citizen.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

AGENCY_MOL = "勞動部"
AGENCY_TAICHUNG = "臺中市政府勞工局"

# Languages a service may be translated into (BCP-47 primary tags LINE uses). zh-TW is the source text itself.
TRANSLATION_LANGS = ("en", "id", "vi", "th")

# A Taiwanese phone number as a `tel:` URI accepts it: digits only, optional leading +886, optional extension after
# a comma (the dialler pauses, then dials the extension). Short codes such as 1955 and 1999 are valid too.
PHONE_RE = re.compile(r"^(\+886\d{7,10}|0\d{8,9}|0800\d{6}|1\d{3})(,\d{1,6})?$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


NonEmpty = Annotated[str, Field(min_length=1)]


class PlanItem(Strict):
    """One 重要計畫項目 of a seed plan, as the importer reads it."""

    id: str = Field(pattern=r"^(mol|tc)-\d{2}$", description="Stable id: agency prefix and 1-based order in the plan")
    agency: str
    year: int = Field(description="Plan year, Gregorian (民國109年 = 2020)")
    work_plan: NonEmpty = Field(description="工作計畫名稱 the item belongs to")
    name: NonEmpty = Field(description="重要計畫項目, exactly as the seed writes it (PDF line breaks joined)")
    category: str | None = Field(default=None, description="計畫類別 where the plan has that column")
    content: str = Field(description="實施內容")
    strategy: str = Field(default="", description="The matching 年度施政目標及策略 text")
    source_file: NonEmpty
    source_line: int = Field(ge=1, description="1-based line of the item's name in the source file")
    citizen_answer: str | None = Field(
        default=None,
        description="Honest one-line answer for items no citizen can act on (internal work); None when a service covers it",
    )


class Audience(StrEnum):
    worker = "worker"
    job_seeker = "job_seeker"
    youth = "youth"
    student = "student"
    employer = "employer"
    migrant_worker = "migrant_worker"
    person_with_disability = "person_with_disability"
    senior = "senior"
    woman = "woman"
    union = "union"
    injured_worker = "injured_worker"


class Category(StrEnum):
    """Menu categories a citizen browses by (the quick-reply menu shows these)."""

    youth_jobs = "youth_jobs"  # 青年/找工作
    wages_disputes = "wages_disputes"  # 薪資/勞資爭議
    safety = "safety"  # 職業安全
    migrant = "migrant"  # 移工
    disability = "disability"  # 身障就業
    retirement_insurance = "retirement_insurance"  # 退休/保險
    employer = "employer"  # 雇主/事業單位
    union = "union"  # 工會


class Status(StrEnum):
    draft = "draft"
    published = "published"


class Benefit(Strict):
    description: NonEmpty
    amount: str | None = Field(default=None, description="As a citizen reads it, e.g. 'NT$5,000'")
    year: int = Field(ge=2000, le=2100, description="Year the amount applies to")


class Contact(Strict):
    name: NonEmpty
    phone: str | None = Field(default=None, description="Digits only, tel:-ready; extension after a comma")
    url: HttpUrl | None = None
    address: str | None = None
    hours: str | None = None

    @field_validator("phone")
    @classmethod
    def _phone_is_dialable(cls, value: str | None) -> str | None:
        if value is not None and not PHONE_RE.match(value):
            raise ValueError(f"phone {value!r} is not a dialable Taiwanese number (digits, optional ',ext')")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if not (self.phone or self.url or self.address):
            raise ValueError("a contact needs a phone, a URL or an address")
        return self


class Source(Strict):
    title: NonEmpty
    url: HttpUrl | None = None
    seed: str | None = Field(default=None, description="Seed file name when the fact comes from a plan document")
    year: int | None = Field(default=None, description="Year the source speaks of")

    @model_validator(mode="after")
    def _locatable(self) -> Source:
        if not (self.url or self.seed):
            raise ValueError("a source needs a URL or a seed file")
        return self


class FactRule(Strict):
    """How a fact the person has stated (app.nlu.facts) answers a question without asking it: a number within
    `min`..`max` (「我26歲」 answers "29 or under?" with yes), or a yes/no fact equal to `equals`."""

    fact: Literal["age", "taichung_household", "in_taichung", "unemployed", "involuntary_leaver", "migrant_worker",
                  "employer"]
    min: int | None = None
    max: int | None = None
    equals: bool = True

    def answer(self, facts: dict) -> bool | None:
        """The answer `facts` give to the question ("yes" is True), or None when they do not say."""
        value = facts.get(self.fact)
        if value is None:
            return None
        if self.fact == "age":
            return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)
        return bool(value) == self.equals


class EligibilityQuestion(Strict):
    """A yes/no question of the eligibility check; `qualifying_answer` is the answer that keeps the citizen eligible."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    question: NonEmpty
    qualifying_answer: bool = True
    reason_if_not: NonEmpty = Field(description="Shown when the answer disqualifies, e.g. '本方案限 29 歲以下'")
    translations: dict[str, str] = Field(default_factory=dict, description="Question in en/id/vi/th")
    answered_by: FactRule | None = Field(default=None, description="A stated fact that answers it without asking")


class Translation(Strict):
    title: NonEmpty
    summary: NonEmpty
    eligibility: list[NonEmpty] = Field(min_length=1)
    steps: list[NonEmpty] = Field(min_length=1)
    documents: list[NonEmpty] = Field(default_factory=list)
    notes: list[NonEmpty] = Field(default_factory=list)
    benefits: list[NonEmpty] = Field(default_factory=list, description="Each benefit's description, in order")
    contacts: list[NonEmpty] = Field(default_factory=list, description="Each contact's name, in order")


class Service(Strict):
    """A citizen-facing service answer: what a citizen can get, who is eligible and how to apply."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: NonEmpty = Field(max_length=40)
    short_title: str | None = Field(default=None, max_length=20, description="For quick-reply labels (≤ 20 chars)")
    agency: NonEmpty
    category: Category
    audience: list[Audience] = Field(min_length=1)
    summary: NonEmpty = Field(max_length=200)
    eligibility: list[NonEmpty] = Field(default_factory=list)
    steps: list[NonEmpty] = Field(default_factory=list)
    documents: list[NonEmpty] = Field(default_factory=list)
    benefits: list[Benefit] = Field(default_factory=list)
    notes: list[NonEmpty] = Field(default_factory=list, description="Caveats: what may have changed, what to verify")
    contacts: list[Contact] = Field(default_factory=list)
    plan_items: list[NonEmpty] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)
    keywords: list[NonEmpty] = Field(default_factory=list, description="Domain terms for the segmentation dictionary")
    eligibility_check: list[EligibilityQuestion] = Field(default_factory=list)
    last_verified: dt.date
    status: Status = Status.draft
    translations: dict[str, Translation] = Field(default_factory=dict)

    @field_validator("translations")
    @classmethod
    def _known_languages(cls, value: dict[str, Translation]) -> dict[str, Translation]:
        unknown = set(value) - set(TRANSLATION_LANGS)
        if unknown:
            raise ValueError(f"unknown translation languages {sorted(unknown)}; use {TRANSLATION_LANGS}")
        return value

    @model_validator(mode="after")
    def _translations_line_up(self) -> Service:
        """A translation's benefits and contact names stand for the service's, one for one, in order."""
        for lang, translation in self.translations.items():
            for what, translated, original in (("benefits", translation.benefits, self.benefits),
                                               ("contacts", translation.contacts, self.contacts)):
                if translated and len(translated) != len(original):
                    raise ValueError(f"translation {lang}: {len(translated)} {what} for the service's {len(original)}")
        return self

    @model_validator(mode="after")
    def _published_is_actionable(self) -> Service:
        if self.status is Status.published:
            missing = [
                what
                for what, ok in (
                    ("eligibility", len(self.eligibility) >= 1),
                    ("steps (≥ 2)", len(self.steps) >= 2),
                    ("contacts", len(self.contacts) >= 1),
                    ("sources", len(self.sources) >= 1),
                )
                if not ok
            ]
            if missing:
                raise ValueError(f"a published service needs {', '.join(missing)}")
        return self

    @property
    def label(self) -> str:
        return self.short_title or self.title[:20]


class IntentExamples(Strict):
    """Example phrasings in `intents/`: for a service (`service_id`) or a conversational intent (`intent`)."""

    service_id: str | None = None
    intent: str | None = Field(default=None, pattern=r"^(greeting|thanks|menu|human|feedback|out_of_scope)$")
    examples: list[NonEmpty] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_target(self) -> IntentExamples:
        if (self.service_id is None) == (self.intent is None):
            raise ValueError("give exactly one of service_id or intent")
        return self
