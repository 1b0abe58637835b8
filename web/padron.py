"""Padrón files for the field: the verification formats of process 09 (CSV, XLSX, PDF)."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, send_file
from flask_login import login_required

from engine.errors import NotFound, PermissionDenied
from engine.padron.formatos import FORMATS, download_formato
from web import db

bp = Blueprint("padron", __name__, url_prefix="/padron")
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


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
