"""The auditors' history (``/historial``): every instance of every process, read-only,
with the path taken, the timeline, households and evidence exports. Views only call
``engine.history``, which refuses anyone who is not an auditor of the OCI or an admin."""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, Response, abort, render_template, request, send_file
from flask_login import current_user, login_required

from engine import audit, history
from engine.errors import NotFound, PermissionDenied
from engine.runtime.actors import Actor
from web import db

bp = Blueprint("history", __name__)


@bp.app_context_processor
def _nav() -> dict[str, object]:
    def show_history() -> bool:
        return bool(current_user.is_authenticated) and history.may_read_history(db.current_actor())

    return {"show_history": show_history}


def _reader() -> Actor:
    actor = db.current_actor()
    if not history.may_read_history(actor):
        abort(403)
    return actor


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.values.get(name, "").strip())
    except ValueError:
        return None


def _filter() -> history.HistoryFilter:
    v = request.values
    version = v.get("version", "").strip()
    return history.HistoryFilter(
        process=v.get("proceso", "").strip(),
        version=int(version) if version.isdigit() else None,
        unit=v.get("ut", "").strip(),
        date_from=_date("desde"),
        date_to=_date("hasta"),
        actor=v.get("actor", "").strip(),
        position=v.get("cargo", "").strip(),
        household=v.get("hogar", "").strip(),
    )


@bp.route("/historial/")
@login_required
def index() -> str:
    actor = _reader()
    session = db.session()
    f = _filter()
    page = max(request.args.get("pagina", 1, type=int) or 1, 1)
    rows = history.search(
        session, actor, f, limit=history.queries.PAGE + 1, offset=(page - 1) * history.queries.PAGE
    )
    return render_template(
        "history/index.html",
        f=f,
        rows=rows[: history.queries.PAGE],
        more=len(rows) > history.queries.PAGE,
        page=page,
        processes=history.processes(session),
        chain=audit.verify(session),
    )


@bp.route("/historial/instancias/<int:instance_id>")
@login_required
def instance(instance_id: int) -> str:
    actor = _reader()
    session = db.session()
    try:
        detail = history.instance_history(session, actor, instance_id)
        steps = history.timeline(session, actor, instance_id)
    except NotFound:
        abort(404)
    return render_template(
        "history/instance.html", h=detail, steps=steps, chain=audit.verify(session)
    )


@bp.route("/historial/instancias/<int:instance_id>/eventos/<int:seq>")
@login_required
def step(instance_id: int, seq: int) -> str:
    actor = _reader()
    try:
        found = history.step_at(db.session(), actor, instance_id, seq)
    except NotFound:
        abort(404)
    return render_template("history/step.html", s=found, instance_id=instance_id)


@bp.route("/historial/hogares/<path:code>")
@login_required
def household(code: str) -> str:
    actor = _reader()
    steps = history.household_events(db.session(), actor, code)
    return render_template("history/household.html", code=code, steps=steps)


@bp.post("/historial/exportar")
@login_required
def export() -> Response:
    fmt = request.form.get("formato", "csv")
    if fmt not in ("csv", "pdf"):
        abort(400)
    one = request.form.get("instancia", type=int)
    try:
        with db.database().write_transaction() as session:
            actor = db.current_actor(session)
            f = _filter()
            ids = [one] if one else history.instance_ids(session, actor, f)
            title = f"Solicitud N° {one}" if one else "Selección del historial"
            ev = history.export(
                session, actor, ids, title, {"instancia": str(one)} if one else f.as_params()
            )
    except PermissionDenied:
        abort(403)
    content = history.to_pdf(ev) if fmt == "pdf" else history.to_csv(ev)
    name = f"evidencia-{'solicitud-' + str(one) if one else 'seleccion'}-{ev.anchor['seq']}.{fmt}"
    return send_file(
        io.BytesIO(content),
        mimetype="application/pdf" if fmt == "pdf" else "text/csv",
        as_attachment=True,
        download_name=name,
    )
