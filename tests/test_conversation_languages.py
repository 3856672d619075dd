"""Languages: migrant-worker services, the menu, greetings, handoff and fallback answer in English, Bahasa Indonesia,
Tiếng Việt and ภาษาไทย; other services answer in Traditional Chinese with one line in the user's language pointing
to 1955. Through signed webhook events and the fake LINE API."""

from __future__ import annotations

import pytest

from app.conversation import messages, texts
from app.db import taipei_today
from tests.conversation_helpers import actions, flex_texts, new_user, only_message, quick_data, say, tap


def test_an_indonesian_wage_question_gets_an_indonesian_answer(client, line):
    card = only_message(say(client, line, "Gaji saya belum dibayar majikan selama tiga bulan", user=new_user()))
    kb = client.app.state.runtime.content.kb
    translation = kb.service("wages-unpaid").translations["id"]
    shown = flex_texts(card["contents"])
    assert translation.title in shown and translation.steps[0] in shown
    assert texts.text("h_steps", "id") in shown
    assert card["altText"].startswith(translation.title)
    labels = [a["label"] for a in actions(card)]
    assert "👎 Tidak membantu" in labels and "Menu" in labels


def test_a_vietnamese_amount_question_gets_the_amounts_in_vietnamese(client, line):
    kb = client.app.state.runtime.content.kb
    translation = kb.service("minimum-wage").translations["vi"]
    reply = only_message(say(client, line, "Mức lương tối thiểu theo giờ năm 2026 là bao nhiêu?", user=new_user()))
    if reply["text"].startswith(texts.text("clarify_prompt", "vi")):  # asked which service: it is one of the choices
        assert translation.title[:10] in reply["text"]
    else:
        hourly = next(b for _, b in kb.service("minimum-wage").benefits_on(taipei_today()) if "時薪" in b.description)
        assert translation.title in reply["text"] and (hourly.amount or "") in reply["text"]
        assert texts.text("h_benefits", "vi") in reply["text"] and texts.text("see_1955", "vi") not in reply["text"]


def test_a_chinese_only_service_is_shown_in_chinese_with_a_vietnamese_1955_line(client, line):
    user = new_user()
    service = client.app.state.runtime.content.kb.service("tc-press-machine-subsidy")
    assert "vi" not in service.translations
    card = only_message(tap(client, line, messages.postback_data("svc", s=service.id, l="vi"), user=user))
    shown = flex_texts(card["contents"])
    assert service.title in shown and "適用對象／資格" in shown  # the content itself is Chinese
    assert "🌏 " + texts.text("see_1955", "vi") in shown
    assert any(a.get("uri") == "tel:1955" and "tiếng Việt" in a["label"] for a in actions(card["contents"]))
    # One part of it: the same, in a short message
    part = only_message(tap(client, line, messages.postback_data("asp", s=service.id, x="documents", l="vi"), user=user))
    assert service.documents[0] in part["text"] and texts.text("see_1955", "vi") in part["text"]


@pytest.mark.parametrize("lang, question, expected", [
    ("en", "I need a person", "Here is how to reach a person"),
    ("id", "saya mau bicara dengan petugas", "Cara menghubungi petugas"),
    ("vi", "tôi muốn nói chuyện với người thật", "Cách liên hệ với nhân viên"),
    ("th", "ขอคุยกับเจ้าหน้าที่", "ช่องทางติดต่อเจ้าหน้าที่"),
])
def test_handoff_in_the_users_language(client, line, lang, question, expected):
    reply = only_message(say(client, line, question, user=new_user()))
    assert reply["text"].startswith(expected)
    assert "1955" in reply["text"] and "35500" in reply["text"]  # and the migrant workers' consultation centre


@pytest.mark.parametrize("lang, greeting", [("en", "hello"), ("id", "selamat pagi"), ("vi", "xin chào"),
                                            ("th", "สวัสดี")])
def test_greetings_in_the_users_language(client, line, lang, greeting):
    reply = only_message(say(client, line, greeting, user=new_user()))
    assert reply["text"] == texts.text("greeting", lang)
    assert texts.category_label("migrant", lang) in [i["action"]["label"] for i in reply["quickReply"]["items"]]


