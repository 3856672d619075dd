"""The security audit's fixes (shared/reviews/2026-12-security-audit.md): no known default key (F1), logout ends the
session (F9), bounded request bodies (F7), the API never acting as a LINE user (F8), NUL bytes and lone surrogates
answered cleanly (F5), offline /docs, security headers, published services only, documented errors and a rate limit
on the anonymous API (F16). On SQLite, or on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from pydantic import ValidationError
from sqlmodel import select

from app import keys
from app.config import Settings, get_settings
from app.console import auth
from app.console.models import StaffRole
from app.conversation import messages
from app.conversation.models import ConversationTurn, UserState
from app.db import session_scope
from app.knowledge.schemas import Status
from app.knowledge.service import KnowledgeBase
from app.knowledge.views import services as services_view
from app.privacy import pseudonymise
from app.web.security import BODY_LIMITS, BodyLimitMiddleware, ClientRateLimiter, client_key
from tests.conversation_helpers import new_user, only_message, tap
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
YOUTH_REWARD = "tc-youth-employment-reward"


# --- F1: no key anyone can know -----------------------------------------------------------------------------------


@pytest.fixture
def no_keys(monkeypatch):
    monkeypatch.delenv("SESSION_SECRET", raising=False)
    monkeypatch.delenv("PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)


def test_unset_keys_are_generated_into_the_data_folder_readable_only_by_the_app_and_reused(tmp_path, no_keys):
    first = Settings(data_dir=tmp_path)
    session_secret, pseudonym_key = first.session_secret.get_secret_value(), first.pseudonym_key.get_secret_value()
    assert len(session_secret) >= 40 and len(pseudonym_key) >= 40 and session_secret != pseudonym_key
    assert keys.KNOWN_DEFAULT not in (session_secret, pseudonym_key)
    for name in ("session_secret", "pseudonym_key"):
        assert stat.S_IMODE((tmp_path / f"{name}.key").stat().st_mode) == 0o600
    again = Settings(data_dir=tmp_path)  # the next start
    assert again.session_secret.get_secret_value() == session_secret
    assert again.pseudonym_key.get_secret_value() == pseudonym_key
    assert Settings(data_dir=tmp_path / "elsewhere").session_secret.get_secret_value() != session_secret


def test_processes_starting_together_on_one_data_folder_get_the_same_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SESSION_SECRET", "PSEUDONYM_KEY")}
    env["DATA_DIR"] = str(tmp_path)
    # Each process waits for the same moment, then reads its settings: they race to create the files.
    start_at = time.time() + 3
    script = (f"import time; from app.config import Settings; time.sleep(max(0, {start_at!r} - time.time())); "
              "s = Settings(); print(s.session_secret.get_secret_value(), s.pseudonym_key.get_secret_value())")
    processes = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(8)]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1
    session_secret, pseudonym_key = outputs[0][0].split()
    assert (tmp_path / "session_secret.key").read_text().strip() == session_secret
    assert (tmp_path / "pseudonym_key.key").read_text().strip() == pseudonym_key


def test_production_refuses_to_start_without_both_keys_configured(tmp_path, no_keys):
    with pytest.raises(ValidationError) as refused:
        Settings(data_dir=tmp_path, environment="production")
    assert "SESSION_SECRET is not set" in str(refused.value) and "PSEUDONYM_KEY is not set" in str(refused.value)
    assert not list(tmp_path.iterdir())  # nothing was generated
    strong = "k" * 32
    for session_secret, problem in ((keys.KNOWN_DEFAULT, "SESSION_SECRET has the public default value"),
                                    ("short", "SESSION_SECRET is shorter than 16 characters")):
        with pytest.raises(ValidationError, match=problem):
            Settings(data_dir=tmp_path, environment="production", session_secret=session_secret, pseudonym_key=strong)
    configured = Settings(data_dir=tmp_path, environment="production", session_secret=strong,
                          pseudonym_key=strong[::-1])
    assert configured.session_secret.get_secret_value() == strong
    assert not list(tmp_path.iterdir())


def test_an_empty_variable_is_unset_not_an_empty_key(tmp_path, monkeypatch):
    monkeypatch.setenv("SESSION_SECRET", "")
    assert len(Settings(data_dir=tmp_path).session_secret.get_secret_value()) >= 40
    with pytest.raises(ValidationError, match="SESSION_SECRET is not set"):
        Settings(data_dir=tmp_path / "production", environment="production")


def web_server(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """`uvicorn app.main:app` as deployed, on a free port of 127.0.0.1, with the tests' environment and `env`."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log.open("ab"),
                               stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_server_does_not_start_in_production_without_the_keys(tmp_path):
    env = {"ENVIRONMENT": "production", "DATA_DIR": str(tmp_path), "SESSION_SECRET": "", "PSEUDONYM_KEY": ""}
    process, _ = web_server(env, tmp_path / "server.log")
    try:
        assert process.wait(timeout=120) != 0
    finally:
        stop(process)
    log = (tmp_path / "server.log").read_text()
    assert "ENVIRONMENT=production refuses to start: SESSION_SECRET is not set; PSEUDONYM_KEY is not set" in log


