"""``juntos init`` and ``juntos db``: migrations and reference data."""

from __future__ import annotations

import click

from engine import migrate
from engine.cli.context import CliContext, pass_ctx
from engine.definitions import deploy
from engine.org import seed_org
from engine.org.demo import seed_demo_people


@click.command()
@click.option("--no-demo", is_flag=True, help="No crear las personas de demostración.")
@pass_ctx
def init(ctx: CliContext, no_demo: bool) -> None:
    """Migra la base de datos, carga la organización del Manual y las personas demo, y publica
    los diagramas de bpmn/.

    Se puede ejecutar varias veces: lo que ya está no se vuelve a escribir.
    """
    migrate.upgrade(ctx.settings.database_url)
    with ctx.transaction(write=True) as session:
        result = seed_org(session)
        people = 0 if no_demo else seed_demo_people(session)
        deployed = deploy(session, ctx.settings.bpmn_dir, ctx.settings.forms_dir)
    click.echo(
        f"organización: {result.created} registros nuevos, {result.updated} actualizados; "
        f"personas demo nuevas: {people}; "
        f"procesos publicados: {sum(r.created for r in deployed)} nuevos de {len(deployed)}"
    )


@click.group()
def db() -> None:
    """Migraciones de la base de datos (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_ctx
def db_upgrade(ctx: CliContext, revision: str) -> None:
    """Aplica las migraciones hasta REVISION (por defecto, la última)."""
    migrate.upgrade(ctx.settings.database_url, revision)


@db.command("downgrade")
@click.argument("revision")
@pass_ctx
def db_downgrade(ctx: CliContext, revision: str) -> None:
    """Revierte las migraciones hasta REVISION ('base' lo quita todo)."""
    migrate.downgrade(ctx.settings.database_url, revision)
