"""Starting processes (``/procesos``), "Mis solicitudes" and the instance page (with the
owner's "Migrar a la versión N"), and the dashboard of Jefes and the Director (``/tablero``)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import modeling, runtime
from engine.definitions.validate import START_FORM_PROPERTY, START_UI_FORM_PROPERTY
from engine.documents import documents_of
from engine.errors import DomainError, NotFound, PermissionDenied
from engine.runtime.dashboard import dashboard
from engine.runtime.lifecycle import startable
from engine.runtime.queries import instance_detail_for, instances_started_by
from engine.runtime.render import instance_dict
from web import db

bp = Blueprint("processes", __name__)


@bp.route("/procesos/")
@login_required
def index() -> str:
    actor = db.current_actor()
    units = sorted({(p.unit.code, p.unit.name) for p in actor.positions})
    processes = startable(db.session(), actor)
    with_form = {d.key for d in processes if START_FORM_PROPERTY in json.loads(d.properties)}
    return render_template(
        "processes/index.html", processes=processes, units=units, with_form=with_form
    )


@bp.get("/procesos/<key>/iniciar")
@login_required
def start_form(key: str) -> str:
    """The process's start form (its entradas), when it declares one."""
    actor = db.current_actor()
    found = [d for d in startable(db.session(), actor) if d.key == key]
    if not found:
        abort(404)
    definition = found[0]
    forms = json.loads(definition.forms)
    props = json.loads(definition.properties)
    units = sorted({(p.unit.code, p.unit.name) for p in actor.positions})
    return render_template(
        "processes/start.html",
        definition=definition,
        schema=forms.get(props.get(START_FORM_PROPERTY, ""), {"type": "object"}),
        ui_schema=forms.get(props.get(START_UI_FORM_PROPERTY, ""), {}),
        units=units,
        json=json,
    )


@bp.post("/procesos/<key>/iniciar")
@login_required
def start(key: str) -> Response:
    data = {}
    household = request.form.get("co_hogar", "").strip()
    if household:
        data["co_hogar"] = household
    scope = request.form.get("ambito", "").strip() or None
    try:
        with db.database().write_transaction() as session:
            actor = db.current_actor(session)
            run = runtime.start_instance(session, key, actor, data, scope=scope)
            instance_id = run.instance.id
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("processes.index"))
    flash(f"Inició la solicitud N° {instance_id}.", "ok")
    return redirect(url_for("processes.instance", instance_id=instance_id))


@bp.route("/solicitudes/")
@login_required
def mine() -> str:
    page = max(request.args.get("pagina", 1, type=int) or 1, 1)
    rows = instances_started_by(db.session(), current_user.id, limit=26, offset=(page - 1) * 25)
    return render_template(
        "processes/mine.html", instances=rows[:25], page=page, more=len(rows) > 25
    )


@bp.route("/instancias/<int:instance_id>")
@login_required
def instance(instance_id: int) -> str:
    session = db.session()
    try:
        detail = instance_detail_for(session, db.current_actor(), instance_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    view = instance_dict(detail, db.database())
    return render_template(
        "processes/instance.html",
        detail=detail,
        view=view,
        documents=documents_of(session, instance_id),
        migrate_to=modeling.migration_offer(session, detail.instance, db.current_actor(session)),
    )


@bp.post("/instancias/<int:instance_id>/migrar")
@login_required
def migrate(instance_id: int) -> Response:
    """Moves a running instance to a newer version (``migrate_instance`` decides who may and
    whether it can); a refusal comes back with its reason, someone else gets 403."""
    version = request.form.get("version", type=int)
    try:
        with db.database().write_transaction() as session:
            moved = modeling.migrate_instance(
                session, instance_id, db.current_actor(session), version
            )
        flash(
            f"Migró la solicitud N° {instance_id} de la versión {moved.from_version} "
            f"a la versión {moved.to_version}.",
            "ok",
        )
    except PermissionDenied:
        abort(403)
    except DomainError as exc:  # the reason, on the page (a missing instance 404s there)
        flash(f"No se migró: {exc}", "error")
    return redirect(url_for("processes.instance", instance_id=instance_id))


@bp.route("/instancias/<int:instance_id>/progreso")
@login_required
def progress(instance_id: int) -> Response:
    """Progress of the instance's service calls, polled by the page's progress bars."""
    session = db.session()
    try:
        detail = instance_detail_for(session, db.current_actor(), instance_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    view = instance_dict(detail, db.database())
    return {
        "state": view["state"],
        "calls": [
            {"id": c["id"], "state": c["state"], "progress": c["progress"]}
            for c in view["service_calls"]
        ],
    }


@bp.route("/tablero/")
@login_required
def board() -> str:
    figures = dashboard(db.session(), db.current_actor())
    return render_template("processes/board.html", board=figures)
