"""Coverage of BPMN elements and flows from stored instances (`juntos processes coverage`)."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from engine import definitions
from engine.runtime.coverage import process_coverage
from tests.processes.support import Walk
from tests.runtime_support import FORMS, prepared_database
from tests.test_cli import juntos


@pytest.fixture(scope="module")
def walks_db(databases):  # type: ignore[no-untyped-def]
    url = databases.new()
    db = prepared_database(url)
    yield url, db
    db.dispose()


def _coverage(db, key):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        (cov,) = process_coverage(s, [key])
    return cov


def test_a_loop_and_both_gateway_branches_are_reported(walks_db) -> None:  # type: ignore[no-untyped-def]
    _, db = walks_db
    walk = Walk(db, "ref_verificacion", "gl.cajamarca", {"co_hogar": "H1"})
    walk.do(
        "registrar_visita", "gl.cajamarca", {"fecha_visita": "2026-11-02", "hogar_encontrado": True}
    )
    walk.do("registrar_resultado", "gl.cajamarca", {"cumple": True})
    cov = _coverage(db, "ref_verificacion")
    assert cov.instances == 1
    assert "gw_revision" not in cov.reached_elements
    assert {"f1", "f2", "f3"} <= cov.reached_flows and "f4" not in cov.reached_flows

    walk.do("revisar", "ctz.cajamarca", {"decision": "observado"})
    assert "f_observado" in _coverage(db, "ref_verificacion").reached_flows
    walk.do("registrar_resultado", "gl.cajamarca", {"cumple": True})
    walk.do("revisar", "ctz.cajamarca", {"decision": "conforme"})
    walk.do("validar", "esp.verificacion", {"decision": "conforme"})
    walk.do("aprobar", "jefe.ut.cajamarca", {"decision": "conforme"})
    assert walk.state == "completed"
    cov = _coverage(db, "ref_verificacion")
    assert cov.missing_elements == [] and cov.missing_flows == []


def test_boundary_timer_path_counts_and_cli_reports_what_is_missing(walks_db) -> None:  # type: ignore[no-untyped-def]
    url, db = walks_db
    walk = Walk(db, "ref_eventos", "gl.cajamarca", {"co_hogar": "H2"})
    walk.do("registrar", "gl.cajamarca", {"cumple": True})
    walk.pass_time(timedelta(days=30))
    assert walk.waiting_at() == ["aprobar", "atender_vencida"]  # non-interrupting escalation
    cov = _coverage(db, "ref_eventos")
    assert {"vencida", "e_venc"} <= cov.reached_elements | cov.reached_flows
    assert "aprobar" in cov.reached_elements  # it was ready when the timer fired

    env = {**os.environ, "DATABASE_URL": url}
    result = juntos(env, "processes", "coverage", "ref_eventos", "--format", "json")
    assert result.returncode == 0, result.stderr
    (report,) = json.loads(result.stdout)
    assert report["instances"] == 1
    assert "e4: esperar_respuesta → fin" in report["missing_flows"]
    assert "e_venc_fin: atender_vencida → fin_vencida" in report["missing_flows"]


PARALLEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="ref_paralelo" name="Paralelo" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="owner" value="Jefe de Unidad Territorial"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Gestor Local">
      <bpmn:flowNodeRef>a</bpmn:flowNodeRef><bpmn:flowNodeRef>b</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:userTask id="a" name="A"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="ref_decision.schema.json"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="b" name="B"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="ref_decision.schema.json"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:parallelGateway id="join"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="split"/>
    <bpmn:sequenceFlow id="fa" sourceRef="split" targetRef="a"/>
    <bpmn:sequenceFlow id="fb" sourceRef="split" targetRef="b"/>
    <bpmn:sequenceFlow id="fa2" sourceRef="a" targetRef="join"/>
    <bpmn:sequenceFlow id="fb2" sourceRef="b" targetRef="join"/>
    <bpmn:sequenceFlow id="fe" sourceRef="join" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_every_branch_into_a_parallel_join_counts(walks_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, db = walks_db
    (tmp_path / "paralelo.bpmn").write_text(PARALLEL, encoding="utf-8")
    with db.write_transaction() as s:
        definitions.deploy(s, tmp_path, FORMS)
    walk = Walk(db, "ref_paralelo", "gl.cajamarca")
    walk.do("a", "gl.cajamarca", {"decision": "conforme"})
    walk.do("b", "gl.cajamarca", {"decision": "conforme"})
    assert walk.state == "completed"
    cov = _coverage(db, "ref_paralelo")
    assert cov.missing_elements == [] and cov.missing_flows == []
