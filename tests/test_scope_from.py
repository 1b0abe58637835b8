"""Routing decided at run time (user task property ``scopeFrom``) and start forms
(process property ``startForm``): the entradas are checked before anything starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import definitions, runtime
from engine.db import Database
from engine.errors import ValidationError
from tests.processes.support import Walk
from tests.runtime_support import prepared_database

DERIVATION = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="ref_derivacion" name="Derivación" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="owner" value="Jefe de la Unidad de Comunicación e Imagen"/>
      <spiffworkflow:property name="startForm" value="inicio.schema.json"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="Jefe de la Unidad de Comunicación e Imagen">
        <bpmn:flowNodeRef>derivar</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l2" name="Jefe de Unidad Territorial">
        <bpmn:flowNodeRef>investigar</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="derivar" name="Derivar"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="derivar.schema.json"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="investigar" name="Investigar">
      <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="investigar.schema.json"/>
      <spiffworkflow:property name="scopeFrom" value="unidad_competente"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="derivar"/>
    <bpmn:sequenceFlow id="f2" sourceRef="derivar" targetRef="investigar"/>
    <bpmn:sequenceFlow id="f3" sourceRef="investigar" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>
"""
FORMS = {
    "inicio.schema.json": {
        "type": "object",
        "required": ["asunto"],
        "additionalProperties": False,
        "properties": {"asunto": {"type": "string", "minLength": 1, "maxLength": 200}},
    },
    "derivar.schema.json": {
        "type": "object",
        "required": ["unidad_competente"],
        "properties": {"unidad_competente": {"type": "string", "enum": ["UT-PUN", "UT-CAJ", "XX"]}},
    },
    "investigar.schema.json": {"type": "object", "properties": {"hallazgo": {"type": "string"}}},
}


@pytest.fixture(scope="module")
def db(databases, tmp_path_factory) -> Database:  # type: ignore[no-untyped-def]
    database = prepared_database(databases.new())
    folder: Path = tmp_path_factory.mktemp("derivacion")
    (folder / "bpmn").mkdir()
    (folder / "forms").mkdir()
    (folder / "bpmn" / "derivacion.bpmn").write_text(DERIVATION, encoding="utf-8")
    for name, schema in FORMS.items():
        (folder / "forms" / name).write_text(json.dumps(schema), encoding="utf-8")
    with database.write_transaction() as s:
        definitions.deploy(s, folder / "bpmn", folder / "forms")
    yield database
    database.dispose()


def test_the_task_goes_to_the_unit_chosen_at_run_time(db: Database) -> None:
    walk = Walk(db, "ref_derivacion", "jefe.uci", {"asunto": "Reclamo por pago"})
    walk.do("derivar", "jefe.uci", {"unidad_competente": "UT-PUN"})
    task = walk.task("investigar")
    walk.refuses("investigar", "jefe.ut.cajamarca")
    walk.do("investigar", "jefe.ut.puno", {"hallazgo": "Pago reprogramado"})
    assert walk.state == "completed"
    with db.transaction() as s:
        assert runtime.instance_detail(s, walk.id).tasks[-1].id == task.id


def test_a_unit_code_that_does_not_exist_refuses_the_completion(db: Database) -> None:
    walk = Walk(db, "ref_derivacion", "jefe.uci", {"asunto": "Consulta"})
    with pytest.raises(runtime.ProcessError, match="unidad_competente"):
        walk.do("derivar", "jefe.uci", {"unidad_competente": "XX"})
    assert walk.waiting_at() == ["derivar"]  # nothing of that step was kept


def test_the_start_form_checks_the_entradas(db: Database) -> None:
    for data, field in (({}, "asunto"), ({"asunto": ""}, "asunto"), ({"asunto": "x", "y": 1}, "y")):
        with pytest.raises(ValidationError) as err, db.write_transaction() as s:
            runtime.start_instance(
                s, "ref_derivacion", runtime.actor_for_login(s, "jefe.uci"), data
            )
        assert err.value.field == field


SUBPROCESS_LANES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="ref_sublanes" name="Subproceso con carriles" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="owner" value="Jefe de la Unidad de Comunicación e Imagen"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="Jefe de la Unidad de Comunicación e Imagen">
        <bpmn:flowNodeRef>sub</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l2" name="Jefe de Unidad Territorial">
        <bpmn:flowNodeRef>dentro</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:subProcess id="sub" name="Investigación">
      <bpmn:startEvent id="ss"/>
      <bpmn:userTask id="dentro" name="Investigar en la UT">
        <bpmn:extensionElements><spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="investigar.schema.json"/>
        </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
      <bpmn:endEvent id="se"/>
      <bpmn:sequenceFlow id="g1" sourceRef="ss" targetRef="dentro"/>
      <bpmn:sequenceFlow id="g2" sourceRef="dentro" targetRef="se"/>
    </bpmn:subProcess>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
    <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_task_inside_a_subprocess_goes_to_the_lane_that_lists_it(
    db: Database, tmp_path: Path
) -> None:
    (tmp_path / "sub.bpmn").write_text(SUBPROCESS_LANES, encoding="utf-8")
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "investigar.schema.json").write_text(json.dumps(FORMS["investigar.schema.json"]))
    with db.write_transaction() as s:
        definitions.deploy(s, tmp_path / "sub.bpmn", forms)
    walk = Walk(db, "ref_sublanes", "jefe.uci", scope="UT-PUN")
    assert walk.task("dentro").candidate == "Jefe de Unidad Territorial"
    walk.refuses("dentro", "jefe.uci")
    walk.do("dentro", "jefe.ut.puno", {"hallazgo": "ok"})
    assert walk.state == "completed"
