"""Mantenimiento del padrón (Title V, process 8): updates collected in the field by the
gestores (8.2) and the criterios de permanencia (process 7, last paragraph) that lead to
desafiliación, suspensión or reincorporación through ``change_state``."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import Integer, and_, case, exists, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.errors import NotFound
from engine.padron.kinds import kind_expr
from engine.padron.models import Hogar, Miembro
from engine.padron.records import Actualizacion, PermanenciaPropuesta
from engine.padron.states import TransitionRefused, change_state

# cuenta_ep: the titular's account at the Entidad Pagadora, e.g. the new one after the bank
# rejected an abono for a closed account; with it, that period is paid again (engine.pagos)
CAMPOS_HOGAR = ("direccion", "centro_poblado", "cuenta_ep")
CUENTA = re.compile(r"^[0-9A-Za-z-]{1,30}$")
CAMPOS_MIEMBRO = ("gestante", "codigo_modular_ie", "codigo_renipress")
CAUSA_DESAFILIACION = (
    "Criterios de permanencia (procesos 07 y 08): {motivo}; desafiliación aprobada por el Jefe "
    "de la Unidad de Operaciones de Afiliación y Liquidación"
)
MOTIVO_SIN_OBJETIVO = "sin miembros objetivo"
MOTIVO_NO_POBRE = "clasificado no pobre por el SISFOH"


def _field_problem(
    session: Session, n: int, a: dict[str, Any]
) -> tuple[dict[str, str] | None, tuple[int, int | None] | None]:
    hogar_id = session.scalar(select(Hogar.id).where(Hogar.co_hogar == a["co_hogar"]))
    if hogar_id is None:
        return {"fila": str(n), "motivo": "el hogar no está en el padrón"}, None
    if a["campo"] == "cuenta_ep" and not CUENTA.match(str(a.get("valor", "")).strip()):
        return {"fila": str(n), "motivo": "la cuenta admite letras, dígitos y '-', hasta 30"}, None
    if a["campo"] in CAMPOS_HOGAR:
        return None, (hogar_id, None)
    member = session.scalar(
        select(Miembro.id).where(Miembro.hogar_id == hogar_id, Miembro.dni == a.get("dni", ""))
    )
    if member is None:
        return {"fila": str(n), "motivo": "el DNI no es de un miembro de ese hogar"}, None
    return None, (hogar_id, member)


def _value(campo: str, raw: str) -> Any:
    if campo == "gestante":
        return raw.strip().lower() in ("1", "si", "sí", "true")
    return raw.strip()


def actualizar_campo(
    session: Session, actualizaciones: list[dict[str, Any]], fuente: str, instance_id: int
) -> dict[str, Any]:
    """Applies the field updates (all or nothing: any unknown hogar or member refuses them
    all and says which), each logged in ``padron_actualizacion``."""
    errors: list[dict[str, str]] = []
    targets: list[tuple[int, int | None]] = []
    for n, a in enumerate(actualizaciones, start=1):
        problem, target = _field_problem(session, n, a)
        if problem:
            errors.append(problem)
        elif target:
            targets.append(target)
    if errors:
        return {"aceptado": False, "errores": errors, "actualizados": 0}
    for a, (hogar_id, member_id) in zip(actualizaciones, targets, strict=True):
        model = Hogar if member_id is None else Miembro
        row_id = hogar_id if member_id is None else member_id
        column = model.__table__.c[a["campo"]]
        before = session.scalar(select(column).where(model.id == row_id))
        value = _value(a["campo"], a["valor"])
        session.execute(
            update(model).where(model.id == row_id).values({column: value, "updated_at": utcnow()})
        )
        session.add(
            Actualizacion(
                hogar_id=hogar_id,
                miembro_id=member_id,
                campo=a["campo"],
                valor_anterior=None if before is None else str(before)[:300],
                valor_nuevo=str(value)[:300],
                fuente=fuente[:200],
                instance_id=instance_id,
            )
        )
    session.flush()
    return {"aceptado": True, "errores": [], "actualizados": len(actualizaciones)}


def evaluar_permanencia(
    session: Session, evaluacion: str, on: date, instance_id: int, ut_unit_id: int | None = None
) -> dict[str, int]:
    """Proposes (set-based) the desafiliación of the afiliados and suspendidos that no longer
    meet the criterios de permanencia on ``on``: no miembro objetivo alive, or classified
    no pobre by SISFOH. The proposals wait for review; nothing changes state here."""
    objetivo = exists().where(
        Miembro.hogar_id == Hogar.id,
        kind_expr(on).is_not(None),
        Miembro.fecha_fallecimiento.is_(None),
    )
    no_pobre = and_(Hogar.cse == "NP", Hogar.cse_vigencia_fin >= on)
    base = [Hogar.estado.in_(("afiliado", "suspendido")), or_(~objetivo, no_pobre)]
    if ut_unit_id is not None:
        base.append(Hogar.ut_unit_id == ut_unit_id)
    motivo = case((no_pobre, MOTIVO_NO_POBRE), else_=MOTIVO_SIN_OBJETIVO)
    rows = select(
        literal(evaluacion),
        Hogar.id,
        literal("desafiliacion"),
        motivo,
        literal(instance_id, Integer),
    ).where(*base)
    columns = ["evaluacion", "hogar_id", "accion", "motivo", "instance_id"]
    session.execute(insert(PermanenciaPropuesta).from_select(columns, rows))
    counts = {MOTIVO_SIN_OBJETIVO: 0, MOTIVO_NO_POBRE: 0}
    for (m,) in session.execute(
        select(PermanenciaPropuesta.motivo).where(PermanenciaPropuesta.evaluacion == evaluacion)
    ):
        counts[m] = counts.get(m, 0) + 1
    return {
        "propuestas_desafiliacion": sum(counts.values()),
        "sin_miembros_objetivo": counts[MOTIVO_SIN_OBJETIVO],
        "no_pobres": counts[MOTIVO_NO_POBRE],
    }


def aplicar_permanencia(
    session: Session,
    evaluacion: str,
    *,
    excluir: list[str],
    suspender: list[dict[str, str]],
    reincorporar: list[dict[str, str]],
    instance_id: int,
    element_id: str,
) -> dict[str, Any]:
    """Applies the reviewed evaluation: desafiliación of the proposals not excluded,
    suspensión and reincorporación of the hogares listed (each with its motivo). All or
    nothing: a refused transition or unknown hogar leaves every state as it was."""
    where = {"instance_id": instance_id, "element_id": element_id}
    try:
        with session.begin_nested():
            if excluir:
                excluded = select(Hogar.id).where(Hogar.co_hogar.in_(excluir))
                session.execute(
                    PermanenciaPropuesta.__table__.delete().where(
                        PermanenciaPropuesta.evaluacion == evaluacion,
                        PermanenciaPropuesta.hogar_id.in_(excluded),
                    )
                )
            proposals = select(PermanenciaPropuesta.hogar_id).where(
                PermanenciaPropuesta.evaluacion == evaluacion
            )
            desafiliados = 0
            for motivo in (MOTIVO_SIN_OBJETIVO, MOTIVO_NO_POBRE):
                chosen = proposals.where(PermanenciaPropuesta.motivo == motivo)
                cause = CAUSA_DESAFILIACION.format(motivo=motivo)
                desafiliados += change_state(session, chosen, "desafiliado", cause, **where).changed
            suspendidos = _by_motivo(session, suspender, "suspendido", "Suspensión", where)
            reincorporados = _by_motivo(session, reincorporar, "afiliado", "Reincorporación", where)
    except (TransitionRefused, NotFound) as exc:
        return {"aceptado": False, "errores": [str(exc)]}
    return {
        "aceptado": True,
        "errores": [],
        "desafiliados": desafiliados,
        "suspendidos": suspendidos,
        "reincorporados": reincorporados,
    }


def _by_motivo(
    session: Session, items: list[dict[str, str]], state: str, label: str, where: dict[str, Any]
) -> int:
    by_motivo: dict[str, list[str]] = {}
    for item in items:
        by_motivo.setdefault(item["motivo"].strip(), []).append(item["co_hogar"])
    changed = 0
    for motivo, codes in by_motivo.items():
        cause = f"{label} por criterios de permanencia (procesos 07 y 08): {motivo}"
        changed += change_state(session, codes, state, cause, **where).changed
    return changed
