"""``juntos pagos``: liquidation and transfer of the incentive (process 11) for operators, and
``juntos entidad-pagadora``: the Entidad Pagadora's simulator (a separate component)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from engine import pagos
from engine.cli.context import CliContext, pass_ctx
from engine.entidad_pagadora import SimuladorEntidadPagadora
from engine.errors import DomainError
from engine.pagos.archivos import ArchivoRechazado

FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")


def _show(result: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    for key, value in result.items():
        click.echo(f"{key.replace('_', ' ')}: {value}")


def _refused(exc: ArchivoRechazado) -> None:
    click.echo(f"Error: {exc.path}: archivo rechazado, no se aplicó nada", err=True)
    for error in exc.errors:
        click.echo(f"  {error}", err=True)
    if exc.total > len(exc.errors):
        click.echo(f"  … y {exc.total - len(exc.errors)} error(es) más", err=True)
    sys.exit(1)


@contextmanager
def _refusals() -> Iterator[None]:
    """A rejected file lists its errors and exits 1; another DomainError exits 1 with its
    message. Nothing was applied in either case."""
    try:
        yield
    except ArchivoRechazado as exc:
        _refused(exc)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("pagos")
def pagos_group() -> None:
    """Liquidación y transferencia del incentivo monetario (proceso 11 del Manual)."""


@pagos_group.command("liquidar")
@click.argument("periodo")
@FORMAT
@pass_ctx
def liquidar(ctx: CliContext, periodo: str, fmt: str) -> None:
    """Cierra el padrón del PERIODO (p. ej. 2026-B6) y liquida: incentivo por hogar, atrasos,
    total de la transferencia. Volver a ejecutarlo no cambia nada."""
    with ctx.transaction(write=True) as session:
        cierre = pagos.cerrar_padron(session, periodo)
        result = pagos.liquidar(session, periodo)
    _show({"cierre": cierre, **result} if fmt == "json" else {**cierre, **result}, fmt)


@pagos_group.command("orden")
@click.argument("periodo")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path))
@FORMAT
@pass_ctx
def orden(ctx: CliContext, periodo: str, directory: Path | None, fmt: str) -> None:
    """Escribe el archivo de orden de pago a la Entidad Pagadora del PERIODO."""
    with _refusals(), ctx.db.write_transaction() as session:
        result = pagos.generar_orden(session, periodo, directorio=directory)
    _show(result, fmt)


@pagos_group.command("respuesta")
@click.argument("periodo")
@click.argument("archivo", type=click.Path(dir_okay=False, path_type=Path))
@FORMAT
@pass_ctx
def respuesta(ctx: CliContext, periodo: str, archivo: Path, fmt: str) -> None:
    """Registra el archivo de respuesta de la Entidad Pagadora: abonado / no abonado por
    hogar. Todo o nada: un archivo con errores se rechaza entero, con la lista de líneas."""
    with _refusals(), ctx.db.write_transaction() as session:
        result = pagos.registrar_respuesta(session, periodo, archivo)
    _show(result, fmt)


@pagos_group.command("conciliacion")
@click.argument("periodo")
@FORMAT
@pass_ctx
def conciliacion(ctx: CliContext, periodo: str, fmt: str) -> None:
    """Informe de conciliación: ordenado, abonado y rechazado, al céntimo (exit 1 si no
    cuadra)."""
    with ctx.transaction(write=True) as session:
        result = pagos.conciliar(session, periodo)
    _show(result, fmt)
    if not result["cuadra"]:
        sys.exit(1)


@click.group("entidad-pagadora")
def entidad_pagadora_group() -> None:
    """Simulador de la Entidad Pagadora: procesa órdenes de pago y escribe respuestas."""


@entidad_pagadora_group.command("procesar")
@click.argument("orden_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--salida", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--rechazo", type=click.FloatRange(0, 1), default=0.02, show_default=True)
def procesar(orden_csv: Path, salida: Path, seed: int, rechazo: float) -> None:
    """Valida ORDEN_CSV (línea final: cantidad, total, sha256) y escribe la respuesta."""
    with _refusals():
        done = SimuladorEntidadPagadora(seed=seed, rechazo=rechazo).procesar(orden_csv, salida)
    click.echo(
        f"{done.respuesta}: {done.lineas} líneas; abonados {done.abonados} "
        f"({pagos.soles(done.abonado_centimos)}); rechazados {done.rechazados} "
        f"({pagos.soles(done.rechazado_centimos)})"
    )
