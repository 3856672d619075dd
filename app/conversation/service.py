"""What the bot says. One entry per kind of input; the webhook, /api/ask, /api/postback and the CLI all come here.

    text      → the comment asked for after a 👎 and 「其他」? (kept for staff, not answered)
              → 「重新開始」? (the conversation is forgotten)
              → an eligibility check under way? (an answer goes to it — typed 「對」「沒有」「我今年25歲」 too; any
                other message is answered as a question while the check waits, with a button to go back to it)
              → menu / person commands → understand (app.nlu) and read the aspect asked and the facts stated →
                a follow-up about the conversation's service (「那要帶什麼」) → the asked part of that service;
                otherwise answer (the asked part, or the card, with the next plausible services one tap away) |
                clarify | fallback | smalltalk
              (a question where to go, once the district is known: the nearest service points)
    location  → the nearest points for the conversation's service (or: which service?)
    postback  → a tapped button: service card, one part of a service, nearest points, menu topic, eligibility check,
                👍/👎 (and what was wrong), person, 「都不是」
    follow    → greeting in the LINE profile's language

Every reply is logged (text masked, user pseudonymised). The reply language is the message's own language; a
message without one of its own (「1」, an emoji, a lone "menu") and a tapped button use the user's last language.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import Session, col, select

from app.config import get_settings
from app.conversation import answers, context, flows, inbound, messages, texts, where
from app.conversation.context import Context
from app.conversation.models import ConversationTurn, Feedback, FeedbackReason, UserState
from app.db import utcnow
from app.knowledge.schemas import Service
from app.knowledge.service import KnowledgeBase
from app.nlu.aspects import Aspect, asks_where, detect_aspect, follow_up_only, switches_topic
from app.nlu.calibration import ALTERNATIVE_CONFIDENCE
from app.nlu.documents import OUT_OF_SCOPE, PLAN, SERVICE
from app.nlu.facts import PHRASES as FACT_PHRASES
from app.nlu.facts import extract_facts
from app.nlu.language import detect_language
from app.nlu.service import NluEngine, Understanding
from app.places.schemas import Point
from app.places.service import FAR_KM, Geography, Nearby, distance_km, nearest, nearest_to_district
from app.privacy import mask_personal_data

log = logging.getLogger(__name__)

# Long stories are welcome, but the gist is in the first part; this bounds the time one message can take.
UNDERSTAND_CHARS = 1000
# A message this short, with no topic of its own, continues the conversation.
FOLLOW_UP_CHARS, FOLLOW_UP_WORDS = 12, 6
# A follow-up question (「勞工局地址在哪」) leaves the conversation's service only for a service (or another agency's
# matter: 「那護照過期要去哪辦」) this likely.
SWITCH_CONFIDENCE = 0.8
# An unsure fallback offers services at least this likely. (Beside an answer, the next services are offered from
# ALTERNATIVE_CONFIDENCE on, the figure the decision thresholds were fitted with.)
SUGGESTION_SCORE = 0.2
LOCATION_FACTS = {"district", "in_taichung"}


@dataclass(frozen=True)
class Match:
    service_id: str | None
    title: str
    agency: str
    plan_items: list[str]
    score: float


@dataclass
class Reply:
    kind: str  # answer | clarify | fallback | smalltalk (steps of an eligibility check are answers)
    messages: list[dict]
    language: str = "zh-TW"
    matches: list[Match] = field(default_factory=list)  # answer: the services answered, first the main one
    intent: str | None = None
    confidence: float | None = None
    text_fallback: str | None = None  # the answer as plain text where `messages` hold a card (CLI, text clients)
    alternatives: list[Match] = field(default_factory=list)  # answer: other plausible services, one tap away
    aspect: str | None = None  # the part of the service answered (app.nlu.aspects), None for the whole card

    @property
    def service_id(self) -> str | None:
        return self.matches[0].service_id if self.kind == "answer" and self.matches else None


def match_of(service: Service, score: float = 1.0) -> Match:
    return Match(service.id, service.title, service.agency, list(service.plan_items), score)


def matches_of(understanding: Understanding, kb: KnowledgeBase) -> list[Match]:
    found: list[Match] = []
    for candidate in understanding.candidates:
        if candidate.kind == SERVICE and (service := kb.service(candidate.name)):
            found.append(match_of(service, candidate.score))
        elif candidate.kind == PLAN and (item := kb.plan_item_by_id(candidate.name)):
            found.append(Match(None, item.name, item.agency, [item.name], candidate.score))
    return found


def published(kb: KnowledgeBase, service_id: str | None) -> Service | None:
    return next((s for s in kb.published if s.id == service_id), None)


# --- replies that need no understanding -----------------------------------------------------------------------


def card_reply(service: Service, lang: str, matches: list[Match] | None = None, *,
               alternatives: Sequence[Service] = (), geography: Geography | None = None,
               nearby: Sequence[Nearby] = (), district: str | None = None, **extra) -> Reply:
    """The whole card; once the person's district is known it says 「離您最近：…」, and where the service has
    service points a button asks for the nearest."""
    card_lang = messages.card_language(service, lang)
    closest = where.nearest_line(nearby[0], card_lang, district) if nearby else None
    places = [messages.quick_reply(texts.text("btn_where", lang), messages.postback_data("where", s=service.id, l=lang))
              ] if geography and geography.offering(service.id) else []
    card = messages.with_quick_replies(
        messages.service_card(service, lang, closest=closest),
        [*answers.alternative_quick_replies(alternatives, lang), *places,
         *answers.aspect_quick_replies(service, None, lang)[1:], *messages.navigation(lang)])
    return Reply("answer", [card], lang, matches or [match_of(service)],
                 text_fallback=messages.service_text(service, lang, closest=closest),
                 alternatives=[match_of(s) for s in alternatives], **extra)


def details_reply(service: Service, lang: str) -> Reply:
    """Everything curated about `service`, whole: what its card leaves out or shortens."""
    return Reply("answer", [messages.service_details(service, lang)], lang, [match_of(service)],
                 text_fallback=messages.service_text(service, lang))


def places_reply(service: Service, geography: Geography, found: Sequence[Nearby], lang: str, *, origin: str,
                 district: str | None = None, matches: list[Match] | None = None, **extra) -> Reply:
    """Where to go for `service`: the nearest points, the nearest as a LINE location."""
    shown = where.places_messages(service, geography, found, lang, origin=origin, district=district)
    return Reply("answer", shown, lang, matches or [match_of(service)], text_fallback=shown[0]["text"],
                 aspect=Aspect.contact.value, **extra)


def aspect_reply(service: Service, aspect: Aspect, lang: str, matches: list[Match] | None = None, *,
                 alternatives: Sequence[Service] = (), extra_quick_replies: Sequence[dict] = (), **extra) -> Reply:
    """The asked part of `service` in a short message, the whole card and the other parts a tap away."""
    message = answers.aspect_message(service, aspect, lang, [*extra_quick_replies,
                                                             *answers.alternative_quick_replies(alternatives, lang)])
    return Reply("answer", [message], lang, matches or [match_of(service)], text_fallback=message["text"],
                 alternatives=[match_of(s) for s in alternatives], aspect=aspect.value, **extra)


def pair_reply(services: Sequence[Service], lang: str, matches: list[Match], **extra) -> Reply:
    """A question that needs two services (「被資遣了 資遣費和失業給付」): both cards, side by side."""
    alt = texts.text("two_answers", lang) + " " + "／".join(messages.service_title(s, lang) for s in services)
    shown = messages.side_by_side([messages.service_card(s, lang) for s in services], alt, messages.navigation(lang))
    text = "\n\n".join(messages.service_text(s, lang) for s in services)
    return Reply("answer", shown, lang, matches, text_fallback=text, **extra)


def menu_reply(lang: str) -> Reply:
    return Reply("smalltalk", [messages.menu_message(lang)], lang, intent="menu")


def category_reply(kb: KnowledgeBase, category: str, lang: str) -> Reply:
    services = [s for s in kb.published if s.category == category]
    services.sort(key=lambda s: lang not in s.translations)  # what the user can read in their language first
    return Reply("smalltalk", [messages.category_message(category, services, lang)], lang, intent="menu")


def handoff_reply(lang: str) -> Reply:
    return Reply("smalltalk", [messages.handoff_message(lang)], lang, intent="human")


def fallback_reply(lang: str, *, suggestions: Sequence[Service] = (), **extra) -> Reply:
    """「I'm not sure, call …」; when unsure rather than out of scope, the closest services a tap away."""
    quick = [*answers.alternative_quick_replies(suggestions, lang), *messages.navigation(lang)]
    message = messages.text_message(texts.text("fallback", lang), quick)
    return Reply("fallback", [message], lang, alternatives=[match_of(s) for s in suggestions], **extra)


