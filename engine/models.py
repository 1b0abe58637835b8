"""Imports every model module so that ``Base.metadata`` is complete (for Alembic)."""

from engine import heartbeat  # noqa: F401
from engine.db import Base
from engine.org import models as org_models  # noqa: F401

metadata = Base.metadata
