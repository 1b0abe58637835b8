"""The forms a draft carries: checked as untrusted input (owner only, nothing written on
error), overlaid on the published forms when validating, shown in the diff field by field,
and snapshotted into the new version at publish — old instances keep their form."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from engine import audit, modeling, runtime
from engine.audit import AuditEvent
from engine.db import Database
from engine.errors import PermissionDenied, ValidationError
from engine.modeling.forms import MAX_FORM_BYTES, MAX_FORMS, check_forms, form_changes
from engine.runtime.task_page import task_page
from tests.runtime_support import BPMN, FORMS, only_task, prepared_database, start

KEY = "ref_verificacion"
OWNER = "jefe.uvcc"
SOURCE = (BPMN / "ref_verificacion.bpmn").read_text(encoding="utf-8")
VISITA_NAME = "ref_visita.schema.json"
VISITA = json.loads((FORMS / VISITA_NAME).read_text(encoding="utf-8"))


def with_phone(schema: dict) -> dict:  # type: ignore[type-arg]
    new = copy.deepcopy(schema)
    new["properties"]["telefono"] = {"type": "string", "title": "Teléfono de contacto"}
    return new


@pytest.fixture(scope="module")
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = prepared_database(databases.new())
    yield database
    database.dispose()


def _actor(s, login: str) -> runtime.Actor:  # type: ignore[no-untyped-def]
    return runtime.actor_for_login(s, login)


def _written(db: Database) -> tuple[int, str | None]:
    """(audit events so far, the draft's forms): what a refused save must leave as it was."""
    with db.transaction() as s:
        draft = modeling.draft_of(s, KEY)
        return s.scalar(select(func.count(AuditEvent.seq))), draft.forms if draft else None


def test_a_non_owner_cannot_save_forms_into_a_draft(db: Database) -> None:
    before = _written(db)
    for login in ("jefe.ut.cajamarca", "gl.cajamarca", "auditor.oci"):
        with pytest.raises(PermissionDenied), db.write_transaction() as s:
            modeling.save_draft(
                s, KEY, _actor(s, login), SOURCE, forms={VISITA_NAME: with_phone(VISITA)}
            )
    assert _written(db) == before


@pytest.mark.parametrize(
    ("forms", "named"),
    [
        (
            {VISITA_NAME: {"type": "object", "properties": {"telefono": {"type": "strin"}}}},
            ["ref_visita.schema.json", "campo 'telefono'", "properties/telefono/type"],
        ),
        (
            {"otro.schema.json": {"properties": {"a": {"minLength": -1}}}},
            ["otro.schema.json", "campo 'a'", "minLength"],
        ),
        ({VISITA_NAME: ["no", "es", "objeto"]}, [VISITA_NAME, "objeto JSON"]),
        ({"../../etc/passwd.json": VISITA}, ["nombre de formulario no válido", "../../etc"]),
        ({"forms/x.json": VISITA}, ["nombre de formulario no válido"]),
        ({".oculto.json": VISITA}, ["nombre de formulario no válido"]),
        ({"sin_extension": VISITA}, ["nombre de formulario no válido"]),
        ({"grande.json": {"description": "x" * MAX_FORM_BYTES}}, ["grande.json", "demasiado"]),
        ({"hondo.json": json.loads('{"not":' * 40 + "{}" + "}" * 40)}, ["hondo.json", "anida"]),
        ("no es un objeto", ["formularios"]),
        ({f"f{i}.json": {} for i in range(MAX_FORMS + 1)}, ["formularios", "demasiados"]),
        (
            {f"f{i}.json": {"description": "x" * 250_000} for i in range(10)},
            ["formularios", "suman más de 2 MB"],
        ),
    ],
)
def test_bad_forms_are_refused_naming_form_and_field_and_nothing_is_written(
    db: Database, forms: object, named: list[str]
) -> None:
    with db.write_transaction() as s:  # a draft already saved: it must stay as it was
        modeling.save_draft(s, KEY, _actor(s, OWNER), SOURCE, forms={}, forms_dir=FORMS)
    before = _written(db)
    with pytest.raises(ValidationError) as refused, db.write_transaction() as s:
        modeling.save_draft(s, KEY, _actor(s, OWNER), SOURCE, forms=forms, forms_dir=FORMS)
    for text in named:
        assert text in str(refused.value)
    assert _written(db) == before
    with pytest.raises(ValidationError), db.transaction() as s:  # validating refuses them too
        modeling.check(s, KEY, SOURCE, FORMS, forms=forms)


def test_form_changes_name_the_fields() -> None:
    [change] = form_changes({VISITA_NAME: VISITA}, {VISITA_NAME: with_phone(VISITA)})
    assert (change.name, change.status, change.added) == (VISITA_NAME, "modificado", ["telefono"])
    renamed = copy.deepcopy(VISITA)
    renamed["properties"]["fecha_visita"]["title"] = "Día"
    renamed["required"] = ["fecha_visita"]
    [change] = form_changes({VISITA_NAME: VISITA}, {VISITA_NAME: renamed})
    assert (change.changed, change.other, change.added) == (["fecha_visita"], ["required"], [])
    assert check_forms({VISITA_NAME: VISITA}) == {VISITA_NAME: VISITA}


def test_draft_forms_are_validated_compared_and_published_old_instances_keep_theirs(
    db: Database,
) -> None:
    old = start(db, KEY, "gl.cajamarca", {"co_hogar": "FORM-OLD"})
    new_form = {"type": "object", "properties": {"nota": {"type": "string", "title": "Nota"}}}
    uses_new = SOURCE.replace('value="ref_decision.schema.json"', 'value="ref_nota.schema.json"', 1)
    with db.transaction() as s:  # a form only the draft has: missing without it
        findings, _ = modeling.check(s, KEY, uses_new, FORMS, forms={})
        assert any("ref_nota.schema.json" in f.message for f in findings)
        assert {f.element_id for f in findings} == {"revisar"}
        findings, _ = modeling.check(
            s, KEY, uses_new, FORMS, forms={"ref_nota.schema.json": new_form}
        )
        assert findings == []
    with db.write_transaction() as s:
        modeling.save_draft(
            s,
            KEY,
            _actor(s, OWNER),
            SOURCE,
            forms={
                VISITA_NAME: with_phone(VISITA),
                "ref_decision.schema.json": json.loads(
                    (FORMS / "ref_decision.schema.json").read_text(encoding="utf-8")
                ),
            },
            forms_dir=FORMS,
        )
    with db.transaction() as s:
        assert list(modeling.draft_forms(s, KEY)) == [VISITA_NAME]  # unchanged one not kept
        saved = audit.events(s)[-1]
        assert saved.kind == "definition.draft_saved" and json.loads(saved.data)["forms"] == [
            VISITA_NAME
        ]
        assert modeling.check(s, KEY, None, FORMS)[0] == []
        d = modeling.diff(s, KEY, None, FORMS)
    assert d.added == d.removed == []
    assert [(f.name, f.status, f.added) for f in d.forms] == [
        (VISITA_NAME, "modificado", ["telefono"])
    ]
    assert [(c.id, [f["field"] for f in c.fields]) for c in d.changed] == [
        ("registrar_visita", ["form"])
    ]

    with db.write_transaction() as s:
        version = modeling.publish(s, KEY, _actor(s, OWNER), FORMS).version
        assert "telefono" in json.loads(modeling.published(s, KEY).forms)[VISITA_NAME]["properties"]
        assert (
            "telefono"
            not in json.loads(modeling.published(s, KEY, version - 1).forms)[VISITA_NAME][
                "properties"
            ]
        )
    new = start(db, KEY, "gl.cajamarca", {"co_hogar": "FORM-NEW"})
    with db.transaction() as s:
        gl = _actor(s, "gl.cajamarca")
        old_page = task_page(s, gl, only_task(db, old, "registrar_visita").id)
        new_page = task_page(s, gl, only_task(db, new, "registrar_visita").id)
    assert "telefono" not in old_page.form_schema["properties"]
    assert new_page.form_schema["properties"]["telefono"]["title"] == "Teléfono de contacto"
