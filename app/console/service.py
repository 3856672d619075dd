"""What the staff console does, as plain functions over a database session (the views only route and render).

Services as forms and back, validation errors in words staff understand, staff accounts, the questions citizens
asked that the bot could not answer (grouped by similarity), "try it", and the usage figures.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from app.conversation import messages, texts
from app.conversation.models import ConversationTurn, Feedback, FeedbackReason
from app.conversation.service import Reply, answer_text
from app.db import TAIPEI, utcnow
from app.knowledge.models import AuditLog, Example, PlaceVersion, ServiceDraft, ServiceVersion
from app.knowledge.schemas import (
    AGENCY_MOL,
    AGENCY_TAICHUNG,
    TRANSLATION_LANGS,
    Audience,
    Category,
    Service,
    Translation,
)
from app.knowledge.service import SERVICES, ContentKind, KnowledgeBase, latest_versions
from app.nlu.documents import INTENT, OUT_OF_SCOPE, PLAN, SERVICE
from app.nlu.service import Candidate

# Taiwan has kept UTC+8 without daylight saving since 1979; staff read every date and time in it.


def local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(TAIPEI) if moment else None


# --- Words staff read --------------------------------------------------------------------------------------------

CATEGORY_LABELS = {
    Category.youth_jobs: "青年／找工作",
    Category.wages_disputes: "薪資／勞資爭議",
    Category.safety: "職業安全",
    Category.migrant: "移工",
    Category.disability: "身障就業",
    Category.retirement_insurance: "退休／保險",
    Category.employer: "雇主／事業單位",
    Category.union: "工會",
}
AUDIENCE_LABELS = {
    Audience.worker: "勞工",
    Audience.job_seeker: "求職者",
    Audience.youth: "青年",
    Audience.student: "學生",
    Audience.employer: "雇主",
    Audience.migrant_worker: "移工",
    Audience.person_with_disability: "身心障礙者",
    Audience.senior: "中高齡／高齡者",
    Audience.woman: "婦女",
    Audience.union: "工會",
    Audience.injured_worker: "職災勞工",
}
LANGUAGE_LABELS = {"zh-TW": "中文", "zh-CN": "簡體中文", "en": "英文", "id": "印尼文", "vi": "越南文", "th": "泰文",
                   "tl": "菲律賓文"}
CHANNEL_LABELS = {"line": "LINE", "api": "網頁／API", "cli": "命令列"}
KIND_LABELS = {"answer": "已回答", "clarify": "請對方選擇", "fallback": "無法回答", "smalltalk": "寒暄／選單",
               "flow": "資格檢核", "media": "圖片／貼圖"}
ACTION_LABELS = {
    "import": "匯入內容", "create_draft": "新增草稿", "save_draft": "儲存草稿", "publish": "發布",
    "rollback": "回復舊版", "unpublish": "下架", "add_examples": "新增例句", "remove_example": "刪除例句",
    "create_user": "新增帳號", "set_role": "變更角色", "set_active": "停用／啟用帳號", "reset_password": "重設密碼",
    "change_password": "變更自己的密碼",
}
FIELD_LABELS = {
    "id": "代碼", "title": "名稱", "short_title": "短名稱", "agency": "主辦機關", "category": "分類",
    "audience": "服務對象", "summary": "摘要", "eligibility": "資格", "steps": "申請步驟", "documents": "應備文件",
    "benefits": "補助／金額", "notes": "注意事項", "contacts": "聯絡窗口", "plan_items": "施政計畫項目",
    "sources": "資料來源", "keywords": "關鍵字", "eligibility_check": "資格檢核問題", "last_verified": "最後確認日期",
    "status": "狀態", "translations": "翻譯", "application_windows": "申請期間", "label": "名稱", "opens": "開始日",
    "closes": "截止日", "valid_from": "適用起日", "valid_until": "適用迄日", "confirmed": "金額已確認", "description": "說明", "amount": "金額", "year": "年度",
    "name": "名稱", "phone": "電話", "url": "網址", "address": "地址", "hours": "服務時間", "question": "問題",
    "qualifying_answer": "符合資格的回答", "reason_if_not": "不符合時的說明", "seed": "種子檔名",
}
INTENT_LABELS = {"greeting": "打招呼", "thanks": "道謝", "menu": "選單", "human": "找真人", "feedback": "意見回饋",
                 "out_of_scope": "非本局業務"}
AGENCIES = (AGENCY_TAICHUNG, AGENCY_MOL)

_VALUE_ERRORS = (
    (re.compile(r"is not a dialable"), "電話號碼格式不對，例如 04-22289111 或 0422289111#35099（專線如 1955 也可以）。"),
    (re.compile(r"a contact needs"), "每個聯絡窗口至少要有電話、網址或地址其中一項。"),
    (re.compile(r"a source needs"), "每筆資料來源至少要有網址或種子檔名。"),
    (re.compile(r"is not backed by a source of"), ("最後確認日期要有同一年的資料來源佐證：請在資料來源加上那次確認所依據的來源（含年份），"
                                                      "或把日期改成最新來源的日期。")),
    (re.compile(r"a figure that ends on"), "名稱和摘要不要寫會到期的金額（例如今年的最低工資）：金額寫在「補助／金額」，機器人會挑當天適用的那一筆。"),
    (re.compile(r"valid_until .* is before valid_from"), "金額的適用迄日不能早於適用起日。"),
    (re.compile(r"closes before it opens"), "申請期間的截止日不能早於開始日。"),
    (re.compile(r"unknown translation languages"), "翻譯只能用這些語言代碼：en（英文）、id（印尼文）、vi（越南文）、th（泰文）。"),
    (re.compile(r"give both lat and lon"), "緯度和經度要一起填；查不到公開的座標時兩個都留空，並勾選「位置為約略」。"),
    (re.compile(r"without coordinates must say approximate"), "沒有填座標時，請勾選「位置為約略」（地圖上會用行政區的中心點）。"),
)
_PUBLISHED_NEEDS = {"eligibility": "至少一項資格", "steps (≥ 2)": "至少兩個申請步驟", "steps": "至少一個步驟", "contacts": "至少一個聯絡窗口",
                    "sources": "至少一筆資料來源"}
# Problems of the whole service that one field can fix: shown beside that field too.
_SERVICE_PROBLEM_FIELDS = ((re.compile(r"is not backed by a source of"), "last_verified"),
                           (re.compile(r"^title names"), "title"), (re.compile(r"^summary names"), "summary"))
# Where a value may be text or a contact with hours, pydantic names the alternative it tried in the location.
_UNION_TAGS = {"str", "constrained-str", "TranslatedContact"}
_TYPE_ERRORS = {"string_type", "model_type", "model_attributes_type", "dict_type"}


def _problem(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return "必填，請填寫。"
    if kind == "string_too_short":
        return "不能空白。"
    if kind == "string_too_long":
        return f"太長了：最多 {ctx['max_length']} 個字，現在有 {len(str(error['input']))} 個字。"
    if kind == "too_short":
        return f"至少要有 {ctx['min_length']} 項。"
    if kind == "string_pattern_mismatch":
        if "_" in str(ctx.get("pattern", "")):
            return "格式不正確：只能用小寫英文字母、數字和底線，例如 in_taichung。"
        return "格式不正確：只能用小寫英文字母、數字和連字號，例如 tc-youth-startup。"
    if kind == "enum" or kind == "literal_error":
        return f"只能是這些值之一：{ctx['expected']}。"
    if kind.startswith("date"):  # pydantic's date_* and datetime_* errors
        return "日期請寫成 YYYY-MM-DD，例如 2026-11-21。"
    if kind.startswith("url"):
        return "網址格式不正確，請寫完整網址，例如 https://www.labor.taichung.gov.tw/。"
    if kind == "extra_forbidden":
        return "沒有這個欄位，可能是拼錯了。"
    if kind.startswith("int"):
        return "必須是整數，例如年份 2026。"
    if kind.startswith("bool"):
        return "只能選「是」或「否」。"
    if kind == "greater_than_equal":
        return f"不能小於 {ctx['ge']}。"
    if kind == "less_than_equal":
        return f"不能大於 {ctx['le']}。"
    if kind == "list_type":
        return "應該是一份清單。"
    if kind in _TYPE_ERRORS:
        return "格式不正確。" if kind != "string_type" else "應該是文字。"
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        for pattern, words in _VALUE_ERRORS:
            if pattern.search(message):
                return words
        if message.startswith("a published service needs "):
            needs = message.removeprefix("a published service needs ").split(", ")
            return "上線的服務必須有：" + "、".join(_PUBLISHED_NEEDS.get(n, n) for n in needs) + "。"
        return message
    return str(error["msg"])


# --- Services as a form and back ---------------------------------------------------------------------------------

LINE_FIELDS = ("eligibility", "steps", "documents", "notes", "keywords")
TRANSLATION_TEXT_FIELDS = ("title", "agency", "summary")
TRANSLATION_LINE_FIELDS = ("eligibility", "steps", "documents", "notes")
YES_NO = (("true", "是"), ("false", "否"))
FACT_LABELS = {"age": "年齡", "taichung_household": "設籍臺中", "in_taichung": "在臺中工作", "unemployed": "目前失業",
               "involuntary_leaver": "非自願離職", "migrant_worker": "是移工", "employer": "是雇主"}


@dataclass(frozen=True)
class RowField:
    """One input of a row. `kind`: text, url, tel, date, number, yesno or choice (of `choices`); `translated` fields
    are also entered per language inside the row, so a translation moves and goes with its row."""

    name: str
    label: str
    kind: str = "text"
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    translated: bool = False

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        """A select's (value, label) pairs, the first chosen when nothing else is; none for a typed input."""
        return YES_NO if self.kind == "yesno" else self.choices


