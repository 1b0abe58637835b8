"""``ensure_diagram(xml)``: a diagram bpmn-js can draw. Our BPMN files carry no DI
(shapes and edges) yet; until ``engine/definitions/layout.py`` lands, this places pools,
lanes, elements and flows on a plain grid. Everything about layout is in this one module,
so that it can be swapped for the real layout in one place."""

from __future__ import annotations

from collections import deque

from lxml import etree

from engine.definitions.inspect import NS
from engine.definitions.xml import parse_untrusted
from engine.modeling.graph import graph_of, local

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SIZES = {"event": (36, 36), "gateway": (50, 50), "task": (100, 80)}
COL, ROW, LEFT, TOP, LANE_LABEL = 150, 110, 60, 40, 30


def _size(tag: str) -> tuple[int, int]:
    if tag.endswith("Event"):
        return SIZES["event"]
    if tag.endswith("Gateway"):
        return SIZES["gateway"]
    return SIZES["task"]


def has_diagram(root: etree._Element) -> bool:
    return bool(root.xpath("//*[local-name()='BPMNShape']"))


def ensure_diagram(xml: str) -> str:
    """The same document, with a generated BPMNDiagram when it has none."""
    root = parse_untrusted(xml.encode("utf-8"), "diagrama.bpmn")
    if has_diagram(root):
        return xml
    for old in root.findall(f"{{{BPMNDI}}}BPMNDiagram"):
        root.remove(old)
    diagram = etree.SubElement(
        root,
        f"{{{BPMNDI}}}BPMNDiagram",
        id="BPMNDiagram_1",
        nsmap={"bpmndi": BPMNDI, "dc": DC, "di": DI},
    )
    collab = root.find("bpmn:collaboration", NS)
    plane_of = collab if collab is not None else root.find("bpmn:process", NS)
    plane = etree.SubElement(
        diagram, f"{{{BPMNDI}}}BPMNPlane", id="BPMNPlane_1", bpmnElement=plane_of.get("id")
    )
    top = 0
    participants = {p.get("processRef"): p for p in root.iterfind(".//bpmn:participant", NS)}
    for process in root.iterfind("bpmn:process", NS):
        top = _layout_process(plane, process, participants.get(process.get("id")), top)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _columns(graph) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Breadth-first distance from the starts (loops go back to an earlier column)."""
    nxt: dict[str, list[str]] = {}
    for source, target in graph.flows.values():
        nxt.setdefault(source, []).append(target)
    top = [n for n in graph.nodes if n not in graph.parent]
    starts = [n for n in top if local(graph.nodes[n]) == "startEvent"] or top[:1]
    col = {n: 0 for n in starts}
    todo = deque(starts)
    while todo:
        node = todo.popleft()
        for target in nxt.get(node, []):
            if target not in col and target in graph.nodes:
                col[target] = col[node] + 1
                todo.append(target)
    last = max(col.values(), default=0)
    for n in top:
        col.setdefault(n, last + 1)
    return col


def _lane_index(lanes: list) -> dict[str, int]:  # type: ignore[type-arg]
    lane_of = {}
    for i, lane in enumerate(lanes):
        for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NS) if lane is not None else []:
            lane_of[(ref.text or "").strip()] = i
    return lane_of


def _layout_process(plane, process, participant, top: int) -> int:  # type: ignore[no-untyped-def]
    graph = graph_of(process)
    col = _columns(graph)
    lanes = process.xpath(".//bpmn:lane", namespaces=NS) or [None]
    lane_of = _lane_index(lanes)
    slots: dict[tuple[int, int], int] = {}
    place: dict[str, tuple[int, int]] = {}  # node → (lane, column) and its stack index
    stack: dict[str, int] = {}
    for node_id in col:
        key = (lane_of.get(node_id, 0), col[node_id])
        stack[node_id] = slots.get(key, 0)
        slots[key] = stack[node_id] + 1
        place[node_id] = key
    heights = [
        max([slots.get((i, c), 1) for c in set(col.values())] or [1]) * ROW
        for i in range(len(lanes))
    ]
    width = LANE_LABEL + (max(col.values(), default=0) + 1) * COL + 40
    bounds: dict[str, tuple[int, int, int, int]] = {}
    lane_top = [top + sum(heights[:i]) for i in range(len(lanes))]
    for node_id, (lane, column) in place.items():
        w, h = _size(local(graph.nodes[node_id]))
        x = LEFT + LANE_LABEL + 30 + column * COL + (100 - w) // 2
        y = lane_top[lane] + stack[node_id] * ROW + (ROW - h) // 2
        bounds[node_id] = (x, y, w, h)
    if participant is not None:
        _shape(plane, participant.get("id"), (LEFT, top, width, sum(heights)), horizontal=True)
    for i, lane in enumerate(lanes):
        if lane is not None:
            box = (LEFT + LANE_LABEL, lane_top[i], width - LANE_LABEL, heights[i])
            _shape(plane, lane.get("id"), box, horizontal=True)
    for node_id, box in bounds.items():
        _shape(plane, node_id, box, expanded=False)
    for flow_id, (source, target) in graph.flows.items():
        if source in bounds and target in bounds:
            _edge(plane, flow_id, bounds[source], bounds[target])
    return top + sum(heights) + 60


def _shape(plane, element_id, box, horizontal=False, expanded=None) -> None:  # type: ignore[no-untyped-def]
    shape = etree.SubElement(
        plane, f"{{{BPMNDI}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id
    )
    if horizontal:
        shape.set("isHorizontal", "true")
    if expanded is not None:
        shape.set("isExpanded", "false")
    x, y, w, h = box
    etree.SubElement(shape, f"{{{DC}}}Bounds", x=str(x), y=str(y), width=str(w), height=str(h))


def _edge(plane, flow_id, src, dst) -> None:  # type: ignore[no-untyped-def]
    edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
    sx, sy, sw, sh = src
    tx, ty, tw, th = dst
    start, end = (sx + sw, sy + sh // 2), (tx, ty + th // 2)
    if tx <= sx:  # a loop back: leave below and come back from below
        start, end = (sx + sw // 2, sy + sh), (tx + tw // 2, ty + th)
        low = max(sy + sh, ty + th) + 15
        points = [start, (start[0], low), (end[0], low), end]
    else:
        mid = (start[0] + end[0]) // 2
        points = [start, (mid, start[1]), (mid, end[1]), end]
    for x, y in points:
        etree.SubElement(edge, f"{{{DI}}}waypoint", x=str(x), y=str(y))
