"""The `juntos` command as other checks and operators use it (real subprocesses)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

JUNTOS = [sys.executable, "-m", "engine.cli"]


def juntos(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*JUNTOS, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def initialised(databases, tmp_path_factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One fresh database for this module, set up by `juntos init` itself."""
    env = {
        **os.environ,
        "DATABASE_URL": databases.new(),
        "JUNTOS_VAR_DIR": str(tmp_path_factory.mktemp("var")),
    }
    result = juntos(env, "init")
    assert result.returncode == 0, result.stderr
    return env


def test_init_twice_is_safe(initialised: dict[str, str]) -> None:
    again = juntos(initialised, "init")
    assert again.returncode == 0, again.stderr
    assert "0 registros nuevos, 0 actualizados; personas demo nuevas: 0" in again.stdout
    assert "procesos publicados: 0 nuevos" in again.stdout


def test_positions_csv(initialised: dict[str, str]) -> None:
    out = juntos(initialised, "org", "positions", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["cargo", "denominacion", "unit_code", "unit_name", "supervisor_cargo"]
    assert len(rows) == 1 + 1852
    assert rows[1] == [
        "001",
        "Director Ejecutivo del Programa Nacional de Apoyo Directo a los Más pobres - JUNTOS",
        "DE",
        "Dirección Ejecutiva",
        "",
    ]
    by_cargo = {r[0]: r for r in rows[1:]}
    assert by_cargo["627"][1:] == ["Gestor Local", "UT-CAJ", "Unidad Territorial Cajamarca", "601"]
    assert by_cargo["1852"][1:3] == ["Chofer", "UT-LLI"]
    assert sum(1 for r in rows[1:] if r[2] == "UT-CAJ") == 238


def test_units_csv_and_json(initialised: dict[str, str]) -> None:
    out = juntos(initialised, "org", "units", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["code", "name", "kind", "parent_code"]
    assert len(rows) == 1 + 26
    assert ["OCI", "Órgano de Control Institucional", "control", "DE"] in rows
    as_json = json.loads(juntos(initialised, "org", "units", "--format", "json").stdout)
    assert as_json[0] == {
        "code": "DE",
        "name": "Dirección Ejecutiva",
        "kind": "executive",
        "parent_code": "",
    }


def test_users_add_assign_list(initialised: dict[str, str]) -> None:
    env = {**initialised, "JUNTOS_PASSWORD": "Clave-Segura-2026"}
    assert juntos(env, "users", "add", "rosa.gl", "--name", "Rosa Gestora").returncode == 0
    assigned = juntos(env, "users", "assign", "rosa.gl", "628", "--from", "01/02/2026")
    assert assigned.returncode == 0, assigned.stderr
    assert "titular de 628 Gestor Local desde 01/02/2026" in assigned.stdout
    encargo = juntos(
        env,
        "users",
        "assign",
        "rosa.gl",
        "601",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--encargo",
        "--reference",
        "RDE 5-2026",
    )
    assert encargo.returncode == 0, encargo.stderr
    listed = json.loads(juntos(env, "users", "list", "--format", "json").stdout)
    mine = [(r["cargo"], r["kind"], r["end_date"]) for r in listed if r["login"] == "rosa.gl"]
    assert mine == [("628", "titular", ""), ("601", "encargo", "2026-03-31")]


def test_password_can_be_typed_at_the_prompt(initialised: dict[str, str]) -> None:
    typed = "Clave-Segura-2026\nClave-Segura-2026\n"
    out = juntos(initialised, "users", "add", "tipeado", "--name", "Con Prompt", stdin=typed)
    assert out.returncode == 0, out.stderr
    assert "Clave-Segura-2026" not in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "add", "gl.cajamarca", "--name", "X"), "login: ya existe un usuario"),
        (("users", "add", "nuevo.x", "--name", "X", "--password", "corta"), "password: debe tener"),
        (("users", "assign", "gl.puno", "4000"), "cargo: '4000' no es un número de cargo"),
        (
            ("users", "assign", "gl.puno", "628", "--from", "2026-05-01", "--to", "2026-04-01"),
            "end_date: la fecha de fin es anterior",
        ),
        (("users", "assign", "gl.puno", "628", "--from", "31/02/2026"), "no es una fecha"),
    ],
)
def test_bad_input_is_refused_with_the_field(
    initialised: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    env = {**initialised, "JUNTOS_PASSWORD": "Clave-Segura-2026"}
    before = juntos(env, "users", "list", "--format", "csv").stdout
    out = juntos(env, *args)
    assert out.returncode != 0
    assert message in out.stderr
    assert juntos(env, "users", "list", "--format", "csv").stdout == before
