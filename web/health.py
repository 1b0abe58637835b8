"""``/salud``: is the database reachable, and is a background worker alive?

Public (for load balancers and `make run` checks), so it names no host and no person.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from werkzeug.wrappers import Response

from engine import heartbeat
from web import db

bp = Blueprint("health", __name__)


@bp.route("/salud")
def health() -> tuple[Response, int]:
    session = db.session()
    session.execute(text("SELECT 1"))
    workers = heartbeat.alive(session)
    last = max((w.last_seen for w in workers), default=None)
    body = {
        "database": "ok",
        "workers_alive": len(workers),
        "last_heartbeat": last.isoformat() if last else None,
    }
    return jsonify(body), 200
