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

import yaml
from pydantic import ValidationError
from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from app.conversation import messages
from app.conversation.models import ConversationTurn, Feedback
from app.conversation.service import Reply, answer_text
from app.db import TAIPEI, utcnow
from app.knowledge.models import AuditLog, Example, ServiceDraft, ServiceVersion
from app.knowledge.schemas import AGENCY_MOL, AGENCY_TAICHUNG, Audience, Category, Service, Translation
from app.knowledge.service import KnowledgeBase, latest_versions
from app.nlu.documents import OUT_OF_SCOPE

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
    "import": "匯入內容", "create_draft": "新增服務草稿", "save_draft": "儲存草稿", "publish": "發布",
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
    "en": "英文", "id_": "印尼文", "vi": "越南文", "th": "泰文",
}
INTENT_LABELS = {"greeting": "打招呼", "thanks": "道謝", "menu": "選單", "human": "找真人", "feedback": "意見回饋",
                 "out_of_scope": "非本局業務"}
AGENCIES = (AGENCY_TAICHUNG, AGENCY_MOL)

_VALUE_ERRORS = (
    (re.compile(r"is not a dialable"), "電話只能填數字，分機接在逗號後面，例如 0422289111,35099、0800777888 或 1955。"),
    (re.compile(r"a contact needs"), "每個聯絡窗口至少要有電話、網址或地址其中一項。"),
    (re.compile(r"a source needs"), "每筆資料來源至少要有網址（url）或種子檔名（seed）。"),
    (re.compile(r"is not backed by a source of"), "最後確認日期要有同一年的資料來源佐證：請在資料來源加上那次確認所依據的來源（含年份），"
     "或把日期改成最新來源的日期。"),
    (re.compile(r"a figure that ends on"), "名稱和摘要不要寫會到期的金額（例如今年的最低工資）：金額寫在「補助／金額」，機器人會挑當天適用的那一筆。"),
    (re.compile(r"valid_until .* is before valid_from"), "金額的適用迄日（valid_until）不能早於適用起日（valid_from）。"),
    (re.compile(r"closes before it opens"), "申請期間的截止日（closes）不能早於開始日（opens）。"),
    (re.compile(r"unknown translation languages"), "翻譯只能用這些語言代碼：en（英文）、id（印尼文）、vi（越南文）、th（泰文）。"),
)
_PUBLISHED_NEEDS = {"eligibility": "至少一項資格", "steps (≥ 2)": "至少兩個申請步驟", "steps": "至少一個步驟", "contacts": "至少一個聯絡窗口",
                    "sources": "至少一筆資料來源"}


def _where(location: tuple) -> str:
    parts = []
    for index, part in enumerate(location):
        if isinstance(part, int):
            parts.append(f"第 {part + 1} 項")
        elif part == "id" and index > 0 and location[index - 1] == "translations":
            parts.append(FIELD_LABELS["id_"])
        else:
            parts.append(FIELD_LABELS.get(part, part))
    return "／".join(parts)


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
        return "格式不正確：只能用小寫英文字母、數字和連字號，例如 tc-youth-startup。"
    if kind == "enum":
        return f"只能是這些值之一：{ctx['expected']}。"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "日期請寫成 YYYY-MM-DD，例如 2026-11-21。"
    if kind.startswith("url"):
        return "網址格式不正確，請寫完整網址，例如 https://www.labor.taichung.gov.tw/。"
    if kind == "extra_forbidden":
        return "沒有這個欄位，可能是拼錯了。"
    if kind.startswith("int"):
        return "必須是整數，例如年份 2026。"
    if kind.startswith("bool"):
        return "只能填 true（是）或 false（否）。"
    if kind == "greater_than_equal":
        return f"不能小於 {ctx['ge']}。"
    if kind == "less_than_equal":
        return f"不能大於 {ctx['le']}。"
    if kind == "list_type":
        return "應該是清單：每一項一行，以「- 」開頭。"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "格式不正確，應該是「欄位: 值」的形式。"
    if kind == "string_type":
        return "應該是文字。"
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


def explain(exc: ValidationError, within: str | None = None) -> list[str]:
    """Each validation problem as one sentence staff can act on, naming the field in Chinese."""
    lines = []
    for error in exc.errors():
        location = ((within,) if within else ()) + tuple(error["loc"])
        where = _where(location)
        lines.append(f"{where}：{_problem(error)}" if where else _problem(error))
    return lines


# --- Services as a form and back ---------------------------------------------------------------------------------

LINE_FIELDS = ("eligibility", "steps", "documents", "notes", "keywords")
YAML_FIELDS = ("benefits", "application_windows", "contacts", "sources", "eligibility_check", "translations")
YAML_EMPTY = {"benefits": [], "application_windows": [], "contacts": [], "sources": [], "eligibility_check": [],
              "translations": {}}