def reset_reply(lang: str) -> Reply:
    return Reply("smalltalk", [messages.text_message(texts.text("reset_done", lang), messages.menu_quick_replies(lang))],
                 lang, intent="reset")


def command_intent(text: str) -> tuple[str, str | None] | None:
    """("menu" | "human", the language the command names) for a typed command: 「選單」, "menu bahasa", 「真人」."""
    words = " ".join(text.lower().split()).strip(" .!?。！？")
    if words in texts.MENU_COMMANDS:
        return "menu", texts.MENU_COMMANDS[words]
    if len(words) <= texts.SHORT_COMMAND_CHARS and any(w in words for w in texts.HUMAN_WORDS):
        return "human", None
    return None


def message_language(text: str, state: UserState | None) -> str:
    """The message's language; for a message that has none of its own, the user's last one."""
    detected = texts.reply_language(detect_language(text))
    known = state.language if state and state.language else None
    no_language_of_its_own = not any(ch.isalpha() for ch in text) or (detected == "en" and len(text.split()) == 1)
    return known if known and no_language_of_its_own else detected


# --- text -----------------------------------------------------------------------------------------------------


def answer_text(
    text: str,
    *,
    kb: KnowledgeBase,
    engine: NluEngine | None,
    language: str | None = None,
    last_service_id: str | None = None,
    conversation: Context | None = None,
    state: UserState | None = None,
) -> Reply:
    """The answer to one text message. `language` forces the reply language; `last_service_id` is the service
    last shown to this user (what a complaint such as 「你回答錯了」 is about); `conversation` is what the
    conversation is about so far (none: the message is read on its own); `state`, when given, lets an
    eligibility question start the check."""
    if engine is None:
        return Reply("fallback", [messages.text_message(texts.text("not_ready", "zh-TW"))])
    if command := command_intent(text):
        intent, named_language = command
        lang = named_language or language or texts.reply_language(detect_language(text))
        return menu_reply(lang) if intent == "menu" else handoff_reply(lang)
    conversation = conversation or Context()
    understanding = engine.understand(text[:UNDERSTAND_CHARS])
    lang = language or texts.reply_language(understanding.language)
    aspect, stated, wants_place = detect_aspect(text), extract_facts(text), asks_where(text)
    facts = {**conversation.facts, **stated}
    found = matches_of(understanding, kb)
    base: dict[str, Any] = {"matches": found, "intent": understanding.intent, "confidence": understanding.confidence}
    topic = conversation.topic
    if topic is not None and _follows_up(topic, text, understanding, found, aspect, stated):
        if aspect is None and stated:
            # Where the person lives asks where to go (「我住大甲 一定要跑到市區嗎」); anything else they say about
            # themselves bears on who qualifies (「我45歲 被資遣的」).
            wants_place = wants_place or set(stated) <= LOCATION_FACTS
            aspect = Aspect.contact if set(stated) <= LOCATION_FACTS else Aspect.eligibility
        return _answer_service(topic, aspect, lang, facts, state, [match_of(topic)], geography=kb.geography,
                               wants_place=wants_place, alternatives=_beside_follow_up(topic, found, conversation, kb),
                               intent=understanding.intent, confidence=understanding.confidence)
    if understanding.kind == "answer" and found:
        top = found[0]
        if service := published(kb, top.service_id):
            if understanding.also_answer and (second := published(kb, found[1].service_id)):
                return pair_reply([service, second], lang, **base | {"matches": found[:2]})
            alternatives = [a for m in found[1:] if (a := published(kb, m.service_id)) and m.score >= ALTERNATIVE_CONFIDENCE]
            return _answer_service(service, aspect, lang, facts, state, [top], geography=kb.geography,
                                   wants_place=wants_place, alternatives=alternatives[:2],
                                   intent=understanding.intent, confidence=understanding.confidence)
        if top.service_id is None and (item := kb.plan_item(top.title)):
            body = messages.plan_item_text(item)
            return Reply("answer", [messages.text_message(body, messages.navigation(lang))], lang, **base)
    if understanding.kind == "clarify":
        if options := [option for m in found[:3] if (option := _option(m, kb, lang))]:
            return Reply("clarify", [messages.clarify_message(options, lang)], lang, **base)
    if understanding.kind == "smalltalk":
        return _smalltalk(understanding.intent, lang, last_service_id, base)
    if understanding.intent is None:  # unsure, not another agency's matter: the closest services are a tap away
        close = [s for m in found if m.score >= SUGGESTION_SCORE and (s := published(kb, m.service_id))]
        return fallback_reply(lang, suggestions=close[:2], **base)
    if understanding.intent == OUT_OF_SCOPE:  # another agency's matter: say so, not "I am unsure"
        message = messages.text_message(texts.text("elsewhere", lang), messages.navigation(lang))
        return Reply("fallback", [message], lang, **base)
    return fallback_reply(lang, **base)


