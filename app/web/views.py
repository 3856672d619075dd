"""The public pages: `/` says what the bot is; `/try` is a chat simulator that talks to the bot exactly as LINE
would (through /api/ask and /api/postback) and draws its cards roughly as LINE does — for staff, demos and anyone
without a LINE channel. Plain HTML, CSS and JavaScript served by the app: nothing is loaded from elsewhere.

`/docs` is Swagger UI from the pinned `fastapi-offline` package's files, so the API documentation works without
internet access and without trusting a CDN."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

HERE = Path(__file__).resolve().parent
STATIC_FILES = {"simulator.js": "text/javascript", "simulator.css": "text/css", "site.css": "text/css",
                "docs.js": "text/javascript"}
SWAGGER_UI = Path(fastapi_offline.__file__).resolve().parent / "static"
SWAGGER_FILES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
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


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(HERE / "static" / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/docs")
def docs() -> HTMLResponse:
    """Its CSP comes from the security-headers middleware (app.web.security.DOCS_CSP): Swagger UI sets inline
    styles, which the other pages do not allow."""
    return HTMLResponse((HERE / "templates" / "docs.html").read_text(encoding="utf-8"))


@router.get("/static/docs/{name}")
def swagger_ui_file(name: str) -> FileResponse:
    if name not in SWAGGER_FILES:
        raise HTTPException(404, "not found")
    return FileResponse(SWAGGER_UI / name, media_type=SWAGGER_FILES[name],
                        headers={"Cache-Control": "public, max-age=86400"})
