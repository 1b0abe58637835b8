"""Walking a process of bpmn/ through the engine, as the people of the org chart would.

``Walk`` starts an instance and completes its tasks with users who hold the lane's
position; service calls run inline (as the worker would, through the same
``execute_service_call``) and timers fire by moving the clock forward. ``staff`` finds or
creates the user holding a position, so a test names positions, not logins.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from sqlalchemy import select

from engine import runtime
from engine.db import Database, utcnow
from engine.documents import Document, documents_of
from engine.errors import PermissionDenied
from engine.notifications import Notification
from engine.org.models import Assignment, Position, Unit, User
from engine.org.people import add_user, assign
from engine.runtime.coverage import process_coverage
from engine.runtime.render import instance_dict

PASSWORD = "Prueba-Procesos-2026"


def staff(db: Database, denominacion: str, unit: str | None = None, nth: int = 0) -> str:
    """The login of whoever holds the ``nth`` position named ``denominacion`` (in ``unit``),
    creating a user for it when it is vacant."""
    with db.write_transaction() as s:
        query = select(Position).where(Position.denominacion == denominacion)
        if unit:
            query = query.join(Unit, Position.unit_id == Unit.id).where(Unit.code == unit)
        positions = list(s.scalars(query.order_by(Position.cargo)))
        if not positions:
            positions = list(s.scalars(select(Position).where(Position.puesto == denominacion)))
        assert len(positions) > nth, f"no hay cargo '{denominacion}' ({unit or 'todas'})"
        position = positions[nth]
        holder = s.scalar(
            select(User.login)
            .join(Assignment, Assignment.user_id == User.id)
            .where(Assignment.position_id == position.id, Assignment.end_date.is_(None))
        )
        if holder:
            return holder
        login = f"c{position.cargo:04d}"
        add_user(s, login, f"Titular del cargo {position.cargo}", PASSWORD)
        assign(s, login, position.cargo, date(2026, 1, 1))
        return login


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """SpiffWorkflow's timers read ``datetime.now``; make it ``moment`` for a while."""

    class Moved(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    with patch.object(spiff_timer, "datetime", Moved):
        yield


class Walk:
    """One instance of a process, driven step by step."""

    def __init__(
        self,
        db: Database,
        key: str,
        starter: str,
        data: dict[str, Any] | None = None,
        scope: str | None = None,
    ) -> None:
        self.db = db
        with db.write_transaction() as s:
            run = runtime.start_instance(
                s, key, runtime.actor_for_login(s, starter), data, scope=scope
            )
            self.id = run.instance.id
        self.run_services()

    # -- reading ----------------------------------------------------------------------
    def open_tasks(self) -> list[runtime.HumanTask]:
        with self.db.transaction() as s:
            detail = runtime.instance_detail(s, self.id)
            return [t for t in detail.tasks if t.state in ("ready", "claimed")]

    def waiting_at(self) -> list[str]:
        return sorted(t.element_id for t in self.open_tasks())

    def task(self, element_id: str) -> runtime.HumanTask:
        found = [t for t in self.open_tasks() if t.element_id == element_id]
        assert len(found) == 1, f"{element_id}: abiertas {self.waiting_at()}"
        return found[0]

    @property
    def state(self) -> str:
        with self.db.transaction() as s:
            return runtime.instance_detail(s, self.id).instance.state

    @property
    def data(self) -> dict[str, Any]:
        with self.db.transaction() as s:
            return instance_dict(runtime.instance_detail(s, self.id))["data"]

    def documents(self) -> list[Document]:
        with self.db.transaction() as s:
            docs = documents_of(s, self.id)
            s.expunge_all()
            return docs

    def notices(self) -> list[tuple[str, str]]:
        """(recipient, subject) of the notices the instance left, in order."""
        with self.db.transaction() as s:
            query = select(Notification).where(Notification.instance_id == self.id)
            return [(n.recipient, n.subject) for n in s.scalars(query.order_by(Notification.id))]

    def document_kinds(self) -> list[str]:
        return [d.kind for d in self.documents()]

    # -- acting -----------------------------------------------------------------------
    def do(self, element_id: str, login: str, data: dict[str, Any] | None = None) -> Walk:
        """``login`` claims and completes the open task ``element_id`` with ``data``."""
        task_id = self.task(element_id).id
        with self.db.write_transaction() as s:
            actor = runtime.actor_for_login(s, login)
            runtime.claim(s, task_id, actor)
            runtime.complete(s, task_id, actor, data or {})
        self.run_services()
        return self

    def run_services(self) -> None:
        """Runs this instance's pending service calls, as the worker would, until none."""
        for _ in range(100):
            with self.db.transaction() as s:
                pending = list(
                    s.scalars(
                        select(runtime.ServiceCall.id).where(
                            runtime.ServiceCall.instance_id == self.id,
                            runtime.ServiceCall.state == "pending",
                        )
                    )
                )
            if not pending:
                return
            for call_id in pending:
                outcome = runtime.execute_service_call(self.db, call_id)
                assert outcome.status in ("done", "skipped"), (call_id, outcome)
        raise AssertionError("service calls keep coming")

    def pass_time(self, delta: timedelta) -> Walk:
        """Fires the timers due ``delta`` from now (SpiffWorkflow's timer clock moved too)."""
        later = utcnow() + delta
        with clock_at(later), self.db.write_transaction() as s:
            runtime.fire_timers(s, self.id, later)
        self.run_services()
        return self

    def message(self, name: str, payload: dict[str, Any], login: str) -> Walk:
        with self.db.write_transaction() as s:
            runtime.deliver_message(s, self.id, name, payload, runtime.actor_for_login(s, login))
        self.run_services()
        return self

    def refuses(self, element_id: str, login: str) -> None:
        """``login`` (wrong position or out of scope) neither sees, claims nor completes it."""
        task_id = self.task(element_id).id
        with self.db.transaction() as s:
            actor = runtime.actor_for_login(s, login)
            assert task_id not in [t.id for t in runtime.tasks_for(s, actor)]
        for action in (runtime.claim, runtime.complete):
            with pytest.raises(PermissionDenied), self.db.write_transaction() as s:
                action(s, task_id, runtime.actor_for_login(s, login))


def assert_every_branch_walked(db: Database, key: str) -> None:
    """Every element and sequence flow of the latest ``key`` was reached by some instance."""
    with db.transaction() as s:
        (cov,) = process_coverage(s, [key])
    assert not cov.missing_elements and not cov.missing_flows, cov.as_dict()
