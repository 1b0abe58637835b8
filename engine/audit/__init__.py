"""The audit log: every change in the engine as an append-only, hash-chained event, so that
the Órgano de Control Institucional can prove what happened. Entry module: import from here.

Other code calls ``record(session, kind, ...)`` inside the transaction of the change it
describes; ``verify(session)`` (and ``juntos audit verify``) checks the whole chain.
"""

from engine.audit.chain import GENESIS_HASH, canonical_json, event_hash
from engine.audit.log import AuditHeadMissing, append, events, record, write_pending
from engine.audit.models import AuditEvent, AuditHead
from engine.audit.verify import VerifyResult, verify, verify_export

__all__ = [
    "GENESIS_HASH",
    "AuditEvent",
    "AuditHead",
    "AuditHeadMissing",
    "VerifyResult",
    "append",
    "canonical_json",
    "event_hash",
    "events",
    "record",
    "verify",
    "verify_export",
    "write_pending",
]
