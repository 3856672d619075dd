"""Content editing behind the console: drafts, publishing as versions, diff, rollback, unpublish, examples, audit,
and the round trip between the database and the files in git (fast: a private SQLite database per test); then the
edit form over HTTP on the running app: rows of inputs in and out, phone numbers as people write them, errors in
Chinese beside the field."""

from __future__ import annotations

import re
import shutil
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from pydantic import ValidationError
from sqlmodel import Session, SQLModel, select

import app.console.models  # noqa: F401  (tables on the metadata)
import app.conversation.models  # noqa: F401
from app.db import make_engine
from app.knowledge.models import AuditLog, Example, ServiceDraft, ServiceVersion
from app.knowledge.schemas import Service
from app.knowledge.service import (
    ContentError,
    add_examples,
    current_revision,
    export_to_files,
    import_from_files,
    latest_version,
    load_from_database,
    load_from_files,
    publish_draft,
    remove_example,
    rollback_service,
    save_draft,
    seed_database,
    service_yaml,
    unpublish_service,
    version_diff,
)

ROOT = Path(__file__).resolve().parents[1]
SERVICE = "wages-unpaid"


@pytest.fixture(scope="module")
def kb():
    return load_from_files(ROOT / "knowledge", ROOT / "intents")



def edited(session: Session, service_id: str = SERVICE, **changes) -> Service:
    draft = session.get(ServiceDraft, service_id)
    return Service.model_validate({**draft.data, **changes})


def test_a_saved_draft_reaches_citizens_only_when_published(session):
    before = current_revision(session)
    save_draft(session, edited(session, summary="新的摘要：先保留證據再申訴。"), "amy")
    session.commit()
    assert current_revision(session) == before
    assert latest_version(session, SERVICE).data["summary"] != "新的摘要：先保留證據再申訴。"

    version = publish_draft(session, SERVICE, "bob")
    session.commit()
    assert version.version == 2 and version.published_by == "bob"
    assert current_revision(session) == before + 1
    kb = load_from_database(session, ROOT / "knowledge")
    assert kb.service(SERVICE).summary == "新的摘要：先保留證據再申訴。"
    actions = [(a.actor, a.action, a.target) for a in session.exec(select(AuditLog).order_by(AuditLog.id))]
    assert actions[-2:] == [("amy", "save_draft", SERVICE), ("bob", "publish", SERVICE)]
    assert "summary" in session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first().detail


def test_publishing_an_unchanged_draft_is_refused(session):
    with pytest.raises(ContentError, match="沒有需要發布"):
        publish_draft(session, SERVICE, "bob")


def test_a_draft_missing_what_citizens_need_cannot_be_published(session):
    save_draft(session, edited(session, "tc-press-machine-subsidy", status="draft", steps=["只有一步"]), "amy")
    with pytest.raises(ValidationError, match="steps"):
        publish_draft(session, "tc-press-machine-subsidy", "bob")
    assert latest_version(session, "tc-press-machine-subsidy").version == 1


