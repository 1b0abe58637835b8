"""Template filters in Peruvian Spanish (Flask-Babel, locale es_PE, America/Lima): dd/mm/aaaa
dates, S/ 1,234.50 amounts, cargo numbers, unit kinds, and Markdown made safe."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import nh3
from flask import Flask
from flask_babel import Babel, format_currency, format_date, to_user_timezone
from markdown_it import MarkdownIt
from markupsafe import Markup

from engine.org import format_cargo
from engine.padron.importjobs import STATE_LABELS as IMPORT_STATE_LABELS

UNIT_KIND_LABELS = {
    "executive": "Alta Dirección",
    "coordination": "Coordinación",
    "control": "Unidad de Control",
    "internal_administration": "Unidad de Administración Interna",
    "technical": "Unidad Técnica",
    "territorial": "Unidad Territorial",
}
TASK_STATE_LABELS = {
    "ready": "Disponible",
    "claimed": "Tomada",
    "completed": "Completada",
    "cancelled": "Anulada",
}
INSTANCE_STATE_LABELS = {
    "running": "En curso",
    "suspended": "Suspendida",
    "completed": "Concluida",
    "cancelled": "Cancelada",
}
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})


def fecha(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # digits only: strftime in the user's zone is the same
        return to_user_timezone(value).strftime("%d/%m/%Y %H:%M")
    return format_date(value, "dd/MM/yyyy")


def soles(value: int | Decimal | str | None, centimos: bool = False) -> str:
    """S/ 1,234.50 — from Decimal/str soles, or from integer céntimos with ``centimos``."""
    if value is None:
        return ""
    amount = Decimal(value) / 100 if centimos else Decimal(value)
    return format_currency(amount, "PEN", locale="es_PE")


def markdown(text: str | None) -> Markup:
    """Markdown from a diagram (untrusted): rendered without raw HTML, then sanitised."""
    html = _MARKDOWN.render(text or "")
    return Markup(nh3.clean(html, link_rel="noopener noreferrer nofollow"))


def register_filters(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "es_PE")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "America/Lima")
    Babel(app)
    app.jinja_env.filters["fecha"] = fecha
    app.jinja_env.filters["soles"] = soles
    app.jinja_env.filters["markdown"] = markdown
    app.jinja_env.filters["cargo"] = format_cargo
    app.jinja_env.filters["unit_kind"] = lambda kind: UNIT_KIND_LABELS.get(kind, kind)
    app.jinja_env.filters["task_state"] = lambda s: TASK_STATE_LABELS.get(s, s)
    app.jinja_env.filters["instance_state"] = lambda s: INSTANCE_STATE_LABELS.get(s, s)
    app.jinja_env.filters["estado_importacion"] = lambda s: IMPORT_STATE_LABELS.get(s, s)
