"""Proceso 11 — Liquidación y transferencia de incentivos monetarios condicionados
(Manual de Operaciones, V.2 11), operating on a generated padrón.

Cierre del padrón and liquidation run as service tasks; the Coordinador visa, the Jefe de
la UOAL proposes, the Director Ejecutivo observes then approves (Resolución de Dirección
Ejecutiva); the payment-order file goes to the Entidad Pagadora's simulator; its response
arrives as a message — first a truncated file (refused whole, observed), then a good one —
and the reconciliation adds up to the céntimo.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import runtime
from engine.entidad_pagadora import SimuladorEntidadPagadora
from engine.errors import PermissionDenied
from engine.pagos import Abono, liquidacion_of
from tests.pagos_support import ensure_afiliados, verify
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p11_liquidacion_transferencia"
ESPECIALISTA = "Especialista en Liquidación y Transferencia"
COORDINADOR = "Coordinador de Liquidación y Transferencia"
PERIODO = "2026-B3"


def result(walk: Walk, element_id: str) -> dict[str, Any]:
    """What the last call of the service task ``element_id`` returned."""
    with walk.db.transaction() as s:
        raw = s.scalar(
            select(runtime.ServiceCall.result)
            .where(
                runtime.ServiceCall.instance_id == walk.id,
                runtime.ServiceCall.element_id == element_id,
            )
            .order_by(runtime.ServiceCall.id.desc())
            .limit(1)
        )
    assert raw is not None, element_id
    return json.loads(raw)


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUNTOS_VAR_DIR", str(tmp_path))
    return tmp_path


def test_liquidacion_observada_aprobada_respuesta_rechazada_y_conciliada(
    process_db, var_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:  # type: ignore[no-untyped-def]
    ensure_afiliados(process_db, 150, 3, tmp_path_factory.mktemp("poblacion"))
    verify(process_db, PERIODO)
    especialista = staff(process_db, ESPECIALISTA)
    coordinador = staff(process_db, COORDINADOR)
    walk = Walk(process_db, KEY, especialista, {"periodo": PERIODO})
    assert walk.waiting_at() == ["visar_liquidacion"]
    liquidacion = result(walk, "liquidar")
    assert liquidacion["total_centimos"] == liquidacion["hogares"] * 20000 > 0
    walk.refuses("visar_liquidacion", especialista)
    walk.do("visar_liquidacion", coordinador, {"visto_bueno_liquidacion": True})
    propuesta = {"documento_propuesta": "Memorando N° 101-2026-UOAL", "sustento_propuesta": "Ok"}
    walk.do("proponer_transferencia", "jefe.uoal", propuesta)
    walk.refuses("aprobar_transferencia", "jefe.uoal")
    walk.do(
        "aprobar_transferencia",
        "director",
        {"decision_transferencia": "observada", "observaciones_transferencia": "Detalle atrasos"},
    )
    assert walk.waiting_at() == ["proponer_transferencia"]
    walk.do("proponer_transferencia", "jefe.uoal", propuesta)
    walk.do("aprobar_transferencia", "director", {"decision_transferencia": "aprobada"})
    assert walk.waiting_at() == []  # waits for the Entidad Pagadora
    orden = Path(result(walk, "generar_orden")["archivo"])
    assert orden.is_file() and orden.parent.parent.parent == var_dir

    respuesta = var_dir / "respuesta.csv"
    SimuladorEntidadPagadora(seed=7, rechazo=0.05).procesar(orden, respuesta)
    truncada = var_dir / "respuesta-truncada.csv"
    truncada.write_bytes(respuesta.read_bytes()[:-100])
    walk.message("respuesta_entidad_pagadora", {"archivo_respuesta": str(truncada)}, especialista)
    assert result(walk, "registrar_respuesta")["valida"] is False
    assert "truncad" in result(walk, "registrar_respuesta")["errores"][0]
    with process_db.transaction() as s:
        liq = liquidacion_of(s, PERIODO)
        assert liq.estado == "ordenado"  # nothing applied
    walk.do(
        "registrar_observacion_respuesta",
        especialista,
        {
            "comunicacion_entidad_pagadora": "Oficio N° 55-2026",
            "observaciones_respuesta": "Truncado",
        },
    )
    walk.message("respuesta_entidad_pagadora", {"archivo_respuesta": str(respuesta)}, especialista)
    conciliacion = result(walk, "conciliar")
    assert conciliacion["cuadra"], conciliacion
    assert conciliacion["ordenado_centimos"] == liquidacion["total_centimos"]
    assert (
        conciliacion["abonado_centimos"] + conciliacion["rechazado_centimos"]
        == (liquidacion["total_centimos"])
    )
    walk.do(
        "revisar_conciliacion",
        coordinador,
        {"conformidad_conciliacion": True, "acciones_no_abonados": "Actualizar cuentas."},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Informe técnico",
        "Resolución de Dirección Ejecutiva",
        "Informe de conciliación",
    ]
    docs = walk.documents()
    assert docs[1].content["total_centimos"] == liquidacion["total_centimos"]
    assert docs[2].content["resolucion"] == docs[1].reference
    with process_db.transaction() as s:
        abonos = s.scalar(
            select(func.count()).where(Abono.liquidacion_id == liquidacion_of(s, PERIODO).id)
        )
    assert abonos == liquidacion["hogares"]


def test_only_uoal_starts_it(process_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        Walk(process_db, KEY, "gl.cajamarca", {"periodo": "2026-B4"})


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)
