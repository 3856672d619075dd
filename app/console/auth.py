"""Who may use the console: staff accounts, argon2 passwords, login throttling, signed session cookies, CSRF.

The session lives in a signed cookie (itsdangerous): the user id, the user's session epoch (raised to end every
session of a user at once) and a per-session CSRF token that every form carries back. Failed logins are stored in the
database, so a lock holds across server processes and restarts.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, func, select

from app.config import Settings
from app.console.models import LoginAttempt, StaffRole, StaffUser
from app.db import session_scope, utcnow
from app.knowledge.models import AuditLog

COOKIE_NAME = "console_session"
COOKIE_PATH = "/console"
MIN_PASSWORD_LENGTH = 10
# Old attempts only matter for the lock window; a month is kept for reviewing guessing campaigns.
ATTEMPT_RETENTION = dt.timedelta(days=30)

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults
# Verified against when the username does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class LoginLocked(Exception):
    def __init__(self, minutes: int):
        super().__init__(f"locked for {minutes} min")
        self.minutes = minutes


class LoginFailed(Exception):
    def __init__(self, attempts_left: int):
        super().__init__("wrong username or password")
        self.attempts_left = attempts_left


def password_problem(password: str) -> str | None:
    """Why a new password is refused (in the staff's language), or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密碼至少需要 {MIN_PASSWORD_LENGTH} 個字元。"
    if password.strip() != password:
        return "密碼的開頭或結尾不能是空白。"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_username(username: str) -> str:
    return username.strip().lower()


# --- Throttling ----------------------------------------------------------------------------------------------------


def _failures_since_last_success(session: Session, column, value: str, since: dt.datetime) -> list[dt.datetime]:
    last_success = session.exec(
        select(func.max(LoginAttempt.at)).where(column == value, col(LoginAttempt.succeeded).is_(True))
    ).one()
    start = max(since, last_success) if last_success else since
    rows = session.exec(
        select(LoginAttempt.at).where(column == value, col(LoginAttempt.succeeded).is_(False), LoginAttempt.at > start)
    ).all()
    return sorted(rows)


def lock_minutes(session: Session, username: str, ip: str, settings: Settings) -> int | None:
    """Minutes until a login for this username or from this IP is allowed again, or None when it is allowed now."""
    window = dt.timedelta(minutes=settings.console_login_window_minutes)
    now = utcnow()
    remaining = dt.timedelta(0)
    for column, value in ((LoginAttempt.username, username), (LoginAttempt.ip, ip)):
        failures = _failures_since_last_success(session, column, value, now - window)
        if len(failures) >= settings.console_login_max_failures:
            # Unlocks when enough of the counted failures have aged out of the window.
            release = failures[-settings.console_login_max_failures] + window
            remaining = max(remaining, release - now)
    return max(1, math.ceil(remaining.total_seconds() / 60)) if remaining > dt.timedelta(0) else None


def attempts_left(session: Session, username: str, ip: str, settings: Settings) -> int:
    since = utcnow() - dt.timedelta(minutes=settings.console_login_window_minutes)
    used = max(
        len(_failures_since_last_success(session, LoginAttempt.username, username, since)),
        len(_failures_since_last_success(session, LoginAttempt.ip, ip, since)),
    )
    return max(0, settings.console_login_max_failures - used)


def authenticate(session: Session, username: str, password: str, ip: str, settings: Settings) -> StaffUser:
    """The user whose password this is; raises LoginLocked before checking anything while the lock holds.

    A locked attempt is not recorded, so hammering a locked account does not extend the lock.
    """
    username = normalise_username(username)[:80]
    session.exec(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - ATTEMPT_RETENTION))
    minutes = lock_minutes(session, username, ip, settings)
    if minutes is not None:
        raise LoginLocked(minutes)
    user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    succeeded = bool(user and user.active and valid)
    session.add(LoginAttempt(username=username, ip=ip, succeeded=succeeded))
    session.flush()
    if not succeeded:
        raise LoginFailed(attempts_left(session, username, ip, settings))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.add(user)
    return user


def sign_in(username: str, password: str, ip: str, settings: Settings, engine: Engine | None = None) -> StaffUser:
    """`authenticate` in a transaction of its own that is committed even when the password is wrong: a failure that
    was rolled back would never count towards the lock."""
    with session_scope(engine) as session:
        try:
            return authenticate(session, username, password, ip, settings)
        except LoginFailed as failed:
            refusal = failed
    raise refusal


# --- Sessions and CSRF ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleSession:
    user_id: int | None
    epoch: int
    csrf_token: str

    @classmethod
    def anonymous(cls) -> ConsoleSession:
        return cls(None, 0, secrets.token_urlsafe(32))

    @classmethod
    def signed_in(cls, user: StaffUser) -> ConsoleSession:
        """A fresh CSRF token at login, so a token seen before login is worth nothing after it."""
        return cls(user.id, user.session_epoch, secrets.token_urlsafe(32))


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.session_secret.get_secret_value(), salt="console-session")


