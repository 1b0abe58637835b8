"""Checks that the audit log is the chain ``record`` wrote: nothing altered, deleted,
inserted or reordered, and the head at the last event.

What the chain proves: any change to a stored event breaks it at that event or the next
one. What it cannot prove on its own: someone with write access who rewrites every event
from the change onwards, and the head, leaves a consistent chain. Keeping the head's hash
elsewhere (an export, a report to the OCI) and checking it later closes that gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit.chain import GENESIS_HASH, HASHED_FIELDS, canonical_json, event_hash
from engine.audit.models import AuditEvent, AuditHead

BATCH_SIZE = 1000

_INT_FIELDS = ("seq", "actor_user_id", "actor_position_id", "process_version", "instance_id")
_OPTIONAL_TEXT_FIELDS = ("process_key", "element_id", "household")
# prev_hash is not stored: walking in seq order, it is the hash of the event before.
_COLUMNS = [getattr(AuditEvent, name) for name in (*HASHED_FIELDS, "hash")]


@dataclass(frozen=True)
class VerifyResult:
    """``checked``: events found sound before the first bad one (all of them if ``ok``);
    ``first_bad_seq``: the first event altered, missing, forged or out of place."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Chain:
    """Follows events one by one from a known (seq, hash) and says where the chain breaks."""

    def __init__(self, after_seq: int, prev_hash: str) -> None:
        self.start = after_seq
        self.seq = after_seq
        self.hash = prev_hash
        self.checked = 0

    def broken(self, seq: int, reason: str) -> VerifyResult:
        before = max(0, min(self.checked, seq - 1 - self.start))
        return VerifyResult(ok=False, checked=before, first_bad_seq=seq, reason=reason)

    def passed(self) -> VerifyResult:
        return VerifyResult(ok=True, checked=self.checked)

    def feed(self, event: Mapping[str, Any]) -> VerifyResult | None:
        """None if ``event`` follows the chain (and becomes its end), else where it breaks."""
        seq, expected = event["seq"], self.seq + 1
        if seq > expected:
            return self.broken(expected, f"falta el evento {expected} (sigue el {seq})")
        if seq < expected:
            return self.broken(seq, f"número de evento fuera de orden (se esperaba {expected})")
        if "prev_hash" not in event:  # a stored event: chained to the hash before it
            if event_hash(self.hash, event) != event["hash"]:
                return self.broken(
                    seq,
                    f"su hash no es el de su contenido encadenado al hash {self._previous()} "
                    "(evento alterado, o un evento anterior cambió o cambió de lugar)",
                )
        elif event["prev_hash"] != self.hash:  # an exported row says what it follows
            return self.broken(seq, f"su prev_hash no es el hash {self._previous()}")
        elif event_hash(event["prev_hash"], event) != event["hash"]:
            return self.broken(seq, "su contenido no corresponde a su hash (evento alterado)")
        self.seq, self.hash = seq, event["hash"]
        self.checked += 1
        return None

    def _previous(self) -> str:
        if self.seq == 0:
            return "inicial (64 ceros)"
        if self.checked == 0:
            return f"de partida dado para el evento {self.seq}"
        return f"del evento {self.seq}"


def verify(session: Session, *, batch_size: int = BATCH_SIZE) -> VerifyResult:
    """Walks the whole chain in seq order, ``batch_size`` events at a time, then the head."""
    chain = _Chain(0, GENESIS_HASH)
    broken = _walk(session, chain, batch_size)
    if broken is not None:
        return broken
    head = session.execute(
        select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one_or_none()
    if head is not None and head.last_seq > chain.seq:
        # Under READ COMMITTED, events committed during the walk are visible now that their
        # head is: they are checked too. Any still missing were deleted.
        broken = _walk(session, chain, batch_size, upto=head.last_seq)
        if broken is not None:
            return broken
    return _check_head(chain, head)


def _walk(
    session: Session, chain: _Chain, batch_size: int, upto: int | None = None
) -> VerifyResult | None:
    """Keyset pagination: each batch starts after the last seq checked, so memory stays flat.

    The first batch has no lower bound, so that events numbered 0 or below are seen too.
    """
    while True:
        stmt = select(*_COLUMNS).order_by(AuditEvent.seq).limit(batch_size)
        if chain.checked:
            stmt = stmt.where(AuditEvent.seq > chain.seq)
        if upto is not None:
            stmt = stmt.where(AuditEvent.seq <= upto)
        rows = session.execute(stmt).mappings().all()
        for row in rows:
            broken = chain.feed(row)
            if broken is not None:
                return broken
        if len(rows) < batch_size:
            return None


def _check_head(chain: _Chain, head: Any) -> VerifyResult:
    if head is None:
        if chain.seq == 0:
            return chain.passed()  # an empty log whose head ``record`` has yet to create
        return chain.broken(chain.seq, "falta la cabeza de la cadena (audit_head)")
    if head.last_seq > chain.seq:
        return chain.broken(
            chain.seq + 1,
            f"la cabeza apunta al evento {head.last_seq}, pero la cadena termina en el "
            f"{chain.seq} (eventos finales borrados)",
        )
    if head.last_seq < chain.seq:
        return chain.broken(
            head.last_seq + 1,
            f"hay eventos después de la cabeza de la cadena ({head.last_seq})",
        )
    if head.last_hash != chain.hash:
        return chain.broken(
            chain.seq, f"la cabeza de la cadena no tiene el hash del evento {chain.seq}"
        )
    return chain.passed()


def verify_export(
    rows: Iterable[Mapping[str, Any]],
    *,
    after_seq: int = 0,
    prev_hash: str = GENESIS_HASH,
    last_hash: str | None = None,
) -> VerifyResult:
    """Verifies exported events (dicts of ``AuditEvent.to_export``, or CSV rows of strings).

    The rows must be a contiguous run of the chain: by default the whole chain from event 1;
    for a slice starting at event N + 1, pass ``after_seq=N`` and ``prev_hash`` = the hash
    of event N (from a trusted source). ``last_hash``, if given, must be the hash of the
    last row — this is what shows that no row was cut off the end.
    """
    chain = _Chain(after_seq, prev_hash)
    for row in rows:
        try:
            event = _from_export(row)
        except (KeyError, TypeError, ValueError) as exc:
            return chain.broken(chain.seq + 1, f"fila mal formada: {exc!r}")
        broken = chain.feed(event)
        if broken is not None:
            return broken
    if last_hash is not None and last_hash != chain.hash:
        return chain.broken(chain.seq + 1, "la exportación no termina en el hash esperado")
    return chain.passed()


def _from_export(row: Mapping[str, Any]) -> dict[str, Any]:
    """Undoes what CSV does to values: numbers as text, NULL as an empty string."""
    event = {name: row[name] for name in (*HASHED_FIELDS, "prev_hash", "hash")}
    for name in _INT_FIELDS:
        if isinstance(event[name], str):
            event[name] = int(event[name]) if event[name] != "" else None
    for name in _OPTIONAL_TEXT_FIELDS:
        if event[name] == "":
            event[name] = None
    if not isinstance(event["seq"], int):
        raise ValueError(f"seq {event['seq']!r} no es un número de evento")
    if isinstance(event["recorded_at"], str):
        event["recorded_at"] = datetime.fromisoformat(event["recorded_at"])
    if not isinstance(event["data"], str):  # parsed JSON rather than the stored text
        event["data"] = canonical_json(event["data"])
    return event
