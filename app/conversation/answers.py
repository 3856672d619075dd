"""Answering one part of a service — the documents, the amount, where to go — in a short message built only from
the service's curated fields, with the whole card one tap away (「完整說明」) and the other parts as quick replies.

Nothing is composed beyond the curated text: where a service lists no documents or no deadline, the message says
so and gives the number to call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.conversation import messages, texts
from app.knowledge.schemas import Contact, Service
from app.nlu.aspects import Aspect

# A line of the curated text that speaks of time limits, windows or durations.
_TIME_RE = re.compile(
    r"\d+\s*(?:日|天|個?月|年|週|小時)內|期限|截止|之前|以前|前申請|起算|起\d|期間|時效|逾期|當天|隔天|工作天|"
    r"within|deadline|days|months|before|until|paling lambat|dalam|trong vòng|ภายใน"
)
_MONEY_RE = re.compile(r"NT\$|元|萬|%|％|個月|月薪|時薪|成|\d{1,3},\d{3}")
# The most of a list a short answer shows; the card has the rest.
_MOST_ITEMS = 6
_MOST_CONTACTS = 3
_MOST_PLACES = 2


def _bullets(items: Sequence[str], *, numbered: bool = False) -> list[str]:
    return [f"{n}. {item}" if numbered else f"・{item}" for n, item in enumerate(items[:_MOST_ITEMS], 1)]


def _contact_lines(contacts: Sequence[Contact], lang: str, *, with_address: bool = True) -> list[str]:
    lines = []
    for contact in contacts[:_MOST_CONTACTS]:
        parts = [contact.name]
        if contact.phone:
            parts.append("📞 " + messages.display_phone(contact.phone, lang))
        if contact.hours:
            parts.append(contact.hours)
        if with_address and contact.address:
            parts.append("📍 " + contact.address)
        lines.append("・" + " ".join(parts))
    return lines


def aspect_lines(service: Service, aspect: Aspect, lang: str) -> list[str]:
    """The lines that answer `aspect`, in the card's language (the user's when the service is translated)."""
    fields = messages.localized(service, lang)

    def t(key: str) -> str:  # a label in the card's language
        return texts.text(key, lang)

    def heading(key: str) -> str:
        return t(key) + ("：" if lang == "zh-TW" else ":")

    ask = t("ask_more").format(contact=messages.contact_phrase(service, lang))
    contacts = messages.localized_contacts(service, lang)
    match aspect:
        case Aspect.eligibility:
            return [heading("h_eligibility"), *_bullets(fields["eligibility"]), "", ask]
        case Aspect.documents:
            if fields["documents"]:
                return [heading("h_documents"), *_bullets(fields["documents"]), "", ask]
            return [t("no_documents"), *_contact_lines(contacts, lang, with_address=False)]
        case Aspect.apply:
            lines = [heading("h_steps"), *_bullets(fields["steps"], numbered=True)]
            if places := [c for c in contacts if c.address]:  # where to go, with its phone: no separate line to call
                return lines + ["", heading("h_where"), *_contact_lines(places[:_MOST_PLACES], lang)]
            return lines + ["", ask]
        case Aspect.amount:
            if benefits := messages.benefit_lines(service, lang):
                return [heading("h_benefits"), *_bullets(benefits), "", ask]
            money = [line for line in [*fields["eligibility"], *fields["notes"]] if _MONEY_RE.search(line)]
            return [t("no_amount"), *(_bullets(money[:3]) if money else [fields["summary"]]), "", ask]
        case Aspect.deadline:
            timed = messages.window_lines(service, lang)
            timed += [line for line in [*fields["steps"], *fields["eligibility"], *fields["notes"]] if _TIME_RE.search(line)]
            timed += [line for line in messages.benefit_lines(service, lang) if _TIME_RE.search(line)]
            if timed:
                return [heading("h_deadline"), *_bullets(timed), "", ask]
            return [t("no_deadline"), *_contact_lines(contacts, lang, with_address=False)]
        case Aspect.contact:
            return [heading("h_contacts"), *_contact_lines(contacts, lang)]
    raise ValueError(f"unknown aspect {aspect!r}")


def aspect_quick_replies(service: Service, asked: Aspect | None, lang: str) -> list[dict]:
    """「完整說明」 first, then the other parts of the service that it has something to say about."""
    items = [messages.quick_reply(texts.text("btn_full", lang), messages.postback_data("svc", s=service.id, l=lang))]
    offered = [Aspect.eligibility, Aspect.documents, Aspect.apply, Aspect.amount, Aspect.contact]
    for aspect in offered:
        if aspect == asked or (aspect is Aspect.documents and not service.documents) or (
            aspect is Aspect.amount and not service.benefits
        ):
            continue
        data = messages.postback_data("asp", s=service.id, x=aspect.value, l=lang)
        items.append(messages.quick_reply(texts.text(f"q_{aspect.value}", lang), data))
    return items


def alternative_quick_replies(alternatives: Sequence[Service], lang: str) -> list[dict]:
    """「或：…」: the next plausible services, so a wrong first guess is one tap from right."""
    prefix = texts.text("or_prefix", lang)
    return [
        messages.quick_reply(messages.fit(prefix + messages.service_label(s, lang), messages.QUICK_REPLY_LABEL),
                             messages.postback_data("svc", s=s.id, l=lang), display_text=messages.service_title(s, lang))
        for s in alternatives
    ]


def aspect_message(service: Service, aspect: Aspect, lang: str, extra_quick_replies: Sequence[dict] = ()) -> dict:
    """The asked part of `service` as one short text message, in the user's language when it is translated."""
    card_lang = messages.card_language(service, lang)
    lines = [f"【{messages.service_title(service, lang)}】", *messages.notices(service, card_lang, referral=False),
             *aspect_lines(service, aspect, card_lang)]
    if card_lang != lang:
        lines += ["", texts.text("see_1955", lang)]
    full, *other_parts = aspect_quick_replies(service, aspect, lang)
    quick = [full, *extra_quick_replies, *other_parts, *messages.navigation(lang)]
    return messages.text_message("\n".join(lines).strip(), quick)
