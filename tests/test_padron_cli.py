"""`juntos padron` as operators use it (real subprocesses), and the synthetic population."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from engine.padron import districts
from engine.padron.generate import generate
from engine.padron.kinds import member_kind
from tests.test_cli import juntos
from tests.test_padron_support import HOGARES, write_pair


@pytest.fixture(scope="module")
def env(databases, tmp_path_factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    environment = {
        **os.environ,
        "DATABASE_URL": databases.new(),
        "JUNTOS_VAR_DIR": str(tmp_path_factory.mktemp("var")),
    }
    result = juntos(environment, "init", "--no-demo")
    assert result.returncode == 0, result.stderr
    return environment


@pytest.fixture(scope="module")
def population(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pop")
    result = juntos(
        env, "padron", "generate", "--households", "300", "--seed", "11", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    return out


def _import_args(population: Path) -> tuple[str, ...]:
    files = (str(population / "hogares.csv"), str(population / "miembros.csv"))
    return ("padron", "import-sisfoh", *files)


@pytest.fixture(scope="module")
def imported(env: dict[str, str], population: Path) -> dict:  # type: ignore[type-arg]
    first = juntos(env, *_import_args(population), "--format", "json")
    assert first.returncode == 0, first.stderr
    return json.loads(first.stdout)


def test_import_generated_population(
    env: dict[str, str],
    population: Path,
    imported: dict,  # type: ignore[type-arg]
) -> None:
    body = imported
    assert body["ya_importado"] is False
    assert body["conteos"]["hogares_nuevos"] == 300
    seg = body["segmentacion"]
    assert seg["hogares"] == body["conteos"]["hogares_elegibles"] > 200
    assert sum(u["hogares"] for u in seg["unidades_territoriales"]) == seg["hogares"]
    again = juntos(env, *_import_args(population))
    assert again.returncode == 0, again.stderr
    assert "ya importado como lote" in again.stdout


def test_show_json_and_text(env: dict[str, str], imported: dict) -> None:  # type: ignore[type-arg]
    out = juntos(env, "padron", "show", "0000000002", "--format", "json")
    assert out.returncode == 0, out.stderr
    card = json.loads(out.stdout)
    assert card["co_hogar"] == "0000000002"
    assert card["estado"] in {"potencial", "validado"}
    assert card["historial"][0]["de"] is None
    assert card["unidad_territorial"]["codigo"].startswith("UT-")
    text = juntos(env, "padron", "show", "0000000002")
    assert text.returncode == 0 and "historial de estados" in text.stdout


def test_show_unknown_hogar(env: dict[str, str]) -> None:
    out = juntos(env, "padron", "show", "NO-EXISTE", "--format", "json")
    assert out.returncode != 0
    assert "NO-EXISTE no está en el padrón" in out.stderr
    assert out.stdout == ""


def test_bad_import_exits_non_zero_with_the_report(env: dict[str, str], tmp_path: Path) -> None:
    bad = [
        [*HOGARES[0][:4], "1234567", *HOGARES[0][5:]],
        [*HOGARES[1][:1], "150101", *HOGARES[1][2:]],
    ]
    h, m = write_pair(tmp_path, bad, [])
    out = juntos(env, "padron", "import-sisfoh", str(h), str(m))
    assert out.returncode == 1
    assert "hogares.csv, línea 2, dni_titular: el DNI debe tener 8 dígitos (tiene 7)" in out.stderr
    assert "hogares.csv, línea 3, ubigeo" in out.stderr
    assert "1234567" not in out.stderr
    assert juntos(env, "padron", "show", HOGARES[0][0]).returncode != 0  # nothing written


def test_structural_error_exits_non_zero(env: dict[str, str], tmp_path: Path) -> None:
    h, m = tmp_path / "h.csv", tmp_path / "m.csv"
    h.write_text("co_hogar,ubigeo\nX,060101\n")
    m.write_text("co_hogar,dni\n")
    out = juntos(env, "padron", "import-sisfoh", str(h), str(m))
    assert out.returncode == 1
    assert "h.csv, línea 1: falta la columna centro_poblado" in out.stderr


def test_generate_is_deterministic(tmp_path: Path) -> None:
    a = generate(400, 5, tmp_path / "a")
    generate(400, 5, tmp_path / "b")
    generate(400, 6, tmp_path / "c")
    for name in ("hogares.csv", "miembros.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()
    assert a.hogares == 400 and 2.0 < a.miembros / a.hogares < 3.2


def test_generated_population_is_plausible(tmp_path: Path) -> None:
    generate(2000, 3, tmp_path, as_of=date(2026, 11, 1))
    with (tmp_path / "hogares.csv").open(encoding="utf-8") as f:
        hogares = list(csv.DictReader(f))
    with (tmp_path / "miembros.csv").open(encoding="utf-8") as f:
        miembros = list(csv.DictReader(f))
    places = districts()
    uts = Counter(places[h["ubigeo"]].ut_code for h in hogares)
    assert None not in uts and len(uts) == 16
    assert uts.most_common(1)[0][0] == "UT-CAJ"  # the UT with the most Gestores Locales
    cse = Counter(h["cse"] for h in hogares)
    assert cse["PE"] > cse["PNE"] > cse["NP"] > 0
    titulares = [h["dni_titular"] for h in hogares]
    dnis = [m["dni"] for m in miembros if m["dni"] not in set(titulares)]
    assert len(set(titulares)) == len(titulares) and len(set(dnis)) == len(dnis)
    assert all(len(d) == 8 and d.isdigit() for d in titulares + dnis)
    kinds = Counter(
        member_kind(
            date.fromisoformat(m["fecha_nacimiento"]), m["gestante"] == "1", date(2026, 11, 1)
        )
        for m in miembros
    )
    assert set(kinds) == {"gestante", "nino_0_36_meses", "escolar"}
    assert kinds["escolar"] > kinds["nino_0_36_meses"] > kinds["gestante"] > 0
    ie = [m["codigo_modular_ie"] for m in miembros if m["codigo_modular_ie"]]
    eess = [m["codigo_renipress"] for m in miembros if m["codigo_renipress"]]
    assert ie and all(len(c) == 7 and c.isdigit() for c in ie)
    assert eess and all(len(c) == 8 and c.isdigit() for c in eess)
