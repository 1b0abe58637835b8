"""The process owner's modeler (``/modelador``): the page with bpmn-js, and JSON endpoints
(CSRF by header) that only call ``engine.modeling`` — which checks who may change what."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_login import login_required

from engine import modeling
from engine.config import load_settings
from engine.definitions import DefinitionRefused, latest_definitions
from engine.errors import DomainError, NotFound, PermissionDenied, ValidationError
from engine.modeling.catalog import catalog
from web import db

bp = Blueprint("modeler", __name__)


def _forms_dir():  # type: ignore[no-untyped-def]
    return load_settings().forms_dir


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    return body


def _error(exc: DomainError) -> tuple[Response, int]:
    if isinstance(exc, modeling.DraftRefused):
        problems = [f.as_dict() for f in exc.findings]
        return jsonify(message="El diagrama tiene problemas.", problems=problems), 422
    if isinstance(exc, DefinitionRefused):
        problems = [
            {"element_id": "", "line": p.line, "where": p.where, "message": p.message}
            for p in exc.problems
        ]
        return jsonify(message="El diagrama tiene problemas.", problems=problems), 422
    status = (
        403
        if isinstance(exc, PermissionDenied)
        else 404
        if isinstance(exc, NotFound)
        else 422
        if isinstance(exc, ValidationError)
        else 409
    )
    return jsonify(message=str(exc)), status


@bp.route("/modelador/")
@login_required
def index() -> str:
    session = db.session()
    actor = db.current_actor(session)
    rows = [(d, modeling.may_publish(session, d.key, actor)) for d in latest_definitions(session)]
    return render_template("modeler/index.html", rows=rows)


@bp.route("/modelador/<key>")
@login_required
def page(key: str) -> str:
    """The process in the modeler (owner) or viewer; ``?v=N`` shows version N read-only."""
    session = db.session()
    actor = db.current_actor(session)
    shown = request.args.get("v", type=int)
    try:
        definition = modeling.published(session, key, shown)
    except NotFound:
        abort(404)
    editable = not shown and modeling.may_publish(session, key, actor)
    edited = modeling.draft_forms(session, key) if editable else {}
    return render_template(
        "modeler/page.html",
        definition=definition,
        shown=shown,
        editable=editable,
        draft=modeling.draft_of(session, key),
        draft_forms=sorted(edited),
        versions=modeling.versions(session, key),
        catalog=catalog(session, definition, _forms_dir(), edited),
    )


@bp.route("/modelador/<key>/diagrama.bpmn")
@login_required
def xml(key: str) -> Response:
    """The draft (``?v=borrador``), a version (``?v=3``) or the latest, with a diagram."""
    session = db.session()
    wanted = request.args.get("v", "")
    editor = wanted == "borrador" and modeling.may_publish(session, key, db.current_actor(session))
    try:
        draft = modeling.draft_of(session, key) if editor else None
        if draft is not None:
            source = draft.source
        else:
            source = modeling.published(
                session, key, int(wanted) if wanted.isdigit() else None
            ).source
    except NotFound:
        abort(404)
    # Plain text, never rendered: a diagram is untrusted XML (it could carry XHTML scripts).
    response = Response(modeling.ensure_diagram(source), mimetype="text/plain")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/modelador/<key>/validar")
@login_required
def validate(key: str) -> Any:
    session = db.session()
    body = _body()
    try:
        findings, _ = modeling.check(
            session, key, body.get("xml"), _forms_dir(), forms=body.get("forms")
        )
    except DomainError as exc:
        return _error(exc)
    return jsonify(problems=[f.as_dict() for f in findings])


@bp.post("/modelador/<key>/comparar")
@login_required
def compare(key: str) -> Any:
    session = db.session()
    body = _body()
    try:
        result = modeling.diff(session, key, body.get("xml"), _forms_dir(), forms=body.get("forms"))
    except DomainError as exc:
        return _error(exc)
    return jsonify(result.as_dict())


@bp.post("/modelador/<key>/borrador")
@login_required
def save(key: str) -> Any:
    body = _body()
    try:
        with db.database().write_transaction() as session:
            draft = modeling.save_draft(
                session,
                key,
                db.current_actor(session),
                body.get("xml"),
                forms=body.get("forms"),
                forms_dir=_forms_dir(),
            )
            saved = {
                "sha256": draft.sha256,
                "base_version": draft.base_version,
                "forms": sorted(json.loads(draft.forms)),
            }
    except DomainError as exc:
        return _error(exc)
    return jsonify(saved)


@bp.post("/modelador/<key>/publicar")
@login_required
def publish(key: str) -> Any:
    try:
        with db.database().write_transaction() as session:
            result = modeling.publish(session, key, db.current_actor(session), _forms_dir())
    except DomainError as exc:
        return _error(exc)
    return jsonify(version=result.version)


@bp.post("/modelador/<key>/revertir")
@login_required
def rollback(key: str) -> Any:
    version = _body().get("version")
    if not isinstance(version, int):
        return jsonify(message="version: indique el número de versión"), 422
    try:
        with db.database().write_transaction() as session:
            result = modeling.rollback(
                session, key, version, db.current_actor(session), _forms_dir()
            )
    except DomainError as exc:
        return _error(exc)
    return jsonify(version=result.version)
