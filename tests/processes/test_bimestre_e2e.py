"""One whole bimestre, 07 → 08 → 09 → 10 → 11 → 12, on 2,000 generated households.

Users holding the positions of each lane complete their tasks through the engine API (start,
claim, complete — what /api calls); service tasks run through ``execute_service_call``, the
worker's path. The padrón starts as the earlier bimestres left it (made with the modules,
not the processes: see ``_earlier_bimestres``): the generated relación imported but for
three centros poblados kept for this bimestre's ACVs, the validados affiliated, a previous
period (2026-B5) verified, liquidated and answered by the Entidad Pagadora with rejections.

The bimestre (2026-B6) then: 07 imports the relación of the three centros poblados and
affiliates them in ACVs; 08 applies RENIEC (deaths, the titular DNI of rejected abonos) and
SISFOH (no pobres) cross-checks, a field update (the new account of a closed one) and the
criterios de permanencia (desafiliación, suspensión); 09 verifies the period from bulk CSV
results with a revisión adicional; 10 gives apoyo familiar in one UT; 11 pays — amounts per
hogar checked against an independent computation of the manual's rules — and reconciles;
12 programs the withdrawal with incidents per punto de pago.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, literal, select, update

from engine import definitions, migrate
from engine.clock import today
from engine.db import Database
from engine.entidad_pagadora import SimuladorEntidadPagadora
from engine.org import seed_org
from engine.org.demo import seed_demo_people
from engine.org.models import Unit
from engine.padron import Hogar, Miembro, change_state, import_sisfoh, member_kind, verificacion
from engine.padron.generate import generate
from engine.padron.records import CumplimientoHogar, VerificacionMiembro, VerificacionPeriodo
from engine.pagos import (
    Abono,
    Cierre,
    Incidencia,
    Linea,
    PuntoPago,
    cerrar_padron,
    conciliar,
    generar_orden,
    liquidacion_of,
    liquidar,
    registrar_respuesta,
)
from tests.processes.conftest import ROOT
from tests.processes.padron_walks import attach, member_codes, task_data
from tests.processes.support import Walk, staff
from tests.test_padron_support import csv_bytes

HOUSEHOLDS, SEED = 2000, 2026
ANTERIOR, PERIODO = "2026-B5", "2026-B6"
BASE = 20000  # S/ 200.00 per bimestre (reglas-incentivo.json)
ACV_PLACES = 3
ESP_AFILIACION = "Especialista en Afiliaciones"
ESP_VERIFICACION = "Especialista en Verificación de Cumplimiento de Corresponsabilidades"
COO_VERIFICACION = "Coordinador de Verificación de Cumplimiento de Corresponsabilidades"
ESP_LIQUIDACION = "Especialista en Liquidación y Transferencia"
COO_LIQUIDACION = "Coordinador de Liquidación y Transferencia"


@pytest.fixture(scope="module")
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """A database of its own: the bimestre's figures are exact, no other walk touches it."""
    url = databases.new()
    migrate.upgrade(url)
    database = Database(url)
    with database.write_transaction() as s:
        seed_org(s)
        seed_demo_people(s)
        definitions.deploy(s, ROOT / "bpmn", ROOT / "forms")
    yield database
    database.dispose()


def _draw(key: str) -> int:
    """A stable 0–99 draw per key (DNI, co_hogar): the same results on every database."""
    return hashlib.blake2b(key.encode(), digest_size=2).digest()[0] * 100 // 256


# -- the padrón as the earlier bimestres left it --------------------------------------------
def _split(folder: Path) -> tuple[tuple[Path, Path], tuple[Path, Path], list[tuple[str, str]]]:
    """The generated files split in two relaciones: the centros poblados with most hogares
    (this bimestre's ACVs) and the rest (affiliated in earlier bimestres)."""
    generate(HOUSEHOLDS, SEED, folder)
    with (folder / "hogares.csv").open(encoding="utf-8", newline="") as f:
        hogares = list(csv.reader(f))
    with (folder / "miembros.csv").open(encoding="utf-8", newline="") as f:
        miembros = list(csv.reader(f))
    places = Counter((r[1], r[2]) for r in hogares[1:])
    chosen = [p for p, _ in sorted(places.items(), key=lambda i: (-i[1], i[0]))[:ACV_PLACES]]
    nuevos = {r[0] for r in hogares[1:] if (r[1], r[2]) in chosen}
    pairs = []
    for name, keep in (("nuevos", True), ("anteriores", False)):
        h, m = folder / name / "hogares.csv", folder / name / "miembros.csv"
        h.parent.mkdir()
        for path, rows in ((h, hogares), (m, miembros)):
            with path.open("w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows(
                    [rows[0], *[r for r in rows[1:] if (r[0] in nuevos) == keep]]
                )
        pairs.append((h, m))
    return pairs[0], pairs[1], chosen


