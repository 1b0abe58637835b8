"""Cierre del padrón and liquidation of a period (Title V, process 11), set-based: each step
is a few ``INSERT … SELECT`` over the whole padrón, whatever its size.

The verification outcome is read from ``cumplimiento_hogar``, as process 09 left it
(revisiones adicionales included): the cierre of a period whose verification was extracted
but not closed is refused, and a hogar without an outcome counts as no verificado.

Each step is idempotent per period: it runs once, under a lock on the period's liquidation
row, and a second call (a redelivered service call, an operator re-running it) returns what
the first one recorded. The unique index (hogar, periodo) of the lines not rejected makes a
second payment for a period impossible even if a step ran twice.

A period whose abono the Entidad Pagadora rejected (closed account, DNI mismatch) is paid
again — a ``reabono`` line for that period, same amount — in a later liquidation, once the
cause is corrected through process 08: the hogar, still afiliado, reaches the new cierre with
another account or titular DNI than the one the bank refused, or with its account confirmed
in the field after the refusal (reopened under the same number). A new afiliado whose first
abono (with the opening of its account) was refused is not "new" again: that first period is
paid by reabono, the next ones by compliance, and the opening is requested again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, aliased

from engine.db import utcnow
from engine.errors import DomainError, NotFound
from engine.padron.models import Hogar
from engine.padron.records import Actualizacion, VerificacionPeriodo
from engine.padron.records import CumplimientoHogar as Cumplimiento
from engine.pagos.models import (
    ESTADOS_LIQUIDACION,
    Abono,
    Cierre,
    Linea,
    Liquidacion,
    SolicitudCuenta,
)
from engine.pagos.reglas import amount_case, anteriores, arrears_amount, check_periodo, load_rules

Progress = Callable[[int, int], None]


def _quiet(done: int, total: int) -> None:
    pass


def _memory_for_joins(session: Session) -> None:
    """Joins over the whole padrón hash in memory, for this transaction only (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '256MB'"))


def liquidacion_of(session: Session, periodo: str, *, lock: bool = False) -> Liquidacion:
    query = select(Liquidacion).where(Liquidacion.periodo == check_periodo(periodo))
    if lock:
        query = query.with_for_update()
    found = session.scalar(query.execution_options(populate_existing=True))
    if found is None:
        raise NotFound(f"no hay liquidación del período {periodo}: cierre primero el padrón")
    return found


def reached(liq: Liquidacion, estado: str) -> bool:
    return ESTADOS_LIQUIDACION.index(liq.estado) >= ESTADOS_LIQUIDACION.index(estado)


def require(liq: Liquidacion, estado: str) -> None:
    if not reached(liq, estado):
        raise DomainError(
            f"la liquidación del período {liq.periodo} está '{liq.estado}': falta '{estado}'"
        )


def cerrar_padron(
    session: Session,
    periodo: str,
    *,
    instance_id: int | None = None,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Snapshot of the afiliados of the period with their verification outcome (a hogar
    without one counts as no verificado) and whether they are new: no account yet and no
    first abono ordered before. A new afiliado's first abono is paid once: if the bank
    refused it, that period is paid again by ``_reabonos`` once the cause is corrected, and
    the hogar's later periods follow its compliance like everyone else's."""
    check_periodo(periodo)
    if session.get_bind().dialect.name == "postgresql":
        # two closings of one period at once: the second waits here, then finds the first
        session.execute(select(func.pg_advisory_xact_lock(_lock_key(periodo))))
    existing = session.scalar(select(Liquidacion).where(Liquidacion.periodo == periodo))
    if existing is not None:
        return existing.cierre | {"ya_cerrado": True}
    if session.scalar(
        select(VerificacionPeriodo.id).where(
            VerificacionPeriodo.periodo == periodo, VerificacionPeriodo.cerrado.is_(False)
        )
    ):
        raise DomainError(
            f"la verificación del período {periodo} (proceso 09) no está cerrada: "
            "calcule el cumplimiento antes del cierre del padrón"
        )
    rules = load_rules()
    _memory_for_joins(session)
    liq = Liquidacion(periodo=periodo, estado="cerrado", reglas=rules, instance_id=instance_id)
    session.add(liq)
    session.flush()
    progress(0, 1)
    snapshot = (
        select(
            literal(liq.id, Integer),
            Hogar.id,
            func.coalesce(Cumplimiento.resultado, literal("no_verificado", String)),
            and_(Hogar.cuenta_ep.is_(None), Hogar.id.not_in(select(SolicitudCuenta.hogar_id))),
            Hogar.cuenta_ep,
            Hogar.dni_titular,
        )
        .select_from(Hogar)
        .outerjoin(
            Cumplimiento,
            and_(Cumplimiento.hogar_id == Hogar.id, Cumplimiento.periodo == periodo),
        )
        .where(Hogar.estado == "afiliado")
    )
    columns = ["liquidacion_id", "hogar_id", "resultado", "nuevo_afiliado", "cuenta"]
    session.execute(insert(Cierre).from_select([*columns, "dni_titular"], snapshot))
    counts = dict(
        session.execute(
            select(Cierre.resultado, func.count())
            .where(Cierre.liquidacion_id == liq.id)
            .group_by(Cierre.resultado)
        ).all()
    )
    nuevos = session.scalar(
        select(func.count()).where(Cierre.liquidacion_id == liq.id, Cierre.nuevo_afiliado)
    )
    liq.cierre = {
        "periodo": periodo,
        "afiliados": sum(counts.values()),
        "nuevos_afiliados": nuevos or 0,
        "cumplio": counts.get("cumplio", 0),
        "no_cumplio": counts.get("no_cumplio", 0),
        "no_verificado": counts.get("no_verificado", 0),
    }
    progress(1, 1)
    return liq.cierre | {"ya_cerrado": False}


def _lock_key(periodo: str) -> int:
    year, bim = periodo.split("-B")
    return 0x7A6A0000 + int(year) * 10 + int(bim)


def _not_paid(periodo: str) -> Any:
    """Hogares without any line for ``periodo`` — a rejected line too: re-paying that one is
    ``_reabonos``' decision. An uncorrelated NOT IN, which the databases evaluate once
    (hashed) before inserting: a correlated NOT EXISTS on the table being filled would be
    planned as a scan per row over the rows the statement adds."""
    return Cierre.hogar_id.not_in(select(Linea.hogar_id).where(Linea.periodo == periodo))


def liquidar(session: Session, periodo: str, *, progress: Progress = _quiet) -> dict[str, Any]:
    """The incentive of each hogar of the cierre (decision table), arrears of earlier periods,
    the order line per hogar and the total of the transfer; requests the opening of an
    account for each new afiliado."""
    liq = liquidacion_of(session, periodo, lock=True)
    if reached(liq, "liquidado"):
        return liq.liquidacion | {"ya_liquidado": True}
    rules = liq.reglas
    _memory_for_joins(session)
    progress(0, 4)
    monto = amount_case(rules, Cierre.nuevo_afiliado, Cierre.resultado)
    current = select(
        Cierre.hogar_id,
        literal(periodo, String),
        literal(liq.id, Integer),
        literal("incentivo", String),
        monto,
    ).where(Cierre.liquidacion_id == liq.id, monto > 0, _not_paid(periodo))
    line_columns = ["hogar_id", "periodo", "liquidacion_id", "concepto", "monto_centimos"]
    session.execute(insert(Linea).from_select(line_columns, current))
    progress(1, 4)
    _arrears(session, liq, rules)
    _reabonos(session, liq)
    progress(2, 4)
    _order_lines(session, liq)
    _account_requests(session, liq)
    progress(3, 4)
    liq.liquidacion = _figures(session, liq)
    liq.hogares = liq.liquidacion["hogares"]
    liq.total_centimos = liq.liquidacion["total_centimos"]
    liq.estado, liq.updated_at = "liquidado", utcnow()
    progress(4, 4)
    return liq.liquidacion | {"ya_liquidado": False}


def _arrears(session: Session, liq: Liquidacion, rules: dict[str, Any]) -> None:
    """Earlier periods not yet paid, one statement per period (at most six)."""
    atrasos = rules["atrasos"]
    if not atrasos["si_resultado_actual"] or not atrasos["resultados_pendientes"]:
        return
    columns = ["hogar_id", "periodo", "liquidacion_id", "concepto", "monto_centimos"]
    for earlier in anteriores(liq.periodo, atrasos["periodos_atras"]):
        owed = (
            select(
                Cierre.hogar_id,
                literal(earlier, String),
                literal(liq.id, Integer),
                literal("atraso", String),
                literal(arrears_amount(rules), Integer),
            )
            .join(
                Cumplimiento,
                and_(Cumplimiento.hogar_id == Cierre.hogar_id, Cumplimiento.periodo == earlier),
            )
            .where(
                Cierre.liquidacion_id == liq.id,
                Cierre.resultado.in_(atrasos["si_resultado_actual"]),
                Cumplimiento.resultado.in_(atrasos["resultados_pendientes"]),
                _not_paid(earlier),
            )
        )
        session.execute(insert(Linea).from_select(columns, owed))


def _reabonos(session: Session, liq: Liquidacion) -> None:
    """Periods whose last line was rejected by the Entidad Pagadora, paid again (same amount)
    to the hogares of this cierre whose account or titular DNI is no longer the one the bank
    refused, or whose account a field update confirmed after the refusal (reopened under the
    same number) — corrected through process 08. One statement over the rejected lines."""
    last = aliased(Linea)
    later = aliased(Linea)
    refused = aliased(Cierre)
    refusal = aliased(Liquidacion)
    refused_abono = aliased(Abono)
    owed = (
        select(
            last.hogar_id,
            last.periodo,
            literal(liq.id, Integer),
            literal("reabono", String),
            last.monto_centimos,
        )
        .join(
            refused,
            and_(refused.liquidacion_id == last.liquidacion_id, refused.hogar_id == last.hogar_id),
        )
        .join(Cierre, and_(Cierre.liquidacion_id == liq.id, Cierre.hogar_id == last.hogar_id))
        .join(refusal, refusal.id == last.liquidacion_id)
        .join(
            refused_abono,
            and_(
                refused_abono.liquidacion_id == last.liquidacion_id,
                refused_abono.hogar_id == last.hogar_id,
            ),
        )
        .where(
            last.rechazada.is_(True),
            last.liquidacion_id != liq.id,
            ~exists().where(
                later.hogar_id == last.hogar_id,
                later.periodo == last.periodo,
                later.liquidacion_id > last.liquidacion_id,
            ),
            or_(
                Cierre.cuenta.is_distinct_from(refused.cuenta),
                Cierre.dni_titular != refused.dni_titular,
                and_(
                    refused_abono.motivo == "cuenta_cerrada",
                    exists().where(  # the same account, confirmed reopened in the field after
                        Actualizacion.hogar_id == last.hogar_id,
                        Actualizacion.campo == "cuenta_ep",
                        Actualizacion.created_at > refusal.respuesta_at,
                        Actualizacion.created_at < liq.created_at,
                    ),
                ),
            ),
        )
    )
    columns = ["hogar_id", "periodo", "liquidacion_id", "concepto", "monto_centimos"]
    session.execute(insert(Linea).from_select(columns, owed))


def _periodos_agg(session: Session, periodo: Any) -> Any:
    """ "2026-B5;2026-B6": the periods an order line covers, in order."""
    if session.get_bind().dialect.name == "postgresql":
        return func.string_agg(periodo, aggregate_order_by(literal(";"), periodo))
    return func.group_concat(periodo, ";")  # over a subquery ordered by periodo


def _order_lines(session: Session, liq: Liquidacion) -> None:
    """One order line per hogar: the sum of its lines of this liquidation."""
    lines = select(Linea.hogar_id, Linea.periodo, Linea.monto_centimos).where(
        Linea.liquidacion_id == liq.id
    )
    if session.get_bind().dialect.name != "postgresql":
        lines = lines.order_by(Linea.hogar_id, Linea.periodo)  # group_concat keeps this order
    sub = lines.subquery()
    periodos = _periodos_agg(session, sub.c.periodo)
    per_hogar = (
        select(
            literal(liq.id, Integer),
            sub.c.hogar_id,
            func.sum(sub.c.monto_centimos),
            periodos,
            Cierre.cuenta.is_(None),  # no account yet: the abono opens it
            literal("ordenado", String),
        )
        .join(Cierre, and_(Cierre.liquidacion_id == liq.id, Cierre.hogar_id == sub.c.hogar_id))
        .group_by(sub.c.hogar_id, Cierre.cuenta)
    )
    columns = ["liquidacion_id", "hogar_id", "monto_centimos", "periodos", "apertura", "estado"]
    session.execute(insert(Abono).from_select(columns, per_hogar))


def _account_requests(session: Session, liq: Liquidacion) -> None:
    """An account request per new afiliado; a request the bank refused is made again with
    this liquidation's abono, under the titular's DNI as it is now."""
    ordered = (  # the hogares with an abono in this liquidation, and their titular's DNI
        select(Cierre.hogar_id, Cierre.dni_titular)
        .join(Abono, and_(Abono.liquidacion_id == liq.id, Abono.hogar_id == Cierre.hogar_id))
        .where(Cierre.liquidacion_id == liq.id)
        .subquery()
    )
    session.execute(  # one UPDATE … FROM, as the response's updates (engine.pagos.respuesta)
        update(SolicitudCuenta)
        .where(
            SolicitudCuenta.estado == "rechazada", SolicitudCuenta.hogar_id == ordered.c.hogar_id
        )
        .values(estado="solicitada", liquidacion_id=liq.id, dni_titular=ordered.c.dni_titular)
        .execution_options(synchronize_session=False)
    )
    nuevos = select(
        Cierre.hogar_id, literal(liq.id, Integer), Cierre.dni_titular, literal("solicitada", String)
    ).where(
        Cierre.liquidacion_id == liq.id,
        Cierre.nuevo_afiliado,
        Cierre.hogar_id.not_in(select(SolicitudCuenta.hogar_id)),
    )
    columns = ["hogar_id", "liquidacion_id", "dni_titular", "estado"]
    session.execute(insert(SolicitudCuenta).from_select(columns, nuevos))


def _figures(session: Session, liq: Liquidacion) -> dict[str, Any]:
    by_concept = {
        concepto: (n, total)
        for concepto, n, total in session.execute(
            select(Linea.concepto, func.count(), func.coalesce(func.sum(Linea.monto_centimos), 0))
            .where(Linea.liquidacion_id == liq.id)
            .group_by(Linea.concepto)
        )
    }
    hogares, total, aperturas = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Abono.monto_centimos), 0),
            func.coalesce(func.sum(func.cast(Abono.apertura, Integer)), 0),
        ).where(Abono.liquidacion_id == liq.id)
    ).one()
    lines_total = sum(t for _, t in by_concept.values())
    reabono = by_concept.get("reabono", (0, 0))
    if lines_total != total:  # the two sums are of the same lines: a bug, never money
        raise DomainError(f"descuadre interno: líneas {lines_total} ≠ abonos {total}")
    return {
        "periodo": liq.periodo,
        "hogares": hogares,
        "total_centimos": int(total),
        "total_soles": f"{int(total) // 100}.{int(total) % 100:02d}",
        "aperturas_cuenta": int(aperturas),
        "lineas_incentivo": by_concept.get("incentivo", (0, 0))[0],
        "lineas_atraso": by_concept.get("atraso", (0, 0))[0],
        "monto_atrasos_centimos": int(by_concept.get("atraso", (0, 0))[1]),
        "lineas_reabono": reabono[0],
        "monto_reabonos_centimos": int(reabono[1]),
    }


__all__ = ["cerrar_padron", "liquidacion_of", "liquidar", "reached", "require"]
