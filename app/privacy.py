"""Personal data protection (個人資料保護法): pseudonymous user ids and masking of what people type.

LINE user IDs are stored only as a keyed hash, so the database alone does not identify anyone. ID and passport
numbers, phone and account numbers, emails, LINE ids, house numbers, birth dates and names are masked before text is
stored (`mask_personal_data`), and in the logs (`install_log_masking`: the app's and uvicorn's, whose access log
prints query strings).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus

from app.config import get_settings

MAX_STORED_CHARS = 5000  # LINE's own limit for a text message: nothing longer is stored


def _fold_table() -> dict[int, str]:
    """One character for one: what NFKC makes of a character when that is a single one (full-width Ａ１＠, no-break
    and ideographic spaces), in lower case; any script's decimal digits as ASCII (๐๘๑ → 081); dashes as "-";
    invisible characters as a space. Being length-preserving, the folded text's positions are the original's: the
    rules read the folded text, the masks go into the text as it was typed, and everything else stays as it was."""
    table: dict[int, str] = {}
    for code in range(0x41, 0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        if unicodedata.category(char) == "Nd":
            folded = str(unicodedata.decimal(char))
        elif len(folded := unicodedata.normalize("NFKC", char)) == 1 and len(folded.lower()) == 1:
            folded = folded.lower()
        else:
            continue
        if folded != char:
            table[code] = folded
    table.update(dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-"))
    table.update(dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), " "))
    return table


_FOLD = _fold_table()


def _fold(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(_FOLD)


Span = tuple[int, int]
# Narrows or refuses a rule's match: given it and the text as typed, the span to mask, or None when it is none.
Refine = Callable[[re.Match[str], str], Span | None]


@dataclass(frozen=True)
class _Rule:
    mask: str
    pattern: re.Pattern[str]  # read on the folded text (lower case), so written in lower case
    refine: Refine | None = None


def _span(match: re.Match[str]) -> Span:
    return match.span("pii") if "pii" in match.re.groupindex else match.span()


_MIN_PHONE_DIGITS = 9


def _toll_free(folded: str, start: int) -> bool:
    """Taiwan's toll-free 0800 and 0809 numbers are organisations' (0800-777-888, the 婦女再就業 line): kept."""
    return folded.startswith(("0800", "0809", "(0800", "(0809"), start)


def _not_toll_free(match: re.Match[str], _typed: str) -> Span | None:
    return None if _toll_free(match.string, _span(match)[0]) else _span(match)


def _one_kind_of_separator(match: re.Match[str], _typed: str) -> Span | None:
    """A phone number keeps to one separator ("0912-345-678", "0912 345 678") and ends where another begins, so
    「05-12-2025 10點」 (a date, then an hour) is no phone number. The parentheses of an area code do not count; an
    opening one that is not closed is the sentence's own 「（04-2228-9111）」 and stays."""
    start, end = _span(match)
    text, used = match.string, None
    if _toll_free(text, start):
        return None
    if text[start] == "(" and ")" not in text[start:end]:
        start += 1
    for i in range(start, end):
        char = text[i]
        if char.isdigit() or char in "()" or (char == " " and text[i - 1] == ")"):
            continue
        if used is None:
            used = char
        elif char != used:
            return (start, i) if sum(c.isdigit() for c in text[start:i]) >= _MIN_PHONE_DIGITS else None
    return start, end


_CURRENCY_BEFORE = re.compile(r"(?:\$|rp|nt|ntd|usd|php|₱|฿|vnd|đ)\.? ?$")
_CURRENCY_AFTER = re.compile(r" ?(?:元|塊|块|萬|万|đ|vnd|dong|đồng|บาท|baht|rupiah|peso|dollar|ntd|nt)")


