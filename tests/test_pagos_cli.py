"""`juntos pagos` and `juntos entidad-pagadora` as operators use them (real subprocesses)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine.db import Database
from tests.pagos_support import ensure_afiliados, expected, verify
from tests.test_cli import juntos

PERIODO = "2026-B4"


def test_liquidar_orden_respuesta_conciliacion(databases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": databases.new(), "JUNTOS_VAR_DIR": str(tmp_path)}
    assert juntos(env, "init", "--no-demo").returncode == 0
    db = Database(env["DATABASE_URL"])
    ensure_afiliados(db, 200, 5, tmp_path / "pob")
    verify(db, PERIODO)
    want = expected(db, PERIODO)
    db.dispose()

    done = juntos(env, "pagos", "liquidar", PERIODO, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total_centimos"] == want["total_centimos"]
    again = juntos(env, "pagos", "liquidar", PERIODO, "--format", "json")
    assert json.loads(again.stdout)["ya_liquidado"] is True
    orden = json.loads(juntos(env, "pagos", "orden", PERIODO, "--format", "json").stdout)
    assert orden["lineas"] == want["hogares"]

    truncada = tmp_path / "truncada.csv"
    truncada.write_bytes(Path(orden["archivo"]).read_bytes()[:-10])
    refused = juntos(env, "entidad-pagadora", "procesar", str(truncada), "--salida", "r.csv")
    assert refused.returncode == 1 and "truncada.csv" in refused.stderr, refused.stderr
    respuesta = tmp_path / "respuesta.csv"
    processed = juntos(
        env, "entidad-pagadora", "procesar", orden["archivo"], "--salida", str(respuesta),
        "--seed", "3", "--rechazo", "0.1",
    )  # fmt: skip
    assert processed.returncode == 0, processed.stderr

    lines = respuesta.read_text(encoding="utf-8").splitlines()
    duplicated = tmp_path / "duplicada.csv"
    duplicated.write_text("\n".join([*lines[:3], lines[2], *lines[3:]]) + "\n", encoding="utf-8")
    bad = juntos(env, "pagos", "respuesta", PERIODO, str(duplicated))
    assert (
        bad.returncode == 1 and "duplicada.csv" in bad.stderr and "no se aplicó nada" in bad.stderr
    )

    ok = juntos(env, "pagos", "respuesta", PERIODO, str(respuesta), "--format", "json")
    assert ok.returncode == 0, ok.stderr
    report = juntos(env, "pagos", "conciliacion", PERIODO, "--format", "json")
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    assert figures["cuadra"] and figures["diferencia_centimos"] == 0
    assert figures["abonado_centimos"] + figures["rechazado_centimos"] == want["total_centimos"]