ROW_FIELDS: dict[str, tuple[RowField, ...]] = {
    "benefits": (
        RowField("description", "說明", translated=True),
        RowField("amount", "金額", hint="民眾看到的寫法，例如 NT$5,000；還沒確認可留空"),
        RowField("year", "年度", "number"),
        RowField("valid_from", "適用起日（選填）", "date"),
        RowField("valid_until", "適用迄日（選填）", "date", hint="金額在某天改變時寫成兩列：一列到前一天為止，一列從那天起"),
        RowField("confirmed", "金額已確認", "yesno", hint="選「否」時，卡片會說還沒確認並請民眾來電"),
    ),
    "application_windows": (
        RowField("label", "名稱", hint="例如 2027年第1期", translated=True),
        RowField("opens", "開始日", "date"),
        RowField("closes", "截止日", "date"),
    ),
    "contacts": (
        RowField("name", "名稱", translated=True),
        RowField("phone", "電話", "tel", hint="照平常的寫法即可，例如 04-2228-9111 分機 35099、0800-777-888 或 1955"),
        RowField("url", "網址", "url"),
        RowField("address", "地址"),
        RowField("hours", "服務時間", hint="例如 週一至週五 08:00-12:00、13:30-17:30", translated=True),
    ),
    "sources": (
        RowField("title", "名稱"),
        RowField("url", "網址", "url"),
        RowField("seed", "種子檔名", hint="資料出自施政計畫檔時填；沒有網址時必填"),
        RowField("year", "年度", "number", hint="來源說的是哪一年"),
    ),
    "eligibility_check": (
        RowField("id", "代碼", hint="小寫英文字母、數字和底線，例如 in_taichung"),
        RowField("question", "問題（民眾回答是或否）", translated=True),
        RowField("qualifying_answer", "符合資格的回答", "yesno"),
        RowField("reason_if_not", "不符合時的說明", translated=True),
        RowField("fact", "民眾已說過這件事時不再問", "choice", choices=(("", "不使用"), *FACT_LABELS.items()),
                 hint="例如民眾說過「我26歲」，就不再問年齡"),
        RowField("fact_min", "年齡至少", "number", hint="只用於年齡"),
        RowField("fact_max", "年齡至多", "number", hint="只用於年齡"),
        RowField("fact_equals", "那件事為此值時算答「是」", "yesno", hint="年齡以外的事用"),
    ),
}
ROW_KINDS = tuple(ROW_FIELDS)
# The rule that answers a question from a stated fact, as the row's inputs name its parts.
_FACT_INPUTS = {"fact": "fact", "min": "fact_min", "max": "fact_max", "equals": "fact_equals"}
_QUESTION_TRANSLATIONS = {"question": "translations", "reason_if_not": "reason_translations"}
_TRANSLATED_IN_ROW = {"benefits": "description", "application_windows": "label", "contacts": "name"}
_ROW_INPUT_RE = re.compile(rf"^({'|'.join(ROW_KINDS)})-(\d+)-([a-z_]+(?:-[a-z]+)?)$")


