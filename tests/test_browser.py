"""A real Chromium (Debian's package, driven by Playwright) against `juntos run`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from engine.org.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
# Quiet offline: no background connections that this closed network would refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not shutil.which(CHROMIUM) and os.environ.get("CI") != "true":
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="es-PE")
    page = context.new_page()
    yield page
    context.close()


def test_gestor_local_logs_in_and_browses_the_org_chart(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/organizacion/UT-CAJ")
    assert page.url.endswith("/ingresar?next=%2Forganizacion%2FUT-CAJ")
    page.get_by_label("Usuario").fill("gl.cajamarca")
    page.get_by_label("Contraseña").fill("clave-equivocada-1")
    page.get_by_role("button", name="Ingresar").click()
    assert page.get_by_role("alert").inner_text() == "Usuario o contraseña incorrectos."

    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_label("Contraseña").press("Enter")
    page.wait_for_url("**/organizacion/UT-CAJ")
    assert page.get_by_role("heading", level=1).inner_text() == "Unidad Territorial Cajamarca"
    assert page.locator("table.roster tbody tr").count() == 238
    assert page.locator("#resumen").inner_text().startswith("238 cargos")

    page.get_by_role("link", name="Inicio").click()
    assert "Gestor Local" in page.locator("main table").inner_text()
    page.get_by_role("link", name="Organización").click()
    page.get_by_role("link", name="Unidad Territorial Cusco").click()
    jefe = page.locator("table.roster tbody tr").first  # cargo 837, vacant but for an encargo
    assert jefe.inner_text().startswith("837\tJefe de Unidad Territorial\tNilda Huillca Puma")
    assert "Encargado(a)" in jefe.inner_text()

    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_url("**/ingresar")
    assert page.get_by_role("status").inner_text() == "Sesión cerrada."


# -- the inbox, in the browser --------------------------------------------------------------


@pytest.fixture(scope="module")
def live_db(live_server):  # type: ignore[no-untyped-def]
    """The live server's database with the engine's test processes published."""
    from engine import definitions
    from engine.db import Database
    from tests.runtime_support import BPMN, FORMS

    db = Database(live_server.env["DATABASE_URL"])
    with db.write_transaction() as session:
        definitions.deploy(session, BPMN, FORMS)
    yield db
    db.dispose()


def expect(locator):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _login(page, login: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/ingresar")
    page.get_by_label("Usuario").fill(login)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/")


def _at_revisar(db, household: str) -> int:  # type: ignore[no-untyped-def]
    """An instance of ref_verificacion waiting for the CTZ's review (done through the engine)."""
    from tests.processes.support import Walk

    walk = Walk(db, "ref_verificacion", "gl.cajamarca", {"co_hogar": household})
    walk.do(
        "registrar_visita", "gl.cajamarca", {"fecha_visita": "2026-11-20", "hogar_encontrado": True}
    )
    walk.do("registrar_resultado", "gl.cajamarca", {"cumple": True})
    return walk.id


def test_gestor_local_fixes_a_form_error_completes_and_the_next_position_sees_the_task(
    browser,
    live_server,
    live_db,  # type: ignore[no-untyped-def]
) -> None:
    gl = browser.new_context(base_url=live_server.url, locale="es-PE").new_page()
    _login(gl, "gl.cajamarca")
    gl.get_by_role("link", name="Iniciar proceso").click()
    card = gl.locator("section.process", has_text="Verificación de referencia")
    card.get_by_label("Código de hogar").fill("BR-0001")
    card.get_by_role("button", name="Iniciar «Verificación de referencia»").click()
    gl.wait_for_url("**/instancias/*")
    assert "Registrar visita al hogar" in gl.locator("main table").inner_text()

    gl.get_by_role("link", name="Bandeja").click()
    gl.get_by_role("link", name="Disponibles").click()
    gl.get_by_label("Hogar (código o DNI)").fill("BR-0001")
    gl.get_by_role("button", name="Filtrar").click()
    assert gl.locator("[data-tab-count=available]").inner_text() == "1"
    gl.get_by_role("link", name="Registrar visita al hogar").click()
    gl.get_by_role("button", name="Tomar tarea").click()
    assert "Tomó la tarea" in gl.get_by_role("status").first.inner_text()
    assert gl.locator("[data-state]").inner_text() == "Tomada"

    gl.get_by_label("Fecha de la visita").fill("2026-11-20")
    gl.get_by_label("Observaciones").fill("x" * 2001)  # over the form's maxLength
    gl.get_by_role("button", name="Completar tarea").click()
    expect(gl.locator("#task-form")).to_contain_text("Admite hasta 2000 caracteres.")
    gl.get_by_role("button", name="Guardar borrador").click()
    expect(gl.get_by_text("Borrador guardado.")).to_be_visible()
    gl.reload()
    assert gl.get_by_label("Observaciones").input_value() == "x" * 2001  # the draft came back
    gl.get_by_label("Observaciones").fill("Hogar ubicado; titular presente.")
    gl.get_by_role("button", name="Completar tarea").click()
    gl.wait_for_url("**/bandeja/**")
    assert (
        "Completó la tarea «Registrar visita al hogar»"
        in gl.get_by_role("status").first.inner_text()
    )

    gl.goto("/bandeja/?tab=available&hogar=BR-0001")
    gl.get_by_role("link", name="Registrar resultado de la verificación").click()
    gl.get_by_label("¿Cumple las corresponsabilidades?").check()
    gl.get_by_role("button", name="Completar tarea").click()
    gl.wait_for_url("**/bandeja/**")

    ctz = browser.new_context(base_url=live_server.url, locale="es-PE").new_page()
    _login(ctz, "ctz.cajamarca")
    ctz.goto("/bandeja/?tab=available&hogar=BR-0001")
    assert ctz.locator("table.inbox tbody tr").count() == 1
    assert "Revisar resultado" in ctz.locator("table.inbox").inner_text()
    puno = browser.new_context(base_url=live_server.url, locale="es-PE").new_page()
    _login(puno, "gl.puno")
    puno.goto("/bandeja/?tab=available&q=BR-0001")
    assert puno.locator("[data-tab-count=available]").inner_text() == "0"


