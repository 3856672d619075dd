"""Service points edited and published in the console like services: the list, the edit form, a draft a citizen does
not see until a publisher publishes it, the bot's place answer from the new version within seconds, history with its
diff, rollback, audit, a position outside its district refused in plain Chinese; and the database's places as files
again (export), into an empty database and into one made before places were kept in it (seed)."""

from __future__ import annotations

import shutil
import time
import uuid
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from sqlmodel import Session, delete, select

import app.console.models  # noqa: F401  (tables on the metadata)
import app.conversation.models  # noqa: F401
from app.conversation.messages import display_phone
from app.db import make_engine, session_scope
from app.knowledge.models import AuditLog, PlaceDraft, PlaceVersion
from app.knowledge.service import (
    PLACES,
    database_is_empty,
    export_to_files,
    load_from_database,
    load_from_files,
    publish_draft,
    save_draft,
    seed_places,
)
from app.places.schemas import Place, Point
from app.places.service import lies_in, nearest_to_district
from tests.test_console_content import csrf, form_fields, replaced

ROOT = Path(__file__).resolve().parents[1]
MEDIATION = "dispute-mediation"
NEW_PHONE, NEW_HOURS = "04-2345-6789", "週一至週五 09:00-17:00（測試）"


@pytest.fixture(scope="module")
def kb():
    return load_from_files(ROOT / "knowledge", ROOT / "intents")


def signed_in(role):
    from fastapi.testclient import TestClient

    from app.console.auth import create_user
    from app.main import app

    username = f"places.{role.value}.{uuid.uuid4().hex[:6]}"
    with session_scope() as db:
        create_user(db, username, "places-test-password", role, "test")
    browser = TestClient(app, follow_redirects=False)
    token = csrf(browser.get("/console/login").text)
    assert browser.post("/console/login", data={"csrf_token": token, "username": username,
                                                "password": "places-test-password"}).status_code == 303
    return browser


@pytest.fixture(scope="module")
def editor(client):
    from app.console.models import StaffRole

    return signed_in(StaffRole.editor)


@pytest.fixture(scope="module")
def publisher(client):
    from app.console.models import StaffRole

    return signed_in(StaffRole.publisher)


def post(browser, url: str, fields: list[tuple[str, str]]):
    return browser.post(url, content=urlencode(fields), headers={"Content-Type": "application/x-www-form-urlencoded"})


def draft_of(place_id: str) -> dict:
    with session_scope() as db:
        return db.get(PlaceDraft, place_id).data


def nearest_mediation_to_dali(client) -> Place:
    return nearest_to_district(client.app.state.runtime.content.kb.geography, "大里區", MEDIATION)[0].place


def where_to_go(client) -> str:
    """The bot's place answer, asked as a citizen would: the service first, then where."""
    user = f"places-{uuid.uuid4().hex[:8]}"
    client.post("/api/ask", json={"text": "勞資爭議調解要怎麼申請", "user_id": user})
    body = client.post("/api/ask", json={"text": "我住大里 最近的調解地點在哪", "user_id": user}).json()
    return body["messages"][0]["text"]


def bot_says_within(client, words: str, seconds: float = 10) -> str:
    deadline = time.monotonic() + seconds
    while True:
        text = where_to_go(client)
        if words in text or time.monotonic() > deadline:
            return text
        time.sleep(0.3)


def test_the_list_shows_each_place_with_its_kind_district_state_and_whether_its_position_is_approximate(editor, kb):
    page = editor.get("/console/places")
    assert page.status_code == 200 and 'aria-current="page">服務據點</a>' in page.text
    for place in kb.places:
        assert f'href="/console/places/{place.id}">{place.name}</a>' in page.text, place.id
    assert "勞資爭議調解地點" in page.text and "約略位置" in page.text
    assert "上線中" in page.text and "從未發布" in page.text  # the files hold both published and draft places
    assert kb.places[0].last_verified.isoformat() in page.text


