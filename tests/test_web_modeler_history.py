"""The modeler's JSON endpoints and the history pages through Flask's test client:
permissions, CSRF, escaping of user content, exports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.audit import evidence
from engine.db import Database
from tests.runtime_support import BPMN, prepared_database, start
from tests.test_web import csrf_token, login
from web import create_app

KEY = "ref_verificacion"
SOURCE = (BPMN / "ref_verificacion.bpmn").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def database(databases) -> Iterator[tuple[str, Database]]:  # type: ignore[no-untyped-def]
    url = databases.new()
    db = prepared_database(url)
    yield url, db
    db.dispose()


@pytest.fixture(scope="module")
def app(database) -> Flask:  # type: ignore[no-untyped-def]
    return create_app({"DATABASE_URL": database[0], "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _token(client: FlaskClient, path: str) -> str:
    return csrf_token(client.get(path).text)


def test_owner_page_and_endpoints(client: FlaskClient) -> None:
    login(client, "jefe.uvcc")
    page = client.get(f"/modelador/{KEY}")
    assert page.status_code == 200 and 'data-editable="true"' in page.text
    token = _token(client, f"/modelador/{KEY}")
    xml = client.get(f"/modelador/{KEY}/diagrama.bpmn").text
    assert "BPMNShape" in xml  # a diagram was generated for the DI-less source
    headers = {"X-CSRFToken": token}
    bad = SOURCE.replace('name="Gestor Local"', 'name="&lt;script&gt;alert(1)&lt;/script&gt;"')
    r = client.post(f"/modelador/{KEY}/validar", json={"xml": bad}, headers=headers)
    assert r.status_code == 200
    assert r.json["problems"][0]["element_id"] == "Lane_gl"
    assert client.post(f"/modelador/{KEY}/validar", json={"xml": bad}).status_code == 400  # CSRF
    r = client.post(f"/modelador/{KEY}/borrador", json={"xml": bad}, headers=headers)
    assert r.status_code == 200
    page = client.get(f"/modelador/{KEY}")
    assert "<script>alert(1)" not in page.text
    r = client.post(f"/modelador/{KEY}/publicar", json={}, headers=headers)
    assert r.status_code == 422 and r.json["problems"][0]["element_id"] == "Lane_gl"
    fixed = SOURCE.replace('name="Revisar resultado"', 'name="Revisar el resultado"')
    client.post(f"/modelador/{KEY}/borrador", json={"xml": fixed}, headers=headers)
    r = client.post(f"/modelador/{KEY}/comparar", json={"xml": fixed}, headers=headers)
    assert r.json["changed"][0]["id"] == "revisar"
    r = client.post(f"/modelador/{KEY}/publicar", json={}, headers=headers)
    assert r.status_code == 200 and r.json["version"] == 2


def test_forms_travel_with_the_draft_and_bad_ones_are_refused(client: FlaskClient) -> None:
    login(client, "jefe.uvcc")
    headers = {"X-CSRFToken": _token(client, f"/modelador/{KEY}")}
    form = {"type": "object", "properties": {"nota": {"type": "string", "title": "Nota"}}}
    uses = SOURCE.replace('value="ref_decision.schema.json"', 'value="web_nota.schema.json"', 1)
    bad = {"web_nota.schema.json": {"type": "object", "properties": {"nota": {"type": 5}}}}
    for path in ("validar", "comparar", "borrador"):
        r = client.post(
            f"/modelador/{KEY}/{path}", json={"xml": uses, "forms": bad}, headers=headers
        )
        assert r.status_code == 422, path
        assert "formulario 'web_nota.schema.json'" in r.json["message"]
        assert "campo 'nota'" in r.json["message"]
    r = client.post(f"/modelador/{KEY}/validar", json={"xml": uses, "forms": {}}, headers=headers)
    assert [p["element_id"] for p in r.json["problems"]] == ["revisar"]
    forms = {"web_nota.schema.json": form}
    r = client.post(
        f"/modelador/{KEY}/borrador", json={"xml": uses, "forms": forms}, headers=headers
    )
    assert r.status_code == 200 and r.json["forms"] == ["web_nota.schema.json"]
    r = client.post(f"/modelador/{KEY}/validar", json={"xml": None}, headers=headers)
    assert r.json["problems"] == []
    r = client.post(f"/modelador/{KEY}/comparar", json={"xml": None}, headers=headers)
    assert r.json["forms"] == [
        {
            "name": "web_nota.schema.json",
            "status": "añadido",
            "added": ["nota"],
            "removed": [],
            "changed": [],
            "other": [],
        }
    ]
    page = client.get(f"/modelador/{KEY}").text
    assert 'data-draft-forms="[&#34;web_nota.schema.json&#34;]"' in page
    client.post(f"/modelador/{KEY}/borrador", json={"xml": SOURCE, "forms": {}}, headers=headers)


def test_non_owner_reads_only(client: FlaskClient) -> None:
    login(client, "jefe.ut.cajamarca")
    page = client.get(f"/modelador/{KEY}")
    assert 'data-editable="false"' in page.text and "Solo lectura" in page.text
    token = csrf_token(client.get("/procesos/").text)
    r = client.post(
        f"/modelador/{KEY}/borrador", json={"xml": SOURCE}, headers={"X-CSRFToken": token}
    )
    assert r.status_code == 403
    assert client.get("/historial/").status_code == 403
    old = client.get(f"/modelador/{KEY}?v=1")
    assert "versión 1 (consulta)" in old.text and 'data-editable="false"' in old.text
    assert "diagrama.bpmn?v=1" in old.text


def test_auditor_history_pages_and_export(client: FlaskClient, database) -> None:  # type: ignore[no-untyped-def]
    instance = start(database[1], KEY, "gl.cajamarca", {"co_hogar": "<b>H-WEB</b>"})
    login(client, "auditor.oci")
    listing = client.get("/historial/?hogar=<b>H-WEB</b>")
    assert listing.status_code == 200 and f"Solicitud N° {instance}" in listing.text
    assert "&lt;b&gt;H-WEB&lt;/b&gt;" in listing.text and "<b>H-WEB</b>" not in listing.text
    assert 'data-chain="ok"' in listing.text
    page = client.get(f"/historial/instancias/{instance}")
    assert page.status_code == 200 and "instance.started" in page.text
    assert "registrar_visita" in page.text
    token = csrf_token(page.text)
    r = client.post(
        "/historial/exportar", data={"csrf_token": token, "instancia": instance, "formato": "pdf"}
    )
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert evidence.verify_evidence(evidence.read_file(r.data)).ok
    r = client.post("/historial/exportar", data={"csrf_token": token, "formato": "csv"})
    assert evidence.verify_evidence(evidence.read_file(r.data)).ok
    assert client.get("/historial/hogares/<b>H-WEB</b>").status_code == 200


def test_diagrams_are_served_as_inert_text_and_drafts_only_to_editors(client: FlaskClient) -> None:
    login(client, "jefe.ut.cajamarca")
    r = client.get(f"/modelador/{KEY}/diagrama.bpmn?v=borrador")
    assert r.mimetype == "text/plain" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r.headers["Content-Security-Policy"]


def test_instance_migration_form(client: FlaskClient, database) -> None:  # type: ignore[no-untyped-def]
    """The instance page's form post: refusals come back on the page with their reason (the
    owner sees no button while the instance runs on the latest version), others get 403."""
    instance = start(database[1], KEY, "gl.cajamarca", {"co_hogar": "H-MIG"})
    login(client, "jefe.uvcc")
    page = client.get(f"/instancias/{instance}").text
    assert "Migrar a la versión" not in page
    token = csrf_token(page)
    r = client.post(f"/instancias/{instance}/migrar", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/instancias/{instance}")
    assert (
        "No se migró: la instancia ya corre en la versión" in client.get(r.headers["Location"]).text
    )
    r = client.post(
        f"/instancias/{instance}/migrar",
        data={"csrf_token": token, "version": 1},
        follow_redirects=True,
    )
    assert "solo se migra a una versión más reciente" in r.text
    assert client.post(f"/instancias/{instance}/migrar", data={"version": 1}).status_code == 400
    login(client, "gl.cajamarca")
    token = csrf_token(client.get("/procesos/").text)
    r = client.post(f"/instancias/{instance}/migrar", data={"csrf_token": token})
    assert r.status_code == 403
