"""The staff inbox (``/bandeja``) and the task page (``/tareas/<id>``).

Views only translate between HTTP and the engine: every permission is checked by the engine
call they make (``inbox``, ``task_page``, ``claim``…), so the API and the CLI enforce the same.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from engine import runtime
from engine.errors import DomainError, NotFound, PermissionDenied
from engine.padron import household_card
from engine.runtime.bulk import MAX_BULK, same_kind
from engine.runtime.inbox import InboxQuery, inbox
from engine.runtime.task_page import task_page
from engine.taskwork import (
    ALLOWED_TYPES,
    add_attachment,
    add_comment,
    attachment_for,
    attachments_of,
    comments_of,
    draft_of,
)
from web import db
from web.cache import filter_choices

bp = Blueprint("inbox", __name__)

TAB_LABELS = {"mine": "Mis tareas", "available": "Disponibles", "team": "Mi equipo"}


def _query() -> InboxQuery:
    args = request.args

    def text(name: str) -> str | None:
        value = args.get(name, "").strip()
        return value or None

    return InboxQuery(
        tab=args.get("tab", "mine"),
        process_key=text("proceso"),
        element_id=text("tarea"),
        unit_code=text("unidad"),
        due=text("vence"),
        household=text("hogar"),
        text=text("q"),
        sort=args.get("orden", "due"),
        page=args.get("pagina", 1, type=int) or 1,
        per_page=args.get("por_pagina", 25, type=int) or 25,
    )


@bp.route("/bandeja/")
@login_required
def index() -> str:
    page = inbox(db.session(), db.current_actor(), _query())
    processes, units = filter_choices(db.database())
    return render_template(
        "inbox/index.html",
        page=page,
        tabs=TAB_LABELS,
        processes=processes,
        units=units,
        args=request.args,
        max_bulk=MAX_BULK,
        done=request.args.get("completada"),
        link=_link,
    )


def _link(overrides: dict[str, Any]) -> str:
    """The inbox URL with the current filters and ``overrides``."""
    return url_for("inbox.index", **{**request.args.to_dict(), **overrides})


def _write(action) -> None:  # type: ignore[no-untyped-def]
    """Runs ``action(session, actor)`` in one write transaction (the service calls it queues
    go to the workers from the outbox: engine.runtime.outbox)."""
    with db.database().write_transaction() as session:
        action(session, db.current_actor(session))


def _back(task_id: int) -> Response:
    return redirect(url_for("inbox.task", task_id=task_id))


def _flash_error(exc: DomainError) -> None:
    flash(str(exc), "error")


@bp.route("/tareas/<int:task_id>")
@login_required
def task(task_id: int) -> str:
    session = db.session()
    actor = db.current_actor()
    try:
        page = task_page(session, actor, task_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    return render_template(
        "inbox/task.html",
        page=page,
        card=_card(session, page.task.household),
        comments=comments_of(session, actor, task_id),
        attachments=attachments_of(session, actor, task_id),
        draft=draft_of(session, actor, task_id),
        allowed_types=", ".join(sorted(ALLOWED_TYPES)),
        json=json,
    )


def _card(session, co_hogar: str | None):  # type: ignore[no-untyped-def]
    """The household card of the task's hogar, when the padrón has it."""
    if not co_hogar:
        return None
    try:
        return household_card(session, co_hogar).as_dict()
    except NotFound:
        return None


@bp.post("/tareas/<int:task_id>/tomar")
@login_required
def claim(task_id: int) -> Response:
    try:
        _write(lambda s, a: runtime.claim(s, task_id, a))
        flash("Tomó la tarea: ahora está en «Mis tareas».", "ok")
    except DomainError as exc:
        _flash_error(exc)
    return _back(task_id)


@bp.post("/tareas/<int:task_id>/liberar")
@login_required
def unclaim(task_id: int) -> Response:
    try:
        _write(lambda s, a: runtime.unclaim(s, task_id, a))
        flash("Liberó la tarea: vuelve a estar disponible para su cargo.", "ok")
    except DomainError as exc:
        _flash_error(exc)
    return _back(task_id)


@bp.post("/tareas/<int:task_id>/reasignar")
@login_required
def reassign(task_id: int) -> Response:
    to_login = request.form.get("a", "").strip() or None
    try:
        _write(lambda s, a: runtime.reassign(s, task_id, a, to_login))
        flash("Tarea reasignada." if to_login else "Tarea devuelta a la bandeja del cargo.", "ok")
    except DomainError as exc:
        _flash_error(exc)
    return _back(task_id)


@bp.post("/tareas/<int:task_id>/comentarios")
@login_required
def comment(task_id: int) -> Response:
    body = request.form.get("comentario", "")
    try:
        _write(lambda s, a: add_comment(s, task_id, a, body) and None)
        flash("Comentario publicado.", "ok")
    except DomainError as exc:
        _flash_error(exc)
    return redirect(url_for("inbox.task", task_id=task_id) + "#comentarios")


@bp.post("/tareas/<int:task_id>/adjuntos")
@login_required
def attach(task_id: int) -> Response:
    upload = request.files.get("archivo")
    content = upload.read() if upload else b""
    filename = upload.filename if upload else ""
    try:
        _write(lambda s, a: add_attachment(s, task_id, a, filename or "", content) and None)
        flash("Archivo adjuntado.", "ok")
    except DomainError as exc:
        _flash_error(exc)
    return redirect(url_for("inbox.task", task_id=task_id) + "#adjuntos")


@bp.route("/adjuntos/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    try:
        attachment = attachment_for(db.session(), db.current_actor(), attachment_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    response = send_file(
        io.BytesIO(attachment.content),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/bandeja/lote", methods=["GET", "POST"])
@login_required
def bulk() -> Any:
    """The form of one kind of task, to complete the selected tasks with the same data."""
    values = request.form.getlist("ids") or request.args.getlist("ids")
    ids = [int(v) for v in values if v.isdigit()][:MAX_BULK]
    if not ids:
        flash("Seleccione las tareas del lote.", "error")
        return redirect(url_for("inbox.index", tab="mine"))
    try:
        if same_kind(db.database(), ids, current_user.id) is None:
            raise PermissionDenied("no tiene acceso a estas tareas")
        first = task_page(db.session(), db.current_actor(), ids[0])
    except DomainError as exc:
        _flash_error(exc)
        return redirect(url_for("inbox.index", tab=request.form.get("tab", "mine")))
    return render_template("inbox/bulk.html", ids=ids, page=first, json=json)