def _earlier_bimestres(db: Database, files: tuple[Path, Path], var: Path) -> None:
    """Through the modules: the relación imported, its validados afiliados (one in twenty
    without an account yet: affiliated last bimestre), the period before verified (one
    member in twenty did not comply, one in twenty not verified) and liquidated; the Entidad
    Pagadora rejects some abonos (closed account, DNI mismatch)."""
    with db.write_transaction() as s:
        import_sisfoh(s, *files, "historia")
        change_state(
            s,
            select(Hogar.id).where(Hogar.estado == "validado"),
            "afiliado",
            "Afiliado en la ACV de un bimestre anterior (historia de la prueba)",
        )
        s.execute(
            update(Hogar)
            .where(Hogar.estado == "afiliado", Hogar.id % 20 != 7)
            .values(cuenta_ep=literal("04-") + Hogar.co_hogar)
        )
        verificacion.extraer(s, ANTERIOR, today() - timedelta(days=60), 0)
        verificacion.registrar_resultados(s, ANTERIOR, _results(s, ANTERIOR))
        verificacion.calcular(s, ANTERIOR)
        cerrar_padron(s, ANTERIOR)
        liquidar(s, ANTERIOR)
        orden = Path(generar_orden(s, ANTERIOR, directorio=var)["archivo"])
    SimuladorEntidadPagadora(seed=3, rechazo=0.06).procesar(orden, var / "respuesta-b5.csv")
    with db.write_transaction() as s:
        registrar_respuesta(s, ANTERIOR, var / "respuesta-b5.csv")
        conciliar(s, ANTERIOR)


