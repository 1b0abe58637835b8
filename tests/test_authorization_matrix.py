"""The authorization matrix (issue 6): every route of the web app and the API × every kind of
position × a task in / out of their scope → the expected answer; and nothing leaking in the
inbox lists, their counts, search, ``/api/tasks``, task and instance pages, attachments,
comments, drafts, "Mis solicitudes", the dashboard or bulk actions.

Read it as three tables:

* ``PERSONAS`` — who asks (a demo user of each kind of position, a user with none, nobody);
* ``RELATION`` — what each persona is to the open task of each target: does it (``DO``, a
  candidate position in its scope), supervises it along the lines of authority (``BOSS``),
  administers (``ADMIN``) or nothing (``NONE``); ``INSTANCE_VIEW`` the same for instances;
* ``ROUTES`` — every endpoint of ``app.url_map``, how to call it and what each persona gets
  for each target. A new route without a line here fails ``test_every_route_is_in_the_matrix``.

Targets: ``caj`` — a Gestor Local task of UT Cajamarca; ``puno`` — the same in UT Puno;
``central`` — a task of the central Especialista en Verificación (UVCC) of a Cajamarca
instance. Real engine state, real logins, real CSRF tokens (read from the pages), real
bearer tokens for the API.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from engine import runtime
from engine.audit import AuditEvent
from engine.db import Database
from engine.org import add_user, create_token
from engine.org.demo import DEMO_PASSWORD
from engine.runtime.models import HumanTask, ProcessInstance
from engine.taskwork import Attachment, TaskComment, add_attachment, add_comment, save_draft
from tests.processes.support import Walk, staff
from tests.runtime_support import prepared_database
from tests.test_web import csrf_token, login
from web import create_app

# -- who asks ---------------------------------------------------------------------------------

ANON = "anonimo"
PERSONAS: dict[str, str | None] = {
    "gestor_local": "gl.cajamarca",  # Gestor Local, UT Cajamarca
    "ctz": "ctz.cajamarca",  # Coordinador Técnico Zonal, UT Cajamarca (supervises the GLs)
    "jefe_ut": "jefe.ut.cajamarca",  # Jefe de Unidad Territorial, Cajamarca
    "especialista": "esp.verificacion",  # central Especialista (UVCC)
    "jefe_central": "jefe.uvcc",  # Jefe de la UVCC: central Jefe and owner of the process
    "director": "director",  # Director Ejecutivo
    "auditor_oci": "auditor.oci",  # Auditor of the OCI (no line of authority over anyone)
    "admin": "admin",  # administrator, no position
    "sin_cargo": "sin.cargo",  # a user holding no position today
    ANON: None,
}

# -- what each persona is to each target's open task -----------------------------------------

DO, BOSS, ADMIN, NONE = "do", "boss", "admin", "none"
TARGETS = ("caj", "puno", "central")
RELATION: dict[str, dict[str, str]] = {
    #                       caj         puno          central
    "gestor_local": dict(caj=DO, puno=NONE, central=NONE),
    "ctz": dict(caj=BOSS, puno=NONE, central=NONE),
    "jefe_ut": dict(caj=BOSS, puno=NONE, central=NONE),
    "especialista": dict(caj=NONE, puno=NONE, central=DO),
    "jefe_central": dict(caj=NONE, puno=NONE, central=BOSS),
    "director": dict(caj=BOSS, puno=BOSS, central=BOSS),
    "auditor_oci": dict(caj=NONE, puno=NONE, central=NONE),
    "admin": dict(caj=ADMIN, puno=ADMIN, central=ADMIN),
    "sin_cargo": dict(caj=NONE, puno=NONE, central=NONE),
}
# The instance page: its initiator, the process owner, administrators, whoever may see one of
# its tasks. ``caj`` and ``central`` were started by the Gestor Local of Cajamarca; the CTZ
# did 'revisar' in ``central``; the Jefe de la UVCC owns ref_verificacion.
INSTANCE_VIEW: dict[str, dict[str, bool]] = {
    "gestor_local": dict(caj=True, puno=False, central=True),
    "ctz": dict(caj=True, puno=False, central=True),
    "jefe_ut": dict(caj=True, puno=False, central=True),
    "especialista": dict(caj=False, puno=False, central=True),
    "jefe_central": dict(caj=True, puno=True, central=True),
    "director": dict(caj=True, puno=True, central=True),
    "auditor_oci": dict(caj=False, puno=False, central=False),
    "admin": dict(caj=True, puno=True, central=True),
    "sin_cargo": dict(caj=False, puno=False, central=False),
}
HOLDER = {"caj": "gl.cajamarca", "puno": "gl.puno", "central": "esp.verificacion"}
SCOPE = {"caj": "UT-CAJ", "puno": "UT-PUN", "central": "UT-CAJ"}
VISIT = {"fecha_visita": "2026-11-02", "hogar_encontrado": True}
FORM_DATA = {"caj": VISIT, "puno": VISIT, "central": {"decision": "conforme"}}


def rel(persona: str, target: str) -> str:
    return NONE if persona == ANON else RELATION[persona][target]


# -- the world: engine state, logged-in clients, tokens ---------------------------------------


@dataclass
class World:
    db: Database
    app: Flask
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    instance: dict[str, int] = field(default_factory=dict)  # target → its instance
    ready: dict[str, int] = field(default_factory=dict)  # target → a ready task
    claimed: dict[str, int] = field(default_factory=dict)  # target → a task claimed by HOLDER
    attachment: dict[str, int] = field(default_factory=dict)  # target → on ``ready``
    household: dict[int, str] = field(default_factory=dict)  # task id → co_hogar
    serial: Iterator[int] = field(default_factory=count)

    def new_task(self, target: str, *, claimed: bool = False) -> int:
        """A new open task of ``target`` (a new instance): for cases where the action works."""
        prefix = "PUN" if target == "puno" else "CAJ"
        household = f"{prefix}-{target[:3].upper()}{next(self.serial):03d}"
        starter = "gl.puno" if target == "puno" else "gl.cajamarca"
        walk = Walk(self.db, "ref_verificacion", starter, {"co_hogar": household})
        if target == "central":
            walk.do("registrar_visita", "gl.cajamarca", VISIT)
            walk.do("registrar_resultado", "gl.cajamarca", {"cumple": True})
            walk.do("revisar", "ctz.cajamarca", {"decision": "conforme"})
        element = "validar" if target == "central" else "registrar_visita"
        task_id = walk.task(element).id
        if claimed:
            with self.db.write_transaction() as s:
                runtime.claim(s, task_id, runtime.actor_for_login(s, HOLDER[target]))
        self.household[task_id] = household
        self.instance.setdefault(target, walk.id)
        return task_id

    def task(self, task_id: int) -> HumanTask:
        with self.db.transaction() as s:
            row = s.get(HumanTask, task_id)
            s.expunge(row)
            return row

    def client(self, persona: str) -> FlaskClient:
        return self.clients[persona]

    def headers(self, persona: str) -> dict[str, str]:
        token = self.tokens.get(persona)
        return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture(scope="module")
def world(databases, tmp_path_factory) -> Iterator[World]:  # type: ignore[no-untyped-def]
    db = prepared_database(databases.new())
    with db.write_transaction() as s:
        add_user(s, "sin.cargo", "Usuaria Sin Cargo", DEMO_PASSWORD)
    var = str(tmp_path_factory.mktemp("var"))
    w = World(db, create_app({"DATABASE_URL": db.url, "TESTING": True, "VAR_DIR": var}))
    for target in TARGETS:
        w.ready[target] = w.new_task(target)
        w.claimed[target] = w.new_task(target, claimed=True)
        task_id = w.ready[target]
        with db.write_transaction() as s:
            holder = runtime.actor_for_login(s, HOLDER[target])
            add_comment(s, task_id, holder, f"SECRETO-{target}")
            w.attachment[target] = add_attachment(
                s, task_id, holder, f"acta-{target}.txt", b"texto"
            ).id
            save_draft(s, task_id, holder, {"observaciones": f"BORRADOR-{target}"})
    for persona, user in PERSONAS.items():
        client = w.app.test_client()
        if user:
            assert login(client, user).status_code == 302, user
            with db.write_transaction() as s:
                w.tokens[persona] = create_token(s, user, "matriz")
        w.clients[persona] = client
        w.csrf[persona] = csrf_token(client.get("/ingresar").text)
    yield w
    db.dispose()


# -- what a response means --------------------------------------------------------------------

OK, CREATED, FORBIDDEN, LOGIN, UNAUTHORIZED = "200", "201", "403", "login", "401"
DONE, REFUSED = "done", "refused"  # a form post always redirects: did the action happen?


def status(response: TestResponse) -> str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/ingresar"):
        return LOGIN
    return str(response.status_code)


def page_rule(allowed: Callable[[str, str], bool], denied: str = FORBIDDEN):  # type: ignore[no-untyped-def]
    def expect(persona: str, target: str) -> str:
        if persona == ANON:
            return LOGIN
        return OK if allowed(persona, target) else denied

    return expect


def api_rule(allowed: Callable[[str, str], bool], ok: str = OK, denied: str = FORBIDDEN):  # type: ignore[no-untyped-def]
    def expect(persona: str, target: str) -> str:
        if persona == ANON:
            return UNAUTHORIZED
        return ok if allowed(persona, target) else denied

    return expect


def action_rule(allowed: Callable[[str, str], bool], anonymous: str = LOGIN):  # type: ignore[no-untyped-def]
    def expect(persona: str, target: str) -> str:
        if persona == ANON:
            return anonymous
        return DONE if allowed(persona, target) else REFUSED

    return expect


def anyone(_p: str, _t: str) -> bool:
    return True


def sees_task(p: str, t: str) -> bool:
    return rel(p, t) != NONE


def does_task(p: str, t: str) -> bool:
    return rel(p, t) == DO


def reassigns(p: str, t: str) -> bool:
    return rel(p, t) in (BOSS, ADMIN)


def sees_instance(p: str, t: str) -> bool:
    return p != ANON and INSTANCE_VIEW[p][t]


def holds_a_position(p: str, _t: str) -> bool:
    return p not in ("sin_cargo", ANON)


def may_start_in(p: str, t: str) -> bool:
    """UT staff start only in their own UT; central staff and the Director in any unit; the
    OCI's auditors change nothing."""
    if not holds_a_position(p, t) or p == "auditor_oci":
        return False
    return t != "puno" or p not in ("gestor_local", "ctz", "jefe_ut")


