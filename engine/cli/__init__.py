"""The ``juntos`` command: set up, inspect the org chart, manage people, serve."""

from __future__ import annotations

import click

from engine.cli.audit import audit
from engine.cli.context import CliContext
from engine.cli.org import org
from engine.cli.padron import padron_group
from engine.cli.pagos import entidad_pagadora_group, pagos_group
from engine.cli.processes import deploy_command, processes
from engine.cli.serve import beat, run, web, worker
from engine.cli.setup import db, init
from engine.cli.users import users
from engine.cli.work import incidents, instances, tasks


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """juntos-bpm: el Manual de Operaciones de JUNTOS, ejecutable."""
    ctx.obj = CliContext()


for command in (
    init,
    db,
    org,
    users,
    deploy_command,
    processes,
    instances,
    tasks,
    incidents,
    padron_group,
    pagos_group,
    entidad_pagadora_group,
    audit,
    run,
    web,
    worker,
    beat,
):
    cli.add_command(command)


def main() -> None:
    cli()
