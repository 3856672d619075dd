"""A staff-readable catalogue of everything the bot knows: `python -m app catalogue [--format md|html]`.

Per agency and work plan, every plan item with the services that answer it (or its honest one-line answer), then
every service with eligibility, steps, amounts, contacts, sources and last-verified date.
"""

from __future__ import annotations

import html
from itertools import groupby

from app.knowledge.schemas import Benefit, Kind, Service
from app.knowledge.service import KnowledgeBase


def _period(benefit: Benefit) -> str:
    if benefit.valid_from and benefit.valid_until:
        return f"，{benefit.valid_from} 至 {benefit.valid_until}"
    if benefit.valid_from:
        return f"，{benefit.valid_from} 起"
    return f"，至 {benefit.valid_until}" if benefit.valid_until else ""


def _service_md(service: Service) -> list[str]:
    kind = "，轉介其他機關" if service.kind is Kind.referral else ""
    lines = [f"### {service.title} (`{service.id}`, {service.status.value}{kind})", "", service.summary, ""]
    sections = (("適用對象／資格", service.eligibility), ("申請步驟", service.steps), ("應備文件", service.documents),
                ("注意", service.notes))
    for heading, items in sections:
        if items:
            numbered = heading == "申請步驟"
            lines += [f"**{heading}**", ""] + [f"{n}. {i}" if numbered else f"- {i}" for n, i in enumerate(items, 1)]
            lines.append("")
    if service.benefits:
        lines += ["**金額**", ""] + [f"- {b.description}：{b.amount or '—'}（{b.year}{_period(b)}）"
                                   f"{'' if b.confirmed else '【未確認】'}" for b in service.benefits] + [""]
    if service.application_windows:
        lines += ["**申請期間**", ""] + [f"- {w.label}：{w.opens} 至 {w.closes}" for w in service.application_windows] + [""]
    lines += ["**洽詢**", ""]
    for c in service.contacts:
        lines.append(f"- {c.name} " + " ".join(str(x) for x in (c.phone, c.url, c.address, c.hours) if x))
    lines += ["", "**來源**", ""]
    lines += [f"- {s.title}（{s.year or '年份不詳'}）{s.url or s.seed}" for s in service.sources]
    lines += ["", f"計畫項目：{'、'.join(service.plan_items)}　最後確認：{service.last_verified}",
              f"翻譯：{', '.join(sorted(service.translations)) or '—'}", ""]
    return lines


def markdown(kb: KnowledgeBase) -> str:
    services_by_item: dict[str, list[Service]] = {}
    for service in kb.services:
        for name in service.plan_items:
            services_by_item.setdefault(name, []).append(service)
    lines = ["# 知識庫目錄 Knowledge catalogue", "",
             f"{len(kb.plan_items)} 個計畫項目、{len(kb.services)} 項服務（{len(kb.published)} 項已發布）。", ""]
    lines += ["## 計畫項目 Plan items", ""]
    for agency, items in groupby(kb.plan_items, key=lambda p: p.agency):
        lines += [f"### {agency}", ""]
        for work_plan, group in groupby(items, key=lambda p: p.work_plan):
            lines += [f"**{work_plan}**", ""]
            for item in group:
                answered_by = services_by_item.get(item.name, [])
                target = "、".join(f"{s.title} (`{s.id}`)" for s in answered_by) or f"（內部業務）{item.citizen_answer or '—'}"
                lines.append(f"- `{item.id}` {item.name} → {target}")
            lines.append("")
    lines += ["## 服務 Services", ""]
    for service in kb.services:
        lines += _service_md(service)
    return "\n".join(lines)


def html_page(kb: KnowledgeBase) -> str:
    """The same catalogue as one self-contained HTML page (no scripts, printable)."""
    body = []
    for line in markdown(kb).splitlines():
        escaped = html.escape(line).replace("**", "")
        if line.startswith("### "):
            body.append(f"<h3>{escaped[4:]}</h3>")
        elif line.startswith("## "):
            body.append(f"<h2>{escaped[3:]}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{escaped[2:]}</h1>")
        elif line.startswith("- ") or line[:1].isdigit() and ". " in line[:4]:
            body.append(f"<li>{escaped.split(' ', 1)[1]}</li>")
        elif line:
            body.append(f"<p>{escaped}</p>")
    return ("<!doctype html><html lang='zh-Hant-TW'><meta charset='utf-8'><title>知識庫目錄</title>"
            "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.5}"
            "li{margin-left:1.5rem}h3{margin-top:2rem}</style>" + "\n".join(body) + "</html>")
