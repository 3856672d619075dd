"""Staff accounts and sign-in: argon2 hashes, the database-backed login lock, signed sessions that end when they
should, the account rules that keep at least one admin, and `python -m app create-user` reading stdin."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, select

import app.conversation.models  # noqa: F401  (tables on the metadata)
from app.config import Settings
from app.console import auth
from app.console.models import LoginAttempt, StaffRole, StaffUser
from app.db import make_engine, utcnow
from app.knowledge.models import AuditLog

ROOT = Path(__file__).resolve().parents[1]
IP = "192.0.2.10"
SETTINGS = Settings(session_secret="unit-test-secret", console_login_max_failures=5, console_login_window_minutes=15)


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'accounts.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as db:
        auth.create_user(db, "Chen.Mei", "correct horse battery", StaffRole.admin, "cli")
        db.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as db:
        yield db


def sign_in(engine, username: str, password: str, ip: str = IP) -> StaffUser:
    """As the login page does it: each attempt in its own transaction."""
    return auth.sign_in(username, password, ip, SETTINGS, engine)


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


def test_five_failures_from_one_ip_lock_that_ip_for_every_username(engine):
    for name in ("a1", "b2", "c3", "d4", "e5"):
        with pytest.raises(auth.LoginFailed):
            sign_in(engine, name, "guess")
    with pytest.raises(auth.LoginLocked):
        sign_in(engine, "chen.mei", "correct horse battery")
    assert sign_in(engine, "chen.mei", "correct horse battery", "192.0.2.99")


def test_the_lock_lifts_when_the_failures_age_out_of_the_window(engine, session):
    long_ago = utcnow() - dt.timedelta(minutes=16)
    session.add_all(LoginAttempt(username="chen.mei", ip=IP, succeeded=False, at=long_ago) for _ in range(5))
    session.commit()
    assert auth.lock_minutes(session, "chen.mei", IP, SETTINGS) is None
    assert sign_in(engine, "chen.mei", "correct horse battery")


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


def test_session_cookie_is_signed_expires_and_ends_when_the_epoch_moves(session):
    user = session.exec(select(StaffUser)).one()
    signed_in = auth.ConsoleSession.signed_in(user)
    cookie = auth.encode_session(signed_in, SETTINGS)
    assert auth.decode_session(cookie, SETTINGS) == signed_in
    assert auth.session_user(session, auth.decode_session(cookie, SETTINGS)).id == user.id

    assert auth.decode_session(cookie[:-2] + "xx", SETTINGS) is None  # tampered
    assert auth.decode_session(cookie, Settings(session_secret="another-secret")) is None
    time.sleep(2)
    one_second = Settings(session_secret="unit-test-secret", console_session_hours=1 / 3600)
    assert auth.decode_session(cookie, one_second) is None  # expired

    auth.reset_password(session, user.id, "a brand new password", "chen.mei")  # ends every session of the user
    assert auth.session_user(session, signed_in) is None


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