def test_diff_shows_the_changed_lines_only(session):
    old = latest_version(session, SERVICE).data
    new = edited(session, title="老闆沒發薪水怎麼辦").model_dump(mode="json")
    lines = version_diff(old, new, "第 1 版", "草稿")
    changed = [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-title: 老闆欠薪、薪水沒發或少發怎麼辦", "+title: 老闆沒發薪水怎麼辦"]


def test_rollback_publishes_the_old_content_as_a_new_version(session):
    original = latest_version(session, SERVICE).data
    save_draft(session, edited(session, summary="錯誤的摘要"), "amy")
    publish_draft(session, SERVICE, "bob")
    revision = current_revision(session)

    version = rollback_service(session, SERVICE, 1, "bob")
    session.commit()
    assert version.version == 3 and version.data == original and version.note == "回復到第 1 版"
    assert current_revision(session) == revision + 1
    assert session.get(ServiceDraft, SERVICE).data == original  # the draft had no unpublished edits: it follows
    assert [v.version for v in session.exec(select(ServiceVersion).where(ServiceVersion.service_id == SERVICE))] == [1, 2, 3]
    with pytest.raises(ContentError, match="相同"):
        rollback_service(session, SERVICE, 1, "bob")


def test_rollback_keeps_a_draft_with_unpublished_work(session):
    save_draft(session, edited(session, summary="第二版摘要"), "amy")
    publish_draft(session, SERVICE, "bob")
    save_draft(session, edited(session, notes=["還沒發布的注意事項"]), "amy")
    rollback_service(session, SERVICE, 1, "bob")
    assert session.get(ServiceDraft, SERVICE).data["notes"] == ["還沒發布的注意事項"]


def test_unpublish_stops_answering_and_publish_brings_it_back(session):
    unpublish_service(session, SERVICE, "bob")
    kb = load_from_database(session, ROOT / "knowledge")
    assert SERVICE not in {s.id for s in kb.published} and kb.service(SERVICE) is not None
    with pytest.raises(ContentError):
        unpublish_service(session, SERVICE, "bob")
    publish_draft(session, SERVICE, "bob")
    assert SERVICE in {s.id for s in load_from_database(session, ROOT / "knowledge").published}


def test_examples_are_added_once_removed_and_audited(session):
    revision = current_revision(session)
    added = add_examples(session, ["  老闆三個月沒給錢 ", "老闆三個月沒給錢", "", "老闆欠薪水怎麼辦"], "amy", service_id=SERVICE)
    assert [e.text for e in added] == ["老闆三個月沒給錢"]  # blank, duplicate and existing phrasings skipped
    assert current_revision(session) == revision + 1
    assert "老闆三個月沒給錢" in load_from_database(session, ROOT / "knowledge").service_examples[SERVICE]

    remove_example(session, added[0].id, "amy")
    assert "老闆三個月沒給錢" not in load_from_database(session, ROOT / "knowledge").service_examples[SERVICE]
    audit = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert (audit.actor, audit.action, audit.detail) == ("amy", "remove_example", "老闆三個月沒給錢")

    add_examples(session, ["汽機車驗車"], "amy", intent="out_of_scope", origin="unanswered")
    assert "汽機車驗車" in load_from_database(session, ROOT / "knowledge").intent_examples["out_of_scope"]
    with pytest.raises(ContentError):
        add_examples(session, ["x"], "amy", service_id="no-such-service")
    with pytest.raises(ValidationError):
        add_examples(session, ["x"], "amy", intent="weather")


def test_service_yaml_is_stable_and_reads_back_the_same(kb):
    for service in kb.services:
        text = service_yaml(service.model_dump(mode="json"))
        back = Service.model_validate(yaml.safe_load(text)).model_dump(mode="json")
        assert back == service.model_dump(mode="json"), service.id
        assert service_yaml(back) == text
    press = service_yaml(kb.service("hotline-1955").model_dump(mode="json"))
    assert 'phone: "1955"' in press and "keywords: [" in press


def test_export_rewrites_only_what_changed_and_import_restores_it(session, kb, tmp_path):
    knowledge, intents = tmp_path / "knowledge", tmp_path / "intents"
    shutil.copytree(ROOT / "knowledge", knowledge)
    shutil.copytree(ROOT / "intents", intents)

    untouched = export_to_files(session, knowledge, intents)
    assert untouched.written == [] and untouched.removed == []

    save_draft(session, edited(session, summary="匯出測試摘要"), "amy")
    publish_draft(session, SERVICE, "bob")
    add_examples(session, ["薪水拖了好幾個月"], "amy", service_id=SERVICE)
    session.commit()
    report = export_to_files(session, knowledge, intents)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in report.written) == [
        f"intents/{SERVICE}.yaml",
        f"knowledge/services/{SERVICE}.yaml",
    ]
    assert "summary: 匯出測試摘要" in (knowledge / "services" / f"{SERVICE}.yaml").read_text(encoding="utf-8")

    # Another database (say, production) imports the reviewed files and answers from the same content.
    exported = load_from_files(knowledge, intents)
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as other:
        seed_database(other, kb)
        result = import_from_files(other, exported, "import")
        assert result.versions == [f"{SERVICE} v2"] and result.examples_added == 1
        mine, theirs = load_from_database(session, knowledge), load_from_database(other, knowledge)
        assert theirs.version == mine.version
        again = import_from_files(other, exported, "import")
        assert (again.versions, again.drafts, again.examples_added) == ([], 0, 0)
        assert other.exec(select(AuditLog).where(AuditLog.action == "import")).all()[-1].detail.startswith("1 個草稿")
    engine.dispose()


