"""Serving: ``juntos web`` (gunicorn), ``juntos worker`` and ``juntos beat`` (Celery), and
``juntos run``, which starts the web server and one worker with its beat together.

docker-compose.yml runs the same three entry points as separate services.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click

WSGI_APP = "web.wsgi:app"
CELERY_APP = "engine.jobs:celery_app"


WEB_THREADS = 4


def web_argv(bind: str, workers: int, extra: tuple[str, ...] = ()) -> list[str]:
    """Threaded workers: while one request waits on the database (the write lock, a row
    lock), another runs; and clients that keep their connection open (integrations) need
    no new TCP connection per call. Later options in ``extra`` win."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(WEB_THREADS),
        "--access-logfile",
        "-",
        *extra,
        WSGI_APP,
    ]


def worker_argv(concurrency: int, with_beat: bool, extra: tuple[str, ...] = ()) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        CELERY_APP,
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
    ]
    return [*argv, "--beat"] if with_beat else [*argv, *extra]


def beat_argv(extra: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", CELERY_APP, "beat", "--loglevel=INFO", *extra]


def run_argvs(bind: str) -> list[list[str]]:
    """What `juntos run` starts: the `juntos web` server and a `juntos worker --beat`."""
    return [web_argv(bind, workers=2), worker_argv(concurrency=2, with_beat=True)]


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--bind", default="127.0.0.1:5000", show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.argument("extra", nargs=-1, type=click.UNPROCESSED)
def web(bind: str, workers: int, extra: tuple[str, ...]) -> None:
    """Sirve la aplicación web con gunicorn."""
    argv = web_argv(bind, workers, extra)
    os.execv(argv[0], argv)


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--concurrency", default=2, show_default=True)
@click.option("--beat", "with_beat", is_flag=True, help="Incluye el planificador (un solo worker).")
@click.argument("extra", nargs=-1, type=click.UNPROCESSED)
def worker(concurrency: int, with_beat: bool, extra: tuple[str, ...]) -> None:
    """Inicia un worker de Celery."""
    argv = worker_argv(concurrency, with_beat, extra)
    os.execv(argv[0], argv)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("extra", nargs=-1, type=click.UNPROCESSED)
def beat(extra: tuple[str, ...]) -> None:
    """Inicia el planificador de Celery (tareas periódicas)."""
    argv = beat_argv(extra)
    os.execv(argv[0], argv)


@click.command()
@click.option("--bind", default="127.0.0.1:5000", show_default=True)
def run(bind: str) -> None:
    """Sirve la web y un worker con su planificador; Ctrl-C detiene ambos."""
    # Children get their own sessions: a Ctrl-C reaches only this process, which then
    # stops each child cleanly (a group-wide signal leaves Celery's prefork pool hanging).
    children = [subprocess.Popen(argv, start_new_session=True) for argv in run_argvs(bind)]
    # Ctrl-C and SIGTERM stop it even when it was started with SIGINT ignored, as a shell
    # script starts its background jobs (Python then keeps it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    click.echo(f"juntos-bpm en http://{bind}/ (Ctrl-C para detener)")
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        _stop(children)
        return
    _stop(children)
    raise click.ClickException("un proceso (web o worker) terminó inesperadamente")


def _stop(children: list[subprocess.Popen[bytes]], grace: float = 30.0) -> None:
    """SIGTERM to each child; whatever is still running after ``grace`` seconds is killed."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
