"""Canonical serialisation and hashing of audit events.

The scheme, so that an auditor can re-implement it without this code:

* ``canonical_json(obj)`` is ``json.dumps`` with keys sorted, separators ``(",", ":")``,
  ``ensure_ascii=False`` (UTF-8) and no NaN/Infinity. Datetimes must be timezone-aware and
  are written in UTC as ``2026-03-01T14:00:00.000000Z`` (always six decimals); dates as
  ``2026-03-01``; ``Decimal`` as its string (``"12.50"``); tuples as lists. Sets are refused:
  they have no order, so the same set could hash two ways (pass a sorted list). Object keys
  must be strings, so that parsing the text and writing it again gives the same text.
* ``event_hash(prev_hash, fields)`` is the lowercase hex SHA-256 of the UTF-8 bytes of
  ``canonical_json`` of an object holding every stored field of the event (``HASHED_FIELDS``:
  seq, recorded_at, kind, actor_user_id, actor_position_id, process_key, process_version,
  instance_id, element_id, household, data — ``data`` being the stored JSON *text*) plus
  ``prev_hash``, the hash of the previous event (``GENESIS_HASH``, 64 zeros, for event 1).
  Absent values are JSON ``null``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64

HASHED_FIELDS = (
    "seq",
    "recorded_at",
    "kind",
    "actor_user_id",
    "actor_position_id",
    "process_key",
    "process_version",
    "instance_id",
    "element_id",
    "household",
    "data",
)


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a ``Z``: one spelling per instant."""
    if value.tzinfo is None:
        raise ValueError("naive datetime; use engine.db.utcnow()")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _default(value: object) -> object:
    if isinstance(value, datetime):  # before date: a datetime is a date
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        raise TypeError("canonical_json refuses sets (no order); pass a sorted list")
    raise TypeError(f"canonical_json cannot serialise {type(value).__name__}")


def _check_keys(obj: object) -> None:
    if isinstance(obj, dict):  # json writes no other mapping (they reach _default)
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"canonical_json needs string keys, got {key!r}")
            if isinstance(value, dict | list | tuple):
                _check_keys(value)
    elif isinstance(obj, list | tuple):
        for item in obj:
            if isinstance(item, dict | list | tuple):
                _check_keys(item)


def canonical_json(obj: Any) -> str:
    """The one JSON text of ``obj`` (see the module docstring for the rules)."""
    _check_keys(obj)
    return _dumps(obj)


def _dumps(obj: Any) -> str:
    return json.dumps(
        obj,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def event_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the event's stored fields plus ``prev_hash``.

    ``fields`` must hold every name in ``HASHED_FIELDS`` (other keys are ignored); their
    values are scalars (``data`` is the stored JSON text), so the payload's keys need no check.
    """
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["prev_hash"] = prev_hash
    return hashlib.sha256(_dumps(payload).encode("utf-8")).hexdigest()
