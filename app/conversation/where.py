"""Where to go, as LINE messages: the one to three nearest points that offer a service, with distance, address,
hours, phone and a map link, then the nearest as a LINE location message (LINE opens it in its map).

The origin is a location the person shared, or a district they named (then distances are from the district's
centre and shown as "about"). What is stored of a shared location is only its district (see `reply_to_location`).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from app.conversation import messages, texts
from app.knowledge.schemas import Service
from app.places.service import Geography, Nearby

LOCATION_TITLE = 100  # LINE's limits for a location message's title and address
LOCATION_ADDRESS = 100


def distance_text(nearby: Nearby, lang: str, *, district: str | None = None) -> str:
    """How far: kilometres, "about" when either end is a district's centre; a place of unknown position in the
    person's own district is "in <district>" (a distance to the centre would be made up)."""
    if nearby.approximate and district and nearby.place.district == district:
        return texts.text("in_district", lang).format(district=nearby.place.district)
    km = f"{nearby.km:.1f}" if nearby.km < 10 else f"{nearby.km:.0f}"
    return texts.text("km_about" if nearby.approximate else "km", lang).format(km=km)


def map_link(geo: Geography, nearby: Nearby) -> str:
    """A Google Maps search link: by coordinates when published, else by the place's name in its district (the map
    finds the office itself, which a district's centre is not)."""
    if nearby.place.location.lat is None:
        return "https://www.google.com/maps/search/?api=1&query=" + quote(f"臺中市{nearby.place.district} {nearby.place.name}")
    point = geo.point_of(nearby.place)
    return f"https://www.google.com/maps/search/?api=1&query={point.lat:.5f},{point.lon:.5f}"


def place_lines(geo: Geography, found: Sequence[Nearby], lang: str, *, district: str | None = None) -> list[str]:
    lines = []
    for n, nearby in enumerate(found, 1):
        place = nearby.place
        lines.append(f"{n}. {place.label(lang)}（{distance_text(nearby, lang, district=district)}）")
        lines.append(f"   📍 {place.address}")
        if hours := place.hours_in(lang):
            lines.append(f"   🕘 {hours}")
        if place.phone:
            lines.append(f"   📞 {messages.display_phone(place.phone, lang)}")
        lines.append(f"   🗺 {texts.text('map', lang)}：{map_link(geo, nearby)}")
    return lines


def location_message(geo: Geography, nearby: Nearby, lang: str) -> dict:
    point = geo.point_of(nearby.place)
    return {"type": "location", "title": messages.fit(nearby.place.label(lang), LOCATION_TITLE),
            "address": messages.fit(nearby.place.address, LOCATION_ADDRESS), "latitude": point.lat,
            "longitude": point.lon}


def share_location_quick_reply(lang: str) -> dict:
    return {"type": "action", "action": {"type": "location", "label": texts.text("btn_share_location", lang)}}


def places_messages(service: Service, geo: Geography, found: Sequence[Nearby], lang: str, *, origin: str,
                    district: str | None = None) -> list[dict]:
    """The nearest places as a text (all of them) and a location message (the nearest), quick replies last."""
    heading = texts.text("where_heading", lang).format(origin=origin, title=messages.service_title(service, lang))
    body = "\n".join([heading, *place_lines(geo, found, lang, district=district)])
    full = messages.quick_reply(texts.text("btn_full", lang), messages.postback_data("svc", s=service.id, l=lang))
    quick = [full, share_location_quick_reply(lang), *messages.navigation(lang)]
    return [messages.text_message(body), {**location_message(geo, found[0], lang), "quickReply": {"items": quick}}]


def nearest_line(nearby: Nearby, lang: str, district: str | None) -> str:
    """The line a service card carries once the person's district is known: 「📍 離您最近：…」."""
    place = nearby.place
    where = " ".join(filter(None, [place.address, messages.display_phone(place.phone, lang) if place.phone else None]))
    return texts.text("nearest_to_you", lang).format(place=place.label(lang),
                                                      distance=distance_text(nearby, lang, district=district)) + "\n" + where


def choose_service_message(services: Sequence[Service], lang: str) -> dict:
    """A location arrived but the conversation is about no service that has places: which one?"""
    items = [messages.quick_reply(messages.service_label(s, lang), messages.postback_data("where", s=s.id, l=lang),
                                  display_text=messages.service_title(s, lang)) for s in services]
    return messages.text_message(texts.text("where_which_service", lang), [*items, *messages.navigation(lang)])
