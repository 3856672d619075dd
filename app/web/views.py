"""The public pages: `/` says what the bot is; `/try` is a chat simulator that talks to the bot exactly as LINE
would (through /api/ask and /api/postback) and draws its cards roughly as LINE does — for staff, demos and anyone
without a LINE channel. Plain HTML, CSS and JavaScript served by the app: nothing is loaded from elsewhere."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

HERE = Path(__file__).resolve().parent
STATIC_FILES = {"simulator.js": "text/javascript", "simulator.css": "text/css", "site.css": "text/css"}
# Only this app's own files may load; the pages never embed in other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((HERE / "templates" / name).read_text(encoding="utf-8"), headers=SECURITY_HEADERS)


@router.get("/")
def home() -> HTMLResponse:
    return _page("home.html")


@router.get("/try")
def simulator() -> HTMLResponse:
    return _page("try.html")


@router.get("/static/web/{name}")
def static(name: str) -> FileResponse:
    if name not in STATIC_FILES:
        raise HTTPException(404, "not found")
    return FileResponse(HERE / "static" / name, media_type=STATIC_FILES[name], headers=SECURITY_HEADERS)
