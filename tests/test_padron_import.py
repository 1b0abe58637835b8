"""SISFOH import: accepted encodings and formats, the bad-input list of issue 4 (each refused
with a clear report and nothing written), idempotent re-import, row-level upsert, the first
validation and the segmentation. On SQLite and PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.db import Database
from engine.padron import (
    Hogar,
    HogarEstadoHistorial,
    ImportRejected,
    StructuralError,
    household_card,
    import_sisfoh,
)
from engine.padron.sisfoh import HOGARES_COLUMNS, MIEMBROS_COLUMNS
from tests.test_padron_support import (
    HOGARES,
    MIEMBROS,
    csv_bytes,
    dmy,
    padron_database,
    table_counts,
    write_pair,
)

ON = date(2026, 11, 29)


@pytest.fixture(scope="module")
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = padron_database(databases)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def loaded(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Database:
    """The module database with the base files imported once."""
    h, m = write_pair(tmp_path_factory.mktemp("base"))
    with db.write_transaction() as s:
        result = import_sisfoh(s, h, m, imported_by="test", on=ON)
    assert result.counts["hogares_nuevos"] == 4
    return db


def run_import(db: Database, h: Path, m: Path):  # type: ignore[no-untyped-def]
    with db.write_transaction() as s:
        return import_sisfoh(s, h, m, imported_by="test", on=ON)


def test_first_import_validates_pe_and_pne_in_force(loaded: Database) -> None:
    with loaded.transaction() as s:
        states = dict(s.execute(select(Hogar.co_hogar, Hogar.estado)).all())
        card = household_card(s, "H-0001", on=ON).as_dict()
    # PE and PNE in force → validado; NP, and PE expired → potencial
    assert states == {
        "H-0001": "validado",
        "H-0002": "validado",
        "H-0003": "potencial",
        "H-0004": "potencial",
    }
    assert card["unidad_territorial"]["codigo"] == "UT-CAJ"
    assert card["titular"]["ap_materno"] == "Ñaupari"
    assert [m["tipo"] for m in card["miembros"]] == ["gestante", "nino_0_36_meses"]
    assert [(c["de"], c["a"]) for c in card["historial"]] == [(None, "validado")]
    assert card["historial"][0]["lote_importacion"] is not None


def test_ut_of_each_hogar_follows_the_ambito(loaded: Database) -> None:
    with loaded.transaction() as s:
        uts = {
            co: household_card(s, co, on=ON).as_dict()["unidad_territorial"]["codigo"]
            for co in ("H-0002", "H-0003", "H-0004")
        }
    assert uts == {"H-0002": "UT-PUN", "H-0003": "UT-CON", "H-0004": "UT-YUR"}


def test_same_files_again_are_already_imported(loaded: Database, tmp_path: Path) -> None:
    h, m = write_pair(tmp_path)
    before = table_counts(loaded)
    result = run_import(loaded, h, m)
    assert result.already_imported
    assert table_counts(loaded) == before


@pytest.mark.parametrize(
    "options",
    [
        {"bom": True},
        {"encoding": "latin-1"},
        {"encoding": "latin-1", "delimiter": ";"},
        {"delimiter": ";", "bom": True},
    ],
    ids=["utf8-bom", "latin1", "latin1-semicolon", "semicolon-bom"],
)
def test_same_content_in_other_encodings_changes_no_row(
    loaded: Database, tmp_path: Path, options: dict[str, object]
) -> None:
    hogares = [[*r[:9], dmy(r[9])] for r in HOGARES]  # dd/mm/yyyy dates as well
    miembros = [[*r[:5], dmy(r[5]), *r[6:]] for r in MIEMBROS]
    h, m = write_pair(tmp_path, hogares, miembros, **options)
    before = table_counts(loaded)
    result = run_import(loaded, h, m)
    assert not result.already_imported
    changes = {k: v for k, v in result.counts.items() if "nuevos" in k or "actualiz" in k}
    assert set(changes.values()) == {0}, changes
    assert result.counts["miembros_retirados"] == 0
    after = table_counts(loaded)
    assert after["padron_hogar_estado"] == before["padron_hogar_estado"]
    assert after["padron_import_batch"] == before["padron_import_batch"] + 1
    with loaded.transaction() as s:
        assert household_card(s, "H-0001").as_dict()["titular"]["ap_materno"] == "Ñaupari"


def test_changed_and_removed_rows_are_upserted(db: Database, tmp_path: Path) -> None:
    rows = [[f"U-{r[0]}", *r[1:]] for r in HOGARES]
    members = [[f"U-{r[0]}", f"8{i}{r[1][2:]}", *r[2:]] for i, r in enumerate(MIEMBROS)]
    for r in rows:
        r[4] = f"5{r[4][1:]}"
    run_import(db, *write_pair(tmp_path / "a", rows, members))
    rows[2] = [*rows[2][:3], "Jr. Nuevo 1", *rows[2][4:]]  # new address
    result = run_import(db, *write_pair(tmp_path / "b", rows, members[:-1]))  # one member less
    assert result.counts["hogares_actualizados"] == 1
    assert result.counts["hogares_sin_cambio"] == 3
    assert result.counts["miembros_retirados"] == 1
    assert result.counts["miembros_nuevos"] == 0
    with db.transaction() as s:
        assert household_card(s, "U-H-0003").hogar.direccion == "Jr. Nuevo 1"
        assert household_card(s, "U-H-0004").miembros == []


def test_reimport_validates_a_hogar_whose_classification_now_qualifies(
    db: Database, tmp_path: Path
) -> None:
    row = [
        "R-1",
        "060101",
        "Santa Rosa",
        "",
        "46000001",
        "Rojas",
        "Soto",
        "Ruth",
        "NP",
        "2028-01-01",
    ]
    run_import(db, *write_pair(tmp_path / "a", [row], []))
    row[8] = "PE"  # SISFOH reclassifies: pobre extremo
    result = run_import(db, *write_pair(tmp_path / "b", [row], []))
    assert result.counts["validados"] == 1
    assert result.segmentation is not None and result.segmentation.total == 1
    with db.transaction() as s:
        history = household_card(s, "R-1").historial
    assert [(c.estado_anterior, c.estado_nuevo) for c in history] == [
        (None, "potencial"),
        ("potencial", "validado"),
    ]
    assert history[1].import_batch_id == result.batch_id


def test_segmentation_by_ut_provincia_distrito_centro_poblado(db: Database, tmp_path: Path) -> None:
    rows = [
        ["S-1", "060101", "Santa Rosa", "", "47000001", "A", "B", "C", "PE", "2028-01-01"],
        ["S-2", "060101", "Santa Rosa", "", "47000002", "A", "B", "C", "PNE", "2028-01-01"],
        ["S-3", "060101", "Otuzco", "", "47000003", "A", "B", "C", "PE", "2028-01-01"],
        ["S-4", "210101", "Chucuito", "", "47000004", "A", "B", "C", "PE", "2028-01-01"],
        ["S-5", "210101", "Chucuito", "", "47000005", "A", "B", "C", "NP", "2028-01-01"],
    ]
    result = run_import(db, *write_pair(tmp_path, rows, []))
    seg = result.as_dict()["segmentacion"]
    assert seg["hogares"] == 4
    by_ut = {u["codigo"]: u for u in seg["unidades_territoriales"]}
    caj = by_ut["UT-CAJ"]
    assert caj["hogares"] == 3
    district = caj["provincias"][0]["distritos"][0]
    assert district["codigo"] == "060101"
    assert {c["nombre"]: c["hogares"] for c in district["centros_poblados"]} == {
        "Otuzco": 1,
        "Santa Rosa": 2,
    }
    assert by_ut["UT-PUN"]["hogares"] == 1


# --- bad input: each refused, with file, line, column and reason; nothing written -----------


def _hogar(**changes: str) -> list[str]:
    row = dict(zip(HOGARES_COLUMNS, ["B-1", *HOGARES[0][1:]], strict=True))
    row["dni_titular"] = "48000001"
    row.update(changes)
    return list(row.values())


def _miembro(**changes: str) -> list[str]:
    row = dict(zip(MIEMBROS_COLUMNS, ["B-1", "78000001", *MIEMBROS[0][2:]], strict=True))
    row.update(changes)
    return list(row.values())


ROW_CASES = {
    "dni-7-digits": ([_hogar(dni_titular="4800001")], [], ("hogares.csv", 2, "dni_titular"),
                     "debe tener 8 dígitos (tiene 7)"),
    "dni-9-digits": ([_hogar()], [_miembro(dni="780000012")], ("miembros.csv", 2, "dni"),
                     "debe tener 8 dígitos (tiene 9)"),
    "dni-letters": ([_hogar(dni_titular="4800000A")], [], ("hogares.csv", 2, "dni_titular"),
                    "solo admite dígitos"),
    "ubigeo-outside-every-ut": ([_hogar(ubigeo="150101")], [], ("hogares.csv", 2, "ubigeo"),
                                "fuera del ámbito de toda Unidad Territorial"),
    "ubigeo-unknown": ([_hogar(ubigeo="069999")], [], ("hogares.csv", 2, "ubigeo"),
                       "no existe en el catálogo"),
    "duplicate-hogar": ([_hogar(), _hogar(dni_titular="48000002")], [],
                        ("hogares.csv", 3, "co_hogar"), "hogar repetido"),
    "future-birth-date": ([_hogar()], [_miembro(fecha_nacimiento="2027-01-01")],
                          ("miembros.csv", 2, "fecha_nacimiento"), "en el futuro"),
    "member-of-unknown-hogar": ([_hogar()], [_miembro(co_hogar="B-9")],
                                ("miembros.csv", 2, "co_hogar"), "no está en el archivo"),
    "bad-cse": ([_hogar(cse="XP")], [], ("hogares.csv", 2, "cse"), "clasificación"),
    "bad-date": ([_hogar(cse_vigencia_fin="31/02/2028")], [],
                 ("hogares.csv", 2, "cse_vigencia_fin"), "fecha no válida"),
    "male-gestante": ([_hogar()], [_miembro(sexo="M", gestante="1")],
                      ("miembros.csv", 2, "gestante"), "gestante debe ser de sexo F"),
    "duplicate-member": ([_hogar()], [_miembro(), _miembro()], ("miembros.csv", 3, "dni"),
                         "miembro repetido"),
    "titular-of-another-hogar": ([_hogar(dni_titular="41234567")], [],
                                 ("hogares.csv", 2, "dni_titular"), "ya es titular del hogar"),
}  # fmt: skip


@pytest.mark.parametrize("case", ROW_CASES, ids=list(ROW_CASES))
def test_bad_rows_refuse_the_whole_import(loaded: Database, tmp_path: Path, case: str) -> None:
    hogares, miembros, where, reason = ROW_CASES[case]
    good = ["G-1", "060101", "Santa Rosa", "", "49000001", "A", "B", "C", "PE", "2028-01-01"]
    h, m = write_pair(tmp_path, [good, *hogares], miembros)
    if where[0] == "hogares.csv":  # the good row is line 2: the bad ones come after
        where = (where[0], where[1] + 1, where[2])
    before = table_counts(loaded)
    with pytest.raises(ImportRejected) as caught:
        run_import(loaded, h, m)
    assert table_counts(loaded) == before
    found = [(e.file, e.line, e.column) for e in caught.value.errors]
    assert where in found, [str(e) for e in caught.value.errors]
    assert any(reason in e.reason for e in caught.value.errors)
    report = " ".join(str(e) for e in caught.value.errors)
    assert "4800001" not in report and "78000001" not in report  # no personal data


def test_every_bad_row_is_listed(loaded: Database, tmp_path: Path) -> None:
    rows = [_hogar(co_hogar=f"E-{i}", dni_titular="123") for i in range(5)]
    h, m = write_pair(tmp_path, rows, [_miembro(co_hogar="E-0", sexo="X")])
    with pytest.raises(ImportRejected) as caught:
        run_import(loaded, h, m)
    assert caught.value.total == 6
    assert [(e.file, e.line) for e in caught.value.errors] == [
        *[("hogares.csv", n) for n in range(2, 7)],
        ("miembros.csv", 2),
    ]


def _structural(tmp_path: Path, hogares: bytes) -> tuple[Path, Path]:
    h, m = tmp_path / "hogares.csv", tmp_path / "miembros.csv"
    h.write_bytes(hogares)
    m.write_bytes(csv_bytes(MIEMBROS_COLUMNS, []))
    return h, m


GOOD = csv_bytes(HOGARES_COLUMNS, [HOGARES[0], HOGARES[1]])
STRUCTURAL_CASES = {
    "missing-column": (
        csv_bytes(HOGARES_COLUMNS[:-1], [r[:-1] for r in HOGARES]),
        0,
        "falta la columna cse_vigencia_fin",
    ),
    "no-header": (GOOD.split(b"\r\n", 1)[1], 1, "falta la columna"),
    "unknown-column": (
        csv_bytes([*HOGARES_COLUMNS, "extra"], [[*HOGARES[0], "x"]]),
        1,
        "columna no reconocida",
    ),
    "truncated-row": (GOOD[:-30], 3, "fila incompleta o archivo truncado"),
    "unclosed-quote": (GOOD + b'"H-9,060101,"Santa', 4, "CSV mal formado"),
    "utf16": (GOOD.decode().encode("utf-16"), 0, "UTF-16"),
    "empty": (b"", 0, "vacío"),
    "cut-inside-a-character": (GOOD + "H-9,060101,Ñ".encode()[:-1], 4, "mitad de un carácter"),
    "nul-bytes": (GOOD + b"\x00\x00", 4, "bytes nulos"),
    "not-utf8-nor-latin1": (GOOD + "Ñ".encode() + b"\x81\xff", 4, "codificación desconocida"),
}


@pytest.mark.parametrize("case", STRUCTURAL_CASES, ids=list(STRUCTURAL_CASES))
def test_structural_errors_refuse_the_file(loaded: Database, tmp_path: Path, case: str) -> None:
    content, line, reason = STRUCTURAL_CASES[case]
    h, m = _structural(tmp_path, content)
    before = table_counts(loaded)
    with pytest.raises(StructuralError) as caught:
        run_import(loaded, h, m)
    assert table_counts(loaded) == before
    (error,) = caught.value.errors
    assert error.file == "hogares.csv"
    assert reason in error.reason, error.reason
    if line:
        assert error.line == line, str(error)


def test_latin1_is_told_apart_from_utf8(tmp_path: Path) -> None:
    from engine.padron.csvfiles import inspect_file

    (tmp_path / "a.csv").write_bytes("co_hogar\nÑaupari\n".encode("latin-1"))
    (tmp_path / "b.csv").write_bytes(codecs.BOM_UTF8 + "co_hogar\nÑaupari\n".encode())
    assert inspect_file(tmp_path / "a.csv").label == "Latin-1"
    assert inspect_file(tmp_path / "b.csv").label == "UTF-8 con BOM"


def test_history_rows_name_the_batch(loaded: Database) -> None:
    with loaded.transaction() as s:
        rows = s.scalars(select(HogarEstadoHistorial)).all()
    assert rows and all(r.import_batch_id is not None and r.instance_id is None for r in rows)


def test_no_personal_data_in_logs(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    row = [
        "L-1",
        "060101",
        "Santa Rosa",
        "",
        "40404040",
        "Zapata",
        "Inga",
        "Dina",
        "PE",
        "2028-01-01",
    ]
    member = ["L-1", "70707070", "Zapata", "Inga", "Rubén", "2020-01-01", "M", "0"]
    bad = [*member[:1], "7070707", *member[2:]]
    with caplog.at_level("DEBUG"):
        run_import(db, *write_pair(tmp_path / "ok", [row], [member]))
        with pytest.raises(ImportRejected):
            run_import(db, *write_pair(tmp_path / "bad", [row], [bad]))
    assert "sisfoh import" in caplog.text
    for personal in ("40404040", "70707070", "7070707", "Zapata", "Inga", "Dina", "Rubén"):
        assert personal not in caplog.text


# --- the same rules on both backends: Python checks each value on SQLite, SQL on PostgreSQL --

EDGE_OK = {  # column → (value in the file, value stored)
    "cse_vigencia_fin": [("2028-02-29", date(2028, 2, 29)), (" 1/2/2028 ", date(2028, 2, 1)),
                         ("31/12/2099", date(2099, 12, 31)), ("2301-01-01", date(2301, 1, 1))],
    "fecha_nacimiento": [("29/02/2024", date(2024, 2, 29)), ("1900-01-01", date(1900, 1, 1)),
                         ("9/11/2026", date(2026, 11, 9))],
    "gestante": [("sí", True), ("S", True), ("x", True), ("no", False), ("", False)],
    "codigo_renipress": [("123", "00000123"), ("", None), (" 12345678 ", "12345678")],
    "cse": [(" pne ", "PNE")],
}  # fmt: skip
EDGE_BAD = {  # column → (value, part of the reason)
    "cse_vigencia_fin": [("2027-02-29", "fecha no válida"), ("31/04/2028", "fecha no válida"),
                         ("2028-13-01", "fecha no válida"), ("28-01-01", "fecha no válida")],
    "fecha_nacimiento": [("1899-12-31", "anterior a 1900"), ("2026-11-30", "en el futuro")],
    "gestante": [("tal vez", "no es sí/no")],
    "co_hogar": [("-AB", "no es un código de hogar"), ("AB_1", "no es un código de hogar"),
                 ("A" * 21, "no es un código de hogar")],
    "dni": [("1234567a", "solo admite dígitos"), ("１２３４５６７８", "solo admite dígitos")],
    "codigo_modular_ie": [("12345", "no es un código modular"), ("12345678", "código modular")],
    "sexo": [("f ", ""), ("X", "no es un sexo")],
}  # fmt: skip


def _edge_files(tmp_path: Path, column: str, values: list[str]) -> tuple[Path, Path]:
    header_h, header_m = list(HOGARES_COLUMNS), [*MIEMBROS_COLUMNS, "codigo_modular_ie",
                                                 "codigo_renipress"]  # fmt: skip
    hogares, miembros = [], []
    for i, value in enumerate(values):
        h = dict(zip(header_h, _hogar(co_hogar=f"EG-{i}", dni_titular=f"4500{i:04d}"), strict=True))
        m = dict(zip(header_m, [*_miembro(co_hogar=f"EG-{i}", dni=f"7500{i:04d}"), "", ""],
                     strict=True))  # fmt: skip
        m["sexo"] = "F"
        if column in h and column not in ("co_hogar",):
            h[column] = value
        else:
            m[column] = value
        if column == "co_hogar":
            m["co_hogar"] = value
        hogares.append(list(h.values()))
        miembros.append(list(m.values()))
    tmp_path.mkdir(parents=True, exist_ok=True)
    files = tmp_path / "hogares.csv", tmp_path / "miembros.csv"
    files[0].write_bytes(csv_bytes(header_h, hogares))
    files[1].write_bytes(csv_bytes(header_m, miembros))
    return files


@pytest.fixture(params=["parsed", "table-of-days"])
def days(request, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL reads dates with a table of days from 50,000 rows: both ways here."""
    from engine.padron import pgload

    if request.param == "table-of-days":
        monkeypatch.setattr(pgload, "DAYS_FROM_ROWS", 0)