def test_coordinator_approves_a_batch_and_a_supervisor_reassigns(
    browser,
    live_server,
    live_db,  # type: ignore[no-untyped-def]
) -> None:
    for i in range(3):
        _at_revisar(live_db, f"LOTE-{i}")
    ctz = browser.new_context(base_url=live_server.url, locale="es-PE").new_page()
    _login(ctz, "ctz.cajamarca")
    ctz.goto("/bandeja/?tab=available&q=LOTE-&tarea=revisar")
    boxes = ctz.locator("table.inbox input[name=ids]")
    assert boxes.count() == 3
    for i in range(3):
        boxes.nth(i).check()
    ctz.get_by_role("button", name="Completar con la misma decisión…").click()
    ctz.wait_for_url("**/bandeja/lote")
    ctz.get_by_label("Decisión").select_option("conforme")
    ctz.get_by_role("button", name="Completar 3 tarea(s)").click()
    expect(ctz.get_by_text("3 de 3 tarea(s) completadas.")).to_be_visible()
    assert ctz.locator(".bulk-results li.ok").count() == 3

    gl_task = _at_revisar(live_db, "REASIG-1")  # leaves nothing for the GL; start another
    from tests.processes.support import Walk

    walk = Walk(live_db, "ref_verificacion", "gl.cajamarca", {"co_hogar": "REASIG-2"})
    assert gl_task
    jefe = browser.new_context(base_url=live_server.url, locale="es-PE").new_page()
    _login(jefe, "jefe.ut.cajamarca")
    jefe.goto("/bandeja/?tab=team&hogar=REASIG-2")
    jefe.get_by_role("link", name="Registrar visita al hogar").click()
    assert not jefe.get_by_role("button", name="Tomar tarea").is_visible()
    jefe.get_by_label("Reasignar a").select_option("gl.cajamarca")
    jefe.get_by_role("button", name="Reasignar").click()
    expect(jefe.get_by_text("Tarea reasignada.")).to_be_visible()
    assert jefe.locator("[data-state]").inner_text() == "Tomada"
    assert walk.task("registrar_visita").state == "claimed"


# -- the SISFOH import from the browser: a background job with a live progress bar ----------


def test_afiliaciones_uploads_the_sisfoh_files_and_follows_the_bar_to_the_result(
    browser,
    live_server,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    from tests.test_padron_support import HOGARES, write_pair

    page = browser.new_context(base_url=live_server.url, locale="es-PE").new_page()
    _login(page, "esp.afiliaciones")  # Especialista en Afiliaciones (UOAL)
    page.get_by_role("link", name="Padrón").click()
    page.wait_for_url("**/padron/importaciones/")

    h, m = write_pair(tmp_path / "ok")
    page.get_by_label("Archivo de hogares (hogares.csv)").set_input_files(str(h))
    page.get_by_label("Archivo de miembros (miembros.csv)").set_input_files(str(m))
    page.get_by_role("button", name="Importar").click()
    page.wait_for_url("**/padron/importaciones/*")
    job_url = page.url
    # the worker runs it; the bar follows by polling, without reloading the page
    page.evaluate("window.__same_page = true")
    expect(page.locator(".job-percent")).to_have_text("100 %", timeout=90_000)
    expect(page.locator(".job-state")).to_have_text("Aplicada")
    bar = page.locator("progress#avance")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    expect(page.get_by_role("heading", name="Resultado: aplicada")).to_be_visible()
    assert page.locator("table.elegibles tbody tr").count() == 2  # UT-CAJ and UT-PUN
    assert "UT-CAJ" in page.locator("table.elegibles").inner_text()
    assert page.evaluate("window.__same_page") is True  # no reload happened
    assert page.url == job_url

    page.goto("/padron/importaciones/")
    bad = [["Z-1", "150101", "Lima", "", "46000001", "A", "B", "C", "PE", "2028-01-01"]]
    h, m = write_pair(tmp_path / "bad", [*HOGARES[:1], *bad], [])
    page.get_by_label("Archivo de hogares (hogares.csv)").set_input_files(str(h))
    page.get_by_label("Archivo de miembros (miembros.csv)").set_input_files(str(m))
    page.get_by_role("button", name="Importar").click()
    page.wait_for_url("**/padron/importaciones/*")
    expect(page.locator(".job-state")).to_have_text("Rechazada", timeout=90_000)
    errors = page.locator("table.errores tbody tr")
    expect(errors).to_have_count(1)
    assert errors.first.inner_text().split("\t")[:3] == ["hogares.csv", "3", "ubigeo"]

    page.goto("/padron/importaciones/")
    listed = page.locator("table tbody tr")
    assert listed.count() == 2
    assert "esp.afiliaciones" in listed.first.inner_text()
    assert "Rechazada" in listed.first.inner_text() and "Aplicada" in listed.nth(1).inner_text()