class FormErrors(Exception):
    """Every problem of a refused save: `errors` for the list at the top, `fields` (input name → problems) beside
    the inputs they concern."""

    def __init__(self, errors: list[str], fields: dict[str, list[str]] | None = None):
        super().__init__("; ".join(errors))
        self.errors = errors
        self.fields = fields or {}


def _label(kind: str, name: str) -> str:
    return next((f.label for f in ROW_FIELDS[kind] if f.name == name), FIELD_LABELS.get(name, name))


def _translated_label(kind: str, name: str, lang: str) -> str:
    return f"{LANGUAGE_LABELS.get(lang, lang)}{_label(kind, name).split('（')[0]}"


def _locate(location: tuple) -> tuple[str, str]:
    """A validation error's location as (the input it concerns, where staff find it: 「聯絡窗口第 2 列／電話」)."""
    loc = tuple(part for part in location if part not in _UNION_TAGS)
    if not loc:
        return "", ""
    head, rest = loc[0], loc[1:]
    if head in ROW_FIELDS and rest and isinstance(rest[0], int):
        index, rest = rest[0], rest[1:]
        row = f"{FIELD_LABELS[head]}第 {index + 1} 列"
        if not rest:
            return f"{head}-{index}", row
        name = rest[0]
        if name == "answered_by":
            name = _FACT_INPUTS.get(rest[1] if len(rest) > 1 else "fact", "fact")
        elif name in _QUESTION_TRANSLATIONS.values() and len(rest) > 1:
            base = next(k for k, v in _QUESTION_TRANSLATIONS.items() if v == name)
            return f"{head}-{index}-{base}-{rest[1]}", f"{row}／{_translated_label(head, base, rest[1])}"
        return f"{head}-{index}-{name}", f"{row}／{_label(head, name)}"
    if head == "translations" and rest:
        lang, rest = rest[0], rest[1:]
        language = f"{LANGUAGE_LABELS.get(lang, lang)}翻譯"
        if not rest:
            return f"translations-{lang}", language
        name = rest[0]
        if name in _TRANSLATED_IN_ROW and len(rest) > 1 and isinstance(rest[1], int):
            part = rest[2] if len(rest) > 2 else _TRANSLATED_IN_ROW[name]
            return (f"{name}-{rest[1]}-{part}-{lang}",
                    f"{FIELD_LABELS[name]}第 {rest[1] + 1} 列／{_translated_label(name, part, lang)}")
        item = f"第 {rest[1] + 1} 項" if len(rest) > 1 and isinstance(rest[1], int) else ""
        return f"translations-{lang}-{name}", f"{language}／{FIELD_LABELS.get(name, name)}{item}"
    item = f"第 {rest[0] + 1} 項" if rest and isinstance(rest[0], int) else ""
    return str(head), f"{FIELD_LABELS.get(head, head)}{item}"


