"""The flow graph of one process read from its XML: elements, sequence flows, and which
elements can be reached from a start (``unreachable``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.definitions.inspect import NS

NOT_FLOW_NODES = frozenset(
    {
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
        "dataInputAssociation",
        "dataOutputAssociation",
    }
)
CONTAINERS = ("process", "subProcess", "transaction")


@dataclass
class Graph:
    nodes: dict[str, etree._Element] = field(default_factory=dict)
    flows: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (source, target)
    parent: dict[str, str] = field(default_factory=dict)  # node → containing subprocess id


def local(node: etree._Element) -> str:
    return etree.QName(node).localname


def process_node(root: etree._Element, key: str) -> etree._Element | None:
    found = root.xpath("./bpmn:process[@id=$key]", namespaces=NS, key=key)
    return found[0] if found else None


def graph_of(process: etree._Element) -> Graph:
    graph = Graph()
    for node in process.iter(etree.Element):
        container = node.getparent()
        if node is process or not node.get("id") or local(container) not in CONTAINERS:
            continue
        tag = local(node)
        if tag == "sequenceFlow":
            graph.flows[node.get("id")] = (node.get("sourceRef", ""), node.get("targetRef", ""))
        elif tag not in NOT_FLOW_NODES:
            graph.nodes[node.get("id")] = node
            if container is not process:
                graph.parent[node.get("id")] = container.get("id", "")
    return graph


def _roots(graph: Graph) -> set[str]:
    """Starts of the process, and what needs no incoming flow: event subprocesses and
    link catch events (reached through their throw)."""
    roots = set()
    for node_id, node in graph.nodes.items():
        tag = local(node)
        top = node_id not in graph.parent
        if (tag == "startEvent" and top) or (
            tag == "subProcess" and node.get("triggeredByEvent") == "true"
        ):
            roots.add(node_id)
        link = node.find("bpmn:linkEventDefinition", NS)
        if tag == "intermediateCatchEvent" and link is not None:
            roots.add(node_id)
    return roots


def _successors(graph: Graph) -> dict[str, set[str]]:
    nxt: dict[str, set[str]] = {n: set() for n in graph.nodes}
    for source, target in graph.flows.values():
        if source in nxt and target in graph.nodes:
            nxt[source].add(target)
    for node_id, node in graph.nodes.items():
        attached = node.get("attachedToRef")
        if attached in nxt:
            nxt[attached].add(node_id)
        parent = graph.parent.get(node_id)
        if parent in nxt and local(node) == "startEvent":
            nxt[parent].add(node_id)  # a subprocess starts its own start event
    return nxt


def reachable(graph: Graph) -> set[str]:
    nxt = _successors(graph)
    seen = set()
    todo = list(_roots(graph))
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        todo.extend(nxt.get(node_id, ()))
    return seen


def unreachable(graph: Graph) -> list[etree._Element]:
    """Elements no path from a start reaches, in document order."""
    seen = reachable(graph)
    return [node for node_id, node in graph.nodes.items() if node_id not in seen]
