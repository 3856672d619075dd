"""Where to go: Taichung's districts and service points as knowledge, the nearest points for a service by a
district named in words or a LINE location, and the replies through signed webhooks and the fake LINE API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from app.conversation import texts
from app.conversation.models import ConversationTurn, UserState
from app.db import session_scope
from app.knowledge.service import load_from_files
from app.places.schemas import Place, PlaceKind, Point
from app.places.service import Geography, distance_km, load_districts, nearest, nearest_to_district
from app.privacy import pseudonymise
from tests.conversation_helpers import exchange, location_event, new_user, quick_data, say, tap

ROOT = Path(__file__).resolve().parents[1]
KB = load_from_files(ROOT / "knowledge", ROOT / "intents")
GEO = KB.geography
MEDIATION = "dispute-mediation"
XITUN = GEO.districts["西屯區"].centre  # where the bureau's offices are (臺灣大道三段99號)


def test_the_29_districts_with_short_names_centres_and_neighbours_that_agree():
    districts = load_districts(ROOT / "knowledge")
    assert len(districts) == 29
    for district in districts.values():
        assert district.contains(district.centre) or district.name in ("東區",), district.name
        for neighbour in district.neighbours:
            assert district.name in districts[neighbour].neighbours, (district.name, neighbour)
        assert set(district.names) == {"en", "id", "vi", "th"}
    assert "沙鹿區" in districts["西屯區"].neighbours and "大甲區" not in districts["西屯區"].neighbours


def test_every_published_place_has_a_source_a_district_and_a_point_inside_it():
    assert len(GEO.places) >= 8
    for service_id in (MEDIATION, "tc-employment-service", "migrant-worker-help", "unemployment-benefits"):
        assert GEO.offering(service_id), service_id
    for place in GEO.places:
        assert place.phone or "號" in place.address, place.id  # something to call, or a door to walk to
        assert place.sources and place.last_verified.year in {s.year for s in place.sources if s.year}, place.id
        assert place.district in GEO.districts, place.id
        point = GEO.point_of(place)
        assert GEO.districts[place.district].bounds.contains(point, margin=0.003), place.id
        assert set(place.names) == {"en", "id", "vi", "th"}, place.id
        if place.hours:
            assert set(place.hours_translations) == {"en", "id", "vi", "th"}, place.id


def test_injured_workers_and_safety_reports_are_sent_to_their_own_offices():
    kinds = {place.kind for place in GEO.places}
    assert {PlaceKind.injury_window, PlaceKind.inspection_office} <= kinds
    assert {p.kind for p in GEO.offering("occupational-injury")} == {PlaceKind.injury_window}
    assert PlaceKind.inspection_office in {p.kind for p in GEO.offering("workplace-safety-report")}


def test_a_district_with_no_point_of_its_own_gets_its_neighbours():
    with_points = {p.district for p in GEO.offering(MEDIATION)}
    without = [d for d in GEO.districts if d not in with_points]
    assert without, "every district has a mediation point: nothing to test"
    for district in without:
        found = nearest_to_district(GEO, district, MEDIATION)
        assert found and all(n.place.district != district for n in found)
        centre = GEO.districts[district].centre
        assert found[0].km == min(distance_km(centre, GEO.point_of(p)) for p in GEO.offering(MEDIATION))


def synthetic(*places: tuple[str, str, float | None, float | None]) -> Geography:
    """Places of one service at given districts (and coordinates, or the district's centre)."""
    built = [Place.model_validate({
        "id": f"p-{n}", "name": f"服務點{n}", "kind": "mediation_point", "address": f"臺中市{district}", "district": district,
        "location": {"lat": lat, "lon": lon} if lat else {"approximate": True}, "phone": "0422289111",
        "services": ["svc"], "sources": [{"title": "t", "url": "https://example.gov.tw/", "year": 2026}],
        "last_verified": "2026-01-01", "status": "published"}) for n, (district, _, lat, lon) in enumerate(places)]
    return Geography(GEO.districts, tuple(built))


def test_the_nearest_point_to_a_location_comes_first_and_nothing_far_away_is_offered():
    geo = synthetic(("豐原區", "", None, None), ("西屯區", "", 24.1830, 120.6270), ("大甲區", "", None, None),
                    ("和平區", "", None, None))
    found = nearest(geo, Point(lat=24.1835, lon=120.6275), "svc")
    assert [n.place.district for n in found] == ["西屯區", "豐原區", "大甲區"]
    assert found[0].km < 0.1 and not found[0].approximate and found[1].approximate
    assert nearest(geo, Point(lat=35.68, lon=139.76), "svc") == []  # Tokyo: nothing within reach


def test_from_a_named_district_its_own_points_come_first_then_the_nearest_neighbours():
    geo = synthetic(("西屯區", "", None, None), ("沙鹿區", "", None, None), ("和平區", "", None, None))
    assert nearest_to_district(geo, "和平區", "svc")[0].place.district == "和平區"  # its own, however far the rest
    found = nearest_to_district(geo, "龍井區", "svc")  # no point of its own: 沙鹿 and 西屯 are next door
    assert {n.place.district for n in found[:2]} == {"沙鹿區", "西屯區"} and all(n.approximate for n in found)


# --- through the webhook ---------------------------------------------------------------------------------------


def places_in(body: dict) -> tuple[str, dict]:
    text, location = body["messages"][0], body["messages"][-1]
    assert text["type"] == "text" and location["type"] == "location"
    return text["text"], location


def test_a_question_naming_the_district_gets_the_nearest_mediation_points(client, line):
    body = say(client, line, "我住大里 最近的調解地點在哪", user=new_user())
    text, location = places_in(body)
    assert "離大里區最近的「" in text and "📍" in text and "🗺" in text
    kb = client.app.state.runtime.content.kb
    nearest_place = nearest_to_district(kb.geography, "大里區", MEDIATION)[0].place
    assert location["title"].startswith(nearest_place.name) and location["address"] == nearest_place.address
    assert "📍 傳送我的位置" in [i["action"]["label"] for i in location["quickReply"]["items"]]


def test_a_district_stated_as_a_follow_up_gets_the_nearest_points(client, line):
    user = new_user()
    say(client, line, "勞資爭議調解要怎麼申請", user=user)
    text, _ = places_in(say(client, line, "我住大甲", user=user))
    assert "離大甲區最近的「" in text


def test_a_shared_location_gets_the_nearest_points_and_only_its_district_is_kept(client, line):
    user = new_user()
    say(client, line, "勞資爭議調解要怎麼申請", user=user)
    text, _ = places_in(exchange(client, line, location_event(XITUN.lat, XITUN.lon, user=user)))
    assert "離您的位置最近的「" in text and "（就在西屯區）" in text  # the bureau's position is its district's
    with session_scope() as session:
        state = session.get(UserState, pseudonymise(user))
        assert state.facts.get("district") == "西屯區" and "24.16" not in json.dumps(state.facts)
        turns = session.exec(select(ConversationTurn).where(ConversationTurn.user_pseudonym == pseudonymise(user))).all()
        assert len(turns) == 2 and all("24.16" not in (t.text or "") for t in turns)


def test_a_location_without_a_topic_asks_which_service_then_answers_from_its_district(client, line):
    user = new_user()
    body = exchange(client, line, location_event(24.2350, 120.5600, user=user))  # 沙鹿
    [question] = body["messages"]
    assert question["text"] == texts.text("where_which_service", "zh-TW")
    kb = client.app.state.runtime.content.kb
    label = next(i["action"]["label"] for i in question["quickReply"]["items"]
                 if "a=where" in i["action"].get("data", ""))
    text, _ = places_in(tap(client, line, quick_data(question, label), user=user))
    assert "離沙鹿區最近的「" in text
    assert len(question["quickReply"]["items"]) <= 13 and all(kb.geography.offering(
        dict(p.split("=") for p in i["action"]["data"].split("&"))["s"])
        for i in question["quickReply"]["items"] if "a=where" in i["action"].get("data", ""))


def test_a_location_abroad_is_told_to_call_1955(client, line):
    user = new_user()
    say(client, line, "勞資爭議調解要怎麼申請", user=user)
    [reply] = exchange(client, line, location_event(35.68, 139.76, user=user))["messages"]
    assert "1955" in reply["text"] and "60" in reply["text"]


def test_once_the_district_is_known_the_card_says_which_point_is_nearest(client, line):
    user = new_user()
    say(client, line, "我住豐原", user=user)
    body = say(client, line, "老闆欠薪三個月怎麼辦", user=user)
    card = body["messages"][0]
    assert card["type"] == "flex" and "📍 離您最近：" in str(card["contents"])


@pytest.mark.parametrize("lang, question, heading", [
    ("id", "Saya tinggal di Shalu, kantor mediasi terdekat di mana?", "terdekat dari"),
    ("en", "I live in Fengyuan, where is the nearest employment service station?", "Nearest places for"),
])
def test_places_answer_in_the_users_language(client, line, lang, question, heading):
    text, location = places_in(say(client, line, question, user=new_user()))
    assert heading in text and location["title"]