def explained(exc: ValidationError, locate=_locate) -> list[tuple[str, str, str]]:
    """Each validation problem as (input name, where, what to do), in Chinese; a value that could be read two ways
    (a translated contact: a name, or a name with hours) is reported once, by the way that says what is wrong.
    `locate` maps an error's location to (input name, where) for forms other than the service's (a place's)."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for error in exc.errors():
        name, where = locate(tuple(error["loc"]))
        if not name and error["type"] == "value_error":
            message = str(error.get("ctx", {}).get("error", ""))
            name = next((f for pattern, f in _SERVICE_PROBLEM_FIELDS if pattern.search(message)), "")
        found.setdefault((name, where), []).append((error["type"], _problem(error)))
    result = []
    for (name, where), problems in found.items():
        telling = [p for kind, p in problems if kind not in _TYPE_ERRORS] or [problems[0][1]]
        result.extend((name, where, problem) for problem in dict.fromkeys(telling))
    return result


def explain(exc: ValidationError) -> list[str]:
    """Each validation problem as one sentence staff can act on, naming the field (and row) in Chinese."""
    return [f"{where}：{problem}" if where else problem for _, where, problem in explained(exc)]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def blank_row(kind: str) -> dict[str, str]:
    """A new row's inputs: empty, yes/no questions at their usual answer."""
    row = {f.name: f.options[0][0] if f.options else "" for f in ROW_FIELDS[kind]}
    row.update({f"{f.name}-{lang}": "" for f in ROW_FIELDS[kind] if f.translated for lang in TRANSLATION_LANGS})
    return row


def blank_values() -> dict:
    """The form of a service not yet written."""
    values: dict = dict.fromkeys(("id", "title", "short_title", "summary", "category", "last_verified", *LINE_FIELDS), "")
    values.update(agency=AGENCIES[0], audience=[], plan_items=[], **{kind: [] for kind in ROW_KINDS})
    values["translations"] = {lang: dict.fromkeys((*TRANSLATION_TEXT_FIELDS, *TRANSLATION_LINE_FIELDS), "")
                              for lang in TRANSLATION_LANGS}
    return values


def _translated_entry(kind: str, name: str, translation: dict, index: int) -> str:
    listed = translation.get(kind, [])
    if index >= len(listed):
        return ""
    entry = listed[index]
    if kind == "contacts":
        entry = {"name": entry} if isinstance(entry, str) else entry
        return _text(entry.get(name))
    return _text(entry)


def _service_rows(dumped: dict) -> dict[str, list[dict[str, str]]]:
    translations = dumped.get("translations", {})
    rows: dict[str, list[dict[str, str]]] = {}
    for kind, fields in ROW_FIELDS.items():
        rows[kind] = []
        for index, item in enumerate(dumped.get(kind, [])):
            row = blank_row(kind)
            row.update({f.name: _text(item[f.name]) for f in fields if f.name in item})
            for f in fields:
                for lang in TRANSLATION_LANGS if f.translated else ():
                    if kind == "eligibility_check":
                        row[f"{f.name}-{lang}"] = item.get(_QUESTION_TRANSLATIONS[f.name], {}).get(lang, "")
                    else:
                        row[f"{f.name}-{lang}"] = _translated_entry(kind, f.name, translations.get(lang, {}), index)
            for part, name in _FACT_INPUTS.items():
                if part in item.get("answered_by", {}):
                    row[name] = _text(item["answered_by"][part])
            rows[kind].append(row)
    return rows


def form_values(data: dict) -> dict:
    """A service's fields as the strings (lists for checkboxes, rows for benefits, contacts…) the edit form shows."""
    service = Service.model_validate(data)
    dumped = service.model_dump(mode="json", exclude_none=True)
    values = blank_values()
    values.update({key: dumped.get(key) or "" for key in ("id", "title", "short_title", "agency", "summary")})
    values["category"] = service.category.value
    values["audience"] = [a.value for a in service.audience]
    values["plan_items"] = list(service.plan_items)
    values["last_verified"] = service.last_verified.isoformat()
    for key in LINE_FIELDS:
        values[key] = "\n".join(getattr(service, key))
    values.update(_service_rows(dumped))
    for row in values["contacts"]:  # as people read it; saved back to the dialled form by the schema
        row["phone"] = messages.display_phone(row["phone"]) if row["phone"] else ""
    # source_hash is bookkeeping, not text to edit: see _translation_fingerprints
    for lang, translation in dumped.get("translations", {}).items():
        typed = values["translations"][lang]
        typed.update({key: translation.get(key) or "" for key in TRANSLATION_TEXT_FIELDS})
        typed.update({key: "\n".join(translation.get(key, [])) for key in TRANSLATION_LINE_FIELDS})
    return values


