"""The rich menu: the tappable panel under the chat. Its definition, its image (drawn here with Pillow, so a text
change needs no designer) and its installation through the LINE API as every user's default.

Tapping a topic sends the same postback as the text menu's quick replies, so both lead to the same answers
(app/conversation/service.py). Labels are Chinese with an English line: the image cannot change with the user's
language, and the answers that follow a tap are in the user's own language.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    RichMenuRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from PIL import Image, ImageDraw, ImageFont

from app.config import Settings
from app.conversation.messages import postback_data

# LINE accepts 800–2500 px wide, ≥ 250 px tall, width/height ≥ 1.45, JPEG or PNG up to 1 MB.
WIDTH, HEIGHT = 2500, 1686
COLUMNS, ROWS = 4, 2
MAX_IMAGE_BYTES = 1_000_000
CHAT_BAR_TEXT = "服務選單 Menu"  # ≤ 14 characters
# Debian's fonts-noto-cjk, in the order tried when fontconfig cannot say.
KNOWN_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
)
MISSING_FONT_HELP = (
    "no font with Traditional Chinese characters was found. Install Debian's fonts-noto-cjk "
    "(`sudo make browser` does), or set RICH_MENU_FONT to a .ttc/.otf/.ttf file that has them."
)


class RichMenuError(RuntimeError):
    """Something an operator must fix (font, token, an answer from LINE); the message says what."""


@dataclass(frozen=True)
class Tile:
    label: str  # Chinese, large
    subtitle: str  # English, small
    data: str  # postback data
    colour: str


TILES = (
    Tile("青年/找工作", "Youth & jobs", postback_data("cat", c="youth_jobs"), "#2E7D5B"),
    Tile("薪資/勞資爭議", "Wages & disputes", postback_data("cat", c="wages_disputes"), "#1565C0"),
    Tile("職業安全", "Work safety", postback_data("cat", c="safety"), "#C25E00"),
    Tile("移工", "Migrant workers", postback_data("cat", c="migrant"), "#6A4C93"),
    Tile("身障就業", "Disability & work", postback_data("cat", c="disability"), "#00838F"),
    Tile("退休/保險", "Pension & insurance", postback_data("cat", c="retirement_insurance"), "#5D6D7E"),
    Tile("全部選單", "All topics", postback_data("menu"), "#37474F"),
    Tile("找真人", "Talk to a person", postback_data("human"), "#B23A48"),
)


def rich_menu_definition() -> dict:
    """The RichMenuRequest JSON: one area per tile, a 4 × 2 grid covering the image."""
    tile_w, tile_h = WIDTH // COLUMNS, HEIGHT // ROWS
    areas = []
    for index, tile in enumerate(TILES):
        column, row = index % COLUMNS, index // COLUMNS
        areas.append({
            "bounds": {"x": column * tile_w, "y": row * tile_h, "width": tile_w, "height": tile_h},
            "action": {"type": "postback", "label": tile.label, "data": tile.data, "displayText": tile.label},
        })
    return {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": True,  # shown open when the chat opens: new users see what they can tap
        "name": "labour-services-main",
        "chatBarText": CHAT_BAR_TEXT,
        "areas": areas,
    }


# --- the image ------------------------------------------------------------------------------------------------


def find_font(settings: Settings) -> tuple[Path, int]:
    """(font file, face index) of a font with Traditional Chinese glyphs: RICH_MENU_FONT, else what fontconfig
    knows (bold Noto Sans CJK TC preferred), else Debian's fonts-noto-cjk paths."""
    if settings.rich_menu_font is not None:
        if not settings.rich_menu_font.is_file():
            raise RichMenuError(f"RICH_MENU_FONT={settings.rich_menu_font} is not a file")
        return settings.rich_menu_font, _traditional_face(settings.rich_menu_font)
    for path in [*_fontconfig_candidates(), *KNOWN_FONTS]:
        if path.is_file() and _has_chinese(path, index := _traditional_face(path)):
            return path, index
    raise RichMenuError(MISSING_FONT_HELP)


