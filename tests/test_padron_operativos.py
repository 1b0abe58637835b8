"""The padrón operations of processes 07–10 on a generated padrón (SQLite and PostgreSQL):
idempotent redelivery, bad files refused whole, outcomes per member and hogar, the revisión
adicional, the verification formats as CSV / XLSX / PDF, apoyo familiar."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from engine.db import Database
from engine.padron import (
    Hogar,
    HogarEstadoHistorial,
    ImportRejected,
    Miembro,
    change_state,
    cotejos,
    import_sisfoh,
    verificacion,
)
from engine.padron.formatos import export_formato, read_results_csv
from engine.padron.generate import generate
from engine.padron.kinds import member_kind
from engine.padron.records import (
    Actualizacion,
    CumplimientoHogar,
    Legajo,
    PermanenciaPropuesta,
    VerificacionFormato,
    VerificacionMiembro,
)
from engine.services.catalog import get_operation
from engine.services.registry import OperationContext
from tests.test_padron_support import csv_bytes, padron_database

ON = date(2026, 11, 29)


@pytest.fixture(scope="module")
def db(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = padron_database(databases)
    out = Path(tmp_path_factory.mktemp("gen"))
    generate(300, 7, out)
    with database.write_transaction() as s:
        import_sisfoh(s, out / "hogares.csv", out / "miembros.csv", on=ON)
        # half of the validados were affiliated by earlier ACVs
        earlier = select(Hogar.id).where(Hogar.estado == "validado", Hogar.id % 2 == 0)
        change_state(s, earlier, "afiliado", "ACV anterior (prueba)")
    yield database
    database.dispose()


def call(
    db: Database,
    name: str,
    params: dict[str, Any],
    key: str,
    *,
    instance_id: int = 1,
    scope: int | None = None,
) -> dict[str, Any]:
    """Runs an operation as the worker would, in its own transaction."""
    with db.write_transaction() as s:
        ctx = OperationContext(s, key, instance_id, scope, lambda done, total: None, "elemento")
        operation = get_operation(name)
        operation.check_params(params)
        return operation.func(ctx, params)


def estado(db: Database, co: str) -> str:
    with db.transaction() as s:
        return s.scalar(select(Hogar.estado).where(Hogar.co_hogar == co)) or ""


def counts(db: Database, *models: Any) -> list[int]:
    with db.transaction() as s:
        return [s.scalar(select(func.count()).select_from(m)) or 0 for m in models]


def busiest_place(db: Database) -> tuple[str, str, int]:
    with db.transaction() as s:
        return s.execute(
            select(Hogar.ubigeo, Hogar.centro_poblado, Hogar.ut_unit_id)
            .where(Hogar.estado == "validado")
            .group_by(Hogar.ubigeo, Hogar.centro_poblado, Hogar.ut_unit_id)
            .order_by(func.count().desc(), Hogar.ubigeo)
            .limit(1)
        ).one()


def _formalizacion(db: Database, co: str) -> dict[str, Any]:
    with db.transaction() as s:
        members = s.scalars(
            select(Miembro).join(Hogar, Hogar.id == Miembro.hogar_id).where(Hogar.co_hogar == co)
        ).all()
        codes = [
            {"dni": m.dni, "codigo_modular_ie": "0200001", "codigo_renipress": "00000001"}
            for m in members
            if member_kind(m.fecha_nacimiento, m.gestante, ON)
        ]
    return {
        "co_hogar": co,
        "copia_dni": True,
        "declaracion_jurada": True,
        "acuerdo_compromiso": True,
        "miembros": codes,
    }


def test_acv_results_solicitantes_and_formalizacion(db: Database) -> None:
    ubigeo, cp, ut = busiest_place(db)
    opened = call(
        db, "padron.relacion_acv", {"ubigeo": ubigeo, "centro_poblado": cp}, "acv:1", scope=ut
    )
    assert opened == call(
        db, "padron.relacion_acv", {"ubigeo": ubigeo, "centro_poblado": cp}, "acv:1", scope=ut
    )  # redelivery: same ACV
    codes = [h["co_hogar"] for h in opened["relacion"]]
    assert len(codes) >= 2
    acv = {"acv_id": opened["acv_id"], "fecha": ON.isoformat(), "acta": "Acta 1"}
    bad = call(
        db,
        "padron.registrar_acv",
        {**acv, "resultados": [{"co_hogar": "NO-EXISTE", "cumple": True}]},
        "acv:2",
    )
    assert bad["aceptado"] is False and "relación" in bad["errores"][0]["motivo"]
    solicitante = {
        "dni_titular": "09999999",
        "ap_paterno": "Quispe",
        "nombres": "Rosa",
        "cumple": True,
    }
    params = {
        **acv,
        "resultados": [{"co_hogar": codes[0], "cumple": False, "motivo": "reside hace 2 meses"}]
        + [{"co_hogar": c, "cumple": True} for c in codes[1:]],
        "solicitantes": [solicitante, {**solicitante, "dni_titular": "09999998", "cumple": False}],
    }
    before = counts(db, HogarEstadoHistorial)[0]
    done = call(db, "padron.registrar_acv", params, "acv:3")
    assert done["aceptado"] and done["descartados"] == 1 and done["en_espera_clasificacion"] == 1
    assert call(db, "padron.registrar_acv", params, "acv:3") == done  # redelivery
    assert counts(db, HogarEstadoHistorial)[0] == before + 3  # potencial, alta, en espera
    assert estado(db, codes[0]) == "potencial"
    assert estado(db, f"ACV{opened['acv_id']}-09999999") == "en_espera_clasificacion"

    incomplete = {**_formalizacion(db, codes[1]), "acuerdo_compromiso": False}
    formal = call(
        db,
        "padron.formalizar",
        {"acv_id": opened["acv_id"], "formalizaciones": [incomplete]},
        "acv:4",
    )
    assert formal["afiliados"] == 0 and "acuerdo de compromiso" in formal["observados"][0]["motivo"]
    good = [_formalizacion(db, c) for c in codes[1:]]
    formal = call(
        db, "padron.formalizar", {"acv_id": opened["acv_id"], "formalizaciones": good}, "acv:5"
    )
    assert formal["pendientes"] == 0
    assert estado(db, codes[1]) == "afiliado"
    with db.transaction() as s:
        legajo = s.scalar(
            select(func.count())
            .select_from(Legajo)
            .join(Hogar, Hogar.id == Legajo.hogar_id)
            .where(Hogar.co_hogar == codes[1])
        )
    assert legajo == 3
    padron = call(db, "padron.nuevos_afiliados", {"acv_id": opened["acv_id"]}, "acv:6")
    assert padron["total"] == formal["afiliados"] and codes[1] in str(padron["hogares"])


def _file(tmp: Path, name: str, header: tuple[str, ...], rows: list[list[str]]) -> Path:
    path = tmp / name
    path.write_bytes(csv_bytes(header, rows, delimiter=";"))
    return path


def _members(db: Database, n: int) -> list[tuple[str, str]]:
    with db.transaction() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(Miembro.dni, Hogar.co_hogar)
                .join(Hogar, Hogar.id == Miembro.hogar_id)
                .order_by(Miembro.dni)
                .limit(n)
            )
        ]


def test_cotejos_apply_all_or_nothing_and_once(db: Database, tmp_path: Path) -> None:
    (d1, _), (d2, _), (d3, _) = _members(db, 3)
    header = ("dni", "evento", "fecha", "dni_nuevo")
    bad = _file(
        tmp_path,
        "reniec-malo.csv",
        header,
        [
            [d1, "fallecimiento", "2026-10-01", ""],
            ["1234567", "fallecimiento", "2026-10-01", ""],
            ["99999990", "fallecimiento", "2026-10-01", ""],
        ],
    )
    snapshot = counts(db, Actualizacion, Miembro)
    with pytest.raises(ImportRejected) as refused, db.write_transaction() as s:
        cotejos.cotejar(s, "reniec", bad)
    assert [(e.line, e.column) for e in refused.value.errors] == [(3, "dni"), (4, "dni")]
    refused_refs = _file(
        tmp_path,
        "reniec-ref.csv",
        header,
        [
            [d1, "fallecimiento", "2026-10-01", ""],
            ["99999990", "fallecimiento", "2026-10-01", ""],
            [d2, "cambio_dni", "2026-10-01", d3],
        ],
    )
    with pytest.raises(ImportRejected) as refused, db.write_transaction() as s:
        cotejos.cotejar(s, "reniec", refused_refs)
    assert [(e.line, e.column) for e in refused.value.errors] == [(3, "dni"), (4, "dni_nuevo")]
    assert counts(db, Actualizacion, Miembro) == snapshot
    good = _file(
        tmp_path,
        "reniec.csv",
        header,
        [
            [d1, "fallecimiento", "2026-10-01", ""],
            [d2, "cambio_dni", "2026-10-01", "08888888"],
        ],
    )
    with db.write_transaction() as s:
        first = cotejos.cotejar(s, "reniec", good).as_dict()
    assert first["conteos"]["fallecidos"] == 1 and first["conteos"]["cambios_dni"] == 1
    with db.write_transaction() as s:
        again = cotejos.cotejar(s, "reniec", good).as_dict()
    assert again["ya_importado"] and again["lote"] == first["lote"]
    with db.transaction() as s:
        assert s.scalar(select(Miembro.fecha_fallecimiento).where(Miembro.dni == d1))
        assert s.scalar(select(func.count()).where(Miembro.dni == "08888888")) == 1


def test_cotejos_sisfoh_minedu_minsa(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        waiting = s.scalar(select(Hogar.co_hogar).where(Hogar.estado == "en_espera_clasificacion"))
        potencial = s.scalar(select(Hogar.co_hogar).where(Hogar.estado == "potencial"))
    rows = [[waiting, "PE", "2029-12-31"], [potencial, "PNE", "2029-12-31"]]
    path = _file(tmp_path, "sisfoh.csv", ("co_hogar", "cse", "cse_vigencia_fin"), rows)
    with db.write_transaction() as s:
        result = cotejos.cotejar(s, "sisfoh", path).as_dict()
    assert result["conteos"]["reclasificados"] == 2 and result["conteos"]["validados"] == 1
    assert estado(db, waiting) == "validado"
    (d1, _), (d2, _) = _members(db, 5)[3:5]
    minedu = _file(tmp_path, "minedu.csv", ("dni", "codigo_modular_ie"), [[d1, "0201234"]])
    minsa = _file(tmp_path, "minsa.csv", ("dni", "codigo_renipress"), [[d2, "123"]])
    with db.write_transaction() as s:
        assert cotejos.cotejar(s, "minedu", minedu).counts["actualizados"] == 1
        assert cotejos.cotejar(s, "minsa", minsa).counts["actualizados"] == 1
    with db.transaction() as s:
        assert s.scalar(select(Miembro.codigo_renipress).where(Miembro.dni == d2)) == "00000123"
    wrong = _file(tmp_path, "minedu-malo.csv", ("dni", "codigo_modular_ie"), [[d1, "12AB"]])
    with pytest.raises(ImportRejected), db.write_transaction() as s:
        cotejos.cotejar(s, "minedu", wrong)


def test_field_updates_and_permanence(db: Database) -> None:
    with db.transaction() as s:
        afiliados = list(s.scalars(select(Hogar.co_hogar).where(Hogar.estado == "afiliado")))
        dni = s.scalar(
            select(Miembro.dni)
            .join(Hogar, Hogar.id == Miembro.hogar_id)
            .where(Hogar.co_hogar == afiliados[0])
        )
    updates = [
        {"co_hogar": afiliados[0], "campo": "direccion", "valor": "Jr. Nuevo 1"},
        {"co_hogar": afiliados[0], "campo": "codigo_renipress", "dni": dni, "valor": "00000077"},
    ]
    bad = call(
        db,
        "padron.actualizar_campo",
        {
            "actualizaciones": [*updates, {"co_hogar": "X-1", "campo": "direccion", "valor": "?"}],
            "fuente": "GL",
        },
        "m:1",
    )
    assert bad["aceptado"] is False and bad["errores"][0]["fila"] == "3"
    ok = call(db, "padron.actualizar_campo", {"actualizaciones": updates, "fuente": "GL"}, "m:2")
    assert ok["actualizados"] == 2
    evaluation = call(db, "padron.evaluar_permanencia", {"fecha": "2045-01-01"}, "m:3")
    assert evaluation["propuestas_desafiliacion"] >= 1  # in 2045 nobody is a niño any more
    with db.transaction() as s:
        proposed = list(
            s.scalars(
                select(Hogar.co_hogar)
                .join(PermanenciaPropuesta, PermanenciaPropuesta.hogar_id == Hogar.id)
                .where(PermanenciaPropuesta.evaluacion == evaluation["evaluacion"])
                .order_by(Hogar.co_hogar)
            )
        )
        potencial = s.scalar(select(Hogar.co_hogar).where(Hogar.estado == "potencial"))
    params = {"evaluacion": evaluation["evaluacion"], "excluir": proposed[1:]}
    refused = call(
        db,
        "padron.aplicar_permanencia",
        {**params, "suspender": [{"co_hogar": potencial, "motivo": "x"}]},
        "m:4",
    )
    assert refused["aceptado"] is False and "potencial" in refused["errores"][0]
    assert estado(db, proposed[0]) == "afiliado"  # nothing applied
    suspend = [{"co_hogar": afiliados[-1], "motivo": "Informe de la UT"}]
    applied = call(db, "padron.aplicar_permanencia", {**params, "suspender": suspend}, "m:5")
    assert applied["aceptado"] and applied["desafiliados"] == 1 and applied["suspendidos"] == 1
    assert estado(db, proposed[0]) == "desafiliado" and estado(db, afiliados[-1]) == "suspendido"
    back = call(
        db,
        "padron.aplicar_permanencia",
        {
            "evaluacion": "ninguna",
            "reincorporar": [{"co_hogar": afiliados[-1], "motivo": "Cumplió"}],
        },
        "m:6",
    )
    assert back["reincorporados"] == 1
    with db.transaction() as s:
        assert s.scalar(select(Hogar.reincorporado).where(Hogar.co_hogar == afiliados[-1]))


def _verification_entries(db: Database, periodo: str) -> list[dict[str, Any]]:
    with db.transaction() as s:
        p = verificacion.periodo_de(s, periodo)
        rows = s.execute(
            select(VerificacionMiembro.formato_id, Miembro.dni)
            .join(Miembro, Miembro.id == VerificacionMiembro.miembro_id)
            .where(
                VerificacionMiembro.periodo_id == p.id, VerificacionMiembro.formato_id.is_not(None)
            )
            .order_by(Miembro.dni)
        ).all()
    return [{"formato_id": f, "dni": d} for f, d in rows]


def test_verification_formats_results_outcomes_and_review(db: Database, tmp_path: Path) -> None:
    extracted = call(
        db,
        "padron.extraer_verificacion",
        {"periodo": "2026-B1", "fecha_corte": ON.isoformat()},
        "v:1",
    )
    assert extracted["miembros"] > 0 and extracted["formatos_ie"] + extracted["formatos_eess"] > 0
    entries = _verification_entries(db, "2026-B1")
    with db.transaction() as s:
        formato = s.scalar(select(VerificacionFormato.id).order_by(VerificacionFormato.id))
        as_csv = export_formato(s, formato, "csv")
        as_xlsx = export_formato(s, formato, "xlsx")
        as_pdf = export_formato(s, formato, "pdf")
    assert as_csv.startswith(b"\xef\xbb\xbfformato_id,co_hogar,dni")
    assert as_pdf.startswith(b"%PDF")
    sheet = load_workbook(io.BytesIO(as_xlsx)).active
    assert sheet.cell(2, 1).value == "formato_id" and sheet.max_row >= 3

    bad = [
        {**entries[0], "resultado": "cumplio"},
        {**entries[0], "resultado": "cumplio"},
        {"formato_id": 999999, "dni": "12345678", "resultado": "cumplio"},
        {**entries[1], "resultado": "quizas"},
    ]
    refused = call(
        db, "padron.registrar_verificacion", {"periodo": "2026-B1", "resultados": bad}, "v:2"
    )
    assert refused["aceptado"] is False
    assert sorted((e["linea"], e["columna"]) for e in refused["errores"]) == [
        (2, "dni"),
        (3, "formato_id"),
        (4, "resultado"),
    ]
    with db.transaction() as s:
        assert (
            s.scalar(select(func.count()).where(VerificacionMiembro.resultado != "pendiente")) == 0
        )

    # the downloaded CSV, filled in for the first format, uploaded back
    filled = tmp_path / "formato.csv"
    lines = as_csv.decode("utf-8-sig").splitlines()
    filled.write_text("\n".join([lines[0]] + [ln[:-1] + "cumplio," for ln in lines[1:]]) + "\n")
    uploaded = read_results_csv(filled, "formato.csv")
    others = [e for e in entries if e["formato_id"] != formato]
    half = len(others) // 2
    results = [{**e, "resultado": "cumplio"} for e in others[:half]]
    results += [{**e, "resultado": "no_cumplio"} for e in others[-2:]]
    with db.write_transaction() as s:
        progress = verificacion.registrar_resultados(s, "2026-B1", uploaded + results)
    assert progress["formatos_registrados"] >= 1
    outcome = call(db, "padron.calcular_cumplimiento", {"periodo": "2026-B1"}, "v:3")
    hogares = outcome["hogares"]
    assert hogares["cumplio"] >= 1 and hogares["no_cumplio"] >= 1 and hogares["no_verificado"] >= 1
    assert sum(outcome["miembros"].values()) == extracted["miembros"]

    no_verificado = outcome["hogares_no_verificados"][0]
    review = [
        {
            "co_hogar": no_verificado,
            "decision": "modifica",
            "resultado": "cumplio",
            "sustento": "Constancia de la IE",
        }
    ]
    wrong = call(
        db,
        "padron.revision_adicional",
        {"periodo": "2026-B1", "revisiones": [{**review[0], "resultado": "no_verificado"}]},
        "v:4",
    )
    assert wrong["aceptado"] is False
    done = call(
        db, "padron.revision_adicional", {"periodo": "2026-B1", "revisiones": review}, "v:5"
    )
    assert done["modificados"] == 1
    with db.transaction() as s:
        row = s.execute(
            select(CumplimientoHogar.resultado, CumplimientoHogar.revisado)
            .join(Hogar, Hogar.id == CumplimientoHogar.hogar_id)
            .where(Hogar.co_hogar == no_verificado)
        ).one()
    assert tuple(row) == ("cumplio", True)

    # the next period carries the hogares not verified
    nxt = call(
        db,
        "padron.extraer_verificacion",
        {"periodo": "2026-B2", "fecha_corte": ON.isoformat()},
        "v:6",
    )
    assert nxt["hogares_arrastrados"] == hogares["no_verificado"] - 1


def test_formats_download_in_three_formats_only_for_their_ut_and_central_staff(
    db: Database,
) -> None:
    """Runs after the verification test above, which generated the formats."""
    from engine.org.demo import DEMO_PASSWORD
    from engine.org.models import Unit
    from tests.processes.support import PASSWORD, staff
    from tests.test_web import login
    from web import create_app

    with db.transaction() as s:
        formato = s.scalar(select(VerificacionFormato).order_by(VerificacionFormato.id))
        ut = s.get(Unit, formato.ut_unit_id).code
    other = "UT-PUN" if ut != "UT-PUN" else "UT-CUS"
    people = {
        staff(db, "Coordinador Técnico Territorial", ut): "200",
        staff(db, "Coordinador Técnico Territorial", other): "403",
        staff(db, "Especialista en Verificación de Cumplimiento de Corresponsabilidades"): "200",
    }
    url = db.engine.url.render_as_string(hide_password=False)
    app = create_app({"DATABASE_URL": url})
    for login_name, expected in people.items():
        client = app.test_client()
        password = PASSWORD if login_name.startswith("c") else DEMO_PASSWORD
        login(client, login_name, password)
        for fmt, magic in (("csv", b"\xef\xbb\xbf"), ("xlsx", b"PK"), ("pdf", b"%PDF")):
            response = client.get(f"/padron/formatos/{formato.id}.{fmt}")
            assert str(response.status_code) == expected, (login_name, fmt)
            if expected == "200":
                assert response.data.startswith(magic)
    assert app.test_client().get(f"/padron/formatos/{formato.id}.csv").status_code == 302


def test_apoyo_familiar_selects_and_records_without_changing_states(db: Database) -> None:
    """Runs after the verification test: 2026-B1 is closed."""
    with db.transaction() as s:
        failed, ut = s.execute(
            select(Hogar.co_hogar, Hogar.ut_unit_id)
            .join(CumplimientoHogar, CumplimientoHogar.hogar_id == Hogar.id)
            .where(
                CumplimientoHogar.periodo == "2026-B1", CumplimientoHogar.resultado == "no_cumplio"
            )
        ).first()
    selected = call(
        db, "padron.seleccionar_apoyo", {"periodo": "2026-B1"}, "a:1", instance_id=7, scope=ut
    )
    assert selected["por_incumplimiento"] >= 1
    activity = {
        "periodo": "2026-B1",
        "tipo": "visita_domiciliaria",
        "fecha": "2026-12-02",
        "lugar": "Domicilio",
        "temas": "Controles CRED",
        "hogares": [failed],
        "servicios": [{"co_hogar": failed, "problema": "violencia", "servicio": "CEM"}],
    }
    refused = call(
        db, "padron.registrar_apoyo", {**activity, "hogares": ["X-9"]}, "a:2", instance_id=7
    )
    assert refused["aceptado"] is False
    assert call(db, "padron.registrar_apoyo", activity, "a:3", instance_id=7)["aceptado"]
    summary = call(db, "padron.resumen_apoyo", {"periodo": "2026-B1"}, "a:4", instance_id=7)
    assert summary["orientados"] == 1 and summary["servicios_informados"] == 1
    assert estado(db, failed) == "afiliado"  # still in the verification cycle
