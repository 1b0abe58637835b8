"""The SISFOH import started from the web (Title V, process 7.1): the two files are stored,
a background job runs ``import_sisfoh`` in the worker (never in the request) and reports its
progress out of band (``engine.progress``, kind "job"); the job keeps the result — counts per
UT and the relación de hogares elegibles — or the error report (file, line, column, reason).

Who may import: the Unidad de Operaciones de Afiliación y Liquidación (manual II.2.8: it
conducts the afiliación and the mantenimiento del padrón), and administrators. The engine
checks it here, whatever the caller.

All or nothing as the CLI: the job's final state and result are written in the import's own
transaction, so a job is 'aplicado' exactly when its batch exists; a refused import writes
only its report. A job redelivered after a crash runs again: the crashed attempt left nothing.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import progress
from engine.audit import append
from engine.db import Base, Database, UTCDateTime, utcnow
from engine.errors import NotFound, PermissionDenied, ValidationError
from engine.padron.csvfiles import ImportRejected
from engine.padron.sisfoh import import_sisfoh
from engine.runtime.actors import Actor, require_writer

IMPORT_UNIT = "UOAL"  # Unidad de Operaciones de Afiliación y Liquidación (II.2.8)
MAX_FILE_BYTES = 50 * 1024 * 1024  # per file through the web; larger lists: the CLI
MAX_ERRORS_KEPT = 1000
ROLES = ("hogares", "miembros")
STATE_LABELS = {
    "pendiente": "En cola",
    "en_curso": "En curso",
    "aplicado": "Aplicada",
    "rechazado": "Rechazada",
    "fallido": "Falló",
}
FINAL = ("aplicado", "rechazado", "fallido")
# a job 'en_curso' that reported no progress for this long was cut short (its worker died:
# its transaction rolled back, nothing of it stayed): it runs again. Progress comes at least
# at each phase of the import, and no phase of a million-household import takes this long.
STALE_AFTER = timedelta(minutes=20)

log = logging.getLogger(__name__)


class ImportJob(Base):
    """One import of SISFOH's relación requested from the web, and its outcome."""

    __tablename__ = "padron_import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), default="sisfoh")
    state: Mapped[str] = mapped_column(String(16), default="pendiente", index=True)
    requested_by_user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"))
    requested_by_login: Mapped[str] = mapped_column(String(64))
    hogares_file: Mapped[str] = mapped_column(String(255))
    hogares_bytes: Mapped[int] = mapped_column(BigInteger)
    miembros_file: Mapped[str] = mapped_column(String(255))
    miembros_bytes: Mapped[int] = mapped_column(BigInteger)
    batch_id: Mapped[int | None] = mapped_column(Integer)  # the padron_import_batch applied
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def may_import(actor: Actor) -> bool:
    """Administrators, and whoever holds a position of the UOAL today."""
    return actor.is_admin or any(p.unit.code == IMPORT_UNIT for p in actor.positions)


def require_importer(actor: Actor) -> None:
    require_writer(actor)
    if not may_import(actor):
        raise PermissionDenied(
            "importar la relación de hogares del SISFOH corresponde a la Unidad de Operaciones "
            "de Afiliación y Liquidación"
        )


