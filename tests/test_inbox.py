"""The inbox, task page, comments/attachments/drafts and dashboard in the engine: tabs,
filters, counts and who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import runtime
from engine.db import Database, utcnow
from engine.errors import PermissionDenied, ValidationError
from engine.runtime.dashboard import dashboard
from engine.runtime.inbox import InboxQuery, inbox
from engine.runtime.task_page import task_page
from engine.taskwork import add_attachment, add_comment, attachments_of, draft_of, save_draft
from tests.processes.support import Walk
from tests.runtime_support import prepared_database

VISIT = {"fecha_visita": "2026-11-02", "hogar_encontrado": True}


@pytest.fixture(scope="module")
def db(databases) -> Database:  # type: ignore[no-untyped-def]
    database = prepared_database(databases.new())
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def walks(db: Database) -> dict[str, Walk]:
    caj = [Walk(db, "ref_verificacion", "gl.cajamarca", {"co_hogar": f"CAJ{i}"}) for i in range(3)]
    puno = Walk(db, "ref_verificacion", "gl.puno", {"co_hogar": "PUN1"})
    caj[0].do("registrar_visita", "gl.cajamarca", VISIT)  # next: registrar_resultado
    with db.write_transaction() as s:  # gl.cajamarca claims CAJ1's visit
        runtime.claim(
            s, caj[1].task("registrar_visita").id, runtime.actor_for_login(s, "gl.cajamarca")
        )
    return {"caj0": caj[0], "caj1": caj[1], "caj2": caj[2], "puno": puno}


def _page(db: Database, login: str, **query):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return inbox(s, runtime.actor_for_login(s, login), InboxQuery(**query))


def test_tabs_and_counts_by_position_and_scope(db: Database, walks: dict[str, Walk]) -> None:
    mine = _page(db, "gl.cajamarca", tab="mine")
    assert [r.task.household for r in mine.rows] == ["CAJ1"]
    assert mine.counts == {"mine": 1, "available": 2, "team": 0}
    available = _page(db, "gl.cajamarca", tab="available")
    assert sorted((r.task.household, r.task.element_id) for r in available.rows) == [
        ("CAJ0", "registrar_resultado"),
        ("CAJ2", "registrar_visita"),
    ]
    # Puno sees only Puno's task, in every tab and count
    puno = _page(db, "gl.puno", tab="available")
    assert [r.task.household for r in puno.rows] == ["PUN1"]
    assert puno.counts == {"mine": 0, "available": 1, "team": 0}
    assert _page(db, "gl.puno", tab="available", text="CAJ").total == 0


def test_team_tab_follows_the_lines_of_authority(db: Database, walks: dict[str, Walk]) -> None:
    jefe_caj = _page(db, "jefe.ut.cajamarca", tab="team")
    assert {r.task.household for r in jefe_caj.rows} == {"CAJ0", "CAJ1", "CAJ2"}
    assert {r.unit_code for r in jefe_caj.rows} == {"UT-CAJ"}
    assert _page(db, "jefe.ut.puno", tab="team").counts["team"] == 1
    director = _page(db, "director", tab="team", per_page=100)
    assert director.total == 4
    assert _page(db, "director", tab="team", unit_code="UT-PUN").total == 1


def test_filters_sort_and_pagination(db: Database, walks: dict[str, Walk]) -> None:
    assert _page(db, "director", tab="team", household="CAJ2").total == 1
    assert _page(db, "director", tab="team", element_id="registrar_resultado").total == 1
    assert _page(db, "director", tab="team", process_key="ref_verificacion").total == 4
    assert _page(db, "director", tab="team", process_key="ref_eventos").total == 0
    assert _page(db, "director", tab="team", text="resultado").total == 1
    assert _page(db, "director", tab="team", text="100%_").total == 0
    assert _page(db, "director", tab="team", due="overdue").total == 0
    assert _page(db, "director", tab="team", due="week").total == 4
    first = _page(db, "director", tab="team", per_page=3, page=1)
    second = _page(db, "director", tab="team", per_page=3, page=2)
    assert (len(first.rows), len(second.rows), first.pages) == (3, 1, 2)
    assert not {r.task.id for r in first.rows} & {r.task.id for r in second.rows}
    with pytest.raises(ValidationError):
        _page(db, "director", tab="everything")


def test_task_page_permissions_and_context(db: Database, walks: dict[str, Walk]) -> None:
    task = walks["caj0"].task("registrar_resultado")
    with db.transaction() as s:
        page = task_page(s, runtime.actor_for_login(s, "gl.cajamarca"), task.id)
        assert page.can_claim and page.can_complete and not page.can_reassign
        assert page.context["co_hogar"] == "CAJ0" and page.context["fecha_visita"] == "2026-11-02"
        assert page.form_schema and "cumple" in page.form_schema["properties"]
        boss = task_page(s, runtime.actor_for_login(s, "jefe.ut.cajamarca"), task.id)
        assert boss.can_reassign and not boss.can_complete
        assert ("gl.cajamarca", "Santos Chilón Vásquez") in boss.reassign_choices
        for outsider in ("gl.puno", "jefe.ut.puno", "esp.afiliaciones"):
            with pytest.raises(PermissionDenied):
                task_page(s, runtime.actor_for_login(s, outsider), task.id)


def test_comments_attachments_and_drafts(db: Database, walks: dict[str, Walk]) -> None:
    task = walks["caj2"].task("registrar_visita")
    with db.write_transaction() as s:
        gl = runtime.actor_for_login(s, "gl.cajamarca")
        add_comment(s, task.id, gl, "El hogar se mudó al anexo.")
        pdf = add_attachment(s, task.id, gl, "C:\\fakepath\\acta.pdf", b"%PDF-1.4 acta")
        assert (pdf.filename, pdf.size, len(pdf.sha256)) == ("acta.pdf", 13, 64)
        save_draft(s, task.id, gl, {"observaciones": "a medias"})
        save_draft(s, task.id, gl, {"observaciones": "casi"})
    with db.transaction() as s:
        gl = runtime.actor_for_login(s, "gl.cajamarca")
        assert draft_of(s, gl, task.id) == {"observaciones": "casi"}
        assert draft_of(s, runtime.actor_for_login(s, "ctz.cajamarca"), task.id) is None
        assert [a.filename for a in attachments_of(s, gl, task.id)] == ["acta.pdf"]
    bad = [
        ("virus.exe", b"MZ"),
        ("falso.pdf", b"<html>"),
        ("vacio.txt", b""),
        ("binario.csv", b"a,b\x00"),
    ]
    for name, content in bad:
        with pytest.raises(ValidationError), db.write_transaction() as s:
            add_attachment(s, task.id, runtime.actor_for_login(s, "gl.cajamarca"), name, content)
    with pytest.raises(PermissionDenied), db.write_transaction() as s:
        add_comment(s, task.id, runtime.actor_for_login(s, "gl.puno"), "hola")
    with db.transaction() as s:
        kinds = [e.kind for e in runtime.instance_detail(s, walks["caj2"].id).history]
    assert "task.commented" in kinds and "task.attachment_added" in kinds


def test_dashboard_matches_the_inbox(db: Database, walks: dict[str, Walk]) -> None:
    with db.transaction() as s:
        board = dashboard(s, runtime.actor_for_login(s, "director"), utcnow() + timedelta(days=30))
        caj = dashboard(s, runtime.actor_for_login(s, "jefe.ut.cajamarca"))
    assert board.total_open == 4 and board.total_overdue == 4  # all due in 3–5 days
    assert {(line.unit_code, line.open) for line in caj.open_lines} == {("UT-CAJ", 3)}
    assert sum(w.completed for w in board.weeks) == 1  # registrar_visita of CAJ0
    assert [(d.task_name, d.completed) for d in board.durations] == [
        ("Registrar visita al hogar", 1)
    ]


def test_a_household_is_found_by_its_titular_or_member_dni_and_shown_on_the_task(
    db: Database, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import csv

    from engine.padron import import_sisfoh
    from engine.padron.generate import generate
    from web import create_app

    generate(30, seed=7, out_dir=tmp_path)
    with db.write_transaction() as s:
        import_sisfoh(s, tmp_path / "hogares.csv", tmp_path / "miembros.csv")
    rows = list(csv.DictReader((tmp_path / "hogares.csv").open(encoding="utf-8")))
    hogar = next(r for r in rows if r["ubigeo"].startswith("06"))  # Cajamarca
    member = next(
        m
        for m in csv.DictReader((tmp_path / "miembros.csv").open(encoding="utf-8"))
        if m["co_hogar"] == hogar["co_hogar"]
    )
    walk = Walk(db, "ref_verificacion", "gl.cajamarca", {"co_hogar": hogar["co_hogar"]})
    for dni in (hogar["dni_titular"], member["dni"]):
        found = _page(db, "gl.cajamarca", tab="available", household=dni)
        assert [r.task.household for r in found.rows] == [hogar["co_hogar"]], dni
    assert _page(db, "gl.cajamarca", tab="available", household="00000000").total == 0

    url = db.engine.url.render_as_string(hide_password=False)
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/ingresar", data={"login": "gl.cajamarca", "password": "Demo-Juntos-2026"})
    page = client.get(f"/tareas/{walk.task('registrar_visita').id}").text
    assert f"DNI {hogar['dni_titular']}" in page and hogar["nombres"] in page
    assert "Miembros objetivo" in page and member["dni"] in page
