"""The states of a hogar and the changes the Manual allows (Title V, processes 7 and 8),
applied set-based: one statement for the history, one for the padrón, whatever the size.

    potencial ─ primera validación (7.1) ─▶ validado ─ formalización (7.4) ─▶ afiliado
    potencial ─ ACV: cumple criterios, sin clasificación vigente (7.3) ─▶ en_espera_clasificacion
    en_espera_clasificacion ─ SISFOH clasifica PE/PNE ─▶ validado  (o NP ─▶ potencial)
    validado ─ ACV: no cumple los criterios categóricos (7.3) ─▶ potencial
    afiliado ─ criterios de permanencia (7, 8) ─▶ suspendido | desafiliado | egresado
    suspendido ─▶ afiliado (reincorporación) | desafiliado | egresado
    desafiliado ─▶ afiliado (reincorporación)
    egresado: final

A return to ``afiliado`` from ``suspendido`` or ``desafiliado`` sets ``reincorporado``.
Hogares already in the new state are left alone (no history row): a retried service call
changes nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from engine.db import utcnow
from engine.errors import DomainError, NotFound, ValidationError
from engine.padron.models import ESTADOS, Hogar, HogarEstadoHistorial

TRANSITIONS: dict[str, frozenset[str]] = {
    "potencial": frozenset({"validado", "en_espera_clasificacion"}),
    "en_espera_clasificacion": frozenset({"validado", "potencial"}),
    "validado": frozenset({"afiliado", "potencial"}),
    "afiliado": frozenset({"suspendido", "desafiliado", "egresado"}),
    "suspendido": frozenset({"afiliado", "desafiliado", "egresado"}),
    "desafiliado": frozenset({"afiliado"}),
    "egresado": frozenset(),
}
REINCORPORA_DESDE = ("suspendido", "desafiliado")
SAMPLE = 5
HISTORY_COLUMNS = [
    "hogar_id",
    "estado_anterior",
    "estado_nuevo",
    "fecha",
    "causa",
    "instance_id",
    "element_id",
    "import_batch_id",
]


class TransitionRefused(DomainError):
    """Some of the hogares may not go to the new state; nothing was changed."""


@dataclass(frozen=True)
class StateChange:
    changed: int
    unchanged: int


def allowed(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


def _temp_table(name: str, *columns: Column) -> Table:  # type: ignore[type-arg]
    return Table(f"{name}_{uuid.uuid4().hex[:8]}", MetaData(), *columns, prefixes=["TEMPORARY"])


def _ids_for_codes(session: Session, codes: Iterable[str]) -> list[int]:
    """The hogar ids of the codes; refuses unknown codes."""
    wanted = sorted({c.strip() for c in codes})
    known: dict[str, int] = {}
    for chunk in range(0, len(wanted), 5000):
        query = select(Hogar.co_hogar, Hogar.id).where(
            Hogar.co_hogar.in_(wanted[chunk : chunk + 5000])
        )
        known.update(session.execute(query).all())
    unknown = [c for c in wanted if c not in known]
    if unknown:
        shown = ", ".join(unknown[:SAMPLE]) + (" …" if len(unknown) > SAMPLE else "")
        raise NotFound(f"{len(unknown)} hogar(es) no están en el padrón: {shown}")
    return list(known.values())


def _refusals(session: Session, targets: Table, new_state: str) -> list[str]:
    """Locks the target rows (PostgreSQL) and says which states may not go to new_state."""
    join = Hogar.__table__.join(targets, Hogar.id == targets.c.hogar_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Hogar.id).select_from(join).with_for_update(of=Hogar))
    counts = session.execute(
        select(Hogar.estado, func.count(), func.min(Hogar.co_hogar))
        .select_from(join)
        .group_by(Hogar.estado)
    ).all()
    return [
        f"{n} hogar(es) en estado '{estado}' (p. ej. {sample}) no pueden pasar a "
        f"'{new_state}'; desde '{estado}' se puede pasar a: "
        f"{', '.join(sorted(TRANSITIONS[estado])) or 'ninguno (estado final)'}"
        for estado, n, sample in counts
        if estado != new_state and not allowed(estado, new_state)
    ]


@dataclass(frozen=True)
class Cause:
    """Why and by what a change happened: the text, and the instance and element of the
    process, or the import batch."""

    text: str
    instance_id: int | None = None
    element_id: str | None = None
    import_batch_id: int | None = None


def change_state(
    session: Session,
    hogares: Iterable[str] | Select,  # type: ignore[type-arg]
    new_state: str,
    cause: str,
    *,
    instance_id: int | None = None,
    element_id: str | None = None,
    import_batch_id: int | None = None,
    at: datetime | None = None,
) -> StateChange:
    """Moves ``hogares`` to ``new_state`` and records each change in the history.

    ``hogares`` is either co_hogar codes or a select of ``Hogar.id`` (set-based: a process
    operation passes its query, not a list). Refuses the whole set, changing nothing, if
    any code is unknown or any hogar's state may not go to ``new_state``. The caller commits.
    """
    if new_state not in ESTADOS:
        raise ValidationError("estado", f"'{new_state}' no es un estado del padrón")
    if not cause.strip():
        raise ValidationError("causa", "indique la causa del cambio de estado")
    targets = _temp_table("padron_tmp_cambio", Column("hogar_id", Integer, primary_key=True))
    targets.create(session.connection())
    if isinstance(hogares, Select):
        session.execute(insert(targets).from_select(["hogar_id"], hogares.distinct()))
    else:
        ids = _ids_for_codes(session, hogares)
        if ids:
            session.execute(insert(targets), [{"hogar_id": i} for i in ids])
    refusals = _refusals(session, targets, new_state)
    if refusals:
        raise TransitionRefused("transición no permitida: " + "; ".join(refusals))
    why = Cause(cause.strip()[:300], instance_id, element_id, import_batch_id)
    result = _apply(session, targets, new_state, why, at or utcnow())
    targets.drop(session.connection())
    return result


def _apply(
    session: Session, targets: Table, new_state: str, why: Cause, at: datetime
) -> StateChange:
    moving = and_(Hogar.id == targets.c.hogar_id, Hogar.estado != new_state)
    history = select(
        Hogar.id,
        Hogar.estado,
        literal(new_state, String),
        literal(at, HogarEstadoHistorial.fecha.type),
        literal(why.text, String),
        literal(why.instance_id, Integer),
        literal(why.element_id, String),
        literal(why.import_batch_id, Integer),
    ).where(moving)
    session.execute(insert(HogarEstadoHistorial).from_select(HISTORY_COLUMNS, history))
    values: dict[str, object] = {"estado": new_state, "updated_at": at}
    if new_state == "afiliado":
        values["reincorporado"] = case(
            (Hogar.estado.in_(REINCORPORA_DESDE), True), else_=Hogar.reincorporado
        )
    changed = session.execute(
        update(Hogar)
        .where(Hogar.id.in_(select(targets.c.hogar_id)), Hogar.estado != new_state)
        .values(values)
        .execution_options(synchronize_session=False)
    ).rowcount
    total = session.scalar(select(func.count()).select_from(targets)) or 0
    return StateChange(changed=changed, unchanged=total - changed)