def test_an_edited_phone_reaches_the_bot_only_when_a_publisher_publishes_it_and_a_rollback_restores_it(
        client, editor, publisher):
    place = nearest_mediation_to_dali(client)
    target = f"place:{place.id}"
    before = draft_of(place.id)
    assert display_phone(NEW_PHONE.replace("-", "")) not in where_to_go(client)

    page = editor.get(f"/console/places/{place.id}/edit")
    assert page.status_code == 200 and '<select name="district"' in page.text and 'name="services"' in page.text
    fields = form_fields(page.text)
    assert ("name", place.name) in fields and ("district", place.district) in fields
    saved = post(editor, f"/console/places/{place.id}/edit", replaced(fields, phone=NEW_PHONE, hours=NEW_HOURS))
    assert saved.status_code == 303 and saved.headers["location"] == f"/console/places/{place.id}?notice=saved"
    draft = draft_of(place.id)
    assert draft["phone"] == "0423456789" and draft["hours"] == NEW_HOURS
    assert {k: v for k, v in draft.items() if k not in ("phone", "hours")} == {
        k: v for k, v in before.items() if k not in ("phone", "hours")}  # the page as shown changes nothing else

    overview = editor.get(f"/console/places/{place.id}")
    assert '+phone: "0423456789"' in unescape(overview.text) and "請通知發布者" in overview.text
    token = csrf(overview.text)
    assert post(editor, f"/console/places/{place.id}/publish", [("csrf_token", token)]).status_code == 403
    assert "04-2345-6789" not in where_to_go(client)  # a draft reaches nobody

    published = post(publisher, f"/console/places/{place.id}/publish",
                     [("csrf_token", csrf(publisher.get(f"/console/places/{place.id}").text)), ("note", "新電話")])
    assert published.status_code == 303
    started = time.monotonic()
    text = bot_says_within(client, "04-2345-6789")
    assert "04-2345-6789" in text and NEW_HOURS in text, text
    assert time.monotonic() - started < 10

    history = publisher.get(f"/console/places/{place.id}/history")
    assert history.status_code == 200 and "第 2 版" in history.text and "新電話" in history.text
    assert '<ins>+phone: "0423456789"</ins>' in unescape(history.text) and "<del>-phone:" in history.text

    rolled_back = post(publisher, f"/console/places/{place.id}/rollback",
                       [("csrf_token", csrf(history.text)), ("version", "1")])
    assert rolled_back.status_code == 303
    text = bot_says_within(client, display_phone(before["phone"]) if before.get("phone") else place.address)
    assert "04-2345-6789" not in text
    assert draft_of(place.id) == before  # the draft had nothing unpublished: it follows the rollback

    audit = publisher.get("/console/audit", params={"target": target})
    assert f'href="/console/places/{place.id}/history">{target}</a>' in audit.text
    with session_scope() as db:
        actions = [a.action for a in db.exec(select(AuditLog).where(AuditLog.target == target).order_by(AuditLog.id))]
    assert actions[-3:] == ["save_draft", "publish", "rollback"]
    for label in ("儲存草稿", "發布", "回復舊版"):
        assert f"<td>{label}</td>" in audit.text


def test_a_position_outside_its_district_is_refused_beside_the_field_in_plain_chinese(client, editor, kb):
    place = next(p for p in kb.places if p.district == "大里區")
    before = draft_of(place.id)
    fields = form_fields(editor.get(f"/console/places/{place.id}/edit").text)
    heping = kb.geography.districts["和平區"].centre
    refused = post(editor, f"/console/places/{place.id}/edit",
                   replaced(fields, lat=str(heping.lat), lon=str(heping.lon)))
    assert refused.status_code == 400
    page = refused.text
    summary = page[page.index('role="alert"'):page.index("</ul>")]
    assert f"位置：座標（{heping.lat}, {heping.lon}）不在大里區的範圍內" in summary
    beside = page[page.index('name="lat"'):]
    assert beside.index('<span class="field-error">座標（') < beside.index("</label>")
    assert f'value="{heping.lat}" aria-invalid="true"' in page  # nothing typed is lost
    assert draft_of(place.id) == before

    refused = post(editor, f"/console/places/{place.id}/edit",
                   replaced(fields, lat="二十四", lon="120.7", phone="04-2345", sources__0__url="www.labor"))
    assert refused.status_code == 400
    assert "緯度：請填數字" in refused.text
    refused = post(editor, f"/console/places/{place.id}/edit",
                   replaced(fields, lat="24.1", lon="", phone="04-2345", sources__0__url="www.labor"))
    summary = refused.text[refused.text.index('role="alert"'):refused.text.index("</ul>")]
    assert "緯度和經度要一起填" in summary and "電話：電話號碼格式不對" in summary
    assert "資料來源第 1 列／網址：網址格式不正確" in summary
    for parser_text in ("Input should", "Value error", "give both", "pydantic"):
        assert parser_text not in refused.text
    assert draft_of(place.id) == before


