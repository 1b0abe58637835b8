"""Real Chromium: a process owner edits, validates, fixes, compares and publishes a
diagram while old instances finish on their version; edits a form and a script and
publishes them; migrates instances (or sees why not); a non-owner cannot publish; an
auditor follows an instance's path and timeline and exports evidence that verifies."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine import modeling, runtime
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, _login, expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chrome():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def deployed(live_server):  # type: ignore[no-untyped-def]
    """The live server's database with the engine's test processes published."""
    from engine import definitions
    from engine.db import Database
    from tests.runtime_support import BPMN, FORMS

    db = Database(live_server.env["DATABASE_URL"])
    with db.write_transaction() as session:
        definitions.deploy(session, BPMN, FORMS)
    yield db
    db.dispose()


def _instance(db, instance_id: int) -> tuple[int, str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """(version, state, element → task name) of an instance."""
    with db.transaction() as s:
        d = runtime.instance_detail(s, instance_id)
        return d.instance.process_version, d.instance.state, {t.element_id: t.name for t in d.tasks}


KEY = "ref_verificacion"
VISITA = {"fecha_visita": "2026-11-20", "hogar_encontrado": True}
DECISION = {"decision": "conforme"}


def _page(chrome, live_server, login: str):  # type: ignore[no-untyped-def]
    page = chrome.new_context(
        base_url=live_server.url, locale="es-PE", accept_downloads=True
    ).new_page()
    _login(page, login)
    return page


def _finish(walk) -> None:  # type: ignore[no-untyped-def]
    walk.do("registrar_visita", "gl.cajamarca", VISITA)
    walk.do("registrar_resultado", "gl.cajamarca", {"cumple": True})
    walk.do("revisar", "ctz.cajamarca", DECISION)
    walk.do("validar", "esp.verificacion", DECISION)
    walk.do("aprobar", "jefe.ut.cajamarca", DECISION)


def _open_modeler(page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/modelador/{KEY}")
    expect(page.locator("#modeler[data-loaded=true]")).to_have_count(1)


def test_owner_edits_validates_fixes_compares_and_publishes(chrome, live_server, deployed) -> None:  # type: ignore[no-untyped-def]
    from tests.processes.support import Walk

    old = Walk(deployed, KEY, "gl.cajamarca", {"co_hogar": "MOD-OLD"})
    owner = _page(chrome, live_server, "jefe.uvcc")
    _open_modeler(owner)
    owner.evaluate(
        """() => {
          const m = window.juntosModeler, reg = m.get('elementRegistry');
          m.get('modeling').updateProperties(reg.get('Lane_gl'), { name: 'Cargo Inexistente' });
          m.get('modeling').updateProperties(reg.get('validar'), { name: 'Validar el resultado' });
        }"""
    )
    owner.locator("g.djs-element[data-element-id=registrar_visita] .djs-hit").first.click(
        force=True
    )
    expect(owner.get_by_label("Formulario (forms/)")).to_have_value("ref_visita.schema.json")
    preview = owner.locator("[data-form-preview]")
    expect(preview).to_contain_text("Fecha de la visita")
    schema = owner.get_by_label("Esquema JSON de ref_visita.schema.json")
    schema.fill(schema.input_value().replace("Fecha de la visita", "Día de la visita"))
    expect(preview).to_contain_text("Día de la visita")  # live preview

    owner.get_by_role("button", name="Validar").click()
    expect(owner.locator("#problems li[data-element=Lane_gl]")).to_contain_text(
        "no nombra un cargo"
    )
    expect(owner.locator("g.djs-element.juntos-problem[data-element-id=Lane_gl]")).to_have_count(1)

    owner.locator("g.djs-element[data-element-id=Lane_gl] .djs-hit").first.click(
        position={"x": 10, "y": 10}, force=True
    )
    owner.get_by_label("Cargo del carril (denominación)").select_option("Gestor Local")
    owner.get_by_role("button", name="Validar").click()
    expect(owner.get_by_text("El diagrama es válido.")).to_be_visible()
    expect(owner.locator("g.djs-element.juntos-problem")).to_have_count(0)

    owner.get_by_role("button", name="Comparar con la versión publicada").click()
    expect(owner.locator("#diff")).to_contain_text("Validar el resultado (validar)")
    expect(owner.locator("#diff")).to_contain_text(
        'nombre: "Validar resultado" → "Validar el resultado"'
    )
    owner.get_by_role("button", name="Publicar").click()
    expect(owner.get_by_text("Publicada la versión 2.")).to_be_visible()

    new = Walk(deployed, KEY, "gl.cajamarca", {"co_hogar": "MOD-NEW"})
    assert _instance(deployed, new.id)[0] == 2
    _finish(old)
    _finish(new)
    assert _instance(deployed, old.id)[:2] == (1, "completed")
    assert _instance(deployed, old.id)[2]["validar"] == "Validar resultado"
    assert _instance(deployed, new.id)[:2] == (2, "completed")
    assert _instance(deployed, new.id)[2]["validar"] == "Validar el resultado"


def test_a_non_owner_opens_the_process_read_only_and_cannot_publish(
    chrome, live_server, deployed
) -> None:  # type: ignore[no-untyped-def]
    page = _page(chrome, live_server, "jefe.ut.cajamarca")
    _open_modeler(page)
    expect(page.locator("[data-readonly]")).to_contain_text("Solo lectura")
    assert page.get_by_role("button", name="Publicar").count() == 0
    status = page.evaluate(
        """async () => {
          const el = document.getElementById('modeler');
          const r = await fetch(el.dataset.publishUrl, {
            method: 'POST', credentials: 'same-origin', body: '{}',
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': el.dataset.csrf}});
          return r.status;
        }"""
    )
    assert status == 403


def test_auditor_follows_the_path_and_timeline_and_exports_evidence(
    chrome,
    live_server,
    deployed,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from tests.processes.support import Walk

    walk = Walk(deployed, KEY, "gl.cajamarca", {"co_hogar": "AUDIT-1"})
    walk.do("registrar_visita", "gl.cajamarca", VISITA)
    walk.do("registrar_resultado", "gl.cajamarca", {"cumple": False})
    walk.do("revisar", "ctz.cajamarca", {"decision": "observado"})  # back: a loop
    auditor = _page(chrome, live_server, "auditor.oci")
    auditor.get_by_role("link", name="Historial").click()
    expect(auditor.locator("[data-chain=ok]")).to_be_visible()
    auditor.get_by_label("Hogar").fill("AUDIT-1")
    auditor.get_by_role("button", name="Filtrar").click()
    auditor.get_by_role("link", name=f"Solicitud N° {walk.id}").click()
    expect(auditor.locator("#history-diagram[data-loaded=true]")).to_have_count(1)
    expect(auditor.locator(".path-count[data-element=registrar_resultado]")).to_have_text("2")
    expect(auditor.locator(".path-count[data-element=f_observado]")).to_have_text("1")
    expect(
        auditor.locator("g.djs-element.juntos-waiting[data-element-id=registrar_resultado]")
    ).to_have_count(1)
    timeline = auditor.locator("table.timeline")
    expect(timeline).to_contain_text("task.completed")
    expect(timeline).to_contain_text("Coordinador Técnico Zonal")
    expect(timeline).to_contain_text("cumple: null → false")

    with auditor.expect_download() as info:
        auditor.get_by_role("button", name="Exportar evidencia (PDF)").click()
    pdf = tmp_path / "evidencia.pdf"
    info.value.save_as(pdf)
    done = subprocess.run(
        [sys.executable, "-m", "engine.cli", "audit", "verify", "--export", str(pdf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "cadena íntegra" in done.stdout
    assert auditor.get_by_role("button", name="Tomar tarea").count() == 0


def _version(db) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return modeling.published(s, KEY).version


def _select(page, element_id: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(f"g.djs-element[data-element-id={element_id}] .djs-hit").first.click(force=True)
    expect(page.locator("#juntos-props")).to_contain_text(element_id)


def test_owner_edits_a_form_saves_it_in_the_draft_and_only_new_instances_get_it(
    chrome, live_server, deployed
) -> None:  # type: ignore[no-untyped-def]
    from tests.processes.support import Walk

    old = Walk(deployed, KEY, "gl.cajamarca", {"co_hogar": "FORM-OLD"})
    base = _version(deployed)
    owner = _page(chrome, live_server, "jefe.uvcc")
    _open_modeler(owner)
    _select(owner, "registrar_visita")
    editor = owner.get_by_label("Esquema JSON de ref_visita.schema.json")
    schema = json.loads(editor.input_value())
    schema["properties"]["telefono"] = {"type": "string", "title": "Teléfono de contacto"}
    editor.fill(json.dumps(schema, indent=2, ensure_ascii=False))
    expect(owner.locator("[data-form-preview]")).to_contain_text("Teléfono de contacto")
    owner.get_by_role("button", name="Guardar borrador").click()
    expect(owner.locator("#modeler-status")).to_have_text(
        "Borrador guardado con 1 formulario(s) editado(s): ref_visita.schema.json."
    )

    _open_modeler(owner)  # the draft's form comes back with the page
    _select(owner, "registrar_visita")
    expect(owner.locator("[data-form-preview]")).to_contain_text("Teléfono de contacto")
    owner.get_by_role("button", name="Comparar con la versión publicada").click()
    diff = owner.locator("#diff")
    expect(diff).to_contain_text("ref_visita.schema.json (modificado)")
    expect(diff).to_contain_text("campos añadidos: telefono")
    expect(diff).to_contain_text("Registrar visita al hogar (registrar_visita)")
    owner.get_by_role("button", name="Publicar").click()
    expect(owner.get_by_text(f"Publicada la versión {base + 1}.")).to_be_visible()

    new = Walk(deployed, KEY, "gl.cajamarca", {"co_hogar": "FORM-NEW"})
    gl = _page(chrome, live_server, "gl.cajamarca")
    gl.goto(f"/tareas/{new.task('registrar_visita').id}")
    expect(gl.get_by_label("Teléfono de contacto")).to_be_visible()
    gl.goto(f"/tareas/{old.task('registrar_visita').id}")
    expect(gl.get_by_label("Observaciones")).to_be_visible()  # its form, as it was
    assert gl.get_by_label("Teléfono de contacto").count() == 0


def test_owner_writes_a_script_the_sandbox_refuses_sees_it_fixes_it_and_publishes(
    chrome, live_server, deployed
) -> None:  # type: ignore[no-untyped-def]
    from tests.processes.support import Walk

    base = _version(deployed)
    owner = _page(chrome, live_server, "jefe.uvcc")
    _open_modeler(owner)
    _select(owner, "registrar_visita")
    post = owner.get_by_label("Script posterior (postScript)")
    post.fill("import os")
    post.blur()
    _select(owner, "f_conforme")
    condition = owner.get_by_label("Condición (expresión Python del sandbox)")
    expect(condition).to_have_value('decision == "conforme"')
    condition.fill('decision == "conforme" and visitado')
    condition.blur()
    # a script task dropped on the flow after the visit, and selected
    assert owner.evaluate(INSERT_SCRIPT_TASK) == [["registrar_visita"], ["registrar_resultado"]]
    expect(owner.locator("#juntos-props")).to_contain_text("ScriptTask · preparar")
    script = owner.get_by_label("Script (Python del sandbox)")
    script.fill("import os\npuntaje = 1")
    script.blur()

    owner.get_by_role("button", name="Validar").click()
    for element in ("registrar_visita", "preparar"):
        expect(owner.locator(f"#problems li[data-element={element}]")).to_contain_text("import")
        expect(
            owner.locator(f"g.djs-element.juntos-problem[data-element-id={element}]")
        ).to_have_count(1)
    owner.get_by_role("button", name="Publicar").click()  # refused, highlighted the same way
    expect(owner.locator("#modeler-status")).to_have_text("El diagrama tiene problemas.")
    expect(owner.locator("#problems li[data-element=registrar_visita]")).to_have_count(1)
    expect(owner.locator("g.djs-element.juntos-problem[data-element-id=preparar]")).to_have_count(1)
    assert _version(deployed) == base

    owner.evaluate(SELECT, "preparar")
    script = owner.get_by_label("Script (Python del sandbox)")
    expect(script).to_have_value("import os\npuntaje = 1")
    script.fill("puntaje = 1 if visitado else 0")
    script.blur()

    _select(owner, "registrar_visita")
    post = owner.get_by_label("Script posterior (postScript)")
    expect(post).to_have_value("import os")
    post.fill("visitado = True")
    post.blur()
    owner.get_by_role("button", name="Validar").click()
    expect(owner.get_by_text("El diagrama es válido.")).to_be_visible()
    expect(owner.locator("g.djs-element.juntos-problem")).to_have_count(0)
    owner.get_by_role("button", name="Comparar con la versión publicada").click()
    expect(owner.locator("#diff")).to_contain_text("postScript: visitado = True")
    expect(owner.locator("#diff")).to_contain_text('"decision == \\"conforme\\" and visitado"')
    owner.get_by_role("button", name="Publicar").click()
    expect(owner.get_by_text(f"Publicada la versión {base + 1}.")).to_be_visible()

    walk = Walk(deployed, KEY, "gl.cajamarca", {"co_hogar": "SCRIPT-1"})
    _finish(walk)
    assert _instance(deployed, walk.id)[:2] == (base + 1, "completed")
    data = walk.data
    assert data["visitado"] is True  # the post-script ran, the condition read it
    assert data["puntaje"] == 1  # and so did the new script task


SELECT = """(id) => {
  const m = window.juntosModeler;
  m.get('selection').select(m.get('elementRegistry').get(id));
}"""
# The mid-point of the longest segment of flow f2 (registrar_visita → registrar_resultado): a
# shape created there is inserted into the flow (bpmn-js DropOnFlowBehavior).
INSERT_SCRIPT_TASK = """() => {
  const m = window.juntosModeler, reg = m.get('elementRegistry'), flow = reg.get('f2');
  let best = null;
  for (let i = 1; i < flow.waypoints.length; i++) {
    const a = flow.waypoints[i - 1], b = flow.waypoints[i];
    const length = Math.abs(b.x - a.x) + Math.abs(b.y - a.y);
    if (!best || length > best.length) best = { length, x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }
  const bo = m.get('bpmnFactory').create(
    'bpmn:ScriptTask', { id: 'preparar', name: 'Preparar puntaje' });
  const shape = m.get('elementFactory').createShape(
    { type: 'bpmn:ScriptTask', businessObject: bo });
  m.get('modeling').createShape(shape, { x: Math.round(best.x), y: Math.round(best.y) }, flow);
  m.get('selection').select(shape);
  return [shape.incoming.map((f) => f.source.id), shape.outgoing.map((f) => f.target.id)];
}"""


def test_owner_migrates_an_instance_and_sees_why_another_cannot_move(
    chrome, live_server, deployed
) -> None:  # type: ignore[no-untyped-def]
    from tests.processes.support import Walk

    early = Walk(deployed, KEY, "gl.cajamarca", {"co_hogar": "MIG-EARLY"})
    late = Walk(deployed, KEY, "gl.cajamarca", {"co_hogar": "MIG-LATE"})
    late.do("registrar_visita", "gl.cajamarca", VISITA)
    late.do("registrar_resultado", "gl.cajamarca", {"cumple": True})
    late.do("revisar", "ctz.cajamarca", DECISION)
    assert late.waiting_at() == ["validar"]
    base = _version(deployed)

    owner = _page(chrome, live_server, "jefe.uvcc")
    _open_modeler(owner)  # 'validar' goes; bpmn-js joins its flows: notificar → aprobar
    owner.evaluate(
        """() => {
          const m = window.juntosModeler, reg = m.get('elementRegistry');
          m.get('modeling').removeElements([reg.get('validar')]);
        }"""
    )
    owner.get_by_role("button", name="Comparar con la versión publicada").click()
    removed = owner.locator("#diff h4:has-text('Eliminados') + ul")
    expect(removed).to_contain_text("(validar)")
    owner.get_by_role("button", name="Publicar").click()
    expect(owner.get_by_text(f"Publicada la versión {base + 1}.")).to_be_visible()

    gl = _page(chrome, live_server, "gl.cajamarca")  # the initiator sees the page, not the button
    gl.goto(f"/instancias/{early.id}")
    expect(gl.locator("h1")).to_have_text(f"Solicitud N° {early.id}")
    assert gl.get_by_role("button", name=re.compile("Migrar")).count() == 0

    owner.goto(f"/instancias/{early.id}")
    owner.get_by_role("button", name=f"Migrar a la versión {base + 1}").click()
    expect(owner.locator(".flash-ok")).to_have_text(
        f"Migró la solicitud N° {early.id} de la versión {base} a la versión {base + 1}."
    )
    expect(owner.locator("h1 + p.muted")).to_contain_text(f"{KEY} · versión {base + 1} ·")
    assert owner.get_by_role("button", name=re.compile("Migrar")).count() == 0
    assert _instance(deployed, early.id)[0] == base + 1

    owner.goto(f"/instancias/{late.id}")
    owner.get_by_role("button", name=f"Migrar a la versión {base + 1}").click()
    expect(owner.locator(".flash-error")).to_contain_text(
        re.compile(r"la instancia espera en '[^']+' \(validar\), que no existe en esa versión")
    )
    assert _instance(deployed, late.id)[0] == base

    _finish_without_validar(early)
    assert _instance(deployed, early.id)[:2] == (base + 1, "completed")


def _finish_without_validar(walk) -> None:  # type: ignore[no-untyped-def]
    walk.do("registrar_visita", "gl.cajamarca", VISITA)
    walk.do("registrar_resultado", "gl.cajamarca", {"cumple": True})
    walk.do("revisar", "ctz.cajamarca", DECISION)
    walk.do("aprobar", "jefe.ut.cajamarca", DECISION)


def test_owner_creates_a_form_for_a_task_and_sees_it_validated_and_compared(
    chrome, live_server, deployed
) -> None:  # type: ignore[no-untyped-def]
    owner = _page(chrome, live_server, "jefe.uvcc")
    _open_modeler(owner)
    _select(owner, "aprobar")
    owner.get_by_label("Formulario nuevo (nombre de archivo)").fill("../fuera.json")
    owner.get_by_role("button", name="Crear formulario").click()
    expect(owner.locator("#modeler-status")).to_contain_text("Nombre de formulario no válido")
    owner.get_by_label("Formulario nuevo (nombre de archivo)").fill("ref_aprobacion.schema.json")
    owner.get_by_role("button", name="Crear formulario").click()
    expect(owner.get_by_label("Formulario (forms/)")).to_have_value("ref_aprobacion.schema.json")
    editor = owner.get_by_label("Esquema JSON de ref_aprobacion.schema.json")
    schema = json.loads(editor.input_value())
    schema["properties"]["motivo"] = {"type": "string", "title": "Motivo de la aprobación"}
    schema["properties"]["monto"] = {"type": "integer", "minimum": "cero"}  # not a schema
    editor.fill(json.dumps(schema))
    owner.get_by_role("button", name="Validar").click()
    expect(owner.locator("#modeler-status")).to_contain_text(
        "formulario 'ref_aprobacion.schema.json': campo 'monto'"
    )
    del schema["properties"]["monto"]
    editor.fill(json.dumps(schema))
    expect(owner.locator("[data-form-preview]")).to_contain_text("Motivo de la aprobación")
    owner.get_by_role("button", name="Validar").click()
    expect(owner.get_by_text("El diagrama es válido.")).to_be_visible()
    owner.get_by_role("button", name="Comparar con la versión publicada").click()
    expect(owner.locator("#diff")).to_contain_text("ref_aprobacion.schema.json (añadido)")
    expect(owner.locator("#diff")).to_contain_text("campos añadidos: motivo")
