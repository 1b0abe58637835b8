"""Computes BPMN DI (the drawing) for hand-written diagrams, so that bpmn-js can show them.

Usage::

    python tools/bpmn_layout.py bpmn/*.bpmn tests/fixtures/bpmn/*.bpmn   # rewrite in place
    python tools/bpmn_layout.py --check bpmn/*.bpmn                       # exit 1 if stale

As a library: ``layout_bytes(data, filename) -> bytes`` and ``needs_layout(data, filename)``.

What it does, deterministically (running it twice gives the same bytes):

* Any existing ``bpmndi:BPMNDiagram`` is dropped and a new one is written at the end of the
  root; ``bpmndi``/``dc``/``di`` are declared on the root. Nothing else in the file changes,
  except that a ``bpmn:collaboration`` (one ``bpmn:participant`` per executable process) is
  added when missing, just before the first process.
* Every participant is a pool, stacked vertically; its lanes are horizontal bands in document
  order (nested lanes get an inner header); each flow node is drawn in its lane's band (a node
  in no lane goes to an extra band at the bottom of the pool).
* Columns follow the sequence flows: a node's column is the longest path from a start event,
  ignoring the back edges a depth-first search finds (so loops stay compact). Nodes of one
  column and one lane are stacked vertically. Sizes: tasks 100×80, events 36×36, gateways
  50×50, data objects 36×50, data stores 50×50, text annotations 100×30.
* Expanded subprocesses are laid out recursively (same rules, no lanes) and sized to their
  content; a subprocess without children is drawn collapsed (100×80).
* Boundary events sit on the bottom edge of their host; a flow out of a boundary event ranks
  its target one column after the host.
* Sequence flows are orthogonal: right side of the source to the left side of the target
  (gateways branch from their top/bottom corner and joins receive there); back edges leave
  the top of the source and enter the top of the target (or bottom to bottom when the target
  lies lower). Message flows, associations and data associations are drawn as orthogonal
  connections between the nearest sides.
* Labels (``bpmndi:BPMNLabel``) under named events, gateways and data objects, and along named
  flows.

Not handled: groups, conversations and choreographies are not drawn; crossings are not
minimised (nodes of a cell keep document order, led by their predecessors' rows); many
boundary events on one small task overlap each other; a process not in the collaboration
(non-executable, without a participant) is not drawn.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from lxml import etree

from engine.definitions.xml import parse_untrusted

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
DI_PREFIXES = {"bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
NS = {"bpmn": BPMN_NS, **DI_PREFIXES}
DIAGRAM_TAG = f"{{{BPMNDI_NS}}}BPMNDiagram"
LANE_TAG = f"{{{BPMN_NS}}}lane"

TASKS = {
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
GATEWAYS = {
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
}
ARTIFACTS = {"dataObjectReference": (36, 50), "dataStoreReference": (50, 50)}
ANNOTATION = "textAnnotation"
SIZES = {
    **dict.fromkeys(TASKS | SUBPROCESSES, (100, 80)),
    **dict.fromkeys(EVENTS | {"boundaryEvent"}, (36, 36)),
    **dict.fromkeys(GATEWAYS, (50, 50)),
    **ARTIFACTS,
    ANNOTATION: (100, 30),
}
LABELLED = EVENTS | GATEWAYS | {"boundaryEvent"} | set(ARTIFACTS)

ORIGIN_X, ORIGIN_Y = 160, 80
HEADER = 30  # pool and lane title bands
POOL_GAP = 60
LEFT, RIGHT, COLUMN_GAP = 40, 40, 60
TOP, BOTTOM, MIN_ROW = 30, 50, 80
BLACK_BOX_HEIGHT = 100
LABEL_WIDTH, LINE_HEIGHT, CHAR_WIDTH = 90, 14, 6


class LayoutError(ValueError):
    """The document cannot be laid out (e.g. it has no process)."""


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def cy(self) -> int:
        return self.y + self.h // 2

    def shifted(self, dx: int, dy: int) -> Box:
        return Box(self.x + dx, self.y + dy, self.w, self.h)


Point = tuple[int, int]


@dataclass
class _Pool:
    participant: str
    process: etree._Element | None
    y: int
    height: int
    content_x: int = 0
    width: int = 0
    lanes: list[tuple[str, int, int, int]] = field(default_factory=list)  # id, depth, bands
    heights: list[int] = field(default_factory=list)
    placed: list[str] = field(default_factory=list)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and etree.QName(c).namespace == BPMN_NS]


def _is_expanded(el: etree._Element) -> bool:
    return _local(el) in SUBPROCESSES and any(
        _local(c) in SIZES and _local(c) != ANNOTATION for c in _kids(el)
    )


def _text_size(name: str) -> tuple[int, int]:
    width = len(name) * CHAR_WIDTH + 6
    if width <= LABEL_WIDTH:
        return width, LINE_HEIGHT
    return LABEL_WIDTH, LINE_HEIGHT * math.ceil(len(name) * CHAR_WIDTH / (LABEL_WIDTH - 6))


# --- ranks -----------------------------------------------------------------------------------


def _back_edges(nodes: list[str], succ: dict[str, list[tuple[str, str]]]) -> set[str]:
    """Flows that close a cycle in a depth-first search from the sources, in document order."""
    state = dict.fromkeys(nodes, 0)  # 0 unseen, 1 on the stack, 2 done
    has_incoming = {t for n in nodes for t, _ in succ[n]}
    back: set[str] = set()
    for root in [n for n in nodes if n not in has_incoming] + nodes:
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                state[node] = 2
                stack.pop()
                continue
            target, flow = step
            if state[target] == 1:
                back.add(flow)
            elif state[target] == 0:
                state[target] = 1
                stack.append((target, iter(succ[target])))
    return back


def _longest_path(
    nodes: list[str], succ: dict[str, list[tuple[str, str]]], back: set[str]
) -> dict[str, int]:
    indegree = Counter(t for n in nodes for t, f in succ[n] if f not in back)
    rank = dict.fromkeys(nodes, 0)
    ready = [n for n in nodes if not indegree[n]]
    for node in ready:  # grows while iterating: Kahn's order
        for target, flow in succ[node]:
            if flow in back:
                continue
            rank[target] = max(rank[target], rank[node] + 1)
            indegree[target] -= 1
            if not indegree[target]:
                ready.append(target)
    return rank


def _links(container: etree._Element, nodes: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Sequence flows between the container's nodes; a boundary event stands for its host."""
    hosts = {
        b.get("id"): b.get("attachedToRef")
        for b in _kids(container)
        if _local(b) == "boundaryEvent"
    }
    succ: dict[str, list[tuple[str, str]]] = {n: [] for n in nodes}
    for flow in _kids(container):
        if _local(flow) != "sequenceFlow":
            continue
        source = hosts.get(flow.get("sourceRef"), flow.get("sourceRef"))
        target = flow.get("targetRef")
        if source in succ and target in succ:
            succ[source].append((target, flow.get("id", "")))
    return succ


