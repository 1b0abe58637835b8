"""Settings read from the environment, with embedded defaults (SQLite, no servers).

| variable              | default                                        |
|-----------------------|------------------------------------------------|
| JUNTOS_VAR_DIR        | ./var                                          |
| DATABASE_URL          | sqlite:///<var>/juntos.sqlite                  |
| CELERY_BROKER_URL     | sqla+sqlite:///<var>/celery-broker.sqlite      |
| CELERY_RESULT_BACKEND | db+sqlite:///<var>/celery-results.sqlite       |
| CELERY_QUEUE          | juntos (deployments sharing a broker differ)   |
| SECRET_KEY            | generated once into <var>/secret_key           |
| SESSION_COOKIE_SECURE | 0 (set 1 behind HTTPS)                         |
| JUNTOS_BPMN_DIR       | ./bpmn   (what `juntos init` deploys)          |
| JUNTOS_FORMS_DIR      | ./forms                                        |
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    broker_url: str
    result_backend: str
    queue: str
    secret_key: str
    cookie_secure: bool
    bpmn_dir: Path
    forms_dir: Path

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _generated_secret_key(var_dir: Path) -> str:
    """A key generated once and kept in var/ (0600), for machines that set no SECRET_KEY."""
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("JUNTOS_VAR_DIR", "var")).resolve()
    return Settings(
        var_dir=var_dir,
        database_url=env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'juntos.sqlite'}",
        broker_url=env.get("CELERY_BROKER_URL")
        or f"sqla+sqlite:///{var_dir / 'celery-broker.sqlite'}",
        result_backend=env.get("CELERY_RESULT_BACKEND")
        or f"db+sqlite:///{var_dir / 'celery-results.sqlite'}",
        queue=env.get("CELERY_QUEUE", "juntos"),
        secret_key=env.get("SECRET_KEY") or _generated_secret_key(var_dir),
        cookie_secure=env.get("SESSION_COOKIE_SECURE", "0") == "1",
        bpmn_dir=Path(env.get("JUNTOS_BPMN_DIR", "bpmn")).resolve(),
        forms_dir=Path(env.get("JUNTOS_FORMS_DIR", "forms")).resolve(),
    )
