"""Padrón pages: the verification formats of process 09 (CSV, XLSX, PDF), and the SISFOH
import as a background job — upload, a progress bar polled as JSON, the result."""

from __future__ import annotations

import io
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from engine import jobs
from engine.errors import DomainError, NotFound, PermissionDenied
from engine.padron import importjobs
from engine.padron.formatos import FORMATS, download_formato
from web import db
from web.uploads import upload_limit

bp = Blueprint("padron", __name__, url_prefix="/padron")
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
UPLOAD_LIMIT = 2 * importjobs.MAX_FILE_BYTES + 1024 * 1024  # two files and the form


@bp.app_context_processor
def _nav() -> dict[str, object]:
    def show_imports() -> bool:
        return bool(current_user.is_authenticated) and importjobs.may_import(db.current_actor())

    return {"show_imports": show_imports}


@bp.route("/formatos/<int:formato_id>.<fmt>")
@login_required
def formato(formato_id: int, fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    session = db.session()
    actor = db.current_actor(session)
    try:
        name, content = download_formato(
            session, formato_id, fmt, {p.unit_id for p in actor.positions}, actor.is_admin
        )
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    response = send_file(
        io.BytesIO(content), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- SISFOH import (process 07, 7.1) ---------------------------------------------------------


@bp.route("/importaciones/")
@login_required
def importaciones() -> str:
    try:
        rows = importjobs.list_jobs(db.session(), db.current_actor())
    except PermissionDenied:
        abort(403)
    return render_template(
        "padron/importaciones.html", jobs=rows, max_mb=importjobs.MAX_FILE_BYTES // 2**20
    )


@bp.post("/importaciones/")
@login_required
@upload_limit(UPLOAD_LIMIT)
def importar() -> Response:
    uploads = []
    for role in importjobs.ROLES:
        sent = request.files.get(role)
        uploads.append(importjobs.Upload(sent.filename or "", sent.stream) if sent else None)
    if None in uploads:
        flash("Adjunte el archivo de hogares y el de miembros.", "error")
        return redirect(url_for("padron.importaciones"))
    try:
        with db.database().write_transaction() as session:
            actor = db.current_actor(session)
            job = importjobs.create_job(
                session, actor, Path(current_app.config["VAR_DIR"]), uploads[0], uploads[1]
            )
            job_id = job.id
    except PermissionDenied:
        abort(403)
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("padron.importaciones"))
    jobs.dispatch_import(job_id)
    flash(f"Importación N° {job_id} en cola: el avance se muestra abajo.", "ok")
    return redirect(url_for("padron.importacion", job_id=job_id))


def _job(job_id: int) -> importjobs.ImportJob:
    try:
        return importjobs.get_job(db.session(), db.current_actor(), job_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


@bp.route("/importaciones/<int:job_id>")
@login_required
def importacion(job_id: int) -> str:
    job = _job(job_id)
    return render_template(
        "padron/importacion.html", job=job, status=importjobs.job_status(db.database(), job)
    )


@bp.route("/importaciones/<int:job_id>/avance")
@login_required
def avance(job_id: int) -> Response:
    """State, done/total and (when finished) the result: polled by the page's progress bar."""
    return importjobs.job_status(db.database(), _job(job_id))  # type: ignore[return-value]