def submitted_values(form) -> dict:
    """The form as submitted, kept as typed so a refused save loses nothing; rows in page order, rows left wholly
    empty dropped (that is also how a row is removed without the 「刪除」 button)."""
    values = {key: str(form.get(key, "")) for key in ("id", "title", "short_title", "agency", "summary", "category",
                                                         "last_verified", *LINE_FIELDS)}
    values["audience"] = [str(v) for v in form.getlist("audience")]
    values["plan_items"] = [str(v) for v in form.getlist("plan_items")]
    typed: dict[str, dict[int, dict[str, str]]] = {kind: {} for kind in ROW_KINDS}
    for key in form.keys():
        if match := _ROW_INPUT_RE.match(key):
            kind, index, name = match.groups()
            typed[kind].setdefault(int(index), {})[name] = str(form.get(key))
    for kind in ROW_KINDS:
        choices = {f.name for f in ROW_FIELDS[kind] if f.options}  # a select always sends a value: it says nothing
        blank = blank_row(kind)
        values[kind] = []
        for index in sorted(typed[kind]):
            row = {**blank, **{name: value for name, value in typed[kind][index].items() if name in blank}}
            if any(value.strip() for name, value in row.items() if name not in choices):
                values[kind].append(row)
    values["translations"] = {
        lang: {key: str(form.get(f"translations-{lang}-{key}", ""))
               for key in (*TRANSLATION_TEXT_FIELDS, *TRANSLATION_LINE_FIELDS)}
        for lang in TRANSLATION_LANGS
    }
    return values


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _row_data(kind: str, row: dict[str, str]) -> dict:
    """A row as the schema reads it: empty inputs left out (optional, or refused as missing), yes/no as booleans."""
    data = {f.name: row[f.name].strip() for f in ROW_FIELDS[kind]
            if row[f.name].strip() and f.name not in _FACT_INPUTS.values()}
    if kind == "eligibility_check":
        for name, key in _QUESTION_TRANSLATIONS.items():
            typed = {lang: row[f"{name}-{lang}"].strip() for lang in TRANSLATION_LANGS}
            data[key] = {lang: text for lang, text in typed.items() if text}
        if row["fact"].strip():
            data["answered_by"] = {part: row[name].strip() for part, name in _FACT_INPUTS.items() if row[name].strip()}
    return data


def _translations_data(values: dict) -> dict:
    """Each language a translation was written in: its own fieldset, and its words for the rows (in row order)."""
    translations = {}
    for lang in TRANSLATION_LANGS:
        typed = values["translations"][lang]
        data: dict = {key: typed[key].strip() for key in TRANSLATION_TEXT_FIELDS}
        data.update({key: _lines(typed[key]) for key in TRANSLATION_LINE_FIELDS})
        for kind, name in _TRANSLATED_IN_ROW.items():
            rows = values[kind]
            if kind == "contacts":
                entries = [{"name": r[f"name-{lang}"].strip(), "hours": r[f"hours-{lang}"].strip()} for r in rows]
                written = any(e["name"] or e["hours"] for e in entries)
                data[kind] = [e if e["hours"] else e["name"] for e in entries] if written else []
            else:
                entries = [r[f"{name}-{lang}"].strip() for r in rows]
                data[kind] = entries if any(entries) else []
        if any(data.values()):
            if not data["agency"]:
                del data["agency"]
            translations[lang] = data
    return translations


def service_from_values(values: dict, *, status: str, plan_item_names: set[str], previous: dict | None = None) -> Service:
    """Validate the edit form into a Service; FormErrors lists every problem (nothing is saved then)."""
    previous = previous or {}
    errors: list[str] = []
    fields: dict[str, list[str]] = {}
    data: dict = {key: values[key].strip() for key in ("id", "title", "agency", "summary", "category", "last_verified")}
    data["short_title"] = values["short_title"].strip() or None
    data["audience"] = _in_previous_order(values["audience"], previous.get("audience", []))
    data["plan_items"] = _in_previous_order(values["plan_items"], previous.get("plan_items", []))
    data["status"] = status
    for key in LINE_FIELDS:
        data[key] = _lines(values[key])
    for kind in ROW_KINDS:
        data[kind] = [_row_data(kind, row) for row in values[kind]]
    data["translations"] = _translations_data(values)
    unknown = [name for name in data["plan_items"] if name not in plan_item_names]
    if unknown:
        problem = f"找不到「{'、'.join(unknown)}」。"
        errors.append(f"施政計畫項目：{problem}")
        fields.setdefault("plan_items", []).append(problem)
    data["kind"] = previous.get("kind", "service")  # not on the form: a referral stays a referral
    try:
        service = Service.model_validate(data)
    except ValidationError as exc:
        for name, where, problem in explained(exc):
            errors.append(f"{where}：{problem}" if where else problem)
            if name:
                fields.setdefault(name, []).append(problem)
    if errors:
        raise FormErrors(errors, fields)
    return _translation_fingerprints(service, previous)


def _in_previous_order(chosen: list[str], previous: list[str]) -> list[str]:
    """Checkboxes arrive in page order; keep the order the service had, so an edit elsewhere changes no list."""
    return [v for v in previous if v in chosen] + [v for v in chosen if v not in previous]


def _translation_fingerprints(service: Service, previous: dict) -> Service:
    """A translation the editor left as it was keeps the fingerprint of the Chinese it was made from (so a change to
    the Chinese shows it stale); one the editor changed in this save was brought up to date by a person."""
    earlier = previous.get("translations", {})
    for lang, translation in service.translations.items():
        before = Translation.model_validate(earlier[lang]) if lang in earlier else None
        unchanged = before is not None and before.model_copy(update={"source_hash": None}) == translation.model_copy(
            update={"source_hash": None})
        translation.source_hash = before.source_hash if unchanged else service.fingerprint()
    return service


# --- The service list ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRow:
    service_id: str
    title: str
    agency: str
    category: str
    state: str  # live | offline | never
    draft_pending: bool  # the draft differs from what citizens get
    version: int | None
    published_at: dt.datetime | None
    published_by: str | None
    examples: int
    updated_at: dt.datetime
    updated_by: str


