"""Imports every model module so that ``Base.metadata`` is complete (for Alembic)."""

from engine import heartbeat, progress  # noqa: F401
from engine.audit import models as audit_models  # noqa: F401
from engine.db import Base
from engine.definitions import models as definition_models  # noqa: F401
from engine.documents import models as document_models  # noqa: F401
from engine.modeling import models as modeling_models  # noqa: F401
from engine.notifications import models as notification_models  # noqa: F401
from engine.org import models as org_models  # noqa: F401
from engine.org import tokens as org_tokens  # noqa: F401
from engine.padron import importjobs as padron_importjobs  # noqa: F401
from engine.padron import models as padron_models  # noqa: F401
from engine.padron import records as padron_records  # noqa: F401
from engine.pagos import models as pagos_models  # noqa: F401
from engine.runtime import models as runtime_models  # noqa: F401
from engine.services import results as service_results  # noqa: F401
from engine.taskwork import models as taskwork_models  # noqa: F401

metadata = Base.metadata
