"""The ``padron.*`` operations that the service tasks of processes 07–10 call.

Each runs inside the worker's transaction that completes the service task, and is recorded
under the call's idempotency key (``engine.services.results``): a redelivered call returns the
first result and changes nothing again. Input a person can get wrong (files, codes) does not
fail the call: the result says ``aceptado: false`` with the errors (file, line, column,
reason) and the diagram sends the task back; nothing of a refused input is applied.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from engine.clock import today
from engine.errors import ValidationError
from engine.padron import afiliacion, apoyo, cotejos, mantenimiento, verificacion
from engine.padron.csvfiles import ImportRejected
from engine.padron.formatos import read_results_csv
from engine.padron.records import Acv
from engine.padron.sisfoh import import_sisfoh
from engine.services.registry import OperationContext, operation

MAX_ERRORS_SHOWN = 100
# task attachments (engine.taskwork) by SQL: the padrón does not import the runtime
ATTACHMENT = text(
    "SELECT filename, content FROM attachment WHERE id = :id AND instance_id = :instance"
)
Params = dict[str, Any]

_STR = {"type": "string", "minLength": 1, "maxLength": 300}
_DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_PERIODO = {"type": "string", "pattern": "^[0-9]{4}-[A-Za-z0-9]{1,6}$"}
_ID = {"type": "integer", "minimum": 1}
_LIST = {"type": "array", "maxItems": 2000, "items": {"type": "object"}}


def _schema(required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
    }


@contextmanager
def _attachment_file(ctx: OperationContext, attachment_id: int):  # type: ignore[no-untyped-def]
    """The attachment (of this instance) as a temporary file with its own name."""
    row = ctx.session.execute(
        ATTACHMENT, {"id": attachment_id, "instance": ctx.instance_id}
    ).one_or_none()
    if row is None:
        raise ValidationError("adjunto", f"el adjunto {attachment_id} no es de esta instancia")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(row.filename).name
        path.write_bytes(row.content)
        yield path, row.filename


def _rejected(exc: ImportRejected) -> Params:
    errors = [
        {"archivo": e.file, "linea": e.line, "columna": e.column, "motivo": e.reason}
        for e in exc.errors[:MAX_ERRORS_SHOWN]
    ]
    return {"aceptado": False, "mensaje": str(exc), "total_errores": exc.total, "errores": errors}


def _acv(ctx: OperationContext, acv_id: int) -> Acv:
    acv = ctx.session.get(Acv, acv_id)
    if acv is None or acv.instance_id != ctx.instance_id:
        raise ValidationError("acv_id", f"la ACV {acv_id} no es de esta instancia")
    return acv


# ---------------------------------------------------------------- 07 Afiliación ------------
@operation(
    "padron.importar_sisfoh",
    description="Importa la relación de hogares del SISFOH (dos CSV adjuntos), con la primera "
    "validación y la segmentación (proceso 07, 7.1–7.2). Todo o nada.",
    params_schema=_schema(
        ["adjunto_hogares", "adjunto_miembros"], adjunto_hogares=_ID, adjunto_miembros=_ID
    ),
    once=True,
)
def importar_sisfoh(ctx: OperationContext, params: Params) -> Params:
    with (
        _attachment_file(ctx, params["adjunto_hogares"]) as (hogares, _),
        _attachment_file(ctx, params["adjunto_miembros"]) as (miembros, _),
    ):
        try:
            with ctx.session.begin_nested():
                result = import_sisfoh(
                    ctx.session, hogares, miembros, f"instancia {ctx.instance_id}"
                )
        except ImportRejected as exc:
            return _rejected(exc)
    body = result.as_dict()
    segments = (body["segmentacion"] or {}).get("unidades_territoriales", [])
    return {
        "aceptado": True,
        "lote": result.batch_id,
        "ya_importado": result.already_imported,
        "conteos": result.counts,
        "unidades_territoriales": [
            {"codigo": u["codigo"], "nombre": u["nombre"], "hogares": u["hogares"]}
            for u in segments
        ],
    }


@operation(
    "padron.relacion_acv",
    description="Abre la ACV de un centro poblado con la relación de hogares elegibles "
    "(validados) de ese lugar (proceso 07, 7.2–7.3).",
    params_schema=_schema(
        ["ubigeo", "centro_poblado"],
        ubigeo={"type": "string", "pattern": "^[0-9]{6}$"},
        centro_poblado=_STR,
    ),
    once=True,
)
def relacion_acv(ctx: OperationContext, params: Params) -> Params:
    acv = afiliacion.relacion_acv(
        ctx.session, ctx.instance_id, ctx.scope_unit_id, params["ubigeo"], params["centro_poblado"]
    )
    hogares = afiliacion.acv_hogares(ctx.session, acv.id)
    return {"acv_id": acv.id, "hogares": len(hogares), "relacion": hogares}


@operation(
    "padron.registrar_acv",
    description="Registra el resultado de la ACV por hogar (cumple / no cumple los criterios "
    "categóricos) y los solicitantes que la ACV admite (proceso 07, 7.3).",
    params_schema=_schema(
        ["acv_id", "fecha", "acta", "resultados"],
        acv_id=_ID,
        fecha=_DATE,
        acta=_STR,
        resultados=_LIST,
        solicitantes=_LIST,
    ),
    once=True,
)
def registrar_acv(ctx: OperationContext, params: Params) -> Params:
    return afiliacion.registrar_acv(
        ctx.session,
        _acv(ctx, params["acv_id"]),
        fecha=date.fromisoformat(params["fecha"]),
        acta=params["acta"],
        resultados=params["resultados"],
        solicitantes=params.get("solicitantes", []),
        element_id=ctx.element_id,
    )


@operation(
    "padron.formalizar",
    description="Formaliza la afiliación de hogares validados por la ACV: legajo (copia del "
    "DNI, declaración jurada, acuerdo de compromiso), IE y EESS de los miembros objetivo, "
    "estado afiliado (proceso 07, 7.4).",
    params_schema=_schema(["acv_id", "formalizaciones"], acv_id=_ID, formalizaciones=_LIST),
    once=True,
)
def formalizar(ctx: OperationContext, params: Params) -> Params:
    acv = _acv(ctx, params["acv_id"])
    return afiliacion.formalizar(
        ctx.session,
        acv,
        params["formalizaciones"],
        on=afiliacion.acv_day(acv),
        element_id=ctx.element_id,
    )


@operation(
    "padron.nuevos_afiliados",
    description="El padrón de nuevos hogares afiliados de la ACV (salida del proceso 07).",
    params_schema=_schema(["acv_id"], acv_id=_ID),
    once=True,
)
def nuevos_afiliados(ctx: OperationContext, params: Params) -> Params:
    acv = _acv(ctx, params["acv_id"])
    return afiliacion.nuevos_afiliados(ctx.session, acv, afiliacion.acv_day(acv))


# ---------------------------------------------------------------- 08 Mantenimiento -------
@operation(
    "padron.cotejo",
    description="Cotejo masivo con RENIEC, SISFOH, MINEDU o MINSA desde un CSV adjunto; todo o "
    "nada, con los errores por línea (proceso 08, 8.1).",
    params_schema=_schema(
        ["entidad", "adjunto"], entidad={"enum": list(cotejos.ENTIDADES)}, adjunto=_ID
    ),
    once=True,
)
def cotejo(ctx: OperationContext, params: Params) -> Params:
    with _attachment_file(ctx, params["adjunto"]) as (path, name):
        try:
            with ctx.session.begin_nested():
                result = cotejos.cotejar(
                    ctx.session,
                    params["entidad"],
                    path,
                    name=name,
                    imported_by=f"instancia {ctx.instance_id}",
                    instance_id=ctx.instance_id,
                )
        except ImportRejected as exc:
            return _rejected(exc)
    return {"aceptado": True, **result.as_dict()}


@operation(
    "padron.actualizar_campo",
    description="Aplica las actualizaciones recabadas en campo por los gestores (proceso 08, "
    "8.2): dirección, centro poblado, cuenta en la Entidad Pagadora, gestante, IE o EESS de "
    "un miembro.",
    params_schema=_schema(["actualizaciones", "fuente"], actualizaciones=_LIST, fuente=_STR),
    once=True,
)
def actualizar_campo(ctx: OperationContext, params: Params) -> Params:
    return mantenimiento.actualizar_campo(
        ctx.session, params["actualizaciones"], params["fuente"], ctx.instance_id
    )


@operation(
    "padron.evaluar_permanencia",
    description="Propone la desafiliación de los hogares que no cumplen los criterios de "
    "permanencia a la fecha (procesos 07 y 08); no cambia estados.",
    params_schema=_schema([], fecha=_DATE),
    once=True,
)
def evaluar_permanencia(ctx: OperationContext, params: Params) -> Params:
    on = date.fromisoformat(params["fecha"]) if params.get("fecha") else today()
    key = f"permanencia:{ctx.idempotency_key}"[:100]
    counts = mantenimiento.evaluar_permanencia(ctx.session, key, on, ctx.instance_id)
    return {"evaluacion": key, "fecha": on.isoformat(), **counts}


@operation(
    "padron.aplicar_permanencia",
    description="Aplica la evaluación de permanencia revisada: desafiliación, suspensión y "
    "reincorporación con change_state; todo o nada.",
    params_schema=_schema(
        ["evaluacion"],
        evaluacion=_STR,
        excluir={"type": "array"},
        suspender=_LIST,
        reincorporar=_LIST,
    ),
    once=True,
)
def aplicar_permanencia(ctx: OperationContext, params: Params) -> Params:
    return mantenimiento.aplicar_permanencia(
        ctx.session,
        params["evaluacion"],
        excluir=params.get("excluir", []),
        suspender=params.get("suspender", []),
        reincorporar=params.get("reincorporar", []),
        instance_id=ctx.instance_id,
        element_id=ctx.element_id,
    )


# ---------------------------------------------------------------- 09 Verificación --------
@operation(
    "padron.extraer_verificacion",
    description="Extrae los miembros objetivo sujetos a verificación del periodo y genera los "
    "formatos por institución educativa y establecimiento de salud (proceso 09, 9.1–9.2).",
    params_schema=_schema(["periodo", "fecha_corte"], periodo=_PERIODO, fecha_corte=_DATE),
    once=True,
)
def extraer_verificacion(ctx: OperationContext, params: Params) -> Params:
    return verificacion.extraer(
        ctx.session, params["periodo"], date.fromisoformat(params["fecha_corte"]), ctx.instance_id
    )


@operation(
    "padron.registrar_verificacion",
    description="Registra los resultados de formatos de verificación, desde el formulario o un "
    "CSV adjunto (formato_id,dni,resultado[,observacion]); todo o nada (proceso 09, 9.2).",
    params_schema=_schema(
        ["periodo"], periodo=_PERIODO, resultados=_LIST, adjunto={"type": ["integer", "null"]}
    ),
    once=True,
)
def registrar_verificacion(ctx: OperationContext, params: Params) -> Params:
    try:
        with ctx.session.begin_nested():
            entries, source = list(params.get("resultados") or []), "formulario"
            if params.get("adjunto"):
                with _attachment_file(ctx, params["adjunto"]) as (path, name):
                    entries, source = entries + read_results_csv(path, name), name
            result = verificacion.registrar_resultados(
                ctx.session, params["periodo"], entries, source
            )
    except ImportRejected as exc:
        return {**_rejected(exc), **_progress(ctx, params["periodo"])}
    return {"aceptado": True, "errores": [], **result}


def _progress(ctx: OperationContext, periodo: str) -> Params:
    return verificacion.avance(ctx.session, verificacion.periodo_de(ctx.session, periodo).id)


@operation(
    "padron.calcular_cumplimiento",
    description="Cierra el periodo: resultado por miembro y por hogar (cumplió / no cumplió / "
    "no verificado) en cumplimiento_hogar (proceso 09, 9.3).",
    params_schema=_schema(["periodo"], periodo=_PERIODO),
    once=True,
)
def calcular_cumplimiento(ctx: OperationContext, params: Params) -> Params:
    return verificacion.calcular(ctx.session, params["periodo"])


@operation(
    "padron.revision_adicional",
    description="Revisión adicional: modifica o ratifica el resultado de hogares (proceso 09, "
    "9.3); todo o nada.",
    params_schema=_schema(["periodo", "revisiones"], periodo=_PERIODO, revisiones=_LIST),
    once=True,
)
def revision_adicional(ctx: OperationContext, params: Params) -> Params:
    return verificacion.revision_adicional(
        ctx.session, params["periodo"], params["revisiones"], ctx.instance_id
    )


@operation(
    "padron.reporte_cumplimiento",
    description="Reporte nominal del cumplimiento por miembro objetivo y por hogar, y relación "
    "de hogares no verificados (salidas del proceso 09).",
    params_schema=_schema(["periodo"], periodo=_PERIODO),
    once=True,
)
def reporte_cumplimiento(ctx: OperationContext, params: Params) -> Params:
    return verificacion.reporte(ctx.session, params["periodo"])


# ---------------------------------------------------------------- 10 Apoyo familiar ------
@operation(
    "padron.seleccionar_apoyo",
    description="Selecciona los hogares de la UT que incumplieron o están en riesgo de "
    "incumplir en el periodo (proceso 10, 10.1).",
    params_schema=_schema(["periodo"], periodo=_PERIODO),
    once=True,
)
def seleccionar_apoyo(ctx: OperationContext, params: Params) -> Params:
    if ctx.scope_unit_id is None:
        raise ValidationError("ambito", "el apoyo familiar se selecciona por Unidad Territorial")
    return apoyo.seleccionar(ctx.session, params["periodo"], ctx.scope_unit_id, ctx.instance_id)


@operation(
    "padron.registrar_apoyo",
    description="Registra una sesión de apoyo grupal o una visita domiciliaria y la información "
    "sobre servicios especializados dada a los hogares (proceso 10, 10.2–10.3).",
    params_schema=_schema(
        ["periodo", "tipo", "fecha", "lugar", "temas", "hogares"],
        periodo=_PERIODO,
        tipo={"enum": ["sesion_grupal", "visita_domiciliaria"]},
        fecha=_DATE,
        lugar=_STR,
        temas={"type": "string", "maxLength": 2000},
        hogares={"type": "array", "maxItems": 500},
        servicios=_LIST,
    ),
    once=True,
)
def registrar_apoyo(ctx: OperationContext, params: Params) -> Params:
    return apoyo.registrar_actividad(
        ctx.session,
        params["periodo"],
        ctx.instance_id,
        tipo=params["tipo"],
        fecha=date.fromisoformat(params["fecha"]),
        lugar=params["lugar"],
        temas=params["temas"],
        hogares=params["hogares"],
        servicios=params.get("servicios", []),
    )


@operation(
    "padron.resumen_apoyo",
    description="Hogares con orientación e información para el cumplimiento (salida del "
    "proceso 10).",
    params_schema=_schema(["periodo"], periodo=_PERIODO),
    once=True,
)
def resumen_apoyo(ctx: OperationContext, params: Params) -> Params:
    return apoyo.resumen(ctx.session, params["periodo"], ctx.instance_id)
