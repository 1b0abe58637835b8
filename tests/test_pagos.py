"""Liquidation and transfer (process 11) on a generated padrón: amounts to the céntimo, the
arrears rule, never paid twice across re-runs, the Entidad Pagadora's files (bad inputs are
refused whole, nothing half-applied) and the reconciliation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from engine.db import Database
from engine.entidad_pagadora import SimuladorEntidadPagadora
from engine.errors import DomainError, ValidationError
from engine.padron import Hogar, household_card
from engine.padron.records import CumplimientoHogar as Cumplimiento
from engine.pagos import (
    Abono,
    ArchivoRechazado,
    Linea,
    Liquidacion,
    anteriores,
    cerrar_padron,
    conciliar,
    generar_orden,
    liquidacion_of,
    liquidar,
    load_rules,
    registrar_respuesta,
)
from engine.pagos.archivos import Reader
from tests.pagos_support import afiliados_database, expected, verify
from tests.test_padron_support import csv_bytes

B5, B6 = "2026-B5", "2026-B6"


@pytest.fixture(scope="module")
def db(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = afiliados_database(databases.new(), 400, 11, tmp_path_factory.mktemp("pob"))
    verify(database, B5, shift=0)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pagos")


def _liquidate(db: Database, periodo: str, out: Path) -> dict:  # type: ignore[type-arg]
    with db.write_transaction() as s:
        cerrar_padron(s, periodo)
        result = liquidar(s, periodo)
    with db.write_transaction() as s:
        generar_orden(s, periodo, directorio=out)
    return result


def test_periodos() -> None:
    assert anteriores("2026-B2", 3) == ["2026-B1", "2025-B6", "2025-B5"]
    with pytest.raises(ValidationError, match="bimestre"):
        anteriores("2026-B7", 1)


def test_liquidacion_al_centimo(db: Database, out: Path) -> None:
    want = expected(db, B5)
    result = _liquidate(db, B5, out)
    assert want["hogares"] > 200
    assert (result["hogares"], result["total_centimos"]) == (
        want["hogares"],
        want["total_centimos"],
    )
    assert result["lineas_atraso"] == 0  # nothing earlier to owe
    with db.transaction() as s:
        liq = liquidacion_of(s, B5)
        nuevos = s.scalar(
            select(func.count()).where(Hogar.estado == "afiliado", Hogar.cuenta_ep.is_(None))
        )
        assert result["aperturas_cuenta"] == nuevos == liq.cierre["nuevos_afiliados"]
        reader = Reader(Path(liq.orden_archivo), ())
        trailer = reader.open()
    assert (trailer.lineas, trailer.total_centimos) == (want["hogares"], want["total_centimos"])
    lines = Path(liq.orden_archivo).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "co_hogar,dni_titular,titular,cuenta,operacion,monto_centimos,periodos"
    assert lines[-1].startswith(f"#FIN,{B5},{want['hogares']},{want['total_centimos']},")
    assert all(line.endswith(f",20000,{B5}") for line in lines[1:-1])


def test_rerun_changes_nothing(db: Database, out: Path) -> None:
    with db.transaction() as s:
        liq = liquidacion_of(s, B5)
        before = Path(liq.orden_archivo).read_bytes()
    with db.write_transaction() as s:
        assert cerrar_padron(s, B5)["ya_cerrado"]
        assert liquidar(s, B5)["ya_liquidado"]
        assert generar_orden(s, B5)["ya_generada"]
    Path(liq.orden_archivo).unlink()  # lost: written again byte for byte
    with db.write_transaction() as s:
        assert not generar_orden(s, B5)["ya_generada"]
    assert Path(liq.orden_archivo).read_bytes() == before
    with db.transaction() as s:
        lines = s.scalar(select(func.count()).select_from(Linea))
    assert lines == liq.hogares


def test_the_database_refuses_a_second_line_for_a_period(db: Database) -> None:
    with db.transaction() as s:
        hogar_id, liq_id = s.execute(select(Linea.hogar_id, Linea.liquidacion_id).limit(1)).one()
    with pytest.raises(IntegrityError), db.write_transaction() as s:
        s.execute(
            insert(Linea).values(
                hogar_id=hogar_id,
                periodo=B5,
                liquidacion_id=liq_id,
                concepto="atraso",
                monto_centimos=20000,
            )
        )


def _order_path(db: Database, periodo: str) -> Path:
    with db.transaction() as s:
        return Path(liquidacion_of(s, periodo).orden_archivo)


def _rewrite(path: Path, target: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    """A response file with its body edited and a *consistent* trailer (so that only the
    line checks can catch the edit)."""
    from engine.pagos import archivos

    reader = Reader(path, archivos.RESPUESTA_COLUMNS)
    trailer = reader.open()
    rows = edit([row for _, row in reader.rows()])
    archivos.write_rows(
        target,
        archivos.RESPUESTA_COLUMNS,
        trailer.periodo,
        ((r, r[3] == "abonado") for r in rows),
        amount=2,
    )
    return target


def _abonos_estados(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        return dict(s.execute(select(Abono.estado, func.count()).group_by(Abono.estado)).all())


def test_bad_response_files_are_refused_whole(db: Database, out: Path) -> None:
    good = out / "respuesta-buena.csv"
    SimuladorEntidadPagadora(seed=5, rechazo=0.1).procesar(_order_path(db, B5), good)
    cases = {
        "truncado": lambda p: p.write_bytes(good.read_bytes()[:-90]),
        "alterado": lambda p: p.write_bytes(good.read_bytes().replace(b"abonado", b"abonadx", 1)),
    }
    for name, make in cases.items():
        target = out / f"resp-{name}.csv"
        make(target)
        with (
            pytest.raises(ArchivoRechazado, match=f"resp-{name}.csv") as exc,
            db.write_transaction() as s,
        ):
            registrar_respuesta(s, B5, target)
        assert "truncado" in str(exc.value) or "sha256" in str(exc.value)
    dup = _rewrite(good, out / "resp-dup.csv", lambda rows: [*rows[:5], rows[2], *rows[5:]])
    unknown = _rewrite(
        good,
        out / "resp-unk.csv",
        lambda rows: [["9999999999", "04-X", "20000", "abonado", ""], *rows],
    )
    cuenta = _rewrite(
        good,
        out / "resp-cta.csv",
        lambda rows: [
            [r[0], "04-OTRA", *r[2:]] if i == 3 and r[1].startswith("04-0") else r
            for i, r in enumerate(rows)
        ],
    )
    missing = _rewrite(good, out / "resp-falta.csv", lambda rows: rows[:-1])
    expectations = {
        dup: "línea 7: hogar .* repetido \\(ya está en la línea 4\\)",
        unknown: "línea 2: hogar 9999999999: no está en la orden",
        missing: "faltan 1 hogar",
    }
    for path, message in expectations.items():
        with pytest.raises(ArchivoRechazado, match=message), db.write_transaction() as s:
            registrar_respuesta(s, B5, path)
    with pytest.raises(ArchivoRechazado), db.write_transaction() as s:
        registrar_respuesta(s, B5, cuenta)
    assert set(_abonos_estados(db)) == {"ordenado"}  # nothing half-applied
    with db.write_transaction() as s:
        summary = registrar_respuesta(s, B5, good)
    assert summary["abonados"] + summary["rechazados"] == liquidacion_of_hogares(db, B5)
    with db.write_transaction() as s:
        assert registrar_respuesta(s, B5, good)["ya_registrada"]
        with pytest.raises(DomainError, match="ya se registró"):
            registrar_respuesta(s, B5, dup)


def liquidacion_of_hogares(db: Database, periodo: str) -> int:
    with db.transaction() as s:
        return liquidacion_of(s, periodo).hogares


def test_reconciliation_to_the_centimo(db: Database) -> None:
    with db.write_transaction() as s:
        report = conciliar(s, B5)
        liq = liquidacion_of(s, B5)
        opened = s.scalar(select(func.count()).where(Abono.apertura, Abono.estado == "abonado"))
        with_account = s.scalar(
            select(func.count())
            .select_from(Hogar)
            .where(Hogar.cuenta_ep.like("04-%"), Hogar.id % 5 == 0)
        )
    assert report["cuadra"], report
    assert report["ordenado_centimos"] == liq.total_centimos
    assert report["abonado_centimos"] + report["rechazado_centimos"] == liq.total_centimos
    assert report["rechazados"] > 0 and report["diferencia_centimos"] == 0
    assert opened == with_account  # the accounts opened with the payment are in the padrón
    json.dumps(report)


def test_the_household_card_shows_abonado_or_no_abonado(db: Database) -> None:
    """Manual V.2 8.3 iii: the liquidation gives afiliados the state abonado or no abonado
    in the padrón; the household card (``juntos padron show``, the task page) shows it."""
    with db.transaction() as s:
        shown = {}
        for estado in ("abonado", "rechazado"):
            hogar_id, monto, motivo = s.execute(
                select(Abono.hogar_id, Abono.monto_centimos, Abono.motivo)
                .join(Liquidacion, Liquidacion.id == Abono.liquidacion_id)
                .where(Liquidacion.periodo == B5, Abono.estado == estado)
                .limit(1)
            ).one()
            co_hogar = s.scalar(select(Hogar.co_hogar).where(Hogar.id == hogar_id))
            card = household_card(s, co_hogar)
            (line,) = [a for a in card.as_dict()["abonos"] if a["liquidacion"] == B5]
            assert (line["estado"], line["monto_centimos"], line["motivo"]) == (
                estado,
                monto,
                motivo,
            )
            shown[estado] = "\n".join(card.lines())
    assert "no abonado" not in shown["abonado"] and f"{B5} (" in shown["abonado"]
    assert "no abonado" in shown["rechazado"]


def test_arrears_cover_an_earlier_period_once(db: Database, out: Path) -> None:
    verify(db, B6, shift=3)
    with db.transaction() as s:
        b5_paid = select(Linea.hogar_id).where(Linea.periodo == B5)
        prev = Cumplimiento.__table__.alias("prev")
        owed = s.scalar(
            select(func.count())
            .select_from(Cumplimiento)
            .join(prev, (prev.c.hogar_id == Cumplimiento.hogar_id) & (prev.c.periodo == B5))
            .where(
                Cumplimiento.periodo == B6,
                Cumplimiento.resultado == "cumplio",
                prev.c.resultado.in_(["no_verificado", "cumplio"]),
                Cumplimiento.hogar_id.not_in(b5_paid),
            )
        )
    want = expected(db, B6)
    result = _liquidate(db, B6, out)
    assert owed > 0
    assert result["lineas_atraso"] == owed
    assert result["total_centimos"] == want["total_centimos"] + owed * 20000
    with db.transaction() as s:
        doubles = s.scalar(
            select(func.count()).select_from(
                select(Linea.hogar_id, Linea.periodo)
                .group_by(Linea.hogar_id, Linea.periodo)
                .having(func.count() > 1)
                .subquery()
            )
        )
        two_periods = s.scalar(select(func.count()).where(Abono.periodos == f"{B5};{B6}"))
    assert doubles == 0 and two_periods == owed
    lines = _order_path(db, B6).read_text(encoding="utf-8").splitlines()
    assert sum(line.endswith(f",40000,{B5};{B6}") for line in lines) == owed


def test_rules_come_from_a_file_read_at_run_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = load_rules()
    rules["reglas"][1]["monto_centimos"] = 25050
    path = tmp_path / "reglas.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    monkeypatch.setenv("JUNTOS_PAGOS_REGLAS", str(path))
    assert load_rules()["reglas"][1]["monto_centimos"] == 25050
    path.write_text(json.dumps({**rules, "reglas": [{"resultado": "quizá", "monto_centimos": 1}]}))
    with pytest.raises(ValidationError, match="reglas"):
        load_rules()
    path.write_text(json.dumps({**rules, "incentivo_base_centimos": 200.5}))
    with pytest.raises(ValidationError, match="incentivo_base_centimos"):
        load_rules()


def test_the_entidad_pagadora_refuses_a_bad_order(db: Database, tmp_path: Path) -> None:
    order = _order_path(db, B6)
    data = order.read_bytes()
    truncated = tmp_path / "truncada.csv"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchivoRechazado, match="truncad"):
        SimuladorEntidadPagadora().procesar(truncated, tmp_path / "r.csv")
    tampered = tmp_path / "alterada.csv"
    tampered.write_bytes(data.replace(b",20000,", b",20001,", 1))
    with pytest.raises(ArchivoRechazado, match="sha256"):
        SimuladorEntidadPagadora().procesar(tampered, tmp_path / "r.csv")
    assert not (tmp_path / "r.csv").exists()
    done = SimuladorEntidadPagadora(seed=1, rechazo=0.0).procesar(order, tmp_path / "r.csv")
    SimuladorEntidadPagadora(seed=1, rechazo=0.0).procesar(order, tmp_path / "r2.csv")
    assert done.rechazados == 0 and done.abonado_centimos == liquidacion_total(db, B6)
    assert (tmp_path / "r.csv").read_bytes() == (tmp_path / "r2.csv").read_bytes()


def liquidacion_total(db: Database, periodo: str) -> int:
    with db.transaction() as s:
        return liquidacion_of(s, periodo).total_centimos


B1 = "2027-B1"


def _rejected_lines(db: Database) -> list[tuple[int, str, int, str]]:
    """(hogar, periodo, monto, motivo) of the rejected lines that are the last line of their
    period, counted from the abonos (not from the ``rechazada`` flag under test)."""
    with db.transaction() as s:
        rows = s.execute(
            select(Linea.hogar_id, Linea.periodo, Linea.monto_centimos, Abono.motivo)
            .join(
                Abono,
                (Abono.liquidacion_id == Linea.liquidacion_id) & (Abono.hogar_id == Linea.hogar_id),
            )
            .where(Abono.estado == "rechazado")
            .order_by(Linea.hogar_id, Linea.periodo, Linea.liquidacion_id)
        ).all()
    last: dict[tuple[int, str], tuple[int, str, int, str]] = {}
    for hogar, periodo, monto, motivo in rows:
        last[(hogar, periodo)] = (hogar, periodo, monto, motivo)
    return list(last.values())


def _correct_in_the_field(
    db: Database, out: Path, rejected: list[tuple[int, str, int, str]]
) -> list[int]:
    """Process 08 corrects half of each kind of refusal: a new account collected in the
    field, the titular's DNI corrected by RENIEC; one closed account is confirmed reopened
    under the same number; the others stay as the bank refused them — and a DNI mismatch is
    not corrected by confirming the account. Returns the hogares corrected."""
    from engine.padron import cotejos, mantenimiento

    hogares = sorted({h for h, *_ in rejected})
    with db.transaction() as s:
        found = s.execute(
            select(Hogar.id, Hogar.co_hogar, Hogar.dni_titular, Hogar.cuenta_ep).where(
                Hogar.id.in_(hogares)
            )
        ).all()
    codes = {h: code for h, code, _dni, _cuenta in found}
    titulares = {h: dni for h, _code, dni, _cuenta in found}
    cuentas = {h: cuenta for h, _code, _dni, cuenta in found}
    closed = sorted({h for h, _p, _m, why in rejected if why == "cuenta_cerrada"})
    wrong_dni = sorted({h for h, _p, _m, why in rejected if why == "dni_no_coincide"} - set(closed))
    reopened = closed[1::2][:1]
    confirmed_only = [h for h in wrong_dni[1::2] if cuentas[h]][:1]
    assert len(closed) >= 2 and len(wrong_dni) >= 2 and confirmed_only
    reniec = out / "reniec.csv"
    rows = [
        [titulares[h], "CAMBIO_DNI", "2026-11-20", f"{70000000 + h:08d}"] for h in wrong_dni[::2]
    ]
    reniec.write_bytes(csv_bytes(("dni", "evento", "fecha", "dni_nuevo"), rows))
    cambios = [
        {"co_hogar": codes[h], "campo": "cuenta_ep", "valor": f"04-N{codes[h]}"}
        for h in closed[::2]
    ] + [
        {"co_hogar": codes[h], "campo": "cuenta_ep", "valor": cuentas[h]}
        for h in reopened + confirmed_only
    ]
    with db.write_transaction() as s:
        assert mantenimiento.actualizar_campo(s, cambios, "Constancia del banco", 0)["aceptado"]
        assert cotejos.cotejar(s, "reniec", reniec).counts["cambios_dni_titular"] == len(rows)
    return closed[::2] + wrong_dni[::2] + reopened


def test_rejected_abonos_are_paid_again_once_corrected_even_across_a_crash(
    db: Database, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.pagos import liquidacion as module

    respuesta = out / "respuesta-b6.csv"
    SimuladorEntidadPagadora(seed=5, rechazo=0.1).procesar(_order_path(db, B6), respuesta)
    with db.write_transaction() as s:
        registrar_respuesta(s, B6, respuesta)
        conciliar(s, B6)
    rejected = _rejected_lines(db)
    with db.transaction() as s:
        flagged = s.scalar(select(func.count()).where(Linea.rechazada))
        hogares = sorted({h for h, *_ in rejected})
        codes = dict(s.execute(select(Hogar.id, Hogar.co_hogar).where(Hogar.id.in_(hogares))).all())
    assert flagged == len(rejected)
    fixed = _correct_in_the_field(db, out, rejected)
    owed = [(h, p, m) for h, p, m, _ in rejected if h in fixed]
    verify(db, B1, shift=5)

    def crash(*_args: object) -> None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(module, "_order_lines", crash)
    with pytest.raises(RuntimeError), db.write_transaction() as s:
        cerrar_padron(s, B1)
        liquidar(s, B1)
    monkeypatch.undo()
    with db.transaction() as s:  # the crash left nothing behind
        assert s.scalar(select(func.count()).where(Linea.concepto == "reabono")) == 0
    result = _liquidate(db, B1, out)
    with db.write_transaction() as s:
        assert liquidar(s, B1)["ya_liquidado"]  # a re-run pays nothing more
        liq_id = liquidacion_of(s, B1).id
        repaid = s.execute(
            select(Linea.hogar_id, Linea.periodo, Linea.monto_centimos).where(
                Linea.liquidacion_id == liq_id, Linea.concepto == "reabono"
            )
        ).all()
        doubles = s.scalar(
            select(func.count()).select_from(
                select(Linea.hogar_id, Linea.periodo)
                .where(Linea.rechazada.is_(False))
                .group_by(Linea.hogar_id, Linea.periodo)
                .having(func.count() > 1)
                .subquery()
            )
        )
    assert sorted(repaid) == sorted(owed) and doubles == 0
    assert result["lineas_reabono"] == len(owed)
    assert result["monto_reabonos_centimos"] == sum(m for *_, m in owed)
    hogar, periodo, _monto = owed[0]
    with pytest.raises(IntegrityError), db.write_transaction() as s:  # never a second time
        s.execute(
            insert(Linea).values(
                hogar_id=hogar,
                periodo=periodo,
                liquidacion_id=liq_id + 1,
                concepto="reabono",
                monto_centimos=20000,
            )
        )
    lines = _order_path(db, B1).read_text(encoding="utf-8").splitlines()
    repaid_codes = {codes[h] for h in fixed}
    assert all(any(line.startswith(f"{c},") for line in lines) for c in repaid_codes)


def test_a_new_afiliado_refused_at_the_opening_is_not_new_again(db: Database) -> None:
    """The "nuevo afiliado" rule pays a first abono once: a hogar whose first abono (with the
    opening of its account) the bank refused is, in later cierres, an afiliado like the
    others — paid for a period only if it cumplió — its first period paid by reabono only
    once the cause is corrected, and its account requested again with each abono."""
    from engine.pagos import Cierre, SolicitudCuenta

    with db.transaction() as s:
        b5 = liquidacion_of(s, B5).id
        refused = set(
            s.scalars(
                select(Abono.hogar_id).where(
                    Abono.liquidacion_id == b5, Abono.apertura, Abono.estado == "rechazado"
                )
            )
        )
        later = s.execute(
            select(
                Cierre.liquidacion_id, Cierre.hogar_id, Cierre.nuevo_afiliado, Cierre.resultado
            ).where(Cierre.hogar_id.in_(refused), Cierre.liquidacion_id != b5)
        ).all()
        incentivos = set(
            s.execute(
                select(Linea.liquidacion_id, Linea.hogar_id).where(
                    Linea.hogar_id.in_(refused),
                    Linea.concepto == "incentivo",
                    Linea.liquidacion_id != b5,
                )
            ).all()
        )
        b5_lines = s.execute(
            select(Linea.hogar_id, Linea.concepto, Linea.rechazada).where(
                Linea.hogar_id.in_(refused), Linea.periodo == B5
            )
        ).all()
        changed_dni = set(
            s.scalars(
                select(Cierre.hogar_id)
                .join(Hogar, Hogar.id == Cierre.hogar_id)
                .where(Cierre.liquidacion_id == b5, Cierre.hogar_id.in_(refused))
                .where(Cierre.dni_titular != Hogar.dni_titular)
            )
        )
        openings = s.execute(
            select(Abono.hogar_id, Abono.liquidacion_id, Abono.estado)
            .where(Abono.hogar_id.in_(refused), Abono.apertura)
            .order_by(Abono.liquidacion_id)
        ).all()
        requests = {
            h: (liq, estado)
            for h, liq, estado in s.execute(
                select(
                    SolicitudCuenta.hogar_id,
                    SolicitudCuenta.liquidacion_id,
                    SolicitudCuenta.estado,
                ).where(SolicitudCuenta.hogar_id.in_(refused))
            )
        }
    assert refused and later
    assert not any(nuevo for _l, _h, nuevo, _r in later)
    assert incentivos == {(liq, h) for liq, h, _n, res in later if res == "cumplio"}
    assert sorted((h, c) for h, c, rechazada in b5_lines if not rechazada) == sorted(
        (h, "reabono") for h in changed_dni
    )
    latest = {h: (liq, estado) for h, liq, estado in openings}
    names = {"rechazado": "rechazada", "ordenado": "solicitada", "abonado": "abierta"}
    assert requests == {h: (liq, names[e]) for h, (liq, e) in latest.items()}


def test_the_cierre_waits_for_the_verification_to_close(db: Database) -> None:
    """The liquidation reads process 09's outcome: not before its period is closed; then a
    hogar left without a result is no verificado (not paid, carried)."""
    from engine.padron import verificacion

    periodo = "2027-B2"
    with db.write_transaction() as s:
        verificacion.extraer(s, periodo, date(2026, 11, 29), 0)
    with pytest.raises(DomainError, match="no está cerrada"), db.write_transaction() as s:
        cerrar_padron(s, periodo)
    with db.write_transaction() as s:
        verificacion.calcular(s, periodo)
        cierre = cerrar_padron(s, periodo)
        assert liquidar(s, periodo)["lineas_incentivo"] == cierre["nuevos_afiliados"]
    assert cierre["no_verificado"] == cierre["afiliados"] > 0
