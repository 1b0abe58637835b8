"""The WSGI entry point for gunicorn: ``gunicorn web.wsgi:app``."""

from engine.process import freeze_loaded_objects
from web import create_app

app = create_app()
freeze_loaded_objects()  # bench/inbox.py does the same after creating its app