def public(_p: str, _t: str) -> str:
    return OK


# -- how to call each route -------------------------------------------------------------------


def get(path: Callable[[World, str], str]):  # type: ignore[no-untyped-def]
    def call(w: World, persona: str, target: str) -> str:
        return status(w.client(persona).get(path(w, target)))

    return call


def api_get(path: Callable[[World, str], str]):  # type: ignore[no-untyped-def]
    def call(w: World, persona: str, target: str) -> str:
        return status(w.client(ANON).get(path(w, target), headers=w.headers(persona)))

    return call


def web_post(w: World, persona: str, path: str, data: dict[str, object]) -> TestResponse | str:
    response = w.client(persona).post(path, data={**data, "csrf_token": w.csrf[persona]})
    assert response.status_code in (302, 303), (path, response.status_code)
    return LOGIN if status(response) == LOGIN else response


def api_post(w: World, persona: str, path: str, body: dict[str, object]) -> TestResponse:
    return w.client(ANON).post(path, json=body, headers=w.headers(persona))


def task_for(w: World, persona: str, target: str, allowed: bool, *, claimed: bool) -> int:
    """A new task when the action should work (the shared ones stay as they are), else the
    shared one — which the action must then leave unchanged."""
    if allowed and persona != ANON:
        return w.new_task(target, claimed=claimed)
    return w.claimed[target] if claimed else w.ready[target]


