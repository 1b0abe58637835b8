"""The SISFOH import as a background job (issues 4 and 6): who may start it (checked in the
engine), the job run as the worker runs it, its progress advancing out of band, the result
kept with the job, and a bad file → the error report and nothing applied. On SQLite and
PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import progress
from engine.audit import AuditEvent
from engine.db import Database, utcnow
from engine.errors import PermissionDenied, ValidationError
from engine.org.demo import seed_demo_people
from engine.padron import ImportBatch, importjobs
from engine.padron.importjobs import ImportJob, Upload
from engine.runtime.actors import actor_for_login
from tests.test_padron_support import padron_database, table_counts, write_pair

IMPORTER = "esp.afiliaciones"  # Especialista en Afiliaciones, UOAL (manual II.2.8)


@pytest.fixture(scope="module")
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = padron_database(databases)
    with database.write_transaction() as s:
        seed_demo_people(s)
    yield database
    database.dispose()


def _uploads(h: Path, m: Path) -> tuple[Upload, Upload]:
    return (
        Upload("hogares.csv", io.BytesIO(h.read_bytes())),
        Upload("miembros.csv", io.BytesIO(m.read_bytes())),
    )


def _create(db: Database, var: Path, login: str, h: Path, m: Path) -> int:
    with db.write_transaction() as s:
        job = importjobs.create_job(s, actor_for_login(s, login), var, *_uploads(h, m))
        return job.id


@pytest.mark.parametrize("login", ["gl.cajamarca", "jefe.uvcc", "auditor.oci", "director"])
def test_only_the_uoal_and_admins_may_import(db: Database, tmp_path: Path, login: str) -> None:
    h, m = write_pair(tmp_path / "files")
    with db.write_transaction() as s, pytest.raises(PermissionDenied):
        importjobs.create_job(s, actor_for_login(s, login), tmp_path, *_uploads(h, m))
    with db.transaction() as s:
        with pytest.raises(PermissionDenied):
            importjobs.list_jobs(s, actor_for_login(s, login))
        assert importjobs.may_import(actor_for_login(s, "admin"))
        assert importjobs.may_import(actor_for_login(s, IMPORTER))


def test_a_job_runs_reports_progress_and_keeps_the_result(db: Database, tmp_path: Path) -> None:
    h, m = write_pair(tmp_path / "files")
    job_id = _create(db, tmp_path, IMPORTER, h, m)
    seen: list[tuple[int, int]] = []
    real_report = progress.report

    def spy(database, key, done, total, kind="service"):  # type: ignore[no-untyped-def]
        if kind == "job" and key == job_id:
            seen.append((done, total))
        real_report(database, key, done, total, kind)

    before = table_counts(db)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(progress, "report", spy)
        assert importjobs.run_job(db, tmp_path, job_id) == "aplicado"
    assert seen[0] == (0, 1) and seen[-1][0] == seen[-1][1] > 1  # from nothing to all
    dones = [d for d, t in seen[1:]]
    assert dones == sorted(dones) and len(set(dones)) >= 3  # it advanced in steps
    assert progress.read(db, [job_id], kind="job")[job_id] == seen[-1]
    with db.transaction() as s:
        job = s.get(ImportJob, job_id)
        assert job is not None and job.state == "aplicado" and job.finished_at is not None
        assert (
            job.result["conteos"]["hogares_nuevos"]
            == 4
            == table_counts(db)["padron_hogar"] - before["padron_hogar"]
        )
        uts = {
            u["codigo"]: u["hogares"] for u in job.result["segmentacion"]["unidades_territoriales"]
        }
        assert uts == {"UT-CAJ": 1, "UT-PUN": 1}  # the relación de hogares elegibles per UT
        batch = s.scalar(select(ImportBatch).where(ImportBatch.id == job.batch_id))
        assert batch is not None and batch.imported_by == f"web: {IMPORTER}"
        kinds = set(
            s.scalars(select(AuditEvent.kind).where(AuditEvent.kind.like("padron.importacion%")))
        )
        assert kinds == {"padron.importacion_solicitada", "padron.importacion_aplicada"}
        status = importjobs.job_status(db, job)
    assert status["estado"] == "aplicado" and status["avance"][0] == status["avance"][1]
    # a redelivered message changes nothing
    assert importjobs.run_job(db, tmp_path, job_id) == "aplicado"
    with db.transaction() as s:
        assert s.get(ImportJob, job_id).attempts == 1  # type: ignore[union-attr]


def test_a_bad_file_gives_the_error_report_and_applies_nothing(
    db: Database, tmp_path: Path
) -> None:
    good = ["J-1", "060101", "Santa Rosa", "", "47000001", "A", "B", "C", "PE", "2028-01-01"]
    bad = ["J-2", "150101", "Lima", "", "4700002", "A", "B", "C", "PE", "2028-01-01"]
    h, m = write_pair(tmp_path / "files", [good, bad], [])
    job_id = _create(db, tmp_path, "admin", h, m)
    before = table_counts(db)
    assert importjobs.run_job(db, tmp_path, job_id) == "rechazado"
    assert table_counts(db) == before
    with db.transaction() as s:
        job = s.get(ImportJob, job_id)
        assert job is not None and job.batch_id is None
        errors = {(e["archivo"], e["linea"], e["columna"]) for e in job.result["errores"]}
        status = importjobs.job_status(db, job)
    assert errors == {("hogares.csv", 3, "ubigeo"), ("hogares.csv", 3, "dni_titular")}
    assert job.result["total_errores"] == 2 and "no se aplicó nada" in job.result["mensaje"]
    assert "4700002" not in str(job.result)  # no personal data in the report
    assert status["estado"] == "rechazado" and status["avance"][0] == status["avance"][1]


def test_a_structural_error_is_reported_the_same_way(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "files"
    h, m = write_pair(folder)
    h.write_bytes(h.read_bytes().replace(b"cse_vigencia_fin", b"vigencia"))
    job_id = _create(db, tmp_path, IMPORTER, h, m)
    assert importjobs.run_job(db, tmp_path, job_id) == "rechazado"
    with db.transaction() as s:
        job = s.get(ImportJob, job_id)
        assert job is not None
        (error,) = job.result["errores"]
    assert error["archivo"] == "hogares.csv" and "falta la columna" in error["motivo"]


def test_files_are_refused_when_empty_or_too_large(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, m = write_pair(tmp_path / "files")
    monkeypatch.setattr(importjobs, "MAX_FILE_BYTES", 100)
    with db.write_transaction() as s:
        actor = actor_for_login(s, IMPORTER)
        with pytest.raises(ValidationError, match="supera"):
            importjobs.create_job(s, actor, tmp_path, *_uploads(h, m))
        with pytest.raises(ValidationError, match="vacío"):
            importjobs.create_job(
                s, actor, tmp_path, Upload("h.csv", io.BytesIO(b"")), _uploads(h, m)[1]
            )
        s.rollback()


def test_a_job_cut_short_runs_again_and_a_running_one_is_left_alone(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = ["K-1", "210101", "Chucuito", "", "43000001", "A", "B", "C", "PE", "2028-01-01"]
    h, m = write_pair(tmp_path / "files", [row], [])
    job_id = _create(db, tmp_path, IMPORTER, h, m)
    with db.write_transaction() as s:  # as a worker left it: started, reporting progress
        job = s.get(ImportJob, job_id)
        assert job is not None
        job.state, job.started_at, job.attempts = "en_curso", utcnow(), 1
    progress.report(db, job_id, 5, 10, kind="job")
    before = table_counts(db)
    assert importjobs.run_job(db, tmp_path, job_id) == "en_curso"  # a second delivery: left
    with db.transaction() as s:
        assert importjobs.orphan_ids(db, s, utcnow()) == []
    assert table_counts(db) == before

    long_ago = utcnow() - importjobs.STALE_AFTER - timedelta(minutes=1)
    monkeypatch.setattr(progress, "utcnow", lambda: long_ago)
    progress.report(db, job_id, 5, 10, kind="job")  # its last word, long ago: the worker died
    monkeypatch.undo()
    with db.transaction() as s:
        assert importjobs.orphan_ids(db, s, utcnow()) == [job_id]  # tick sends it again
    assert importjobs.run_job(db, tmp_path, job_id) == "aplicado"
    with db.transaction() as s:
        job = s.get(ImportJob, job_id)
        assert (
            job is not None and job.attempts == 2 and job.result["conteos"]["hogares_nuevos"] == 1
        )
