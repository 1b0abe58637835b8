"""Saving and loading a workflow's state without its spec.

SpiffWorkflow's serializer writes the whole process spec into every saved workflow and
rebuilds it on every load. Specs never change for a published definition, so we keep them
parsed in memory (engine.definitions.store) and store only the instance's own state: the
task tree, data and subprocesses. ``FORMAT`` versions this layout; the golden fixtures in
tests/fixtures/ make sure a library upgrade cannot silently lose task data.
"""

from __future__ import annotations

import json
import zlib
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.definitions.spiff import serializer_config
from engine.definitions.store import LoadedDefinition

FORMAT = "juntos-1"
_DEFINITION: ContextVar[LoadedDefinition] = ContextVar("definition")


class InstanceConverter(BpmnWorkflowConverter):
    """BpmnWorkflow ⇄ dict, leaving the spec out (it comes from the loaded definition)."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        definition = _DEFINITION.get()
        workflow = self.target_class(
            definition.spec, definition.subprocess_specs, deserializing=True
        )
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry():  # type: ignore[no-untyped-def]
    config = serializer_config()
    config[BpmnWorkflow] = InstanceConverter
    return BpmnWorkflowSerializer.configure(config)


_SERIALIZER = BpmnWorkflowSerializer(_registry())


def to_state(workflow: BpmnWorkflow) -> dict[str, Any]:
    dct = _SERIALIZER.to_dict(workflow)
    dct["format"] = FORMAT
    return dct


def from_state(state: dict[str, Any], definition: LoadedDefinition) -> BpmnWorkflow:
    state = dict(state)
    fmt = state.pop("format", None)
    if fmt != FORMAT:
        raise ValueError(f"unknown workflow state format {fmt!r}")
    token = _DEFINITION.set(definition)
    try:
        return _SERIALIZER.from_dict(state)
    finally:
        _DEFINITION.reset(token)


def pack(state: dict[str, Any]) -> bytes:
    """Compact JSON, zlib-compressed: a finished instance keeps about a sixth of its size."""
    return zlib.compress(json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode(), 6)


def unpack(blob: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(blob))


def dump(workflow: BpmnWorkflow) -> bytes:
    return pack(to_state(workflow))


def load(blob: bytes, definition: LoadedDefinition) -> BpmnWorkflow:
    return from_state(unpack(blob), definition)
