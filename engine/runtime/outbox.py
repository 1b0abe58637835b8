"""The outbox of service calls: which ``service_call`` rows are due to go to a worker.

A step writes its service calls as rows in its own transaction (``advance``); committing them
is the whole hand-off — no web request or command talks to the broker. The relay
(``engine.jobs.relay``, scheduled by the beat every ``RELAY_SECONDS``) takes the due rows and
sends each to the workers. Taking a row leases it: its ``next_attempt_at`` moves ``LEASE``
ahead, so it is not sent again while a worker has it; a row still pending when its lease
ends (a worker died, the broker lost the message, the instance was suspended) is due again.
A failure's backoff is the same column (``service_calls``). Sending a call twice is harmless:
``service_calls.execute`` runs it under the instance's lock and skips a finished call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.runtime.models import ServiceCall

LEASE = timedelta(seconds=60)
BATCH = 500

_calls = ServiceCall.__table__
_DUE = (
    select(_calls.c.id)
    .where(_calls.c.state == "pending", _calls.c.next_attempt_at <= bindparam("now"))
    .order_by(_calls.c.next_attempt_at, _calls.c.id)
    .limit(bindparam("limit"))
)
# PostgreSQL: relays of several workers take disjoint rows; SQLite ignores it (one writer).
_TAKE = _DUE.with_for_update(skip_locked=True)
_LEASE = (
    update(_calls)
    .where(_calls.c.id.in_(bindparam("ids", expanding=True)), _calls.c.state == "pending")
    .values(next_attempt_at=bindparam("until"))
)


def any_due(session: Session, now: datetime | None = None) -> bool:
    """Whether a call is due: a read, so that an idle relay never takes SQLite's write lock."""
    row = session.execute(_DUE, {"now": now or utcnow(), "limit": 1}).first()
    return row is not None


def take_due(session: Session, now: datetime | None = None, limit: int = BATCH) -> list[int]:
    """The due calls, oldest first, each leased until ``now + LEASE``. Call in a write
    transaction and send the ids after it commits."""
    now = now or utcnow()
    ids = list(session.scalars(_TAKE, {"now": now, "limit": limit}))
    if ids:
        session.execute(_LEASE, {"ids": ids, "until": now + LEASE})
    return ids
