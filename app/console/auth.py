"""Who may use the console: staff accounts, argon2 passwords, login throttling, signed session cookies, CSRF.

The session lives in a signed cookie (itsdangerous): the user id, the user's session epoch (raised to end every
session of a user at once: at logout, and when a password or role changes) and a per-session CSRF token that every
form carries back. Failed logins are stored in the database, so a lock holds across server processes and restarts.
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
from app.db import as_utc, session_scope, utcnow
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
#
# Three counts of failures within the window decide whether a password is checked at all:
# - a username from any address it has not signed in from before: CONSOLE_LOGIN_MAX_FAILURES over every address, so
#   guessing one account from many addresses gets no further than from one;
# - a username from an address it signed in from before (the staff member's office): the same number, but for that
#   (username, address) pair only, so guesses from elsewhere do not lock the staff member out at their own desk;
# - one address over every username: CONSOLE_LOGIN_MAX_FAILURES_PER_IP, against password spraying. It is far higher
#   because a whole office shares one address: one person's typos must not lock their colleagues out.
# A username's failures count since its last successful login. An address's do not: one account's success says
# nothing about the guesses at the others.


def _failures(session: Session, *conditions, since: dt.datetime, exclude: int | None) -> list[dt.datetime]:
    query = select(LoginAttempt.at).where(*conditions, col(LoginAttempt.succeeded).is_(False), LoginAttempt.at > since)
    if exclude is not None:
        query = query.where(LoginAttempt.id != exclude)
    return sorted(as_utc(at) for at in session.exec(query))


def _counts(session: Session, username: str, ip: str, settings: Settings,
            exclude: int | None) -> list[tuple[list[dt.datetime], int]]:
    """(failures, how many are allowed) for the username's count that applies here and for the address."""
    since = utcnow() - dt.timedelta(minutes=settings.console_login_window_minutes)
    succeeded = (LoginAttempt.username == username, col(LoginAttempt.succeeded).is_(True))
    last_success = session.exec(select(func.max(LoginAttempt.at)).where(*succeeded)).one()
    user_since = max(since, as_utc(last_success)) if last_success else since
    known_address = session.exec(select(LoginAttempt.id).where(*succeeded, LoginAttempt.ip == ip).limit(1)).first()
    by_user = [LoginAttempt.username == username] + ([LoginAttempt.ip == ip] if known_address is not None else [])
    return [
        (_failures(session, *by_user, since=user_since, exclude=exclude), settings.console_login_max_failures),
        (_failures(session, LoginAttempt.ip == ip, since=since, exclude=exclude),
         settings.console_login_max_failures_per_ip),
    ]


def _lock_minutes(counts: list[tuple[list[dt.datetime], int]], settings: Settings) -> int | None:
    """Minutes until a login is allowed again, or None when it is allowed now."""
    window = dt.timedelta(minutes=settings.console_login_window_minutes)
    now = utcnow()
    remaining = dt.timedelta(0)
    for failures, allowed in counts:
        if len(failures) >= allowed:
            # Unlocks when enough of the counted failures have aged out of the window.
            remaining = max(remaining, failures[-allowed] + window - now)
    return max(1, math.ceil(remaining.total_seconds() / 60)) if remaining > dt.timedelta(0) else None


def sign_in(username: str, password: str, ip: str, settings: Settings, engine: Engine | None = None) -> StaffUser:
    """The user whose password this is; raises LoginLocked without checking the password while a lock holds.

    Insert first, then count: the attempt is committed (as a failure until the password proves right) before the
    failures are counted, and every attempt counts the others' rows. Of any number of parallel guesses, only those
    that see fewer failures than the limit get their password checked, and each later one sees the earlier ones:
    at most the limit are checked, on PostgreSQL as on SQLite, with no lock held while argon2 runs.
    A locked attempt's row is deleted again, so hammering a locked account does not extend the lock.
    """
    username, ip = normalise_username(username)[:80], ip[:64]
    with session_scope(engine) as session:
        session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < utcnow() - ATTEMPT_RETENTION))
        attempt = LoginAttempt(username=username, ip=ip, succeeded=False)
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
    with session_scope(engine) as session:
        minutes = _lock_minutes(_counts(session, username, ip, settings, exclude=attempt_id), settings)
        if minutes is not None:
            session.exec(delete(LoginAttempt).where(col(LoginAttempt.id) == attempt_id))
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
        password_hash = user.password_hash if user else _DUMMY_HASH
    if minutes is not None:
        raise LoginLocked(minutes)
    valid = verify_password(password_hash, password)
    with session_scope(engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
        # The hash compared: a password changed meanwhile is not signed in with the old one.
        if user and user.active and valid and user.password_hash == password_hash:
            if recorded := session.get(LoginAttempt, attempt_id):
                recorded.succeeded = True
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = utcnow()
            session.add(user)
            return user
        left = min(allowed - len(failures) for failures, allowed in _counts(session, username, ip, settings, None))
    raise LoginFailed(max(0, left))


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
    if data is None or not submitted:
        return False
    return secrets.compare_digest(data.csrf_token, submitted)


def sign_out(session: Session, data: ConsoleSession | None) -> None:
    """Ends the session on the server too, so a copy of the cookie taken before logout is refused after it. The
    cookie holds no session id of its own, so this ends the user's sessions in other browsers as well."""
    if (user := session_user(session, data)) is not None:
        user.session_epoch += 1
        session.add(user)


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
