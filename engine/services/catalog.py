"""Imports every domain that registers operations, so the registry is complete."""

import engine.documents
import engine.notifications
import engine.padron.operations
import engine.pagos  # noqa: F401
from engine.services.registry import get_operation, registered_operations

__all__ = ["get_operation", "registered_operations"]