def web_task_action(
    suffix: str,
    allowed: Callable[[str, str], bool],
    claimed: bool,
    done: Callable[[World, str, HumanTask], bool],
):  # type: ignore[no-untyped-def]
    def call(w: World, persona: str, target: str) -> str:
        task_id = task_for(w, persona, target, allowed(persona, target), claimed=claimed)
        before = w.task(task_id)
        result = web_post(w, persona, f"/tareas/{task_id}/{suffix}", {"a": ""})
        after = w.task(task_id)
        if result == LOGIN or not done(w, persona, after):
            assert (after.state, after.assignee_user_id) == (before.state, before.assignee_user_id)
            return LOGIN if result == LOGIN else REFUSED
        return DONE

    return call


def user_id(w: World, persona: str) -> int | None:
    login_ = PERSONAS[persona]
    with w.db.transaction() as s:
        return runtime.actor_for_login(s, login_).user_id if login_ else None


def claimed_by_persona(w: World, persona: str, row: HumanTask) -> bool:
    return row.state == "claimed" and row.assignee_user_id == user_id(w, persona)


def back_in_pool(_w: World, _persona: str, row: HumanTask) -> bool:
    return row.state == "ready" and row.assignee_user_id is None


def web_comment(w: World, persona: str, target: str) -> str:
    task_id = w.ready[target]
    result = web_post(w, persona, f"/tareas/{task_id}/comentarios", {"comentario": persona})
    with w.db.transaction() as s:
        n = s.scalar(
            select(func.count(TaskComment.id)).where(
                TaskComment.task_id == task_id, TaskComment.body == persona
            )
        )
    return LOGIN if result == LOGIN else (DONE if n else REFUSED)


