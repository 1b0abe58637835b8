"""The SISFOH import's fast paths on PostgreSQL, against the checks row by row they stand in
for: the first load into an empty padrón (``engine.padron.firstload``) gives the same
padrón, history, counts and segmentation, and a bad row in it leaves the padrón empty with
the same report; files PostgreSQL's CSV parser reads as Python's does go to COPY as they
are (``pgload.copy_plain``) and fill the raw tables alike, the others go through Python's
reader. On SQLite the import has one path: both runs of each comparison take it."""

from __future__ import annotations

import codecs
import csv
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from engine.db import Database
from engine.padron import (
    Hogar,
    HogarEstadoHistorial,
    ImportRejected,
    Miembro,
    firstload,
    import_sisfoh,
    pgload,
    sisfoh,
)
from engine.padron.csvfiles import StructuralError, inspect_file
from engine.padron.generate import generate
from engine.padron.sisfoh import HOGARES_COLUMNS, MIEMBROS_COLUMNS, ImportResult
from tests.test_padron_import import ROW_CASES, _hogar
from tests.test_padron_import import _miembro as _miembro_row
from tests.test_padron_support import (
    HOGARES,
    MIEMBROS,
    csv_bytes,
    dmy,
    padron_database,
    scratch_tables,
    table_counts,
    write_pair,
)

ON = date(2026, 11, 29)
EMPTY = {"padron_hogar": 0, "padron_miembro": 0, "padron_hogar_estado": 0, "padron_import_batch": 0}


@pytest.fixture(params=["indexes-kept", "indexes-rebuilt", "helpers"])
def rebuild(request, monkeypatch: pytest.MonkeyPatch) -> bool:  # type: ignore[no-untyped-def]
    """A small first load keeps the padrón's indexes; a large one builds them again after,
    and (PostgreSQL) has helper connections copy the files and prepare the members."""
    rebuilt = request.param != "indexes-kept"
    if rebuilt:
        monkeypatch.setattr(firstload, "REBUILD_FROM_ROWS", 0)
    if request.param == "helpers":
        large(monkeypatch)
    return rebuilt


