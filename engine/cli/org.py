"""``juntos org``: the units and positions of the Manual de Operaciones."""

from __future__ import annotations

import click

from engine.cli.context import CliContext, pass_ctx
from engine.cli.output import FORMAT_OPTION, emit
from engine.org import format_cargo, list_positions, list_units


@click.group()
def org() -> None:
    """La organización del Programa (Títulos II a IV del Manual)."""


@org.command("units")
@FORMAT_OPTION
@pass_ctx
def units(ctx: CliContext, fmt: str) -> None:
    """Una línea por unidad: código, nombre, tipo, código de la unidad superior."""
    with ctx.transaction() as session:
        rows = [
            (u.code, u.name, u.kind, u.parent.code if u.parent else "") for u in list_units(session)
        ]
    emit(("code", "name", "kind", "parent_code"), rows, fmt)


@org.command("positions")
@FORMAT_OPTION
@pass_ctx
def positions(ctx: CliContext, fmt: str) -> None:
    """Una línea por cargo: número, denominación, unidad y cargo del supervisor."""
    with ctx.transaction() as session:
        rows = [
            (
                format_cargo(p.cargo),
                p.denominacion,
                p.unit.code,
                p.unit.name,
                format_cargo(p.supervisor.cargo) if p.supervisor else "",
            )
            for p in list_positions(session)
        ]
    emit(("cargo", "denominacion", "unit_code", "unit_name", "supervisor_cargo"), rows, fmt)
