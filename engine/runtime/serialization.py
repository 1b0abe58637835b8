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

import orjson
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


def _task_template(state: int, spec: str, internal: str = "") -> str:
    return (
        '"00000000-":{"id":"00000000-","parent":"00000000-","children":["00000000-"],'
        f'"last_state_change":1795936746.9,"state":{state},"task_spec":"{spec}",'
        f'"triggered":false,"internal_data":{{{internal}}},"data":{{}},'
        '"delta":{"updates":{},"deletions":[]},"typename":"Task"}'
    )


# zlib's preset dictionary for saved workflows: the keys and values every one of them
# repeats (a task's fields, its states, Spiff's own task specs). Compression starts from it
# instead of from nothing: about a fifth fewer bytes per instance. NEVER change these bytes:
# stored blobs name their dictionary (its Adler-32, in the zlib header); a new one must be
# added to ``_ZDICTS`` beside this one.
_ZDICT = (
    '{"data":{},"correlations":{},"last_task":"00000000-","success":true,"completed":false,'
    '"tasks":{'
    + ",".join(
        _task_template(state, spec, internal)
        for state, spec, internal in (
            (64, "Start", ""),
            (64, "inicio", '"event_fired":true'),
            (16, "End", ""),
            (8, "EndJoin", ""),
            (4, "fin", ""),
            (32, "", ""),
            (128, "", ""),
            (1, "", ""),
            (2, "", ""),
        )
    )
    + '},"subprocesses":{},"bpmn_events":[],"root":"00000000-","typename":"BpmnWorkflow",'
    '"format":"juntos-1"}'
).encode()
_ZDICTS = {zlib.adler32(_ZDICT): _ZDICT}
_FDICT = 0x20  # the zlib header's flag: a preset dictionary (its Adler-32 follows)


def _json_bytes(state: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON. orjson writes what ``json.dumps`` writes with compact separators
    and ``ensure_ascii=False``, many times faster (json took 0.1 ms of a task completion's
    3–4). Its text is kept only if it reads back equal to ``state``: NaN or an infinity
    (which orjson writes as ``null``), a tuple or a non-string key (which come back
    changed), an integer over 64 bits (which it refuses) go through ``json`` as before."""
    try:
        text = orjson.dumps(state)
        if orjson.loads(text) == state:
            return text
    except orjson.JSONEncodeError:
        pass
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()


def _json_value(text: bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what only json reads: NaN, Infinity
        return json.loads(text)


def pack(state: dict[str, Any]) -> bytes:
    """Compact JSON, zlib-compressed from ``_ZDICT``: a finished instance keeps about an
    eighth of its size."""
    text = _json_bytes(state)
    compressor = zlib.compressobj(6, zdict=_ZDICT)
    return compressor.compress(text) + compressor.flush()


def unpack(blob: bytes) -> dict[str, Any]:
    """Reads what ``pack`` wrote, and the blobs written before it had a dictionary."""
    if len(blob) < 6 or not blob[1] & _FDICT:
        return _json_value(zlib.decompress(blob))
    zdict = _ZDICTS.get(int.from_bytes(blob[2:6], "big"))
    if zdict is None:
        raise ValueError("workflow state compressed with an unknown dictionary")
    decompressor = zlib.decompressobj(zdict=zdict)
    return _json_value(decompressor.decompress(blob) + decompressor.flush())


def dump(workflow: BpmnWorkflow) -> bytes:
    return pack(to_state(workflow))


def load(blob: bytes, definition: LoadedDefinition) -> BpmnWorkflow:
    return from_state(unpack(blob), definition)
