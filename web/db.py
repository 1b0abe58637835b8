"""One SQLAlchemy session per request; views commit explicitly when they write."""

from __future__ import annotations

from flask import current_app, g
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.db import Database
from engine.org import get_user
from engine.runtime.actors import Actor, actor_for_user


def database() -> Database:
    return current_app.extensions["juntos_db"]


def session() -> Session:
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


def close_session() -> None:
    db_session: Session | None = g.pop("db_session", None)
    if db_session is not None:
        db_session.rollback()  # anything a view did not commit is dropped
        db_session.close()


def current_actor(db_session: Session | None = None) -> Actor:
    """The logged-in person with the positions they hold today, read in ``db_session``
    (the request's session by default, read once per request; pass a write transaction's
    to act in it)."""
    if db_session is not None and db_session is not g.get("db_session"):
        return actor_for_user(db_session, get_user(db_session, current_user.id))
    actor: Actor | None = g.get("actor")
    if actor is None or actor.user_id != current_user.id:
        db_session = session()
        actor = g.actor = actor_for_user(db_session, get_user(db_session, current_user.id))
    return actor
