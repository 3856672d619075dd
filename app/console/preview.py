"""LINE message objects (the dicts the bot sends) drawn as HTML, roughly as the LINE app shows them.

Covers what the bot sends: text with quick replies, and flex bubbles and carousels (boxes, text, spans, buttons,
separators, images and icons as placeholders). Everything from the message is escaped; colours are used only when
they are plain hex colours, so content can never inject markup or CSS.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")
_LENGTH = re.compile(r"^\d{1,3}(px|%)$")
_KEYWORD_PX = {"none": "0", "xs": "2px", "sm": "4px", "md": "8px", "lg": "12px", "xl": "16px", "xxl": "20px"}
_SIZES = {"xxs", "xs", "sm", "md", "lg", "xl", "xxl", "3xl", "4xl", "5xl"}
_SPACINGS = {"none", "xs", "sm", "md", "lg", "xl", "xxl"}


def _colour(value: object, prop: str = "color") -> str:
    return f"{prop}:{value};" if isinstance(value, str) and _HEX_COLOUR.match(value) else ""


def _length(value: object, prop: str) -> str:
    """A CSS length from a flex keyword ("md") or an explicit "8px" / "5%"; anything else is ignored."""
    if isinstance(value, str) and value in _KEYWORD_PX:
        return f"{prop}:{_KEYWORD_PX[value]};"
    return f"{prop}:{value};" if isinstance(value, str) and _LENGTH.match(value) else ""


def _classes(*names: str) -> str:
    return " ".join(n for n in names if n)


def _keyword(value: object, allowed: set[str], prefix: str) -> str:
    return f"{prefix}-{value}" if isinstance(value, str) and value in allowed else ""


def action_label(action: dict | None) -> str:
    return str((action or {}).get("label") or (action or {}).get("text") or "")


def _action_target(action: dict | None) -> str:
    """What tapping does, as a tooltip: the URL opened, the phone dialled or the text sent."""
    action = action or {}
    kind = action.get("type")
    if kind == "uri":
        return f"開啟：{action.get('uri', '')}"
    if kind == "message":
        return f"送出文字：{action.get('text', '')}"
    if kind == "postback":
        return f"回傳：{action.get('displayText') or action.get('data', '')}"
    return str(kind or "")


def _component(node: dict) -> Markup:
    kind = node.get("type")
    if kind == "box":
        layout = node.get("layout", "vertical")
        style = _colour(node.get("backgroundColor"), "background-color") + "".join(
            _length(node.get(key), prop)
            for key, prop in (("paddingAll", "padding"), ("paddingTop", "padding-top"),
                              ("paddingBottom", "padding-bottom"), ("paddingStart", "padding-left"),
                              ("paddingEnd", "padding-right"), ("cornerRadius", "border-radius"))
        )
        inner = Markup("").join(_component(child) for child in node.get("contents", []))
        classes = _classes("fx-box", f"fx-{layout}" if layout in ("vertical", "horizontal", "baseline") else "",
                           _keyword(node.get("spacing"), _SPACINGS, "fx-gap"),
                           _keyword(node.get("margin"), _SPACINGS, "fx-mt"))
        return Markup('<div class="{}" style="{}">{}</div>').format(classes, style, inner)
    if kind == "text":
        spans = node.get("contents")
        body = (
            Markup("").join(
                Markup('<span class="{}" style="{}">{}</span>').format(
                    "fx-bold" if span.get("weight") == "bold" else "", _colour(span.get("color")), span.get("text", "")
                )
                for span in spans
                if span.get("type") == "span"
            )
            if spans
            else escape(node.get("text", ""))
        )
        classes = _classes("fx-text", _keyword(node.get("size", "md"), _SIZES, "fx-size"),
                           "fx-bold" if node.get("weight") == "bold" else "",
                           "fx-wrap" if node.get("wrap") else "fx-nowrap",
                           _keyword(node.get("margin"), _SPACINGS, "fx-mt"),
                           f"fx-align-{node['align']}" if node.get("align") in ("start", "end", "center") else "")
        flex = "flex:0 0 auto;" if node.get("flex") == 0 else ""
        return Markup('<div class="{}" style="{}">{}</div>').format(classes, _colour(node.get("color")) + flex, body)
    if kind == "button":
        action = node.get("action")
        style = node.get("style", "link")
        colour = _colour(node.get("color"), "background-color" if style == "primary" else "color")
        classes = _classes("fx-button", f"fx-button-{style}" if style in ("primary", "secondary", "link") else "",
                           _keyword(node.get("margin"), _SPACINGS, "fx-mt"))
        return Markup('<div class="{}" style="{}" title="{}">{}</div>').format(
            classes, colour, _action_target(action), action_label(action)
        )
    if kind == "separator":
        return Markup('<hr class="{}">').format(_classes("fx-separator", _keyword(node.get("margin"), _SPACINGS, "fx-mt")))
    if kind in ("image", "video"):
        return Markup('<div class="fx-image" title="{}">（圖片）</div>').format(node.get("url", ""))
    if kind == "icon":
        return Markup('<span class="fx-icon">•</span>')
    if kind in ("filler", "spacer"):
        return Markup('<div class="fx-filler"></div>')
    return Markup('<div class="fx-unknown">（{}）</div>').format(kind or "未知元件")


def _bubble(bubble: dict) -> Markup:
    parts = []
    for block in ("header", "hero", "body", "footer"):
        if block in bubble:
            style = _colour(bubble.get("styles", {}).get(block, {}).get("backgroundColor"), "background-color")
            parts.append(
                Markup('<div class="fx-block fx-{}" style="{}">{}</div>').format(block, style, _component(bubble[block]))
            )
    size = bubble.get("size", "mega")
    return Markup('<div class="fx-bubble fx-bubble-{}">{}</div>').format(
        size if size in ("nano", "micro", "deca", "hecto", "kilo", "mega", "giga") else "mega", Markup("").join(parts)
    )


def _flex(contents: dict) -> Markup:
    if contents.get("type") == "carousel":
        return Markup('<div class="fx-carousel">{}</div>').format(
            Markup("").join(_bubble(b) for b in contents.get("contents", []))
        )
    return _bubble(contents)


def _quick_replies(message: dict) -> Markup:
    items = message.get("quickReply", {}).get("items", [])
    if not items:
        return Markup("")
    chips = Markup("").join(
        Markup('<span class="line-chip" title="{}">{}</span>').format(_action_target(i.get("action")),
                                                                     action_label(i.get("action")))
        for i in items
    )
    return Markup('<div class="line-quick">{}</div>').format(chips)


def render_messages(messages: list[dict]) -> Markup:
    """A LINE chat screen with the bot's messages, in the order they arrive."""
    out = []
    for message in messages:
        kind = message.get("type")
        if kind == "text":
            body = Markup('<div class="line-bubble">{}</div>').format(message.get("text", ""))
        elif kind == "flex":
            body = Markup('<div class="line-flex" title="通知預覽文字：{}">{}</div>').format(
                message.get("altText", ""), _flex(message.get("contents", {}))
            )
        else:
            body = Markup('<div class="line-bubble">（{} 訊息）</div>').format(kind)
        out.append(Markup('<div class="line-message">{}{}</div>').format(body, _quick_replies(message)))
    return Markup('<div class="line-screen">{}</div>').format(Markup("").join(out))