def test_another_agencys_matter_is_said_to_be_one_in_the_users_language(client, line):
    reply = only_message(say(client, line, "Berapa harga tiket kereta ke Taipei besok?", user=new_user()))
    assert reply["text"] == texts.text("elsewhere", "id")
    # not the "I am not sure" of a labour question the bot cannot place
    assert texts.text("elsewhere", "zh-TW") != texts.text("fallback", "zh-TW")
    reply = only_message(say(client, line, "汽車牌照稅要怎麼繳", user=new_user()))
    assert "其他機關的業務" in reply["text"] and "1999" in reply["text"] and "沒有把握" not in reply["text"]


def test_menu_topic_in_vietnamese_lists_vietnamese_services_first(client, line):
    user = new_user()
    menu = only_message(say(client, line, "menu tiếng việt", user=user))
    topic = only_message(tap(client, line, quick_data(menu, "Lao động di trú"), user=user))
    kb = client.app.state.runtime.content.kb
    first = messages.parse_postback(next(a for a in actions(topic["contents"]) if a["type"] == "postback")["data"])
    assert "vi" in kb.service(first["s"]).translations
    assert topic["altText"].startswith("Lao động di trú")


def test_profile_and_bcp47_languages_map_to_what_we_write():
    assert texts.reply_language("en-US") == "en"
    assert texts.reply_language("zh-Hant-TW") == "zh-TW"
    assert texts.reply_language("zh-CN") == "zh-TW"
    assert texts.reply_language("in") == "id"
    assert texts.reply_language("tl") == "en"
    assert texts.reply_language("ja") == "zh-TW"
    assert texts.reply_language(None) == "zh-TW"


# What migrant workers ask most, one question per topic and language, written as they type them. Each must be
# answered outright (no choice list) with an acceptable service, in that language: at most a quarter of the
# reply's characters Chinese (names shown in Chinese beside their translation, for a clerk, are allowed).
MIGRANT_TOPICS = [
    ("id", "Berapa upah minimum per jam di Taiwan tahun ini?", {"minimum-wage"}),
    ("vi", "Lương tối thiểu một tháng ở Đài Loan là bao nhiêu?", {"minimum-wage"}),
    ("th", "ค่าแรงขั้นต่ำต่อเดือนที่ไต้หวันเท่าไหร่", {"minimum-wage"}),
    ("en", "What is the minimum monthly wage in Taiwan?", {"minimum-wage"}),
    ("id", "Saya kerja lembur tiap hari tapi tidak dibayar uang lembur", {"working-hours", "wages-unpaid"}),
    ("vi", "Làm tăng ca được tính tiền như thế nào?", {"working-hours"}),
    ("th", "ทำงานล่วงเวลาได้ค่าแรงเท่าไหร่", {"working-hours"}),
    ("en", "How is overtime pay calculated in Taiwan?", {"working-hours"}),
    ("id", "Bagaimana cara mengadu kalau majikan melanggar hukum ketenagakerjaan?", {"labour-standards-complaint", "hotline-1955", "migrant-worker-help"}),
    ("vi", "Tôi muốn khiếu nại chủ vi phạm luật lao động", {"labour-standards-complaint", "hotline-1955", "migrant-worker-help"}),
    ("th", "อยากร้องเรียนนายจ้างที่ทำผิดกฎหมายแรงงาน", {"labour-standards-complaint", "hotline-1955", "migrant-worker-help"}),
    ("id", "Perusahaan bangkrut dan gaji saya tidak dibayar, apakah ada dana talangan?", {"wage-arrears-fund"}),
    ("vi", "Công ty phá sản không trả lương, có quỹ ứng trước tiền lương không?", {"wage-arrears-fund"}),
    ("en", "My factory closed down and never paid our wages. Is there a fund that pays?", {"wage-arrears-fund"}),
    ("id", "Saya dipecat tiba-tiba, apakah saya dapat pesangon?", {"severance-dismissal"}),
    ("vi", "Tôi bị sa thải, có được trợ cấp thôi việc không?", {"severance-dismissal"}),
    ("th", "ถูกเลิกจ้างกะทันหัน จะได้ค่าชดเชยไหม", {"severance-dismissal"}),
    ("en", "I was fired without notice, do I get severance pay?", {"severance-dismissal"}),
    ("id", "Apakah saya ikut asuransi tenaga kerja (laobao)?", {"labour-insurance"}),
    ("vi", "Tôi có được tham gia bảo hiểm lao động không?", {"labour-insurance"}),
    ("th", "แรงงานต่างชาติมีประกันแรงงานไหม", {"labour-insurance"}),
    ("id", "Tangan saya terluka di mesin pabrik, apa yang harus saya lakukan?", {"occupational-injury"}),
    ("vi", "Tôi bị tai nạn lao động ở nhà máy, phải làm gì?", {"occupational-injury"}),
    ("th", "ได้รับบาดเจ็บจากการทำงานในโรงงาน ต้องทำอย่างไร", {"occupational-injury"}),
    ("en", "I got injured at work, what compensation can I get?", {"occupational-injury"}),
    ("id", "Majikan menahan paspor dan ARC saya", {"passport-withheld"}),
    ("vi", "Công ty giữ hộ chiếu của tôi", {"passport-withheld"}),
    ("th", "นายจ้างยึดพาสปอร์ตของฉันไว้", {"passport-withheld"}),
    ("en", "My broker keeps my passport and will not give it back", {"passport-withheld"}),
]


