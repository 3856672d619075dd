"""Content that stays right as days pass: figures in force on the day the bot answers, application windows,
honest verification dates, stale translations, numbers that no longer reach their office — and the staff's
report of what to re-check."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from app.conversation import answers, messages
from app.knowledge import staleness
from app.knowledge.schemas import Service
from app.knowledge.service import (
    KnowledgeBase,
    KnowledgeError,
    check_numbers,
    mark_translations_current,
    write_service_file,
)
from app.nlu.aspects import Aspect

DEC = dt.date(2026, 12, 15)
JAN = dt.date(2027, 1, 2)


def service(**changes) -> Service:
    data = {
        "id": "minimum-wage-test", "title": "最低工資", "agency": "勞動部", "category": "wages_disputes",
        "audience": ["worker"], "summary": "月薪、時薪不得低於最低工資，低於可打1955申訴。",
        "eligibility": ["適用勞動基準法的勞工"], "steps": ["看薪資單", "打1955申訴"],
        "benefits": [
            {"description": "每月最低工資", "amount": "NT$29,500", "year": 2026, "valid_until": "2026-12-31"},
            {"description": "每月最低工資", "year": 2027, "valid_from": "2027-01-01", "confirmed": False},
            {"description": "罰鍰（最低工資法第17條）", "amount": "NT$20,000–1,000,000", "year": 2026},
        ],
        "contacts": [{"name": "1955專線", "phone": "1955", "hours": "24小時"}],
        "plan_items": ["推動合理工資制度，檢討母性保護規定"],
        "sources": [{"title": "中央社 2026 最低工資", "url": "https://www.cna.com.tw/news/ahel/202510210328.aspx", "year": 2026}],
        "last_verified": "2026-10-21", "status": "published",
    }
    data.update(changes)
    return Service.model_validate(data)


def test_the_figure_in_force_on_the_day_is_shown_with_its_last_day_and_the_next_one_flagged_unconfirmed():
    wage = service()
    december = messages.benefit_lines(wage, "zh-TW", DEC)
    assert december[0] == "每月最低工資：NT$29,500（2026 年，適用至 2026-12-31）"
    # the 2027 figure starts within two months: shown as coming, unconfirmed, with the number to call
    assert december[2].startswith("2027-01-01 起：每月最低工資：尚未確認，請洽 1955")  # after today's figures
    january = messages.benefit_lines(wage, "zh-TW", JAN)
    assert not any("29,500" in line for line in january)
    assert january[0].startswith("每月最低工資：尚未確認，請洽 1955") and "起" not in january[0]
    assert "NT$20,000–1,000,000" in january[1]  # a figure without dates applies on every day


def test_the_amount_answer_uses_the_figures_in_force(monkeypatch):
    monkeypatch.setattr(messages, "taipei_today", lambda: JAN)
    text = "\n".join(answers.aspect_lines(service(), Aspect.amount, "zh-TW"))
    assert "29,500" not in text and "尚未確認" in text


def test_a_dated_figure_may_not_be_written_into_the_title_or_summary():
    with pytest.raises(ValidationError, match="29,500"):
        service(title="最低工資（2026年月薪29,500元）")
    with pytest.raises(ValidationError, match="valid_until"):
        service(benefits=[{"description": "x", "amount": "NT$1", "year": 2026, "valid_from": "2026-05-01",
                           "valid_until": "2026-04-30"}])


def test_verification_must_be_backed_by_a_source_of_that_year():
    with pytest.raises(ValidationError, match="not backed by a source of 2026"):
        service(sources=[{"title": "2020 施政計畫", "seed": "003_c75f2b3ec31a716e.txt", "year": 2020}])
    old = service(sources=[{"title": "2020 施政計畫", "seed": "003_c75f2b3ec31a716e.txt", "year": 2020}],
                  last_verified="2020-01-01", benefits=[])
    assert old.rests_on_old_sources(DEC) and not service().rests_on_old_sources(DEC)
    card_text = messages.service_text(old)
    assert "依 2020 年的資料，目前是否仍辦理無法確認，請先來電：1955" in card_text
    english = "\n".join(messages.notices(old, "en", DEC))
    assert "Based on 2020 information" in english


@pytest.mark.parametrize("day, expected", [
    (dt.date(2026, 12, 15), "2027年第1期：2027-01-01 至 2027-02-28（尚未開始）"),
    (dt.date(2027, 1, 15), "2027年第1期：2027-01-01 至 2027-02-28，現在可以申請"),
    (dt.date(2027, 3, 1), "2027年第1期已於 2027-02-28 截止；下一期的日期還沒公告，請洽 1955專線 1955"),
])
def test_application_windows_say_whether_one_can_apply_today(day, expected):
    childcare = service(application_windows=[{"label": "2026年第1期", "opens": "2026-01-01", "closes": "2026-02-28"},
                                             {"label": "2027年第1期", "opens": "2027-01-01", "closes": "2027-02-28"}])
    assert messages.window_lines(childcare, "zh-TW", day) == [expected]


def test_a_referral_says_it_is_another_agencys_matter_in_the_users_language():
    nhi = service(id="referral-nhi", kind="referral", agency="衛生福利部中央健康保險署", steps=["打健保署專線"],
                  benefits=[])
    assert "這件事要找「衛生福利部中央健康保險署」辦理，不屬於勞工局" in messages.service_text(nhi)
    card = messages.service_card(nhi, "zh-TW")
    assert "不屬於勞工局的勞資權益或就業服務" in str(card)
    with pytest.raises(ValidationError, match="steps"):
        service(steps=["只有一步"])  # a service (not a referral) still needs two steps


def test_translated_contacts_carry_their_hours_in_the_users_language():
    translation = {"title": "Minimum wage", "summary": "At least the minimum wage.", "eligibility": ["Workers"],
                   "steps": ["Check", "Call 1955"], "contacts": [{"name": "1955 hotline", "hours": "24 hours"}]}
    wage = service(benefits=[], translations={"en": translation})
    [contact] = messages.localized_contacts(wage, "en")
    assert contact.name == "1955 hotline（1955專線）" and contact.hours == "24 hours"


def test_a_translation_goes_stale_when_the_chinese_it_was_made_from_changes(tmp_path):
    translation = {"title": "Minimum wage", "summary": "At least the minimum wage.", "eligibility": ["Workers"],
                   "steps": ["Check", "Call 1955"], "benefits": ["a", "b", "c"], "contacts": ["1955"]}
    wage = service(translations={"en": translation})
    assert wage.stale_translations() == ["en"]  # never stamped
    path = tmp_path / "minimum-wage-test.yaml"
    write_service_file(path, wage)
    assert mark_translations_current(path) == ["en"]
    from app.knowledge.service import load_service_file
    stamped = load_service_file(path)
    assert stamped.stale_translations() == []
    edited = stamped.model_copy(update={"steps": ["看薪資單", "打1955或勞工局申訴"]})
    assert edited.stale_translations() == ["en"]
    # wording outside what translations cover (keywords) leaves them current
    assert stamped.model_copy(update={"keywords": ["基本工資"]}).stale_translations() == []


def test_a_number_that_no_longer_reaches_its_office_is_refused_and_reported():
    retired = [staleness.RetiredNumber(phone="0423592181", was="臺中就業中心", instead="臺中就業服務站 04-22225153",
                                       source="housefun 2024")]
    in_text = service(steps=["看薪資單", "打臺中就業中心 04-2359-2181 詢問"])
    kb = KnowledgeBase(plan_items=(), services=(in_text,), service_examples={}, intent_examples={})
    with pytest.raises(KnowledgeError, match="0423592181"):
        check_numbers(kb, retired)
    check_numbers(kb.__class__(plan_items=(), services=(in_text.model_copy(update={"status": "draft"}),),
                               service_examples={}, intent_examples={}), retired)  # a draft may still hold it
    [finding] = [f for f in staleness.review_service(in_text, DEC, retired).findings if f.problem is staleness.Problem.phone]
    assert "臺中就業服務站 04-22225153" in finding.detail


def test_the_report_lists_what_to_recheck_oldest_first():
    closed = service(id="childcare", application_windows=[{"label": "2026年第2期", "opens": "2026-05-01",
                                                           "closes": "2026-06-15"}],
                     contacts=[{"name": "協會", "phone": "0912206273"}])
    old = service(id="forum", sources=[{"title": "2020 計畫", "seed": "x.txt", "year": 2020}],
                  last_verified="2020-01-01", benefits=[{"description": "補助", "amount": "NT$150,000", "year": 2020}])
    reviews = staleness.review([closed, old], DEC)
    assert [r.service_id for r in reviews] == ["forum", "childcare"]
    problems = {r.service_id: {f.problem for f in r.findings} for r in reviews}
    assert problems["forum"] == {staleness.Problem.old_sources, staleness.Problem.old_amount}
    assert problems["childcare"] >= {staleness.Problem.window_closed, staleness.Problem.phone,
                                     staleness.Problem.unconfirmed_amount}
    text = staleness.as_text(reviews)
    assert "申請期間已過 1" in text and "「2026年第2期」已於 2026-06-15 截止" in text
