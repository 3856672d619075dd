"""The curated knowledge base: every file validates, references the seeds, and is actionable for a citizen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from app.db import taipei_today
from app.knowledge import catalogue
from app.knowledge.schemas import AGENCY_MOL, AGENCY_TAICHUNG, TRANSLATION_LANGS, Audience, Kind, Service, Status
from app.knowledge.service import KnowledgeError, load_from_files, load_service_file

ROOT = Path(__file__).resolve().parents[1]
KB = load_from_files(ROOT / "knowledge", ROOT / "intents")
# The most asked services answer migrant workers in their language too: wages owed, mediation, injury, 1955, and
# every topic migrant workers ask about (minimum wage, hours and overtime, complaints, the wage arrears fund,
# dismissal, labour insurance, a withheld passport).
MUST_TRANSLATE = {"wages-unpaid", "dispute-mediation", "occupational-injury", "hotline-1955", "minimum-wage",
                  "working-hours", "labour-standards-complaint", "wage-arrears-fund", "severance-dismissal",
                  "labour-insurance", "passport-withheld"}


def test_every_service_file_validates_and_is_named_by_its_id():
    files = sorted((ROOT / "knowledge" / "services").glob("*.yaml"))
    assert len(files) == len(KB.services) >= 50
    for path in files:
        assert load_service_file(path).id == path.stem


def test_every_plan_item_reference_names_an_imported_item():
    names = {p.name for p in KB.plan_items}
    for service in KB.services:
        assert 1 <= len(service.plan_items) <= 3, service.id
        assert set(service.plan_items) <= names, service.id


def test_every_plan_item_is_answered_by_a_service_or_an_honest_line():
    covered = {name for s in KB.published for name in s.plan_items}
    for item in KB.plan_items:
        assert item.name in covered or item.citizen_answer, f"{item.id} {item.name} has no answer"
        if item.name not in covered:
            assert re.search(r"1955|1999|0800|04-?2228", item.citizen_answer), item.id


@pytest.mark.parametrize("service", KB.published, ids=lambda s: s.id)
def test_published_service_is_actionable(service: Service):
    if service.kind is Kind.service:
        assert service.agency in (AGENCY_MOL, AGENCY_TAICHUNG)
        assert len(service.steps) >= 2
    else:  # another agency's matter: where to go is the whole answer
        assert service.agency not in (AGENCY_MOL, AGENCY_TAICHUNG) and service.steps
        assert any(c.phone for c in service.contacts), service.id
    assert len(service.eligibility) >= 1
    assert service.contacts and service.sources
    # Verified no later than today, and on a day a source of that year backs (the schema checks the year).
    assert service.last_verified <= taipei_today() and service.last_verified.year in service.source_years
    for contact in service.contacts:
        assert contact.phone or contact.url or contact.address
        if contact.phone:
            assert re.fullmatch(r"(\+886|0)?\d{3,10}(,\d{1,6})?", contact.phone), contact.phone
        if contact.url:
            assert contact.url.scheme == "https" or contact.url.scheme == "http", contact.url
    for benefit in service.benefits:
        assert 2015 <= benefit.year <= 2027, (service.id, benefit)
    needs_translation = Audience.migrant_worker in service.audience or service.id in MUST_TRANSLATE
    if needs_translation:
        assert set(service.translations) == set(TRANSLATION_LANGS), service.id
        for lang in service.translations:
            assert_complete(service, lang)


def assert_complete(service: Service, lang: str) -> None:
    """Everything a migrant worker reads is in their language: every list item, benefit, contact name, its hours."""
    translation = service.translations[lang]
    for field in ("eligibility", "steps", "documents", "notes"):
        assert len(getattr(translation, field)) == len(getattr(service, field)), (service.id, lang, field)
    assert len(translation.benefits) == len(service.benefits), (service.id, lang, "benefits")
    assert len(translation.contacts) == len(service.contacts), (service.id, lang, "contacts")
    for i, contact in enumerate(service.contacts):
        if contact.hours:
            assert translation.contact_hours(i), (service.id, lang, contact.name, "hours untranslated")
    assert len(translation.application_windows) == len(service.application_windows), (service.id, lang, "windows")
    for question in service.eligibility_check:
        assert question.translations.get(lang) and question.reason_translations.get(lang), (service.id, lang, question.id)


def test_every_translation_was_made_from_the_chinese_as_it_is_now():
    """A translation the Chinese has moved on from is stale: whoever changes the Chinese updates the translations
    and marks them current (`python -m app translations-current ID`)."""
    stale = {s.id: s.stale_translations() for s in KB.services if s.stale_translations()}
    assert stale == {}


def test_every_published_service_has_at_least_15_examples():
    for service in KB.published:
        assert len(KB.service_examples.get(service.id, ())) >= 15, service.id


def test_conversational_intents_have_examples():
    for intent in ("greeting", "thanks", "menu", "human", "feedback", "out_of_scope"):
        assert len(KB.intent_examples.get(intent, ())) >= 15, intent
    assert len(KB.intent_examples["out_of_scope"]) >= 60


def test_invalid_service_file_is_refused_with_its_name(tmp_path):
    bad = yaml.safe_load((ROOT / "knowledge" / "services" / "wages-unpaid.yaml").read_text())
    bad["contacts"] = [{"name": "勞工局", "phone": "04-2228-91"}]  # too short to dial, however written
    (tmp_path / "wages-unpaid.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True))
    with pytest.raises(KnowledgeError, match="wages-unpaid.yaml"):
        load_service_file(tmp_path / "wages-unpaid.yaml")
    bad.update(contacts=[], status=Status.published.value)
    (tmp_path / "wages-unpaid.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True))
    with pytest.raises(KnowledgeError, match="contacts"):
        load_service_file(tmp_path / "wages-unpaid.yaml")


def test_catalogue_lists_every_service_and_plan_item():
    document = catalogue.markdown(KB)
    for service in KB.services:
        assert f"`{service.id}`" in document
    for item in KB.plan_items:
        assert item.name in document
    page = catalogue.html_page(KB)
    assert page.startswith("<!doctype html>") and "衝剪機械" in page
