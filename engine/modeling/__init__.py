"""The process owner's modeler: drafts of definitions, validation with the element of each
problem, diff against the published version, publication, roll-back, instance migration
and the diagram's layout fallback. Entry module: import from here."""

from engine.modeling.diagram import ensure_diagram
from engine.modeling.diff import Diff
from engine.modeling.drafts import (
    DraftRefused,
    Finding,
    check,
    diff,
    draft_forms,
    draft_of,
    may_publish,
    publish,
    published,
    require_publisher,
    rollback,
    save_draft,
    versions,
)
from engine.modeling.migration import (
    Migrated,
    MigrationRefused,
    check_migration,
    migrate_instance,
    migration_offer,
)
from engine.modeling.models import ProcessDraft

__all__ = [
    "Diff",
    "DraftRefused",
    "Finding",
    "Migrated",
    "MigrationRefused",
    "ProcessDraft",
    "check",
    "check_migration",
    "diff",
    "draft_forms",
    "draft_of",
    "ensure_diagram",
    "may_publish",
    "migrate_instance",
    "migration_offer",
    "publish",
    "published",
    "require_publisher",
    "rollback",
    "save_draft",
    "versions",
]
