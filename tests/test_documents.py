"""The `documentos.emitir` operation: correlative numbers per kind and year, idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from engine.clock import today
from engine.errors import ValidationError
from engine.services.catalog import get_operation
from engine.services.registry import OperationContext


def _ctx(session: Session, key: str) -> OperationContext:
    return OperationContext(session, key, 7, None, lambda done, total: None, "emitir_resolucion")


def test_numbers_are_correlative_per_kind_and_a_redelivery_returns_the_same(
    session: Session,
) -> None:
    op = get_operation("documentos.emitir")
    params = {"tipo": "Resolución de Dirección Ejecutiva", "titulo": "Aprueba la transferencia"}
    first = op.func(_ctx(session, "7:a"), params)
    second = op.func(_ctx(session, "7:b"), {**params, "contenido": {"monto": "2000.00"}})
    other_kind = op.func(_ctx(session, "7:c"), {"tipo": "Informe técnico", "titulo": "Informe"})
    again = op.func(_ctx(session, "7:a"), params)
    year = today().year
    assert first["referencia"] == f"Resolución de Dirección Ejecutiva N° 0001-{year}"
    assert second["referencia"] == f"Resolución de Dirección Ejecutiva N° 0002-{year}"
    assert other_kind["referencia"] == f"Informe técnico N° 0001-{year}"
    assert again == first


def test_parameters_are_checked_against_the_schema() -> None:
    op = get_operation("documentos.emitir")
    with pytest.raises(ValidationError) as err:
        op.check_params({"tipo": "Acta"})
    assert "titulo" in str(err.value)
