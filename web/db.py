"""One SQLAlchemy session per request; views commit explicitly when they write."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from engine.db import Database


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
