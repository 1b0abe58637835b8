"""What a draft changes against the published version: elements added, removed and
changed (name, lane, documentation, properties, forms, conditions, scripts, service
operation and parameters), by id and name."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from engine.definitions.inspect import NS, SPIFF_NS, properties_of
from engine.modeling.forms import FormChange
from engine.modeling.graph import graph_of, local, process_node

FIELD_LABELS = {
    "name": "nombre",
    "tag": "tipo",
    "lane": "carril",
    "documentation": "documentación",
    "properties": "propiedades",
    "form": "formulario (contenido)",
    "condition": "condición",
    "scripts": "scripts",
    "operation": "operación",
    "parameters": "parámetros",
    "flow": "origen → destino",
}


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    tag: str


@dataclass(frozen=True)
class Change:
    id: str
    name: str
    tag: str
    fields: list[dict[str, Any]]  # {"field", "label", "before", "after"}


@dataclass
class Diff:
    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    forms: list[FormChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.forms)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"empty": self.empty}


def _text(node: etree._Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


def _lanes(process: etree._Element) -> dict[str, str]:
    lanes = {}
    for lane in process.xpath(".//bpmn:lane", namespaces=NS):
        for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NS):
            lanes[_text(ref)] = (lane.get("name") or "").strip()
    return lanes


def _scripts(node: etree._Element) -> list[str]:
    found = [_text(s) for s in node.xpath("./bpmn:script", namespaces=NS)]
    for tag in ("preScript", "postScript"):
        found += [f"{tag}: {_text(s)}" for s in node.iter(f"{{{SPIFF_NS}}}{tag}")]
    return [s for s in found if s]


def _service(node: etree._Element) -> tuple[str, dict[str, str]]:
    op = node.find("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
    if op is None:
        return "", {}
    params = {
        p.get("id", ""): p.get("value", "")
        for p in op.xpath(".//spiffworkflow:parameter", namespaces=NS)
    }
    result = op.get("resultVariable")
    return op.get("id", "") + (f" → {result}" if result else ""), params


def _signature(node: etree._Element, lanes: dict[str, str], forms: dict[str, Any]) -> dict:  # type: ignore[type-arg]
    props = properties_of(node)
    operation, params = _service(node)
    form_name = props.get("formJsonSchemaFilename")
    return {
        "name": (node.get("name") or "").strip(),
        "tag": local(node),
        "lane": lanes.get(node.get("id", ""), ""),
        "documentation": _text(node.find("./bpmn:documentation", NS)),
        "properties": props,
        "form": forms.get(form_name) if form_name else None,
        "condition": _text(node.find("./bpmn:conditionExpression", NS)),
        "scripts": _scripts(node),
        "operation": operation,
        "parameters": params,
        "flow": f"{node.get('sourceRef')} → {node.get('targetRef')}"
        if local(node) == "sequenceFlow"
        else "",
    }


def _elements(root: etree._Element, key: str, forms: dict[str, Any]) -> dict[str, dict]:  # type: ignore[type-arg]
    process = process_node(root, key)
    if process is None:
        return {}
    lanes = _lanes(process)
    graph = graph_of(process)
    nodes = {
        key: process,
        **graph.nodes,
        **{i: n for n in process.iter(f"{{{NS['bpmn']}}}sequenceFlow") if (i := n.get("id"))},
        **{i: n for n in process.iter(f"{{{NS['bpmn']}}}lane") if (i := n.get("id"))},
    }
    return {node_id: _signature(node, lanes, forms) for node_id, node in nodes.items()}


def diff_documents(
    before: etree._Element,
    after: etree._Element,
    key: str,
    forms_before: dict[str, Any] | None = None,
    forms_after: dict[str, Any] | None = None,
) -> Diff:
    old = _elements(before, key, forms_before or {})
    new = _elements(after, key, forms_after or forms_before or {})
    diff = Diff()
    for node_id, sig in new.items():
        if node_id not in old:
            diff.added.append(Entry(node_id, sig["name"], sig["tag"]))
    for node_id, sig in old.items():
        if node_id not in new:
            diff.removed.append(Entry(node_id, sig["name"], sig["tag"]))
            continue
        fields = [
            {"field": f, "label": FIELD_LABELS[f], "before": sig[f], "after": new[node_id][f]}
            for f in FIELD_LABELS
            if sig[f] != new[node_id][f]
        ]
        if fields:
            diff.changed.append(Change(node_id, new[node_id]["name"], sig["tag"], fields))
    return diff