def encode_session(data: ConsoleSession, settings: Settings) -> str:
    return _serializer(settings).dumps({"u": data.user_id, "e": data.epoch, "c": data.csrf_token})


def decode_session(cookie: str | None, settings: Settings) -> ConsoleSession | None:
    if not cookie:
        return None
    try:
        raw = _serializer(settings).loads(cookie, max_age=int(settings.console_session_hours * 3600))
        return ConsoleSession(raw["u"], int(raw["e"]), str(raw["c"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def csrf_matches(data: ConsoleSession | None, submitted: str | None) -> bool:
    return bool(data and submitted) and secrets.compare_digest(data.csrf_token, submitted)


def session_user(session: Session, data: ConsoleSession | None) -> StaffUser | None:
    """The signed-in user, or None when the cookie names nobody, a deactivated user or an ended session."""
    if data is None or data.user_id is None:
        return None
    user = session.get(StaffUser, data.user_id)
    if user is None or not user.active or user.session_epoch != data.epoch:
        return None
    return user


# --- Staff accounts ------------------------------------------------------------------------------------------------

USERNAME_RE = re.compile(r"^[a-z0-9._-]{2,40}$")


ROLE_LABELS = {StaffRole.editor: "編輯", StaffRole.publisher: "發布者", StaffRole.admin: "管理員"}


class AccountError(ValueError):
    """An account change that cannot be made; the message tells staff why."""


def _audit(session: Session, actor: str, action: str, target: str, detail: str | None = None) -> None:
    session.add(AuditLog(actor=actor, action=action, target=target, detail=detail))


def parse_role(value: str) -> StaffRole:
    try:
        return StaffRole(value)
    except ValueError:
        raise AccountError("角色只能是編輯、發布者或管理員。") from None


def users(session: Session) -> list[StaffUser]:
    return list(session.exec(select(StaffUser).order_by(StaffUser.username)))


def create_user(session: Session, username: str, password: str, role: StaffRole, actor: str) -> StaffUser:
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise AccountError("帳號只能用 2 到 40 個小寫英文字母、數字、點、底線或連字號。")
    if session.exec(select(StaffUser).where(StaffUser.username == username)).first():
        raise AccountError(f"帳號「{username}」已經存在。")
    if problem := password_problem(password):
        raise AccountError(problem)
    user = StaffUser(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    _audit(session, actor, "create_user", f"user:{username}", ROLE_LABELS[role])
    return user


def _other_active_admins(session: Session, user: StaffUser) -> int:
    return len(
        session.exec(
            select(StaffUser.id).where(StaffUser.role == StaffRole.admin, col(StaffUser.active).is_(True),
                                       StaffUser.id != user.id)
        ).all()
    )


def _user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise AccountError("找不到這個帳號。")
    return user


def set_role(session: Session, user_id: int, role: StaffRole, actor: str) -> StaffUser:
    user = _user(session, user_id)
    if user.role is StaffRole.admin and role is not StaffRole.admin and not _other_active_admins(session, user):
        raise AccountError("至少要留一位啟用中的管理員，不能把最後一位管理員改成其他角色。")
    if user.role != role:
        user.role, user.session_epoch = role, user.session_epoch + 1  # a changed role takes effect at once
        session.add(user)
        _audit(session, actor, "set_role", f"user:{user.username}", ROLE_LABELS[role])
    return user


def set_active(session: Session, user_id: int, active: bool, actor: StaffUser) -> StaffUser:
    user = _user(session, user_id)
    if not active and user.id == actor.id:
        raise AccountError("不能停用自己的帳號。")
    if not active and user.role is StaffRole.admin and not _other_active_admins(session, user):
        raise AccountError("至少要留一位啟用中的管理員。")
    if user.active != active:
        user.active, user.session_epoch = active, user.session_epoch + 1
        session.add(user)
        _audit(session, actor.username, "set_active", f"user:{user.username}", "啟用" if active else "停用")
    return user


def reset_password(session: Session, user_id: int, password: str, actor: str) -> StaffUser:
    user = _user(session, user_id)
    if problem := password_problem(password):
        raise AccountError(problem)
    user.password_hash, user.session_epoch = hash_password(password), user.session_epoch + 1
    session.add(user)
    _audit(session, actor, "reset_password", f"user:{user.username}")
    return user


def change_own_password(session: Session, user: StaffUser, current: str, new: str) -> StaffUser:
    if not verify_password(user.password_hash, current):
        raise AccountError("目前的密碼不正確。")
    if problem := password_problem(new):
        raise AccountError(problem)
    user.password_hash, user.session_epoch = hash_password(new), user.session_epoch + 1
    session.add(user)
    _audit(session, user.username, "change_password", f"user:{user.username}")
    return user
