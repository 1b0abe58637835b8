"""``juntos audit``: the audit log, for the Órgano de Control Institucional."""

from __future__ import annotations

import json

import click

from engine.audit import verify
from engine.cli.context import CliContext, pass_ctx


@click.group()
def audit() -> None:
    """El registro de auditoría: eventos encadenados por hash."""


@audit.command("verify")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_ctx
def audit_verify(ctx: CliContext, fmt: str) -> None:
    """Recorre toda la cadena; sale con 1 si está rota (alterada, incompleta o desordenada)."""
    with ctx.transaction() as session:
        result = verify(session)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    elif result.ok:
        click.echo(f"cadena íntegra: {result.checked} eventos verificados")
    else:
        click.echo(f"cadena rota en el evento {result.first_bad_seq}: {result.reason}", err=True)
    if not result.ok:
        click.get_current_context().exit(1)