# --- Console sessions: Secure over HTTPS, HSTS, logout (F9) ----------------------------------------------------------


def app_client(**kwargs):
    """Another client on the running app (the `client` fixture started it): its own cookies, address or scheme."""
    from fastapi.testclient import TestClient

    from app.main import app

    return TestClient(app, follow_redirects=False, **kwargs)


def csrf_of(response: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)


def test_the_session_cookie_is_secure_and_hsts_sent_when_the_request_came_over_https(client):
    over_https = app_client(base_url="https://testserver").get("/console/login")
    assert "secure" in over_https.headers["set-cookie"].lower().split("; ")
    assert over_https.headers["strict-transport-security"] == "max-age=31536000"
    behind_proxy = app_client().get("/console/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in behind_proxy.headers["set-cookie"].lower().split("; ")
    assert "strict-transport-security" in behind_proxy.headers
    plain = app_client().get("/console/login")
    assert "secure" not in plain.headers["set-cookie"].lower().split("; ")
    assert "strict-transport-security" not in plain.headers


def test_a_cookie_copied_before_logout_is_refused_after_it(client):
    username, password = f"sec.{uuid.uuid4().hex[:8]}", "a long enough password"
    with session_scope() as session:
        auth.create_user(session, username, password, StaffRole.editor, "test")
    browser = app_client()
    token = csrf_of(browser.get("/console/login"))
    signed_in = browser.post("/console/login", data={"csrf_token": token, "username": username, "password": password})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/services"
    copied = browser.cookies[auth.COOKIE_NAME]
    page = browser.get("/console/services")
    assert page.status_code == 200
    assert browser.post("/console/logout", data={"csrf_token": csrf_of(page)}).status_code == 303

    thief = app_client()
    thief.cookies.set(auth.COOKIE_NAME, copied, path=auth.COOKIE_PATH)
    refused = thief.get("/console/services")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/console/login")


# --- F7: bodies bounded while they stream in ----------------------------------------------------------------------


def run(coroutine):
    return asyncio.run(coroutine)


def test_the_body_limit_stops_reading_a_chunked_body_at_the_limit():
    """At the ASGI level: the app behind reads the body, the middleware answers 413 and pulls no chunk past the limit,
    even though the app (as FastAPI does) turns the refusal into an answer of its own."""
    chunk, pulled, sent = b"x" * 10_000, [], []

    async def receive():
        pulled.append(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}  # a body that never ends

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        try:
            while (await receive()).get("more_body"):
                pass
        except Exception:
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"could not parse"})

    middleware = BodyLimitMiddleware(app, {"/api": 65_536, "/callback": 1_000_000})
    run(middleware({"type": "http", "path": "/api/ask", "headers": []}, receive, send))
    assert sent[0]["status"] == 413 and len(sent) == 2 and b"65536" in sent[1]["body"]
    assert len(pulled) == 7  # 65,536 bytes passed within the 7th chunk: nothing more was read
    assert middleware.limit_for("/callback") == 1_000_000 and middleware.limit_for("/api") == 65_536
    assert middleware.limit_for("/apix") is None and middleware.limit_for("/console/login") is None


