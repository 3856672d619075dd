"""Content editing behind the console: drafts, publishing as versions, diff, rollback, unpublish, examples, audit,
and the round trip between the database and the files in git. Fast: a private SQLite database per test."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

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


@pytest.fixture
def session(tmp_path, kb):
    engine = make_engine(f"sqlite:///{tmp_path / 'content.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as db:
        seed_database(db, kb)
        db.commit()
        yield db
    engine.dispose()


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
