"""Which language a message is written in: script first, then Vietnamese letters, then stop-word evidence.

Chinese is told apart as Simplified or Traditional by converting it both ways with OpenCC: characters that change
under Simplified → Traditional are Simplified-only, and the reverse. A message with neither (「你好」) is zh-TW, the
bot's home language; so is a message with no letters at all.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

from opencc import OpenCC

from app.nlu.chinese import HAN_RE
from app.nlu.normalize import normalize

Language = Literal["zh-TW", "zh-CN", "en", "id", "vi", "th", "tl"]
DEFAULT_LANGUAGE: Language = "zh-TW"

_TO_TRADITIONAL = OpenCC("s2t")
_TO_SIMPLIFIED = OpenCC("t2s")
_THAI_RE = re.compile(r"[\u0e00-\u0e7f]")
_LATIN_RE = re.compile(r"[a-zà-ỹđ]")
_WORD_RE = re.compile(r"[a-zà-ỹđ]+")
# Letters only Vietnamese uses among the languages we serve (ă â đ ê ô ơ ư and tone marks on vowels); Indonesian,
# Filipino and English messages practically never carry them.
_VIETNAMESE_RE = re.compile(
    r"[ăâđêôơưàáãèéẽìíĩòóõùúũạảấầẩẫậắằẳẵặẹẻếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹý]"
)

# Frequent function words and frequent words of our domain, per language; words shared between the languages
# (e.g. "di", "sa", "na") are left out so each one is evidence for one language only.
STOP_WORDS: dict[Language, frozenset[str]] = {
    "en": frozenset(
        "the a an my i me is are was were not no how what when where why who can could do does did have has had "
        "been to for of and or with from this that it boss employer salary wage wages paid pay work job company "
        "months month help please apply insurance leave want need get you your there will would should about "
        "hello hi thanks thank".split()
    ),
    "id": frozenset(
        "saya aku tidak belum sudah yang dan dengan untuk dari ke ini itu bos majikan gaji upah bayar dibayar "
        "bulan tiga dua bagaimana apa bisa tolong mau kerja bekerja harus kalau karena juga ada kami kita mereka "
        "sakit libur lembur pulang agen perusahaan terima kasih halo selamat pagi siang malam alamat kantor kantornya "
        "mana dimana berapa brp syarat dokumen bawa apakah gimana gak nggak aja dong nomor nomer telpon telepon "
        "daftar biaya gratis kapan".split()
    ),
    "vi": frozenset(
        "toi khong chua duoc tra luong thang ba cong ty chu lam viec nhu the nao gi co va cua cho voi la bi "
        "nghi benh giup minh ban muon can phai xin chao cam on em anh chi bao nhieu dien thoai giay to o dau "
        "di dau dia chi".split()
    ),
    "tl": frozenset(
        "ang ng mga ko ako hindi po opo sahod amo ba yung naman kasi lang siya sila namin kami ninyo paano ano "
        "bakit trabaho buwan tatlong binayaran bayad ay kong nila niya wala may salamat magandang araw".split()
    ),
}


def _script_counts(text: str) -> tuple[int, int, int]:
    return len(HAN_RE.findall(text)), len(_THAI_RE.findall(text)), len(_LATIN_RE.findall(text))


def chinese_variant(text: str) -> Language:
    """zh-CN when the text has more Simplified-only than Traditional-only characters, else zh-TW."""
    han = "".join(HAN_RE.findall(text))
    traditional, simplified = _TO_TRADITIONAL.convert(han), _TO_SIMPLIFIED.convert(han)
    simplified_only = sum(a != b for a, b in zip(han, traditional, strict=False))
    traditional_only = sum(a != b for a, b in zip(han, simplified, strict=False))
    return "zh-CN" if simplified_only > traditional_only else "zh-TW"


def _latin_language(text: str) -> Language:
    words = _WORD_RE.findall(text)
    if _VIETNAMESE_RE.search(text):
        return "vi"
    folded = [unicodedata.normalize("NFD", w).encode("ascii", "ignore").decode() for w in words]
    votes = {lang: sum(w in vocabulary for w in folded) for lang, vocabulary in STOP_WORDS.items()}
    # On a tie the other language wins: English words are borrowed into Indonesian and Filipino, not the reverse.
    best = max(votes, key=lambda lang: (votes[lang], lang != "en"))
    return best if votes[best] > 0 else "en"


@lru_cache(maxsize=4096)
def detect_language(text: str) -> Language:
    # NFKC and lowercase only: the full normalisation would turn Simplified into Traditional.
    raw = unicodedata.normalize("NFKC", text).lower()
    han, thai, latin = _script_counts(raw)
    if not (han or thai or latin):
        return DEFAULT_LANGUAGE
    # A Han character carries about as much as four Thai or Latin letters (「勞保 online」 is Chinese).
    script = max((han * 4, "han"), (thai, "thai"), (latin, "latin"))[1]
    if script == "thai":
        return "th"
    if script == "han":
        return chinese_variant(raw)
    return _latin_language(normalize(text))