def test_export_removes_the_phrasing_file_of_a_service_left_without_phrasings(session, tmp_path):
    knowledge, intents = tmp_path / "knowledge", tmp_path / "intents"
    shutil.copytree(ROOT / "intents", intents)
    for example in session.exec(select(Example).where(Example.service_id == SERVICE)).all():
        remove_example(session, example.id, "amy")
    report = export_to_files(session, knowledge, intents)
    assert report.removed == [intents / f"{SERVICE}.yaml"]


def test_import_and_export_commands_round_trip_the_repository_files(tmp_path):
    import os
    import subprocess
    import sys

    knowledge, intents = tmp_path / "knowledge", tmp_path / "intents"
    shutil.copytree(ROOT / "knowledge", knowledge)
    shutil.copytree(ROOT / "intents", intents)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "DATA_DIR": str(tmp_path)}
    dirs = ["--knowledge-dir", str(knowledge), "--intents-dir", str(intents)]

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "app", *args, *dirs], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    imported = run("import-knowledge")
    assert not re.search(r"\b0 published as new versions", imported) and "example phrasings added" in imported
    assert "0 drafts updated, 0 published as new versions, 0 example phrasings added" in run("import-knowledge")
    assert "\n0 files written, 0 removed, " in "\n" + run("export-knowledge")  # nothing differs from the files


# --- The edit form over HTTP: rows of inputs, not YAML -----------------------------------------------------------