def web_attach(w: World, persona: str, target: str) -> str:
    task_id = w.ready[target]
    name = f"{persona}.txt"
    response = w.client(persona).post(
        f"/tareas/{task_id}/adjuntos",
        data={"archivo": (io.BytesIO(b"nota"), name), "csrf_token": w.csrf[persona]},
        content_type="multipart/form-data",
    )
    with w.db.transaction() as s:
        n = s.scalar(
            select(func.count(Attachment.id)).where(
                Attachment.task_id == task_id, Attachment.filename == name
            )
        )
    return LOGIN if status(response) == LOGIN else (DONE if n else REFUSED)


def web_bulk_page(w: World, persona: str, target: str) -> str:
    response = w.client(persona).get(f"/bandeja/lote?ids={w.ready[target]}")
    if response.status_code == 302 and response.headers["Location"].startswith("/bandeja/"):
        return REFUSED  # back to the inbox with the engine's refusal
    return status(response)


def web_start(w: World, persona: str, target: str) -> str:
    with w.db.transaction() as s:
        before = s.scalar(select(func.count(ProcessInstance.id)))
    household = f"INI-{next(w.serial):03d}"
    data = {"co_hogar": household, "ambito": SCOPE[target]}
    result = web_post(w, persona, "/procesos/ref_verificacion/iniciar", data)
    with w.db.transaction() as s:
        after = s.scalar(select(func.count(ProcessInstance.id)))
    if result == LOGIN:
        return LOGIN
    return DONE if after == before + 1 and "/instancias/" in result.headers["Location"] else REFUSED


def web_logout(w: World, persona: str, _target: str) -> str:
    client = w.app.test_client()  # its own session: the persona's stays logged in
    if PERSONAS[persona]:
        login(client, PERSONAS[persona] or "")
    token = csrf_token(client.get("/ingresar").text)
    response = client.post("/salir", data={"csrf_token": token})
    if PERSONAS[persona] is None:
        return status(response)
    return DONE if client.get("/bandeja/").status_code == 302 else REFUSED


def web_login_page(w: World, persona: str, _target: str) -> str:
    return status(w.client(persona).get("/ingresar"))


def api_start(w: World, persona: str, target: str) -> str:
    body = {"key": "ref_verificacion", "scope": SCOPE[target], "data": {"co_hogar": "API-INI"}}
    return status(api_post(w, persona, "/api/instances", body))


def api_task_action(action: str, allowed: Callable[[str, str], bool], claimed: bool):  # type: ignore[no-untyped-def]
    def call(w: World, persona: str, target: str) -> str:
        task_id = task_for(w, persona, target, allowed(persona, target), claimed=claimed)
        before = w.task(task_id)
        body = {"data": FORM_DATA[target]} if action in ("complete", "draft") else {}
        response = api_post(w, persona, f"/api/tasks/{task_id}/{action}", body)
        if response.status_code != 200:
            after = w.task(task_id)
            assert (after.state, after.assignee_user_id) == (before.state, before.assignee_user_id)
        return status(response)

    return call


def api_bulk(action: str):  # type: ignore[no-untyped-def]
    def call(w: World, persona: str, target: str) -> str:
        task_id = task_for(w, persona, target, does_task(persona, target), claimed=False)
        body: dict[str, object] = {"task_ids": [task_id]}
        if action == "complete":
            body["data"] = FORM_DATA[target]
        response = api_post(w, persona, f"/api/tasks/bulk/{action}", body)
        if response.status_code != 200:
            return status(response)
        (result,) = response.get_json()["results"]
        return DONE if result["ok"] else REFUSED

    return call


# -- the matrix: every route → (how to call it, what each persona gets, per target?) ----------


@dataclass(frozen=True)
class Route:
    call: Callable[[World, str, str], str]
    expect: Callable[[str, str], str]
    per_target: bool = True


def _task(w: World, t: str) -> str:
    return f"/tareas/{w.ready[t]}"


def _instance(w: World, t: str) -> str:
    return f"/instancias/{w.instance[t]}"


