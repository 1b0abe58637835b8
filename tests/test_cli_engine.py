"""The operator CLI over the engine: deploy, processes, instances, tasks, audit verify —
real subprocesses, the same permission checks as the web."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.runtime_support import BPMN, FORMS
from tests.test_cli import juntos


@pytest.fixture(scope="module")
def env(databases, tmp_path_factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "DATABASE_URL": databases.new(),
        "JUNTOS_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "JUNTOS_BPMN_DIR": str(BPMN),
        "JUNTOS_FORMS_DIR": str(FORMS),
    }
    result = juntos(env, "init")
    assert result.returncode == 0, result.stderr
    assert "procesos publicados: 2 nuevos de 2" in result.stdout
    return env


def test_processes_list(env: dict[str, str]) -> None:
    items = json.loads(juntos(env, "processes", "list", "--format", "json").stdout)
    by_key = {i["key"]: i for i in items}
    assert by_key["ref_verificacion"]["version"] == 1
    assert by_key["ref_verificacion"]["owner"] == (
        "Jefe de la Unidad de Verificación de Cumplimiento de Corresponsabilidades"
    )
    assert by_key["ref_verificacion"]["name"] == "Verificación de referencia"


def test_deploy_refuses_a_broken_file_with_its_line(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bpmn"
    bad.mkdir()
    text_ = (
        (BPMN / "ref_verificacion.bpmn")
        .read_text()
        .replace('name="Gestor Local"', 'name="Gestor Global"')
    )
    (bad / "malo.bpmn").write_text(text_)
    shutil.copytree(FORMS, tmp_path / "forms")
    out = juntos(env, "deploy", str(bad))
    assert out.returncode != 0
    assert "malo.bpmn:" in out.stderr and "carril 'Gestor Global'" in out.stderr


def test_start_list_claim_complete_show(env: dict[str, str]) -> None:
    started = juntos(
        env,
        "instances",
        "start",
        "ref_verificacion",
        "--data",
        '{"co_hogar": "H7001"}',
        "--as",
        "jefe.ut.cajamarca",
    )
    assert started.returncode == 0, started.stderr
    iid = int(started.stdout.strip())
    mine = json.loads(juntos(env, "tasks", "list", "--as", "gl.cajamarca").stdout)
    task = next(t for t in mine if t["instance_id"] == iid)
    assert task["element_id"] == "registrar_visita" and task["household"] == "H7001"
    puno = json.loads(juntos(env, "tasks", "list", "--as", "gl.puno").stdout)
    assert iid not in {t["instance_id"] for t in puno}

    denied = juntos(env, "tasks", "claim", str(task["id"]), "--as", "gl.puno")
    assert denied.returncode != 0 and "no ocupa el cargo 'Gestor Local'" in denied.stderr
    assert juntos(env, "tasks", "claim", str(task["id"]), "--as", "gl.cajamarca").returncode == 0
    bad = juntos(
        env,
        "tasks",
        "complete",
        str(task["id"]),
        "--as",
        "gl.cajamarca",
        "--data",
        '{"fecha_visita": "2026-11-20"}',
    )
    assert bad.returncode != 0 and "hogar_encontrado" in bad.stderr
    done = juntos(
        env,
        "tasks",
        "complete",
        str(task["id"]),
        "--as",
        "gl.cajamarca",
        "--data",
        '{"fecha_visita": "2026-11-20", "hogar_encontrado": true}',
    )
    assert done.returncode == 0, done.stderr
    again = juntos(
        env,
        "tasks",
        "complete",
        str(task["id"]),
        "--as",
        "gl.cajamarca",
        "--data",
        '{"fecha_visita": "2026-11-20", "hogar_encontrado": true}',
    )
    assert again.returncode != 0 and "ya no está pendiente" in again.stderr

    shown = json.loads(juntos(env, "instances", "show", str(iid), "--format", "json").stdout)
    assert shown["state"] == "running"
    assert [t["element_id"] for t in shown["tasks"]] == ["registrar_visita", "registrar_resultado"]
    assert shown["data"]["co_hogar"] == "H7001"
    assert [h["kind"] for h in shown["history"]][:4] == [
        "instance.started",
        "task.ready",
        "task.claimed",
        "task.completed",
    ]


def test_bad_json_and_unknown_things_are_clear_errors(env: dict[str, str]) -> None:
    out = juntos(env, "instances", "start", "ref_verificacion", "--data", "{no", "--as", "director")
    assert out.returncode != 0 and "--data" in out.stderr
    out = juntos(env, "instances", "start", "no_existe", "--as", "director")
    assert out.returncode != 0 and "no existe el proceso 'no_existe'" in out.stderr
    out = juntos(env, "tasks", "list", "--as", "nadie")
    assert out.returncode != 0 and "no existe el usuario 'nadie'" in out.stderr


def test_audit_verify_detects_tampering(env: dict[str, str]) -> None:
    ok = juntos(env, "audit", "verify")
    assert ok.returncode == 0 and "cadena íntegra" in ok.stdout
    engine = create_engine(env["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET data = '{}' WHERE seq = 3"))
    engine.dispose()
    broken = juntos(env, "audit", "verify")
    assert broken.returncode != 0
    assert "cadena rota en el evento 3" in broken.stderr


def test_message_and_incident_commands_check_their_input(env: dict[str, str]) -> None:
    out = juntos(env, "instances", "message", "999999", "respuesta", "--as", "director")
    assert out.returncode != 0 and "no existe la instancia 999999" in out.stderr
    out = juntos(env, "incidents", "retry", "999999", "--as", "director")
    assert out.returncode != 0 and "no existe el incidente 999999" in out.stderr
    out = juntos(
        env, "incidents", "resolve", "1", "--result", "[]", "--note", "x", "--as", "director"
    )
    assert out.returncode != 0 and "--result" in out.stderr
