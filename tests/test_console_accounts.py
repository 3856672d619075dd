"""Staff accounts and sign-in: argon2 hashes, the database-backed login lock (per account, per account and known
address, per address; holding under parallel guesses), signed sessions that end when they should (logout too), the
account rules that keep at least one admin, and `python -m app create-user` reading stdin.

SQLite by default; with TEST_DATABASE_URL set, PostgreSQL in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import text
from sqlmodel import Session, SQLModel, create_engine, select

import app.conversation.models  # noqa: F401  (tables on the metadata)
from app.config import Settings
from app.console import auth
from app.console.models import LoginAttempt, StaffRole, StaffUser
from app.db import make_engine, utcnow
from app.knowledge.models import AuditLog

ROOT = Path(__file__).resolve().parents[1]
IP = "192.0.2.10"
OFFICE = "192.0.2.200"  # where chen.mei signed in before
SETTINGS = Settings(session_secret="unit-test-secret", console_login_max_failures=5, console_login_window_minutes=15,
                    console_login_max_failures_per_ip=30)
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture
def engine(tmp_path):
    schema = None
    if POSTGRES_URL.startswith("postgresql"):
        schema = f"accounts_{uuid.uuid4().hex[:12]}"
        admin_engine = create_engine(POSTGRES_URL)
        with admin_engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        # Enough connections for the parallel guesses below.
        engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=20,
                               max_overflow=40)
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'accounts.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as db:
        auth.create_user(db, "Chen.Mei", "correct horse battery", StaffRole.admin, "cli")
        db.commit()
    yield engine
    engine.dispose()
    if schema:
        with admin_engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin_engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as db:
        yield db


def sign_in(engine, username: str, password: str, ip: str = IP, settings: Settings = SETTINGS) -> StaffUser:
    """As the login page does it: each attempt in its own transactions."""
    return auth.sign_in(username, password, ip, settings, engine)


def failures(session: Session) -> int:
    session.expire_all()
    return len(session.exec(select(LoginAttempt).where(LoginAttempt.succeeded == False)).all())  # noqa: E712


def test_passwords_are_stored_as_argon2id_hashes(session):
    user = session.exec(select(StaffUser)).one()
    assert user.username == "chen.mei"
    assert user.password_hash.startswith("$argon2id$") and "correct horse" not in user.password_hash
    assert auth.verify_password(user.password_hash, "correct horse battery")
    assert not auth.verify_password(user.password_hash, "correct horse batterY")
    assert not auth.verify_password("not a hash", "anything")


def test_weak_passwords_and_bad_usernames_are_refused(session):
    with pytest.raises(auth.AccountError, match="10"):
        auth.create_user(session, "wang", "short", StaffRole.editor, "chen.mei")
    with pytest.raises(auth.AccountError, match="帳號"):
        auth.create_user(session, "王小明", "long enough password", StaffRole.editor, "chen.mei")
    with pytest.raises(auth.AccountError, match="已經存在"):
        auth.create_user(session, "CHEN.MEI", "long enough password", StaffRole.editor, "chen.mei")


def test_sign_in_records_the_attempt_and_the_time(engine, session):
    user = sign_in(engine, " Chen.Mei ", "correct horse battery")
    assert user.username == "chen.mei" and user.last_login_at is not None
    assert session.exec(select(LoginAttempt)).one().succeeded


def test_five_failures_lock_the_username_even_with_the_right_password(engine, session):
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(auth.LoginFailed) as failed:
            sign_in(engine, "chen.mei", "wrong password", f"198.51.100.{left}")
        assert failed.value.attempts_left == left
    with pytest.raises(auth.LoginLocked) as locked:
        sign_in(engine, "chen.mei", "correct horse battery", "203.0.113.9")
    assert 1 <= locked.value.minutes <= 15
    # The failures were committed; a locked attempt is not counted, so hammering does not prolong the lock.
    assert [a.succeeded for a in session.exec(select(LoginAttempt))] == [False] * 5


def test_colleagues_typos_at_one_office_address_do_not_lock_anyone_else_out(engine):
    for name in ("a1", "b2", "c3", "d4", "e5", "f6", "g7"):
        with pytest.raises(auth.LoginFailed):
            sign_in(engine, name, "guess")
    assert sign_in(engine, "chen.mei", "correct horse battery").username == "chen.mei"


def test_password_spraying_from_one_address_stops_at_the_per_address_ceiling(engine, session):
    spraying = Settings(session_secret="unit-test-secret", console_login_max_failures_per_ip=8)
    for n in range(8):
        with pytest.raises(auth.LoginFailed):
            sign_in(engine, f"staff{n}", "Summer2026!", settings=spraying)
    with pytest.raises(auth.LoginLocked):
        sign_in(engine, "chen.mei", "correct horse battery", settings=spraying)
    assert sign_in(engine, "chen.mei", "correct horse battery", "192.0.2.99", settings=spraying)
    # A success for one account does not reset the address's count for the others.
    with pytest.raises(auth.LoginLocked):
        sign_in(engine, "staff9", "Summer2026!", settings=spraying)
    assert failures(session) == 8


def test_guesses_from_elsewhere_do_not_lock_a_user_out_where_they_signed_in_before(engine):
    sign_in(engine, "chen.mei", "correct horse battery", OFFICE)
    for n in range(5):
        with pytest.raises(auth.LoginFailed):
            sign_in(engine, "chen.mei", "wrong password", f"203.0.113.{n}")
    with pytest.raises(auth.LoginLocked):
        sign_in(engine, "chen.mei", "correct horse battery", "203.0.113.77")  # any new address: locked
    assert sign_in(engine, "chen.mei", "correct horse battery", OFFICE)  # at the office: not


def test_guesses_at_a_known_address_lock_that_address(engine):
    sign_in(engine, "chen.mei", "correct horse battery", OFFICE)
    for _ in range(5):
        with pytest.raises(auth.LoginFailed):
            sign_in(engine, "chen.mei", "wrong password", OFFICE)
    with pytest.raises(auth.LoginLocked):
        sign_in(engine, "chen.mei", "correct horse battery", OFFICE)


def test_the_lock_lifts_when_the_failures_age_out_of_the_window(engine, session):
    long_ago = utcnow() - dt.timedelta(minutes=16)
    session.add_all(LoginAttempt(username="chen.mei", ip=IP, succeeded=False, at=long_ago) for _ in range(5))
    session.commit()
    assert sign_in(engine, "chen.mei", "correct horse battery")


def test_a_locked_attempt_is_not_recorded(engine, session):
    for _ in range(5):
        with pytest.raises(auth.LoginFailed):
            sign_in(engine, "chen.mei", "typo")
    for _ in range(3):
        with pytest.raises(auth.LoginLocked):
            sign_in(engine, "chen.mei", "typo")
    assert failures(session) == 5


PARALLEL = 40


def guess_in_parallel(engine, monkeypatch, attempts: list[tuple[str, str]], settings: Settings = SETTINGS):
    """Every (username, address) guess at once, from threads released together; returns how many passwords were
    checked and the outcomes."""
    checked = []
    verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checked.append(1) or verify(h, p))
    start = threading.Barrier(len(attempts))

    def guess(attempt: tuple[str, str]) -> str:
        start.wait()
        try:
            sign_in(engine, attempt[0], "wrong password", attempt[1], settings)
        except (auth.LoginFailed, auth.LoginLocked) as refused:
            return type(refused).__name__
        return "signed in"

    with ThreadPoolExecutor(len(attempts)) as pool:
        outcomes = list(pool.map(guess, attempts))
    return len(checked), outcomes


# When every guess is recorded before any is counted (PostgreSQL, many connections), none is checked at all.


def test_parallel_guesses_at_one_account_check_at_most_the_limit(engine, session, monkeypatch):
    checked, outcomes = guess_in_parallel(engine, monkeypatch, [("chen.mei", IP)] * PARALLEL)
    assert checked <= 5 and outcomes.count("LoginFailed") == checked
    assert outcomes.count("LoginLocked") == PARALLEL - checked
    assert failures(session) == checked  # the refused ones left no row behind: no lock longer than earned


def test_parallel_guesses_from_many_addresses_check_at_most_the_limit(engine, session, monkeypatch):
    attempts = [("chen.mei", f"198.51.100.{n}") for n in range(PARALLEL)]
    checked, outcomes = guess_in_parallel(engine, monkeypatch, attempts)
    assert checked <= 5 and outcomes.count("LoginLocked") == PARALLEL - checked
    assert failures(session) == checked


def test_parallel_spraying_from_one_address_checks_at_most_the_ceiling(engine, session, monkeypatch):
    spraying = Settings(session_secret="unit-test-secret", console_login_max_failures_per_ip=8)
    attempts = [(f"staff{n}", IP) for n in range(PARALLEL)]
    checked, outcomes = guess_in_parallel(engine, monkeypatch, attempts, spraying)
    assert checked <= 8 and outcomes.count("LoginLocked") == PARALLEL - checked
    assert failures(session) == checked


def test_a_success_starts_the_count_again(engine):
    for _ in range(4):
        with pytest.raises(auth.LoginFailed):
            sign_in(engine, "chen.mei", "typo")
    sign_in(engine, "chen.mei", "correct horse battery")
    with pytest.raises(auth.LoginFailed) as failed:
        sign_in(engine, "chen.mei", "typo")
    assert failed.value.attempts_left == 4


def test_a_deactivated_user_cannot_sign_in(engine, session):
    other = auth.create_user(session, "lin", "another long password", StaffRole.admin, "chen.mei")
    admin = session.exec(select(StaffUser).where(StaffUser.username == "chen.mei")).one()
    auth.set_active(session, other.id, False, admin)
    session.commit()
    with pytest.raises(auth.LoginFailed):
        sign_in(engine, "lin", "another long password")


def test_session_cookie_is_signed_expires_and_ends_when_the_epoch_moves(session, monkeypatch):
    user = session.exec(select(StaffUser)).one()
    signed_in = auth.ConsoleSession.signed_in(user)
    cookie = auth.encode_session(signed_in, SETTINGS)
    assert auth.decode_session(cookie, SETTINGS) == signed_in
    assert auth.session_user(session, auth.decode_session(cookie, SETTINGS)).id == user.id

    assert auth.decode_session(cookie[:-2] + "xx", SETTINGS) is None  # tampered
    assert auth.decode_session(cookie, Settings(session_secret="another-secret")) is None
    # Read two seconds later (the signature's clock counts whole seconds), rather than waiting for them to pass.
    signed_at = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: signed_at + 2)
    one_second = Settings(session_secret="unit-test-secret", console_session_hours=1 / 3600)
    assert auth.decode_session(cookie, one_second) is None  # expired

    auth.reset_password(session, user.id, "a brand new password", "chen.mei")  # ends every session of the user
    assert auth.session_user(session, signed_in) is None


def test_signing_out_ends_the_session_on_the_server(session):
    user = session.exec(select(StaffUser)).one()
    signed_in = auth.ConsoleSession.signed_in(user)
    auth.sign_out(session, signed_in)
    assert auth.session_user(session, signed_in) is None
    assert auth.session_user(session, auth.ConsoleSession.signed_in(user)).id == user.id  # the next login works


def test_csrf_token_must_match_the_session(session):
    data = auth.ConsoleSession.anonymous()
    assert auth.csrf_matches(data, data.csrf_token)
    assert not auth.csrf_matches(data, "")
    assert not auth.csrf_matches(data, auth.ConsoleSession.anonymous().csrf_token)
    assert not auth.csrf_matches(None, data.csrf_token)
    assert auth.ConsoleSession.signed_in(session.exec(select(StaffUser)).one()).csrf_token != data.csrf_token


def test_the_last_admin_cannot_be_demoted_or_deactivated(session):
    admin = session.exec(select(StaffUser)).one()
    with pytest.raises(auth.AccountError, match="管理員"):
        auth.set_role(session, admin.id, StaffRole.editor, "chen.mei")
    with pytest.raises(auth.AccountError, match="自己"):
        auth.set_active(session, admin.id, False, admin)
    other = auth.create_user(session, "lin", "another long password", StaffRole.admin, "chen.mei")
    auth.set_role(session, admin.id, StaffRole.publisher, "lin")
    assert admin.role is StaffRole.publisher and admin.session_epoch == 1
    with pytest.raises(auth.AccountError, match="管理員"):
        auth.set_active(session, other.id, False, admin)


def test_account_changes_are_audited(session):
    user = session.exec(select(StaffUser)).one()
    auth.change_own_password(session, user, "correct horse battery", "a brand new password")
    with pytest.raises(auth.AccountError, match="目前的密碼"):
        auth.change_own_password(session, user, "wrong", "another new password")
    actions = [(a.actor, a.action, a.target) for a in session.exec(select(AuditLog).order_by(AuditLog.id))]
    assert actions == [("cli", "create_user", "user:chen.mei"), ("chen.mei", "change_password", "user:chen.mei")]


def run_cli(tmp_path: Path, *args: str, stdin: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "app", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_create_user_reads_the_password_from_stdin_and_never_has_a_default(tmp_path):
    created = run_cli(tmp_path, "create-user", "Admin", "--role", "admin", stdin="first admin password\n")
    assert created.returncode == 0, created.stderr
    assert run_cli(tmp_path, "create-user", "ed", "--role", "editor", stdin="\n").returncode == 1  # no password
    again = run_cli(tmp_path, "create-user", "admin", "--role", "admin", stdin="other password 123\n")
    assert again.returncode == 1 and "--reset" in again.stderr
    reset = run_cli(tmp_path, "create-user", "admin", "--role", "admin", "--reset", stdin="other password 123\n")
    assert reset.returncode == 0, reset.stderr

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with Session(engine) as db:
        user = db.exec(select(StaffUser)).one()
        assert user.username == "admin" and user.role is StaffRole.admin and user.session_epoch == 1
        assert auth.verify_password(user.password_hash, "other password 123")
    engine.dispose()