ROUTES: dict[str, Route] = {
    # public
    "auth.login": Route(web_login_page, public, per_target=False),
    "health.health": Route(get(lambda w, t: "/salud"), public, per_target=False),
    "static": Route(get(lambda w, t: "/static/css/app.css"), public, per_target=False),
    "api.openapi": Route(get(lambda w, t: "/api/openapi.json"), public, per_target=False),
    # any logged-in person (the content is filtered: see the leak tests below)
    "index": Route(get(lambda w, t: "/"), page_rule(anyone), per_target=False),
    "auth.logout": Route(web_logout, action_rule(anyone), per_target=False),
    "org.chart": Route(get(lambda w, t: "/organizacion/"), page_rule(anyone), per_target=False),
    "org.unit": Route(get(lambda w, t: f"/organizacion/{SCOPE[t]}"), page_rule(anyone)),
    "inbox.index": Route(get(lambda w, t: "/bandeja/?tab=available"), page_rule(anyone), False),
    "processes.index": Route(get(lambda w, t: "/procesos/"), page_rule(anyone), False),
    "processes.mine": Route(get(lambda w, t: "/solicitudes/"), page_rule(anyone), False),
    "processes.board": Route(get(lambda w, t: "/tablero/"), page_rule(anyone), False),
    "processes.start": Route(web_start, action_rule(may_start_in)),
    "processes.start_form": Route(
        get(lambda w, t: "/procesos/ref_verificacion/iniciar"),
        page_rule(holds_a_position, denied="404"),
        False,
    ),
    # one task: see it, do it, supervise it
    "inbox.task": Route(get(_task), page_rule(sees_task)),
    "inbox.bulk": Route(web_bulk_page, page_rule(sees_task, denied=REFUSED)),
    "inbox.claim": Route(
        web_task_action("tomar", does_task, False, claimed_by_persona), action_rule(does_task)
    ),
    "inbox.unclaim": Route(
        web_task_action("liberar", does_task, True, back_in_pool), action_rule(does_task)
    ),
    "inbox.reassign": Route(
        web_task_action("reasignar", reassigns, True, back_in_pool), action_rule(reassigns)
    ),
    "inbox.comment": Route(web_comment, action_rule(sees_task)),
    "inbox.attach": Route(web_attach, action_rule(sees_task)),
    "inbox.download": Route(get(lambda w, t: f"/adjuntos/{w.attachment[t]}"), page_rule(sees_task)),
    # one instance
    "processes.instance": Route(get(_instance), page_rule(sees_instance)),
    "processes.progress": Route(
        get(lambda w, t: _instance(w, t) + "/progreso"), page_rule(sees_instance)
    ),
    # the API (bearer tokens)
    "api.processes": Route(api_get(lambda w, t: "/api/processes"), api_rule(anyone), False),
    "api.tasks": Route(api_get(lambda w, t: "/api/tasks"), api_rule(anyone), False),
    "api.instance": Route(
        api_get(lambda w, t: f"/api/instances/{w.instance[t]}"), api_rule(sees_instance)
    ),
    "api.start_instance": Route(api_start, api_rule(may_start_in, ok=CREATED)),
    "api.claim": Route(api_task_action("claim", does_task, False), api_rule(does_task)),
    "api.unclaim": Route(api_task_action("unclaim", does_task, True), api_rule(does_task)),
    "api.complete": Route(api_task_action("complete", does_task, False), api_rule(does_task)),
    "api.draft": Route(api_task_action("draft", does_task, False), api_rule(does_task)),
    "api.bulk_claim": Route(api_bulk("claim"), api_rule(does_task, ok=DONE, denied=REFUSED)),
    "api.bulk_complete": Route(api_bulk("complete"), api_rule(does_task, ok=DONE, denied=REFUSED)),
}


# -- the modeler and the history (issue 7) ----------------------------------------------------
ALLOWED = "allowed"  # the request got past authorization (the outcome itself is tested elsewhere)
AUDITORS = ("auditor_oci", "admin")
OWNERS = ("jefe_central", "admin")  # ref_verificacion's owner: Jefe de la UVCC


def session_json(path: Callable[[World, str], str], body: dict[str, object]):  # type: ignore[no-untyped-def]
    """A JSON POST from the browser: session cookie plus X-CSRFToken."""

    def call(w: World, persona: str, target: str) -> str:
        response = w.client(persona).post(
            path(w, target), json=body, headers={"X-CSRFToken": w.csrf.get(persona, "")}
        )
        code = status(response)
        return code if code in (LOGIN, FORBIDDEN, "400") else ALLOWED

    return call


def web_migrate(w: World, persona: str, target: str) -> str:
    """The instance page's "Migrar a la versión N" (a form post): owners get the engine's
    refusal back on the page (there is no version 99), everyone else 403, nothing moves."""
    instance_id = w.instance[target]
    response = w.client(persona).post(
        f"/instancias/{instance_id}/migrar", data={"version": 99, "csrf_token": w.csrf[persona]}
    )
    with w.db.transaction() as s:
        assert s.get(ProcessInstance, instance_id).process_version == 1
    code = status(response)
    if code == "302":
        assert response.headers["Location"].endswith(f"/instancias/{instance_id}")
        return ALLOWED
    return code


