"""Who is acting: a user with the positions they hold today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from engine.clock import today
from engine.errors import NotFound, PermissionDenied
from engine.org import Holding, holdings, roles, user_by_login
from engine.org.models import Position, User


@dataclass(frozen=True)
class Actor:
    user_id: int
    login: str
    is_admin: bool
    holdings: tuple[Holding, ...]

    @property
    def positions(self) -> list[Position]:
        return [h.position for h in self.holdings]


def actor_for_user(session: Session, user: User, on: date | None = None) -> Actor:
    return Actor(
        user.id, user.login, user.is_admin, tuple(holdings(session, user.id, on or today()))
    )


def actor_for_login(session: Session, login: str, on: date | None = None) -> Actor:
    user = user_by_login(session, login)
    if not user.is_active:
        raise NotFound(f"el usuario '{login}' está desactivado")
    return actor_for_user(session, user, on)


class ReadOnlyAuditor(PermissionDenied):
    """The auditors of the OCI read; they never change an instance, task or definition."""


def is_auditor(actor: Actor) -> bool:
    return roles.is_auditor(actor.positions)


def require_writer(actor: Actor | None) -> None:
    """Refuses any change by an auditor of the OCI (checked by every audited write)."""
    if actor is not None and is_auditor(actor):
        raise ReadOnlyAuditor(
            "los auditores del Órgano de Control Institucional solo consultan; no pueden "
            "modificar procesos, instancias ni tareas"
        )
