"""Notices for positions of the org chart, left by processes (``notificaciones.*``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.notifications.models import Notification
from engine.services.registry import OperationContext, operation

__all__ = ["Notification", "register_notice"]


@operation(
    "notificaciones.registrar",
    description="Deja un aviso para un cargo del Cuadro de Personal, en el ámbito de la instancia.",
    params_schema={
        "type": "object",
        "required": ["destinatario", "asunto"],
        "additionalProperties": False,
        "properties": {
            "destinatario": {"type": "string", "minLength": 3, "maxLength": 200},
            "asunto": {"type": "string", "minLength": 1, "maxLength": 200},
            "mensaje": {"type": "string", "maxLength": 5000},
        },
    },
)
def register_notice(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    """Idempotent by the call's key: a second delivery returns the first notice."""
    existing = ctx.session.scalar(
        select(Notification).where(Notification.idempotency_key == ctx.idempotency_key)
    )
    if existing is not None:
        return {"notificacion_id": existing.id}
    from engine.runtime.routing import units_with  # here: engine.runtime imports the catalog

    if not units_with(ctx.session, params["destinatario"]):  # the org chart, cached briefly
        raise ValueError(f"'{params['destinatario']}' no es un cargo del Cuadro de Personal")
    notice = Notification(
        recipient=params["destinatario"],
        scope_unit_id=ctx.scope_unit_id,
        subject=params["asunto"],
        body=params.get("mensaje", ""),
        instance_id=ctx.instance_id,
        idempotency_key=ctx.idempotency_key,
    )
    ctx.session.add(notice)
    ctx.session.flush()
    # One step, no progress to report: the call is stored as 1/1 when none came.
    return {"notificacion_id": notice.id}
