"""``juntos deploy``: parse, validate and publish diagrams as versioned definitions.

All or nothing: if any file has a problem, nothing is published and every problem is
reported with its file, line and element. An unchanged file (same BPMN bytes and same
forms) makes no new version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from engine import audit
from engine.definitions.inspect import ProcessInfo, inspect_document
from engine.definitions.models import ProcessDefinition
from engine.definitions.spiff import JuntosParser
from engine.definitions.validate import DefinitionRefused, FormSource, Problem, check_process
from engine.definitions.xml import XmlRefused, parse_untrusted


@dataclass(frozen=True)
class Candidate:
    info: ProcessInfo
    filename: str
    source: bytes
    forms: dict[str, dict]  # type: ignore[type-arg]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source).hexdigest()

    @property
    def forms_json(self) -> str:
        return json.dumps(self.forms, sort_keys=True, ensure_ascii=False)

    @property
    def forms_sha256(self) -> str:
        return hashlib.sha256(self.forms_json.encode()).hexdigest()


@dataclass(frozen=True)
class DeployResult:
    key: str
    version: int
    created: bool
    filename: str


def bpmn_files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(path.glob("*.bpmn"))


def check_file(
    session: Session, path: Path, forms_dir: Path | FormSource, data: bytes | None = None
) -> tuple[list[Candidate], list[Problem]]:
    """Everything that can be said about one file, without writing anything."""
    data = path.read_bytes() if data is None else data
    try:
        root = parse_untrusted(data, path.name)
    except XmlRefused as exc:
        return [], [Problem(path.name, 0, "archivo", str(exc))]
    try:
        parser = spiff_parse(root, path.name)
    except ValidationException as exc:
        where = f"{exc.tag} {exc.id}".strip() or "diagrama"
        return [], [Problem(path.name, int(exc.line_number or 0), where, str(exc))]
    unrunnable = _unrunnable(parser, path.name)
    if unrunnable:
        return [], unrunnable
    executable = [p for p in inspect_document(root) if p.executable]
    if not executable:
        return [], [Problem(path.name, 0, "archivo", "no contiene procesos ejecutables")]
    candidates, problems = [], []
    for info in executable:
        found, forms = check_process(session, info, path.name, forms_dir)
        problems.extend(found)
        candidates.append(Candidate(info, path.name, data, forms))
    return candidates, problems


def _unrunnable(parser: JuntosParser, filename: str) -> list[Problem]:
    """Processes SpiffWorkflow cannot even instantiate. SpiffWorkflow 3.2 predicts forever on
    a loop that goes back through a parallel gateway (``_predict`` compares a Task with
    TaskSpecs); such a diagram would fail at every start."""
    problems = []
    for key in parser.get_process_ids():
        if not parser.get_process_parser(key).process_executable:
            continue
        try:
            BpmnWorkflow(parser.get_spec(key), parser.get_subprocess_specs(key))
        except RecursionError:
            problems.append(
                Problem(
                    filename,
                    0,
                    f"proceso '{key}'",
                    "no se puede ejecutar: un ciclo vuelve a través de una compuerta paralela; "
                    "haga que vuelva por una compuerta exclusiva de unión",
                )
            )
    return problems


def spiff_parse(root: etree._Element, filename: str, validate: bool = True) -> JuntosParser:
    """SpiffWorkflow's own parse (XSD included), and a spec for each executable process."""
    parser = JuntosParser(validator=VALIDATOR if validate else None)
    parser.add_bpmn_xml(root, filename)
    for key in parser.get_process_ids():
        if parser.get_process_parser(key).process_executable:
            parser.get_spec(key)
            parser.get_subprocess_specs(key)
    return parser


def deploy(
    session: Session, path: Path, forms_dir: Path, actor_user_id: int | None = None
) -> list[DeployResult]:
    candidates: list[Candidate] = []
    problems: list[Problem] = []
    for file in bpmn_files(path):
        found, found_problems = check_file(session, file, forms_dir)
        candidates.extend(found)
        problems.extend(found_problems)
    seen: dict[str, str] = {}
    for c in candidates:
        if c.info.key in seen:
            problems.append(
                Problem(
                    c.filename,
                    c.info.line,
                    f"proceso '{c.info.key}'",
                    f"la misma clave ya está en {seen[c.info.key]}",
                )
            )
        seen[c.info.key] = c.filename
    if problems:
        raise DefinitionRefused(problems)
    return [publish_candidate(session, c, actor_user_id) for c in candidates]


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )


def latest_definitions(session: Session, names_only: bool = False) -> list[ProcessDefinition]:
    """The latest version of every process, by key; ``names_only``: without the BPMN source
    and forms (loaded if read), for a list of choices."""
    latest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    stmt = (
        select(ProcessDefinition)
        .join(
            latest,
            (ProcessDefinition.key == latest.c.key) & (ProcessDefinition.version == latest.c.v),
        )
        .order_by(ProcessDefinition.key)
    )
    if names_only:
        stmt = stmt.options(
            load_only(ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name)
        )
    return list(session.scalars(stmt))


def publish_candidate(session: Session, c: Candidate, actor_user_id: int | None) -> DeployResult:
    """Publishes a checked candidate as the next version (none when it is unchanged)."""
    latest = latest_definition(session, c.info.key)
    if latest and latest.sha256 == c.sha256 and latest.forms_sha256 == c.forms_sha256:
        return DeployResult(c.info.key, latest.version, False, c.filename)
    version = (
        session.scalar(
            select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == c.info.key)
        )
        or 0
    ) + 1
    definition = ProcessDefinition(
        key=c.info.key,
        version=version,
        name=c.info.name or c.info.key,
        owner=c.info.properties.get("owner", ""),
        manual_section=c.info.properties.get("manual_section", ""),
        filename=c.filename,
        sha256=c.sha256,
        forms_sha256=c.forms_sha256,
        source=c.source.decode("utf-8"),
        forms=c.forms_json,
        properties=json.dumps(c.info.properties, sort_keys=True, ensure_ascii=False),
        published_by_user_id=actor_user_id,
    )
    session.add(definition)
    session.flush()
    audit.record(
        session,
        "definition.published",
        actor_user_id=actor_user_id,
        process_key=definition.key,
        process_version=version,
        data={
            "filename": c.filename,
            "sha256": c.sha256,
            "forms_sha256": c.forms_sha256,
            "owner": definition.owner,
        },
    )
    return DeployResult(c.info.key, version, True, c.filename)