def test_a_declared_content_length_over_the_limit_is_refused_unread():
    pulled, sent = [], []

    async def receive():
        pulled.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        raise AssertionError("the app must not run")

    headers = [(b"content-length", b"1000001")]
    run(BodyLimitMiddleware(app)({"type": "http", "path": "/callback", "headers": headers}, receive, send))
    assert sent[0]["status"] == 413 and not pulled


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real uvicorn process on the tests' database: only a real server shows what a streamed body does."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    process, url = web_server({}, log)
    deadline = time.monotonic() + 180
    while True:
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        try:
            httpx.get(url + "/healthz", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    yield SimpleNamespace(url=url)
    stop(process)


def endless_chunks(sent: list[int], total: int = 200_000_000, size: int = 65_536):
    """A chunked body of `total` bytes (far beyond any limit), counting what the client managed to send."""
    for _ in range(total // size):
        sent.append(size)
        yield b"a" * size


@pytest.mark.parametrize("path", ["/api/ask", "/callback"])
def test_a_server_refuses_an_endless_chunked_body_early(server, path):
    sent: list[int] = []
    started = time.monotonic()
    response = httpx.post(server.url + path, content=endless_chunks(sent), timeout=30,
                          headers={"Content-Type": "application/json", "X-Line-Signature": "AAAA"})
    assert response.status_code == 413
    assert "request body too large" in response.json()["detail"]
    # The client stopped when the server closed the connection: a few MB in socket buffers at most, not 200 MB.
    assert sum(sent) < 20 * BODY_LIMITS["/callback"], sum(sent)
    assert time.monotonic() - started < 10
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_an_api_body_over_64_kb_is_refused_with_413(client):
    assert client.post("/api/ask", json={"text": "老闆欠薪", "padding": "x" * 70_000}).status_code == 413
    assert client.post("/api/ask", json={"text": "老闆欠薪", "padding": "x" * 50_000}).status_code == 200


# --- F8: the API is never a LINE user -------------------------------------------------------------------------------


def state_of(pseudonym: str) -> UserState | None:
    with session_scope() as session:
        return session.get(UserState, pseudonym)


def test_the_api_with_a_line_users_id_neither_sees_nor_changes_that_users_conversation(client, line):
    victim = new_user()
    card = only_message(tap(client, line, messages.postback_data("svc", s=YOUTH_REWARD, l="zh-TW"), user=victim))
    check = next(b["action"]["data"] for b in card["contents"]["footer"]["contents"]
                 if b.get("type") == "button" and b["action"]["label"] == "我符合資格嗎？")
    first_question = only_message(tap(client, line, check, user=victim))
    assert "資格檢查 1/" in first_question["text"]
    before = state_of(pseudonymise(victim))
    assert (before.flow, before.flow_service_id, before.flow_step) == ("eligibility", YOUTH_REWARD, 0)

    answered = client.post("/api/ask", json={"text": "是", "user_id": victim}).json()
    assert "資格檢查" not in str(answered["messages"]) and YOUTH_REWARD not in str(answered)
    feedback = client.post("/api/ask", json={"text": "你回答錯了", "user_id": victim}).json()
    assert YOUTH_REWARD not in str(feedback)
    client.post("/api/ask", json={"text": "menu bahasa", "user_id": victim})

    after = state_of(pseudonymise(victim))
    assert (after.flow, after.flow_step, after.language) == ("eligibility", 0, before.language)
    with session_scope() as session:  # the API's turns are not logged as the LINE user's
        kinds = session.exec(select(ConversationTurn.channel).where(
            ConversationTurn.user_pseudonym == pseudonymise(victim))).all()
    assert "api" not in kinds
    # The LINE user carries on where they were.
    second = only_message(tap(client, line, next(i["action"]["data"] for i in first_question["quickReply"]["items"]
                                                   if i["action"]["label"] == "是"), user=victim))
    assert "資格檢查 2/" in second["text"]


def test_api_users_keep_a_conversation_of_their_own(client):
    user = f"web-{uuid.uuid4().hex}"
    client.post("/api/ask", json={"text": "失業給付怎麼申請", "user_id": user})
    assert state_of(pseudonymise(user, namespace="api")).topic_service_ids == ["unemployment-benefits"]
    assert state_of(pseudonymise(user)) is None


# --- F5: NUL bytes and lone surrogates ----------------------------------------------------------------------------


def last_turn_text() -> str:
    with session_scope() as session:
        return session.exec(select(ConversationTurn.text).order_by(ConversationTurn.id.desc())).first()


def test_nul_bytes_and_lone_surrogates_are_answered_as_the_question_meant(client):
    with_nul = client.post("/api/ask", json={"text": "老闆欠薪\u0000三個月怎麼辦", "user_id": "nul\u0000user"})
    assert with_nul.status_code == 200 and with_nul.json()["matches"][0]["service_id"] == "wages-unpaid"
    assert "\x00" not in last_turn_text() and "老闆欠薪三個月" in last_turn_text()
    # Sent as JSON escapes, as a buggy client would: a surrogate half with no other half.
    lone = client.post("/api/ask", headers={"Content-Type": "application/json"},
                       content=b'{"text": "\\ud800\\u8001\\u95c6\\u6b20\\u85aa", "user_id": "x\\udfff"}')
    assert lone.status_code == 200 and lone.json()["matches"][0]["service_id"] == "wages-unpaid"
    assert last_turn_text().startswith("\ufffd")
    postback = client.post("/api/postback", json={"data": messages.postback_data("svc", s="wages-unpaid") + "\u0000"})
    assert postback.status_code == 200
    surrogate_postback = client.post("/api/postback", headers={"Content-Type": "application/json"},
                                     content=b'{"data": "\\udc00a=1"}')
    assert surrogate_postback.status_code == 200
    for nothing_left in ({"text": "\u0000"}, {"text": " \u0000 "}):
        assert client.post("/api/ask", json=nothing_left).status_code == 422
    assert client.post("/api/postback", json={"data": "\u0000"}).status_code == 422


# --- F16: docs offline, headers, published services, documented errors, rate limit --------------------------------


def test_docs_are_served_from_the_apps_own_files(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    for source in sources:
        file = client.get(source)
        assert file.status_code == 200 and len(file.content) > 100, source
    assert "SwaggerUIBundle" in client.get("/static/docs/swagger-ui-bundle.js").text
    assert client.get("/static/docs/redoc.standalone.js").status_code == 404  # only the files /docs uses
    assert client.get("/redoc").status_code == 404  # ReDoc would come from a CDN
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.headers["content-type"] == "image/x-icon"
    assert favicon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.parametrize("path", ["/api/services", "/api/plan-items", "/docs", "/openapi.json", "/readyz", "/healthz",
                                  "/favicon.ico", "/api/no-such-thing"])
def test_every_answer_has_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    if path == "/docs":  # Swagger UI: its own script and the spec, nothing from elsewhere
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "connect-src 'self'" in headers["content-security-policy"]
    else:
        assert headers["content-security-policy"].startswith("default-src 'none'")


def test_pages_keep_their_own_policy(client):
    console = client.get("/console/login").headers
    assert console.get_list("content-security-policy") == [
        ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
         "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")]
    assert client.get("/try").headers["content-security-policy"].startswith("default-src 'self'")


def test_the_anonymous_service_list_has_only_published_services(client):
    published = client.get("/api/services").json()
    assert published and all(s["status"] == "published" for s in published)
    # A knowledge base with an unpublished service: it is not listed.
    kb = client.app.state.runtime.content.kb
    live, hidden = kb.published[0], kb.published[1].model_copy(update={"status": Status.draft})
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(
        content=SimpleNamespace(kb=KnowledgeBase(plan_items=(), services=(live, hidden)))))))
    assert [s.id for s in services_view(request)] == [live.id]


