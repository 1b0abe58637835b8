"""Bearer-token callers of ``/api``, remembered for a few seconds.

Reading the token, its user and the positions they hold takes five queries — more than the
engine step the call asks for. An integrating system calls many times a second with the
same token, so each worker process keeps who a token's caller is for ``TTL_SECONDS``.

Revocation delay: a token revoked, a user deactivated or an assignment changed through this
process's ORM empties the cache at once (the ``before_flush``/``after_commit`` hooks below);
a change made by another process or by raw SQL takes effect within ``TTL_SECONDS``. The
permission checks themselves still run in ``engine`` on every call, against these
positions. Only the token's SHA-256 is used as the key; failed lookups are never cached.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import date

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from engine.clock import today
from engine.db import Database
from engine.org import ApiToken, user_for_token
from engine.org.models import Assignment, Position, Unit, User
from engine.runtime.actors import Actor, actor_for_user

TTL_SECONDS = 5.0
MAX_ENTRIES = 1024

_CACHE: dict[tuple[str, str, date], tuple[float, Actor]] = {}
_LOCK = threading.Lock()
# What an Actor is made of: a change to any of these may change who a token's caller is.
_WATCHED = (ApiToken, User, Assignment, Position, Unit)


def bearer_actor(database: Database, token: str) -> Actor | None:
    """The caller a bearer token stands for, with today's positions; None if the token is
    unknown, revoked, or its user deactivated."""
    key = (database.url, hashlib.sha256(token.encode()).hexdigest(), today())
    now = time.monotonic()
    cached = _CACHE.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    # A session of its own, closed without a rollback: the positions read stay loaded
    # (detached), usable by later requests of this process.
    with database.session() as session:
        user = user_for_token(session, token)
        actor = None if user is None else actor_for_user(session, user, key[2])
    if actor is not None:
        with _LOCK:
            if len(_CACHE) >= MAX_ENTRIES:
                _CACHE.clear()
            _CACHE[key] = (now + TTL_SECONDS, actor)
    return actor


def forget() -> None:
    with _LOCK:
        _CACHE.clear()


@sa_event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: object, _instances: object) -> None:
    if _CACHE and any(
        isinstance(o, _WATCHED) for o in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info["bearer_forget"] = True
        forget()


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """Again after the commit: a request may have cached the old rows in between."""
    if session.info.pop("bearer_forget", False):
        forget()
