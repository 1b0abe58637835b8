"""Reads what the engine needs to know from a BPMN document: processes, their owner and
properties, lanes, user tasks and their forms, service tasks and their operations, and
every script or expression (to check them in the sandbox before anything runs)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

EXPRESSION_TAGS = (
    "conditionExpression",
    "timeDuration",
    "timeDate",
    "timeCycle",
    "loopCardinality",
    "completionCondition",
)
HUMAN_TASK_TAGS = ("userTask", "manualTask")


@dataclass(frozen=True)
class Element:
    id: str
    name: str
    tag: str
    line: int
    properties: dict[str, str]
    lane: str | None

    @property
    def label(self) -> str:
        return f"{self.tag} '{self.name or self.id}' (id {self.id})"


@dataclass(frozen=True)
class Code:
    """A script or an expression found in the diagram, with where it stands."""

    element_id: str
    line: int
    kind: str  # "script" or "expression"
    source: str


@dataclass(frozen=True)
class ServiceCall:
    element: Element
    operation: str
    parameters: dict[str, str]  # name → expression


@dataclass
class ProcessInfo:
    key: str
    name: str
    line: int
    executable: bool
    properties: dict[str, str]
    documentation: str
    lanes: list[tuple[str, int]] = field(default_factory=list)
    human_tasks: list[Element] = field(default_factory=list)
    service_calls: list[ServiceCall] = field(default_factory=list)
    code: list[Code] = field(default_factory=list)
    element_ids: set[str] = field(default_factory=set)


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def properties_of(node: etree._Element) -> dict[str, str]:
    props = node.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
    )
    return {p.get("name", ""): p.get("value", "") for p in props}


def lane_of_elements(process: etree._Element) -> dict[str, str]:
    lanes: dict[str, str] = {}
    for lane in process.xpath(".//bpmn:lane", namespaces=NS):
        for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NS):
            lanes[(ref.text or "").strip()] = (lane.get("name") or "").strip()
    return lanes


def _element(node: etree._Element, lanes: dict[str, str]) -> Element:
    return Element(
        node.get("id", ""),
        (node.get("name") or "").strip(),
        _local(node),
        node.sourceline or 0,
        properties_of(node),
        lanes.get(node.get("id", "")),
    )


def _code_in(node: etree._Element) -> list[Code]:
    found: list[Code] = []
    owner = node
    for sub in node.iter():
        if not isinstance(sub.tag, str):
            continue
        name = _local(sub)
        if sub.get("id"):
            owner = sub
        text = (sub.text or "").strip()
        if not text:
            continue
        if name == "script" or (
            etree.QName(sub).namespace == SPIFF_NS and name in ("preScript", "postScript")
        ):
            found.append(Code(owner.get("id", ""), sub.sourceline or 0, "script", text))
        elif name in EXPRESSION_TAGS:
            found.append(Code(owner.get("id", ""), sub.sourceline or 0, "expression", text))
    return found


def _service_call(node: etree._Element, element: Element) -> ServiceCall | None:
    operator = node.find("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
    if operator is None:
        return None
    params = {
        p.get("id", ""): p.get("value", "")
        for p in operator.xpath(".//spiffworkflow:parameter", namespaces=NS)
    }
    return ServiceCall(element, operator.get("id", ""), params)


def inspect_document(root: etree._Element) -> list[ProcessInfo]:
    processes = []
    for proc in root.xpath("./bpmn:process", namespaces=NS):
        doc = proc.find("./bpmn:documentation", NS)
        info = ProcessInfo(
            key=proc.get("id", ""),
            name=(proc.get("name") or "").strip(),
            line=proc.sourceline or 0,
            executable=proc.get("isExecutable") == "true",
            properties=properties_of(proc),
            documentation=(doc.text or "").strip() if doc is not None else "",
        )
        info.lanes = [
            ((lane.get("name") or "").strip(), lane.sourceline or 0)
            for lane in proc.xpath(".//bpmn:lane", namespaces=NS)
        ]
        lanes = lane_of_elements(proc)
        for node in proc.iter():
            if isinstance(node.tag, str) and node.get("id"):
                info.element_ids.add(node.get("id"))
        for node in proc.xpath(".//bpmn:userTask | .//bpmn:manualTask", namespaces=NS):
            info.human_tasks.append(_element(node, lanes))
        for node in proc.xpath(".//bpmn:serviceTask", namespaces=NS):
            call = _service_call(node, _element(node, lanes))
            if call is not None:
                info.service_calls.append(call)
                info.code.extend(
                    Code(call.element.id, call.element.line, "expression", v)
                    for v in call.parameters.values()
                    if v.strip()
                )
        info.code.extend(_code_in(proc))
        processes.append(info)
    return processes
