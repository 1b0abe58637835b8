"""The modeler's unit of work: save a draft, validate it, compare it with the published
version, publish it as a new version, or roll back to an earlier version.

A draft is a diagram and the forms it changes or adds; its forms are overlaid on the
published ones when it is checked, compared and published (the new version's forms snapshot
takes them, so instances on older versions keep their forms).

Only the process owner (the position named by the published version's ``owner``) and
administrators may change a process; everyone else reads. Drafts never touch instances:
instances point at published versions only. Every change is audited in its transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.db import utcnow
from engine.definitions.deploy import Candidate, DeployResult, check_file, publish_candidate
from engine.definitions.deploy import latest_definition as _latest
from engine.definitions.inspect import inspect_document
from engine.definitions.models import ProcessDefinition
from engine.definitions.validate import (
    FORM_PROPERTY,
    START_FORM_PROPERTY,
    START_UI_FORM_PROPERTY,
    UI_FORM_PROPERTY,
    DefinitionRefused,
    FormSource,
    Problem,
)
from engine.definitions.xml import XmlRefused, parse_untrusted
from engine.errors import NotFound, PermissionDenied, ValidationError
from engine.modeling.diff import Diff, diff_documents
from engine.modeling.forms import check_forms, form_changes
from engine.modeling.graph import graph_of, process_node, unreachable
from engine.modeling.models import ProcessDraft
from engine.runtime.actors import Actor, require_writer
from engine.runtime.routing import acting_position

MAX_DRAFT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    """A problem of a diagram, with the element the modeler highlights."""

    element_id: str
    line: int
    where: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "element_id": self.element_id,
            "line": self.line,
            "where": self.where,
            "message": self.message,
        }


class DraftRefused(DefinitionRefused):
    """The draft cannot be published; ``findings`` name the element of each problem."""

    def __init__(self, filename: str, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(
            [Problem(filename, f.line, f.where or f.element_id, f.message) for f in findings]
        )


def published(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    if version is None:
        row = _latest(session, key)
    else:
        row = session.scalar(
            select(ProcessDefinition).where(
                ProcessDefinition.key == key, ProcessDefinition.version == version
            )
        )
    if row is None:
        raise NotFound(f"no existe el proceso '{key}'" + (f" v{version}" if version else ""))
    return row


def versions(session: Session, key: str) -> list[ProcessDefinition]:
    return list(
        session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
        )
    )


def may_publish(session: Session, key: str, actor: Actor) -> bool:
    try:
        require_publisher(session, key, actor)
    except PermissionDenied:
        return False
    return True


def require_publisher(session: Session, key: str, actor: Actor) -> int | None:
    """The position through which ``actor`` owns process ``key`` (None for an admin)."""
    require_writer(actor)
    owner = published(session, key).owner
    position = acting_position(actor, owner, None)
    if position is None and not actor.is_admin:
        raise PermissionDenied(
            f"solo el propietario del proceso ({owner}) o un administrador puede modificarlo"
        )
    return position.id if position else None


def draft_of(session: Session, key: str) -> ProcessDraft | None:
    return session.scalar(select(ProcessDraft).where(ProcessDraft.key == key))


def save_draft(
    session: Session,
    key: str,
    actor: Actor,
    xml: str,
    *,
    forms: Any = None,
    forms_dir: Path | None = None,
) -> ProcessDraft:
    """Saves the diagram and the forms the modeler sent (``{file name: schema}``, untrusted;
    None keeps the draft's forms). Forms equal to what the published version would use are
    not kept (with ``forms_dir``): a draft carries only the forms it changes or adds."""
    position = require_publisher(session, key, actor)
    data = _bytes(xml)
    try:
        root = parse_untrusted(data, f"{key}.bpmn")
    except XmlRefused as exc:
        raise ValidationError("xml", str(exc)) from None
    if process_node(root, key) is None:
        raise ValidationError("xml", f"el diagrama no contiene el proceso '{key}'")
    base = published(session, key)
    draft = draft_of(session, key)
    if forms is None:
        kept = json.loads(draft.forms) if draft else {}
    else:
        kept = _changed_only(check_forms(forms), base, forms_dir)
    draft = draft or ProcessDraft(key=key)
    draft.base_version, draft.source = base.version, xml
    draft.forms = json.dumps(kept, sort_keys=True, ensure_ascii=False)
    draft.sha256 = hashlib.sha256(data).hexdigest()
    draft.saved_by_user_id, draft.saved_at = actor.user_id, utcnow()
    session.add(draft)
    session.flush()
    audit.record(
        session,
        "definition.draft_saved",
        actor_user_id=actor.user_id,
        actor_position_id=position,
        process_key=key,
        process_version=base.version,
        data={
            "sha256": draft.sha256,
            "base_version": base.version,
            "forms": sorted(kept),
            "forms_sha256": hashlib.sha256(draft.forms.encode("utf-8")).hexdigest(),
        },
    )
    return draft


def _changed_only(
    forms: dict[str, Any], base: ProcessDefinition, forms_dir: Path | None
) -> dict[str, Any]:
    if forms_dir is None:
        return forms
    current = FormSource(forms_dir, stored=json.loads(base.forms))
    kept = {}
    for name, schema in forms.items():
        try:
            if current.load(name) == schema:
                continue
        except ValueError:
            pass  # a form the draft adds
        kept[name] = schema
    return kept


def _overlay(session: Session, key: str, forms: Any) -> dict[str, Any]:
    """The draft's forms: ``forms`` as sent (checked) or, when None, the saved draft's."""
    if forms is not None:
        return check_forms(forms)
    draft = draft_of(session, key)
    return json.loads(draft.forms) if draft else {}


def draft_forms(session: Session, key: str) -> dict[str, Any]:
    """The forms the saved draft changes or adds (none without a draft)."""
    return _overlay(session, key, None)


def _bytes(xml: str) -> bytes:
    if not isinstance(xml, str) or not xml.strip():
        raise ValidationError("xml", "falta el diagrama")
    data = xml.encode("utf-8")
    if len(data) > MAX_DRAFT_BYTES:
        raise ValidationError("xml", "el diagrama es demasiado grande")
    return data


def _source_of(session: Session, key: str, xml: str | None) -> str:
    if xml is not None:
        return xml
    draft = draft_of(session, key)
    if draft is None:
        raise NotFound(f"el proceso '{key}' no tiene borrador")
    return draft.source


def check(
    session: Session, key: str, xml: str | None, forms_dir: Path, forms: Any = None
) -> tuple[list[Finding], list[Candidate]]:
    """Every problem of the diagram (the draft when ``xml`` is None), without writing. User
    tasks' forms are looked up in ``forms`` (else the draft's forms), then the published ones."""
    base = published(session, key)
    overlay = _overlay(session, key, forms)
    data = _bytes(_source_of(session, key, xml))
    source = FormSource(forms_dir, stored=json.loads(base.forms), draft=overlay)
    return _check_bytes(session, key, data, base.filename, source)


def _check_bytes(
    session: Session, key: str, data: bytes, filename: str, forms: FormSource
) -> tuple[list[Finding], list[Candidate]]:
    try:
        root = parse_untrusted(data, filename)
    except XmlRefused as exc:
        return [Finding("", 0, "archivo", str(exc))], []
    candidates, problems = check_file(session, Path(filename), forms, data=data)
    findings = [_finding(root, p) for p in problems]
    process = process_node(root, key)
    if process is None:
        findings.append(Finding("", 0, "archivo", f"el diagrama no contiene el proceso '{key}'"))
    else:
        for node in _unreachable(process):
            findings.append(
                Finding(
                    node.get("id", ""),
                    node.sourceline or 0,
                    f"{etree.QName(node).localname} '{node.get('name') or node.get('id')}'",
                    "no se puede alcanzar desde el inicio del proceso",
                )
            )
    others = [c.info.key for c in candidates if c.info.key != key]
    if others:
        findings.append(
            Finding("", 0, "archivo", f"el diagrama define otros procesos: {', '.join(others)}")
        )
    return findings, [c for c in candidates if c.info.key == key]


def _unreachable(process: etree._Element) -> list[etree._Element]:
    return unreachable(graph_of(process))


def _finding(root: etree._Element, problem: Problem) -> Finding:
    """The problem with the id of the element at its line (or the nearest one above)."""
    element_id = ""
    if problem.line:
        for node in root.iter(etree.Element):
            if node.sourceline == problem.line:
                holder = node
                while holder is not None and not holder.get("id"):
                    holder = holder.getparent()
                element_id = holder.get("id", "") if holder is not None else ""
                break
    return Finding(element_id, problem.line, problem.where, problem.message)


def diff(session: Session, key: str, xml: str | None, forms_dir: Path, forms: Any = None) -> Diff:
    """The draft (or ``xml`` with ``forms``) against the published version: its elements and
    the forms the new version would carry."""
    base = published(session, key)
    overlay = _overlay(session, key, forms)
    new_root = parse_untrusted(_bytes(_source_of(session, key, xml)), base.filename)
    old_root = parse_untrusted(base.source.encode("utf-8"), base.filename)
    stored = json.loads(base.forms)
    source = FormSource(forms_dir, stored=stored, draft=overlay)
    new_forms = {}
    for name in _form_names(new_root, key):
        try:
            new_forms[name] = source.load(name)
        except ValueError:
            continue  # a missing form is a validation problem, not a change
    result = diff_documents(old_root, new_root, key, stored, new_forms)
    result.forms = form_changes(stored, new_forms)
    return result


def _form_names(root: etree._Element, key: str) -> set[str]:
    """The forms a diagram's process uses: its start form and its human tasks' forms."""
    names: set[str] = set()
    for info in inspect_document(root):
        if info.key != key:
            continue
        starts = (START_FORM_PROPERTY, START_UI_FORM_PROPERTY)
        names.update(info.properties.get(p, "") for p in starts)
        for task in info.human_tasks:
            names.update(task.properties.get(p, "") for p in (FORM_PROPERTY, UI_FORM_PROPERTY))
    return names - {""}


def publish(session: Session, key: str, actor: Actor, forms_dir: Path) -> DeployResult:
    """Publishes the draft as the next version; the draft is gone afterwards."""
    position = require_publisher(session, key, actor)
    draft = draft_of(session, key)
    if draft is None:
        raise NotFound(f"el proceso '{key}' no tiene borrador")
    base = published(session, key)
    findings, candidates = check(session, key, None, forms_dir)
    result = _publish_checked(session, actor, findings, candidates, base.filename)
    session.delete(draft)
    audit.record(
        session,
        "definition.draft_published",
        actor_user_id=actor.user_id,
        actor_position_id=position,
        process_key=key,
        process_version=result.version,
        data={"from_version": base.version, "draft_base_version": draft.base_version},
    )
    return result


def _publish_checked(
    session: Session,
    actor: Actor,
    findings: list[Finding],
    candidates: list[Candidate],
    filename: str,
) -> DeployResult:
    if findings:
        raise DraftRefused(filename, findings)
    if len(candidates) != 1:
        raise ValidationError("xml", "el diagrama no tiene un proceso ejecutable publicable")
    candidate = Candidate(candidates[0].info, filename, candidates[0].source, candidates[0].forms)
    result = publish_candidate(session, candidate, actor.user_id)
    if not result.created:
        raise ValidationError("borrador", "no hay cambios respecto de la versión publicada")
    return result


def rollback(
    session: Session, key: str, version: int, actor: Actor, forms_dir: Path
) -> DeployResult:
    """Publishes version ``version`` again (its diagram and its forms) as the next version."""
    position = require_publisher(session, key, actor)
    latest = published(session, key)
    old = published(session, key, version)
    if old.version == latest.version:
        raise ValidationError("version", f"la versión {version} ya es la vigente")
    forms = FormSource(forms_dir, stored=json.loads(old.forms), prefer_stored=True)
    findings, candidates = _check_bytes(
        session, key, old.source.encode("utf-8"), old.filename, forms
    )
    result = _publish_checked(session, actor, findings, candidates, old.filename)
    audit.record(
        session,
        "definition.rolled_back",
        actor_user_id=actor.user_id,
        actor_position_id=position,
        process_key=key,
        process_version=result.version,
        data={"from_version": latest.version, "source_version": version},
    )
    return result
