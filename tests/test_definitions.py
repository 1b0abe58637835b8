"""Deploying diagrams: versioning, and refusal of anything wrong or hostile — with the
file, line and element named, and nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.definitions import DefinitionRefused, ProcessDefinition, deploy
from tests.runtime_support import BPMN, FORMS

REF = (BPMN / "ref_verificacion.bpmn").read_text(encoding="utf-8")


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


def _deploy_text(session: Session, tmp_path: Path, text: str, name: str = "x.bpmn"):  # type: ignore[no-untyped-def]
    folder = tmp_path / "bpmn"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return deploy(session, folder / name, FORMS)


def test_deploy_versions_only_what_changed(session: Session, tmp_path: Path) -> None:
    first = deploy(session, BPMN, FORMS)
    assert {(r.key, r.version, r.created) for r in first} == {
        ("ref_verificacion", 1, True),
        ("ref_eventos", 1, True),
    }
    again = deploy(session, BPMN, FORMS)
    assert {r.created for r in again} == {False}
    changed = _deploy_text(
        session, tmp_path, REF.replace("Registrar visita al hogar", "Registrar visita"), "ref.bpmn"
    )
    assert [(r.key, r.version, r.created) for r in changed] == [("ref_verificacion", 2, True)]
    row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 2))
    assert row.owner == "Jefe de la Unidad de Verificación de Cumplimiento de Corresponsabilidades"
    assert set(json.loads(row.forms)) == {
        "ref_visita.schema.json",
        "ref_resultado.schema.json",
        "ref_decision.schema.json",
    }


def test_a_changed_form_makes_a_new_version(session: Session, tmp_path: Path) -> None:
    deploy(session, BPMN / "ref_verificacion.bpmn", FORMS)
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    schema = json.loads((forms / "ref_visita.schema.json").read_text())
    schema["properties"]["observaciones"]["maxLength"] = 500
    (forms / "ref_visita.schema.json").write_text(json.dumps(schema))
    [result] = deploy(session, BPMN / "ref_verificacion.bpmn", forms)
    assert (result.version, result.created) == (2, True)


BROKEN = {
    "unknown lane": (
        REF.replace('name="Coordinador Técnico Zonal"', 'name="Coordinador Zonal"'),
        "carril 'Coordinador Zonal': no nombra un cargo",
    ),
    "missing form": (
        REF.replace("ref_visita.schema.json", "no_existe.schema.json"),
        "el formulario 'no_existe.schema.json' no existe",
    ),
    "form path traversal": (
        REF.replace("ref_visita.schema.json", "../../etc/passwd"),
        "no existe en forms/",
    ),
    "unknown operation": (
        REF.replace('id="notificaciones.registrar"', 'id="pagos.transferir_todo"'),
        "la operación 'pagos.transferir_todo' no está registrada",
    ),
    "unknown parameter": (
        REF.replace('id="asunto"', 'id="titulo"'),
        "no tiene el parámetro 'titulo'",
    ),
    "missing owner": (REF.replace('name="owner"', 'name="dueño"'), "falta la propiedad 'owner'"),
    "bad due": (REF.replace('value="P3D"', 'value="tres días"'), "duración ISO 8601"),
    "not xml": ("<bpmn:definitions", "XML mal formado"),
    "loop back through a parallel gateway": (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'targetNamespace="t"><bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/>'
        '<bpmn:userTask id="a"/><bpmn:parallelGateway id="g"/><bpmn:userTask id="b"/>'
        '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="g"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="a"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="g" targetRef="b"/>'
        '<bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="e"/>'
        "</bpmn:process></bpmn:definitions>",
        "un ciclo vuelve a través de una compuerta paralela",
    ),
    "scopeFrom not a field": (
        REF.replace(
            '<spiffworkflow:property name="due" value="P3D"/>',
            '<spiffworkflow:property name="due" value="P3D"/>'
            '<spiffworkflow:property name="scopeFrom" value="unidad-x"/>',
        ),
        "'scopeFrom' debe nombrar un campo de datos",
    ),
    "missing start form": (
        REF.replace(
            '<spiffworkflow:property name="default_due" value="P5D"/>',
            '<spiffworkflow:property name="default_due" value="P5D"/>'
            '<spiffworkflow:property name="startForm" value="no_hay.schema.json"/>',
        ),
        "startForm: el formulario 'no_hay.schema.json' no existe",
    ),
    "xsd violation": (
        REF.replace("<bpmn:incoming>f1</bpmn:incoming>", "<bpmn:nonsense>f1</bpmn:nonsense>"),
        "nonsense",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_diagrams_are_refused_whole(session: Session, tmp_path: Path, case: str) -> None:
    text, message = BROKEN[case]
    before = _count(session)
    with pytest.raises(DefinitionRefused) as err:
        _deploy_text(session, tmp_path, text)
    assert message in str(err.value)
    assert "x.bpmn" in str(err.value)
    assert _count(session) == before


def test_problem_names_the_line_and_element(session: Session, tmp_path: Path) -> None:
    text = REF.replace("ref_visita.schema.json", "no_existe.schema.json")
    with pytest.raises(DefinitionRefused) as err:
        _deploy_text(session, tmp_path, text)
    [problem] = err.value.problems
    line = next(n for n, row in enumerate(text.splitlines(), 1) if 'id="registrar_visita"' in row)
    assert (problem.filename, problem.line) == ("x.bpmn", line)
    assert "registrar_visita" in problem.where


# --- hostile diagrams: each refused at deploy; nothing is read, expanded or executed ---

CANARY_TEXT = "canario-8f3a-no-debe-leerse"
XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file://CANARY">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" name="&xxe;" isExecutable="true"/></bpmn:definitions>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" name="&lol3;" isExecutable="true"/></bpmn:definitions>"""
SCRIPT_TASK = """<bpmn:scriptTask id="malicioso" name="Script">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f1b</bpmn:outgoing>
      <bpmn:script>{code}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1b" sourceRef="malicioso" targetRef="registrar_visita"/>"""


