"""History for the auditors: filters, timeline with data diffs, the path with counts (loops
counted per pass), households, and evidence exports that verify offline — and break when
a row is altered or dropped."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import history, runtime
from engine.audit import evidence
from engine.db import Database
from engine.errors import PermissionDenied
from tests.runtime_support import complete, only_task, prepared_database, start

KEY = "ref_verificacion"
VISITA = {"fecha_visita": "2026-11-20", "hogar_encontrado": True}


@pytest.fixture(scope="module")
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = prepared_database(databases.new())
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def looped(db: Database) -> int:
    """An instance observed once by the CTZ (a loop), now waiting for the second review."""
    instance = start(db, KEY, "gl.cajamarca", {"co_hogar": "HIS-1"})
    complete(db, only_task(db, instance, "registrar_visita").id, "gl.cajamarca", VISITA)
    for cumple in (False, True):
        task = only_task(db, instance, "registrar_resultado").id
        complete(db, task, "gl.cajamarca", {"cumple": cumple})
        if not cumple:
            complete(
                db,
                only_task(db, instance, "revisar").id,
                "ctz.cajamarca",
                {"decision": "observado"},
            )
    return instance


def _actor(db: Database, login: str) -> runtime.Actor:
    with db.transaction() as s:
        return runtime.actor_for_login(s, login)


def test_only_auditors_and_admins_read_the_history(db: Database, looped: int) -> None:
    with db.transaction() as s:
        for login in ("auditor.oci", "jefe.oci", "admin"):
            assert history.search(s, runtime.actor_for_login(s, login), history.HistoryFilter())
        with pytest.raises(PermissionDenied):
            history.search(s, runtime.actor_for_login(s, "gl.cajamarca"), history.HistoryFilter())


def test_filters(db: Database, looped: int) -> None:
    other = start(db, KEY, "gl.puno", {"co_hogar": "HIS-2"})
    with db.transaction() as s:
        auditor = runtime.actor_for_login(s, "auditor.oci")

        def ids(**kw) -> set[int]:  # type: ignore[no-untyped-def]
            return {i.id for i in history.search(s, auditor, history.HistoryFilter(**kw))}

        assert looped in ids(unit="UT-CAJ") and other not in ids(unit="UT-CAJ")
        assert ids(household="HIS-2") == {other}
        assert looped in ids(actor="ctz.cajamarca") and other not in ids(actor="ctz.cajamarca")
        assert looped in ids(position="Coordinador Técnico Zonal")
        assert looped in ids(process=KEY, version=1)
        assert ids(process="no_existe") == set()


def test_timeline_path_and_data_at_a_step(db: Database, looped: int) -> None:
    with db.transaction() as s:
        auditor = runtime.actor_for_login(s, "auditor.oci")
        steps = history.timeline(s, auditor, looped)
        detail = history.instance_history(s, auditor, looped)
    completed = [st for st in steps if st.event.kind == "task.completed"]
    first_result = completed[1]
    assert first_result.actor.endswith("(gl.cajamarca)") and "Gestor Local" in first_result.position
    assert ("cumple", None, False) in first_result.changes
    assert first_result.data["co_hogar"] == "HIS-1" and first_result.data["cumple"] is False
    assert ("cumple", False, True) in completed[3].changes
    path = detail.path
    assert path.elements["registrar_resultado"] == 2 and path.elements["revisar"] == 2
    assert path.flows["f_observado"] == 1 and path.flows["f3"] == 2
    assert path.waiting == {"revisar"}
    assert [t.element_id for t in detail.open_tasks] == ["revisar"]


def test_household_page_spans_processes(db: Database, looped: int) -> None:
    with db.transaction() as s:
        steps = history.household_events(s, runtime.actor_for_login(s, "jefe.oci"), "HIS-1")
    assert {st.event.instance_id for st in steps} == {looped}
    assert steps[0].event.kind == "instance.started"


def _export(db: Database, ids: list[int]) -> history.Evidence:
    with db.write_transaction() as s:
        return history.export(s, runtime.actor_for_login(s, "auditor.oci"), ids, "prueba", {})


def _cli(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "audit", "verify", "--export", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_evidence_exports_verify_offline_and_tampering_breaks_them(
    db: Database, looped: int, tmp_path: Path
) -> None:
    ev = _export(db, [looped])
    assert ev.chain.ok and ev.anchor["kind"] == "evidence.exported"
    csv_file, pdf_file = tmp_path / "e.csv", tmp_path / "e.pdf"
    csv_file.write_bytes(history.to_csv(ev))
    pdf_file.write_bytes(history.to_pdf(ev))
    for f in (csv_file, pdf_file):
        done = _cli(f)
        assert done.returncode == 0, done.stderr
        assert ev.anchor["hash"] in done.stdout

    rows = list(csv.DictReader(io.StringIO(csv_file.read_text())))
    altered = [dict(r) for r in rows]
    altered[2]["element_id"] = "otro_elemento"
    assert evidence.verify_evidence(altered).first_bad_seq == int(rows[2]["seq"])
    dropped = rows[:3] + rows[4:]
    result = evidence.verify_evidence(dropped)
    assert not result.ok and "quitadas" in result.reason
    bad = tmp_path / "bad.csv"
    bad.write_bytes(evidence.to_csv(altered))
    done = _cli(bad)
    assert done.returncode == 1 and "evento alterado" in done.stderr


def test_a_whole_chain_export_needs_no_anchor(db: Database, looped: int) -> None:
    from engine import audit

    with db.transaction() as s:
        rows = [e.to_export() for e in audit.events(s)]
    assert evidence.verify_evidence(evidence.read_file(evidence.to_csv(rows))).ok