def _anchors(container: etree._Element) -> dict[str, str]:
    """For each artifact (data object, data store, annotation): the element it belongs with."""
    anchors: dict[str, str] = {}
    for kid in _kids(container):
        kid_id = kid.get("id", "")
        if _local(kid) == "association":
            anchors.setdefault(kid.get("sourceRef", ""), kid.get("targetRef", ""))
            anchors.setdefault(kid.get("targetRef", ""), kid.get("sourceRef", ""))
        for assoc in _kids(kid):
            if _local(assoc) == "dataOutputAssociation":
                refs = assoc.findall("bpmn:targetRef", NS)
            elif _local(assoc) == "dataInputAssociation":
                refs = assoc.findall("bpmn:sourceRef", NS)
            else:
                continue
            for ref in refs:
                anchors.setdefault((ref.text or "").strip(), kid_id)
    return anchors


# --- layout ----------------------------------------------------------------------------------


class _Layout:
    def __init__(self) -> None:
        self.boxes: dict[str, Box] = {}
        self.kinds: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.back: set[str] = set()
        self.expanded: set[str] = set()

    def _shift(self, ids: list[str], dx: int, dy: int) -> None:
        for i in ids:
            self.boxes[i] = self.boxes[i].shifted(dx, dy)

    def _size(self, el: etree._Element, inner: dict[str, tuple[int, int, list[str]]]) -> tuple:
        if _is_expanded(el):
            width, heights, placed = self.container(el, {}, 0)
            inner[el.get("id", "")] = (width, sum(heights), placed)
            self.expanded.add(el.get("id", ""))
            return width, sum(heights)
        return SIZES[_local(el)]

    def container(
        self,
        container: etree._Element,
        lane_of: dict[str, int],
        default_band: int,
        min_heights: tuple[int, ...] = (),
    ) -> tuple[int, list[int], list[str]]:
        """Lays out the container's children from (0, 0); returns the width, the band heights
        and every id placed (children, boundary events and subprocess contents)."""
        elements = [
            c for c in _kids(container) if _local(c) in SIZES and _local(c) != "boundaryEvent"
        ]
        for el in container.iter():
            if isinstance(el.tag, str) and el.get("id"):
                self.kinds[el.get("id")] = _local(el)
                self.names[el.get("id")] = (el.get("name") or "").strip()
        inner: dict[str, tuple[int, int, list[str]]] = {}
        sizes = {el.get("id", ""): self._size(el, inner) for el in elements}
        order = list(sizes)
        nodes = [i for i in order if self.kinds[i] not in ARTIFACTS and self.kinds[i] != ANNOTATION]
        succ = _links(container, nodes)
        back = _back_edges(nodes, succ)
        self.back |= back
        ranks = _longest_path(nodes, succ, back)
        bands = {n: lane_of.get(n, default_band) for n in nodes}
        anchors = _anchors(container)
        artifacts = {i for i in order if i not in ranks}
        for art in (i for i in order if i in artifacts):
            ranks[art] = ranks.get(anchors.get(art, ""), 0)
            bands[art] = bands.get(anchors.get(art, ""), 0)
        preds: dict[str, list[str]] = defaultdict(list)
        for n in nodes:
            for target, flow in succ[n]:
                if flow not in back:
                    preds[target].append(n)
        cells = _cells(order, ranks, bands, preds, artifacts)
        last_band = max([*bands.values(), len(min_heights) - 1, 0])
        floor = MIN_ROW + TOP + BOTTOM
        heights = [floor] * (last_band + 1)
        for band, height in enumerate(min_heights):
            heights[band] = max(floor, height)
        width = self._place(cells, sizes, ranks, heights)
        placed: list[str] = []
        for i in order:
            placed.append(i)
            if i in inner:
                self._shift(inner[i][2], self.boxes[i].x, self.boxes[i].y)
                placed.extend(inner[i][2])
        placed.extend(self._boundaries(container))
        return width, heights, placed

    def _place(
        self,
        cells: dict[tuple[int, int], list[str]],
        sizes: dict[str, tuple[int, int]],
        ranks: dict[str, int],
        heights: list[int],
    ) -> int:
        """Places the cells; grows the band heights to fit; returns the width."""
        columns = sorted(set(ranks.values()))
        col_w = {r: max(sizes[i][0] for i in ranks if ranks[i] == r) for r in columns}
        col_x, x = {}, LEFT
        for r in columns:
            col_x[r] = x
            x += col_w[r] + COLUMN_GAP
        width = max(x - COLUMN_GAP + RIGHT, LEFT + RIGHT + 100)
        slot = {i: max(h, MIN_ROW) + TOP + BOTTOM for i, (_, h) in sizes.items()}
        for (band, _), ids in cells.items():
            heights[band] = max(heights[band], sum(slot[i] for i in ids))
        for (band, rank), ids in cells.items():
            y = sum(heights[:band])
            for i in ids:
                w, h = sizes[i]
                top = y + TOP + (max(h, MIN_ROW) - h) // 2
                self.boxes[i] = Box(col_x[rank] + (col_w[rank] - w) // 2, top, w, h)
                y += slot[i]
        return width

    def _boundaries(self, container: etree._Element) -> list[str]:
        by_host: dict[str, list[str]] = defaultdict(list)
        for b in _kids(container):
            if _local(b) == "boundaryEvent" and b.get("attachedToRef") in self.boxes:
                by_host[b.get("attachedToRef", "")].append(b.get("id", ""))
        placed = []
        for host, ids in by_host.items():
            hb = self.boxes[host]
            for k, i in enumerate(ids):
                cx = hb.x + 25 + 40 * k  # the middle stays free for associations
                self.boxes[i] = Box(cx - 18, hb.bottom - 18, 36, 36)
                placed.append(i)
        return placed

    def pool(self, pool: _Pool) -> None:
        if pool.process is None:
            pool.heights, pool.content_x = [BLACK_BOX_HEIGHT], ORIGIN_X + HEADER
            pool.height = BLACK_BOX_HEIGHT
            return
        leaves, pool.lanes, lane_of = _lane_bands(pool.process)
        depth = max((d + 1 for _, d, _, _ in pool.lanes), default=0)
        pool.content_x = ORIGIN_X + HEADER * (1 + depth)
        names = {lane.get("id"): lane.get("name") or "" for lane in pool.process.iter(LANE_TAG)}
        # room for the lane's title, written along its header
        titles = tuple(min(len(names[i]) * CHAR_WIDTH + 20, 480) for i in leaves)
        pool.width, pool.heights, pool.placed = self.container(
            pool.process, lane_of, len(leaves) if leaves else 0, titles
        )
        pool.height = sum(pool.heights)
        self._shift(pool.placed, pool.content_x, pool.y)


def _cells(
    order: list[str],
    ranks: dict[str, int],
    bands: dict[str, int],
    preds: dict[str, list[str]],
    artifacts: set[str],
) -> dict[tuple[int, int], list[str]]:
    """Groups nodes by (band, rank); within one, nodes follow their predecessors' rows."""
    position = {n: k for k, n in enumerate(order)}
    row: dict[str, int] = {}
    cells: dict[tuple[int, int], list[str]] = defaultdict(list)
    for n in sorted(order, key=lambda n: (ranks[n], position[n])):
        cells[(bands[n], ranks[n])].append(n)
    for ids in cells.values():
        ids.sort(
            key=lambda n: (
                min(
                    (row[p] for p in preds.get(n, []) if p in row and bands[p] == bands[n]),
                    default=0,
                ),
                n in artifacts,
                position[n],
            )
        )
        row.update((n, k) for k, n in enumerate(ids))
    return dict(sorted(cells.items()))


def _lane_bands(
    process: etree._Element,
) -> tuple[list[str], list[tuple[str, int, int, int]], dict[str, int]]:
    """Leaf lanes (the bands), every lane with its depth and band range, node → band."""
    leaves: list[str] = []
    lanes: list[tuple[str, int, int, int]] = []
    lane_of: dict[str, int] = {}

    def walk(lane_set: etree._Element, depth: int) -> None:
        for lane in lane_set.findall("bpmn:lane", NS):
            first = len(leaves)
            children = lane.find("bpmn:childLaneSet", NS)
            if children is not None and children.find("bpmn:lane", NS) is not None:
                walk(children, depth + 1)
            else:
                leaves.append(lane.get("id", ""))
            for ref in lane.findall("bpmn:flowNodeRef", NS):  # a child lane's claim comes first
                lane_of.setdefault((ref.text or "").strip(), first)
            lanes.append((lane.get("id", ""), depth, first, len(leaves) - 1))

    for lane_set in process.findall("bpmn:laneSet", NS):
        walk(lane_set, 0)
    lanes.sort(key=lambda lane: (lane[2], lane[1]))
    return leaves, lanes, lane_of


# --- edges -----------------------------------------------------------------------------------


def _vertical(x0: int, y0: int, x1: int, y1: int) -> list[Point]:
    if x0 == x1:
        return [(x0, y0), (x1, y1)]
    mid = (y0 + y1) // 2
    return [(x0, y0), (x0, mid), (x1, mid), (x1, y1)]


def _horizontal(x0: int, y0: int, x1: int, y1: int) -> list[Point]:
    if y0 == y1:
        return [(x0, y0), (x1, y1)]
    mid = (x0 + x1) // 2
    return [(x0, y0), (mid, y0), (mid, y1), (x1, y1)]


def _link(a: Box, b: Box) -> list[Point]:
    """An orthogonal connection between the facing sides of two boxes."""
    if b.y >= a.bottom:
        return _vertical(a.cx, a.bottom, b.cx, b.y)
    if b.bottom <= a.y:
        return _vertical(a.cx, a.y, b.cx, b.bottom)
    if b.x >= a.right:
        return _horizontal(a.right, a.cy, b.x, b.cy)
    return _horizontal(a.x, a.cy, b.right, b.cy)


def _from_boundary(s: Box, t: Box) -> list[list[Point]]:
    down = [(s.cx, s.bottom), (s.cx, t.cy), (t.x, t.cy)]
    y = max(s.bottom, t.bottom) + 15
    around = [(s.cx, s.bottom), (s.cx, y), (t.x - 20, y), (t.x - 20, t.cy), (t.x, t.cy)]
    return [down, around] if t.cy > s.bottom else [around]


def _forward(s: Box, t: Box, split: bool, join: bool) -> list[list[Point]]:
    """Right side to left side, bending in the middle, just after the source or just before
    the target; a gateway that splits leaves from its top or bottom corner, one that joins
    receives there."""
    if s.cy == t.cy:
        return [[(s.right, s.cy), (t.x, t.cy)]]
    routes = []
    if split:
        routes.append([(s.cx, s.y if t.cy < s.cy else s.bottom), (s.cx, t.cy), (t.x, t.cy)])
    if join:
        routes.append([(s.right, s.cy), (t.cx, s.cy), (t.cx, t.y if s.cy < t.cy else t.bottom)])
    routes.append(_horizontal(s.right, s.cy, t.x, t.cy))
    for x in (s.right + 20, t.x - 20):
        routes.append([(s.right, s.cy), (x, s.cy), (x, t.cy), (t.x, t.cy)])
    return routes


def _backward(s: Box, t: Box, source_kind: str, k: int) -> list[list[Point]]:
    """Over the top (out of the source's top, into the target's), or underneath."""
    if s == t:
        q = s.w // 4
        return [[(s.cx + q, s.y), (s.cx + q, s.y - 15), (s.cx - q, s.y - 15), (s.cx - q, s.y)]]
    offset = 6 * (k % 3)
    y = min(s.y, t.y) - 12 - offset
    over = [(s.cx, s.y), (s.cx, y), (t.cx, y), (t.cx, t.y)]
    y = max(s.bottom, t.bottom) + 12 + offset
    under = [(s.cx, s.bottom), (s.cx, y), (t.cx, y), (t.cx, t.bottom)]
    if source_kind == "boundaryEvent":
        return [under]
    return [over, under] if s.cy >= t.cy else [under, over]


def _crosses(points: list[Point], box: Box) -> bool:
    for (x0, y0), (x1, y1) in pairwise(points):
        xs, ys = sorted((x0, x1)), sorted((y0, y1))
        if xs[1] > box.x and xs[0] < box.right and ys[1] > box.y and ys[0] < box.bottom:
            return True
    return False


def _flow_label(points: list[Point], name: str) -> Box:
    """Along the longer of the first two segments: above it, or right of it."""
    segments = list(pairwise(points))[:2]
    (x0, y0), (x1, y1) = max(
        segments, key=lambda p: abs(p[1][0] - p[0][0]) + abs(p[1][1] - p[0][1])
    )
    w, h = _text_size(name)
    if y0 == y1:
        return Box(min(x0, x1) + 5, y0 - h - 4, w, h)
    return Box(x0 + 5, min(y0, y1) + (abs(y1 - y0) - h) // 2, w, h)


def _narrowed(pool: Box, other: Box) -> Box:
    """Where a message flow meets a pool: facing the element at its other end."""
    x = min(max(other.cx, pool.x + HEADER + 10), pool.right - 10)
    return Box(x, pool.y, 0, pool.h)


# --- the document ----------------------------------------------------------------------------


def _ids(root: etree._Element) -> set[str]:
    return {str(i) for i in root.xpath("//@id")}


def _unique(base: str, used: set[str]) -> str:
    name = base
    while name in used:
        name += "_"
    used.add(name)
    return name


def _ends(el: etree._Element) -> tuple[str, str]:
    kind = _local(el)
    if kind in ("sequenceFlow", "association", "messageFlow"):
        return el.get("sourceRef", ""), el.get("targetRef", "")
    parent = el.getparent().get("id", "")
    if kind == "dataInputAssociation":
        return (el.findtext("bpmn:sourceRef", "", NS) or "").strip(), parent
    return parent, (el.findtext("bpmn:targetRef", "", NS) or "").strip()


class _Writer:
    def __init__(self, layout: _Layout, plane: etree._Element, used: set[str]) -> None:
        self.layout, self.plane, self.used = layout, plane, used
        self.back_count = 0
        flows = [f for f in plane.getroottree().iter(f"{{{BPMN_NS}}}sequenceFlow")]
        self.outgoing = Counter(f.get("sourceRef") for f in flows)
        self.incoming = Counter(f.get("targetRef") for f in flows)

    def _bounds(self, parent: etree._Element, box: Box) -> None:
        etree.SubElement(
            parent,
            f"{{{DC_NS}}}Bounds",
            x=str(box.x),
            y=str(box.y),
            width=str(box.w),
            height=str(box.h),
        )

    def _label(self, parent: etree._Element, box: Box | None) -> None:
        if box is not None:
            self._bounds(etree.SubElement(parent, f"{{{BPMNDI_NS}}}BPMNLabel"), box)

    def shape(self, el_id: str) -> None:
        box, kind = self.layout.boxes[el_id], self.layout.kinds[el_id]
        shape = etree.SubElement(
            self.plane,
            f"{{{BPMNDI_NS}}}BPMNShape",
            id=_unique(f"{el_id}_di", self.used),
            bpmnElement=el_id,
        )
        if kind in ("participant", "lane"):
            shape.set("isHorizontal", "true")
        elif kind in SUBPROCESSES:
            shape.set("isExpanded", "true" if el_id in self.layout.expanded else "false")
        elif kind == "exclusiveGateway":
            shape.set("isMarkerVisible", "true")
        self._bounds(shape, box)
        name = self.layout.names.get(el_id, "")
        if kind in LABELLED and name:
            w, h = _text_size(name)
            self._label(shape, Box(box.cx - w // 2, box.bottom + 6, w, h))

    def edge(self, el: etree._Element) -> None:
        el_id, (source, target) = el.get("id", ""), _ends(el)
        boxes, kinds = self.layout.boxes, self.layout.kinds
        if not el_id or source not in boxes or target not in boxes:
            return
        s, t = boxes[source], boxes[target]
        points = self._route(el, s, t, kinds[source], kinds[target])
        edge = etree.SubElement(
            self.plane,
            f"{{{BPMNDI_NS}}}BPMNEdge",
            id=_unique(f"{el_id}_di", self.used),
            bpmnElement=el_id,
        )
        for x, y in points:
            etree.SubElement(edge, f"{{{DI_NS}}}waypoint", x=str(x), y=str(y))
        name = (el.get("name") or "").strip()
        self._label(edge, _flow_label(points, name) if name else None)

    def _route(self, el: etree._Element, s: Box, t: Box, sk: str, tk: str) -> list[Point]:
        kind = _local(el)
        if kind == "messageFlow":
            a = _narrowed(s, t) if sk == "participant" else s
            b = _narrowed(t, a) if tk == "participant" else t
            return _link(a, b)
        if kind != "sequenceFlow":
            return _link(s, t)
        ahead = t.x > (s.cx if sk == "boundaryEvent" else s.right)
        if el.get("id") in self.layout.back or not ahead:
            self.back_count += 1
            routes = _backward(s, t, sk, self.back_count - 1)
        elif sk == "boundaryEvent":
            routes = _from_boundary(s, t)
        else:
            source, target = _ends(el)
            split = sk in GATEWAYS and self.outgoing[source] > 1
            join = tk in GATEWAYS and self.incoming[target] > 1
            routes = _forward(s, t, split, join)
        return self._clearest(routes, s, t)

    def _clearest(self, routes: list[list[Point]], s: Box, t: Box) -> list[Point]:
        """The first of the routes that crosses the fewest shapes (its ends and their
        enclosing subprocesses aside)."""
        obstacles = [
            box
            for i, box in self.layout.boxes.items()
            if self.layout.kinds[i] not in ("participant", "lane")
            and not _inside(s, box)
            and not _inside(t, box)
        ]
        return min(routes, key=lambda r: sum(_crosses(r, box) for box in obstacles))


def _inside(inner: Box, outer: Box) -> bool:
    return (
        outer.x <= inner.x
        and outer.y <= inner.y
        and inner.right <= outer.right
        and inner.bottom <= outer.bottom
    )


EDGE_KINDS = {
    "sequenceFlow",
    "association",
    "dataInputAssociation",
    "dataOutputAssociation",
    "messageFlow",
}


def _pools(layout: _Layout, root: etree._Element, collaboration: etree._Element) -> list[_Pool]:
    processes = {p.get("id"): p for p in root.findall("bpmn:process", NS)}
    pools: list[_Pool] = []
    y = ORIGIN_Y
    for participant in collaboration.findall("bpmn:participant", NS):
        process = processes.pop(participant.get("processRef"), None)  # each drawn once
        pool = _Pool(participant.get("id", ""), process, y, 0)
        layout.pool(pool)
        pools.append(pool)
        y += pool.height + POOL_GAP
    right = max([ORIGIN_X + 600, *(p.content_x + p.width for p in pools)])
    for pool in pools:
        layout.boxes[pool.participant] = Box(ORIGIN_X, pool.y, right - ORIGIN_X, pool.height)
        layout.kinds[pool.participant] = "participant"
        for lane_id, depth, first, last in pool.lanes:
            x = ORIGIN_X + HEADER * (depth + 1)
            top = pool.y + sum(pool.heights[:first])
            height = sum(pool.heights[first : last + 1])
            layout.boxes[lane_id] = Box(x, top, right - x, height)
            layout.kinds[lane_id] = "lane"
    return pools


def _diagram(root: etree._Element, collaboration: etree._Element) -> etree._Element:
    layout = _Layout()
    pools = _pools(layout, root, collaboration)
    used = _ids(root)
    diagram = etree.SubElement(root, DIAGRAM_TAG, id=_unique("BPMNDiagram_1", used))
    plane = etree.SubElement(
        diagram,
        f"{{{BPMNDI_NS}}}BPMNPlane",
        id=_unique("BPMNPlane_1", used),
        bpmnElement=collaboration.get("id", ""),
    )
    writer = _Writer(layout, plane, used)
    for pool in pools:
        for el_id in [pool.participant, *(lane[0] for lane in pool.lanes), *pool.placed]:
            writer.shape(el_id)
    for container in [*(p.process for p in pools if p.process is not None), collaboration]:
        for el in container.iter():
            if _local(el) in EDGE_KINDS:
                writer.edge(el)
    return diagram


def _indent_unit(root: etree._Element) -> str:
    text = root.text or ""
    unit = text.rsplit("\n", 1)[-1] if "\n" in text else ""
    return unit if unit and not unit.strip() else "  "


def _with_di_namespaces(root: etree._Element) -> etree._Element:
    """The root, or a copy of it that also declares bpmndi, dc and di."""
    missing = {p: u for p, u in DI_PREFIXES.items() if u not in root.nsmap.values()}
    if not missing:
        return root
    nsmap = dict(root.nsmap)
    for prefix, uri in missing.items():
        name = prefix
        while name in nsmap:
            name += "_"
        nsmap[name] = uri
    new = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=nsmap)
    new.text = root.text
    before = list(root.itersiblings(preceding=True))[::-1]
    new.extend(list(root))
    for node in before:
        new.addprevious(node)
    return new


def _add_participant(collaboration: etree._Element, process: etree._Element, used: set) -> None:
    process_id = process.get("id", "")
    participant = etree.SubElement(
        collaboration,
        f"{{{BPMN_NS}}}participant",
        id=_unique(f"Participant_{process_id}", used),
        name=(process.get("name") or process_id).strip(),
        processRef=process_id,
    )
    others = collaboration.findall("bpmn:participant", NS)[:-1]
    if others:
        participant.tail = others[-1].tail
        others[-1].tail = collaboration.text
        others[-1].addnext(participant)
    else:
        heads = [
            c for c in _kids(collaboration) if _local(c) in ("documentation", "extensionElements")
        ]
        collaboration.insert(collaboration.index(heads[-1]) + 1 if heads else 0, participant)
        participant.tail = collaboration.text


def _ensure_collaboration(root: etree._Element, unit: str) -> etree._Element:
    processes = root.findall("bpmn:process", NS)
    if not processes:
        raise LayoutError("el diagrama no tiene ningún bpmn:process")
    wanted = [p for p in processes if p.get("isExecutable") == "true"] or processes
    used = _ids(root)
    collaboration = root.find("bpmn:collaboration", NS)
    if collaboration is None:
        collaboration = etree.SubElement(
            root, f"{{{BPMN_NS}}}collaboration", id=_unique("Collaboration_1", used)
        )
        for process in wanted:
            etree.SubElement(
                collaboration,
                f"{{{BPMN_NS}}}participant",
                id=_unique(f"Participant_{process.get('id')}", used),
                name=(process.get("name") or process.get("id", "")).strip(),
                processRef=process.get("id", ""),
            )
        etree.indent(collaboration, space=unit, level=1)
        processes[0].addprevious(collaboration)
        collaboration.tail = "\n" + unit
        return collaboration
    referenced = {p.get("processRef") for p in collaboration.findall("bpmn:participant", NS)}
    for process in wanted:
        if process.get("id") not in referenced:
            _add_participant(collaboration, process, used)
    return collaboration


def _insert(root: etree._Element, diagram: etree._Element, unit: str) -> None:
    etree.indent(diagram, space=unit, level=1)
    relationship = root.find("bpmn:relationship", NS)
    if relationship is not None:
        relationship.addprevious(diagram)
        diagram.tail = "\n" + unit
        return
    previous = diagram.getprevious()
    if previous is None:
        root.text = "\n" + unit
    else:
        previous.tail = "\n" + unit
    diagram.tail = "\n"


def layout_root(root: etree._Element) -> etree._Element:
    """Lays out a parsed document; returns its root (a new element if namespaces were added)."""
    for old in root.findall(DIAGRAM_TAG):
        root.remove(old)
    root = _with_di_namespaces(root)
    unit = _indent_unit(root)
    collaboration = _ensure_collaboration(root, unit)
    _insert(root, _diagram(root, collaboration), unit)
    return root


def serialize(root: etree._Element) -> bytes:
    body = etree.tostring(root.getroottree(), encoding="UTF-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


def layout_bytes(data: bytes, filename: str = "diagrama.bpmn") -> bytes:
    """The file with a fresh layout (see the module docstring)."""
    return serialize(layout_root(parse_untrusted(data, filename)))


def needs_layout(data: bytes, filename: str = "diagrama.bpmn") -> bool:
    """True if the file has no DI, or its DI (or collaboration) differs from a fresh layout."""
    root = parse_untrusted(data, filename)
    if root.find(DIAGRAM_TAG) is None:
        return True
    fresh = layout_root(parse_untrusted(data, filename))
    return _canonical(fresh) != _canonical(root)


def _canonical(root: etree._Element) -> str:
    return etree.canonicalize(root.getroottree(), strip_text=True)