YAML_HINTS = {
    "benefits": "- description: 同一事業單位同一年度補助上限\n  amount: NT$150,000\n  year: 2026\n"
    "  valid_until: 2026-12-31   # 選填：金額適用的最後一天（另有 valid_from 起日；未確認的金額加 confirmed: false）",
    "application_windows": "- label: 2027年第1期\n  opens: 2027-01-01\n  closes: 2027-02-28",
    "contacts": '- name: 臺中市政府勞工局\n  phone: "0422289111,35099"\n  url: https://www.labor.taichung.gov.tw/\n'
    "  address: 臺中市西屯區臺灣大道三段99號\n  hours: 週一至週五 08:00-12:00、13:30-17:30",
    "sources": "- title: 臺中市政府勞工局115年度施政計畫\n  url: https://www.labor.taichung.gov.tw/\n  year: 2026",
    "eligibility_check": "- id: in_taichung\n  question: 您在臺中市工作嗎？\n  qualifying_answer: true\n"
    "  reason_if_not: 這項服務限在臺中市工作的勞工；其他縣市請撥 1955。",
    "translations": "en:\n  title: ...\n  summary: ...\n  eligibility:\n    - ...\n  steps:\n    - ...",
}


class FormErrors(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _block_yaml(value) -> str:
    if value in ([], {}, None):
        return ""
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=10_000)


def form_values(data: dict) -> dict:
    """A service's fields as the strings (and lists, for checkboxes) the edit form shows."""
    service = Service.model_validate(data)
    dumped = service.model_dump(mode="json", exclude_none=True)
    values = {key: dumped.get(key) or "" for key in ("id", "title", "short_title", "agency", "summary")}
    values["category"] = service.category.value
    values["audience"] = [a.value for a in service.audience]
    values["plan_items"] = list(service.plan_items)
    values["last_verified"] = service.last_verified.isoformat()
    for key in LINE_FIELDS:
        values[key] = "\n".join(getattr(service, key))
    for translation in dumped.get("translations", {}).values():
        translation.pop("source_hash", None)  # bookkeeping, not text to edit: see _translation_fingerprints
    for key in YAML_FIELDS:
        values[key] = _block_yaml(dumped.get(key))
    return values


def submitted_values(form) -> dict:
    """The form as submitted, kept as typed so a refused save loses nothing."""
    values = {key: str(form.get(key, "")) for key in ("id", "title", "short_title", "agency", "summary", "category",
                                                         "last_verified", *LINE_FIELDS, *YAML_FIELDS)}
    values["audience"] = [str(v) for v in form.getlist("audience")]
    values["plan_items"] = [str(v) for v in form.getlist("plan_items")]
    return values


def _in_previous_order(chosen: list[str], previous: list[str]) -> list[str]:
    """Checkboxes arrive in page order; keep the order the service had, so an edit elsewhere changes no list."""
    return [v for v in previous if v in chosen] + [v for v in chosen if v not in previous]


def service_from_values(values: dict, *, status: str, plan_item_names: set[str], previous: dict | None = None) -> Service:
    """Validate the edit form into a Service; FormErrors lists every problem (nothing is saved then)."""
    previous = previous or {}
    errors: list[str] = []
    data: dict = {key: values[key].strip() for key in ("id", "title", "agency", "summary", "category", "last_verified")}
    data["short_title"] = values["short_title"].strip() or None
    data["audience"] = _in_previous_order(values["audience"], previous.get("audience", []))
    data["plan_items"] = _in_previous_order(values["plan_items"], previous.get("plan_items", []))
    data["status"] = status
    for key in LINE_FIELDS:
        data[key] = [line.strip() for line in values[key].splitlines() if line.strip()]
    for key in YAML_FIELDS:
        text = values[key]
        if not text.strip():
            data[key] = YAML_EMPTY[key]
            continue
        try:
            data[key] = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"第 {mark.line + 1} 行" if mark else ""
            errors.append(f"{FIELD_LABELS[key]}：YAML 格式有誤{line}，請檢查縮排和冒號（{getattr(exc, 'problem', '')}）。")
            data[key] = YAML_EMPTY[key]
    unknown = [name for name in data["plan_items"] if name not in plan_item_names]
    if unknown:
        errors.append(f"施政計畫項目：找不到「{'、'.join(unknown)}」。")
    data["kind"] = previous.get("kind", "service")  # not on the form: a referral stays a referral
    try:
        service = Service.model_validate(data)
    except ValidationError as exc:
        errors.extend(explain(exc))
    if errors:
        raise FormErrors(errors)
    return _translation_fingerprints(service, previous)


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