def gate(allowed: tuple[str, ...]):  # type: ignore[no-untyped-def]
    def expect(persona: str, _target: str) -> str:
        if persona == ANON:
            return LOGIN
        return ALLOWED if persona in allowed else FORBIDDEN

    return expect


def page_gate(allowed: tuple[str, ...]):  # type: ignore[no-untyped-def]
    def expect(persona: str, _target: str) -> str:
        if persona == ANON:
            return LOGIN
        return OK if persona in allowed else FORBIDDEN

    return expect


def _history_instance(w: World, target: str) -> str:
    return f"/historial/instancias/{w.instance[target]}"


def _history_step(w: World, target: str) -> str:
    with w.db.transaction() as s:
        seq = s.scalar(
            select(func.min(AuditEvent.seq)).where(AuditEvent.instance_id == w.instance[target])
        )
    return f"{_history_instance(w, target)}/eventos/{seq}"


def history_export(w: World, persona: str, target: str) -> str:
    response = w.client(persona).post(
        "/historial/exportar",
        data={
            "csrf_token": w.csrf.get(persona, ""),
            "formato": "csv",
            "instancia": w.instance[target],
        },
    )
    return status(response)


DIAGRAM = "/modelador/ref_verificacion"
MODELER_AND_HISTORY: dict[str, Route] = {
    "modeler.index": Route(get(lambda w, t: "/modelador/"), page_rule(anyone), False),
    "modeler.page": Route(get(lambda w, t: DIAGRAM), page_rule(anyone), False),
    "modeler.xml": Route(get(lambda w, t: f"{DIAGRAM}/diagrama.bpmn"), page_rule(anyone), False),
    "modeler.validate": Route(
        session_json(lambda w, t: f"{DIAGRAM}/validar", {"xml": None}), gate(tuple(PERSONAS)), False
    ),
    "modeler.compare": Route(
        session_json(lambda w, t: f"{DIAGRAM}/comparar", {"xml": None}),
        gate(tuple(PERSONAS)),
        False,
    ),
    "modeler.save": Route(
        session_json(lambda w, t: f"{DIAGRAM}/borrador", {"xml": "<no-xml"}), gate(OWNERS), False
    ),
    "modeler.publish": Route(
        session_json(lambda w, t: f"{DIAGRAM}/publicar", {}), gate(OWNERS), False
    ),
    "modeler.rollback": Route(
        session_json(lambda w, t: f"{DIAGRAM}/revertir", {"version": 99}), gate(OWNERS), False
    ),
    "processes.migrate": Route(web_migrate, gate(OWNERS)),
    "history.index": Route(get(lambda w, t: "/historial/"), page_gate(AUDITORS), False),
    "history.instance": Route(get(_history_instance), page_gate(AUDITORS)),
    "history.step": Route(get(_history_step), page_gate(AUDITORS)),
    "history.household": Route(
        get(lambda w, t: f"/historial/hogares/{w.household[w.ready[t]]}"), page_gate(AUDITORS)
    ),
    "history.export": Route(history_export, page_gate(AUDITORS)),
}
ROUTES.update(MODELER_AND_HISTORY)
# This world has no verification formats: who may download one is tested with real formats
# in tests/test_padron_operativos.py; here, only that nobody gets past login without one.
ROUTES["padron.formato"] = Route(
    get(lambda w, t: "/padron/formatos/1.csv"), page_rule(lambda p, t: False, denied="404"), False
)

# The SISFOH import from the web: the UOAL (none of these personas) and administrators.
IMPORTERS = ("admin",)


def _import_job(w: World) -> int:
    """One job to look at (created through the engine, never run here)."""
    from engine.padron import importjobs

    with w.db.write_transaction() as s:
        jobs = s.scalars(select(importjobs.ImportJob.id).limit(1)).all()
        if jobs:
            return jobs[0]
        files = [importjobs.Upload(f"{r}.csv", io.BytesIO(b"co_hogar\n")) for r in ("h", "m")]
        admin = runtime.actor_for_login(s, "admin")
        return importjobs.create_job(s, admin, Path(w.app.config["VAR_DIR"]), *files).id