def _beside_follow_up(topic: Service, found: list[Match], conversation: Context, kb: KnowledgeBase) -> list[Service]:
    """What a follow-up's answer offers beside it: the service the message itself most likely names, when another
    (a new question read as a follow-up is then one tap from right), then the conversation's other services."""
    own = [s for m in found if m.service_id != topic.id and m.score >= ALTERNATIVE_CONFIDENCE
           and (s := published(kb, m.service_id))]
    beside: dict[str, Service] = {}
    for service in (*own[:1], *conversation.others):
        if service.id != topic.id:
            beside.setdefault(service.id, service)
    return list(beside.values())[:2]


def _follows_up(topic: Service, text: str, understanding: Understanding, found: list[Match], aspect: Aspect | None,
                stated: Mapping[str, Any]) -> bool:
    """Whether a message is about the conversation's service. A message that asks about a part of a service or
    states facts is, unless it names another service of its own (「另外想問特休怎麼算」); a short message with no
    such cue (「時薪呢」, 「談不攏的話咧」) is, when it is about no service, greeting or other matter clearly; so is a
    message the engine cannot decide alone (a clarification, an unsure answer), when the conversation's service is
    among those it would offer."""
    if switches_topic(text):
        return False
    if follow_up_only(text, FACT_PHRASES):
        return True
    if topic.id in _offered_when_unsure(understanding, found):
        return True  # the engine cannot decide alone, and one of its guesses is the conversation's: the conversation can
    names_another = (understanding.kind == "answer" and bool(found) and found[0].service_id not in (None, topic.id)
                     and found[0].score >= SWITCH_CONFIDENCE)
    clearly_elsewhere = understanding.intent == OUT_OF_SCOPE and understanding.confidence >= SWITCH_CONFIDENCE
    if aspect or stated:
        return not names_another and not clearly_elsewhere
    short = len(text.split()) <= FOLLOW_UP_WORDS if text.isascii() else len(text.strip()) <= FOLLOW_UP_CHARS
    return short and understanding.kind in ("clarify", "fallback") and understanding.intent != OUT_OF_SCOPE