@pytest.mark.parametrize("column", EDGE_OK)
def test_edge_values_are_read_alike_on_both_backends(
    databases, tmp_path: Path, column: str, days: None
) -> None:  # type: ignore[no-untyped-def]
    from engine.padron import Miembro

    db = padron_database(databases)
    try:
        values = [v for v, _ in EDGE_OK[column]]
        run_import(db, *_edge_files(tmp_path, column, values))
        with db.transaction() as s:
            if column in HOGARES_COLUMNS:
                got = s.execute(select(Hogar.co_hogar, getattr(Hogar, column))).all()
            else:
                got = s.execute(
                    select(Hogar.co_hogar, getattr(Miembro, column)).join(
                        Hogar, Hogar.id == Miembro.hogar_id
                    )
                ).all()
        stored = dict(got)
        assert [stored[f"EG-{i}"] for i in range(len(values))] == [w for _, w in EDGE_OK[column]]
    finally:
        db.dispose()


@pytest.mark.parametrize("column", EDGE_BAD)
def test_edge_values_are_refused_alike_on_both_backends(
    loaded: Database, tmp_path: Path, column: str, days: None
) -> None:
    values = [v for v, _ in EDGE_BAD[column]]
    before = table_counts(loaded)
    with pytest.raises(ImportRejected) as caught:
        run_import(loaded, *_edge_files(tmp_path, column, values))
    assert table_counts(loaded) == before
    by_line = {(e.file, e.line): e for e in caught.value.errors if e.column == column}
    for i, (_, reason) in enumerate(EDGE_BAD[column]):
        if column == "sexo" and not reason:
            continue  # 'f ' is a good value; the row is listed for nothing else
        file = (
            "hogares.csv" if column in HOGARES_COLUMNS and column != "co_hogar" else "miembros.csv"
        )
        error = by_line.get((file, i + 2)) or by_line.get(("hogares.csv", i + 2))
        assert error is not None, (column, i, [str(e) for e in caught.value.errors])
        assert reason in error.reason, error.reason
        assert "valor no válido" not in error.reason


def test_postgresql_keeps_its_triggers_and_indexes_after_an_import(
    db: Database, tmp_path: Path
) -> None:
    if not db.url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: foreign-key triggers skipped while applying")
    from sqlalchemy import text as sql

    indexes = sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'padron_%'")
    with db.transaction() as s:
        before = sorted(s.execute(indexes).all())
    with db.write_transaction() as s:
        rows = [[f"T-{i}", "060101", "Santa Rosa", "", f"4400{i:04d}", "A", "B", "C", "PE",
                 "2028-01-01"] for i in range(30)]  # fmt: skip
        import_sisfoh(s, *write_pair(tmp_path, rows, []), imported_by="test", on=ON)
        assert s.scalar(sql("SHOW session_replication_role")) == "origin"
    with db.transaction() as s:
        assert sorted(s.execute(indexes).all()) == before
