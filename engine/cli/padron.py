"""``juntos padron``: the padrón de hogares — SISFOH import, household card, synthetic
populations."""

from __future__ import annotations

import getpass
import json
import sys
import time
from datetime import date
from pathlib import Path

import click

from engine import padron
from engine.cli.context import CliContext, pass_ctx
from engine.errors import DomainError
from engine.padron.generate import DEFAULT_AS_OF, generate


@click.group("padron")
def padron_group() -> None:
    """El padrón de hogares (procesos 07 y 08 del Manual)."""


def _echo_rejection(exc: padron.ImportRejected) -> None:
    click.echo(f"Error: {exc}", err=True)
    for error in exc.errors:
        click.echo(f"  {error}", err=True)
    if exc.total > len(exc.errors):
        click.echo(f"  … y {exc.total - len(exc.errors)} error(es) más", err=True)


def _echo_import(result: padron.ImportResult) -> None:
    for f in result.files:
        click.echo(f"{f['archivo']}: {f['codificacion']}, sha256 {f['sha256'][:12]}…")
    if result.already_imported:
        click.echo(f"ya importado como lote {result.batch_id}: no se cambió nada")
        return
    click.echo(f"lote {result.batch_id}:")
    for key, value in result.counts.items():
        click.echo(f"  {key.replace('_', ' ')}: {value}")
    if result.segmentation is not None:
        click.echo("relación de hogares elegibles por Unidad Territorial y provincia:")
        for line in result.segmentation.lines():
            click.echo(f"  {line}")


@padron_group.command("import-sisfoh")
@click.argument("hogares", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("miembros", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "login", default=None, help="Usuario que importa (queda en el lote).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_ctx
def import_sisfoh(
    ctx: CliContext, hogares: Path, miembros: Path, login: str | None, fmt: str
) -> None:
    """Importa la relación de hogares del SISFOH (HOGARES.csv y MIEMBROS.csv), hace la
    primera validación e imprime la segmentación de los hogares elegibles.

    Todo o nada: si una fila está mal no se aplica ninguna, y se listan todos los errores."""
    who = login or f"cli:{getpass.getuser()}"
    try:
        with ctx.db.write_transaction() as session:
            result = padron.import_sisfoh(session, hogares, miembros, imported_by=who)
    except padron.ImportRejected as exc:
        _echo_rejection(exc)
        sys.exit(1)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        _echo_import(result)


@padron_group.command("show")
@click.argument("co_hogar")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_ctx
def show(ctx: CliContext, co_hogar: str, fmt: str) -> None:
    """Un hogar con sus miembros, su estado y su historial de estados."""
    with ctx.transaction() as session:
        card = padron.household_card(session, co_hogar)
        body = card.as_dict() if fmt == "json" else card.lines()
    if fmt == "json":
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(body))


@padron_group.command("generate")
@click.option("--households", type=click.IntRange(min=1), required=True, help="Número de hogares.")
@click.option("--seed", type=int, required=True, help="Semilla: la misma da los mismos archivos.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=DEFAULT_AS_OF.isoformat(),
    show_default=True,
    help="Día al que se refieren edades y vigencias.",
)
def generate_command(households: int, seed: int, out_dir: Path, as_of: object) -> None:
    """Escribe hogares.csv y miembros.csv de una población sintética (personas inventadas)."""
    day = as_of.date() if hasattr(as_of, "date") else date.fromisoformat(str(as_of))
    start = time.perf_counter()
    counts = generate(households, seed, out_dir, as_of=day)
    click.echo(
        f"{counts.hogares} hogares y {counts.miembros} miembros en {out_dir} "
        f"({time.perf_counter() - start:.1f} s)"
    )
