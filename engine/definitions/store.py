"""Parsed specs of published definitions, cached per process (definitions never change)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, object_session

from engine.definitions.deploy import spiff_parse
from engine.definitions.inspect import NS, lane_of_elements
from engine.definitions.models import ProcessDefinition
from engine.definitions.xml import parse_untrusted


@dataclass(frozen=True)
class LoadedDefinition:
    id: int
    key: str
    version: int
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    forms: dict[str, Any]
    properties: dict[str, str]
    lanes: dict[str, str]  # element id → the lane that lists it (its flowNodeRef)

    def lane_of(self, element_id: str, spiff_lane: str | None) -> str:
        """The lane the diagram puts an element in. SpiffWorkflow gives the children of an
        embedded subprocess the subprocess's lane; the diagram (and the deploy checks) say
        which lane lists each child."""
        return self.lanes.get(element_id) or spiff_lane or ""

    @property
    def separated_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for pair in filter(None, self.properties.get("separate_duties", "").split(";")):
            a, b = (x.strip() for x in pair.split(","))
            pairs.append((a, b))
        return pairs


# (database, definition id) → parsed definition: one worker or test run may use several databases
_CACHE: dict[tuple[str, int], LoadedDefinition] = {}
_CACHE_SIZE = 256


def _database(session: Session) -> str:
    return str(session.get_bind().url)


def load_by_id(session: Session, definition_id: int) -> LoadedDefinition:
    """The parsed definition, without a query when this process has it already."""
    loaded = _CACHE.get((_database(session), definition_id))
    return loaded if loaded is not None else load(session.get(ProcessDefinition, definition_id))


_LATEST_ID = (
    select(ProcessDefinition.id)
    .where(ProcessDefinition.key == bindparam("key"))
    .order_by(ProcessDefinition.version.desc())
    .limit(1)
)


def load_latest(session: Session, key: str) -> LoadedDefinition | None:
    """The latest version of process ``key``, parsed; reads only its id when this process
    has it already (not the BPMN source and forms of the row)."""
    definition_id = session.execute(_LATEST_ID, {"key": key}).scalar()
    return None if definition_id is None else load_by_id(session, definition_id)


def load(definition: ProcessDefinition) -> LoadedDefinition:
    """The parsed definition; parsed once per process, as definitions are immutable."""
    session = object_session(definition)
    cache_key = (_database(session) if session else "", definition.id)
    loaded = _CACHE.get(cache_key)
    if loaded is not None and (loaded.key, loaded.version) != (definition.key, definition.version):
        loaded = None  # the same id in another database
    if loaded is None:
        root = parse_untrusted(definition.source.encode("utf-8"), definition.filename)
        parser = spiff_parse(root, definition.filename, validate=False)
        loaded = LoadedDefinition(
            definition.id,
            definition.key,
            definition.version,
            parser.get_spec(definition.key),
            parser.get_subprocess_specs(definition.key),
            json.loads(definition.forms),
            json.loads(definition.properties),
            _lanes(root, definition.key),
        )
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[cache_key] = loaded
    return loaded


def _lanes(root: etree._Element, key: str) -> dict[str, str]:
    process = root.find(f"./bpmn:process[@id='{key}']", NS)
    return lane_of_elements(process) if process is not None else {}