def service_rows(session: Session, query: str = "", category: str = "", state: str = "") -> list[ServiceRow]:
    latest = latest_versions(session)
    counts = dict(
        session.exec(
            select(Example.service_id, func.count()).where(col(Example.service_id).is_not(None)).group_by(Example.service_id)
        ).all()
    )
    needle = query.strip().lower()
    rows = []
    for draft in session.exec(select(ServiceDraft).order_by(ServiceDraft.service_id)):
        data, version = draft.data, latest.get(draft.service_id)
        if needle:
            haystack = " ".join(
                [draft.service_id, data.get("title", ""), data.get("short_title") or "", data.get("summary", ""),
                 *data.get("keywords", [])]
            ).lower()
            if needle not in haystack:
                continue
        if category and data.get("category") != category:
            continue
        row_state = "never" if version is None else "live" if version.data.get("status") == "published" else "offline"
        if state and row_state != state:
            continue
        live = version.data if version else None
        rows.append(
            ServiceRow(
                service_id=draft.service_id,
                title=data.get("title", draft.service_id),
                agency=data.get("agency", ""),
                category=CATEGORY_LABELS.get(data.get("category"), data.get("category", "")),
                state=row_state,
                draft_pending=live is None or {**draft.data, "status": "published"} != {**live, "status": "published"},
                version=version.version if version else None,
                published_at=local(version.published_at) if version else None,
                published_by=version.published_by if version else None,
                examples=counts.get(draft.service_id, 0),
                updated_at=local(draft.updated_at),
                updated_by=draft.updated_by,
            )
        )
    return rows


def versions_of(session: Session, item_id: str, kind: ContentKind = SERVICES) -> list[ServiceVersion | PlaceVersion]:
    return list(
        session.exec(
            select(kind.version)
            .where(kind.key_of(kind.version) == item_id)
            .order_by(col(kind.version.version).desc())
        )
    )


def examples_of(session: Session, service_id: str | None = None, intent: str | None = None) -> list[Example]:
    return list(
        session.exec(
            select(Example).where(Example.service_id == service_id, Example.intent == intent).order_by(Example.id)
        )
    )


def audit_entries(session: Session, target: str = "", actor: str = "", limit: int = 200) -> list[AuditLog]:
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
    if target:
        query = query.where(AuditLog.target == target)
    if actor:
        query = query.where(AuditLog.actor == actor)
    return list(session.exec(query))


# --- LINE preview and "try it" ---------------------------------------------------------------------------------------


def preview_messages(service: Service, lang: str = "zh-TW") -> list[dict]:
    """The card a citizen would get when the bot answers with this service."""
    return [messages.service_card(service, lang)]


SHOWN_CANDIDATES = 8  # more than the bot itself considers, so staff see what came close


@dataclass(frozen=True)
class CandidateRow:
    target: str
    service_id: str | None  # links to the service's page
    label: str
    score: float
    chosen: bool


@dataclass(frozen=True)
class TryResult:
    kind: str
    language: str
    confidence: float | None
    candidates: list[CandidateRow]
    reply: Reply


def candidate_label(candidate: Candidate, kb: KnowledgeBase) -> str:
    if candidate.kind == SERVICE and (service := kb.service(candidate.name)):
        return service.title
    if candidate.kind == PLAN and (item := kb.plan_item_by_id(candidate.name)):
        return f"施政計畫項目：{item.name}"
    if candidate.kind == INTENT:
        return f"對話意圖：{INTENT_LABELS.get(candidate.name, candidate.name)}"
    return candidate.target


def try_question(text: str, kb: KnowledgeBase, engine, language: str | None = None) -> TryResult:
    """What the bot would answer, with every candidate it weighed. Nothing is logged as a citizen's turn."""
    understanding = engine.understand(text)
    reply = answer_text(text, kb=kb, engine=engine, language=language or None)
    chosen = reply.matches[0].service_id if reply.kind == "answer" and reply.matches else None
    rows = [
        CandidateRow(c.target, c.service_id, candidate_label(c, kb), float(c.score),
                     chosen=chosen is not None and c.service_id == chosen)
        for c in engine.ranking(text)[:SHOWN_CANDIDATES]
    ]
    return TryResult(understanding.kind, understanding.language, understanding.confidence, rows, reply)


# --- Unanswered questions ------------------------------------------------------------------------------------------

_MASK_RE = re.compile(r"\[(email|ID|number|phone)\]")
_LATIN_WORD_RE = re.compile(r"[a-z0-9]+")
SIMILARITY_THRESHOLD = 0.5


def example_text(masked: str) -> str:
    """A citizen's masked message as an example phrasing: the placeholders of masked personal data dropped."""
    return re.sub(r"\s+", " ", _MASK_RE.sub(" ", masked)).strip()


def comparable(text: str) -> str:
    """Full-width folded, lower case, punctuation dropped, words kept apart by single spaces."""
    folded = unicodedata.normalize("NFKC", example_text(text)).lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def same_question_key(text: str) -> str:
    """「老闆欠薪！」, 「老闆 欠薪」 and 「老闆欠薪」 are one phrasing."""
    return comparable(text).replace(" ", "")


