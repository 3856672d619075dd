"""Small inline SVG charts for the analytics page: no script, no network, readable without colour (values are
written on the bars and every bar has a tooltip)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from markupsafe import Markup

# Colour-blind-safe palette (Okabe–Ito): answered, clarified, fell back, another agency's, everything else.
SERIES = (
    ("answer", "已回答", "#0072B2"),
    ("clarify", "請對方選擇", "#E69F00"),
    ("fallback", "無法回答", "#D55E00"),
    ("out_of_scope", "非本局業務", "#CC79A7"),
    ("other", "其他（寒暄、選單、資格檢核步驟、圖片）", "#999999"),
)


def _nice_max(value: int) -> int:
    """A round axis maximum at or above value: 1, 2, 5, 10, 20, 50 …"""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def daily_bars(days: list[dt.date], per_day: dict[dt.date, Counter]) -> Markup:
    """Stacked bars of messages per day, by how the bot answered. Every few bars carry their date, counted back
    from the last (today's), so the day staff look at first is always labelled."""
    width, height, left, bottom, top = 760, 240, 40, 28, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    totals = [sum(per_day[d].values()) for d in days]
    ceiling = _nice_max(max(totals, default=0) or 1)
    slot = plot_w / max(len(days), 1)
    bar = max(2.0, slot * 0.7)
    parts = [
        Markup('<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="每日訊息數">').format(width, height)
    ]
    for tick in (0, ceiling // 2, ceiling):
        y = top + plot_h - plot_h * tick / ceiling
        parts.append(Markup('<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#ddd"/>').format(left, width - 10, y, y))
        parts.append(Markup('<text x="{}" y="{:.1f}" text-anchor="end" font-size="11" fill="#555">{}</text>').format(
            left - 4, y + 4, tick))
    label_every = max(1, len(days) // 10)
    for index, day in enumerate(days):
        counts = per_day[day]
        x = left + index * slot + (slot - bar) / 2
        y = top + plot_h
        values = {key: counts[key] for key, _, _ in SERIES[:-1]}
        values["other"] = sum(counts.values()) - sum(values.values())
        for key, label, colour in SERIES:
            h = plot_h * values[key] / ceiling
            if h <= 0:
                continue
            y -= h
            parts.append(Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                                '<title>{} {}：{} 則</title></rect>').format(x, y, bar, h, colour, day.isoformat(),
                                                                         label, values[key]))
        if (len(days) - 1 - index) % label_every == 0:
            parts.append(Markup('<text x="{:.1f}" y="{}" text-anchor="middle" font-size="11" fill="#555">{}</text>')
                         .format(x + bar / 2, height - 8, f"{day.month}/{day.day}"))
    parts.append(Markup("</svg>"))
    legend = Markup("").join(
        Markup('<span class="legend-item"><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
               'fill="{}"/></svg> {}</span>').format(colour, label)
        for _, label, colour in SERIES
    )
    return Markup("").join(parts) + Markup('<div class="legend">{}</div>').format(legend)


# Half-page charts: drawn at about the size they are shown, so 13px text stays 13px.
HALF_WIDTH = 540
CJK_CHAR_PX = 13


def horizontal_bars(items: list[tuple[str, int]], colour: str = "#0072B2", label_width: int = 200) -> Markup:
    """One labelled bar per item, longest first, with its value at the end."""
    if not items:
        return Markup('<p class="muted">這段期間沒有資料。</p>')
    row, width = 26, HALF_WIDTH
    max_chars = label_width // CJK_CHAR_PX
    height = row * len(items) + 4
    ceiling = max(value for _, value in items) or 1
    plot_w = width - label_width - 60
    parts = [Markup('<svg class="chart" viewBox="0 0 {} {}" role="img">').format(width, height)]
    for index, (label, value) in enumerate(items):
        y = index * row + 4
        w = max(1.0, plot_w * value / ceiling)
        shown = label if len(label) <= max_chars else label[: max_chars - 1] + "…"
        parts.append(Markup('<text x="{}" y="{}" text-anchor="end" font-size="13" fill="#222">{}<title>{}</title></text>')
                     .format(label_width - 8, y + 15, shown, label))
        parts.append(Markup('<rect x="{}" y="{}" width="{:.1f}" height="18" fill="{}"><title>{}：{}</title></rect>')
                     .format(label_width, y + 2, w, colour, label, value))
        parts.append(Markup('<text x="{:.1f}" y="{}" font-size="12" fill="#222">{}</text>').format(
            label_width + w + 6, y + 15, value))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def share_bar(parts: list[tuple[str, int, str]]) -> Markup:
    """One bar split into shares (e.g. helpful vs not helpful), each share labelled with its count and percentage."""
    total = sum(value for _, value, _ in parts)
    if not total:
        return Markup('<p class="muted">這段期間沒有資料。</p>')
    width, x = HALF_WIDTH, 0.0
    out = [Markup('<svg class="chart" viewBox="0 0 {} 40" role="img">').format(width)]
    for label, value, colour in parts:
        w = width * value / total
        if w <= 0:
            continue
        out.append(Markup('<rect x="{:.1f}" y="0" width="{:.1f}" height="40" fill="{}"><title>{}：{}</title></rect>')
                   .format(x, w, colour, label, value))
        if w > 150:
            out.append(Markup('<text x="{:.1f}" y="25" font-size="13" fill="#fff">{} {}（{:.0%}）</text>').format(
                x + 8, label, value, value / total))
        x += w
    out.append(Markup("</svg>"))
    return Markup("").join(out)
