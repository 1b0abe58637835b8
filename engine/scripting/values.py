"""What may leave the sandbox.

Task data is stored as JSON, so a script's variables are written back only as JSON values:
None, bool, str, finite floats and ints (up to about 3,900 digits) as they are; tuples become
lists; dicts need str keys; `Decimal` becomes its exact fixed-point text (`Decimal('12.50')` →
`"12.50"`, read it back with `Decimal(x)`); `date` and `datetime` become ISO 8601 text
(`"2026-03-02"`, `"2026-03-02T10:30:00"`). Anything else (sets, timedeltas, iterators, NaN, …)
is refused, naming the variable.

The value of an expression goes back to SpiffWorkflow unchanged, but it must be plain data:
never a function, generator or iterator, which would run sandboxed code later, outside the
limits.
"""

from __future__ import annotations

import math
from datetime import date, time, timedelta
from decimal import Decimal

from engine.scripting.checker import SandboxError

MAX_DEPTH = 50
MAX_INT_BITS = 13_000  # about 3,900 digits: Python refuses to print ints above 4,300
_PLAIN_SCALARS = (type(None), bool, int, float, complex, str, bytes, Decimal, date, time,
                  timedelta, range)  # fmt: skip
_PLAIN_CONTAINERS = (list, tuple, set, frozenset)


def to_data(name: str, value: object) -> object:
    """`value` of the variable `name` as JSON data; raises SandboxError naming the variable."""
    return _to_data(name, value, 0)


def _to_data(name: str, value: object, depth: int) -> object:
    if depth > MAX_DEPTH:
        raise SandboxError(f"la variable '{name}' está anidada demasiado profundamente")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise SandboxError(f"la variable '{name}' contiene un entero demasiado grande")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_to_data(name, item, depth + 1) for item in value]
    if isinstance(value, dict):
        return _dict_to_data(name, value, depth)
    raise SandboxError(
        f"la variable '{name}' contiene un valor que no se puede guardar ({_describe(value)})"
    )


def _dict_to_data(name: str, value: dict[object, object], depth: int) -> dict[str, object]:
    if not all(isinstance(key, str) for key in value):
        raise SandboxError(f"la variable '{name}' es un diccionario con claves que no son textos")
    return {key: _to_data(name, item, depth + 1) for key, item in value.items()}  # type: ignore[misc]


def _describe(value: object) -> str:
    if isinstance(value, (float, Decimal)):
        return str(value)
    return type(value).__name__


def ensure_plain(value: object, depth: int = 0) -> None:
    """Raises SandboxError unless `value` is plain data (scalars, containers of plain data)."""
    if depth > MAX_DEPTH:
        raise SandboxError("la expresión devolvió un valor anidado demasiado profundamente")
    if isinstance(value, _PLAIN_SCALARS):
        return
    if isinstance(value, _PLAIN_CONTAINERS):
        for item in value:
            ensure_plain(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            ensure_plain(key, depth + 1)
            ensure_plain(item, depth + 1)
        return
    raise SandboxError(f"la expresión devolvió un valor que no es un dato ({type(value).__name__})")
