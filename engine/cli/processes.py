"""``juntos deploy`` and ``juntos processes``: publishing and listing process definitions."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.cli.context import CliContext, pass_ctx
from engine.definitions import deploy, latest_definitions
from engine.definitions.validate import starters_of
from engine.org import user_by_login
from engine.runtime.coverage import process_coverage


@click.command("deploy")
@click.argument("path", type=click.Path(exists=True, path_type=Path), default=Path("bpmn"))
@click.option(
    "--forms",
    "forms_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Carpeta de formularios (por defecto, forms/ junto a PATH).",
)
@click.option("--as", "login", default=None, help="Usuario que publica.")
@pass_ctx
def deploy_command(ctx: CliContext, path: Path, forms_dir: Path | None, login: str | None) -> None:
    """Valida y publica los diagramas de PATH (carpeta o archivo .bpmn)."""
    base = path if path.is_dir() else path.parent
    forms_dir = forms_dir or base.parent / "forms"
    with ctx.transaction(write=True) as session:
        actor = user_by_login(session, login).id if login else None
        results = deploy(session, path, forms_dir, actor)
    for r in results:
        state = "nueva versión" if r.created else "sin cambios"
        click.echo(f"{r.key} v{r.version} ({r.filename}): {state}")


@click.group()
def processes() -> None:
    """Procesos publicados."""


@processes.command("list")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@pass_ctx
def processes_list(ctx: CliContext, fmt: str) -> None:
    """Un objeto por proceso: clave, nombre, última versión, cargo propietario."""
    with ctx.transaction() as session:
        rows = latest_definitions(session)
        items = [
            {
                "key": d.key,
                "name": d.name,
                "version": d.version,
                "owner": d.owner,
                "starters": starters_of(json.loads(d.properties)),
                "manual_section": d.manual_section,
                "sha256": d.sha256,
                "published_at": d.published_at.isoformat(),
            }
            for d in rows
        ]
    if fmt == "json":
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for i in items:
        click.echo(f"{i['key']} v{i['version']}  {i['name']}  — propietario: {i['owner']}")


@processes.command("coverage")
@click.argument("keys", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@pass_ctx
def processes_coverage(ctx: CliContext, keys: tuple[str, ...], fmt: str) -> None:
    """Elementos y flujos BPMN que alcanzaron las instancias de cada proceso (p. ej. las
    recorridas por las pruebas: DATABASE_URL=sqlite:///var/process-walks.sqlite)."""
    with ctx.transaction() as session:
        report = [c.as_dict() for c in process_coverage(session, keys or None)]
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for c in report:
        click.echo(
            f"{c['key']} v{c['version']}: {c['instances']} instancias, "
            f"elementos {c['elements_reached']}/{c['elements']}, "
            f"flujos {c['flows_reached']}/{c['flows']}"
        )
        for missing in c["missing_elements"] + c["missing_flows"]:
            click.echo(f"  sin recorrer: {missing}")
