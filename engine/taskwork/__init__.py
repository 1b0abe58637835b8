"""Comments, attachments and drafts of a human task (the task page's side panels).

Who may comment or attach: anyone who may see the task (``require_view``). Comments and
attachments are audited in the instance's chain (auditors read them in the history);
drafts are private scratch of one person and are not.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import NotFound, PermissionDenied, ValidationError
from engine.runtime.actors import Actor, require_writer
from engine.runtime.models import HumanTask, ProcessInstance
from engine.runtime.routing import acting_position
from engine.runtime.task_page import require_view, task_row
from engine.taskwork.models import Attachment, TaskComment, TaskDraft

__all__ = [
    "ALLOWED_TYPES",
    "MAX_ATTACHMENT_BYTES",
    "Attachment",
    "TaskComment",
    "TaskDraft",
    "add_attachment",
    "add_comment",
    "attachment_for",
    "attachments_of",
    "comments_of",
    "draft_of",
    "save_draft",
]

MAX_COMMENT_CHARS = 4000
MAX_DRAFT_BYTES = 64 * 1024
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# extension → (content type, magic prefix or None when the format has none to check)
ALLOWED_TYPES: dict[str, tuple[str, bytes | None]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    ".csv": ("text/csv", None),
    ".txt": ("text/plain", None),
}


def _audit(session: Session, row: HumanTask, actor: Actor, kind: str, data: dict[str, Any]) -> None:
    instance = session.get(ProcessInstance, row.instance_id)
    audit.record(
        session,
        kind,
        actor_user_id=actor.user_id,
        process_key=instance.process_key,
        process_version=instance.process_version,
        instance_id=instance.id,
        element_id=row.element_id,
        household=instance.household,
        data=data,
    )


def add_comment(session: Session, task_id: int, actor: Actor, body: str) -> TaskComment:
    require_writer(actor)
    row = task_row(session, task_id)
    require_view(session, actor, row)
    body = (body or "").strip()
    if not body:
        raise ValidationError("comentario", "escriba el comentario")
    if len(body) > MAX_COMMENT_CHARS:
        raise ValidationError("comentario", f"admite hasta {MAX_COMMENT_CHARS} caracteres")
    comment = TaskComment(
        task_id=row.id, instance_id=row.instance_id, author_user_id=actor.user_id, body=body
    )
    session.add(comment)
    session.flush()
    _audit(session, row, actor, "task.commented", {"task": row.task_uuid, "comment": body})
    return comment


def comments_of(session: Session, actor: Actor, task_id: int) -> list[TaskComment]:
    require_view(session, actor, task_row(session, task_id))
    query = select(TaskComment).where(TaskComment.task_id == task_id).order_by(TaskComment.id)
    return list(session.scalars(query))


def add_attachment(
    session: Session, task_id: int, actor: Actor, filename: str, content: bytes
) -> Attachment:
    require_writer(actor)
    row = task_row(session, task_id)
    require_view(session, actor, row)
    name = PurePath((filename or "").replace("\\", "/")).name.strip()
    if not name or len(name) > 200:
        raise ValidationError("archivo", "el archivo necesita un nombre (hasta 200 caracteres)")
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_TYPES:
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise ValidationError("archivo", f"tipo de archivo no permitido ({allowed})")
    if not content:
        raise ValidationError("archivo", "el archivo está vacío")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValidationError("archivo", "el archivo supera los 10 MB")
    content_type, magic = ALLOWED_TYPES[extension]
    if magic is not None and not content.startswith(magic):
        raise ValidationError("archivo", f"el contenido no corresponde a un archivo {extension}")
    if magic is None and b"\x00" in content[:4096]:
        raise ValidationError("archivo", f"el contenido no es texto ({extension})")
    digest = hashlib.sha256(content).hexdigest()
    attachment = Attachment(
        task_id=row.id,
        instance_id=row.instance_id,
        filename=name,
        content_type=content_type,
        size=len(content),
        sha256=digest,
        content=content,
        uploaded_by_user_id=actor.user_id,
    )
    session.add(attachment)
    session.flush()
    _audit(
        session,
        row,
        actor,
        "task.attachment_added",
        {
            "task": row.task_uuid,
            "attachment": attachment.id,
            "filename": name,
            "sha256": digest,
            "size": len(content),
        },
    )
    return attachment


def attachments_of(session: Session, actor: Actor, task_id: int) -> list[Attachment]:
    require_view(session, actor, task_row(session, task_id))
    query = select(Attachment).where(Attachment.task_id == task_id).order_by(Attachment.id)
    return list(session.scalars(query))


def attachment_for(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"no existe el adjunto {attachment_id}")
    require_view(session, actor, task_row(session, attachment.task_id))
    return attachment


def save_draft(session: Session, task_id: int, actor: Actor, data: dict[str, Any]) -> TaskDraft:
    """Only whoever may complete the task now keeps a draft of it."""
    require_writer(actor)
    row = task_row(session, task_id)
    require_view(session, actor, row)
    if row.state not in ("ready", "claimed"):
        raise ValidationError("tarea", "la tarea ya no está abierta")
    if row.assignee_user_id not in (None, actor.user_id):
        raise PermissionDenied("la tarea está asignada a otra persona")
    if row.assignee_user_id is None and not acting_position(
        actor, row.candidate, row.candidate_unit_id
    ):  # a supervisor or an administrator sees the task but does not do it
        raise PermissionDenied("solo quien puede completar la tarea guarda un borrador")
    if not isinstance(data, dict) or len(json.dumps(data)) > MAX_DRAFT_BYTES:
        raise ValidationError("data", "el borrador debe ser un objeto JSON de hasta 64 KB")
    draft = session.scalar(
        select(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_id == actor.user_id)
    )
    if draft is None:
        draft = TaskDraft(task_id=task_id, user_id=actor.user_id, data=data)
        session.add(draft)
    else:
        draft.data = data
    session.flush()
    return draft


def draft_of(session: Session, actor: Actor, task_id: int) -> dict[str, Any] | None:
    draft = session.scalar(
        select(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_id == actor.user_id)
    )
    return draft.data if draft else None
