"""``juntos audit``: the audit log, for the Órgano de Control Institucional."""

from __future__ import annotations

import json

import click

from engine.audit import evidence, verify
from engine.cli.context import CliContext, pass_ctx


@click.group()
def audit() -> None:
    """El registro de auditoría: eventos encadenados por hash."""


@audit.command("verify")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--export",
    "export_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Verifica sin base de datos un archivo de evidencia (CSV o PDF exportado).",
)
@pass_ctx
def audit_verify(ctx: CliContext, fmt: str, export_file: str | None) -> None:
    """Recorre toda la cadena; sale con 1 si está rota (alterada, incompleta o desordenada).

    Con --export, verifica el archivo de evidencia en vez de la base de datos."""
    if export_file:
        _verify_file(export_file, fmt)
        return
    with ctx.transaction() as session:
        result = verify(session)
    _report(result, fmt)


def _verify_file(path: str, fmt: str) -> None:
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        rows = evidence.read_file(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: no es un archivo de evidencia ({exc})") from None
    result = evidence.verify_evidence(rows)
    anchor = evidence.anchor_hash(rows)
    if fmt == "text" and result.ok and anchor:
        click.echo(f"ancla (evento de exportación): {anchor}")
    _report(result, fmt, {"anchor_hash": anchor} if fmt == "json" else None)


def _report(result, fmt: str, extra: dict | None = None) -> None:  # type: ignore[no-untyped-def,type-arg]
    if fmt == "json":
        click.echo(json.dumps(result.as_dict() | (extra or {}), ensure_ascii=False, indent=2))
    elif result.ok:
        click.echo(f"cadena íntegra: {result.checked} eventos verificados")
    else:
        click.echo(f"cadena rota en el evento {result.first_bad_seq}: {result.reason}", err=True)
    if not result.ok:
        click.get_current_context().exit(1)
