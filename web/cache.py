"""Reads that rarely change, remembered for a few seconds per web worker: who is calling (a
bearer token's holder or a logged-in session's user) and the inbox's filter choices.

Reading a caller (the token or the user, and the positions they hold today) takes two to
five queries on every request — more than an inbox page or an engine step needs for its own
work. A person clicks through the inbox, an integrating system calls many times a second, so
each worker process keeps who a caller is for ``TTL_SECONDS``.

Revocation delay: a token revoked, a user deactivated or an assignment changed through this
process's ORM empties the cache at once (the ``before_flush``/``after_commit`` hooks below);
a change made by another process or by raw SQL takes effect within ``TTL_SECONDS``. The
permission checks themselves still run in ``engine`` on every call, against these
positions. The filter choices (processes, units) follow the same rule for a publication.
A token is keyed by its SHA-256 only; failed lookups are never cached.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from engine.clock import today
from engine.db import Database
from engine.definitions.deploy import latest_definitions
from engine.definitions.models import ProcessDefinition
from engine.org import ApiToken, Holding, get_user, holdings, user_for_token
from engine.org.chart import list_units
from engine.org.models import Assignment, Position, Unit, User
from engine.runtime.actors import Actor, actor_for_user

TTL_SECONDS = 5.0
MAX_ENTRIES = 1024
T = TypeVar("T")

_CACHE: dict[tuple[Any, ...], tuple[float, Any]] = {}
_LOCK = threading.Lock()
# What the cached reads are made of: a change to any of these may change one of them.
_WATCHED = (ApiToken, User, Assignment, Position, Unit, ProcessDefinition)


def bearer_actor(database: Database, token: str) -> Actor | None:
    """The caller a bearer token stands for, with today's positions; None if the token is
    unknown, revoked, or its user deactivated."""
    digest = hashlib.sha256(token.encode()).hexdigest()

    def load(session: Session, on: date) -> Actor | None:
        user = user_for_token(session, token)
        return None if user is None else actor_for_user(session, user, on)

    return _remembered(database, ("token", digest), load)


def session_user(database: Database, user_id: int) -> tuple[User, list[Holding], Actor] | None:
    """A logged-in session's user (None once deactivated or gone), with the positions they
    hold today and the engine's Actor made of them."""

    def load(session: Session, on: date) -> tuple[User, list[Holding], Actor] | None:
        user = get_user(session, user_id)
        if user is None or not user.is_active:
            return None
        held = holdings(session, user.id, on)
        return user, held, Actor(user.id, user.login, user.is_admin, tuple(held))

    return _remembered(database, ("user", user_id), load)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def filter_choices(database: Database) -> tuple[list[Choice], list[Choice]]:
    """The inbox's choices of process (latest versions: key, name) and of unit (code, name)."""

    def load(session: Session, _on: date) -> tuple[list[Choice], list[Choice]]:
        processes = [Choice(d.key, d.name) for d in latest_definitions(session, names_only=True)]
        return processes, [Choice(u.code, u.name) for u in list_units(session)]

    return _remembered(database, ("choices",), load)  # type: ignore[return-value]


def _remembered(
    database: Database, key: tuple[Any, ...], load: Callable[[Session, date], T | None]
) -> T | None:
    on = today()
    full_key = (database.url, *key, on)
    now = time.monotonic()
    cached = _CACHE.get(full_key)
    if cached is not None and cached[0] > now:
        return cached[1]
    # A session of its own, closed without a rollback: the rows read stay loaded
    # (detached), usable by later requests of this process.
    with database.session() as session:
        found = load(session, on)
    if found is not None:
        with _LOCK:
            if len(_CACHE) >= MAX_ENTRIES:
                _CACHE.clear()
            _CACHE[full_key] = (now + TTL_SECONDS, found)
    return found


def forget() -> None:
    with _LOCK:
        _CACHE.clear()


@sa_event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: object, _instances: object) -> None:
    if _CACHE and any(
        isinstance(o, _WATCHED) for o in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info["callers_forget"] = True
        forget()


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """Again after the commit: a request may have cached the old rows in between."""
    if session.info.pop("callers_forget", False):
        forget()