def _not_money(match: re.Match[str], _typed: str) -> Span | None:
    """A number after 帳戶/account may be money (「帳戶少了 1200000 元」, "rekening saya Rp 8500000"), and one after
    電話 a toll-free line."""
    start, end = _span(match)
    text = match.string
    if _CURRENCY_BEFORE.search(text, max(0, start - 5), start) or _CURRENCY_AFTER.match(text, end):
        return None
    return None if _toll_free(text, start) else (start, end)


def _an_id(match: re.Match[str], _typed: str) -> Span | None:
    """After "LINE ID" with no 「:」 or "is" in between, a plain word is English ("my LINE ID for…"), not an id: only a
    token with a digit, "_", "." or "@" is taken."""
    if match.group("said") or re.search(r"[0-9_.@]", match.group("pii")):
        return _span(match)
    return None


def _capitalised_words(match: re.Match[str], typed: str) -> Span | None:
    """A name after "my name is" is its capitalised words ("John Smith and I…" → "John Smith"). A word in lower case
    is the sentence going on ("my name is misspelled", "nama saya gak ditulis"), so a name typed in lower case is
    not found: the price of not masking questions."""
    start, end = _span(match)
    last = None
    for word in re.finditer(r"\S+", typed[start:end]):
        if not word.group()[0].isupper():
            break
        last = word
    return (start, start + last.end()) if last else None


def _capitalised_street(match: re.Match[str], typed: str) -> Span | None:
    """"123 Main Street", "No. 99, Minquan Rd.": the street's name is capitalised, unlike "3 days on the road"."""
    start, end = match.span("street")
    return _span(match) if all(word[0].isupper() for word in typed[start:end].split()) else None


def _words(*alternatives: str) -> str:
    """Keywords as a regex alternation. A Latin-script one is a whole word ("tel" is not in "hotel"); its check for
    a letter before it comes after its first word, so that the regex engine can skip ahead to a keyword's first
    letter instead of testing every position."""
    parts = []
    for word in sorted(alternatives, key=len, reverse=True):
        first, _, rest = word.partition(" ")
        pattern = re.escape(first)
        if first[0].isascii() and first[0].isalpha():
            pattern += f"(?<![a-z]{pattern})"
        if rest:
            pattern += " ?" + re.escape(rest).replace(r"\ ", " ?")
        if word[-1].isascii() and word[-1].isalpha():
            pattern += "(?![a-z])"
        parts.append(pattern)
    return "(?:" + "|".join(parts) + ")"


def _rule(mask: str, pattern: str, refine: Refine | None = None) -> _Rule:
    return _Rule(mask, re.compile(pattern), refine)


# Between the digits of a phone number: one space, dot or hyphen, or the parenthesis around an area code.
_SEP = r"(?:\) ?| ?\(|[ .\-])?"
# A number after its keyword (「護照號碼：」 "account no." "nomor HP"): 7 to 20 digits, a space or hyphen between
# them; the words between hold no digit and no "$".
_NUMBER_AFTER = r"[^0-9\n$]{0,20}(?P<pii>[0-9](?:[ \-]?[0-9]){6,19}[a-z]?)(?![0-9])"
_MONTHS = _words(
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "januari", "februari", "maret", "mei", "juni", "juli", "agustus", "oktober", "desember",
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม",
    "พฤศจิกายน", "ธันวาคม", "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.",
    "ธ.ค.",
)
# A date: two or three numbers joined by date separators or a month's name: 1990年5月3日, 03/05/1990, 12 Maret 1995,
# 12 tháng 3 năm 1995, (May) 3, 1990.
_DATE = rf"[0-9]{{1,4}}(?:(?: ?(?:[./\-年月]|tháng|năm) ?| ?{_MONTHS}\.?,? ?|,? )[0-9]{{1,4}}){{1,2}}(?: ?[日号號])?"

