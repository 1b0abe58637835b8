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
