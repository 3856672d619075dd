"""LINE message objects the bot sends, as plain dicts in the Messaging API's JSON shape.

Dicts (not SDK models) because the same objects are returned by /api/ask, rendered by the web simulator and
validated in tests against LINE's OpenAPI spec; the LINE client converts them with the SDK at send time.

Buttons that make the bot do something send a postback whose data is a short query string (`a=<action>&…`, see
`postback_data`), carrying the reply language so the answer to a tap speaks the language of the card tapped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode

from app.conversation import texts
from app.conversation.models import FeedbackReason
from app.db import taipei_today
from app.knowledge.schemas import Contact, EligibilityQuestion, Kind, PlanItem, Service

TEXT_LIMIT = 5000
ALT_TEXT_CHARS = 400  # LINE allows 1,500; a notification shows the first line or two, so keep it a readable sentence
QUICK_REPLY_ITEMS = 13
QUICK_REPLY_LABEL = 20
FLEX_LABEL = 40
POSTBACK_DATA = 300
DISPLAY_TEXT = 300
# LINE refuses a bubble over 30 KB of JSON, measured here as the SDK sends it (non-ASCII escaped as \\uXXXX).
BUBBLE_BYTES = 30_000
CAROUSEL_BYTES = 50_000

# The menu's topics, in the order citizens see them; "human" (a person to talk to) is added last.
MENU_CATEGORIES = (
    "youth_jobs", "wages_disputes", "safety", "migrant", "disability", "retirement_insurance", "employer", "union",
)

# A card leads with what a person acts on, within a phone's first screen: its summary in at most SUMMARY_LINES
# lines, the first LEAD_ITEMS conditions and steps in at most LEAD_LINES lines each (LINE ends a longer text with
# "…"), the first application window. A card in Chinese for someone who asked in another language shows one item
# fewer, to keep room for the 1955 line and button they can use. Everything, whole, is one tap away behind
# 「完整說明」 (`service_details`).
SUMMARY_LINES, LEAD_ITEMS, LEAD_LINES = 2, 3, 2

# A figure that starts to apply within this many days is shown beside today's, so nobody is surprised by it.
UPCOMING_DAYS = 62

INK, MUTED, ACCENT, LINK, NOTICE_BG, HEADER_BG = "#1F2933", "#6B7280", "#0B6E4F", "#1565C0", "#FFF4E5", "#E8F3EE"


# --- small pieces ---------------------------------------------------------------------------------------------


def fit(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def postback_data(action: str, **params: str | None) -> str:
    data = urlencode({"a": action, **{k: v for k, v in params.items() if v is not None}})
    if len(data) > POSTBACK_DATA:
        raise ValueError(f"postback data over {POSTBACK_DATA} characters: {data[:80]}…")
    return data


def parse_postback(data: str) -> dict[str, str]:
    return dict(parse_qsl(data or "", keep_blank_values=True))


def postback_action(label: str, data: str, *, display_text: str | None = None, limit: int = QUICK_REPLY_LABEL) -> dict:
    action = {"type": "postback", "label": fit(label, limit), "data": data}
    if display_text:
        action["displayText"] = fit(display_text, DISPLAY_TEXT)
    return action


def quick_reply(label: str, data: str, display_text: str | None = None) -> dict:
    return {"type": "action", "action": postback_action(label, data, display_text=display_text or label)}


def text_message(body: str, quick_replies: list[dict] | None = None) -> dict:
    message: dict = {"type": "text", "text": fit(body, TEXT_LIMIT)}
    if quick_replies:
        message["quickReply"] = {"items": quick_replies[:QUICK_REPLY_ITEMS]}
    return message


def prefixed(message: dict, prefix: str) -> dict:
    """`message` with a line put before what it says (a text's text, a flex bubble's body and alt text)."""
    if message["type"] == "text":
        return {**message, "text": fit(f"{prefix}\n{message['text']}", TEXT_LIMIT)}
    bubble = message["contents"]
    body = bubble["body"]
    lead = _text(prefix, size="xs", color=MUTED)
    return {**message, "altText": fit(f"{prefix} {message['altText']}", ALT_TEXT_CHARS),
            "contents": {**bubble, "body": {**body, "contents": [lead, *body["contents"]]}}}


def with_quick_replies(message: dict, items: Sequence[dict]) -> dict:
    """`message` with these quick replies (LINE shows a reply's quick replies on its last message only)."""
    return {**message, "quickReply": {"items": list(items)[:QUICK_REPLY_ITEMS]}} if items else message


def side_by_side(cards: Sequence[dict], alt_text: str, quick_replies: Sequence[dict]) -> list[dict]:
    """Cards as one carousel (a card already in two parts gives both), or — when one had to be sent as text, or
    together they pass LINE's 50 KB for a carousel — as messages one after the other; the quick replies go on the
    last (LINE shows only those)."""
    bubbles = [bubble for card in cards if card["type"] == "flex"
               for bubble in (card["contents"]["contents"] if card["contents"]["type"] == "carousel" else [card["contents"]])]
    carousel = {"type": "carousel", "contents": bubbles}
    if all(card["type"] == "flex" for card in cards) and bubble_bytes(carousel) <= CAROUSEL_BYTES:
        return [with_quick_replies({"type": "flex", "altText": fit(alt_text, ALT_TEXT_CHARS), "contents": carousel},
                                   quick_replies)]
    plain = [{k: v for k, v in card.items() if k != "quickReply"} for card in cards]
    return [*plain[:-1], with_quick_replies(plain[-1], quick_replies)]


def navigation(lang: str) -> list[dict]:
    """Quick replies that are always useful after an answer: the menu and a person."""
    return [
        quick_reply(texts.text("menu_label", lang), postback_data("menu", l=lang)),
        quick_reply(texts.text("human_label", lang), postback_data("human", l=lang)),
    ]


def display_phone(phone: str, lang: str = "zh-TW") -> str:
    """A tel:-ready number as people read it: 0422289111,35099 → 04-2228-9111 分機 35099."""
    number, _, extension = phone.partition(",")
    if re.fullmatch(r"0800\d{6}|09\d{8}", number):
        number = f"{number[:4]}-{number[4:7]}-{number[7:]}"
    elif re.fullmatch(r"0\d{9}", number):
        number = f"{number[:2]}-{number[2:6]}-{number[6:]}"
    elif re.fullmatch(r"0\d{8}", number):
        number = f"{number[:2]}-{number[2:5]}-{number[5:]}"
    return f"{number} {texts.text('extension', lang)} {extension}" if extension else number


def agency_name(service: Service, lang: str) -> str:
    """The agency in `lang` beside its Chinese name: the translation's own name for it (another agency, for a
    referral), else the name we write for 勞動部 and the bureau."""
    translation = service.translations.get(lang)
    translated = (translation.agency if translation else None) or texts.AGENCY_NAMES.get(service.agency, {}).get(lang)
    return f"{translated}（{service.agency}）" if translated else service.agency


# --- services -------------------------------------------------------------------------------------------------


def card_language(service: Service, lang: str) -> str:
    """A service is shown in the user's language when it is translated into it, else in Traditional Chinese."""
    return lang if lang in service.translations else "zh-TW"


def localized(service: Service, lang: str) -> dict:
    """The service's citizen-facing fields in `lang` when translated, else in Traditional Chinese."""
    translation = service.translations.get(lang)
    if translation is None:
        return {
            "title": service.title,
            "summary": service.summary,
            "eligibility": service.eligibility,
            "steps": service.steps,
            "documents": service.documents,
            "notes": service.notes,
            "translated": lang == "zh-TW",
        }
    return translation.model_dump() | {"translated": True}


def service_label(service: Service, lang: str, limit: int = QUICK_REPLY_LABEL) -> str:
    """The service's name on a button (LINE shows a label on one line): the translated title when there is one,
    else the short Chinese title."""
    if lang in service.translations:
        return fit(service.translations[lang].title, limit)
    return fit(service.label, limit)


def service_title(service: Service, lang: str) -> str:
    return localized(service, card_language(service, lang))["title"]


def localized_contacts(service: Service, lang: str) -> list[Contact]:
    """The service's contacts, each named in `lang` beside its Chinese name (shown to a clerk or a taxi driver)
    and with its hours in `lang`, when the translation gives them."""
    translation = service.translations.get(lang)
    if translation is None or not translation.contacts:
        return list(service.contacts)
    return [
        c.model_copy(update={"name": f"{translation.contact_name(i)}（{c.name}）",
                             "hours": translation.contact_hours(i) or c.hours})
        for i, c in enumerate(service.contacts)
    ]


def phone_contact(service: Service, lang: str = "zh-TW") -> Contact | None:
    return next((c for c in localized_contacts(service, lang) if c.phone), None)


def official_page(service: Service) -> str | None:
    """The page to open: a contact's own https page, else an https government source (news reports are not it)."""
    for contact in service.contacts:
        if contact.url and contact.url.scheme == "https":
            return str(contact.url)
    for source in service.sources:
        if source.url and source.url.scheme == "https" and (source.url.host or "").endswith("gov.tw"):
            return str(source.url)
    return None


def benefit_lines(service: Service, lang: str, today: dt.date | None = None) -> list[str]:
    """The amounts in force today, each with its year (and the last day it applies, when that is known), then the
    ones that start within UPCOMING_DAYS. An unconfirmed figure says so and gives the number to call (so its
    description need not)."""
    today = today or taipei_today()
    translation = service.translations.get(lang)
    separator = "：" if lang == "zh-TW" else ": "
    upcoming = [(i, b) for i, b in enumerate(service.benefits)
                if b.valid_from and today < b.valid_from <= today + dt.timedelta(days=UPCOMING_DAYS)]
    lines = []
    for i, benefit in service.benefits_on(today) + upcoming:  # today's first: a short answer may show only some
        description = translation.benefits[i] if translation and translation.benefits else benefit.description
        unconfirmed = None
        if not benefit.confirmed:
            says_so = any(marker in description.lower() for marker in texts.UNCONFIRMED_MARKERS)
            unconfirmed = texts.text("figure_ask" if says_so else "figure_unconfirmed", lang).format(
                contact=contact_number(service, lang))
        figure = " ".join(filter(None, [benefit.amount, unconfirmed]))
        period = texts.text("figure_until", lang).format(date=benefit.valid_until.isoformat()) if benefit.valid_until else ""
        starts = texts.text("figure_from", lang).format(date=benefit.valid_from.isoformat()) if benefit.valid_from and benefit.valid_from > today else ""
        year = texts.text("amount_year", lang).format(year=benefit.year, until=period)
        lines.append(f"{starts}{description}{separator + figure if figure else ''}{year}")
    return lines


def window_lines(service: Service, lang: str, today: dt.date | None = None) -> list[str]:
    """Whether applications are open today: the open window, else the next one, else the last one, closed."""
    today = today or taipei_today()
    translation = service.translations.get(lang)

    def label(i: int) -> str:
        return translation.application_windows[i] if translation and translation.application_windows else service.application_windows[i].label

    windows = list(enumerate(service.application_windows))
    open_now = [(i, w) for i, w in windows if w.opens <= today <= w.closes]
    coming = sorted(((i, w) for i, w in windows if w.opens > today), key=lambda iw: iw[1].opens)
    if open_now or coming:
        return [texts.text("window_open" if w.opens <= today else "window_next", lang).format(
                    label=label(i), opens=w.opens.isoformat(), closes=w.closes.isoformat())
                for i, w in (open_now + coming)[:2]]
    if windows:
        i, last = max(windows, key=lambda iw: iw[1].closes)
        return [texts.text("window_closed", lang).format(label=label(i), closes=last.closes.isoformat(),
                                                         contact=contact_phrase(service, lang))]
    return []


def notices(service: Service, lang: str, today: dt.date | None = None, *, referral: bool = True) -> list[str]:
    """What a person must know before reading on: another agency's matter (`referral`: left out where the title
    already names whom to go to), or content only old sources back."""
    today = today or taipei_today()
    lines = []
    if referral and service.kind is Kind.referral:
        lines.append(texts.text("referral", lang).format(agency=agency_name(service, lang)))
    if service.rests_on_old_sources(today):
        lines.append(texts.text("old_sources", lang).format(year=service.last_verified.year,
                                                           contact=contact_number(service, lang)))
    return lines


def service_text(service: Service, lang: str = "zh-TW", *, closest: str | None = None) -> str:
    """The whole answer as plain text: what the CLI prints and what a text-only client shows."""
    card_lang = card_language(service, lang)
    fields = localized(service, card_lang)
    lines = [f"【{fields['title']}】{agency_name(service, card_lang)}", *notices(service, card_lang), fields["summary"]]
    if closest:
        lines += ["", closest]
    if fields["eligibility"]:
        lines += ["", texts.text("h_eligibility", card_lang) + "："] + [f"・{line}" for line in fields["eligibility"]]
    if fields["steps"]:
        lines += ["", texts.text("h_steps", card_lang) + "："] + [f"{n}. {line}" for n, line in enumerate(fields["steps"], 1)]
    if windows := window_lines(service, card_lang):
        lines += ["", texts.text("h_windows", card_lang) + "："] + [f"・{line}" for line in windows]
    if fields["documents"]:
        lines += ["", texts.text("h_documents", card_lang) + "："] + [f"・{line}" for line in fields["documents"]]
    if benefits := benefit_lines(service, card_lang):
        lines += ["", texts.text("h_benefits", card_lang) + "："] + [f"・{line}" for line in benefits]
    if fields["notes"]:
        lines += ["", texts.text("h_notes", card_lang) + "："] + [f"・{line}" for line in fields["notes"]]
    if service.contacts:
        lines += ["", texts.text("h_contacts", card_lang) + "："] + [_contact_line(c, card_lang) for c in localized_contacts(service, card_lang)]
    lines += ["", texts.text("last_verified", card_lang).format(date=service.last_verified.isoformat())]
    if card_lang != lang:
        lines += ["", texts.text("see_1955", lang)]
    return "\n".join(lines).strip()


def _contact_line(contact: Contact, lang: str) -> str:
    parts = [contact.name]
    if contact.phone:
        parts.append(display_phone(contact.phone, lang))
    if contact.hours:
        parts.append(contact.hours)
    if contact.url:
        parts.append(str(contact.url))
    return "・" + " ".join(parts)


def _text(text: str, **style) -> dict:
    return {"type": "text", "text": text, "wrap": True, **style}


def _listing(heading: str, items: Sequence[str], *, numbered: bool = False, compact: bool = False,
             most: int | None = None, lang: str = "zh-TW") -> dict:
    """A titled list. Each item is its own row so wrapped lines stay indented; `compact` writes the list as one
    text block instead, a third of the JSON, for cards that would otherwise pass LINE's size limit. With `most`
    (a card's lead) only that many show, each in at most LEAD_LINES lines, closer to what is above, and a line in
    `lang` says how many more 「完整說明」 has."""
    marks = [f"{n}." if numbered else "・" for n in range(1, len(items) + 1)]
    lines = {"maxLines": LEAD_LINES} if most else {}
    shown = items[:most] if most else items
    if compact:
        rows = [_text("\n".join(f"{mark} {item}" for mark, item in zip(marks, shown, strict=False)), size="sm", color=INK)]
    else:
        rows = [
            {
                "type": "box",
                "layout": "baseline",
                "spacing": "sm",
                "contents": [_text(mark, size="sm", color=ACCENT, flex=0),
                             _text(item, size="sm", color=INK, flex=1, **lines)],
            }
            for mark, item in zip(marks, shown, strict=False)
        ]
    if len(shown) < len(items):
        rows.append(_text(texts.text("more_items", lang).format(n=len(items) - len(shown),
                                                                button=texts.text("btn_full", lang)),
                          size="xs", color=MUTED))
    return {
        "type": "box",
        "layout": "vertical",
        "spacing": "xs",
        "margin": "md" if most else "lg",
        "contents": [_text(heading, size="sm", weight="bold", color=ACCENT), *rows],
    }


def _contact_box(contact: Contact, lang: str) -> dict:
    contents = [_text(contact.name, size="xs", weight="bold", color=INK)]
    if contact.phone:
        contents.append(
            _text(f"📞 {display_phone(contact.phone, lang)}", size="sm", color=LINK,
                  action={"type": "uri", "label": fit(contact.name, FLEX_LABEL), "uri": f"tel:{contact.phone}"})
        )
    details = " ".join(filter(None, [contact.hours, contact.address]))
    if details:
        contents.append(_text(details, size="xxs", color=MUTED))
    return {"type": "box", "layout": "vertical", "contents": contents}


def _notice_box(text: str) -> dict:
    return {"type": "box", "layout": "vertical", "backgroundColor": NOTICE_BG, "cornerRadius": "md", "paddingAll": "8px",
            "contents": [_text(text, size="xs", color=INK)]}


def _button(action: dict, style: str = "secondary", **extra) -> dict:
    return {"type": "button", "style": style, "height": "sm", "action": action, **extra}


def _uri_action(label: str, uri: str) -> dict:
    return {"type": "uri", "label": fit(label, FLEX_LABEL), "uri": uri}


def bubble_bytes(container: dict) -> int:
    return len(json.dumps(container).encode())


def _card_lead(service: Service, fields: dict, lang: str, card_lang: str, *, compact: bool = False,
               short: bool = False, closest: str | None = None) -> list[dict]:
    """What a person acts on: who qualifies, how, where, when. `short`: as the card shows it (the first of each
    list, a few lines each); the caveats in `notices` always whole."""
    def t(key: str) -> str:
        return texts.text(key, card_lang)

    most = (LEAD_ITEMS if card_lang == lang else LEAD_ITEMS - 1) if short else None
    lead: list[dict] = []
    if card_lang != lang:
        lead.append(_notice_box("🌏 " + texts.text("see_1955", lang)))
    lead += [_notice_box(notice) for notice in notices(service, card_lang)]
    lead.append(_text(fields["summary"], size="sm", color=INK, **({"maxLines": SUMMARY_LINES} if short else {})))
    if closest:  # where to go, once the person's district is known: before everything else they act on
        lead.append(_text(closest, size="sm", weight="bold", color=ACCENT))
    lead.append(_listing(t("h_eligibility"), fields["eligibility"], compact=compact, most=most, lang=card_lang))
    lead.append(_listing(t("h_steps"), fields["steps"], numbered=True, compact=compact, most=most, lang=card_lang))
    if windows := window_lines(service, card_lang):
        lead.append(_listing(t("h_windows"), windows[:1] if short else windows, compact=compact, most=most,
                             lang=card_lang))
    return lead


def _card_rest(service: Service, fields: dict, card_lang: str, *, compact: bool = False) -> list[dict]:
    """What the details add to the lead: what to bring, amounts, notes, contacts, the sources and when it was
    checked."""
    def t(key: str) -> str:
        return texts.text(key, card_lang)

    rest: list[dict] = []
    if fields["documents"]:
        rest.append(_listing(t("h_documents"), fields["documents"], compact=compact))
    if benefits := benefit_lines(service, card_lang):
        rest.append(_listing(t("h_benefits"), benefits, compact=compact))
    if fields["notes"]:
        rest.append(_listing(t("h_notes"), fields["notes"], compact=compact))
    if service.contacts:
        rest.append({
            "type": "box", "layout": "vertical", "spacing": "sm", "margin": "lg",
            "contents": [_text(t("h_contacts"), size="sm", weight="bold", color=ACCENT)]
            + [_contact_box(c, card_lang) for c in localized_contacts(service, card_lang)],
        })
    if service.sources:
        rest.append(_sources_box(service, t("h_sources")))
    rest.append(_text(t("last_verified").format(date=service.last_verified.isoformat()), size="xxs", color=MUTED,
                      margin="lg"))
    return rest


def _sources_box(service: Service, heading: str) -> dict:
    """What the facts rest on, each with its year; a source with a page opens it."""
    rows = []
    for source in service.sources:
        line = f"・{source.title}" + (f"（{source.year}）" if source.year else "")
        link = {"action": _uri_action(source.title, str(source.url))} if source.url else {}
        rows.append(_text(line, size="xxs", color=LINK if source.url else MUTED, **link))
    return {"type": "box", "layout": "vertical", "spacing": "xs", "margin": "lg",
            "contents": [_text(heading, size="sm", weight="bold", color=ACCENT), *rows]}


def _body(contents: list[dict], spacing: str = "md") -> dict:
    return {"type": "box", "layout": "vertical", "spacing": spacing, "contents": contents}


def _row(buttons: list[dict]) -> dict:
    return {"type": "box", "layout": "horizontal", "spacing": "sm", "contents": buttons}


def _card_footer(service: Service, lang: str, card_lang: str) -> dict:
    """The buttons, in the order a person acts: call, check eligibility, then the official page beside
    「完整說明」 (everything else), and whether the answer helped."""
    def t(key: str) -> str:
        return texts.text(key, card_lang)

    footer: list[dict] = []
    if contact := phone_contact(service, card_lang):
        footer.append(_button(_uri_action(t("btn_call").format(name=contact.name), f"tel:{contact.phone}"),
                              "primary", color=ACCENT))
    if card_lang != lang:
        footer.append(_button(_uri_action(texts.text("btn_1955", lang), "tel:1955"), "primary", color=LINK))
    if service.eligibility_check:
        footer.append(_button(postback_action(t("btn_check"), postback_data("elig", s=service.id, l=lang),
                                              display_text=t("btn_check"), limit=FLEX_LABEL)))
    more = [_button(postback_action(t("btn_full"), postback_data("svc", s=service.id, d="1", l=lang),
                                    display_text=t("btn_full"), limit=FLEX_LABEL))]
    if page := official_page(service):
        more.insert(0, _button(_uri_action(t("btn_web"), page)))
    footer.append(_row(more))
    footer.append(_row([
        _button(postback_action(t(key), postback_data("fb", s=service.id, v=value, l=lang),
                                display_text=t(key), limit=FLEX_LABEL), "link")
        for key, value in (("btn_helpful", "1"), ("btn_not_helpful", "0"))
    ]))
    return {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer}


def _card_header(service: Service, title: str, card_lang: str) -> dict:
    return {
        "type": "box", "layout": "vertical", "backgroundColor": HEADER_BG, "paddingAll": "12px", "spacing": "xs",
        "contents": [_text(agency_name(service, card_lang), size="xs", color=MUTED),
                     _text(title, size="md", weight="bold", color=INK)],
    }


def _alt_text(fields: dict, card_lang: str, title: str) -> str:
    return fit(title + ("：" if card_lang == "zh-TW" else ": ") + fields["summary"], ALT_TEXT_CHARS)


def service_card(service: Service, lang: str, *, closest: str | None = None) -> dict:
    """The answer as a Flex card that leads with what a person acts on, all of it within a phone's first screen:
    what it is, who qualifies and the steps (the first few, shortened), when one can apply, the nearest place once
    known, and buttons to call, check eligibility, open the official page, see 「完整說明」 and say whether the
    answer helped. One bubble, not a carousel with the details beside it: LINE stretches a carousel's bubbles to
    its tallest, which would push these buttons down again. Untranslated services are shown in Chinese with a
    line in the user's language pointing to 1955."""
    card_lang = card_language(service, lang)
    fields = localized(service, card_lang)
    lead = _card_lead(service, fields, lang, card_lang, short=True, closest=closest)
    bubble = {"type": "bubble", "size": "giga", "header": _card_header(service, fields["title"], card_lang),
              "body": _body(lead, "sm"), "footer": _card_footer(service, lang, card_lang)}
    if bubble_bytes(bubble) <= BUBBLE_BYTES:
        return {"type": "flex", "altText": _alt_text(fields, card_lang, fields["title"]), "contents": bubble,
                "quickReply": {"items": navigation(lang)}}
    # Only absurdly long conditions or steps get here: LINE would refuse the card, so the answer goes as text.
    return text_message(service_text(service, lang, closest=closest), navigation(lang))


def service_details(service: Service, lang: str) -> dict:
    """「完整說明」: everything curated about the service, whole — who qualifies, the steps, application windows,
    what to bring, amounts (with their year), notes, whom to call, the sources and when it was last checked.
    Content too long for one bubble (LINE: 30 KB; Thai text takes six bytes a letter as LINE receives it) is laid
    out more compactly, then as two bubbles side by side, and only past that as text."""
    card_lang = card_language(service, lang)
    fields = localized(service, card_lang)
    title = fields["title"] + texts.text("card_continued", card_lang)
    header, alt = _card_header(service, title, card_lang), _alt_text(fields, card_lang, title)
    lead, rest = _card_lead(service, fields, lang, card_lang), _card_rest(service, fields, card_lang)
    if bubble_bytes(_body(lead + rest)) > BUBBLE_BYTES * 0.8:
        lead, rest = (_card_lead(service, fields, lang, card_lang, compact=True),
                      _card_rest(service, fields, card_lang, compact=True))
    bubble = {"type": "bubble", "size": "giga", "header": header, "body": _body(lead + rest)}
    if bubble_bytes(bubble) <= BUBBLE_BYTES:
        return {"type": "flex", "altText": alt, "contents": bubble, "quickReply": {"items": navigation(lang)}}
    bubbles = [{"type": "bubble", "size": "giga", "header": header, "body": _body(part)} for part in (lead, rest)]
    carousel = {"type": "carousel", "contents": bubbles}
    if all(bubble_bytes(b) <= BUBBLE_BYTES for b in bubbles) and bubble_bytes(carousel) <= CAROUSEL_BYTES:
        return {"type": "flex", "altText": alt, "contents": carousel, "quickReply": {"items": navigation(lang)}}
    # Too long even for two bubbles: LINE would refuse it, so the details go as plain text.
    return text_message(service_text(service, lang), navigation(lang))


def plan_item_text(item: PlanItem) -> str:
    answer = item.citizen_answer or item.content[:300]
    return f"【{item.name}】{item.agency}\n{answer}"


# --- clarify, menu, handoff, greeting -------------------------------------------------------------------------


def clarify_message(options: Sequence[tuple[str, str, str]], lang: str) -> dict:
    """`options`: (button label, full title, postback data) of up to three candidates; 「都不是」 is added."""
    options = options[:3]
    listing = "\n".join(f"{n}. {title}" for n, (_label, title, _data) in enumerate(options, 1))
    items = [quick_reply(label, data, display_text=title) for label, title, data in options]
    items.append(quick_reply(texts.text("none_of_these", lang), postback_data("none", l=lang)))
    return text_message(f"{texts.text('clarify_prompt', lang)}\n{listing}", items)


def menu_quick_replies(lang: str) -> list[dict]:
    items = [
        quick_reply(texts.category_label(c, lang), postback_data("cat", c=c, l=lang)) for c in MENU_CATEGORIES
    ]
    items.append(quick_reply(texts.category_label("human", lang), postback_data("human", l=lang)))
    return items


def menu_message(lang: str) -> dict:
    return text_message(texts.text("menu_prompt", lang), menu_quick_replies(lang))


def greeting_message(lang: str) -> dict:
    return text_message(texts.text("greeting", lang), menu_quick_replies(lang))


def category_message(category: str, services: Sequence[Service], lang: str) -> dict:
    """The services of one menu topic as a list of buttons; tapping one shows its card."""
    label = texts.category_label(category, lang)
    if not services:
        return text_message(texts.text("category_empty", lang), menu_quick_replies(lang))
    rows: list[dict] = []
    for service in services:
        if rows:
            rows.append({"type": "separator"})
        title = service_title(service, lang)
        rows.append(_button(postback_action(service_label(service, lang, FLEX_LABEL),
                                            postback_data("svc", s=service.id, l=lang),
                                            display_text=title, limit=FLEX_LABEL), "link"))
    bubble = {
        "type": "bubble",
        "header": {
            "type": "box", "layout": "vertical", "backgroundColor": HEADER_BG, "paddingAll": "16px",
            "contents": [_text(label, size="lg", weight="bold", color=INK),
                         _text(texts.text("category_intro", lang), size="xs", color=MUTED)],
        },
        "body": {"type": "box", "layout": "vertical", "spacing": "none", "contents": rows},
    }
    alt = texts.text("category_alt", lang).format(category=label, count=len(services))
    return {"type": "flex", "altText": alt, "contents": bubble, "quickReply": {"items": menu_quick_replies(lang)}}


def handoff_message(lang: str) -> dict:
    return text_message(texts.text("handoff", lang), [navigation(lang)[0]])


# --- eligibility check ----------------------------------------------------------------------------------------


def question_text(question: EligibilityQuestion, lang: str) -> str:
    return question.translations.get(lang, question.question) if lang != "zh-TW" else question.question


def check_question_message(service: Service, question: EligibilityQuestion, number: int, lang: str) -> dict:
    body = texts.text("check_question", lang).format(
        n=number, total=len(service.eligibility_check), title=service_title(service, lang),
        question=question_text(question, lang),
    )
    answers = [
        quick_reply(texts.text(key, lang), postback_data("ans", s=service.id, q=question.id, v=value, l=lang))
        for key, value in (("yes", "1"), ("no", "0"), ("unsure", "u"))
    ]
    answers.append(quick_reply(texts.text("cancel", lang), postback_data("cancel", l=lang)))
    return text_message(body, answers)


def contact_number(service: Service, lang: str) -> str:
    """Just the number to call, where a whole contact name would crowd the line (「尚未確認，請洽 1955」)."""
    contact = phone_contact(service, card_language(service, lang))
    return display_phone(contact.phone, lang) if contact and contact.phone else "1955"


def contact_phrase(service: Service, lang: str) -> str:
    contact = phone_contact(service, card_language(service, lang))
    return f"{contact.name} {display_phone(contact.phone, lang)}" if contact and contact.phone else "1955"


def check_result_message(service: Service, lang: str, body: str, *, qualified: bool | None) -> dict:
    """The end of an eligibility check: the verdict with the buttons to act on it (call, official page)."""
    icon = {True: "✅", False: "ℹ️", None: "❓"}[qualified]
    footer: list[dict] = []
    if contact := phone_contact(service, card_language(service, lang)):
        footer.append(_button(_uri_action(texts.text("btn_call", lang).format(name=contact.name), f"tel:{contact.phone}"),
                              "primary", color=ACCENT))
    if page := official_page(service):
        footer.append(_button(_uri_action(texts.text("btn_web", lang), page)))
    bubble = {
        "type": "bubble",
        "size": "giga",
        "header": {
            "type": "box", "layout": "vertical", "backgroundColor": HEADER_BG, "paddingAll": "16px",
            "contents": [_text(f"{icon} {service_title(service, lang)}", size="md", weight="bold", color=INK)],
        },
        "body": {"type": "box", "layout": "vertical", "contents": [_text(body, size="sm", color=INK)]},
    }
    if footer:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer}
    return {"type": "flex", "altText": fit(body, ALT_TEXT_CHARS), "contents": bubble,
            "quickReply": {"items": navigation(lang)}}


def check_restart_message(service: Service, lang: str) -> dict:
    restart = quick_reply(texts.text("check_restart", lang), postback_data("elig", s=service.id, l=lang))
    return text_message(texts.text("check_expired", lang), [restart, *navigation(lang)])


# --- feedback -------------------------------------------------------------------------------------------------


def feedback_prompt_message(service_id: str | None, lang: str) -> dict:
    """Asked when someone writes that an answer was wrong: which answer, rated with the same buttons as the card."""
    items = []
    if service_id:
        items = [
            quick_reply(texts.text(key, lang), postback_data("fb", s=service_id, v=value, l=lang))
            for key, value in (("btn_helpful", "1"), ("btn_not_helpful", "0"))
        ]
    return text_message(texts.text("feedback_prompt", lang), items + navigation(lang))



def feedback_reason_message(service_id: str, body: str, lang: str) -> dict:
    """After a 👎: what was wrong, one tap each (the reason goes with the rating to the staff's unanswered list)."""
    items = [
        quick_reply(texts.text(f"reason_{reason.value}", lang),
                    postback_data("fb", s=service_id, v="0", r=reason.value, l=lang))
        for reason in FeedbackReason
    ]
    return text_message(body, items + navigation(lang))