def web_import(w: World, persona: str, _target: str) -> str:
    from engine.padron.importjobs import ImportJob

    def jobs() -> int:
        with w.db.transaction() as s:
            return s.scalar(select(func.count()).select_from(ImportJob)) or 0

    before = jobs()
    data = {
        "csrf_token": w.csrf[persona],
        "hogares": (io.BytesIO(b"co_hogar\n"), "hogares.csv"),
        "miembros": (io.BytesIO(b"co_hogar\n"), "miembros.csv"),
    }
    response = w.client(persona).post(
        "/padron/importaciones/", data=data, content_type="multipart/form-data"
    )
    code = status(response)
    if code in (LOGIN, FORBIDDEN):
        assert jobs() == before
        return code
    return DONE if jobs() == before + 1 else REFUSED


def _import_gate(persona: str, _target: str) -> str:
    if persona == ANON:
        return LOGIN
    return DONE if persona in IMPORTERS else FORBIDDEN


ROUTES["padron.importaciones"] = Route(
    get(lambda w, t: "/padron/importaciones/"), page_gate(IMPORTERS), False
)
ROUTES["padron.importar"] = Route(web_import, _import_gate, False)
ROUTES["padron.importacion"] = Route(
    get(lambda w, t: f"/padron/importaciones/{_import_job(w)}"), page_gate(IMPORTERS), False
)
ROUTES["padron.avance"] = Route(
    get(lambda w, t: f"/padron/importaciones/{_import_job(w)}/avance"),
    page_gate(IMPORTERS),
    False,
)

CASES = [
    pytest.param(endpoint, persona, target, id=f"{endpoint}-{persona}-{target}")
    for endpoint, route in ROUTES.items()
    for persona in PERSONAS
    for target in (TARGETS if route.per_target else ("-",))
]


def test_every_route_is_in_the_matrix(world: World) -> None:
    endpoints = {rule.endpoint for rule in world.app.url_map.iter_rules()}
    assert endpoints == set(ROUTES), {
        "routes without a line in ROUTES": sorted(endpoints - set(ROUTES)),
        "lines in ROUTES for no route": sorted(set(ROUTES) - endpoints),
    }


def test_every_kind_of_position_is_in_the_tables() -> None:
    assert set(RELATION) == set(INSTANCE_VIEW) == set(PERSONAS) - {ANON}
    assert {r for row in RELATION.values() for r in row.values()} == {DO, BOSS, ADMIN, NONE}


# -- nothing leaks: lists, counts, search, the tasks API, pages -------------------------------
# (these run first, before the matrix adds tasks; they look only at the shared tasks anyway)

ROW = re.compile(r'data-task-id="(\d+)"')
COUNT = re.compile(r'data-tab-count="(\w+)">(\d+)<')


def expected_in_tab(w: World, persona: str) -> dict[str, set[int]]:
    relations = RELATION[persona]
    return {
        "mine": {w.claimed[t] for t in TARGETS if relations[t] == DO},
        "available": {w.ready[t] for t in TARGETS if relations[t] == DO},
        "team": {
            task_id
            for t in TARGETS
            if relations[t] == BOSS
            for task_id in (w.ready[t], w.claimed[t])
        },
    }


