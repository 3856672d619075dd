"""Language detection on real sentences of each language the bot serves."""

from __future__ import annotations

import pytest

from app.nlu.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("公司三個月沒發薪水還叫我繼續做", "zh-TW"),
        ("請問勞保要怎麼加保", "zh-TW"),
        ("你好", "zh-TW"),  # no character tells the scripts apart: the home language
        ("公司三个月没发工资还叫我继续做", "zh-CN"),
        ("我想申请失业补助", "zh-CN"),
        ("My employer has not paid my salary for three months", "en"),
        ("How do I apply for unemployment benefits?", "en"),
        ("Bos saya belum bayar upah tiga bulan", "id"),
        ("Majikan saya tidak kasih libur", "id"),
        ("Terima kasih", "id"),
        ("Tôi chưa được trả lương ba tháng", "vi"),
        ("toi chua duoc tra luong ba thang", "vi"),  # typed without tones
        ("Xin chào", "vi"),
        ("นายจ้างไม่จ่ายค่าจ้างสามเดือน", "th"),
        ("สวัสดีครับ", "th"),
        ("Hindi po binayaran ang sahod ko ng tatlong buwan", "tl"),
        ("Paano mag-apply ng labor insurance?", "tl"),  # English words borrowed into Filipino
        ("Salamat po", "tl"),
    ],
)
def test_detects_the_language_of_real_messages(text: str, language: str):
    assert detect_language(text) == language


def test_chinese_with_a_few_latin_words_is_chinese():
    assert detect_language("勞保 online 申請") == "zh-TW"


def test_a_message_without_letters_is_the_home_language():
    assert detect_language("😀👍") == "zh-TW"
    assert detect_language("") == "zh-TW"
