"""History for the auditors of the OCI: read-only queries over every instance, the path
taken, the timeline with data diffs, households, and evidence exports whose hashes
``juntos audit verify --export`` checks offline. Entry module: import from here."""

from engine.history.access import may_read_history, require_history_reader
from engine.history.export import Evidence, export, to_csv, to_pdf
from engine.history.queries import (
    HistoryFilter,
    InstanceHistory,
    Step,
    household_events,
    instance_history,
    instance_ids,
    processes,
    search,
    step_at,
    timeline,
)

__all__ = [
    "Evidence",
    "HistoryFilter",
    "InstanceHistory",
    "Step",
    "export",
    "household_events",
    "instance_history",
    "instance_ids",
    "may_read_history",
    "processes",
    "require_history_reader",
    "search",
    "step_at",
    "timeline",
    "to_csv",
    "to_pdf",
]