def _fontconfig_candidates() -> list[Path]:
    if shutil.which("fc-list") is None:
        return []
    try:
        listing = subprocess.run(
            ["fc-list", ":lang=zh-tw", "-f", "%{file}|%{family}|%{style}\n"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    fonts = [line.split("|") for line in listing.splitlines() if line.count("|") == 2]
    # Sans over serif, bold over regular: the labels are read at a glance on a small screen.
    fonts.sort(key=lambda f: ("Sans" not in f[1], "Bold" not in f[2], f[0]))
    return list(dict.fromkeys(Path(f[0]) for f in fonts))


def _traditional_face(path: Path) -> int:
    """The Traditional Chinese face of a font collection (.ttc holds JP, KR, SC, TC, HK faces), else the first."""
    for index in range(16):
        try:
            family, _style = ImageFont.truetype(str(path), 20, index=index).getname()
        except OSError:
            break
        if family and family.endswith(" TC"):
            return index
    return 0


def _has_chinese(path: Path, index: int) -> bool:
    try:
        font = ImageFont.truetype(str(path), 40, index=index)
    except OSError:
        return False
    # A font without Chinese draws the same "missing glyph" box for every Chinese character.
    return bytes(font.getmask("勞")) != bytes(font.getmask("資"))


def render_image(settings: Settings) -> bytes:
    """The rich-menu image as PNG bytes (2500 × 1686, under 1 MB). A label with "/" is drawn on two lines."""
    path, index = find_font(settings)
    image = Image.new("RGB", (WIDTH, HEIGHT), "#FFFFFF")
    draw = ImageDraw.Draw(image)
    tile_w, tile_h = WIDTH // COLUMNS, HEIGHT // ROWS
    gap = 12
    for number, tile in enumerate(TILES):
        left, top = (number % COLUMNS) * tile_w, (number // COLUMNS) * tile_h
        draw.rounded_rectangle((left + gap, top + gap, left + tile_w - gap, top + tile_h - gap), radius=36,
                               fill=tile.colour)
        lines = tile.label.split("/")
        font = _fitting_font(draw, path, index, lines, tile_w - 100, largest=150)
        line_height = font.size * 1.25
        centre_x = left + tile_w / 2
        first_baseline = top + tile_h / 2 - (len(lines) - 1) * line_height / 2 + font.size * 0.1
        for n, line in enumerate(lines):
            draw.text((centre_x, first_baseline + n * line_height), line, font=font, fill="#FFFFFF", anchor="ms")
        subtitle_font = _fitting_font(draw, path, index, [tile.subtitle], tile_w - 100, largest=60)
        draw.text((centre_x, top + tile_h - 120), tile.subtitle, font=subtitle_font, fill="#F4F4F4", anchor="ms")
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    data = output.getvalue()
    if len(data) > MAX_IMAGE_BYTES:
        raise RichMenuError(f"the rich-menu image is {len(data):,} bytes; LINE accepts at most {MAX_IMAGE_BYTES:,}")
    return data


def _fitting_font(
    draw: ImageDraw.ImageDraw, path: Path, index: int, lines: list[str], width: int, *, largest: int
) -> ImageFont.FreeTypeFont:
    """The largest size (from `largest` down to 40 % of it) at which every line fits the tile's width."""
    for size in range(largest, int(largest * 0.4) - 1, -4):
        font = ImageFont.truetype(str(path), size, index=index)
        if all(draw.textlength(line, font=font) <= width for line in lines):
            return font
    raise RichMenuError(f"the label {'/'.join(lines)!r} does not fit its tile; shorten it")


# --- installing it --------------------------------------------------------------------------------------------


async def install_rich_menu(settings: Settings, image: bytes) -> str:
    """Validate and create the rich menu, upload its image and make it every user's default; its id.

    Uses the channel's API host from LINE_API_BASE_URL (also for the image upload, which LINE serves from
    api-data.line.me: with `host` set the SDK sends every call there, which is how tests reach a fake LINE)."""
    token = settings.line_channel_access_token
    if token is None:
        raise RichMenuError("LINE_CHANNEL_ACCESS_TOKEN is not set")
    host = settings.line_api_base_url.rstrip("/")
    blob_host = "https://api-data.line.me" if host == "https://api.line.me" else host
    timeout = aiohttp.ClientTimeout(total=max(settings.line_timeout_seconds, 30))
    request = RichMenuRequest.from_dict(rich_menu_definition())
    async with (
        AsyncApiClient(Configuration(host=host, access_token=token.get_secret_value())) as client,
        AsyncApiClient(Configuration(host=blob_host, access_token=token.get_secret_value())) as blob_client,
    ):
        api, blob = AsyncMessagingApi(client), AsyncMessagingApiBlob(blob_client)
        step = "validate"
        try:
            await api.validate_rich_menu_object(request, _request_timeout=timeout)
            step = "create"
            rich_menu_id = (await api.create_rich_menu(request, _request_timeout=timeout)).rich_menu_id
            step = "upload the image of"
            await blob.set_rich_menu_image(rich_menu_id, image, _headers={"Content-Type": "image/png"},
                                           _request_timeout=timeout)
            step = "set as default"
            await api.set_default_rich_menu(rich_menu_id, _request_timeout=timeout)
        except ApiException as exc:
            request_id = dict(exc.headers or {}).get("X-Line-Request-Id")
            raise RichMenuError(
                f"LINE refused to {step} the rich menu: {exc.status} {exc.body!r} (X-Line-Request-Id {request_id})"
            ) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RichMenuError(f"could not reach LINE to {step} the rich menu: {type(exc).__name__}: {exc}") from exc
    return rich_menu_id
