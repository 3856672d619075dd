"""The staff console at /console: thin routes over `app.console.service` and the content functions, rendered with
Jinja2 templates.

Every route goes through `ConsoleRoute`, which loads the signed session, refuses any POST without the session's CSRF
token, turns "sign in first" / "not allowed" into a redirect or a 403 page, and sets the security headers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select
from starlette.exceptions import HTTPException

from app.config import get_settings
from app.console import auth, charts, service
from app.console.models import StaffRole, StaffUser
from app.console.preview import render_messages
from app.db import session_scope, taipei_today
from app.knowledge import service as content
from app.knowledge import staleness
from app.knowledge.models import PlaceDraft, ServiceDraft
from app.knowledge.schemas import TRANSLATION_LANGS, Service, Status
from app.knowledge.service import ContentError
from app.knowledge.staleness import load_retired_numbers
from app.places import console as places
from app.places.schemas import Place
from app.places.service import load_districts, place_problems
from app.web.security import is_https

HERE = Path(__file__).resolve().parent
STATIC_FILES = {"console.css": "text/css", "console.js": "text/javascript"}
SECURITY_HEADERS = {
    # Scripts and styles only from our own files (inline styles allowed for LINE-preview colours); never framed.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(
    CATEGORY_LABELS=service.CATEGORY_LABELS,
    AUDIENCE_LABELS=service.AUDIENCE_LABELS,
    ROLE_LABELS=auth.ROLE_LABELS,
    LANGUAGE_LABELS=service.LANGUAGE_LABELS,
    KIND_LABELS=service.KIND_LABELS,
    ACTION_LABELS=service.ACTION_LABELS,
    INTENT_LABELS=service.INTENT_LABELS,
    FIELD_LABELS=service.FIELD_LABELS,
    AGENCIES=service.AGENCIES,
    ROW_FIELDS=service.ROW_FIELDS,
    blank_row=service.blank_row,
    TRANSLATION_LANGS=TRANSLATION_LANGS,
    StaffRole=StaffRole,
    local=service.local,
)

# Messages shown after a redirect, chosen by key so nothing from the URL is ever echoed as text.
NOTICES = {
    "saved": "草稿已儲存。民眾還看不到，按「發布」後才會上線。",
    "created": "新服務的草稿已建立。",
    "place_created": "新服務據點的草稿已建立。",
    "published": "已發布。機器人正在改用新內容，生效時下面會顯示。",
    "rolled_back": "已回復舊版內容（以新版本發布）。機器人正在改用這個內容，生效時下面會顯示。",
    "unpublished": "已下架，機器人不再用這項服務回答。",
    "place_unpublished": "已下架，機器人不再告訴民眾這個服務據點。",
    "examples_added": "例句已加入。機器人正在重新學習，生效時下面會顯示。",
    "example_removed": "例句已刪除。機器人正在重新學習，生效時下面會顯示。",
    "attached": "這些問法已加為服務的例句。機器人正在重新學習，生效時下面會顯示。",
    "out_of_scope": "這些問法已標為「非本局業務」，機器人會請民眾改洽其他單位。",
    "feedback_resolved": "這些「沒幫助」回饋已標為處理完畢，不再列在這裡。",
    "user_created": "帳號已建立。",
    "user_updated": "帳號已更新。",
    "password_changed": "密碼已變更，請用新密碼重新登入。",
}
CHANGES_CONTENT = {"published", "rolled_back", "unpublished", "place_unpublished", "examples_added", "example_removed", "attached",
                   "out_of_scope"}


# Two publishers at the same moment both claim the next version number: the unique constraint (PostgreSQL) or the
# write lock (SQLite) refuses one of them.
SIMULTANEOUS_CHANGE = "剛好有另一位同仁同時修改，您的操作沒有完成。請重新整理頁面，確認內容後再試一次。"
CONFLICTS = (IntegrityError, OperationalError)


class SignInRequired(Exception):
    pass


class Forbidden(Exception):
    pass


class CsrfRejected(Exception):
    pass


def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    context.setdefault("user", getattr(request.state, "user", None))
    notice = request.query_params.get("notice")
    context.setdefault("notice", NOTICES.get(notice or ""))
    context.setdefault("watch_revision", notice in CHANGES_CONTENT)
    context["csrf_token"] = request.state.console.csrf_token
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class ConsoleRoute(APIRoute):
    def get_route_handler(self):
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            settings = get_settings()
            cookie = auth.decode_session(request.cookies.get(auth.COOKIE_NAME), settings)
            request.state.console = cookie or auth.ConsoleSession.anonymous()
            try:
                if request.method == "POST":
                    form = await request.form()
                    if not auth.csrf_matches(cookie, str(form.get("csrf_token") or "")):
                        raise CsrfRejected
                response = await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = redirect(f"/console/login?next={quote(target)}" if request.method == "GET" else "/console/login")
            except Forbidden:
                response = page(request, "error.html", 403, title="沒有權限",
                                message="您的帳號角色不能做這件事。需要的話，請找管理員調整您的角色。")
            except CsrfRejected:
                response = page(request, "error.html", 403, title="表單已過期",
                                message="為了安全，這個表單已經失效。請回上一頁重新整理後再送出一次。")
            except HTTPException as exc:
                response = page(request, "error.html", exc.status_code, title="找不到這一頁",
                                message=exc.detail if exc.status_code == 404 else "無法處理這個要求。")
            except RequestValidationError:
                response = page(request, "error.html", 422, title="資料不完整",
                                message="送出的資料不完整或格式不對，請回上一頁檢查後再送出。")
            if request.state.console != cookie:
                response.set_cookie(
                    auth.COOKIE_NAME,
                    auth.encode_session(request.state.console, settings),
                    max_age=int(settings.console_session_hours * 3600),
                    path=auth.COOKIE_PATH,
                    httponly=True,
                    samesite="lax",
                    secure=settings.session_cookie_secure or is_https(request.scope),
                )
            response.headers.update(SECURITY_HEADERS)
            return response

        return handle


router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


def current_user(request: Request) -> StaffUser:
    with session_scope() as session:
        user = auth.session_user(session, request.state.console)
    if user is None:
        raise SignInRequired
    request.state.user = user
    return user


def role(needed: StaffRole):
    def dependency(user: StaffUser = Depends(current_user)) -> StaffUser:
        if not user.role.allows(needed):
            raise Forbidden
        return user

    return dependency


editor = role(StaffRole.editor)
publisher = role(StaffRole.publisher)
admin = role(StaffRole.admin)


def runtime_content(request: Request):
    return request.app.state.runtime.content


def refresh_now(request: Request, background: BackgroundTasks) -> None:
    """This process rebuilds at once after the response; the others notice the new revision when they poll."""
    background.add_task(request.app.state.runtime.refresh)


def plan_item_names() -> list[tuple[str, str]]:
    return [(p.agency, p.name) for p in content.load_plan_items(get_settings().knowledge_dir)]


# --- Signing in -------------------------------------------------------------------------------------------------


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    if name not in STATIC_FILES:
        raise HTTPException(404, "找不到這一頁。")
    return FileResponse(HERE / "static" / name, media_type=STATIC_FILES[name])


def safe_next(target: str | None) -> str:
    """Only a path inside the console: never another site (//evil.example) after signing in."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/services"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return page(request, "login.html", next=safe_next(next))


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("")) -> Response:
    settings = get_settings()
    ip = request.client.host if request.client else "unknown"
    try:
        user = auth.sign_in(username, password, ip, settings)
    except auth.LoginLocked as locked:
        return page(request, "login.html", 429, next=safe_next(next), username=username,
                    error=f"登入失敗次數太多，為了保護帳號，已暫停登入。請 {locked.minutes} 分鐘後再試；"
                    "忘記密碼請找管理員重設。")
    except auth.LoginFailed as failed:
        hint = (f"再錯 {failed.attempts_left} 次將暫停登入 {settings.console_login_window_minutes} 分鐘。"
                if failed.attempts_left else f"已暫停登入 {settings.console_login_window_minutes} 分鐘。")
        return page(request, "login.html", 401, next=safe_next(next), username=username,
                    error=f"帳號或密碼不正確。{hint}")
    request.state.console = auth.ConsoleSession.signed_in(user)
    return redirect(safe_next(next))


