"""Console logic without a browser: the edit form and its Chinese error messages, unanswered questions grouped by
similarity, the usage figures, and the LINE preview's escaping."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session

import app.console.models  # noqa: F401  (tables on the metadata)
from app.console import charts, service
from app.console.preview import render_messages
from app.conversation.models import ConversationTurn, Feedback
from app.db import utcnow
from app.knowledge.service import add_examples, load_from_files
from app.privacy import mask_personal_data

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kb():
    return load_from_files(ROOT / "knowledge", ROOT / "intents")



def plan_names(kb) -> set[str]:
    return {p.name for p in kb.plan_items}


# --- the edit form ------------------------------------------------------------------------------------------------


def test_every_service_survives_the_edit_form_unchanged(kb):
    page_order = [p.name for p in kb.plan_items]
    for original in kb.services:
        data = original.model_dump(mode="json")
        values = service.form_values(data)
        # The browser sends checked boxes in page order, not in the order the service lists them.
        values["plan_items"] = sorted(values["plan_items"], key=page_order.index)
        values["audience"] = sorted(values["audience"], key=[a.value for a in service.AUDIENCE_LABELS].index)
        again = service.service_from_values(values, status=original.status.value, plan_item_names=plan_names(kb),
                                            previous=data)
        assert again == original, original.id


def test_an_edit_marks_a_translation_stale_only_when_the_chinese_changes_and_current_when_a_person_updates_it(kb):
    original = kb.service("wages-unpaid")
    data = original.model_dump(mode="json")
    values = service.form_values(data)
    assert all("source_hash" not in typed for typed in values["translations"].values())  # bookkeeping, not text
    values["summary"] = original.summary + "（更新）"
    chinese_only = service.service_from_values(values, status="published", plan_item_names=plan_names(kb), previous=data)
    assert sorted(chinese_only.stale_translations()) == ["en", "id", "th", "vi"]
    values["translations"]["en"]["summary"] += " (updated)"
    both = service.service_from_values(values, status="published", plan_item_names=plan_names(kb),
                                       previous=chinese_only.model_dump(mode="json"))
    assert sorted(both.stale_translations()) == ["id", "th", "vi"]


def test_an_invalid_form_lists_every_problem_in_chinese(kb):
    values = service.form_values(kb.service("tc-press-machine-subsidy").model_dump(mode="json"))
    values.update(
        title="很長" * 30,
        steps="只有一步",
        contacts=[{**service.blank_row("contacts"), "name": "勞動檢查處", "phone": "04-2228-91"}],
        sources=[{**service.blank_row("sources"), "title": "沒有網址的來源"}],
        benefits=[{**service.blank_row("benefits"), "description": "補助", "amount": "NT$1", "year": "明年"}],
        last_verified="2026/11/21",
        plan_items=["不存在的計畫"],
    )
    with pytest.raises(service.FormErrors) as refused:
        service.service_from_values(values, status="published", plan_item_names=plan_names(kb))
    errors = "\n".join(refused.value.errors)
    assert "補助／金額第 1 列／年度：必須是整數" in errors
    assert "施政計畫項目：找不到「不存在的計畫」" in errors
    assert "名稱：太長了：最多 40 個字，現在有 60 個字。" in errors
    assert "聯絡窗口第 1 列／電話：電話號碼格式不對，例如 04-22289111 或 0422289111#35099" in errors
    assert "資料來源第 1 列：每筆資料來源至少要有網址或種子檔名。" in errors
    assert "最後確認日期：日期請寫成 YYYY-MM-DD" in errors
    assert "Value error" not in errors and "should" not in errors  # no untranslated pydantic messages


def test_publishing_rules_are_explained_in_words(kb):
    values = service.form_values(kb.service("tc-press-machine-subsidy").model_dump(mode="json"))
    values.update(steps="只有一步", contacts=[], sources=[])
    with pytest.raises(service.FormErrors) as refused:
        service.service_from_values(values, status="published", plan_item_names=plan_names(kb))
    assert refused.value.errors == ["上線的服務必須有：至少兩個申請步驟、至少一個聯絡窗口、至少一筆資料來源。"]


# --- unanswered questions -----------------------------------------------------------------------------------------


def turn(session: Session, text: str | None, kind: str = "fallback", *, days_ago: float = 0, language: str = "zh-TW",
         candidates: list | None = None, intent: str | None = None) -> ConversationTurn:
    row = ConversationTurn(channel="line", text=mask_personal_data(text) if text else None, kind=kind, language=language, candidates=candidates or [],
                           created_at=utcnow() - dt.timedelta(days=days_ago), intent=intent)
    session.add(row)
    session.flush()
    return row


def test_unanswered_questions_are_grouped_by_similarity_with_counts_and_dates(session):
    turn(session, "健保卡遺失怎麼補辦", days_ago=3)
    turn(session, "健保卡遺失怎麼補辦", days_ago=1)
    turn(session, "健保卡不見了要怎麼補辦？", days_ago=2)
    turn(session, "健保卡遺失 怎麼補辦！", days_ago=0.1)  # the same question, other punctuation
    turn(session, "派遣公司說我不能請特休", "clarify", candidates=["dispatch-workers", "working-hours"])
    answered = turn(session, "老闆欠薪怎麼辦", "answer", candidates=["wages-unpaid"])
    session.add(Feedback(turn_id=answered.id, helpful=False, service_id="wages-unpaid"))
    turn(session, "很久以前的問題", days_ago=40)
    turn(session, "老闆欠薪水怎麼辦")  # already an example phrasing: staff have dealt with it
    turn(session, "您好", "smalltalk")
    turn(session, "汽車牌照稅要怎麼繳", intent="out_of_scope")  # told it is another agency's: not left unanswered

    groups = service.unanswered_groups(session, days=30)
    titles = [g.title for g in groups]
    assert titles[0] == "健保卡遺失怎麼補辦"
    health = groups[0]
    assert health.count == 4 and dict(health.texts) == {"健保卡遺失怎麼補辦": 3, "健保卡不見了要怎麼補辦？": 1}
    assert health.reasons == {"fallback": 4}
    assert (health.last_at - health.first_at).days == 2 and health.first_at.utcoffset() == dt.timedelta(hours=8)
    dispatch = next(g for g in groups if g.title == "派遣公司說我不能請特休")
    assert dispatch.reasons == {"clarify": 1} and dispatch.suggested_service == "dispatch-workers"
    assert next(g for g in groups if g.title == "老闆欠薪怎麼辦").reasons == {"thumbs_down": 1}
    assert "很久以前的問題" not in titles and "老闆欠薪水怎麼辦" not in titles and "您好" not in titles
    assert "汽車牌照稅要怎麼繳" not in titles


def test_a_group_made_an_example_leaves_the_list(session):
    turn(session, "汽車牌照稅怎麼繳 0912345678")
    [group] = service.unanswered_groups(session)
    texts = [service.example_text(t) for t, _ in group.texts]
    assert texts == ["汽車牌照稅怎麼繳"]  # the masked phone placeholder is not part of a phrasing
    add_examples(session, texts, "amy", intent="out_of_scope", origin="unanswered")
    assert service.unanswered_groups(session) == []


def test_similarity_separates_different_questions():
    def features(text: str):
        return service._features(service.comparable(text))

    assert service.similarity(features("健保卡遺失怎麼補辦"), features("健保卡不見了要怎麼補辦")) >= 0.5
    assert service.similarity(features("健保卡遺失怎麼補辦"), features("老闆欠薪怎麼辦")) < 0.3
    assert service.similarity(features("majikan tidak bayar gaji"), features("majikan belum bayar gaji saya")) >= 0.5


# --- usage figures ------------------------------------------------------------------------------------------------


def test_analytics_counts_days_services_fallbacks_feedback_and_languages(session, kb):
    for kind, service_id, language, days_ago in (
        ("answer", "wages-unpaid", "zh-TW", 0),
        ("answer", "wages-unpaid", "id", 1),
        ("answer", "hotline-1955", "zh-TW", 1),
        ("fallback", None, "vi", 2),
        ("smalltalk", None, "zh-TW", 2),
        ("answer", "wages-unpaid", "zh-TW", 45),  # outside the window
    ):
        row = turn(session, "q", kind, days_ago=days_ago, language=language)
        row.service_id = service_id
    session.add_all([Feedback(helpful=True), Feedback(helpful=True), Feedback(helpful=False)])
    session.flush()

    figures = service.analytics(session, kb, days=30)
    assert len(figures.days) == 30 and figures.days[-1] == utcnow().astimezone(service.TAIPEI).date()
    assert figures.total == 5 and figures.questions == 4 and figures.fallback_rate == 0.25
    assert figures.top_services[0] == ("wages-unpaid", kb.service("wages-unpaid").title, 2)
    assert dict(figures.languages) == {"zh-TW": 3, "id": 1, "vi": 1}
    assert (figures.helpful, figures.unhelpful) == (2, 1) and figures.feedback_ratio == pytest.approx(2 / 3)
    assert sum(sum(c.values()) for c in figures.per_day.values()) == 5
    assert service.analytics(session, kb, days=30, channel="api").total == 0


def test_charts_are_inline_svg_with_values():
    day = dt.date(2026, 11, 21)
    svg = str(charts.daily_bars([day], {day: Counter(answer=3, fallback=1)}))
    assert svg.startswith("<svg") and "2026-11-21 已回答：3 則" in svg and "無法回答：1 則" in svg
    bars = str(charts.horizontal_bars([("老闆欠薪<script>", 5)]))
    assert "&lt;script&gt;" in bars and "<script>" not in bars and ">5<" in bars
    assert "沒有資料" in str(charts.share_bar([("👍", 0, "#000"), ("👎", 0, "#111")]))


# --- LINE preview -------------------------------------------------------------------------------------------------


def test_preview_draws_the_service_card_and_escapes_content(kb):
    html = str(render_messages(service.preview_messages(kb.service("wages-unpaid"))))
    assert "老闆欠薪、薪水沒發或少發怎麼辦" in html and "fx-bubble" in html and "fx-button" in html
    hostile = [{
        "type": "text", "text": "<img src=x onerror=alert(1)>",
        "quickReply": {"items": [{"type": "action", "action": {"type": "message", "label": "<b>x</b>", "text": "y"}}]},
    }, {
        "type": "flex", "altText": "a", "contents": {"type": "bubble", "body": {
            "type": "box", "layout": "vertical", "backgroundColor": "red;background:url(//evil)",
            "contents": [{"type": "text", "text": "t", "color": "#123456\" onmouseover=\"x"}]}},
    }]
    html = str(render_messages(hostile))
    assert "<img" not in html and "<b>" not in html and "evil" not in html and "onmouseover" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


# --- what a 👎 says, and the statistics being honest -----------------------------------------------------------------


def test_a_thumbs_down_brings_its_reason_service_and_comment_until_resolved(session):
    # an example phrasing, answered with wrong figures: the 👎 is listed all the same
    answered = turn(session, "老闆欠薪水怎麼辦", "answer", candidates=["wages-unpaid"])
    answered.service_id = "wages-unpaid"
    comment = turn(session, "電話 0912345678 打不通", "smalltalk")
    disliked = Feedback(turn_id=answered.id, helpful=False, service_id="wages-unpaid", reason="other",
                        comment_turn_id=comment.id)
    # an answer opened by tapping a clarification's choice: its question is the one typed before
    asked = turn(session, "派遣公司說我不能請特休", "clarify", candidates=["dispatch-workers", "working-hours"])
    tapped = turn(session, None, "answer")
    asked.user_pseudonym = tapped.user_pseudonym = "someone"
    tapped.service_id = "dispatch-workers"
    session.add(Feedback(turn_id=tapped.id, helpful=False, service_id="dispatch-workers", reason="wrong_answer"))
    session.add(disliked)
    session.flush()

    groups = {g.title: g for g in service.unanswered_groups(session)}
    [note] = groups["老闆欠薪水怎麼辦"].feedback
    assert (note.reason, note.service_id, note.comment) == ("其他", "wages-unpaid", "電話 [phone] 打不通")
    dispatch = groups["派遣公司說我不能請特休"]
    assert dispatch.count == 1 and dispatch.reasons == {"clarify": 1, "thumbs_down": 1}
    assert [n.reason for n in dispatch.feedback] == ["答非所問"]

    assert service.resolve_feedback(session, [disliked.id], "amy") == 1
    assert "老闆欠薪水怎麼辦" not in {g.title for g in service.unanswered_groups(session)}
    assert disliked.resolved_by == "amy"


def test_analytics_counts_another_agencys_matter_apart_from_unanswered(session, kb):
    turn(session, "老闆欠薪怎麼辦", "answer").service_id = "wages-unpaid"
    turn(session, "同事一直借錢不還怎麼辦", "fallback")
    turn(session, "汽車牌照稅要怎麼繳", "fallback", intent="out_of_scope")
    turn(session, "是", "flow").service_id = "wages-unpaid"  # a check's step: not a question
    session.flush()
    figures = service.analytics(session, kb, days=7)
    assert (figures.questions, figures.out_of_scope, figures.fallback_rate) == (3, 1, pytest.approx(1 / 3))
    assert figures.per_day[figures.days[-1]] == Counter(answer=1, fallback=1, out_of_scope=1, flow=1)
    svg = str(charts.daily_bars(figures.days, figures.per_day))
    assert "非本局業務：1 則" in svg and "無法回答：1 則" in svg


@pytest.mark.parametrize("days", [7, 30, 90])
def test_the_daily_chart_labels_today_whatever_the_period(session, kb, days):
    figures = service.analytics(session, kb, days=days)
    today = utcnow().astimezone(service.TAIPEI).date()
    assert figures.days[-1] == today and len(figures.days) == days  # ends at today, also with no message today
    svg = str(charts.daily_bars(figures.days, figures.per_day))
    labels = re.findall(r'text-anchor="middle" font-size="11" fill="#555">([^<]+)</text>', svg)
    assert labels[-1] == f"{today.month}/{today.day}" and 7 <= len(labels) <= 11


def test_the_unanswered_page_shows_a_thumbs_downs_reason_and_comment(client, line):
    from app.console import auth
    from app.console.models import StaffRole
    from app.db import session_scope
    from tests.conversation_helpers import new_user, only_message, quick_data, say, tap
    from tests.test_security import app_client, csrf_of

    citizen, comment = new_user(), f"金額是舊的 {uuid.uuid4().hex[:8]}"
    say(client, line, "老闆欠薪三個月怎麼辦", user=citizen)
    prompt = only_message(say(client, line, "你回答錯了", user=citizen))
    asked = only_message(tap(client, line, quick_data(prompt, "👎 沒幫助"), user=citizen))
    only_message(tap(client, line, quick_data(asked, "其他"), user=citizen))
    only_message(say(client, line, f"{comment} 請回電 0912345678", user=citizen))

    username, password = f"fb.{uuid.uuid4().hex[:8]}", "a long enough password"
    with session_scope() as db:
        auth.create_user(db, username, password, StaffRole.editor, "test")
    staff = app_client()
    staff.post("/console/login", data={"csrf_token": csrf_of(staff.get("/console/login")), "username": username,
                                       "password": password})
    page = staff.get("/console/unanswered")
    assert page.status_code == 200
    group = next(part for part in page.text.split('<section class="card group">') if comment in part)
    assert "老闆欠薪三個月怎麼辦" in group and "哪裡不好：<strong class=\"reason\">其他</strong>" in group
    assert "回答的服務：老闆欠薪" in group and "0912345678" not in page.text and "[phone]" in group
    feedback_ids = re.findall(r'name="feedback" value="(\d+)"', group)
    resolved = staff.post("/console/unanswered", data={"csrf_token": csrf_of(page), "action": "resolved",
                                                       "feedback": feedback_ids})
    assert resolved.status_code == 303
    assert comment not in staff.get(resolved.headers["location"]).text
