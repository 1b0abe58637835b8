"""``juntos instances`` and ``juntos tasks``: the same engine calls the web app makes, with
the same permission checks, acting as a given user (``--as LOGIN``)."""

from __future__ import annotations

import json
from typing import Any

import click

from engine import runtime
from engine.cli.context import CliContext, pass_ctx
from engine.runtime.render import instance_dict, task_dict

AS_OPTION = click.option("--as", "login", required=True, help="Usuario que actúa.")


def _json_arg(value: str | None, name: str) -> dict[str, Any]:
    if not value:
        return {}
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"no es JSON válido: {exc.msg}", param_hint=name) from None
    if not isinstance(data, dict):
        raise click.BadParameter("debe ser un objeto JSON", param_hint=name)
    return data


@click.group()
def instances() -> None:
    """Instancias de procesos."""


@instances.command("start")
@click.argument("key")
@click.option("--data", default=None, help="Datos iniciales (objeto JSON).")
@click.option("--scope", default=None, help="Código de la unidad (p. ej. UT-CAJ).")
@AS_OPTION
@pass_ctx
def instances_start(
    ctx: CliContext, key: str, data: str | None, scope: str | None, login: str
) -> None:
    """Inicia el proceso KEY e imprime el id de la instancia."""
    with ctx.transaction(write=True) as session:
        actor = runtime.actor_for_login(session, login)
        run = runtime.start_instance(session, key, actor, _json_arg(data, "--data"), scope=scope)
        instance_id = run.instance.id
    click.echo(instance_id)


@instances.command("show")
@click.argument("instance_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json")
@pass_ctx
def instances_show(ctx: CliContext, instance_id: int, fmt: str) -> None:
    """La instancia con sus tareas, llamadas de servicio, incidentes e historia."""
    with ctx.transaction() as session:
        body = instance_dict(runtime.instance_detail(session, instance_id), ctx.db)
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))


def _instance_action(name: str, func_name: str, help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("instance_id", type=int)
    @click.option("--reason", default="", help="Motivo (queda en la auditoría).")
    @AS_OPTION
    @pass_ctx
    def command(ctx: CliContext, instance_id: int, reason: str, login: str) -> None:
        with ctx.transaction(write=True) as session:
            actor = runtime.actor_for_login(session, login)
            getattr(runtime, func_name)(session, instance_id, actor, reason)
        click.echo(f"instancia {instance_id}: {name}")

    return command


for _name, _func, _help in (
    ("suspend", "suspend", "Suspende la instancia."),
    ("resume", "resume", "Reanuda la instancia."),
    ("cancel", "cancel", "Cancela la instancia."),
):
    instances.add_command(_instance_action(_name, _func, _help))


@click.group()
def tasks() -> None:
    """Tareas humanas."""


@tasks.command("list")
@AS_OPTION
@click.option("--scope", type=click.Choice(["all", "mine", "available"]), default="all")
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json")
@pass_ctx
def tasks_list(ctx: CliContext, login: str, scope: str, fmt: str) -> None:
    """Las tareas del usuario: asignadas a él y disponibles para sus cargos."""
    with ctx.transaction() as session:
        actor = runtime.actor_for_login(session, login)
        items = [task_dict(t) for t in runtime.tasks_for(session, actor, scope=scope)]
    click.echo(json.dumps(items, ensure_ascii=False, indent=2))


def _task_action(name: str, func: str, help_text: str, done: str) -> click.Command:
    """``juntos tasks NAME TASK_ID --as LOGIN`` for the engine call ``runtime.FUNC``."""

    @click.command(name, help=help_text)
    @click.argument("task_id", type=int)
    @AS_OPTION
    @pass_ctx
    def command(ctx: CliContext, task_id: int, login: str) -> None:
        with ctx.transaction(write=True) as session:
            getattr(runtime, func)(session, task_id, runtime.actor_for_login(session, login))
        click.echo(f"tarea {task_id} {done} ({login})")

    return command


for _args in (
    ("claim", "claim", "Toma la tarea.", "tomada"),
    ("unclaim", "unclaim", "Libera la tarea.", "liberada"),
    (
        "take-over",
        "take_over",
        "Asume la tarea de un subordinado (un superior en la línea de mando).",
        "asumida",
    ),
):
    tasks.add_command(_task_action(*_args))


@tasks.command("reassign")
@click.argument("task_id", type=int)
@click.option("--to", "to_login", default=None, help="Nuevo responsable (vacío: a la bandeja).")
@AS_OPTION
@pass_ctx
def tasks_reassign(ctx: CliContext, task_id: int, to_login: str | None, login: str) -> None:
    """Reasigna la tarea (un superior en la línea de mando)."""
    with ctx.transaction(write=True) as session:
        runtime.reassign(session, task_id, runtime.actor_for_login(session, login), to_login)
    click.echo(f"tarea {task_id} reasignada")


@tasks.command("complete")
@click.argument("task_id", type=int)
@click.option("--data", default=None, help="Datos del formulario (objeto JSON).")
@AS_OPTION
@pass_ctx
def tasks_complete(ctx: CliContext, task_id: int, data: str | None, login: str) -> None:
    """Completa la tarea con los datos del formulario."""
    with ctx.transaction(write=True) as session:
        runtime.complete(
            session, task_id, runtime.actor_for_login(session, login), _json_arg(data, "--data")
        )
    click.echo(f"tarea {task_id} completada")


@instances.command("message")
@click.argument("instance_id", type=int)
@click.argument("name")
@click.option("--data", default=None, help="Contenido del mensaje (objeto JSON).")
@AS_OPTION
@pass_ctx
def instances_message(
    ctx: CliContext, instance_id: int, name: str, data: str | None, login: str
) -> None:
    """Entrega el mensaje NAME (p. ej. la respuesta de la Entidad Pagadora) a la instancia."""
    with ctx.transaction(write=True) as session:
        actor = runtime.actor_for_login(session, login)
        runtime.deliver_message(session, instance_id, name, _json_arg(data, "--data"), actor)
    click.echo(f"mensaje '{name}' entregado a la instancia {instance_id}")


@click.group()
def incidents() -> None:
    """Incidentes: lo que el motor no pudo hacer solo (los atiende el propietario)."""


@incidents.command("retry")
@click.argument("incident_id", type=int)
@AS_OPTION
@pass_ctx
def incidents_retry(ctx: CliContext, incident_id: int, login: str) -> None:
    """Vuelve a intentar la llamada de servicio del incidente."""
    with ctx.transaction(write=True) as session:
        runtime.retry_incident(session, incident_id, runtime.actor_for_login(session, login))
    click.echo(f"incidente {incident_id}: reintento en cola")


@incidents.command("resolve")
@click.argument("incident_id", type=int)
@click.option("--result", required=True, help="Resultado de la operación (objeto JSON).")
@click.option("--note", required=True, help="Cómo se resolvió (queda en la auditoría).")
@AS_OPTION
@pass_ctx
def incidents_resolve(
    ctx: CliContext, incident_id: int, result: str, note: str, login: str
) -> None:
    """Resuelve el incidente a mano: RESULT completa la tarea de servicio."""
    with ctx.transaction(write=True) as session:
        runtime.resolve_incident(
            session,
            incident_id,
            runtime.actor_for_login(session, login),
            _json_arg(result, "--result"),
            note,
        )
    click.echo(f"incidente {incident_id}: resuelto")