def _features(text: str) -> frozenset[str]:
    """Character bigrams of the non-Latin text and whole Latin words: how Chinese and Thai phrasings overlap, and
    how Indonesian, Vietnamese and English ones do."""
    words = set(_LATIN_WORD_RE.findall(text))
    rest = _LATIN_WORD_RE.sub(" ", text)
    grams: set[str] = set()
    for chunk in rest.split():
        if len(chunk) == 1:
            grams.add(chunk)
        grams.update(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return frozenset(words | grams)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two feature sets."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


@dataclass
class UnansweredGroup:
    texts: list[tuple[str, int]]  # distinct phrasings (masked) and how often each was asked, most asked first
    count: int = 0
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    reasons: Counter = field(default_factory=Counter)  # fallback | clarify | thumbs_down
    languages: Counter = field(default_factory=Counter)
    suggested_service: str | None = None  # the option the bot most often offered first when it asked back
    feedback: list[FeedbackNote] = field(default_factory=list)  # the 👎 in the group, newest first

    @property
    def title(self) -> str:
        return self.texts[0][0]


@dataclass(frozen=True)
class FeedbackNote:
    """A 👎 as staff read it: what was wrong (in Chinese), the service answered, the citizen's comment (masked)."""

    feedback_id: int
    reason: str | None  # 答非所問 / 資料有誤 / 看不懂 / 其他, None when the citizen chose none
    service_id: str | None
    comment: str | None
    at: dt.datetime


def _reason_label(reason: str | None) -> str | None:
    return texts.text(f"reason_{reason}", "zh-TW") if reason in FeedbackReason.__members__ else None


@dataclass
class _Phrasing:
    key: str
    features: frozenset[str]
    variants: Counter = field(default_factory=Counter)  # as typed (masked), for showing the most common form
    turns: list[ConversationTurn] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)
    feedback: list[FeedbackNote] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.variants.most_common(1)[0][0]


def unanswered_groups(session: Session, *, days: int = 30, limit_turns: int = 5000) -> list[UnansweredGroup]:
    """Questions that ended in a fallback, a clarifying question or a "not helpful", grouped by similarity, most asked first.

    A fallback or clarification whose phrasing is already an example (of a service or of out-of-scope) is left out:
    staff have dealt with it. A 👎 stays until staff resolve it (the answer may be wrong whatever the phrasing).
    """
    since = utcnow() - dt.timedelta(days=days)
    turns = list(
        session.exec(
            select(ConversationTurn)
            .where(
                ConversationTurn.created_at >= since,
                col(ConversationTurn.kind).in_(("fallback", "clarify")),
                # another agency's matter was answered as such (pointed elsewhere): not a question left unanswered
                or_(col(ConversationTurn.intent).is_(None), col(ConversationTurn.intent) != OUT_OF_SCOPE),
                col(ConversationTurn.text).is_not(None),
            )
            .order_by(col(ConversationTurn.id).desc())
            .limit(limit_turns)
        )
    )
    handled = {same_question_key(t) for t in session.exec(select(Example.text)).all()}
    phrasings: dict[str, _Phrasing] = {}
    seen_turns: set[int] = set()

    def add(turn: ConversationTurn, reason: str) -> _Phrasing:
        key = same_question_key(turn.text)
        phrasing = phrasings.get(key)
        if phrasing is None:
            phrasing = phrasings[key] = _Phrasing(key, _features(comparable(turn.text)))
        phrasing.reasons[reason] += 1
        if turn.id not in seen_turns:
            seen_turns.add(turn.id)
            phrasing.turns.append(turn)
            phrasing.variants[turn.text] += 1
        return phrasing

    for turn in turns:
        if (key := same_question_key(turn.text)) and key not in handled:
            add(turn, turn.kind)
    for feedback, answered, comment in _disliked(session, since, limit_turns):
        question = answered if answered.text else _question_before(session, answered)
        if question is None or not same_question_key(question.text):
            continue
        add(question, "thumbs_down").feedback.append(
            FeedbackNote(feedback.id, _reason_label(feedback.reason), feedback.service_id, comment, local(feedback.created_at)))
    ordered = sorted(phrasings.values(), key=lambda p: (-len(p.turns), p.key))
    clusters: list[list[_Phrasing]] = []
    for phrasing in ordered:  # the most asked phrasing of a group leads it; others join the most similar leader
        best, best_score = None, SIMILARITY_THRESHOLD
        for cluster in clusters:
            score = similarity(phrasing.features, cluster[0].features)
            if score >= best_score:
                best, best_score = cluster, score
        if best is None:
            clusters.append([phrasing])
        else:
            best.append(phrasing)
    groups = [_group(cluster) for cluster in clusters]
    return sorted(groups, key=lambda g: (-g.count, -(g.last_at.timestamp() if g.last_at else 0)))


def _group(cluster: list[_Phrasing]) -> UnansweredGroup:
    turns = [turn for phrasing in cluster for turn in phrasing.turns]
    group = UnansweredGroup(texts=[(p.text, len(p.turns)) for p in cluster], count=len(turns))
    group.first_at = local(min(t.created_at for t in turns))
    group.last_at = local(max(t.created_at for t in turns))
    for phrasing in cluster:
        group.reasons.update(phrasing.reasons)
        group.feedback.extend(phrasing.feedback)
    group.feedback.sort(key=lambda note: note.at, reverse=True)
    group.languages.update(t.language or "?" for t in turns)
    # Only a clarifying question's options are worth suggesting: a fallback's nearest services are weak guesses and a
    # disliked answer's service is the one the citizen did not want.
    firsts = Counter(t.candidates[0] for t in turns if t.kind == "clarify" and t.candidates)
    group.suggested_service = firsts.most_common(1)[0][0] if firsts else None
    return group