def inbox_page(w: World, persona: str, **args: str) -> tuple[set[int], dict[str, int]]:
    response = w.client(persona).get("/bandeja/", query_string={"por_pagina": "100", **args})
    assert response.status_code == 200
    rows = {int(i) for i in ROW.findall(response.text)}
    return rows, {tab: int(n) for tab, n in COUNT.findall(response.text)}


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != ANON])
def test_inbox_tabs_and_counts_show_exactly_what_the_persona_may_see(
    world: World, persona: str
) -> None:
    shared = set(world.ready.values()) | set(world.claimed.values())
    expected = expected_in_tab(world, persona)
    for tab in ("mine", "available", "team"):
        rows, counts = inbox_page(world, persona, tab=tab)
        assert rows & shared == expected[tab], tab
        assert counts[tab] == len(rows), tab  # the count is of the same rows, nothing hidden


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != ANON])
@pytest.mark.parametrize("target", TARGETS)
def test_search_finds_only_what_the_persona_may_see(
    world: World, persona: str, target: str
) -> None:
    tab = {DO: "available", BOSS: "team"}.get(rel(persona, target), "available")
    for needle in ("q", "hogar"):
        household = world.household[world.ready[target]]
        rows, counts = inbox_page(world, persona, tab=tab, **{needle: household})
        if rel(persona, target) in (DO, BOSS):
            assert rows == {world.ready[target]} and counts[tab] == 1
        else:
            assert not rows and counts == {"mine": 0, "available": 0, "team": 0}


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != ANON])
def test_tasks_api_lists_only_the_persona_s_own_and_available_tasks(
    world: World, persona: str
) -> None:
    shared = set(world.ready.values()) | set(world.claimed.values())
    expected = expected_in_tab(world, persona)
    for scope, want in (
        ("mine", expected["mine"]),
        ("available", expected["available"]),
        ("all", expected["mine"] | expected["available"]),
    ):
        response = world.client(ANON).get(
            f"/api/tasks?scope={scope}&limit=500", headers=world.headers(persona)
        )
        assert {t["id"] for t in response.get_json()} & shared == want, scope


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != ANON])
@pytest.mark.parametrize("target", TARGETS)
def test_pages_show_comments_and_drafts_only_to_whom_they_belong(
    world: World, persona: str, target: str
) -> None:
    client = world.client(persona)
    household = world.household[world.ready[target]]
    task = client.get(f"/tareas/{world.ready[target]}").text
    instance = client.get(f"/instancias/{world.instance[target]}").text
    api = client.get(f"/api/instances/{world.instance[target]}").text
    own_draft = PERSONAS[persona] == HOLDER[target]
    assert (f"BORRADOR-{target}" in task) == own_draft  # a draft is its author's alone
    assert (f"SECRETO-{target}" in task) == sees_task(persona, target)
    assert (f"acta-{target}.txt" in task) == sees_task(persona, target)
    assert (household in instance) == sees_instance(persona, target)
    assert (household in api) == sees_instance(persona, target)


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != ANON])
def test_my_requests_and_the_dashboard_stay_in_scope(world: World, persona: str) -> None:
    client = world.client(persona)
    mine = client.get("/solicitudes/").text
    started_by_gl_cajamarca = {world.instance["caj"], world.instance["central"]}
    for instance_id in world.instance.values():
        listed = f'href="/instancias/{instance_id}"' in mine
        assert listed == (persona == "gestor_local" and instance_id in started_by_gl_cajamarca)
    board = client.get("/tablero/").text
    open_lines = re.findall(r"<td>([A-Z]+-[A-Z]+|—)</td><td class=\"num\">", board)
    reaches_puno = rel(persona, "puno") != NONE
    assert ("UT-PUN" in open_lines) == reaches_puno
    if all(rel(persona, t) == NONE for t in TARGETS):
        assert "0 abiertas, 0 vencidas" in board


def test_bulk_actions_refuse_task_by_task(world: World) -> None:
    """One batch with a task the Gestor Local of Cajamarca may do, one of Puno and one another
    Gestor Local of Cajamarca took: the first is done, the others refused one by one (and left
    as they were)."""
    colleague = staff(world.db, "Gestor Local", "UT-CAJ", nth=1)
    assert colleague != "gl.cajamarca"
    taken = world.new_task("caj")
    with world.db.write_transaction() as s:
        runtime.claim(s, taken, runtime.actor_for_login(s, colleague))
    batch = [world.new_task("caj"), world.ready["puno"], taken]
    response = api_post(world, "gestor_local", "/api/tasks/bulk/claim", {"task_ids": batch})
    results = {r["task_id"]: r for r in response.get_json()["results"]}
    assert [results[t]["ok"] for t in batch] == [True, False, False]
    assert world.task(world.ready["puno"]).state == "ready"
    assert world.task(taken).assignee_user_id != user_id(world, "gestor_local")
    assert "puno" not in results[world.ready["puno"]]["message"].lower()
    own, central = world.new_task("caj"), world.ready["central"]
    mixed = api_post(
        world,
        "gestor_local",
        "/api/tasks/bulk/complete",
        {"task_ids": [own, central], "data": VISIT},
    )
    # the task out of reach is refused on its own, without revealing what kind it is
    assert [r["ok"] for r in mixed.get_json()["results"]] == [True, False]
    assert world.task(central).state == "ready"


def test_csrf_is_required_on_every_form_post(world: World) -> None:
    client = world.client("gestor_local")
    for path in (
        f"/tareas/{world.ready['caj']}/tomar",
        f"/tareas/{world.ready['caj']}/comentarios",
        f"/instancias/{world.instance['caj']}/migrar",
        "/procesos/ref_verificacion/iniciar",
        "/salir",
    ):
        assert client.post(path, data={"comentario": "x"}).status_code == 400, path
    refused = client.post(f"/api/tasks/{world.ready['caj']}/claim")  # session, no X-CSRFToken
    assert refused.status_code == 400
    assert world.task(world.ready["caj"]).state == "ready"


# -- the matrix itself --------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "persona", "target"), CASES)
def test_matrix(world: World, endpoint: str, persona: str, target: str) -> None:
    route = ROUTES[endpoint]
    assert route.call(world, persona, target) == route.expect(persona, target)
