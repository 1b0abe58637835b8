"""The web app through Flask's test client: login, CSRF, cookies, the org chart."""

from __future__ import annotations

import io
import logging
import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.org import add_user, assign
from engine.org.demo import DEMO_PASSWORD
from web import create_app


@pytest.fixture(scope="module")
def app(db_url: str) -> Flask:
    return create_app({"DATABASE_URL": db_url, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: FlaskClient, user: str, password: str = DEMO_PASSWORD, next_: str = ""):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/ingresar").text)
    url = f"/ingresar?next={next_}" if next_ else "/ingresar"
    return client.post(url, data={"login": user, "password": password, "csrf_token": token})


def test_login_page_is_spanish(client: FlaskClient) -> None:
    page = client.get("/ingresar")
    assert page.status_code == 200
    assert '<html lang="es-PE">' in page.text
    assert "Usuario" in page.text and "Contraseña" in page.text


def test_pages_need_login(client: FlaskClient) -> None:
    for path in ("/", "/organizacion/", "/organizacion/UT-CAJ"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/ingresar")


def test_login_sets_a_safe_cookie_and_shows_positions(client: FlaskClient) -> None:
    response = login(client, "gl.cajamarca")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/")
    assert "Santos Chilón Vásquez" in home.text
    assert "627" in home.text and "Gestor Local" in home.text


def test_post_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/ingresar", data={"login": "gl.cajamarca", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert "El formulario caducó o no es válido" in response.text
    assert client.get("/").status_code == 302  # not logged in


def test_a_view_with_its_own_upload_limit_still_checks_csrf(client: FlaskClient) -> None:
    """The padrón import takes files above the app-wide limit: the body is read (no 413)
    and the CSRF check still refuses a post without token; elsewhere the limit holds."""
    big = {"hogares": (io.BytesIO(b"x" * (21 * 1024 * 1024)), "hogares.csv")}
    refused = client.post("/padron/importaciones/", data=big, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "El formulario caducó o no es válido" in refused.text
    big = {"hogares": (io.BytesIO(b"x" * (21 * 1024 * 1024)), "hogares.csv")}
    too_big = client.post("/salir", data=big, content_type="multipart/form-data")
    assert too_big.status_code == 413


def test_wrong_password(client: FlaskClient) -> None:
    response = login(client, "gl.puno", "no-es-la-clave-1")
    assert response.status_code == 401
    assert "Usuario o contraseña incorrectos" in response.text


def test_throttled_after_repeated_failures(client: FlaskClient, db) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        add_user(s, "web.throttle", "Web Throttle", "Clave-Segura-2026")
    for _ in range(5):
        assert login(client, "web.throttle", "mala-clave-99").status_code == 401
    response = login(client, "web.throttle", "Clave-Segura-2026")
    assert response.status_code == 401
    assert "Demasiados intentos fallidos" in response.text


def test_next_parameter_cannot_leave_the_site(client: FlaskClient) -> None:
    assert login(client, "jefe.ua", next_="//evil.example/x").headers["Location"] == "/"
    client.post("/salir", data={"csrf_token": csrf_token(client.get("/").text)})
    response = login(client, "jefe.ua", next_="/organizacion/UA")
    assert response.headers["Location"] == "/organizacion/UA"


def test_logout_is_a_csrf_protected_post(client: FlaskClient) -> None:
    login(client, "director")
    assert client.get("/salir").status_code == 405
    assert client.post("/salir").status_code == 400
    token = csrf_token(client.get("/").text)
    assert client.post("/salir", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_org_chart_counts(client: FlaskClient) -> None:
    login(client, "director")
    chart = client.get("/organizacion/").text
    assert "1852 cargos" in chart
    assert "Unidad Territorial Cajamarca" in chart
    assert "Contraloría General de la República" in chart
    unit = client.get("/organizacion/UT-CAJ").text
    assert re.search(r"238 cargos, \d+ ocupados, \d+ vacantes", unit)
    assert unit.count("<tr") == 1 + 238
    assert "Julia Cabrera Silva" in unit and "Vacante" in unit
    missing = client.get("/organizacion/NOPE")
    assert missing.status_code == 404
    assert "Página no encontrada" in missing.text


def test_encargo_shows_as_such(client: FlaskClient) -> None:
    login(client, "director")
    cusco = client.get("/organizacion/UT-CUS").text
    row = re.search(r"<td>837</td>.*?</tr>", cusco, re.S).group(0)
    assert "Nilda Huillca Puma" in row and "Encargado(a)" in row


def test_a_session_user_is_remembered_but_a_change_takes_effect_at_once(
    client: FlaskClient,
    db,  # type: ignore[no-untyped-def]
) -> None:
    """web.cache: a logged-in user's positions are read once per few seconds, and
    deactivating the user, giving them a position or renaming a unit through the ORM
    shows on the very next request."""
    from sqlalchemy import select

    from engine.org import user_by_login
    from engine.org.models import Unit

    with db.transaction() as s:
        add_user(s, "cache.test", "Prueba de Caché", "Clave-Segura-2026")
        assign(s, "cache.test", "1851", date(2026, 1, 1))
    assert login(client, "cache.test", "Clave-Segura-2026").status_code == 302
    assert "1851" in client.get("/").text and "1850" not in client.get("/").text
    with db.transaction() as s:
        assign(s, "cache.test", "1850", date(2026, 1, 1))
    assert "1850" in client.get("/").text

    with db.transaction() as s:
        name = s.scalar(select(Unit.name).where(Unit.code == "UT-CAJ"))
    assert f">{name}</option>" in client.get("/bandeja/").text
    try:
        with db.transaction() as s:
            s.scalar(select(Unit).where(Unit.code == "UT-CAJ")).name = "UT renombrada"
        assert ">UT renombrada</option>" in client.get("/bandeja/").text
    finally:
        with db.transaction() as s:
            s.scalar(select(Unit).where(Unit.code == "UT-CAJ")).name = name

    with db.transaction() as s:
        user_by_login(s, "cache.test").is_active = False
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/ingresar")


def test_user_content_is_escaped(client: FlaskClient, db) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        add_user(s, "xss.test", "<script>alert(1)</script>", "Clave-Segura-2026")
        assign(s, "xss.test", "1852", date(2026, 1, 1))
    login(client, "director")
    page = client.get("/organizacion/UT-LLI").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_no_credentials_in_logs(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        login(client, "gl.cajamarca")
        login(client, "gl.puno", "no-es-la-clave-1")
    assert DEMO_PASSWORD not in caplog.text
    assert "no-es-la-clave-1" not in caplog.text


def test_health(client: FlaskClient) -> None:
    body = client.get("/salud").get_json()
    assert body["database"] == "ok"
    assert set(body) == {"database", "workers_alive", "last_heartbeat"}
