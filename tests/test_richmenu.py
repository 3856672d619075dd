"""The rich menu: a definition LINE accepts, an image drawn by the project in a size and format LINE accepts, and the
install command's calls (validate, create, upload image, set default) at the fake LINE API."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from app.cli import main
from app.config import get_settings
from app.conversation import messages
from app.line import richmenu
from tests.conversation_helpers import new_user, only_message, tap
from tests.line_schema import assert_valid


@pytest.fixture(scope="module")
def image() -> bytes:
    return richmenu.render_image(get_settings())


def test_definition_is_one_line_accepts():
    definition = richmenu.rich_menu_definition()
    assert_valid(definition, "RichMenuRequest")
    assert len(definition["areas"]) <= 20
    assert len(definition["chatBarText"]) <= 14
    width, height = definition["size"]["width"], definition["size"]["height"]
    assert (width, height) in ((2500, 1686), (2500, 843))
    covered = 0
    for area in definition["areas"]:
        bounds, action = area["bounds"], area["action"]
        assert bounds["x"] + bounds["width"] <= width and bounds["y"] + bounds["height"] <= height
        covered += bounds["width"] * bounds["height"]
        assert len(action["label"]) <= 20 and len(action["data"]) <= 300
    assert covered == width * height  # the whole image is tappable, no overlaps


def test_image_is_a_png_of_the_menu_size_under_one_megabyte(image):
    assert len(image) <= 1_000_000
    picture = Image.open(io.BytesIO(image))
    assert picture.format == "PNG"
    assert picture.size == (2500, 1686)
    # Eight coloured tiles, not a blank page: each tile's centre is its colour, not the white background.
    for index, tile in enumerate(richmenu.TILES):
        x = (index % richmenu.COLUMNS) * 625 + 40
        y = (index // richmenu.COLUMNS) * 843 + 40
        assert picture.getpixel((x, y)) == Image.new("RGB", (1, 1), tile.colour).getpixel((0, 0))


def test_every_tile_leads_to_a_reply(client, line):
    user = new_user()
    for area in richmenu.rich_menu_definition()["areas"]:
        action = messages.parse_postback(area["action"]["data"])["a"]
        reply = only_message(tap(client, line, area["action"]["data"], user=user))
        assert reply["type"] in ("text", "flex"), action
        if action == "cat":
            assert reply["type"] == "flex"


def test_image_only_writes_the_file_without_calling_line(line, tmp_path, capsys):
    target = tmp_path / "menu.png"
    assert main(["rich-menu", "--image-only", str(target)]) == 0
    assert Image.open(target).size == (2500, 1686)
    assert line.requests == []
    assert "menu.png" in capsys.readouterr().out


def test_install_creates_uploads_and_sets_default(line, image, capsys):
    line.scripted += [(200, {}), (200, {"richMenuId": "richmenu-0123456789abcdef"})]  # validate, create
    assert main(["rich-menu"]) == 0
    calls = [(r.method, r.path) for r in line.requests]
    assert calls == [
        ("POST", "/v2/bot/richmenu/validate"),
        ("POST", "/v2/bot/richmenu"),
        ("POST", "/v2/bot/richmenu/richmenu-0123456789abcdef/content"),
        ("POST", "/v2/bot/user/all/richmenu/richmenu-0123456789abcdef"),
    ]
    validate, create, upload, default = line.requests
    assert create.body == richmenu.rich_menu_definition()
    assert_valid(create.body, "RichMenuRequest")
    assert upload.headers["content-type"] == "image/png"
    assert int(upload.headers["content-length"]) == len(image)
    assert all(r.headers["authorization"] == "Bearer test-access-token" for r in line.requests)
    assert "richmenu-0123456789abcdef" in capsys.readouterr().out


def test_install_reports_what_line_refused(line, capsys):
    line.scripted += [(400, {"message": "An image has already been uploaded to the richmenu"})]
    assert main(["rich-menu"]) == 1
    error = capsys.readouterr().err
    assert "validate" in error and "400" in error and "already been uploaded" in error


def test_missing_font_fails_with_a_clear_message(monkeypatch, tmp_path):
    settings = get_settings()
    monkeypatch.setattr(settings, "rich_menu_font", tmp_path / "nowhere.ttf")
    with pytest.raises(richmenu.RichMenuError, match="RICH_MENU_FONT=.*nowhere.ttf is not a file"):
        richmenu.render_image(settings)
    monkeypatch.setattr(settings, "rich_menu_font", None)
    monkeypatch.setattr(richmenu, "KNOWN_FONTS", (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),))
    monkeypatch.setattr(richmenu, "_fontconfig_candidates", list)
    with pytest.raises(richmenu.RichMenuError, match="fonts-noto-cjk"):
        richmenu.render_image(settings)


def test_font_is_found_at_run_time():
    path, index = richmenu.find_font(get_settings())
    assert path.is_file()
    assert richmenu._has_chinese(path, index)
