"""Which BPMN elements and sequence flows the instances of a process have reached.

Read from the stored task trees (no SpiffWorkflow objects are rebuilt): a flow
``source → target`` was taken when a reached task of ``target`` descends from a task of
``source`` with only engine-internal tasks (boundary splits, joins) between them. The
process tests walk every branch and `juntos processes coverage` reports what they reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions import latest_definitions
from engine.definitions.inspect import NS
from engine.definitions.xml import parse_untrusted
from engine.runtime.models import ProcessInstance
from engine.runtime.serialization import unpack

REACHED = {
    TaskState.WAITING,
    TaskState.READY,
    TaskState.STARTED,
    TaskState.COMPLETED,
    TaskState.ERROR,
}
NOT_FLOW_NODES = {
    "laneSet",
    "lane",
    "sequenceFlow",
    "documentation",
    "extensionElements",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "textAnnotation",
    "association",
    "ioSpecification",
    "property",
}


@dataclass
class Coverage:
    key: str
    version: int
    elements: dict[str, str]  # id → name
    gateways: set[str]
    flows: dict[str, tuple[str, str, str]]  # id → (source, target, name)
    instances: int = 0
    reached_elements: set[str] = field(default_factory=set)
    reached_flows: set[str] = field(default_factory=set)

    @property
    def missing_elements(self) -> list[str]:
        return sorted(set(self.elements) - self.reached_elements)

    @property
    def missing_flows(self) -> list[str]:
        return sorted(set(self.flows) - self.reached_flows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "version": self.version,
            "instances": self.instances,
            "elements": len(self.elements),
            "elements_reached": len(self.reached_elements),
            "flows": len(self.flows),
            "flows_reached": len(self.reached_flows),
            "missing_elements": [f"{i} ({self.elements[i]})" for i in self.missing_elements],
            "missing_flows": [_flow_label(i, self.flows[i]) for i in self.missing_flows],
        }


def _flow_label(flow_id: str, flow: tuple[str, str, str]) -> str:
    source, target, name = flow
    return f"{flow_id}: {source} → {target}" + (f" [{name}]" if name else "")


def process_coverage(session: Session, keys: Iterable[str] | None = None) -> list[Coverage]:
    """Coverage of the latest version of each process, over its instances of every version."""
    wanted = set(keys) if keys else None
    report = []
    for definition in latest_definitions(session):
        if wanted is not None and definition.key not in wanted:
            continue
        cov = _shape(definition.key, definition.version, definition.source, definition.filename)
        query = select(ProcessInstance.workflow).where(
            ProcessInstance.process_key == definition.key
        )
        for blob in session.scalars(query.execution_options(yield_per=200)):
            if blob:
                cov.instances += 1
                _reach(cov, unpack(blob))
        report.append(cov)
    return report


def _shape(key: str, version: int, source: str, filename: str) -> Coverage:
    root = parse_untrusted(source.encode("utf-8"), filename)
    process = root.find(f"./bpmn:process[@id='{key}']", NS)
    cov = Coverage(key, version, {}, set(), {})
    for node in process.iter(etree.Element):
        tag = etree.QName(node).localname
        parent_tag = etree.QName(node.getparent()).localname if node is not process else ""
        if node is process or not node.get("id") or parent_tag not in ("process", "subProcess"):
            continue
        if tag == "sequenceFlow":
            cov.flows[node.get("id")] = (
                node.get("sourceRef", ""),
                node.get("targetRef", ""),
                node.get("name") or "",
            )
        elif tag not in NOT_FLOW_NODES:
            cov.elements[node.get("id")] = node.get("name") or tag
            if tag.endswith("Gateway"):
                cov.gateways.add(node.get("id"))
    return cov


def _reach(cov: Coverage, state: dict[str, Any]) -> None:
    trees = [state["tasks"]] + [sub["tasks"] for sub in state.get("subprocesses", {}).values()]
    by_pair = {(s, t): flow_id for flow_id, (s, t, _) in cov.flows.items()}
    for tasks in trees:
        for task in tasks.values():
            name = task["task_spec"]
            if name not in cov.elements:
                continue
            source = _element_above(tasks, task, cov.elements)
            if task["state"] not in REACHED and not _joined_branch(tasks, task, cov):
                continue
            cov.reached_elements.add(name)
            flow_id = by_pair.get((source, name)) if source else None
            if flow_id:
                cov.reached_flows.add(flow_id)


def _joined_branch(tasks: dict[str, Any], task: dict[str, Any], cov: Coverage) -> bool:
    """A join's copy on a branch that arrived before the last one: SpiffWorkflow cancels it,
    but the branch did reach the join."""
    if task["state"] != TaskState.CANCELLED or task["task_spec"] not in cov.gateways:
        return False
    parent = tasks.get(task.get("parent") or "")
    return parent is not None and parent["state"] == TaskState.COMPLETED


def _element_above(
    tasks: dict[str, Any], task: dict[str, Any], elements: dict[str, str]
) -> str | None:
    parent_id = task.get("parent")
    while parent_id:
        parent = tasks.get(parent_id)
        if parent is None:
            return None
        if parent["task_spec"] in elements:
            return parent["task_spec"]
        parent_id = parent.get("parent")
    return None


@dataclass
class Path:
    """The path one instance took: how many times each element ran and each flow was
    followed (loops count each pass; parallel branches each count), and where it waits."""

    elements: dict[str, int] = field(default_factory=dict)
    flows: dict[str, int] = field(default_factory=dict)
    waiting: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {
            "elements": self.elements,
            "flows": self.flows,
            "waiting": sorted(self.waiting),
        }


WAITING_STATES = {TaskState.WAITING, TaskState.READY, TaskState.STARTED}


def instance_path(key: str, source: str, filename: str, state: dict[str, Any]) -> Path:
    """Counts per element and flow of one instance, from its stored task tree."""
    cov = _shape(key, 0, source, filename)
    by_pair = {(s, t): flow_id for flow_id, (s, t, _) in cov.flows.items()}
    path = Path()
    trees = [state["tasks"]] + [sub["tasks"] for sub in state.get("subprocesses", {}).values()]
    for tasks in trees:
        for task in tasks.values():
            name = task["task_spec"]
            if name not in cov.elements or task["state"] not in REACHED:
                continue
            path.elements[name] = path.elements.get(name, 0) + 1
            if task["state"] in WAITING_STATES:
                path.waiting.add(name)
            source_id = _element_above(tasks, task, cov.elements)
            flow_id = by_pair.get((source_id, name)) if source_id else None
            if flow_id:
                path.flows[flow_id] = path.flows.get(flow_id, 0) + 1
    return path
