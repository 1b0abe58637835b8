"""``juntos users``: people, their logins and the positions they hold."""

from __future__ import annotations

from datetime import date, datetime

import click

from engine.cli.context import CliContext, pass_ctx
from engine.cli.output import FORMAT_OPTION, emit
from engine.db import utcnow
from engine.org import add_user, assign, create_token, format_cargo, list_users


class DateParam(click.ParamType):
    """A date as 2026-03-01 or 01/03/2026."""

    name = "fecha"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, date):
            return value
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        self.fail(f"'{value}' no es una fecha (use AAAA-MM-DD o DD/MM/AAAA)", param, ctx)


@click.group()
def users() -> None:
    """Usuarios y los cargos que ocupan."""


@users.command("add")
@click.argument("login")
@click.option("--name", "full_name", required=True, help="Nombre completo.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="JUNTOS_PASSWORD",
    help="Si no se da, se pregunta (o JUNTOS_PASSWORD).",
)
@click.option("--admin", is_flag=True, help="Administrador del sistema.")
@pass_ctx
def users_add(ctx: CliContext, login: str, full_name: str, password: str, admin: bool) -> None:
    """Crea el usuario LOGIN."""
    with ctx.transaction() as session:
        user = add_user(session, login, full_name, password, is_admin=admin)
    click.echo(f"usuario {user.login} creado")


@users.command("assign")
@click.argument("login")
@click.argument("cargo")
@click.option(
    "--from",
    "start",
    type=DateParam(),
    default=lambda: utcnow().date(),
    help="Inicio (por defecto, hoy).",
)
@click.option("--to", "end", type=DateParam(), default=None, help="Fin (inclusive).")
@click.option("--encargo", is_flag=True, help="Encargo temporal en lugar de titularidad.")
@click.option("--reference", default="", help="Documento que lo dispone (p. ej. la RDE).")
@pass_ctx
def users_assign(
    ctx: CliContext,
    *,
    login: str,
    cargo: str,
    start: date,
    end: date | None,
    encargo: bool,
    reference: str,
) -> None:
    """Asigna al usuario LOGIN el cargo número CARGO del Cuadro de Personal."""
    kind = "encargo" if encargo else "titular"
    with ctx.transaction() as session:
        a = assign(session, login, cargo, start, end, kind=kind, reference=reference)
        label = f"{format_cargo(a.position.cargo)} {a.position.denominacion}"
    click.echo(f"{login}: {kind} de {label} desde {start:%d/%m/%Y}")


@users.command("list")
@FORMAT_OPTION
@pass_ctx
def users_list(ctx: CliContext, fmt: str) -> None:
    """Una línea por asignación (o por usuario sin cargo)."""
    rows = []
    with ctx.transaction() as session:
        for u in list_users(session):
            base = (u.login, u.full_name, "sí" if u.is_admin else "no")
            if not u.assignments:
                rows.append((*base, "", "", "", "", "", ""))
            for a in u.assignments:
                rows.append(
                    (
                        *base,
                        format_cargo(a.position.cargo),
                        a.position.denominacion,
                        a.position.unit.code,
                        a.kind,
                        a.start_date.isoformat(),
                        a.end_date.isoformat() if a.end_date else "",
                    )
                )
    emit(
        (
            "login",
            "full_name",
            "admin",
            "cargo",
            "denominacion",
            "unit_code",
            "kind",
            "start_date",
            "end_date",
        ),
        rows,
        fmt,
    )


@users.command("token")
@click.argument("login")
@click.option("--name", required=True, help="Para qué sistema o script es el token.")
@pass_ctx
def users_token(ctx: CliContext, login: str, name: str) -> None:
    """Crea un token de API para LOGIN y lo imprime (solo esta vez)."""
    with ctx.transaction(write=True) as session:
        token = create_token(session, login, name)
    click.echo(token)
