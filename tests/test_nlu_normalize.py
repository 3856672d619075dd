"""Normalisation: a query and the content it should match must look alike, however the citizen typed it."""

from __future__ import annotations

import pytest

from app.nlu.glossary import expansions
from app.nlu.normalize import fold_diacritics, matching_form, normalize


def test_full_width_letters_digits_and_spaces_become_half_width():
    assert normalize("ＡＢＣ１２３　勞保") == "abc123 勞保"


def test_simplified_chinese_becomes_traditional_with_taiwan_wording():
    assert normalize("公司三个月没发工资") == "公司三個月沒發工資"
    assert normalize("打印机软件") == "印表機軟體"
    assert normalize("台中") == "臺中"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("我的新水被扣了", "我的薪水被扣了"),
        ("姿遣費怎麼算", "資遣費怎麼算"),
        ("勞寶怎麼保", "勞保怎麼保"),
        ("勞基發規定", "勞基法規定"),
        ("職栽可以請假嗎", "職災可以請假嗎"),
        ("育英假", "育嬰假"),
    ],
)
def test_common_typos_and_homophones_are_fixed(typed: str, meant: str):
    assert normalize(typed) == meant


def test_a_typo_in_simplified_chinese_is_fixed_too():
    assert normalize("劳宝怎么保") == "勞保怎麼保"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("可以申請ㄇ", "可以申請嗎"), ("資遣費怎麼算ㄉ", "資遣費怎麼算的"), ("好ㄅ", "好吧"), ("怎ㄇ辦", "怎麼辦")],
)
def test_zhuyin_particles_become_the_particle(typed: str, meant: str):
    assert normalize(typed) == meant


def test_punctuation_and_emoji_are_dropped_and_spaces_collapsed():
    assert normalize("老闆欠薪！！怎麼辦？？😡😡") == "老闆欠薪 怎麼辦"
    assert normalize("👍🏽 謝謝") == "謝謝"


def test_thai_vowels_and_tone_marks_are_kept():
    assert normalize("ค่าจ้างไม่ได้รับ") == "ค่าจ้างไม่ได้รับ"


def test_vietnamese_keeps_its_letters_in_the_canonical_form_and_loses_them_for_matching():
    assert normalize("Tôi chưa được trả lương") == "tôi chưa được trả lương"
    assert fold_diacritics("tôi chưa được trả lương") == "toi chua duoc tra luong"
    assert fold_diacritics("ค่าจ้าง") == "ค่าจ้าง"


def test_matching_form_expands_chat_shorthand_and_adds_the_chinese_terms_of_glossary_words():
    form = matching_form("Gaji sy blm dibayar gmn??")
    assert form.startswith("gaji saya belum dibayar bagaimana")
    assert "薪水" in form and "欠薪" in form


def test_glossary_bridges_each_migrant_language_to_the_chinese_content():
    assert "薪水" in expansions(matching_form("My boss has not paid my salary"))
    assert "薪水" in expansions(matching_form("Tôi chưa được trả lương"))
    assert "薪水" in expansions(matching_form("นายจ้างไม่จ่ายค่าจ้าง"))
    assert "薪水" in expansions(matching_form("hindi binayaran ang sahod ko"))
    # The term as the content is matched (Taiwan's characters: 轉換雇主 is folded to 轉換僱主 there too).
    assert normalize("轉換雇主") in expansions(matching_form("saya mau pindah majikan"))


def test_glossary_and_typo_fixes_are_folded_like_the_text_they_meet():
    """OpenCC's Taiwan conversion rewrites some traditional words (雇主 → 僱主, 文件 → 檔案, 通過 → 透過); a glossary
    term or typo fix left unconverted never met the content, a phrase or typo left unconverted never the message."""
    assert normalize("雇主") in matching_form("majikan saya")
    assert "駁回" in matching_form("勞保給付沒通過")
    assert normalize("退修金怎麼領") == normalize("退休金怎麼領")
    assert normalize("雇住不給錢") == normalize("雇主不給錢")


def test_glossary_matches_whole_words_only():
    # "pay" must not fire inside "paypal", nor "arc" inside "search".
    assert expansions(matching_form("paypal search")) == []


def test_taiwanese_colloquialisms_meet_the_standard_word():
    assert "老闆" in matching_form("頭家拖薪三個月")
    assert "被解僱" in matching_form("我被fire了")
