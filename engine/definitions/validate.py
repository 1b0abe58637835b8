"""Checks a diagram against the rest of the system before it may be published: lanes name
positions of the org chart, user tasks have their forms, service tasks name registered
operations with known parameters, scripts pass the sandbox, properties are well formed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy.orm import Session

from engine.definitions.inspect import ProcessInfo
from engine.errors import DomainError
from engine.org.chart import positions_named
from engine.scripting import SandboxError, check_expression, check_script
from engine.services.catalog import get_operation
from engine.services.registry import UnknownOperation

FORM_PROPERTY = "formJsonSchemaFilename"
UI_FORM_PROPERTY = "formUiSchemaFilename"


@dataclass(frozen=True)
class Problem:
    filename: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.where}: {self.message}"


class DefinitionRefused(DomainError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"diagrama rechazado ({len(problems)} problemas):\n{lines}")


def load_form(forms_dir: Path, name: str) -> dict:  # type: ignore[type-arg]
    """Reads forms/NAME and checks it is a JSON Schema; raises ValueError saying why not."""
    path = forms_dir / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise ValueError(f"el formulario '{name}' no existe en forms/")
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
    except (json.JSONDecodeError, SchemaError) as exc:
        raise ValueError(f"el formulario '{name}' no es un JSON Schema válido: {exc}") from None
    return schema


START_FORM_PROPERTY = "startForm"
START_UI_FORM_PROPERTY = "startUiForm"


@dataclass(frozen=True)
class FormSource:
    """Where a diagram's forms come from: the forms a modeler's draft changes or adds
    (``draft``, always first), ``forms/``, and the forms a published version already carries
    (``stored``), used first when ``prefer_stored`` (a roll-back republishes a version as it
    was) and otherwise only for files missing from ``forms/``."""

    forms_dir: Path
    stored: dict[str, dict] | None = None  # type: ignore[type-arg]
    prefer_stored: bool = False
    draft: dict[str, dict] | None = None  # type: ignore[type-arg]

    def load(self, name: str) -> dict:  # type: ignore[type-arg]
        if self.draft and name in self.draft:
            return self.draft[name]
        stored = self.stored or {}
        if self.prefer_stored and name in stored:
            return stored[name]
        try:
            return load_form(self.forms_dir, name)
        except ValueError:
            if name in stored:
                return stored[name]
            raise


def starters_of(properties: dict[str, str]) -> list[str]:
    """The positions that may start the process (property ``starters``, ``;``-separated);
    empty means anyone with a position."""
    return [s.strip() for s in properties.get("starters", "").split(";") if s.strip()]


def check_process(
    session: Session, info: ProcessInfo, filename: str, forms_dir: Path | FormSource
) -> tuple[list[Problem], dict[str, dict]]:  # type: ignore[type-arg]
    """Returns the problems found and the forms the process uses (filename → schema)."""
    problems: list[Problem] = []
    forms: dict[str, dict] = {}  # type: ignore[type-arg]

    def problem(line: int, where: str, message: str) -> None:
        problems.append(Problem(filename, line, where, message))

    where_process = f"proceso '{info.key}'"
    owner = info.properties.get("owner", "")
    if not owner:
        problem(info.line, where_process, "falta la propiedad 'owner' (propietario del proceso)")
    elif not positions_named(session, owner):
        problem(info.line, where_process, f"el propietario '{owner}' no es un cargo del Cuadro")
    for starter in starters_of(info.properties):
        if not positions_named(session, starter):
            problem(info.line, where_process, f"'starters': '{starter}' no es un cargo del Cuadro")
    for lane, line in info.lanes:
        if not positions_named(session, lane):
            problem(line, f"carril '{lane}'", "no nombra un cargo del Cuadro de Personal")
    source = forms_dir if isinstance(forms_dir, FormSource) else FormSource(forms_dir)
    _check_human_tasks(session, info, source, forms, problem)
    _check_service_calls(info, problem)
    _check_code(info, problem)
    _check_properties(info, problem)
    _check_start_form(info, source, forms, problem)
    return problems, forms


def _check_human_tasks(session, info, source, forms, problem) -> None:  # type: ignore[no-untyped-def]
    for task in info.human_tasks:
        if not task.lane:
            problem(task.line, task.label, "no está en un carril (¿qué cargo la realiza?)")
        for prop in (FORM_PROPERTY, UI_FORM_PROPERTY):
            name = task.properties.get(prop)
            if name:
                try:
                    forms[name] = source.load(name)
                except ValueError as exc:
                    problem(task.line, task.label, str(exc))
        if task.tag == "userTask" and not task.properties.get(FORM_PROPERTY):
            problem(task.line, task.label, f"falta la propiedad '{FORM_PROPERTY}'")
        scope_from = task.properties.get("scopeFrom")
        if scope_from is not None and not scope_from.isidentifier():
            problem(
                task.line, task.label, f"'scopeFrom' debe nombrar un campo de datos: '{scope_from}'"
            )
        due = task.properties.get("due")
        if due and not _is_duration(due):
            problem(
                task.line, task.label, f"'due' debe ser una duración ISO 8601 (p. ej. P5D): '{due}'"
            )


def _check_service_calls(info, problem) -> None:  # type: ignore[no-untyped-def]
    for call in info.service_calls:
        try:
            op = get_operation(call.operation)
        except UnknownOperation as exc:
            problem(call.element.line, call.element.label, str(exc))
            continue
        known = set(op.params_schema.get("properties", {}))
        for name in sorted(set(call.parameters) - known):
            problem(
                call.element.line,
                call.element.label,
                f"la operación {op.name} no tiene el parámetro '{name}'",
            )
        for name in sorted(set(op.params_schema.get("required", [])) - set(call.parameters)):
            problem(
                call.element.line,
                call.element.label,
                f"falta el parámetro obligatorio '{name}' de {op.name}",
            )


def _check_code(info, problem) -> None:  # type: ignore[no-untyped-def]
    for code in info.code:
        try:
            (check_script if code.kind == "script" else check_expression)(code.source)
        except SandboxError as exc:
            problem(code.line, f"elemento {code.element_id}", str(exc))


def _check_start_form(info, source, forms, problem) -> None:  # type: ignore[no-untyped-def]
    """``startForm`` (and ``startUiForm``): what the starter fills in — the process's entradas."""
    for prop in (START_FORM_PROPERTY, START_UI_FORM_PROPERTY):
        name = info.properties.get(prop)
        if name:
            try:
                forms[name] = source.load(name)
            except ValueError as exc:
                problem(info.line, f"proceso '{info.key}'", f"{prop}: {exc}")


def _check_properties(info, problem) -> None:  # type: ignore[no-untyped-def]
    human_ids = {t.id for t in info.human_tasks}
    for pair in filter(None, info.properties.get("separate_duties", "").split(";")):
        ids = [i.strip() for i in pair.split(",")]
        unknown = [i for i in ids if i not in human_ids]
        if len(ids) != 2 or unknown:
            problem(
                info.line,
                f"proceso '{info.key}'",
                f"'separate_duties' debe nombrar pares de tareas humanas: '{pair}'",
            )
    due = info.properties.get("default_due")
    if due and not _is_duration(due):
        problem(info.line, f"proceso '{info.key}'", f"'default_due' no es una duración: '{due}'")


def _is_duration(value: str) -> bool:
    try:
        TimerEventDefinition.parse_iso_duration(value)
    except Exception:
        return False
    return value.upper().startswith("P")
