"""The operations that service tasks call, by name (``padron.*``, ``pagos.*``,
``notificaciones.*``…), each with a JSON Schema for its parameters.

Domains register their operations with ``@operation``; ``engine.services.catalog``
imports them all so that the registry is complete wherever it is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from sqlalchemy.orm import Session

from engine.errors import DomainError, ValidationError


class UnknownOperation(DomainError):
    pass


@dataclass
class OperationContext:
    """What an operation gets besides its parameters. It writes through ``session`` only:
    its writes commit together with the completion of the service task."""

    session: Session
    idempotency_key: str
    instance_id: int
    scope_unit_id: int | None
    report_progress: Callable[[int, int], None]
    element_id: str = ""


OperationFunc = Callable[[OperationContext, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    name: str
    func: OperationFunc
    params_schema: dict[str, Any]
    description: str

    def __post_init__(self) -> None:  # built once: every queued call checks its params
        object.__setattr__(self, "_validator", Draft202012Validator(self.params_schema))

    def check_params(self, params: dict[str, Any]) -> None:
        try:
            self._validator.validate(params)  # type: ignore[attr-defined]
        except SchemaError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or "(parámetros)"
            raise ValidationError(f"{self.name}.{where}", exc.message) from None


_REGISTRY: dict[str, Operation] = {}


def operation(
    name: str, *, params_schema: dict[str, Any], description: str, once: bool = False
) -> Callable[[OperationFunc], OperationFunc]:
    """Registers an operation. With ``once``, its result is kept under the call's idempotency
    key and a call reached again with that key returns it (``engine.services.results``)."""
    Draft202012Validator.check_schema(params_schema)

    def register(func: OperationFunc) -> OperationFunc:
        known = _REGISTRY.get(name)
        if known is not None and getattr(known.func, "__wrapped__", known.func) is not func:
            raise ValueError(f"operation {name} registered twice")
        if once:
            from engine.services.results import once_per_key  # it builds on this module

            _REGISTRY[name] = Operation(name, once_per_key(name, func), params_schema, description)
        else:
            _REGISTRY[name] = Operation(name, func, params_schema, description)
        return func

    return register


def get_operation(name: str) -> Operation:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownOperation(f"la operación '{name}' no está registrada") from None


def registered_operations() -> list[Operation]:
    return sorted(_REGISTRY.values(), key=lambda op: op.name)