def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files large enough for helper connections (``scratch``), whatever their size."""
    monkeypatch.setattr(sisfoh, "CONCURRENT_FROM_BYTES", 0)


def _import(
    db: Database, h: Path, m: Path, *, row_by_row: bool = False, role: str | None = None
) -> ImportResult:
    """The import; ``role``: as that role (PostgreSQL), not the superuser of the tests."""
    with pytest.MonkeyPatch.context() as patch:
        if row_by_row:
            patch.setattr(sisfoh, "_first_load", lambda *args: None)
        with db.write_transaction() as s:
            if role:
                s.execute(sql(f"SET LOCAL ROLE {role}"))
            return import_sisfoh(s, h, m, imported_by="test", on=ON)


def _postgres(db: Database) -> bool:
    return db.url.startswith("postgresql")


def _padron(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """The padrón by its natural keys (no ids, no timestamps)."""
    skip = {"id", "created_at", "updated_at", "alta_batch_id"}
    hogar = [c for c in Hogar.__table__.c if c.name not in skip]
    miembro = [c for c in Miembro.__table__.c if c.name not in skip | {"hogar_id"}]
    h = HogarEstadoHistorial
    with db.transaction() as s:
        return {
            "hogares": sorted(map(tuple, s.execute(select(*hogar, Hogar.alta_batch_id.is_(None))))),
            "miembros": sorted(map(tuple, s.execute(select(Hogar.co_hogar, *miembro).join(Hogar)))),
            "historial": sorted(
                map(
                    tuple,
                    s.execute(
                        select(
                            Hogar.co_hogar,
                            h.estado_anterior,
                            h.estado_nuevo,
                            h.causa,
                            h.instance_id,
                            h.element_id,
                            h.import_batch_id.is_(None),
                            h.fecha == Hogar.created_at,
                        ).join(Hogar, Hogar.id == h.hogar_id)
                    ),
                )
            ),
        }


def _schema(db: Database) -> list[tuple[Any, ...]]:
    """Indexes and constraints of the padrón tables and the foreign keys that refer to them,
    as PostgreSQL defines them."""
    if not _postgres(db):
        return []
    query = sql(
        "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'padron_%' "
        "UNION ALL SELECT 'constraint', conrelid::regclass::text || '.' || conname, "
        "pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid::regclass::text LIKE 'padron_%' "
        "OR confrelid::regclass::text LIKE 'padron_%'"
    )
    with db.transaction() as s:
        return sorted(map(tuple, s.execute(query)))


def _files(kind: str, folder: Path) -> tuple[Path, Path]:
    if kind == "generated":  # quoted addresses with commas, optional codes, CRLF-free
        generate(300, 7, folder)
        return folder / "hogares.csv", folder / "miembros.csv"
    if kind == "multiline":  # values over two lines: Python's reader, lines with gaps
        generate(300, 7, folder)
        h, m = folder / "hogares.csv", folder / "miembros.csv"
        _two_lines(h, "direccion", every=7)
        _two_lines(m, "ap_materno", every=11)
        return h, m
    hogares = [[*r[:9], dmy(r[9])] for r in HOGARES]
    miembros = [[*r[:5], dmy(r[5]), *r[6:]] for r in MIEMBROS]
    options = {"latin1-semicolon-dmy": {"encoding": "latin-1", "delimiter": ";"},
               "utf8-bom": {"bom": True}}[kind]  # fmt: skip
    return write_pair(folder, hogares, miembros, **options)


def _two_lines(path: Path, column: str, every: int) -> None:
    """Puts a line break in the middle of ``column`` of every ``every``-th row."""
    with path.open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    at = header.index(column)
    for row in rows[::every]:
        row[at] = f"{row[at][:3]}\n{row[at][3:]}"
    path.write_bytes(csv_bytes(header, rows))


def _sequences_ahead(db: Database) -> bool:
    """Whether the next id of each padrón table is above every id it holds."""
    if not _postgres(db):
        return True
    with db.transaction() as s:
        return all(
            s.scalar(
                sql(
                    f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                    f"> (SELECT coalesce(max(id), 0) FROM {table})"
                )
            )
            for table in firstload.TABLES
        )


@pytest.mark.parametrize("kind", ["generated", "latin1-semicolon-dmy", "utf8-bom", "multiline"])
def test_a_first_load_gives_what_the_checks_row_by_row_give(
    databases, tmp_path: Path, kind: str, rebuild: bool
) -> None:  # type: ignore[no-untyped-def]
    h, m = _files(kind, tmp_path)
    first, row_by_row = padron_database(databases), padron_database(databases)
    try:
        schema = _schema(first)
        fast = _import(first, h, m)
        slow = _import(row_by_row, h, m, row_by_row=True)
        if _postgres(first):
            assert "indices" in fast.phases  # it took the first load
        assert fast.counts == slow.counts
        assert fast.counts["hogares_nuevos"] == fast.counts["hogares_filas"] > 0
        assert fast.segmentation and slow.segmentation
        assert fast.segmentation.as_dict() == slow.segmentation.as_dict()
        assert _padron(first) == _padron(row_by_row)
        assert _schema(first) == schema  # the same indexes and constraints, rebuilt or kept
        assert _sequences_ahead(first)  # the ids it took at once are taken
        again = _import(first, h, m)
        assert again.already_imported
    finally:
        first.dispose()
        row_by_row.dispose()


@pytest.mark.parametrize("helpers", [False, True], ids=["one-connection", "helpers"])
def test_a_second_import_goes_row_by_row(
    databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helpers: bool
) -> None:  # type: ignore[no-untyped-def]
    if helpers:
        large(monkeypatch)
    db = padron_database(databases)
    try:
        _import(db, *write_pair(tmp_path / "a"))
        rows = [[*r[:3], "Jr. Nuevo 1", *r[4:]] if r[0] == "H-0003" else r for r in HOGARES]
        result = _import(db, *write_pair(tmp_path / "b", rows, MIEMBROS))
        assert "indices" not in result.phases
        assert result.counts["hogares_actualizados"] == 1
        assert scratch_tables(db) == []
    finally:
        db.dispose()


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))[1:]


def _lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


FIRST_LOAD_CASES = {k: v for k, v in ROW_CASES.items() if k != "titular-of-another-hogar"}
FIRST_LOAD_CASES |= {
    "titular-repeated": ([_hogar(), _hogar(co_hogar="B-2")], [], ("hogares.csv", 3, "dni_titular"),
                         "titular repetido"),
    "date-without-zeros": ([_hogar(cse_vigencia_fin="2028-1-1")], [],
                           ("hogares.csv", 2, "cse_vigencia_fin"), "fecha no válida"),
    "dni-with-spaces-and-a-bad-one": (
        [_hogar(dni_titular=" 48000001 "), _hogar(co_hogar="B-2", dni_titular="4800000X")], [],
        ("hogares.csv", 3, "dni_titular"), "solo admite dígitos"),
}  # fmt: skip


def _after_good_rows(
    folder: Path, hogares: list[list[str]], miembros: list[list[str]]
) -> tuple[Path, Path, dict[str, int]]:
    """Files of generated good rows, then ``hogares`` and ``miembros``; the good rows of each."""
    generate(50, 3, folder / "good")  # good rows first: the bad ones come at the end
    h, m = folder / "hogares.csv", folder / "miembros.csv"
    good_h = _rows(folder / "good" / "hogares.csv")
    good_m = _rows(folder / "good" / "miembros.csv")
    h.write_bytes(_lf(csv_bytes(HOGARES_COLUMNS, [*good_h, *hogares])))
    header_m = [*MIEMBROS_COLUMNS, "codigo_modular_ie", "codigo_renipress"]
    m.write_bytes(_lf(csv_bytes(header_m, [*good_m, *[[*r, "", ""] for r in miembros]])))
    return h, m, {"hogares.csv": len(good_h), "miembros.csv": len(good_m)}


@pytest.mark.parametrize("case", FIRST_LOAD_CASES, ids=list(FIRST_LOAD_CASES))
def test_a_bad_row_in_a_first_load_applies_nothing_and_is_reported_alike(
    databases, tmp_path: Path, case: str, rebuild: bool
) -> None:  # type: ignore[no-untyped-def]
    hogares, miembros, where, reason = FIRST_LOAD_CASES[case]
    h, m, good = _after_good_rows(tmp_path, hogares, miembros)
    offset = good[where[0]]
    db = padron_database(databases)
    try:
        schema = _schema(db)
        with pytest.raises(ImportRejected) as fast:
            _import(db, h, m)
        assert table_counts(db) == EMPTY
        assert _schema(db) == schema
        with pytest.raises(ImportRejected) as slow:
            _import(db, h, m, row_by_row=True)
        assert [str(e) for e in fast.value.errors] == [str(e) for e in slow.value.errors]
        assert fast.value.total == slow.value.total
        found = {(e.file, e.line, e.column): e.reason for e in fast.value.errors}
        assert reason in found[(where[0], where[1] + offset, where[2])], found
    finally:
        db.dispose()


def test_free_text_loses_only_the_whitespace_around_it_alike(
    databases, tmp_path: Path, rebuild: bool
) -> None:  # type: ignore[no-untyped-def]
    """Whitespace around free text goes on every path (the first load trims it only in a file
    that has some: ``pgload._spaced``), and a letter v is not whitespace (PostgreSQL's escape
    strings have no \\v)."""
    first_h, first_m = HOGARES[0], MIEMBROS[0]
    spaced = ["\tSanta Rosa ", "Jr. Amalia Puga 12 ", *first_h[4:7], " Rocío"]
    hogares = [[*first_h[:2], *spaced, *first_h[8:]], *HOGARES[1:]]
    miembros = [[*first_m[:2], "vQuispe ", first_m[3], "Gustav\x0b", *first_m[5:]], *MIEMBROS[1:]]
    h, m = write_pair(tmp_path, hogares, miembros)
    first, row_by_row = padron_database(databases), padron_database(databases)
    try:
        fast = _import(first, h, m)
        _import(row_by_row, h, m, row_by_row=True)
        if _postgres(first):
            assert "indices" in fast.phases  # it took the first load
        assert _padron(first) == _padron(row_by_row)
        with first.transaction() as s:
            hogar = s.scalars(select(Hogar).where(Hogar.co_hogar == "H-0001")).one()
            miembro = s.scalars(select(Miembro).where(Miembro.dni == first_m[1])).one()
            assert (hogar.centro_poblado, hogar.direccion, hogar.titular_nombres) == (
                "Santa Rosa", "Jr. Amalia Puga 12", "Rocío")  # fmt: skip
            assert (miembro.ap_paterno, miembro.nombres) == ("vQuispe", "Gustav")
    finally:
        first.dispose()
        row_by_row.dispose()


def _superuser(db: Database) -> bool:
    with db.transaction() as s:
        return bool(s.scalar(sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")))


@pytest.fixture
def owner(databases) -> Iterator[tuple[Database, str]]:  # type: ignore[no-untyped-def]
    """A padrón database whose padrón tables (and verificacion_miembro, whose foreign key
    refers to the members) belong to a role that is not a superuser, and the role: its
    import cannot skip the foreign-key triggers."""
    db = padron_database(databases)
    if not _postgres(db):
        db.dispose()
        pytest.skip("PostgreSQL only: roles")
    if not _superuser(db):  # then every first load here already runs as such an owner
        db.dispose()
        pytest.skip("needs a superuser to make a role that is not one (CI's role is not)")
    role = f"juntos_owner_{uuid.uuid4().hex[:8]}"
    with db.transaction() as s:
        s.execute(sql(f"CREATE ROLE {role} NOSUPERUSER NOLOGIN"))
        for table in (*firstload.TABLES, "verificacion_miembro"):
            s.execute(sql(f"ALTER TABLE {table} OWNER TO {role}"))
        s.execute(sql(f"GRANT CREATE ON SCHEMA public TO {role}"))  # as who made the tables
        s.execute(sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
        s.execute(sql(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    try:
        yield db, role
    finally:
        with db.transaction() as s:
            s.execute(sql(f"REASSIGN OWNED BY {role} TO CURRENT_USER"))
            s.execute(sql(f"DROP OWNED BY {role}"))
            s.execute(sql(f"DROP ROLE {role}"))
        db.dispose()


@pytest.fixture
def set_aside(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, list[str]]]:
    """A large first load (the thresholds at 0: indexes built again, helper connections), and
    what it set aside: whether the import skipped the foreign-key triggers, and the SQL that
    built each thing again."""
    monkeypatch.setattr(firstload, "REBUILD_FROM_ROWS", 0)
    large(monkeypatch)
    seen: list[tuple[bool, list[str]]] = []
    real = firstload.set_aside

    def spy(session, triggers_skipped: bool) -> list[firstload.SetAside]:  # type: ignore[no-untyped-def]
        items = real(session, triggers_skipped)
        seen.append((triggers_skipped, [item.create for item in items]))
        return items

    monkeypatch.setattr(firstload, "set_aside", spy)
    return seen


MEMBERS_FK = "ALTER TABLE padron_miembro ADD CONSTRAINT fk_padron_miembro_hogar_id_padron_hogar"
MEMBERS_PK = "ALTER TABLE padron_miembro ADD CONSTRAINT pk_padron_miembro"
VERIFICACION_FK = "ALTER TABLE verificacion_miembro ADD CONSTRAINT"


def test_a_large_first_load_builds_the_primary_keys_of_members_and_history_after(
    databases, tmp_path: Path, set_aside: list[tuple[bool, list[str]]]
) -> None:  # type: ignore[no-untyped-def]
    db = padron_database(databases)
    try:
        if not _postgres(db):
            pytest.skip("PostgreSQL only: the first load")
        schema = _schema(db)
        _import(db, *_files("generated", tmp_path))
        [(skipped, created)] = set_aside
        # an import that may skip the foreign-key triggers (a superuser's) keeps the padrón's
        # own keys; any other sets them aside and checks each by one join
        with db.transaction() as s:
            assert skipped == pgload.may_skip_triggers(s)
        assert any(c.startswith(MEMBERS_FK) for c in created) == (not skipped)
        assert f"{MEMBERS_PK} PRIMARY KEY (id)" in created
        refers = [i for i, c in enumerate(created) if c.startswith(VERIFICACION_FK)]
        assert refers and refers[0] > created.index(f"{MEMBERS_PK} PRIMARY KEY (id)")
        assert _schema(db) == schema
    finally:
        db.dispose()


def test_an_owner_not_superuser_checks_the_padrons_foreign_keys_once(
    owner: tuple[Database, str],
    databases,
    tmp_path: Path,
    set_aside: list[tuple[bool, list[str]]],
) -> None:  # type: ignore[no-untyped-def]
    db, role = owner
    h, m = _files("generated", tmp_path)
    schema = _schema(db)
    row_by_row = padron_database(databases)
    try:
        fast = _import(db, h, m, role=role)
        slow = _import(row_by_row, h, m, row_by_row=True)
        [(skipped, created)] = set_aside
        assert not skipped  # the triggers would run: the foreign keys were set aside
        assert any(c.startswith(MEMBERS_FK) for c in created)
        assert "indices" in fast.phases
        assert fast.counts == slow.counts
        assert _padron(db) == _padron(row_by_row)
        assert _schema(db) == schema
    finally:
        row_by_row.dispose()


def test_a_user_who_may_not_set_the_sequences_takes_the_ids_one_by_one(
    owner: tuple[Database, str], databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The first load takes its ids at once with setval(), which needs UPDATE on each
    sequence; without it (nextval() needs only USAGE) each row takes its own, and no helper
    prepares the members (their rows would not know their hogar's id)."""
    large(monkeypatch)
    prepared = spy_prepared(monkeypatch)
    db, role = owner
    with db.transaction() as s:
        for table in firstload.TABLES:
            sequence = s.scalar(sql(f"SELECT pg_get_serial_sequence('{table}', 'id')"))
            s.execute(sql(f"REVOKE UPDATE ON SEQUENCE {sequence} FROM {role}"))
            s.execute(sql(f"GRANT USAGE ON SEQUENCE {sequence} TO {role}"))
    h, m = _files("generated", tmp_path)
    row_by_row = padron_database(databases)
    try:
        with db.transaction() as s:
            s.execute(sql(f"SET LOCAL ROLE {role}"))
            assert firstload.reserve_ids(s, firstload.TABLES[0], 10) is None
        fast = _import(db, h, m, role=role)
        slow = _import(row_by_row, h, m, row_by_row=True)
        assert "indices" in fast.phases  # it took the first load
        assert not prepared
        assert fast.counts == slow.counts
        assert _padron(db) == _padron(row_by_row)
        assert _sequences_ahead(db)
        assert scratch_tables(db) == []
    finally:
        row_by_row.dispose()


