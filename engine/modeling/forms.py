"""The forms a draft carries: checked as untrusted input before anything is written (names,
sizes, depth, JSON Schema 2020-12), and compared with the published version's forms field
by field."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from engine.errors import ValidationError

MAX_FORMS = 50
MAX_FORM_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024  # all the forms of one draft
MAX_DEPTH = 24
# A file name of forms/: no directories, no leading dot, nothing but a plain name ending .json
FORM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*\.json$")
MAX_NAME = 100


def _depth(value: Any) -> int:
    """The nesting depth of a JSON value, without recursion (a hostile value may be deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(node, dict):
            node = list(node.values())
        children = node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


def field_of(path: Any) -> str:
    """The form field a schema location is about: ``properties/a/properties/b/type`` → ``a.b``."""
    parts = list(path)
    names = [
        str(parts[i + 1])
        for i, part in enumerate(parts[:-1])
        if part == "properties" and (i == 0 or parts[i - 1] != "properties")
    ]
    return ".".join(names)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or len(name) > MAX_NAME or not FORM_NAME.match(name):
        shown = name if isinstance(name, str) else repr(name)
        raise ValidationError(
            "formularios",
            f"nombre de formulario no válido: '{shown[:MAX_NAME]}' (solo letras, números, "
            "'-', '_' y puntos, sin carpetas, terminado en .json)",
        )
    return name


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def check_form(name: str, schema: Any) -> dict[str, Any]:
    """One form as the modeler sent it; raises ValidationError naming the form and the field."""
    where = f"formulario '{name}'"
    if not isinstance(schema, dict):
        raise ValidationError(where, "debe ser un objeto JSON (un JSON Schema)")
    if _depth(schema) > MAX_DEPTH:  # before anything walks it recursively
        raise ValidationError(where, f"anida más de {MAX_DEPTH} niveles")
    size = _size(schema)
    if size > MAX_FORM_BYTES:
        raise ValidationError(
            where, f"es demasiado grande ({size // 1024} KB; máximo {MAX_FORM_BYTES // 1024} KB)"
        )
    error = best_match(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema))
    if error is not None:
        location = "/".join(str(p) for p in error.path) or "(raíz)"
        name_of_field = field_of(error.path)
        about = f"campo '{name_of_field}'" if name_of_field else "esquema"
        raise ValidationError(
            where, f"{about}: no es un JSON Schema 2020-12 válido en {location}: {error.message}"
        )
    return schema


def check_forms(forms: Any) -> dict[str, dict[str, Any]]:
    """The forms of a draft ({file name: schema}), every one checked; nothing is kept when one
    fails."""
    if not isinstance(forms, dict):
        raise ValidationError("formularios", "debe ser un objeto {nombre de archivo: esquema}")
    if len(forms) > MAX_FORMS:
        raise ValidationError("formularios", f"son demasiados ({len(forms)}; máximo {MAX_FORMS})")
    checked = {_check_name(name): check_form(name, schema) for name, schema in forms.items()}
    if _size(checked) > MAX_TOTAL_BYTES:
        raise ValidationError(
            "formularios", f"suman más de {MAX_TOTAL_BYTES // (1024 * 1024)} MB entre todos"
        )
    return checked


@dataclass(frozen=True)
class FormChange:
    """A form the new version adds, changes or no longer uses, with the fields that differ."""

    name: str
    status: str  # "añadido", "modificado", "sin uso"
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # top-level keywords: title, required…


def _fields(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def form_changes(before: dict[str, Any], after: dict[str, Any]) -> list[FormChange]:
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None or new is None:
            fields = sorted(_fields(new or old or {}))
            status = "añadido" if old is None else "sin uso"
            changes.append(
                FormChange(name, status, added=fields if old is None else [], removed=[])
            )
            continue
        a, b = _fields(old), _fields(new)
        changes.append(
            FormChange(
                name,
                "modificado",
                added=sorted(set(b) - set(a)),
                removed=sorted(set(a) - set(b)),
                changed=sorted(f for f in set(a) & set(b) if a[f] != b[f]),
                other=sorted(
                    k for k in (set(old) | set(new)) - {"properties"} if old.get(k) != new.get(k)
                ),
            )
        )
    return changes
