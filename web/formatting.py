"""Template filters in Peruvian Spanish: dd/mm/aaaa dates, cargo numbers, unit kinds."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from engine.clock import LIMA
from engine.org import format_cargo

UNIT_KIND_LABELS = {
    "executive": "Alta Dirección",
    "coordination": "Coordinación",
    "control": "Unidad de Control",
    "internal_administration": "Unidad de Administración Interna",
    "technical": "Unidad Técnica",
    "territorial": "Unidad Territorial",
}


def fecha(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(LIMA).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["fecha"] = fecha
    app.jinja_env.filters["cargo"] = format_cargo
    app.jinja_env.filters["unit_kind"] = lambda kind: UNIT_KIND_LABELS.get(kind, kind)
