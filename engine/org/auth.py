"""Login checks with throttling of repeated failures, kept in the database so that every
web worker sees the same count."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.errors import DomainError
from engine.org.models import LoginAttempt, User
from engine.org.passwords import dummy_verify, verify_password

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class LoginRefused(DomainError):
    """Wrong login or password; the message does not say which."""


class LoginThrottled(DomainError):
    """Too many failures for this login lately; try again later."""


def authenticate(session: Session, login: str, password: str, now: datetime | None = None) -> User:
    """Returns the user, or raises. Records the attempt; the caller commits either way."""
    now = now or utcnow()
    login = login.strip().lower()[:64]
    if _recent_failures(session, login, now) >= MAX_FAILURES:
        session.add(LoginAttempt(login=login, attempted_at=now, succeeded=False))
        raise LoginThrottled(
            "Demasiados intentos fallidos. Espere 15 minutos antes de volver a intentarlo."
        )
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        dummy_verify()
    ok = user is not None and user.is_active and verify_password(user.password_hash, password)
    session.add(LoginAttempt(login=login, attempted_at=now, succeeded=ok))
    if not ok:
        raise LoginRefused("Usuario o contraseña incorrectos.")
    return user  # type: ignore[return-value]


def _recent_failures(session: Session, login: str, now: datetime) -> int:
    """Failures inside the window since the last success."""
    since = now - WINDOW
    last_ok = session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.login == login,
            LoginAttempt.succeeded.is_(True),
            LoginAttempt.attempted_at >= since,
        )
    )
    if last_ok is not None:
        since = last_ok if last_ok.tzinfo else last_ok.replace(tzinfo=now.tzinfo)
    return (
        session.scalar(
            select(func.count()).where(
                LoginAttempt.login == login,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at > since,
                LoginAttempt.attempted_at <= now,
            )
        )
        or 0
    )