def _results(s, periodo: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """formato_id, dni, resultado of the members with a format; draw < 5: no cumplió, < 10:
    left blank (no verificado), else cumplió."""
    row = verificacion.periodo_de(s, periodo)
    pairs = s.execute(
        select(VerificacionMiembro.formato_id, Miembro.dni)
        .join(Miembro, Miembro.id == VerificacionMiembro.miembro_id)
        .where(
            VerificacionMiembro.periodo_id == row.id, VerificacionMiembro.formato_id.is_not(None)
        )
        .order_by(Miembro.dni)
    ).all()
    out = []
    for formato, dni in pairs:
        draw = _draw(f"{periodo}:{dni}")
        if 5 <= draw < 10:
            continue
        out.append(
            {
                "formato_id": formato,
                "dni": dni,
                "resultado": "no_cumplio" if draw < 5 else "cumplio",
            }
        )
    return out


# -- helpers -------------------------------------------------------------------------------
def _ut(db: Database, co: str) -> str:
    with db.transaction() as s:
        return (
            s.scalar(
                select(Unit.code)
                .join(Hogar, Hogar.ut_unit_id == Unit.id)
                .where(Hogar.co_hogar == co)
            )
            or ""
        )


def _estados(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        return dict(s.execute(select(Hogar.estado, func.count()).group_by(Hogar.estado)).all())


def _estado(db: Database, co: str) -> str:
    with db.transaction() as s:
        return s.scalar(select(Hogar.estado).where(Hogar.co_hogar == co)) or ""


def _rejected(db: Database, periodo: str) -> dict[str, list[str]]:
    """co_hogar of the hogares whose abono of ``periodo`` was rejected, by reason."""
    with db.transaction() as s:
        rows = s.execute(
            select(Abono.motivo, Hogar.co_hogar)
            .join(Hogar, Hogar.id == Abono.hogar_id)
            .where(
                Abono.liquidacion_id == liquidacion_of(s, periodo).id, Abono.estado == "rechazado"
            )
            .order_by(Hogar.co_hogar)
        ).all()
    out: dict[str, list[str]] = {}
    for motivo, co in rows:
        out.setdefault(motivo, []).append(co)
    return out


def _cotejo(db: Database, entidad: str, header: tuple[str, ...], rows: list[list[str]]) -> dict:  # type: ignore[type-arg]
    especialista = staff(db, ESP_AFILIACION)
    walk = Walk(db, "p08_mantenimiento_padron", especialista, {"tipo_inicio": "cotejo_masivo"})
    data = {
        "entidad_cotejo": entidad,
        "documento_entidad": f"Oficio N° 12-2026-{entidad.upper()}",
        "adjunto_cotejo": attach(
            walk, "cargar_cotejo", especialista, f"{entidad}.csv", csv_bytes(header, rows)
        ),
    }
    walk.do("cargar_cotejo", especialista, data)
    assert walk.state == "completed", task_data(walk, "cargar_cotejo")
    return walk.data["cotejo"]


def _order_lines(path: Path) -> dict[str, tuple[int, str, str]]:
    """co_hogar → (monto_centimos, operacion, periodos) of a payment-order file."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[-1][0] == "#FIN"
    return {r[0]: (int(r[5]), r[4], r[6]) for r in rows[1:-1]}


# -- the processes -------------------------------------------------------------------------
def _afiliacion(db: Database, files: tuple[Path, Path], places: list[tuple[str, str]]) -> dict:  # type: ignore[type-arg]
    """07: the relación through the process, then an ACV per centro poblado."""
    especialista = staff(db, ESP_AFILIACION)
    walk = Walk(db, "p07_afiliacion", especialista, {"tipo_inicio": "relacion_sisfoh"})
    h, m = files
    data = {
        "oficio_sisfoh": "Oficio N° 201-2026-MIDIS/SISFOH",
        "adjunto_hogares": attach(
            walk, "recibir_relacion_sisfoh", especialista, "hogares.csv", h.read_bytes()
        ),
        "adjunto_miembros": attach(
            walk, "recibir_relacion_sisfoh", especialista, "miembros.csv", m.read_bytes()
        ),
    }
    walk.do("recibir_relacion_sisfoh", especialista, data)
    assert walk.state == "completed" and walk.data["importacion"]["aceptado"] is True
    out: dict[str, Any] = {"afiliados": [], "no_cumplen": [], "solicitantes": [], "observados": []}
    for n, (ubigeo, cp) in enumerate(places):
        with db.transaction() as s:
            ut_id = s.scalar(
                select(Hogar.ut_unit_id).where(Hogar.ubigeo == ubigeo, Hogar.centro_poblado == cp)
            )
            ut = s.scalar(select(Unit.code).where(Unit.id == ut_id))
        ctz = staff(db, "Coordinador Técnico Zonal", ut)
        gestor = staff(db, "Gestor Local", ut)
        acv = Walk(
            db,
            "p07_afiliacion",
            ctz,
            {"tipo_inicio": "acv", "ubigeo": ubigeo, "centro_poblado": cp},
            scope=ut,
        )
        acv.do(
            "programar_acv",
            ctz,
            {
                "fecha_programada": today().isoformat(),
                "lugar_acv": "Local comunal",
                "gestor_responsable": "Gestor Local de la zona",
            },
        )
        acv.do(
            "convocar_acv",
            staff(db, "Comunicador", ut),
            {"medios_convocatoria": ["perifoneo"], "agenda_acv": "Criterios categóricos"},
        )
        relacion = task_data(acv, "registrar_resultados_acv")["relacion"]["relacion"]
        codes = [r["co_hogar"] for r in relacion]
        resultados = [{"co_hogar": c, "cumple": True} for c in codes[1:]]
        resultados.append({"co_hogar": codes[0], "cumple": False, "motivo": "No reside"})
        solicitantes = []
        if n == 0:
            solicitantes = [
                {
                    "dni_titular": "09876501",
                    "ap_paterno": "Quispe",
                    "nombres": "Rosa",
                    "cumple": True,
                }
            ]
        acv.do(
            "registrar_resultados_acv",
            gestor,
            {
                "numero_acta": f"Acta {n + 1:03d}-2026",
                "fecha_acv": today().isoformat(),
                "asistentes": 30,
                "resultados_acv": resultados,
                "solicitantes": solicitantes,
            },
        )
        formalizaciones = [
            {
                "co_hogar": c,
                "copia_dni": True,
                "declaracion_jurada": True,
                "acuerdo_compromiso": True,
                "miembros": member_codes(db, c),
            }
            for c in codes[1:]
        ]
        acv.do(
            "formalizar_afiliacion",
            gestor,
            {"formalizaciones": formalizaciones, "cerrar_formalizacion": True},
        )
        acv.do("supervisar_formalizacion", ctz, {"decision_supervision": "conforme"})
        assert acv.state == "completed"
        # a validado without miembros objetivo on the day cannot sign the acuerdo: observed
        observados = {o["co_hogar"] for o in acv.data["formalizacion"]["observados"]}
        assert all(_estado(db, c) == "validado" for c in observados)
        afiliados = [c for c in codes[1:] if c not in observados]
        assert acv.documents()[-1].content["total"] == len(afiliados) > 0
        out["afiliados"] += afiliados
        out["observados"] += sorted(observados)
        out["no_cumplen"].append(codes[0])
        out["solicitantes"] += [
            f"ACV{task_data_acv_id(acv)}-{s['dni_titular']}" for s in solicitantes
        ]
    return out


def task_data_acv_id(walk: Walk) -> int:
    return int(walk.data["relacion"]["acv_id"])


def _mantenimiento(db: Database) -> dict[str, Any]:
    """08: RENIEC (deaths leaving hogares without miembros objetivo; the titular DNI of half
    the abonos rejected for DNI mismatch), SISFOH (two afiliados no pobres), the new account
    of half the closed ones in one UT, and the criterios de permanencia."""
    rejected = _rejected(db, ANTERIOR)
    dni_wrong = [c for c in rejected.get("dni_no_coincide", [])][::2]
    closed = rejected.get("cuenta_cerrada", [])
    skip = set(rejected.get("dni_no_coincide", [])) | set(closed)
    on = today()
    with db.transaction() as s:
        members = s.execute(
            select(Hogar.co_hogar, Miembro.dni, Miembro.fecha_nacimiento, Miembro.gestante)
            .join(Miembro, Miembro.hogar_id == Hogar.id)
            .where(Hogar.estado == "afiliado", Hogar.cuenta_ep.is_not(None))
            .order_by(Hogar.co_hogar, Miembro.dni)
        ).all()
        titulares = dict(
            s.execute(
                select(Hogar.co_hogar, Hogar.dni_titular).where(Hogar.co_hogar.in_(dni_wrong))
            ).all()
        )
    objetivo: dict[str, list[str]] = {}
    for co, dni, born, gestante in members:
        if co not in skip and member_kind(born, gestante, on):
            objetivo.setdefault(co, []).append(dni)
    single = sorted(co for co, dnis in objetivo.items() if len(dnis) == 1)
    fallecen, no_pobres = single[:3], single[3:5]
    reniec = [[objetivo[co][0], "FALLECIMIENTO", on.isoformat(), ""] for co in fallecen]
    reniec += [
        [titulares[co], "CAMBIO_DNI", on.isoformat(), f"{60000000 + n:08d}"]
        for n, co in enumerate(dni_wrong)
    ]
    conteos = _cotejo(db, "reniec", ("dni", "evento", "fecha", "dni_nuevo"), reniec)["conteos"]
    assert conteos["fallecidos"] == 3 and conteos["cambios_dni_titular"] == len(dni_wrong)
    vigencia = (on + timedelta(days=700)).isoformat()
    sisfoh = [[co, "NP", vigencia] for co in no_pobres]
    assert (
        _cotejo(db, "sisfoh", ("co_hogar", "cse", "cse_vigencia_fin"), sisfoh)["conteos"][
            "reclasificados"
        ]
        == 2
    )

    by_ut = Counter(_ut(db, co) for co in closed)
    ut = sorted(by_ut, key=lambda u: (-by_ut[u], u))[0]
    cuentas = [co for co in closed if _ut(db, co) == ut][::2] or closed[:1]
    ut = _ut(db, cuentas[0])
    gestor = staff(db, "Gestor Local", ut)
    walk = Walk(
        db,
        "p08_mantenimiento_padron",
        gestor,
        {"tipo_inicio": "actualizacion_campo", "co_hogar": cuentas[0]},
    )
    walk.do(
        "registrar_actualizacion",
        gestor,
        {
            "fuente": "Constancia de la Entidad Pagadora",
            "actualizaciones": [
                {"co_hogar": co, "campo": "cuenta_ep", "valor": f"04-R{co}"} for co in cuentas
            ],
        },
    )
    walk.do(
        "validar_actualizacion",
        staff(db, "Coordinador Técnico Zonal", ut),
        {"decision_actualizacion": "conforme"},
    )
    assert walk.state == "completed"

    especialista = staff(db, ESP_AFILIACION)
    walk = Walk(
        db,
        "p08_mantenimiento_padron",
        especialista,
        {"tipo_inicio": "criterios_permanencia", "fecha_evaluacion": on.isoformat()},
    )
    evaluacion = task_data(walk, "revisar_permanencia")["evaluacion"]
    assert evaluacion["sin_miembros_objetivo"] >= 3 and evaluacion["no_pobres"] >= 2
    suspendido = sorted(set(objetivo) - set(single))[0]
    walk.do(
        "revisar_permanencia",
        especialista,
        {
            "excluir": [],
            "suspender": [{"co_hogar": suspendido, "motivo": "Informe de la UT: hogar migró"}],
            "reincorporar": [],
            "sustento_revision": "Cotejos de RENIEC y SISFOH del bimestre.",
        },
    )
    walk.do("aprobar_permanencia", "jefe.uoal", {"decision_permanencia": "aprobado"})
    assert walk.state == "completed"
    return {
        "fallecen": fallecen,
        "no_pobres": no_pobres,
        "suspendido": suspendido,
        "desafiliados": evaluacion["propuestas_desafiliacion"],
        "cuentas": cuentas,
        "dni_corregido": dni_wrong,
    }


def _verificacion(db: Database, var: Path) -> dict[str, Any]:
    """09: extraction and formats, results as two CSV deliveries, revisión adicional."""
    especialista = staff(db, ESP_VERIFICACION)
    coordinador = staff(db, COO_VERIFICACION)
    walk = Walk(
        db,
        "p09_verificacion_corresponsabilidades",
        especialista,
        {"periodo": PERIODO, "fecha_corte": today().isoformat()},
    )
    extraccion = task_data(walk, "distribuir_formatos")["extraccion"]
    walk.do(
        "distribuir_formatos",
        especialista,
        {"fecha_distribucion": today().isoformat(), "medio_distribucion": "aplicativo"},
    )
    with db.transaction() as s:
        entries = _results(s, PERIODO)
    half = len(entries) // 2
    for n, chunk in enumerate((entries[:half], entries[half:])):
        body = csv_bytes(
            ("formato_id", "dni", "resultado"),
            [[str(e["formato_id"]), e["dni"], e["resultado"]] for e in chunk],
        )
        adjunto = attach(walk, "registrar_resultados", especialista, f"resultados-{n}.csv", body)
        walk.do(
            "registrar_resultados",
            especialista,
            {"resultados": [], "adjunto_resultados": adjunto, "cerrar_registro": n == 1},
        )
        assert task_data_or_data(walk, "registro")["aceptado"] is True
    cumplimiento = task_data(walk, "revisar_resultados")["cumplimiento"]
    walk.do("revisar_resultados", coordinador, {"requiere_revision": True})
    rejected = {co for cos in _rejected(db, ANTERIOR).values() for co in cos}
    with db.transaction() as s:
        outcome = dict(
            s.execute(
                select(Hogar.co_hogar, CumplimientoHogar.resultado)
                .join(CumplimientoHogar, CumplimientoHogar.hogar_id == Hogar.id)
                .where(CumplimientoHogar.periodo == PERIODO, Hogar.cuenta_ep.is_not(None))
            ).all()
        )
    modificado = sorted(
        c for c, r in outcome.items() if r == "no_verificado" and c not in rejected
    )[0]
    ratificado = sorted(c for c, r in outcome.items() if r == "no_cumplio" and c not in rejected)[0]
    walk.do(
        "revision_adicional",
        especialista,
        {
            "revisiones": [
                {
                    "co_hogar": modificado,
                    "decision": "modifica",
                    "resultado": "cumplio",
                    "sustento": "Constancia del establecimiento de salud",
                },
                {"co_hogar": ratificado, "decision": "ratifica", "sustento": "Registro de la IE"},
            ]
        },
    )
    walk.do("revisar_resultados", coordinador, {"requiere_revision": False})
    assert walk.state == "completed"
    return {
        "extraccion": extraccion,
        "hogares": cumplimiento["hogares"],
        "modificado": modificado,
        "ratificado": ratificado,
    }


def task_data_or_data(walk: Walk, key: str) -> dict[str, Any]:
    """``key`` as the open task sees it, or in the instance's data once it moved on."""
    open_ = walk.waiting_at()
    if "registrar_resultados" in open_:
        return task_data(walk, "registrar_resultados")[key]
    return task_data(walk, open_[0])[key]


def _apoyo(db: Database) -> str:
    """10: in the UT with most hogares that did not comply."""
    with db.transaction() as s:
        failed = s.execute(
            select(Hogar.co_hogar, Unit.code)
            .join(CumplimientoHogar, CumplimientoHogar.hogar_id == Hogar.id)
            .join(Unit, Unit.id == Hogar.ut_unit_id)
            .where(
                CumplimientoHogar.periodo == PERIODO, CumplimientoHogar.resultado == "no_cumplio"
            )
            .order_by(Hogar.co_hogar)
        ).all()
    per_ut = Counter(ut for _, ut in failed)
    ut = sorted(per_ut, key=lambda u: (-per_ut[u], u))[0]
    hogar = next(co for co, u in failed if u == ut)
    gestor = staff(db, "Gestor Local", ut)
    walk = Walk(
        db,
        "p10_apoyo_familiar",
        staff(db, "Coordinador Técnico Territorial", ut),
        {"periodo": PERIODO},
        scope=ut,
    )
    walk.do(
        "programar_apoyo",
        staff(db, "Coordinador Técnico Zonal", ut),
        {"siguiente_actividad": "sesion_grupal", "indicaciones": "Hogares con gestantes"},
    )
    actividad = {
        "fecha_actividad": today().isoformat(),
        "lugar_actividad": "Local comunal",
        "temas_tratados": "Controles de crecimiento y asistencia escolar",
        "hogares_atendidos": [hogar],
    }
    walk.do(
        "registrar_sesion_grupal",
        gestor,
        {**actividad, "servicios_informados": [], "siguiente_actividad": "visita_domiciliaria"},
    )
    servicio = {"co_hogar": hogar, "problema": "Violencia familiar", "servicio": "CEM"}
    walk.do(
        "registrar_visita",
        gestor,
        {**actividad, "servicios_informados": [servicio], "siguiente_actividad": "concluir"},
    )
    walk.do(
        "supervisar_apoyo",
        staff(db, "Especialista en Apoyo Familiar"),
        {"conformidad_apoyo": "conforme"},
    )
    assert walk.state == "completed"
    return hogar


def _liquidacion(db: Database, var: Path) -> tuple[Walk, Path]:
    """11: service tasks close and liquidate; visa, proposal, Resolución; the order; the
    Entidad Pagadora's response; the reconciliation reviewed."""
    especialista = staff(db, ESP_LIQUIDACION)
    coordinador = staff(db, COO_LIQUIDACION)
    walk = Walk(db, "p11_liquidacion_transferencia", especialista, {"periodo": PERIODO})
    walk.do("visar_liquidacion", coordinador, {"visto_bueno_liquidacion": True})
    walk.do(
        "proponer_transferencia",
        "jefe.uoal",
        {"documento_propuesta": "Memorando N° 301-2026-UOAL", "sustento_propuesta": "Bimestre"},
    )
    walk.do("aprobar_transferencia", "director", {"decision_transferencia": "aprobada"})
    with db.transaction() as s:
        orden = Path(liquidacion_of(s, PERIODO).orden_archivo or "")
    respuesta = var / "respuesta-b6.csv"
    SimuladorEntidadPagadora(seed=11, rechazo=0.03).procesar(orden, respuesta)
    walk.message("respuesta_entidad_pagadora", {"archivo_respuesta": str(respuesta)}, especialista)
    walk.do(
        "revisar_conciliacion",
        coordinador,
        {"conformidad_conciliacion": True, "acciones_no_abonados": "Actualizar cuentas en 08."},
    )
    assert walk.state == "completed"
    return walk, orden


def _retiro(db: Database) -> Walk:
    """12: puntos de pago of the cycle, requirement, dissemination, supervision."""
    especialista = staff(db, ESP_LIQUIDACION)
    inicio = {"periodo": PERIODO, "ciclo": 1, "fecha_inicio": "2026-12-14", "dias": 5}
    walk = Walk(db, "p12_servicio_retiro", especialista, inicio)
    walk.do(
        "elaborar_requerimiento",
        especialista,
        {"puntos_habilitados_confirmados": True, "requerimiento": "Agencias y agentes."},
    )
    walk.do(
        "difundir_informacion",
        "jefe.uci",
        {
            "medios_difusion": ["radio local", "gestores locales"],
            "mensaje_difusion": "El pago estará disponible del 14 al 18 de diciembre.",
            "fecha_difusion": "2026-12-10",
        },
    )
    with db.transaction() as s:
        centros = list(
            s.scalars(
                select(PuntoPago.centro_poblado)
                .where(PuntoPago.liquidacion_id == liquidacion_of(s, PERIODO).id)
                .order_by(PuntoPago.hogares.desc(), PuntoPago.centro_poblado)
                .limit(2)
            )
        )
    walk.do(
        "supervisar_servicio",
        staff(db, COO_LIQUIDACION),
        {
            "incidencias": [
                {"centro_poblado": centros[0], "tipo": "falta de efectivo", "fecha": "2026-12-14"},
                {
                    "centro_poblado": centros[1],
                    "tipo": "demora en la atención",
                    "fecha": "2026-12-15",
                },
            ],
            "apoyo_usuarios": "Traslado asistido de adultos mayores.",
            "fuerza_mayor": False,
        },
    )
    assert walk.state == "completed"
    return walk


# -- what the manual's rules pay, computed apart from engine.pagos ---------------------------
def _expected(db: Database) -> dict[str, tuple[int, str]]:
    """co_hogar → (céntimos, periods) for the afiliados as they reach the cierre: a new
    afiliado (no account, and no first abono ordered before — one whose opening the bank
    refused is not new again) is paid the base; one that complied, the base, plus the period
    before if that one was not paid and its outcome was no verificado or cumplió; a hogar
    whose abono of the period before was rejected, that amount again if its account or
    titular DNI changed since. Incumplidores and no verificados are not paid."""
    with db.transaction() as s:
        afiliados = s.execute(
            select(Hogar.id, Hogar.co_hogar, Hogar.cuenta_ep, Hogar.dni_titular).where(
                Hogar.estado == "afiliado"
            )
        ).all()
        outcome = {
            (h, p): r
            for h, p, r in s.execute(
                select(
                    CumplimientoHogar.hogar_id,
                    CumplimientoHogar.periodo,
                    CumplimientoHogar.resultado,
                )
            )
        }
        before = liquidacion_of(s, ANTERIOR).id
        opened_before = set(s.scalars(select(Abono.hogar_id).where(Abono.apertura)))
        lines = {
            h: (m, rejected)
            for h, m, rejected in s.execute(
                select(Linea.hogar_id, Linea.monto_centimos, Linea.rechazada).where(
                    Linea.periodo == ANTERIOR
                )
            )
        }
        refused = {
            h: (c, d)
            for h, c, d in s.execute(
                select(Cierre.hogar_id, Cierre.cuenta, Cierre.dni_titular).where(
                    Cierre.liquidacion_id == before
                )
            )
        }
    out = {}
    for h, co, cuenta, dni in afiliados:
        now = outcome.get((h, PERIODO), "no_verificado")
        monto, periods = 0, []
        if h in lines and lines[h][1] and refused[h] != (cuenta, dni):
            monto += lines[h][0]
            periods.append(ANTERIOR)
        elif (
            now == "cumplio"
            and h not in lines
            and outcome.get((h, ANTERIOR)) in ("no_verificado", "cumplio")
        ):
            monto += BASE
            periods.append(ANTERIOR)
        if (cuenta is None and h not in opened_before) or now == "cumplio":
            monto += BASE
            periods.append(PERIODO)
        if monto:
            out[co] = (monto, ";".join(periods))
    return out


def test_un_bimestre_de_punta_a_punta(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUNTOS_VAR_DIR", str(tmp_path / "var"))
    nuevos_files, anteriores_files, places = _split(tmp_path / "poblacion")
    _earlier_bimestres(db, anteriores_files, tmp_path)
    rejected_before = _rejected(db, ANTERIOR)
    assert rejected_before.get("cuenta_cerrada") and rejected_before.get("dni_no_coincide")
    afiliacion, cambios, estados = _padron_phase(db, nuevos_files, places)
    verif = _verification_phase(db, tmp_path, estados)
    apoyado = _apoyo(db)  # 10 — the hogar stays afiliado, in the verification cycle
    assert _estado(db, apoyado) == "afiliado"
    report, liq_id = _payment_phase(db, tmp_path, afiliacion, cambios, verif, estados)
    retiro = _retiro(db)  # 12
    with db.transaction() as s:
        hogares, monto = s.execute(
            select(func.sum(PuntoPago.hogares), func.sum(PuntoPago.monto_centimos)).where(
                PuntoPago.liquidacion_id == liq_id, PuntoPago.ciclo == 1
            )
        ).one()
        incidencias = s.execute(
            select(Incidencia.tipo, Incidencia.punto_id.is_not(None)).where(
                Incidencia.liquidacion_id == liq_id
            )
        ).all()
    assert (hogares, monto) == (report["abonados"], report["abonado_centimos"])
    assert sorted(incidencias) == [("demora en la atención", True), ("falta de efectivo", True)]
    assert retiro.documents()[-1].content["incidencias"] == 2


def _padron_phase(  # type: ignore[no-untyped-def]
    db: Database, files: tuple[Path, Path], places: list[tuple[str, str]]
):
    """07 and 08, and the padrón states they leave."""
    inicio = _estados(db)
    afiliacion = _afiliacion(db, files, places)
    assert all(_estado(db, c) == "afiliado" for c in afiliacion["afiliados"])
    assert all(_estado(db, c) == "potencial" for c in afiliacion["no_cumplen"])
    assert [_estado(db, c) for c in afiliacion["solicitantes"]] == ["en_espera_clasificacion"]
    tras_07 = _estados(db)
    assert tras_07["afiliado"] == inicio["afiliado"] + len(afiliacion["afiliados"])

    cambios = _mantenimiento(db)
    estados = _estados(db)
    for co in cambios["fallecen"] + cambios["no_pobres"]:
        assert _estado(db, co) == "desafiliado"
    assert _estado(db, cambios["suspendido"]) == "suspendido"
    assert estados["desafiliado"] == tras_07.get("desafiliado", 0) + cambios["desafiliados"]
    assert estados["suspendido"] == tras_07.get("suspendido", 0) + 1
    assert estados["afiliado"] == tras_07["afiliado"] - cambios["desafiliados"] - 1
    assert estados["en_espera_clasificacion"] == 1
    return afiliacion, cambios, estados


def _verification_phase(db: Database, var: Path, estados: dict[str, int]) -> dict[str, Any]:
    """09, and the no verificados of the period before carried to this one."""
    verif = _verificacion(db, var)
    assert verif["extraccion"]["hogares_arrastrados"] > 0
    with db.transaction() as s:
        carried = s.scalar(
            select(func.count(func.distinct(VerificacionMiembro.hogar_id)))
            .join(VerificacionPeriodo, VerificacionPeriodo.id == VerificacionMiembro.periodo_id)
            .where(VerificacionPeriodo.periodo == PERIODO, VerificacionMiembro.arrastrado)
        )
        outcomes = dict(
            s.execute(
                select(CumplimientoHogar.resultado, func.count())
                .where(CumplimientoHogar.periodo == PERIODO)
                .group_by(CumplimientoHogar.resultado)
            ).all()
        )
    assert carried == verif["extraccion"]["hogares_arrastrados"]
    assert sum(outcomes.values()) == estados["afiliado"] - _without_members(db)
    assert all(outcomes.get(r) for r in ("cumplio", "no_cumplio", "no_verificado"))
    return verif


def _payment_phase(  # type: ignore[no-untyped-def]
    db: Database, var: Path, afiliacion, cambios, verif, estados
) -> tuple[dict[str, Any], int]:
    """11: the order per hogar equals the manual's rules computed apart; totals reconcile."""
    expected = _expected(db)
    rejected_before = _rejected(db, ANTERIOR)
    walk, orden = _liquidacion(db, var)
    order = _order_lines(orden)
    assert {co: (m, p) for co, (m, _op, p) in order.items()} == expected
    print(  # the bimestre's figures, for the record (pytest -s)
        f"\n{estados['afiliado']} afiliados; {len(order)} hogares pagados; "
        f"{Counter(p for _m, _op, p in order.values())}; "
        f"{Counter(op for _m, op, _p in order.values())}"
    )
    assert len(order) > estados["afiliado"] // 2
    with db.transaction() as s:
        liq = liquidacion_of(s, PERIODO)
        sin_cuenta = set(  # every abono to a hogar without an account opens one
            s.scalars(
                select(Hogar.co_hogar)
                .join(Cierre, Cierre.hogar_id == Hogar.id)
                .where(Cierre.liquidacion_id == liq.id, Cierre.cuenta.is_(None))
            )
        )
        report, cierre, total_liq = liq.conciliacion, liq.cierre, liq.total_centimos
    assert cierre["afiliados"] == estados["afiliado"]
    assert all(order[c][1] == "apertura_abono" for c in afiliacion["afiliados"])
    assert {co for co, (_m, op, _p) in order.items() if op == "apertura_abono"} == (
        sin_cuenta & set(order)
    )
    assert all(order[c][0] == BASE for c in afiliacion["afiliados"])
    assert verif["modificado"] in order  # the revisión adicional made it a cumplidor
    assert verif["ratificado"] not in order  # incumplidor, ratified: not paid
    for co in cambios["fallecen"] + cambios["no_pobres"] + [cambios["suspendido"]]:
        assert co not in order
    corrected = [
        co for co in cambios["cuentas"] + cambios["dni_corregido"] if _estado(db, co) == "afiliado"
    ]
    assert corrected and all(ANTERIOR in order[co][2] for co in corrected)  # paid again
    unfixed = set(rejected_before["cuenta_cerrada"]) - set(cambios["cuentas"])
    assert all(ANTERIOR not in order.get(co, (0, "", ""))[2] for co in unfixed)
    assert sum(p == f"{ANTERIOR};{PERIODO}" for _m, _op, p in order.values()) > 0  # arrears
    total = sum(m for m, _op, _p in order.values())
    assert total == total_liq == report["ordenado_centimos"]
    assert report["abonado_centimos"] + report["rechazado_centimos"] == total
    assert report["cuadra"] and report["diferencia_centimos"] == 0
    assert walk.document_kinds() == [
        "Informe técnico",
        "Resolución de Dirección Ejecutiva",
        "Informe de conciliación",
    ]
    return report, liq.id


def _without_members(db: Database) -> int:
    """Afiliados with no member subject to verification (no outcome for the period)."""
    with db.transaction() as s:
        subject = select(VerificacionMiembro.hogar_id).join(
            VerificacionPeriodo, VerificacionPeriodo.id == VerificacionMiembro.periodo_id
        )
        return (
            s.scalar(
                select(func.count()).where(
                    Hogar.estado == "afiliado",
                    Hogar.id.not_in(subject.where(VerificacionPeriodo.periodo == PERIODO)),
                )
            )
            or 0
        )
