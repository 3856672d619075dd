"""個人資料保護法: what people type is masked before it is stored or logged; user ids are pseudonymised; erased text
leaves no copy on disk.

The personal data (five languages) and the ordinary questions are in tests/data/pii_cases.yaml.
"""

from __future__ import annotations

import json
import logging
import os
import re
import string
import time
import unicodedata
import uuid
from pathlib import Path
from random import Random

import pytest
import yaml
from sqlalchemy import MetaData
from sqlmodel import SQLModel, select

from app.conversation.models import ConversationTurn
from app.db import checkpoint_wal, get_engine, session_scope
from app.line.models import EventStatus, WebhookEvent
from app.privacy import MAX_STORED_CHARS, PersonalDataFilter, mask_personal_data, pseudonymise
from tests.conftest import now_ms, post_webhook, text_event, webhook_body

CASES = yaml.safe_load((Path(__file__).parent / "data" / "pii_cases.yaml").read_text("utf-8"))
PERSONAL, ORDINARY = CASES["personal"], CASES["ordinary"]
MARKED = re.compile("«(.*?)»")
PLACEHOLDER = r"\[(?:ID|passport|phone|email|number|account|LINE ID|address|birthday|name)\]"


def typed(case: dict) -> str:
    return MARKED.sub(r"\1", case["text"])


def expected(case: dict) -> str:
    """The masked text as a regex: the unmarked parts as they were (NFC), each marked part one placeholder."""
    parts = MARKED.split(case["text"])
    return "".join(PLACEHOLDER if i % 2 else re.escape(unicodedata.normalize("NFC", part))
                   for i, part in enumerate(parts))


def needles(case: dict) -> set[str]:
    """What a leak of each marked part would leave in a table or a log: the part with up to three characters of
    its own text on each side, so that a short number ("4") is not found in the bot's content by chance."""
    parts = MARKED.split(case["text"])
    found = set()
    for i in range(1, len(parts), 2):
        needle = parts[i - 1][-3:] + parts[i] + parts[i + 1][:3]
        found |= {needle, unicodedata.normalize("NFC", needle), unicodedata.normalize("NFKC", needle)}
    return found


# --- the function ---------------------------------------------------------------------------------------------------


def test_the_cases_are_sixty_kinds_in_five_languages_and_thirty_questions():
    assert len({(case["lang"], case["kind"]) for case in PERSONAL}) >= 60
    assert {case["lang"] for case in PERSONAL} == {"zh-TW", "en", "id", "vi", "th"}
    assert len(ORDINARY) >= 30


@pytest.mark.parametrize("case", PERSONAL, ids=lambda case: f"{case['lang']}: {case['kind']}")
def test_personal_data_is_masked_whole_and_the_rest_kept(case):
    masked = mask_personal_data(typed(case))
    assert re.fullmatch(expected(case), masked), masked
    assert mask_personal_data(masked) == masked  # the logs mask stored text again: placeholders stay as they are


@pytest.mark.parametrize("question", ORDINARY)
def test_ordinary_questions_are_kept_as_typed(question):
    assert mask_personal_data(question) == question


def test_short_public_numbers_and_toll_free_lines_are_kept_but_landlines_are_masked():
    # 1955 and 0800 numbers are organisations', never a person's; an agency's landline looks like anyone's
    assert mask_personal_data("請撥1955或婦女再就業專線0800-777-888") == "請撥1955或婦女再就業專線0800-777-888"
    assert mask_personal_data("問勞工局（04-2228-9111）") == "問勞工局（[phone]）"


def test_a_long_text_is_masked_throughout():
    pieces = [typed(case) for case in PERSONAL] + ORDINARY
    Random(12).shuffle(pieces)
    text = " ".join(pieces * 6)
    assert len(text) > 20_000
    masked = mask_personal_data(text, limit=None)
    leaked = sorted(needle for case in PERSONAL for needle in needles(case) if needle in masked)
    assert leaked == []
    assert masked.count(ORDINARY[0]) == 6