def _offered_when_unsure(understanding: Understanding, found: list[Match]) -> list[str | None]:
    """The services the engine would put one tap away when it cannot decide: a clarification's choices, or those
    offered beside an answer it is unsure of (below the switch confidence); none when it is sure."""
    if understanding.kind == "clarify":
        return [m.service_id for m in found[:3]]
    if understanding.kind == "answer" and found and found[0].score < SWITCH_CONFIDENCE:
        return [m.service_id for m in found[1:3] if m.score >= ALTERNATIVE_CONFIDENCE]
    return []


def _answer_service(service: Service, aspect: Aspect | None, lang: str, facts: dict, state: UserState | None,
                    matches: list[Match], *, geography: Geography, wants_place: bool = False,
                    alternatives: Sequence[Service] = (), **base) -> Reply:
    """The answer about one service: the card, the asked part of it, where to go (the nearest service points once
    the district is known; before that, where to go as the service lists it, with a button to share a location),
    or — asked "am I eligible?" — its eligibility check, started with the facts already stated."""
    district: str | None = facts.get("district") if facts.get("district") in geography.districts else None
    nearby = nearest_to_district(geography, district, service.id) if district else []
    if wants_place and nearby and district:
        origin = geography.districts[district].label(messages.card_language(service, lang))
        return places_reply(service, geography, nearby, lang, origin=origin, district=district, matches=matches, **base)
    if wants_place and geography.offering(service.id):
        share = [where.share_location_quick_reply(lang)]
        return aspect_reply(service, aspect or Aspect.contact, lang, matches, alternatives=alternatives,
                            extra_quick_replies=share, **base)
    if aspect is Aspect.eligibility and service.eligibility_check and state is not None:
        state.language = lang
        step = flows.start(state, service, facts)
        return Reply("answer", [step.message], step.language, matches, intent="eligibility", text_fallback=step.text,
                     aspect=aspect.value, confidence=base.get("confidence"))
    if aspect is None:
        return card_reply(service, lang, matches, alternatives=alternatives, geography=geography, nearby=nearby,
                          district=district, **base)
    return aspect_reply(service, aspect, lang, matches, alternatives=alternatives, **base)


def _option(match: Match, kb: KnowledgeBase, lang: str) -> tuple[str, str, str] | None:
    """A clarify candidate as (button label ≤ 20, full title, postback data); None when no longer published."""
    if service := published(kb, match.service_id):
        title = messages.service_title(service, lang)
        return messages.service_label(service, lang), title, messages.postback_data("svc", s=service.id, l=lang)
    if match.service_id is None and (item := kb.plan_item(match.title)):
        label = messages.fit(item.name, messages.QUICK_REPLY_LABEL)
        return label, item.name, messages.postback_data("plan", p=item.id, l=lang)
    return None


def _smalltalk(intent: str | None, lang: str, last_service_id: str | None, base: dict) -> Reply:
    match intent:
        case "menu":
            return menu_reply(lang)
        case "human":
            return handoff_reply(lang)
        case "greeting":
            return Reply("smalltalk", [messages.greeting_message(lang)], lang, **base)
        case "thanks":
            return Reply("smalltalk", [messages.text_message(texts.text("thanks", lang), messages.navigation(lang))],
                         lang, **base)
        case "feedback":
            return Reply("smalltalk", [messages.feedback_prompt_message(last_service_id, lang)], lang, **base)
    return fallback_reply(lang, **base)