def _answered(body: dict, kb, lang: str) -> tuple[str | None, str]:
    """The service a reply answers outright (by its title in `lang`) and all the text it shows."""
    def text_of(message: dict) -> str:
        return "\n".join(flex_texts(message["contents"])) if message["type"] == "flex" else message.get("text", "")

    shown = "\n".join(text_of(m) for m in body["messages"])
    lead = text_of(body["messages"][0])
    for service in kb.services:
        if messages.service_title(service, lang) in lead[:200]:
            return service.id, shown
    return None, shown


def _chinese_share(text: str) -> float:
    letters = [c for c in text if c.isalnum()]
    return sum("\u4e00" <= c <= "\u9fff" for c in letters) / max(1, len(letters))


@pytest.mark.parametrize("lang, question, acceptable", MIGRANT_TOPICS, ids=[f"{q[0]}-{min(q[2])}" for q in MIGRANT_TOPICS])
def test_a_migrant_workers_question_on_each_topic_is_answered_outright_in_their_language(client, line, lang, question,
                                                                                        acceptable):
    kb = client.app.state.runtime.content.kb
    answered, shown = _answered(say(client, line, question, user=new_user()), kb, lang)
    assert answered in acceptable, (question, answered, shown[:300])
    assert _chinese_share(shown) <= 0.25, (question, round(_chinese_share(shown), 2), shown)


@pytest.mark.parametrize("lang, question, not_allowed", [
    ("zh-TW", "雇主扣留我的護照和居留證", "不可以"),
    ("vi", "Công ty giữ hộ chiếu của tôi", "không được"),
    ("id", "Majikan menahan paspor saya, boleh tidak?", "tidak boleh"),
    ("en", "My employer is keeping my passport", "not allowed"),
])
def test_a_withheld_passport_is_answered_outright_saying_it_is_not_allowed(client, line, lang, question, not_allowed):
    kb = client.app.state.runtime.content.kb
    answered, shown = _answered(say(client, line, question, user=new_user()), kb, lang)
    assert answered == "passport-withheld", shown[:300]
    assert not_allowed in shown.lower(), shown[:400]


@pytest.mark.parametrize("question, acceptable", [
    ("被公司資遣 資遣費怎麼算", {"severance-dismissal"}),
    ("老闆叫我自己寫離職單 不然就要開除我", {"severance-dismissal"}),
    # the certificate matters for both: what to do when refused, and the benefit it is needed for
    ("公司不給我非自願離職證明", {"severance-dismissal", "unemployment-benefits"}),
])
def test_dismissal_questions_are_answered_outright_with_severance_and_dismissal(client, line, question, acceptable):
    kb = client.app.state.runtime.content.kb
    answered, shown = _answered(say(client, line, question, user=new_user()), kb, "zh-TW")
    assert answered in acceptable, shown[:300]