# Every rule reads the whole text; what they find is merged, so a number that two rules see differently is masked
# whole. A rule's first character is a literal or a small class, its "not inside a longer word or number" check
# comes right after that character, and its repetitions are bounded: the text is scanned in linear time.
_RULES: tuple[_Rule, ...] = (
    _rule("[email]", r"[a-z0-9._%+\-](?<![a-z0-9._%+\-][a-z0-9._%+\-])[a-z0-9._%+\-]*+@"
                     r"[a-z0-9\-]++(?:\.[a-z0-9\-]++)++"),
    _rule("[LINE ID]", r"[ucr](?<![a-z0-9][ucr])[0-9a-f]{32}(?![a-z0-9])"),  # a LINE user, group or room id
    _rule("[LINE ID]", r"@(?<![a-z0-9._%+\-@]@)[a-z0-9][a-z0-9._\-]{2,19}"),  # @john_doe123
    _rule("[LINE ID]", _words("line id", "id line", "line帳號", "賴 id", "賴帳號", "ไอดีไลน์", "ไลน์ไอดี")
          + r"(?P<said>(?: ?[:：=]| ?(?:是|為|为|คือ)"
          r"| (?:is|adalah|la|là|saya|ku|nya|của tôi là|của mình là|ko ay|ko)){0,3})"
          r" ?(?P<pii>@?[a-z0-9][a-z0-9._\-]{2,29})", _an_id),
    _rule("[LINE ID]", _words("line", "賴", "ไลน์") + r" ?[:：=] ?(?P<pii>@?[a-z0-9][a-z0-9._\-]{2,29})"),
    # 身分證 / 居留證: a letter, then 1/2 (citizen) or 8/9 (resident, since 2021) and 8 digits, spaces or hyphens
    # allowed (A 123 456 789, A-123456789); or two letters and 8 digits (resident, before 2021)
    _rule("[ID]", r"[a-z](?<![a-z0-9][a-z])(?:[ .\-]?[12589]|[a-d])(?:[ .\-]?[0-9]){8}(?![0-9])"),
    # Passports of Indonesia, Vietnam, the Philippines and Thailand: B1234567, C1234567, P1234567A, AA1234567
    _rule("[passport]", r"[a-z](?<![a-z0-9][a-z])[a-z]?(?<!nt)(?<!rp)(?<!us)[ \-]?[0-9]{7,9}[a-z]?(?![a-z0-9])"),
    # Numbers a keyword says are an ID, a passport (Taiwan's is 9 digits), an account, a card or a phone
    _rule("[ID]", _words("身分證", "身份證", "身分证", "身份证", "居留證", "居留证", "統一證號", "统一证号", "證號",
                         "证号", "id card", "id no", "id number", "identity", "arc", "nik", "ktp", "cccd", "cmnd",
                         "căn cước", "chứng minh", "บัตรประชาชน", "เลขประจำตัว", "sss", "umid", "philhealth", "tin")
          + _NUMBER_AFTER, _not_money),
    _rule("[passport]", _words("護照", "护照", "passport", "paspor", "pasport", "hộ chiếu", "หนังสือเดินทาง",
                               "พาสปอร์ต") + _NUMBER_AFTER, _not_money),
    _rule("[account]", _words("帳號", "账号", "帳戶", "账户", "戶頭", "户头", "局號", "account", "acct", "a/c",
                              "rekening", "no rek", "norek", "tài khoản", "stk", "số tk", "บัญชี") + _NUMBER_AFTER,
          _not_money),
    _rule("[number]", _words("健保卡", "卡號", "卡号", "card no", "card number", "nomor kartu", "số thẻ", "เลขบัตร")
          + _NUMBER_AFTER, _not_money),
    _rule("[phone]", _words("電話", "电话", "手機", "手机", "聯絡", "联系", "tel", "phone", "mobile", "cell", "hp",
                            "handphone", "telepon", "telp", "wa", "whatsapp", "điện thoại", "sđt", "zalo", "viber",
                            "โทร", "เบอร์", "มือถือ") + _NUMBER_AFTER, _not_money),
    # Phones: international (+84 912 345 678, 0063…); a country code without "+" (886912345678, 62 812 3456 7890);
    # national from a leading 0, 9 to 13 digits: Taiwan's 09 mobiles, (04) landlines and 0800 numbers, and the
    # numbers of Vietnam, Thailand, the Philippines and Indonesia
    _rule("[phone]", rf"(?:\+(?<![0-9a-z+]\+)|00(?<![0-9]00)) ?[1-9](?:{_SEP}[0-9]){{7,14}}(?![0-9])"),
    _rule("[phone]", rf"(?:8(?<![0-9]8)(?:86|4)|6(?<![0-9]6)[236]){_SEP}[1-9](?:{_SEP}[0-9]){{7,11}}(?![0-9])",
          _one_kind_of_separator),
    _rule("[phone]", rf"(?:\((?<![0-9]\()0|0(?<![0-9]0))[2-9](?:{_SEP}[0-9]){{7,11}}(?![0-9])",
          _one_kind_of_separator),
    # Card numbers (13-19 digits), and any 10 or more digits in a row: no amount or date in a question is that long
    _rule("[number]", r"[0-9](?<![0-9][0-9])(?:[ \-]?[0-9]){12,18}(?![0-9])"),
    _rule("[number]", r"[0-9](?<![0-9][0-9])[0-9]{9,18}(?![0-9])", _not_toll_free),
    # Birth dates: after their keyword, or before 出生
    _rule("[birthday]", _words("生日", "出生", "birthday", "birth date", "date of birth", "dob", "d.o.b.", "born",
                               "tanggal lahir", "tgl lahir", "tgl. lahir", "lahir", "ngày sinh", "sinh ngày",
                               "năm sinh", "sinh năm", "วันเกิด", "เกิดวันที่", "เกิดเมื่อ", "ปีเกิด")
          + rf"[^0-9\n]{{0,16}}?(?P<pii>(?:{_MONTHS}\.? )?{_DATE})"),
    _rule("[birthday]", r"(?P<pii>[0-9](?<![0-9][0-9])[0-9]{0,3}(?:[./\-年月][0-9]{1,2}){1,2}[日号號]?) ?"
                        r"(?:出生|生(?=[，,。.\s)）]|$))"),
    # Addresses: the house number goes, the street stays (a street names no one). 民權路99號 → 民權路[address];
    # 中正路一段12巷3弄5號4樓; Jl. Merdeka No. 45; RT 03/RW 05; 123 Main Street; No. 99, Minquan Rd.; số 12 đường
    # Lê Lợi; hẻm 34; บ้านเลขที่ 12/3 หมู่ 4.
    _rule("[address]", r"(?:(?<=[路街段巷弄])|(?<=大道)) ?(?P<pii>(?:[0-9一二三四五六七八九十]{1,3} ?段 ?)?"
                       r"(?:[0-9]{1,4} ?巷 ?)?(?:[0-9]{1,4} ?弄 ?)?[0-9一二三四五六七八九十百]{1,6}(?: ?之 ?[0-9]{1,3})? ?[號号]"
                       r"(?: ?[0-9]{1,3} ?(?:樓|楼|f)(?: ?之 ?[0-9]{1,3})?)?)"),
    _rule("[address]", r"(?:j(?<![a-z]j)(?:ln?\.?|alan)|g(?<![a-z]g)(?:g\.?|ang)) +[^\n,;:!?()0-9]{1,40}?[ ,]{0,3}"
                       r"(?P<pii>(?:no|nomor|nomer)\.? ?[0-9]{1,5}[a-z]?(?:/[0-9]{1,5})?)"),
    _rule("[address]", r"j(?<![a-z]j)ln?\. ?[^\n,;:!?()0-9]{1,40}?(?P<pii>[0-9]{1,5}[a-z]?(?:/[0-9]{1,5})?)"),
    _rule("[address]", r"r(?<![a-z]r)t\.? ?[0-9]{1,3} ?/? ?rw\.? ?[0-9]{1,3}"),
    _rule("[address]", r"(?P<pii>(?:n(?<![a-z0-9]n)o\.? ?[0-9]|[0-9](?<![a-z0-9][0-9]))[0-9]{0,4}(?:-[0-9]{1,4})?"
                       r"[a-z]?)(?=,? {1,3}(?:(?:lane|ln|alley|aly|sec|section)\.? ?[0-9]{1,4},? {1,3}){0,3}"
                       r"(?P<street>(?:[a-z]{1,20}\.? {1,3}){1,3})"
                       r"(?:road|rd|street|st|avenue|ave|boulevard|blvd|drive|dr|lane|ln)\b)", _capitalised_street),
    _rule("[address]", r"(?P<pii>(?:s(?<![a-z]s)ố(?: nhà)? ?[0-9]|[0-9](?<![a-z0-9][0-9]))[0-9]{0,4}[a-z]?"
                       r"(?:/[0-9]{1,5}){0,3})(?=,? {1,3}(?:đường|phố|ngõ|ngách|hẻm|kiệt)\b)"),
    _rule("[address]", r"(?:số nhà|ngõ|ngách|hẻm|kiệt|บ้านเลขที่|เลขที่|หมู่ที่|หมู่) ?"
                       r"(?P<pii>[0-9]{1,5}(?:/[0-9]{1,5}){0,3})"),
    # Names after "my name is" and the like (not after a bare 「我叫」, which is also "I told…")
    _rule("[name]", _words("my name is", "name:", "nama saya", "nama:", "nama lengkap", "tên tôi là", "tôi tên là",
                           "tên em là", "em tên là", "tên của tôi là", "họ tên:", "họ và tên:")
          + r" ?(?P<pii>[^\W\d_]+(?: [^\W\d_]+){0,3})", _capitalised_words),
    _rule("[name]", r"(?:我的名字是|我的名字叫|我名字叫|我名叫|我叫做|本人姓名|姓名 ?[:：是]) ?(?P<pii>[\u4e00-\u9fff]{2,3})"),
    _rule("[name]", r"(?:ผมชื่อ|ฉันชื่อ|ดิฉันชื่อ|หนูชื่อ|ชื่อของฉันคือ|ชื่อของผมคือ|ชื่อ-นามสกุล|ชื่อ ?:) ?"
                    r"(?P<pii>[\u0e00-\u0e7f]+)"),
)


