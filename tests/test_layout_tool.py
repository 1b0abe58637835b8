"""The layout tool (engine/definitions/layout.py, tools/bpmn_layout.py): every node drawn once in
its lane, every flow drawn, nothing overlapping, the process untouched, the same bytes twice —
and bpmn-js in a real Chromium draws all of it without a warning."""

from __future__ import annotations

import copy
import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from engine.definitions.deploy import spiff_parse
from engine.definitions.layout import (
    EVENTS,
    GATEWAYS,
    SUBPROCESSES,
    TASKS,
    Box,
    layout_bytes,
    needs_layout,
)
from engine.definitions.xml import parse_untrusted

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "bpmn").glob("*.bpmn"))
SYNTHETIC = ROOT / "tests" / "fixtures" / "layout" / "sintetico.bpmn"
TOOL = ROOT / "tools" / "bpmn_layout.py"
VENDOR = ROOT / "web" / "static" / "vendor" / "bpmn-js"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODES = TASKS | SUBPROCESSES | EVENTS | GATEWAYS | {"boundaryEvent"}

MESSAGES = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_msg" targetNamespace="http://juntos.gob.pe/bpmn/test">
  <bpmn:collaboration id="Collab_msg">
    <bpmn:participant id="P_juntos" name="JUNTOS" processRef="avisar"/>
    <bpmn:participant id="P_banco" name="Entidad Pagadora"/>
    <bpmn:messageFlow id="mf_aviso" name="Aviso" sourceRef="enviar" targetRef="P_banco"/>
    <bpmn:messageFlow id="mf_respuesta" sourceRef="P_banco" targetRef="recibir"/>
  </bpmn:collaboration>
  <bpmn:message id="msg_r" name="respuesta"/>
  <bpmn:process id="avisar" name="Avisar" isExecutable="true">
    <bpmn:startEvent id="a0"><bpmn:outgoing>m1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sendTask id="enviar" name="Enviar aviso">
      <bpmn:incoming>m1</bpmn:incoming><bpmn:outgoing>m2</bpmn:outgoing>
    </bpmn:sendTask>
    <bpmn:intermediateCatchEvent id="recibir" name="Respuesta">
      <bpmn:incoming>m2</bpmn:incoming><bpmn:outgoing>m3</bpmn:outgoing>
      <bpmn:messageEventDefinition id="med" messageRef="msg_r"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="a9"><bpmn:incoming>m3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="m1" sourceRef="a0" targetRef="enviar"/>
    <bpmn:sequenceFlow id="m2" sourceRef="enviar" targetRef="recibir"/>
    <bpmn:sequenceFlow id="m3" sourceRef="recibir" targetRef="a9"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _without_di(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for diagram in root.findall("bpmndi:BPMNDiagram", NS):
        root.remove(diagram)
    return etree.tostring(root)


def _canonical(el: etree._Element) -> str:
    return etree.canonicalize(copy.deepcopy(el))


def _shapes(root: etree._Element) -> dict[str, list[Box]]:
    shapes: dict[str, list[Box]] = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        box = Box(*(int(b.get(k)) for k in ("x", "y", "width", "height")))
        shapes.setdefault(shape.get("bpmnElement"), []).append(box)
    return shapes


def _inside(inner: Box, outer: Box) -> bool:
    return (
        outer.x <= inner.x
        and outer.y <= inner.y
        and inner.right <= outer.right
        and inner.bottom <= outer.bottom
    )


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def _check_process(
    process: etree._Element, pool: Box, shapes: dict[str, list[Box]], edges: dict
) -> dict[str, etree._Element]:
    nodes = {}
    for el in process.iter():
        if isinstance(el.tag, str) and _local(el) in FLOW_NODES:
            nodes[el.get("id")] = el
            assert len(shapes.get(el.get("id"), [])) == 1, el.get("id")
            assert _inside(shapes[el.get("id")][0], pool), el.get("id")
            parent = el.getparent()
            if _local(parent) in SUBPROCESSES:
                assert _inside(shapes[el.get("id")][0], shapes[parent.get("id")][0])
    for lane in process.iter(f"{{{NS['bpmn']}}}lane"):
        [band] = shapes[lane.get("id")]
        assert _inside(band, pool)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            node = nodes.get(ref.text.strip())
            # a boundary event sits on its host; a subprocess's children sit inside it
            if node is not None and (
                _local(node) == "boundaryEvent" or _local(node.getparent()) in SUBPROCESSES
            ):
                continue
            assert _inside(shapes[ref.text.strip()][0], band), (ref.text, lane.get("id"))
    for flow in process.iter(f"{{{NS['bpmn']}}}sequenceFlow"):
        waypoints = edges[flow.get("id")].iterfind("di:waypoint", NS)
        points = [(p.get("x"), p.get("y")) for p in waypoints]
        assert len(points) >= 2, flow.get("id")
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            assert x0 == x1 or y0 == y1, f"{flow.get('id')} is not orthogonal"
    return nodes


def _check_drawing(data: bytes) -> None:
    """Every flow node: one shape, inside its lane, pool and subprocess; every sequence flow:
    one orthogonal edge; no two nodes overlap (a boundary event on its host aside)."""
    root = etree.fromstring(data)
    shapes = _shapes(root)
    edge_list = list(root.iterfind(".//bpmndi:BPMNEdge", NS))
    edges = {e.get("bpmnElement"): e for e in edge_list}
    assert len(edges) == len(edge_list)
    nodes: dict[str, etree._Element] = {}
    for participant in root.iterfind("bpmn:collaboration/bpmn:participant", NS):
        process = root.find(f"bpmn:process[@id='{participant.get('processRef')}']", NS)
        if process is not None:
            nodes |= _check_process(process, shapes[participant.get("id")][0], shapes, edges)
    for (a, ea), (b, eb) in itertools.combinations(nodes.items(), 2):
        nested = {x.get("id") for x in (*ea.iterancestors(), *eb.iterancestors())} & {a, b}
        attached = b == ea.get("attachedToRef") or a == eb.get("attachedToRef")
        if not nested and not attached:
            assert not _overlap(shapes[a][0], shapes[b][0]), (a, b)


def _spiff_parses(data: bytes, name: str) -> None:
    spiff_parse(parse_untrusted(data, name), name, validate=True)


PROCESS_MAP = sorted((Path(__file__).resolve().parents[1] / "bpmn").glob("*.bpmn"))
CASES = [*FIXTURES, SYNTHETIC, *PROCESS_MAP]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_layout_draws_every_node_and_flow_once_without_overlaps(path: Path) -> None:
    data = layout_bytes(_without_di(path.read_bytes()), path.name)
    _check_drawing(data)
    _spiff_parses(data, path.name)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_layout_is_idempotent_and_replaces_an_existing_diagram(path: Path) -> None:
    once = layout_bytes(path.read_bytes(), path.name)
    assert layout_bytes(once, path.name) == once
    assert not needs_layout(once, path.name)
    moved = once.replace(b'<dc:Bounds x="', b'<dc:Bounds x="1', 1)
    assert needs_layout(moved, path.name)
    assert layout_bytes(moved, path.name) == once
    assert needs_layout(_without_di(once), path.name)


@pytest.mark.parametrize("path", [*FIXTURES, *PROCESS_MAP], ids=lambda p: p.name)
def test_the_fixtures_carry_their_layout(path: Path) -> None:
    """The fixtures and the process map carry the layout the tool makes (run
    ``python tools/bpmn_layout.py bpmn/*.bpmn`` after editing a diagram by hand)."""
    data = path.read_bytes()
    assert not needs_layout(data, path.name)
    assert layout_bytes(data, path.name) == data


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_layout_leaves_the_semantics_untouched(path: Path) -> None:
    source = parse_untrusted(path.read_bytes(), path.name)
    laid_out = etree.fromstring(layout_bytes(path.read_bytes(), path.name))
    assert dict(laid_out.attrib) == dict(source.attrib)
    assert {p: u for p, u in source.nsmap.items()}.items() <= laid_out.nsmap.items()
    before = [_canonical(el) for el in source if _local(el) != "BPMNDiagram"]
    after = [_canonical(el) for el in laid_out if _local(el) != "BPMNDiagram"]
    added = [el for el in after if el not in before]
    assert [el for el in after if el in before] == before
    for extra in added:  # only a collaboration naming the executable processes
        collab = etree.fromstring(extra)
        assert _local(collab) == "collaboration"
        refs = [p.get("processRef") for p in collab]
        assert refs == [
            p.get("id") for p in source.iterfind("bpmn:process[@isExecutable='true']", NS)
        ]


def test_the_synthetic_diagram_gets_a_collaboration_and_its_shapes() -> None:
    data = layout_bytes(SYNTHETIC.read_bytes(), SYNTHETIC.name)
    root = etree.fromstring(data)
    [participant] = root.iterfind("bpmn:collaboration/bpmn:participant", NS)
    assert participant.get("processRef") == "sintetico"
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == root.find("bpmn:collaboration", NS).get("id")
    shapes = _shapes(root)
    sub, sub_task = shapes["sub"][0], shapes["sub_preparar"][0]
    assert _inside(sub_task, sub) and sub.w > 100 and sub.h > 80
    assert root.find(".//bpmndi:BPMNShape[@bpmnElement='sub']", NS).get("isExpanded") == "true"
    host, timer = shapes["revisar"][0], shapes["vencido"][0]
    assert timer.y + timer.h // 2 == host.bottom and host.x <= timer.x < host.right
    # the loop back goes over the top, into the top of the task it returns to
    back = [
        (int(p.get("x")), int(p.get("y")))
        for p in root.iterfind(".//bpmndi:BPMNEdge[@bpmnElement='s_no']/di:waypoint", NS)
    ]
    preparar = shapes["preparar"][0]
    assert back[-1] == (preparar.cx, preparar.y) and min(y for _, y in back) < preparar.y
    # the split, the join and their branches are in successive columns
    assert shapes["gw_split"][0].right < shapes["rama_a"][0].x < shapes["gw_join"][0].x
    for labelled in ("inicio", "gw_conforme", "vencido", "ref_expediente"):
        assert (
            root.find(f".//bpmndi:BPMNShape[@bpmnElement='{labelled}']/bpmndi:BPMNLabel", NS)
            is not None
        )
    assert root.find(".//bpmndi:BPMNEdge[@bpmnElement='s_si']/bpmndi:BPMNLabel", NS) is not None
    for edge in ("doa_expediente", "asoc_nota"):
        assert root.find(f".//bpmndi:BPMNEdge[@bpmnElement='{edge}']", NS) is not None


def test_message_flows_and_a_black_box_pool() -> None:
    data = layout_bytes(MESSAGES, "mensajes.bpmn")
    _check_drawing(data)
    _spiff_parses(data, "mensajes.bpmn")
    root = etree.fromstring(data)
    shapes = _shapes(root)
    juntos, banco = shapes["P_juntos"][0], shapes["P_banco"][0]
    assert juntos.bottom < banco.y and not _overlap(juntos, banco)
    for flow in ("mf_aviso", "mf_respuesta"):
        points = root.findall(f".//bpmndi:BPMNEdge[@bpmnElement='{flow}']/di:waypoint", NS)
        assert len(points) >= 2


def test_the_command_line_checks_and_rewrites(tmp_path: Path) -> None:
    target = tmp_path / "sintetico.bpmn"
    shutil.copy(SYNTHETIC, target)

    def tool(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(TOOL), *args], capture_output=True, text=True, check=False
        )

    checked = tool("--check", str(target))
    assert checked.returncode == 1 and "sintetico.bpmn" in checked.stderr
    assert target.read_bytes() == SYNTHETIC.read_bytes()
    assert tool(str(target)).returncode == 0
    first = target.read_bytes()
    assert tool(str(target)).returncode == 0
    assert target.read_bytes() == first
    assert tool("--check", str(target), *map(str, FIXTURES)).returncode == 0


