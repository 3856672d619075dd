"""What the bot can answer, as targets and the texts that describe them; every signal is computed over these.

Targets: `service:<id>` for each published service, `plan:<plan item id>` for plan items no published service
covers (answered with the item's citizen answer), `intent:<name>` for the conversational intents. Each target is
described by documents: a service by its title, summary, eligibility, keywords, translations and the plan items it
covers; every example phrasing in intents/ is a document of its target.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from app.knowledge.service import KnowledgeBase

SERVICE = "service"
PLAN = "plan"
INTENT = "intent"
SMALLTALK_INTENTS = ("greeting", "thanks", "menu", "human", "feedback")
OUT_OF_SCOPE = "out_of_scope"
INTENTS = (*SMALLTALK_INTENTS, OUT_OF_SCOPE)

DocumentKind = Literal["description", "example"]


@dataclass(frozen=True)
class Document:
    target: str
    kind: DocumentKind  # "description": curated content; "example": a phrasing from intents/
    text: str


def target_kind(target: str) -> str:
    return target.split(":", 1)[0]


def target_name(target: str) -> str:
    return target.split(":", 1)[1]


def _passages(target: str, *parts: str | Iterable[str] | None) -> list[Document]:
    """One description document per passage (a title, a summary, one eligibility line …): a short question is
    compared with the passage it is about, not with a whole page where that passage is one line among many."""
    texts: list[str] = []
    for part in parts:
        if part is None:
            continue
        texts.extend([part] if isinstance(part, str) else part)
    return [Document(target, "description", text.strip()) for text in texts if text and text.strip()]


def service_descriptions(kb: KnowledgeBase) -> list[Document]:
    """Curated text per published service: Chinese fields and each translation's title, summary and eligibility."""
    documents = []
    for service in kb.published:
        target = f"{SERVICE}:{service.id}"
        documents += _passages(
            target,
            f"{service.title} {service.short_title or ''}",
            service.summary,
            service.eligibility,
            " ".join(service.keywords),
        )
        for translation in service.translations.values():
            documents += _passages(target, translation.title, translation.summary, translation.eligibility)
    return documents


def plan_item_descriptions(kb: KnowledgeBase) -> list[Document]:
    """Each plan item describes every published service that covers it, or is a target of its own."""
    covering = covering_services(kb)
    documents = []
    for item in kb.plan_items:
        for target in [f"{SERVICE}:{sid}" for sid in covering.get(item.name, [])] or [f"{PLAN}:{item.id}"]:
            documents += _passages(target, item.name, item.content.splitlines(), item.citizen_answer)
    return documents


def covering_services(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Plan item name → ids of the published services that cover it."""
    covering: dict[str, list[str]] = {}
    for service in kb.published:
        for name in service.plan_items:
            covering.setdefault(name, []).append(service.id)
    return covering


def example_documents(kb: KnowledgeBase) -> list[Document]:
    published = {s.id for s in kb.published}
    documents = [
        Document(f"{SERVICE}:{service_id}", "example", text)
        for service_id, examples in kb.service_examples.items()
        if service_id in published
        for text in examples
    ]
    documents += [
        Document(f"{INTENT}:{intent}", "example", text)
        for intent, examples in kb.intent_examples.items()
        for text in examples
    ]
    return documents


def all_documents(kb: KnowledgeBase) -> list[Document]:
    return service_descriptions(kb) + plan_item_descriptions(kb) + example_documents(kb)


def targets_of(documents: Iterable[Document]) -> list[str]:
    """Every target once, services first, in a stable order (the index's target numbering)."""
    order = {SERVICE: 0, PLAN: 1, INTENT: 2}
    return sorted({d.target for d in documents}, key=lambda t: (order[target_kind(t)], t))