def test_stored_text_is_cut_at_lines_limit_without_leaving_half_a_number():
    assert len(mask_personal_data("加班費怎麼算" * 20_000)) == MAX_STORED_CHARS
    for secret in ("0912345678", "wang.da@example.com", "A123456789"):
        text = "問" * (MAX_STORED_CHARS - 4) + secret + "，謝謝"
        stored = mask_personal_data(text)
        assert stored == "問" * (MAX_STORED_CHARS - 4), stored[-10:]  # the cut left "0912": it is dropped


def test_pseudonyms_are_stable_keyed_and_not_the_id():
    user = "U4af4980629a0f2d0f6ad1f3e6a0b1234"
    assert pseudonymise(user) == pseudonymise(user)
    assert pseudonymise(user) != pseudonymise(user[:-1] + "5")
    assert user not in pseudonymise(user) and len(pseudonymise(user)) == 32
    assert pseudonymise(None) is None


# --- logs -----------------------------------------------------------------------------------------------------------


def access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's access log makes it: the path and query string URL-encoded, in the arguments."""
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:5000", "GET", path, "1.1", 200), None)


def test_the_access_log_shows_query_strings_decoded_and_masked():
    record = access_record("/console/try?q=%E8%BA%AB%E5%88%86%E8%AD%89A123456789+%E9%9B%BB%E8%A9%B10912345678")
    assert PersonalDataFilter().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /console/try?q=身分證[ID] 電話[phone] HTTP/1.1" 200'
    plain = access_record("/console/try?q=%E5%8A%A0%E7%8F%AD%E8%B2%BB")  # nothing personal: left as it was
    PersonalDataFilter().filter(plain)
    assert plain.args[2] == "/console/try?q=%E5%8A%A0%E7%8F%AD%E8%B2%BB"


def test_app_log_messages_arguments_and_tracebacks_are_masked():
    passport = "P1234567A"  # not in the raising line, which the traceback quotes
    try:
        raise ValueError(f"bad text: 我的護照 {passport}")
    except ValueError as exc:
        record = logging.LogRecord("app.line.worker", logging.ERROR, __file__, 1, "event %s failed: %s (%d tries)",
                                   ("E1", exc, 3), (type(exc), exc, exc.__traceback__))
    PersonalDataFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "P1234567A" not in formatted and formatted.count("[passport]") == 2
    assert record.getMessage() == "event E1 failed: bad text: 我的護照 [passport] (3 tries)"


def test_the_app_masks_uvicorns_records_and_those_of_app_loggers_made_later(caplog):
    import app.main  # noqa: F401  (create_app installs the masking)

    caplog.set_level(logging.INFO)
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                                             "/try?q=%E6%89%8B%E6%A9%9F0912345678", "1.1", 200)
    logging.getLogger(f"app.made_later_{uuid.uuid4().hex}").warning("could not answer 居留證 %s", "A800000014")
    assert [r.getMessage() for r in caplog.records if r.name.startswith(("uvicorn", "app.made_later"))] == [
        '127.0.0.1:5000 - "GET /try?q=手機[phone] HTTP/1.1" 200', "could not answer 居留證 [ID]"]


# --- end to end: the database and the log ---------------------------------------------------------------------------


def wait_finished(event_ids: list[str], timeout: float = 60.0) -> list[WebhookEvent]:
    deadline = time.monotonic() + timeout
    while True:
        with session_scope() as session:
            events = session.exec(select(WebhookEvent).where(WebhookEvent.id.in_(event_ids))).all()
        if time.monotonic() > deadline or all(e.status not in (EventStatus.pending, EventStatus.processing)
                                             for e in events):
            return events
        time.sleep(0.1)


def everything_stored() -> str:
    """Every text and JSON value of every table in the database (the models' and any other), as one string."""
    values = []
    with get_engine().connect() as connection:
        tables = MetaData()
        tables.reflect(bind=connection)
        assert {table.name for table in SQLModel.metadata.sorted_tables} <= set(tables.tables)
        for table in tables.sorted_tables:
            for row in connection.execute(table.select()):
                for value in row:
                    if isinstance(value, str):
                        values.append(value)
                    elif isinstance(value, dict | list):
                        values.append(json.dumps(value, ensure_ascii=False))
    return "\n".join(values)