class FormReader(HTMLParser):
    """What a browser submits for the edit form as rendered: text, date, number, URL and phone inputs with their
    values, checked boxes, each select's chosen option, textareas; nothing inside a <template> (the row JS copies)."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_template = 0
        self._select: str | None = None
        self._select_options: list[list] = []  # [value or None (its text then), selected, text]
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "template":
            self._in_template += 1
        if self._in_template:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_options = name, []
        elif tag == "option" and self._select:
            self._select_options.append([attrs.get("value"), "selected" in attrs, ""])
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "template":
            self._in_template -= 1
        elif tag == "select" and self._select:
            options = [(text if value is None else value, selected) for value, selected, text in self._select_options]
            self.fields.append((self._select, next((v for v, selected in options if selected), options[0][0])))
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)
        elif self._select and self._select_options:
            self._select_options[-1][2] += data.strip()


def form_fields(html: str) -> list[tuple[str, str]]:
    reader = FormReader()
    reader.feed(html)
    return reader.fields


def without(fields: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    return [(name, value) for name, value in fields if not name.startswith(prefix)]


def replaced(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    changes = {name.replace("__", "-"): value for name, value in values.items()}
    return [(name, changes.get(name, value)) for name, value in fields]


@pytest.fixture(scope="module")
def editor(client):
    from fastapi.testclient import TestClient

    from app.console.auth import create_user
    from app.console.models import StaffRole
    from app.db import session_scope
    from app.main import app

    username = f"forms.{uuid.uuid4().hex[:8]}"
    with session_scope() as db:
        create_user(db, username, "forms-test-password", StaffRole.editor, "test")
    browser = TestClient(app, follow_redirects=False)
    token = csrf(browser.get("/console/login").text)
    signed_in = browser.post("/console/login", data={"csrf_token": token, "username": username,
                                                     "password": "forms-test-password"})
    assert signed_in.status_code == 303
    return browser


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def draft_of(service_id: str) -> dict:
    from app.db import session_scope

    with session_scope() as db:
        return db.get(ServiceDraft, service_id).data


def save(browser, service_id: str, fields: list[tuple[str, str]]):
    # urlencoded in the given order, as a browser posts the page's inputs
    return browser.post(f"/console/services/{service_id}/edit", content=urlencode(fields),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_every_service_comes_back_unchanged_from_its_edit_page(editor, kb):
    from starlette.datastructures import FormData

    from app.console import service as forms

    names = {p.name for p in kb.plan_items}
    for original in kb.services:
        data = draft_of(original.id)
        page = editor.get(f"/console/services/{original.id}/edit")
        assert page.status_code == 200 and "YAML" not in page.text, original.id
        values = {**forms.submitted_values(FormData(form_fields(page.text))), "id": original.id}  # as the view does
        again = forms.service_from_values(values, status=data["status"], plan_item_names=names, previous=data)
        assert again.model_dump(mode="json") == data, original.id


def test_saving_the_page_as_shown_changes_nothing(editor):
    service_id = "severance-dismissal"
    before = draft_of(service_id)
    page = editor.get(f"/console/services/{service_id}/edit")
    fields = form_fields(page.text)
    assert ("contacts-0-name", before["contacts"][0]["name"]) in fields
    assert ("benefits-1-year", str(before["benefits"][1]["year"])) in fields
    assert ("eligibility_check-0-qualifying_answer", "true" if before["eligibility_check"][0]["qualifying_answer"]
            else "false") in fields
    assert ("translations-en-title", before["translations"]["en"]["title"]) in fields
    assert save(editor, service_id, fields).status_code == 303
    assert draft_of(service_id) == before


def test_rows_are_added_and_removed_and_their_translations_go_with_them(editor):
    service_id = "severance-dismissal"
    before = draft_of(service_id)
    fields = form_fields(editor.get(f"/console/services/{service_id}/edit").text)
    # Benefit row 2 removed (its inputs and translations gone with its fieldset); a contact row added under the
    # index the page's script would give it, translated into every language but English; an empty row left over.
    fields = without(fields, "benefits-1-")
    added = [("contacts-9-name", "臺中市勞資關係科"), ("contacts-9-phone", "04-2228-9111 分機 35099"),
             ("contacts-9-url", ""), ("contacts-9-address", ""), ("contacts-9-hours", "")]
    added += [(f"contacts-9-name-{lang}", f"Labour relations section ({lang})") for lang in ("id", "vi", "th")]
    empty = [("contacts-10-name", ""), ("contacts-10-phone", ""), ("contacts-10-name-en", "")]
    refused = save(editor, service_id, fields + added + empty)
    assert refused.status_code == 400
    page = refused.text
    assert "聯絡窗口第 6 列／英文名稱：不能空白。" in page  # the summary names the row and the language
    assert 'name="contacts-5-name-en" value="" aria-invalid="true"><span class="field-error">不能空白。</span>' in page
    assert 'name="contacts-5-phone" type="tel" value="04-2228-9111 分機 35099"' in page  # kept as typed
    assert 'name="contacts-6-name"' not in page and 'name="benefits-2-description"' not in page
    assert draft_of(service_id) == before

    saved = save(editor, service_id, fields + added + [("contacts-9-name-en", "Labour Relations Section")] + empty)
    assert saved.status_code == 303
    after = draft_of(service_id)
    assert after["benefits"] == [before["benefits"][0], before["benefits"][2]]
    assert after["contacts"][:5] == before["contacts"]
    assert after["contacts"][5] == {"name": "臺中市勞資關係科", "phone": "0422289111,35099", "url": None,
                                    "address": None, "hours": None}
    for lang in ("en", "id", "vi", "th"):
        translated, earlier = after["translations"][lang], before["translations"][lang]
        assert translated["benefits"] == [earlier["benefits"][0], earlier["benefits"][2]], lang
        assert len(translated["contacts"]) == 6, lang
        assert translated["source_hash"] == Service.model_validate(after).fingerprint()  # edited: brought up to date
    save_draft_back(service_id, before)


def save_draft_back(service_id: str, data: dict) -> None:
    from app.db import session_scope

    with session_scope() as db:
        save_draft(db, Service.model_validate(data), "test")


@pytest.mark.parametrize("typed, canonical", [
    ("04-2228-9111", "0422289111"),
    ("(04)2228-9111", "0422289111"),
    ("（04）2228-9111", "0422289111"),
    ("04 2228 9111", "0422289111"),
    ("０４２２２８９１１１", "0422289111"),
    ("04-22289111 分機 35099", "0422289111,35099"),
    ("04-22289111#35099", "0422289111,35099"),
    ("04-22289111 ext. 35099", "0422289111,35099"),
    ("0422289111,35099", "0422289111,35099"),
    ("0800-777-888", "0800777888"),
    ("1955", "1955"),
    (1955, "1955"),
    ("+886-4-2228-9111", "+886422289111"),
])
def test_phone_numbers_are_stored_as_dialled_however_they_are_written(typed, canonical):
    from app.knowledge.schemas import Contact

    assert Contact(name="勞工局", phone=typed).phone == canonical


@pytest.mark.parametrize("typed", ["04-2228-91", "請打總機", "04-2228-9111 分機", "02-8590-2567-1234567"])
def test_numbers_that_cannot_be_dialled_are_refused(typed):
    from app.knowledge.schemas import Contact

    with pytest.raises(ValidationError, match="dialable"):
        Contact(name="勞工局", phone=typed)


def test_a_bad_value_is_explained_in_chinese_beside_its_field(editor):
    service_id = "tc-press-machine-subsidy"
    before = draft_of(service_id)
    fields = form_fields(editor.get(f"/console/services/{service_id}/edit").text)
    refused = save(editor, service_id, replaced(fields, contacts__1__phone="04-2228-91", benefits__0__year="明年",
                                                sources__0__url="www.labor", title=""))
    assert refused.status_code == 400
    page = refused.text
    summary = page[page.index('role="alert"'):page.index("</ul>")]
    assert "聯絡窗口第 2 列／電話：電話號碼格式不對，例如 04-22289111 或 0422289111#35099" in summary
    assert "補助／金額第 1 列／年度：必須是整數" in summary and "資料來源第 1 列／網址：網址格式不正確" in summary
    assert "名稱：不能空白。" in summary
    beside = page[page.index('name="contacts-1-phone"'):]
    assert beside.index('<span class="field-error">電話號碼格式不對') < beside.index("</label>")
    assert 'value="04-2228-91" aria-invalid="true"' in page and 'value="明年"' in page  # nothing typed is lost
    for parser_text in ("Input should", "Value error", "expected", "YAML", "pydantic"):
        assert parser_text not in page
    assert draft_of(service_id) == before


def test_a_new_service_is_written_in_rows(editor, kb):
    page = editor.get("/console/services/new")
    assert page.status_code == 200 and '<template data-row-template="contacts">' in page.text
    plan_item = kb.plan_items[0].name
    fields = [("csrf_token", csrf(page.text)), ("id", "tc-forms-test"), ("title", "表單測試服務"), ("short_title", ""),
              ("agency", "臺中市政府勞工局"), ("category", "employer"), ("audience", "employer"),
              ("summary", "測試用的服務。"), ("last_verified", "2026-03-01"), ("plan_items", plan_item),
              ("steps", "第一步\n第二步"), ("contacts-0-name", "勞工局"), ("contacts-0-phone", "(04)2228-9111"),
              ("sources-0-title", "測試來源"), ("sources-0-url", "https://www.labor.taichung.gov.tw/"),
              ("sources-0-year", "2026"), ("eligibility_check-0-id", "in_taichung"),
              ("eligibility_check-0-question", "您在臺中市工作嗎？"), ("eligibility_check-0-qualifying_answer", "true"),
              ("eligibility_check-0-reason_if_not", "限臺中市。"), ("eligibility_check-0-fact", "in_taichung"),
              ("eligibility_check-0-fact_equals", "true")]
    created = editor.post("/console/services/new", content=urlencode(fields),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert created.status_code == 303, created.text[:2000]
    data = draft_of("tc-forms-test")
    assert data["contacts"][0]["phone"] == "0422289111" and data["sources"][0]["year"] == 2026
    assert data["eligibility_check"][0]["answered_by"] == {"fact": "in_taichung", "min": None, "max": None,
                                                           "equals": True}


def test_example_phrasings_say_why_they_go_live_at_once_and_are_audited(editor):
    service_id = "tc-press-machine-subsidy"
    page = editor.get(f"/console/services/{service_id}/examples")
    assert "不會改變機器人說的任何一句話" in page.text and "刪除那一句就復原" in page.text
    added = editor.post("/console/examples", data={"csrf_token": csrf(page.text), "service_id": service_id,
                                                   "texts": "表單測試：衝床補助怎麼申請"})
    assert added.status_code == 303
    page = editor.get(f"/console/services/{service_id}/examples")
    example_id = re.search(r"/console/examples/(\d+)/delete", page.text.split("表單測試：衝床補助怎麼申請")[1])
    removed = editor.post(f"/console/examples/{example_id.group(1)}/delete", data={"csrf_token": csrf(page.text)})
    assert removed.status_code == 303
    audit = editor.get(f"/console/audit?target={service_id}").text
    assert "新增例句" in audit and "刪除例句" in audit and "表單測試：衝床補助怎麼申請" in audit
