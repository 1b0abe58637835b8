"""JSON REST API (``/api``), described by ``/api/openapi.json``.

Authentication: the web session (state-changing calls then need the ``X-CSRFToken``
header) or ``Authorization: Bearer <token>`` (``juntos users token``). Every call goes
through the same engine functions, with the same permission checks, as the web and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from engine import runtime, taskwork
from engine.definitions import DefinitionRefused, latest_definitions
from engine.errors import DomainError, NotFound, PermissionDenied, ValidationError
from engine.org import get_user
from engine.runtime import Conflict
from engine.runtime import bulk as runtime_bulk
from engine.runtime.queries import instance_detail_for
from engine.runtime.render import instance_dict, task_dict
from web import db
from web.cache import bearer_actor
from web.csrf import csrf
from web.openapi import spec

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # checked below for session-authenticated writes; bearer calls carry no cookie

STATUS = {
    ValidationError: 422,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    DefinitionRefused: 422,
}


def _error(status: int, code: str, message: str, field: str | None = None) -> tuple[Response, int]:
    body: dict[str, Any] = {"error": code, "message": message}
    if field:
        body["field"] = field
    return jsonify(body), status


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> tuple[Response, int]:
    return _error(400, "CSRFError", "falta o no es válido el encabezado X-CSRFToken")


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> tuple[Response, int]:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    return _error(status, type(exc).__name__, str(exc), getattr(exc, "field", None))


@bp.before_request
def authenticate() -> tuple[Response, int] | None:
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        caller = bearer_actor(db.database(), header.removeprefix("Bearer ").strip())
        if caller is None:
            return _error(401, "Unauthorized", "token inválido o revocado")
        g.user_id, g.actor = caller.user_id, caller
    elif current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.user_id = current_user.id
    else:
        return _error(401, "Unauthorized", "inicie sesión o use un token (Authorization: Bearer)")
    return None


def actor(session) -> runtime.Actor:  # type: ignore[no-untyped-def]
    """The caller, with the positions they hold today: a bearer caller as ``web.cache``
    remembers them, a session user read in ``session``."""
    if "actor" in g:
        return g.actor
    return runtime.actor_for_user(session, get_user(session, g.user_id))


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("body", "el cuerpo debe ser un objeto JSON")
    return body


def writes(view: Callable[..., Any]) -> Callable[..., Any]:
    """Runs the view in one write transaction. The service calls a step queues are in the
    outbox when it commits; the workers take them from there (engine.runtime.outbox)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        caller = actor(db.session())  # read before the write lock: held for the step only
        with db.database().write_transaction() as session:
            return view(session, caller, *args, **kwargs)

    return wrapper


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(spec())


@bp.get("/processes")
def processes() -> Response:
    rows = latest_definitions(db.session())
    return jsonify(
        [
            {
                "key": d.key,
                "name": d.name,
                "version": d.version,
                "owner": d.owner,
                "manual_section": d.manual_section,
            }
            for d in rows
        ]
    )


@bp.post("/instances")
@writes
def start_instance(session, caller) -> tuple[Response, int]:  # type: ignore[no-untyped-def]
    body = _json_body()
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise ValidationError("data", "debe ser un objeto JSON")
    run = runtime.start_instance(
        session, str(body.get("key", "")), caller, data, scope=body.get("scope")
    )
    body = {
        "id": run.instance.id,
        "state": run.instance.state,
        "new_tasks": [task_dict(t) for t in run.new_tasks],
        "new_service_calls": run.new_service_calls,
    }
    return jsonify(body), 201


@bp.get("/instances/<int:instance_id>")
def instance(instance_id: int) -> Response:
    session = db.session()
    detail = instance_detail_for(session, actor(session), instance_id)
    return jsonify(instance_dict(detail, db.database()))


@bp.get("/tasks")
def tasks() -> Response:
    scope = request.args.get("scope", "all")
    if scope not in ("all", "mine", "available"):
        raise ValidationError("scope", "use all, mine o available")
    limit = min(max(request.args.get("limit", 50, type=int), 1), 500)
    offset = max(request.args.get("offset", 0, type=int), 0)
    rows = runtime.tasks_for(
        db.session(), actor(db.session()), scope=scope, limit=limit, offset=offset
    )
    return jsonify([task_dict(t) for t in rows])


@bp.post("/tasks/<int:task_id>/claim")
@writes
def claim(session, caller, task_id: int):  # type: ignore[no-untyped-def]
    runtime.claim(session, task_id, caller)
    return jsonify({"id": task_id, "state": "claimed"})


@bp.post("/tasks/<int:task_id>/unclaim")
@writes
def unclaim(session, caller, task_id: int):  # type: ignore[no-untyped-def]
    runtime.unclaim(session, task_id, caller)
    return jsonify({"id": task_id, "state": "ready"})


@bp.post("/tasks/<int:task_id>/complete")
@writes
def complete(session, caller, task_id: int):  # type: ignore[no-untyped-def]
    body = _json_body()
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise ValidationError("data", "debe ser un objeto JSON")
    done = runtime.complete(session, task_id, caller, data)
    body = {
        "id": task_id,
        "state": "completed",
        "instance_id": done.instance_id,
        "new_tasks": [task_dict(t) for t in done.new_tasks],  # what to do next: no second read
        "new_service_calls": done.new_service_calls,
    }
    return jsonify(body)


@bp.post("/tasks/<int:task_id>/draft")
@writes
def draft(session, caller, task_id: int):  # type: ignore[no-untyped-def]
    body = _json_body()
    saved = taskwork.save_draft(session, task_id, caller, body.get("data", {}))
    return jsonify({"id": task_id, "saved_at": saved.saved_at.isoformat()})


def _bulk_ids(body: dict[str, Any]) -> list[int]:
    ids = body.get("task_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise ValidationError("task_ids", "debe ser una lista de números de tarea")
    return ids


@bp.post("/tasks/bulk/claim")
def bulk_claim() -> Response:
    results = runtime_bulk.bulk_claim(db.database(), g.user_id, _bulk_ids(_json_body()))
    return jsonify({"results": [asdict(r) for r in results]})


@bp.post("/tasks/bulk/complete")
def bulk_complete() -> Response:
    body = _json_body()
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise ValidationError("data", "debe ser un objeto JSON")
    results = runtime_bulk.bulk_complete(db.database(), g.user_id, _bulk_ids(body), data)
    return jsonify({"results": [asdict(r) for r in results]})
