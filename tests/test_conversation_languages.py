"""Languages: migrant-worker services, the menu, greetings, handoff and fallback answer in English, Bahasa Indonesia,
Tiếng Việt and ภาษาไทย; other services answer in Traditional Chinese with one line in the user's language pointing
to 1955. Through signed webhook events and the fake LINE API."""

from __future__ import annotations

import pytest

from app.conversation import messages, texts
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
        assert translation.title in reply["text"] and "NT$196" in reply["text"]
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


def test_fallback_in_the_users_language(client, line):
    reply = only_message(say(client, line, "Berapa harga tiket kereta ke Taipei besok?", user=new_user()))
    assert reply["text"] == texts.text("fallback", "id")


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
