"""What the modeler's pickers offer: the org chart's denominaciones (for lanes, owner and
starters), the forms (``forms/``, those the published version carries and the draft's) and the
registered operations with their parameter schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions.models import ProcessDefinition
from engine.definitions.validate import load_form
from engine.org.models import Position
from engine.services.catalog import registered_operations


def catalog(
    session: Session,
    definition: ProcessDefinition,
    forms_dir: Path,
    draft_forms: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``draft_forms``: the forms the owner's draft changes or adds, shown over the others."""
    positions = sorted(set(session.scalars(select(Position.denominacion))))
    forms: dict[str, Any] = dict(json.loads(definition.forms))
    for path in sorted(forms_dir.glob("*.json")) if forms_dir.is_dir() else []:
        try:
            forms[path.name] = load_form(forms_dir, path.name)
        except ValueError:
            continue
    forms.update(draft_forms or {})
    operations = {
        op.name: {"description": op.description, "params_schema": op.params_schema}
        for op in registered_operations()
    }
    return {"positions": positions, "forms": dict(sorted(forms.items())), "operations": operations}
