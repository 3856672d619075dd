"""What staff should re-check in the content, and why: `python -m app content-report` and the console's 待複查 view.

Content goes out of date quietly: a figure for last year, an application window that closed in spring, a phone
number that moved with its office, a translation made before the Chinese was corrected. Each finding names the
service, what is wrong and what to do; services are listed oldest-verified first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from app import yamlfile
from app.knowledge.schemas import PHONE_RE, Service, Status

RETIRED_NUMBERS_FILE = "retired_numbers.yaml"

# Verified more than this long ago: worth a look even when nothing else is wrong.
VERIFICATION_AGE_DAYS = 365
# An amount whose year is this many years behind today's is probably not today's amount.
OLD_AMOUNT_YEARS = 2

# Phone-like runs in free text: 04-2228-9111, (04)22289111, 0800-777-888, 0912 206 273, with an optional 分機/#.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\(0\d\)|0\d{1,3})[\d\- ]{6,12}\d(?:\s*(?:#|分機|轉)\s*\d{1,6})?")


class RetiredNumber(BaseModel):
    """A number that must no longer be given for the office it was listed for (the office moved, merged or was
    handed over; the line may still ring somewhere, but not at a counter that serves the citizen)."""

    model_config = ConfigDict(extra="forbid")
    phone: str
    was: str
    instead: str
    source: str


def load_retired_numbers(knowledge_dir: Path) -> list[RetiredNumber]:
    path = knowledge_dir / RETIRED_NUMBERS_FILE
    if not path.exists():
        return []
    return [RetiredNumber.model_validate(entry) for entry in yamlfile.safe_load(path.read_text(encoding="utf-8")) or []]


class Problem(StrEnum):
    old_sources = "old_sources"
    verification_age = "verification_age"
    window_closed = "window_closed"
    old_amount = "old_amount"
    unconfirmed_amount = "unconfirmed_amount"
    stale_translation = "stale_translation"
    phone = "phone"


PROBLEM_NAMES = {
    Problem.old_sources: "只有舊資料佐證",
    Problem.verification_age: "久未確認",
    Problem.window_closed: "申請期間已過",
    Problem.old_amount: "金額年份舊",
    Problem.unconfirmed_amount: "金額待確認",
    Problem.stale_translation: "翻譯過期",
    Problem.phone: "電話可疑",
}


@dataclass(frozen=True)
class Finding:
    problem: Problem
    detail: str


@dataclass
class ServiceReview:
    service_id: str
    title: str
    status: Status
    last_verified: dt.date
    age_days: int
    findings: list[Finding] = field(default_factory=list)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def phones_in_text(service: Service) -> list[str]:
    """Phone numbers written in the service's Chinese text (steps, notes …), as digits (extension after a comma)."""
    texts = [service.summary, *service.eligibility, *service.steps, *service.documents, *service.notes]
    found = []
    for text in texts:
        for match in _PHONE_IN_TEXT.finditer(text):
            parts = re.split(r"#|分機|轉", match.group(), maxsplit=1)
            number = _digits(parts[0])
            found.append(number + (f",{_digits(parts[1])}" if len(parts) > 1 and _digits(parts[1]) else ""))
    return found


def retired_numbers_in(service: Service, retired: list[RetiredNumber], in_text: list[str] | None = None
                       ) -> list[RetiredNumber]:
    """The retired numbers a service lists, in a contact or in its text (`in_text`: its phones_in_text, if known)."""
    in_text = phones_in_text(service) if in_text is None else in_text
    listed = {(c.phone or "").split(",")[0] for c in service.contacts} | {p.split(",")[0] for p in in_text}
    return [r for r in retired if r.phone in listed]


def _phone_findings(service: Service, retired: list[RetiredNumber]) -> list[Finding]:
    in_text = phones_in_text(service)
    findings = [Finding(Problem.phone, f"{r.phone}（{r.was}）不應再提供：{r.instead}（{r.source}）")
                for r in retired_numbers_in(service, retired, in_text)]
    for contact in service.contacts:
        if contact.phone and contact.phone.startswith("09"):
            findings.append(Finding(Problem.phone, f"{contact.name} 是手機號碼 {contact.phone}：私人號碼常換，請確認仍由承辦單位使用"))
    for number in in_text:
        if not PHONE_RE.match(number):
            findings.append(Finding(Problem.phone, f"內文的號碼 {number} 位數不對，撥不通"))
    return findings


def review_service(service: Service, today: dt.date, retired: Sequence[RetiredNumber] = ()) -> ServiceReview:
    age = (today - service.last_verified).days
    findings: list[Finding] = []
    if service.rests_on_old_sources(today):
        findings.append(Finding(Problem.old_sources, f"最新的來源是 {service.last_verified.year} 年；卡片會提醒民眾先來電確認"))
    elif age > VERIFICATION_AGE_DAYS:
        findings.append(Finding(Problem.verification_age, f"{age} 天前確認（{service.last_verified}）"))
    windows = service.application_windows
    if windows and all(w.closes < today for w in windows):
        last = max(windows, key=lambda w: w.closes)
        findings.append(Finding(Problem.window_closed, f"最後一期「{last.label}」已於 {last.closes} 截止，下一期的日期還沒填"))
    for benefit in service.benefits:
        if not benefit.confirmed and (benefit.valid_until is None or benefit.valid_until >= today):
            starts = f"（{benefit.valid_from} 起）" if benefit.valid_from and benefit.valid_from > today else ""
            findings.append(Finding(Problem.unconfirmed_amount, f"「{benefit.description}」{starts}尚未確認"))
        elif benefit.in_force(today) and benefit.amount and benefit.year <= today.year - OLD_AMOUNT_YEARS:
            findings.append(Finding(Problem.old_amount, f"「{benefit.description}」{benefit.amount} 是 {benefit.year} 年的金額"))
    for lang in service.stale_translations():
        findings.append(Finding(Problem.stale_translation, f"{lang} 翻譯是依較早的中文寫的，請更新後標記為最新"))
    findings += _phone_findings(service, list(retired))
    return ServiceReview(service.id, service.title, service.status, service.last_verified, age, findings)


def review(services: Sequence[Service], today: dt.date, retired: Sequence[RetiredNumber] = ()) -> list[ServiceReview]:
    """Every service with what to re-check, oldest-verified first."""
    reviews = [review_service(s, today, retired) for s in services]
    return sorted(reviews, key=lambda r: (-r.age_days, r.service_id))


def counts(reviews: list[ServiceReview]) -> dict[Problem, int]:
    """How many services have each problem."""
    return {problem: sum(any(f.problem is problem for f in r.findings) for r in reviews) for problem in Problem}


def as_text(reviews: list[ServiceReview], *, everything: bool = False) -> str:
    lines = ["待複查的內容（依最後確認日期，最久的在前）", ""]
    totals = counts(reviews)
    lines.append("　".join(f"{PROBLEM_NAMES[p]} {n}" for p, n in totals.items()))
    lines.append("")
    for r in reviews:
        if not r.findings and not everything:
            continue
        lines.append(f"{r.service_id}　{r.title}　（{r.status.value}，確認於 {r.last_verified}，{r.age_days} 天前）")
        lines += [f"  - [{PROBLEM_NAMES[f.problem]}] {f.detail}" for f in r.findings] or ["  - 沒有發現問題"]
    return "\n".join(lines)
