"""Proceso 08 — Mantenimiento del padrón de hogares (Manual de Operaciones, V.2 8).

A MINSA cross-check refused whole then applied; field updates by a Gestor Local observed by
the CTZ, refused by the padrón, then applied; the criterios de permanencia with the Jefe's
observation, a refused transition and the desafiliación applied."""

from __future__ import annotations

from sqlalchemy import select

from engine.org.models import Unit
from engine.padron import Hogar, Miembro
from engine.padron.records import PermanenciaPropuesta
from tests.processes.padron_walks import attach, ensure_padron, task_data
from tests.processes.support import Walk, assert_every_branch_walked, staff
from tests.test_padron_support import csv_bytes

KEY = "p08_mantenimiento_padron"
ESPECIALISTA = "Especialista en Afiliaciones"


def _afiliado(process_db):  # type: ignore[no-untyped-def]
    """(co_hogar, dni of a member, UT code) of an afiliado of UT Cajamarca."""
    with process_db.transaction() as s:
        return s.execute(
            select(Hogar.co_hogar, Miembro.dni, Unit.code)
            .join(Miembro, Miembro.hogar_id == Hogar.id)
            .join(Unit, Unit.id == Hogar.ut_unit_id)
            .where(Hogar.estado == "afiliado", Unit.code == "UT-CAJ")
            .order_by(Hogar.co_hogar)
            .limit(1)
        ).one()


def test_cotejo_masivo_rechazado_y_luego_aplicado(process_db) -> None:  # type: ignore[no-untyped-def]
    ensure_padron(process_db)
    _co, dni, _ut = _afiliado(process_db)
    especialista = staff(process_db, ESPECIALISTA)
    walk = Walk(process_db, KEY, especialista, {"tipo_inicio": "cotejo_masivo"})
    header = ("dni", "codigo_renipress")
    bad = csv_bytes(header, [[dni, "123"], ["99999991", "456"], [dni, "ABC"]])
    data = {"entidad_cotejo": "minsa", "documento_entidad": "Oficio N° 55-2026-MINSA/OGTI"}
    data["adjunto_cotejo"] = attach(walk, "cargar_cotejo", especialista, "minsa.csv", bad)
    walk.do("cargar_cotejo", especialista, data)
    refused = task_data(walk, "cargar_cotejo")["cotejo"]
    assert refused["aceptado"] is False and refused["total_errores"] >= 2
    good = csv_bytes(header, [[dni, "4321"]])
    data["adjunto_cotejo"] = attach(walk, "cargar_cotejo", especialista, "minsa.csv", good)
    walk.do("cargar_cotejo", especialista, data)
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Informe de cotejo masivo del padrón"]
    with process_db.transaction() as s:
        assert s.scalar(select(Miembro.codigo_renipress).where(Miembro.dni == dni)) == "00004321"


def test_actualizacion_de_campo_observada_rechazada_y_aplicada(process_db) -> None:  # type: ignore[no-untyped-def]
    ensure_padron(process_db)
    co, _dni, ut = _afiliado(process_db)
    gestor = staff(process_db, "Gestor Local", ut)
    ctz = staff(process_db, "Coordinador Técnico Zonal", ut)
    walk = Walk(process_db, KEY, gestor, {"tipo_inicio": "actualizacion_campo", "co_hogar": co})
    wrong = {
        "fuente": "Teniente gobernador",
        "actualizaciones": [{"co_hogar": "NO-EXISTE", "campo": "direccion", "valor": "Jr. Lima 1"}],
    }
    walk.do("registrar_actualizacion", gestor, wrong)
    walk.do(
        "validar_actualizacion",
        ctz,
        {
            "decision_actualizacion": "observado",
            "observaciones_actualizacion": "Adjunte el sustento",
        },
    )
    walk.do("registrar_actualizacion", gestor, wrong)
    walk.do("validar_actualizacion", ctz, {"decision_actualizacion": "conforme"})
    assert walk.waiting_at() == ["registrar_actualizacion"]  # refused by the padrón
    right = {
        "fuente": "Teniente gobernador",
        "actualizaciones": [{"co_hogar": co, "campo": "direccion", "valor": "Jr. Lima 1"}],
    }
    walk.do("registrar_actualizacion", gestor, right)
    walk.do("validar_actualizacion", ctz, {"decision_actualizacion": "conforme"})
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Constancia de actualización del padrón"]
    with process_db.transaction() as s:
        assert s.scalar(select(Hogar.direccion).where(Hogar.co_hogar == co)) == "Jr. Lima 1"


def test_criterios_de_permanencia(process_db) -> None:  # type: ignore[no-untyped-def]
    ensure_padron(process_db)
    especialista = staff(process_db, ESPECIALISTA)
    walk = Walk(
        process_db,
        KEY,
        especialista,
        {"tipo_inicio": "criterios_permanencia", "fecha_evaluacion": "2045-01-01"},
    )
    evaluacion = task_data(walk, "revisar_permanencia")["evaluacion"]["evaluacion"]
    with process_db.transaction() as s:
        proposed = list(
            s.scalars(
                select(Hogar.co_hogar)
                .join(PermanenciaPropuesta, PermanenciaPropuesta.hogar_id == Hogar.id)
                .where(PermanenciaPropuesta.evaluacion == evaluacion)
                .order_by(Hogar.co_hogar)
            )
        )
        potencial = s.scalar(select(Hogar.co_hogar).where(Hogar.estado == "potencial"))
    assert proposed
    review = {
        "excluir": proposed[1:],
        "suspender": [],
        "reincorporar": [],
        "sustento_revision": "Solo el primero no tiene miembros objetivo confirmados.",
    }
    walk.do("revisar_permanencia", especialista, review)
    walk.refuses("aprobar_permanencia", especialista)
    walk.do(
        "aprobar_permanencia",
        "jefe.uoal",
        {
            "decision_permanencia": "observado",
            "observaciones_permanencia": "Incluya la suspensión del hogar informado por la UT",
        },
    )
    bad = {**review, "suspender": [{"co_hogar": potencial, "motivo": "Informe de la UT"}]}
    walk.do("revisar_permanencia", especialista, bad)
    walk.do("aprobar_permanencia", "jefe.uoal", {"decision_permanencia": "aprobado"})
    assert walk.waiting_at() == ["revisar_permanencia"]  # potencial cannot be suspended
    walk.do("revisar_permanencia", especialista, review)
    walk.do("aprobar_permanencia", "jefe.uoal", {"decision_permanencia": "aprobado"})
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Padrón actualizado de hogares afiliados"]
    with process_db.transaction() as s:
        assert s.scalar(select(Hogar.estado).where(Hogar.co_hogar == proposed[0])) == "desafiliado"


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)
