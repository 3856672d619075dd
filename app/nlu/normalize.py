"""Text normalisation shared by every matching signal, so a query and the content it should match look alike.

`normalize` gives the canonical form (used for language detection and pretrained encoders): NFKC (full-width →
half-width), Simplified → Traditional Chinese (Taiwan phrasing), lowercase, punctuation/emoji dropped, common typos
and homophones fixed, 注音 used as sentence particles replaced by the particle. `matching_form` further folds Latin
diacritics and expands chat abbreviations, because migrant workers often type Vietnamese without tones and
Indonesian in SMS shorthand, and appends the Chinese terms of glossary words; lexical signals and the builtin
encoder see that form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from app.nlu.chinese import has_han, to_taiwan_chinese
from app.nlu.glossary import expansions

# Typos and homophones seen in citizens' messages (IME picks the wrong character of the same sound). Only
# substitutions that cannot turn a correct phrase into a wrong one: each left side is not itself a real word here.
TYPOS: dict[str, str] = {
    "新水": "薪水",
    "薪氺": "薪水",
    "欠新": "欠薪",
    "新資": "薪資",
    "姿遣": "資遣",
    "資遺": "資遣",
    "滋遣": "資遣",
    "勞寶": "勞保",
    "勞健寶": "勞健保",
    "勞基發": "勞基法",
    "老基法": "勞基法",
    "勞退金": "勞工退休金",
    "加斑": "加班",
    "職栽": "職災",
    "職哉": "職災",
    "值災": "職災",
    "植災": "職災",
    "老保": "勞保",
    "牢保": "勞保",
    "調節": "調解",  # 調節 (to adjust) is a word, but in a labour question it is the IME's pick for 調解
    "條解": "調解",
    "中介": "仲介",  # mainland word for the broker
    "育兒假": "育嬰假",  # mainland word for parental leave
    "津帖": "津貼",
    "金貼": "津貼",
    "佳班": "加班",
    "育鷹": "育嬰",
    "失業給附": "失業給付",
    "失業給fu": "失業給付",
    "退修金": "退休金",
    "伸訴": "申訴",
    "身訴": "申訴",
    "申述": "申訴",
    "檢具": "檢舉",
    "撿舉": "檢舉",
    "補組": "補助",
    "捕助": "補助",
    "育英": "育嬰",
    "留職停新": "留職停薪",
    "陪產價": "陪產假",
    "產價": "產假",
    "特修": "特休",
    "特休價": "特休假",
    "老板": "老闆",
    "雇住": "雇主",
    "僱住": "雇主",
    "甚麼": "什麼",
    "神麼": "什麼",
    "蝦米": "什麼",
    "怎摸": "怎麼",
    "怎ㄇ": "怎麼",
    "底薪資": "底薪",
    "勞 就 保": "勞保 就保",  # 勞(就)保 as 勞保局 writes it, its brackets dropped
}
# 注音 typed alone as a sentence particle (「可以申請ㄇ」): replaced by the particle it stands for, which the lexical
# signals then treat as a stop word. Other 注音 symbols carry no meaning and are dropped.
ZHUYIN_PARTICLES: dict[str, str] = {
    "ㄉ": "的",
    "ㄇ": "嗎",
    "ㄅ": "吧",
    "ㄌ": "了",
    "ㄋ": "呢",
    "ㄚ": "啊",
    "ㄛ": "喔",
    "ㄟ": "欸",
    "ㄏ": "呵",
    "ㄍ": "個",
    "ㄓ": "知",
}
_ZHUYIN_RE = re.compile(r"[\u3100-\u312f\u31a0-\u31bf\u02ca\u02c7\u02cb\u02d9]")

# Chat shorthand of Indonesian, Vietnamese and Filipino users → the word it abbreviates (whole tokens only).
ABBREVIATIONS: dict[str, str] = {
    # Indonesian
    "gk": "tidak",
    "ga": "tidak",
    "gak": "tidak",
    "nggak": "tidak",
    "engga": "tidak",
    "tdk": "tidak",
    "blm": "belum",
    "blum": "belum",
    "udh": "sudah",
    "udah": "sudah",
    "sdh": "sudah",
    "gmn": "bagaimana",
    "gimana": "bagaimana",
    "bgmn": "bagaimana",
    "yg": "yang",
    "sy": "saya",
    "aq": "aku",
    "krn": "karena",
    "bs": "bisa",
    "dgn": "dengan",
    "utk": "untuk",
    "tlg": "tolong",
    "gaj": "gaji",
    "bln": "bulan",
    "kmr": "kemarin",
    # Vietnamese (typed without tones, after folding)
    "kg": "khong",
    "dc": "duoc",
    "ntn": "nhu the nao",
    # English / Filipino chat
    "pls": "please",
    "plz": "please",
    "u": "you",
    "r": "are",
    "hw": "how",
    "abt": "about",
    "wat": "what",
}

_SPACES_RE = re.compile(r"\s+")
_LATIN_WORD_RE = re.compile(r"[a-z]+")
# Typos that are part of a real word in some context: matched only outside it (養老保險 is not 勞保).
_TYPO_CONTEXT = {"老保": r"(?<!養)老保"}


# Typos are fixed after the conversion to Taiwan's characters (`app.nlu.chinese`): both sides of the table are
# converted the same way, or a typo such as 退修金 is never seen and a fix such as 雇主 never meets the content's 僱主.
_FOLDED_TYPOS = {to_taiwan_chinese(typo): to_taiwan_chinese(fixed) for typo, fixed in TYPOS.items()}
_TYPO_RE = re.compile(
    "|".join(_TYPO_CONTEXT.get(typo, re.escape(typo)) for typo in sorted(_FOLDED_TYPOS, key=len, reverse=True))
)


def _is_dropped(char: str) -> bool:
    """Punctuation, symbols (emoji included) and format characters (ZWJ, variation selectors) carry no meaning here.

    Combining marks (Thai vowels and tones, Vietnamese tones) are kept: they are letters of those scripts.
    """
    category = unicodedata.category(char)
    return category[0] in "PS" or category in ("Cf", "Cc", "Co", "Cs")


def _replace_zhuyin(text: str) -> str:
    return _ZHUYIN_RE.sub(lambda m: ZHUYIN_PARTICLES.get(m.group(), " "), text)


@lru_cache(maxsize=32768)
def normalize(text: str) -> str:
    """Canonical form of a message: width, script, case, punctuation, emoji, typos and 注音 normalised."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if _is_dropped(c) else c for c in text).lower()
    if has_han(text) or _ZHUYIN_RE.search(text):
        text = to_taiwan_chinese(text)
        text = _TYPO_RE.sub(lambda m: _FOLDED_TYPOS[m.group()], text)
        text = _replace_zhuyin(text)
    return _SPACES_RE.sub(" ", text).strip()


def fold_diacritics(text: str) -> str:
    """Latin letters without accents (Vietnamese typed without tones must still match); other scripts unchanged."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d"))
    folded: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and folded and "a" <= folded[-1] <= "z":
            continue
        folded.append(char)
    return unicodedata.normalize("NFC", "".join(folded))


def _latin_word(word: str) -> str:
    """Chat shorthand expanded; Indonesian "-nya" (its/the) dropped, so 「lemburnya」 matches 「lembur」."""
    if word in ABBREVIATIONS:
        return ABBREVIATIONS[word]
    return word[:-3] if len(word) > 5 and word.endswith("nya") else word


@lru_cache(maxsize=32768)
def matching_form(text: str) -> str:
    """What lexical signals and the builtin encoder compare: normalised, accents folded, shorthand expanded, and
    the Chinese terms of recognised glossary words appended (see glossary.py)."""
    folded = fold_diacritics(normalize(text))
    form = _LATIN_WORD_RE.sub(lambda m: _latin_word(m.group()), folded)
    terms = expansions(form)
    return f"{form} {' '.join(terms)}" if terms else form