@router.post("/logout")
def logout(request: Request) -> Response:
    with session_scope() as session:
        auth.sign_out(session, request.state.console)
    request.state.console = auth.ConsoleSession.anonymous()
    return redirect("/console/login")


@router.get("")
def home(_user: StaffUser = Depends(current_user)) -> Response:
    return redirect("/console/services")


@router.get("/status.json")
def status(request: Request, _user: StaffUser = Depends(current_user)) -> JSONResponse:
    """Whether this server already answers from the newest published content (the pages poll it after a publish)."""
    runtime = request.app.state.runtime
    with session_scope() as session:
        published = content.current_revision(session)
    serving = runtime.content.revision if runtime.content else None
    return JSONResponse({"published": published, "serving": serving, "error": runtime.last_error})


# --- Services ---------------------------------------------------------------------------------------------------


@router.get("/services")
def services(request: Request, q: str = "", category: str = "", state: str = "",
             _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    with session_scope() as session:
        rows = service.service_rows(session, q, category, state)
    return page(request, "services.html", rows=rows, q=q, category=category, state=state, nav="services")


def _draft(session, service_id: str) -> ServiceDraft:
    draft = session.get(ServiceDraft, service_id)
    if draft is None:
        raise HTTPException(404, "找不到這項服務，可能是網址打錯了。")
    return draft


def _overview(request: Request, service_id: str, lang: str = "zh-TW", status_code: int = 200, **extra) -> HTMLResponse:
    with session_scope() as session:
        draft = _draft(session, service_id)
        versions = service.versions_of(session, service_id)
    live = versions[0] if versions else None
    draft_service = Service.model_validate(draft.data)
    # Compared with the draft's own status on both sides: whether it is live is shown above, not as a change.
    live_data = {**live.data, "status": draft.data["status"]} if live else None
    pending = live_data != draft.data
    diff = content.version_diff(live_data, draft.data, f"第 {live.version} 版（線上）" if live else "", "草稿") if pending else []
    lang = lang if lang in ("zh-TW", *TRANSLATION_LANGS) else "zh-TW"
    return page(
        request, "service.html", status_code, nav="services", draft=draft, service=draft_service, live=live,
        live_state="never" if live is None else "live" if live.data.get("status") == "published" else "offline",
        pending=pending, diff=diff, lang=lang, preview=render_messages(service.preview_messages(draft_service, lang)),
        review=staleness.review_service(draft_service, taipei_today(), load_retired_numbers(get_settings().knowledge_dir)),
        PROBLEM_NAMES=staleness.PROBLEM_NAMES, **extra,
    )


@router.get("/review")
def review(request: Request, _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    """待複查: every service's drafts, with what to re-check and why, oldest-verified first."""
    with session_scope() as session:
        drafts = [Service.model_validate(d.data) for d in session.exec(select(ServiceDraft))]
    reviews = staleness.review(drafts, taipei_today(), load_retired_numbers(get_settings().knowledge_dir))
    return page(request, "review.html", nav="review", reviews=reviews, counts=staleness.counts(reviews),
                PROBLEM_NAMES=staleness.PROBLEM_NAMES)


@router.get("/services/new")
def new_service_form(request: Request, _user: StaffUser = Depends(editor)) -> HTMLResponse:
    return page(request, "edit.html", nav="services", values=service.blank_values(), creating=True,
                plan_items=plan_item_names())


@router.post("/services/new")
async def create_service(request: Request, user: StaffUser = Depends(editor)) -> Response:
    values = service.submitted_values(await request.form())
    names = plan_item_names()
    try:
        draft_service = service.service_from_values(values, status=Status.draft.value, plan_item_names={n for _, n in names})
        with session_scope() as session:
            content.save_draft(session, draft_service, user.username, create=True)
    except (service.FormErrors, ContentError) as exc:
        errors = exc.errors if isinstance(exc, service.FormErrors) else [str(exc)]
        return page(request, "edit.html", 400, nav="services", values=values, creating=True, plan_items=names,
                    errors=errors, field_errors=getattr(exc, "fields", {}))
    return redirect(f"/console/services/{draft_service.id}?notice=created")


@router.get("/services/{service_id}")
def service_page(request: Request, service_id: str, lang: str = "zh-TW",
                 _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    return _overview(request, service_id, lang)


@router.get("/services/{service_id}/edit")
def edit_form(request: Request, service_id: str, _user: StaffUser = Depends(editor)) -> HTMLResponse:
    with session_scope() as session:
        draft = _draft(session, service_id)
    return page(request, "edit.html", nav="services", values=service.form_values(draft.data), creating=False,
                plan_items=plan_item_names(), service_id=service_id,
                stale_translations=Service.model_validate(draft.data).stale_translations())


@router.post("/services/{service_id}/edit")
async def save_edit(request: Request, service_id: str, user: StaffUser = Depends(editor)) -> Response:
    values = service.submitted_values(await request.form())
    values["id"] = service_id  # the id names the service everywhere; it is not edited
    names = plan_item_names()
    try:
        with session_scope() as session:
            draft = _draft(session, service_id)
            edited = service.service_from_values(values, status=draft.data.get("status", Status.draft.value),
                                                 plan_item_names={n for _, n in names}, previous=draft.data)
            content.save_draft(session, edited, user.username)
    except service.FormErrors as exc:
        return page(request, "edit.html", 400, nav="services", values=values, creating=False, plan_items=names,
                    service_id=service_id, errors=exc.errors, field_errors=exc.fields)
    return redirect(f"/console/services/{service_id}?notice=saved")


# --- Publishing, shared by services and places: publish, take offline, history, roll back -----------------

# The console's path of each kind of published content: /console/services/… and /console/places/….
Collection = Literal["services", "places"]
_KIND_OF: dict[str, content.ContentKind] = {"services": content.SERVICES, "places": content.PLACES}


@router.post("/{collection}/{item_id}/publish")
def publish(request: Request, collection: Collection, item_id: str, background: BackgroundTasks,
            note: str = Form(""), user: StaffUser = Depends(publisher)) -> Response:
    return _publish(request, background, _KIND_OF[collection], item_id, user, note)


@router.post("/{collection}/{item_id}/unpublish")
def unpublish(request: Request, collection: Collection, item_id: str, background: BackgroundTasks,
              user: StaffUser = Depends(publisher)) -> Response:
    return _unpublish(request, background, _KIND_OF[collection], item_id, user)


@router.get("/{collection}/{item_id}/history")
def history(request: Request, collection: Collection, item_id: str,
            _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    return _history(request, _KIND_OF[collection], item_id)


@router.post("/{collection}/{item_id}/rollback")
def rollback(request: Request, collection: Collection, item_id: str, background: BackgroundTasks,
             version: int = Form(...), user: StaffUser = Depends(publisher)) -> Response:
    return _rollback(request, background, _KIND_OF[collection], item_id, version, user)


def _collection(kind: content.ContentKind) -> Collection:
    return "places" if kind is content.PLACES else "services"


def _console_url(kind: content.ContentKind, item_id: str) -> str:
    return f"/console/{_collection(kind)}/{item_id}"


def _item_overview(request: Request, kind: content.ContentKind, item_id: str, status_code: int, **extra) -> HTMLResponse:
    if kind is content.PLACES:
        return _place_overview(request, item_id, status_code, **extra)
    return _overview(request, item_id, status_code=status_code, **extra)


def _refused(exc: Exception) -> str:
    return str(exc) if isinstance(exc, ContentError) else SIMULTANEOUS_CHANGE


def _publish(request: Request, background: BackgroundTasks, kind: content.ContentKind, item_id: str,
             user: StaffUser, note: str) -> Response:
    try:
        with session_scope() as session:
            if kind is content.PLACES:
                _check_place_still_fits(session, item_id)
            content.publish_draft(session, item_id, user.username, note.strip()[:200] or None, kind=kind)
    except (ContentError, *CONFLICTS) as exc:
        return _item_overview(request, kind, item_id, 409, errors_title="沒有發布：", errors=[_refused(exc)])
    except ValidationError as exc:
        return _item_overview(request, kind, item_id, 400, errors_title="還不能發布，請先到「編輯草稿」補上：",
                              errors=service.explain(exc))
    refresh_now(request, background)
    return redirect(f"{_console_url(kind, item_id)}?notice=published")


def _unpublish(request: Request, background: BackgroundTasks, kind: content.ContentKind, item_id: str,
               user: StaffUser) -> Response:
    try:
        with session_scope() as session:
            content.unpublish_service(session, item_id, user.username, kind=kind)
    except (ContentError, *CONFLICTS) as exc:
        return _item_overview(request, kind, item_id, 409, errors_title="沒有下架：", errors=[_refused(exc)])
    refresh_now(request, background)
    notice = "place_unpublished" if kind is content.PLACES else "unpublished"
    return redirect(f"{_console_url(kind, item_id)}?notice={notice}")


def _history(request: Request, kind: content.ContentKind, item_id: str) -> HTMLResponse:
    with session_scope() as session:
        draft = _place_draft(session, item_id) if kind is content.PLACES else _draft(session, item_id)
        versions = service.versions_of(session, item_id, kind)
        audit = service.audit_entries(session, target=kind.target(item_id), limit=50)
    diffs = {
        v.version: content.version_diff(older.data if older else None, v.data,
                                        f"第 {older.version} 版" if older else "", f"第 {v.version} 版", kind=kind)
        for v, older in zip(versions, [*versions[1:], None], strict=True)
    }
    return page(request, "history.html", nav=_collection(kind), draft=draft, versions=versions, diffs=diffs, audit=audit)


def _rollback(request: Request, background: BackgroundTasks, kind: content.ContentKind, item_id: str, version: int,
              user: StaffUser) -> Response:
    try:
        with session_scope() as session:
            content.rollback_service(session, item_id, version, user.username, kind=kind)
    except (ContentError, *CONFLICTS) as exc:
        return page(request, "error.html", 409, title="無法回復", message=_refused(exc),
                    back=f"{_console_url(kind, item_id)}/history")
    refresh_now(request, background)
    return redirect(f"{_console_url(kind, item_id)}/history?notice=rolled_back")


# --- Service points ------------------------------------------------------------------------------------------


@router.get("/places")
def place_list(request: Request, _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    with session_scope() as session:
        rows = places.place_rows(session)
    return page(request, "places.html", nav="places", rows=rows)


def _place_draft(session, place_id: str) -> PlaceDraft:
    draft = session.get(PlaceDraft, place_id)
    if draft is None:
        raise HTTPException(404, "找不到這個服務據點，可能是網址打錯了。")
    return draft


def _place_form(request: Request, values: dict, status_code: int = 200, *, place_id: str | None = None,
                **extra) -> HTMLResponse:
    with session_scope() as session:
        choices = places.service_choices(session, values["services"])
    return page(request, "place_edit.html", status_code, nav="places", values=values, creating=place_id is None,
                place_id=place_id, services=choices, districts=sorted(load_districts(get_settings().knowledge_dir)),
                PLACE_KINDS=places.KIND_LABELS, SOURCE_FIELDS=places.SOURCE_FIELDS, **extra)


def _place_overview(request: Request, place_id: str, status_code: int = 200, **extra) -> HTMLResponse:
    with session_scope() as session:
        draft = _place_draft(session, place_id)
        versions = service.versions_of(session, place_id, content.PLACES)
        titles = {d.service_id: d.data["title"] for d in session.exec(select(ServiceDraft))}
    live = versions[0] if versions else None
    live_data = {**live.data, "status": draft.data["status"]} if live else None
    pending = live_data != draft.data
    diff = content.version_diff(live_data, draft.data, f"第 {live.version} 版（線上）" if live else "", "草稿",
                                kind=content.PLACES) if pending else []
    return page(request, "place.html", status_code, nav="places", draft=draft, place=Place.model_validate(draft.data),
                live=live, live_state=places.live_state(live), pending=pending, diff=diff, titles=titles,
                PLACE_KINDS=places.KIND_LABELS, **extra)


def _place_saved(request: Request, values: dict, user: StaffUser, *, place_id: str | None) -> Response:
    """Validate the form (its district, services and position too) and save it as the draft."""
    try:
        with session_scope() as session:
            draft = session.get(PlaceDraft, place_id) if place_id else None
            if place_id and draft is None:
                raise HTTPException(404, "找不到這個服務據點，可能是網址打錯了。")
            previous = draft.data if draft else {}
            place = places.place_from_values(
                values, status=previous.get("status", "draft"), districts=load_districts(get_settings().knowledge_dir),
                service_ids=places.service_ids(session), previous=previous)
            content.save_draft(session, place, user.username, create=place_id is None)
    except (service.FormErrors, ContentError) as exc:
        errors = exc.errors if isinstance(exc, service.FormErrors) else [str(exc)]
        return _place_form(request, values, 400, place_id=place_id, errors=errors,
                           field_errors=getattr(exc, "fields", {}))
    return redirect(f"/console/places/{place.id}?notice={'saved' if place_id else 'place_created'}")


@router.get("/places/new")
def new_place_form(request: Request, _user: StaffUser = Depends(editor)) -> HTMLResponse:
    return _place_form(request, places.blank_values())


@router.post("/places/new")
async def create_place(request: Request, user: StaffUser = Depends(editor)) -> Response:
    return _place_saved(request, places.submitted_values(await request.form()), user, place_id=None)


@router.get("/places/{place_id}")
def place_page(request: Request, place_id: str, _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    return _place_overview(request, place_id)


@router.get("/places/{place_id}/edit")
def place_edit_form(request: Request, place_id: str, _user: StaffUser = Depends(editor)) -> HTMLResponse:
    with session_scope() as session:
        draft = _place_draft(session, place_id)
    return _place_form(request, places.form_values(draft.data), place_id=place_id)


@router.post("/places/{place_id}/edit")
async def save_place(request: Request, place_id: str, user: StaffUser = Depends(editor)) -> Response:
    values = places.submitted_values(await request.form())
    values["id"] = place_id  # the id names the place everywhere; it is not edited
    return _place_saved(request, values, user, place_id=place_id)


def _check_place_still_fits(session, place_id: str) -> None:
    """The district and services may have changed since the draft was saved (a service taken offline)."""
    draft = _place_draft(session, place_id)
    problems = place_problems(Place.model_validate(draft.data), load_districts(get_settings().knowledge_dir),
                              places.service_ids(session))
    if problems:
        raise ContentError(" ".join(why for _, why in problems))


# --- Example phrasings ----------------------------------------------------------------------------------------


def _examples_page(request: Request, status_code: int = 200, *, service_id: str | None = None,
                   intent: str | None = None, **extra) -> HTMLResponse:
    with session_scope() as session:
        draft = _draft(session, service_id) if service_id else None
        examples = service.examples_of(session, service_id=service_id, intent=intent)
    return page(request, "examples.html", status_code, nav="services" if service_id else "intents", draft=draft,
                intent=intent, examples=examples, **extra)


@router.get("/services/{service_id}/examples")
def service_examples(request: Request, service_id: str, _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    return _examples_page(request, service_id=service_id)


@router.get("/intents/{intent}")
def intent_examples(request: Request, intent: str, _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    if intent not in service.INTENT_LABELS:
        raise HTTPException(404, "找不到這一頁。")
    return _examples_page(request, intent=intent)


@router.post("/examples")
def add_examples(request: Request, background: BackgroundTasks, texts: str = Form(""), service_id: str = Form(""),
                 intent: str = Form(""), user: StaffUser = Depends(editor)) -> Response:
    back = f"/console/services/{service_id}/examples" if service_id else f"/console/intents/{intent}"
    try:
        with session_scope() as session:
            content.add_examples(session, texts.splitlines(), user.username, service_id=service_id or None,
                                 intent=intent or None)
    except (ContentError, ValidationError) as exc:
        message = str(exc) if isinstance(exc, ContentError) else "例句不能空白，也要屬於一項服務或一種對話意圖。"
        return _examples_page(request, 400, service_id=service_id or None, intent=intent or None, errors=[message])
    refresh_now(request, background)
    return redirect(f"{back}?notice=examples_added")


@router.post("/examples/{example_id}/delete")
def delete_example(request: Request, example_id: int, background: BackgroundTasks,
                   user: StaffUser = Depends(editor)) -> Response:
    try:
        with session_scope() as session:
            removed = content.remove_example(session, example_id, user.username)
    except ContentError as exc:
        return page(request, "error.html", 404, title="找不到例句", message=str(exc))
    refresh_now(request, background)
    back = f"/console/services/{removed.service_id}/examples" if removed.service_id else f"/console/intents/{removed.intent}"
    return redirect(f"{back}?notice=example_removed")


# --- What citizens asked that the bot could not answer ------------------------------------------------------------


@router.get("/unanswered")
def unanswered(request: Request, days: int = 30, _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    days = days if days in (7, 30, 90) else 30
    with session_scope() as session:
        groups = service.unanswered_groups(session, days=days)
        rows = service.service_rows(session)
    return page(request, "unanswered.html", nav="unanswered", groups=groups, days=days,
                services=[(r.service_id, r.title) for r in rows])


@router.post("/unanswered")
async def resolve_unanswered(request: Request, background: BackgroundTasks,
                             user: StaffUser = Depends(editor)) -> Response:
    form = await request.form()
    texts = [service.example_text(str(t)) for t in form.getlist("texts")]
    action, service_id = str(form.get("action", "")), str(form.get("service_id", ""))
    # the group's 👎: dealt with by the examples added, or by the content fixed (「已處理」)
    feedback_ids = [int(v) for v in form.getlist("feedback") if isinstance(v, str) and v.isdigit()]
    try:
        with session_scope() as session:
            if action == "resolved":
                service.resolve_feedback(session, feedback_ids, user.username)
                return redirect("/console/unanswered?notice=feedback_resolved")
            if action == "attach" and service_id:
                content.add_examples(session, texts, user.username, service_id=service_id, origin="unanswered")
            elif action == "out_of_scope":
                content.add_examples(session, texts, user.username, intent="out_of_scope", origin="unanswered")
            else:
                raise ContentError("請先選一項服務，再按「加為這項服務的例句」。")
            service.resolve_feedback(session, feedback_ids, user.username)
    except (ContentError, ValidationError) as exc:
        message = str(exc) if isinstance(exc, ContentError) else "請至少勾選一句問法。"
        return page(request, "error.html", 400, title="沒有完成", message=message, back="/console/unanswered")
    refresh_now(request, background)
    return redirect(f"/console/unanswered?notice={'attached' if action == 'attach' else 'out_of_scope'}")


# --- Try it -------------------------------------------------------------------------------------------------------


@router.get("/try")
def try_it(request: Request, q: str = "", lang: str = "", _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    current = runtime_content(request)
    result, error = None, None
    question = q.strip()[:1000]
    if question and current is None:
        error = "系統正在載入內容，請過幾秒再試。"
    elif question:
        result = service.try_question(question, current.kb, current.engine, lang if lang in ("zh-TW", *TRANSLATION_LANGS) else None)
    return page(request, "try.html", nav="try", q=question, lang=lang, result=result, error=error,
                reply_html=render_messages(result.reply.messages) if result else None,
                revision=current.revision if current else None)


# --- Analytics and audit ------------------------------------------------------------------------------------------


@router.get("/analytics")
def analytics(request: Request, days: int = 30, channel: str = "",
              _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    days = days if days in (7, 30, 90) else 30
    current = runtime_content(request)
    with session_scope() as session:
        figures = service.analytics(session, current.kb if current else None, days=days, channel=channel)
    return page(
        request, "analytics.html", nav="analytics", figures=figures, days=days, channel=channel,
        daily_chart=charts.daily_bars(figures.days, figures.per_day),
        services_chart=charts.horizontal_bars([(title, n) for _, title, n in figures.top_services]),
        languages_chart=charts.horizontal_bars(
            [(service.LANGUAGE_LABELS.get(code, code), n) for code, n in figures.languages], "#009E73", 120),
        channels_chart=charts.horizontal_bars(
            [(service.CHANNEL_LABELS.get(name, name), n) for name, n in figures.channels], "#56B4E9", 120),
        feedback_chart=charts.share_bar([("有幫助", figures.helpful, "#009E73"),
                                         ("沒幫助", figures.unhelpful, "#D55E00")]),
    )


@router.get("/audit")
def audit(request: Request, target: str = "", actor: str = "", _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    with session_scope() as session:
        entries = service.audit_entries(session, target=target.strip(), actor=actor.strip(), limit=300)
    return page(request, "audit.html", nav="audit", entries=entries, target=target, actor=actor)


# --- Staff accounts -----------------------------------------------------------------------------------------------


def _users_page(request: Request, status_code: int = 200, **extra) -> HTMLResponse:
    with session_scope() as session:
        staff = auth.users(session)
    return page(request, "users.html", status_code, nav="users", staff=staff, **extra)


@router.get("/users")
def users(request: Request, _user: StaffUser = Depends(admin)) -> HTMLResponse:
    return _users_page(request)


@router.post("/users")
def create_user(request: Request, username: str = Form(""), password: str = Form(""), new_role: str = Form("editor"),
                user: StaffUser = Depends(admin)) -> Response:
    try:
        with session_scope() as session:
            auth.create_user(session, username, password, auth.parse_role(new_role), user.username)
    except auth.AccountError as exc:
        return _users_page(request, 400, errors=[str(exc)], username=username)
    return redirect("/console/users?notice=user_created")


@router.post("/users/{user_id}")
def update_user(request: Request, user_id: int, change: str = Form(...), new_role: str = Form(""),
                password: str = Form(""), user: StaffUser = Depends(admin)) -> Response:
    try:
        with session_scope() as session:
            if change == "role":
                auth.set_role(session, user_id, auth.parse_role(new_role), user.username)
            elif change in ("deactivate", "activate"):
                auth.set_active(session, user_id, change == "activate", user)
            elif change == "password":
                auth.reset_password(session, user_id, password, user.username)
            else:
                raise auth.AccountError("不認得這個操作。")
    except auth.AccountError as exc:
        return _users_page(request, 400, errors=[str(exc)])
    return redirect("/console/users?notice=user_updated")


@router.get("/account")
def account(request: Request, _user: StaffUser = Depends(current_user)) -> HTMLResponse:
    return page(request, "account.html", nav="account")


@router.post("/account")
def change_password(request: Request, current: str = Form(""), new: str = Form(""), again: str = Form(""),
                    user: StaffUser = Depends(current_user)) -> Response:
    try:
        if new != again:
            raise auth.AccountError("兩次輸入的新密碼不一樣。")
        with session_scope() as session:
            auth.change_own_password(session, session.get_one(StaffUser, user.id), current, new)
    except auth.AccountError as exc:
        return page(request, "account.html", 400, nav="account", errors=[str(exc)])
    request.state.console = auth.ConsoleSession.anonymous()
    return redirect("/console/login?notice=password_changed")