def reply_to_text(
    session: Session,
    text: str,
    *,
    kb: KnowledgeBase,
    engine: NluEngine | None,
    channel: str,
    user: str | None = None,
    message_id: str | None = None,
    language: str | None = None,
) -> Reply:
    """A typed message, understood in its conversation: 「重新開始」, the next step of an eligibility check under
    way, else an answer; what the answer was about is remembered for the next message; logged (masked)."""
    settings = get_settings()
    state = flows.load_state(session, user)
    if state is not None and state.comment_requested_at is not None:
        state.comment_requested_at = None  # this message is the comment, or nothing is awaited any more
        if (awaited := _awaited_comment(session, user, settings.conversation_memory_minutes)) is not None:
            return _take_comment(session, awaited, text, state, channel=channel, user=user, message_id=message_id,
                                 language=language)
    conversation = context.load(state, kb, memory_minutes=settings.conversation_memory_minutes)
    check_waiting = state is not None and state.flow == flows.ELIGIBILITY and not flows.expired(
        state, timeout_minutes=settings.eligibility_check_timeout_minutes)
    reply: Reply | None
    if state is not None and _is_reset(text, check_waiting):
        flows.end(state)
        context.forget(state)
        reply = reset_reply(language or message_language(text, state))
    else:
        reply = _continue_check(state, text, kb)
    if reply is None:
        lang = language or message_language(text, state)
        reply = answer_text(text, kb=kb, engine=engine, language=lang,
                            last_service_id=state.last_service_id if state else None, conversation=conversation,
                            state=state)
        if state is not None:
            state.language = reply.language
            if check_waiting and reply.intent != "eligibility":
                reply = _with_resume_button(reply, state)  # the check waits for its answer
    context.remember(state, services=[m.service_id for m in reply.matches if m.service_id]
                     if reply.kind in ("answer", "clarify") else [], aspect=reply.aspect, facts=extract_facts(text))
    _remember(session, state, reply)
    log_turn(session, reply, channel=channel, user=user, text=text, message_id=message_id)
    return reply


def _is_reset(text: str, check_waiting: bool) -> bool:
    words = " ".join(text.lower().split()).strip(" .!?。！？")
    return words in texts.RESET_COMMANDS and not (check_waiting and words in texts.CANCEL_WORDS)


def _with_resume_button(reply: Reply, state: UserState) -> Reply:
    lang = reply.language
    resume = messages.quick_reply(texts.text("resume_check", lang),
                                  messages.postback_data("resume", s=state.flow_service_id, l=lang))
    last = reply.messages[-1]
    items = last.get("quickReply", {}).get("items", [])
    return replace(reply, messages=[*reply.messages[:-1], messages.with_quick_replies(last, [resume, *items])])


def _continue_check(state: UserState | None, text: str, kb: KnowledgeBase) -> Reply | None:
    """The next step of an eligibility check when `text` answers its question (「是」「對」「沒有」, or a fact that
    answers it: 「我今年25歲」); None otherwise: the message is a question, answered as one while the check waits."""
    if state is None or state.flow != flows.ELIGIBILITY:
        return None
    service, given = published(kb, state.flow_service_id), flows.typed_answer(text)
    if flows.expired(state, timeout_minutes=get_settings().eligibility_check_timeout_minutes):
        flows.end(state)
        if service and given in ("yes", "no", "unsure"):  # an answer, too late: offer to start again
            return _restart_check(service, state.language or "zh-TW")
        return None
    if service is None or not flows.still_fits(state, service):
        flows.end(state)
        return None
    stated = extract_facts(text)
    given = given or flows.fact_answer(state, service, stated)
    if given is None:
        return None
    return _check_reply(service, flows.answer(state, service, given, facts={**(state.facts or {}), **stated}))


def _check_reply(service: Service, step: flows.Step) -> Reply:
    return Reply("answer", [step.message], step.language, [match_of(service)], intent="eligibility",
                 text_fallback=step.text)


def _remember(session: Session, state: UserState | None, reply: Reply) -> None:
    """Keep the user's language and the service shown, and flag a request for a person for staff."""
    if state is None:
        return
    if reply.intent == "human":
        state.handoff_requested_at = utcnow()
    if reply.service_id:
        state.last_service_id = reply.service_id
    flows.save(session, state)


# --- postbacks (tapped buttons) -------------------------------------------------------------------------------


