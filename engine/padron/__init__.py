"""The padrón de hogares (issue 4; Title V, processes 7 and 8): households, their miembros
objetivo, their states and every change of state, the SISFOH import with its first
validation and segmentation, and synthetic populations. Entry module: import from here."""

from engine.padron.card import household_card
from engine.padron.csvfiles import ImportRejected, RowError, StructuralError
from engine.padron.geography import District, districts, ensure_geography, ut_for
from engine.padron.kinds import member_kind
from engine.padron.models import (
    CSE_VALORES,
    ESTADOS,
    Hogar,
    HogarEstadoHistorial,
    ImportBatch,
    Miembro,
    Ubigeo,
)
from engine.padron.segmentation import Segmentation, segment
from engine.padron.sisfoh import ImportResult, import_sisfoh
from engine.padron.states import TRANSITIONS, StateChange, TransitionRefused, change_state

__all__ = [
    "CSE_VALORES",
    "ESTADOS",
    "TRANSITIONS",
    "District",
    "Hogar",
    "HogarEstadoHistorial",
    "ImportBatch",
    "ImportRejected",
    "ImportResult",
    "Miembro",
    "RowError",
    "Segmentation",
    "StateChange",
    "StructuralError",
    "TransitionRefused",
    "Ubigeo",
    "change_state",
    "districts",
    "ensure_geography",
    "household_card",
    "import_sisfoh",
    "member_kind",
    "segment",
    "ut_for",
]
