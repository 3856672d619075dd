"""The eligibility check: a service's yes/no questions asked one per message, ending in "you appear to qualify —
next steps …" or "you appear not to, because … — try …".

The state lives in the user's `UserState` row (pseudonymised user), so whichever server process receives the next
answer carries on. A check ends when every question is answered, on 「取消」/cancel, after
`eligibility_check_timeout_minutes` without an answer, or when the user writes something that is not an answer
(a new question is answered as a question).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

from sqlmodel import Session

from app.conversation import messages, texts
from app.conversation.models import UserState
from app.db import as_utc, utcnow
from app.knowledge.schemas import EligibilityQuestion, Service
from app.nlu.facts import describe as describe_facts

ELIGIBILITY = "eligibility"

Answer = Literal["yes", "no", "unsure", "cancel"]
_TYPED_ANSWERS: tuple[tuple[Answer, frozenset[str]], ...] = (
    ("cancel", texts.CANCEL_WORDS), ("unsure", texts.UNSURE_WORDS), ("yes", texts.YES_WORDS), ("no", texts.NO_WORDS))


@dataclass(frozen=True)
class Step:
    """What the bot says at one point of the check, in `language`; `text` is its plain-text form."""

    message: dict
    text: str
    language: str


def load_state(session: Session, user: str | None) -> UserState | None:
    """The user's state row, created on first use; None for anonymous callers (nothing can be kept for them)."""
    if not user:
        return None
    return session.get(UserState, user) or UserState(user_pseudonym=user)


def save(session: Session, state: UserState) -> None:
    state.updated_at = utcnow()
    session.add(state)


def expired(state: UserState, *, timeout_minutes: float, now: dt.datetime | None = None) -> bool:
    return (now or utcnow()) - as_utc(state.updated_at) > dt.timedelta(minutes=timeout_minutes)


def check_under_way(state: UserState | None, *, timeout_minutes: float) -> TypeGuard[UserState]:
    """True while a check waits for an answer; a check left unanswered too long is ended here."""
    if state is None or state.flow != ELIGIBILITY:
        return False
    if expired(state, timeout_minutes=timeout_minutes):
        end(state)
        return False
    return True


def end(state: UserState) -> None:
    state.flow, state.flow_service_id, state.flow_step, state.flow_answers = None, None, 0, {}


def typed_answer(text: str) -> Answer | None:
    """A typed message read as an answer to the current question, or None when it is something else."""
    words = re.sub(r"[\s。．.!！?？~～,，、]+", " ", text.lower()).strip()
    for answer, vocabulary in _TYPED_ANSWERS:
        if words in vocabulary:
            return answer
    return None


def check_language(service: Service, lang: str) -> str:
    """The check speaks the user's language only when the service and every question are translated into it."""
    translated = lang in service.translations and all(lang in q.translations for q in service.eligibility_check)
    return lang if translated else "zh-TW"


def start(state: UserState, service: Service, facts: dict | None = None) -> Step:
    """Begin (or begin again) the check of `service`, in the user's language when the questions are written in it.
    Questions that the facts the person stated answer (「我26歲設籍西屯」) are not asked; the reply says which
    facts it used."""
    state.flow, state.flow_service_id, state.flow_step, state.flow_answers = ELIGIBILITY, service.id, 0, {}
    lang = check_language(service, state.language or "zh-TW")
    return _advance(state, service, lang, facts or {})


def still_fits(state: UserState, service: Service) -> bool:
    """False when staff changed the service's questions so that the check under way points past them."""
    return state.flow_step < len(service.eligibility_check)


def ask_again(state: UserState, service: Service) -> Step:
    """The question the check waits on, asked again (after the person asked something else in between)."""
    return _ask(service, state.flow_step, check_language(service, state.language or "zh-TW"))


def current_question(state: UserState, service: Service) -> EligibilityQuestion:
    return service.eligibility_check[state.flow_step]


