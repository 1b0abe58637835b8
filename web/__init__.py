"""The Flask application: calls ``engine``, holds no SQL and no workflow logic."""

from __future__ import annotations

from typing import Any

from flask import Flask

from engine.config import load_settings
from engine.db import Database
from web import api, auth, health, history, inbox, modeler, org, padron, processes, uploads
from web.csrf import csrf
from web.db import close_session
from web.errors import register_error_handlers
from web.formatting import register_filters


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    settings = load_settings()
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.cookie_secure,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        VAR_DIR=str(settings.var_dir),  # files the worker reads too (padrón imports)
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    if test_config:
        app.config.from_mapping(test_config)

    app.extensions["juntos_db"] = Database(app.config["DATABASE_URL"])
    uploads.init_app(app)  # before the CSRF check reads a form
    csrf.init_app(app)
    auth.init_app(app)
    register_filters(app)
    register_error_handlers(app)
    app.teardown_appcontext(lambda _exc: close_session())

    app.register_blueprint(auth.bp)
    app.register_blueprint(org.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(padron.bp)
    app.register_blueprint(processes.bp)
    app.register_blueprint(modeler.bp)
    app.register_blueprint(history.bp)
    app.add_url_rule("/", endpoint="index", view_func=org.index)
    return app