def _disliked(session: Session, since: dt.datetime, limit: int) -> list[tuple[Feedback, ConversationTurn, str | None]]:
    """Unresolved 👎 with the answer they rate and the comment the citizen wrote (masked), newest first."""
    comment_turn = aliased(ConversationTurn)
    return list(
        session.exec(
            select(Feedback, ConversationTurn, comment_turn.text)
            .join(ConversationTurn, col(Feedback.turn_id) == col(ConversationTurn.id))
            .join(comment_turn, col(Feedback.comment_turn_id) == col(comment_turn.id), isouter=True)
            .where(Feedback.created_at >= since, col(Feedback.helpful).is_(False), col(Feedback.resolved_at).is_(None))
            .order_by(col(Feedback.id).desc())
            .limit(limit)
        )
    )


QUESTION_BEFORE = dt.timedelta(minutes=30)


def _question_before(session: Session, answer: ConversationTurn) -> ConversationTurn | None:
    """For an answer opened by a tapped button (a clarification's choice): the question the person typed just
    before it."""
    if not answer.user_pseudonym:
        return None
    return session.exec(
        select(ConversationTurn)
        .where(ConversationTurn.user_pseudonym == answer.user_pseudonym, col(ConversationTurn.id) < answer.id,
               ConversationTurn.created_at >= answer.created_at - QUESTION_BEFORE,
               col(ConversationTurn.text).is_not(None))
        .order_by(col(ConversationTurn.id).desc())
        .limit(1)
    ).first()


def resolve_feedback(session: Session, feedback_ids: list[int], actor: str) -> int:
    """Staff dealt with these 👎 (added the question as an example, or fixed the content): they leave the list."""
    rows = session.exec(select(Feedback).where(col(Feedback.id).in_(feedback_ids), col(Feedback.resolved_at).is_(None)))
    resolved = 0
    for feedback in rows:
        feedback.resolved_at, feedback.resolved_by = utcnow(), actor
        session.add(feedback)
        resolved += 1
    return resolved


# --- Analytics ---------------------------------------------------------------------------------------------------


@dataclass
class Analytics:
    days: list[dt.date]
    per_day: dict[dt.date, Counter]  # day → count per kind
    total: int
    questions: int  # answered, clarified, fallen back or another agency's (small talk, media, check steps left out)
    fallback_rate: float | None  # the questions the bot could not place (another agency's matter is not one)
    out_of_scope: int  # another agency's matter, answered as such (「非本局業務」)
    top_services: list[tuple[str, str, int]]  # id, title, answers
    languages: list[tuple[str, int]]
    channels: list[tuple[str, int]]
    helpful: int
    unhelpful: int

    @property
    def feedback_ratio(self) -> float | None:
        total = self.helpful + self.unhelpful
        return self.helpful / total if total else None


def analytics(session: Session, kb: KnowledgeBase | None, *, days: int = 30, channel: str = "") -> Analytics:
    today = utcnow().astimezone(TAIPEI).date()
    first_day = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first_day, dt.time(), TAIPEI)
    query = select(ConversationTurn.created_at, ConversationTurn.kind, ConversationTurn.intent, ConversationTurn.service_id,
                   ConversationTurn.language, ConversationTurn.channel).where(ConversationTurn.created_at >= since)
    if channel:
        query = query.where(ConversationTurn.channel == channel)
    per_day: dict[dt.date, Counter] = {first_day + dt.timedelta(days=n): Counter() for n in range(days)}
    services, languages, channels, kinds = Counter(), Counter(), Counter(), Counter()
    for created_at, kind, intent, service_id, language, turn_channel in session.exec(query):
        if kind == "fallback" and intent == OUT_OF_SCOPE:  # pointed to the agency in charge: not a failure to answer
            kind = OUT_OF_SCOPE
        per_day.setdefault(created_at.astimezone(TAIPEI).date(), Counter())[kind] += 1
        kinds[kind] += 1
        languages[language or "?"] += 1
        channels[turn_channel] += 1
        if kind == "answer" and service_id:  # a check's steps are "flow": one check is not several answers
            services[service_id] += 1
    feedback = Counter(session.exec(select(Feedback.helpful).where(Feedback.created_at >= since)).all())
    questions = kinds["answer"] + kinds["clarify"] + kinds["fallback"] + kinds[OUT_OF_SCOPE]

    def title(service_id: str) -> str:
        service = kb.service(service_id) if kb else None
        return service.title if service else service_id

    return Analytics(
        days=sorted(per_day),
        per_day=per_day,
        total=sum(kinds.values()),
        questions=questions,
        fallback_rate=kinds["fallback"] / questions if questions else None,
        out_of_scope=kinds[OUT_OF_SCOPE],
        top_services=[(sid, title(sid), n) for sid, n in services.most_common(10)],
        languages=languages.most_common(),
        channels=channels.most_common(),
        helpful=feedback[True],
        unhelpful=feedback[False],
    )