def reply_to_postback(
    session: Session,
    data: str,
    *,
    kb: KnowledgeBase,
    channel: str,
    user: str | None = None,
    language: str | None = None,
) -> Reply:
    params = messages.parse_postback(data)
    state = flows.load_state(session, user)
    conversation = context.load(state, kb, memory_minutes=get_settings().conversation_memory_minutes)
    lang = texts.reply_language(language or params.get("l") or (state.language if state else None))
    if state is not None:
        state.language = lang
    action, service = params.get("a"), published(kb, params.get("s"))
    timeout = get_settings().eligibility_check_timeout_minutes
    match action:
        case "svc" if service and params.get("d"):  # the card's 「完整說明」
            reply = details_reply(service, lang)
        case "svc" if service:
            reply = card_reply(service, lang, geography=kb.geography)
        case "where" if service:
            reply = _answer_service(service, Aspect.contact, lang, conversation.facts, state, [match_of(service)],
                                    geography=kb.geography, wants_place=True)
        case "plan" if item := kb.plan_item_by_id(params.get("p")):
            reply = Reply("answer", [messages.text_message(messages.plan_item_text(item), messages.navigation(lang))],
                          lang, [Match(None, item.name, item.agency, [item.name], 1.0)])
        case "cat" if params.get("c") in messages.MENU_CATEGORIES:
            reply = category_reply(kb, params["c"], lang)
        case "menu":
            reply = menu_reply(lang)
        case "human":
            reply = handoff_reply(lang)
        case "none":
            message = messages.text_message(texts.text("none_reply", lang), messages.menu_quick_replies(lang))
            reply = Reply("fallback", [message], lang, intent="none_of_these")
        case "asp" if service and params.get("x") in Aspect.__members__:
            reply = aspect_reply(service, Aspect(params["x"]), lang)
        case "elig" if service:
            reply = _start_check(state, service, lang)
        case "resume" if service and flows.check_under_way(state, timeout_minutes=timeout) and (
            state.flow_service_id == service.id
        ):
            reply = _check_reply(service, flows.ask_again(state, service))
        case "ans" if service and params.get("v") in ("1", "0", "u"):
            reply = _answer_check(state, service, params, lang)
        case "cancel":
            reply = _cancel_check(state, kb, lang)
        case "fb" if params.get("s") and params.get("v") in ("1", "0"):
            reason = params.get("r") if params["v"] == "0" and params.get("r") in FeedbackReason.__members__ else None
            reply = _record_feedback(session, state, params["s"], params["v"] == "1", lang,
                                     FeedbackReason(reason) if reason else None)
        case _:
            # A button of content since unpublished, or an old rich menu: say so gently and offer the menu.
            log.info("postback not understood or out of date: %r", data[:80])
            reply = fallback_reply(lang, intent="postback")
    if reply.kind == "answer":
        context.remember(state, services=[m.service_id for m in reply.matches if m.service_id], aspect=reply.aspect,
                         facts={})
    _remember(session, state, reply)
    log_turn(session, reply, channel=channel, user=user, text=None)
    return reply


def _start_check(state: UserState | None, service: Service, lang: str) -> Reply:
    if state is None or not service.eligibility_check:
        return _check_reply(service, flows.checklist(service, lang))
    return _check_reply(service, flows.start(state, service, state.facts))


_CHECK_ANSWERS: dict[str, flows.Answer] = {"1": "yes", "0": "no", "u": "unsure"}  # a check button's postback `v`


def _answer_check(state: UserState | None, service: Service, params: dict[str, str], lang: str) -> Reply:
    timeout = get_settings().eligibility_check_timeout_minutes
    if not flows.check_under_way(state, timeout_minutes=timeout) or state.flow_service_id != service.id:
        return _restart_check(service, lang)  # a button of a check that is over
    if not flows.still_fits(state, service):
        flows.end(state)
        return _restart_check(service, lang)
    given = _CHECK_ANSWERS[params["v"]]
    return _check_reply(service, flows.answer(state, service, given, question_id=params.get("q"), facts=state.facts))


def _restart_check(service: Service, lang: str) -> Reply:
    return Reply("answer", [messages.check_restart_message(service, lang)], lang, [match_of(service)],
                 intent="eligibility")


def _cancel_check(state: UserState | None, kb: KnowledgeBase, lang: str) -> Reply:
    service = published(kb, state.flow_service_id) if state else None
    if state is None or service is None:
        message = messages.text_message(texts.text("check_cancelled", lang), messages.navigation(lang))
        return Reply("smalltalk", [message], lang, intent="eligibility")
    return _check_reply(service, flows.answer(state, service, "cancel"))