def _with_script(code: str) -> str:
    text = REF.replace(
        '<bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="registrar_visita"/>',
        '<bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="malicioso"/>',
    )
    text = text.replace(
        "<bpmn:incoming>f1</bpmn:incoming>\n      <bpmn:outgoing>f2",
        "<bpmn:incoming>f1b</bpmn:incoming>\n      <bpmn:outgoing>f2",
    )
    return text.replace(
        '<bpmn:endEvent id="fin"', SCRIPT_TASK.format(code=code) + '\n    <bpmn:endEvent id="fin"'
    )


HOSTILE = {
    "xxe": (XXE, "no se admiten DOCTYPE"),
    "billion laughs": (LAUGHS, "no se admiten DOCTYPE"),
    "import": (_with_script("__import__('os').system('touch /tmp/pwned')"), "malicioso"),
    "import statement": (_with_script("import os"), "malicioso"),
    "subclasses escape": (
        _with_script("x = ().__class__.__mro__[1].__subclasses__()"),
        "malicioso",
    ),
    "open": (_with_script("data = open('/etc/passwd').read()"), "malicioso"),
    "condition": (REF.replace('decision == "conforme"', "__import__('os').getcwd()"), "f_conforme"),
    "service parameter": (
        REF.replace(
            'value="&quot;Resultado conforme: &quot; + str(co_hogar)"',
            "value=\"open('/etc/passwd').read()\"",
        ),
        "notificar",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_diagrams_are_refused(session: Session, tmp_path: Path, case: str) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text(CANARY_TEXT)
    text, where = HOSTILE[case]
    before = _count(session)
    with pytest.raises(DefinitionRefused) as err:
        _deploy_text(session, tmp_path, text.replace("CANARY", str(canary)))
    assert where in str(err.value)
    assert CANARY_TEXT not in str(err.value)
    assert not Path("/tmp/pwned").exists()
    assert _count(session) == before
