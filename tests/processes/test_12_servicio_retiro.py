"""Proceso 12 — Servicio para el retiro del incentivo monetario (Manual de Operaciones,
V.2 12), on the hogares abonados of a liquidation made with engine.pagos.

Puntos de pago per centro poblado for the cycle, the requirement to the Entidad Pagadora,
notice to the Comunicadores and dissemination by Comunicación e Imagen, supervision with
incidents per point; a force-majeure reprogramming moves the dates and informs again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.entidad_pagadora import SimuladorEntidadPagadora
from engine.pagos import (
    Abono,
    Incidencia,
    Liquidacion,
    PuntoPago,
    cerrar_padron,
    generar_orden,
    liquidacion_of,
    liquidar,
    registrar_respuesta,
)
from tests.pagos_support import ensure_afiliados, verify
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p12_servicio_retiro"
ESPECIALISTA = "Especialista en Liquidación y Transferencia"
COORDINADOR = "Coordinador de Liquidación y Transferencia"
PERIODO = "2026-B1"


@pytest.fixture
def abonados(process_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    """A liquidation of PERIODO answered by the Entidad Pagadora (once per database)."""
    monkeypatch.setenv("JUNTOS_VAR_DIR", str(tmp_path))
    ensure_afiliados(process_db, 150, 3, tmp_path / "poblacion")
    with process_db.transaction() as s:
        if s.scalar(select(Liquidacion.estado).where(Liquidacion.periodo == PERIODO)):
            return PERIODO
    verify(process_db, PERIODO, shift=1)
    with process_db.write_transaction() as s:
        cerrar_padron(s, PERIODO)
        liquidar(s, PERIODO)
        orden = Path(generar_orden(s, PERIODO)["archivo"])
    SimuladorEntidadPagadora(seed=2, rechazo=0.03).procesar(orden, tmp_path / "resp.csv")
    with process_db.write_transaction() as s:
        registrar_respuesta(s, PERIODO, tmp_path / "resp.csv")
    return PERIODO


INICIO = {"periodo": PERIODO, "ciclo": 1, "fecha_inicio": "2026-03-02", "dias": 5}
SUPERVISION = {
    "incidencias": [],
    "apoyo_usuarios": "Traslado asistido de adultos mayores.",
    "fuerza_mayor": False,
}


def test_servicio_reprogramado_por_fuerza_mayor(process_db, abonados: str) -> None:  # type: ignore[no-untyped-def]
    especialista = staff(process_db, ESPECIALISTA)
    coordinador = staff(process_db, COORDINADOR)
    walk = Walk(process_db, KEY, especialista, INICIO)
    with process_db.transaction() as s:
        liq = liquidacion_of(s, PERIODO)
        points, hogares, monto = s.execute(
            select(
                func.count(), func.sum(PuntoPago.hogares), func.sum(PuntoPago.monto_centimos)
            ).where(PuntoPago.liquidacion_id == liq.id, PuntoPago.ciclo == 1)
        ).one()
        paid, paid_total = s.execute(
            select(func.count(), func.sum(Abono.monto_centimos)).where(
                Abono.liquidacion_id == liq.id, Abono.estado == "abonado"
            )
        ).one()
        centro = s.scalar(
            select(PuntoPago.centro_poblado).where(PuntoPago.liquidacion_id == liq.id)
        )
    assert points > 10 and (hogares, monto) == (paid, paid_total)
    walk.do(
        "elaborar_requerimiento",
        especialista,
        {"puntos_habilitados_confirmados": True, "requerimiento": "Agencias y agentes."},
    )
    difusion = {
        "medios_difusion": ["radio local", "gestores locales"],
        "mensaje_difusion": "El pago estará disponible del 2 al 6 de marzo.",
        "fecha_difusion": "2026-02-25",
    }
    walk.refuses("difundir_informacion", especialista)
    walk.do("difundir_informacion", "jefe.uci", difusion)
    walk.do(
        "supervisar_servicio",
        coordinador,
        {
            "incidencias": [
                {"centro_poblado": centro, "tipo": "falta de efectivo", "fecha": "2026-03-02"},
                {"centro_poblado": "Ninguno", "tipo": "otro", "fecha": "2026-03-02"},
            ],
            "fuerza_mayor": True,
            "motivo_fuerza_mayor": "Huaico: carretera bloqueada.",
        },
    )
    walk.do(
        "aprobar_reprogramacion",
        "jefe.uoal",
        {"nueva_fecha": "2026-03-16", "sustento_reprogramacion": "Declaratoria de emergencia."},
    )
    with process_db.transaction() as s:
        dates = set(
            s.execute(
                select(
                    PuntoPago.fecha_inicio, PuntoPago.fecha_fin, PuntoPago.reprogramaciones
                ).where(PuntoPago.liquidacion_id == liq.id, PuntoPago.ciclo == 1)
            ).all()
        )
        incidencias = s.scalar(
            select(func.count()).where(
                Incidencia.liquidacion_id == liq.id, Incidencia.punto_id.is_not(None)
            )
        )
    assert {(str(a), str(b), n) for a, b, n in dates} == {("2026-03-16", "2026-03-20", 1)}
    assert incidencias == 1  # "Ninguno" is no punto de pago: kept, without a point
    walk.do("difundir_informacion", "jefe.uci", difusion)  # informed again
    walk.do("supervisar_servicio", coordinador, SUPERVISION)
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Requerimiento de servicio para el retiro",
        "Informe del servicio para el retiro",
    ]
    informe = walk.documents()[-1].content
    assert informe["reprogramaciones"] == 1 and informe["incidencias"] >= 2


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)
