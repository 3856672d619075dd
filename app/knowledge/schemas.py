"""Validated schema of the knowledge base: plan items imported from the seeds and curated services.

Staff edit services as YAML files in `knowledge/services/` (one file per service) or in the console; both go through
these models, so a file that does not validate never reaches a citizen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

AGENCY_MOL = "勞動部"
AGENCY_TAICHUNG = "臺中市政府勞工局"

# Languages a service may be translated into (BCP-47 primary tags LINE uses). zh-TW is the source text itself.
TRANSLATION_LANGS = ("en", "id", "vi", "th")

# A Taiwanese phone number as a `tel:` URI accepts it: digits only, optional leading +886, optional extension after
# a comma (the dialler pauses, then dials the extension). Short codes such as 1955 and 1999 are valid too.
PHONE_RE = re.compile(r"^(\+886\d{7,10}|0\d{8,9}|0800\d{6}|1\d{3})(,\d{1,6})?$")


# How people write an extension after the number: 「分機 35099」, 「#35099」, "ext. 35099", 「轉35099」, or the tel: comma.
_EXTENSION_RE = re.compile(r"\s*(?:,|#|分機|轉|ext\.?|extension|x)\s*(\d{1,6})\s*$", re.IGNORECASE)


def canonical_phone(value: object) -> object:
    """A number as people write it (04-2228-9111, (04)2228-9111, full-width digits, 「分機」/#/ext.) in the tel:-ready
    form PHONE_RE accepts; anything that does not become dialable so is returned as given, to be refused as typed."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # YAML reads an unquoted 1955 as a number
    if not isinstance(value, str):
        return value
    folded = unicodedata.normalize("NFKC", value).strip()
    number, extension = folded, ""
    if match := _EXTENSION_RE.search(folded):
        number, extension = folded[: match.start()], "," + match.group(1)
    candidate = re.sub(r"[\s\-().]", "", number) + extension
    return candidate if PHONE_RE.match(candidate) else value


def dialable(phone: str | None) -> str | None:
    if phone is not None and not PHONE_RE.match(phone):
        raise ValueError(f"phone {phone!r} is not a dialable Taiwanese number (digits, optional ',ext')")
    return phone


def known_languages(value: dict) -> dict:
    unknown = set(value) - set(TRANSLATION_LANGS)
    if unknown:
        raise ValueError(f"unknown translation languages {sorted(unknown)}; use {TRANSLATION_LANGS}")
    return value


def backed_by_a_source(last_verified: dt.date, sources: list[Source]) -> None:
    """A verification date must fall in the year of one of the sources that back it (the date a source was
    published, or a call made that year), not be a day someone stamped on every file."""
    years = {source.year for source in sources if source.year}
    if years and last_verified.year not in years:
        raise ValueError(f"last_verified {last_verified} is not backed by a source of {last_verified.year} "
                         f"(sources are of {', '.join(map(str, sorted(years)))}); give the source that was checked")


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
    """An amount a citizen can get (or a figure that binds them, such as the minimum wage). A figure that changes on
    a date is written as two benefits, one `valid_until` the day before and one `valid_from` the day it changes;
    the bot shows the ones in force on the day it answers. A figure nobody has confirmed yet is `confirmed: false`
    (its amount may be missing): the card says so and gives the number to call."""

    description: NonEmpty
    amount: str | None = Field(default=None, description="As a citizen reads it, e.g. 'NT$5,000'")
    year: int = Field(ge=2000, le=2100, description="Year the amount applies to")
    valid_from: dt.date | None = Field(default=None, description="First day the figure applies")
    valid_until: dt.date | None = Field(default=None, description="Last day the figure applies")
    confirmed: bool = Field(default=True, description="False while the figure (or whether it still applies) is unconfirmed")

    @model_validator(mode="after")
    def _period_in_order(self) -> Benefit:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError(f"benefit {self.description!r}: valid_until {self.valid_until} is before valid_from")
        return self

    def in_force(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_until is None or day <= self.valid_until)


class ApplicationWindow(Strict):
    """A period in which applications are accepted (「2026年第1期」). Kept as dates, not only in the steps' text, so the
    bot can say whether it is open today and staff see windows that have closed."""

    label: NonEmpty = Field(description="How people name it, e.g. 2026年第1期")
    opens: dt.date
    closes: dt.date

    @model_validator(mode="after")
    def _in_order(self) -> ApplicationWindow:
        if self.closes < self.opens:
            raise ValueError(f"window {self.label!r} closes before it opens")
        return self


class Contact(Strict):
    name: NonEmpty
    phone: str | None = Field(default=None, description="Digits only, tel:-ready; extension after a comma")
    url: HttpUrl | None = None
    address: str | None = None
    hours: str | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_as_dialled(cls, value: object) -> object:
        return canonical_phone(value)

    @field_validator("phone")
    @classmethod
    def _phone_is_dialable(cls, value: str | None) -> str | None:
        return dialable(value)

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

    def answer(self, facts: Mapping[str, Any]) -> bool | None:
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
    reason_translations: dict[str, str] = Field(default_factory=dict, description="reason_if_not in en/id/vi/th")
    answered_by: FactRule | None = Field(default=None, description="A stated fact that answers it without asking")


class TranslatedContact(Strict):
    name: NonEmpty
    hours: str | None = Field(default=None, description="The contact's opening hours, translated")


class Translation(Strict):
    title: NonEmpty
    agency: str | None = Field(default=None, description="The agency's name, where it is not 勞動部 or the bureau")
    summary: NonEmpty
    eligibility: list[NonEmpty] = Field(min_length=1)
    steps: list[NonEmpty] = Field(min_length=1)
    documents: list[NonEmpty] = Field(default_factory=list)
    notes: list[NonEmpty] = Field(default_factory=list)
    benefits: list[NonEmpty] = Field(default_factory=list, description="Each benefit's description, in order")
    contacts: list[NonEmpty | TranslatedContact] = Field(
        default_factory=list, description="Each contact's name (or name and hours), in order")
    application_windows: list[NonEmpty] = Field(default_factory=list, description="Each window's label, in order")
    source_hash: str | None = Field(
        default=None, description="Fingerprint of the Chinese text this was translated from (Service.fingerprint); "
        "a different fingerprint means the Chinese changed since and the translation is stale")

    def contact_name(self, index: int) -> str:
        contact = self.contacts[index]
        return contact if isinstance(contact, str) else contact.name

    def contact_hours(self, index: int) -> str | None:
        contact = self.contacts[index]
        return None if isinstance(contact, str) else contact.hours


class Kind(StrEnum):
    service = "service"  # a service of 勞動部 or 臺中市政府勞工局
    referral = "referral"  # another agency's matter that people bring to us: a short answer with where to go


# A service whose newest source is older than this many years is shown with a warning to call first: nobody could
# confirm that it still runs as described (the review found eight programmes known only from the 2020 plan).
OLD_SOURCE_YEARS = 3


class Service(Strict):
    """A citizen-facing service answer: what a citizen can get, who is eligible and how to apply."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: NonEmpty = Field(max_length=40)
    short_title: str | None = Field(default=None, max_length=20, description="For quick-reply labels (≤ 20 chars)")
    agency: NonEmpty
    kind: Kind = Kind.service
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
    application_windows: list[ApplicationWindow] = Field(default_factory=list)
    last_verified: dt.date = Field(
        description="When the content was last confirmed: the date of the newest source that backs it (or of a call "
        "to the office); it must fall in the year of one of its sources")
    status: Status = Status.draft
    translations: dict[str, Translation] = Field(default_factory=dict)

    @field_validator("translations")
    @classmethod
    def _known_languages(cls, value: dict[str, Translation]) -> dict[str, Translation]:
        return known_languages(value)

    @model_validator(mode="after")
    def _verified_by_a_source(self) -> Service:
        backed_by_a_source(self.last_verified, self.sources)
        return self

    @model_validator(mode="after")
    def _translations_line_up(self) -> Service:
        """A translation's benefits, contact names and windows stand for the service's, one for one, in order."""
        for lang, translation in self.translations.items():
            for what, translated, original in (("benefits", translation.benefits, self.benefits),
                                               ("contacts", translation.contacts, self.contacts),
                                               ("application_windows", translation.application_windows,
                                                self.application_windows)):
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
                    # a referral only says where to go; a service says how to get it
                    ("steps (≥ 2)" if self.kind is Kind.service else "steps", len(self.steps) >= (2 if self.kind is Kind.service else 1)),
                    ("contacts", len(self.contacts) >= 1),
                    ("sources", len(self.sources) >= 1),
                )
                if not ok
            ]
            if missing:
                raise ValueError(f"a published service needs {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _dated_figures_kept_out_of_the_lead(self) -> Service:
        """A figure that stops applying on a date lives in `benefits`, where the bot picks the one in force; written
        into the title or summary it would still be shown after that date."""
        for benefit in self.benefits:
            if benefit.valid_until and benefit.amount:
                figure = re.sub(r"^NT\$", "", benefit.amount.split("–")[0])
                for field in ("title", "summary"):
                    if figure and figure in getattr(self, field):
                        raise ValueError(f"{field} names {figure}, a figure that ends on {benefit.valid_until}: "
                                         "leave it to the benefits (the bot shows the one in force)")
        return self

    @property
    def label(self) -> str:
        return self.short_title or self.title[:20]

    @property
    def source_years(self) -> set[int]:
        return {source.year for source in self.sources if source.year}

    def rests_on_old_sources(self, today: dt.date) -> bool:
        """True when nothing newer than OLD_SOURCE_YEARS years backs the content."""
        return self.last_verified.year < today.year - OLD_SOURCE_YEARS

    def benefits_on(self, day: dt.date) -> list[tuple[int, Benefit]]:
        """The benefits in force on `day`, with their index (translations line up by index)."""
        return [(i, b) for i, b in enumerate(self.benefits) if b.in_force(day)]

    def fingerprint(self) -> str:
        """A short hash of the Chinese text translations are made from; it changes whenever that text does."""
        translated = {
            "title": self.title, "summary": self.summary, "eligibility": self.eligibility, "steps": self.steps,
            "documents": self.documents, "notes": self.notes,
            "benefits": [b.description for b in self.benefits],
            "contacts": [[c.name, c.hours] for c in self.contacts],
            "application_windows": [w.label for w in self.application_windows],
            "eligibility_check": [[q.question, q.reason_if_not] for q in self.eligibility_check],
        }
        return hashlib.sha1(json.dumps(translated, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]

    def stale_translations(self) -> list[str]:
        """Languages whose translation was made from other Chinese text than today's (or was never stamped)."""
        current = self.fingerprint()
        return [lang for lang, t in self.translations.items() if t.source_hash != current]


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