def versions_of(session: Session, service_id: str) -> list[ServiceVersion]:
    return list(
        session.exec(
            select(ServiceVersion)
            .where(ServiceVersion.service_id == service_id)
            .order_by(col(ServiceVersion.version).desc())
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


def target_label(target: str, kb: KnowledgeBase) -> str:
    kind, _, name = target.partition(":")
    if kind == "service" and (service := kb.service(name)):
        return service.title
    if kind == "plan" and (item := next((p for p in kb.plan_items if p.id == name), None)):
        return f"施政計畫項目：{item.name}"
    if kind == "intent":
        return f"對話意圖：{INTENT_LABELS.get(name, name)}"
    return target


def try_question(text: str, kb: KnowledgeBase, engine, language: str | None = None) -> TryResult:
    """What the bot would answer, with every candidate it weighed. Nothing is logged as a citizen's turn."""
    understanding = engine.understand(text)
    reply = answer_text(text, kb=kb, engine=engine, language=language or None)
    chosen = reply.matches[0].service_id if reply.kind == "answer" and reply.matches else None
    rows = [
        CandidateRow(c.target, target_label(c.target, kb), float(c.score), c.target == f"service:{chosen}")
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

    @property
    def title(self) -> str:
        return self.texts[0][0]


@dataclass
class _Phrasing:
    key: str
    features: frozenset[str]
    variants: Counter = field(default_factory=Counter)  # as typed (masked), for showing the most common form
    turns: list[ConversationTurn] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)

    @property
    def text(self) -> str:
        return self.variants.most_common(1)[0][0]


def unanswered_groups(session: Session, *, days: int = 30, limit_turns: int = 5000) -> list[UnansweredGroup]:
    """Questions that ended in a fallback, a clarifying question or a "not helpful", grouped by similarity, most asked first.

    A phrasing that is already an example (of a service or of out-of-scope) is left out: staff have dealt with it.
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
    disliked = list(
        session.exec(
            select(ConversationTurn)
            .join(Feedback, col(Feedback.turn_id) == col(ConversationTurn.id))
            .where(Feedback.created_at >= since, col(Feedback.helpful).is_(False), col(ConversationTurn.text).is_not(None))
            .limit(limit_turns)
        )
    )
    handled = {same_question_key(t) for t in session.exec(select(Example.text)).all()}
    phrasings: dict[str, _Phrasing] = {}
    seen_turns: set[int] = set()
    for reason_turns, thumbs_down in ((turns, False), (disliked, True)):
        for turn in reason_turns:
            key = same_question_key(turn.text)
            if not key or key in handled:
                continue
            phrasing = phrasings.get(key)
            if phrasing is None:
                phrasing = phrasings[key] = _Phrasing(key, _features(comparable(turn.text)))
            phrasing.reasons["thumbs_down" if thumbs_down else turn.kind] += 1
            if turn.id not in seen_turns:
                seen_turns.add(turn.id)
                phrasing.turns.append(turn)
                phrasing.variants[turn.text] += 1
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
    group.languages.update(t.language or "?" for t in turns)
    # Only a clarifying question's options are worth suggesting: a fallback's nearest services are weak guesses and a
    # disliked answer's service is the one the citizen did not want.
    firsts = Counter(t.candidates[0] for t in turns if t.kind == "clarify" and t.candidates)
    group.suggested_service = firsts.most_common(1)[0][0] if firsts else None
    return group


# --- Analytics ---------------------------------------------------------------------------------------------------


@dataclass
class Analytics:
    days: list[dt.date]
    per_day: dict[dt.date, Counter]  # day → count per kind
    total: int
    questions: int  # answered, clarified or fallen back (small talk and media left out)
    fallback_rate: float | None
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
    query = select(ConversationTurn.created_at, ConversationTurn.kind, ConversationTurn.service_id,
                   ConversationTurn.language, ConversationTurn.channel).where(ConversationTurn.created_at >= since)
    if channel:
        query = query.where(ConversationTurn.channel == channel)
    per_day: dict[dt.date, Counter] = {first_day + dt.timedelta(days=n): Counter() for n in range(days)}
    services, languages, channels, kinds = Counter(), Counter(), Counter(), Counter()
    for created_at, kind, service_id, language, turn_channel in session.exec(query):
        per_day.setdefault(created_at.astimezone(TAIPEI).date(), Counter())[kind] += 1
        kinds[kind] += 1
        languages[language or "?"] += 1
        channels[turn_channel] += 1
        if kind == "answer" and service_id:
            services[service_id] += 1
    feedback = Counter(session.exec(select(Feedback.helpful).where(Feedback.created_at >= since)).all())
    questions = kinds["answer"] + kinds["clarify"] + kinds["fallback"]

    def title(service_id: str) -> str:
        service = kb.service(service_id) if kb else None
        return service.title if service else service_id

    return Analytics(
        days=sorted(per_day),
        per_day=per_day,
        total=sum(kinds.values()),
        questions=questions,
        fallback_rate=kinds["fallback"] / questions if questions else None,
        top_services=[(sid, title(sid), n) for sid, n in services.most_common(10)],
        languages=languages.most_common(),
        channels=channels.most_common(),
        helpful=feedback[True],
        unhelpful=feedback[False],
    )