def _record_feedback(session: Session, state: UserState | None, service_id: str, helpful: bool, lang: str,
                     reason: FeedbackReason | None = None) -> Reply:
    """👍/👎 kept with the conversation: linked to this user's latest answer with that service, one rating per
    answer (tapping again changes it, or says it is already recorded, instead of counting or thanking twice). A 👎
    asks what was wrong; the reason tapped goes on the same rating, and 「其他」 asks for the next message as a
    comment (see `_awaited_comment`)."""
    turn_id = existing = None
    user = state.user_pseudonym if state else None
    if user:
        turn_id = session.exec(
            select(ConversationTurn.id)
            .where(ConversationTurn.user_pseudonym == user, ConversationTurn.service_id == service_id,
                   ConversationTurn.kind == "answer")  # not a step of an eligibility check: the question answered
            .order_by(col(ConversationTurn.id).desc())
            .limit(1)
        ).first()
        same_answer = col(Feedback.turn_id) == turn_id if turn_id is not None else col(Feedback.turn_id).is_(None)
        existing = session.exec(
            select(Feedback).where(Feedback.user_pseudonym == user, Feedback.service_id == service_id, same_answer)
        ).first()
    elif reason is not None:  # an anonymous caller's 👎 was counted; its reason has no rating to go on
        return _forwarded_reply(lang)
    unchanged = existing is not None and existing.helpful == helpful and reason is None
    feedback = existing or Feedback(user_pseudonym=user, service_id=service_id, turn_id=turn_id, helpful=helpful)
    if feedback.helpful != helpful or reason is not None:  # a change of mind, or a new reason: what was said before goes
        _clear_reason(feedback)
    feedback.helpful = helpful
    if reason is not None:
        feedback.reason = reason.value
        feedback.comment_requested_at = utcnow() if reason is FeedbackReason.other else None
        if state is not None and reason is FeedbackReason.other:
            state.comment_requested_at = feedback.comment_requested_at
    session.add(feedback)
    if reason is FeedbackReason.other:
        body, quick = texts.text("feedback_ask_comment", lang), messages.navigation(lang)
    elif reason is not None:
        return _forwarded_reply(lang)
    elif not helpful and not feedback.reason:  # a 👎 without its reason yet: ask (thanking only the first time)
        ask = texts.text("feedback_ask_reason", lang)
        body = ask if unchanged else f"{texts.text('feedback_down', lang)}\n\n{ask}"
        message = messages.feedback_reason_message(service_id, body, lang)
        return Reply("smalltalk", [message], lang, intent="feedback")
    elif unchanged:
        body, quick = texts.text("feedback_already", lang), messages.navigation(lang)
    else:
        body, quick = texts.text("feedback_up", lang), messages.navigation(lang)
    return Reply("smalltalk", [messages.text_message(body, quick)], lang, intent="feedback")


def _forwarded_reply(lang: str) -> Reply:
    """What was wrong has reached staff: say so, and offer the menu."""
    message = messages.text_message(texts.text("feedback_forwarded", lang), messages.menu_quick_replies(lang))
    return Reply("smalltalk", [message], lang, intent="feedback")


def _clear_reason(feedback: Feedback) -> None:
    feedback.reason = feedback.comment_requested_at = feedback.comment_turn_id = None
    feedback.resolved_at = feedback.resolved_by = None


def _awaited_comment(session: Session, user: str | None, memory_minutes: float) -> Feedback | None:
    """The rating whose comment this user's next text message is: 「其他」 tapped within the conversation memory,
    no message since."""
    if not user:
        return None
    return session.exec(
        select(Feedback)
        .where(Feedback.user_pseudonym == user, Feedback.reason == FeedbackReason.other.value,
               col(Feedback.comment_requested_at) >= utcnow() - dt.timedelta(minutes=memory_minutes),
               col(Feedback.comment_turn_id).is_(None))
        .order_by(col(Feedback.comment_requested_at).desc())
        .limit(1)
    ).first()


def _take_comment(session: Session, feedback: Feedback, text: str, state: UserState | None, *, channel: str,
                  user: str | None, message_id: str | None, language: str | None) -> Reply:
    """The message asked for after 「其他」: kept (masked, in its own turn) as the rating's comment, not answered."""
    reply = _forwarded_reply(language or message_language(text, state))
    _remember(session, state, reply)
    feedback.comment_turn_id = log_turn(session, reply, channel=channel, user=user, text=text, message_id=message_id)
    session.add(feedback)
    return reply


# --- the log --------------------------------------------------------------------------------------------------


def log_turn(
    session: Session, reply: Reply, *, channel: str, user: str | None, text: str | None, message_id: str | None = None
) -> int:
    """The turn's row (its id): one INSERT, not the session's unit of work, which cost more than the answer's
    understanding on every message."""
    # The steps of an eligibility check follow one question through; they are not questions answered. (A typed
    # question that starts a check, 「我26歲 符合嗎」, is one: it carries the aspect it asked.)
    step = reply.intent == "eligibility" and reply.aspect is None
    row = {
        "channel": channel,
        "user_pseudonym": user,
        "line_message_id": message_id,
        "text": mask_personal_data(text) if text else None,
        "language": reply.language,
        "kind": "flow" if step else reply.kind,
        "intent": reply.intent,
        "service_id": reply.service_id,
        "candidates": [m.service_id or m.title for m in [*reply.matches, *reply.alternatives][:3]],
        "confidence": reply.confidence,
        "created_at": utcnow(),
    }
    table: Table = ConversationTurn.__table__  # type: ignore[attr-defined]  # set by SQLAlchemy, not by SQLModel
    return session.execute(insert(table).values(row).returning(table.c.id)).scalar_one()