def test_an_owner_not_superuser_is_refused_a_member_without_hogar_alike(
    owner: tuple[Database, str], tmp_path: Path, set_aside: list[tuple[bool, list[str]]]
) -> None:
    db, role = owner
    hogares, miembros, where, reason = FIRST_LOAD_CASES["member-of-unknown-hogar"]
    h, m, good = _after_good_rows(tmp_path, hogares, miembros)
    schema = _schema(db)
    with pytest.raises(ImportRejected) as fast:
        _import(db, h, m, role=role)
    assert set_aside and not set_aside[0][0]  # it took the first load, foreign keys aside
    assert table_counts(db) == EMPTY
    assert _schema(db) == schema
    with pytest.raises(ImportRejected) as slow:
        _import(db, h, m, row_by_row=True, role=role)
    assert [str(e) for e in fast.value.errors] == [str(e) for e in slow.value.errors]
    found = {(e.file, e.line, e.column): e.reason for e in fast.value.errors}
    assert reason in found[(where[0], where[1] + good[where[0]], where[2])], found


# --- helper connections: scratch tables, the padrón in one transaction -------------------


def spy_prepared(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The members' rows each first load took from a helper (``firstload.prepare_miembros``)."""
    taken: list[int] = []
    real = firstload.insert_prepared_miembros

    def spy(*args, **kwargs) -> int:  # type: ignore[no-untyped-def]
        taken.append(real(*args, **kwargs))
        return taken[-1]

    monkeypatch.setattr(firstload, "insert_prepared_miembros", spy)
    return taken


class _RolledBack(Exception):
    pass


HELPER_ENDS = {
    # the files and what the import does with them: applies, refuses (ImportRejected), finds
    # a structural error (StructuralError), or applies in a transaction that rolls back
    "applied": ([], [], None),
    "member-refused": ([_hogar()], [_miembro_row(fecha_nacimiento="2030-01-01")], ImportRejected),
    "hogar-refused": ([_hogar(co_hogar="B-1", cse="XP")], [], ImportRejected),
    "members-ragged": ([], [[*_miembro_row()[:7]]], StructuralError),
    "rolled-back": ([], [], _RolledBack),
}


@pytest.mark.parametrize("end", HELPER_ENDS, ids=list(HELPER_ENDS))
def test_helpers_leave_no_scratch_table_and_the_padron_changes_at_once(
    databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, end: str
) -> None:  # type: ignore[no-untyped-def]
    """Whatever the end of a large import, its scratch tables are gone and the padrón holds
    all of it or none of it; after a failure, the ids taken are behind the sequences and a
    good import goes in as a first load."""
    monkeypatch.setattr(firstload, "REBUILD_FROM_ROWS", 0)
    large(monkeypatch)
    prepared = spy_prepared(monkeypatch)
    hogares, miembros, raises = HELPER_ENDS[end]
    h, m, good = _after_good_rows(tmp_path / "bad", hogares, miembros)
    if end == "members-ragged":
        m.write_bytes(m.read_bytes() + b"H-1,48000001\n")
    db = padron_database(databases)
    try:
        schema = _schema(db)
        if raises is None:
            result = _import(db, h, m)
            assert result.counts["miembros_nuevos"] == good["miembros.csv"]
            assert prepared == ([good["miembros.csv"]] if _postgres(db) else [])
        else:
            with pytest.raises(raises), db.write_transaction() as s:
                import_sisfoh(s, h, m, imported_by="test", on=ON)
                raise _RolledBack
            assert table_counts(db) == EMPTY
            assert _schema(db) == schema
        assert scratch_tables(db) == []
        assert _sequences_ahead(db)
        generate(40, 5, tmp_path / "next")
        if raises is not None:  # the padrón is still empty: the next import is a first load
            after = _import(
                db, tmp_path / "next" / "hogares.csv", tmp_path / "next" / "miembros.csv"
            )
            assert after.counts["hogares_nuevos"] == 40
            if _postgres(db):
                assert "indices" in after.phases
            assert _sequences_ahead(db)
            assert scratch_tables(db) == []
    finally:
        db.dispose()


def test_a_crashed_imports_scratch_tables_go_with_the_next_import(
    databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    large(monkeypatch)
    db = padron_database(databases)
    try:
        if not _postgres(db):
            pytest.skip("PostgreSQL only: helper connections")
        with db.transaction() as s:
            s.execute(sql("CREATE UNLOGGED TABLE padron_scratch_0123456789ab_miembros (x int)"))
        assert scratch_tables(db) == ["padron_scratch_0123456789ab_miembros"]
        _import(db, *write_pair(tmp_path))
        assert scratch_tables(db) == []
    finally:
        db.dispose()


def test_progress_never_goes_back_when_a_first_load_falls_back(
    databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sisfoh, "REPORT_EVERY_S", 0)
    rows = [[*r[:8], " pe " if r[8] == "PE" else r[8], r[9]] for r in HOGARES]  # read as PE
    h, m = write_pair(tmp_path, rows, MIEMBROS)
    seen: list[tuple[int, int]] = []
    db = padron_database(databases)
    try:
        with db.write_transaction() as s:
            result = import_sisfoh(s, h, m, on=ON, progress=lambda d, t: seen.append((d, t)))
        assert "indices" not in result.phases  # the first load stopped at ' pe '
        assert result.counts["validados"] == 2
        done = [d for d, _ in seen]
        assert done == sorted(done) and seen[-1][0] == seen[-1][1]
    finally:
        db.dispose()


# --- the raw tables: COPY of the file as it is, or Python's reader ------------------------

HEADER = ",".join(HOGARES_COLUMNS)
ROW = "H-1,060101,Santa Rosa,{d},41234567,Quispe,Ñaupari,Rocío,PE,2028-12-31"
PLAIN = {
    "crlf": f"{HEADER}\r\n{ROW.format(d='x')}\r\n{ROW.format(d='y')}\r\n",
    "no-final-newline": f"{HEADER}\n{ROW.format(d='x')}",
    "quoted-delimiter": f"{HEADER}\n{ROW.format(d=chr(34) + 'Mz. A, Lt. 2' + chr(34))}\n",
    "doubled-quotes": f"{HEADER}\n{ROW.format(d=chr(34) + 'dice sí' + chr(34))}\n",
    "empty-quoted": f"{HEADER}\n{ROW.format(d=chr(34) * 2)}\n",
    "spaces-kept": f"{HEADER}\n{ROW.format(d='  x  ')}\n",
    "header-only": f"{HEADER}\n",
}
NOT_PLAIN = {
    "quote-inside-a-field": f"{HEADER}\n{ROW.format(d='Jr. 5 ' + chr(34) + 'B')}\n",
    "text-after-a-quote": f"{HEADER}\n{ROW.format(d=chr(34) + 'a' + chr(34) + 'b')}\n",
    "space-before-a-quote": f"{HEADER}\n{ROW.format(d=' ' + chr(34) + 'a' + chr(34))}\n",
    "quoted-newline": f"{HEADER}\n{ROW.format(d=chr(34) + 'a' + chr(10) + 'b' + chr(34))}\n",
    "lone-cr": f"{HEADER}\n{ROW.format(d='a' + chr(13) + 'b')}\n",
    "long-line": f"{HEADER}\n{ROW.format(d='x' * 140_000)}\n",
}
REFUSED_BY_THE_SERVER = {  # PostgreSQL refuses them; Python's reader decides
    "blank-line": f"{HEADER}\n{ROW.format(d='x')}\n\n{ROW.format(d='y')}\n",
    "ragged": f"{HEADER}\n{ROW.format(d='x')},extra\n",
    "end-marker": f"{HEADER}\n{ROW.format(d='x')}\n\\.\n{ROW.format(d='y')}\n",
    "unclosed-quote": f"{HEADER}\n{ROW.format(d=chr(34) + 'x')}\n",
}


@pytest.mark.parametrize("case", [*PLAIN, *NOT_PLAIN])
def test_plain_files_are_told_apart(case: str) -> None:
    body = {**PLAIN, **NOT_PLAIN}[case].encode().split(b"\n", 1)[1]
    lines = body if body.endswith(b"\n") else body + b"\n"
    assert pgload._plain(lines, b",") == (case in PLAIN)


SPACED = {  # lines of a plain file, and whether a value may have whitespace around it
    "none": (ROW.format(d="Jr. Lima 1"), False),
    "a-quoted-delimiter": (ROW.format(d='"Mz. A, Lt. 2"'), False),
    "crlf": (ROW.format(d="x") + "\r", False),
    "after-a-delimiter": (ROW.format(d=" x"), True),
    "before-a-delimiter": (ROW.format(d="x "), True),
    "only-spaces": (ROW.format(d="  "), True),
    "quoted-first": (ROW.format(d='" x"'), True),
    "quoted-last": (ROW.format(d='"x "'), True),
    "line-start": (" " + ROW.format(d="x"), True),
    "later-line-start": (ROW.format(d="x") + "\n " + ROW.format(d="y"), True),
    "line-end": (ROW.format(d="x") + " ", True),
    "before-crlf": (ROW.format(d="x") + " \r", True),
    "a-tab-anywhere": (ROW.format(d="a\tb"), True),  # a tab is rare: any says yes
    "a-vertical-tab": (ROW.format(d="x\x0b"), True),
}


@pytest.mark.parametrize("case", SPACED)
def test_whitespace_around_a_value_is_told(case: str) -> None:
    text, expected = SPACED[case]
    for delimiter in (",", ";"):
        lines = (text.replace(",", delimiter) + "\n").encode()
        unquoted = pgload._unquoted(lines, delimiter.encode())
        assert unquoted is not None
        assert pgload._spaced(lines, unquoted, delimiter.encode()) == expected


def _raw(session, table: str) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    return list(map(tuple, session.execute(sql(f"SELECT * FROM {table} ORDER BY line"))))


@pytest.fixture(scope="module")
def server(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    db = padron_database(databases)
    if not _postgres(db):
        db.dispose()
        pytest.skip("PostgreSQL only: COPY")
    yield db
    db.dispose()


@pytest.mark.parametrize("case", [*PLAIN, *NOT_PLAIN, *REFUSED_BY_THE_SERVER])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
def test_copy_as_is_fills_the_raw_table_as_pythons_reader(
    server: Database, tmp_path: Path, case: str, encoding: str
) -> None:
    text = {**PLAIN, **NOT_PLAIN, **REFUSED_BY_THE_SERVER}[case]
    if encoding == "latin-1":
        text = text.replace(",", ";")
    path = tmp_path / "hogares.csv"
    path.write_bytes((codecs.BOM_UTF8 if encoding == "utf-8-sig" else b"") + text.encode(
        "latin-1" if encoding == "latin-1" else "utf-8"))  # fmt: skip
    src = inspect_file(path)
    with server.session() as s, s.begin():  # rolled back: the raw tables go with it
        try:
            with s.begin_nested():
                expected: Any = pgload.copy_file(s, src, "python_raw", HOGARES_COLUMNS)
                expected = (expected, _raw(s, "python_raw"))
        except StructuralError as exc:
            expected = str(exc)
        try:
            with s.begin_nested():
                header, rows, _ = pgload.copy_plain(s, src, "server_raw", HOGARES_COLUMNS)
                got = ((header.present_optional, rows), _raw(s, "server_raw"))
        except (pgload.NotPlain, psycopg.DataError):
            got = None
        s.rollback()
    if case in PLAIN:
        assert got == expected
    elif got is not None:  # the server may take what Python takes: then alike
        assert case not in NOT_PLAIN and got == expected
