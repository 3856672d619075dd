"""Facts a person states about themselves in passing — 「我26歲設籍西屯」, "saya pekerja migran", "I was laid off" —
read so the conversation can answer "am I eligible?" from them and ask only for what is missing.

Only what is said plainly is read: a fact is taken from a cue that leaves no doubt (an age with 歲/tuổi/years old,
a Taichung district name, 設籍/戶籍 for household registration). Nothing here guesses; a fact not found is unknown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

FactName = Literal[
    "age", "district", "taichung_household", "in_taichung", "unemployed", "involuntary_leaver", "migrant_worker",
    "employer",
]


class Facts(TypedDict, total=False):
    age: int
    district: str  # one of TAICHUNG_DISTRICTS
    taichung_household: bool  # household registration (戶籍) in Taichung
    in_taichung: bool  # lives or works in Taichung
    unemployed: bool
    involuntary_leaver: bool  # laid off, dismissed, the workplace closed, a fixed-term contract ended
    migrant_worker: bool
    employer: bool


# The 29 districts of Taichung City, with the short names people use (「住大里」, 「沙鹿附近」).
TAICHUNG_DISTRICTS = (
    "中區", "東區", "南區", "西區", "北區", "西屯區", "南屯區", "北屯區", "豐原區", "東勢區", "大甲區", "清水區", "沙鹿區",
    "梧棲區", "后里區", "神岡區", "潭子區", "大雅區", "新社區", "石岡區", "外埔區", "大安區", "烏日區", "大肚區", "龍井區",
    "霧峰區", "太平區", "大里區", "和平區",
)
# Short names people use without 區 (「住大里」, 「沙鹿附近」). One-character ones (中/東/南/西/北) and those that are
# everyday words or another city's district (和平, 太平, 大安, 清水, 大肚, 新社) are read only after 住/在/籍.
_AMBIGUOUS_SHORT = {"和平", "太平", "大安", "清水", "大肚", "新社"}
_SAFE_SHORT = sorted((d[:-1] for d in TAICHUNG_DISTRICTS if len(d) > 2 and d[:-1] not in _AMBIGUOUS_SHORT), key=len,
                     reverse=True)
_DISTRICT_RE = re.compile(
    "|".join(sorted(TAICHUNG_DISTRICTS, key=len, reverse=True))
    + "|" + "|".join(_SAFE_SHORT)
    + r"|(?<=[住在籍])(?:" + "|".join(sorted(_AMBIGUOUS_SHORT)) + ")"
)

# Romanised names (Taichung's Hanyu Pinyin), as migrant workers write them: read only beside a word that makes them
# a place ("in Shalu", "di Fengyuan", "Dali District"), since "daya" and "dali" are words too.
DISTRICT_ROMAN = {
    "中區": "Central", "東區": "East", "南區": "South", "西區": "West", "北區": "North", "西屯區": "Xitun",
    "南屯區": "Nantun", "北屯區": "Beitun", "豐原區": "Fengyuan", "東勢區": "Dongshi", "大甲區": "Dajia",
    "清水區": "Qingshui", "沙鹿區": "Shalu", "梧棲區": "Wuqi", "后里區": "Houli", "神岡區": "Shengang",
    "潭子區": "Tanzi", "大雅區": "Daya", "新社區": "Xinshe", "石岡區": "Shigang", "外埔區": "Waipu", "大安區": "Da'an",
    "烏日區": "Wuri", "大肚區": "Dadu", "龍井區": "Longjing", "霧峰區": "Wufeng", "太平區": "Taiping", "大里區": "Dali",
    "和平區": "Heping",
}
_BY_ROMAN = {roman.lower(): name for name, roman in DISTRICT_ROMAN.items() if len(roman) > 5 or name[:-1] not in "中東南西北"}
_ROMAN_RE = re.compile(
    r"(?:\b(?:in|at|near|from|di|ke|dekat|dari|ở|tại|gần|sa)\s+(" + "|".join(map(re.escape, _BY_ROMAN)) + r")\b)"
    r"|(?:\b(" + "|".join(map(re.escape, _BY_ROMAN)) + r")\s+(?:district|distrik|dist\.))"
)

_AGE_RES = (
    re.compile(r"(\d{1,2})\s*(?:歲|岁|y/?o\b|years?\s*old|yrs?\s*old|tuổi|tuoi|tahun|taon|ปี)"),
    re.compile(r"(?:age|aged|umur|usia|edad|อายุ)\s*(\d{1,2})\b"),
    re.compile(r"(?:i am|i'm|im)\s+(\d{1,2})\b"),
)
_HOUSEHOLD_RE = re.compile(r"(?:設籍|戶籍|户籍|籍在)\s*(?:在|於|于)?\s*(?:臺中|台中|中市)?")
# Living or working in Taichung, said of oneself: 「我住台中」, 「在台中上班」 (the city's name alone says nothing).
_TAICHUNG_RE = re.compile(
    r"(?:住|在|設籍|戶籍|户籍|籍)\s*(?:臺中|台中)|(?:live|living|work|working|stay|based)\s+in\s+taichung|"
    r"(?:tinggal|kerja|bekerja)\s+di\s+taichung|(?:sống|làm việc|ở)\s+(?:tại\s+|ở\s+)?(?:đài trung|dai trung)|"
    r"(?:อยู่|ทำงาน)(?:ที่)?ไถจง"
)

_CUES: dict[FactName, tuple[tuple[bool, tuple[str, ...]], ...]] = {
    "unemployed": (
        (False, ("還在上班", "在職", "有工作", "目前有在上班", "still working", "i have a job", "masih bekerja",
                 "đang đi làm")),
        (True, ("失業", "沒工作", "沒有工作", "待業", "找工作中", "被資遣", "被裁員", "被解雇", "被開除", "被fire", "离职",
                "unemployed", "jobless", "lost my job", "laid off", "menganggur", "tidak bekerja", "thất nghiệp",
                "mất việc", "ว่างงาน", "ตกงาน", "walang trabaho")),
    ),
    "involuntary_leaver": (
        (False, ("自己離職", "自願離職", "自請離職", "自己辭職", "我辭職", "主動離職", "自己不做", "i quit", "resigned",
                 "mengundurkan diri", "tự nghỉ", "ลาออกเอง")),
        (True, ("被資遣", "被裁員", "資遣", "被解雇", "被解僱", "被開除", "被fire", "關廠", "歇業", "倒閉", "非自願", "約到期",
                "契約到期", "合約到期", "laid off", "dismissed", "fired", "terminated", "di-phk", "phk", "dipecat",
                "bị sa thải", "bị đuổi việc", "ถูกเลิกจ้าง", "tinanggal")),
    ),
    "migrant_worker": (
        (True, ("移工", "外勞", "外籍勞工", "外籍看護", "外籍漁工", "migrant worker", "foreign worker", "caregiver from",
                "pekerja migran", "tki", "pmi", "lao động di trú", "lao động nước ngoài", "แรงงานข้ามชาติ",
                "แรงงานต่างชาติ", "แรงงานไทย", "ofw")),
    ),
    "employer": (
        (True, ("我是雇主", "我是老闆", "身為雇主", "我們公司", "本公司", "我的員工", "i am an employer", "i'm an employer",
                "my employee", "saya majikan", "tôi là chủ", "ผมเป็นนายจ้าง")),
    ),
}


# Every phrase a fact is read from, so a message made only of facts and an aspect (「我26歲設籍西屯 符合嗎」) is told
# apart from one that names a topic of its own.
PHRASES: tuple[str, ...] = tuple(
    {cue for rules in _CUES.values() for _value, cues in rules for cue in cues}
    | set(TAICHUNG_DISTRICTS) | {d[:-1] for d in TAICHUNG_DISTRICTS if len(d) > 2}
    | {"設籍", "戶籍", "户籍", "臺中", "台中", "今年", "歲", "岁", "years old", "tuổi", "tahun", "umur", "usia", "อายุ", "ปี"}
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def extract_facts(text: str) -> Facts:
    """The facts `text` states plainly; a key is present only when the message says it."""
    folded = _fold(text)
    facts: Facts = {}
    for pattern in _AGE_RES:
        if (match := pattern.search(folded)) and 14 <= (age := int(match.group(1))) <= 99:
            facts["age"] = age
            break
    if match := _DISTRICT_RE.search(text):
        name = match.group(0)
        facts["district"] = name if name in TAICHUNG_DISTRICTS else name + "區"
    elif match := _ROMAN_RE.search(folded):
        facts["district"] = _BY_ROMAN[match.group(1) or match.group(2)]
    in_taichung = "district" in facts or bool(_TAICHUNG_RE.search(folded))
    if in_taichung:
        facts["in_taichung"] = True
    if _HOUSEHOLD_RE.search(folded) and in_taichung:
        facts["taichung_household"] = True
    for name, rules in _CUES.items():
        for value, cues in rules:  # the negative cues first: 「不是被資遣，是自己離職」 reads as the latter
            if any(cue in folded for cue in cues):
                facts[name] = value
                break
    if facts.get("involuntary_leaver"):
        facts.setdefault("unemployed", True)
    return facts


def describe(facts: Mapping[str, Any], lang: str) -> list[str]:
    """The facts as the person would recognise them, for 「依您說的：26歲、設籍臺中…」."""
    labels = _LABELS.get(lang, _LABELS["zh-TW"])
    said = []
    if "age" in facts:
        said.append(labels["age"].format(age=facts["age"]))
    if facts.get("taichung_household"):
        said.append(labels["household"].format(district=facts.get("district", "")))
    elif "district" in facts:
        said.append(labels["district"].format(district=facts["district"]))
    for name in ("unemployed", "involuntary_leaver", "migrant_worker", "employer"):
        if name in facts:
            key = name if facts[name] else f"not_{name}"
            if key in labels:
                said.append(labels[key])
    return said


_LABELS: dict[str, dict[str, str]] = {
    "zh-TW": {"age": "{age} 歲", "household": "設籍臺中{district}", "district": "在臺中{district}",
              "unemployed": "目前失業", "not_unemployed": "目前有工作", "involuntary_leaver": "非自願離職",
              "not_involuntary_leaver": "自己離職", "migrant_worker": "移工", "employer": "雇主"},
    "en": {"age": "aged {age}", "household": "registered in Taichung {district}", "district": "in Taichung {district}",
           "unemployed": "unemployed", "not_unemployed": "employed", "involuntary_leaver": "laid off",
           "not_involuntary_leaver": "resigned", "migrant_worker": "migrant worker", "employer": "employer"},
    "id": {"age": "usia {age}", "household": "domisili Taichung {district}", "district": "di Taichung {district}",
           "unemployed": "menganggur", "not_unemployed": "bekerja", "involuntary_leaver": "di-PHK",
           "not_involuntary_leaver": "mengundurkan diri", "migrant_worker": "pekerja migran", "employer": "majikan"},
    "vi": {"age": "{age} tuổi", "household": "hộ khẩu Đài Trung {district}", "district": "ở Đài Trung {district}",
           "unemployed": "đang thất nghiệp", "not_unemployed": "đang đi làm", "involuntary_leaver": "bị cho nghỉ việc",
           "not_involuntary_leaver": "tự nghỉ việc", "migrant_worker": "lao động di trú", "employer": "chủ thuê"},
    "th": {"age": "อายุ {age} ปี", "household": "ทะเบียนบ้านไถจง {district}", "district": "อยู่ไถจง {district}",
           "unemployed": "ว่างงาน", "not_unemployed": "มีงานทำ", "involuntary_leaver": "ถูกเลิกจ้าง",
           "not_involuntary_leaver": "ลาออกเอง", "migrant_worker": "แรงงานข้ามชาติ", "employer": "นายจ้าง"},
}
