"""The ``pagos.*`` operations that the service tasks of processes 11 and 12 call.

Each runs inside the worker's transaction that also completes its service task, so it is
applied once or not at all; its result is kept by the call's idempotency key
(``engine.services.results``) and a second delivery returns it. Besides, every step is
idempotent per period (a re-run from the CLI or another instance finds what was done), and
the primary key (hogar, periodo) of the liquidation lines forbids a second payment for a
period.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from engine.pagos import conciliacion, liquidacion, orden, respuesta, retiro
from engine.pagos.archivos import ArchivoRechazado
from engine.services.registry import OperationContext, operation

PERIODO = {"type": "string", "pattern": r"^\d{4}-B[1-6]$"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _schema(**properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": {"periodo": PERIODO, **properties},
    }


@operation(
    "pagos.cerrar_padron",
    description="Cierre del padrón del período: afiliados con su resultado de verificación.",
    params_schema=_schema(),
    once=True,
)
def op_cerrar_padron(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    return liquidacion.cerrar_padron(
        ctx.session,
        params["periodo"],
        instance_id=ctx.instance_id,
        progress=ctx.report_progress,
    )


@operation(
    "pagos.liquidar",
    description="Incentivo por hogar (tabla de decisión), atrasos, total de la transferencia.",
    params_schema=_schema(),
    once=True,
)
def op_liquidar(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    return liquidacion.liquidar(ctx.session, params["periodo"], progress=ctx.report_progress)


@operation(
    "pagos.generar_orden",
    description="Archivo de orden de pago a la Entidad Pagadora (con línea final de control).",
    params_schema=_schema(),
    once=True,
)
def op_generar_orden(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    return orden.generar_orden(ctx.session, params["periodo"], progress=ctx.report_progress)


def _respuesta(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    try:
        result = respuesta.registrar_respuesta(
            ctx.session, params["periodo"], Path(params["archivo"]), progress=ctx.report_progress
        )
    except ArchivoRechazado as exc:  # nothing applied; the process asks for a new file
        return {"valida": False, "archivo": exc.path, "errores": exc.errors, "total": exc.total}
    return result | {"valida": True}


@operation(
    "pagos.registrar_respuesta",
    description="Archivo de respuesta de la Entidad Pagadora: abonado / no abonado por hogar.",
    params_schema=_schema(archivo={"type": "string", "minLength": 1, "maxLength": 500}),
    once=True,
)
def op_registrar_respuesta(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    return _respuesta(ctx, params)


@operation(
    "pagos.conciliar",
    description="Informe de conciliación: ordenado, abonado y rechazado, al céntimo.",
    params_schema=_schema(),
    once=True,
)
def op_conciliar(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    return conciliacion.conciliar(ctx.session, params["periodo"])


CICLO = {"type": "integer", "minimum": 1, "maximum": 12}


@operation(
    "pagos.programar_retiro",
    description="Puntos de pago por centro poblado y ciclo para los hogares abonados.",
    params_schema=_schema(
        ciclo=CICLO, fecha_inicio=DATE, dias={"type": "integer", "minimum": 1, "maximum": 60}
    ),
    once=True,
)
def op_programar_retiro(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    return retiro.programar_retiro(
        ctx.session,
        params["periodo"],
        params["ciclo"],
        date.fromisoformat(params["fecha_inicio"]),
        params["dias"],
    )


@operation(
    "pagos.reprogramar_retiro",
    description="Reprograma un ciclo del servicio para el retiro por fuerza mayor.",
    params_schema=_schema(ciclo=CICLO, nueva_fecha=DATE),
    once=True,
)
def op_reprogramar_retiro(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    return retiro.reprogramar(
        ctx.session,
        params["periodo"],
        params["ciclo"],
        date.fromisoformat(params["nueva_fecha"]),
    )


INCIDENCIA = {
    "type": "object",
    "required": ["centro_poblado", "tipo", "fecha"],
    "properties": {
        "centro_poblado": {"type": "string", "minLength": 1, "maxLength": 150},
        "tipo": {"type": "string", "minLength": 1, "maxLength": 60},
        "descripcion": {"type": "string", "maxLength": 2000},
        "fecha": DATE,
    },
}


@operation(
    "pagos.registrar_incidencias",
    description="Incidencias del operativo por punto de pago, registradas por la supervisión.",
    params_schema=_schema(incidencias={"type": "array", "items": INCIDENCIA, "maxItems": 200}),
)
def op_registrar_incidencias(ctx: OperationContext, params: dict[str, Any]) -> dict[str, Any]:
    return retiro.registrar_incidencias(
        ctx.session,
        params["periodo"],
        params["incidencias"],
        instance_id=ctx.instance_id,
        idempotency_key=ctx.idempotency_key,
    )