def test_an_editor_adds_a_place_that_nobody_sees_until_it_is_published(client, editor):
    page = editor.get("/console/places/new")
    assert page.status_code == 200 and '<template data-row-template="sources">' in page.text
    place_id = f"tc-test-point-{uuid.uuid4().hex[:6]}"
    fields = [("csrf_token", csrf(page.text)), ("id", place_id), ("name", "測試服務點"), ("kind", "mediation_point"),
              ("address", "臺中市大里區測試路1號"), ("district", "大里區"), ("lat", ""), ("lon", ""),
              ("approximate", "true"), ("phone", "04 2228 9111 分機 35099"), ("hours", ""), ("note", ""),
              ("last_verified", "2026-03-01"), ("services", MEDIATION), ("languages", "zh-TW"),
              ("sources-0-title", "測試來源"), ("sources-0-url", "https://www.labor.taichung.gov.tw/"),
              ("sources-0-year", "2026")]
    created = post(editor, "/console/places/new", fields)
    assert created.status_code == 303, created.text
    draft = draft_of(place_id)
    assert draft["status"] == "draft" and draft["phone"] == "0422289111,35099"
    assert draft["location"] == {"lat": None, "lon": None, "approximate": True}
    assert place_id not in {p.id for p in client.app.state.runtime.content.kb.geography.places}
    again = post(editor, "/console/places/new", fields)
    assert again.status_code == 400 and "已經有服務據點使用" in again.text


def test_a_point_in_the_bounding_box_but_outside_the_outline_is_not_in_the_district(kb):
    districts = kb.geography.districts
    dali = districts["大里區"]
    assert lies_in(dali, dali.centre)
    corner = Point(lat=dali.bounds.north, lon=dali.bounds.east)  # inside the box, in a neighbour
    assert dali.bounds.contains(corner) and not lies_in(dali, corner)


# --- The database and the files -----------------------------------------------------------------------------------



def test_the_database_answers_from_the_same_places_as_the_files(session, kb):
    from_db = load_from_database(session, ROOT / "knowledge")
    assert from_db.geography.places == kb.geography.places
    drafts = session.exec(select(PlaceDraft)).all()
    assert len(drafts) == len(kb.places) and len(session.exec(select(PlaceVersion)).all()) == len(kb.geography.places)


def test_export_writes_a_published_place_back_to_its_file(session, kb, tmp_path):
    knowledge, intents = tmp_path / "knowledge", tmp_path / "intents"
    shutil.copytree(ROOT / "knowledge", knowledge)
    shutil.copytree(ROOT / "intents", intents)
    assert export_to_files(session, knowledge, intents).written == []  # the files already say it

    place = kb.geography.places[0]
    save_draft(session, place.model_copy(update={"phone": "0423456789", "hours": NEW_HOURS}), "amy")
    publish_draft(session, place.id, "bob", kind=PLACES)
    session.commit()
    report = export_to_files(session, knowledge, intents)
    path = knowledge / "places" / f"{place.id}.yaml"
    assert report.written == [path]
    text = path.read_text(encoding="utf-8")
    assert 'phone: "0423456789"' in text and f"hours: {NEW_HOURS}" in text and "\nlocation: {" in text
    assert list(yaml.safe_load(text))[:3] == ["id", "name", "names"]  # the schema's order, as the files are written
    again = {p.id: p for p in load_from_files(knowledge, intents).places}[place.id]
    assert again.phone == "0423456789" and again.model_copy(update={"phone": place.phone, "hours": place.hours}) == place


def test_a_database_made_before_places_were_kept_gets_them_from_the_files(session, kb):
    session.exec(delete(PlaceVersion))
    session.exec(delete(PlaceDraft))
    session.commit()
    assert not database_is_empty(session) and database_is_empty(session, PLACES)
    assert load_from_database(session, ROOT / "knowledge").geography.places == ()
    assert seed_places(session, kb) == len(kb.places)
    session.commit()
    assert load_from_database(session, ROOT / "knowledge").geography.places == kb.geography.places


def test_at_start_a_database_without_places_gets_them_and_one_with_places_keeps_its_own(tmp_path, kb):
    import os
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'start.db'}"
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(tmp_path)}

    def start() -> None:
        done = subprocess.run([sys.executable, "-c", "from app.main import prepare_database; prepare_database()"],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    start()  # an empty database: services and places from the files
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            place = db.get(PlaceDraft, kb.places[0].id)
            place.data = {**place.data, "hours": "只在資料庫裡的服務時間"}
            db.add(place)
            db.commit()
        start()  # places there already: nothing from the files
        with Session(engine) as db:
            assert db.get(PlaceDraft, kb.places[0].id).data["hours"] == "只在資料庫裡的服務時間"
            db.exec(delete(PlaceVersion))
            db.exec(delete(PlaceDraft))
            db.commit()
        start()  # as a database made before migration 0006 would be: its places come from the files
        with Session(engine) as db:
            assert load_from_database(db, ROOT / "knowledge").geography.places == kb.geography.places
    finally:
        engine.dispose()
