"""The process owner's modeler in the engine: drafts, validation with element ids, diff,
publication, roll-back, permissions, instance migration, and auditors who cannot write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from engine import audit, modeling, runtime
from engine.db import Database
from engine.definitions import DefinitionRefused
from engine.errors import NotFound, PermissionDenied, ValidationError
from engine.runtime.actors import ReadOnlyAuditor
from engine.taskwork import add_comment
from tests.runtime_support import BPMN, FORMS, complete, only_task, prepared_database, start

KEY = "ref_verificacion"
OWNER = "jefe.uvcc"
SOURCE = (BPMN / "ref_verificacion.bpmn").read_text(encoding="utf-8")
VISITA = {"fecha_visita": "2026-11-20", "hogar_encontrado": True}
DECISION = {"decision": "conforme"}


@pytest.fixture(scope="module")
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = prepared_database(databases.new())
    yield database
    database.dispose()


def _actor(s, login: str) -> runtime.Actor:  # type: ignore[no-untyped-def]
    return runtime.actor_for_login(s, login)


def renamed(source: str) -> str:
    return source.replace('name="Validar resultado"', 'name="Validar el resultado"')


def without_validar(source: str) -> str:
    """``validar`` removed: the notice goes straight to ``aprobar``."""
    start = source.index('<bpmn:userTask id="validar"')
    end = source.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    source = source[:start] + source[end:]
    source = source.replace("<bpmn:flowNodeRef>validar</bpmn:flowNodeRef>", "")
    source = source.replace(
        '<bpmn:sequenceFlow id="f6" sourceRef="validar" targetRef="aprobar"/>', ""
    )
    source = source.replace(
        '<bpmn:sequenceFlow id="f5" sourceRef="notificar" targetRef="validar"/>',
        '<bpmn:sequenceFlow id="f5" sourceRef="notificar" targetRef="aprobar"/>',
    )
    return source.replace("<bpmn:incoming>f6</bpmn:incoming>", "<bpmn:incoming>f5</bpmn:incoming>")


def broken(source: str) -> str:
    """A lane that names no position, and a task nothing leads to."""
    source = source.replace('name="Gestor Local"', 'name="Cargo Inexistente"')
    return source.replace(
        '<bpmn:endEvent id="fin"',
        '<bpmn:manualTask id="huerfana" name="Tarea huérfana"/>\n    <bpmn:endEvent id="fin"',
    )


def test_validate_names_the_element_of_each_problem(db: Database) -> None:
    with db.transaction() as s:
        findings, _ = modeling.check(s, KEY, broken(SOURCE), FORMS)
    by_id = {f.element_id: f.message for f in findings}
    assert "no nombra un cargo" in by_id["Lane_gl"]
    assert by_id["huerfana"] == "no se puede alcanzar desde el inicio del proceso"
    with db.transaction() as s:
        findings, _ = modeling.check(s, KEY, "<no es xml", FORMS)
    assert "XML mal formado" in findings[0].message
    with db.transaction() as s:
        findings, _ = modeling.check(s, KEY, SOURCE, FORMS)
    assert findings == []


def test_hostile_xml_is_refused_before_parsing(db: Database) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(ValidationError, match="DOCTYPE"), db.write_transaction() as s:
        modeling.save_draft(s, KEY, _actor(s, OWNER), bomb)


def test_only_the_owner_or_an_admin_changes_a_process(db: Database) -> None:
    for login in ("jefe.ut.cajamarca", "esp.verificacion", "auditor.oci"):
        with pytest.raises(PermissionDenied), db.write_transaction() as s:
            modeling.save_draft(s, KEY, _actor(s, login), renamed(SOURCE))
        with db.transaction() as s:
            assert not modeling.may_publish(s, KEY, _actor(s, login))
    with db.transaction() as s:
        assert modeling.may_publish(s, KEY, _actor(s, OWNER))
        assert modeling.may_publish(s, KEY, _actor(s, "admin"))


def test_draft_diff_publish_rollback_and_instances_keep_their_version(db: Database) -> None:
    old_instance = start(db, KEY, "gl.cajamarca", {"co_hogar": "MOD-1"})
    with db.write_transaction() as s:
        base = modeling.published(s, KEY).version
        modeling.save_draft(s, KEY, _actor(s, OWNER), broken(SOURCE))
    with db.write_transaction() as s, pytest.raises(DefinitionRefused) as refused:
        modeling.publish(s, KEY, _actor(s, OWNER), FORMS)
    assert any("Cargo Inexistente" in str(p) for p in refused.value.problems)
    with db.write_transaction() as s:
        modeling.save_draft(s, KEY, _actor(s, OWNER), renamed(SOURCE))
    with db.transaction() as s:
        assert modeling.published(s, KEY).version == base  # a draft publishes nothing
        d = modeling.diff(s, KEY, None, FORMS)
    assert d.added == [] and d.removed == []
    [change] = d.changed
    assert (change.id, change.name) == ("validar", "Validar el resultado")
    assert change.fields[0]["before"] == "Validar resultado"

    with db.write_transaction() as s:
        result = modeling.publish(s, KEY, _actor(s, OWNER), FORMS)
        assert modeling.draft_of(s, KEY) is None
    assert result.version == base + 1
    with db.transaction() as s:
        kinds = [e.kind for e in audit.events(s)[-3:]]
    assert kinds[-2:] == ["definition.published", "definition.draft_published"]

    new_instance = start(db, KEY, "gl.cajamarca", {"co_hogar": "MOD-2"})
    with db.transaction() as s:
        assert runtime.instance_detail(s, old_instance).instance.process_version == base
        assert runtime.instance_detail(s, new_instance).instance.process_version == base + 1
    _finish(db, old_instance)
    with db.transaction() as s:
        assert runtime.instance_detail(s, old_instance).instance.state == "completed"

    with db.write_transaction() as s:
        back = modeling.rollback(s, KEY, base, _actor(s, OWNER), FORMS)
        again = modeling.published(s, KEY)
        first = modeling.published(s, KEY, base)
        assert (again.version, again.sha256) == (back.version, first.sha256)
    with pytest.raises(ValidationError, match="ya es la vigente"), db.write_transaction() as s:
        modeling.rollback(s, KEY, back.version, _actor(s, OWNER), FORMS)
    with pytest.raises(NotFound), db.write_transaction() as s:
        modeling.publish(s, KEY, _actor(s, OWNER), FORMS)


def _finish(db: Database, instance_id: int) -> None:
    complete(db, only_task(db, instance_id, "registrar_visita").id, "gl.cajamarca", VISITA)
    complete(
        db, only_task(db, instance_id, "registrar_resultado").id, "gl.cajamarca", {"cumple": True}
    )
    complete(db, only_task(db, instance_id, "revisar").id, "ctz.cajamarca", DECISION)
    with db.transaction() as s:
        calls = [c.id for c in runtime.instance_detail(s, instance_id).service_calls]
    for call in calls:
        runtime.execute_service_call(db, call)
    complete(db, only_task(db, instance_id, "validar").id, "esp.verificacion", DECISION)
    complete(db, only_task(db, instance_id, "aprobar").id, "jefe.ut.cajamarca", DECISION)


def test_migration_when_the_waiting_element_exists_refused_otherwise(db: Database) -> None:
    early = start(db, KEY, "gl.cajamarca", {"co_hogar": "MIG-1"})
    late = start(db, KEY, "gl.cajamarca", {"co_hogar": "MIG-2"})
    complete(db, only_task(db, late, "registrar_visita").id, "gl.cajamarca", VISITA)
    complete(db, only_task(db, late, "registrar_resultado").id, "gl.cajamarca", {"cumple": True})
    complete(db, only_task(db, late, "revisar").id, "ctz.cajamarca", DECISION)
    with db.transaction() as s:
        calls = [c.id for c in runtime.instance_detail(s, late).service_calls]
    for call in calls:
        runtime.execute_service_call(db, call)
    only_task(db, late, "validar")
    with db.write_transaction() as s:
        modeling.save_draft(s, KEY, _actor(s, OWNER), without_validar(SOURCE))
        target = modeling.publish(s, KEY, _actor(s, OWNER), FORMS).version

    with pytest.raises(modeling.MigrationRefused, match="validar"), db.write_transaction() as s:
        modeling.migrate_instance(s, late, _actor(s, OWNER))
    with pytest.raises(PermissionDenied), db.write_transaction() as s:
        modeling.migrate_instance(s, early, _actor(s, "gl.cajamarca"))
    with db.write_transaction() as s:
        moved = modeling.migrate_instance(s, early, _actor(s, OWNER))
    assert moved.to_version == target
    complete(db, only_task(db, early, "registrar_visita").id, "gl.cajamarca", VISITA)
    complete(db, only_task(db, early, "registrar_resultado").id, "gl.cajamarca", {"cumple": True})
    complete(db, only_task(db, early, "revisar").id, "ctz.cajamarca", DECISION)
    with db.transaction() as s:
        calls = [c.id for c in runtime.instance_detail(s, early).service_calls]
    for call in calls:
        runtime.execute_service_call(db, call)
    complete(db, only_task(db, early, "aprobar").id, "jefe.ut.cajamarca", DECISION)  # no validar
    with db.transaction() as s:
        detail = runtime.instance_detail(s, early)
        assert detail.instance.state == "completed"
        assert "instance.migrated" in [e.kind for e in detail.history]


def test_auditors_cannot_change_anything(db: Database) -> None:
    instance = start(db, KEY, "gl.cajamarca", {"co_hogar": "AUD-1"})
    task = only_task(db, instance, "registrar_visita")
    with db.write_transaction() as s:
        auditor = _actor(s, "auditor.oci")
        jefe = _actor(s, "jefe.oci")
    for who in (auditor, jefe):
        with pytest.raises(ReadOnlyAuditor), db.write_transaction() as s:
            runtime.start_instance(s, KEY, who, {"co_hogar": "AUD-2"})
        with pytest.raises(PermissionDenied), db.write_transaction() as s:
            runtime.claim(s, task.id, who)
        with pytest.raises(PermissionDenied), db.write_transaction() as s:
            add_comment(s, task.id, who, "nota")
        with pytest.raises(PermissionDenied), db.write_transaction() as s:
            modeling.rollback(s, KEY, 1, who, FORMS)
    with db.transaction() as s:
        rows = s.scalars(
            select(runtime.ProcessInstance).where(runtime.ProcessInstance.household == "AUD-2")
        )
        assert list(rows) == []


def with_scripts(source: str, post: str, condition: str) -> str:
    """A post-script on ``registrar_visita`` and the condition of ``f_conforme`` replaced."""
    source = source.replace(
        '<spiffworkflow:property name="due" value="P3D"/>\n        </spiffworkflow:properties>',
        '<spiffworkflow:property name="due" value="P3D"/>\n        </spiffworkflow:properties>\n'
        f"        <spiffworkflow:postScript>{post}</spiffworkflow:postScript>",
    )
    return source.replace('decision == "conforme"', condition)


def test_sandbox_refusals_name_their_element_and_block_publication(db: Database) -> None:
    bad = with_scripts(SOURCE, "import os", "__import__('os')")
    with db.transaction() as s:
        findings, _ = modeling.check(s, KEY, bad, FORMS)
    by_id = {f.element_id: f.message for f in findings}
    assert set(by_id) == {"registrar_visita", "f_conforme"}
    with db.write_transaction() as s:
        modeling.save_draft(s, KEY, _actor(s, OWNER), bad)
    with db.write_transaction() as s, pytest.raises(modeling.DraftRefused) as refused:
        modeling.publish(s, KEY, _actor(s, OWNER), FORMS)
    assert {f.element_id for f in refused.value.findings} == {"registrar_visita", "f_conforme"}
    good = with_scripts(SOURCE, "visitado = True", 'decision == "conforme" and visitado')
    with db.transaction() as s:
        assert modeling.check(s, KEY, good, FORMS)[0] == []
    with db.write_transaction() as s:
        modeling.save_draft(s, KEY, _actor(s, OWNER), good)
        assert modeling.publish(s, KEY, _actor(s, OWNER), FORMS).created
