"""The JSON API: bearer tokens and session+CSRF, the same permissions as the engine, errors
as JSON with the right status, and an OpenAPI description that covers every route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from engine.db import Database
from engine.org import create_token
from tests.runtime_support import prepared_database
from tests.test_web import csrf_token, login
from web import create_app

VISITA = {"fecha_visita": "2026-11-20", "hogar_encontrado": True}


@pytest.fixture(scope="module")
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = prepared_database(databases.new())
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def app(db: Database) -> Flask:
    return create_app({"DATABASE_URL": db.url, "TESTING": True})


@pytest.fixture(scope="module")
def tokens(db: Database) -> dict[str, str]:
    with db.write_transaction() as s:
        return {
            login: create_token(s, login, "pruebas")
            for login in ("jefe.ut.cajamarca", "gl.cajamarca", "gl.puno", "ctz.cajamarca")
        }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_openapi_describes_every_api_route(app: Flask) -> None:
    client = app.test_client()
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    routes = {
        r.rule.replace("<int:", "{").replace(">", "}")
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/")
    }
    assert routes - {"/api/openapi.json"} == set(doc["paths"])


def test_no_credentials_no_access(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/api/tasks")
    assert response.status_code == 401 and response.get_json()["error"] == "Unauthorized"
    bad = client.get("/api/tasks", headers=bearer("jbpm_not-a-token"))
    assert bad.status_code == 401


def test_bearer_flow_start_claim_complete(app: Flask, tokens: dict[str, str]) -> None:
    client = app.test_client()
    started = client.post(
        "/api/instances",
        headers=bearer(tokens["jefe.ut.cajamarca"]),
        json={"key": "ref_verificacion", "data": {"co_hogar": "H5001"}},
    )
    assert started.status_code == 201, started.get_json()
    iid = started.get_json()["id"]
    assert [t["element_id"] for t in started.get_json()["new_tasks"]] == ["registrar_visita"]
    tasks = client.get(
        "/api/tasks?scope=available", headers=bearer(tokens["gl.cajamarca"])
    ).get_json()
    task = next(t for t in tasks if t["instance_id"] == iid)
    puno = client.get("/api/tasks", headers=bearer(tokens["gl.puno"])).get_json()
    assert iid not in {t["instance_id"] for t in puno}

    denied = client.post(f"/api/tasks/{task['id']}/claim", headers=bearer(tokens["gl.puno"]))
    assert denied.status_code == 403 and denied.get_json()["error"] == "PermissionDenied"
    ok = client.post(f"/api/tasks/{task['id']}/claim", headers=bearer(tokens["gl.cajamarca"]))
    assert ok.status_code == 200
    invalid = client.post(
        f"/api/tasks/{task['id']}/complete",
        headers=bearer(tokens["gl.cajamarca"]),
        json={"data": {"fecha_visita": "2026-11-20"}},
    )
    assert invalid.status_code == 422
    assert invalid.get_json()["field"] == "hogar_encontrado"
    done = client.post(
        f"/api/tasks/{task['id']}/complete",
        headers=bearer(tokens["gl.cajamarca"]),
        json={"data": VISITA},
    )
    assert done.status_code == 200
    following = done.get_json()["new_tasks"]  # the next step, without reading the instance
    assert [(t["element_id"], t["state"]) for t in following] == [("registrar_resultado", "ready")]
    assert done.get_json()["new_service_calls"] == []
    again = client.post(
        f"/api/tasks/{task['id']}/complete",
        headers=bearer(tokens["gl.cajamarca"]),
        json={"data": VISITA},
    )
    assert again.status_code == 409
    detail = client.get(f"/api/instances/{iid}", headers=bearer(tokens["gl.cajamarca"]))
    kinds = [h["kind"] for h in detail.get_json()["history"]]
    assert kinds[:4] == ["instance.started", "task.ready", "task.claimed", "task.completed"]


def test_session_writes_need_the_csrf_header(app: Flask, tokens: dict[str, str]) -> None:
    client = app.test_client()
    login(client, "jefe.ut.cajamarca")
    assert client.get("/api/processes").status_code == 200
    body = {"key": "ref_verificacion", "data": {"co_hogar": "H5002"}}
    refused = client.post("/api/instances", json=body)
    assert refused.status_code == 400 and refused.get_json()["error"] == "CSRFError"
    token = csrf_token(client.get("/").text)
    accepted = client.post("/api/instances", json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("not json", 422, "body"),
        ({"key": "no_existe"}, 404, None),
        ({"key": "ref_verificacion", "data": [1, 2]}, 422, "data"),
        ({"key": "ref_verificacion", "scope": "UT-XXX"}, 422, "scope"),
    ],
)
def test_bad_requests_are_clear_json_errors(
    app: Flask, tokens: dict[str, str], body: object, status: int, field: str | None
) -> None:
    client = app.test_client()
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    response = client.post("/api/instances", headers=bearer(tokens["jefe.ut.cajamarca"]), **kwargs)
    assert response.status_code == status
    payload = response.get_json()
    assert payload["message"]
    assert payload.get("field") == field


def test_a_bearer_caller_is_remembered_briefly_and_forgotten_on_change(
    app: Flask, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """web.cache: a token's caller is read once per TTL; revoking the token or
    deactivating its user through the ORM takes effect on the very next call."""
    from sqlalchemy import select

    from engine.db import utcnow
    from engine.org import ApiToken, user_by_login
    from engine.org.tokens import user_for_token
    from web import cache as bearer_module

    with db.write_transaction() as s:
        token = create_token(s, "ctz.cajamarca", "caché")
    client = app.test_client()
    reads: list[str] = []

    def counting(session, raw):  # type: ignore[no-untyped-def]
        reads.append(raw)
        return user_for_token(session, raw)

    monkeypatch.setattr(bearer_module, "user_for_token", counting)
    for _ in range(3):
        assert client.get("/api/tasks", headers=bearer(token)).status_code == 200
    assert len(reads) == 1  # remembered
    monkeypatch.setattr(bearer_module, "TTL_SECONDS", 0.0)
    bearer_module.forget()
    assert client.get("/api/tasks", headers=bearer(token)).status_code == 200
    assert client.get("/api/tasks", headers=bearer(token)).status_code == 200
    assert len(reads) == 3  # with no TTL, read every time
    monkeypatch.undo()

    assert client.get("/api/tasks", headers=bearer(token)).status_code == 200  # cached again
    with db.write_transaction() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.name == "caché"))
        row.revoked_at = utcnow()
    revoked = client.get("/api/tasks", headers=bearer(token))
    assert revoked.status_code == 401 and revoked.get_json()["error"] == "Unauthorized"

    with db.write_transaction() as s:
        token = create_token(s, "ctz.cajamarca", "caché 2")
    assert client.get("/api/tasks", headers=bearer(token)).status_code == 200
    with db.write_transaction() as s:
        user_by_login(s, "ctz.cajamarca").is_active = False
    try:
        assert client.get("/api/tasks", headers=bearer(token)).status_code == 401
    finally:
        with db.write_transaction() as s:
            user_by_login(s, "ctz.cajamarca").is_active = True
