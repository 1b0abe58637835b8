"""Incidents: what the engine could not do alone. The process owner retries or resolves."""

from __future__ import annotations

import json

from engine.runtime.audit_context import record
from engine.runtime.models import Incident, ServiceCall
from engine.runtime.store import Run


def open_incident(run: Run, call: ServiceCall | None, error: str, stack: str) -> Incident:
    incident = Incident(
        instance_id=run.instance.id,
        service_call_id=call.id if call else None,
        element_id=call.element_id if call else "",
        error=error[:4000],
        stack=stack[-8000:],
        params=call.params if call else "{}",
    )
    run.session.add(incident)
    run.instance.incident_open = True
    run.session.flush()
    record(
        run,
        "incident.opened",
        element_id=incident.element_id,
        data={
            "incident": incident.id,
            "error": incident.error,
            "params": json.loads(incident.params),
        },
    )
    return incident
