"""Serving processes take what they loaded out of the garbage collector's reach."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path


def test_the_wsgi_module_freezes_what_the_app_loaded(tmp_path: Path) -> None:
    """In a process of its own, as a gunicorn worker imports it (freezing is per process)."""
    env = {
        **os.environ,
        "JUNTOS_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
    }
    code = (
        "import gc; before = gc.get_freeze_count(); import web.wsgi; "
        "print(before, gc.get_freeze_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert before == 0 and after > 50_000  # the app, its blueprints, mappers and templates


def test_celery_worker_processes_freeze_when_they_start() -> None:
    from celery.signals import worker_init, worker_process_init

    from engine import jobs

    assert any(r() is jobs._loaded for _, r in worker_init.receivers)
    assert any(r() is jobs._loaded for _, r in worker_process_init.receivers)
    before = gc.get_freeze_count()
    try:
        jobs._loaded()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