# --- bpmn-js in a real browser ---------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RENDER = """async (xml) => {
  const container = document.getElementById('canvas');
  container.innerHTML = '';
  const viewer = new BpmnJS({ container });
  const result = await viewer.importXML(xml);
  return {
    warnings: result.warnings.map((w) => w.message),
    drawn: [...container.querySelectorAll('g[data-element-id]')].map((g) => g.dataset.elementId),
  };
}"""


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_bpmn_js_draws_every_element_without_warnings() -> None:
    from playwright.sync_api import sync_playwright

    diagrams = {p.name: p.read_bytes() for p in FIXTURES}
    diagrams[SYNTHETIC.name] = layout_bytes(SYNTHETIC.read_bytes(), SYNTHETIC.name)
    diagrams["mensajes.bpmn"] = layout_bytes(MESSAGES, "mensajes.bpmn")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_content("<div id='canvas' style='width:1600px;height:1000px'></div>")
        page.add_style_tag(path=str(VENDOR / "assets" / "diagram-js.css"))
        page.add_style_tag(path=str(VENDOR / "assets" / "bpmn-js.css"))
        page.add_script_tag(path=str(VENDOR / "bpmn-viewer.js"))
        try:
            for name, data in diagrams.items():
                result = page.evaluate(RENDER, data.decode("utf-8"))
                assert result["warnings"] == [], name
                root = etree.fromstring(data)
                expected = {
                    el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNPlane/*", NS)
                }
                semantic = {
                    el.get("id")
                    for el in root.iter()
                    if isinstance(el.tag, str)
                    and _local(el) in FLOW_NODES | {"sequenceFlow", "lane", "participant"}
                }
                assert semantic <= expected, name
                assert expected <= set(result["drawn"]), (name, expected - set(result["drawn"]))
        finally:
            browser.close()
        assert errors == []