def job_folder(var_dir: Path, job_id: int) -> Path:
    return var_dir / "importaciones" / str(job_id)


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it: its name and a stream of its bytes."""

    filename: str
    stream: IO[bytes]


def _store(upload: Upload, target: Path) -> int:
    """Copies the stream to ``target``, refusing more than ``MAX_FILE_BYTES``."""
    written = 0
    with target.open("wb") as out:
        while chunk := upload.stream.read(1 << 20):
            written += len(chunk)
            if written > MAX_FILE_BYTES:
                raise ValidationError(
                    "archivo",
                    f"{Path(upload.filename).name} supera {MAX_FILE_BYTES // (1024 * 1024)} MB: "
                    "use 'juntos padron import-sisfoh'",
                )
            out.write(chunk)
    if not written:
        raise ValidationError("archivo", f"{Path(upload.filename).name} está vacío")
    return written


def _safe_name(filename: str, role: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip()
    return name[:255] if name not in ("", ".", "..") else f"{role}.csv"


def create_job(
    session: Session, actor: Actor, var_dir: Path, hogares: Upload, miembros: Upload
) -> ImportJob:
    """Stores the two files and records a pending job (and its audit event). The caller
    commits, then hands the job to the worker (``engine.jobs.dispatch_import``)."""
    require_importer(actor)
    if not (hogares.filename and miembros.filename):
        raise ValidationError("archivo", "adjunte el archivo de hogares y el de miembros")
    names = [
        _safe_name(u.filename, role) for u, role in zip((hogares, miembros), ROLES, strict=True)
    ]
    job = ImportJob(
        kind="sisfoh",
        state="pendiente",
        requested_by_user_id=actor.user_id,
        requested_by_login=actor.login,
        hogares_file=names[0],
        hogares_bytes=0,
        miembros_file=names[1],
        miembros_bytes=0,
        attempts=0,
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    folder = job_folder(var_dir, job.id)
    try:
        sizes = []
        for upload, role, name in zip((hogares, miembros), ROLES, names, strict=True):
            (folder / role).mkdir(parents=True, exist_ok=True)
            sizes.append(_store(upload, folder / role / name))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job.hogares_bytes, job.miembros_bytes = sizes
    append(
        session,
        "padron.importacion_solicitada",
        actor_user_id=actor.user_id,
        data={"job": job.id, "hogares": names[0], "miembros": names[1]},
    )
    return job


def _files(var_dir: Path, job: ImportJob) -> tuple[Path, Path]:
    """The stored files, under the names they were sent with (the report names them)."""
    folder = job_folder(var_dir, job.id)
    return folder / "hogares" / job.hogares_file, folder / "miembros" / job.miembros_file


def _rejected(exc: ImportRejected) -> dict[str, Any]:
    return {
        "mensaje": str(exc),
        "total_errores": exc.total,
        "errores": [
            {"archivo": e.file, "linea": e.line, "columna": e.column, "motivo": e.reason}
            for e in exc.errors[:MAX_ERRORS_KEPT]
        ],
    }


def run_job(db: Database, var_dir: Path, job_id: int) -> str:
    """Runs one job in the worker; returns its final state. A job already finished is left
    as it is (a redelivered message changes nothing)."""
    with db.write_transaction() as session:
        job = session.scalar(select(ImportJob).where(ImportJob.id == job_id).with_for_update())
        if job is None:
            raise NotFound(f"no existe la importación {job_id}")
        if job.state in FINAL or (job.state == "en_curso" and not _stalled(db, job)):
            return job.state  # done, or another delivery of the message is running it
        job.state, job.started_at, job.attempts = "en_curso", utcnow(), job.attempts + 1
    progress.report(db, job_id, 0, 1, kind="job")

    def report(done: int, total: int) -> None:
        progress.report(db, job_id, done, total, kind="job")

    try:
        with db.write_transaction() as session:
            job = session.get(ImportJob, job_id)
            assert job is not None
            hogares, miembros = _files(var_dir, job)
            result = import_sisfoh(
                session, hogares, miembros, f"web: {job.requested_by_login}", progress=report
            )
            job.state, job.batch_id, job.finished_at = "aplicado", result.batch_id, utcnow()
            job.result = result.as_dict()
            append(
                session,
                "padron.importacion_aplicada",
                actor_user_id=job.requested_by_user_id,
                data={"job": job.id, "lote": result.batch_id, "conteos": result.counts},
            )
    except ImportRejected as exc:
        _finish(db, job_id, "rechazado", _rejected(exc))
    except Exception:
        # no message of the exception: it may quote the rows (personal data)
        log.exception("padron import job %s failed", job_id)
        _finish(db, job_id, "fallido", {"mensaje": "error interno; vea el registro del worker"})
        raise
    with db.transaction() as session:
        state = session.scalar(select(ImportJob.state).where(ImportJob.id == job_id))
    return state or "fallido"


def _finish(db: Database, job_id: int, state: str, result: dict[str, Any]) -> None:
    with db.write_transaction() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        job.state, job.result, job.finished_at = state, result, utcnow()
    _, total = progress.read(db, [job_id], kind="job").get(job_id, (0, 1))
    progress.report(db, job_id, total, total, kind="job")


def list_jobs(session: Session, actor: Actor, limit: int = 50) -> list[ImportJob]:
    require_importer(actor)
    query = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
    return list(session.scalars(query))


def get_job(session: Session, actor: Actor, job_id: int) -> ImportJob:
    require_importer(actor)
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"no existe la importación {job_id}")
    return job


def _stalled(db: Database, job: ImportJob) -> bool:
    seen = progress.last_report(db, job.id, kind="job") or job.started_at or job.created_at
    return utcnow() - seen > STALE_AFTER


def orphan_ids(db: Database, session: Session, before: datetime) -> list[int]:
    """Jobs nobody is running: pending since before ``before`` (the message was lost), or
    'en_curso' with no progress for ``STALE_AFTER`` (the worker died)."""
    pending = (ImportJob.state == "pendiente", ImportJob.created_at < before)
    ids = list(session.scalars(select(ImportJob.id).where(*pending).limit(100)))
    running = session.scalars(select(ImportJob).where(ImportJob.state == "en_curso"))
    return ids + [job.id for job in running if _stalled(db, job)]


def job_status(db: Database, job: ImportJob) -> dict[str, Any]:
    """What the page polls: state, done/total (live while it runs), and the result."""
    done, total = progress.read(db, [job.id], kind="job").get(job.id, (0, 0))
    if job.state in FINAL:
        done, total = max(total, 1), max(total, 1)
    return {
        "id": job.id,
        "estado": job.state,
        "estado_texto": STATE_LABELS.get(job.state, job.state),
        "avance": [done, total],
        "resultado": job.result,
    }
