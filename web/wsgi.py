"""The WSGI entry point for gunicorn: ``gunicorn web.wsgi:app``."""

import gc

from web import create_app

app = create_app()
# What the imports and the app made (~170,000 objects: modules, SQLAlchemy's and
# SpiffWorkflow's classes, the templates) lives as long as the process: moved out of the
# garbage collector's reach, a full collection walks a few thousand objects instead of all
# of them (measured: a 134 ms pause every ~120 inbox pages → 22 ms; bench/inbox.py does the
# same after creating its app).
gc.freeze()
