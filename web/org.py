"""The org chart: units → positions → who holds each one, and vacancies."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, abort, render_template
from flask_login import login_required

from engine.clock import today
from engine.errors import NotFound
from engine.org import unit_roster, unit_summaries
from web import db

bp = Blueprint("org", __name__, url_prefix="/organizacion")


@login_required
def index() -> str:
    return render_template("home.html")


@bp.route("/")
@login_required
def chart() -> str:
    summaries = unit_summaries(db.session(), today())
    groups = [(kind, list(items)) for kind, items in groupby(summaries, lambda s: s.unit.kind)]
    totals = {
        "positions": sum(s.positions for s in summaries),
        "occupied": sum(s.occupied for s in summaries),
    }
    return render_template("org/chart.html", groups=groups, totals=totals, on=today())


@bp.route("/<code>")
@login_required
def unit(code: str) -> str:
    try:
        unit, lines = unit_roster(db.session(), code, today())
    except NotFound:
        abort(404)
    vacant = sum(1 for line in lines if line.vacant)
    return render_template("org/unit.html", unit=unit, lines=lines, vacant=vacant, on=today())
