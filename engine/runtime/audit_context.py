"""Audit events of a run, with the instance's process, version, household and actor filled in."""

from __future__ import annotations

from typing import Any

from engine import audit
from engine.runtime.actors import require_writer
from engine.runtime.store import Run


def record(
    run: Run,
    kind: str,
    *,
    element_id: str | None = None,
    data: dict[str, Any] | None = None,
    position_id: int | None = None,
) -> None:
    require_writer(run.actor)  # every change of a run is recorded here: auditors stop here
    audit.append(
        run.session,
        kind,
        actor_user_id=run.actor.user_id if run.actor else None,
        actor_position_id=position_id,
        process_key=run.instance.process_key,
        process_version=run.instance.process_version,
        instance_id=run.instance.id,
        element_id=element_id,
        household=run.instance.household,
        data=data or {},
    )