def mask_personal_data(text: str, *, limit: int | None = MAX_STORED_CHARS) -> str:
    """The text with personal data replaced by placeholders ("[ID]", "[phone]" …): ID and passport numbers, phone,
    account and card numbers, emails, LINE ids, house numbers, birth dates, names after "my name is". Everything else
    is kept as typed; the rules read a folded copy (full-width and other scripts' digits as ASCII, lower case).

    The text is first cut to `limit` characters, LINE's 5,000 (nothing longer is stored); `limit=None` masks it all.
    """
    if limit is not None and len(text) > limit:
        text = _cut(text, limit)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)  # e.g. Vietnamese typed with combining accents: it looks the same
    folded = _fold(text)
    found: list[tuple[int, int, int]] = []  # start, end, rule
    for index, rule in enumerate(_RULES):
        for match in rule.pattern.finditer(folded):
            span = rule.refine(match, text) if rule.refine else _span(match)
            if span and span[0] < span[1]:
                found.append((*span, index))
    pieces, position = [], 0
    for start, end, index in _merged(found):
        pieces += [text[position:start], _RULES[index].mask]
        position = end
    pieces.append(text[position:])
    masked = "".join(pieces)
    return masked if limit is None else masked[:limit]


def _merged(found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Finds that overlap become one: the union of their spans, with the placeholder of the longest of them."""
    merged: list[list[int]] = []  # start, end, rule, length of that rule's find
    for start, end, index in sorted(found):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if end - start > last[3]:
                last[2], last[3] = index, end - start
        else:
            merged.append([start, end, index, end - start])
    return [(start, end, index) for start, end, index, _length in merged]


_TRAILING = re.compile(r"[a-z0-9@._%+\-() #/]{1,64}$")


def _cut(text: str, limit: int) -> str:
    """The first `limit` characters, less a trailing run of what personal data is written in: the cut may have
    left the first half of a phone number or an email, which no rule recognises."""
    head = text[:limit]
    tail = _TRAILING.search(_fold(head[-64:]))
    return head[: len(head) - len(tail.group())] if tail else head


# --- logs ---------------------------------------------------------------------------------------------------------


class PersonalDataFilter(logging.Filter):
    """Masks personal data in a log record before any handler formats it: the message, its arguments, a traceback.
    uvicorn's access log prints the request's path and query URL-encoded (`/console/try?q=%E8%BA%AB…`), so an
    argument is URL-decoded before it is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            # (client, method, path with query, HTTP version, status): only the query string can hold what a
            # person typed. Every request is logged here, so the other fields are not run through the rules.
            client, method, path, version, status = record.args
            if isinstance(path, str) and "?" in path:
                route, _, query = path.partition("?")
                path = f"{route}?{_mask_logged(query)}"
            record.args = (client, method, path, version, status)
            return True
        if isinstance(record.msg, str):  # a template when there are arguments: "%20s" must not be decoded
            record.msg = _mask_logged(record.msg, decode=not record.args)
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_argument(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _mask_argument(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:  # formatters reuse exc_text: the traceback is formatted once
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text, limit=None)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info, limit=None)
        return True


def _mask_argument(value: object) -> object:
    if isinstance(value, str):
        return _mask_logged(value)
    if value is None or isinstance(value, int | float):  # kept as they are, for "%d" and "%.2f"
        return value
    text = str(value)  # an exception, a path, a model: replaced by its masked text only when it held personal data
    masked = _mask_logged(text)
    return value if masked == text else masked


def _mask_logged(text: str, *, decode: bool = True) -> str:
    if decode and ("%" in text or ("+" in text and "=" in text)):
        decoded = unquote_plus(text) if "=" in text else unquote(text)  # in a query string "+" is a space
        if decoded != text and (masked := mask_personal_data(decoded, limit=None)) != decoded:
            return masked
    return mask_personal_data(text, limit=None)


_LOG_FILTER = PersonalDataFilter()
# The app's own loggers, uvicorn's (its access log) and the LINE SDK's (a profile URL holds the raw userId).
MASKED_LOGGERS = frozenset({"app", "uvicorn", "linebot"})


class _MaskingRecordFactory:
    def __init__(self, make_record: Callable[..., logging.LogRecord]) -> None:
        self.make_record = make_record

    def __call__(self, *args, **kwargs) -> logging.LogRecord:
        record = self.make_record(*args, **kwargs)
        if record.name.partition(".")[0] in MASKED_LOGGERS:
            _LOG_FILTER.filter(record)
        return record


def install_log_masking() -> None:
    """Mask every record of the MASKED_LOGGERS as it is made, before any handler (or pytest's caplog) sees it;
    idempotent. The filter runs in the record factory rather than sitting on each logger because a logger's
    filters see only what is logged on that logger itself, not what its children pass up, and a module may create
    its logger after this call (the answer worker's does, in the tests)."""
    make_record = logging.getLogRecordFactory()
    if not isinstance(make_record, _MaskingRecordFactory):
        logging.setLogRecordFactory(_MaskingRecordFactory(make_record))


def pseudonymise(user_id: str | None, *, namespace: str | None = None) -> str | None:
    """Keyed hash (HMAC-SHA256) of a LINE user ID: stable per user, not reversible without the key.

    Ids from another channel hash under their `namespace` (`"api"`), so an id that is also some LINE user's
    userId never names that LINE user's conversation. LINE's own ids keep no namespace: their pseudonyms stay as
    they were stored.
    """
    if not user_id:
        return None
    key = get_settings().pseudonym_key.get_secret_value().encode()
    message = f"{namespace}:{user_id}" if namespace else user_id
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:32]
