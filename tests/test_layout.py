"""Rules of the house that a tool can check: layering, and one set of entry points."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest
import yaml

from engine.cli import cli
from engine.cli.serve import CELERY_APP, WSGI_APP, run_argvs

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "engine").rglob("*.py")), ids=lambda p: p.name)
def test_engine_never_imports_flask_or_web(path: Path) -> None:
    assert not _imports(path) & {"flask", "flask_login", "flask_wtf", "web", "werkzeug"}


def test_compose_services_use_the_juntos_entry_points() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("init", "web", "worker", "beat"):
        command = services[name]["command"]
        assert command[:2] == ["juntos", name]
        # the arguments must parse as that very command of the CLI
        sub = cli.commands[name]
        sub.make_context(name, list(command[2:]), parent=click.Context(cli))
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert services["worker"]["environment"]["CELERY_BROKER_URL"].startswith("redis://")


def test_make_run_starts_the_same_entry_points() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "$(BIN)/juntos run" in recipe
    assert re.search(r"^run: .*\binit\b", makefile, re.M)
    assert "$(BIN)/juntos init" in re.search(r"^init:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    web, worker = run_argvs("127.0.0.1:5000")
    assert web[-1] == WSGI_APP and "gunicorn" in web
    assert CELERY_APP in worker and "worker" in worker and "--beat" in worker


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_commands = re.findall(r"^(make \w+)", readme, re.M)[:2]
    assert first_commands == ["make run", "make test"]