def answer(state: UserState, service: Service, given: Answer, *, question_id: str | None = None,
           facts: dict | None = None) -> Step:
    """Record an answer to the current question (`question_id`, when given, must be the current one; an answer
    to an earlier question — an old button tapped again — re-asks the current one)."""
    lang = check_language(service, state.language or "zh-TW")
    if given == "cancel":
        end(state)
        body = texts.text("check_cancelled", lang)
        return Step(messages.text_message(body, messages.navigation(lang)), body, lang)
    question = current_question(state, service)
    if question_id is not None and question_id != question.id:
        return _ask(service, state.flow_step, lang)
    if given == "unsure":
        end(state)
        contact = messages.contact_phrase(service, lang)
        return _result(service, lang, texts.text("check_unsure", lang).format(contact=contact), qualified=None)
    if (result := _record(state, service, question, given == "yes", lang)) is not None:
        return result
    return _advance(state, service, lang, facts or {})


def _record(state: UserState, service: Service, question: EligibilityQuestion, yes: bool, lang: str) -> Step | None:
    """Keep one answer and move on; the verdict when that answer disqualifies."""
    state.flow_answers = {**state.flow_answers, question.id: yes}
    if yes != question.qualifying_answer:
        end(state)
        contact = messages.contact_phrase(service, lang)
        translated = question.reason_translations.get(lang)
        body = texts.text("check_not_qualify_translated" if translated else "check_not_qualify", lang).format(
            title=messages.service_title(service, lang), reason=translated or question.reason_if_not)
        return _result(service, lang, f"{body}\n\n{texts.text('check_try', lang).format(contact=contact)}",
                       qualified=False)
    state.flow_step += 1
    return None


def _advance(state: UserState, service: Service, lang: str, facts: dict) -> Step:
    """From the current question on: answer what the stated facts answer, then ask the first open question, or
    give the verdict when none is left; a reply that rests on facts says which."""
    applied = False
    while state.flow_step < len(service.eligibility_check):
        question = current_question(state, service)
        if (known := _known(question, facts)) is None:
            asked = _ask(service, state.flow_step, lang)
            return _with_facts(asked, facts, lang) if applied else asked
        applied = True
        if (result := _record(state, service, question, known, lang)) is not None:
            return _with_facts(result, facts, lang)
    end(state)
    steps = messages.localized(service, lang)["steps"]
    body = texts.text("check_qualify", lang).format(
        title=messages.service_title(service, lang), steps="\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1))
    )
    result = _result(service, lang, f"{body}\n📞 {messages.contact_phrase(service, lang)}", qualified=True)
    return _with_facts(result, facts, lang) if applied else result


def _known(question: EligibilityQuestion, facts: Mapping[str, Any]) -> bool | None:
    return question.answered_by.answer(facts) if question.answered_by else None


def fact_answer(state: UserState, service: Service, facts: Mapping[str, Any]) -> Answer | None:
    """A typed message read through the facts it states, when they answer the current question (「我今年25歲」 to
    "are you 29 or under?")."""
    known = _known(current_question(state, service), facts)
    return None if known is None else ("yes" if known else "no")


def _with_facts(step: Step, facts: Mapping[str, Any], lang: str) -> Step:
    """The verdict, said to rest on what the person told us."""
    said = describe_facts(facts, lang)
    if not said:
        return step
    prefix = texts.text("facts_used", lang).format(facts="、".join(said) if lang == "zh-TW" else ", ".join(said))
    return Step(messages.prefixed(step.message, prefix), f"{prefix}\n{step.text}", step.language)


def checklist(service: Service, lang: str) -> Step:
    """For callers nothing can be remembered for (no user id): every question at once, with the answer needed."""
    lang = check_language(service, lang)
    if not service.eligibility_check:
        body = texts.text("check_none", lang)
        return Step(messages.text_message(body, messages.navigation(lang)), body, lang)
    items = "\n".join(
        f"{n}. {messages.question_text(q, lang)}"
        f"{texts.text('answer_yes' if q.qualifying_answer else 'answer_no', lang)}"
        for n, q in enumerate(service.eligibility_check, 1)
    )
    body = texts.text("check_checklist", lang).format(title=messages.service_title(service, lang), items=items)
    return _result(service, lang, f"{body}\n📞 {messages.contact_phrase(service, lang)}", qualified=None)


def _ask(service: Service, index: int, lang: str) -> Step:
    message = messages.check_question_message(service, service.eligibility_check[index], index + 1, lang)
    return Step(message, message["text"], lang)


def _result(service: Service, lang: str, body: str, *, qualified: bool | None) -> Step:
    return Step(messages.check_result_message(service, lang, body, qualified=qualified), body, lang)