def test_personal_data_sent_to_the_api_and_the_webhook_is_in_no_table_and_no_log(client, line, caplog):
    caplog.set_level(logging.DEBUG, logger="app")
    user = "U" + uuid.uuid4().hex
    texts = [typed(case) for case in PERSONAL]
    for text in texts:
        response = client.post("/api/ask", json={"text": text, "user_id": user})
        assert response.status_code == 200, response.text
    events = [text_event(text, user=user) for text in texts]
    for first in range(0, len(events), 10):
        assert post_webhook(client, webhook_body(*events[first:first + 10])).status_code == 200
    assert len(line.wait_for_replies(len(events), timeout=120)) == len(events)
    finished = wait_finished([event["webhookEventId"] for event in events])
    assert {event.status for event in finished} == {EventStatus.done} and len(finished) == len(events)

    stored, logged = everything_stored(), caplog.text
    for where, found in (("tables", stored), ("log", logged)):
        leaked = sorted(needle for case in PERSONAL for needle in needles(case) if needle in found)
        assert leaked == [], f"found in the {where}"
        assert user not in found, f"the raw LINE userId is in the {where}"
    with session_scope() as session:  # the questions were stored, masked, under the pseudonym only
        turns = session.exec(select(ConversationTurn).where(ConversationTurn.user_pseudonym == pseudonymise(user))
                             ).all()
    assert len(turns) == len(texts) and all(re.search(PLACEHOLDER, turn.text) for turn in turns)


@pytest.mark.skipif(not os.environ["DATABASE_URL"].startswith("sqlite"), reason="SQLite's own files")
def test_erased_text_is_in_neither_the_database_file_nor_its_write_ahead_log(client, line):
    engine = get_engine()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    user = "U" + uuid.uuid4().hex
    word = "".join(Random().choices(string.ascii_lowercase, k=24))  # kept in the stored (masked) text until unsent
    phone = "0987-{:03d}-{:03d}".format(*Random().choices(range(1000), k=2))  # only ever in the raw payload
    answered = text_event(f"老闆欠薪 我的手機 {phone}", user=user)
    unsent = text_event(f"老闆欠薪怎麼辦 {word}", user=user, message_id="UNSEND-" + uuid.uuid4().hex[:12])
    assert post_webhook(client, webhook_body(answered, unsent)).status_code == 200
    assert len(line.wait_for_replies(2, timeout=30)) == 2
    answers = wait_finished([answered["webhookEventId"], unsent["webhookEventId"]])
    assert [(e.status, e.payload) for e in answers] == [(EventStatus.done, None)] * 2  # the raw text is cleared
    unsend = {"type": "unsend", "mode": "active", "timestamp": now_ms(), "source": {"type": "user", "userId": user},
              "webhookEventId": uuid.uuid4().hex.upper()[:26], "deliveryContext": {"isRedelivery": False},
              "unsend": {"messageId": unsent["message"]["id"]}}
    assert post_webhook(client, webhook_body(unsend)).status_code == 200
    assert wait_finished([unsend["webhookEventId"]])[0].status is EventStatus.done
    with session_scope() as session:
        turn = session.exec(select(ConversationTurn).where(ConversationTurn.line_message_id == unsent["message"]["id"])
                            ).one()
        assert turn.text is None

    deadline = time.monotonic() + 30
    while not (checkpointed := checkpoint_wal(engine)) and time.monotonic() < deadline:
        time.sleep(0.1)  # a reader held the log for a moment
    assert checkpointed
    database = Path(engine.url.database)
    files = {path.name: path.read_bytes() for path in (database, database.with_name(database.name + "-wal"))
             if path.exists()}
    assert database.name in files
    for secret in (word, phone, user):
        assert [name for name, content in files.items() if secret.encode() in content] == [], secret