def test_openapi_documents_the_refusals(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"400", "413", "503"} <= set(paths["/callback"]["post"]["responses"])
    for path in ("/api/ask", "/api/postback", "/api/location"):
        assert {"200", "400", "413", "422", "429", "503"} <= set(paths[path]["post"]["responses"]), path


def test_the_conversation_api_is_rate_limited_per_client_address(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "api_ask_per_minute", 3)
    visitor = app_client(client=("203.0.113.50", 40000))
    answers = [visitor.post("/api/ask", json={"text": "老闆欠薪"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    refused = visitor.post("/api/postback", json={"data": messages.postback_data("svc", s="wages-unpaid")})
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 20
    assert "請稍後再試" in refused.json()["detail"]
    assert app_client(client=("203.0.113.51", 40000)).post("/api/ask", json={"text": "老闆欠薪"}).status_code == 200
    # The machine itself (tests, evaluation, monitoring) is not limited.
    assert all(client.post("/api/ask", json={"text": "老闆欠薪"}).status_code == 200 for _ in range(5))


def test_the_rate_limit_refills_over_time_and_counts_an_ipv6_subscriber_once():
    limiter = ClientRateLimiter()
    # Two a minute: a burst of two, then one every 30 s.
    assert [limiter.retry_after("198.51.100.7", 2, now=0.0) for _ in range(3)] == [None, None, 30]
    assert limiter.retry_after("198.51.100.7", 2, now=15.0) in (15, 16)  # a refused call costs nothing
    assert limiter.retry_after("198.51.100.7", 2, now=30.5) is None
    assert limiter.retry_after("198.51.100.7", 2, now=31.0) is not None
    assert limiter.retry_after("2001:db8:1:2::a", 1, now=0.0) is None
    assert limiter.retry_after("2001:db8:1:2::b", 1, now=1.0) is not None  # same /64
    assert limiter.retry_after("2001:db8:1:3::a", 1, now=1.0) is None
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert all(limiter.retry_after(host, 1) is None for host in ("127.0.0.1", "::1", "testclient") for _ in range(3))
    assert limiter.retry_after("198.51.100.8", 0) is None  # 0: no limit


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make browser)")
def test_docs_render_in_a_browser_under_their_policy_with_nothing_from_elsewhere(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox"])
        page = browser.new_page()
        problems, elsewhere = [], []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("request", lambda request: request.url.startswith(server.url) or elsewhere.append(request.url))
        page.goto(server.url + "/docs")
        page.wait_for_selector("[data-path=\"/api/ask\"]", timeout=30_000)
        browser.close()
    assert problems == [] and elsewhere == []  # a CSP violation is reported as a console error
