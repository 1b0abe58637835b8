"""JSON-Schema errors of a submitted form, as the person filling it should read them:
which field, and why, in Spanish."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from engine.errors import ValidationError

_FORMATS = Draft202012Validator.FORMAT_CHECKER
_TYPES = {
    "string": "un texto",
    "integer": "un número entero",
    "number": "un número",
    "boolean": "sí o no",
    "array": "una lista",
    "object": "un grupo de campos",
}
_FORMAT_NAMES = {
    "date": "una fecha (aaaa-mm-dd)",
    "email": "un correo electrónico",
    "date-time": "una fecha y hora",
}


def check_form(schema: dict[str, Any], data: dict[str, Any]) -> None:
    """Raises ValidationError(field, Spanish reason) for the first error, in field order."""
    errors = sorted(
        _validator(schema).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]
    )
    if errors:
        raise ValidationError(field_of(errors[0]), spanish(errors[0]))


_VALIDATORS: dict[int, tuple[Any, Draft202012Validator]] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """One validator per form schema of a loaded definition (they never change)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        if len(_VALIDATORS) >= 1024:
            _VALIDATORS.clear()
        validator = Draft202012Validator(schema, format_checker=_FORMATS)
        cached = _VALIDATORS[id(schema)] = (schema, validator)
    return cached[1]


def field_of(error: SchemaError) -> str:
    """The form field an error is about (for a missing one, the missing name)."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        path.append(next(r for r in error.validator_value if r not in error.instance))
    elif error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        path.append(extra[0] if extra else "data")
    return ".".join(path) or "data"


def _type(value: Any) -> str:
    kinds = value if isinstance(value, list) else [value]
    return "debe ser " + " o ".join(_TYPES.get(k, k) for k in kinds)


_MESSAGES = {
    "required": lambda v: "es obligatorio",
    "type": _type,
    "enum": lambda v: "debe ser una de las opciones del formulario",
    "const": lambda v: "debe ser una de las opciones del formulario",
    "minLength": lambda v: (
        "no puede quedar vacío" if v == 1 else f"necesita al menos {v} caracteres"
    ),
    "maxLength": lambda v: f"admite hasta {v} caracteres",
    "pattern": lambda v: "no tiene el formato esperado",
    "format": lambda v: f"debe ser {_FORMAT_NAMES.get(v, v)} válida",
    "minimum": lambda v: f"debe ser mayor o igual que {v}",
    "exclusiveMinimum": lambda v: f"debe ser mayor que {v}",
    "maximum": lambda v: f"debe ser menor o igual que {v}",
    "exclusiveMaximum": lambda v: f"debe ser menor que {v}",
    "additionalProperties": lambda v: "no es un campo de este formulario",
    "minItems": lambda v: f"admite al menos {v} elementos",
    "maxItems": lambda v: f"admite hasta {v} elementos",
}


def spanish(error: SchemaError) -> str:
    message = _MESSAGES.get(str(error.validator))
    return message(error.validator_value) if message else "valor no válido"