def forget_message(session: Session, message_id: str) -> int:
    """`unsend`: the citizen took the message back, so its stored text is erased."""
    turns = session.exec(select(ConversationTurn).where(ConversationTurn.line_message_id == message_id)).all()
    for turn in turns:
        turn.text = None
        session.add(turn)
    return len(turns)


# --- a shared location ----------------------------------------------------------------------------------------


def reply_to_location(session: Session, point: Point, *, kb: KnowledgeBase, channel: str, user: str | None = None,
                      language: str | None = None) -> Reply:
    """A location the person shared: the nearest points for the conversation's service; without one, the question
    which service (the services that have points). Of the location only its district is kept (for the next
    question, like a district typed in words); the coordinates are neither stored nor logged."""
    state = flows.load_state(session, user)
    conversation = context.load(state, kb, memory_minutes=get_settings().conversation_memory_minutes)
    lang = texts.reply_language(language or (state.language if state else None))
    geo = kb.geography
    district = geo.district_at(point)
    topic = conversation.topic if conversation.topic and geo.offering(conversation.topic.id) else None
    if all(distance_km(point, geo.point_of(p)) > FAR_KM for p in geo.places):  # abroad, or another county
        outside = messages.text_message(texts.text("where_outside", lang).format(km=int(FAR_KM)), messages.navigation(lang))
        reply = Reply("answer" if topic else "fallback", [outside], lang, [match_of(topic)] if topic else [])
    elif topic and (found := nearest(geo, point, topic.id)):
        reply = places_reply(topic, geo, found, lang, origin=texts.text("your_location", lang),
                             district=district.name if district else None)
    else:  # which service? those with the most points first
        with_places = sorted((s for s in kb.published if geo.offering(s.id)), key=lambda s: -len(geo.offering(s.id)))
        reply = Reply("smalltalk", [where.choose_service_message(with_places[:8], lang)], lang, intent="location")
    if state is not None:
        state.language = lang
    context.remember(state, services=[m.service_id for m in reply.matches if m.service_id], aspect=reply.aspect,
                     facts={"district": district.name} if district else {})
    _remember(session, state, reply)
    log_turn(session, reply, channel=channel, user=user, text=None)
    return reply


# --- a message from a channel -----------------------------------------------------------------------------------


def respond_to_event(
    session: Session, message: inbound.Inbound, *, kb: KnowledgeBase, engine: NluEngine | None, channel: str = "line",
    profile_language: str | None = None,
) -> Reply | None:
    """The reply to one inbound message, or None when nothing is to be sent."""
    match message:
        case inbound.Text(user=user, text=text, message_id=message_id):
            # An edited message is answered as a new question and stored under its message id, so that
            # unsending it later erases the edited text too.
            return reply_to_text(session, text, kb=kb, engine=engine, channel=channel, user=user,
                                 message_id=message_id)
        case inbound.SharedLocation(user=user, latitude=latitude, longitude=longitude):
            return reply_to_location(session, Point(lat=latitude, lon=longitude), kb=kb, channel=channel, user=user)
        case inbound.Media(user=user, message_id=message_id):
            lang = _known_language(session, user)
            reply = Reply("smalltalk", [messages.text_message(texts.text("media", lang), messages.navigation(lang))],
                          language=lang, intent="media")
            log_turn(session, reply, channel=channel, user=user, text=None, message_id=message_id)
            return reply
        case inbound.Followed(user=user):
            return _greet(session, user, profile_language)
        case inbound.Tap(user=user, data=data):
            return reply_to_postback(session, data, kb=kb, channel=channel, user=user)
        case inbound.Unsent(message_id=message_id):
            forgotten = forget_message(session, message_id)
            log.info("unsend: erased %d stored message(s)", forgotten)
            return None
        case inbound.Other(kind=kind):
            log.info("%s: nothing to send", kind)
            return None


def _known_language(session: Session, user: str | None) -> str:
    state = session.get(UserState, user) if user else None
    return state.language if state and state.language else "zh-TW"


def _greet(session: Session, user: str | None, profile_language: str | None) -> Reply:
    """A new (or unblocking) friend: what the bot does and the menu, in the LINE profile's language when shared."""
    state = flows.load_state(session, user)
    lang = texts.reply_language(profile_language) if profile_language else _known_language(session, user)
    if state is not None:
        state.language = lang
        flows.save(session, state)
    reply = Reply("smalltalk", [messages.greeting_message(lang)], language=lang, intent="greeting")
    log_turn(session, reply, channel="line", user=user, text=None)
    return reply
