"""Documents a process issues (``documentos.*``): its "salidas o productos" that users can open.

The operation takes its content from the instance data through sandboxed parameters, so a
diagram says *what* is issued and *from which fields*; the number is correlative per kind
and year, and a redelivered call returns the document it already issued.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import today
from engine.documents.models import Document
from engine.services.registry import OperationContext, operation

__all__ = ["Document", "documents_of", "issue_document"]


@operation(
    "documentos.emitir",
    description=(
        "Emite un documento del proceso (resolución, informe, acta, formato…) con número "
        "correlativo por tipo y año y el contenido tomado de los datos de la instancia."
    ),
    params_schema={
        "type": "object",
        "required": ["tipo", "titulo"],
        "additionalProperties": False,
        "properties": {
            "tipo": {"type": "string", "minLength": 3, "maxLength": 120},
            "titulo": {"type": "string", "minLength": 1, "maxLength": 300},
            "cuerpo": {"type": "string", "maxLength": 20000},
            "contenido": {"type": "object"},
        },
    },
)
def issue_document(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    existing = ctx.session.scalar(
        select(Document).where(Document.idempotency_key == ctx.idempotency_key)
    )
    if existing is None:
        existing = _new_document(ctx, params)
    ctx.report_progress(1, 1)
    return {"documento_id": existing.id, "referencia": existing.reference}


def _new_document(ctx: OperationContext, params: dict[str, Any]) -> Document:
    year = today().year
    last = ctx.session.scalar(
        select(func.max(Document.number)).where(
            Document.kind == params["tipo"], Document.year == year
        )
    )
    document = Document(
        instance_id=ctx.instance_id,
        element_id=ctx.element_id,
        scope_unit_id=ctx.scope_unit_id,
        kind=params["tipo"],
        year=year,
        number=(last or 0) + 1,
        title=params["titulo"],
        body=params.get("cuerpo", ""),
        content=params.get("contenido", {}),
        idempotency_key=ctx.idempotency_key,
    )
    ctx.session.add(document)
    ctx.session.flush()
    return document


def documents_of(session: Session, instance_id: int) -> list[Document]:
    return list(
        session.scalars(
            select(Document).where(Document.instance_id == instance_id).order_by(Document.id)
        )
    )
