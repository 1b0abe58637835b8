"""The rules that give each hogar its incentive, read at run time from a JSON decision table
(``data/reglas-incentivo.json``, or the file named by ``JUNTOS_PAGOS_REGLAS``) so that they
change without code; a liquidation keeps the rules it used.

Hit policy FIRST: for the period being liquidated, the first rule whose conditions
(``nuevo_afiliado``, ``resultado``) match gives the amount; then ``atrasos`` adds earlier
periods not yet paid (a payment may cover more than one period, V.2 11). The table becomes
one SQL ``CASE`` — it is applied set-based, never per row in Python.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import ColumnElement, and_, case, literal, true

from engine.errors import ValidationError
from engine.padron.records import RESULTADOS

DEFAULT_RULES = Path(__file__).parent / "data" / "reglas-incentivo.json"
PERIODO = re.compile(r"^(\d{4})-B([1-6])$")
_MONTO = {"type": "integer", "minimum": 0, "maximum": 10_000_000}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["incentivo_base_centimos", "reglas", "atrasos"],
    "properties": {
        "incentivo_base_centimos": _MONTO,
        "reglas": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["monto_centimos"],
                "additionalProperties": False,
                "properties": {
                    "nuevo_afiliado": {"type": "boolean"},
                    "resultado": {"enum": list(RESULTADOS)},
                    "monto_centimos": _MONTO,
                    "nota": {"type": "string"},
                },
            },
        },
        "atrasos": {
            "type": "object",
            "required": ["periodos_atras", "si_resultado_actual", "resultados_pendientes"],
            "properties": {
                "periodos_atras": {"type": "integer", "minimum": 0, "maximum": 6},
                "si_resultado_actual": {"type": "array", "items": {"enum": list(RESULTADOS)}},
                "resultados_pendientes": {"type": "array", "items": {"enum": list(RESULTADOS)}},
                "monto_centimos": _MONTO,
                "nota": {"type": "string"},
            },
        },
    },
}


def check_periodo(periodo: str) -> str:
    if not PERIODO.match(periodo or ""):
        raise ValidationError("periodo", f"'{periodo}' no es un bimestre AAAA-Bn (n de 1 a 6)")
    return periodo


def anteriores(periodo: str, n: int) -> list[str]:
    """The ``n`` bimestres before ``periodo``, nearest first: 2026-B1 → 2025-B6, 2025-B5…"""
    match = PERIODO.match(check_periodo(periodo))
    assert match is not None
    index = int(match[1]) * 6 + int(match[2]) - 1
    return [f"{(i // 6):04d}-B{i % 6 + 1}" for i in range(index - 1, index - 1 - n, -1)]


def load_rules(path: Path | str | None = None) -> dict[str, Any]:
    source = Path(path or os.environ.get("JUNTOS_PAGOS_REGLAS") or DEFAULT_RULES)
    try:
        rules = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError("reglas", f"{source}: {exc}") from None
    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(rules), key=str)
    if errors:
        where = ".".join(str(p) for p in errors[0].absolute_path) or "(raíz)"
        raise ValidationError("reglas", f"{source}: {where}: {errors[0].message}")
    return rules


def amount_case(
    rules: dict[str, Any], nuevo: ColumnElement[bool], resultado: ColumnElement[str]
) -> ColumnElement[int]:
    """The decision table as one CASE over the cierre's columns (first match wins)."""
    whens = []
    for rule in rules["reglas"]:
        conditions = []
        if "nuevo_afiliado" in rule:
            conditions.append(nuevo == rule["nuevo_afiliado"])
        if "resultado" in rule:
            conditions.append(resultado == rule["resultado"])
        whens.append((and_(*conditions) if conditions else true(), rule["monto_centimos"]))
    return case(*whens, else_=literal(0))


def arrears_amount(rules: dict[str, Any]) -> int:
    return int(rules["atrasos"].get("monto_centimos", rules["incentivo_base_centimos"]))
